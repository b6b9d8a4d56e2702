// iOS analyzer tests over IPAs built by tests/fixtures/mkipa.py.
#include "ios/ios_analyzer.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "ios/ipa_layout.h"
#include "support/corpus.h"
#include "support/identity_expect.h"
#include "support/ipa_fixture.h"

namespace shelfguard {
namespace {

bool HaveToolchain() {
  return std::system("command -v clang >/dev/null 2>&1 && command -v ld64.lld-14 >/dev/null 2>&1 "
                     "&& command -v openssl >/dev/null 2>&1") == 0;
}

using testing::BuildIpa;

struct Recorder : EvidenceSink, TextSink {
  struct Table {
    EvidenceKind kind;
    std::string location;
    std::vector<std::string> items;
    std::vector<bool> referenced;
  };
  std::vector<Table> tables;
  std::vector<std::pair<std::string, std::string>> texts;
  void OnTable(EvidenceKind kind, std::string_view location, const std::vector<std::string_view>& items,
               const std::vector<bool>* referenced) override {
    Table t{kind, std::string(location), {}, referenced ? *referenced : std::vector<bool>()};
    for (auto i : items) t.items.emplace_back(i);
    if (referenced) {
      EXPECT_EQ(referenced->size(), items.size());
    }
    tables.push_back(std::move(t));
  }
  void OnText(std::string_view location, std::string_view text) override {
    texts.emplace_back(location, text);
  }
  void Finish(Facts*) override {}
  // Referenced state of `item` in any table of `kind`: -1 absent, 0 present, 1 referenced.
  int State(EvidenceKind kind, std::string_view item) const {
    int best = -1;
    for (const auto& t : tables) {
      if (t.kind != kind) continue;
      for (size_t i = 0; i < t.items.size(); ++i) {
        if (t.items[i] != item) continue;
        best = std::max(best, !t.referenced.empty() && t.referenced[i] ? 1 : 0);
      }
    }
    return best;
  }
  bool HasText(std::string_view loc_suffix, std::string_view needle) const {
    return std::any_of(texts.begin(), texts.end(), [&](const auto& t) {
      return t.first.size() >= loc_suffix.size() &&
             t.first.compare(t.first.size() - loc_suffix.size(), loc_suffix.size(), loc_suffix) == 0 &&
             t.second.find(needle) != std::string::npos;
    });
  }
};

struct Scan {
  Facts facts;
  Recorder rec;
};

void RunOn(const std::string& path, Scan* s) {
  Limits limits;
  Budget budget(limits);
  auto a = Archive::OpenFile(path, &budget);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ScanContext ctx(&s->facts, &budget, a->get(), &s->rec, &s->rec);
  NewIosAnalyzer()->Analyze(&ctx);
}

bool HasCode(const std::vector<Anomaly>& v, std::string_view code, std::string_view loc = "") {
  return std::any_of(v.begin(), v.end(), [&](const Anomaly& a) {
    return a.code == code && a.location.find(loc) != std::string::npos;
  });
}
bool HasError(const std::vector<ErrorItem>& v, std::string_view code) {
  return std::any_of(v.begin(), v.end(), [&](const ErrorItem& e) { return e.code == code; });
}

#define REQUIRE_TOOLCHAIN() \
  if (!HaveToolchain()) GTEST_SKIP() << "clang / ld64.lld-14 / openssl not installed"

TEST(IosAnalyzer, FullFixture) {
  REQUIRE_TOOLCHAIN();
  Scan s;
  RunOn(BuildIpa("ipa-full"), &s);
  const Facts& f = s.facts;
  EXPECT_TRUE(f.errors.empty()) << f.errors[0].code << ": " << f.errors[0].message;
  EXPECT_EQ(f.package.platform, Platform::kIos);
  testing::ExpectIdentity(f.package, {{"id", "cn.example.edudemo"}, {"label", "学习助手"},
                                      {"version_code", "231"}, {"version_name", "2.3.1"}, {"min_os", "12.0"},
                                      {"device_families", "iphone,ipad"}});
  const IosFacts& io = f.ios;
  EXPECT_EQ(io.usage_descriptions.size(), 3u);
  EXPECT_EQ(io.usage_descriptions.at("NSFaceIDUsageDescription"), "使用面容 ID 登录");
  EXPECT_TRUE(io.ats_arbitrary_loads);
  EXPECT_EQ(io.ats_exception_domains, std::vector<std::string>{"api.example.cn"});
  EXPECT_EQ(io.url_schemes, (std::vector<std::string>{"edudemo", "wx1234567890"}));
  EXPECT_EQ(io.queried_schemes, (std::vector<std::string>{"weixin", "alipay"}));
  // The code signature's value wins over the profile's; the profile fills gaps.
  EXPECT_EQ(io.entitlements.at("aps-environment"), "\"production\"");
  EXPECT_EQ(io.entitlements.at("com.apple.developer.associated-domains"), "[\"applinks:example.cn\"]");
  EXPECT_EQ(io.team_id, "ABCDE12345");
  EXPECT_EQ(io.frameworks, std::vector<std::string>{"WechatOpenSDK.framework"});
  EXPECT_EQ(io.dylibs, std::vector<std::string>{"libswiftCore.dylib"});
  EXPECT_EQ(io.extensions, std::vector<std::string>{"ShareExtension.appex"});
  EXPECT_EQ(io.executable, "EduDemo");
  EXPECT_EQ(io.architectures, std::vector<std::string>{"arm64"});
  EXPECT_FALSE(io.encrypted);
  EXPECT_FALSE(f.packer.packed);
  ASSERT_EQ(f.code.size(), 2u);  // main + WechatOpenSDK (libswiftCore is Apple's and a stub)
  EXPECT_EQ(f.code[0].location, "Payload/EduDemo.app/EduDemo");
  EXPECT_EQ(f.code[0].kind, "macho");
  EXPECT_FALSE(f.code[0].extra);
  EXPECT_TRUE(f.code[1].extra);
  // Evidence tables.
  EXPECT_EQ(s.rec.State(EvidenceKind::kObjcClass, "GDTSplashAd"), 1);
  EXPECT_EQ(s.rec.State(EvidenceKind::kObjcClass, "GDTUnusedView"), 0);
  EXPECT_GE(s.rec.State(EvidenceKind::kObjcClass, "WXApi"), 0);
  EXPECT_EQ(s.rec.State(EvidenceKind::kString, "evaluatePolicy:localizedReason:reply:"), 1);
  EXPECT_EQ(s.rec.State(EvidenceKind::kString, "requestAccessForMediaType:completionHandler:"), 0);
  EXPECT_EQ(s.rec.State(EvidenceKind::kFramework, "WechatOpenSDK.framework"), 0);
  EXPECT_EQ(s.rec.State(EvidenceKind::kFramework, "@rpath/WechatOpenSDK.framework/WechatOpenSDK"), 0);
  EXPECT_EQ(s.rec.State(EvidenceKind::kHost, "mi.gdt.qq.com"), 0);
  EXPECT_EQ(s.rec.State(EvidenceKind::kHost, "open.weixin.qq.com"), 0);
  EXPECT_EQ(s.rec.State(EvidenceKind::kSymbol, "_sg_use"), 0);
  // Texts for the filing-number finder.
  EXPECT_TRUE(s.rec.HasText("Info.plist:SGFilingText", "京教APP备2023001号"));
  EXPECT_TRUE(s.rec.HasText("zh-Hans.lproj/InfoPlist.strings:CFBundleDisplayName", "学习助手"));
  EXPECT_TRUE(s.rec.HasText("en.lproj/Localizable.strings:filing", "京教APP备2023001号"));
  EXPECT_TRUE(s.rec.HasText("www/about.html", "京ICP备12345678号"));
  EXPECT_TRUE(s.rec.HasText("Payload/EduDemo.app/EduDemo", "ICP备案号：京ICP备12345678号-1A"));
  // Layout anomalies.
  EXPECT_TRUE(HasCode(f.anomalies, "ipa-macosx-debris"));
  EXPECT_TRUE(HasCode(f.anomalies, "ipa-non-utf8-name", "资源/图标.png"));
  EXPECT_FALSE(HasCode(f.anomalies, "ipa-nested-payload"));
}

TEST(IosAnalyzer, ManifestOnlyReadsNoHtmlAssets) {
  REQUIRE_TOOLCHAIN();
  // Issue 12: --manifest-only's help says identity only; the HTML under
  // www/ was read all the same.
  Scan s;
  s.facts.scope = "manifest";  // what the engine sets for --manifest-only
  RunOn(BuildIpa("ipa-full"), &s);
  EXPECT_FALSE(s.rec.HasText("www/about.html", "京ICP备12345678号"));
  EXPECT_FALSE(s.facts.package.id.empty());  // the identity is still read
}

TEST(IosAnalyzer, EncryptedNestedFat64) {
  REQUIRE_TOOLCHAIN();
  Scan s;
  RunOn(BuildIpa("ipa-encrypted-fat"), &s);
  const Facts& f = s.facts;
  EXPECT_EQ(f.package.id, "cn.example.locked");
  EXPECT_TRUE(HasCode(f.anomalies, "ipa-nested-payload", "Wrapped/Payload/Locked.app/"));
  EXPECT_EQ(f.ios.architectures, (std::vector<std::string>{"arm64", "x86_64"}));
  EXPECT_TRUE(f.ios.encrypted);
  EXPECT_TRUE(f.packer.packed);
  EXPECT_EQ(f.packer.names, std::vector<std::string>{"FairPlay"});
  ASSERT_EQ(f.packer.not_analysed.size(), 1u);
  EXPECT_NE(f.packer.not_analysed[0].find("cryptid=1"), std::string::npos);
  ASSERT_EQ(f.code.size(), 1u);
  EXPECT_NE(f.code[0].note.find("encrypted (cryptid=1)"), std::string::npos);
}

TEST(IosAnalyzer, MissingExecutable) {
  REQUIRE_TOOLCHAIN();
  Scan s;
  RunOn(BuildIpa("ipa-no-exe"), &s);
  EXPECT_EQ(s.facts.package.id, "cn.example.hollow");
  EXPECT_TRUE(HasError(s.facts.errors, "ipa-no-executable"));
  EXPECT_TRUE(s.facts.code.empty());
}

TEST(IosLayout, Utf8AndGbkNames) {
  EXPECT_TRUE(ios::IsUtf8("Payload/学习.app/"));
  EXPECT_FALSE(ios::IsUtf8("\xd7\xca\xd4\xb4"));
  EXPECT_EQ(ios::DecodeName("\xd7\xca\xd4\xb4"), "资源");
  EXPECT_EQ(ios::DecodeName("a\xff"), "a\xEF\xBF\xBD");
}

}  // namespace
}  // namespace shelfguard
