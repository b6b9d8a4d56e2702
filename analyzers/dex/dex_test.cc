// DEX parser and analyzer tests. Fixtures are real DEX files assembled at test
// time with smali (Debian package "smali") from the text below, then
// corrupted in memory; the tests assert both what survived and the error.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "code/host_names.h"
#include "dex/dex_analyzer.h"
#include "dex/dex_parser.h"
#include "shelfguard/analyzer.h"
#include "shelfguard/archive.h"
#include "support/android_writer.h"
#include "support/fixtures.h"
#include "support/parser_limits.h"

namespace shelfguard::dex {
namespace {

namespace fs = std::filesystem;

// A public class extending java.lang.Object, in smali.
std::string SmaliClass(const std::string& descriptor, const std::string& body = "") {
  return ".class public " + descriptor + "\n.super Ljava/lang/Object;\n" + body;
}

const std::string kMainSmali = SmaliClass("Lcom/app/Main;", R"(.source "Main.java"
.method public static run(I)V
    .registers 4
    const-string v0, "https://api.example.com/v1?x=1"
    new-instance v1, Lcom/sdk/ads/AdView;
    invoke-direct {v1}, Lcom/sdk/ads/AdView;-><init>()V
    packed-switch p0, :pswitch_data
    goto :after
    :pswitch_data
    .packed-switch 0x1
        :after
        :after
    .end packed-switch
    :after
    const/4 v2, 3
    new-array v2, v2, [I
    fill-array-data v2, :array_data
    goto :after2
    :array_data
    .array-data 4
        0x1
        0x2
        0x3
    .end array-data
    :after2
    const-string/jumbo v0, "after-payloads \uD83D\uDE00"
    sget-object v0, Lcom/sdk/track/Stats;->INSTANCE:Lcom/sdk/track/Stats;
    return-void
.end method
)");

const std::string kAdSmali = SmaliClass(
    "Lcom/sdk/ads/AdView;", R"(.field static TAG:Ljava/lang/String; = "\u5907\u6848 ICP 12345678"
.method public constructor <init>()V
    .registers 2
    invoke-direct {p0}, Ljava/lang/Object;-><init>()V
    const-string v0, "ads.example.cn"
    new-instance v1, Lcom/sdk/ads/Loader;
    return-void
.end method
)");

const std::string kLoaderSmali = SmaliClass("Lcom/sdk/ads/Loader;");

const std::string kStatsSmali =
    SmaliClass("Lcom/sdk/track/Stats;", ".field public static INSTANCE:Lcom/sdk/track/Stats;\n");

// Assembles smali sources into one DEX; "" when smali is not installed.
std::string Assemble(const std::vector<std::string>& sources, const std::string& tag) {
  fs::path dir = fs::temp_directory_path() /
                 ("sg_dex_test_" + std::to_string(::getpid()) + "_" + tag);
  fs::create_directories(dir);
  std::string cmd = "smali a -o " + (dir / "out.dex").string();
  for (size_t i = 0; i < sources.size(); ++i) {
    fs::path src = dir / ("s" + std::to_string(i) + ".smali");
    std::ofstream(src) << sources[i];
    cmd += " " + src.string();
  }
  cmd += " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return "";
  std::string out = testing::ReadFileBytes(dir / "out.dex");
  fs::remove_all(dir);
  return out;
}

// The four classes above in one DEX; smali is a test dependency.
std::string AssembleFixture() {
  return Assemble({kMainSmali, kAdSmali, kLoaderSmali, kStatsSmali}, "main");
}

class DexTest : public testing::BuiltInputTest<AssembleFixture> {
 protected:
  const std::string* fixture_ = &Built();
};

std::set<std::string> ClassNames(const DexFile& f) {
  std::set<std::string> out;
  for (const ClassDef& c : f.classes()) out.insert(std::string(f.TypeDescriptor(c.class_idx)));
  return out;
}

int StringIndex(const DexFile& f, std::string_view s) {
  for (size_t i = 0; i < f.strings().size(); ++i) {
    if (f.strings()[i] == s) return static_cast<int>(i);
  }
  return -1;
}

int TypeIndex(const DexFile& f, std::string_view d) {
  for (size_t i = 0; i < f.type_string_idx().size(); ++i) {
    if (f.TypeDescriptor(static_cast<uint32_t>(i)) == d) return static_cast<int>(i);
  }
  return -1;
}

using testing::GetU32;
using testing::PutU32;

bool HasProblem(const DexFile& f, std::string_view code) {
  return testing::HasAnomaly(f.anomalies(), code);
}

TEST_F(DexTest, ParsesValidFixture) {
  auto r = DexFile::Parse(*fixture_, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const DexFile& f = **r;
  EXPECT_EQ(f.version(), 35);
  EXPECT_TRUE(f.anomalies().empty()) << f.anomalies().front().code;
  EXPECT_EQ(ClassNames(f), (std::set<std::string>{"Lcom/app/Main;", "Lcom/sdk/ads/AdView;",
                                                  "Lcom/sdk/ads/Loader;", "Lcom/sdk/track/Stats;"}));
  EXPECT_TRUE(f.code_complete());
  EXPECT_EQ(f.methods_with_code(), 2u);
}

TEST_F(DexTest, DecodesMutf8) {
  auto r = DexFile::Parse(*fixture_, nullptr);
  ASSERT_TRUE(r.ok());
  // U+5907 U+6848 are 3-byte sequences; U+1F600 arrives as a surrogate pair
  // (two 3-byte MUTF-8 sequences) and must become one 4-byte UTF-8 sequence.
  EXPECT_GE(StringIndex(**r, "\xe5\xa4\x87\xe6\xa1\x88 ICP 12345678"), 0);
  EXPECT_GE(StringIndex(**r, "after-payloads \xf0\x9f\x98\x80"), 0);
}

// kHasDigit and kHasDot are found eight bytes at a time while a string is
// checked: each must agree with reading the string, whatever its length and
// wherever the digit or dot stands (first, last, either side of a word edge),
// and for strings off the fast path (non-ASCII, 128 bytes or more).
TEST(DexStrings, FlagsSayWhichStringsHoldDigitsAndDots) {
  std::string body = ".method public static run()V\n    .registers 1\n";
  auto add = [&body](const std::string& text) {
    body += "    const-string v0, \"" + text + "\"\n";
  };
  for (size_t len = 1; len <= 20; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (char c : {'7', '.', '0', '9', '/', ':', '-'}) {
        std::string t(len, 'x');
        t[at] = c;
        add(t);
      }
    }
  }
  add("\\u5907\\u6848 ICP 12345678");
  add("\\u5907.cn");
  add("\\u5907");
  for (size_t len = 0; len <= 17; ++len) {
    add("\\u5907" + std::string(len, 'x') + "4");
    add("\\u5907" + std::string(len, 'x') + ".x");
    add("3\\u5907" + std::string(len, 'x'));
  }
  add(std::string(130, 'y') + "5");
  add(std::string(130, 'y') + ".");
  add(std::string(130, 'y'));
  body += "    return-void\n.end method\n";
  const std::string dex = Assemble({SmaliClass("Lcom/app/Flags;", body)}, "flags");
  if (dex.empty()) GTEST_SKIP() << "smali is not installed";
  auto r = DexFile::Parse(dex, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const DexFile& f = **r;
  size_t digits = 0, dots = 0;
  for (size_t i = 0; i < f.strings().size(); ++i) {
    const std::string_view s = f.strings()[i];
    const uint8_t fl = f.string_flags()[i];
    EXPECT_EQ((fl & kHasDigit) != 0, HasDigit(s)) << s;
    EXPECT_EQ((fl & kHasDot) != 0, s.find('.') != std::string_view::npos) << s;
    digits += (fl & kHasDigit) != 0;
    dots += (fl & kHasDot) != 0;
  }
  EXPECT_GE(digits, 3u * 210);  // '7', '0' and '9' at each place
  EXPECT_GE(dots, 210u);
}

TEST_F(DexTest, CodeWalkFindsLoadedStringsAndOutsideReferences) {
  auto r = DexFile::Parse(*fixture_, nullptr);
  ASSERT_TRUE(r.ok());
  const DexFile& f = **r;
  auto loaded = [&](std::string_view s) {
    int i = StringIndex(f, s);
    EXPECT_GE(i, 0) << s;
    return i >= 0 && (f.string_flags()[i] & kLoadedByCode) != 0;
  };
  EXPECT_TRUE(loaded("https://api.example.com/v1?x=1"));
  EXPECT_TRUE(loaded("ads.example.cn"));
  // Only reachable if the walk sized both payloads correctly.
  EXPECT_TRUE(loaded("after-payloads \xf0\x9f\x98\x80"));
  // A static field initial value is not loaded by code.
  EXPECT_FALSE(loaded("\xe5\xa4\x87\xe6\xa1\x88 ICP 12345678"));

  auto flags = [&](std::string_view d) {
    int t = TypeIndex(f, d);
    EXPECT_GE(t, 0) << d;
    return t >= 0 ? f.type_flags()[t] : 0;
  };
  // AdView: new-instance from com.app -> referenced from outside.
  EXPECT_NE(flags("Lcom/sdk/ads/AdView;") & kRefOutside, 0);
  // Stats: only via sget from com.app -> outside.
  EXPECT_NE(flags("Lcom/sdk/track/Stats;") & kRefOutside, 0);
  // Loader: only from its own package.
  EXPECT_EQ(flags("Lcom/sdk/ads/Loader;") & kRefOutside, 0);
  EXPECT_NE(flags("Lcom/sdk/ads/Loader;") & kRefAnywhere, 0);
  // Main: referenced by nobody.
  EXPECT_EQ(flags("Lcom/app/Main;") & (kRefOutside | kRefAnywhere), 0);
  // Structural strings are marked so analyzers can tell constants apart.
  int run = StringIndex(f, "run");
  ASSERT_GE(run, 0);
  EXPECT_NE(f.string_flags()[run] & kStructural, 0);
}

TEST_F(DexTest, RejectsBadHeader) {
  auto r = DexFile::Parse(fixture_->substr(0, 0x6f), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "malformed");
  std::string bad = *fixture_;
  bad[0] = 'x';
  EXPECT_EQ(DexFile::Parse(bad, nullptr).status().code(), "malformed");
  bad = *fixture_;
  PutU32(&bad, 40, 0x78563412);
  EXPECT_EQ(DexFile::Parse(bad, nullptr).status().code(), "unsupported");
}

TEST_F(DexTest, EveryTruncationIsSurvivable) {
  size_t full_classes = 4;
  for (size_t n = 0x70; n <= fixture_->size(); ++n) {
    std::string cut = fixture_->substr(0, n);
    auto r = DexFile::Parse(cut, nullptr);
    ASSERT_TRUE(r.ok()) << n;
    EXPECT_LE((*r)->classes().size(), full_classes);
    if (n < fixture_->size()) {
      EXPECT_TRUE(HasProblem(**r, "dex-truncated")) << n;
    }
  }
  // Cut just after the class_defs table (smali puts the data section after
  // it): all class defs survive, their code cannot be walked.
  uint32_t cd_off = GetU32(*fixture_, 100);
  auto r = DexFile::Parse(fixture_->substr(0, cd_off + 4 * 32), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->classes().size(), 4u);
  EXPECT_FALSE((*r)->code_complete());
}

// Each id section's count made huge: the table is cut to the items that
// fit after its offset, with a dex-table-truncated anomaly naming it, and
// what the intact file holds survives.
TEST_F(DexTest, HostileCountsAreCappedByTheBytes) {
  auto intact = DexFile::Parse(*fixture_, nullptr);
  ASSERT_TRUE(intact.ok());
  struct Table {
    const char* name;
    size_t header_off;  // of the count; the offset follows it
    size_t item_size;
    size_t (*size)(const DexFile&);
  };
  const Table tables[] = {
      {"string_ids", 56, 4, [](const DexFile& f) { return f.strings().size(); }},
      {"type_ids", 64, 4, [](const DexFile& f) { return f.type_string_idx().size(); }},
      {"method_ids", 88, 8, [](const DexFile& f) { return f.methods().size(); }},
      {"class_defs", 96, 32, [](const DexFile& f) { return f.classes().size(); }},
  };
  for (const Table& t : tables) {
    std::string bad = *fixture_;
    PutU32(&bad, t.header_off, 0x7fffffff);
    auto r = DexFile::Parse(bad, nullptr);
    ASSERT_TRUE(r.ok()) << t.name;
    EXPECT_EQ(testing::AnomalyLocations((*r)->anomalies(), "dex-table-truncated"),
              std::set<std::string>{t.name});
    EXPECT_EQ(t.size(**r), (bad.size() - GetU32(bad, t.header_off + 4)) / t.item_size) << t.name;
    // What the intact file holds is still there (past the real class_defs,
    // the cut table reads other bytes as more classes).
    const std::set<std::string> want = ClassNames(**intact), got = ClassNames(**r);
    EXPECT_TRUE(std::includes(got.begin(), got.end(), want.begin(), want.end())) << t.name;
    EXPECT_GE(StringIndex(**r, "https://api.example.com/v1?x=1"), 0) << t.name;
  }
}

// The parser contract's over-limit rule: a table over max_table_items is
// cut at the limit, what was read kept, and a dex-over-limit anomaly names
// the table; the parse itself succeeds.
TEST_F(DexTest, TablesOverMaxTableItemsAreCutAtTheLimit) {
  constexpr uint64_t kCap = 3;
  auto [whole, capped] =
      testing::ParseWholeAndCapped([&](Budget* b) { return DexFile::Parse(*fixture_, b); }, kCap);
  ASSERT_TRUE(whole.ok() && capped.ok()) << capped.status().ToString();
  const DexFile& all = **whole;
  const DexFile& f = **capped;
  // Not vacuous: the fixture's string, type and class tables are over it.
  ASSERT_GT(all.strings().size(), kCap);
  ASSERT_GT(all.type_string_idx().size(), kCap);
  ASSERT_GT(all.classes().size(), kCap);
  const auto& anomalies = f.anomalies();
  const char* code = "dex-over-limit";
  EXPECT_TRUE(testing::CutAtCap(all.strings(), f.strings(), kCap, anomalies, code, "string_ids"));
  EXPECT_TRUE(testing::CutAtCap(all.type_string_idx(), f.type_string_idx(), kCap, anomalies, code,
                                "type_ids"));
  EXPECT_TRUE(testing::CutAtCap(all.protos(), f.protos(), kCap, anomalies, code, "proto_ids"));
  EXPECT_TRUE(testing::CutAtCap(all.fields(), f.fields(), kCap, anomalies, code, "field_ids"));
  EXPECT_TRUE(testing::CutAtCap(all.methods(), f.methods(), kCap, anomalies, code, "method_ids"));
  EXPECT_TRUE(testing::CutAtCap(all.classes(), f.classes(), kCap, anomalies, code, "class_defs"));
}

TEST_F(DexTest, OffsetsPastTheEnd) {
  std::string bad = *fixture_;
  PutU32(&bad, 100, 0xffffff00);  // class_defs_off
  auto r = DexFile::Parse(bad, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)->classes().empty());
  EXPECT_TRUE(HasProblem(**r, "dex-table-truncated"));
  EXPECT_GT((*r)->strings().size(), 10u);

  // Every class_data_off pointing past the end: classes survive, code is
  // reported as not walked.
  bad = *fixture_;
  uint32_t cd_off = GetU32(bad, 100);
  for (uint32_t i = 0; i < 4; ++i) PutU32(&bad, cd_off + i * 32 + 24, 0xfffffff0);
  r = DexFile::Parse(bad, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->classes().size(), 4u);
  EXPECT_TRUE(HasProblem(**r, "dex-bad-class-data"));
  EXPECT_FALSE((*r)->code_complete());
  EXPECT_EQ((*r)->methods_with_code(), 0u);

  // String data offsets past the end: those strings are empty, others stay.
  bad = *fixture_;
  uint32_t str_off = GetU32(bad, 60);
  PutU32(&bad, str_off, 0xfffffff0);
  r = DexFile::Parse(bad, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(HasProblem(**r, "dex-bad-string"));
  EXPECT_EQ((*r)->strings()[0], "");
  EXPECT_EQ(ClassNames(**r).size(), 4u);
}

TEST_F(DexTest, RandomCorruptionNeverCrashes) {
  testing::ByteFlipper flipper(12345, 4);
  for (int iter = 0; iter < 3000; ++iter) {
    const std::string bad = flipper.Next(*fixture_);
    auto r = DexFile::Parse(bad, nullptr);
    if (r.ok()) {
      EXPECT_LE((*r)->classes().size(), bad.size() / 32);
    }
  }
}

TEST(DexNames, DottedNames) {
  std::string out;
  DexFile::AppendDottedName("Lcom/qq/e/ads/AdView$1;", &out);
  EXPECT_EQ(out, "com.qq.e.ads.AdView$1");
  out.clear();
  DexFile::AppendDottedName("LTop;", &out);
  EXPECT_EQ(out, "Top");
  // Eight bytes at a time: every '/' of names of 0 to 20 bytes, wherever it
  // stands, and no other byte (its neighbours, '/' with the top bit set,
  // NUL, non-ASCII), appended after text already in the buffer.
  for (size_t len = 0; len <= 20; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (char c : {'/', '.', '\x2e', '\x30', '\xaf', '\0', '\xe5'}) {
        std::string name(len, 'a');
        for (size_t k = at; k < len; k += 3) name[k] = (k == at ? c : '/');
        std::string want = "x/";
        for (char n : name) want += n == '/' ? '.' : n;
        std::string got = "x/";
        DexFile::AppendDottedName("L" + name + ";", &got);
        EXPECT_EQ(got, want) << ::testing::PrintToString(name);
      }
    }
  }
}

TEST(HostNames, FromUrlsAndBareNames) {
  std::vector<std::string> got;
  auto collect = [&](std::string_view s) {
    got.clear();
    ForEachHost(s, [&](std::string_view h) { got.emplace_back(h); });
    return got;
  };
  EXPECT_EQ(collect("https://mi.gdt.qq.com/api?x=1"), std::vector<std::string>{"mi.gdt.qq.com"});
  EXPECT_EQ(collect("see http://a.b.cn:8080/x and https://c.d.com"),
            (std::vector<std::string>{"a.b.cn", "c.d.com"}));
  EXPECT_EQ(collect("api.example.com"), std::vector<std::string>{"api.example.com"});
  EXPECT_TRUE(collect("com.qq.e.ads.AdView").empty());
  EXPECT_TRUE(collect("com.tencent.mm").empty());
  EXPECT_TRUE(collect("libfoo.so").empty());
  EXPECT_TRUE(collect("file:///sdcard/x").empty());
}

TEST(HostNames, TableListsEachHostOnceReferencedByAnyString) {
  HostTable t;
  t.Add("https://a.example.com/x and http://b.example.cn", false);
  t.Add("https://a.example.com/y", true);  // a again, now referenced
  t.Add("b.example.cn", false);            // b again, not referenced
  t.Add("com.example.not.a.host", true);
  EXPECT_EQ(t.hosts(), (std::vector<std::string_view>{"a.example.com", "b.example.cn"}));
  EXPECT_EQ(t.referenced(), (std::vector<bool>{true, false}));
  t.Clear();
  EXPECT_TRUE(t.hosts().empty());
  EXPECT_TRUE(t.referenced().empty());
  t.Add("https://c.example.org", false);
  EXPECT_EQ(t.hosts(), std::vector<std::string_view>{"c.example.org"});
  EXPECT_TRUE(HasDigit("ICP 12345678"));
  EXPECT_FALSE(HasDigit("no digits here"));
}

// ---- analyzer ----

struct RecordingSink : EvidenceSink {
  struct Table {
    EvidenceKind kind;
    std::string location;
    std::map<std::string, bool> items;  // item -> referenced
  };
  std::vector<Table> tables;
  void OnTable(EvidenceKind kind, std::string_view location,
               const std::vector<std::string_view>& items,
               const std::vector<bool>* referenced) override {
    Table t{kind, std::string(location), {}};
    for (size_t i = 0; i < items.size(); ++i) {
      t.items[std::string(items[i])] = referenced != nullptr && (*referenced)[i];
    }
    tables.push_back(std::move(t));
  }
  void Finish(Facts*) override {}
  const Table* Find(EvidenceKind k, std::string_view loc) const {
    for (const Table& t : tables) {
      if (t.kind == k && t.location == loc) return &t;
    }
    return nullptr;
  }
};

struct RecordingText : TextSink {
  std::vector<std::pair<std::string, std::string>> texts;
  void OnText(std::string_view loc, std::string_view text) override {
    texts.emplace_back(std::string(loc), std::string(text));
  }
  void Finish(Facts*) override {}
};

TEST_F(DexTest, AnalyzerOnBareDex) {
  Facts facts;
  facts.file = "/some/dir/app.dex";
  Budget budget{Limits()};
  RecordingSink ev;
  RecordingText text;
  ScanContext ctx(&facts, &budget, nullptr, &ev, &text);
  ctx.set_bare_bytes(*fixture_);
  NewDexAnalyzer()->Analyze(&ctx);
  ASSERT_EQ(facts.code.size(), 1u);
  EXPECT_EQ(facts.code[0].kind, "dex");
  EXPECT_EQ(facts.code[0].location, "app.dex");
  EXPECT_FALSE(facts.code[0].extra);
  EXPECT_EQ(facts.code[0].classes, 4u);
  const auto* classes = ev.Find(EvidenceKind::kClass, "app.dex");
  ASSERT_NE(classes, nullptr);
  EXPECT_EQ(classes->items, (std::map<std::string, bool>{{"com.app.Main", false},
                                                         {"com.sdk.ads.AdView", true},
                                                         {"com.sdk.ads.Loader", false},
                                                         {"com.sdk.track.Stats", true}}));
  const auto* hosts = ev.Find(EvidenceKind::kHost, "app.dex");
  ASSERT_NE(hosts, nullptr);
  EXPECT_EQ(hosts->items, (std::map<std::string, bool>{{"api.example.com", true},
                                                       {"ads.example.cn", true}}));
  const auto* strings = ev.Find(EvidenceKind::kString, "app.dex");
  ASSERT_NE(strings, nullptr);
  EXPECT_EQ(strings->items.count("run"), 0u);  // a method name, not a constant
  ASSERT_EQ(strings->items.count("\xe5\xa4\x87\xe6\xa1\x88 ICP 12345678"), 1u);
  EXPECT_FALSE(strings->items.at("\xe5\xa4\x87\xe6\xa1\x88 ICP 12345678"));
  bool saw_icp = false;
  for (const auto& [loc, t] : text.texts) saw_icp |= t == "\xe5\xa4\x87\xe6\xa1\x88 ICP 12345678";
  EXPECT_TRUE(saw_icp);
}

TEST_F(DexTest, AnalyzerReportsMalformedBareDex) {
  Facts facts;
  facts.file = "bad.dex";
  Budget budget{Limits()};
  std::string bad = fixture_->substr(0, 0x40);
  ScanContext ctx(&facts, &budget, nullptr, nullptr, nullptr);
  ctx.set_bare_bytes(bad);
  NewDexAnalyzer()->Analyze(&ctx);
  ASSERT_EQ(facts.errors.size(), 1u);
  EXPECT_EQ(facts.errors[0].code, "dex-malformed");
  ASSERT_EQ(facts.code.size(), 1u);
  EXPECT_NE(facts.code[0].note.find("not analysed"), std::string::npos);
}

// Issue 12 item 13: a DEX with no tables whose map list (pointing at
// itself) declares an absurd item count was a healthy DEX with 0 classes.
TEST_F(DexTest, MapListWithAbsurdCountIsAProblem) {
  std::string dex(0x70 + 4 + 12, '\0');
  std::memcpy(dex.data(), "dex\n035\0", 8);
  PutU32(&dex, 32, static_cast<uint32_t>(dex.size()));  // file_size
  PutU32(&dex, 36, 0x70);                               // header_size
  PutU32(&dex, 40, 0x12345678);                         // endian_tag
  PutU32(&dex, 52, 0x70);                               // map_off
  PutU32(&dex, 0x70, 0x7fffffff);                       // map size
  PutU32(&dex, 0x74, 0x1000);                           // TYPE_MAP_LIST ...
  PutU32(&dex, 0x7c, 0x70);                             // ... at map_off
  auto r = DexFile::Parse(dex, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(HasProblem(**r, "dex-bad-map-list"));
  Facts facts;
  facts.file = "self-map.dex";
  Budget budget{Limits()};
  ScanContext ctx(&facts, &budget, nullptr, nullptr, nullptr);
  ctx.set_bare_bytes(dex);
  NewDexAnalyzer()->Analyze(&ctx);
  bool anomaly = false;
  for (const auto& a : facts.anomalies) anomaly = anomaly || a.code == "dex-bad-map-list";
  EXPECT_TRUE(anomaly);
  ASSERT_EQ(facts.code.size(), 1u);
  EXPECT_NE(facts.code[0].note.find("dex-bad-map-list"), std::string::npos) << facts.code[0].note;
  // A map without the header item, and one out of order, are problems too.
  std::string fixed = *fixture_;
  uint32_t map_off = GetU32(fixed, 52);
  std::string no_header = fixed;
  PutU32(&no_header, map_off + 4, 0x0001);  // first item (the header) retyped
  auto nh = DexFile::Parse(no_header, nullptr);
  ASSERT_TRUE(nh.ok());
  EXPECT_TRUE(HasProblem(**nh, "dex-bad-map-list"));
  std::string odd = fixed;
  PutU32(&odd, 52, map_off + 2);  // not 4-aligned
  auto o = DexFile::Parse(odd, nullptr);
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(HasProblem(**o, "dex-bad-map-list"));
}

// Builds a zip in memory with libzip.
std::string MakeZip(const std::vector<std::pair<std::string, std::string>>& files) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &err);
  zip_source_keep(src);
  zip_t* z = zip_open_from_source(src, ZIP_TRUNCATE, &err);
  for (const auto& [name, data] : files) {
    zip_source_t* s = zip_source_buffer(z, data.data(), data.size(), 0);
    zip_file_add(z, name.c_str(), s, ZIP_FL_OVERWRITE);
  }
  zip_close(z);
  zip_source_open(src);
  zip_source_seek(src, 0, SEEK_END);
  zip_int64_t n = zip_source_tell(src);
  zip_source_seek(src, 0, SEEK_SET);
  std::string out(static_cast<size_t>(n), '\0');
  zip_source_read(src, out.data(), n);
  zip_source_close(src);
  zip_source_free(src);
  zip_error_fini(&err);
  return out;
}

TEST_F(DexTest, AnalyzerFindsMultidexAndExtraDex) {
  std::string second = Assemble({kLoaderSmali}, "second");
  ASSERT_FALSE(second.empty());
  std::string jar = MakeZip({{"classes.dex", second}});
  std::string apk = MakeZip({{"AndroidManifest.xml", "x"},
                             {"classes.dex", *fixture_},
                             {"classes2.dex", second},
                             {"classes1.dex", second},  // not a multidex name: extra
                             {"assets/payload.bin", *fixture_},
                             {"assets/plugin.jar", jar},
                             {"assets/encrypted.dex", std::string(200, 'z')}});
  Facts facts;
  Budget budget{Limits()};
  auto archive = Archive::OpenMemory(apk, "t.apk", &budget, 0);
  ASSERT_TRUE(archive.ok()) << archive.status().ToString();
  RecordingSink ev;
  ScanContext ctx(&facts, &budget, archive->get(), &ev, nullptr);
  NewDexAnalyzer()->Analyze(&ctx);
  std::map<std::string, bool> units;  // location -> extra
  for (const CodeUnit& u : facts.code) units[u.location] = u.extra;
  EXPECT_EQ(units, (std::map<std::string, bool>{{"classes.dex", false},
                                                {"classes2.dex", false},
                                                {"classes1.dex", true},
                                                {"assets/payload.bin", true},
                                                {"assets/plugin.jar!/classes.dex", true},
                                                {"assets/encrypted.dex", true}}));
  ASSERT_NE(ev.Find(EvidenceKind::kClass, "assets/plugin.jar!/classes.dex"), nullptr);
  EXPECT_EQ(ev.Find(EvidenceKind::kClass, "classes2.dex")->items.count("com.sdk.ads.Loader"), 1u);
  // The encrypted payload is an anomaly, not an error.
  EXPECT_TRUE(facts.errors.empty());
  bool anomaly = false;
  for (const Anomaly& a : facts.anomalies) {
    anomaly |= a.code == "dex-malformed" && a.location == "assets/encrypted.dex";
  }
  EXPECT_TRUE(anomaly);
}

}  // namespace
}  // namespace shelfguard::dex
