// Mach-O parser tests over binaries built by tests/fixtures/mkipa.py (real
// clang + ld64.lld output), then corrupted in place.
#include "macho/macho_parser.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>

#include "macho/macho_internal.h"
#include "shelfguard/archive.h"
#include "support/corpus.h"
#include "support/ipa_fixture.h"
#include "support/parser_limits.h"

namespace shelfguard::macho {
namespace {

// Load-command numbers and caps are the parser's internals (macho_internal.h).
using internal::kLcCodeSignature;
using internal::kLcLoadDylib;
using internal::kLcSymtab;
using internal::kMaxBlobs;

bool HaveToolchain() {
  return std::system("command -v clang >/dev/null 2>&1 && command -v ld64.lld-14 >/dev/null 2>&1 "
                     "&& command -v python3 >/dev/null 2>&1") == 0;
}

// The bytes of `member` inside the IPA built from tests/fixtures/specs/<spec>.json.
std::string FromIpa(const std::string& spec, const std::string& member) {
  const std::string path = testing::BuildIpa(spec);
  Limits limits;
  Budget budget(limits);
  auto a = Archive::OpenFile(path, &budget);
  if (!a.ok()) {
    ADD_FAILURE() << a.status().ToString();
    return "";
  }
  auto bytes = (*a)->Read(member);
  if (!bytes.ok()) {
    ADD_FAILURE() << member << ": " << bytes.status().ToString();
    return "";
  }
  return std::move(bytes).value();
}

// clang, ld64.lld-14 and python3 are build dependencies (install-deps.sh):
// without them the Mach-O tests fail rather than skip.
#define REQUIRE_TOOLCHAIN() \
  ASSERT_TRUE(HaveToolchain()) << "clang / ld64.lld-14 / python3 not installed"

bool Has(const std::vector<std::string>& v, std::string_view needle) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) {
    return s.find(needle) != std::string::npos;
  });
}

// "code location: detail" of each anomaly, for matching and messages.
std::vector<std::string> Texts(const std::vector<Anomaly>& v) {
  std::vector<std::string> out;
  for (const Anomaly& a : v) out.push_back(a.code + " " + a.location + ": " + a.detail);
  return out;
}
bool Has(const std::vector<Anomaly>& v, std::string_view needle) { return Has(Texts(v), needle); }

// Whether `s` is in `v` and referenced by code: -1 absent, 0 present, 1 referenced.
int Referenced(const std::vector<StringRef>& v, std::string_view s) {
  for (const auto& x : v) {
    if (x.text == s) return x.referenced ? 1 : 0;
  }
  return -1;
}

int ClassIndex(const Slice& s, std::string_view name) {
  for (size_t i = 0; i < s.objc_classes.size(); ++i) {
    if (s.objc_classes[i] == name) return static_cast<int>(i);
  }
  return -1;
}

TEST(MachO, ThinArm64FromClangAndLld) {
  REQUIRE_TOOLCHAIN();
  std::string bin = FromIpa("ipa-full", "Payload/EduDemo.app/EduDemo");
  ASSERT_TRUE(LooksLikeMachO(bin));
  Limits limits;
  Budget budget(limits);
  auto f = Parse(bin, &budget);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_FALSE(f->fat);
  ASSERT_EQ(f->slices.size(), 1u);
  const Slice& s = f->slices[0];
  EXPECT_TRUE(s.anomalies.empty()) << Texts(s.anomalies)[0];
  EXPECT_EQ(s.arch, "arm64");
  EXPECT_TRUE(s.is64);
  EXPECT_EQ(s.platform, "ios");
  EXPECT_EQ(s.min_os, "12.0");
  std::vector<std::string> dylibs;
  for (const auto& d : s.dylibs) dylibs.push_back(std::string(d.kind()) + " " + d.path);
  EXPECT_TRUE(Has(dylibs, "load /System/Library/Frameworks/Foundation.framework/Foundation"));
  EXPECT_TRUE(Has(dylibs, "load /System/Library/Frameworks/LocalAuthentication.framework"));
  EXPECT_TRUE(Has(dylibs, "weak /System/Library/Frameworks/AdSupport.framework/AdSupport"));
  EXPECT_TRUE(Has(dylibs, "load @rpath/WechatOpenSDK.framework/WechatOpenSDK"));
  // The signature mkipa appended: entitlements blob and CodeDirectory team.
  EXPECT_TRUE(s.has_code_signature);
  EXPECT_NE(s.entitlements.find("aps-environment"), std::string::npos);
  EXPECT_EQ(s.team_id, "ABCDE12345");
  EXPECT_EQ(s.signing_id, "cn.example.edudemo");
  EXPECT_EQ(s.cryptid, 0u);
  // Objective-C: defined classes from the classlist, imported by symbol.
  ASSERT_TRUE(s.disassembled);
  int gdt = ClassIndex(s, "GDTSplashAd"), unused = ClassIndex(s, "GDTUnusedView"),
      la = ClassIndex(s, "LAContext");
  ASSERT_GE(gdt, 0);
  ASSERT_GE(unused, 0);
  ASSERT_GE(la, 0);
  EXPECT_TRUE(s.objc_class_referenced[gdt]);
  EXPECT_FALSE(s.objc_class_referenced[unused]);
  // Selectors: sent (selref loaded by ADRP+LDR) vs merely implemented.
  EXPECT_EQ(Referenced(s.selectors, "evaluatePolicy:localizedReason:reply:"), 1);
  EXPECT_EQ(Referenced(s.selectors, "requestAccessForMediaType:completionHandler:"), 0);
  // C strings: passed to a call (ADRP+ADD) vs only stored in data.
  EXPECT_EQ(Referenced(s.cstrings, "https://mi.gdt.qq.com/gdt_mview.fcg"), 1);
  EXPECT_EQ(Referenced(s.cstrings, "https://unused.example.org/path"), 0);
  EXPECT_NE(std::find(s.imported_symbols.begin(), s.imported_symbols.end(), "_sg_use"),
            s.imported_symbols.end());
  EXPECT_NE(std::find(s.exported_symbols.begin(), s.exported_symbols.end(), "_main"),
            s.exported_symbols.end());
}

TEST(MachO, Fat64WithEncryptedSlice) {
  REQUIRE_TOOLCHAIN();
  std::string bin = FromIpa("ipa-encrypted-fat", "Wrapped/Payload/Locked.app/Locked");
  auto f = Parse(bin, nullptr);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(f->fat);
  EXPECT_TRUE(f->fat64);
  ASSERT_EQ(f->slices.size(), 2u);
  EXPECT_EQ(f->slices[0].arch, "arm64");
  EXPECT_EQ(f->slices[1].arch, "x86_64");
  EXPECT_EQ(f->deep_slice, 0);
  EXPECT_TRUE(f->slices[0].has_encryption_info);
  EXPECT_EQ(f->slices[0].cryptid, 1u);
  // Encrypted text is not disassembled.
  EXPECT_FALSE(f->slices[0].disassembled);
  EXPECT_EQ(f->slices[1].min_os, "12.0");
}

TEST(MachO, Fat32WithHandAssembledArmv7) {
  REQUIRE_TOOLCHAIN();
  std::string bin = FromIpa("ipa-armv7-fat", "Payload/Old.app/Old");
  auto f = Parse(bin, nullptr);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f->slices.size(), 2u);
  const Slice& v7 = f->slices[0];
  EXPECT_EQ(v7.arch, "armv7");
  EXPECT_FALSE(v7.is64);
  EXPECT_EQ(v7.platform, "ios");  // from LC_VERSION_MIN_IPHONEOS
  EXPECT_EQ(v7.min_os, "9.0");
  ASSERT_EQ(v7.dylibs.size(), 1u);
  EXPECT_EQ(v7.dylibs[0].path, "/System/Library/Frameworks/Foundation.framework/Foundation");
  EXPECT_TRUE(v7.has_encryption_info);
  EXPECT_EQ(v7.cryptid, 0u);
  EXPECT_EQ(f->deep_slice, 1);  // arm64 preferred
  EXPECT_GE(ClassIndex(f->slices[1], "OldApp"), 0);
}

// --- corruptions -------------------------------------------------------------

void Put32(std::string* b, size_t off, uint32_t v) { std::memcpy(b->data() + off, &v, 4); }
uint32_t Get32(const std::string& b, size_t off) {
  uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}
// Offset of the first load command `cmd` in a thin 64-bit image.
size_t FindCmd(const std::string& b, uint32_t cmd) {
  size_t off = 32;
  for (uint32_t i = 0; i < Get32(b, 16); ++i) {
    if (Get32(b, off) == cmd) return off;
    off += Get32(b, off + 4);
  }
  return 0;
}

class MachOCorrupt : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_TOOLCHAIN();
    bin_ = FromIpa("ipa-full", "Payload/EduDemo.app/EduDemo");
    ASSERT_GT(bin_.size(), 4096u);
  }
  // Writes `value` at byte `field` of the first load command `cmd` (of the
  // header when `cmd` is 0), parses the image and returns its one slice.
  const Slice& Corrupt(uint32_t cmd, size_t field, uint32_t value) {
    size_t off = cmd == 0 ? 0 : FindCmd(bin_, cmd);
    EXPECT_TRUE(cmd == 0 || off != 0) << "no load command " << cmd;
    Put32(&bin_, off + field, value);
    auto f = Parse(bin_, nullptr);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    parsed_ = f.ok() ? std::move(f).value() : File{};
    if (parsed_.slices.size() != 1) {
      ADD_FAILURE() << parsed_.slices.size() << " slices";
      parsed_.slices.resize(1);
    }
    return parsed_.slices[0];
  }
  std::string bin_;
  File parsed_;
};

TEST_F(MachOCorrupt, NcmdsBumpedKeepsCommandsThatFit) {
  const Slice& s = Corrupt(0, 16, 0x7fffffff);
  EXPECT_TRUE(Has(s.anomalies, "macho-malformed header: ncmds 2147483647 cannot fit"));
  EXPECT_GE(s.dylibs.size(), 4u);  // all real commands still parsed
}

TEST_F(MachOCorrupt, SizeofcmdsPastEnd) {
  const Slice& s = Corrupt(0, 20, 0xfffffff0);
  EXPECT_TRUE(Has(s.anomalies, "macho-malformed header: sizeofcmds 4294967280 runs past"));
  EXPECT_EQ(s.arch, "arm64");
}

TEST_F(MachOCorrupt, CmdsizeZeroStopsTheWalk) {
  const Slice& s = Corrupt(kLcLoadDylib, 4, 0);
  EXPECT_TRUE(Has(s.anomalies, "has cmdsize 0 outside the load-command area"));
  EXPECT_TRUE(s.dylibs.empty());
  EXPECT_FALSE(s.segments.empty());  // segments came before
}

TEST_F(MachOCorrupt, DylibNameOffsetPastCommand) {
  const Slice& s = Corrupt(kLcLoadDylib, 8, 0x10000);
  EXPECT_TRUE(Has(s.anomalies, "dylib name offset out of range"));
  EXPECT_GE(s.dylibs.size(), 3u);  // the others survive
}

TEST_F(MachOCorrupt, CodeSignaturePastEnd) {
  const Slice& s = Corrupt(kLcCodeSignature, 8, static_cast<uint32_t>(bin_.size() + 100));
  EXPECT_TRUE(Has(s.anomalies, "macho-malformed code signature: at "));
  EXPECT_TRUE(s.entitlements.empty());
  EXPECT_GE(s.dylibs.size(), 4u);
}

TEST_F(MachOCorrupt, SymbolCountPastEnd) {
  const Slice& s = Corrupt(kLcSymtab, 12, 0x40000000);
  EXPECT_TRUE(Has(s.anomalies, "macho-malformed symbol table: nsyms 1073741824 runs past the end"));
}

// A table over max_table_items is cut at the limit, said once per table as
// "macho-over-limit"; what was read is kept and the parse succeeds.
TEST_F(MachOCorrupt, TablesOverMaxTableItemsAreCutAtTheLimit) {
  auto full = Parse(bin_, nullptr);
  ASSERT_TRUE(full.ok());
  const Slice& whole = full->slices[0];
  ASSERT_GT(whole.cstrings.size(), 2u);
  Budget budget(testing::WithTableCap(2));
  auto f = Parse(bin_, &budget);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const Slice& s = f->slices[0];
  int symbols = 0, cstrings = 0;
  for (const Anomaly& a : s.anomalies) {
    EXPECT_EQ(a.code, "macho-over-limit") << a.location << ": " << a.detail;
    EXPECT_NE(a.detail.find("over max_table_items 2; the first 2 kept"), std::string::npos)
        << a.detail;
    symbols += a.location == "Mach-O symbols";
    cstrings += a.location == "Mach-O C strings";
  }
  EXPECT_EQ(symbols, 1);
  EXPECT_EQ(cstrings, 1);
  // Symbols: at most the first two entries, each one the full parse has.
  EXPECT_LE(s.imported_symbols.size() + s.exported_symbols.size(), 2u);
  for (auto sym : s.imported_symbols) {
    EXPECT_NE(std::find(whole.imported_symbols.begin(), whole.imported_symbols.end(), sym),
              whole.imported_symbols.end())
        << sym;
  }
  // C strings: exactly the first two.
  ASSERT_EQ(s.cstrings.size(), 2u);
  EXPECT_EQ(s.cstrings[0].text, whole.cstrings[0].text);
  EXPECT_EQ(s.cstrings[1].text, whole.cstrings[1].text);
  // Counts not over the limit are untouched.
  EXPECT_EQ(s.dylibs.size(), whole.dylibs.size());
  EXPECT_EQ(s.entitlements, whole.entitlements);
}

// A SuperBlob count over kMaxBlobs is cut at kMaxBlobs: the real blobs,
// which come first, are still read.
TEST_F(MachOCorrupt, SignatureBlobCountOverKMaxBlobsIsCut) {
  size_t off = FindCmd(bin_, kLcCodeSignature);
  ASSERT_NE(off, 0u);
  const uint32_t dataoff = Get32(bin_, off + 8), datasize = Get32(bin_, off + 12);
  ASSERT_GT(datasize, 12 + 8 * (kMaxBlobs + 1));
  const uint32_t count = kMaxBlobs + 1;
  const uint32_t be = __builtin_bswap32(count);
  std::memcpy(bin_.data() + dataoff + 8, &be, 4);
  auto f = Parse(bin_, nullptr);
  ASSERT_TRUE(f.ok());
  const Slice& s = f->slices[0];
  // The 62 index entries past the real ones point at garbage, which is said
  // too; the cut is said once.
  auto cut = std::count_if(s.anomalies.begin(), s.anomalies.end(), [](const Anomaly& a) {
    return a.code == "macho-over-limit" && a.location == "code signature" &&
           a.detail == "65 blobs over 64; the first 64 read";
  });
  EXPECT_EQ(cut, 1) << ::testing::PrintToString(Texts(s.anomalies));
  EXPECT_NE(s.entitlements.find("aps-environment"), std::string::npos);
  EXPECT_EQ(s.team_id, "ABCDE12345");
}

TEST_F(MachOCorrupt, TruncatedImageKeepsHeaderFacts) {
  std::string half = bin_.substr(0, bin_.size() / 2);
  auto f = Parse(half, nullptr);
  ASSERT_TRUE(f.ok());
  const Slice& s = f->slices[0];
  EXPECT_EQ(s.arch, "arm64");
  EXPECT_GE(s.dylibs.size(), 4u);
  EXPECT_FALSE(s.anomalies.empty());
  EXPECT_TRUE(s.entitlements.empty());  // the signature was cut off
}

// Every prefix of a real image: below the 32-byte header the parse fails
// and says why; from the header on it succeeds with the header's facts, the
// load commands that fit (a prefix of the full list) and an anomaly naming
// what was cut (the load-command area while it is cut, afterwards only the
// structures that lie after it); the whole image parses without anomalies.
TEST_F(MachOCorrupt, EveryTruncationIsSafe) {
  auto full = Parse(bin_, nullptr);
  ASSERT_TRUE(full.ok());
  ASSERT_EQ(full->slices.size(), 1u);
  const Slice& whole = full->slices[0];
  EXPECT_TRUE(whole.anomalies.empty()) << Texts(whole.anomalies)[0];
  const size_t cmds_end = 32 + Get32(bin_, 20);  // header + sizeofcmds
  int checked = 0;
  for (size_t n = 0; n <= bin_.size(); n += std::max<size_t>(1, n / 16)) {
    SCOPED_TRACE(n);
    auto f = Parse(std::string_view(bin_).substr(0, n), nullptr);
    if (n < 32) {
      ASSERT_FALSE(f.ok());
      EXPECT_EQ(f.status().code(), "malformed");
      EXPECT_NE(f.status().message().find(n < 4 ? "shorter than a magic" : "header truncated"),
                std::string::npos)
          << f.status().ToString();
      continue;
    }
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    ASSERT_EQ(f->slices.size(), 1u);
    const Slice& s = f->slices[0];
    EXPECT_EQ(s.arch, whole.arch);
    EXPECT_EQ(s.ncmds, whole.ncmds);
    ASSERT_LE(s.dylibs.size(), whole.dylibs.size());
    for (size_t i = 0; i < s.dylibs.size(); ++i) EXPECT_EQ(s.dylibs[i].path, whole.dylibs[i].path);
    EXPECT_LE(s.segments.size(), whole.segments.size());
    if (n < cmds_end) {
      ASSERT_FALSE(s.anomalies.empty());
      EXPECT_EQ(s.anomalies[0].code, "macho-malformed");
      EXPECT_EQ(s.anomalies[0].location, "header");
      EXPECT_NE(s.anomalies[0].detail.find("sizeofcmds"), std::string::npos) << Texts(s.anomalies)[0];
    } else if (n < bin_.size()) {
      // Every load command is there; what they point at (symbols, the
      // signature) is cut, and that is said.
      EXPECT_EQ(s.dylibs.size(), whole.dylibs.size());
      EXPECT_EQ(s.segments.size(), whole.segments.size());
      ASSERT_FALSE(s.anomalies.empty());
      for (const Anomaly& a : s.anomalies) {
        EXPECT_EQ(a.code, "macho-malformed") << a.location << ": " << a.detail;
        // Only structures that lie after the load commands can be cut.
        bool after_cmds = a.location.rfind("segment ", 0) == 0 ||
                          a.location.rfind("section ", 0) == 0 ||
                          a.location == "symbol table" || a.location == "code signature" ||
                          a.location.rfind("code-signing blob ", 0) == 0;
        EXPECT_TRUE(after_cmds) << a.location << ": " << a.detail;
        bool says_cut = a.detail.find("runs past") != std::string::npos ||
                        a.detail.find("out of range") != std::string::npos ||
                        a.detail.find("not an embedded-signature") != std::string::npos;
        EXPECT_TRUE(says_cut) << a.location << ": " << a.detail;
      }
      // A signature cut anywhere loses the entitlements or says so.
      if (s.entitlements != whole.entitlements) {
        EXPECT_TRUE(Has(s.anomalies, "code signature") || Has(s.anomalies, "code-signing blob"));
      }
    } else {
      EXPECT_TRUE(s.anomalies.empty()) << Texts(s.anomalies)[0];
      EXPECT_EQ(s.entitlements, whole.entitlements);
    }
    ++checked;
  }
  EXPECT_GT(checked, 100);
}

TEST(MachOHeaders, RejectsGarbageAndBadFat) {
  EXPECT_FALSE(Parse("", nullptr).ok());
  EXPECT_FALSE(Parse("hello world, not a binary", nullptr).ok());
  // A Java class file: 0xcafebabe followed by a version, not an arch count.
  std::string java("\xca\xfe\xba\xbe\x00\x00\x00\x34", 8);
  auto j = Parse(java, nullptr);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), "malformed");
  // A fat header whose only slice lies past the end.
  std::string fat("\xca\xfe\xba\xbe\x00\x00\x00\x01"
                  "\x01\x00\x00\x0c\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x10\x00\x00\x00\x00\x0e",
                  28);
  auto f = Parse(fat, nullptr);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(Has(f->anomalies, "runs past the end of the file"));
  ASSERT_EQ(f->slices.size(), 1u);
  EXPECT_EQ(f->slices[0].arch, "arm64");
  EXPECT_EQ(f->deep_slice, -1);
  // Big-endian (PowerPC) thin images are reported, not parsed.
  auto be = Parse(std::string("\xfe\xed\xfa\xce\x00\x00\x00\x12", 8) + std::string(40, '\0'), nullptr);
  ASSERT_FALSE(be.ok());
}

TEST(MachOHeaders, ArchNames) {
  EXPECT_EQ(ArchName(0x0100000c, 0), "arm64");
  EXPECT_EQ(ArchName(0x0100000c, 0x80000002), "arm64e");
  EXPECT_EQ(ArchName(12, 9), "armv7");
  EXPECT_EQ(ArchName(12, 11), "armv7s");
  EXPECT_EQ(ArchName(12, 6), "armv6");
  EXPECT_EQ(ArchName(0x01000007, 3), "x86_64");
  EXPECT_EQ(ArchName(7, 3), "i386");
}

}  // namespace
}  // namespace shelfguard::macho
