#include "ids/identifiers.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace shelfguard::ids {
namespace {

TEST(ProvinceTest, Codes) {
  for (const char* c : {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34",
                        "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52",
                        "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"}) {
    EXPECT_TRUE(IsProvinceCode(c)) << c;
  }
  for (const char* c : {"00", "10", "16", "20", "24", "30", "38", "47", "49", "55", "60", "66",
                        "70", "72", "80", "83", "99", "1", "111", "1a", ""}) {
    EXPECT_FALSE(IsProvinceCode(c)) << c;
  }
}

TEST(ProvinceTest, Abbreviations) {
  EXPECT_EQ(ProvinceCodeForAbbrev("京"), "11");
  EXPECT_EQ(ProvinceCodeForAbbrev("沪"), "31");
  EXPECT_EQ(ProvinceCodeForAbbrev("粤"), "44");
  EXPECT_EQ(ProvinceCodeForAbbrev("新"), "65");
  EXPECT_EQ(ProvinceCodeForAbbrev("港"), "81");
  EXPECT_EQ(ProvinceCodeForAbbrev("澳"), "82");
  EXPECT_EQ(ProvinceCodeForAbbrev("台"), "71");
  EXPECT_EQ(ProvinceCodeForAbbrev("滇"), "53");
  EXPECT_EQ(ProvinceCodeForAbbrev("陇"), "62");
  EXPECT_FALSE(ProvinceCodeForAbbrev("中").has_value());
  EXPECT_FALSE(ProvinceCodeForAbbrev("").has_value());
  EXPECT_FALSE(ProvinceCodeForAbbrev("京京").has_value());
  // All 34 primary abbreviations map to distinct valid codes.
  const char* all[] = {"京", "津", "冀", "晋", "蒙", "辽", "吉", "黑", "沪", "苏", "浙", "皖",
                       "闽", "赣", "鲁", "豫", "鄂", "湘", "粤", "桂", "琼", "渝", "川", "贵",
                       "云", "藏", "陕", "甘", "青", "宁", "新", "台", "港", "澳"};
  std::set<std::string> seen;
  for (const char* a : all) {
    auto code = ProvinceCodeForAbbrev(a);
    ASSERT_TRUE(code.has_value()) << a;
    EXPECT_TRUE(IsProvinceCode(*code)) << a;
    seen.insert(*code);
  }
  EXPECT_EQ(seen.size(), 34u);
}

TEST(NormalizeTest, FullWidthAndSpaces) {
  EXPECT_EQ(NormalizeNumber("教ＡＰＰ备１１００１２３号"), "教APP备1100123号");
  EXPECT_EQ(NormalizeNumber("教APP备 110 0123\n号"), "教APP备1100123号");
  EXPECT_EQ(NormalizeNumber("京ICP备\u200b12345678号\u3000－1"), "京ICP备12345678号-1");
  EXPECT_EQ(NormalizeNumber("\xef\xbb\xbf" "abc\r\n\t"), "abc");
  EXPECT_EQ(NormalizeNumber("ｉｃｐ"), "icp");
  // Invalid UTF-8 is kept byte for byte, and never crashes.
  EXPECT_EQ(NormalizeNumber(std::string("a\xff\xe6") + "b"), std::string("a\xff\xe6") + "b");
  EXPECT_EQ(NormalizeNumber(""), "");
}

TEST(MoeFilingTest, Valid) {
  for (const char* s : {"教APP备1100123号", "教APP备3100001号", "教APP备8200001号",
                        "教ＡＰＰ备４４０００１２号" /* full-width */, " 教APP备 1100123 号 "}) {
    EXPECT_TRUE(ValidateMoeFiling(s).ok) << s;
  }
}

TEST(MoeFilingTest, Invalid) {
  Check six = ValidateMoeFiling("教APP备110012号");
  EXPECT_FALSE(six.ok);
  EXPECT_NE(six.problem.find("six-digit legacy form"), std::string::npos) << six.problem;
  Check prov = ValidateMoeFiling("教APP备9900123号");
  EXPECT_FALSE(prov.ok);
  EXPECT_NE(prov.problem.find("province"), std::string::npos);
  for (const char* s : {"教APP备11001234号" /* 8 digits */, "教APP备1100123" /* no 号 */,
                        "教APP备1100123号-1" /* trailing text */, "APP备1100123号", "教APP备号", ""}) {
    EXPECT_FALSE(ValidateMoeFiling(s).ok) << s;
  }
  EXPECT_FALSE(ValidateMoeFiling("教APP备1100123号").problem.size() > 0);
}

TEST(IcpTest, Valid) {
  for (const char* s : {"京ICP备12345678号", "京ICP备12345678号-1", "粤ICP备2021012345号-12" /* 10 digits */,
                        "沪ICP备12345678号-3A", "滇ICP备12345678号-2", "京ICP证123456号",
                        "京ＩＣＰ备１２３４５６７８号－３Ａ"}) {
    EXPECT_TRUE(ValidateIcp(s).ok) << s;
  }
}

TEST(IcpTest, Invalid) {
  for (const char* s : {"中ICP备12345678号", "京ICP备1234567号" /* 7 digits */,
                        "京ICP备123456789号" /* 9 digits */, "京ICP备12345678", "京ICP备12345678号-",
                        "京ICP备12345678号-1B", "京ICP备12345678号1", "京ICP证12345678号",
                        "京公网安备11010502030143号", "", "京"}) {
    EXPECT_FALSE(ValidateIcp(s).ok) << s;
  }
}

TEST(IcpTest, AppIcp) {
  for (const char* s : {"京ICP备12345678号-3A", "粤ICP备2021012345号-12A", "京ICP备12345678号－３Ａ"}) {
    EXPECT_TRUE(IsAppIcp(s)) << s;
  }
  for (const char* s : {"京ICP备12345678号-3", "京ICP备12345678号", "京ICP备1234567号-3A", "京ICP证123456号"}) {
    EXPECT_FALSE(IsAppIcp(s)) << s;
  }
}

TEST(PsbTest, ValidAndInvalid) {
  for (const char* s : {"京公网安备 11010502030143号", "京公网安备11010502030143号", "沪公网安备 31011502000001号",
                        "京公网安备 １１０１０５０２０３０１４３号"}) {
    EXPECT_TRUE(ValidatePsb(s).ok) << s;
  }
  Check wrong_prov = ValidatePsb("沪公网安备 11010502030143号");
  EXPECT_FALSE(wrong_prov.ok);
  EXPECT_NE(wrong_prov.problem.find("province"), std::string::npos);
  for (const char* s : {"京公网安备 1101050203014号" /* 13 digits */, "京公网安备 110105020301431号" /* 15 */,
                        "京公网安备 11010502030143", "京网安备 11010502030143号", "中公网安备 11010502030143号"}) {
    EXPECT_FALSE(ValidatePsb(s).ok) << s;
  }
}

TEST(CreditCodeTest, CheckCharacterKnownGood) {
  // Published codes of real organisations, and the standard's own example.
  for (const char* c : {"91350100M000100Y43", "91110000802100433B", "91440300708461136T",
                        "91110108551385082Q", "91330100716105852F", "12100000400000624D"}) {
    EXPECT_TRUE(ValidateCreditCode(c).ok) << c << ": " << ValidateCreditCode(c).problem;
    EXPECT_EQ(CreditCodeCheckChar(c), c[17]) << c;
  }
}

TEST(CreditCodeTest, CheckCharacterByAlgorithm) {
  // sum(value * weight) over the first 17, check = 31 - sum % 31 (31 -> 0).
  // 9111010800000000?: 9*1 + 1*3 + 1*9 + 1*27 + 0 + 1*26 + 0 + 8*17 = 210;
  // 210 % 31 = 24; 31 - 24 = 7 -> '7'.
  EXPECT_EQ(CreditCodeCheckChar("91110108000000000"), '7');
  EXPECT_TRUE(ValidateCreditCode("911101080000000007").ok);
  // Every single-character change of a valid code is caught.
  std::string good = "91110000802100433B";
  const std::string alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  for (size_t pos = 8; pos < 17; ++pos) {
    for (char c : alphabet) {
      if (c == good[pos]) continue;
      std::string bad = good;
      bad[pos] = c;
      EXPECT_FALSE(ValidateCreditCode(bad).ok) << bad;
    }
  }
}

TEST(CreditCodeTest, Invalid) {
  Check wrong = ValidateCreditCode("91110000802100433C");
  EXPECT_FALSE(wrong.ok);
  EXPECT_NE(wrong.problem.find("check character"), std::string::npos) << wrong.problem;
  for (const char* s : {"91110000802100433" /* 17 */, "91110000802100433BB" /* 19 */,
                        "91110000802100433b" /* lower case */, "9111000080210043IB" /* I not in alphabet */,
                        "9111000080210043OB" /* O */, "91990000802100433B" /* bad province */,
                        "91A10000802100433B" /* region not digits */, ""}) {
    EXPECT_FALSE(ValidateCreditCode(s).ok) << s;
  }
  // Full-width input is normalised first.
  EXPECT_TRUE(ValidateCreditCode("９１１１００００８０２１００４３３Ｂ").ok);
}

TEST(IdentifierHelpersTest, PackagesBundlesDates) {
  for (const char* s : {"cn.shelfguard.sample.full", "com.a_b.C1"}) EXPECT_TRUE(IsValidAndroidPackage(s)) << s;
  for (const char* s : {"single", "com..x", "com.1x", "com.x-y"}) EXPECT_FALSE(IsValidAndroidPackage(s)) << s;
  EXPECT_TRUE(IsValidBundleId("com.example.App-1"));
  for (const char* s : {"com.example app", ".com"}) EXPECT_FALSE(IsValidBundleId(s)) << s;
  EXPECT_TRUE(IsValidDate("2024-02-29"));
  for (const char* s : {"2023-02-29", "2023-13-01", "2023-1-01"}) EXPECT_FALSE(IsValidDate(s)) << s;
}

}  // namespace
}  // namespace shelfguard::ids
