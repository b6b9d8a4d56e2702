#include "axml/axml_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>

// Module tests link only sg_axml (CMakeLists.txt), so the fixture writer's
// source, which depends only on the standard library, is compiled in here.
#include "support/android_writer.h"
#include "support/parser_limits.h"
#include "support/fuzz_seeds.h"

namespace shelfguard {
namespace {

using testing::AxmlLayout;
using testing::BuildAxml;
using testing::PutU16;
using testing::PutU32;
using testing::XmlAttr;
using testing::XmlElem;

XmlElem Manifest() {
  XmlElem m{"manifest", {XmlAttr::Int("versionCode", attr::kVersionCode, 42),
                         XmlAttr::Str("versionName", attr::kVersionName, "1.2.3"),
                         XmlAttr::Plain("package", "com.example.app")}, {}, ""};
  m.Add({"uses-sdk", {XmlAttr::Int("minSdkVersion", attr::kMinSdkVersion, 21),
                      XmlAttr::Int("targetSdkVersion", attr::kTargetSdkVersion, 33)}, {}, ""});
  m.Add({"uses-permission", {XmlAttr::Str("name", attr::kName, "android.permission.CAMERA")}, {}, ""});
  XmlElem app{"application", {XmlAttr::Ref("label", attr::kLabel, 0x7f010000),
                              XmlAttr::Bool("debuggable", attr::kDebuggable, true)}, {}, ""};
  XmlElem act{"activity", {XmlAttr::Str("name", attr::kName, ".Main")}, {}, ""};
  act.Add({"intent-filter", {}, {}, "text inside"});
  app.Add(act);
  m.Add(app);
  return m;
}

bool HasAnomaly(const AxmlDocument& d, std::string_view code) {
  return std::any_of(d.anomalies.begin(), d.anomalies.end(),
                     [&](const Anomaly& a) { return a.code == code; });
}

void ExpectManifest(const AxmlDocument& d) {
  ASSERT_EQ(d.nodes.size(), 6u);
  const AxmlNode& m = d.nodes[0];
  EXPECT_EQ(m.name, "manifest");
  EXPECT_EQ(m.depth, 1);
  ASSERT_NE(m.FindByName("package"), nullptr);
  EXPECT_EQ(m.FindByName("package")->string_value, "com.example.app");
  ASSERT_NE(m.FindById(attr::kVersionCode), nullptr);
  EXPECT_EQ(m.FindById(attr::kVersionCode)->type, kTypeIntDec);
  EXPECT_EQ(m.FindById(attr::kVersionCode)->data, 42u);
  EXPECT_EQ(m.FindById(attr::kVersionCode)->ns, testing::kAndroidNs);
  EXPECT_EQ(m.FindById(attr::kVersionName)->string_value, "1.2.3");
  EXPECT_EQ(d.nodes[1].name, "uses-sdk");
  EXPECT_EQ(d.nodes[1].depth, 2);
  EXPECT_EQ(d.nodes[2].FindById(attr::kName)->string_value, "android.permission.CAMERA");
  EXPECT_EQ(d.nodes[3].name, "application");
  EXPECT_EQ(d.nodes[3].FindById(attr::kLabel)->type, kTypeReference);
  EXPECT_EQ(d.nodes[3].FindById(attr::kLabel)->data, 0x7f010000u);
  EXPECT_EQ(FormatAttribute(*d.nodes[3].FindById(attr::kDebuggable)), "true");
  EXPECT_EQ(d.nodes[4].name, "activity");
  EXPECT_EQ(d.nodes[4].depth, 3);
  EXPECT_EQ(d.nodes[5].name, "intent-filter");
  EXPECT_EQ(d.nodes[5].depth, 4);
  EXPECT_EQ(d.nodes[5].text, "text inside");
}

TEST(AxmlTest, ParsesValidUtf16Document) {
  auto r = ParseAxml(BuildAxml(Manifest(), /*utf8=*/false), nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectManifest(*r);
  EXPECT_FALSE(r->truncated);
  EXPECT_TRUE(r->anomalies.empty()) << r->anomalies[0].code;
}

TEST(AxmlTest, ParsesValidUtf8DocumentWithNonAscii) {
  XmlElem m = Manifest();
  m.children[2].attrs.push_back(XmlAttr::Str("description", 0x01010020, "语文同步练习 😀"));
  auto r = ParseAxml(BuildAxml(m, /*utf8=*/true), nullptr);
  ASSERT_TRUE(r.ok());
  ExpectManifest(*r);
  ASSERT_NE(r->nodes[3].FindById(0x01010020), nullptr);
  EXPECT_EQ(r->nodes[3].FindById(0x01010020)->string_value, "语文同步练习 😀");
  // Same text through a UTF-16 pool (surrogate pair for the emoji).
  auto r16 = ParseAxml(BuildAxml(m, false), nullptr);
  ASSERT_TRUE(r16.ok());
  ASSERT_NE(r16->nodes[3].FindById(0x01010020), nullptr);
  EXPECT_EQ(r16->nodes[3].FindById(0x01010020)->string_value, "语文同步练习 😀");
}

TEST(AxmlTest, LongStringsUseTwoUnitLengths) {
  // 20000 > 0x7f (two-byte UTF-8 lengths) and > 0x7fff is not reachable in
  // UTF-8 pools; UTF-16 uses the one-unit form up to 0x7fff.
  std::string long_name(20000, 'x');
  XmlElem m{"manifest", {XmlAttr::Str("versionName", attr::kVersionName, long_name)}, {}, ""};
  for (bool utf8 : {false, true}) {
    auto r = ParseAxml(BuildAxml(m, utf8), nullptr);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->nodes[0].FindById(attr::kVersionName)->string_value == long_name) << utf8;
  }
}

TEST(AxmlTest, AttributesIdentifiedByResourceIdWhenNameObfuscated) {
  // Obfuscators blank or rename android: attribute names; the resource map
  // still carries the ids the platform uses.
  XmlElem m{"manifest", {XmlAttr::Int("", attr::kVersionCode, 7),
                         XmlAttr::Str("zzz", attr::kVersionName, "obf"),
                         XmlAttr::Plain("package", "p.q")}, {}, ""};
  auto r = ParseAxml(BuildAxml(m), nullptr);
  ASSERT_TRUE(r.ok());
  ASSERT_NE(r->nodes[0].FindById(attr::kVersionCode), nullptr);
  EXPECT_EQ(r->nodes[0].FindById(attr::kVersionCode)->data, 7u);
  EXPECT_EQ(r->nodes[0].FindById(attr::kVersionName)->string_value, "obf");
  EXPECT_EQ(r->nodes[0].FindByName("versionName", testing::kAndroidNs), nullptr);
}

TEST(AxmlTest, NameWithoutResourceIdIsNotAnAndroidAttribute) {
  XmlAttr fake = XmlAttr::Int("versionCode", 0, 99);  // android ns, no id
  XmlElem m{"manifest", {fake}, {}, ""};
  auto r = ParseAxml(BuildAxml(m), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->nodes[0].FindById(attr::kVersionCode), nullptr);
  ASSERT_NE(r->nodes[0].FindByName("versionCode", testing::kAndroidNs), nullptr);
}

TEST(AxmlTest, TypedStringWinsOverMissingRawValue) {
  XmlAttr a = XmlAttr::Str("name", attr::kName, "com.x.Y");
  a.raw = false;
  XmlElem m{"manifest", {}, {}, ""};
  m.Add({"activity", {a}, {}, ""});
  auto r = ParseAxml(BuildAxml(m), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->nodes[1].FindById(attr::kName)->string_value, "com.x.Y");
}

TEST(AxmlTest, EveryTruncationKeepsAPrefixAndNeverCrashes) {
  std::string good = BuildAxml(Manifest());
  AxmlLayout layout;
  BuildAxml(Manifest(), false, &layout);
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = ParseAxml(std::string_view(good).substr(0, n), nullptr);
    if (n < layout.resource_map) {
      // The pool is clipped: either an error or strings lost.
      if (r.ok()) {
        EXPECT_TRUE(r->nodes.empty() || r->truncated || !r->anomalies.empty());
      }
      continue;
    }
    ASSERT_TRUE(r.ok()) << n << ": " << r.status().ToString();
    EXPECT_TRUE(r->truncated) << n;
    EXPECT_TRUE(HasAnomaly(*r, "axml-truncated")) << n;
    // Every element whose chunk fits entirely survived with its attributes.
    size_t whole = 0;
    for (size_t i = 0; i < layout.elements.size(); ++i) {
      size_t end = i + 1 < layout.elements.size() ? layout.elements[i + 1] : good.size();
      (void)end;
      if (layout.elements[i] + 16 + 20 <= n) ++whole;  // header+ext at least
    }
    EXPECT_LE(r->nodes.size(), whole) << n;
    if (n > layout.elements[1]) {
      ASSERT_GE(r->nodes.size(), 1u) << n;
      EXPECT_EQ(r->nodes[0].FindById(attr::kVersionCode)->data, 42u) << n;
    }
  }
}

// The test manifest (UTF-16) after `patch` overwrote a field of it (given
// the bytes and where the writer put each chunk), parsed without a budget.
Result<AxmlDocument> ParsePatchedManifest(const std::function<void(std::string*, const AxmlLayout&)>& patch) {
  AxmlLayout layout;
  std::string d = BuildAxml(Manifest(), false, &layout);
  patch(&d, layout);
  return ParseAxml(d, nullptr);
}

TEST(AxmlTest, BumpedStringCountIsCutToWhatFits) {
  AxmlLayout layout;
  std::string d = BuildAxml(Manifest(), false, &layout);
  PutU32(&d, layout.string_pool + 8, 0x40000000);
  auto r = ParseAxml(d, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(HasAnomaly(*r, "string-pool-count"));
  // The offsets table now overlaps string data: some strings are bad, but
  // the pool size is bounded by the chunk.
  uint32_t pool_size = testing::GetU32(d, layout.string_pool + 4);
  EXPECT_LE(r->strings.size(), pool_size / 4);
}

TEST(AxmlTest, StringsStartPastEndLosesStringsWithAnomaly) {
  auto r = ParsePatchedManifest([](std::string* d, const AxmlLayout& l) { PutU32(d, l.string_pool + 20, 0x7fffffff); });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(HasAnomaly(*r, "string-pool-bad-start"));
  ASSERT_EQ(r->nodes.size(), 6u);  // structure survives
  EXPECT_EQ(r->nodes[0].name, "");
  // Ids still come from the resource map.
  EXPECT_EQ(r->nodes[0].FindById(attr::kVersionCode)->data, 42u);
}

TEST(AxmlTest, StringOffsetPastEndBlanksOnlyThatString) {
  // Offset of string 0 (the first attribute name with an id) points out.
  auto r = ParsePatchedManifest([](std::string* d, const AxmlLayout& l) { PutU32(d, l.string_pool + 28, 0x00fffff0); });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(HasAnomaly(*r, "string-pool-bad-string"));
  EXPECT_EQ(r->strings[0], "");
  EXPECT_EQ(r->nodes[0].name, "manifest");
}

// Offsets that all point back at one long string: every string reads as
// that string, and it is transcoded once, not once per offset (20,000 x
// 20,000 bytes would be 400 MB). Both encodings; UTF-8 views share the
// pool's bytes.
TEST(AxmlTest, OffsetsSharingOneLongStringDecodeItOnce) {
  const std::string long_string(20000, 'x');
  const std::string wide = "宽" + long_string;  // non-ASCII: 3 UTF-8 bytes
  for (bool utf8 : {true, false}) {
    SCOPED_TRACE(utf8);
    std::vector<std::string> strings(20000, "");
    strings[0] = wide;
    std::string pool = testing::BuildStringPool(strings, utf8);
    for (size_t i = 1; i < strings.size(); ++i) PutU32(&pool, 28 + 4 * i, 0);
    auto r = ParseStringPoolViews(pool, nullptr, "test", nullptr);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->strings.size(), strings.size());
    EXPECT_EQ(r->bad_strings, 0u);
    for (std::string_view s : r->strings) ASSERT_EQ(s, wide);
    EXPECT_LE(r->storage->size(), pool.size());
  }
}

// Offsets into the middle of one long UTF-16 string, every one of them a
// string of its own: each even offset reads a length of 0x7000 units from
// the data (U+7000 characters), so 30,000 offsets would transcode to about
// 2.6 GB. Decoding stops at twice the string data plus one longest string;
// the strings decoded before are intact and the cut is an anomaly.
TEST(AxmlTest, OverlappingUtf16StringsAreCutAtTwiceThePoolData) {
  const std::string wide_char = "\xE7\x80\x80";  // U+7000
  std::string long_string;
  for (int i = 0; i < 60000; ++i) long_string += wide_char;
  std::vector<std::string> strings(30000, "");
  strings[0] = long_string;
  std::string pool = testing::BuildStringPool(strings, false);
  // String i > 0 starts 2 * i bytes into the first string's characters.
  for (size_t i = 1; i < strings.size(); ++i) PutU32(&pool, 28 + 4 * i, static_cast<uint32_t>(2 + 2 * i));
  std::vector<Anomaly> anomalies;
  auto r = ParseStringPoolViews(pool, nullptr, "test", &anomalies);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->strings.size(), strings.size());
  EXPECT_EQ(r->strings[0], long_string);
  EXPECT_EQ(r->strings[1], std::string_view(long_string).substr(0, 3 * 0x7000));
  EXPECT_LE(r->storage->size(), 2 * pool.size() + (4u << 20));
  EXPECT_GT(r->bad_strings, 20000u);
  EXPECT_TRUE(std::any_of(anomalies.begin(), anomalies.end(),
                          [](const Anomaly& a) { return a.code == "string-pool-overlap"; }));
}

TEST(AxmlTest, BumpedAttributeCountIsCut) {
  auto r = ParsePatchedManifest([](std::string* d, const AxmlLayout& l) { PutU16(d, l.first_element + 16 + 12, 500); });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(HasAnomaly(*r, "axml-bad-attribute-count"));
  EXPECT_EQ(r->nodes[0].attrs.size(), 3u);
  EXPECT_EQ(r->nodes.size(), 6u);
}

TEST(AxmlTest, AttributeStartPastChunkDropsAttributes) {
  auto r = ParsePatchedManifest(
      [](std::string* d, const AxmlLayout& l) { PutU16(d, l.first_element + 16 + 8, 0xfff0); });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->nodes[0].attrs.empty());
  EXPECT_TRUE(HasAnomaly(*r, "axml-bad-attribute-count"));
  EXPECT_EQ(r->nodes[2].FindById(attr::kName)->string_value, "android.permission.CAMERA");
}

TEST(AxmlTest, ZeroSizedChunkStopsWithoutLooping) {
  auto r = ParsePatchedManifest([](std::string* d, const AxmlLayout& l) { PutU32(d, l.elements[2] + 4, 0); });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->truncated);
  EXPECT_TRUE(HasAnomaly(*r, "axml-bad-chunk"));
  EXPECT_EQ(r->nodes.size(), 2u);  // manifest + uses-sdk survived
}

TEST(AxmlTest, ChunkSizePastEndStops) {
  auto r = ParsePatchedManifest([](std::string* d, const AxmlLayout& l) { PutU32(d, l.elements[3] + 4, 0xfffffff0); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->nodes.size(), 3u);
  EXPECT_TRUE(HasAnomaly(*r, "axml-bad-chunk"));
}

TEST(AxmlTest, WrongMagicIsAnAnomalyNotAnError) {
  std::string d = BuildAxml(Manifest());
  PutU16(&d, 0, 0x0000);
  auto r = ParseAxml(d, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(HasAnomaly(*r, "axml-bad-magic"));
  ExpectManifest(*r);
}

TEST(AxmlTest, TrailingDataAfterDocumentIsNoted) {
  std::string d = BuildAxml(Manifest()) + std::string(100, '\xff');
  auto r = ParseAxml(d, nullptr);
  ASSERT_TRUE(r.ok());
  ExpectManifest(*r);
  EXPECT_TRUE(HasAnomaly(*r, "axml-trailing-data"));
}

TEST(AxmlTest, TextXmlIsMalformed) {
  auto r = ParseAxml("<?xml version=\"1.0\"?><manifest/>", nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "malformed");
  EXPECT_FALSE(ParseAxml("", nullptr).ok());
  EXPECT_FALSE(ParseAxml(std::string("\x03\x00\x08\x00", 4), nullptr).ok());
}

TEST(AxmlTest, NoStringPoolIsMalformed) {
  std::string d;
  testing::AppendU16(&d, 0x0003);
  testing::AppendU16(&d, 8);
  testing::AppendU32(&d, 8);
  auto r = ParseAxml(d, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no string pool"), std::string::npos);
}

// The parser contract: over max_table_items the string pool, the resource
// map and the elements are each cut at the limit, the cut recorded, and
// what was read before it kept.
TEST(AxmlTest, TablesOverMaxTableItemsAreCutAtTheLimit) {
  const std::string bytes = BuildAxml(Manifest());
  constexpr uint64_t kCap = 3;
  auto [whole, capped] =
      testing::ParseWholeAndCapped([&](Budget* b) { return ParseAxml(bytes, b); }, kCap);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  ASSERT_TRUE(capped.ok()) << capped.status().ToString();
  ASSERT_GT(whole->strings.size(), kCap);
  ASSERT_GT(whole->resource_ids.size(), kCap);
  ASSERT_GT(whole->nodes.size(), kCap);
  EXPECT_TRUE(testing::CutAtCap(whole->strings, capped->strings, kCap, capped->anomalies,
                                "string-pool-over-limit", "AndroidManifest.xml"));
  EXPECT_TRUE(testing::CutAtCap(whole->resource_ids, capped->resource_ids, kCap, capped->anomalies,
                                "axml-over-limit", "AndroidManifest.xml"));
  // The first kCap elements, in document order (their names point into the
  // cut pool, so they are compared by position in the file).
  ASSERT_EQ(capped->nodes.size(), kCap);
  for (size_t i = 0; i < kCap; ++i) EXPECT_EQ(capped->nodes[i].line, whole->nodes[i].line) << i;
  EXPECT_TRUE(capped->truncated);
  EXPECT_FALSE(whole->truncated);
  // Without a cut nothing is said.
  for (const Anomaly& a : whole->anomalies) EXPECT_EQ(a.code.find("over-limit"), std::string::npos);
}

TEST(AxmlTest, RandomByteFlipsNeverCrash) {
  std::string good = BuildAxml(Manifest());
  testing::ByteFlipper flipper(12345, 4);
  int parsed = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    auto r = ParseAxml(flipper.Next(good), nullptr);
    if (r.ok()) ++parsed;
  }
  EXPECT_GT(parsed, 0);
}

TEST(AxmlTest, FormatsTypedValuesLikeAapt) {
  EXPECT_EQ(FormatResValue(kTypeIntDec, static_cast<uint32_t>(-5)), "-5");
  EXPECT_EQ(FormatResValue(kTypeIntHex, 0x1f), "0x1f");
  EXPECT_EQ(FormatResValue(kTypeIntBoolean, 0), "false");
  EXPECT_EQ(FormatResValue(kTypeIntBoolean, 0xffffffff), "true");
  EXPECT_EQ(FormatResValue(kTypeReference, 0x7f040001), "@0x7f040001");
  EXPECT_EQ(FormatResValue(kTypeAttribute, 0x01010000), "?0x01010000");
  EXPECT_EQ(FormatResValue(kTypeFloat, 0x3fc00000), "1.5");
  // 16dip: mantissa 16 << 8, radix 0 (23p0), unit 1 (dip).
  EXPECT_EQ(FormatResValue(kTypeDimension, (16u << 8) | 0x01), "16.0dip");
  EXPECT_EQ(FormatResValue(kTypeIntColorArgb8, 0xff00ff00), "#ff00ff00");
  EXPECT_EQ(FormatResValue(kTypeString, 0, "abc"), "abc");
}

// The fuzz seeds in tests/fuzz_seeds/axml are written by this fixture
// writer; each must still parse.
TEST(AxmlTest, FuzzSeedsAreWriterOutputAndParse) {
  std::map<std::string, std::string> seeds = {
      {"manifest_utf16.axml", BuildAxml(Manifest(), false)},
      {"manifest_utf8.axml", BuildAxml(Manifest(), true)},
      {"obfuscated_names.axml",
       BuildAxml(XmlElem{"manifest", {XmlAttr::Int("", attr::kVersionCode, 7), XmlAttr::Plain("package", "p.q")}, {}, ""})},
  };
  testing::ExpectFuzzSeedsAreWriterOutput(
      "axml", seeds, [](std::string_view bytes) { return ParseAxml(bytes, nullptr).ok(); });
}

}  // namespace
}  // namespace shelfguard
