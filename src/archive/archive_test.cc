// Archive layer tests: zips built by tests/fixtures/mkzip.py (valid and with
// each oddity named in the spec), corrupted further here, and the corpus
// files that carry the same oddities in the wild.
#include "shelfguard/archive.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "support/corpus.h"
#include "support/fixtures.h"
#include "zip_internal.h"

namespace shelfguard {
namespace {

using testing::BuildZip;
using testing::ReadFileBytes;

bool HasAnomaly(const Archive& a, const std::string& code, const std::string& detail_part = "") {
  for (const auto& an : a.anomalies()) {
    if (an.code == code && an.detail.find(detail_part) != std::string::npos) return true;
  }
  return false;
}

std::string AnomalyList(const Archive& a) {
  std::string s;
  for (const auto& an : a.anomalies()) s += an.code + " @" + an.location + ": " + an.detail + "\n";
  return s;
}

std::unique_ptr<Archive> OpenOk(const std::string& path, Budget* budget) {
  auto r = Archive::OpenFile(path, budget);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return nullptr;
  return std::move(r).value();
}

std::string ReadOk(Archive* a, std::string_view name) {
  auto r = a->Read(name);
  EXPECT_TRUE(r.ok()) << name << ": " << r.status().ToString();
  return r.ok() ? *r : std::string("<error>");
}

constexpr char kThreeEntries[] = R"({"entries": [
  {"name": "AndroidManifest.xml", "text": "manifest bytes manifest bytes manifest bytes"},
  {"name": "assets/stored.txt", "text": "stored data", "method": 0},
  {"name": "res/empty", "text": ""}]})";

TEST(ArchiveTest, ValidZipFromFileAndMemory) {
  std::string path = BuildZip(kThreeEntries);
  ASSERT_FALSE(path.empty());
  Limits limits;
  for (bool memory : {false, true}) {
    Budget budget(limits);
    auto r = memory ? Archive::OpenMemory(ReadFileBytes(path), "mem.zip", &budget, 0)
                    : Archive::OpenFile(path, &budget);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    Archive& a = **r;
    ASSERT_EQ(a.entries().size(), 3u);
    EXPECT_EQ(a.entries()[0].name, "AndroidManifest.xml");
    EXPECT_EQ(a.entries()[0].method, 8);
    EXPECT_EQ(a.entries()[1].method, 0);
    EXPECT_EQ(a.entries()[1].size, 11u);
    EXPECT_TRUE(a.anomalies().empty()) << AnomalyList(a);
    EXPECT_EQ(ReadOk(&a, "AndroidManifest.xml"),
              "manifest bytes manifest bytes manifest bytes");
    EXPECT_EQ(ReadOk(&a, "assets/stored.txt"), "stored data");
    EXPECT_EQ(ReadOk(&a, "res/empty"), "");
    EXPECT_EQ(budget.total_inflated(), 44u + 11u);
    auto missing = a.Read("nope");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.status().code(), "not-found");
  }
}

// Entries of a package read into memory are inflated whole; anything the
// directory gets wrong (CRC, a size smaller or larger than the data) falls
// back to the streaming path and ends in its error or data, from a file
// (loaded whole) and from memory alike.
// Entries a whole-entry read handles, and what the directory can get wrong.
constexpr char kWholeReadCases[] = R"({"entries": [
    {"name": "good", "repeat": 97, "count": 300000},
    {"name": "stored", "text": "stored bytes", "method": 0},
    {"name": "badcrc", "text": "some text some text", "crc": 305419896},
    {"name": "short", "repeat": 98, "count": 5000, "declared_size": 100},
    {"name": "long", "text": "tiny", "declared_size": 4000}]})";

TEST(ArchiveTest, WholeEntryInflationFallsBackOnWhatTheDirectoryGetsWrong) {
  std::string path = BuildZip(kWholeReadCases);
  ASSERT_FALSE(path.empty());
  for (bool memory : {false, true}) {
    Budget budget{Limits()};
    auto r = memory ? Archive::OpenMemory(ReadFileBytes(path), "mem.zip", &budget, 0)
                    : Archive::OpenFile(path, &budget);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    Archive& a = **r;
    EXPECT_EQ(ReadOk(&a, "good"), std::string(300000, 'a'));
    EXPECT_EQ(ReadOk(&a, "stored"), "stored bytes");
    auto crc = a.Read("badcrc");
    EXPECT_FALSE(crc.ok()) << "read " << (crc.ok() ? crc->size() : 0) << " bytes";
    // Data that inflates past the declared size is malformed, and is not
    // inflated past it (issue 12 item 13); less data than declared is read.
    auto over = a.Read("short");
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.status().code(), "malformed");
    EXPECT_NE(over.status().message().find("declared 100 bytes"), std::string::npos)
        << over.status().ToString();
    EXPECT_EQ(ReadOk(&a, "long"), "tiny");
  }
}

// Prefetch (a helper thread inflating the entries a scan will read, one
// ahead) changes nothing a read returns or charges: the same bytes, the same
// errors, the same budget, whether the entries are read in the announced
// order, out of it, partly, or not at all.
TEST(ArchiveTest, PrefetchReadsTheSameBytesErrorsAndCharges) {
  std::string path = BuildZip(kWholeReadCases);
  ASSERT_FALSE(path.empty());
  const std::string bytes = ReadFileBytes(path);
  struct Outcome {
    std::vector<std::string> results;  // bytes, or "error <code>"
    uint64_t charged = 0;
  };
  // Reads `order` (names) with or without prefetching `announced`.
  auto run = [&](const std::vector<std::string>& announced, const std::vector<std::string>& order,
                 bool prefetch) {
    Outcome out;
    Budget budget{Limits()};
    auto r = Archive::OpenMemory(bytes, "mem.zip", &budget, 0);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return out;
    Archive& a = **r;
    if (prefetch) {
      std::vector<const ArchiveEntry*> list;
      for (const auto& n : announced) list.push_back(a.Find(n));
      a.Prefetch(list);
    }
    for (const auto& n : order) {
      auto got = a.Read(n);
      out.results.push_back(got.ok() ? *got : "error " + got.status().code());
    }
    out.charged = budget.total_inflated();
    return out;
  };
  const std::vector<std::string> all = {"good", "stored", "badcrc", "short", "long"};
  const std::vector<std::vector<std::string>> orders = {
      all,                         // as announced
      {"short", "good", "long"},   // out of order: good was passed
      {"stored", "long"},          // skips most
      {"good", "good", "badcrc"},  // the same entry twice
      {},                          // nothing read: the helper is stopped
  };
  for (const auto& order : orders) {
    const Outcome plain = run(all, order, false);
    const Outcome ahead = run(all, order, true);
    EXPECT_EQ(ahead.results, plain.results);
    EXPECT_EQ(ahead.charged, plain.charged);
  }
  const Outcome ahead = run(all, all, true);
  EXPECT_EQ(ahead.results[0], std::string(300000, 'a'));
  EXPECT_EQ(ahead.results[3], "error malformed");
  EXPECT_EQ(ahead.results[4], "tiny");
  // An archive opened from its file (read whole, being small) prefetches the
  // same way.
  Budget budget{Limits()};
  auto file = OpenOk(path, &budget);
  ASSERT_TRUE(file);
  file->Prefetch({file->Find("good")});
  EXPECT_EQ(ReadOk(file.get(), "good"), std::string(300000, 'a'));
}

TEST(ArchiveTest, MaxBytesReturnsPrefix) {
  std::string path = BuildZip(kThreeEntries);
  Budget budget{Limits()};
  auto a = OpenOk(path, &budget);
  ASSERT_TRUE(a);
  auto r = a->Read("AndroidManifest.xml", 8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "manifest");
}

TEST(ArchiveTest, DuplicateNamesFirstWins) {
  std::string path = BuildZip(R"({"entries": [
    {"name": "classes.dex", "text": "first"}, {"name": "classes.dex", "text": "second"}]})");
  Budget budget{Limits()};
  auto a = OpenOk(path, &budget);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->entries().size(), 2u);
  EXPECT_FALSE(a->entries()[0].duplicate);
  EXPECT_TRUE(a->entries()[1].duplicate);
  EXPECT_EQ(ReadOk(a.get(), "classes.dex"), "first");
  auto second = a->Read(a->entries()[1]);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, "second");
  EXPECT_TRUE(HasAnomaly(*a, "zip-duplicate-entry")) << AnomalyList(*a);
}

TEST(ArchiveTest, NamesWithCrAndNulAreKeptRaw) {
  std::string path = BuildZip(R"({"entries": [
    {"name": "test.txt\r", "text": "cr"}, {"name": "test.txt\u0000", "text": "nul"},
    {"name": "test.txt", "text": "plain"}]})");
  Budget budget{Limits()};
  auto a = OpenOk(path, &budget);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->entries().size(), 3u);
  EXPECT_EQ(a->entries()[0].name, std::string("test.txt\r"));
  EXPECT_EQ(a->entries()[1].name, std::string("test.txt\0", 9));
  EXPECT_EQ(ReadOk(a.get(), std::string("test.txt\0", 9)), "nul");
  EXPECT_EQ(ReadOk(a.get(), "test.txt\r"), "cr");
  EXPECT_EQ(ReadOk(a.get(), "test.txt"), "plain");
  EXPECT_FALSE(a->entries()[2].duplicate);  // NUL does not truncate the name
  EXPECT_TRUE(HasAnomaly(*a, "zip-name-control-char")) << AnomalyList(*a);
}

TEST(ArchiveTest, JanusPrefixWithAbsoluteOffsets) {
  std::string path = BuildZip(R"({"prefix": {"text": "dex\n035\u0000 a whole dex file here"},
    "entries": [{"name": "AndroidManifest.xml", "text": "m"}, {"name": "classes.dex", "text": "d"}]})");
  Budget budget{Limits()};
  auto a = OpenOk(path, &budget);
  ASSERT_TRUE(a);
  EXPECT_EQ(ReadOk(a.get(), "classes.dex"), "d");
  EXPECT_TRUE(HasAnomaly(*a, "zip-prefixed-data", "Janus")) << AnomalyList(*a);
}

TEST(ArchiveTest, PrefixWithRelativeOffsets) {
  std::string path = BuildZip(R"({"prefix": {"repeat": "#", "count": 100},
    "prefix_offsets": "relative",
    "entries": [{"name": "a", "text": "alpha"}, {"name": "b", "text": "beta", "method": 0}]})");
  Budget budget{Limits()};
  auto a = OpenOk(path, &budget);
  ASSERT_TRUE(a);
  EXPECT_EQ(ReadOk(a.get(), "a"), "alpha");
  EXPECT_EQ(ReadOk(a.get(), "b"), "beta");
  EXPECT_TRUE(HasAnomaly(*a, "zip-prefixed-data", "100 bytes")) << AnomalyList(*a);
}

TEST(ArchiveTest, MaximalEocdCommentAndTrailingData) {
  std::string path = BuildZip(R"({"entries": [{"name": "a", "text": "alpha"}],
    "comment": {"repeat": "PK\u0005\u0006", "count": 16383}})");
  Budget budget{Limits()};
  auto a = OpenOk(path, &budget);
  ASSERT_TRUE(a);
  EXPECT_EQ(ReadOk(a.get(), "a"), "alpha");

  std::string bytes = ReadFileBytes(BuildZip(R"({"entries": [{"name": "a", "text": "alpha"}]})"));
  bytes += "trailing garbage";
  Budget b2{Limits()};
  auto t = Archive::OpenMemory(bytes, "t.zip", &b2, 0);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(ReadOk(t->get(), "a"), "alpha");
  EXPECT_TRUE(HasAnomaly(**t, "zip-trailing-data", "16 bytes")) << AnomalyList(**t);
}

TEST(ArchiveTest, UnknownMethodIsInflatedAsDeflate) {
  std::string path = BuildZip(R"({"entries": [
    {"name": "weird", "text": "deflated under method 21", "method": 21, "data_method": 8},
    {"name": "stored-as-99", "text": "not deflate data at all", "method": 99, "data_method": 0}]})");
  Budget budget{Limits()};
  auto a = OpenOk(path, &budget);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->entries()[0].method, 21);
  EXPECT_EQ(ReadOk(a.get(), "weird"), "deflated under method 21");
  EXPECT_TRUE(HasAnomaly(*a, "zip-unknown-method", "21")) << AnomalyList(*a);
  auto bad = a->Read("stored-as-99");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), "malformed");
}

TEST(ArchiveTest, LocalHeaderMethodMismatch) {
  std::string path = BuildZip(R"({"entries": [
    {"name": "META-INF/CERT.RSA", "text": "certificate certificate", "lh_method": 0}]})");
  Budget budget{Limits()};
  auto a = OpenOk(path, &budget);
  ASSERT_TRUE(a);
  EXPECT_TRUE(HasAnomaly(*a, "zip-header-mismatch", "local header")) << AnomalyList(*a);
  EXPECT_EQ(ReadOk(a.get(), "META-INF/CERT.RSA"), "certificate certificate");
}

TEST(ArchiveTest, BombWithLyingSizeStopsAtLimit) {
  // 64 MiB of zeros deflate to ~64 KiB; the headers claim 1000 bytes.
  std::string path = BuildZip(R"({"entries": [
    {"name": "bomb", "repeat": 0, "count": 67108864, "declared_size": 1000},
    {"name": "ok", "text": "fine"}]})");
  ASSERT_FALSE(path.empty());
  Limits limits;
  limits.max_entry_bytes = 4u << 20;
  Budget budget(limits);
  auto a = OpenOk(path, &budget);
  ASSERT_TRUE(a);
  auto r = a->Read("bomb");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "malformed") << r.status().ToString();
  // Stopped at the declared 1000 bytes, not at the 4 MiB entry limit: memory
  // is bounded by what the directory declares whatever the data says.
  EXPECT_LE(budget.total_inflated(), 1000u);
  EXPECT_EQ(ReadOk(a.get(), "ok"), "fine");
}

TEST(ArchiveTest, BombWithHonestSizeIsRefusedBeforeInflating) {
  std::string path = BuildZip(R"({"entries": [{"name": "bomb", "repeat": 0, "count": 16777216}]})");
  Limits limits;
  limits.max_ratio = 100;
  Budget budget(limits);
  auto a = OpenOk(path, &budget);
  ASSERT_TRUE(a);
  auto r = a->Read("bomb");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "over-limit");
  EXPECT_NE(r.status().message().find("ratio"), std::string::npos) << r.status().message();
  EXPECT_EQ(budget.total_inflated(), 0u);
}

TEST(ArchiveTest, OverlappingEntriesShareDataAndAreCharged) {
  std::string path = BuildZip(R"({"entries": [
    {"name": "x", "repeat": "abc", "count": 1000},
    {"name": "y", "text": "", "local": false, "offset_of": "x", "declared_size": 3000,
     "declared_compressed": 0}]})");
  Budget budget{Limits()};
  auto a = OpenOk(path, &budget);
  ASSERT_TRUE(a);
  EXPECT_TRUE(HasAnomaly(*a, "zip-overlapping-entries")) << AnomalyList(*a);
  EXPECT_EQ(ReadOk(a.get(), "x").size(), 3000u);
}

TEST(ArchiveTest, TotalInflatedLimitStopsOverlappingBomb) {
  // Many central entries pointing at one local entry: the non-recursive bomb.
  std::string spec = R"({"entries": [{"name": "x", "repeat": 0, "count": 1048576, "method": 0})";
  for (int i = 0; i < 20; ++i) {
    spec += R"(, {"name": "y)" + std::to_string(i) + R"(", "local": false, "offset_of": "x",
             "method": 0, "declared_size": 1048576, "declared_compressed": 1048576,
             "crc": 2805525020})";
  }
  spec += "]}";
  std::string path = BuildZip(spec);
  Limits limits;
  limits.max_total_inflated = 5u << 20;
  Budget budget(limits);
  auto a = OpenOk(path, &budget);
  ASSERT_TRUE(a);
  Status last;
  for (const auto& e : a->entries()) {
    auto r = a->Read(e);
    if (!r.ok()) {
      last = r.status();
      if (last.code() == "over-limit") break;
    }
  }
  EXPECT_EQ(last.code(), "over-limit") << last.ToString();
  EXPECT_LE(budget.total_inflated(), (5u << 20) + (64u << 10));
}

TEST(ArchiveTest, TruncatedCentralDirectoryIsRecovered) {
  std::string path = BuildZip(R"({"entries": [
    {"name": "AndroidManifest.xml", "text": "manifest"}, {"name": "b", "text": "bee"},
    {"name": "c", "text": "sea"}], "truncate_cd": 70})");
  Budget budget{Limits()};
  auto a = OpenOk(path, &budget);
  ASSERT_TRUE(a);
  EXPECT_TRUE(HasAnomaly(*a, "zip-central-directory-damaged", "recovered")) << AnomalyList(*a);
  ASSERT_EQ(a->entries().size(), 3u);
  EXPECT_EQ(ReadOk(a.get(), "AndroidManifest.xml"), "manifest");
  EXPECT_EQ(ReadOk(a.get(), "b"), "bee");
  EXPECT_EQ(ReadOk(a.get(), "c"), "sea");
}

TEST(ArchiveTest, MissingEocdFallsBackToLocalHeaders) {
  std::string path = BuildZip(R"({"entries": [{"name": "a", "text": "alpha"},
    {"name": "b", "text": "beta"}], "no_eocd": true, "truncate_cd": 0})");
  Budget budget{Limits()};
  auto a = OpenOk(path, &budget);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->entries().size(), 2u);
  EXPECT_EQ(ReadOk(a.get(), "b"), "beta");
  EXPECT_TRUE(HasAnomaly(*a, "zip-central-directory-damaged")) << AnomalyList(*a);
}

TEST(ArchiveTest, EocdCountThatLiesIsNoticed) {
  std::string path = BuildZip(R"({"entries": [{"name": "a", "text": "alpha"}],
    "eocd": {"entries": 60000}})");
  Budget budget{Limits()};
  auto a = OpenOk(path, &budget);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->entries().size(), 1u);
  EXPECT_EQ(ReadOk(a.get(), "a"), "alpha");
  EXPECT_TRUE(HasAnomaly(*a, "zip-entry-count-mismatch", "60000")) << AnomalyList(*a);
}

TEST(ArchiveTest, EntryDataPastEndSurvivesOthers) {
  std::string path = BuildZip(R"({"entries": [{"name": "a", "text": "alpha"},
    {"name": "big", "text": "short", "declared_compressed": 100000, "method": 0}]})");
  Budget budget{Limits()};
  auto a = OpenOk(path, &budget);
  ASSERT_TRUE(a);
  EXPECT_TRUE(HasAnomaly(*a, "zip-bad-entry", "past the end")) << AnomalyList(*a);
  EXPECT_EQ(ReadOk(a.get(), "a"), "alpha");
  EXPECT_FALSE(a->Read("big").ok());
}

TEST(ArchiveTest, NotAZip) {
  Budget budget{Limits()};
  auto r = Archive::OpenMemory("this is plainly not a zip archive, just text", "t", &budget, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "not-a-zip");
  auto empty = Archive::OpenMemory("", "e", &budget, 0);
  ASSERT_FALSE(empty.ok());
  auto missing = Archive::OpenFile("/nonexistent/x.apk", &budget);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), "io-error");
  EXPECT_NE(missing.status().message().find("/nonexistent/x.apk"), std::string::npos);
}

TEST(ArchiveTest, EntryCountAndDepthLimits) {
  std::string path = BuildZip(kThreeEntries);
  Limits limits;
  limits.max_entries = 2;
  Budget budget(limits);
  auto r = Archive::OpenFile(path, &budget);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "over-limit");
  Budget b2{Limits()};
  auto deep = Archive::OpenMemory(ReadFileBytes(path), "n", &b2, Limits().max_depth + 1);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), "over-limit");
}

// Every truncation and every single-byte change of a small valid zip either
// fails to open with an error value or opens and reads every entry without
// crashing (the sanitizer build checks the memory side).
TEST(ArchiveTest, EveryTruncationAndByteFlipIsSafe) {
  std::string good = ReadFileBytes(BuildZip(kThreeEntries));
  ASSERT_GT(good.size(), 100u);
  size_t opened = 0, refused = 0;
  auto exercise = [&](std::string bytes) {
    Budget budget{Limits()};
    auto r = Archive::OpenMemory(std::move(bytes), "mut", &budget, 0);
    if (!r.ok()) {
      EXPECT_FALSE(r.status().code().empty());
      ++refused;
      return;
    }
    ++opened;
    for (const auto& e : (*r)->entries()) {
      auto d = (*r)->Read(e);
      if (!d.ok()) {
        EXPECT_FALSE(d.status().message().empty());
      }
    }
  };
  for (size_t n = 0; n < good.size(); ++n) exercise(good.substr(0, n));
  for (size_t i = 0; i < good.size(); ++i) {
    for (unsigned char x : {0x01, 0x80, 0xff}) {
      std::string m = good;
      m[i] = static_cast<char>(m[i] ^ x);
      exercise(m);
    }
  }
  EXPECT_GT(opened, 0u);
  EXPECT_GT(refused, 0u);
}

// Directory::plain lets Init skip opening libzip; it must only be set on a
// directory libzip opens with exactly the entries we read. Checked against
// the libzip installed: every truncation and byte flip of a small zip, the
// fixture zips with oddities, and (below) the corpus packages.
void PlainChecked(std::string bytes, size_t* plain) {
  zip_internal::PackageBytes im;
  im.data = std::move(bytes);
  im.in_memory = true;
  im.size = im.data.size();
  std::vector<Anomaly> anomalies;
  zip_internal::AnomalyLog log(&anomalies);
  zip_internal::Directory dir = zip_internal::ReadDirectory(im, Limits().max_entries, &log, "t");
  if (!dir.plain) return;
  ++*plain;
  EXPECT_TRUE(zip_internal::LibzipListsAsRead(im.data, dir.raw)) << im.size << " bytes";
}

TEST(ArchiveTest, PlainDirectoriesAreOpenedByLibzipAsRead) {
  // Names flagged UTF-8 (one not ASCII), an extra field and an entry comment
  // give the flips more to break.
  constexpr char kFlagged[] = R"({"entries": [
    {"name": "AndroidManifest.xml", "text": "manifest bytes", "flags": 2048, "extra": "feca0100aa"},
    {"name": "assets/中文.txt", "text": "stored data", "method": 0, "comment": "cé"}],
    "comment": {"text": "zip comment"}})";
  size_t plain = 0, tried = 0;
  for (const char* spec : {kThreeEntries, kFlagged}) {
    std::string good = ReadFileBytes(BuildZip(spec));
    ASSERT_GT(good.size(), 100u);
    size_t was = plain;
    PlainChecked(good, &plain);
    EXPECT_EQ(plain, was + 1) << spec;
    for (size_t n = 0; n < good.size(); ++n, ++tried) PlainChecked(good.substr(0, n), &plain);
    for (size_t i = 0; i < good.size(); ++i) {
      for (unsigned char x : {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff}) {
        std::string m = good;
        m[i] = static_cast<char>(m[i] ^ x);
        PlainChecked(m, &plain);
        ++tried;
      }
    }
  }
  // Flips in entry data and in fields libzip does not check stay plain.
  EXPECT_GT(plain, 100u);
  EXPECT_LT(plain, tried);
  for (const char* odd : {"comment", "count", "duplicate", "janus", "method", "names", "overlap",
                          "relative", "bomb"}) {
    std::string seed = ReadFileBytes(testing::SourceDir() + "/tests/fuzz_seeds/archive/" + odd + ".zip");
    EXPECT_FALSE(seed.empty()) << odd;
    PlainChecked(seed, &plain);
  }
}

TEST(ArchiveCorpusTest, PlainDirectoriesAreOpenedByLibzipAsRead) {
  SG_REQUIRE_CORPUS();
  size_t plain = 0, files = 0, files_plain = 0;
  for (const char* dir : {"apk", "aab", "hap", "ipa"}) {
    for (const auto& f : std::filesystem::directory_iterator(testing::CorpusDir() + "/" + dir)) {
      SCOPED_TRACE(f.path().string());
      std::string bytes = ReadFileBytes(f.path().string());
      ++files;
      // Flips in the end record and the last directory records (of the
      // smaller packages: each check copies the package).
      for (size_t back = 1; back <= 200 && back <= bytes.size() && bytes.size() < (256u << 10); back += 19) {
        std::string m = bytes;
        m[m.size() - back] = static_cast<char>(m[m.size() - back] ^ 0x41);
        size_t ignored = 0;
        PlainChecked(std::move(m), &ignored);
      }
      size_t before = plain;
      PlainChecked(std::move(bytes), &plain);
      files_plain += plain > before ? 1 : 0;
    }
  }
  // Most real packages are plain: that is what makes deferring libzip pay.
  EXPECT_GT(files_plain, files / 2);
}

// A prefix read of an in-memory entry is decoded by InflatePrefix, not by
// libzip: it must return what libzip's stream (ReadZipEntry) returns, and
// charge the budget the same, for intact data and for data with a flipped
// byte anywhere in it (where libzip fails, the read falls back to libzip).
TEST(ArchiveTest, PrefixReadsMatchLibzipsStream) {
  constexpr char kSpec[] = R"({"entries": [
    {"name": "big.txt", "repeat": "0123456789 the quick brown fox jumps over the lazy dog\n", "count": 4000},
    {"name": "small.txt", "text": "a small deflated entry, a small deflated entry"},
    {"name": "badcrc-small.txt", "text": "the CRC in the headers is wrong", "crc": 1},
    {"name": "badcrc-big.txt", "repeat": "wrong CRC, more than two pieces ", "count": 7000, "crc": 1},
    {"name": "short.txt", "repeat": "declared longer than it is ", "count": 3000, "declared_size": 200000},
    {"name": "stored.bin", "repeat": "stored bytes ", "count": 12000, "method": 0}]})";
  std::string good = ReadFileBytes(BuildZip(kSpec));
  ASSERT_GT(good.size(), 1000u);
  size_t compared = 0, failed_both = 0;
  auto compare = [&](const std::string& bytes) {
    Budget mine{Limits()};
    auto a = Archive::OpenMemory(bytes, "mut", &mine, 0);
    if (!a.ok()) return;
    int code = 0;
    zip_t* z = zip_internal::OpenZipMemory(bytes, &code);
    if (z == nullptr) return;
    for (const auto& e : (*a)->entries()) {
      // Unknown methods are inflated as deflate by design (not libzip's way).
      if (e.method != 0 && e.method != 8) continue;
      for (uint64_t max : {uint64_t{1}, uint64_t{65536}, uint64_t{65537}, uint64_t{150000}, e.size - 1}) {
        if (max == 0 || max >= e.size) continue;
        Budget theirs{Limits()};
        const uint64_t before = mine.total_inflated();
        auto got = (*a)->Read(e, max);
        auto want = zip_internal::ReadZipEntry(z, e.index, e, &theirs, max);
        SCOPED_TRACE(e.name + " max " + std::to_string(max));
        ASSERT_EQ(got.ok(), want.ok()) << (got.ok() ? want.status().ToString() : got.status().ToString());
        if (got.ok()) {
          EXPECT_EQ(*got, *want);
        } else {
          EXPECT_EQ(got.status().ToString(), want.status().ToString());
          ++failed_both;
        }
        EXPECT_EQ(mine.total_inflated() - before, theirs.total_inflated());
        ++compared;
      }
    }
    zip_discard(z);
  };
  compare(good);
  EXPECT_GT(compared, 10u);
  // Flips in the deflated entries' headers and data (every 7th byte up to
  // the stored entry, the last), where libzip finds bad data at one offset
  // or another.
  const size_t stored = good.find("stored.bin");
  ASSERT_NE(stored, std::string::npos);
  for (size_t i = 30; i + 30 < stored; i += 7) {
    std::string m = good;
    m[i] = static_cast<char>(m[i] ^ 0x5a);
    compare(m);
  }
  EXPECT_GT(failed_both, 0u);
}

// The same oddities in real packages from the shared corpus.
struct CorpusCase {
  const char* file;
  const char* anomaly;  // expected anomaly code, or ""
  const char* readable; // an entry that must read, or ""
};

TEST(ArchiveCorpusTest, OdditiesInTheWild) {
  SG_REQUIRE_CORPUS();
  const CorpusCase cases[] = {
      {"apk/fdroid__janus.apk", "zip-prefixed-data", "AndroidManifest.xml"},
      {"apk/androguard-apksig__v1-only-with-cr-in-entry-name.apk", "zip-name-control-char",
       "AndroidManifest.xml"},
      {"apk/androguard-apksig__v1-only-with-nul-in-entry-name.apk", "zip-name-control-char",
       "AndroidManifest.xml"},
      {"apk/androguard-apksig__weird-compression-method.apk", "zip-unknown-method",
       "META-INF/CERT.RSA"},
      {"apk/androguard-apksig__mismatched-compression-method.apk", "zip-header-mismatch",
       "AndroidManifest.xml"},
      {"apk/androguard-apksig__v1-only-max-sized-eocd-comment.apk", "", "AndroidManifest.xml"},
      {"apk/androguard-apksig__v2-only-truncated-cd.apk", "zip-central-directory-damaged",
       "AndroidManifest.xml"},
      {"apk/androguard-apksig__v2-only-garbage-between-cd-and-eocd.apk", "zip-gap-before-eocd",
       "AndroidManifest.xml"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    std::string path = testing::CorpusDir() + "/" + c.file;
    Budget budget{Limits()};
    auto r = Archive::OpenFile(path, &budget);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (*c.anomaly != '\0') {
      EXPECT_TRUE(HasAnomaly(**r, c.anomaly)) << AnomalyList(**r);
    }
    if (*c.readable != '\0') {
      auto d = (*r)->Read(c.readable);
      EXPECT_TRUE(d.ok()) << d.status().ToString();
      if (d.ok()) {
        EXPECT_FALSE(d->empty());
      }
    }
  }
}

}  // namespace
}  // namespace shelfguard
