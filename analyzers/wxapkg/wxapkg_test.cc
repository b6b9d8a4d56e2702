// Unit tests of the .wxapkg container: a package built here, then
// corrupted; the V1MMWX layer round-tripped with an encryptor written from
// the public scheme (wxapkg_parser.h).
#include <gtest/gtest.h>

#include <string>

#include "support/package_writers.h"
#include "support/parser_limits.h"

#include "wxapkg/wxapkg_analyzer.h"
#include "wxapkg/wxapkg_parser.h"

namespace shelfguard {
namespace {

using testing::BuildWxapkg;
using testing::EncryptWxapkg;

TEST(Wxapkg, ParsesIndexAndContent) {
  std::string pkg = BuildWxapkg({{"/app-config.json", "{\"pages\":[\"pages/index/index\"]}"},
                                 {"/app-service.js", "wx.requestPayment({})"}});
  ASSERT_TRUE(wxapkg::IsWxapkg(pkg));
  auto p = wxapkg::Parse(pkg, nullptr);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->entries.size(), 2u);
  EXPECT_TRUE(p->anomalies.empty());
  const wxapkg::Entry* e = p->Find("/app-service.js");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(p->Content(*e), "wx.requestPayment({})");
}

TEST(Wxapkg, CorruptionsAreReportedNotFollowed) {
  std::string pkg = BuildWxapkg({{"/a.js", "aaaa"}, {"/b.js", "bbbb"}});
  // Second entry's offset points past the end of the file.
  std::string bad = pkg;
  size_t rec = bad.find("/b.js") + 5;
  bad[rec] = '\x7f';
  auto p = wxapkg::Parse(bad, nullptr);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->entries.size(), 1u);
  EXPECT_EQ(p->entries[0].name, "/a.js");
  ASSERT_FALSE(p->anomalies.empty());
  EXPECT_EQ(p->anomalies[0].code, "wxapkg-entry-out-of-range");
  // A file count far beyond what the index can hold is capped.
  std::string many = pkg;
  many[14] = '\x7f';
  auto m = wxapkg::Parse(many, nullptr);
  ASSERT_TRUE(m.ok());
  EXPECT_LE(m->entries.size(), 2u);
  // Index length past the end of the file.
  std::string idx = pkg;
  idx[5] = '\x7f';
  EXPECT_EQ(wxapkg::Parse(idx, nullptr).status().code(), "malformed");
  EXPECT_EQ(wxapkg::Parse("PK\3\4", nullptr).status().code(), "malformed");
  EXPECT_FALSE(wxapkg::IsWxapkg(pkg.substr(0, 13)));
}

// A file count over kMaxFiles or max_table_items is cut at the limit (the
// first records read, the cut said); the parse does not fail.
TEST(Wxapkg, CountsOverALimitAreCutAtTheLimit) {
  std::string pkg = BuildWxapkg({{"/a.js", "aaaa"}, {"/b.js", "bbbb"}, {"/c.js", "cccc"}});
  Budget budget(testing::WithTableCap(2));
  auto p = wxapkg::Parse(pkg, &budget);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->entries.size(), 2u);
  EXPECT_EQ(p->entries[1].name, "/b.js");
  EXPECT_EQ(p->Content(p->entries[1]), "bbbb");
  EXPECT_TRUE(testing::OnlyAnomaly(p->anomalies, "wxapkg-count-capped",
                                   "index claims 3 files, over max_table_items 2; the first 2 read"));
  std::vector<std::pair<std::string, std::string>> files;
  for (uint32_t i = 0; i <= wxapkg::kMaxFiles; ++i) files.push_back({"/" + std::to_string(i), "x"});
  auto big = wxapkg::Parse(BuildWxapkg(files), nullptr);
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(big->entries.size(), wxapkg::kMaxFiles);
  EXPECT_EQ(big->entries.back().name, "/" + std::to_string(wxapkg::kMaxFiles - 1));
  EXPECT_TRUE(testing::OnlyAnomaly(
      big->anomalies, "wxapkg-count-capped",
      "index claims 100001 files, over kMaxFiles 100000; the first 100000 read"));
}

TEST(Wxapkg, DecryptsV1mmwxWithTheRightAppidOnly) {
  std::string plain = BuildWxapkg({{"/app-config.json", std::string(3000, ' ') + "{}"},
                                   {"/app-service.js", "wx.createRewardedVideoAd()"}});
  const std::string appid = "wx0123456789abcdef";
  std::string enc = EncryptWxapkg(plain, appid);
  ASSERT_TRUE(wxapkg::IsEncryptedWxapkg(enc));
  EXPECT_EQ(wxapkg::Parse(enc, nullptr).status().code(), "unsupported");
  auto d = wxapkg::Decrypt(enc, appid);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(*d, plain);
  auto wrong = wxapkg::Decrypt(enc, "wx0123456789abcdee");
  EXPECT_FALSE(wrong.ok());
  EXPECT_EQ(wxapkg::Decrypt(enc.substr(0, 500), appid).status().code(), "malformed");
}

TEST(Wxapkg, AppidFromPath) {
  EXPECT_EQ(wxapkg::AppidFromPath("/x/wx6e24c691f9a50e44/__APP__.wxapkg"), "wx6e24c691f9a50e44");
  EXPECT_EQ(wxapkg::AppidFromPath("wx6e24c691f9a50e44_12.wxapkg"), "wx6e24c691f9a50e44");
  EXPECT_EQ(wxapkg::AppidFromPath("wx6e24c691f9a50e445.wxapkg"), "");  // 17 hex digits
  EXPECT_EQ(wxapkg::AppidFromPath("__APP__.wxapkg"), "");
  EXPECT_TRUE(wxapkg::IsAppid("wx6e24c691f9a50e44"));
  EXPECT_FALSE(wxapkg::IsAppid("wx6E24c691f9a50e44"));
}

TEST(Wxapkg, SensitiveScopes) {
  EXPECT_TRUE(IsSensitiveMiniProgramScope("scope.userLocation"));
  EXPECT_TRUE(IsSensitiveMiniProgramScope("getLocation"));
  EXPECT_FALSE(IsSensitiveMiniProgramScope("scope.userLocationX"));
}

}  // namespace
}  // namespace shelfguard
