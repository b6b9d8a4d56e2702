// Asset analyzer (Android and iOS): the package's paths and the texts an app
// shows from files rather than from resources or code.
//
//   * every entry path → EvidenceKind::kAsset table (location "package"), for
//     SDK signatures that key on assets/, res/ or Frameworks/ paths;
//   * text files (html, htm, json, js, txt, xml, css excluded) under assets/
//     and res/raw/ (Android) or anywhere in Payload/<App>.app/ (iOS) → the
//     TextSink (the displayed-number finder), HTML with its markup removed;
//     host names of URLs in them → EvidenceKind::kHost;
//   * compiled XML resources (res/layout*/…, res/xml/…: AXML) → every string
//     attribute value and element text, in document order, so that adjacent
//     TextViews ("教APP备" + "1100123号") arrive as adjacent texts.
//
// Reads are bounded per file and in total (named caps below) on top of the
// archive's own Budget; a file that cannot be read is an anomaly, not a stop,
// except when the scan's budget is exhausted.
#include "assets/asset_analyzer.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "axml/axml_parser.h"
#include "shelfguard/utf8.h"

namespace shelfguard {
namespace {

constexpr uint64_t kMaxTextFileBytes = 1u << 20;   // read prefix per text file
constexpr uint64_t kMaxTextTotalBytes = 32u << 20; // all text files together
constexpr size_t kMaxTextFiles = 4000;
constexpr uint64_t kMaxAxmlFileBytes = 4u << 20;
constexpr size_t kMaxAxmlFiles = 8000;
constexpr size_t kMaxHostsPerFile = 1000;

bool EndsWithCi(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    char a = s[s.size() - suffix.size() + i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != suffix[i]) return false;
  }
  return true;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool IsTextName(std::string_view name) {
  for (std::string_view ext : {".html", ".htm", ".json", ".js", ".txt", ".xml"}) {
    if (EndsWithCi(name, ext)) return true;
  }
  return false;
}

bool IsHtmlName(std::string_view name) {
  return EndsWithCi(name, ".html") || EndsWithCi(name, ".htm");
}

// True for the iOS bundle: Payload/<name>.app/...
bool InIosBundle(std::string_view name) {
  if (!StartsWith(name, "Payload/")) return false;
  size_t app = name.find(".app/");
  return app != std::string_view::npos;
}

}  // namespace

// Decodes a text file to UTF-8: UTF-16 with a BOM is transcoded (unpaired
// surrogates → U+FFFD), a UTF-8 BOM is dropped, anything else is passed on.
std::string DecodeTextFile(std::string_view bytes) {
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") return std::string(bytes.substr(3));
  if (bytes.size() >= 2 && (bytes.substr(0, 2) == "\xFF\xFE" || bytes.substr(0, 2) == "\xFE\xFF")) {
    const bool le = bytes[0] == '\xFF';
    std::string out;
    out.reserve(bytes.size());
    auto unit = [&](size_t i) -> uint32_t {
      auto b0 = static_cast<unsigned char>(bytes[i]), b1 = static_cast<unsigned char>(bytes[i + 1]);
      return le ? (b0 | (b1 << 8)) : ((b0 << 8) | b1);
    };
    for (size_t i = 2; i + 1 < bytes.size(); i += 2) {
      uint32_t u = unit(i);
      if (u >= 0xD800 && u <= 0xDBFF && i + 3 < bytes.size()) {
        uint32_t lo = unit(i + 2);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
          AppendUtf8(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00), &out);
          i += 2;
          continue;
        }
      }
      AppendUtf8(u, &out);
    }
    return out;
  }
  return std::string(bytes);
}

// The text of an HTML document as shown: markup removed (inline elements
// vanish so "教APP备<b>1100123</b>号" stays one number; other tags, comments
// and <script>/<style> bodies become a "|" separator), entities decoded.
std::string HtmlToText(std::string_view html) {
  static const std::set<std::string, std::less<>> kInline = {
      "a", "abbr", "b", "bdi", "bdo", "em", "font", "i", "small", "span", "strong", "sub", "sup", "u"};
  std::string out;
  out.reserve(html.size());
  size_t i = 0;
  while (i < html.size()) {
    char c = html[i];
    if (c == '<') {
      if (html.substr(i, 4) == "<!--") {
        size_t end = html.find("-->", i + 4);
        i = end == std::string_view::npos ? html.size() : end + 3;
        out.push_back('|');
        continue;
      }
      size_t end = html.find('>', i + 1);
      if (end == std::string_view::npos) break;
      std::string_view tag = html.substr(i + 1, end - i - 1);
      bool closing = !tag.empty() && tag[0] == '/';
      if (closing) tag.remove_prefix(1);
      size_t n = 0;
      std::string name;
      while (n < tag.size() && n < 16 && std::isalnum(static_cast<unsigned char>(tag[n]))) {
        name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(tag[n]))));
        ++n;
      }
      i = end + 1;
      if (!closing && (name == "script" || name == "style")) {
        // Script bodies hold strings the page may show: keep them as text,
        // separated, rather than dropping them.
        out.push_back('|');
        continue;
      }
      if (kInline.count(name) == 0) out.push_back('|');
      continue;
    }
    if (c == '&') {
      size_t semi = html.find(';', i + 1);
      if (semi != std::string_view::npos && semi - i <= 10) {
        std::string_view ent = html.substr(i + 1, semi - i - 1);
        uint32_t cp = 0;
        bool ok = true;
        if (ent == "nbsp") cp = 0xA0;
        else if (ent == "amp") cp = '&';
        else if (ent == "lt") cp = '<';
        else if (ent == "gt") cp = '>';
        else if (ent == "quot") cp = '"';
        else if (ent.size() >= 2 && ent[0] == '#') {
          bool hex = ent[1] == 'x' || ent[1] == 'X';
          std::string_view digits = ent.substr(hex ? 2 : 1);
          ok = !digits.empty();
          for (char d : digits) {
            int v = (d >= '0' && d <= '9') ? d - '0'
                    : hex && (d >= 'a' && d <= 'f') ? d - 'a' + 10
                    : hex && (d >= 'A' && d <= 'F') ? d - 'A' + 10 : -1;
            if (v < 0 || cp > 0x10FFFF) { ok = false; break; }
            cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
          }
        } else {
          ok = false;
        }
        if (ok) {
          AppendUtf8(cp, &out);
          i = semi + 1;
          continue;
        }
      }
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

// Host names of scheme URLs (http, https, ws, wss, ftp) in a text, lower-cased,
// deduplicated, at most `max` of them.
std::vector<std::string> ExtractHosts(std::string_view text, size_t max) {
  std::vector<std::string> hosts;
  std::set<std::string> seen;
  size_t pos = 0;
  while (hosts.size() < max && (pos = text.find("://", pos)) != std::string_view::npos) {
    size_t s = pos;
    while (s > 0 && s > pos - std::min<size_t>(pos, 5) &&
           std::isalpha(static_cast<unsigned char>(text[s - 1])))
      --s;
    std::string scheme(text.substr(s, pos - s));
    for (auto& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    size_t h = pos + 3;
    pos = h;
    if (scheme != "http" && scheme != "https" && scheme != "ws" && scheme != "wss" && scheme != "ftp")
      continue;
    // Skip userinfo is rare in assets; stop at the first character not in a host.
    size_t e = h;
    while (e < text.size() && e - h < 253) {
      char c = text[e];
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') {
        ++e;
      } else {
        break;
      }
    }
    std::string host(text.substr(h, e - h));
    while (!host.empty() && (host.back() == '.' || host.back() == '-')) host.pop_back();
    for (auto& ch : host) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (host.find('.') == std::string::npos) continue;
    if (seen.insert(host).second) hosts.push_back(host);
  }
  return hosts;
}

namespace {

// A bare DEX has no package paths or assets: ArchiveAnalyzer skips it.
class AssetAnalyzer : public ArchiveAnalyzer {
 public:
  using ArchiveAnalyzer::ArchiveAnalyzer;
  const char* name() const override { return "assets"; }

  void AnalyzeArchive(ScanContext* ctx, Archive& archive) override {
    const Platform platform = ctx->facts().package.platform;

    // A bundle's module content is matched at the path it gets in the APK
    // bundletool builds (assets/gdt_plugin/..., not base/assets/...), so
    // the asset patterns apply unchanged.
    std::vector<std::string_view> paths;
    paths.reserve(archive.entries().size());
    for (const auto& e : archive.entries()) {
      std::string_view rel = ApkPath(e.name);
      paths.push_back(rel.empty() ? std::string_view(e.name) : rel);
    }
    ctx->Table(EvidenceKind::kAsset, "package", paths);

    uint64_t text_total = 0;
    size_t text_files = 0, axml_files = 0;
    bool text_cap_noted = false;
    for (const auto& e : archive.entries()) {
      if (e.directory || e.duplicate) continue;
      if (ctx->budget().Expired()) {
        ctx->AddError(ctx->budget().CheckDeadline());
        return;
      }
      const std::string& n = e.name;
      // In a bundle: <module>/assets/ and <module>/res/raw/ (files kept as
      // they are); its res/ XML is aapt2's protobuf form, read by the AAB
      // analyzer through resources.pb instead.
      const std::string_view rel = ApkPath(n);
      const bool android_text = platform == Platform::kAndroid &&
                                (StartsWith(rel, "assets/") || StartsWith(rel, "res/raw/"));
      const bool ios_text = platform == Platform::kIos && InIosBundle(n);
      const bool android_res_xml = platform == Platform::kAndroid && !bundle_modules() &&
                                   StartsWith(n, "res/") && !StartsWith(n, "res/raw/") &&
                                   EndsWithCi(n, ".xml");
      if ((android_text || ios_text) && IsTextName(n)) {
        if (text_files >= kMaxTextFiles || text_total >= kMaxTextTotalBytes) {
          if (!text_cap_noted) {
            ctx->AddAnomaly("asset-text-cap", n,
                            "asset text cap reached; later text files were not searched");
            text_cap_noted = true;
          }
          continue;
        }
        uint64_t want = std::min<uint64_t>(kMaxTextFileBytes, kMaxTextTotalBytes - text_total);
        auto bytes = archive.Read(e, want);
        if (!bytes.ok()) {
          if (!HandleReadError(ctx, n, bytes.status())) return;
          continue;
        }
        ++text_files;
        text_total += bytes->size();
        AnalyzeText(ctx, n, *bytes);
      } else if (android_res_xml) {
        if (axml_files >= kMaxAxmlFiles) continue;
        auto bytes = archive.Read(e, kMaxAxmlFileBytes);
        if (!bytes.ok()) {
          if (!HandleReadError(ctx, n, bytes.status())) return;
          continue;
        }
        ++axml_files;
        AnalyzeResXml(ctx, n, *bytes);
      }
    }
  }

 private:
  // Returns false when the scan must stop (the budget is exhausted).
  static bool HandleReadError(ScanContext* ctx, const std::string& name, const Status& st) {
    if (st.code() == "over-limit" || st.code() == "timeout") {
      ctx->AddError(st);
      return false;
    }
    ctx->AddAnomaly("asset-unreadable", name, st.message());
    return true;
  }

  static void AnalyzeText(ScanContext* ctx, const std::string& name, std::string_view bytes) {
    std::string text = DecodeTextFile(bytes);
    std::vector<std::string> hosts = ExtractHosts(text, kMaxHostsPerFile);
    if (!hosts.empty()) {
      std::vector<std::string_view> views(hosts.begin(), hosts.end());
      ctx->Table(EvidenceKind::kHost, name, views);
    }
    // Compiled XML can sit under assets/ too; its strings are what matters.
    if (text.size() >= 8 && text[0] == '\x03' && text[1] == '\x00') {
      AnalyzeResXml(ctx, name, bytes);
      return;
    }
    if (IsHtmlName(name)) {
      ctx->Text(name, HtmlToText(text));
    } else {
      ctx->Text(name, text);
    }
  }

  static void AnalyzeResXml(ScanContext* ctx, const std::string& name, std::string_view bytes) {
    // res/**/*.xml is AXML in a built APK (0x0003 chunk type); a plain-text
    // XML there is unusual but is searched as text.
    if (bytes.size() < 8 || bytes[0] != '\x03' || bytes[1] != '\x00') {
      if (bytes.size() >= 5 && bytes.substr(0, 5) == "<?xml") ctx->Text(name, DecodeTextFile(bytes));
      return;
    }
    auto doc = ParseAxml(bytes, &ctx->budget());
    if (!doc.ok()) {
      ctx->AddAnomaly("axml-unparsed", name, doc.status().message());
      return;
    }
    for (const auto& node : doc->nodes) {
      for (const auto& a : node.attrs) {
        if (a.type == kTypeString || (a.has_raw && !a.string_value.empty())) {
          ctx->Text(name, a.string_value);
        }
      }
      if (!node.text.empty()) ctx->Text(name, node.text);
    }
    for (const auto& an : doc->anomalies) ctx->AddAnomaly(an.code, an.location, an.detail);
    if (doc->truncated) ctx->AddAnomaly("axml-truncated", name, "resource XML parsed partially");
  }
};

}  // namespace

std::unique_ptr<Analyzer> NewAssetAnalyzer(bool bundle_modules) {
  return std::make_unique<AssetAnalyzer>(bundle_modules);
}

}  // namespace shelfguard
