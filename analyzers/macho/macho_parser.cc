#include "macho/macho_parser.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "code/code_refs.h"
#include "shelfguard/byte_reader.h"

namespace shelfguard::macho {
namespace {

constexpr uint32_t kFatMagic = 0xcafebabe;
constexpr uint32_t kFatMagic64 = 0xcafebabf;
constexpr uint32_t kMhMagic = 0xfeedface;
constexpr uint32_t kMhMagic64 = 0xfeedfacf;
constexpr uint32_t kMhCigam = 0xcefaedfe;
constexpr uint32_t kMhCigam64 = 0xcffaedfe;

constexpr uint32_t kCpuArchAbi64 = 0x01000000;
constexpr uint32_t kCpuArchAbi64_32 = 0x02000000;
constexpr uint32_t kCpuTypeX86 = 7;
constexpr uint32_t kCpuTypeArm = 12;
constexpr uint32_t kCpuTypePowerPc = 18;

// Code-signing blob magics (cs_blobs.h).
constexpr uint32_t kCsEmbeddedSignature = 0xfade0cc0;
constexpr uint32_t kCsCodeDirectory = 0xfade0c02;
constexpr uint32_t kCsEntitlements = 0xfade7171;

// Section types / attributes (loader.h).
constexpr uint32_t kSectionTypeMask = 0xff;
constexpr uint32_t kSCstringLiterals = 0x2;
constexpr uint32_t kSAttrPureInstructions = 0x80000000;
constexpr uint32_t kSAttrSomeInstructions = 0x00000400;

std::string FixedName(std::string_view raw) {
  size_t n = raw.find('\0');
  return std::string(raw.substr(0, n));
}

std::string VersionString(uint32_t v) {
  // xxxx.yy.zz nibble-packed; the patch level is shown only when non-zero.
  std::string s = std::to_string(v >> 16) + "." + std::to_string((v >> 8) & 0xff);
  if ((v & 0xff) != 0) s += "." + std::to_string(v & 0xff);
  return s;
}

const char* PlatformName(uint32_t p) {
  switch (p) {
    case 1: return "macos";
    case 2: return "ios";
    case 3: return "tvos";
    case 4: return "watchos";
    case 5: return "bridgeos";
    case 6: return "maccatalyst";
    case 7: return "iossimulator";
    case 8: return "tvossimulator";
    case 9: return "watchossimulator";
    case 10: return "driverkit";
    default: return "unknown";
  }
}

bool IsDylibCmd(uint32_t cmd) {
  return cmd == kLcLoadDylib || cmd == kLcLoadWeakDylib || cmd == kLcReexportDylib ||
         cmd == kLcLazyLoadDylib || cmd == kLcLoadUpwardDylib;
}

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
  void Problem(std::string msg) { s_->problems.push_back(std::move(msg)); }
  bool CountOk(std::string_view what, uint64_t n) {
    if (budget_ == nullptr) return true;
    Status st = budget_->CheckCount(what, n);
    if (!st.ok()) {
      Problem(st.message());
      return false;
    }
    return true;
  }
  void ParseSegment(ByteReader cmd, bool is64);
  void ParseCodeSignature(uint32_t dataoff, uint32_t datasize);
  void ParseSymtab();
  std::optional<uint64_t> VmToOff(uint64_t addr) const;
  std::optional<uint64_t> ReadPtrAt(uint64_t addr) const;
  std::optional<uint64_t> DecodePtr(uint64_t raw) const;
  std::optional<std::string_view> StringAtVm(uint64_t addr) const;
  const Section* FindSection(std::string_view seg, std::string_view sect) const;
  void CollectStrings();
  void CollectObjc();
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

Status SliceParser::ParseHeader() {
  uint32_t magic = 0;
  if (!r_.PeekLEAt(0, &magic)) return Status::Malformed("Mach-O header truncated");
  if (magic == kMhCigam || magic == kMhCigam64)
    return Status::Unsupported("big-endian Mach-O (PowerPC) is not analysed");
  if (magic != kMhMagic && magic != kMhMagic64) return Status::Malformed("not a Mach-O image");
  s_->is64 = magic == kMhMagic64;
  header_size_ = s_->is64 ? 32 : 28;
  if (r_.size() < header_size_) return Status::Malformed("Mach-O header truncated");
  s_->cputype = *r_.LEAt<uint32_t>(4);
  s_->cpusubtype = *r_.LEAt<uint32_t>(8);
  s_->filetype = *r_.LEAt<uint32_t>(12);
  s_->ncmds = *r_.LEAt<uint32_t>(16);
  sizeofcmds_ = *r_.LEAt<uint32_t>(20);
  s_->arch = ArchName(s_->cputype, s_->cpusubtype);
  return Status::Ok();
}

void SliceParser::ParseLoadCommands() {
  uint64_t avail = r_.size() - header_size_;
  uint64_t area = sizeofcmds_;
  if (area > avail) {
    Problem("sizeofcmds " + std::to_string(sizeofcmds_) + " runs past the end of the image (" +
            std::to_string(avail) + " bytes after the header)");
    area = avail;
  }
  ByteReader cmds = *r_.Sub(header_size_, area);
  uint32_t ncmds = s_->ncmds;
  // Each command is at least 8 bytes: a count beyond that cannot be honoured.
  if (ncmds > area / 8 || ncmds > kMaxLoadCommands) {
    Problem("ncmds " + std::to_string(ncmds) + " cannot fit in " + std::to_string(area) +
            " bytes of load commands");
    ncmds = static_cast<uint32_t>(std::min<uint64_t>(area / 8, kMaxLoadCommands));
  }
  uint64_t off = 0;
  for (uint32_t i = 0; i < ncmds; ++i) {
    auto cmd = cmds.LEAt<uint32_t>(off);
    auto cmdsize = cmds.LEAt<uint32_t>(off + 4);
    if (!cmd || !cmdsize) {
      Problem("load command " + std::to_string(i) + " truncated");
      break;
    }
    if (*cmdsize < 8 || !InRange(off, *cmdsize, cmds.size())) {
      Problem("load command " + std::to_string(i) + " (0x" + std::to_string(*cmd) +
              ") has cmdsize " + std::to_string(*cmdsize) + " outside the load-command area");
      break;
    }
    ByteReader c = *cmds.Sub(off, *cmdsize);
    off += *cmdsize;
    uint32_t type = *cmd;
    if (type == kLcSegment || type == kLcSegment64) {
      ParseSegment(c, type == kLcSegment64);
    } else if (IsDylibCmd(type) || type == kLcIdDylib) {
      auto name_off = c.LEAt<uint32_t>(8);
      std::optional<std::string_view> name;
      if (name_off) name = c.CStringAt(*name_off, c.size());
      if (!name && name_off && *name_off < c.size()) {
        // No terminator inside the command: take the rest of it.
        name = c.BytesAt(*name_off, c.size() - *name_off);
      }
      if (!name) {
        Problem("load command " + std::to_string(i) + ": dylib name offset out of range");
        continue;
      }
      if (type == kLcIdDylib) {
        s_->id_dylib = std::string(*name);
      } else {
        s_->dylibs.push_back({std::string(*name), type});
      }
    } else if (type == kLcEncryptionInfo || type == kLcEncryptionInfo64) {
      auto cryptoff = c.LEAt<uint32_t>(8), cryptsize = c.LEAt<uint32_t>(12),
           cryptid = c.LEAt<uint32_t>(16);
      if (!cryptid) {
        Problem("LC_ENCRYPTION_INFO truncated");
        continue;
      }
      s_->has_encryption_info = true;
      s_->cryptoff = *cryptoff;
      s_->cryptsize = *cryptsize;
      s_->cryptid = *cryptid;
    } else if (type == kLcCodeSignature) {
      auto dataoff = c.LEAt<uint32_t>(8), datasize = c.LEAt<uint32_t>(12);
      if (!datasize) {
        Problem("LC_CODE_SIGNATURE truncated");
        continue;
      }
      s_->has_code_signature = true;
      ParseCodeSignature(*dataoff, *datasize);
    } else if (type == kLcBuildVersion) {
      auto platform = c.LEAt<uint32_t>(8), minos = c.LEAt<uint32_t>(12);
      if (!minos) {
        Problem("LC_BUILD_VERSION truncated");
        continue;
      }
      s_->platform = PlatformName(*platform);
      s_->min_os = VersionString(*minos);
    } else if (type == kLcVersionMinIphoneos || type == kLcVersionMinMacosx ||
               type == kLcVersionMinTvos || type == kLcVersionMinWatchos) {
      auto v = c.LEAt<uint32_t>(8);
      if (!v) continue;
      s_->platform = type == kLcVersionMinIphoneos ? "ios"
                     : type == kLcVersionMinMacosx ? "macos"
                     : type == kLcVersionMinTvos   ? "tvos"
                                                   : "watchos";
      s_->min_os = VersionString(*v);
    } else if (type == kLcSymtab) {
      auto a = c.LEAt<uint32_t>(8), b = c.LEAt<uint32_t>(12), d = c.LEAt<uint32_t>(16),
           e = c.LEAt<uint32_t>(20);
      if (!e) {
        Problem("LC_SYMTAB truncated");
        continue;
      }
      has_symtab_ = true;
      symoff_ = *a;
      nsyms_ = *b;
      stroff_ = *d;
      strsize_ = *e;
    }
  }
}

void SliceParser::ParseSegment(ByteReader c, bool is64) {
  Segment seg;
  uint64_t hdr = is64 ? 72 : 56, secsize = is64 ? 80 : 68;
  if (c.size() < hdr) {
    Problem("segment command truncated");
    return;
  }
  seg.name = FixedName(*c.BytesAt(8, 16));
  uint32_t nsects;
  if (is64) {
    seg.vmaddr = *c.LEAt<uint64_t>(24);
    seg.vmsize = *c.LEAt<uint64_t>(32);
    seg.fileoff = *c.LEAt<uint64_t>(40);
    seg.filesize = *c.LEAt<uint64_t>(48);
    nsects = *c.LEAt<uint32_t>(64);
  } else {
    seg.vmaddr = *c.LEAt<uint32_t>(24);
    seg.vmsize = *c.LEAt<uint32_t>(28);
    seg.fileoff = *c.LEAt<uint32_t>(32);
    seg.filesize = *c.LEAt<uint32_t>(36);
    nsects = *c.LEAt<uint32_t>(48);
  }
  if (!InRange(seg.fileoff, seg.filesize, r_.size())) {
    Problem("segment " + seg.name + " file range runs past the end of the image");
  }
  uint64_t fit = (c.size() - hdr) / secsize;
  if (nsects > fit) {
    Problem("segment " + seg.name + " declares " + std::to_string(nsects) +
            " sections but its command holds " + std::to_string(fit));
    nsects = static_cast<uint32_t>(fit);
  }
  s_->segments.push_back(seg);
  for (uint32_t i = 0; i < nsects && s_->sections.size() < kMaxSections; ++i) {
    uint64_t o = hdr + i * secsize;
    Section sec;
    sec.sectname = FixedName(*c.BytesAt(o, 16));
    sec.segname = FixedName(*c.BytesAt(o + 16, 16));
    if (is64) {
      sec.addr = *c.LEAt<uint64_t>(o + 32);
      sec.size = *c.LEAt<uint64_t>(o + 40);
      sec.offset = *c.LEAt<uint32_t>(o + 48);
      sec.flags = *c.LEAt<uint32_t>(o + 64);
    } else {
      sec.addr = *c.LEAt<uint32_t>(o + 32);
      sec.size = *c.LEAt<uint32_t>(o + 36);
      sec.offset = *c.LEAt<uint32_t>(o + 40);
      sec.flags = *c.LEAt<uint32_t>(o + 56);
    }
    s_->sections.push_back(std::move(sec));
  }
}

void SliceParser::ParseCodeSignature(uint32_t dataoff, uint32_t datasize) {
  auto sb = r_.Sub(dataoff, datasize);
  if (!sb) {
    Problem("code signature at " + std::to_string(dataoff) + "+" + std::to_string(datasize) +
            " runs past the end of the image");
    // Keep what is there: a truncated signature may still hold the blobs.
    if (dataoff >= r_.size()) return;
    sb = r_.Sub(dataoff, r_.size() - dataoff);
  }
  auto magic = sb->BEAt<uint32_t>(0), count = sb->BEAt<uint32_t>(8);
  if (!count || *magic != kCsEmbeddedSignature) {
    Problem("code signature is not an embedded-signature SuperBlob");
    return;
  }
  uint32_t n = std::min<uint32_t>(*count, kMaxBlobs);
  if (n > (sb->size() - 12) / 8) n = static_cast<uint32_t>((sb->size() - 12) / 8);
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t off = *sb->BEAt<uint32_t>(12 + 8 * i + 4);
    auto bmagic = sb->BEAt<uint32_t>(off), blen = sb->BEAt<uint32_t>(off + 4);
    if (!blen || *blen < 8 || !InRange(off, *blen, sb->size())) {
      Problem("code-signing blob " + std::to_string(i) + " out of range");
      continue;
    }
    ByteReader blob = *sb->Sub(off, *blen);
    if (*bmagic == kCsEntitlements) {
      if (*blen - 8 > kMaxEntitlementsBytes) {
        Problem("entitlements blob over " + std::to_string(kMaxEntitlementsBytes) + " bytes");
        continue;
      }
      s_->entitlements = std::string(*blob.BytesAt(8, *blen - 8));
    } else if (*bmagic == kCsCodeDirectory && s_->signing_id.empty()) {
      auto version = blob.BEAt<uint32_t>(8), ident = blob.BEAt<uint32_t>(20);
      if (ident) {
        if (auto id = blob.CStringAt(*ident, 1024)) s_->signing_id = std::string(*id);
      }
      // teamOffset exists from CodeDirectory version 0x20200 on.
      if (version && *version >= 0x20200) {
        if (auto team_off = blob.BEAt<uint32_t>(48); team_off && *team_off != 0) {
          if (auto t = blob.CStringAt(*team_off, 256)) s_->team_id = std::string(*t);
        }
      }
    }
  }
}

void SliceParser::ParseSymtab() {
  if (!has_symtab_) return;
  auto strtab = r_.Sub(stroff_, strsize_);
  if (!strtab) {
    Problem("symbol string table runs past the end of the image");
    if (stroff_ >= r_.size()) return;
    strtab = r_.Sub(stroff_, r_.size() - stroff_);
  }
  uint64_t entsize = s_->is64 ? 16 : 12;
  if (symoff_ > r_.size()) {
    Problem("symbol table offset past the end of the image");
    return;
  }
  uint64_t fit = (r_.size() - symoff_) / entsize;
  uint64_t n = nsyms_;
  if (n > fit) {
    Problem("nsyms " + std::to_string(nsyms_) + " runs past the end of the image; " +
            std::to_string(fit) + " read");
    n = fit;
  }
  if (!CountOk("Mach-O symbols", n)) return;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t o = symoff_ + i * entsize;
    uint32_t strx = *r_.LEAt<uint32_t>(o);
    uint8_t type = *r_.LEAt<uint8_t>(o + 4);
    if ((type & 0xe0) != 0) continue;  // N_STAB debugging entries
    auto name = strtab->CStringAt(strx, kMaxCStringLen);
    if (!name || name->empty()) continue;
    bool ext = (type & 0x01) != 0;
    uint8_t kind = type & 0x0e;
    if (kind == 0x0 && ext) {
      s_->imported_symbols.push_back(*name);
    } else if (ext && kind != 0x0) {
      s_->exported_symbols.push_back(*name);
    }
  }
}

std::optional<uint64_t> SliceParser::VmToOff(uint64_t addr) const {
  for (const auto& seg : s_->segments) {
    if (addr >= seg.vmaddr && addr - seg.vmaddr < seg.filesize) {
      uint64_t off = seg.fileoff + (addr - seg.vmaddr);
      if (off < r_.size()) return off;
    }
  }
  return std::nullopt;
}

std::optional<uint64_t> SliceParser::DecodePtr(uint64_t raw) const {
  if (raw != 0 && VmToOff(raw)) return raw;
  // Chained fixups (dyld_chained_ptr_64 rebase): the target is in the low 36
  // bits, either a vm address or an offset from the image's base.
  uint64_t target = raw & 0xFFFFFFFFFull;
  if (target != 0 && VmToOff(target)) return target;
  for (const auto& seg : s_->segments) {
    if (seg.name == "__TEXT") {
      uint64_t t = seg.vmaddr + target;
      if (VmToOff(t)) return t;
    }
  }
  return std::nullopt;
}

std::optional<uint64_t> SliceParser::ReadPtrAt(uint64_t addr) const {
  auto off = VmToOff(addr);
  if (!off) return std::nullopt;
  if (s_->is64) return r_.LEAt<uint64_t>(*off);
  auto v = r_.LEAt<uint32_t>(*off);
  if (!v) return std::nullopt;
  return uint64_t{*v};
}

std::optional<std::string_view> SliceParser::StringAtVm(uint64_t addr) const {
  auto off = VmToOff(addr);
  if (!off) return std::nullopt;
  return r_.CStringAt(*off, kMaxCStringLen);
}

const Section* SliceParser::FindSection(std::string_view seg, std::string_view sect) const {
  for (const auto& s : s_->sections) {
    if (s.sectname == sect && (seg.empty() || s.segname == seg)) return &s;
  }
  return nullptr;
}

void SliceParser::CollectStrings() {
  for (const auto& sec : s_->sections) {
    bool cstr = (sec.flags & kSectionTypeMask) == kSCstringLiterals || sec.sectname == "__cstring";
    if (!cstr || sec.sectname == "__objc_methtype" || sec.sectname == "__objc_classname" ||
        sec.sectname == "__objc_methname")
      continue;
    auto body = r_.BytesAt(sec.offset, sec.size);
    if (!body) {
      Problem("section " + sec.sectname + " runs past the end of the image");
      continue;
    }
    size_t start = 0;
    for (size_t i = 0; i < body->size(); ++i) {
      if ((*body)[i] != '\0') continue;
      if (i > start) s_->cstrings.push_back({body->substr(start, i - start), sec.addr + start});
      start = i + 1;
    }
    if (!CountOk("Mach-O C strings", s_->cstrings.size())) return;
  }
  // CFString literals: {isa, flags, chars, length}; code references the struct.
  if (const Section* cf = FindSection("", "__cfstring")) {
    uint64_t ps = s_->is64 ? 8 : 4, ent = 4 * ps;
    uint64_t n = cf->size / ent;
    if (CountOk("Mach-O CFStrings", n)) {
      for (uint64_t i = 0; i < n; ++i) {
        auto raw = ReadPtrAt(cf->addr + i * ent + 2 * ps);
        if (!raw) break;
        if (auto t = DecodePtr(*raw)) cfstring_target_[cf->addr + i * ent] = *t;
      }
    }
  }
}

void SliceParser::CollectObjc() {
  uint64_t ps = s_->is64 ? 8 : 4;
  std::unordered_set<uint64_t> seen_sel;
  // Selector references: one pointer per selector the code uses.
  if (const Section* sr = FindSection("", "__objc_selrefs")) {
    uint64_t n = sr->size / ps;
    if (CountOk("Objective-C selector references", n)) {
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t slot = sr->addr + i * ps;
        auto raw = ReadPtrAt(slot);
        if (!raw) {
          Problem("__objc_selrefs runs past its segment");
          break;
        }
        auto target = DecodePtr(*raw);
        if (!target) continue;
        auto name = StringAtVm(*target);
        if (!name || name->empty() || !seen_sel.insert(*target).second) continue;
        // The selector counts as referenced when code loads its slot.
        s_->selectors.push_back({*name, slot, false});
      }
    }
  }
  if (const Section* mn = FindSection("", "__objc_methname")) {
    if (auto body = r_.BytesAt(mn->offset, mn->size)) {
      size_t start = 0;
      for (size_t i = 0; i < body->size(); ++i) {
        if ((*body)[i] != '\0') continue;
        if (i > start && !seen_sel.count(mn->addr + start))
          s_->selectors.push_back({body->substr(start, i - start), 0, false});
        start = i + 1;
      }
    } else {
      Problem("__objc_methname runs past the end of the image");
    }
  }
  // Defined classes: __objc_classlist -> class_t -> class_ro_t -> name.
  std::unordered_map<uint64_t, size_t> class_index;  // class_t address -> objc_classes index
  std::unordered_set<std::string_view> names;
  std::vector<uint64_t> class_addrs;
  if (const Section* cl = FindSection("", "__objc_classlist")) {
    uint64_t n = cl->size / ps;
    if (CountOk("Objective-C classes", n)) {
      for (uint64_t i = 0; i < n; ++i) {
        auto raw = ReadPtrAt(cl->addr + i * ps);
        if (!raw) break;
        auto cls = DecodePtr(*raw);
        if (!cls) continue;
        auto data_raw = ReadPtrAt(*cls + 4 * ps);  // isa, superclass, cache, vtable, data
        if (!data_raw) continue;
        auto ro = DecodePtr(*data_raw & ~uint64_t{s_->is64 ? 7u : 3u});
        if (!ro) continue;
        // class_ro_t: flags, instanceStart, instanceSize, [reserved], ivarLayout, name.
        uint64_t name_field = s_->is64 ? *ro + 16 + 8 : *ro + 12 + 4;
        auto name_raw = ReadPtrAt(name_field);
        if (!name_raw) continue;
        auto name_addr = DecodePtr(*name_raw);
        if (!name_addr) continue;
        auto name = StringAtVm(*name_addr);
        if (!name || name->empty()) continue;
        if (class_addrs.size() < (1u << 20)) class_addrs.push_back(*cls);
        if (names.insert(*name).second) {
          class_index[*cls] = s_->objc_classes.size();
          s_->objc_classes.push_back(*name);
        }
      }
    }
  } else if (const Section* cn = FindSection("", "__objc_classname")) {
    if (auto body = r_.BytesAt(cn->offset, cn->size)) {
      size_t start = 0;
      for (size_t i = 0; i < body->size(); ++i) {
        if ((*body)[i] != '\0') continue;
        auto nm = body->substr(start, i - start);
        if (!nm.empty() && names.insert(nm).second) s_->objc_classes.push_back(nm);
        start = i + 1;
      }
    }
  }
  // Method names from each class's (and metaclass's) method list: selectors
  // implemented here even when no code sends them.
  std::unordered_set<std::string_view> sel_names;
  for (const auto& x : s_->selectors) sel_names.insert(x.text);
  for (uint64_t cls : class_addrs) {
    for (int meta = 0; meta < 2; ++meta) {
      uint64_t c = cls;
      if (meta == 1) {
        auto isa = ReadPtrAt(cls);
        auto m = isa ? DecodePtr(*isa) : std::nullopt;
        if (!m) continue;
        c = *m;
      }
      auto data_raw = ReadPtrAt(c + 4 * ps);
      auto ro = data_raw ? DecodePtr(*data_raw & ~uint64_t{s_->is64 ? 7u : 3u}) : std::nullopt;
      if (!ro) continue;
      auto ml_raw = ReadPtrAt(s_->is64 ? *ro + 32 : *ro + 20);  // baseMethods
      auto ml = ml_raw ? DecodePtr(*ml_raw) : std::nullopt;
      if (!ml) continue;
      auto ml_off = VmToOff(*ml);
      if (!ml_off) continue;
      auto entflags = r_.LEAt<uint32_t>(*ml_off), count = r_.LEAt<uint32_t>(*ml_off + 4);
      if (!count) continue;
      // Relative method lists (flag 0x80000000): int32 offsets, the name one
      // pointing at a selector reference.
      bool relative = (*entflags & 0x80000000u) != 0;
      uint32_t entsize = *entflags & 0xfffc;
      if (entsize == 0) continue;
      uint64_t n = std::min<uint64_t>(*count, (r_.size() - *ml_off - 8) / entsize);
      for (uint64_t i = 0; i < n && sel_names.size() < (1u << 22); ++i) {
        uint64_t ent = *ml + 8 + i * entsize;
        std::optional<uint64_t> name_addr;
        if (relative) {
          auto rel = r_.LEAt<int32_t>(*ml_off + 8 + i * entsize);
          if (!rel) break;
          auto p = ReadPtrAt(ent + static_cast<int64_t>(*rel));
          name_addr = p ? DecodePtr(*p) : std::nullopt;
        } else {
          auto p = ReadPtrAt(ent);
          name_addr = p ? DecodePtr(*p) : std::nullopt;
        }
        if (!name_addr) continue;
        auto name = StringAtVm(*name_addr);
        if (name && !name->empty() && sel_names.insert(*name).second)
          s_->selectors.push_back({*name, 0, false});
      }
    }
  }
  // Classes imported from other images are bound by symbol: _OBJC_CLASS_$_Name.
  constexpr std::string_view kPrefix = "_OBJC_CLASS_$_";
  for (auto sym : s_->imported_symbols) {
    if (sym.substr(0, kPrefix.size()) == kPrefix) {
      auto nm = sym.substr(kPrefix.size());
      if (!nm.empty() && names.insert(nm).second) s_->objc_classes.push_back(nm);
    }
  }
  s_->objc_class_referenced.assign(s_->objc_classes.size(), false);
  if (!s_->disassembled) return;
  // A class is referenced when code loads a classref/superref slot pointing at it.
  for (std::string_view sect : {"__objc_classrefs", "__objc_superrefs"}) {
    const Section* cr = FindSection("", sect);
    if (cr == nullptr) continue;
    uint64_t n = cr->size / ps;
    for (uint64_t i = 0; i < n && i < (1u << 22); ++i) {
      uint64_t slot = cr->addr + i * ps;
      if (!refs_.count(slot)) continue;
      auto raw = ReadPtrAt(slot);
      if (!raw) break;
      auto cls = DecodePtr(*raw);
      if (!cls) continue;
      auto it = class_index.find(*cls);
      if (it != class_index.end()) s_->objc_class_referenced[it->second] = true;
    }
  }
}

std::optional<code::Isa> SliceIsa(uint32_t cputype) {
  const uint32_t base = cputype & ~(kCpuArchAbi64 | kCpuArchAbi64_32);
  if (base == kCpuTypeArm) {
    // arm64 and arm64_32 (32-bit pointers) both run A64 code; 32-bit ARM
    // slices for iOS are Thumb-2.
    return (cputype & (kCpuArchAbi64 | kCpuArchAbi64_32)) != 0 ? code::Isa::kArm64
                                                                : code::Isa::kThumb;
  }
  if (base == kCpuTypeX86) {
    return (cputype & kCpuArchAbi64) != 0 ? code::Isa::kX86_64 : code::Isa::kX86;
  }
  return std::nullopt;
}

void SliceParser::Address(uint64_t pc, uint64_t a) {
  // Only addresses inside the image can name a string, selector or class
  // slot; the rest (offsets still to be added, constants) are not kept.
  if (a >= mapped_lo_ && a < mapped_hi_) refs_.insert(a);
}

std::string_view SliceParser::BytesAt(uint64_t a, uint64_t n) const {
  auto off = VmToOff(a);
  if (!off) return {};
  return r_.BytesAt(*off, n).value_or(std::string_view());
}

void SliceParser::ResolveReferences() {
  if (s_->cryptid != 0) return;  // FairPlay-encrypted text is ciphertext
  std::optional<code::Isa> isa = SliceIsa(s_->cputype);
  if (!isa) return;
  for (const auto& seg : s_->segments) {
    if (seg.filesize == 0) continue;  // __PAGEZERO and the like: nothing to name
    mapped_lo_ = std::min(mapped_lo_, seg.vmaddr);
    mapped_hi_ = std::max(mapped_hi_, seg.vmaddr + std::min(seg.vmsize, UINT64_MAX - seg.vmaddr));
  }
  uint64_t budget_bytes = opt_.max_code_bytes;
  for (const auto& sec : s_->sections) {
    if (sec.segname != "__TEXT" ||
        (sec.flags & (kSAttrPureInstructions | kSAttrSomeInstructions)) == 0 ||
        sec.sectname == "__stubs" || sec.sectname == "__stub_helper")
      continue;
    auto body = r_.BytesAt(sec.offset, std::min<uint64_t>(sec.size, budget_bytes));
    if (!body) {
      Problem("code section " + sec.sectname + " runs past the end of the image");
      continue;
    }
    budget_bytes -= body->size();
    code::WalkResult w = code::FindReferences(*isa, *body, sec.addr, budget_, this);
    s_->instructions += w.instructions;
    s_->disassembled = true;
    if (w.expired) {
      Problem("code walk stopped at the deadline; references resolved for a prefix only");
      break;
    }
    if (budget_bytes == 0) {
      Problem("code larger than max_code_bytes; references resolved for a prefix only");
      break;
    }
  }
}

void SliceParser::ParseDeep() {
  ParseSymtab();
  if (opt_.disassemble) ResolveReferences();
  CollectStrings();
  // CFString references resolve onto their characters (needs the map above).
  if (s_->disassembled) {
    for (const auto& [cf, target] : cfstring_target_) {
      if (refs_.count(cf)) refs_.insert(target);
    }
  }
  CollectObjc();
  if (!s_->disassembled) return;
  for (auto& s : s_->cstrings) s.referenced = refs_.count(s.addr) != 0;
  for (auto& s : s_->selectors) s.referenced = s.addr != 0 && refs_.count(s.addr) != 0;
}

Status ParseThin(std::string_view bytes, uint64_t offset, bool deep, const ParseOptions& opt,
                 Budget* budget, Slice* out) {
  out->offset = offset;
  out->size = bytes.size();
  SliceParser p(ByteReader(bytes), out, opt, budget);
  SG_RETURN_IF_ERROR(p.ParseHeader());
  p.ParseLoadCommands();
  if (deep) p.ParseDeep();
  return Status::Ok();
}

}  // namespace

const char* Dylib::kind() const {
  switch (cmd) {
    case kLcLoadWeakDylib: return "weak";
    case kLcReexportDylib: return "reexport";
    case kLcLazyLoadDylib: return "lazy";
    case kLcLoadUpwardDylib: return "upward";
    default: return "load";
  }
}

std::string ArchName(uint32_t cputype, uint32_t cpusubtype) {
  uint32_t sub = cpusubtype & 0x00ffffff;  // high byte holds capability bits
  switch (cputype) {
    case kCpuTypeArm | kCpuArchAbi64: return sub == 2 ? "arm64e" : "arm64";
    case kCpuTypeArm | kCpuArchAbi64_32: return "arm64_32";
    case kCpuTypeArm:
      switch (sub) {
        case 5: return "armv4t";
        case 6: return "armv6";
        case 7: return "armv5e";
        case 8: return "xscale";
        case 9: return "armv7";
        case 10: return "armv7f";
        case 11: return "armv7s";
        case 12: return "armv7k";
        case 13: return "armv8";
        case 14: return "armv6m";
        case 15: return "armv7m";
        case 16: return "armv7em";
        default: return "arm";
      }
    case kCpuTypeX86 | kCpuArchAbi64: return sub == 8 ? "x86_64h" : "x86_64";
    case kCpuTypeX86: return "i386";
    case kCpuTypePowerPc: return "ppc";
    case kCpuTypePowerPc | kCpuArchAbi64: return "ppc64";
    default: return "cpu" + std::to_string(cputype);
  }
}

bool LooksLikeMachO(std::string_view data) {
  ByteReader r(data);
  auto be = r.BEAt<uint32_t>(0);
  if (!be) return false;
  uint32_t le = *r.LEAt<uint32_t>(0);
  return *be == kFatMagic || *be == kFatMagic64 || le == kMhMagic || le == kMhMagic64;
}

Result<File> Parse(std::string_view data, const ParseOptions& options, Budget* budget) {
  ByteReader r(data);
  auto magic = r.BEAt<uint32_t>(0);
  if (!magic) return Status::Malformed("Mach-O: file shorter than a magic number");
  File f;
  if (*magic == kFatMagic || *magic == kFatMagic64) {
    f.fat = true;
    f.fat64 = *magic == kFatMagic64;
    auto nfat = r.BEAt<uint32_t>(4);
    if (!nfat) return Status::Malformed("universal header truncated");
    // Java class files share 0xcafebabe; their "count" is a version >= 45.
    if (*nfat == 0 || *nfat > kMaxFatArchs)
      return Status::Malformed("universal header declares " + std::to_string(*nfat) +
                               " architectures");
    uint64_t ent = f.fat64 ? 32 : 20;
    uint32_t n = *nfat;
    if (!InRange(8, n * ent, data.size())) {
      f.problems.push_back("universal header: " + std::to_string(n) +
                           " architecture entries run past the end of the file");
      n = static_cast<uint32_t>((data.size() - 8) / ent);
    }
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (uint32_t i = 0; i < n; ++i) {
      uint64_t o = 8 + i * ent;
      uint32_t cputype = *r.BEAt<uint32_t>(o), cpusub = *r.BEAt<uint32_t>(o + 4);
      uint64_t off, size;
      if (f.fat64) {
        off = *r.BEAt<uint64_t>(o + 8);
        size = *r.BEAt<uint64_t>(o + 16);
      } else {
        off = *r.BEAt<uint32_t>(o + 8);
        size = *r.BEAt<uint32_t>(o + 12);
      }
      Slice s;
      s.cputype = cputype;
      s.cpusubtype = cpusub;
      s.arch = ArchName(cputype, cpusub);
      if (!InRange(off, size, data.size())) {
        f.problems.push_back("architecture " + s.arch + ": slice " + std::to_string(off) + "+" +
                             std::to_string(size) + " runs past the end of the file");
        if (off >= data.size()) {
          s.problems.push_back("slice outside the file");
          f.slices.push_back(std::move(s));
          continue;
        }
        size = data.size() - off;
      }
      ranges.push_back({off, size});
      f.slices.push_back(std::move(s));
    }
    // Deep analysis for the first arm64 slice, else the first parsable one.
    int deep = -1;
    auto outside = [&](size_t i) {
      return !f.slices[i].problems.empty() && f.slices[i].problems[0] == "slice outside the file";
    };
    for (size_t i = 0; i < f.slices.size(); ++i) {
      if (f.slices[i].cputype == (kCpuTypeArm | kCpuArchAbi64) && !outside(i)) {
        deep = static_cast<int>(i);
        break;
      }
    }
    size_t ri = 0;
    for (size_t i = 0; i < f.slices.size(); ++i) {
      Slice& s = f.slices[i];
      if (outside(i)) continue;
      auto [off, size] = ranges[ri++];
      uint32_t want_type = s.cputype, want_sub = s.cpusubtype;
      if (deep < 0) deep = static_cast<int>(i);
      Status st = ParseThin(data.substr(off, size), off, options.deep && deep == static_cast<int>(i),
                            options, budget, &s);
      if (!st.ok()) {
        s.problems.push_back(st.message());
        if (deep == static_cast<int>(i)) deep = -1;
        continue;
      }
      if (s.cputype != want_type || (s.cpusubtype & 0xffffff) != (want_sub & 0xffffff))
        s.problems.push_back("slice header cpu type differs from the universal header's");
    }
    f.deep_slice = options.deep ? deep : -1;
    return f;
  }
  Slice s;
  Status st = ParseThin(data, 0, options.deep, options, budget, &s);
  if (!st.ok()) return st;
  f.slices.push_back(std::move(s));
  f.deep_slice = options.deep ? 0 : -1;
  return f;
}

}  // namespace shelfguard::macho
