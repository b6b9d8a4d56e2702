// Mach-O entry points: magic sniffing, architecture names, and the
// universal (fat) container whose slices macho_load_commands.cc parses.
#include "macho/macho_parser.h"

#include "macho/macho_internal.h"

namespace shelfguard::macho {

using internal::kCpuArchAbi64;
using internal::kCpuArchAbi64_32;
using internal::kCpuTypeArm;
using internal::kCpuTypePowerPc;
using internal::kCpuTypeX86;
using internal::kFatMagic;
using internal::kFatMagic64;
using internal::kMaxFatArchs;
using internal::kMhMagic;
using internal::kMhMagic64;
using internal::ParseThin;

const char* Dylib::kind() const {
  const internal::NamedCommand* c = internal::FindCommand(internal::kDylibCommands, cmd);
  return c != nullptr ? c->name : "load";
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
  auto m = Record::At(ByteReader(data), 0, 4);
  if (!m) return false;
  const uint32_t be = m->BE<uint32_t>(0), le = m->LE<uint32_t>(0);
  return be == kFatMagic || be == kFatMagic64 || le == kMhMagic || le == kMhMagic64;
}

namespace {

// One fat_arch(_64) entry: where its slice lies once cut to the file.
struct FatSlice {
  uint64_t off = 0, size = 0;
  bool present = false;  // some of its bytes lie inside the file
};

// Reads the universal header's entries into f->slices (cpu type, arch)
// and returns where each slice lies.
Result<std::vector<FatSlice>> ReadFatHeader(std::string_view data, File* f) {
  ByteReader r(data);
  // fat_header (big-endian): magic, nfat_arch.
  auto h = Record::At(r, 0, 8);
  if (!h) return Status::Malformed("universal header truncated");
  const uint32_t nfat = h->BE<uint32_t>(4);
  // Java class files share 0xcafebabe; their "count" is a version >= 45, so
  // a count over kMaxFatArchs says "not a universal binary" rather than a
  // table to cut.
  if (nfat == 0 || nfat > kMaxFatArchs)
    return Status::Malformed("universal header declares " + std::to_string(nfat) +
                             " architectures");
  // fat_arch: cputype, cpusubtype, offset, size, align (u32 each);
  // fat_arch_64: cputype, cpusubtype, offset (u64), size (u64), align, reserved.
  const uint64_t ent = f->fat64 ? 32 : 20;
  uint64_t n = nfat;
  if (!InRange(8, n * ent, data.size())) {
    n = (data.size() - 8) / ent;
    f->anomalies.push_back({"macho-malformed", "universal header",
                            std::to_string(nfat) +
                                " architecture entries run past the end of the file; " +
                                std::to_string(n) + " read"});
  }
  std::vector<FatSlice> where;
  for (uint64_t i = 0; i < n; ++i) {
    auto a = Record::At(r, 8 + i * ent, ent);
    if (!a) break;  // within the file, checked above: cannot happen, but never assumed
    Slice s;
    s.cputype = a->BE<uint32_t>(0);
    s.cpusubtype = a->BE<uint32_t>(4);
    s.arch = ArchName(s.cputype, s.cpusubtype);
    FatSlice fs;
    fs.off = f->fat64 ? a->BE<uint64_t>(8) : a->BE<uint32_t>(8);
    fs.size = f->fat64 ? a->BE<uint64_t>(16) : a->BE<uint32_t>(12);
    fs.present = fs.off < data.size() || (fs.off == data.size() && fs.size == 0);
    if (!InRange(fs.off, fs.size, data.size())) {
      f->anomalies.push_back({"macho-malformed", "architecture " + s.arch,
                              "slice " + std::to_string(fs.off) + "+" + std::to_string(fs.size) +
                                  " runs past the end of the file"});
      if (fs.off >= data.size()) {
        fs.present = false;
        s.anomalies.push_back({"macho-malformed", "slice", "outside the file"});
      } else {
        fs.size = data.size() - fs.off;
      }
    }
    f->slices.push_back(std::move(s));
    where.push_back(fs);
  }
  return where;
}

}  // namespace

Result<File> Parse(std::string_view data, Budget* budget, const ParseOptions& options) {
  auto m = Record::At(ByteReader(data), 0, 4);
  if (!m) return Status::Malformed("Mach-O: file shorter than a magic number");
  const uint32_t magic = m->BE<uint32_t>(0);
  File f;
  if (magic != kFatMagic && magic != kFatMagic64) {
    Slice s;
    SG_RETURN_IF_ERROR(ParseThin(data, 0, options.deep, options, budget, &s));
    f.slices.push_back(std::move(s));
    f.deep_slice = options.deep ? 0 : -1;
    return f;
  }
  f.fat = true;
  f.fat64 = magic == kFatMagic64;
  auto where = ReadFatHeader(data, &f);
  if (!where.ok()) return where.status();
  // Deep analysis for the first arm64 slice, else the first parsable one.
  int deep = -1;
  for (size_t i = 0; i < f.slices.size(); ++i) {
    if (f.slices[i].cputype == (kCpuTypeArm | kCpuArchAbi64) && (*where)[i].present) {
      deep = static_cast<int>(i);
      break;
    }
  }
  for (size_t i = 0; i < f.slices.size(); ++i) {
    const FatSlice& at = (*where)[i];
    if (!at.present) continue;
    Slice& s = f.slices[i];
    const uint32_t want_type = s.cputype, want_sub = s.cpusubtype;
    if (deep < 0) deep = static_cast<int>(i);
    Status st = ParseThin(data.substr(at.off, at.size), at.off,
                          options.deep && deep == static_cast<int>(i), options, budget, &s);
    if (!st.ok()) {
      s.anomalies.push_back({"macho-malformed", "slice", st.message()});
      if (deep == static_cast<int>(i)) deep = -1;
      continue;
    }
    if (s.cputype != want_type || (s.cpusubtype & 0xffffff) != (want_sub & 0xffffff))
      s.anomalies.push_back(
          {"macho-malformed", "slice", "header cpu type differs from the universal header's"});
  }
  f.deep_slice = options.deep ? deep : -1;
  return f;
}

}  // namespace shelfguard::macho

