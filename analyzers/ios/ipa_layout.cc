#include "ios/ipa_layout.h"

#include <iconv.h>

#include <cerrno>
#include <cstring>

namespace shelfguard::ios {

bool IsUtf8(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    uint8_t c = s[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || len > static_cast<int>(n - i)) return false;
    for (int k = 1; k < len; ++k) {
      if ((uint8_t(s[i + k]) & 0xC0) != 0x80) return false;
    }
    if (len == 2 && c < 0xC2) return false;  // overlong
    i += len;
  }
  return true;
}

std::string DecodeName(std::string_view raw) {
  if (IsUtf8(raw)) return std::string(raw);
  std::string out;
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    for (unsigned char c : raw) out += c < 0x80 ? std::string(1, c) : std::string("\xEF\xBF\xBD");
    return out;
  }
  std::string in(raw);
  char* ip = in.data();
  size_t il = in.size();
  std::string buf(in.size() * 4 + 16, '\0');
  char* op = buf.data();
  size_t ol = buf.size();
  while (il > 0) {
    if (iconv(cd, &ip, &il, &op, &ol) != static_cast<size_t>(-1)) break;
    if (errno == E2BIG || ol < 3) break;  // cannot happen with 4x room
    // Invalid or incomplete sequence: emit U+FFFD and skip one byte.
    std::memcpy(op, "\xEF\xBF\xBD", 3);
    op += 3;
    ol -= 3;
    ++ip;
    --il;
  }
  iconv_close(cd);
  buf.resize(buf.size() - ol);
  return buf;
}

namespace {

bool IsDebris(std::string_view name) {
  if (name.substr(0, 9) == "__MACOSX/" || name.find("/__MACOSX/") != std::string_view::npos)
    return true;
  size_t slash = name.rfind('/', name.size() > 1 ? name.size() - 2 : 0);
  std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  return base.substr(0, 2) == "._";
}

// Returns the length of the "<...>Payload/<X>.app/" prefix of `name`, or 0.
size_t BundlePrefix(std::string_view name) {
  size_t pos = 0;
  while (true) {
    size_t p = name.find("Payload/", pos);
    if (p == std::string_view::npos) return 0;
    if (p == 0 || name[p - 1] == '/') {
      size_t start = p + 8;
      size_t slash = name.find('/', start);
      if (slash != std::string_view::npos && slash - start > 4 &&
          name.substr(slash - 4, 4) == ".app")
        return slash + 1;
    }
    pos = p + 1;
  }
}

}  // namespace

Result<IpaLayout> FindAppBundle(const Archive& archive) {
  IpaLayout l;
  std::string_view best;
  for (const auto& e : archive.entries()) {
    if (IsDebris(e.name)) {
      ++l.macosx_debris;
      continue;
    }
    size_t n = BundlePrefix(e.name);
    if (n == 0) continue;
    std::string_view prefix = std::string_view(e.name).substr(0, n);
    // Shallowest wins: a Watch or PlugIns app inside is deeper than its host.
    if (best.empty() || prefix.size() < best.size()) best = prefix;
  }
  if (best.empty())
    return Status("ipa-no-app-bundle", archive.label() + ": no Payload/<name>.app/ in the IPA");
  l.root = std::string(best);
  l.root_display = DecodeName(l.root);
  l.nested_payload = l.root.substr(0, 8) != "Payload/";
  std::string_view app = std::string_view(l.root).substr(0, l.root.size() - 5);  // drop ".app/"
  size_t slash = app.rfind('/');
  l.app_name = DecodeName(app.substr(slash + 1));
  if (l.nested_payload) {
    l.anomalies.push_back({"ipa-nested-payload", l.root_display,
                           "Payload/ is not at the zip root; the App Store expects it there"});
  }
  if (l.macosx_debris > 0) {
    l.anomalies.push_back({"ipa-macosx-debris", "__MACOSX/",
                           std::to_string(l.macosx_debris) +
                               " macOS resource-fork entries (__MACOSX/, ._*) ignored"});
  }
  size_t non_utf8 = 0;
  for (const auto& e : archive.entries()) {
    if (e.name.size() < l.root.size() || e.name.compare(0, l.root.size(), l.root) != 0) continue;
    if (IsDebris(e.name)) continue;
    BundleEntry be;
    be.entry = &e;
    if (IsUtf8(e.name)) {
      be.display = e.name;
    } else {
      be.display = DecodeName(e.name);
      if (++non_utf8 <= 20) {
        l.anomalies.push_back({"ipa-non-utf8-name", be.display,
                               "entry name is not UTF-8; decoded as GB18030/GBK"});
      }
    }
    be.rel = be.display.size() >= l.root_display.size() ? be.display.substr(l.root_display.size())
                                                         : std::string();
    l.entries.push_back(std::move(be));
  }
  if (non_utf8 > 20) {
    l.anomalies.push_back({"ipa-non-utf8-name", l.root_display,
                           std::to_string(non_utf8) + " entry names are not UTF-8 in total"});
  }
  return l;
}

}  // namespace shelfguard::ios
