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
  EXPECT_TRUE(ValidateMoeFiling("教APP备1100123号").ok);
  EXPECT_TRUE(ValidateMoeFiling("教APP备3100001号").ok);
  EXPECT_TRUE(ValidateMoeFiling("教APP备8200001号").ok);
  EXPECT_TRUE(ValidateMoeFiling("教ＡＰＰ备４４０００１２号").ok);  // full-width
  EXPECT_TRUE(ValidateMoeFiling(" 教APP备 1100123 号 ").ok);
}

TEST(MoeFilingTest, Invalid) {
  Check six = ValidateMoeFiling("教APP备110012号");
  EXPECT_FALSE(six.ok);
  EXPECT_NE(six.problem.find("six-digit legacy form"), std::string::npos) << six.problem;
  Check prov = ValidateMoeFiling("教APP备9900123号");
  EXPECT_FALSE(prov.ok);
  EXPECT_NE(prov.problem.find("province"), std::string::npos);
  EXPECT_FALSE(ValidateMoeFiling("教APP备11001234号").ok);   // 8 digits
  EXPECT_FALSE(ValidateMoeFiling("教APP备1100123").ok);      // no 号
  EXPECT_FALSE(ValidateMoeFiling("教APP备1100123号-1").ok);  // trailing text
  EXPECT_FALSE(ValidateMoeFiling("APP备1100123号").ok);
  EXPECT_FALSE(ValidateMoeFiling("教APP备号").ok);
  EXPECT_FALSE(ValidateMoeFiling("").ok);
  EXPECT_FALSE(ValidateMoeFiling("教APP备1100123号").problem.size() > 0);
}

TEST(IcpTest, Valid) {
  EXPECT_TRUE(ValidateIcp("京ICP备12345678号").ok);
  EXPECT_TRUE(ValidateIcp("京ICP备12345678号-1").ok);
  EXPECT_TRUE(ValidateIcp("粤ICP备2021012345号-12").ok);  // 10 digits
  EXPECT_TRUE(ValidateIcp("沪ICP备12345678号-3A").ok);
  EXPECT_TRUE(ValidateIcp("滇ICP备12345678号-2").ok);
  EXPECT_TRUE(ValidateIcp("京ICP证123456号").ok);
  EXPECT_TRUE(ValidateIcp("京ＩＣＰ备１２３４５６７８号－３Ａ").ok);
}

TEST(IcpTest, Invalid) {
  EXPECT_FALSE(ValidateIcp("中ICP备12345678号").ok);
  EXPECT_FALSE(ValidateIcp("京ICP备1234567号").ok);     // 7 digits
  EXPECT_FALSE(ValidateIcp("京ICP备123456789号").ok);   // 9 digits
  EXPECT_FALSE(ValidateIcp("京ICP备12345678").ok);
  EXPECT_FALSE(ValidateIcp("京ICP备12345678号-").ok);
  EXPECT_FALSE(ValidateIcp("京ICP备12345678号-1B").ok);
  EXPECT_FALSE(ValidateIcp("京ICP备12345678号1").ok);
  EXPECT_FALSE(ValidateIcp("京ICP证12345678号").ok);
  EXPECT_FALSE(ValidateIcp("京公网安备11010502030143号").ok);
  EXPECT_FALSE(ValidateIcp("").ok);
  EXPECT_FALSE(ValidateIcp("京").ok);
}

TEST(IcpTest, AppIcp) {
  EXPECT_TRUE(IsAppIcp("京ICP备12345678号-3A"));
  EXPECT_TRUE(IsAppIcp("粤ICP备2021012345号-12A"));
  EXPECT_TRUE(IsAppIcp("京ICP备12345678号－３Ａ"));
  EXPECT_FALSE(IsAppIcp("京ICP备12345678号-3"));
  EXPECT_FALSE(IsAppIcp("京ICP备12345678号"));
  EXPECT_FALSE(IsAppIcp("京ICP备1234567号-3A"));
  EXPECT_FALSE(IsAppIcp("京ICP证123456号"));
}

TEST(PsbTest, ValidAndInvalid) {
  EXPECT_TRUE(ValidatePsb("京公网安备 11010502030143号").ok);
  EXPECT_TRUE(ValidatePsb("京公网安备11010502030143号").ok);
  EXPECT_TRUE(ValidatePsb("沪公网安备 31011502000001号").ok);
  EXPECT_TRUE(ValidatePsb("京公网安备 １１０１０５０２０３０１４３号").ok);
  Check wrong_prov = ValidatePsb("沪公网安备 11010502030143号");
  EXPECT_FALSE(wrong_prov.ok);
  EXPECT_NE(wrong_prov.problem.find("province"), std::string::npos);
  EXPECT_FALSE(ValidatePsb("京公网安备 1101050203014号").ok);    // 13 digits
  EXPECT_FALSE(ValidatePsb("京公网安备 110105020301431号").ok);  // 15 digits
  EXPECT_FALSE(ValidatePsb("京公网安备 11010502030143").ok);
  EXPECT_FALSE(ValidatePsb("京网安备 11010502030143号").ok);
  EXPECT_FALSE(ValidatePsb("中公网安备 11010502030143号").ok);
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
  EXPECT_FALSE(ValidateCreditCode("91110000802100433").ok);    // 17
  EXPECT_FALSE(ValidateCreditCode("91110000802100433BB").ok);  // 19
  EXPECT_FALSE(ValidateCreditCode("91110000802100433b").ok);   // lower case
  EXPECT_FALSE(ValidateCreditCode("9111000080210043IB").ok);   // I not in alphabet
  EXPECT_FALSE(ValidateCreditCode("9111000080210043OB").ok);   // O
  EXPECT_FALSE(ValidateCreditCode("91990000802100433B").ok);   // bad province
  EXPECT_FALSE(ValidateCreditCode("91A10000802100433B").ok);   // region not digits
  EXPECT_FALSE(ValidateCreditCode("").ok);
  // Full-width input is normalised first.
  EXPECT_TRUE(ValidateCreditCode("９１１１００００８０２１００４３３Ｂ").ok);
}

TEST(IdentifierHelpersTest, PackagesBundlesDates) {
  EXPECT_TRUE(IsValidAndroidPackage("cn.shelfguard.sample.full"));
  EXPECT_TRUE(IsValidAndroidPackage("com.a_b.C1"));
  EXPECT_FALSE(IsValidAndroidPackage("single"));
  EXPECT_FALSE(IsValidAndroidPackage("com..x"));
  EXPECT_FALSE(IsValidAndroidPackage("com.1x"));
  EXPECT_FALSE(IsValidAndroidPackage("com.x-y"));
  EXPECT_TRUE(IsValidBundleId("com.example.App-1"));
  EXPECT_FALSE(IsValidBundleId("com.example app"));
  EXPECT_FALSE(IsValidBundleId(".com"));
  EXPECT_TRUE(IsValidDate("2024-02-29"));
  EXPECT_FALSE(IsValidDate("2023-02-29"));
  EXPECT_FALSE(IsValidDate("2023-13-01"));
  EXPECT_FALSE(IsValidDate("2023-1-01"));
}

}  // namespace
}  // namespace shelfguard::ids
