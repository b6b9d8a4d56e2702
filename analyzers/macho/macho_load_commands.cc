// Mach-O file structure: the thin header, load commands, segments and
// sections, the code signature's blobs, the symbol table, and virtual
// address translation for the other parts of the parser.
#include <algorithm>

#include "macho/macho_internal.h"

namespace shelfguard::macho::internal {
namespace {

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

}  // namespace

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

}  // namespace shelfguard::macho::internal
