// ReadPackageAhead + Engine::ScanReadAhead (shelfguard scan reads and hashes
// the first packages while the engine is created) must give exactly the
// facts ScanFile gives, for packages and for paths that cannot be read.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "shelfguard/engine.h"
#include "shelfguard/report.h"
#include "support/corpus.h"

namespace shelfguard {
namespace {

std::string FactsJson(Facts facts) {
  Report r;
  r.facts = std::move(facts);
  return ReportToJson(r);
}

class ReadAheadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = Engine::Create(EngineOptions());
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = *e;
  }
  std::shared_ptr<const Engine> engine_;
};

TEST_F(ReadAheadTest, SamplePackagesGiveTheFactsScanFileGives) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(testing::SourceDir() + "/samples/packages")) {
    if (e.is_regular_file()) files.push_back(e.path().string());
  }
  ASSERT_GE(files.size(), 5u);
  for (const auto& f : files) {
    SCOPED_TRACE(f);
    ReadAhead ahead = ReadPackageAhead(f);
    EXPECT_EQ(ahead.path, f);
    ASSERT_FALSE(ahead.sha256.empty());  // small regular files are read whole
    EXPECT_EQ(ahead.sha256, Sha256Hex(ahead.bytes));
    EXPECT_EQ(FactsJson(engine_->ScanReadAhead(std::move(ahead))), FactsJson(engine_->ScanFile(f)));
  }
}

TEST_F(ReadAheadTest, UnreadablePathsFallBackToScanFileWithItsErrors) {
  const std::string dir = ::testing::TempDir() + "read_ahead_dir";
  std::filesystem::create_directories(dir);
  for (const std::string& p : {std::string("/nonexistent/x.apk"), dir}) {
    SCOPED_TRACE(p);
    ReadAhead ahead = ReadPackageAhead(p);
    EXPECT_TRUE(ahead.sha256.empty());
    EXPECT_TRUE(ahead.bytes.empty());
    Facts a = engine_->ScanReadAhead(std::move(ahead));
    Facts b = engine_->ScanFile(p);
    EXPECT_FALSE(a.analysed);
    ASSERT_FALSE(a.errors.empty());
    EXPECT_EQ(FactsJson(std::move(a)), FactsJson(std::move(b)));
  }
}

TEST_F(ReadAheadTest, TheDigestIsOfTheBytesThatWereRead) {
  // The file changes after it was read ahead: the scan is of the bytes read,
  // under their digest, as if ScanFile had run at the time of the read.
  const std::string path = ::testing::TempDir() + "read_ahead.apk";
  std::filesystem::copy_file(testing::SourceDir() + "/samples/packages/full.apk", path,
                             std::filesystem::copy_options::overwrite_existing);
  ReadAhead ahead = ReadPackageAhead(path);
  const std::string digest = ahead.sha256;
  std::ofstream(path, std::ios::trunc) << "not a package any more";
  Facts f = engine_->ScanReadAhead(std::move(ahead));
  EXPECT_TRUE(f.analysed);
  EXPECT_EQ(f.sha256, digest);
  EXPECT_EQ(f.size, std::filesystem::file_size(testing::SourceDir() + "/samples/packages/full.apk"));
}

}  // namespace
}  // namespace shelfguard
