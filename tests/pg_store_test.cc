// PgStore against a real, private PostgreSQL server (tests/support/pg_server.h):
// schema versioning, claims with leases across nodes, lease takeover, the
// shared outbox, feed poll leases, heartbeats, NOTIFY wake-ups and
// reconnection after a server restart. Skipped, with the reason, where
// PostgreSQL is not installed.
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "queue/pg_store.h"
#include "support/pg_server.h"
#include "support/queue_fixtures.h"

namespace shelfguard::queue {
namespace {

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class PgStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new testing::PgServer();
    if (!server_->Available()) return;
    Status st = server_->Start();
    if (!st.ok()) start_error_ = st.ToString() + "\n" + server_->Log();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (!server_->Available()) GTEST_SKIP() << "PostgreSQL not installed: " << server_->skip_reason();
    ASSERT_TRUE(start_error_.empty()) << start_error_;
    // A database of its own per test: tests never see each other's rows.
    db_ = "t" + std::to_string(++counter_);
    auto r = server_->Query("CREATE DATABASE " + db_ + " OWNER shelfguard", "sg_admin", "postgres");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  std::unique_ptr<PgStore> Open(const std::string& node) {
    StoreOptions o;
    o.url = server_->Url(db_);
    o.node_id = node;
    o.pool_size = 8;
    auto s = PgStore::Open(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  // The two cluster nodes most tests run, "node-a" and "node-b", on the
  // test's database (call through ASSERT_NO_FATAL_FAILURE).
  void OpenTwoNodes() {
    a = Open("node-a");
    b = Open("node-b");
    ASSERT_TRUE(a && b);
  }
  std::unique_ptr<PgStore> a, b;
  static testing::PgServer* server_;
  static std::string start_error_;
  static int counter_;
  std::string db_;
};
testing::PgServer* PgStoreTest::server_ = nullptr;
std::string PgStoreTest::start_error_;
int PgStoreTest::counter_ = 0;

JobSpec Spec(const std::string& name, const std::string& key = "") { return testing::FeedSpec(name, key); }
JobResult Res(const std::string& sha) { return testing::ViolationResult(sha); }

// Enqueues the feed job `name` on `s` and claims it there.
std::optional<Job> ClaimNew(PgStore& s, const std::string& name, int64_t now, int64_t lease_ms) {
  auto id = s.Enqueue(Spec(name), now);
  EXPECT_TRUE(id.ok() && *id > 0) << id.status().ToString();
  auto j = s.Claim(now, lease_ms);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? *j : std::nullopt;
}

TEST_F(PgStoreTest, SchemaIsVersionedAndANewerDatabaseIsRefused) {
  {
    auto a = Open("a");
    ASSERT_NE(a, nullptr);
    auto b = Open("b");  // a second node finds the schema made
    ASSERT_NE(b, nullptr);
  }
  auto v = server_->Query("SELECT version FROM schema_version", "shelfguard", db_);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, std::to_string(kPgSchemaVersion));
  ASSERT_TRUE(server_->Query("UPDATE schema_version SET version = 99", "shelfguard", db_).ok());
  StoreOptions o;
  o.url = server_->Url(db_);
  o.node_id = "a";
  auto s = PgStore::Open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("version 99, newer than this shelfguardd"), std::string::npos)
      << s.status().ToString();
}

TEST_F(PgStoreTest, EnqueueClaimCompleteDedupAndResultsSharedAcrossNodes) {
  ASSERT_NO_FATAL_FAILURE(OpenTwoNodes());
  int64_t now = Now();
  auto ids = a->EnqueueAll({Spec("x.apk", "k1"), Spec("y.apk", "k2"), Spec("x2.apk", "k1")}, now);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  ASSERT_EQ(ids->size(), 3u);
  EXPECT_GT((*ids)[0], 0);
  EXPECT_GT((*ids)[1], 0);
  EXPECT_EQ((*ids)[2], 0);  // same dedup key while the first is active
  auto dup = b->Enqueue(Spec("again.apk", "k2"), now);
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(*dup, 0);

  auto j1 = b->Claim(now, 60000);
  ASSERT_TRUE(j1.ok() && j1->has_value());
  EXPECT_EQ((*j1)->id, (*ids)[0]);  // oldest first
  EXPECT_EQ((*j1)->spec.name, "x.apk");
  EXPECT_EQ((*j1)->state, "running");
  EXPECT_EQ((*j1)->attempts, 1);
  // Only the lease owner finishes; node a does not hold it.
  Status foreign = a->Complete((*j1)->id, Res("aa"), {}, now);
  EXPECT_EQ(foreign.code(), "lease-lost") << foreign.ToString();
  auto j2 = b->CompleteAndClaim((*j1)->id, Res("aa"), {{"m1", "{\"n\":1}", 0}}, now, 60000);
  ASSERT_TRUE(j2.ok() && j2->has_value()) << j2.status().ToString();
  EXPECT_EQ((*j2)->id, (*ids)[1]);
  // Idempotent for the node that finished it.
  EXPECT_TRUE(b->Complete((*j1)->id, Res("other"), {}, now).ok());
  auto r = *a->GetResult((*j1)->id);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->sha256, "aa");
  // Any node sees the package as scanned for these versions.
  EXPECT_TRUE(*a->HasResult("aa", "sig1", "reg1"));
  EXPECT_FALSE(*a->HasResult("aa", "sig2", "reg1"));
  EXPECT_TRUE(a->FindJobByKey("k1")->has_value());
  EXPECT_EQ((*a->FindJobByPath("/downloads/y.apk"))->id, (*ids)[1]);
  Counts c = *a->GetCounts();
  EXPECT_EQ(c.done, 1);
  EXPECT_EQ(c.running, 1);
  EXPECT_EQ(c.results, 1);
  EXPECT_EQ(c.outbox_pending, 1);
  // Fail and Skip only by the owner.
  EXPECT_TRUE(a->Fail((*j2)->id, "not mine", now).ok());
  EXPECT_EQ((*a->GetJob((*j2)->id))->state, "running");
  EXPECT_TRUE(b->Fail((*j2)->id, "bad sha", now).ok());
  EXPECT_EQ((*a->GetJob((*j2)->id))->state, "failed");
  EXPECT_TRUE(*a->FailedSince("k2", now));
  Store::Activity act = *a->GetActivity();
  EXPECT_FALSE(act.jobs);
  EXPECT_TRUE(act.undelivered);
}

TEST_F(PgStoreTest, ConcurrentClaimersOnTwoNodesNeverShareAJob) {
  ASSERT_NO_FATAL_FAILURE(OpenTwoNodes());
  const int kJobs = 300;
  std::vector<JobSpec> specs;
  for (int i = 0; i < kJobs; ++i) specs.push_back(Spec("p" + std::to_string(i) + ".apk"));
  ASSERT_TRUE(a->EnqueueAll(specs, Now()).ok());
  std::mutex mu;
  std::map<int64_t, int> claimed;
  std::atomic<int> errors{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t) {
    PgStore* s = t % 2 == 0 ? a.get() : b.get();
    ts.emplace_back([&, s, t] {
      std::optional<Job> next;
      while (true) {
        if (!next) {
          auto j = s->Claim(Now(), 60000);
          if (!j.ok()) {
            errors++;
            return;
          }
          if (!j->has_value()) return;
          next = std::move(**j);
        }
        {
          std::lock_guard<std::mutex> l(mu);
          claimed[next->id]++;
        }
        auto n = s->CompleteAndClaim(next->id, Res("sha" + std::to_string(next->id)),
                                     {{"m" + std::to_string(next->id), "{}", 0}}, Now(), 60000);
        if (!n.ok()) {
          errors++;
          return;
        }
        next = std::move(*n);
      }
      (void)t;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kJobs));
  for (const auto& [id, n] : claimed) EXPECT_EQ(n, 1) << "job " << id;
  Counts c = *a->GetCounts();
  EXPECT_EQ(c.done, kJobs);
  EXPECT_EQ(c.results, kJobs);
  EXPECT_EQ(c.outbox_pending, kJobs);
  // Per-node throughput adds up to the whole.
  ASSERT_TRUE(a->Heartbeat({"node-a", "h1", 1, Now(), Now(), 4}).ok());
  ASSERT_TRUE(b->Heartbeat({"node-b", "h2", 2, Now(), Now(), 4}).ok());
  auto nodes = a->ListNodes(Now());
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 2u);
  int64_t sum = 0;
  for (const auto& n : *nodes) {
    EXPECT_GT(n.scanned_last_minute, 0) << n.node_id;  // both nodes took part
    EXPECT_EQ(n.scanned_last_minute, n.scanned_last_hour);
    EXPECT_EQ(n.running, 0);
    EXPECT_EQ(n.workers, 4);
    sum += n.scanned_last_minute;
  }
  EXPECT_EQ(sum, kJobs);
}

TEST_F(PgStoreTest, ExpiredLeaseIsTakenOverAndTheOldOwnerCannotFinish) {
  ASSERT_NO_FATAL_FAILURE(OpenTwoNodes());
  int64_t now = Now();
  auto ja = ClaimNew(*a, "x.apk", now, 1000);
  ASSERT_TRUE(ja.has_value());
  auto none = b->Claim(now + 500, 1000);  // lease still held
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto jb = b->Claim(now + 1500, 60000);  // node a "died": its lease expired
  ASSERT_TRUE(jb.ok() && jb->has_value());
  EXPECT_EQ((*jb)->id, ja->id);
  EXPECT_EQ((*jb)->attempts, 2);
  // Node a comes back: it may not finish, retry, release or fail the job.
  EXPECT_EQ(a->Complete(ja->id, Res("late"), {{"late", "{}", 0}}, now + 1600).code(), "lease-lost");
  EXPECT_TRUE(a->Retry(ja->id, now, "x").ok());
  EXPECT_TRUE(a->Release(ja->id).ok());
  EXPECT_EQ((*b->GetJob(ja->id))->state, "running");
  auto rec = a->RecoverRunning();  // a restart of node a recovers only a's own
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(*rec, 0);
  ASSERT_TRUE(b->Complete((*jb)->id, Res("good"), {{"m", "{}", 0}}, now + 1700).ok());
  EXPECT_EQ((*a->GetResult(ja->id))->sha256, "good");
  Counts c = *a->GetCounts();
  EXPECT_EQ(c.results, 1);
  EXPECT_EQ(c.outbox_pending, 1);
  // Release by the owner puts it back without counting the attempt.
  ASSERT_TRUE(a->Enqueue(Spec("y.apk"), now).ok());
  auto jy = a->Claim(now + 2000, 60000);
  ASSERT_TRUE(jy.ok() && jy->has_value());
  ASSERT_TRUE(a->Release((*jy)->id).ok());
  auto jy2 = b->Claim(now + 2000, 60000);
  ASSERT_TRUE(jy2.ok() && jy2->has_value());
  EXPECT_EQ((*jy2)->attempts, 1);
  // Retry waits for not_before.
  ASSERT_TRUE(b->Retry((*jy2)->id, now + 10000, "download failed").ok());
  EXPECT_FALSE(a->Claim(now + 5000, 60000)->has_value());
  auto jy3 = a->Claim(now + 10000, 60000);
  ASSERT_TRUE(jy3.ok() && jy3->has_value());
  EXPECT_EQ((*jy3)->error, "download failed");
}

TEST_F(PgStoreTest, AJobNamingALocalFileIsClaimedOnlyByItsNode) {
  ASSERT_NO_FATAL_FAILURE(OpenTwoNodes());
  int64_t now = Now();
  JobSpec local = Spec("spooled.apk");
  local.source = "spool";
  local.url.clear();  // a file in node a's spool: node b cannot read it
  ASSERT_TRUE(a->Enqueue(local, now).ok());
  EXPECT_FALSE(b->Claim(now, 1000)->has_value());
  auto ja = a->Claim(now, 1000);
  ASSERT_TRUE(ja.ok() && ja->has_value());
  // Not even when node a's lease expires: it waits for node a to return.
  EXPECT_FALSE(b->Claim(now + 5000, 1000)->has_value());
  auto again = a->Claim(now + 5000, 1000);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->attempts, 2);
}

TEST_F(PgStoreTest, OutboxIsSharedLeasedPerMessageAndRedelivered) {
  ASSERT_NO_FATAL_FAILURE(OpenTwoNodes());
  int64_t now = Now();
  auto j = ClaimNew(*a, "x.apk", now, 60000);
  ASSERT_TRUE(j.has_value());
  ASSERT_TRUE(a->Complete(j->id, Res("s"), {{"m1", "1", 0}, {"m2", "2", 0}, {"m3", "3", 0}}, now).ok());
  // A consumer on node b takes two, one on node a the third: no message twice.
  auto tb = b->TakeDeliverable("c", 2, now, 1000);
  ASSERT_TRUE(tb.ok());
  ASSERT_EQ(tb->size(), 2u);
  EXPECT_EQ((*tb)[0].id, "m1");
  EXPECT_EQ((*tb)[1].id, "m2");
  EXPECT_EQ((*tb)[0].attempts, 1);
  auto ta = a->TakeDeliverable("c", 10, now, 1000);
  ASSERT_TRUE(ta.ok());
  ASSERT_EQ(ta->size(), 1u);
  EXPECT_EQ((*ta)[0].id, "m3");
  // The same consumer name on another node is another consumer: node a's
  // "c" cannot acknowledge what node b's "c" holds.
  auto wrong = a->Ack({"m1"}, "c", now);
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(*wrong, 0);
  auto ok = b->Ack({"m1"}, "c", now);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 1);
  // m2 is never acknowledged: after the ack timeout any node redelivers it.
  EXPECT_TRUE(a->TakeDeliverable("d", 10, now + 500, 1000)->empty());
  auto again = a->TakeDeliverable("d", 10, now + 1500, 1000);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 2u);  // m2 and m3, both past their deadline
  EXPECT_EQ((*again)[0].id, "m2");
  EXPECT_EQ((*again)[0].attempts, 2);
  // A reconnecting consumer's in-flight messages are pending again.
  auto rel = a->ReleaseConsumer("d");
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(*rel, 2);
  auto last = b->TakeDeliverable("e", 10, now + 1600, 1000);
  ASSERT_EQ(last->size(), 2u);
  EXPECT_EQ(*b->Ack({"m2", "m3"}, "e", now + 1700), 2);
  Counts c = *a->GetCounts();
  EXPECT_EQ(c.outbox_acked, 3);
  EXPECT_EQ(c.outbox_pending + c.outbox_inflight, 0);
  // Retention.
  auto purged = a->Purge(now + 10000);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1);
  c = *a->GetCounts();
  EXPECT_EQ(c.done + c.results + c.outbox_acked, 0);
}

TEST_F(PgStoreTest, OneNodePollsAFeedAtATime) {
  ASSERT_NO_FATAL_FAILURE(OpenTwoNodes());
  int64_t now = Now();
  EXPECT_TRUE(*a->TryFeedPoll("f", now, 60000, 30000));
  EXPECT_FALSE(*b->TryFeedPoll("f", now + 10, 60000, 30000));   // a holds it
  EXPECT_TRUE(*b->TryFeedPoll("g", now + 10, 60000, 30000));    // another feed
  EXPECT_FALSE(*b->TryFeedPoll("f", now + 40000, 60000, 30000));  // lease over, but polled 40 s ago
  EXPECT_TRUE(*b->TryFeedPoll("f", now + 60000, 60000, 30000));   // due, and a's lease expired
  EXPECT_FALSE(*a->TryFeedPoll("f", now + 60001, 0, 30000));      // b holds it now
}

TEST_F(PgStoreTest, AnotherNodesEnqueueWakesIdleWorkers) {
  ASSERT_NO_FATAL_FAILURE(OpenTwoNodes());
  std::atomic<int> wakes{0};
  a->SetWakeCallback([&] { wakes++; });
  // Wait until node a's listener connection has run LISTEN.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    auto n = server_->Query("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '" + db_ +
                            "' AND query LIKE 'LISTEN%'");
    if (n.ok() && *n != "0") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  int before = wakes.load();
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(b->Enqueue(Spec("x.apk"), Now()).ok());
  deadline = t0 + std::chrono::seconds(10);
  while (wakes.load() == before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_GT(wakes.load(), before);
  // At once, not after the 1 s that idle workers otherwise wait.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
}

TEST_F(PgStoreTest, ServerRestartIsSurvivedWithReconnection) {
  auto a = Open("node-a");
  ASSERT_NE(a, nullptr);
  int64_t now = Now();
  ASSERT_TRUE(a->Enqueue(Spec("before.apk"), now).ok());
  ASSERT_TRUE(server_->Restart().ok()) << server_->Log();
  // The pooled connections died with the server: operations fail with an
  // error (never a crash) until a new connection succeeds.
  bool ok = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!ok && std::chrono::steady_clock::now() < deadline) {
    auto r = a->Enqueue(Spec("after.apk"), now);
    ok = r.ok();
    if (!ok) {
      EXPECT_EQ(r.status().code(), "io-error") << r.status().ToString();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ASSERT_TRUE(ok);
  Counts c = *a->GetCounts();
  EXPECT_EQ(c.queued, 2);  // nothing lost
}

TEST_F(PgStoreTest, UnreachableServerIsAClearErrorNotACrash) {
  StoreOptions o;
  o.url = "host=" + server_->dir() + "/no-such-dir port=1 dbname=x user=y password=secret connect_timeout=2";
  o.node_id = "a";
  auto s = PgStore::Open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), "io-error");
  EXPECT_NE(s.status().message().find("unreachable"), std::string::npos) << s.status().ToString();
  EXPECT_EQ(s.status().message().find("secret"), std::string::npos) << s.status().ToString();
}

TEST_F(PgStoreTest, ARenewedLeaseIsKeptAndAnUnrenewedOneIsTakenOver) {
  ASSERT_NO_FATAL_FAILURE(OpenTwoNodes());
  int64_t now = Now();
  // Two slow scans on node a, each held past its 1 s lease; only the first
  // one's lease is renewed (as the daemon does every third of a lease).
  auto slow = ClaimNew(*a, "renewed.apk", now, 1000);
  auto idle = ClaimNew(*a, "not-renewed.apk", now, 1000);
  ASSERT_TRUE(slow && idle);
  auto renewed = a->RenewLeases({slow->id}, now + 700, 1000);
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_EQ(*renewed, 1);
  // At now + 1.5 s node b may take only the job whose lease was not renewed.
  auto taken = b->Claim(now + 1500, 60000);
  ASSERT_TRUE(taken.ok() && taken->has_value());
  EXPECT_EQ((*taken)->id, idle->id);
  auto none = b->Claim(now + 1500, 60000);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value()) << "the renewed job was taken over: " << (*none)->spec.name;
  // Node a's renewal no longer extends a job node b holds now.
  EXPECT_EQ(*a->RenewLeases({slow->id, idle->id}, now + 1600, 1000), 1);
  EXPECT_TRUE(a->Complete(slow->id, Res("s1"), {}, now + 1700).ok());
  EXPECT_EQ(a->Complete(idle->id, Res("s2"), {}, now + 1700).code(), "lease-lost");
}

TEST_F(PgStoreTest, TwoJobsOfOnePackageAreNeverScannedAtOnce) {
  ASSERT_NO_FATAL_FAILURE(OpenTwoNodes());
  int64_t now = Now();
  // The same package reached through two sources (different dedup keys).
  JobSpec first = Spec("p.apk", "src1"), second = Spec("p-mirror.apk", "src2"), other = Spec("q.apk", "src3");
  first.expect_sha256 = second.expect_sha256 = std::string(64, 'a');
  other.expect_sha256 = std::string(64, 'b');
  ASSERT_TRUE(a->EnqueueAll({first, second, other}, now).ok());
  auto ja = a->Claim(now, 60000);
  ASSERT_TRUE(ja.ok() && ja->has_value());
  EXPECT_EQ((*ja)->spec.name, "p.apk");
  // Node b passes over the mirror of the package node a is scanning.
  auto jb = b->Claim(now, 60000);
  ASSERT_TRUE(jb.ok() && jb->has_value());
  EXPECT_EQ((*jb)->spec.name, "q.apk");
  EXPECT_FALSE(b->Claim(now, 60000)->has_value());
  ASSERT_TRUE(a->Complete((*ja)->id, Res(first.expect_sha256), {}, now).ok());
  auto later = b->Claim(now, 60000);  // then it may run (and be skipped as scanned)
  ASSERT_TRUE(later.ok() && later->has_value());
  EXPECT_EQ((*later)->spec.name, "p-mirror.apk");
  EXPECT_EQ((*later)->attempts, 1);
}

TEST_F(PgStoreTest, RacingClaimersOnTwoNodesNeverHoldOnePackageTwice) {
  ASSERT_NO_FATAL_FAILURE(OpenTwoNodes());
  // 40 packages, each queued three times in a row under different keys:
  // claimers taking the queue in order meet the same package at once.
  std::vector<JobSpec> specs;
  for (int p = 0; p < 40; ++p) {
    for (int copy = 0; copy < 3; ++copy) {
      JobSpec s = Spec("p" + std::to_string(p) + "-" + std::to_string(copy) + ".apk");
      s.expect_sha256 = "sha-" + std::to_string(p);
      specs.push_back(s);
    }
  }
  ASSERT_TRUE(a->EnqueueAll(specs, Now()).ok());
  std::mutex mu;
  std::set<std::string> scanning;
  std::atomic<int> overlaps{0}, done{0}, errors{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t) {
    PgStore* s = t % 2 == 0 ? a.get() : b.get();
    ts.emplace_back([&, s] {
      auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (done.load() < 120 && std::chrono::steady_clock::now() < give_up) {
        auto j = s->Claim(Now(), 60000);
        if (!j.ok()) {
          errors++;
          return;
        }
        if (!j->has_value()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          continue;
        }
        const std::string sha = (*j)->spec.expect_sha256;
        {
          std::lock_guard<std::mutex> l(mu);
          if (!scanning.insert(sha).second) overlaps++;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // "scanning"
        {
          std::lock_guard<std::mutex> l(mu);
          scanning.erase(sha);
        }
        if (!s->Complete((*j)->id, Res(sha), {}, Now()).ok()) errors++;
        done++;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(done.load(), 120);
  EXPECT_EQ(a->GetCounts()->done, 120);
}

TEST_F(PgStoreTest, ASubmissionIsQueuedAlreadyClaimedByItsNode) {
  ASSERT_NO_FATAL_FAILURE(OpenTwoNodes());
  int64_t now = Now();
  JobSpec sub = Spec("submitted.apk", "submit:r1");
  sub.source = "submit";
  sub.url.clear();
  auto j = a->EnqueueClaimed(sub, now, 60000);
  ASSERT_TRUE(j.ok() && j->has_value()) << j.status().ToString();
  EXPECT_EQ((*j)->state, "running");
  EXPECT_EQ((*j)->attempts, 1);
  EXPECT_EQ((*a->GetJob((*j)->id))->state, "running");
  // Nobody else takes it, not even node a's own claimers.
  EXPECT_FALSE(a->Claim(now, 60000)->has_value());
  EXPECT_FALSE(b->Claim(now + 120000, 60000)->has_value());
  // The same request id while it is active: not queued twice.
  auto dup = a->EnqueueClaimed(sub, now, 60000);
  ASSERT_TRUE(dup.ok());
  EXPECT_FALSE(dup->has_value());
  // A restart of node a (kill -9) runs it again.
  EXPECT_EQ(*a->RecoverRunning(), 1);
  auto again = a->Claim(now, 60000);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->id, (*j)->id);
  ASSERT_TRUE(a->Complete((*again)->id, Res("s"), {}, now).ok());
}

TEST_F(PgStoreTest, AnOutageIsAnErrorNeverNotFound) {
  auto a = Open("node-a");
  ASSERT_NE(a, nullptr);
  int64_t now = Now();
  auto j = ClaimNew(*a, "x.apk", now, 60000);
  ASSERT_TRUE(j.has_value());
  ASSERT_TRUE(server_->Stop().ok()) << server_->Log();
  // Every look-up fails as an error: none answers "no such job", "not
  // scanned", "never failed", "nothing queued" or zero counts.
  EXPECT_FALSE(a->GetJob(j->id).ok());
  EXPECT_FALSE(a->FindJobByKey("submit:r1").ok());
  EXPECT_FALSE(a->FindJobByPath(j->spec.path).ok());
  EXPECT_FALSE(a->GetResult(j->id).ok());
  EXPECT_FALSE(a->HasResult("aa", "sig1", "reg1").ok());
  EXPECT_FALSE(a->FailedSince("k", 0).ok());
  EXPECT_FALSE(a->GetCounts().ok());
  EXPECT_FALSE(a->GetActivity().ok());
  EXPECT_FALSE(a->RenewLeases({j->id}, now, 60000).ok());
  EXPECT_FALSE(a->EnqueueClaimed(Spec("y.apk"), now, 60000).ok());
  auto claim = a->Claim(now, 60000);
  ASSERT_FALSE(claim.ok());
  EXPECT_EQ(claim.status().code(), "io-error");
  ASSERT_TRUE(server_->Start().ok()) << server_->Log();
  // Back: the same calls answer again (after the pool's back-off).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  Result<std::optional<Job>> back = Status::IoError("not yet");
  while (!back.ok() && std::chrono::steady_clock::now() < deadline) {
    back = a->GetJob(j->id);
    if (!back.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->state, "running");
}

TEST(PgStoreUrl, PasswordsAreRedactedInBothForms) {
  EXPECT_EQ(RedactStoreUrl("postgresql://sg:hunter2@db.example:5432/shelfguard?sslmode=require"),
            "postgresql://sg:***@db.example:5432/shelfguard?sslmode=require");
  EXPECT_EQ(RedactStoreUrl("postgresql://sg@db/x?password=hunter2&sslmode=require"),
            "postgresql://sg@db/x?password=***&sslmode=require");
  EXPECT_EQ(RedactStoreUrl("host=/run/pg dbname=sg password='a b\\' c' user=sg"),
            "host=/run/pg dbname=sg password=*** user=sg");
  EXPECT_EQ(RedactStoreUrl("host=/run/pg PASSWORD = x"), "host=/run/pg PASSWORD = ***");
  EXPECT_EQ(RedactStoreUrl("postgresql://sg@/shelfguard?host=%2Frun%2Fpg"), "postgresql://sg@/shelfguard?host=%2Frun%2Fpg");
  EXPECT_TRUE(IsPostgresUrl("postgresql://u@h/d"));
  EXPECT_TRUE(IsPostgresUrl("postgres://u@h/d"));
  EXPECT_TRUE(IsPostgresUrl("host=/run/pg dbname=sg"));
  EXPECT_FALSE(IsPostgresUrl("mysql://u@h/d"));
  EXPECT_FALSE(IsPostgresUrl("/var/lib/x.db"));
}

}  // namespace
}  // namespace shelfguard::queue
