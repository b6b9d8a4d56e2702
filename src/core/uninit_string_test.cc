#include "core/uninit_string.h"

#include <gtest/gtest.h>

#include <string>

namespace shelfguard {
namespace {

TEST(UninitStringTest, GrowsKeepingWhatWasThereAndShrinks) {
  std::string s = "prefix";
  ResizeUninitialized(&s, 1u << 20);
  ASSERT_EQ(s.size(), 1u << 20);
  EXPECT_EQ(s.substr(0, 6), "prefix");
  EXPECT_EQ(s.data()[s.size()], '\0');  // still a C string for whoever needs one
  s.replace(6, s.size() - 6, s.size() - 6, 'x');
  EXPECT_EQ(s.find_first_not_of('x', 6), std::string::npos);
  ResizeUninitialized(&s, 3);
  EXPECT_EQ(s, "pre");
  ResizeUninitialized(&s, 0);
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace shelfguard
