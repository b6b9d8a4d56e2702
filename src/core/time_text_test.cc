#include "core/time_text.h"

#include <gtest/gtest.h>

#include <regex>

namespace shelfguard {
namespace {

TEST(TimeText, UtcTimestampIsRfc3339InUtc) {
  EXPECT_EQ(UtcTimestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(UtcTimestamp(951782400), "2000-02-29T00:00:00Z");     // a leap day
  EXPECT_EQ(UtcTimestamp(1796083199), "2026-11-30T23:59:59Z");
}

TEST(TimeText, NowAndTodayHaveTheirShapes) {
  const std::regex timestamp(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)");
  const std::regex date(R"(\d{4}-\d{2}-\d{2})");
  const std::time_t before = std::time(nullptr);
  const std::string now = UtcNow();
  EXPECT_TRUE(std::regex_match(now, timestamp)) << now;
  // Within the second or two the call took.
  EXPECT_TRUE(now == UtcTimestamp(before) || now == UtcTimestamp(before + 1)) << now;
  EXPECT_TRUE(std::regex_match(LocalDate(), date)) << LocalDate();
}

}  // namespace
}  // namespace shelfguard
