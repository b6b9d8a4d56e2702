#include "elf/elf_parser.h"

#include <algorithm>
#include <optional>

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
// The program and section header tables are bounded by these (their counts
// are 16-bit in the header anyway); the tables they locate (dynamic symbols,
// relocations, read-only strings) also by the budget's max_table_items.
constexpr uint32_t kMaxSections = 65535;
constexpr uint32_t kMaxSegments = 4096;
constexpr size_t kMaxNameLength = 4096;
constexpr uint64_t kMaxGnuHashChain = 1u << 20;
constexpr size_t kMaxStringLength = 16384;  // longer printable runs are cut
constexpr uint64_t kMaxDynamicEntries = 1u << 16;

// One fixed-size structure of the file (the header, a program or section
// header, a dynamic entry, a symbol, a relocation, a hash table header),
// taken whole: its bytes are checked present once, then its fields read as
// values in the file's byte order and word size.
class Fields {
 public:
  // The `size` bytes at `off` of `elf`'s file, or nullopt when they are not
  // all there.
  static std::optional<Fields> At(const ElfFile& elf, uint64_t off, uint64_t size) {
    std::optional<Record> rec = Record::At(ByteReader(elf.data()), off, size);
    if (!rec) return std::nullopt;
    return Fields(*rec, elf.is64(), elf.big_endian());
  }
  template <typename T>
  T Get(uint64_t off) const {
    return big_endian_ ? rec_.BE<T>(off) : rec_.LE<T>(off);
  }
  // An address, offset or size: 4 or 8 bytes by the file's class.
  uint64_t Word(uint64_t off) const { return is64_ ? Get<uint64_t>(off) : Get<uint32_t>(off); }

 private:
  Fields(const Record& rec, bool is64, bool big_endian)
      : rec_(rec), is64_(is64), big_endian_(big_endian) {}
  Record rec_;
  bool is64_, big_endian_;
};

// Length of the printable run at the start of `s` (ASCII printable, tab, and
// well-formed UTF-8 multibyte sequences, for Chinese text in native code).
size_t PrintableRun(std::string_view s) {
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t b = static_cast<uint8_t>(s[i]);
    if ((b >= 0x20 && b < 0x7f) || b == '\t') {
      ++i;
      continue;
    }
    size_t len = (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || len > n - i || b < 0xc2) break;
    bool cont = true;
    for (size_t k = 1; k < len; ++k) cont &= (static_cast<uint8_t>(s[i + k]) & 0xc0) == 0x80;
    if (!cont) break;
    i += len;
  }
  return i;
}

// The bytes of `data` from `off` to the end, as a reader; nullopt past the end.
std::optional<ByteReader> Tail(std::string_view data, uint64_t off) {
  return off <= data.size() ? ByteReader(data).Sub(off, data.size() - off) : std::nullopt;
}

}  // namespace

void ElfFile::AddAnomaly(std::string code, std::string location, std::string detail) {
  // Hostile files could produce one anomaly per item; keep a bounded number.
  if (anomalies_.size() < 32) {
    anomalies_.push_back({std::move(code), std::move(location), std::move(detail)});
  }
}

uint64_t ElfFile::Fit(const std::string& what, uint64_t declared, uint64_t off, uint64_t entsize) {
  const uint64_t fit = off <= data_.size() ? (data_.size() - off) / entsize : 0;
  if (declared <= fit) return declared;
  AddAnomaly("elf-table-truncated", what,
             what + ": " + std::to_string(declared) + " declared at offset " + std::to_string(off) +
                 ", " + std::to_string(fit) + " fit");
  return fit;
}

uint64_t ElfFile::Limit(const std::string& what, uint64_t n, uint64_t limit) {
  if (n <= limit) return n;
  AddAnomaly(
      "elf-over-limit", what,
      what + ": " + std::to_string(n) + " entries, cut at the limit of " + std::to_string(limit));
  return limit;
}

uint64_t ElfFile::Counted(const std::string& what, uint64_t n) {
  if (budget_ == nullptr) return n;
  Status st = budget_->CheckCount("elf " + what, n);
  if (st.ok()) return n;
  AddAnomaly("elf-over-limit", what, st.message());
  return budget_->limits().max_table_items;
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

std::optional<uint64_t> ElfFile::OffsetOfAddress(uint64_t vaddr, uint64_t n) const {
  for (const Segment& s : segments_) {
    if (s.type != kPtLoad) continue;
    if (vaddr >= s.vaddr && vaddr - s.vaddr < s.filesz && n <= s.filesz - (vaddr - s.vaddr)) {
      uint64_t off = s.offset + (vaddr - s.vaddr);
      if (InRange(off, n, data_.size())) return off;
      return std::nullopt;
    }
  }
  for (const Section& s : sections_) {
    if (!(s.flags & kShfAlloc) || s.type == 8 /* NOBITS */) continue;
    if (vaddr >= s.addr && vaddr - s.addr < s.size && n <= s.size - (vaddr - s.addr)) {
      uint64_t off = s.offset + (vaddr - s.addr);
      if (InRange(off, n, data_.size())) return off;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string_view ElfFile::BytesAtAddress(uint64_t vaddr, uint64_t n) const {
  std::optional<uint64_t> off = OffsetOfAddress(vaddr, n);
  if (!off) return {};
  return ByteReader(data_).BytesAt(*off, n).value_or(std::string_view());
}

Result<std::unique_ptr<ElfFile>> ElfFile::Parse(std::string_view data, Budget* budget,
                                                const ParseOptions& options) {
  // e_ident (gABI "ELF Identification"): magic, class, data, version.
  if (data.size() < 16 || data.substr(0, 4) != std::string_view("\x7f"
                                                                "ELF",
                                                                4)) {
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
  const std::optional<Fields> eh = Fields::At(*f, 0, f->is64_ ? 64 : 52);
  if (!eh) return Status::Malformed("elf: header truncated");
  f->machine_ = eh->Get<uint16_t>(18);
  // Offsets of e_phoff/e_shoff and the 16-bit fields differ by class.
  const uint64_t p = f->is64_ ? 32 : 28;
  f->phoff_ = eh->Word(p);
  f->shoff_ = eh->Word(p + (f->is64_ ? 8 : 4));
  const uint64_t q = f->is64_ ? 54 : 42;  // e_phentsize
  f->phentsize_ = eh->Get<uint16_t>(q);
  f->phnum_ = eh->Get<uint16_t>(q + 2);
  f->shentsize_ = eh->Get<uint16_t>(q + 4);
  f->shnum_ = eh->Get<uint16_t>(q + 6);
  f->shstrndx_ = eh->Get<uint16_t>(q + 8);

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
  const uint64_t n =
      Limit("program headers", Fit("program headers", phnum_, phoff_, phentsize_), kMaxSegments);
  segments_.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    const std::optional<Fields> ph = Fields::At(*this, phoff_ + i * phentsize_, min_ent);
    if (!ph) break;  // not reached: n entries fit
    Segment s;
    s.type = ph->Get<uint32_t>(0);
    if (is64_) {
      s.flags = ph->Get<uint32_t>(4);
      s.offset = ph->Word(8);
      s.vaddr = ph->Word(16);
      s.filesz = ph->Word(32);
      s.memsz = ph->Word(40);
    } else {
      s.offset = ph->Word(4);
      s.vaddr = ph->Word(8);
      s.filesz = ph->Word(16);
      s.memsz = ph->Word(20);
      s.flags = ph->Get<uint32_t>(24);
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
    const std::optional<Fields> sh0 = Fields::At(*this, shoff_, min_ent);
    if (count == 0) count = sh0 ? sh0->Word(is64_ ? 32 : 20) : 0;
    if (strndx == 0xffff) strndx = sh0 ? sh0->Get<uint32_t>(is64_ ? 40 : 24) : 0;
  }
  const uint64_t n =
      Limit("section headers", Fit("section headers", count, shoff_, shentsize_), kMaxSections);
  sections_.reserve(n);
  std::vector<uint32_t> name_offs;
  name_offs.reserve(n);
  const uint64_t w = is64_ ? 8 : 4;
  for (uint64_t i = 0; i < n; ++i) {
    const std::optional<Fields> sh = Fields::At(*this, shoff_ + i * shentsize_, min_ent);
    if (!sh) break;  // not reached: n entries fit
    Section s;
    name_offs.push_back(sh->Get<uint32_t>(0));
    s.type = sh->Get<uint32_t>(4);
    s.flags = sh->Word(8);
    s.addr = sh->Word(8 + w);
    s.offset = sh->Word(8 + 2 * w);
    s.size = sh->Word(8 + 3 * w);
    s.link = sh->Get<uint32_t>(8 + 4 * w);
    s.info = sh->Get<uint32_t>(12 + 4 * w);
    s.entsize = sh->Word(16 + 5 * w);
    sections_.push_back(s);
  }
  // Names from the section-name string table.
  if (strndx < sections_.size()) {
    const Section& st = sections_[strndx];
    if (std::optional<ByteReader> names = ByteReader(data_).Sub(st.offset, st.size)) {
      for (size_t i = 0; i < sections_.size(); ++i) {
        auto nm = names->CStringAt(name_offs[i], kMaxNameLength);
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
  if (off > data_.size()) {
    AddAnomaly("elf-bad-dynamic", "dynamic", "dynamic section offset past the end");
    return;
  }
  // The array ends at DT_NULL, usually before its declared size (padding):
  // a cut by the bytes or the limit matters only when no DT_NULL came first.
  const uint64_t declared = size / ent;
  const uint64_t n = std::min<uint64_t>({declared, (data_.size() - off) / ent, kMaxDynamicEntries});
  std::vector<uint64_t> needed_offs;
  uint64_t soname_off = UINT64_MAX;
  bool terminated = false;
  for (uint64_t i = 0; i < n; ++i) {
    const std::optional<Fields> d = Fields::At(*this, off + i * ent, ent);
    if (!d) break;  // not reached: n entries fit
    const uint64_t tag = d->Word(0), val = d->Word(ent / 2);
    if (tag == kDtNull) {
      terminated = true;
      break;
    }
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
  if (!terminated && n < declared) {
    Limit("dynamic", Fit("dynamic", declared, off, ent), kMaxDynamicEntries);
  }
  // Dynamic string table: DT_STRTAB (what the loader uses), else the
  // section the dynamic section links to.
  std::optional<uint64_t> strtab;
  if (dt_strtab_ != 0) {
    uint64_t want = dt_strsz_ != 0 ? dt_strsz_ : 1;
    strtab = OffsetOfAddress(dt_strtab_, std::min<uint64_t>(want, data_.size()));
    // DT_STRSZ too large: take the table where it starts.
    if (!strtab && dt_strsz_ != 0) strtab = OffsetOfAddress(dt_strtab_, 1);
  }
  if (!strtab && strtab_link < sections_.size()) {
    const Section& s = sections_[strtab_link];
    if (s.size != 0 && InRange(s.offset, s.size, data_.size())) strtab = s.offset;
  }
  // Strings may run to the end of the file when DT_STRSZ is short.
  const std::optional<ByteReader> strs = strtab ? Tail(data_, *strtab) : std::nullopt;
  if (!strs) {
    if (!needed_offs.empty())
      AddAnomaly("elf-bad-dynamic", "dynamic", "dynamic string table not found");
    return;
  }
  for (uint64_t o : needed_offs) {
    auto s = strs->CStringAt(o, kMaxNameLength);
    if (s) needed_.push_back(*s);
  }
  if (soname_off != UINT64_MAX) {
    auto s = strs->CStringAt(soname_off, kMaxNameLength);
    if (s) soname_ = *s;
  }
}

void ElfFile::ParseDynsym() {
  uint64_t off = 0, size = 0, entsize = is64_ ? 24 : 16;
  std::optional<ByteReader> names;  // the dynamic string table
  for (size_t i = 0; i < sections_.size(); ++i) {
    const Section& s = sections_[i];
    if (s.type != kShtDynsym) continue;
    dynsym_section_ = static_cast<int>(i);
    off = s.offset;
    size = s.size;
    if (s.link < sections_.size()) {
      const Section& st = sections_[s.link];
      names = ByteReader(data_).Sub(st.offset, st.size);
    }
    break;
  }
  if (dynsym_section_ < 0 && dt_symtab_ != 0 && (dt_hash_ != 0 || dt_gnu_hash_ != 0)) {
    // No sections: DT_SYMTAB sized by the SysV hash table's nchain, or else
    // by the GNU hash table's highest chained symbol index.
    const std::optional<uint64_t> hash =
        dt_hash_ != 0 ? OffsetOfAddress(dt_hash_, 8) : std::nullopt;
    const std::optional<uint64_t> sym = OffsetOfAddress(dt_symtab_, entsize);
    uint64_t count = 0;
    if (hash) {
      // SysV hash header: nbucket, nchain (one chain entry per symbol).
      if (const std::optional<Fields> h = Fields::At(*this, *hash, 8)) count = h->Get<uint32_t>(4);
    } else if (dt_gnu_hash_ != 0) {
      count = GnuHashSymbolCount();
    }
    if (count > 0 && sym) {
      off = *sym;
      size = count * entsize;
      // The strings run to the end of the file (no section gives a size).
      const std::optional<uint64_t> str = OffsetOfAddress(dt_strtab_, 1);
      names = str ? Tail(data_, *str) : std::nullopt;
    }
  }
  if (size == 0) return;
  if (off > data_.size()) {
    AddAnomaly("elf-bad-dynsym", ".dynsym", "dynamic symbol table offset past the end");
    return;
  }
  const uint64_t n = Counted(".dynsym", Fit(".dynsym", size / entsize, off, entsize));
  dynsym_.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    const std::optional<Fields> e = Fields::At(*this, off + i * entsize, entsize);
    if (!e) break;  // not reached: n entries fit
    Symbol s;
    const uint32_t name = e->Get<uint32_t>(0);
    uint8_t info = 0;
    if (is64_) {
      info = e->Get<uint8_t>(4);
      s.shndx = e->Get<uint16_t>(6);
      s.value = e->Word(8);
      s.size = e->Word(16);
    } else {
      s.value = e->Word(4);
      s.size = e->Word(8);
      info = e->Get<uint8_t>(12);
      s.shndx = e->Get<uint16_t>(14);
    }
    s.type = info & 0xf;
    s.bind = info >> 4;
    if (name != 0 && names) {
      auto nm = names->CStringAt(name, kMaxNameLength);
      if (nm) s.name = *nm;
    }
    dynsym_.push_back(s);
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
    const uint64_t ent = s.type == kShtRela ? (is64_ ? 24 : 12) : (is64_ ? 16 : 8);
    if (s.offset > data_.size()) continue;
    const std::string what = s.name.empty() ? std::string("relocations") : std::string(s.name);
    const uint64_t n = Counted(what, Fit(what, s.size / ent, s.offset, ent));
    for (uint64_t i = 0; i < n; ++i) {
      const std::optional<Fields> rel = Fields::At(*this, s.offset + i * ent, ent);
      if (!rel) break;  // not reached: n entries fit
      const uint64_t r_offset = rel->Word(0);
      const uint64_t info = rel->Word(is64_ ? 8 : 4);
      const uint64_t sym = is64_ ? (info >> 32) : (info >> 8);
      if (sym != 0 && sym < dynsym_.size()) {
        reloc_slots_.emplace(r_offset, static_cast<uint32_t>(sym));
      }
    }
  }
}

void ElfFile::ParseStrings(const ParseOptions& options) {
  // Read-only data sections hold string literals (.rodata, .rodata.str1.1,
  // .rodata.cst*); writable or executable sections do not count.
  const uint64_t limit = budget_ != nullptr ? budget_->limits().max_table_items : UINT64_MAX;
  for (const Section& s : sections_) {
    if (s.type != kShtProgbits || !(s.flags & kShfAlloc) || (s.flags & (kShfWrite | kShfExecInstr))) {
      continue;
    }
    if (s.name.substr(0, 7) != ".rodata") continue;
    const std::optional<std::string_view> bytes = ByteReader(data_).BytesAt(s.offset, s.size);
    if (!bytes) {
      AddAnomaly("elf-bad-section", std::string(s.name), std::string(s.name) + " out of range");
      continue;
    }
    size_t i = 0;
    while (i < bytes->size()) {
      size_t run = PrintableRun(bytes->substr(i));
      if (run >= options.min_string_length) {
        if (strings_.size() >= limit) {
          AddAnomaly("elf-over-limit", ".rodata",
                     "read-only strings over max_table_items " + std::to_string(limit) +
                         "; cut at the limit");
          return;
        }
        strings_.push_back({bytes->substr(i, std::min(run, kMaxStringLength)), s.addr + i});
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
uint64_t ElfFile::GnuHashSymbolCount() {
  const std::optional<uint64_t> base = OffsetOfAddress(dt_gnu_hash_, 16);
  const std::optional<Fields> h = base ? Fields::At(*this, *base, 16) : std::nullopt;
  if (!h) return 0;
  const uint32_t nbuckets = h->Get<uint32_t>(0), symoffset = h->Get<uint32_t>(4),
                 bloom_size = h->Get<uint32_t>(8);
  const uint64_t word = is64_ ? 8 : 4;
  const uint64_t buckets = *base + 16 + uint64_t{bloom_size} * word;
  const std::optional<Fields> bucket =
      nbuckets == 0 ? std::nullopt : Fields::At(*this, buckets, uint64_t{nbuckets} * 4);
  if (!bucket) return 0;
  uint32_t last = 0;
  for (uint32_t b = 0; b < nbuckets; ++b)
    last = std::max(last, bucket->Get<uint32_t>(uint64_t{b} * 4));
  if (last < symoffset) return symoffset;  // no hashed symbols
  const uint64_t chains = buckets + uint64_t{nbuckets} * 4;
  // Follow the last chain to its end; every step stays inside the file and
  // the walk is bounded by kMaxGnuHashChain, where the table is cut.
  for (uint64_t i = last; i - last < kMaxGnuHashChain; ++i) {
    const std::optional<Fields> c = Fields::At(*this, chains + (i - symoffset) * 4, 4);
    if (!c) return 0;
    if (c->Get<uint32_t>(0) & 1) return i + 1;
  }
  AddAnomaly("elf-over-limit", ".gnu.hash",
             "a hash chain longer than " + std::to_string(kMaxGnuHashChain) +
                 " entries; the dynamic symbols are cut there");
  return uint64_t{last} + kMaxGnuHashChain;
}

}  // namespace shelfguard::elf
