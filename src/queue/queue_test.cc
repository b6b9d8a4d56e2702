#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "queue/message.h"
#include "queue/store.h"
#include "support/queue_fixtures.h"
#include "support/scratch_dir.h"

namespace shelfguard::queue {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.empty()); }
  std::unique_ptr<Store> Open() {
    auto s = Store::Open(path_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  testing::ScratchDir scratch_{"sg_queue_test"};
  const std::string dir_ = scratch_.path();
  const std::string path_ = dir_ + "/queue.db";
};

JobSpec Spec(const std::string& name, const std::string& key = "") { return testing::SpoolSpec(name, key); }
JobResult Res(const std::string& sha) { return testing::ViolationResult(sha); }

TEST_F(StoreTest, DatabaseIsOwnerOnly) {
  auto s = Open();
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(StoreTest, EnqueueClaimCompleteInOrder) {
  auto s = Open();
  auto a = s->Enqueue(Spec("a.apk"), 1);
  auto b = s->Enqueue(Spec("b.apk"), 1);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_LT(*a, *b);
  auto j = s->Claim(100, 1000);
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE(j->has_value());
  EXPECT_EQ((*j)->spec.name, "a.apk");
  EXPECT_EQ((*j)->attempts, 1);
  ASSERT_TRUE(s->Complete((*j)->id, Res("aa"), {{"m1", "{\"x\":1}", 0}}, 200).ok());
  Counts c = *s->GetCounts();
  EXPECT_EQ(c.done, 1);
  EXPECT_EQ(c.queued, 1);
  EXPECT_EQ(c.outbox_pending, 1);
  EXPECT_TRUE(*s->HasResult("aa", "sig1", "reg1"));
  EXPECT_FALSE(*s->HasResult("aa", "sig2", "reg1"));
}

TEST_F(StoreTest, EnqueueAllIsOneOrderedBatchWithDedup) {
  auto s = Open();
  auto ids = s->EnqueueAll({Spec("a.apk", "k:a"), Spec("b.apk", "k:b"), Spec("a-again.apk", "k:a")}, 1);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  ASSERT_EQ(ids->size(), 3u);
  EXPECT_GT((*ids)[0], 0);
  EXPECT_GT((*ids)[1], (*ids)[0]);
  EXPECT_EQ((*ids)[2], 0);  // same dedup key as a queued job
  EXPECT_EQ(s->GetCounts()->queued, 2);
  EXPECT_EQ((*s->GetJob((*ids)[1]))->spec.name, "b.apk");
}

TEST_F(StoreTest, CompleteAndClaimFinishesOneAndClaimsTheNext) {
  auto s = Open();
  ASSERT_TRUE(s->EnqueueAll({Spec("a.apk"), Spec("b.apk")}, 1).ok());
  auto a = s->Claim(10, 1000);
  ASSERT_TRUE(a.ok() && a->has_value());
  auto b = s->CompleteAndClaim((*a)->id, Res("aa"), {{"m1", "{}", 0}}, 20, 1000);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_TRUE(b->has_value());
  EXPECT_EQ((*b)->spec.name, "b.apk");
  EXPECT_EQ((*b)->state, "running");
  EXPECT_EQ((*b)->attempts, 1);
  Counts c = *s->GetCounts();
  EXPECT_EQ(c.done, 1);
  EXPECT_EQ(c.running, 1);
  EXPECT_EQ(c.queued, 0);
  EXPECT_EQ(c.outbox_pending, 1);
  EXPECT_EQ((*s->GetResult((*a)->id))->sha256, "aa");
  // The last job: completed, nothing left to claim.
  auto none = s->CompleteAndClaim((*b)->id, Res("bb"), {}, 30, 1000);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  c = *s->GetCounts();
  EXPECT_EQ(c.done, 2);
  EXPECT_EQ(c.running, 0);
  EXPECT_EQ(c.results, 2);
}

TEST_F(StoreTest, ActivityFollowsJobsAndUndeliveredMessages) {
  auto s = Open();
  EXPECT_FALSE(s->GetActivity()->jobs);
  ASSERT_TRUE(s->Enqueue(Spec("a.apk"), 1).ok());
  EXPECT_TRUE(s->GetActivity()->jobs);  // queued
  auto a = s->Claim(10, 1000);
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_TRUE(s->GetActivity()->jobs);  // running
  EXPECT_FALSE(s->GetActivity()->undelivered);
  ASSERT_TRUE(s->Complete((*a)->id, Res("aa"), {{"m1", "{}", 0}}, 20).ok());
  Store::Activity act = *s->GetActivity();
  EXPECT_FALSE(act.jobs);
  EXPECT_TRUE(act.undelivered);  // pending
  ASSERT_TRUE(s->TakeDeliverable("c", 10, 30, 1000).ok());
  EXPECT_TRUE(s->GetActivity()->undelivered);  // in flight
  ASSERT_TRUE(s->Ack({"m1"}, "c", 40).ok());
  EXPECT_FALSE(s->GetActivity()->undelivered);
}

TEST_F(StoreTest, ReleaseReturnsAnUnstartedClaimWithoutCountingIt) {
  auto s = Open();
  ASSERT_TRUE(s->Enqueue(Spec("a.apk"), 1).ok());
  auto a = s->Claim(10, 100000);
  ASSERT_TRUE(a.ok() && a->has_value());
  ASSERT_TRUE(s->Release((*a)->id).ok());
  Counts c = *s->GetCounts();
  EXPECT_EQ(c.queued, 1);
  EXPECT_EQ(c.running, 0);
  auto again = s->Claim(20, 1000);  // at once, not after the lease
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->id, (*a)->id);
  EXPECT_EQ((*again)->attempts, 1);
  // Only a running job is released.
  ASSERT_TRUE(s->Complete((*again)->id, Res("aa"), {}, 30).ok());
  ASSERT_TRUE(s->Release((*again)->id).ok());
  EXPECT_EQ(s->GetCounts()->done, 1);
}

TEST_F(StoreTest, ManyCommitsKeepTheWalBounded) {
  // Commits well past the checkpoint threshold: the background checkpoints
  // copy pages back, and at the hard limit the writer finishes one, so the
  // WAL is started over instead of growing with every job.
  auto s = Open();
  std::string report(6000, 'r');
  for (int i = 0; i < 6000; ++i) {
    ASSERT_TRUE(s->Enqueue(Spec("p" + std::to_string(i) + ".apk"), i).ok());
    auto j = s->Claim(i, 1000);
    ASSERT_TRUE(j.ok() && j->has_value());
    JobResult r = Res(std::to_string(i));
    r.report = report;
    ASSERT_TRUE(s->Complete((*j)->id, r, {}, i).ok());
  }
  std::error_code ec;
  auto wal = std::filesystem::file_size(path_ + "-wal", ec);
  ASSERT_FALSE(ec);
  // The hard limit is 16,000 pages (64 MiB, plus frame headers); unbounded,
  // these commits would leave about twice that.
  EXPECT_LT(wal, uint64_t{72} << 20) << wal;
  EXPECT_EQ(s->GetCounts()->results, 6000);
}

TEST_F(StoreTest, DedupKeyOnlyWhileActive) {
  auto s = Open();
  auto a = s->Enqueue(Spec("a.apk", "sha:1"), 1);
  auto dup = s->Enqueue(Spec("a2.apk", "sha:1"), 1);
  ASSERT_TRUE(a.ok() && dup.ok());
  EXPECT_GT(*a, 0);
  EXPECT_EQ(*dup, 0);
  auto j = s->Claim(10, 1000);
  ASSERT_TRUE(j.ok() && j->has_value());
  ASSERT_TRUE(s->Complete((*j)->id, Res("1"), {}, 20).ok());
  auto again = s->Enqueue(Spec("a3.apk", "sha:1"), 30);
  ASSERT_TRUE(again.ok());
  EXPECT_GT(*again, 0);
}

TEST_F(StoreTest, CompleteIsIdempotentAcrossRestart) {
  int64_t id = 0;
  {
    auto s = Open();
    id = *s->Enqueue(Spec("a.apk"), 1);
    auto j = s->Claim(10, 100000);
    ASSERT_TRUE(j.ok() && j->has_value());
    // The process "dies" here, holding the job.
  }
  auto s = Open();
  EXPECT_FALSE(s->Claim(20, 1000)->has_value());  // lease still held
  auto n = s->RecoverRunning();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  auto j = s->Claim(30, 1000);
  ASSERT_TRUE(j.ok() && j->has_value());
  EXPECT_EQ((*j)->id, id);
  EXPECT_EQ((*j)->attempts, 2);
  std::vector<OutboxMessage> msgs = {{"m1", "{}", 0}, {"m2", "{}", 0}};
  ASSERT_TRUE(s->Complete(id, Res("aa"), msgs, 40).ok());
  // A second completion (a duplicate worker after a lease expiry) changes nothing.
  JobResult other = Res("bb");
  ASSERT_TRUE(s->Complete(id, other, msgs, 50).ok());
  Counts c = *s->GetCounts();
  EXPECT_EQ(c.results, 1);
  EXPECT_EQ(c.outbox_pending, 2);
  EXPECT_EQ((*s->GetResult(id))->sha256, "aa");
}

TEST_F(StoreTest, FailedSinceAndSkip) {
  auto s = Open();
  ASSERT_TRUE(s->Enqueue(Spec("a.apk", "sha:x"), 1).ok());
  ASSERT_TRUE(s->Enqueue(Spec("b.apk", "sha:y"), 1).ok());
  auto a = s->Claim(10, 100);
  ASSERT_TRUE(s->Fail((*a)->id, "404", 100).ok());
  EXPECT_TRUE(*s->FailedSince("sha:x", 50));
  EXPECT_FALSE(*s->FailedSince("sha:x", 150));
  EXPECT_FALSE(*s->FailedSince("sha:y", 0));
  auto b = s->Claim(20, 100);
  ASSERT_TRUE(s->Skip((*b)->id, "already scanned", 30).ok());
  Counts c = *s->GetCounts();
  EXPECT_EQ(c.done, 1);
  EXPECT_EQ(c.failed, 1);
  EXPECT_EQ(c.results, 0);
}

TEST_F(StoreTest, ExpiredLeaseIsReclaimed) {
  auto s = Open();
  ASSERT_TRUE(s->Enqueue(Spec("a.apk"), 1).ok());
  ASSERT_TRUE(s->Claim(10, 100)->has_value());
  EXPECT_FALSE(s->Claim(50, 100)->has_value());
  auto j = s->Claim(200, 100);
  ASSERT_TRUE(j.ok() && j->has_value());
  EXPECT_EQ((*j)->attempts, 2);
}

TEST_F(StoreTest, RetryWaitsForNotBefore) {
  auto s = Open();
  ASSERT_TRUE(s->Enqueue(Spec("a.apk"), 1).ok());
  auto j = s->Claim(10, 100);
  ASSERT_TRUE(s->Retry((*j)->id, 500, "http 503").ok());
  EXPECT_FALSE(s->Claim(100, 100)->has_value());
  auto again = s->Claim(600, 100);
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->error, "http 503");
  ASSERT_TRUE(s->Fail((*again)->id, "gave up", 700).ok());
  EXPECT_EQ(s->GetCounts()->failed, 1);
}

TEST_F(StoreTest, OutboxRedeliversAfterTimeoutAndRelease) {
  auto s = Open();
  auto id = *s->Enqueue(Spec("a.apk"), 1);
  ASSERT_TRUE(s->Claim(1, 100)->has_value());
  std::vector<OutboxMessage> msgs = {{"m1", "{\"a\":1}", 0}, {"m2", "{\"a\":2}", 0},
                                     {"m3", "{\"a\":3}", 0}};
  ASSERT_TRUE(s->Complete(id, Res("aa"), msgs, 2).ok());

  auto got = s->TakeDeliverable("c1", 2, 1000, 500);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].id, "m1");
  EXPECT_EQ((*got)[0].attempts, 1);
  // Only m3 is free until the deadline passes.
  auto more = s->TakeDeliverable("c2", 10, 1100, 500);
  ASSERT_EQ(more->size(), 1u);
  EXPECT_EQ((*more)[0].id, "m3");
  // Only the consumer holding a message in flight may acknowledge it.
  EXPECT_EQ(*s->Ack({"m3"}, "c1", 1150), 0);        // held by c2
  EXPECT_EQ(*s->Ack({"m1", "m3"}, "other", 1150), 0);  // a stranger
  ASSERT_EQ(*s->Ack({"m1"}, "c1", 1200), 1);
  EXPECT_EQ(*s->Ack({"m1"}, "c1", 1200), 0);  // acking twice is harmless
  // After the deadline m2 comes back (m3 too: c2 never acked).
  auto late = s->TakeDeliverable("c1", 10, 1700, 500);
  ASSERT_EQ(late->size(), 2u);
  EXPECT_EQ((*late)[0].id, "m2");
  EXPECT_EQ((*late)[0].attempts, 2);
  // c1 reconnects: what it held is pending again at once.
  EXPECT_EQ(*s->ReleaseConsumer("c1"), 2);
  auto re = s->TakeDeliverable("c1", 10, 1800, 500);
  EXPECT_EQ(re->size(), 2u);
  ASSERT_EQ(*s->Ack({"m2", "m3"}, "c1", 1900), 2);
  Counts c = *s->GetCounts();
  EXPECT_EQ(c.outbox_acked, 3);
  EXPECT_EQ(c.outbox_pending + c.outbox_inflight, 0);
}

TEST_F(StoreTest, PurgeDeletesOnlyWhatFinishedBeforeTheCutoff) {
  auto s = Open();
  auto old_id = *s->Enqueue(Spec("old.apk"), 1);
  ASSERT_TRUE(s->Claim(1, 100)->has_value());
  ASSERT_TRUE(s->Complete(old_id, Res("aa"), {{"m1", "{}", 0}}, 10).ok());
  ASSERT_EQ(s->TakeDeliverable("c", 10, 11, 1000)->size(), 1u);
  ASSERT_EQ(*s->Ack({"m1"}, "c", 12), 1);
  auto new_id = *s->Enqueue(Spec("new.apk"), 1);
  ASSERT_TRUE(s->Claim(1, 100)->has_value());
  ASSERT_TRUE(s->Complete(new_id, Res("bb"), {{"m2", "{}", 0}}, 1000).ok());
  auto queued = *s->Enqueue(Spec("queued.apk"), 1);
  EXPECT_EQ(*s->Purge(500), 1);
  EXPECT_FALSE(s->GetJob(old_id)->has_value());
  EXPECT_FALSE(s->GetResult(old_id)->has_value());
  EXPECT_TRUE(s->GetResult(new_id)->has_value());
  EXPECT_TRUE(s->GetJob(queued)->has_value());
  Counts c = *s->GetCounts();
  EXPECT_EQ(c.outbox_acked, 0);
  EXPECT_EQ(c.outbox_pending, 1);  // m2: not acknowledged, kept whatever its age
}

TEST(MessageTest, StableIdAndRoundTrip) {
  Report r;
  r.facts.file = "x.apk";
  r.facts.sha256 = std::string(64, 'a');
  r.facts.analysed = true;
  r.facts.package.platform = Platform::kAndroid;
  r.facts.package.id = "com.example";
  Finding f;
  f.rule_id = "SEC-DEBUGGABLE";
  f.severity = Severity::kViolation;
  f.message_en = "debuggable";
  f.evidence.push_back({"manifest", "AndroidManifest.xml", "android:debuggable=true\xff", false});
  r.findings.push_back(f);
  Finding info = f;
  info.rule_id = "INFO";
  info.severity = Severity::kInfo;
  r.findings.push_back(info);
  ComputeVerdict(&r);
  ScanOutcome o = OutcomeFromReport(r);
  EXPECT_EQ(o.verdict, "violation");
  auto back = ParseOutcome(SerializeOutcome(o));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->findings.size(), 2u);
  EXPECT_EQ(back->package.id, "com.example");
  MessageContext ctx{7, "spool", "s", "r", 0};
  auto msgs = OutboxMessages(*back, ctx, Severity::kViolation);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].id.size(), 64u);
  // Same package, rule and evidence: same id, whatever the job or versions.
  MessageContext ctx2{8, "feed:x", "s2", "r2", 5};
  EXPECT_EQ(OutboxMessages(*back, ctx2, Severity::kViolation)[0].id, msgs[0].id);
  // Different evidence: different id.
  f.evidence[0].value = "other";
  EXPECT_NE(MessageId(o.sha256, f), msgs[0].id);
  EXPECT_FALSE(ParseOutcome("{not json").ok());
  EXPECT_FALSE(ParseOutcome("{\"package\":1}").ok());
}

// Every platform the engine reports survives the scan service's wire format
// (HarmonyOS and mini-programs were read back as "unknown").
TEST(MessageTest, EveryPlatformRoundTrips) {
  for (Platform p : {Platform::kAndroid, Platform::kIos, Platform::kHarmony, Platform::kMiniProgram}) {
    Report r;
    r.facts.file = "x";
    r.facts.sha256 = std::string(64, 'b');
    r.facts.analysed = true;
    r.facts.package.platform = p;
    ComputeVerdict(&r);
    auto back = ParseOutcome(SerializeOutcome(OutcomeFromReport(r)));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->package.platform, p) << PlatformName(p);
  }
}

TEST_F(StoreTest, ErrorResultCountsOnlyWithinTheBackOff) {
  auto s = Open();
  auto id = s->Enqueue(Spec("corrupt.apk"), 1000);
  ASSERT_TRUE(id.ok());
  auto j = s->Claim(1000, 60000);
  ASSERT_TRUE(j.ok() && j->has_value());
  JobResult r = Res("cc");
  r.verdict = "error";
  r.error = "not a zip archive";
  ASSERT_TRUE(s->Complete((*j)->id, r, {}, 5000).ok());
  EXPECT_FALSE(*s->HasResult("cc", "sig1", "reg1"));        // default: errors never count
  EXPECT_TRUE(*s->HasResult("cc", "sig1", "reg1", 4000));   // failed within the back-off
  EXPECT_FALSE(*s->HasResult("cc", "sig1", "reg1", 6000));  // back-off over: retry
  EXPECT_FALSE(*s->HasResult("cc", "sig2", "reg1", 0));     // other versions: retry
}

TEST_F(StoreTest, ASubmissionIsQueuedAlreadyClaimedAndRerunAfterACrash) {
  int64_t id = 0;
  {
    auto s = Open();
    JobSpec sub = Spec("submitted.apk", "submit:r1");
    sub.source = "submit";
    auto j = s->EnqueueClaimed(sub, 1000, 60000);
    ASSERT_TRUE(j.ok() && j->has_value()) << j.status().ToString();
    id = (*j)->id;
    EXPECT_EQ((*j)->state, "running");
    EXPECT_EQ((*j)->attempts, 1);
    EXPECT_EQ((*j)->spec.name, "submitted.apk");
    EXPECT_EQ((*s->GetJob(id))->state, "running");
    EXPECT_FALSE(s->Claim(1000, 60000)->has_value());  // no other worker takes it
    auto dup = s->EnqueueClaimed(sub, 1000, 60000);   // same request id while active
    ASSERT_TRUE(dup.ok());
    EXPECT_FALSE(dup->has_value());
  }  // the process dies before the scan: the row is on disk, running
  auto s = Open();
  EXPECT_EQ(*s->RecoverRunning(), 1);
  auto again = s->Claim(2000, 60000);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->id, id);
  EXPECT_EQ((*again)->attempts, 2);
}

TEST_F(StoreTest, ARenewedLeaseIsNotReclaimed) {
  auto s = Open();
  ASSERT_TRUE(s->EnqueueAll({Spec("slow.apk"), Spec("stuck.apk")}, 1000).ok());
  auto slow = s->Claim(1000, 1000);
  auto stuck = s->Claim(1000, 1000);
  ASSERT_TRUE(slow.ok() && slow->has_value() && stuck.ok() && stuck->has_value());
  EXPECT_EQ(*s->RenewLeases({(*slow)->id}, 1700, 1000), 1);
  auto taken = s->Claim(2500, 60000);  // only the lease that was not renewed expired
  ASSERT_TRUE(taken.ok() && taken->has_value());
  EXPECT_EQ((*taken)->id, (*stuck)->id);
  EXPECT_FALSE(s->Claim(2500, 60000)->has_value());
  ASSERT_TRUE(s->Complete((*slow)->id, Res("aa"), {}, 2600).ok());
  EXPECT_EQ(*s->RenewLeases({(*slow)->id}, 2600, 1000), 0);  // finished: nothing to renew
}

TEST_F(StoreTest, AJobWaitsWhileAnotherScansTheSamePackage) {
  auto s = Open();
  JobSpec a = Spec("a.apk", "k1"), mirror = Spec("a-mirror.apk", "k2"), b = Spec("b.apk", "k3");
  a.expect_sha256 = mirror.expect_sha256 = std::string(64, 'a');
  b.expect_sha256 = std::string(64, 'b');
  ASSERT_TRUE(s->EnqueueAll({a, mirror, b}, 1000).ok());
  auto first = s->Claim(1000, 60000);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->spec.name, "a.apk");
  auto second = s->Claim(1000, 60000);
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->spec.name, "b.apk");  // the mirror waits
  EXPECT_FALSE(s->Claim(1000, 60000)->has_value());
  ASSERT_TRUE(s->Complete((*first)->id, Res(a.expect_sha256), {}, 1100).ok());
  auto third = s->Claim(1100, 60000);
  ASSERT_TRUE(third.ok() && third->has_value());
  EXPECT_EQ((*third)->spec.name, "a-mirror.apk");
}

}  // namespace
}  // namespace shelfguard::queue
