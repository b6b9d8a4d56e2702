// `registry sync` against a real HTTP server on 127.0.0.1: the database is
// replaced only by a complete, valid export, and the old copy keeps serving.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "registry/registry.h"
#include "registry/sync.h"
#include "support/corpus.h"
#include "support/fixtures.h"
#include "support/http_fixture.h"
#include "support/http_server.h"

namespace shelfguard {
namespace {

namespace fs = std::filesystem;
using testing::HttpRoute;
using testing::HttpServer;

class RegistrySyncTest : public testing::HttpFixture {
 protected:
  RegistrySyncTest() : HttpFixture("sg_sync_test_") {}
  void SetUp() override {
    HttpFixture::SetUp();
    if (HasFatalFailure()) return;
    db_ = (dir_ / "registry.db").string();
    sample_ = testing::ReadFileBytes(testing::SourceDir() + "/samples/registry.json");
    ASSERT_FALSE(sample_.empty());
  }
  static net::HttpOptions Fast() { return FastOptions(1500); }
  // Syncs the sample once so there is an old copy to protect.
  void SeedDatabase() {
    HttpRoute r;
    r.body = sample_;
    r.etag = "\"v1\"";
    r.last_modified = "Sat, 01 Nov 2026 00:00:00 GMT";
    server_.Route("/registry.json", r);
    auto s = SyncRegistry(server_.Url("/registry.json"), db_, Fast());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_TRUE(s->updated);
    old_bytes_ = testing::ReadFileBytes(db_);
    auto reg = Registry::Open(db_);
    ASSERT_TRUE(reg.ok());
    old_version_ = (*reg)->version();
  }
  // The old database is byte-identical, still opens and still serves, and no
  // temp or download file was left beside it.
  void ExpectOldCopyServes() {
    EXPECT_EQ(testing::ReadFileBytes(db_), old_bytes_);
    auto reg = Registry::Open(db_);
    ASSERT_TRUE(reg.ok()) << reg.status().ToString();
    EXPECT_EQ((*reg)->version(), old_version_);
    EXPECT_TRUE((*reg)->FindByPackage(Platform::kAndroid, "cn.shelfguard.sample.full"));
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir_)) {
      EXPECT_EQ(e.path().filename(), "registry.db");
      ++n;
    }
    EXPECT_EQ(n, 1u);
  }

  std::string db_, sample_, old_bytes_, old_version_;
};

TEST_F(RegistrySyncTest, Ok200ThenConditional304) {
  SeedDatabase();
  auto reg = Registry::Open(db_);
  ASSERT_TRUE(reg.ok());
  EXPECT_EQ((*reg)->filing_count(), 9u);
  EXPECT_EQ((*reg)->meta().at("etag"), "\"v1\"");
  EXPECT_EQ((*reg)->meta().at("sync_url"), server_.Url("/registry.json"));

  auto s = SyncRegistry(server_.Url("/registry.json"), db_, Fast());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->updated);
  EXPECT_EQ(s->http_status, 304);
  auto log = server_.requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].headers["if-none-match"], "\"v1\"");
  EXPECT_EQ(log[1].headers["if-modified-since"], "Sat, 01 Nov 2026 00:00:00 GMT");
  ExpectOldCopyServes();
}

TEST_F(RegistrySyncTest, NewContentIsSwappedInAndOldHandleKeepsServing) {
  SeedDatabase();
  auto old = Registry::Open(db_);
  ASSERT_TRUE(old.ok());
  // v2 drops the "revoked" filing.
  std::string v2 = sample_;
  size_t pos = v2.find("cn.shelfguard.sample.revoked");
  ASSERT_NE(pos, std::string::npos);
  v2.replace(pos, std::strlen("cn.shelfguard.sample.revoked"), "cn.shelfguard.sample.renamed");
  v2.replace(v2.find("cn.shelfguard.sample.revoked"), std::strlen("cn.shelfguard.sample.revoked"),
             "cn.shelfguard.sample.renamed");
  HttpRoute r;
  r.body = v2;
  r.etag = "\"v2\"";
  server_.Route("/registry.json", r);
  auto s = SyncRegistry(server_.Url("/registry.json"), db_, Fast());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->updated);
  auto now = Registry::Open(db_);
  ASSERT_TRUE(now.ok());
  EXPECT_NE((*now)->version(), (*old)->version());
  EXPECT_TRUE((*now)->FindByPackage(Platform::kAndroid, "cn.shelfguard.sample.renamed"));
  EXPECT_FALSE((*now)->FindByPackage(Platform::kAndroid, "cn.shelfguard.sample.revoked"));
  // The handle opened before the swap still reads its own snapshot.
  EXPECT_TRUE((*old)->FindByPackage(Platform::kAndroid, "cn.shelfguard.sample.revoked"));
  EXPECT_EQ((*now)->meta().at("etag"), "\"v2\"");
}

TEST_F(RegistrySyncTest, HttpErrorsLeaveOldCopy) {
  SeedDatabase();
  for (int status : {404, 500}) {
    HttpRoute r;
    r.status = status;
    r.body = "error page";
    server_.Route("/registry.json", r);
    auto s = SyncRegistry(server_.Url("/registry.json"), db_, Fast());
    ASSERT_FALSE(s.ok()) << status;
    EXPECT_NE(s.status().message().find("HTTP " + std::to_string(status)), std::string::npos)
        << s.status().ToString();
    ExpectOldCopyServes();
  }
}

TEST_F(RegistrySyncTest, TruncatedBodyLeavesOldCopy) {
  SeedDatabase();
  HttpRoute r;
  r.body = sample_;
  r.truncate_at = sample_.size() / 2;
  server_.Route("/registry.json", r);
  auto s = SyncRegistry(server_.Url("/registry.json"), db_, Fast());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("truncated"), std::string::npos) << s.status().ToString();
  ExpectOldCopyServes();
}

TEST_F(RegistrySyncTest, InvalidJsonAndEmptyExportLeaveOldCopy) {
  SeedDatabase();
  HttpRoute r;
  r.body = "{\"format\": \"shelfguard-registry/1\", \"filings\": [ {\"filing_number\": ";
  server_.Route("/registry.json", r);
  auto s = SyncRegistry(server_.Url("/registry.json"), db_, Fast());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("not valid JSON"), std::string::npos)
      << s.status().ToString();
  ExpectOldCopyServes();

  r.body = "{\"format\": \"shelfguard-registry/1\", \"filings\": []}";
  server_.Route("/registry.json", r);
  s = SyncRegistry(server_.Url("/registry.json"), db_, Fast());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("no valid filings"), std::string::npos);
  ExpectOldCopyServes();
}

TEST_F(RegistrySyncTest, SlowServerPastTheTimeoutLeavesOldCopy) {
  SeedDatabase();
  HttpRoute r;
  r.body = sample_;
  r.drip_ms = 200;       // headers at once, then a trickle
  r.drip_bytes = 64;
  server_.Route("/registry.json", r);
  auto t0 = std::chrono::steady_clock::now();
  auto s = SyncRegistry(server_.Url("/registry.json"), db_, Fast());
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), "timeout") << s.status().ToString();
  EXPECT_LT(ms, 4000);
  ExpectOldCopyServes();
}

TEST_F(RegistrySyncTest, FirstSyncFailureCreatesNothing) {
  auto s = SyncRegistry(server_.Url("/missing.json"), db_, Fast());
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(fs::exists(db_));
  EXPECT_TRUE(fs::is_empty(dir_));
}

}  // namespace
}  // namespace shelfguard
