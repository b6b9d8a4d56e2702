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
using internal::kMhMagic;
using internal::kMhMagic64;
using internal::ParseThin;

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

