#include "ids/identifiers.h"

#include <array>
#include <cstdint>

namespace shelfguard::ids {
namespace {

struct Abbrev {
  const char* utf8;
  const char* code;
};

// GB/T 2260 province-level divisions and their one-character abbreviations.
// The first 34 are the primary abbreviations; the rest are the secondary ones
// that ICP and public-security filings use (e.g. 滇ICP备, 陇ICP备, 蜀ICP备).
constexpr Abbrev kAbbrevs[] = {
    {"京", "11"}, {"津", "12"}, {"冀", "13"}, {"晋", "14"}, {"蒙", "15"}, {"辽", "21"},
    {"吉", "22"}, {"黑", "23"}, {"沪", "31"}, {"苏", "32"}, {"浙", "33"}, {"皖", "34"},
    {"闽", "35"}, {"赣", "36"}, {"鲁", "37"}, {"豫", "41"}, {"鄂", "42"}, {"湘", "43"},
    {"粤", "44"}, {"桂", "45"}, {"琼", "46"}, {"渝", "50"}, {"川", "51"}, {"贵", "52"},
    {"云", "53"}, {"藏", "54"}, {"陕", "61"}, {"甘", "62"}, {"青", "63"}, {"宁", "64"},
    {"新", "65"}, {"台", "71"}, {"港", "81"}, {"澳", "82"},
    // Secondary abbreviations.
    {"蜀", "51"}, {"黔", "52"}, {"滇", "53"}, {"秦", "61"}, {"陇", "62"},
};

constexpr std::string_view kMoePrefix = "教APP备";
constexpr std::string_view kHao = "号";
constexpr std::string_view kIcpFiling = "ICP备";
constexpr std::string_view kIcpLicence = "ICP证";
constexpr std::string_view kPsb = "公网安备";

// GB 32100-2015 alphabet (31 characters) and weights for positions 1..17.
constexpr std::string_view kUsccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr std::array<int, 17> kUsccWeights = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                               29, 25, 13, 8,  24, 10, 30, 28};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

size_t CountDigits(std::string_view s, size_t from) {
  size_t n = 0;
  while (from + n < s.size() && IsDigit(s[from + n])) ++n;
  return n;
}

// Length in bytes of the UTF-8 sequence starting with `lead` (1 for invalid).
size_t Utf8Len(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

// Splits off the leading province abbreviation. Returns its code or nullopt.
std::optional<std::string> LeadingProvince(std::string_view s, size_t* consumed) {
  if (s.empty()) return std::nullopt;
  size_t len = Utf8Len(static_cast<unsigned char>(s[0]));
  if (len > s.size()) return std::nullopt;
  *consumed = len;
  return ProvinceCodeForAbbrev(s.substr(0, len));
}

Check Bad(std::string problem) { return Check{false, std::move(problem)}; }

// Decodes one UTF-8 code point at s[i]; returns false for an invalid sequence.
bool Decode(std::string_view s, size_t i, uint32_t* cp, size_t* len) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = Utf8Len(c);
  if (n == 1) {
    *cp = c;
    *len = 1;
    return c < 0x80;
  }
  if (n > s.size() - i) return false;
  uint32_t v = c & (0xFF >> (n + 1));
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return false;
    v = (v << 6) | (cc & 0x3F);
  }
  *cp = v;
  *len = n;
  return true;
}

}  // namespace

bool IsProvinceCode(std::string_view d) {
  if (d.size() != 2 || !IsDigit(d[0]) || !IsDigit(d[1])) return false;
  int v = (d[0] - '0') * 10 + (d[1] - '0');
  return (v >= 11 && v <= 15) || (v >= 21 && v <= 23) || (v >= 31 && v <= 37) ||
         (v >= 41 && v <= 46) || (v >= 50 && v <= 54) || (v >= 61 && v <= 65) || v == 71 ||
         v == 81 || v == 82;
}

std::optional<std::string> ProvinceCodeForAbbrev(std::string_view abbrev) {
  for (const Abbrev& a : kAbbrevs) {
    if (abbrev == a.utf8) return std::string(a.code);
  }
  return std::nullopt;
}

std::string NormalizeNumber(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    size_t len = 1;
    if (!Decode(s, i, &cp, &len)) {
      out.push_back(s[i]);  // keep invalid bytes as they are
      ++i;
      continue;
    }
    if (cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' || cp == '\v' || cp == '\f' ||
        cp == 0xA0 || cp == 0x3000 || cp == 0x200B || cp == 0x200C || cp == 0x200D ||
        cp == 0x2060 || cp == 0xFEFF || cp == 0x00AD || cp == 0x2028 || cp == 0x2029) {
      // spaces, line breaks, zero-width characters, soft hyphen: dropped
    } else if (cp >= 0xFF01 && cp <= 0xFF5E) {
      // Full-width ASCII block (digits, letters, hyphen ...).
      out.push_back(static_cast<char>(cp - 0xFF01 + 0x21));
    } else if (cp >= 0x2010 && cp <= 0x2015) {
      out.push_back('-');  // hyphens and dashes
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  return out;
}

Check ValidateMoeFiling(std::string_view raw) {
  std::string s = NormalizeNumber(raw);
  std::string_view v = s;
  if (v.substr(0, kMoePrefix.size()) != kMoePrefix) {
    return Bad("does not start with 教APP备");
  }
  size_t pos = kMoePrefix.size();
  size_t digits = CountDigits(v, pos);
  if (digits == 0) return Bad("no digits after 教APP备");
  if (v.substr(pos + digits) != kHao) {
    return Bad("must end with 号 directly after the digits");
  }
  if (digits == 6) {
    return Bad("six-digit legacy form (教APP备 + 6 digits); the current form has 7 digits");
  }
  if (digits != 7) return Bad("expected 7 digits after 教APP备, found " + std::to_string(digits));
  if (!IsProvinceCode(v.substr(pos, 2))) {
    return Bad("first two digits " + std::string(v.substr(pos, 2)) +
               " are not a GB/T 2260 province code");
  }
  return {};
}

Check ValidateIcp(std::string_view raw) {
  std::string s = NormalizeNumber(raw);
  std::string_view v = s;
  size_t pos = 0;
  if (!LeadingProvince(v, &pos)) return Bad("does not start with a province abbreviation");
  v.remove_prefix(pos);
  if (v.substr(0, kIcpLicence.size()) == kIcpLicence) {
    v.remove_prefix(kIcpLicence.size());
    size_t d = CountDigits(v, 0);
    if (d != 6) return Bad("ICP licence (ICP证) needs 6 digits, found " + std::to_string(d));
    if (v.substr(d) != kHao) return Bad("ICP licence must end with 号 after the digits");
    return {};
  }
  if (v.substr(0, kIcpFiling.size()) != kIcpFiling) {
    return Bad("expected ICP备 or ICP证 after the province abbreviation");
  }
  v.remove_prefix(kIcpFiling.size());
  size_t d = CountDigits(v, 0);
  if (d != 8 && d != 10) {
    return Bad("ICP filing needs 8 or 10 digits, found " + std::to_string(d));
  }
  v.remove_prefix(d);
  if (v.substr(0, kHao.size()) != kHao) return Bad("ICP filing must have 号 after the digits");
  v.remove_prefix(kHao.size());
  if (v.empty()) return {};
  if (v[0] != '-') return Bad("unexpected text after 号 (expected -<n> or -<n>A)");
  v.remove_prefix(1);
  size_t n = CountDigits(v, 0);
  if (n == 0 || n > 4) return Bad("site/app sequence after 号- must be 1 to 4 digits");
  v.remove_prefix(n);
  if (v.empty() || v == "A") return {};
  return Bad("unexpected text after the sequence number (only A, for an App, is allowed)");
}

bool IsAppIcp(std::string_view raw) {
  std::string s = NormalizeNumber(raw);
  if (!ValidateIcp(s).ok) return false;
  return s.size() >= 3 && s.back() == 'A' && s.find('-') != std::string::npos;
}

Check ValidatePsb(std::string_view raw) {
  std::string s = NormalizeNumber(raw);
  std::string_view v = s;
  size_t pos = 0;
  std::optional<std::string> prov = LeadingProvince(v, &pos);
  if (!prov) return Bad("does not start with a province abbreviation");
  v.remove_prefix(pos);
  if (v.substr(0, kPsb.size()) != kPsb) return Bad("expected 公网安备 after the province abbreviation");
  v.remove_prefix(kPsb.size());
  size_t d = CountDigits(v, 0);
  if (d != 14) return Bad("公网安备 needs 14 digits, found " + std::to_string(d));
  if (v.substr(d) != kHao) return Bad("公网安备 must end with 号 after the digits");
  std::string_view region = v.substr(0, 2);
  if (!IsProvinceCode(region)) {
    return Bad("region code " + std::string(v.substr(0, 6)) + " has no valid province prefix");
  }
  if (region != *prov) {
    return Bad("region code " + std::string(v.substr(0, 6)) +
               " is not in the province of the abbreviation (" + *prov + ")");
  }
  return {};
}

char CreditCodeCheckChar(std::string_view first17) {
  if (first17.size() < 17) return '\0';
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) {
    size_t v = kUsccAlphabet.find(first17[i]);
    if (v == std::string_view::npos) return '\0';
    sum += static_cast<int>(v) * kUsccWeights[i];
  }
  int c = 31 - sum % 31;
  if (c == 31) c = 0;
  return kUsccAlphabet[c];
}

Check ValidateCreditCode(std::string_view raw) {
  std::string s = NormalizeNumber(raw);
  if (s.size() != 18) {
    return Bad("credit code must have 18 characters, found " + std::to_string(s.size()) +
               " bytes");
  }
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'a' && c <= 'z') {
      return Bad("credit code has a lower-case letter at position " + std::to_string(i + 1));
    }
    if (kUsccAlphabet.find(c) == std::string_view::npos) {
      return Bad("character " + std::string(1, c) + " at position " + std::to_string(i + 1) +
                 " is not in the GB 32100 alphabet (0-9, A-Z without I O Z S V)");
    }
  }
  for (size_t i = 2; i < 8; ++i) {
    if (!IsDigit(s[i])) return Bad("positions 3-8 (region code) must be digits");
  }
  // 100000 is the national level (central institutions); otherwise the
  // region code starts with a province code.
  if (s.compare(2, 6, "100000") != 0 && !IsProvinceCode(std::string_view(s).substr(2, 2))) {
    return Bad("region code " + s.substr(2, 6) + " has no valid province prefix");
  }
  char want = CreditCodeCheckChar(s);
  if (want != s[17]) {
    return Bad(std::string("check character is ") + s[17] + ", expected " + want);
  }
  return {};
}

bool IsValidAndroidPackage(std::string_view id) {
  // Java identifiers joined by '.', at least two segments (PackageParser's
  // validateName requires a dot for packages).
  if (id.empty() || id.size() > 255) return false;
  size_t segments = 0;
  size_t i = 0;
  while (i <= id.size()) {
    size_t end = id.find('.', i);
    if (end == std::string_view::npos) end = id.size();
    std::string_view seg = id.substr(i, end - i);
    if (seg.empty()) return false;
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (!alpha(seg[0])) return false;
    for (char c : seg) {
      if (!alpha(c) && !(c >= '0' && c <= '9') && c != '_') return false;
    }
    ++segments;
    i = end + 1;
  }
  return segments >= 2;
}

bool IsValidBundleId(std::string_view id) {
  // CFBundleIdentifier: alphanumerics, '-' and '.'.
  if (id.empty() || id.size() > 255 || id.front() == '.' || id.back() == '.') return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.';
    if (!ok) return false;
  }
  return id.find("..") == std::string_view::npos;
}

bool IsValidDate(std::string_view d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (d[i] < '0' || d[i] > '9') return false;
  }
  int y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
  int m = (d[5] - '0') * 10 + (d[6] - '0');
  int day = (d[8] - '0') * 10 + (d[9] - '0');
  if (y < 1990 || m < 1 || m > 12 || day < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int max = kDays[m - 1];
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) max = 29;
  return day <= max;
}

}  // namespace shelfguard::ids
