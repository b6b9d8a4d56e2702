// ELF parser and code-reference tests. The fixture is a real shared library
// built at test time with the host gcc (x86-64 here), then corrupted in
// memory; the tests assert what survived and the problem recorded.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "elf/elf_analyzer.h"
#include "elf/elf_parser.h"
#include "support/fixtures.h"
#include "support/parser_limits.h"

namespace shelfguard::elf {
namespace {

namespace fs = std::filesystem;

constexpr char kSource[] = R"(
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
const char unused_literal[] = "unused-literal-string-xyz";
size_t (*table[])(const char*) = {strlen};   /* import used only from data */
const char* used_url(void) { return "https://used.example.com/path?id=42"; }
int shout(const char* s) { return puts(s); }  /* import called through the PLT */
int say_number(void) { return printf("ICP 12345678 %d\n", 7); }
)";

std::string BuildLibrary(const std::string& extra_flags) {
  fs::path dir = fs::temp_directory_path() / ("sg_elf_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "lib.c") << kSource;
  std::string cmd = "gcc -shared -fPIC -O1 " + extra_flags + " -o " + (dir / "lib.so").string() +
                    " " + (dir / "lib.c").string() + " >/dev/null 2>&1";
  std::string out;
  if (std::system(cmd.c_str()) == 0) out = testing::ReadFileBytes(dir / "lib.so");
  fs::remove_all(dir);
  return out;
}

// The library of kSource with the default flags; gcc is a test dependency.
std::string BuildDefaultLibrary() { return BuildLibrary(""); }

class ElfTest : public testing::BuiltInputTest<BuildDefaultLibrary> {
 protected:
  const std::string* lib_ = &Built();
};

bool HasProblem(const ElfFile& f, std::string_view code) {
  return testing::HasAnomaly(f.anomalies(), code);
}

int SymbolIndex(const ElfFile& f, std::string_view name) {
  for (size_t i = 0; i < f.dynamic_symbols().size(); ++i) {
    if (f.dynamic_symbols()[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int StringIndex(const ElfFile& f, std::string_view s) {
  for (size_t i = 0; i < f.strings().size(); ++i) {
    if (f.strings()[i].text == s) return static_cast<int>(i);
  }
  return -1;
}

TEST_F(ElfTest, ParsesHostLibrary) {
  auto r = ElfFile::Parse(*lib_, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ElfFile& f = **r;
  EXPECT_TRUE(f.anomalies().empty()) << f.anomalies().front().code;
#if defined(__x86_64__)
  EXPECT_EQ(f.arch(), "x86_64");
#endif
  std::set<std::string> needed(f.needed().begin(), f.needed().end());
  EXPECT_EQ(needed.count("libc.so.6"), 1u);
  for (const char* s : {"used_url", "shout", "say_number", "unused_literal", "puts", "strlen",
                        "printf"}) {
    EXPECT_GE(SymbolIndex(f, s), 0) << s;
  }
  EXPECT_TRUE(f.dynamic_symbols()[SymbolIndex(f, "puts")].undefined());
  EXPECT_FALSE(f.dynamic_symbols()[SymbolIndex(f, "shout")].undefined());
  EXPECT_GE(StringIndex(f, "https://used.example.com/path?id=42"), 0);
  EXPECT_GE(StringIndex(f, "unused-literal-string-xyz"), 0);
}

#if defined(__x86_64__)
TEST_F(ElfTest, CodeReferencesOnX86_64) {
  auto r = ElfFile::Parse(*lib_, nullptr);
  ASSERT_TRUE(r.ok());
  const ElfFile& f = **r;
  CodeRefs refs = FindCodeReferences(f, nullptr);
  ASSERT_TRUE(refs.analysed) << refs.note;
  EXPECT_TRUE(refs.complete);
  EXPECT_GT(refs.instructions, 10u);
  // Loaded with a RIP-relative LEA.
  EXPECT_TRUE(refs.string_referenced[StringIndex(f, "https://used.example.com/path?id=42")]);
  // Only named by an exported array, never loaded by code.
  EXPECT_FALSE(refs.string_referenced[StringIndex(f, "unused-literal-string-xyz")]);
  // Called through the PLT (or a GOT-indirect call with -fno-plt).
  EXPECT_TRUE(refs.symbol_referenced[SymbolIndex(f, "puts")]);
  EXPECT_TRUE(refs.symbol_referenced[SymbolIndex(f, "printf")]);
  // Bound only from a data table.
  EXPECT_FALSE(refs.symbol_referenced[SymbolIndex(f, "strlen")]);
}

TEST_F(ElfTest, CodeReferencesWithoutPlt) {
  std::string lib = BuildLibrary("-fno-plt");
  ASSERT_FALSE(lib.empty());
  auto r = ElfFile::Parse(lib, nullptr);
  ASSERT_TRUE(r.ok());
  CodeRefs refs = FindCodeReferences(**r, nullptr);
  ASSERT_TRUE(refs.analysed);
  EXPECT_TRUE(refs.symbol_referenced[SymbolIndex(**r, "puts")]);
  EXPECT_FALSE(refs.symbol_referenced[SymbolIndex(**r, "strlen")]);
}
#endif

TEST_F(ElfTest, RejectsBadIdentification) {
  EXPECT_EQ(ElfFile::Parse(lib_->substr(0, 10), nullptr).status().code(), "malformed");
  std::string bad = *lib_;
  bad[1] = 'X';
  EXPECT_EQ(ElfFile::Parse(bad, nullptr).status().code(), "malformed");
  bad = *lib_;
  bad[4] = 7;  // EI_CLASS
  EXPECT_EQ(ElfFile::Parse(bad, nullptr).status().code(), "malformed");
  EXPECT_EQ(ElfFile::Parse(lib_->substr(0, 40), nullptr).status().code(), "malformed");
}

uint64_t GetU64(const std::string& b, size_t off) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(b[off + i])} << (8 * i);
  return v;
}
void PutU64(std::string* b, size_t off, uint64_t v) {
  for (int i = 0; i < 8; ++i) (*b)[off + i] = static_cast<char>(v >> (8 * i));
}
void PutU16(std::string* b, size_t off, uint16_t v) {
  (*b)[off] = static_cast<char>(v);
  (*b)[off + 1] = static_cast<char>(v >> 8);
}

TEST_F(ElfTest, SectionHeadersPastTheEndFallBackToSegments) {
  if (static_cast<uint8_t>((*lib_)[4]) != 2) GTEST_SKIP() << "offsets below assume ELF64";
  std::string bad = *lib_;
  PutU64(&bad, 40, 0xfffffffffff0ull);  // e_shoff
  auto r = ElfFile::Parse(bad, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(HasProblem(**r, "elf-table-truncated"));
  EXPECT_TRUE((*r)->sections().empty());
  // DT_NEEDED and the dynamic symbols still come from PT_DYNAMIC and the
  // hash table (DT_HASH or DT_GNU_HASH).
  std::set<std::string> needed((*r)->needed().begin(), (*r)->needed().end());
  EXPECT_EQ(needed.count("libc.so.6"), 1u);
  CodeRefs refs = FindCodeReferences(**r, nullptr);
  EXPECT_FALSE(refs.analysed);
  EXPECT_NE(refs.note.find("no section headers"), std::string::npos);
}

// Without section headers the dynamic symbols are sized from the hash
// table: SysV DT_HASH's nchain, or GNU DT_GNU_HASH's chains. Both must give
// the symbols the intact library has.
TEST_F(ElfTest, DynamicSymbolsWithoutSectionsFromEitherHashStyle) {
  for (const char* style : {"sysv", "gnu"}) {
    std::string lib = BuildLibrary(std::string("-Wl,--hash-style=") + style);
    ASSERT_FALSE(lib.empty()) << style;
    if (static_cast<uint8_t>(lib[4]) != 2) GTEST_SKIP() << "offsets below assume ELF64";
    auto intact = ElfFile::Parse(lib, nullptr);
    ASSERT_TRUE(intact.ok());
    std::set<std::string> want;
    for (const auto& sym : (*intact)->dynamic_symbols()) want.emplace(sym.name);
    ASSERT_GT(want.size(), 3u) << style;
    std::string bad = lib;
    PutU64(&bad, 40, 0xfffffffffff0ull);  // e_shoff past the end
    auto r = ElfFile::Parse(bad, nullptr);
    ASSERT_TRUE(r.ok()) << style;
    EXPECT_TRUE((*r)->sections().empty());
    std::set<std::string> got;
    for (const auto& sym : (*r)->dynamic_symbols()) got.emplace(sym.name);
    EXPECT_EQ(got, want) << style;
    EXPECT_GE(SymbolIndex(**r, "puts"), 0) << style;
  }
}

TEST_F(ElfTest, HostileCountsAreCapped) {
  if (static_cast<uint8_t>((*lib_)[4]) != 2) GTEST_SKIP() << "offsets below assume ELF64";
  std::string bad = *lib_;
  PutU16(&bad, 60, 0xffff);  // e_shnum
  PutU16(&bad, 56, 0xffff);  // e_phnum
  auto r = ElfFile::Parse(bad, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(HasProblem(**r, "elf-table-truncated"));
  EXPECT_LE((*r)->sections().size(), bad.size() / 64);
  EXPECT_LE((*r)->segments().size(), bad.size() / 56);

  bad = *lib_;
  PutU16(&bad, 58, 8);  // e_shentsize below a section header's size
  r = ElfFile::Parse(bad, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(HasProblem(**r, "elf-bad-section-headers"));

  // .dynsym claiming a huge size: cut to the bytes present.
  auto good = ElfFile::Parse(*lib_, nullptr);
  ASSERT_TRUE(good.ok());
  uint64_t shoff = GetU64(*lib_, 40);
  for (size_t i = 0; i < (*good)->sections().size(); ++i) {
    if ((*good)->sections()[i].type != 11) continue;
    bad = *lib_;
    PutU64(&bad, shoff + i * 64 + 32, 0x7fffffffffffull);
    r = ElfFile::Parse(bad, nullptr);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(HasProblem(**r, "elf-table-truncated"));
    EXPECT_LE((*r)->dynamic_symbols().size(), bad.size() / 24);
  }
}

TEST_F(ElfTest, EveryTruncationIsSurvivable) {
  for (size_t n = 0; n <= lib_->size(); n += 7) {
    auto r = ElfFile::Parse(lib_->substr(0, n), nullptr);
    if (!r.ok()) continue;
    CodeRefs refs = FindCodeReferences(**r, nullptr);
    EXPECT_EQ(refs.string_referenced.size(), refs.analysed ? (*r)->strings().size() : 0u);
  }
}

TEST_F(ElfTest, RandomCorruptionNeverCrashes) {
  testing::ByteFlipper flipper(777, 6, 4096);
  for (int iter = 0; iter < 1500; ++iter) {
    const std::string bad = flipper.Next(*lib_);
    auto r = ElfFile::Parse(bad, nullptr);
    if (r.ok()) {
      CodeRefs refs = FindCodeReferences(**r, nullptr);
      EXPECT_LE(refs.bytes_walked, bad.size());
    }
  }
}

// The parser contract's over-limit rule: the tables counted against the
// budget (dynamic symbols, relocations, read-only strings) are cut at
// max_table_items, what was read kept, and an elf-over-limit anomaly names
// each; the section and program headers have their own kMax limits.
TEST_F(ElfTest, TablesOverMaxTableItemsAreCutAtTheLimit) {
  constexpr uint64_t kCap = 2;
  auto [whole, capped] =
      testing::ParseWholeAndCapped([&](Budget* b) { return ElfFile::Parse(*lib_, b); }, kCap);
  ASSERT_TRUE(whole.ok() && capped.ok()) << capped.status().ToString();
  ASSERT_GT((*whole)->dynamic_symbols().size(), kCap);
  ASSERT_GT((*whole)->strings().size(), kCap);
  const std::vector<Anomaly>& anomalies = (*capped)->anomalies();
  EXPECT_TRUE(testing::CutAtCap((*whole)->dynamic_symbols(), (*capped)->dynamic_symbols(), kCap,
                                anomalies, "elf-over-limit", ".dynsym"));
  EXPECT_TRUE(testing::CutAtCap((*whole)->strings(), (*capped)->strings(), kCap, anomalies,
                                "elf-over-limit", ".rodata"));
  // Every relocation table of the dynamic symbols longer than the cap is
  // named; the slots read bind only the symbols kept.
  const std::set<std::string> cut = testing::AnomalyLocations(anomalies, "elf-over-limit");
  int relocation_tables = 0;
  for (const Section& s : (*whole)->sections()) {
    if ((s.type != 4 && s.type != 9) || s.entsize == 0 || s.size / s.entsize <= kCap) continue;
    ++relocation_tables;
    EXPECT_EQ(cut.count(std::string(s.name)), 1u) << s.name;
  }
  EXPECT_GT(relocation_tables, 0);
  for (const auto& [slot, sym] : (*capped)->reloc_slots()) EXPECT_LT(sym, kCap);
  // Not counted against the budget: the headers, which have kMax limits.
  EXPECT_EQ((*capped)->sections().size(), (*whole)->sections().size());
  EXPECT_EQ((*capped)->segments().size(), (*whole)->segments().size());
}

// A program header table over kMaxSegments (4096) is cut there with an
// elf-over-limit anomaly; the headers before the cut and the rest of the
// file are read as before.
TEST_F(ElfTest, ProgramHeadersOverTheirLimitAreCut) {
  if (static_cast<uint8_t>((*lib_)[4]) != 2) GTEST_SKIP() << "offsets below assume ELF64";
  auto full = ElfFile::Parse(*lib_, nullptr);
  ASSERT_TRUE(full.ok());
  const ElfFile& all = **full;
  // The real program headers, then PT_NULL ones, 5000 in all, at the end.
  constexpr uint16_t kDeclared = 5000;
  constexpr size_t kMaxSegments = 4096;
  std::string big = *lib_;
  big.resize((big.size() + 7) / 8 * 8, '\0');
  const uint64_t phoff = big.size();
  big += lib_->substr(GetU64(*lib_, 32), all.segments().size() * 56);
  big.resize(phoff + size_t{kDeclared} * 56, '\0');
  PutU64(&big, 32, phoff);
  PutU16(&big, 56, kDeclared);
  auto r = ElfFile::Parse(big, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ElfFile& f = **r;
  ASSERT_EQ(f.segments().size(), kMaxSegments);
  for (size_t i = 0; i < all.segments().size(); ++i) {
    EXPECT_EQ(f.segments()[i].type, all.segments()[i].type) << i;
    EXPECT_EQ(f.segments()[i].vaddr, all.segments()[i].vaddr) << i;
  }
  EXPECT_EQ(f.segments().back().type, 0u);  // PT_NULL
  EXPECT_EQ(testing::AnomalyLocations(f.anomalies(), "elf-over-limit"),
            std::set<std::string>{"program headers"});
  EXPECT_FALSE(testing::HasAnomaly(f.anomalies(), "elf-table-truncated"));
  EXPECT_EQ(f.dynamic_symbols().size(), all.dynamic_symbols().size());
  EXPECT_EQ(f.needed(), all.needed());
}

// Android targets, cross-built with clang + lld when present: the ARM64
// direct decoder and the ARM/Thumb Capstone walk.
constexpr char kCrossSource[] = R"(
extern int puts(const char*);
extern unsigned long strlen(const char*);
unsigned long (*table[])(const char*) = {strlen};
const char never_loaded[] = "never-loaded-string";
const char* url(void) { return "https://x.example.com/a"; }
int shout(const char* a) { return puts(a) + 1; }
)";

std::string CrossBuild(const std::string& flags) {
  fs::path dir = fs::temp_directory_path() / ("sg_elf_x_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "x.c") << kCrossSource;
  std::string cmd = "clang-14 " + flags + " -fPIC -O1 -shared -nostdlib -fuse-ld=lld -o " +
                    (dir / "x.so").string() + " " + (dir / "x.c").string() + " >/dev/null 2>&1";
  std::string out;
  if (std::system(cmd.c_str()) == 0) out = testing::ReadFileBytes(dir / "x.so");
  fs::remove_all(dir);
  return out;
}

class ElfCrossTest : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(ElfCrossTest, CodeReferences) {
  std::string lib = CrossBuild(GetParam().first);
  // clang-14 and lld are build dependencies (install-deps.sh): fail, never skip.
  ASSERT_FALSE(lib.empty()) << "clang-14 + lld could not cross-build for " << GetParam().first;
  auto r = ElfFile::Parse(lib, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ElfFile& f = **r;
  EXPECT_EQ(f.arch(), GetParam().second);
  CodeRefs refs = FindCodeReferences(f, nullptr);
  ASSERT_TRUE(refs.analysed) << refs.note;
  int url = StringIndex(f, "https://x.example.com/a");
  int never = StringIndex(f, "never-loaded-string");
  ASSERT_GE(url, 0);
  ASSERT_GE(never, 0);
  EXPECT_TRUE(refs.string_referenced[url]);
  EXPECT_FALSE(refs.string_referenced[never]);
  ASSERT_GE(SymbolIndex(f, "puts"), 0);
  ASSERT_GE(SymbolIndex(f, "strlen"), 0);
  EXPECT_TRUE(refs.symbol_referenced[SymbolIndex(f, "puts")]);
  EXPECT_FALSE(refs.symbol_referenced[SymbolIndex(f, "strlen")]);
}

INSTANTIATE_TEST_SUITE_P(
    Android, ElfCrossTest,
    ::testing::Values(std::make_pair("--target=aarch64-linux-android21", "arm64"),
                      std::make_pair("--target=armv7a-linux-androideabi21 -mthumb", "arm"),
                      std::make_pair("--target=armv7a-linux-androideabi21 -marm", "arm"),
                      std::make_pair("--target=x86_64-linux-android21", "x86_64")));

}  // namespace
}  // namespace shelfguard::elf
