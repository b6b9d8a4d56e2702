#include "filing/number_finder.h"

#include <gtest/gtest.h>

#include <string>
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

TEST(NumberFinder, FindsWellFormedMoeNumberWithLocation) {
  auto v = Find({{"res/layout/about.xml", "备案号：教APP备1100123号"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, "moe-filing");
  EXPECT_EQ(v[0].text, "教APP备1100123号");
  EXPECT_EQ(v[0].raw, "教APP备1100123号");
  EXPECT_EQ(v[0].location, "res/layout/about.xml");
  EXPECT_TRUE(v[0].well_formed) << v[0].problem;
}

TEST(NumberFinder, IgnoresTextsWithoutNumbers) {
  auto v = Find({{"a", "请准备好您的设备"}, {"a", "ICP"}, {"b", "教育APP备案说明"},
                 {"c", "京ICP备案查询"}, {"d", ""}});
  EXPECT_TRUE(v.empty());
}

TEST(NumberFinder, NormalisesFullWidthAndSpaces) {
  auto v = Find({{"assets/about.html", "教ＡＰＰ备 １１００ １２３\n号"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].text, "教APP备1100123号");
  EXPECT_EQ(v[0].raw, "教ＡＰＰ备 １１００ １２３\n号");
  EXPECT_TRUE(v[0].well_formed);
}

TEST(NumberFinder, LowercaseAppIsNormalised) {
  auto v = Find({{"x", "教app备3100456号"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].text, "教APP备3100456号");
}

TEST(NumberFinder, SixDigitFormIsFlaggedNotDropped) {
  auto v = Find({{"x", "教APP备110012号"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, "moe-filing");
  EXPECT_FALSE(v[0].well_formed);
  EXPECT_FALSE(v[0].problem.empty());
}

TEST(NumberFinder, BadProvincePrefixIsMalformed) {
  auto v = Find({{"x", "教APP备9900123号"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].well_formed);
}

TEST(NumberFinder, JoinsNumberSplitAcrossAdjacentStrings) {
  auto v = Find({{"res/layout/about.xml", "教APP备"}, {"res/layout/about.xml", "1100123号"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].text, "教APP备1100123号");
  EXPECT_TRUE(v[0].well_formed);
}

TEST(NumberFinder, SplitInsideDigitsDoesNotLeaveAPartialHit) {
  auto v = Find({{"L", "教APP备1100"}, {"L", "123号"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].text, "教APP备1100123号");
}

TEST(NumberFinder, DoesNotJoinAcrossDifferentLocations) {
  auto v = Find({{"a.xml", "教APP备"}, {"b.xml", "1100123号"}});
  EXPECT_TRUE(v.empty());
}

TEST(NumberFinder, LabelAndNumberInSeparateStrings) {
  auto v = Find({{"L", "备案号："}, {"L", "教APP备1100123号"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(v[0].well_formed);
}

TEST(NumberFinder, IncompleteNumberAtEndStillRecordedWhenNotContinued) {
  auto v = Find({{"L", "教APP备1100123"}, {"L", "关于我们"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].text, "教APP备1100123");
  EXPECT_FALSE(v[0].well_formed);  // no 号
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

TEST(NumberFinder, AppIcpSuffixInNextString) {
  auto v = Find({{"L", "沪ICP备12345678号"}, {"L", "-2A"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, "app-icp");
  EXPECT_EQ(v[0].text, "沪ICP备12345678号-2A");
}

TEST(NumberFinder, FullWidthIcpLettersAndHyphen) {
  auto v = Find({{"x", "粤ＩＣＰ备１２３４５６７８号－５Ａ"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, "app-icp");
  EXPECT_EQ(v[0].text, "粤ICP备12345678号-5A");
}

TEST(NumberFinder, TrailingWordAfterSuffixIsNotAppMarker) {
  auto v = Find({{"x", "京ICP备12345678号-1Android版"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, "icp");
  EXPECT_EQ(v[0].text, "京ICP备12345678号-1");
}

TEST(NumberFinder, WrongIcpDigitCountIsMalformed) {
  auto v = Find({{"x", "京ICP备1234567号"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, "icp");
  EXPECT_FALSE(v[0].well_formed);
}

TEST(NumberFinder, PublicSecurityFiling) {
  auto v = Find({{"Info.plist", "京公网安备 11010802012345号"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, "psb");
  EXPECT_EQ(v[0].text, "京公网安备11010802012345号");
  EXPECT_EQ(v[0].raw, "京公网安备 11010802012345号");
  EXPECT_TRUE(v[0].well_formed) << v[0].problem;
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

TEST(NumberFinder, InvalidUtf8DoesNotBreakTheSearch) {
  std::string s = "\xff\xfe\xE5\xA4";
  s += "教APP备1100123号\xC3";
  auto v = Find({{"x", s}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(v[0].well_formed);
}

}  // namespace
}  // namespace shelfguard
