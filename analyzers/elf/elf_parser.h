// ELF parser for Android native libraries (lib/<abi>/*.so): a bounded,
// best-effort reader of the header, section and program headers, the dynamic
// section (DT_NEEDED, DT_SONAME), dynamic symbols (.dynsym/.dynstr),
// relocations that bind GOT slots to symbols, and printable strings of
// read-only data sections. 32/64-bit, little/big endian (System V gABI).
//
// FindCodeReferences() then walks executable sections (ARM64 and ARM32/Thumb
// by direct decoding of the few instruction classes that form addresses,
// x86-64 with Capstone) to decide which strings and imported symbols code
// actually references.
//
// Untrusted input: counts and offsets are checked against the bytes present,
// Budget::CheckCount and named kMax limits; a table is cut to what fits and
// to the limit, and the cut recorded in anomalies() (docs/architecture.md,
// "The parser contract"). The ElfFile holds views into the caller's bytes.
#ifndef SHELFGUARD_ANALYZERS_ELF_ELF_PARSER_H_
#define SHELFGUARD_ANALYZERS_ELF_ELF_PARSER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shelfguard/facts.h"
#include "shelfguard/limits.h"
#include "shelfguard/status.h"

namespace shelfguard::elf {

// e_machine values (gABI / processor supplements).
inline constexpr uint16_t kEmX86 = 3;
inline constexpr uint16_t kEmMips = 8;
inline constexpr uint16_t kEmArm = 40;
inline constexpr uint16_t kEmX86_64 = 62;
inline constexpr uint16_t kEmAarch64 = 183;

// Section flags / types used here.
inline constexpr uint64_t kShfWrite = 1, kShfAlloc = 2, kShfExecInstr = 4;

struct Section {
  std::string_view name;
  uint32_t type = 0;
  uint64_t flags = 0, addr = 0, offset = 0, size = 0;
  uint32_t link = 0, info = 0;
  uint64_t entsize = 0;
};

struct Segment {  // program header
  uint32_t type = 0, flags = 0;
  uint64_t offset = 0, vaddr = 0, filesz = 0, memsz = 0;
};

struct Symbol {
  std::string_view name;
  uint64_t value = 0, size = 0;
  uint8_t type = 0, bind = 0;
  uint16_t shndx = 0;
  bool undefined() const { return shndx == 0; }  // SHN_UNDEF: imported
  friend bool operator==(const Symbol&, const Symbol&) = default;
};

struct RoString {
  std::string_view text;  // printable run, UTF-8 allowed; a view into the file
  uint64_t vaddr = 0;     // address of its first byte when loaded
  friend bool operator==(const RoString&, const RoString&) = default;
};

struct ParseOptions {
  size_t min_string_length = 4;  // shortest printable run kept
};

class ElfFile {
 public:
  // Fails only when the identification or header is unusable.
  static Result<std::unique_ptr<ElfFile>> Parse(std::string_view data, Budget* budget,
                                                const ParseOptions& options = {});

  bool is64() const { return is64_; }
  bool big_endian() const { return big_endian_; }
  uint16_t machine() const { return machine_; }
  // "arm64", "arm", "x86", "x86_64", "mips", "mips64", or "machine-<n>".
  std::string arch() const;

  const std::vector<Section>& sections() const { return sections_; }
  const std::vector<Segment>& segments() const { return segments_; }
  const std::vector<Symbol>& dynamic_symbols() const { return dynsym_; }
  const std::vector<std::string_view>& needed() const { return needed_; }
  std::string_view soname() const { return soname_; }
  const std::vector<RoString>& strings() const { return strings_; }
  // GOT slot / data word address -> dynamic symbol index, from relocations.
  const std::unordered_map<uint64_t, uint32_t>& reloc_slots() const { return reloc_slots_; }
  // What was wrong in part of the file (what is named was skipped or cut):
  // code elf-table-truncated, elf-bad-section-headers, elf-over-limit, ...;
  // location the structure ("header", "program headers", ".dynsym", ...).
  const std::vector<Anomaly>& anomalies() const { return anomalies_; }
  std::string_view data() const { return data_; }

  // File bytes backing [vaddr, vaddr + n) through PT_LOAD segments or,
  // failing that, allocated sections; empty when unmapped.
  std::string_view BytesAtAddress(uint64_t vaddr, uint64_t n) const;

 private:
  ElfFile() = default;
  void AddAnomaly(std::string code, std::string location, std::string detail);
  // How many of a table's items to read, each cut an anomaly naming `what`
  // (what was read before it is kept): no more than the entries of
  // `entsize` bytes from `off` that the file holds (elf-table-truncated);
  // than `limit`, a kMax constant (elf-over-limit); than max_table_items
  // (Budget::CheckCount, elf-over-limit), for the tables counted against
  // the budget.
  uint64_t Fit(const std::string& what, uint64_t declared, uint64_t off, uint64_t entsize);
  uint64_t Limit(const std::string& what, uint64_t n, uint64_t limit);
  uint64_t Counted(const std::string& what, uint64_t n);
  // File offset of [vaddr, vaddr + n) (see BytesAtAddress), or nullopt.
  std::optional<uint64_t> OffsetOfAddress(uint64_t vaddr, uint64_t n) const;
  void ParseSections();
  void ParseSegments();
  void ParseDynamic();
  void ParseDynsym();
  void ParseRelocations();
  void ParseStrings(const ParseOptions& options);

  std::string_view data_;
  const Budget* budget_ = nullptr;
  bool is64_ = false, big_endian_ = false;
  uint16_t machine_ = 0;
  uint64_t shoff_ = 0, phoff_ = 0;
  uint32_t shentsize_ = 0, phentsize_ = 0, shnum_ = 0, phnum_ = 0, shstrndx_ = 0;
  std::vector<Section> sections_;
  std::vector<Segment> segments_;
  std::vector<Symbol> dynsym_;
  std::vector<std::string_view> needed_;
  std::string_view soname_;
  std::vector<RoString> strings_;
  std::unordered_map<uint64_t, uint32_t> reloc_slots_;
  std::vector<Anomaly> anomalies_;
  int dynsym_section_ = -1;
  uint64_t dt_symtab_ = 0, dt_strtab_ = 0, dt_strsz_ = 0, dt_hash_ = 0, dt_gnu_hash_ = 0;
  // Number of dynamic symbols implied by the DT_GNU_HASH table (0: unknown).
  uint64_t GnuHashSymbolCount();
};

struct CodeRefOptions {
  uint64_t max_code_bytes = 64ull << 20;       // per library, direct decoding (ARM64, ARM32/Thumb)
  uint64_t max_capstone_bytes = 24ull << 20;   // per library, Capstone (x86-64, reference ARM walk)
  // Walk ARM32/Thumb with Capstone instead of the direct decoder. Slow (an
  // order of magnitude); kept as the reference the direct decoder is tested
  // against.
  bool capstone_arm = false;
};

struct CodeRefs {
  bool analysed = false;      // the architecture is supported and code was walked
  bool complete = false;      // every executable byte was walked
  std::vector<bool> string_referenced;  // parallel to ElfFile::strings()
  std::vector<bool> symbol_referenced;  // parallel to ElfFile::dynamic_symbols()
  uint64_t bytes_walked = 0, instructions = 0;
  std::string note;           // why not analysed / not complete
};

// Decides which strings and imported symbols code references (see the file
// comment). Bounded by `options` and the budget's deadline.
CodeRefs FindCodeReferences(const ElfFile& elf, const Budget* budget,
                            const CodeRefOptions& options = {});

}  // namespace shelfguard::elf

#endif  // SHELFGUARD_ANALYZERS_ELF_ELF_PARSER_H_
