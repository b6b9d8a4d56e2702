#include "filing/number_finder.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace shelfguard {
namespace {

std::vector<DisplayedNumber> Find(const std::vector<std::pair<std::string, std::string>>& texts) {
  auto sink = NewNumberFinder();
  for (const auto& [loc, text] : texts) sink->OnText(loc, text);
  Facts f;
  sink->Finish(&f);
  return f.displayed_numbers;
}

const DisplayedNumber* FindKind(const std::vector<DisplayedNumber>& v, const std::string& kind) {
  for (const auto& n : v)
    if (n.kind == kind) return &n;
  return nullptr;
}

// Texts in which exactly one number is found, and what is known of it
// (fields left unset are not checked).
struct OneNumber {
  const char* name;
  std::vector<std::pair<std::string, std::string>> texts;
  std::optional<std::string> kind, text, raw, location;
  std::optional<bool> well_formed;
  bool names_a_problem = false;  // problem is non-empty
};

void PrintTo(const OneNumber& c, std::ostream* os) { *os << c.name; }

class NumberFinderOne : public ::testing::TestWithParam<OneNumber> {};

TEST_P(NumberFinderOne, FindsExactlyThatNumber) {
  const OneNumber& c = GetParam();
  auto v = Find(c.texts);
  ASSERT_EQ(v.size(), 1u);
  if (c.kind) EXPECT_EQ(v[0].kind, *c.kind);
  if (c.text) EXPECT_EQ(v[0].text, *c.text);
  if (c.raw) EXPECT_EQ(v[0].raw, *c.raw);
  if (c.location) EXPECT_EQ(v[0].location, *c.location);
  if (c.well_formed) EXPECT_EQ(v[0].well_formed, *c.well_formed) << v[0].problem;
  if (c.names_a_problem) EXPECT_FALSE(v[0].problem.empty());
}

const std::string kInvalidUtf8AroundANumber = std::string("\xff\xfe\xE5\xA4") + "教APP备1100123号\xC3";

INSTANTIATE_TEST_SUITE_P(
    NumberFinder, NumberFinderOne,
    ::testing::Values(
        OneNumber{"FindsWellFormedMoeNumberWithLocation", {{"res/layout/about.xml", "备案号：教APP备1100123号"}},
                  "moe-filing", "教APP备1100123号", "教APP备1100123号", "res/layout/about.xml", true},
        OneNumber{"NormalisesFullWidthAndSpaces", {{"assets/about.html", "教ＡＰＰ备 １１００ １２３\n号"}},
                  {}, "教APP备1100123号", "教ＡＰＰ备 １１００ １２３\n号", {}, true},
        OneNumber{"LowercaseAppIsNormalised", {{"x", "教app备3100456号"}}, {}, "教APP备3100456号"},
        OneNumber{"SixDigitFormIsFlaggedNotDropped", {{"x", "教APP备110012号"}}, "moe-filing", {}, {}, {}, false,
                  true},
        OneNumber{"BadProvincePrefixIsMalformed", {{"x", "教APP备9900123号"}}, {}, {}, {}, {}, false},
        OneNumber{"JoinsNumberSplitAcrossAdjacentStrings",
                  {{"res/layout/about.xml", "教APP备"}, {"res/layout/about.xml", "1100123号"}}, {},
                  "教APP备1100123号", {}, {}, true},
        OneNumber{"SplitInsideDigitsDoesNotLeaveAPartialHit", {{"L", "教APP备1100"}, {"L", "123号"}}, {},
                  "教APP备1100123号"},
        OneNumber{"LabelAndNumberInSeparateStrings", {{"L", "备案号："}, {"L", "教APP备1100123号"}}, {}, {}, {}, {},
                  true},
        // No 号: not well formed, but recorded when no string continues it.
        OneNumber{"IncompleteNumberAtEndStillRecordedWhenNotContinued",
                  {{"L", "教APP备1100123"}, {"L", "关于我们"}}, {}, "教APP备1100123", {}, {}, false},
        OneNumber{"AppIcpSuffixInNextString", {{"L", "沪ICP备12345678号"}, {"L", "-2A"}}, "app-icp",
                  "沪ICP备12345678号-2A"},
        OneNumber{"FullWidthIcpLettersAndHyphen", {{"x", "粤ＩＣＰ备１２３４５６７８号－５Ａ"}}, "app-icp",
                  "粤ICP备12345678号-5A"},
        OneNumber{"TrailingWordAfterSuffixIsNotAppMarker", {{"x", "京ICP备12345678号-1Android版"}}, "icp",
                  "京ICP备12345678号-1"},
        OneNumber{"WrongIcpDigitCountIsMalformed", {{"x", "京ICP备1234567号"}}, "icp", {}, {}, {}, false},
        OneNumber{"PublicSecurityFiling", {{"Info.plist", "京公网安备 11010802012345号"}}, "psb",
                  "京公网安备11010802012345号", "京公网安备 11010802012345号", {}, true},
        OneNumber{"InvalidUtf8DoesNotBreakTheSearch", {{"x", kInvalidUtf8AroundANumber}}, {}, {}, {}, {}, true}),
    [](const ::testing::TestParamInfo<OneNumber>& info) { return std::string(info.param.name); });

TEST(NumberFinder, IgnoresTextsWithoutNumbers) {
  auto v = Find({{"a", "请准备好您的设备"}, {"a", "ICP"}, {"b", "教育APP备案说明"},
                 {"c", "京ICP备案查询"}, {"d", ""}});
  EXPECT_TRUE(v.empty());
}

TEST(NumberFinder, DoesNotJoinAcrossDifferentLocations) {
  auto v = Find({{"a.xml", "教APP备"}, {"b.xml", "1100123号"}});
  EXPECT_TRUE(v.empty());
}

TEST(NumberFinder, IcpAndAppIcp) {
  auto v = Find({{"assets/about.html",
                  "<p>京ICP备12345678号-1</p><p>京ICP备12345678号-3A</p>"}});
  ASSERT_EQ(v.size(), 2u);
  const DisplayedNumber* icp = FindKind(v, "icp");
  const DisplayedNumber* app = FindKind(v, "app-icp");
  ASSERT_NE(icp, nullptr);
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(icp->text, "京ICP备12345678号-1");
  EXPECT_EQ(app->text, "京ICP备12345678号-3A");
  EXPECT_TRUE(icp->well_formed) << icp->problem;
  EXPECT_TRUE(app->well_formed) << app->problem;
}

TEST(NumberFinder, DeduplicatesAndKeepsAFewLocations) {
  std::vector<std::pair<std::string, std::string>> texts;
  for (int i = 0; i < 10; ++i) texts.push_back({"loc" + std::to_string(i), "教APP备1100123号"});
  auto v = Find(texts);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].location.find("loc0"), std::string::npos);
  EXPECT_NE(v[0].location.find("loc2"), std::string::npos);
  EXPECT_EQ(v[0].location.find("loc5"), std::string::npos);
  EXPECT_NE(v[0].location.find("+7 more"), std::string::npos);
}

TEST(NumberFinder, SeveralDifferentNumbersAreAllKept) {
  auto v = Find({{"a", "教APP备1100123号 and 教APP备3100456号"}});
  EXPECT_EQ(v.size(), 2u);
}

TEST(NumberFinder, LargeTextNumberNearChunkBoundary) {
  std::string big(1u << 20, 'x');
  big.resize(big.size() - 10);
  big += "教APP备1100123号";
  big += std::string(5000, 'y');
  auto v = Find({{"assets/big.txt", big}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].text, "教APP备1100123号");
}

TEST(NumberFinder, ManyStringsWithoutNumbersAreCheap) {
  auto sink = NewNumberFinder();
  for (int i = 0; i < 200000; ++i) sink->OnText("resources.arsc", "设备准备 string " + std::to_string(i));
  Facts f;
  sink->Finish(&f);
  EXPECT_TRUE(f.displayed_numbers.empty());
}

}  // namespace
}  // namespace shelfguard
