// The README's main command, run exactly as the README does: every violation
// the --once sweep queues is received by the demo's consumer and
// acknowledged (issue 12 item 1: the daemon used to exit before the consumer
// connected).
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "daemon_harness.h"

namespace shelfguard::testing {
namespace {

TEST(DaemonDemo, EveryViolationIsReceivedAndAcknowledged) {
  std::string out;
  std::string script = std::string(SHELFGUARD_SOURCE_DIR) + "/scripts/demo.sh";
  std::string env = "SG_BUILD_DIR=" + BinaryDir();
  int rc = RunCommand({"/usr/bin/env", env, "bash", script}, &out, 120000);
  ASSERT_EQ(rc, 0) << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(outbox: (\d+) violation messages awaiting a consumer, (\d+) acknowledged)")))
      << out;
  EXPECT_EQ(m[1], "0") << out;
  int acked = std::stoi(m[2]);
  EXPECT_GT(acked, 0) << out;
  std::smatch r;
  ASSERT_TRUE(std::regex_search(out, r, std::regex(R"(shelfguard consume: (\d+) violation messages received)"))) << out;
  EXPECT_EQ(std::stoi(r[1]), acked) << out;
}

}  // namespace
}  // namespace shelfguard::testing
