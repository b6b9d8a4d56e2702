// Ark bytecode (.abc, "panda file") reader: header, version and the string
// area, from which module references are picked out.
//
// Layout facts used (arkcompiler runtime_core, libpandafile/file.h): the
// file starts with the magic "PANDA\0\0\0", a 32-bit checksum (bytes 8-11),
// the 4-byte version (12-15, e.g. 13.0.1.0), then little-endian u32
// file_size, foreign_off, foreign_size, num_classes, class_idx_off, ...
// A string is a ULEB128 header ((utf16_length << 1) | is_ascii) followed by
// MUTF-8 bytes and a NUL. Strings are referenced from code by offset, not
// kept in one table, so the reader walks the file for well-formed string
// records (header, length and terminator must agree), which is what the
// string and literal areas hold.
#ifndef SHELFGUARD_ANALYZERS_HAP_ABC_READER_H_
#define SHELFGUARD_ANALYZERS_HAP_ABC_READER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/facts.h"
#include "shelfguard/limits.h"
#include "shelfguard/status.h"

namespace shelfguard::abc {

struct AbcFile {
  std::string version;       // "13.0.1.0"
  uint32_t declared_size = 0;
  uint32_t num_classes = 0;
  bool size_mismatch = false;  // declared file_size differs from the bytes
  bool truncated = false;      // string cap reached (an abc-over-limit anomaly says which)
  std::vector<std::string_view> strings;  // views into the input bytes
  std::vector<std::string_view> module_references;  // subset of strings, deduplicated
  std::vector<Anomaly> anomalies;  // "abc-over-limit": the string table cut at a cap
};

// True when `bytes` starts with the Ark magic.
bool IsAbc(std::string_view bytes);

// Parses `bytes` (which must outlive the result). Errors: not an .abc,
// header truncated, the budget's deadline. More strings than kMaxStrings
// (abc_reader.cc) or max_table_items: the first are kept and the cut
// recorded.
Result<AbcFile> ParseAbc(std::string_view bytes, Budget* budget);

// A module request string as written by the ArkTS compiler ("@ohos:router",
// "@ohos.router", "@system.app", "@normalized:N&&&@pkg/x/Index&1.0.0",
// "@package:pkg_modules/.ohpm/...", "@hms:core.account", "@bundle:...",
// "@kit.AbilityKit", "@native:...", "@app:..."); class descriptors
// "L@ohos.app;" are accepted without the L...; wrapper.
bool IsModuleReference(std::string_view s);
// The package a module reference names, as ohpm and the SDK spell it:
// "@normalized:N&&&@ohos/axios/Index&2.2.0" -> "@ohos/axios",
// "@package:pkg_modules/.ohpm/@ohos+axios@2.2.0/pkg_modules/@ohos/axios/..." -> "@ohos/axios",
// "@ohos:router" -> "@ohos.router", "@hms:core.account" -> "@hms.core.account",
// "@kit.AbilityKit" -> "@kit.AbilityKit". Empty for the app's own files.
std::string ModulePackage(std::string_view ref);

}  // namespace shelfguard::abc

#endif  // SHELFGUARD_ANALYZERS_HAP_ABC_READER_H_
