// Mach-O parser: thin and universal (fat, fat64) images, 32- and 64-bit.
//
// Layouts follow Apple's <mach-o/loader.h>, <mach-o/fat.h>, <mach-o/nlist.h>,
// the code-signing blob formats of <Kernel/kern/cs_blobs.h> and the
// Objective-C runtime's class_t / class_ro_t (objc4 objc-runtime-new.h).
// Every offset, size and count comes from untrusted bytes: reads go through
// ByteReader (fixed-size records taken whole as shelfguard::Record), loops
// are capped by the bytes that could hold the items and by named limits, and
// a broken structure becomes an Anomaly ("macho-malformed") while everything
// that parsed before it is kept. A table over a kMax... constant or
// Limits::max_table_items is cut at the limit and recorded as
// "macho-over-limit" (docs/architecture.md, the parser contract).
//
// Views (std::string_view) in the result point into the caller's buffer,
// which must outlive the result.
#ifndef SHELFGUARD_ANALYZERS_MACHO_MACHO_PARSER_H_
#define SHELFGUARD_ANALYZERS_MACHO_MACHO_PARSER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/facts.h"
#include "shelfguard/limits.h"
#include "shelfguard/status.h"

namespace shelfguard::macho {

struct Section {
  std::string segname, sectname;
  uint64_t addr = 0, size = 0;
  uint32_t offset = 0;  // file offset within the slice
  uint32_t flags = 0;
};

struct Segment {
  std::string name;
  uint64_t vmaddr = 0, vmsize = 0, fileoff = 0, filesize = 0;
};

struct Dylib {
  std::string path;
  uint32_t cmd = 0;  // one of internal::kDylibCommands (macho_internal.h)
  const char* kind() const;  // "load" | "weak" | "reexport" | "lazy" | "upward"
};

// A string from the binary and whether code was seen referencing it.
struct StringRef {
  std::string_view text;
  uint64_t addr = 0;
  bool referenced = false;
};

struct Slice {
  std::string arch;  // llvm-objdump spelling: arm64, armv7, armv7s, x86_64, i386 ...
  uint32_t cputype = 0, cpusubtype = 0, filetype = 0;
  bool is64 = false;
  uint64_t offset = 0, size = 0;  // within the file
  uint32_t ncmds = 0;
  std::vector<Segment> segments;
  std::vector<Section> sections;
  std::vector<Dylib> dylibs;  // load/weak/reexport/lazy/upward, in order
  std::string id_dylib;       // LC_ID_DYLIB of a dylib/framework
  bool has_encryption_info = false;
  uint32_t cryptid = 0, cryptoff = 0, cryptsize = 0;
  std::string platform;  // ios | macos | tvos | watchos | ... (LC_BUILD_VERSION / VERSION_MIN)
  std::string min_os;    // "12.0"
  bool has_code_signature = false;
  std::string entitlements;      // XML plist from the 0xfade7171 blob
  std::string signing_id, team_id;  // from the CodeDirectory
  std::vector<std::string_view> imported_symbols, exported_symbols;
  // Filled only when the slice is analysed in depth (ParseOptions::deep).
  std::vector<std::string_view> objc_classes;  // defined (classlist) + imported _OBJC_CLASS_$_
  std::vector<bool> objc_class_referenced;
  std::vector<StringRef> selectors;  // __objc_methname / __objc_selrefs
  std::vector<StringRef> cstrings;   // __cstring (+ CFString contents)
  bool disassembled = false;         // code was walked for references (analyzers/code)
  uint64_t instructions = 0;
  // "macho-malformed" (damage; location names the structure) and
  // "macho-over-limit" (a table cut at a limit, a walk cut at the deadline).
  std::vector<Anomaly> anomalies;
};

struct ParseOptions {
  // Parse symbol tables, Objective-C metadata, strings and resolve code
  // references for the preferred slice (the first arm64, else the first).
  bool deep = true;
  bool disassemble = true;
  uint64_t max_code_bytes = 64ull << 20;  // text bytes disassembled per slice
};

struct File {
  bool fat = false;
  bool fat64 = false;
  std::vector<Slice> slices;
  int deep_slice = -1;  // index of the slice analysed in depth
  std::vector<Anomaly> anomalies;  // of the universal container
};

// True when `data` starts with a Mach-O or universal magic.
bool LooksLikeMachO(std::string_view data);

// Parses `data`. Fails (Status::Malformed, or Unsupported for a big-endian
// image) only when nothing could be parsed (bad magic, header truncated);
// otherwise returns what parsed with anomalies recorded. `budget` may be
// null (no table-count / deadline checks).
Result<File> Parse(std::string_view data, Budget* budget, const ParseOptions& options = {});

// "arm64" etc. for a (cputype, cpusubtype) pair.
std::string ArchName(uint32_t cputype, uint32_t cpusubtype);

}  // namespace shelfguard::macho

#endif  // SHELFGUARD_ANALYZERS_MACHO_MACHO_PARSER_H_
