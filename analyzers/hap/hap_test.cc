// Unit tests of the HarmonyOS pieces that need no archive: the Ark bytecode
// reader (built records, then corrupted), module-reference naming, API
// version decoding, resources.index strings and the permission table.
#include <gtest/gtest.h>

#include <string>

#include "hap/abc_reader.h"
#include "hap/hap_analyzer.h"
#include "hap/harmony_permissions.h"
#include "support/package_writers.h"
#include "support/parser_limits.h"

namespace shelfguard {
namespace {

using testing::AbcString;

std::string AbcFile(const std::vector<std::string>& records) { return testing::BuildAbc(records); }

TEST(AbcReader, ReadsVersionStringsAndModuleReferences) {
  std::string f = AbcFile({AbcString("@ohos:router"), std::string("\x01\x02", 2),
                           AbcString("@normalized:N&&&@ohos/axios/index&2.2.0"),
                           AbcString("@normalized:N&&&entry/src/main/ets/pages/Index&"),
                           AbcString("教APP备1100123号", false, 13), AbcString("L@ohos.app;"),
                           AbcString("@ohos:router")});
  Limits limits;
  Budget budget(limits);
  auto r = abc::ParseAbc(f, &budget);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->version, "13.0.1.0");
  EXPECT_FALSE(r->size_mismatch);
  std::vector<std::string> s(r->strings.begin(), r->strings.end());
  EXPECT_NE(std::find(s.begin(), s.end(), "教APP备1100123号"), s.end());
  std::vector<std::string> refs(r->module_references.begin(), r->module_references.end());
  // Deduplicated, in order of appearance.
  ASSERT_EQ(refs.size(), 4u);
  EXPECT_EQ(refs[0], "@ohos:router");
  EXPECT_EQ(refs[3], "L@ohos.app;");
}

// A string table over max_table_items is cut at the limit, not the parse
// failed.
TEST(AbcReader, StringsOverMaxTableItemsAreCutAtTheLimit) {
  std::string f = AbcFile({AbcString("@ohos:router"), AbcString("@hms:core.ads"),
                           AbcString("@kit.AdsKit")});
  Budget budget(testing::WithTableCap(2));
  auto r = abc::ParseAbc(f, &budget);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(std::vector<std::string_view>(r->strings.begin(), r->strings.end()),
            (std::vector<std::string_view>{"@ohos:router", "@hms:core.ads"}));
  EXPECT_TRUE(r->truncated);
  EXPECT_TRUE(testing::OnlyAnomaly(r->anomalies, "abc-over-limit",
                                   "abc strings count 3 over max_table_items 2; the first 2 kept"));
}

TEST(AbcReader, RejectsWhatIsNotAbcAndSurvivesCorruption) {
  Limits limits;
  Budget budget(limits);
  EXPECT_EQ(abc::ParseAbc("PANDX\0\0\0", &budget).status().code(), "malformed");
  EXPECT_EQ(abc::ParseAbc(std::string("PANDA\0\0\0\0", 9), &budget).status().code(), "malformed");
  std::string f = AbcFile({AbcString("@ohos:router"), AbcString("@hms:core.ads")});
  // A length that disagrees with the terminator is not a string record.
  std::string bad = f;
  bad[bad.find("@ohos:router") - 1] = static_cast<char>((5 << 1) | 1);
  auto r = abc::ParseAbc(bad, &budget);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->module_references.size(), 1u);
  EXPECT_EQ(r->module_references[0], "@hms:core.ads");
  // Truncated in the middle of the last record: the first still parses.
  auto t = abc::ParseAbc(f.substr(0, f.size() - 4), &budget);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->size_mismatch);
  EXPECT_EQ(t->module_references.size(), 1u);
}

TEST(AbcReader, ModulePackageNamesTheLibrary) {
  EXPECT_EQ(abc::ModulePackage("@normalized:N&&&@ohos/axios/index&2.2.0"), "@ohos/axios");
  EXPECT_EQ(abc::ModulePackage("@normalized:N&&&lottie/src/main/ets/x&1.0.0"), "lottie");
  EXPECT_EQ(abc::ModulePackage("@normalized:N&&&entry/src/main/ets/pages/Index&"), "");
  EXPECT_EQ(abc::ModulePackage("@normalized:Y&&&libentry.so&"), "");
  EXPECT_EQ(abc::ModulePackage(
                "@package:pkg_modules/.ohpm/@umeng+analytics@1.0.0/pkg_modules/@umeng/analytics/index"),
            "@umeng/analytics");
  EXPECT_EQ(abc::ModulePackage("@ohos:router"), "@ohos.router");
  EXPECT_EQ(abc::ModulePackage("@hms:core.ads"), "@hms.core.ads");
  EXPECT_EQ(abc::ModulePackage("L@ohos.app;"), "@ohos.app");
  EXPECT_EQ(abc::ModulePackage("@bundle:com.x/entry/ets/a"), "");
  EXPECT_EQ(abc::ModulePackage("@normalized:N&"), "");
  EXPECT_TRUE(abc::IsModuleReference("@kit.AdsKit"));
  EXPECT_FALSE(abc::IsModuleReference("@ohos:"));
  EXPECT_FALSE(abc::IsModuleReference("hello"));
}

TEST(HapHelpers, ApiVersionEncoding) {
  EXPECT_EQ(DecodeHarmonyApiVersion(50005017), "5.0.5(17)");
  EXPECT_EQ(HarmonyApiLevel(50005017), 17);
  EXPECT_EQ(DecodeHarmonyApiVersion(60100023), "6.1.0(23)");
  EXPECT_EQ(HarmonyApiLevel(60100023), 23);
  EXPECT_EQ(DecodeHarmonyApiVersion(12), "12");
  EXPECT_EQ(HarmonyApiLevel(9), 9);
  EXPECT_EQ(HarmonyApiLevel(-3), 0);
}

TEST(HapHelpers, ResourceIndexStrings) {
  std::string idx("RestoolV2 6.1.0.003", 19);
  idx += std::string(128 - idx.size(), '\0');
  auto put = [&](const std::string& s) {
    idx.push_back(static_cast<char>(s.size() & 0xff));
    idx.push_back(static_cast<char>(s.size() >> 8));
    idx += s;
  };
  idx += std::string("\x08\x00\x00\x00" "app_name", 12);  // a key: u32 length, not a value
  put("木鱼");
  put("京ICP备12345678号-1A");
  idx += std::string("\x01\x02\x03", 3);
  put("entry/resources/base/media/icon.png");
  auto v = ResourceIndexStrings(idx, 100);
  std::vector<std::string> s(v.begin(), v.end());
  EXPECT_NE(std::find(s.begin(), s.end(), "木鱼"), s.end());
  EXPECT_NE(std::find(s.begin(), s.end(), "京ICP备12345678号-1A"), s.end());
  EXPECT_NE(std::find(s.begin(), s.end(), "entry/resources/base/media/icon.png"), s.end());
  // A length running past the end is not read.
  std::string cut = idx.substr(0, idx.size() - 3);
  for (std::string_view x : ResourceIndexStrings(cut, 100)) EXPECT_NE(x, "entry/resources/base/media/icon.png");
  EXPECT_EQ(ResourceIndexStrings(idx, 1).size(), 1u);
}

TEST(HarmonyPermissions, SensitiveGroups) {
  EXPECT_EQ(HarmonySensitiveGroup("ohos.permission.CAMERA"), "camera");
  EXPECT_EQ(HarmonySensitiveGroup("ohos.permission.APPROXIMATELY_LOCATION"), "location");
  EXPECT_EQ(HarmonySensitiveGroup("ohos.permission.INTERNET"), "");
  EXPECT_EQ(HarmonySensitiveGroup("ohos.permission.CAMERA "), "");
  for (const auto& p : HarmonySensitivePermissions()) {
    EXPECT_EQ(p.name.rfind("ohos.permission.", 0), 0u) << p.name;
    EXPECT_FALSE(p.group.empty());
  }
}

}  // namespace
}  // namespace shelfguard
