#include "arsc/arsc_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>

// Module tests link only their module (CMakeLists.txt); the fixture writer
// depends only on the standard library and is compiled in here.
#include "support/android_writer.h"
#include "support/parser_limits.h"
#include "support/fuzz_seeds.h"

namespace shelfguard {
namespace {

using testing::ArscIdOf;
using testing::ArscResource;
using testing::ArscSpec;
using testing::ArscValue;
using testing::BuildArsc;
using testing::GetU32;
using testing::PutU32;

ArscValue S(std::string s) {
  ArscValue v;
  v.str = std::move(s);
  return v;
}
ArscValue Ref(std::string r) {
  ArscValue v;
  v.type = testing::kWReference;
  v.ref = std::move(r);
  return v;
}

ArscSpec Spec(bool utf8 = true) {
  ArscSpec spec;
  spec.utf8 = utf8;
  spec.resources = {
      {"string", "app_name", {{"", S("Demo")}, {"zh-rCN", S("演示应用")}, {"en", S("Demo EN")}}, {}},
      {"string", "version_name", {{"", S("1.0")}}, {}},
      {"string", "alias", {{"", Ref("string/app_name")}}, {}},
      {"string", "loop1", {{"", Ref("string/loop2")}}, {}},
      {"string", "loop2", {{"", Ref("string/loop1")}}, {}},
      {"string", "only_zh", {{"zh-rCN", S("备案号：京ICP备12345678号-1A")}}, {}},
      {"string", "density", {{"hdpi", S("hd")}}, {}},
      {"xml", "network_security_config", {{"", S("res/xml/network_security_config.xml")}}, {}},
      {"integer", "code", {{"", ArscValue{testing::kWIntDec, 7, "", ""}}}, {}},
      {"array", "items", {}, {{0x02000000, S("first")}, {0x02000001, S("second")}}},
  };
  return spec;
}

bool HasAnomaly(const ArscTable& t, std::string_view code) {
  return std::any_of(t.anomalies.begin(), t.anomalies.end(),
                     [&](const Anomaly& a) { return a.code == code; });
}

void ExpectValid(const ArscTable& t, const ArscSpec& spec) {
  ASSERT_EQ(t.packages.size(), 1u);
  EXPECT_EQ(t.packages[0].id, 0x7fu);
  EXPECT_EQ(t.packages[0].name, "com.example.app");
  auto name = t.ResolveString(ArscIdOf(spec, "string", "app_name"));
  ASSERT_TRUE(name.ok()) << name.status().ToString();
  EXPECT_EQ(*name, "Demo");  // the default configuration, not zh-rCN or en
  EXPECT_EQ(*t.ResolveString(ArscIdOf(spec, "string", "alias")), "Demo");
  EXPECT_EQ(*t.ResolveString(ArscIdOf(spec, "string", "version_name")), "1.0");
  EXPECT_EQ(*t.ResolveString(ArscIdOf(spec, "integer", "code")), "7");
  EXPECT_EQ(*t.ResolveString(ArscIdOf(spec, "xml", "network_security_config")),
            "res/xml/network_security_config.xml");
  // Only a non-default configuration exists: the fallback is used.
  EXPECT_EQ(*t.ResolveString(ArscIdOf(spec, "string", "density")), "hd");
  EXPECT_EQ(t.ResourceName(ArscIdOf(spec, "string", "app_name")), "string/app_name");
  EXPECT_EQ(t.ResourceName(ArscIdOf(spec, "xml", "network_security_config")),
            "xml/network_security_config");
}

TEST(ArscTest, ParsesValidTableUtf8) {
  ArscSpec spec = Spec(true);
  auto t = ParseArsc(BuildArsc(spec), nullptr);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ExpectValid(*t, spec);
  EXPECT_TRUE(t->anomalies.empty()) << t->anomalies[0].code;
}

TEST(ArscTest, ParsesValidTableUtf16) {
  ArscSpec spec = Spec(false);
  auto t = ParseArsc(BuildArsc(spec), nullptr);
  ASSERT_TRUE(t.ok());
  ExpectValid(*t, spec);
}

TEST(ArscTest, ReferenceLoopsAndMissingIdsAreErrors) {
  ArscSpec spec = Spec();
  auto t = ParseArsc(BuildArsc(spec), nullptr);
  ASSERT_TRUE(t.ok());
  auto loop = t->ResolveString(ArscIdOf(spec, "string", "loop1"));
  ASSERT_FALSE(loop.ok());
  EXPECT_EQ(loop.status().code(), "malformed");
  auto missing = t->ResolveString(0x7f7f0001);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), "not-found");
  EXPECT_FALSE(t->ResolveString(ArscIdOf(spec, "array", "items")).ok());  // a bag
}

TEST(ArscTest, EnumeratesEveryStringOfEveryConfiguration) {
  ArscSpec spec = Spec();
  auto t = ParseArsc(BuildArsc(spec), nullptr);
  ASSERT_TRUE(t.ok());
  std::multimap<std::string, std::pair<std::string, std::string>> seen;
  t->ForEachString(
      [&](const ArscStringValue& v) { seen.insert({v.name, {v.config, std::string(v.value)}}); });
  auto has = [&](const std::string& name, const std::string& cfg, const std::string& val) {
    auto range = seen.equal_range(name);
    for (auto it = range.first; it != range.second; ++it)
      if (it->second.first == cfg && it->second.second == val) return true;
    return false;
  };
  EXPECT_TRUE(has("string/app_name", "", "Demo"));
  EXPECT_TRUE(has("string/app_name", "zh-rCN", "演示应用"));
  EXPECT_TRUE(has("string/app_name", "en", "Demo EN"));
  EXPECT_TRUE(has("string/only_zh", "zh-rCN", "备案号：京ICP备12345678号-1A"));
  EXPECT_TRUE(has("string/density", "hdpi", "hd"));
  EXPECT_TRUE(has("array/items", "", "first"));
  EXPECT_TRUE(has("array/items", "", "second"));
  // References and integers are not string values.
  EXPECT_EQ(seen.count("string/alias"), 0u);
  EXPECT_EQ(seen.count("integer/code"), 0u);
}

TEST(ArscTest, EveryTruncationIsSafeAndKeepsTheGlobalPool) {
  ArscSpec spec = Spec();
  std::string good = BuildArsc(spec);
  uint32_t pool_end = 12 + GetU32(good, 12 + 4);
  for (size_t n = 0; n < good.size(); ++n) {
    auto t = ParseArsc(std::string_view(good).substr(0, n), nullptr);
    if (n < 12) {
      EXPECT_FALSE(t.ok()) << n;
      continue;
    }
    if (!t.ok()) {
      EXPECT_EQ(t.status().code(), "malformed") << n;
      continue;
    }
    EXPECT_TRUE(t->truncated) << n;
    if (n >= pool_end) {
      EXPECT_EQ(t->strings.size(), 9u) << n;  // the pool parsed whole
    }
  }
}

// Offset of the first ResTable_type chunk (type 0x0201), found by walking
// the chunk headers inside the package; d.size() when there is none.
size_t FirstTypeChunk(const std::string& d) {
  size_t pos = 12 + GetU32(d, 16) + 288;  // the package chunk's header ends 288 bytes in
  while (pos < d.size() && (GetU32(d, pos) & 0xffff) != 0x0201) {
    uint32_t size = GetU32(d, pos + 4);
    if (size == 0) return d.size();
    pos += size;
  }
  return std::min(pos, d.size());
}

TEST(ArscTest, BumpedEntryCountIsCutToOffsetsTable) {
  ArscSpec spec = Spec();
  std::string d = BuildArsc(spec);
  const size_t pos = FirstTypeChunk(d);
  ASSERT_LT(pos, d.size());
  PutU32(&d, pos + 12, 0x7fffffff);
  auto t = ParseArsc(d, nullptr);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(HasAnomaly(*t, "arsc-bad-entry-count"));
  EXPECT_EQ(*t->ResolveString(ArscIdOf(spec, "string", "app_name")), "Demo");
}

TEST(ArscTest, EntryOffsetPastEndDropsOnlyThatEntry) {
  ArscSpec spec = Spec();
  std::string d = BuildArsc(spec);
  const size_t pos = FirstTypeChunk(d);
  ASSERT_LT(pos, d.size());
  uint16_t header = static_cast<uint16_t>(GetU32(d, pos) >> 16);
  // First type is "string" in the default configuration: entry 0 is app_name.
  PutU32(&d, pos + header, 0x00fffff0);
  auto t = ParseArsc(d, nullptr);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(HasAnomaly(*t, "arsc-bad-entry"));
  // app_name falls back to the English configuration; version_name intact.
  EXPECT_EQ(*t->ResolveString(ArscIdOf(spec, "string", "app_name")), "Demo EN");
  EXPECT_EQ(*t->ResolveString(ArscIdOf(spec, "string", "version_name")), "1.0");
}

TEST(ArscTest, BadPackageChunkSizeStops) {
  ArscSpec spec = Spec();
  std::string d = BuildArsc(spec);
  size_t pkg = 12 + GetU32(d, 16);
  PutU32(&d, pkg + 4, 0xffffff00);
  auto t = ParseArsc(d, nullptr);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(HasAnomaly(*t, "arsc-bad-chunk"));
  EXPECT_TRUE(t->packages.empty());
  EXPECT_EQ(t->strings.size(), 9u);
}

TEST(ArscTest, NotATableIsMalformed) {
  EXPECT_EQ(ParseArsc("", nullptr).status().code(), "malformed");
  EXPECT_EQ(ParseArsc(std::string(64, '\0'), nullptr).status().code(), "malformed");
  std::string axml = "\x03\x00\x08\x00\x08\x00\x00\x00";
  EXPECT_EQ(ParseArsc(axml, nullptr).status().code(), "malformed");
}

// The parser contract: strings and entries count together against
// max_table_items; past it the table is cut where the count ran out, what
// was read before is kept, and the cut is recorded once.
TEST(ArscTest, TablesOverMaxTableItemsAreCutAtTheLimit) {
  const std::string bytes = BuildArsc(Spec());
  auto items = [](const ArscTable& t) {
    uint64_t n = t.strings.size();
    for (const ArscPackage& p : t.packages) {
      n += p.type_names.size() + p.key_names.size();
      for (const ArscType& ty : p.types) n += ty.entries.size();
    }
    return n;
  };
  auto whole = ParseArsc(bytes, nullptr);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  const uint64_t total = items(*whole);
  ASSERT_GT(total, 4u);
  // Entries are charged as the type declares them (empty slots included),
  // so any cap under the items kept is a cut; the default limits are none.
  for (uint64_t cap : {uint64_t{2}, total / 2, total - 1, Limits().max_table_items}) {
    SCOPED_TRACE(cap);
    Budget budget(testing::WithTableCap(cap));
    auto t = ParseArsc(bytes, &budget);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_LE(items(*t), cap);
    // The global pool comes first: it is kept whole or cut to its first items.
    const size_t want = std::min<size_t>(whole->strings.size(), cap);
    ASSERT_EQ(t->strings.size(), want);
    EXPECT_TRUE(std::equal(t->strings.begin(), t->strings.end(), whole->strings.begin()));
    size_t said = 0;
    for (const Anomaly& a : t->anomalies) said += a.code == "arsc-over-limit";
    EXPECT_EQ(said, cap < total ? 1u : 0u);
  }
}

// Bag items count against max_table_items as well: every entry of a type
// pointed at one 1,000-item bag would otherwise copy it once per entry,
// whatever the limit. Here 100 bags of 1,000 items under a cap of 20,000:
// the bags past the cap are dropped whole, the cut is recorded once.
TEST(ArscTest, BagItemsCountAgainstMaxTableItems) {
  ArscSpec spec;
  for (int b = 0; b < 100; ++b) {
    ArscResource r{"array", "bag" + std::to_string(b), {}, {}};
    for (uint32_t i = 0; i < 1000; ++i) r.bag.push_back({0x02000000 + i, S("v")});
    spec.resources.push_back(std::move(r));
  }
  const std::string bytes = BuildArsc(spec);
  auto whole = ParseArsc(bytes, nullptr);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(whole->bags.size(), 100000u);
  Budget budget(testing::WithTableCap(20000));
  auto t = ParseArsc(bytes, &budget);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_LE(t->bags.size(), 20000u);
  EXPECT_GT(t->bags.size(), 10000u);
  EXPECT_EQ(t->bags.size() % 1000, 0u);  // whole bags only
  EXPECT_TRUE(HasAnomaly(*t, "arsc-over-limit"));
  size_t kept = 0;
  for (const auto& p : t->packages)
    for (const auto& ty : p.types)
      for (const auto& e : ty.entries) kept += t->Bag(e).size();
  EXPECT_EQ(kept, t->bags.size());
}

// Random 4-byte corruptions of a valid table. The parse fails only when the
// table header or the global string pool in front of the package is broken,
// and then with a Malformed status that names resources.arsc; damage after
// the pool is salvaged: the table parses, its counts stay bounded by the
// bytes, and every lookup answers with a value or a not-found / unsupported
// / malformed error.
TEST(ArscTest, RandomByteFlipsNeverCrash) {
  std::string good = BuildArsc(Spec());
  ASSERT_TRUE(ParseArsc(good, nullptr).ok());
  uint32_t pool_size = 0;
  std::memcpy(&pool_size, good.data() + 12 + 4, 4);  // the pool chunk right after the header
  const size_t package_at = 12 + pool_size;
  ASSERT_LT(package_at, good.size());
  int parsed = 0, rejected = 0, late_damage = 0;
  testing::ByteFlipper flipper(777, 4);
  for (int iter = 0; iter < 3000; ++iter) {
    const std::string d = flipper.Next(good);
    // The first byte the damage changed (d.size(): none).
    const size_t lowest = std::mismatch(good.begin(), good.end(), d.begin()).first - good.begin();
    auto t = ParseArsc(d, nullptr);
    if (lowest >= package_at && lowest < d.size()) ++late_damage;
    if (!t.ok()) {
      ++rejected;
      EXPECT_EQ(t.status().code(), "malformed") << t.status().ToString();
      EXPECT_EQ(t.status().message().rfind("resources.arsc:", 0), 0u) << t.status().ToString();
      EXPECT_LT(lowest, package_at) << "damage only after the string pool rejected the table: "
                                    << t.status().ToString();
      continue;
    }
    ++parsed;
    EXPECT_LE(t->packages.size(), kMaxArscPackages);
    EXPECT_LE(t->strings.size(), d.size() / 2);  // a pool string takes at least 2 bytes
    size_t entries = 0;
    for (const auto& p : t->packages) {
      for (const auto& ty : p.types) entries += ty.entries.size();
    }
    EXPECT_LE(entries, d.size() / 4);  // an entry offset alone is 4 bytes
    size_t values = 0;
    t->ForEachString([&](const ArscStringValue&) { ++values; });
    EXPECT_LE(values, entries * 2 + 64);
    for (uint32_t id = 0x7f010000; id < 0x7f010010; ++id) {
      auto r = t->ResolveString(id);
      if (!r.ok()) {
        const std::string& c = r.status().code();
        EXPECT_TRUE(c == "not-found" || c == "unsupported" || c == "malformed")
            << r.status().ToString();
        EXPECT_FALSE(r.status().message().empty());
      }
    }
  }
  // Both outcomes occur, and most damage is salvaged rather than rejected.
  EXPECT_GT(rejected, 0);
  EXPECT_GT(late_damage, 1000);
  EXPECT_GT(parsed, 2 * rejected);
}

// The fuzz seeds in tests/fuzz_seeds/arsc are written by this fixture
// writer; each must still parse.
TEST(ArscTest, FuzzSeedsAreWriterOutputAndParse) {
  std::map<std::string, std::string> seeds = {
      {"table_utf8.arsc", BuildArsc(Spec(true))},
      {"table_utf16.arsc", BuildArsc(Spec(false))},
  };
  testing::ExpectFuzzSeedsAreWriterOutput(
      "arsc", seeds, [](std::string_view bytes) { return ParseArsc(bytes, nullptr).ok(); });
}

}  // namespace
}  // namespace shelfguard
