#include "json_text.h"

#include <cstdint>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace shelfguard::daemon {
namespace {

TEST(JsonText, AcceptsJsonTexts) {
  for (const char* t :
       {"{}", "[]", "0", "-0", "1.5e-3", "-12.0E+7", "1e-400", "123456789012345678901234567890", "true", "false",
        "null", "\"\"", " \t\r\n[ 1 , 2 ]\n", R"({"a":{"b":[[],{},[{"c":null}]]},"d":"x"})",
        R"("\" \\ \/ \b \f \n \r \t \u0000 \u00e9 \uD83D\uDE00")", "\"\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBF\"",
        "\"\xF4\x8F\xBF\xBF\"", R"({"a":1,"a":2})", "\"\x7F\""}) {
    EXPECT_TRUE(IsJsonText(t)) << t;
    EXPECT_TRUE(nlohmann::json::accept(t)) << "the reference disagrees: " << t;
  }
}

TEST(JsonText, RefusesWhatIsNotOneJsonText) {
  for (const char* t : {"", " ", "{", "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{1:2}", "01", "-", "1.", ".5",
                        "1e", "1e+", "+1", "0x10", "NaN", "Infinity", "1e999", "-1e400", "tru", "nul", "True",
                        "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\uDE00\"", "\"\\uD83D\"", "\"\\uD83Dx\"",
                        "\"\\uD83D\\u0041\"", "\"a\tb\"", "\"\xC0\x80\"", "\"\xC1\xBF\"", "\"\xE0\x9F\xBF\"",
                        "\"\xED\xA0\x80\"", "\"\xF0\x8F\xBF\xBF\"", "\"\xF4\x90\x80\x80\"", "\"\xF5\x80\x80\x80\"",
                        "\"\x80\"", "\"\xC3\"", "{} {}", "[] x", "// c\n{}", "[1]]", "{\"a\":1}}", "\"a\"\"b\""}) {
    EXPECT_FALSE(IsJsonText(t)) << t;
    EXPECT_FALSE(nlohmann::json::accept(t)) << "the reference disagrees: " << t;
  }
  // Where the reference reads less than it is given (it stops at a NUL
  // byte, and skips a byte order mark): spliced into a reply, neither would
  // be JSON.
  EXPECT_TRUE(nlohmann::json::accept(std::string("{}\0junk", 7)));
  EXPECT_FALSE(IsJsonText(std::string("{}\0junk", 7)));
  EXPECT_FALSE(IsJsonText("\xEF\xBB\xBF{}"));
}

TEST(JsonText, DeepNestingNeedsNoStack) {
  std::string deep(200000, '[');
  deep += std::string(200000, ']');
  EXPECT_TRUE(IsJsonText(deep));
  deep.pop_back();
  EXPECT_FALSE(IsJsonText(deep));
}

// The agreement json_text_fuzz.cc checks, on a fixed sample of mutations of
// a report-like text (so a plain test run catches a disagreement too).
TEST(JsonText, AgreesWithTheReferenceOnMutatedReports) {
  const std::string base =
      R"({"file":"a.apk","size":6419064,"package":{"id":"io.example","label":"例子 \u00e9"},)"
      R"("findings":[{"rule":"SEC-DEBUGGABLE","severity":"violation","evidence":[{"kind":"manifest",)"
      R"("value":"application@android:debuggable=true","referenced":false}],"score":-1.25e+2}],)"
      R"("numbers":[0,-0,12,3.5,1E9,123456789012345678901],"ok":true,"none":null,"empty":{},"list":[]})";
  ASSERT_TRUE(IsJsonText(base));
  const std::string alphabet = "{}[]\":,.-+eE0123456789 \\utfnal\x80\xBF\xC3\xED\xF0\x01";
  std::mt19937 rng(18);
  int agreed = 0, accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string t = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !t.empty(); ++e) {
      const size_t at = rng() % t.size();
      switch (rng() % 3) {
        case 0:
          t[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          t.erase(at, 1 + rng() % 3);
          break;
        default:
          t.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    const bool mine = IsJsonText(t);
    ASSERT_EQ(mine, nlohmann::json::accept(t)) << t;
    ++agreed;
    accepted += mine ? 1 : 0;
  }
  EXPECT_EQ(agreed, 20000);
  EXPECT_GT(accepted, 100);  // both sides of the answer were exercised
}

}  // namespace
}  // namespace shelfguard::daemon
