// Crash test: kill -9 the daemon in the middle of a sweep and the consumer in
// the middle of receiving; after both restart every job is finished exactly
// once in effect and every violation is delivered, acknowledged and written
// exactly once.
#include <signal.h>

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "daemon_harness.h"
#include "support/fixtures.h"

namespace shelfguard::testing {
namespace {

TEST(DaemonCrash, KillNineDaemonAndConsumerMidSweepLosesNothing) {
  // Six distinct packages (distinct sha256, so distinct message ids), each
  // dropped under five names: 30 jobs.
  std::vector<std::string> apks;
  std::set<std::string> expected;
  for (int i = 0; i < 6; ++i) {
    std::string apk = BuildApk(R"({"package": "com.example.crash.p)" + std::to_string(i) +
                               R"(", "version_code": )" + std::to_string(i + 1) +
                               R"(, "application": {"debuggable": true}})");
    ASSERT_FALSE(apk.empty());
    apks.push_back(apk);
    auto ids = ExpectedIds(apk);
    expected.insert(ids.begin(), ids.end());
  }
  ASSERT_GE(expected.size(), 6u);

  DaemonFixture d;
  d.delivery_extra = "ack_timeout_ms = 60000\n";  // redelivery must come from the reconnect
  d.WriteConfig("workers = 1", "[spool]\npoll_ms = 50\n");
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  std::string out = d.dir + "/violations.jsonl";
  std::vector<std::string> consume = {d.Cli(), "consume", "--endpoint", d.Ep("delivery"), "--out", out,
                                      "--consumer", "crash", "--batch", "1"};
  Process consumer;
  ASSERT_TRUE(consumer.Start(consume, d.dir + "/c1.out", d.dir + "/c1.err"));
  for (int copy = 0; copy < 5; ++copy) {
    for (size_t i = 0; i < apks.size(); ++i) {
      d.Drop(apks[i], "p" + std::to_string(i) + "-copy" + std::to_string(copy) + ".apk");
    }
  }
  // Mid-sweep: some results and some delivered lines, not all.
  ASSERT_TRUE(WaitFor(
      [&] {
        return d.Num(d.Status(200), "queue", "results") >= 4 && DaemonFixture::ReadJsonl(out).size() >= 1;
      },
      30000))
      << ReadAll(d.log());
  d.daemon.Kill(SIGKILL);
  consumer.Kill(SIGKILL);
  Json none = d.Status(200);
  EXPECT_TRUE(none.is_null());

  // Restart both.
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  Process consumer2;
  consume.push_back("--idle-exit");
  consume.push_back("3000");
  ASSERT_TRUE(consumer2.Start(consume, d.dir + "/c2.out", d.dir + "/c2.err"));
  ASSERT_TRUE(WaitFor(
      [&] {
        Json st = d.Status();
        return d.Num(st, "queue", "depth") == 0 && d.Num(st, "queue", "done") == 30 &&
               d.Num(st, "outbox", "pending") == 0 && d.Num(st, "outbox", "inflight") == 0;
      },
      60000))
      << d.Status().dump(1) << ReadAll(d.log());
  EXPECT_EQ(consumer2.Wait(20000), 0) << ReadAll(d.dir + "/c2.err");

  Json st = d.Status();
  EXPECT_EQ(d.Num(st, "queue", "failed"), 0);
  EXPECT_EQ(d.Num(st, "queue", "results"), 30);  // one result per job, none twice
  EXPECT_EQ(d.Num(st, "outbox", "acked"), static_cast<int64_t>(expected.size()));
  EXPECT_EQ(d.CountFiles("done") + d.CountFiles("quarantine"), 30u);
  EXPECT_EQ(d.CountFiles("incoming") + d.CountFiles("work"), 0u);

  auto lines = DaemonFixture::ReadJsonl(out);
  std::set<std::string> got;
  for (const auto& m : lines) EXPECT_TRUE(got.insert(m["id"].get<std::string>()).second) << "duplicate line";
  EXPECT_EQ(got, expected);
  d.daemon.Signal(SIGTERM);
  EXPECT_EQ(d.daemon.Wait(15000), 0);
}

}  // namespace
}  // namespace shelfguard::testing
