#include "assets/asset_analyzer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "support/fixtures.h"

namespace shelfguard {
namespace {

struct RecordingText : TextSink {
  std::vector<std::pair<std::string, std::string>> texts;
  void OnText(std::string_view loc, std::string_view text) override {
    texts.emplace_back(std::string(loc), std::string(text));
  }
  void Finish(Facts*) override {}
  bool Has(const std::string& loc, const std::string& needle) const {
    for (const auto& [l, t] : texts)
      if (l == loc && t.find(needle) != std::string::npos) return true;
    return false;
  }
};

struct RecordingEvidence : EvidenceSink {
  std::vector<std::pair<EvidenceKind, std::string>> items;  // kind, location|item
  void OnTable(EvidenceKind kind, std::string_view loc, const std::vector<std::string_view>& v,
               const std::vector<bool>*) override {
    for (auto s : v) items.emplace_back(kind, std::string(loc) + "|" + std::string(s));
  }
  void Finish(Facts*) override {}
  bool Has(EvidenceKind k, const std::string& s) const {
    return std::find(items.begin(), items.end(), std::make_pair(k, s)) != items.end();
  }
};

TEST(AssetHelpers, HtmlToTextKeepsInlineRunsTogether) {
  EXPECT_EQ(HtmlToText("<p>教APP备<b>1100123</b>号</p>"), "|教APP备1100123号|");
  EXPECT_EQ(HtmlToText("a&nbsp;b&amp;&#25945;&#x41;&bogus;"), "a\xC2\xA0" "b&教A&bogus;");
  EXPECT_EQ(HtmlToText("x<!-- 教APP备1100123号 -->y"), "x|y");
}

TEST(AssetHelpers, DecodeTextFileHandlesBoms) {
  EXPECT_EQ(DecodeTextFile("\xEF\xBB\xBFhi"), "hi");
  std::string le("\xFF\xFE", 2);
  le += std::string("\x59\x65\x41\x00", 4);  // U+6559 教, 'A'
  EXPECT_EQ(DecodeTextFile(le), "教A");
  std::string be("\xFE\xFF\xD8\x3D\xDE\x00", 6);  // U+1F600 as a surrogate pair
  EXPECT_EQ(DecodeTextFile(be), "\xF0\x9F\x98\x80");
  std::string lone("\xFF\xFE\x00\xD8", 4);  // unpaired high surrogate
  EXPECT_EQ(DecodeTextFile(lone), "\xEF\xBF\xBD");
  EXPECT_EQ(DecodeTextFile("plain"), "plain");
}

TEST(AssetHelpers, ExtractHostsFindsSchemeUrlsOnly) {
  auto h = ExtractHosts(
      "see https://Ads.Example.COM/x?y and http://cdn.edu.cn:8080/ and "
      "javascript://nope.com and https://ads.example.com again, ftp://x, https://localhost/",
      100);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0], "ads.example.com");
  EXPECT_EQ(h[1], "cdn.edu.cn");
  EXPECT_EQ(ExtractHosts("https://a.b https://c.d https://e.f", 2).size(), 2u);
}

class AssetApkTest : public ::testing::Test {
 protected:
  void Scan(const std::string& spec) {
    std::string path = testing::BuildApk(spec);
    ASSERT_FALSE(path.empty());
    auto a = Archive::OpenFile(path, &budget_);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    archive_ = std::move(a).value();
    facts_.package.platform = Platform::kAndroid;
    ScanContext ctx(&facts_, &budget_, archive_.get(), &evidence_, &text_);
    NewAssetAnalyzer()->Analyze(&ctx);
  }
  Limits limits_;
  Budget budget_{limits_};
  std::unique_ptr<Archive> archive_;
  Facts facts_;
  RecordingText text_;
  RecordingEvidence evidence_;
};

TEST_F(AssetApkTest, FeedsPathsAssetTextsLayoutsAndHosts) {
  Scan(R"({"package": "cn.shelfguard.test.assets",
    "layouts": {"activity_about": ["教APP备", "1100123号", {"text": "关于", "hint": "京ICP备12345678号-3A"}]},
    "assets": {"about.html": "<html><body><p>备案号：教APP备<b>3100456</b>号</p><a href=\"https://track.example.cn/p\">x</a></body></html>",
               "data/info.json": "{\"icp\": \"沪ICP备12345678号\"}",
               "img.png": "not text"},
    "extra_files": {"res/raw/notice.txt": "公网安备 plain raw text"}})");
  EXPECT_TRUE(evidence_.Has(EvidenceKind::kAsset, "package|assets/about.html"));
  EXPECT_TRUE(evidence_.Has(EvidenceKind::kAsset, "package|AndroidManifest.xml"));
  EXPECT_TRUE(evidence_.Has(EvidenceKind::kHost, "assets/about.html|track.example.cn"));
  EXPECT_TRUE(text_.Has("assets/about.html", "教APP备3100456号"));
  EXPECT_TRUE(text_.Has("assets/data/info.json", "沪ICP备12345678号"));
  EXPECT_TRUE(text_.Has("res/raw/notice.txt", "公网安备"));
  EXPECT_FALSE(text_.Has("assets/img.png", "not text"));
  // Layout strings arrive adjacent and in order, with the layout as location.
  std::string layout = "res/layout/activity_about.xml";
  auto it = std::find(text_.texts.begin(), text_.texts.end(), std::make_pair(layout, std::string("教APP备")));
  ASSERT_NE(it, text_.texts.end());
  ASSERT_NE(it + 1, text_.texts.end());
  EXPECT_EQ((it + 1)->first, layout);
  EXPECT_EQ((it + 1)->second, "1100123号");
  EXPECT_TRUE(text_.Has(layout, "京ICP备12345678号-3A"));
}

TEST_F(AssetApkTest, NoAssetsStillFeedsPaths) {
  Scan(R"({"package": "cn.shelfguard.test.empty"})");
  EXPECT_TRUE(evidence_.Has(EvidenceKind::kAsset, "package|AndroidManifest.xml"));
  for (const auto& [loc, t] : text_.texts) EXPECT_NE(loc.rfind("assets/", 0), 0u) << loc;
}

TEST(AssetAnalyzer, BareInputWithoutArchiveIsANoOp) {
  Facts f;
  Limits l;
  Budget b(l);
  RecordingText t;
  RecordingEvidence e;
  ScanContext ctx(&f, &b, nullptr, &e, &t);
  NewAssetAnalyzer()->Analyze(&ctx);
  EXPECT_TRUE(t.texts.empty());
  EXPECT_TRUE(e.items.empty());
}

}  // namespace
}  // namespace shelfguard
