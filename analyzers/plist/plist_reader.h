// Property lists (XML and binary, through libplist), .strings files
// (property-list or old-style "key" = "value"; UTF-8 or UTF-16) and the CMS
// (PKCS#7 SignedData) envelope of embedded.mobileprovision.
//
// libplist is handed only inputs up to kMaxPlistBytes; its tree is copied
// into nlohmann::json with depth and node caps, so a hostile plist cannot
// make the result unbounded.
#ifndef SHELFGUARD_ANALYZERS_PLIST_PLIST_READER_H_
#define SHELFGUARD_ANALYZERS_PLIST_PLIST_READER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shelfguard/status.h"

namespace shelfguard::plist {

inline constexpr size_t kMaxPlistBytes = 8u << 20;
inline constexpr int kMaxDepth = 64;
inline constexpr size_t kMaxNodes = 1u << 20;
inline constexpr size_t kMaxStringsBytes = 8u << 20;
inline constexpr int kMaxDerDepth = 32;

// "binary" | "xml" | "" (not a property list by its first bytes).
std::string_view PlistFormat(std::string_view data);

// Parses an XML or binary plist. Values map to JSON as: dict -> object,
// array -> array, string/bool/integer/real as themselves, data -> base64
// string, date -> seconds since 2001-01-01 as a number, uid -> integer.
Result<nlohmann::json> ParsePlist(std::string_view data);

// JSON text of a value for facts (invalid UTF-8 replaced, never throws).
std::string ToJsonText(const nlohmann::json& v);

struct StringsEntry {
  std::string key, value;
};
struct StringsFile {
  std::string format;  // "plist-xml" | "plist-binary" | "old-style"
  std::string encoding;  // "utf-8" | "utf-16le" | "utf-16be"
  std::vector<StringsEntry> entries;
  std::vector<std::string> problems;  // syntax errors, with byte offsets
};
// Best effort: keeps every entry before and after a syntax error. Fails only
// for an over-limit input or an unparsable property list.
Result<StringsFile> ParseStrings(std::string_view data);

// UTF-16 (with or without BOM, `big_endian` when no BOM) to UTF-8; unpaired
// surrogates become U+FFFD.
std::string Utf16ToUtf8(std::string_view data, bool big_endian);

// Returns the encapsulated content (eContent) of a CMS ContentInfo holding
// SignedData: the profile's plist. Accepts DER and BER (indefinite lengths,
// constructed OCTET STRINGs).
Result<std::string> UnwrapCms(std::string_view der);

}  // namespace shelfguard::plist

#endif  // SHELFGUARD_ANALYZERS_PLIST_PLIST_READER_H_
