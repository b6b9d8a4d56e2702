// Differential test: for every native library (lib/**.so) inside the corpus
// APKs, the needed libraries and dynamic symbol names our parser finds equal
// what binutils' readelf prints. Also reports what the code walk found.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "elf/elf_parser.h"
#include "shelfguard/archive.h"
#include "support/corpus.h"
#include "support/fixtures.h"

namespace shelfguard {
namespace {

namespace fs = std::filesystem;

// The command's stdout as lines (through RunCommand); false when it failed.
bool Run(const std::string& cmd, std::vector<std::string>* lines) {
  testing::CommandRun run = testing::RunCommand(cmd);
  std::istringstream in(run.out);
  for (std::string line; std::getline(in, line);) lines->push_back(line);
  return run.exit_code == 0;
}

// DT_NEEDED names from "readelf -d": "... (NEEDED)  Shared library: [libc.so]".
std::multiset<std::string> ReadelfNeeded(const std::string& path) {
  std::vector<std::string> lines;
  Run("readelf -W -d " + testing::ShellQuote(path), &lines);
  std::multiset<std::string> out;
  for (const std::string& l : lines) {
    if (l.find("(NEEDED)") == std::string::npos) continue;
    size_t a = l.find('['), b = l.rfind(']');
    if (a != std::string::npos && b != std::string::npos && b > a)
      out.insert(l.substr(a + 1, b - a - 1));
  }
  return out;
}

// Symbol names from "readelf --dyn-syms": the 8th column, version suffix cut.
std::set<std::string> ReadelfDynsyms(const std::string& path) {
  std::vector<std::string> lines;
  Run("readelf -W --dyn-syms " + testing::ShellQuote(path), &lines);
  std::set<std::string> out;
  for (const std::string& l : lines) {
    std::istringstream in(l);
    std::string num, value, size, type, bind, vis, ndx, name;
    if (!(in >> num) || num.size() < 2 || num.back() != ':' || num[0] < '0' || num[0] > '9')
      continue;
    if (!(in >> value >> size >> type >> bind >> vis >> ndx >> name)) continue;
    // readelf prints unnamed STT_SECTION symbols as the name of their
    // section (".text"); they are not named symbols. Named ones (MIPS
    // _gp_disp) are.
    if (type == "SECTION" && name[0] == '.') continue;
    size_t at = name.find('@');
    if (at != std::string::npos) name = name.substr(0, at);
    if (!name.empty()) out.insert(name);
  }
  return out;
}

// Calls fn(label, bytes) for every lib/**.so inside the corpus APKs.
template <typename Fn>
void ForEachCorpusLibrary(const std::string& corpus, Fn fn) {
  for (const auto& e : fs::directory_iterator(corpus + "/apk")) {
    Budget budget{Limits()};
    auto archive = Archive::OpenFile(e.path().string(), &budget);
    if (!archive.ok()) continue;
    for (const ArchiveEntry& en : (*archive)->entries()) {
      if (en.directory || en.duplicate || en.name.rfind("lib/", 0) != 0 || en.name.size() < 4 ||
          en.name.compare(en.name.size() - 3, 3, ".so") != 0) {
        continue;
      }
      auto bytes = (*archive)->Read(en);
      if (!bytes.ok()) continue;
      fn(e.path().filename().string() + "!" + en.name, *bytes);
    }
  }
}

TEST(ElfCorpus, NeededAndDynamicSymbolsMatchReadelf) {
  SG_REQUIRE_CORPUS();
  if (std::system("command -v readelf >/dev/null 2>&1") != 0) GTEST_SKIP() << "no readelf";
  const std::string corpus = testing::CorpusDir();
  fs::path tmp = fs::temp_directory_path() / ("sg_elf_corpus_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  int compared = 0, equal = 0, parse_failed = 0, analysed = 0;
  uint64_t symbols = 0, sym_ref = 0, imported = 0, strings = 0, str_ref = 0, bytes_total = 0;
  double ms = 0;
  ForEachCorpusLibrary(corpus, [&](const std::string& label, const std::string& lib) {
    const std::string* bytes = &lib;
    fs::path file = tmp / "x.so";
    std::ofstream(file, std::ios::binary).write(bytes->data(), bytes->size());
    auto t0 = std::chrono::steady_clock::now();
    auto parsed = elf::ElfFile::Parse(*bytes, nullptr);
    elf::CodeRefs refs;
    if (parsed.ok()) refs = elf::FindCodeReferences(**parsed, nullptr);
    ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    bytes_total += bytes->size();
    std::multiset<std::string> their_needed = ReadelfNeeded(file.string());
    std::set<std::string> their_syms = ReadelfDynsyms(file.string());
    if (!parsed.ok()) {
      ++parse_failed;
      // readelf must agree that there is nothing to read.
      EXPECT_TRUE(their_needed.empty() && their_syms.empty())
          << label << ": we failed (" << parsed.status().ToString() << "), readelf did not";
      return;
    }
    ++compared;
    std::multiset<std::string> our_needed;
    for (auto n : (*parsed)->needed()) our_needed.emplace(n);
    std::set<std::string> our_syms;
    const auto& syms = (*parsed)->dynamic_symbols();
    for (size_t i = 0; i < syms.size(); ++i) {
      if (syms[i].name.empty()) continue;
      our_syms.emplace(syms[i].name);
      if (syms[i].undefined()) {
        ++imported;
        if (refs.analysed && refs.symbol_referenced[i]) ++sym_ref;
      }
    }
    symbols += our_syms.size();
    strings += (*parsed)->strings().size();
    if (refs.analysed) {
      ++analysed;
      for (bool b : refs.string_referenced) str_ref += b;
    }
    bool ok = our_needed == their_needed && our_syms == their_syms;
    equal += ok;
    EXPECT_EQ(our_needed, their_needed) << label;
    EXPECT_EQ(our_syms.size(), their_syms.size()) << label;
    EXPECT_TRUE(our_syms == their_syms) << label;
  });
  fs::remove_all(tmp);
  std::printf(
      "elf corpus: %d libraries compared with readelf, %d equal, %d unparsable; "
      "%llu dynamic symbols (%llu imported, %llu referenced from code), "
      "%llu rodata strings (%llu referenced), code walked in %d; "
      "%.1f MB parsed + walked in %.1f ms\n",
      compared, equal, parse_failed, (unsigned long long)symbols, (unsigned long long)imported,
      (unsigned long long)sym_ref, (unsigned long long)strings, (unsigned long long)str_ref,
      analysed, bytes_total / 1e6, ms);
  EXPECT_GT(compared, 20);
  EXPECT_EQ(compared, equal);
}

// The ARM32/Thumb code walk uses a direct decoder for speed; Capstone walks
// the same code as the reference. For every 32-bit ARM library in the corpus
// both must find the same imported symbols and strings referenced from code.
TEST(ElfCorpus, DirectArmDecoderAgreesWithCapstone) {
  SG_REQUIRE_CORPUS();
  const std::string corpus = testing::CorpusDir();
  int libraries = 0;
  uint64_t sym_both = 0, sym_direct_only = 0, sym_capstone_only = 0;
  uint64_t str_both = 0, str_direct_only = 0, str_capstone_only = 0;
  double direct_ms = 0, capstone_ms = 0;
  ForEachCorpusLibrary(corpus, [&](const std::string& label, const std::string& bytes) {
    auto parsed = elf::ElfFile::Parse(bytes, nullptr);
    if (!parsed.ok() || (*parsed)->arch() != "arm") return;
    elf::CodeRefOptions reference;
    reference.capstone_arm = true;
    reference.max_capstone_bytes = reference.max_code_bytes;
    auto t0 = std::chrono::steady_clock::now();
    elf::CodeRefs direct = elf::FindCodeReferences(**parsed, nullptr);
    auto t1 = std::chrono::steady_clock::now();
    elf::CodeRefs capstone = elf::FindCodeReferences(**parsed, nullptr, reference);
    auto t2 = std::chrono::steady_clock::now();
    direct_ms += std::chrono::duration<double, std::milli>(t1 - t0).count();
    capstone_ms += std::chrono::duration<double, std::milli>(t2 - t1).count();
    EXPECT_TRUE(direct.analysed && capstone.analysed) << label;
    if (!direct.analysed || !capstone.analysed) return;
    ++libraries;
    const auto& syms = (*parsed)->dynamic_symbols();
    for (size_t i = 0; i < syms.size(); ++i) {
      if (!syms[i].undefined()) continue;
      bool d = direct.symbol_referenced[i], c = capstone.symbol_referenced[i];
      sym_both += d && c;
      sym_direct_only += d && !c;
      sym_capstone_only += c && !d;
      EXPECT_EQ(d, c) << label << ": imported symbol " << syms[i].name;
    }
    const auto& strs = (*parsed)->strings();
    for (size_t i = 0; i < strs.size(); ++i) {
      bool d = direct.string_referenced[i], c = capstone.string_referenced[i];
      str_both += d && c;
      str_direct_only += d && !c;
      str_capstone_only += c && !d;
    }
  });
  std::printf(
      "arm32 decoder vs capstone over %d libraries: imported symbols referenced "
      "%llu both / %llu direct only / %llu capstone only; strings %llu / %llu / %llu; "
      "walk %.1f ms direct vs %.1f ms capstone\n",
      libraries, (unsigned long long)sym_both, (unsigned long long)sym_direct_only,
      (unsigned long long)sym_capstone_only, (unsigned long long)str_both,
      (unsigned long long)str_direct_only, (unsigned long long)str_capstone_only, direct_ms,
      capstone_ms);
  if (libraries == 0) GTEST_SKIP() << "no 32-bit ARM libraries in the corpus";
  // Strings: a reference the direct decoder misses would turn "referenced
  // from code" into "present"; allow at most 1 % drift either way.
  const uint64_t total = str_both + str_direct_only + str_capstone_only;
  EXPECT_LE(str_capstone_only * 100, total)
      << "strings Capstone sees and the direct decoder misses";
  EXPECT_LE(str_direct_only * 100, total) << "strings only the direct decoder claims";
}

}  // namespace
}  // namespace shelfguard
