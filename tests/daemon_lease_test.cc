// Lease renewal (issue 16): a worker holding a job longer than scan.lease_s
// keeps it, because the daemon renews the leases of the jobs its workers
// hold; without renewal the second worker would take the "expired" job and
// scan the package a second time.
#include <string>

#include <gtest/gtest.h>

#include "daemon_harness.h"
#include "support/fixtures.h"

namespace shelfguard::testing {
namespace {

TEST(DaemonLease, AScanLongerThanTheLeaseIsNotTakenOver) {
  std::string clean = BuildApk(R"({"package": "com.example.sgd.lease"})");
  ASSERT_FALSE(clean.empty());
  DaemonFixture d;
  // Two workers, a 1 s lease, and a package whose scan hangs until the 3 s
  // deadline: it outlives its lease three times over.
  d.WriteConfig("workers = 2", "[limits]\ndeadline_ms = 3000\n[scan]\ngrace_ms = 200\nlease_s = 1\n");
  ASSERT_TRUE(d.Start({"SHELFGUARD_TEST_FAULT=1"})) << ReadAll(d.log());
  d.Drop(clean, "a-sg-fault-hang.apk");
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(d.log(), "\"job.start\"") >= 1; }, 20000))
      << ReadAll(d.log());
  ASSERT_TRUE(WaitFor(
      [&] {
        Json st = d.Status(1000);
        return d.Num(st, "queue", "depth") == 0 && d.Num(st, "daemon", "busy_workers") == 0;
      },
      30000))
      << d.Status().dump(1) << ReadAll(d.log());
  // One claim, one scan: the idle worker never took the job over.
  EXPECT_EQ(DaemonFixture::CountIn(d.log(), "\"job.start\""), 1u) << ReadAll(d.log());
  EXPECT_EQ(DaemonFixture::CountIn(d.log(), "\"scan.done\""), 1u) << ReadAll(d.log());
  EXPECT_EQ(DaemonFixture::CountIn(d.log(), "\"store.lease_renew_failed\""), 0u) << ReadAll(d.log());
  d.daemon.Signal(SIGTERM);
  EXPECT_EQ(d.daemon.Wait(10000), 0) << ReadAll(d.log());
}

}  // namespace
}  // namespace shelfguard::testing
