// resources.arsc: the compiled resource table of an APK.
//
// Layout (AOSP libs/androidfw/include/androidfw/ResourceTypes.h):
//   ResTable_header (0x0002) { packageCount }
//     ResStringPool (0x0001)           global pool: every string value
//     ResTable_package (0x0200) x N    { id, name[128] UTF-16, typeStrings,
//                                        lastPublicType, keyStrings, ... }
//       ResStringPool  type names ("attr", "string", ...), index = type id - 1
//       ResStringPool  key names ("app_name", ...)
//       ResTable_typeSpec (0x0202)     { id, entryCount, flags[entryCount] }
//       ResTable_type (0x0201)         { id, flags, entryCount, entriesStart,
//                                        ResTable_config } + entry offsets
//         ResTable_entry / ResTable_map_entry + Res_value / ResTable_map[]
//
// A resource id is 0xPPTTEEEE: package id, type id (1-based), entry index.
// All offsets and counts are untrusted; parsing is best effort and keeps
// every package/type that parsed, with anomalies for the rest.
#ifndef SHELFGUARD_ANALYZERS_ARSC_ARSC_PARSER_H_
#define SHELFGUARD_ANALYZERS_ARSC_ARSC_PARSER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "axml/axml_parser.h"
#include "shelfguard/facts.h"
#include "shelfguard/limits.h"
#include "shelfguard/status.h"

namespace shelfguard {

// The qualifiers of one ResTable_type. `is_default` is true when every
// qualifier byte is zero (the configuration used when nothing else matches).
struct ArscConfig {
  bool is_default = true;
  std::string language;   // "zh", "" when none
  std::string country;    // "CN", "" when none
  uint16_t density = 0;   // dpi, 0 when none
  uint16_t sdk_version = 0;
  std::string qualifiers; // aapt-style: "zh-rCN", "hdpi-v21", "" for default
};

struct ArscEntry {
  uint16_t index = 0;      // entry index within the type (EEEE)
  uint32_t key = 0;        // index into the package's key pool
  bool complex = false;    // a bag (style, array, plurals, ...)
  ResValue value;          // simple entries
  uint32_t parent = 0;     // complex: parent bag id
  // complex: its (name id, value) items are ArscTable::bags[bag_begin,
  // bag_begin + bag_size): one array for the table rather than one
  // allocation per bag (a large table has thousands of styles).
  uint32_t bag_begin = 0;
  uint32_t bag_size = 0;
};

struct ArscType {
  uint8_t id = 0;          // TT
  ArscConfig config;
  std::vector<ArscEntry> entries;  // sorted by index
};

struct ArscPackage {
  uint32_t id = 0;                    // PP
  std::string name;                   // e.g. com.example.app
  // Views into the owning ArscTable's string storage.
  std::vector<std::string_view> type_names;
  std::vector<std::string_view> key_names;
  std::vector<ArscType> types;        // every configuration of every type
};

// One string value of one configuration (for text searches).
struct ArscStringValue {
  uint32_t resource_id = 0;
  std::string name;        // "string/app_name" (or "array/foo" for bag items)
  std::string config;      // qualifiers, "" for the default configuration
  std::string_view value;  // valid for the duration of the call
};

// Move-only: the string views point into the table's own storage.
class ArscTable {
 public:
  std::vector<std::string_view> strings;   // global string pool
  std::vector<std::pair<uint32_t, ResValue>> bags;  // the items of every bag
  std::vector<ArscPackage> packages;
  std::vector<Anomaly> anomalies;
  bool truncated = false;

  // The entry for `resource_id` in the default configuration; when no
  // default-configuration entry exists, the best fallback (a configuration
  // without locale, then English, then any). `type_out` receives its type.
  const ArscEntry* Find(uint32_t resource_id, const ArscType** type_out = nullptr) const;
  // "type/key" ("string/app_name"), or "" when unknown.
  std::string ResourceName(uint32_t resource_id) const;
  // Follows references (up to kMaxReferenceDepth) to a non-reference value
  // in the default configuration. NotFound when a link is missing, Malformed
  // on a reference loop / depth cap.
  Result<ResValue> ResolveValue(ResValue value) const;
  // Resolves `resource_id` to a string: kTypeString values give the global
  // pool string; other scalar values are rendered with FormatResValue.
  Result<std::string> ResolveString(uint32_t resource_id) const;
  // Renders a value from the manifest: strings as-is, references resolved.
  Result<std::string> ValueToString(ResValue value, std::string_view raw = "") const;
  // Every string value of every configuration, simple entries and bag items.
  void ForEachString(const std::function<void(const ArscStringValue&)>& fn) const;
  // The (name id, value) items of a complex entry.
  std::span<const std::pair<uint32_t, ResValue>> Bag(const ArscEntry& e) const;

  // Index (package id << 8 | type id) -> (package index, type index) list;
  // built by ParseArsc.
  std::unordered_map<uint32_t, std::vector<std::pair<uint32_t, uint32_t>>> index_;
  // The bytes `strings`, type_names and key_names view (one block per pool).
  std::vector<std::unique_ptr<std::string>> storage_;
};

constexpr int kMaxReferenceDepth = 16;
constexpr uint32_t kMaxArscPackages = 256;

// Parses a resources.arsc. Fails (Malformed) only when no table header or
// no usable chunk at all could be read. Strings and entries count together
// against max_table_items; past it the table is cut (what was read kept,
// "arsc-over-limit" recorded once). `budget` may be null.
Result<ArscTable> ParseArsc(std::string_view data, Budget* budget);

}  // namespace shelfguard

#endif  // SHELFGUARD_ANALYZERS_ARSC_ARSC_PARSER_H_
