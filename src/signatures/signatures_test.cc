// Loader and validator of the signature database: the shipped files load,
// and each kind of broken file is refused with a message naming the file and
// the entry.
#include "signatures/signature_db.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <re2/re2.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "signatures/matcher.h"

namespace shelfguard {
namespace {

std::string SourceDir() {
  const char* s = std::getenv("SG_SOURCE_DIR");
  return s != nullptr ? s : SHELFGUARD_SOURCE_DIR;
}

// A valid file with one entry; tests corrupt it one way at a time.
std::string ValidFile(const std::string& entry_extra = "", const std::string& file_extra = "") {
  return R"({"format": "shelfguard-signatures/1", "version": "1", )" + file_extra +
         R"("sdks": [{"id": "demo-ads", "name": "Demo Ads", "vendor": "Demo",
                      "category": "ads", "source": "https://example.invalid/docs",
                      "patterns": {"classes": ["com.demo.ads."],
                                   "native_libs": ["libdemo*.so"]})" +
         entry_extra + "}]}";
}

std::vector<SignatureProblem> Problems(const std::string& text) {
  std::vector<SignatureProblem> problems;
  ParseSignatureFile("t.json", text, &problems);
  return problems;
}

// Asserts exactly one problem and that it mentions `needle`.
void ExpectOneProblem(const std::string& text, const std::string& needle) {
  auto p = Problems(text);
  ASSERT_EQ(p.size(), 1u) << text;
  EXPECT_EQ(p[0].file, "t.json");
  EXPECT_NE(p[0].ToString().find(needle), std::string::npos) << p[0].ToString();
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("sg_sigs_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
  }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

TEST(SignatureFile, ValidFileParses) {
  std::vector<SignatureProblem> problems;
  auto entries = ParseSignatureFile("t.json", ValidFile(), &problems);
  ASSERT_TRUE(problems.empty()) << problems[0].ToString();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].id, "demo-ads");
  EXPECT_EQ(entries[0].category, "ads");
  EXPECT_EQ(entries[0].file, "t.json");
  EXPECT_EQ(entries[0].patterns[static_cast<size_t>(PatternGroup::kClasses)].at(0), "com.demo.ads.");
  EXPECT_EQ(entries[0].patterns[static_cast<size_t>(PatternGroup::kNativeLibs)].at(0),
            "libdemo*.so");
}

TEST(SignatureFile, ConditionsParse) {
  std::vector<SignatureProblem> problems;
  auto entries = ParseSignatureFile(
      "t.json",
      ValidFile(R"(, "requires": ["native_libs"],
                    "exclude": {"classes": ["com.demo.ads.id."]},
                    "not_alone": {"classes": ["com.demo.ads.util."]})"),
      &problems);
  ASSERT_TRUE(problems.empty()) << problems[0].ToString();
  ASSERT_EQ(entries.size(), 1u);
  ASSERT_EQ(entries[0].requires_any.size(), 1u);
  EXPECT_EQ(entries[0].requires_any[0], PatternGroup::kNativeLibs);
  EXPECT_EQ(entries[0].exclude[0].size(), 1u);
  EXPECT_EQ(entries[0].not_alone[0].size(), 1u);
}

TEST(SignatureFile, NotJson) { ExpectOneProblem("{\"format\": ", "not valid JSON"); }

TEST(SignatureFile, WrongFormat) {
  std::string text = ValidFile();
  text.replace(text.find("signatures/1"), 12, "signatures/9");
  ExpectOneProblem(text, "\"format\"");
}

TEST(SignatureFile, MissingVersion) {
  std::string text = ValidFile();
  text.replace(text.find(R"("version": "1", )"), 16, "");
  ExpectOneProblem(text, "\"version\"");
}

TEST(SignatureFile, MissingSource) {
  std::string text = ValidFile();
  text.replace(text.find(R"("source": "https://example.invalid/docs",)"), 41, "");
  auto p = Problems(text);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].entry, "demo-ads");
  EXPECT_NE(p[0].message.find("source"), std::string::npos);
}

TEST(SignatureFile, UnknownCategory) {
  std::string text = ValidFile();
  text.replace(text.find(R"("category": "ads")"), 17, R"("category": "adverts")");
  ExpectOneProblem(text, "unknown category 'adverts'");
}

TEST(SignatureFile, BadRegex) {
  ExpectOneProblem(ValidFile(R"(, "exclude": {"strings": ["re:(unclosed"]})"),
                   "bad regular expression");
}

TEST(SignatureFile, UnknownGroupAndKey) {
  ExpectOneProblem(ValidFile(R"(, "exclude": {"klasses": ["x."]})"), "unknown pattern group");
  ExpectOneProblem(ValidFile(R"(, "requirse": ["classes"])"), "unknown key 'requirse'");
  ExpectOneProblem(ValidFile("", R"("extra": 1, )"), "unknown top-level key 'extra'");
}

TEST(SignatureFile, RequiresGroupWithoutPatterns) {
  ExpectOneProblem(ValidFile(R"(, "requires": ["frameworks"])"), "no patterns");
}

TEST(SignatureFile, BadIdAndEmptyPattern) {
  std::string text = ValidFile();
  text.replace(text.find(R"("id": "demo-ads")"), 16, R"("id": "Demo Ads")");
  ExpectOneProblem(text, "id must be");
  ExpectOneProblem(ValidFile(R"(, "not_alone": {"classes": [""]})"), "empty");
}

TEST(SignatureFile, PackerOnlyForPackers) {
  ExpectOneProblem(ValidFile(R"(, "packer": {"note": "x"})"), "only allowed for category packer");
}

TEST(SignatureDir, DuplicateIdAcrossFilesNamesBothFiles) {
  TempDir dir;
  dir.Write("a.json", ValidFile());
  dir.Write("b.json", ValidFile());
  auto problems = CheckSignatureDir(dir.path());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].file, "b.json");
  EXPECT_EQ(problems[0].entry, "demo-ads");
  EXPECT_NE(problems[0].message.find("a.json"), std::string::npos);
  auto db = LoadSignatureDb(dir.path());
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("b.json"), std::string::npos);
  EXPECT_NE(db.status().message().find("duplicate id"), std::string::npos);
}

TEST(SignatureDir, EmptyAndMissingDirectories) {
  TempDir dir;
  EXPECT_FALSE(LoadSignatureDb(dir.path()).ok());
  EXPECT_FALSE(LoadSignatureDb(dir.path() + "/nope").ok());
  dir.Write("x.json", ValidFile());
  auto db = LoadSignatureDb(dir.path());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->entries().size(), 1u);
}

TEST(SignatureDir, ShippedDatabaseIsValid) {
  const std::string dir = SourceDir() + "/signatures";
  size_t count = 0;
  auto problems = CheckSignatureDir(dir, &count);
  for (const auto& p : problems) ADD_FAILURE() << p.ToString();
  EXPECT_GE(count, 150u);
  auto db = LoadSignatureDb(dir);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  std::map<std::string, int> per_category;
  std::set<std::string> ids;
  for (const auto& e : (*db)->entries()) {
    EXPECT_TRUE(IsKnownCategory(e.category)) << e.id;
    EXPECT_FALSE(e.source.empty()) << e.id;
    EXPECT_TRUE(ids.insert(e.id).second) << e.id;
    per_category[e.category]++;
  }
  // Every category the rules read is covered.
  for (const char* c : {"ads", "game-engine", "game-sdk", "payment", "face", "live-streaming",
                        "photo-search", "analytics", "push", "packer"}) {
    EXPECT_GT(per_category[c], 0) << c;
  }
  for (const char* id : {"pangle", "gdt", "kuaishou-ads", "baidu-mobads", "sigmob", "mintegral",
                         "admob", "unity", "cocos", "unreal", "godot", "libgdx", "alipay",
                         "wechat-pay", "unionpay", "tencent-legu", "qihoo-jiagu", "bangcle",
                         "ijiami", "umeng", "jpush", "tencent-trtc", "agora", "zego"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
}

TEST(PatternToRegex, Translations) {
  struct Case {
    PatternGroup group;
    EvidenceKind kind;
    const char* pattern;
    const char* item;
    bool matches;
  };
  const Case kCases[] = {
      {PatternGroup::kClasses, EvidenceKind::kClass, "com.qq.e.", "com.qq.e.ads.AdView", true},
      {PatternGroup::kClasses, EvidenceKind::kClass, "com.qq.e.", "com.qq.easy.X", false},
      {PatternGroup::kClasses, EvidenceKind::kClass, "com.qq.e.", "xcom.qq.e.A", false},
      {PatternGroup::kNativeLibs, EvidenceKind::kNativeLib, "libcocos2d*.so", "lib/armeabi/libcocos2dcpp.so", true},
      {PatternGroup::kNativeLibs, EvidenceKind::kNativeLib, "libcocos2d*.so", "lib/armeabi/libcocos2dcpp.so.bak",
       false},
      {PatternGroup::kNativeLibs, EvidenceKind::kNativeLib, "libunity.so", "lib/x86/notlibunity.so", false},
      {PatternGroup::kAssets, EvidenceKind::kAsset, "assets/bin/Data/", "assets/bin/Data/level0", true},
      {PatternGroup::kAssets, EvidenceKind::kAsset, "lib/*/mix.dex", "lib/armeabi/mix.dex", true},
      {PatternGroup::kAssets, EvidenceKind::kAsset, "lib/*/mix.dex", "lib/a/b/mix.dex", false},
      {PatternGroup::kFrameworks, EvidenceKind::kAsset, "GDTMobSDK.framework",
       "Payload/A.app/Frameworks/GDTMobSDK.framework/GDTMobSDK", true},
      {PatternGroup::kHosts, EvidenceKind::kHost, "gdt.qq.com", "MI.GDT.QQ.COM", true},
      {PatternGroup::kHosts, EvidenceKind::kHost, "gdt.qq.com", "notgdt.qq.com", false},
      {PatternGroup::kStrings, EvidenceKind::kString, "openadsdk", "x openadsdk y", true},
      {PatternGroup::kSymbols, EvidenceKind::kSymbol, "UnitySendMessage", "_UnitySendMessage", true},
      {PatternGroup::kObjcClasses, EvidenceKind::kObjcClass, "re:PayReq", "PayReq", true},
      {PatternGroup::kObjcClasses, EvidenceKind::kObjcClass, "re:PayReq", "PayRequest", false},
      // Regex metacharacters in literal patterns are literal.
      {PatternGroup::kClasses, EvidenceKind::kClass, "a.b.", "aXb.C", false},
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(RE2::FullMatch(c.item, RE2(sigs::PatternToRegex(c.group, c.kind, c.pattern))), c.matches)
        << c.pattern << " on " << c.item;
  }
}

// The literal index must answer exactly what the patterns' RE2 forms answer,
// group by group. Patterns and items are drawn from a small alphabet so that
// prefixes, siblings, path separators, dots, leading underscores, case,
// Latin-1 letters and newlines all meet often.
TEST(LiteralIndex, AgreesWithTheRe2FormOfEveryPatternItTakes) {
  std::mt19937 rng(20261201);
  const std::string alphabet = "ab./_A\xc1\xe1\n";
  auto draw = [&](size_t max_len, bool stars) {
    std::string s(rng() % (max_len + 1), ' ');
    for (char& c : s) {
      c = stars && rng() % 5 == 0 ? '*' : alphabet[rng() % alphabet.size()];
    }
    return s;
  };
  struct GroupCase {
    PatternGroup group;
    EvidenceKind kind;
  };
  const GroupCase kGroups[] = {
      {PatternGroup::kClasses, EvidenceKind::kClass},
      {PatternGroup::kComponents, EvidenceKind::kComponent},
      {PatternGroup::kObjcClasses, EvidenceKind::kObjcClass},
      {PatternGroup::kNativeLibs, EvidenceKind::kNativeLib},
      {PatternGroup::kFrameworks, EvidenceKind::kAsset},
      {PatternGroup::kAssets, EvidenceKind::kAsset},
      {PatternGroup::kSymbols, EvidenceKind::kSymbol},
      {PatternGroup::kHosts, EvidenceKind::kHost},
      {PatternGroup::kMetaData, EvidenceKind::kMetaData},
  };
  RE2::Options opt;
  opt.set_encoding(RE2::Options::EncodingLatin1);
  opt.set_log_errors(false);
  size_t taken_total = 0, hits_total = 0;
  for (const GroupCase& g : kGroups) {
    for (int round = 0; round < 150; ++round) {
      std::vector<std::string> patterns;
      for (int i = 0, n = 1 + static_cast<int>(rng() % 10); i < n; ++i) {
        std::string p = draw(5, /*stars=*/rng() % 2 == 0);
        if (p.empty()) p = "a";
        patterns.push_back(p);
      }
      sigs::LiteralIndex index;
      std::vector<bool> taken;
      std::vector<std::unique_ptr<RE2>> forms;
      for (size_t i = 0; i < patterns.size(); ++i) {
        taken.push_back(index.Add(g.group, patterns[i], static_cast<int>(i)));
        taken_total += taken.back();
        forms.push_back(std::make_unique<RE2>(sigs::PatternToRegex(g.group, g.kind, patterns[i]), opt));
        ASSERT_TRUE(forms.back()->ok()) << patterns[i];
      }
      index.Build();
      for (int k = 0; k < 60; ++k) {
        // Half the items are built around a pattern, so that matches are common.
        std::string item = draw(8, false);
        if (k % 2 == 0) {
          std::string p = patterns[rng() % patterns.size()];
          for (char& c : p) {
            if (c == '*') c = alphabet[rng() % alphabet.size()];
          }
          item = (rng() % 2 ? draw(3, false) : std::string()) + p + (rng() % 2 ? draw(3, false) : std::string());
        }
        std::vector<int> got;
        index.Match(item, &got);
        std::sort(got.begin(), got.end());
        got.erase(std::unique(got.begin(), got.end()), got.end());
        std::vector<int> want;
        for (size_t i = 0; i < patterns.size(); ++i) {
          if (taken[i] && RE2::FullMatch(item, *forms[i])) want.push_back(static_cast<int>(i));
        }
        hits_total += want.size();
        std::string shown;
        for (const auto& p : patterns) shown += "'" + p + "' ";
        ASSERT_EQ(got, want) << "group " << PatternGroupName(g.group) << ", item '" << item
                             << "', patterns " << shown;
      }
    }
  }
  // The draw must exercise the index, not only its refusals.
  EXPECT_GT(taken_total, 3000u);
  EXPECT_GT(hits_total, 3000u);
}

TEST(LiteralIndex, TakesThePlainPatternsAndLeavesTheRestToRe2) {
  sigs::LiteralIndex index;
  EXPECT_TRUE(index.Add(PatternGroup::kClasses, "com.qq.e.", 0));
  EXPECT_TRUE(index.Add(PatternGroup::kNativeLibs, "libcocos2d*.so", 1));
  EXPECT_TRUE(index.Add(PatternGroup::kFrameworks, "GDTMobSDK.framework", 2));
  EXPECT_TRUE(index.Add(PatternGroup::kAssets, "lib/*/mix.dex", 3));
  EXPECT_TRUE(index.Add(PatternGroup::kAssets, "assets/bin/Data/", 4));
  EXPECT_TRUE(index.Add(PatternGroup::kSymbols, "_ZN7cocos2d*", 5));
  EXPECT_TRUE(index.Add(PatternGroup::kHosts, "gdt.qq.com", 6));
  EXPECT_TRUE(index.Add(PatternGroup::kMetaData, "UMENG_APPKEY", 7));
  EXPECT_FALSE(index.Add(PatternGroup::kClasses, "com.*.ads.", 8));
  EXPECT_FALSE(index.Add(PatternGroup::kObjcClasses, "re:PayReq", 9));
  EXPECT_FALSE(index.Add(PatternGroup::kNativeLibs, "armeabi/libx.so", 10));
  EXPECT_FALSE(index.Add(PatternGroup::kHosts, "*.qq.com", 11));
  EXPECT_FALSE(index.Add(PatternGroup::kMaven, "com.pangle.cn", 12));
  EXPECT_FALSE(index.Add(PatternGroup::kHarmonyModules, "@ohos/axios", 13));
  index.Build();
  auto match = [&](std::string_view item) {
    std::vector<int> hits;
    index.Match(item, &hits);
    std::sort(hits.begin(), hits.end());
    return hits;
  };
  EXPECT_EQ(match("com.qq.e.ads.AdView"), std::vector<int>({0}));
  EXPECT_EQ(match("lib/armeabi-v7a/libcocos2dcpp.so"), std::vector<int>({1}));
  EXPECT_EQ(match("Payload/A.app/Frameworks/GDTMobSDK.framework/GDTMobSDK"), std::vector<int>({2}));
  EXPECT_EQ(match("lib/x86/mix.dex"), std::vector<int>({3}));
  EXPECT_EQ(match("assets/bin/Data/level0"), std::vector<int>({4}));
  EXPECT_EQ(match("__ZN7cocos2d8Director"), std::vector<int>({5}));
  EXPECT_EQ(match("MI.GDT.QQ.COM"), std::vector<int>({6}));
  EXPECT_EQ(match("UMENG_APPKEY"), std::vector<int>({7}));
  EXPECT_TRUE(match("com.qq.easy.X").empty());
  EXPECT_TRUE(match("lib/x86/notlibcocos2d.so.bak").empty());
  EXPECT_TRUE(match("notgdt.qq.com").empty());
}

// PrefixIndex searches on the literals' first eight bytes as numbers before
// their texts: every literal that starts the item is still found, with texts
// that tie, differ or end around the eighth byte, hold NUL, high bytes or
// newlines, or are empty. Checked against trying every literal.
TEST(PrefixIndex, FindsEveryLiteralThatStartsTheItem) {
  std::mt19937 rng(18);
  const std::string alphabet("ab.\0\xff\n", 6);
  auto text = [&](size_t max_len) {
    std::string t(rng() % (max_len + 1), 'a');
    for (char& c : t) c = alphabet[rng() % alphabet.size()];
    return t;
  };
  for (int round = 0; round < 20; ++round) {
    sigs::PrefixIndex index;
    std::vector<std::string> literals;
    for (int i = 0; i < 60; ++i) {
      literals.push_back(i % 3 == 0 ? "ab.ab.ab" + text(4) : text(11));
      index.Add(literals.back(), i);
    }
    index.Build();
    for (int k = 0; k < 400; ++k) {
      const std::string item =
          k % 2 == 0 ? literals[rng() % literals.size()] + text(5) : text(12);
      for (bool no_newline : {false, true}) {
        std::vector<int> got;
        index.Match(item, &got, no_newline);
        std::sort(got.begin(), got.end());
        std::vector<int> want;
        for (size_t i = 0; i < literals.size(); ++i) {
          const std::string& l = literals[i];
          if (item.compare(0, l.size(), l) != 0 || l.size() > item.size()) continue;
          if (no_newline && item.find('\n', l.size()) != std::string::npos) continue;
          want.push_back(static_cast<int>(i));
        }
        EXPECT_EQ(got, want) << "round " << round << " item " << ::testing::PrintToString(item);
      }
    }
  }
}

TEST(GlobMatches, StarsStopAtTheirByte) {
  EXPECT_TRUE(sigs::GlobMatches("libcocos2dcpp.so", "libcocos2d*.so", '/'));
  EXPECT_TRUE(sigs::GlobMatches("libcocos2d.so", "libcocos2d*.so", '/'));
  EXPECT_FALSE(sigs::GlobMatches("libcocos2d/x.so", "libcocos2d*.so", '/'));
  EXPECT_TRUE(sigs::GlobMatches("a/b", "a*", '\n'));
  EXPECT_FALSE(sigs::GlobMatches("a\nb", "a*", '\n'));
  EXPECT_TRUE(sigs::GlobMatches("", "**", '/'));
  EXPECT_FALSE(sigs::GlobMatches("", "*a", '/'));
  EXPECT_TRUE(sigs::GlobMatches("xaxb", "*a*b", '/'));
  EXPECT_FALSE(sigs::GlobMatches("xaxbc", "*a*b", '/'));
  EXPECT_FALSE(sigs::GlobMatches("ab", "ab*b", '/'));  // head and tail may not overlap
  EXPECT_TRUE(sigs::GlobMatches("abb", "ab*b", '/'));
  EXPECT_TRUE(sigs::GlobMatches("ab", "ab", '/'));
  EXPECT_FALSE(sigs::GlobMatches("a/b", "a*b*", '/'));
}

}  // namespace
}  // namespace shelfguard
