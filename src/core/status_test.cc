// Result<T>: value() on an error aborts with the status on stderr, in every
// build type, as its comment says (issue 12 item 15: it threw
// std::bad_variant_access).
#include "shelfguard/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace shelfguard {
namespace {

TEST(ResultDeathTest, ValueOfAnErrorAbortsNamingTheStatus) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Result<int> r = Status::NotFound("no such file: x.apk");
  EXPECT_DEATH((void)r.value(), "value\\(\\) on an error: not-found: no such file: x.apk");
  const Result<std::string> c = Status::Malformed("bad");
  EXPECT_DEATH((void)c.value(), "malformed: bad");
  EXPECT_DEATH((void)c->size(), "malformed: bad");
  Result<std::unique_ptr<int>> m = Status::IoError("gone");
  EXPECT_DEATH((void)std::move(m).value(), "io-error: gone");
}

TEST(ResultTest, ValueOfASuccess) {
  Result<std::string> r = std::string("ok");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), "ok");
  EXPECT_EQ(r->size(), 2u);
  EXPECT_TRUE(r.status().ok());
  Result<std::unique_ptr<int>> m = std::make_unique<int>(7);
  std::unique_ptr<int> p = std::move(m).value();
  EXPECT_EQ(*p, 7);
}

}  // namespace
}  // namespace shelfguard
