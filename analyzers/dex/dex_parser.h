// DEX parser: a bounded, best-effort reader of Dalvik executables.
//
// Follows the "Dalvik Executable format" specification (source.android.com,
// versions 035 to 041): header, string_ids (MUTF-8), type_ids, proto_ids,
// field_ids, method_ids, class_defs, class_data (ULEB128) and code items,
// plus a Dalvik instruction walk that records which strings code loads and
// which types, methods and fields code references.
//
// Untrusted input: every count and offset is checked against the bytes that
// exist (a table of N ids is truncated to what the file can hold) and against
// Budget::CheckCount; reservations never exceed what the remaining bytes
// could encode. Damage that leaves part of the file usable is recorded in
// anomalies() and parsing continues; only an unusable header is an error.
// A table over max_table_items is cut at the limit with a dex-over-limit
// anomaly (docs/architecture.md, "The parser contract").
//
// The DexFile holds views into the caller's bytes, which must outlive it.
#ifndef SHELFGUARD_ANALYZERS_DEX_DEX_PARSER_H_
#define SHELFGUARD_ANALYZERS_DEX_DEX_PARSER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/byte_reader.h"
#include "shelfguard/facts.h"
#include "shelfguard/limits.h"
#include "shelfguard/status.h"

namespace shelfguard::dex {

inline constexpr uint32_t kNoIndex = 0xffffffffu;  // NO_INDEX in the spec
inline constexpr size_t kHeaderSize = 0x70;        // header_item, versions 035-040

struct ParseOptions {
  // Decode code items (const-string, invoke-*, ...). Off: tables only.
  bool scan_code = true;
  // At most this many 16-bit code units are decoded in one method.
  uint32_t max_units_per_method = 1u << 20;
  // All methods together decode at most this many code units (0: 4 x the
  // file's size in code units, which a valid file never exceeds, since each
  // code item is decoded once per method that points at it).
  uint64_t max_units_total = 0;
};

struct ProtoId {
  uint32_t shorty_idx = kNoIndex;
  uint32_t return_type_idx = kNoIndex;
  uint32_t parameters_off = 0;
  friend bool operator==(const ProtoId&, const ProtoId&) = default;
};
struct FieldId {
  uint32_t class_idx = kNoIndex;  // u16 in the file
  uint32_t type_idx = kNoIndex;   // u16 in the file
  uint32_t name_idx = kNoIndex;
  friend bool operator==(const FieldId&, const FieldId&) = default;
};
struct MethodId {
  uint32_t class_idx = kNoIndex;  // u16 in the file
  uint32_t proto_idx = kNoIndex;  // u16 in the file
  uint32_t name_idx = kNoIndex;
  friend bool operator==(const MethodId&, const MethodId&) = default;
};
struct ClassDef {
  uint32_t class_idx = kNoIndex;
  uint32_t access_flags = 0;
  uint32_t superclass_idx = kNoIndex;
  uint32_t interfaces_off = 0;
  uint32_t source_file_idx = kNoIndex;
  uint32_t annotations_off = 0;
  uint32_t class_data_off = 0;
  uint32_t static_values_off = 0;
  friend bool operator==(const ClassDef&, const ClassDef&) = default;
};

// Per-id flags filled by the code walk.
enum RefFlag : uint8_t {
  kLoadedByCode = 1,     // string: loaded by const-string[/jumbo]
  kRefOutside = 2,       // type: referenced by code of a class in another package
  kRefAnywhere = 4,      // type: referenced by any code (own package included)
  kStructural = 8,       // string: a descriptor, member name, shorty or source file
  kHasDigit = 16,        // string: holds an ASCII digit ('0'..'9')
  kHasDot = 32,          // string: holds a '.'
};

class DexFile {
 public:
  // Parses `data`. Fails only when the header is unusable (no DEX magic,
  // too short, unsupported endianness); everything else is best effort.
  // `budget` may be null (no count limit beyond the bytes, no deadline).
  static Result<std::unique_ptr<DexFile>> Parse(std::string_view data, Budget* budget,
                                                const ParseOptions& options = {});

  int version() const { return version_; }  // 35..41, 0 when the digits are odd
  uint32_t declared_file_size() const { return declared_file_size_; }

  // UTF-8 text of every string id (MUTF-8 decoded; views into the input when
  // it is plain ASCII, otherwise into this object's arena).
  const std::vector<std::string_view>& strings() const { return strings_; }
  std::string_view String(uint32_t idx) const {
    return idx < strings_.size() ? strings_[idx] : std::string_view();
  }
  const std::vector<uint32_t>& type_string_idx() const { return types_; }
  // Descriptor of a type id ("Lcom/a/B;"), or "" when out of range.
  std::string_view TypeDescriptor(uint32_t type_idx) const {
    return type_idx < types_.size() ? String(types_[type_idx]) : std::string_view();
  }
  const std::vector<ProtoId>& protos() const { return protos_; }
  const std::vector<FieldId>& fields() const { return fields_; }
  const std::vector<MethodId>& methods() const { return methods_; }
  const std::vector<ClassDef>& classes() const { return classes_; }

  // Per string id: RefFlag bits (kLoadedByCode, kStructural, kHasDigit,
  // kHasDot; the last two found while the string is checked as it is read,
  // so that its consumers need not read it again to know).
  const std::vector<uint8_t>& string_flags() const { return string_flags_; }
  // Per type id: RefFlag bits (kRefOutside, kRefAnywhere).
  const std::vector<uint8_t>& type_flags() const { return type_flags_; }

  uint64_t methods_with_code() const { return methods_with_code_; }
  uint64_t units_decoded() const { return units_decoded_; }
  bool code_complete() const { return code_complete_; }  // every code item walked
  // What was wrong in part of the file (what is named was skipped or cut):
  // code dex-table-truncated, dex-bad-string, dex-over-limit, ...; location
  // the structure in the file ("header", "string_ids", "class_data", ...).
  const std::vector<Anomaly>& anomalies() const { return anomalies_; }

  // "Lcom/a/B$C;" -> "com.a.B$C" appended to `out`; other descriptors
  // (arrays, primitives) are appended unchanged.
  static void AppendDottedName(std::string_view descriptor, std::string* out);

 private:
  DexFile() = default;
  // The string_ids table, taken whole.
  void ParseStrings(const Record& ids);
  // The id sections named by the header (header_item, taken whole).
  void ParseTables(const Record& hdr);
  // The map list (header map_off): bounded, sorted, naming the header and
  // itself. A broken one is a problem: ART refuses such a file.
  void CheckMapList(uint32_t map_off);
  void ScanCode(const ParseOptions& options);
  void AddAnomaly(std::string code, std::string location, std::string detail);
  std::string_view DecodeMutf8(std::string_view in);

  std::string_view data_;
  const Budget* budget_ = nullptr;
  int version_ = 0;
  uint32_t declared_file_size_ = 0;
  std::vector<std::string_view> strings_;
  std::vector<uint32_t> types_;
  std::vector<ProtoId> protos_;
  std::vector<FieldId> fields_;
  std::vector<MethodId> methods_;
  std::vector<ClassDef> classes_;
  std::vector<uint8_t> string_flags_, type_flags_;
  uint64_t methods_with_code_ = 0;
  uint64_t units_decoded_ = 0;
  bool code_complete_ = true;
  std::vector<Anomaly> anomalies_;
  std::vector<std::unique_ptr<char[]>> arena_;  // decoded non-ASCII strings
  size_t arena_used_ = 0, arena_cap_ = 0;
};

}  // namespace shelfguard::dex

#endif  // SHELFGUARD_ANALYZERS_DEX_DEX_PARSER_H_
