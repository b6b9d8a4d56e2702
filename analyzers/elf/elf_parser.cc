#include "elf/elf_parser.h"

#include <algorithm>
#include <cstring>

#include "shelfguard/byte_reader.h"

namespace shelfguard::elf {

namespace {

// Section types (gABI).
constexpr uint32_t kShtProgbits = 1, kShtSymtab = 2, kShtStrtab = 3, kShtRela = 4,
                   kShtDynamic = 6, kShtRel = 9, kShtDynsym = 11;
constexpr uint32_t kPtLoad = 1, kPtDynamic = 2;
// Dynamic tags.
constexpr uint64_t kDtNull = 0, kDtNeeded = 1, kDtHash = 4, kDtStrtab = 5, kDtSymtab = 6,
                   kDtStrsz = 10, kDtSoname = 14, kDtGnuHash = 0x6ffffef5;
// Named caps: a real library has far fewer; these bound hostile headers.
constexpr uint32_t kMaxSections = 65535;
constexpr uint32_t kMaxSegments = 4096;
constexpr size_t kMaxNameLength = 4096;
constexpr uint64_t kMaxGnuHashChain = 1u << 20;
constexpr size_t kMaxStringLength = 16384;  // longer printable runs are cut
constexpr uint64_t kMaxDynamicEntries = 1u << 16;

}  // namespace

void ElfFile::AddAnomaly(std::string code, std::string location, std::string detail) {
  // Hostile files could produce one anomaly per item; keep a bounded number.
  if (anomalies_.size() < 32) {
    anomalies_.push_back({std::move(code), std::move(location), std::move(detail)});
  }
}

template <typename T>
bool ElfFile::Get(uint64_t off, T* out) const {
  ByteReader r(data_);
  return big_endian_ ? r.PeekBEAt(off, out) : r.PeekLEAt(off, out);
}

uint64_t ElfFile::Word(uint64_t off, bool* ok) const {
  if (is64_) {
    uint64_t v = 0;
    if (!Get(off, &v)) *ok = false;
    return v;
  }
  uint32_t v = 0;
  if (!Get(off, &v)) *ok = false;
  return v;
}

std::string ElfFile::arch() const {
  switch (machine_) {
    case kEmAarch64: return "arm64";
    case kEmArm: return "arm";
    case kEmX86: return "x86";
    case kEmX86_64: return "x86_64";
    case kEmMips: return is64_ ? "mips64" : "mips";
    default: return "machine-" + std::to_string(machine_);
  }
}

std::string_view ElfFile::BytesAtAddress(uint64_t vaddr, uint64_t n) const {
  for (const Segment& s : segments_) {
    if (s.type != kPtLoad) continue;
    if (vaddr >= s.vaddr && vaddr - s.vaddr < s.filesz && n <= s.filesz - (vaddr - s.vaddr)) {
      uint64_t off = s.offset + (vaddr - s.vaddr);
      if (InRange(off, n, data_.size())) return data_.substr(off, n);
      return {};
    }
  }
  for (const Section& s : sections_) {
    if (!(s.flags & kShfAlloc) || s.type == 8 /* NOBITS */) continue;
    if (vaddr >= s.addr && vaddr - s.addr < s.size && n <= s.size - (vaddr - s.addr)) {
      uint64_t off = s.offset + (vaddr - s.addr);
      if (InRange(off, n, data_.size())) return data_.substr(off, n);
      return {};
    }
  }
  return {};
}

Result<std::unique_ptr<ElfFile>> ElfFile::Parse(std::string_view data, Budget* budget,
                                                const ParseOptions& options) {
  // e_ident (gABI "ELF Identification"): magic, class, data, version.
  if (data.size() < 16 || std::memcmp(data.data(), "\x7f" "ELF", 4) != 0) {
    return Status::Malformed("elf: no ELF magic");
  }
  std::unique_ptr<ElfFile> f(new ElfFile());
  f->data_ = data;
  f->budget_ = budget;
  uint8_t cls = static_cast<uint8_t>(data[4]), enc = static_cast<uint8_t>(data[5]);
  if (cls != 1 && cls != 2) return Status::Malformed("elf: bad EI_CLASS " + std::to_string(cls));
  if (enc != 1 && enc != 2) return Status::Malformed("elf: bad EI_DATA " + std::to_string(enc));
  f->is64_ = cls == 2;
  f->big_endian_ = enc == 2;
  const uint64_t ehsize = f->is64_ ? 64 : 52;
  if (data.size() < ehsize) return Status::Malformed("elf: header truncated");
  bool ok = true;
  uint16_t u16 = 0;
  f->Get<uint16_t>(18, &f->machine_);
  // Offsets of e_phoff/e_shoff and the 16-bit fields differ by class.
  uint64_t p = f->is64_ ? 32 : 28;
  f->phoff_ = f->Word(p, &ok);
  f->shoff_ = f->Word(p + (f->is64_ ? 8 : 4), &ok);
  uint64_t q = f->is64_ ? 54 : 42;  // e_phentsize
  f->Get<uint16_t>(q, &u16), f->phentsize_ = u16;
  f->Get<uint16_t>(q + 2, &u16), f->phnum_ = u16;
  f->Get<uint16_t>(q + 4, &u16), f->shentsize_ = u16;
  f->Get<uint16_t>(q + 6, &u16), f->shnum_ = u16;
  f->Get<uint16_t>(q + 8, &u16), f->shstrndx_ = u16;
  if (!ok) return Status::Malformed("elf: header truncated");

  f->ParseSegments();
  f->ParseSections();
  f->ParseDynamic();
  f->ParseDynsym();
  f->ParseRelocations();
  f->ParseStrings(options);
  return f;
}

void ElfFile::ParseSegments() {
  if (phnum_ == 0 || phoff_ == 0) return;
  const uint32_t min_ent = is64_ ? 56 : 32;
  if (phentsize_ < min_ent) {
    AddAnomaly("elf-bad-program-headers", "program headers",
               "e_phentsize " + std::to_string(phentsize_));
    return;
  }
  uint64_t fit = phoff_ <= data_.size() ? (data_.size() - phoff_) / phentsize_ : 0;
  uint32_t n = std::min<uint64_t>({phnum_, fit, kMaxSegments});
  if (n < phnum_) {
    AddAnomaly(
        "elf-table-truncated", "program headers",
        "program headers: " + std::to_string(phnum_) + " declared, " + std::to_string(n) + " fit");
  }
  segments_.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t o = phoff_ + uint64_t{i} * phentsize_;
    Segment s;
    bool ok = true;
    Get<uint32_t>(o, &s.type);
    if (is64_) {
      Get<uint32_t>(o + 4, &s.flags);
      s.offset = Word(o + 8, &ok);
      s.vaddr = Word(o + 16, &ok);
      s.filesz = Word(o + 32, &ok);
      s.memsz = Word(o + 40, &ok);
    } else {
      s.offset = Word(o + 4, &ok);
      s.vaddr = Word(o + 8, &ok);
      s.filesz = Word(o + 16, &ok);
      s.memsz = Word(o + 20, &ok);
      Get<uint32_t>(o + 24, &s.flags);
    }
    segments_.push_back(s);
  }
}

void ElfFile::ParseSections() {
  if (shoff_ == 0) {
    AddAnomaly("elf-no-section-headers", "section headers",
               "no section header table (stripped or packed)");
    return;
  }
  const uint32_t min_ent = is64_ ? 64 : 40;
  if (shentsize_ < min_ent) {
    AddAnomaly("elf-bad-section-headers", "section headers",
               "e_shentsize " + std::to_string(shentsize_));
    return;
  }
  uint64_t count = shnum_;
  uint32_t strndx = shstrndx_;
  // Extended numbering (gABI): e_shnum == 0 -> count in sh[0].sh_size;
  // e_shstrndx == SHN_XINDEX -> index in sh[0].sh_link.
  if (count == 0 || strndx == 0xffff) {
    bool ok = true;
    uint64_t size0 = Word(shoff_ + (is64_ ? 32 : 20), &ok);
    uint32_t link0 = 0;
    Get<uint32_t>(shoff_ + (is64_ ? 40 : 24), &link0);
    if (count == 0) count = ok ? size0 : 0;
    if (strndx == 0xffff) strndx = link0;
  }
  uint64_t fit = shoff_ <= data_.size() ? (data_.size() - shoff_) / shentsize_ : 0;
  uint64_t n = std::min<uint64_t>({count, fit, kMaxSections});
  if (n < count) {
    AddAnomaly("elf-table-truncated", "section headers",
               "section headers: " + std::to_string(count) + " declared at " +
                   std::to_string(shoff_) + ", " + std::to_string(n) + " fit");
  }
  sections_.resize(n);
  std::vector<uint32_t> name_offs(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t o = shoff_ + i * shentsize_;
    Section& s = sections_[i];
    bool ok = true;
    uint32_t name_off = 0;
    Get<uint32_t>(o, &name_off);
    Get<uint32_t>(o + 4, &s.type);
    s.flags = Word(o + 8, &ok);
    uint64_t w = is64_ ? 8 : 4;
    s.addr = Word(o + 8 + w, &ok);
    s.offset = Word(o + 8 + 2 * w, &ok);
    s.size = Word(o + 8 + 3 * w, &ok);
    Get<uint32_t>(o + 8 + 4 * w, &s.link);
    Get<uint32_t>(o + 12 + 4 * w, &s.info);
    s.entsize = Word(o + 16 + 5 * w, &ok);
    name_offs[i] = name_off;
  }
  // Names from the section-name string table.
  if (strndx < sections_.size()) {
    const Section& st = sections_[strndx];
    if (InRange(st.offset, st.size, data_.size())) {
      ByteReader names(reinterpret_cast<const uint8_t*>(data_.data()) + st.offset,
                       static_cast<size_t>(st.size));
      for (size_t i = 0; i < sections_.size(); ++i) {
        auto nm = names.CStringAt(name_offs[i], kMaxNameLength);
        if (nm) sections_[i].name = *nm;
      }
    } else {
      AddAnomaly("elf-bad-section-headers", "section headers", "section name table out of range");
    }
  }
}

void ElfFile::ParseDynamic() {
  // The dynamic array: from SHT_DYNAMIC, else PT_DYNAMIC (packers strip
  // section headers; the loader only needs the segment).
  uint64_t off = 0, size = 0;
  bool found = false;
  uint32_t strtab_link = 0;
  for (const Section& s : sections_) {
    if (s.type == kShtDynamic) {
      off = s.offset, size = s.size, found = true, strtab_link = s.link;
      break;
    }
  }
  if (!found) {
    for (const Segment& s : segments_) {
      if (s.type == kPtDynamic) {
        off = s.offset, size = s.filesz, found = true;
        break;
      }
    }
  }
  if (!found) return;
  const uint64_t ent = is64_ ? 16 : 8;
  if (!InRange(off, 0, data_.size())) {
    AddAnomaly("elf-bad-dynamic", "dynamic", "dynamic section offset past the end");
    return;
  }
  uint64_t n = std::min<uint64_t>({size / ent, (data_.size() - off) / ent, kMaxDynamicEntries});
  std::vector<uint64_t> needed_offs;
  uint64_t soname_off = UINT64_MAX;
  for (uint64_t i = 0; i < n; ++i) {
    bool ok = true;
    uint64_t tag = Word(off + i * ent, &ok);
    uint64_t val = Word(off + i * ent + ent / 2, &ok);
    if (!ok || tag == kDtNull) break;
    switch (tag) {
      case kDtNeeded: needed_offs.push_back(val); break;
      case kDtSoname: soname_off = val; break;
      case kDtStrtab: dt_strtab_ = val; break;
      case kDtSymtab: dt_symtab_ = val; break;
      case kDtStrsz: dt_strsz_ = val; break;
      case kDtHash: dt_hash_ = val; break;
      case kDtGnuHash: dt_gnu_hash_ = val; break;
      default: break;
    }
  }
  // Dynamic string table: DT_STRTAB (what the loader uses), else the
  // section the dynamic section links to.
  std::string_view strtab;
  if (dt_strtab_ != 0) {
    uint64_t want = dt_strsz_ != 0 ? dt_strsz_ : 1;
    strtab = BytesAtAddress(dt_strtab_, std::min<uint64_t>(want, data_.size()));
    // Extend to the full mapped run if DT_STRSZ was missing or too large.
    if (strtab.empty() && dt_strsz_ != 0) strtab = BytesAtAddress(dt_strtab_, 1);
  }
  if (strtab.empty() && strtab_link < sections_.size()) {
    const Section& s = sections_[strtab_link];
    if (InRange(s.offset, s.size, data_.size())) strtab = data_.substr(s.offset, s.size);
  }
  if (strtab.empty()) {
    if (!needed_offs.empty())
      AddAnomaly("elf-bad-dynamic", "dynamic", "dynamic string table not found");
    return;
  }
  // Let strings run to the end of the mapped bytes when DT_STRSZ is short.
  const char* base = strtab.data();
  size_t avail = static_cast<size_t>(data_.data() + data_.size() - base);
  ByteReader r(reinterpret_cast<const uint8_t*>(base), avail);
  for (uint64_t o : needed_offs) {
    auto s = r.CStringAt(o, kMaxNameLength);
    if (s) needed_.push_back(*s);
  }
  if (soname_off != UINT64_MAX) {
    auto s = r.CStringAt(soname_off, kMaxNameLength);
    if (s) soname_ = *s;
  }
}

void ElfFile::ParseDynsym() {
  uint64_t off = 0, size = 0, entsize = is64_ ? 24 : 16;
  std::string_view strtab;
  for (size_t i = 0; i < sections_.size(); ++i) {
    const Section& s = sections_[i];
    if (s.type != kShtDynsym) continue;
    dynsym_section_ = static_cast<int>(i);
    off = s.offset;
    size = s.size;
    if (s.link < sections_.size()) {
      const Section& st = sections_[s.link];
      if (InRange(st.offset, st.size, data_.size())) strtab = data_.substr(st.offset, st.size);
    }
    break;
  }
  if (dynsym_section_ < 0 && dt_symtab_ != 0 && (dt_hash_ != 0 || dt_gnu_hash_ != 0)) {
    // No sections: DT_SYMTAB sized by the SysV hash table's nchain, or else
    // by the GNU hash table's highest chained symbol index.
    std::string_view h = dt_hash_ != 0 ? BytesAtAddress(dt_hash_, 8) : std::string_view();
    std::string_view sym = BytesAtAddress(dt_symtab_, entsize);
    uint64_t count = 0;
    if (h.size() == 8) {
      uint32_t nchain = 0;
      Get<uint32_t>(static_cast<uint64_t>(h.data() - data_.data()) + 4, &nchain);
      count = nchain;
    } else if (dt_gnu_hash_ != 0) {
      count = GnuHashSymbolCount();
    }
    if (count > 0 && !sym.empty()) {
      off = static_cast<uint64_t>(sym.data() - data_.data());
      size = count * entsize;
      strtab = BytesAtAddress(dt_strtab_, 1);
      if (!strtab.empty()) {
        strtab = std::string_view(strtab.data(),
                                  static_cast<size_t>(data_.data() + data_.size() - strtab.data()));
      }
    }
  }
  if (size == 0) return;
  if (!InRange(off, 0, data_.size())) {
    AddAnomaly("elf-bad-dynsym", ".dynsym", "dynamic symbol table offset past the end");
    return;
  }
  uint64_t count = size / entsize;
  uint64_t n = std::min<uint64_t>(count, (data_.size() - off) / entsize);
  if (n < count) {
    AddAnomaly("elf-table-truncated", ".dynsym",
               ".dynsym: " + std::to_string(count) + " declared, " + std::to_string(n) + " fit");
  }
  if (budget_ != nullptr && !budget_->CheckCount("elf dynamic symbols", n).ok()) {
    AddAnomaly("elf-over-limit", ".dynsym", "dynamic symbols over max_table_items");
    n = budget_->limits().max_table_items;
  }
  ByteReader names(strtab);
  dynsym_.resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t o = off + i * entsize;
    Symbol& s = dynsym_[i];
    uint32_t name = 0;
    bool ok = true;
    Get<uint32_t>(o, &name);
    uint8_t info = 0;
    if (is64_) {
      Get<uint8_t>(o + 4, &info);
      Get<uint16_t>(o + 6, &s.shndx);
      s.value = Word(o + 8, &ok);
      s.size = Word(o + 16, &ok);
    } else {
      s.value = Word(o + 4, &ok);
      s.size = Word(o + 8, &ok);
      Get<uint8_t>(o + 12, &info);
      Get<uint16_t>(o + 14, &s.shndx);
    }
    s.type = info & 0xf;
    s.bind = info >> 4;
    if (name != 0) {
      auto nm = names.CStringAt(name, kMaxNameLength);
      if (nm) s.name = *nm;
    }
  }
}

void ElfFile::ParseRelocations() {
  // REL/RELA sections whose symbols are the dynamic symbols bind GOT slots
  // (JUMP_SLOT, GLOB_DAT) and data words (ABS) to imported symbols.
  if (dynsym_section_ < 0) return;
  for (const Section& s : sections_) {
    if ((s.type != kShtRel && s.type != kShtRela) || s.link != static_cast<uint32_t>(dynsym_section_)) {
      continue;
    }
    uint64_t ent = s.type == kShtRela ? (is64_ ? 24 : 12) : (is64_ ? 16 : 8);
    if (!InRange(s.offset, 0, data_.size())) continue;
    uint64_t n = std::min(s.size, data_.size() - s.offset) / ent;
    if (budget_ != nullptr && n > budget_->limits().max_table_items) {
      n = budget_->limits().max_table_items;
    }
    for (uint64_t i = 0; i < n; ++i) {
      bool ok = true;
      uint64_t r_offset = Word(s.offset + i * ent, &ok);
      uint64_t info = Word(s.offset + i * ent + (is64_ ? 8 : 4), &ok);
      uint64_t sym = is64_ ? (info >> 32) : (info >> 8);
      if (ok && sym != 0 && sym < dynsym_.size()) {
        reloc_slots_.emplace(r_offset, static_cast<uint32_t>(sym));
      }
    }
  }
}

namespace {

// Length of the printable run starting at p[0] (ASCII printable, tab, and
// well-formed UTF-8 multibyte sequences, for Chinese text in native code).
size_t PrintableRun(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t b = p[i];
    if ((b >= 0x20 && b < 0x7f) || b == '\t') {
      ++i;
      continue;
    }
    size_t len = (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || len > n - i || b < 0xc2) break;
    bool cont = true;
    for (size_t k = 1; k < len; ++k) cont &= (p[i + k] & 0xc0) == 0x80;
    if (!cont) break;
    i += len;
  }
  return i;
}

}  // namespace

void ElfFile::ParseStrings(const ParseOptions& options) {
  // Read-only data sections hold string literals (.rodata, .rodata.str1.1,
  // .rodata.cst*); writable or executable sections do not count.
  uint64_t limit = budget_ != nullptr ? budget_->limits().max_table_items : UINT64_MAX;
  for (const Section& s : sections_) {
    if (s.type != kShtProgbits || !(s.flags & kShfAlloc) || (s.flags & (kShfWrite | kShfExecInstr))) {
      continue;
    }
    if (s.name.substr(0, 7) != ".rodata") continue;
    if (!InRange(s.offset, s.size, data_.size())) {
      AddAnomaly("elf-bad-section", std::string(s.name), std::string(s.name) + " out of range");
      continue;
    }
    const uint8_t* base = reinterpret_cast<const uint8_t*>(data_.data()) + s.offset;
    size_t size = static_cast<size_t>(s.size);
    size_t i = 0;
    while (i < size) {
      size_t run = PrintableRun(base + i, size - i);
      if (run >= options.min_string_length) {
        if (strings_.size() >= limit) {
          AddAnomaly("elf-over-limit", ".rodata", "read-only strings over max_table_items");
          return;
        }
        size_t len = std::min(run, kMaxStringLength);
        strings_.push_back({std::string_view(reinterpret_cast<const char*>(base + i), len),
                            s.addr + i});
      }
      i += run + 1;
    }
  }
}

// GNU hash section (as the glibc and bionic loaders read it): nbuckets,
// symoffset, bloom_size, bloom_shift (u32 each), bloom_size words of the
// class's word size, nbuckets u32 buckets, then one u32 chain value per
// symbol from symoffset on, the last of each chain with bit 0 set. The
// symbol count is one past the highest index reached through the chains.
uint64_t ElfFile::GnuHashSymbolCount() const {
  std::string_view h = BytesAtAddress(dt_gnu_hash_, 16);
  if (h.size() != 16) return 0;
  const uint64_t base = static_cast<uint64_t>(h.data() - data_.data());
  uint32_t nbuckets = 0, symoffset = 0, bloom_size = 0;
  if (!Get<uint32_t>(base, &nbuckets) || !Get<uint32_t>(base + 4, &symoffset) ||
      !Get<uint32_t>(base + 8, &bloom_size)) {
    return 0;
  }
  const uint64_t word = is64() ? 8 : 4;
  const uint64_t buckets = base + 16 + uint64_t{bloom_size} * word;
  if (nbuckets == 0 || !InRange(buckets, uint64_t{nbuckets} * 4, data_.size())) return 0;
  uint32_t last = 0;
  for (uint32_t b = 0; b < nbuckets; ++b) {
    uint32_t v = 0;
    if (Get<uint32_t>(buckets + uint64_t{b} * 4, &v)) last = std::max(last, v);
  }
  if (last < symoffset) return symoffset;  // no hashed symbols
  const uint64_t chains = buckets + uint64_t{nbuckets} * 4;
  // Follow the last chain to its end; every step stays inside the file and
  // the walk is bounded by the table-size limit.
  for (uint64_t i = last; i - last < kMaxGnuHashChain; ++i) {
    uint32_t c = 0;
    if (!Get<uint32_t>(chains + (i - symoffset) * 4, &c)) return 0;
    if (c & 1) return i + 1;
  }
  return 0;
}

}  // namespace shelfguard::elf
