// Store: the daemon's durable state in one SQLite database (WAL):
//   * jobs    — the job queue. A job is claimed with a lease; its result is
//               written at most once (keyed by job id) in the same
//               transaction that marks it done and fills the outbox, so a
//               crash at any point either loses nothing or repeats a scan
//               whose second result is ignored.
//   * results — one row per finished job: package sha256, the signatures and
//               registry versions it was scanned with, verdict and report.
//   * outbox  — violation messages awaiting acknowledgement by a consumer
//               (at-least-once delivery; ids are stable, see message.h).
// Thread-safe: one connection guarded by a mutex (plus one that only
// checkpoints the WAL, on a thread of its own). Errors are values.
#ifndef SHELFGUARD_SRC_QUEUE_STORE_H_
#define SHELFGUARD_SRC_QUEUE_STORE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "shelfguard/status.h"

struct sqlite3;

namespace shelfguard::queue {

struct JobSpec {
  std::string source;         // "spool" | "dir:<name>" | "feed:<name>" | "submit"
  std::string dedup_key;      // unique among queued/running jobs; empty: none
  std::string name;           // label for logs and reports
  std::string path;           // local file to scan (or the download target)
  std::string url;            // when set, downloaded before scanning
  std::string expect_sha256;  // verified before scanning when set
  uint64_t expect_size = 0;   // 0: unknown
  std::string meta;           // JSON text (feed entry ...), opaque to the store
  // The daemon created `path` (submitted bytes, a download) and removes it
  // when the job finishes. Never set for a path a client or a source named:
  // deletion follows this record, not the shape of the path string.
  bool owned = false;
};

struct Job {
  int64_t id = 0;
  JobSpec spec;
  std::string state;  // queued | running | done | failed
  int attempts = 0;   // claims so far, including the current one
  std::string error;
};

struct JobResult {
  std::string sha256;
  uint64_t size = 0;
  std::string signatures_version;
  std::string registry_version;
  std::string verdict;  // pass|info|review|violation|block|error
  std::string error;    // why the scan failed (verdict "error"), else empty
  std::string report;   // report JSON
};

struct OutboxMessage {
  std::string id;       // stable message id (dedup key for consumers)
  std::string payload;  // JSON text
  int attempts = 0;     // deliveries so far (including this one)
};

struct Counts {
  int64_t queued = 0, running = 0, done = 0, failed = 0;
  int64_t outbox_pending = 0, outbox_inflight = 0, outbox_acked = 0;
  int64_t results = 0;
};

struct StmtCache;
class Checkpointer;

class Store {
 public:
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Opens or creates the database at `path` (file mode 0600). `full_sync`
  // selects synchronous=FULL (survives power loss) instead of NORMAL (survives
  // process crashes, the WAL default).
  static Result<std::unique_ptr<Store>> Open(const std::string& path, bool full_sync = false);

  // Adds a job. Returns its id, or 0 when a queued/running job with the same
  // dedup key already exists.
  Result<int64_t> Enqueue(const JobSpec& spec, int64_t now_ms);
  // Enqueue() for each spec, in one transaction (all or none); the ids in
  // the same order.
  Result<std::vector<int64_t>> EnqueueAll(const std::vector<JobSpec>& specs, int64_t now_ms);
  // Claims the oldest runnable job (queued and not_before <= now, or running
  // with an expired lease) for `lease_ms`. nullopt: nothing to do.
  Result<std::optional<Job>> Claim(int64_t now_ms, int64_t lease_ms);
  // Gives back a claimed job that was not started (queued again, the claim
  // not counted as an attempt).
  Status Release(int64_t job_id);
  // Returns every running job to the queue (at start-up: the previous process
  // died holding them). Returns how many.
  Result<int64_t> RecoverRunning();
  // Finishes a job: inserts its result (ignored if one exists), adds the
  // outbox messages (ignored if their id exists) and marks the job done, all
  // in one transaction. Idempotent.
  Status Complete(int64_t job_id, const JobResult& result,
                  const std::vector<OutboxMessage>& messages, int64_t now_ms);
  // Complete() and then Claim() in the same transaction (one commit per job
  // for a busy worker). On error neither took effect.
  Result<std::optional<Job>> CompleteAndClaim(int64_t job_id, const JobResult& result,
                                              const std::vector<OutboxMessage>& messages, int64_t now_ms,
                                              int64_t lease_ms);
  // Puts a claimed job back for a retry at `not_before_ms`.
  Status Retry(int64_t job_id, int64_t not_before_ms, const std::string& error);
  // Marks a job failed without a scan result (download error, bad sha256 ...).
  Status Fail(int64_t job_id, const std::string& error, int64_t now_ms);
  // Marks a job done without a result (its package was already scanned).
  Status Skip(int64_t job_id, const std::string& note, int64_t now_ms);

  std::optional<Job> GetJob(int64_t id);
  std::optional<Job> FindJobByPath(const std::string& path);
  // The newest job with this dedup key, in any state.
  std::optional<Job> FindJobByKey(const std::string& dedup_key);
  std::optional<JobResult> GetResult(int64_t job_id);
  // True when a package with this sha256 was scanned with these versions.
  // A result whose verdict is "error" (the package could not be analysed)
  // counts only when it finished at or after `errors_since_ms`, so callers
  // retry such packages after a back-off instead of on every sweep; the
  // default never counts them.
  bool HasResult(const std::string& sha256, const std::string& sig, const std::string& reg,
                 int64_t errors_since_ms = INT64_MAX);
  // True when a job with this dedup key failed at or after `since_ms`.
  bool FailedSince(const std::string& dedup_key, int64_t since_ms);
  // Number of result rows for a job id (tests: must be 0 or 1).
  Counts GetCounts();
  // Whether any job is queued or running, and any message undelivered
  // (pending or in flight): cheap enough to ask often, unlike the counts.
  struct Activity {
    bool jobs = false, undelivered = false;
  };
  Activity GetActivity();

  // Outbox. Takes up to `max` messages that are pending, or in flight past
  // their deadline, marks them in flight to `consumer` until now + ack_timeout.
  Result<std::vector<OutboxMessage>> TakeDeliverable(const std::string& consumer, int max,
                                                     int64_t now_ms, int64_t ack_timeout_ms);
  // Acknowledges messages by id that are in flight to `consumer`; returns how
  // many changed state (others, pending or held by another consumer, are
  // left alone).
  Result<int64_t> Ack(const std::vector<std::string>& ids, const std::string& consumer, int64_t now_ms);
  // A consumer (re)connected: what it held in flight is pending again.
  Result<int64_t> ReleaseConsumer(const std::string& consumer);
  // Retention: deletes jobs finished before `before_ms` with their results,
  // and messages acknowledged before it. Returns the jobs deleted. (A swept
  // package whose result is gone is scanned again by a later sweep.)
  Result<int64_t> Purge(int64_t before_ms);

 private:
  Store() = default;
  Status Exec(const char* sql);
  Result<int64_t> EnqueueLocked(const JobSpec& spec, int64_t now_ms);
  std::optional<Job> FindNewestJob(const char* column, const std::string& value);
  Result<std::optional<Job>> ClaimLocked(int64_t now_ms, int64_t lease_ms);
  Status CompleteLocked(int64_t job_id, const JobResult& result, const std::vector<OutboxMessage>& messages,
                        int64_t now_ms);
  sqlite3* db_ = nullptr;
  std::unique_ptr<StmtCache> cache_;  // guarded by mu_
  std::unique_ptr<Checkpointer> checkpointer_;
  std::mutex mu_;
};

}  // namespace shelfguard::queue

#endif  // SHELFGUARD_SRC_QUEUE_STORE_H_
