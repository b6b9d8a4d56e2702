// Property lists (XML and binary, through libplist), .strings files
// (property-list or old-style "key" = "value"; UTF-8 or UTF-16) and the CMS
// (PKCS#7 SignedData) envelope of embedded.mobileprovision.
//
// libplist is handed only inputs up to kMaxPlistBytes (a larger input is
// refused with Status::OverLimit: a cut property list is not one); its tree
// is copied into nlohmann::json with caps on depth (kMaxDepth), values
// (kMaxNodes) and the items of one array or dictionary (the budget's
// max_table_items). A value past a cap is dropped and recorded once as a
// "plist-over-limit" Anomaly; what was copied before it is kept
// (docs/architecture.md, the parser contract). `budget` may be null.
#ifndef SHELFGUARD_ANALYZERS_PLIST_PLIST_READER_H_
#define SHELFGUARD_ANALYZERS_PLIST_PLIST_READER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shelfguard/facts.h"
#include "shelfguard/limits.h"
#include "shelfguard/status.h"

namespace shelfguard::plist {

inline constexpr size_t kMaxPlistBytes = 8u << 20;
inline constexpr int kMaxDepth = 64;
inline constexpr size_t kMaxNodes = 1u << 20;
inline constexpr size_t kMaxStringsBytes = 8u << 20;
inline constexpr int kMaxDerDepth = 32;

// "binary" | "xml" | "" (not a property list by its first bytes).
std::string_view PlistFormat(std::string_view data);

// A property list as JSON and what the caps cut from it.
struct Plist {
  nlohmann::json root;
  std::vector<Anomaly> anomalies;  // "plist-over-limit"
};

// Parses an XML or binary plist. Values map to JSON as: dict -> object,
// array -> array, string/bool/integer/real as themselves, data -> base64
// string, date -> seconds since 2001-01-01 as a number, uid -> integer.
// Fails (Status::Malformed) when the bytes are not a property list libplist
// can read.
Result<Plist> ParsePlist(std::string_view data, Budget* budget);

// JSON text of a value for facts (invalid UTF-8 replaced, never throws).
std::string ToJsonText(const nlohmann::json& v);

struct StringsEntry {
  std::string key, value;
};
struct StringsFile {
  std::string format;  // "plist-xml" | "plist-binary" | "old-style"
  std::string encoding;  // "utf-8" | "utf-16le" | "utf-16be"
  std::vector<StringsEntry> entries;
  // "strings-malformed" (a syntax error; location "byte N"), and the
  // property list's or the entry table's "plist-over-limit".
  std::vector<Anomaly> anomalies;
};
// Best effort: keeps every entry before and after a syntax error; entries
// past max_table_items are dropped (recorded). Fails only for an input over
// kMaxStringsBytes or an unparsable property list.
Result<StringsFile> ParseStrings(std::string_view data, Budget* budget);

// UTF-16 (with or without BOM, `big_endian` when no BOM) to UTF-8; unpaired
// surrogates become U+FFFD.
std::string Utf16ToUtf8(std::string_view data, bool big_endian);

// Returns the encapsulated content (eContent) of a CMS ContentInfo holding
// SignedData: the profile's plist. Accepts DER and BER (indefinite lengths,
// constructed OCTET STRINGs).
Result<std::string> UnwrapCms(std::string_view der);

}  // namespace shelfguard::plist

#endif  // SHELFGUARD_ANALYZERS_PLIST_PLIST_READER_H_
