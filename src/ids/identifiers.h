// Validation of the identifiers education-app filings carry:
//   * 教APP备 numbers (MoE education mobile app filing): 教APP备 + 7 digits + 号,
//     the first two digits a GB/T 2260 province-level code;
//   * ICP filing numbers (<abbrev>ICP备<8|10 digits>号[-n], App filings -nA)
//     and ICP licences (<abbrev>ICP证<6 digits>号);
//   * public-security filings (<abbrev>公网安备<14 digits>号);
//   * unified social credit codes (GB 32100-2015) with their check character.
//
// Every Validate* function first applies NormalizeNumber(), so full-width
// digits/letters and spaces or zero-width characters inside the number are
// tolerated; callers that store numbers should store NormalizeNumber(s).
// Problems are short English sentences meant for reports and import errors.
#ifndef SHELFGUARD_SRC_IDS_IDENTIFIERS_H_
#define SHELFGUARD_SRC_IDS_IDENTIFIERS_H_

#include <optional>
#include <string>
#include <string_view>

namespace shelfguard::ids {

struct Check {
  bool ok = true;
  std::string problem;  // English, empty when ok
};

// True for the 34 GB/T 2260 province-level codes: 11..15, 21..23, 31..37,
// 41..46, 50..54, 61..65, 71 (Taiwan), 81 (Hong Kong), 82 (Macao).
bool IsProvinceCode(std::string_view two_digits);

// The province code for a one-character province abbreviation in UTF-8
// ("京" -> "11", "沪" -> "31"). Accepts the 34 primary abbreviations and the
// secondary ones used in ICP numbers (蜀 川, 黔 贵, 滇 云, 秦 陕, 陇 甘).
std::optional<std::string> ProvinceCodeForAbbrev(std::string_view abbrev_utf8);

// 教APP备 + 7 digits + 号 with a valid province prefix. The six-digit legacy
// form is reported (ok = false) with a problem naming it.
Check ValidateMoeFiling(std::string_view s);

// <abbrev>ICP备<8 or 10 digits>号 optionally followed by -<n> or -<n>A (App
// filing), or the ICP licence <abbrev>ICP证<6 digits>号.
Check ValidateIcp(std::string_view s);

// True when `s` is a valid ICP filing number of an App (ends in -<n>A).
bool IsAppIcp(std::string_view s);

// <abbrev>公网安备<14 digits>号 (a space after 备 is usual). The first six
// digits are a region code whose province must match the abbreviation.
Check ValidatePsb(std::string_view s);

// 18-character unified social credit code: registration authority and type,
// six-digit region code, nine-character organisation code, and the check
// character computed with the GB 32100-2015 weights over the 31-character
// alphabet 0-9A-Z without I, O, Z, S, V.
Check ValidateCreditCode(std::string_view s);

// The GB 32100-2015 check character for the first 17 characters of a credit
// code, or '\0' when one of them is not in the alphabet.
char CreditCodeCheckChar(std::string_view first17);

// Full-width digits/letters/hyphen -> ASCII; removes spaces (ASCII, NBSP,
// ideographic), tabs, line breaks and zero-width characters anywhere.
// Invalid UTF-8 bytes are kept as they are.
std::string NormalizeNumber(std::string_view s);

// Android package name: Java identifiers joined by '.', at least two
// segments, at most 255 bytes.
bool IsValidAndroidPackage(std::string_view id);
// CFBundleIdentifier: alphanumerics, '-' and '.', no empty segment.
bool IsValidBundleId(std::string_view id);
// YYYY-MM-DD, a real calendar date from 1990 on.
bool IsValidDate(std::string_view ymd);

}  // namespace shelfguard::ids

#endif  // SHELFGUARD_SRC_IDS_IDENTIFIERS_H_
