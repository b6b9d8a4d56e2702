// Differential test: for every DEX in the shared corpus (bare dex/ files and
// root classes*.dex inside APKs), the set of class descriptors our parser
// finds equals the "Class descriptor" lines Debian's dexdump prints.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dex/dex_parser.h"
#include "shelfguard/archive.h"
#include "support/corpus.h"
#include "support/fixtures.h"

namespace shelfguard {
namespace {

namespace fs = std::filesystem;

bool HaveDexdump() { return std::system("command -v dexdump >/dev/null 2>&1") == 0; }

// Runs dexdump on `path`; fills the descriptors; false when dexdump failed.
bool DexdumpClasses(const std::string& path, std::set<std::string>* out) {
  // -i: do not verify the checksum (some corpus files are deliberately odd).
  testing::CommandRun run = testing::RunCommand("dexdump -i " + testing::ShellQuote(path));
  const std::string key = "Class descriptor  : '";
  std::istringstream lines(run.out);
  for (std::string s; std::getline(lines, s);) {
    size_t k = s.find(key);
    if (k == std::string::npos) continue;
    size_t start = k + key.size();
    size_t end = s.rfind('\'');
    if (end != std::string::npos && end >= start) out->insert(s.substr(start, end - start));
  }
  return run.exit_code == 0;
}

struct Outcome {
  int compared = 0, equal = 0, dexdump_failed = 0;
  uint64_t classes = 0;
  double parse_ms = 0;
};

void Compare(const std::string& label, const std::string& bytes, const std::string& path,
             Outcome* o) {
  auto t0 = std::chrono::steady_clock::now();
  auto parsed = dex::DexFile::Parse(bytes, nullptr);
  o->parse_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                     .count();
  std::set<std::string> ours;
  if (parsed.ok()) {
    for (const auto& c : (*parsed)->classes()) {
      ours.insert(std::string((*parsed)->TypeDescriptor(c.class_idx)));
    }
  }
  std::set<std::string> theirs;
  if (!DexdumpClasses(path, &theirs) && theirs.empty()) {
    ++o->dexdump_failed;
    std::printf("  dexdump failed on %s (ours: %s, %zu classes)\n", label.c_str(),
                parsed.ok() ? "parsed" : parsed.status().ToString().c_str(), ours.size());
    return;
  }
  ++o->compared;
  o->classes += theirs.size();
  if (ours == theirs) {
    ++o->equal;
    return;
  }
  std::vector<std::string> missing, extra;
  for (const auto& s : theirs) {
    if (!ours.count(s)) missing.push_back(s);
  }
  for (const auto& s : ours) {
    if (!theirs.count(s)) extra.push_back(s);
  }
  ADD_FAILURE() << label << ": " << missing.size() << " classes only in dexdump (first: "
                << (missing.empty() ? "-" : missing[0]) << "), " << extra.size()
                << " only in ours (first: " << (extra.empty() ? "-" : extra[0]) << ")";
}

TEST(DexCorpus, ClassDescriptorsMatchDexdump) {
  SG_REQUIRE_CORPUS();
  if (!HaveDexdump()) GTEST_SKIP() << "dexdump not installed";
  const std::string corpus = testing::CorpusDir();
  Outcome o;
  fs::path tmp = fs::temp_directory_path() / ("sg_dex_corpus_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  for (const auto& e : fs::directory_iterator(corpus + "/dex")) {
    std::ifstream in(e.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Compare(e.path().filename().string(), bytes, e.path().string(), &o);
  }
  for (const auto& e : fs::directory_iterator(corpus + "/apk")) {
    Budget budget{Limits()};
    auto archive = Archive::OpenFile(e.path().string(), &budget);
    if (!archive.ok()) continue;
    for (const ArchiveEntry& en : (*archive)->entries()) {
      if (en.directory || en.duplicate || en.name.find('/') != std::string::npos) continue;
      if (en.name.rfind("classes", 0) != 0 || en.name.size() < 11 ||
          en.name.compare(en.name.size() - 4, 4, ".dex") != 0) {
        continue;
      }
      auto bytes = (*archive)->Read(en);
      if (!bytes.ok()) continue;
      fs::path file = tmp / "x.dex";
      std::ofstream(file, std::ios::binary).write(bytes->data(), bytes->size());
      Compare(e.path().filename().string() + "!" + en.name, *bytes, file.string(), &o);
    }
  }
  fs::remove_all(tmp);
  std::printf("dex corpus: %d DEX compared with dexdump, %d equal, %d dexdump failures, "
              "%llu classes, our parse time %.1f ms\n",
              o.compared, o.equal, o.dexdump_failed, static_cast<unsigned long long>(o.classes),
              o.parse_ms);
  EXPECT_GT(o.compared, 100);
  EXPECT_EQ(o.compared, o.equal);
}

}  // namespace
}  // namespace shelfguard
