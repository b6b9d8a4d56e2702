// Internals of the Mach-O parser, shared by its files: macho_parser.cc
// (universal container, entry point), macho_load_commands.cc (header, load
// commands, segments, code signature, symbol table, address translation),
// macho_objc.cc (strings and Objective-C metadata) and macho_code.cc (the
// code walk through analyzers/code and what its addresses name).
#ifndef SHELFGUARD_ANALYZERS_MACHO_MACHO_INTERNAL_H_
#define SHELFGUARD_ANALYZERS_MACHO_MACHO_INTERNAL_H_

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "code/code_refs.h"
#include "macho/macho_parser.h"
#include "shelfguard/byte_reader.h"

namespace shelfguard::macho::internal {

inline constexpr uint32_t kFatMagic = 0xcafebabe;
inline constexpr uint32_t kFatMagic64 = 0xcafebabf;
inline constexpr uint32_t kMhMagic = 0xfeedface;
inline constexpr uint32_t kMhMagic64 = 0xfeedfacf;
inline constexpr uint32_t kMhCigam = 0xcefaedfe;
inline constexpr uint32_t kMhCigam64 = 0xcffaedfe;

inline constexpr uint32_t kCpuArchAbi64 = 0x01000000;
inline constexpr uint32_t kCpuArchAbi64_32 = 0x02000000;
inline constexpr uint32_t kCpuTypeX86 = 7;
inline constexpr uint32_t kCpuTypeArm = 12;
inline constexpr uint32_t kCpuTypePowerPc = 18;

// Code-signing blob magics (cs_blobs.h).
inline constexpr uint32_t kCsEmbeddedSignature = 0xfade0cc0;
inline constexpr uint32_t kCsCodeDirectory = 0xfade0c02;
inline constexpr uint32_t kCsEntitlements = 0xfade7171;

// Section types / attributes (loader.h).
inline constexpr uint32_t kSectionTypeMask = 0xff;
inline constexpr uint32_t kSCstringLiterals = 0x2;
inline constexpr uint32_t kSAttrPureInstructions = 0x80000000;
inline constexpr uint32_t kSAttrSomeInstructions = 0x00000400;

// Named caps (beyond Budget::CheckCount) for structures that are small in
// any real binary.
inline constexpr uint32_t kMaxFatArchs = 32;
inline constexpr uint32_t kMaxLoadCommands = 16384;
inline constexpr uint32_t kMaxSections = 4096;
inline constexpr uint32_t kMaxBlobs = 64;
inline constexpr size_t kMaxCStringLen = 4096;
inline constexpr uint64_t kMaxEntitlementsBytes = 1 << 20;
inline constexpr uint64_t kMaxObjcClasses = 1u << 20;   // class_t addresses followed
inline constexpr uint64_t kMaxSelectorNames = 1u << 22;  // distinct selector names
inline constexpr uint64_t kMaxClassRefs = 1u << 22;      // classref/superref slots read

// Calls fn(offset, text) for each non-empty NUL-terminated string in `body`
// (a __cstring-like section); a last string without a terminator is not
// taken.
template <typename Fn>
void ForEachCString(std::string_view body, Fn fn) {
  size_t start = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\0') continue;
    if (i > start) fn(start, body.substr(start, i - start));
    start = i + 1;
  }
}

// Load-command numbers used here (loader.h).
inline constexpr uint32_t kLcReqDyld = 0x80000000;
inline constexpr uint32_t kLcSegment = 0x1;
inline constexpr uint32_t kLcSymtab = 0x2;
inline constexpr uint32_t kLcLoadDylib = 0xc;  // the other dylib commands: kDylibCommands below
inline constexpr uint32_t kLcIdDylib = 0xd;
inline constexpr uint32_t kLcSegment64 = 0x19;
inline constexpr uint32_t kLcCodeSignature = 0x1d;
inline constexpr uint32_t kLcEncryptionInfo = 0x21;
inline constexpr uint32_t kLcEncryptionInfo64 = 0x2c;
inline constexpr uint32_t kLcBuildVersion = 0x32;

// A load command and the name it gives what it declares.
struct NamedCommand {
  uint32_t cmd;
  const char* name;
};
// The load commands that link a library (loader.h: LC_LOAD_DYLIB,
// LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB, LC_LAZY_LOAD_DYLIB,
// LC_LOAD_UPWARD_DYLIB) and the kind each gives it (Dylib::kind). One table
// says both which commands are read as dylibs and what they are called.
inline constexpr NamedCommand kDylibCommands[] = {{kLcLoadDylib, "load"},
                                                  {0x18 | kLcReqDyld, "weak"},
                                                  {0x1f | kLcReqDyld, "reexport"},
                                                  {0x20, "lazy"},
                                                  {0x23 | kLcReqDyld, "upward"}};
// LC_VERSION_MIN_MACOSX, _IPHONEOS, _TVOS, _WATCHOS (loader.h) and the
// platform each names, for images older than LC_BUILD_VERSION.
inline constexpr NamedCommand kVersionMinCommands[] = {
    {0x24, "macos"}, {0x25, "ios"}, {0x2f, "tvos"}, {0x30, "watchos"}};

// The entry of `table` for load command `cmd`, or nullptr.
template <size_t N>
constexpr const NamedCommand* FindCommand(const NamedCommand (&table)[N], uint32_t cmd) {
  for (const NamedCommand& c : table) {
    if (c.cmd == cmd) return &c;
  }
  return nullptr;
}

// Classes defined in the image (from __objc_classlist or __objc_classname)
// and imported by symbol.
struct ObjcClasses {
  std::unordered_map<uint64_t, size_t> index;  // class_t address -> objc_classes index
  std::unordered_set<std::string_view> names;
  std::vector<uint64_t> addrs;  // class_t addresses from the class list
};

// Parses one thin image held in `r` (the slice's bytes). It is also the sink
// of the code walk: formed addresses go to refs_.
class SliceParser : private code::RefSink {
 public:
  SliceParser(ByteReader r, Slice* s, const ParseOptions& opt, Budget* budget)
      : r_(r), s_(s), opt_(opt), budget_(budget) {}

  Status ParseHeader();
  void ParseLoadCommands();
  void ParseDeep();

 private:
  // Damage in the structure `where` names; what parsed before it is kept.
  void Problem(std::string where, std::string detail) {
    s_->anomalies.push_back({"macho-malformed", std::move(where), std::move(detail)});
  }
  // A table cut at a limit (or a walk cut at the deadline).
  void OverLimit(std::string where, std::string detail) {
    s_->anomalies.push_back({"macho-over-limit", std::move(where), std::move(detail)});
  }
  uint64_t PointerSize() const { return s_->is64 ? 8 : 4; }
  // How many of the `n` items of table `what` to read: `n`, or
  // max_table_items (recorded as over the limit) when the budget caps it.
  uint64_t CapCount(std::string_view what, uint64_t n) {
    if (budget_ == nullptr) return n;
    Status st = budget_->CheckCount(what, n);
    if (st.ok()) return n;
    uint64_t cap = budget_->limits().max_table_items;
    OverLimit(std::string(what), st.message() + "; the first " + std::to_string(cap) + " kept");
    return cap;
  }
  // True (and recorded once) when the deadline passed while reading `what`.
  bool Expired(std::string_view what) {
    if (budget_ == nullptr || !budget_->Expired()) return false;
    OverLimit(std::string(what), "deadline passed; what was read before it is kept");
    return true;
  }
  void ParseLoadCommand(const std::string& where, uint32_t type, ByteReader c);
  void ParseSegment(ByteReader cmd, bool is64);
  void ParseCodeSignature(uint32_t dataoff, uint32_t datasize);
  void ParseSymtab();
  std::optional<uint64_t> VmToOff(uint64_t addr) const;
  std::optional<uint64_t> ReadPtrAt(uint64_t addr) const;
  std::optional<uint64_t> DecodePtr(uint64_t raw) const;
  std::optional<std::string_view> StringAtVm(uint64_t addr) const;
  const Section* FindSection(std::string_view seg, std::string_view sect) const;
  void CollectStrings();
  // Objective-C metadata (macho_objc.cc), in the order CollectObjc runs them.
  void CollectObjc();
  std::unordered_set<uint64_t> CollectSelectorRefs();
  void CollectMethodNameSection(const std::unordered_set<uint64_t>& seen_sel);
  void CollectDefinedClasses(ObjcClasses* classes);
  void CollectClassMethodNames(const std::vector<uint64_t>& class_addrs);
  void CollectMethodList(uint64_t ro, std::unordered_set<std::string_view>* sel_names);
  void CollectImportedClasses(ObjcClasses* classes);
  void MarkReferencedClasses(const ObjcClasses& classes);
  std::optional<uint64_t> ClassRo(uint64_t cls) const;
  void ResolveReferences();
  void Address(uint64_t pc, uint64_t a) override;
  std::string_view BytesAt(uint64_t a, uint64_t n) const override;

  ByteReader r_;
  Slice* s_;
  const ParseOptions& opt_;
  Budget* budget_;
  uint32_t header_size_ = 0;
  uint32_t sizeofcmds_ = 0;
  uint32_t symoff_ = 0, nsyms_ = 0, stroff_ = 0, strsize_ = 0;
  bool has_symtab_ = false;
  std::unordered_set<uint64_t> refs_;  // addresses code references
  uint64_t mapped_lo_ = UINT64_MAX, mapped_hi_ = 0;  // span of the segments
  std::unordered_map<uint64_t, uint64_t> cfstring_target_;  // CFString struct -> chars
};

// Parses the thin image `bytes` (at `offset` in the file) into `out`.
Status ParseThin(std::string_view bytes, uint64_t offset, bool deep, const ParseOptions& opt,
                 Budget* budget, Slice* out);

}  // namespace shelfguard::macho::internal

#endif  // SHELFGUARD_ANALYZERS_MACHO_MACHO_INTERNAL_H_
