#include "hap/abc_reader.h"

#include <cstring>
#include <unordered_set>

#include "shelfguard/byte_reader.h"

namespace shelfguard::abc {
namespace {

constexpr char kMagic[8] = {'P', 'A', 'N', 'D', 'A', 0, 0, 0};
// magic, checksum, version, file_size, foreign_off, foreign_size,
// num_classes, class_idx_off: the fields read here.
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 4 * 5;
// At most this many strings are kept per file (and the Budget's table cap).
constexpr size_t kMaxStrings = 400000;
// Strings longer than this are not module names or displayed texts.
constexpr size_t kMaxStringBytes = 4096;
// At most this many distinct module references are kept per file.
constexpr size_t kMaxModuleRefs = 20000;

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Length in UTF-16 units of MUTF-8 `s`, or -1 when `s` is not well formed
// (a NUL inside, a bad lead or continuation byte).
int64_t Utf16Units(std::string_view s) {
  int64_t units = 0;
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = static_cast<uint8_t>(s[i]);
    size_t n;
    if (c == 0) return -1;
    if (c < 0x80) n = 1;
    else if ((c & 0xe0) == 0xc0) n = 2;
    else if ((c & 0xf0) == 0xe0) n = 3;
    else if ((c & 0xf8) == 0xf0) n = 4;
    else return -1;
    if (n > s.size() - i) return -1;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<uint8_t>(s[i + k]) & 0xc0) != 0x80) return -1;
    }
    units += n == 4 ? 2 : 1;
    i += n;
  }
  return units;
}

// Printable enough to be a name or a text (no C0 controls but tab/newline).
bool Plausible(std::string_view s) {
  for (char ch : s) {
    uint8_t c = static_cast<uint8_t>(ch);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
    if (c == 0x7f) return false;
  }
  return true;
}

}  // namespace

bool IsAbc(std::string_view bytes) {
  return bytes.size() >= sizeof kMagic && std::memcmp(bytes.data(), kMagic, sizeof kMagic) == 0;
}

bool IsModuleReference(std::string_view s) {
  if (s.size() > 2 && s.front() == 'L' && s.back() == ';') s = s.substr(1, s.size() - 2);
  static constexpr std::string_view kPrefixes[] = {
      "@ohos:", "@ohos.", "@system.", "@normalized:", "@package:", "@hms:", "@hms.",
      "@bundle:", "@kit.", "@native:", "@app:", "@arkts."};
  for (std::string_view p : kPrefixes) {
    if (s.size() > p.size() && StartsWith(s, p)) return true;
  }
  return false;
}

std::string ModulePackage(std::string_view ref) {
  if (ref.size() > 2 && ref.front() == 'L' && ref.back() == ';') ref = ref.substr(1, ref.size() - 2);
  // A scoped npm/ohpm name "@scope/name" or a bare "name" at the start of p.
  auto ohpm_name = [](std::string_view p) -> std::string {
    size_t slash = p.find('/');
    if (!p.empty() && p[0] == '@') {
      if (slash == std::string_view::npos) return std::string(p);
      size_t next = p.find('/', slash + 1);
      return std::string(p.substr(0, next));
    }
    return std::string(p.substr(0, slash));
  };
  if (StartsWith(ref, "@normalized:")) {
    // @normalized:<N|Y>&<module>&<bundle>&<import path>&<version>
    std::string_view rest = ref.substr(12);
    size_t a = rest.find('&');
    size_t b = a == std::string_view::npos ? a : rest.find('&', a + 1);
    size_t c = b == std::string_view::npos ? b : rest.find('&', b + 1);
    if (c == std::string_view::npos) return "";
    std::string_view path = rest.substr(c + 1);
    size_t amp = path.find('&');
    std::string_view version = amp == std::string_view::npos ? "" : path.substr(amp + 1);
    path = path.substr(0, amp);
    // The app's own files carry no version: "N&&&entry/src/main/ets/...&".
    if (version.empty() && (path.empty() || path[0] != '@')) return "";
    if (StartsWith(path, "@ohos:") || StartsWith(path, "@hms:")) {
      std::string s(path);
      s[s.find(':')] = '.';
      return s;
    }
    return ohpm_name(path);
  }
  if (StartsWith(ref, "@package:")) {
    // @package:pkg_modules/.ohpm/<name with + for />@<ver>/pkg_modules/<name>/...
    std::string_view rest = ref.substr(9);
    size_t pm = rest.rfind("pkg_modules/");
    if (pm == std::string_view::npos) return "";
    return ohpm_name(rest.substr(pm + 12));
  }
  if (StartsWith(ref, "@bundle:")) return "";  // the app's own (or another app's) files
  for (std::string_view p : {std::string_view("@ohos:"), std::string_view("@hms:"),
                             std::string_view("@native:"), std::string_view("@app:")}) {
    if (StartsWith(ref, p)) {
      std::string s(ref);
      s[p.size() - 1] = '.';
      return s;
    }
  }
  return std::string(ref);
}

Result<AbcFile> ParseAbc(std::string_view bytes, Budget* budget) {
  if (!IsAbc(bytes)) return Status::Malformed("not an Ark bytecode file (no PANDA magic)");
  ByteReader r(bytes);
  if (r.size() < kHeaderBytes) return Status::Malformed("Ark bytecode header truncated");
  AbcFile f;
  f.version = std::to_string(bytes[12] & 0xff) + "." + std::to_string(bytes[13] & 0xff) + "." +
              std::to_string(bytes[14] & 0xff) + "." + std::to_string(bytes[15] & 0xff);
  f.declared_size = r.LEAt<uint32_t>(16).value_or(0);
  f.num_classes = r.LEAt<uint32_t>(28).value_or(0);
  f.size_mismatch = f.declared_size != bytes.size();

  std::unordered_set<std::string_view> seen_refs;
  const uint8_t* d = r.data();
  const size_t n = r.size();
  size_t p = kHeaderBytes;
  while (p < n) {
    if (budget != nullptr && (p & 0xffff) == 0 && budget->Expired()) return budget->CheckDeadline();
    // ULEB128 header of at most 3 bytes (strings are shorter than 2 MiB here).
    uint32_t h = 0;
    size_t hl = 0;
    bool ok = false;
    for (; hl < 3 && p + hl < n; ++hl) {
      uint8_t b = d[p + hl];
      h |= uint32_t{static_cast<uint8_t>(b & 0x7f)} << (7 * hl);
      if ((b & 0x80) == 0) {
        ++hl;
        ok = true;
        break;
      }
    }
    const uint32_t units = h >> 1;
    if (!ok || units < 2 || units > kMaxStringBytes) {
      ++p;
      continue;
    }
    const size_t start = p + hl;
    const bool ascii = (h & 1) != 0;
    // ASCII strings are exactly `units` bytes; MUTF-8 ones at most 3 bytes a unit.
    size_t max_len = ascii ? units : std::min<size_t>(size_t{units} * 3, kMaxStringBytes * 3);
    if (start >= n) break;
    size_t avail = n - start;
    const void* nul = std::memchr(d + start, 0, std::min(avail, max_len + 1));
    if (nul == nullptr) {
      ++p;
      continue;
    }
    size_t len = static_cast<const uint8_t*>(nul) - (d + start);
    std::string_view s(reinterpret_cast<const char*>(d + start), len);
    bool good = ascii ? len == units && Plausible(s)
                      : Utf16Units(s) == static_cast<int64_t>(units) && Plausible(s);
    if (!good) {
      ++p;
      continue;
    }
    // The string table is cut at kMaxStrings or max_table_items, said once.
    if (f.strings.size() >= kMaxStrings) {
      f.truncated = true;
      f.anomalies.push_back({"abc-over-limit", "strings",
                             "more than kMaxStrings " + std::to_string(kMaxStrings) +
                                 "; the first " + std::to_string(f.strings.size()) + " kept"});
      break;
    }
    if (budget != nullptr) {
      if (Status st = budget->CheckCount("abc strings", f.strings.size() + 1); !st.ok()) {
        f.truncated = true;
        f.anomalies.push_back({"abc-over-limit", "strings",
                               st.message() + "; the first " + std::to_string(f.strings.size()) +
                                   " kept"});
        break;
      }
    }
    f.strings.push_back(s);
    if (IsModuleReference(s) && f.module_references.size() < kMaxModuleRefs &&
        seen_refs.insert(s).second) {
      f.module_references.push_back(s);
    }
    p = start + len + 1;
  }
  return f;
}

}  // namespace shelfguard::abc
