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

}  // namespace

Status SliceParser::ParseHeader() {
  uint32_t magic = 0;
  if (!r_.PeekLEAt(0, &magic)) return Status::Malformed("Mach-O header truncated");
  if (magic == kMhCigam || magic == kMhCigam64)
    return Status::Unsupported("big-endian Mach-O (PowerPC) is not analysed");
  if (magic != kMhMagic && magic != kMhMagic64) return Status::Malformed("not a Mach-O image");
  s_->is64 = magic == kMhMagic64;
  header_size_ = s_->is64 ? 32 : 28;
  // mach_header(_64): magic, cputype, cpusubtype, filetype, ncmds, sizeofcmds, flags[, reserved].
  auto h = Record::At(r_, 0, header_size_);
  if (!h) return Status::Malformed("Mach-O header truncated");
  s_->cputype = h->LE<uint32_t>(4);
  s_->cpusubtype = h->LE<uint32_t>(8);
  s_->filetype = h->LE<uint32_t>(12);
  s_->ncmds = h->LE<uint32_t>(16);
  sizeofcmds_ = h->LE<uint32_t>(20);
  s_->arch = ArchName(s_->cputype, s_->cpusubtype);
  return Status::Ok();
}

void SliceParser::ParseLoadCommands() {
  uint64_t avail = r_.size() - header_size_;
  uint64_t area = sizeofcmds_;
  if (area > avail) {
    Problem("header", "sizeofcmds " + std::to_string(sizeofcmds_) +
                          " runs past the end of the image (" + std::to_string(avail) +
                          " bytes after the header)");
    area = avail;
  }
  auto cmds_area = r_.Sub(header_size_, area);
  if (!cmds_area) return;  // area <= avail: cannot happen, but never assumed
  const ByteReader cmds = *cmds_area;
  uint64_t ncmds = s_->ncmds;
  // Each command is at least 8 bytes: a count beyond that cannot be honoured.
  if (ncmds > area / 8) {
    Problem("header", "ncmds " + std::to_string(ncmds) + " cannot fit in " +
                          std::to_string(area) + " bytes of load commands");
    ncmds = area / 8;
  }
  if (ncmds > kMaxLoadCommands) {
    OverLimit("header", "ncmds " + std::to_string(ncmds) + " over " +
                            std::to_string(kMaxLoadCommands) + "; the first " +
                            std::to_string(kMaxLoadCommands) + " read");
    ncmds = kMaxLoadCommands;
  }
  uint64_t off = 0;
  for (uint64_t i = 0; i < ncmds; ++i) {
    const std::string where = "load command " + std::to_string(i);
    // load_command: cmd, cmdsize.
    auto head = Record::At(cmds, off, 8);
    if (!head) {
      Problem(where, "truncated");
      break;
    }
    const uint32_t type = head->LE<uint32_t>(0), cmdsize = head->LE<uint32_t>(4);
    auto body = cmds.Sub(off, cmdsize);
    if (cmdsize < 8 || !body) {
      Problem(where, "cmd 0x" + std::to_string(type) + " has cmdsize " + std::to_string(cmdsize) +
                         " outside the load-command area");
      break;
    }
    off += cmdsize;
    ParseLoadCommand(where, type, *body);
  }
}

void SliceParser::ParseLoadCommand(const std::string& where, uint32_t type, ByteReader c) {
  if (type == kLcSegment || type == kLcSegment64) {
    ParseSegment(c, type == kLcSegment64);
  } else if (FindCommand(kDylibCommands, type) != nullptr || type == kLcIdDylib) {
    // dylib_command: cmd, cmdsize, dylib.name offset (from the command's start), ...
    auto name_off = c.LEAt<uint32_t>(8);
    std::optional<std::string_view> name;
    if (name_off) name = c.CStringAt(*name_off, c.size());
    if (!name && name_off && *name_off < c.size()) {
      // No terminator inside the command: take the rest of it.
      name = c.BytesAt(*name_off, c.size() - *name_off);
    }
    if (!name) {
      Problem(where, "dylib name offset out of range");
      return;
    }
    if (type == kLcIdDylib) {
      s_->id_dylib = std::string(*name);
    } else {
      s_->dylibs.push_back({std::string(*name), type});
    }
  } else if (type == kLcEncryptionInfo || type == kLcEncryptionInfo64) {
    // encryption_info_command: cmd, cmdsize, cryptoff, cryptsize, cryptid.
    auto e = Record::At(c, 0, 20);
    if (!e) {
      Problem(where, "LC_ENCRYPTION_INFO truncated");
      return;
    }
    s_->has_encryption_info = true;
    s_->cryptoff = e->LE<uint32_t>(8);
    s_->cryptsize = e->LE<uint32_t>(12);
    s_->cryptid = e->LE<uint32_t>(16);
  } else if (type == kLcCodeSignature) {
    // linkedit_data_command: cmd, cmdsize, dataoff, datasize.
    auto l = Record::At(c, 0, 16);
    if (!l) {
      Problem(where, "LC_CODE_SIGNATURE truncated");
      return;
    }
    s_->has_code_signature = true;
    ParseCodeSignature(l->LE<uint32_t>(8), l->LE<uint32_t>(12));
  } else if (type == kLcBuildVersion) {
    // build_version_command: cmd, cmdsize, platform, minos, sdk, ntools.
    auto b = Record::At(c, 0, 16);
    if (!b) {
      Problem(where, "LC_BUILD_VERSION truncated");
      return;
    }
    s_->platform = PlatformName(b->LE<uint32_t>(8));
    s_->min_os = VersionString(b->LE<uint32_t>(12));
  } else if (const NamedCommand* vm = FindCommand(kVersionMinCommands, type)) {
    // version_min_command: cmd, cmdsize, version, sdk.
    auto v = c.LEAt<uint32_t>(8);
    if (!v) return;
    s_->platform = vm->name;
    s_->min_os = VersionString(*v);
  } else if (type == kLcSymtab) {
    // symtab_command: cmd, cmdsize, symoff, nsyms, stroff, strsize.
    auto t = Record::At(c, 0, 24);
    if (!t) {
      Problem(where, "LC_SYMTAB truncated");
      return;
    }
    has_symtab_ = true;
    symoff_ = t->LE<uint32_t>(8);
    nsyms_ = t->LE<uint32_t>(12);
    stroff_ = t->LE<uint32_t>(16);
    strsize_ = t->LE<uint32_t>(20);
  }
}

void SliceParser::ParseSegment(ByteReader c, bool is64) {
  Segment seg;
  // segment_command(_64): cmd, cmdsize, segname[16], vmaddr, vmsize, fileoff,
  // filesize, maxprot, initprot, nsects, flags; then nsects section(_64)s of
  // sectname[16], segname[16], addr, size, offset, align, reloff, nreloc,
  // flags, reserved1, reserved2[, reserved3].
  const uint64_t hdr = is64 ? 72 : 56, secsize = is64 ? 80 : 68;
  auto h = Record::At(c, 0, hdr);
  if (!h) {
    Problem("segment command", "truncated");
    return;
  }
  seg.name = FixedName(h->Bytes(8, 16));
  uint64_t nsects;
  if (is64) {
    seg.vmaddr = h->LE<uint64_t>(24);
    seg.vmsize = h->LE<uint64_t>(32);
    seg.fileoff = h->LE<uint64_t>(40);
    seg.filesize = h->LE<uint64_t>(48);
    nsects = h->LE<uint32_t>(64);
  } else {
    seg.vmaddr = h->LE<uint32_t>(24);
    seg.vmsize = h->LE<uint32_t>(28);
    seg.fileoff = h->LE<uint32_t>(32);
    seg.filesize = h->LE<uint32_t>(36);
    nsects = h->LE<uint32_t>(48);
  }
  const std::string where = "segment " + seg.name;
  if (!InRange(seg.fileoff, seg.filesize, r_.size())) {
    Problem(where, "file range runs past the end of the image");
  }
  uint64_t fit = (c.size() - hdr) / secsize;
  if (nsects > fit) {
    Problem(where, "declares " + std::to_string(nsects) + " sections but its command holds " +
                       std::to_string(fit));
    nsects = fit;
  }
  uint64_t room = kMaxSections - std::min<uint64_t>(s_->sections.size(), kMaxSections);
  if (nsects > room) {
    OverLimit(where, std::to_string(nsects) + " sections would pass " +
                         std::to_string(kMaxSections) + " in the image; " + std::to_string(room) +
                         " read");
    nsects = room;
  }
  s_->segments.push_back(seg);
  for (uint64_t i = 0; i < nsects; ++i) {
    auto x = Record::At(c, hdr + i * secsize, secsize);
    if (!x) break;  // within `fit`: cannot happen, but never assumed
    Section sec;
    sec.sectname = FixedName(x->Bytes(0, 16));
    sec.segname = FixedName(x->Bytes(16, 16));
    if (is64) {
      sec.addr = x->LE<uint64_t>(32);
      sec.size = x->LE<uint64_t>(40);
      sec.offset = x->LE<uint32_t>(48);
      sec.flags = x->LE<uint32_t>(64);
    } else {
      sec.addr = x->LE<uint32_t>(32);
      sec.size = x->LE<uint32_t>(36);
      sec.offset = x->LE<uint32_t>(40);
      sec.flags = x->LE<uint32_t>(56);
    }
    s_->sections.push_back(std::move(sec));
  }
}

void SliceParser::ParseCodeSignature(uint32_t dataoff, uint32_t datasize) {
  const std::string where = "code signature";
  auto sb = r_.Sub(dataoff, datasize);
  if (!sb) {
    Problem(where, "at " + std::to_string(dataoff) + "+" + std::to_string(datasize) +
                       " runs past the end of the image");
    // Keep what is there: a truncated signature may still hold the blobs.
    if (dataoff >= r_.size()) return;
    sb = r_.Sub(dataoff, r_.size() - dataoff);
    if (!sb) return;
  }
  // SuperBlob (big-endian): magic, length, count, then count {type, offset}.
  auto super = Record::At(*sb, 0, 12);
  if (!super || super->BE<uint32_t>(0) != kCsEmbeddedSignature) {
    Problem(where, "not an embedded-signature SuperBlob");
    return;
  }
  uint64_t n = super->BE<uint32_t>(8);
  const uint64_t fit = (sb->size() - 12) / 8;
  if (n > fit) {
    Problem(where, std::to_string(n) + " blobs declared, " + std::to_string(fit) + " fit");
    n = fit;
  }
  if (n > kMaxBlobs) {
    OverLimit(where, std::to_string(n) + " blobs over " + std::to_string(kMaxBlobs) +
                         "; the first " + std::to_string(kMaxBlobs) + " read");
    n = kMaxBlobs;
  }
  for (uint64_t i = 0; i < n; ++i) {
    const std::string blob_where = "code-signing blob " + std::to_string(i);
    auto index = Record::At(*sb, 12 + 8 * i, 8);
    if (!index) break;  // within `fit`: cannot happen, but never assumed
    const uint32_t off = index->BE<uint32_t>(4);
    // Blob header: magic, length (both big-endian), then the payload.
    auto head = Record::At(*sb, off, 8);
    const uint32_t blen = head ? head->BE<uint32_t>(4) : 0;
    auto blob = sb->Sub(off, blen);
    if (!head || blen < 8 || !blob) {
      Problem(blob_where, "out of range");
      continue;
    }
    const uint32_t bmagic = head->BE<uint32_t>(0);
    if (bmagic == kCsEntitlements) {
      if (blen - 8 > kMaxEntitlementsBytes) {
        OverLimit(blob_where, "entitlements over " + std::to_string(kMaxEntitlementsBytes) +
                                  " bytes; not read");
        continue;
      }
      if (auto xml = blob->BytesAt(8, blen - 8)) s_->entitlements = std::string(*xml);
    } else if (bmagic == kCsCodeDirectory && s_->signing_id.empty()) {
      auto version = blob->BEAt<uint32_t>(8), ident = blob->BEAt<uint32_t>(20);
      if (ident) {
        if (auto id = blob->CStringAt(*ident, 1024)) s_->signing_id = std::string(*id);
      }
      // teamOffset exists from CodeDirectory version 0x20200 on.
      if (version && *version >= 0x20200) {
        if (auto team_off = blob->BEAt<uint32_t>(48); team_off && *team_off != 0) {
          if (auto t = blob->CStringAt(*team_off, 256)) s_->team_id = std::string(*t);
        }
      }
    }
  }
}

void SliceParser::ParseSymtab() {
  if (!has_symtab_) return;
  const std::string where = "symbol table";
  auto strtab = r_.Sub(stroff_, strsize_);
  if (!strtab) {
    Problem(where, "string table runs past the end of the image");
    if (stroff_ >= r_.size()) return;
    strtab = r_.Sub(stroff_, r_.size() - stroff_);
    if (!strtab) return;
  }
  uint64_t entsize = s_->is64 ? 16 : 12;
  if (symoff_ > r_.size()) {
    Problem(where, "offset past the end of the image");
    return;
  }
  uint64_t fit = (r_.size() - symoff_) / entsize;
  uint64_t n = nsyms_;
  if (n > fit) {
    Problem(where, "nsyms " + std::to_string(nsyms_) + " runs past the end of the image; " +
                       std::to_string(fit) + " read");
    n = fit;
  }
  n = CapCount("Mach-O symbols", n);
  for (uint64_t i = 0; i < n; ++i) {
    if ((i & 0xffff) == 0xffff && Expired(where)) break;
    // nlist(_64): n_strx, n_type, n_sect, n_desc, n_value.
    auto sym = Record::At(r_, symoff_ + i * entsize, entsize);
    if (!sym) break;  // within `fit`: cannot happen, but never assumed
    const uint32_t strx = sym->LE<uint32_t>(0);
    const uint8_t type = sym->LE<uint8_t>(4);
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
