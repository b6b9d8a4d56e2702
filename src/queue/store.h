// Store: the daemon's durable state (the interface; SqliteStore in
// sqlite_store.h is the one-machine engine, PgStore in pg_store.h the shared
// one). In SQLite, one database (WAL):
//   * jobs    — the job queue. A job is claimed with a lease; its result is
//               written at most once (keyed by job id) in the same
//               transaction that marks it done and fills the outbox, so a
//               crash at any point either loses nothing or repeats a scan
//               whose second result is ignored.
//   * results — one row per finished job: package sha256, the signatures and
//               registry versions it was scanned with, verdict and report.
//   * outbox  — violation messages awaiting acknowledgement by a consumer
//               (at-least-once delivery; ids are stable, see message.h).
// Errors are values.
#ifndef SHELFGUARD_SRC_QUEUE_STORE_H_
#define SHELFGUARD_SRC_QUEUE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shelfguard/status.h"

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

// A node of a cluster, as the shared store last saw it (PostgreSQL only).
struct NodeInfo {
  std::string node_id;
  std::string host;
  int64_t pid = 0;
  int64_t started_ms = 0;
  int64_t heartbeat_ms = 0;
  int64_t workers = 0;
  int64_t scanned_last_minute = 0;  // results this node stored in the last 60 s
  int64_t scanned_last_hour = 0;    // ... in the last hour
  int64_t running = 0;              // jobs this node holds a lease on
};

// Which engine holds the queue, and how to reach it (OpenStore).
struct StoreOptions {
  std::string url;         // empty: SQLite at sqlite_path; else a PostgreSQL URL or conninfo
  std::string sqlite_path;
  bool full_sync = false;  // SQLite synchronous=FULL
  std::string node_id;     // this node's identity in a shared store (leases, outbox, heartbeat)
  int pool_size = 4;       // PostgreSQL connections
};

// The daemon's durable queue: jobs with leases, results, the outbox. Two
// engines: SqliteStore (one machine, the default) and PgStore (many nodes
// sharing one PostgreSQL database). Every method is thread-safe.
class Store {
 public:
  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Opens or creates the SQLite database at `path` (file mode 0600).
  // `full_sync` selects synchronous=FULL (survives power loss) instead of
  // NORMAL (survives process crashes, the WAL default).
  static Result<std::unique_ptr<Store>> Open(const std::string& path, bool full_sync = false);

  // Adds a job. Returns its id, or 0 when a queued/running job with the same
  // dedup key already exists.
  virtual Result<int64_t> Enqueue(const JobSpec& spec, int64_t now_ms) = 0;
  // Enqueue() for each spec, in one transaction (all or none); the ids in
  // the same order.
  virtual Result<std::vector<int64_t>> EnqueueAll(const std::vector<JobSpec>& specs, int64_t now_ms) = 0;
  // Enqueue() and a claim of that very job, in one transaction: the job is
  // on disk and leased to this node for `lease_ms` before the caller hands
  // it to a worker (a submission: one commit fewer, and no other worker or
  // node can take it first). A crash leaves it running; RecoverRunning at
  // the restart (or the lease's end, for another node) queues it again.
  // nullopt: a job with its dedup key is active.
  virtual Result<std::optional<Job>> EnqueueClaimed(const JobSpec& spec, int64_t now_ms, int64_t lease_ms) = 0;
  // Claims the oldest runnable job (queued and not_before <= now, or running
  // with an expired lease) for `lease_ms`. nullopt: nothing to do. A job
  // whose expect_sha256 is that of another running job waits until that
  // one ends: two claimers never scan the same package at once (the second
  // is then skipped as already scanned, or scans with other versions).
  virtual Result<std::optional<Job>> Claim(int64_t now_ms, int64_t lease_ms) = 0;
  // Gives back a claimed job that was not started (queued again, the claim
  // not counted as an attempt).
  virtual Status Release(int64_t job_id) = 0;
  // Returns every running job of this node to the queue (at start-up: the
  // previous process died holding them). Returns how many.
  virtual Result<int64_t> RecoverRunning() = 0;
  // Finishes a job: inserts its result (ignored if one exists), adds the
  // outbox messages (ignored if their id exists) and marks the job done, all
  // in one transaction. Idempotent. A shared store refuses (code
  // "lease-lost") when this node no longer holds the job's lease.
  virtual Status Complete(int64_t job_id, const JobResult& result,
                          const std::vector<OutboxMessage>& messages, int64_t now_ms) = 0;
  // Complete() and then Claim() in the same transaction (one commit per job
  // for a busy worker). On error neither took effect.
  virtual Result<std::optional<Job>> CompleteAndClaim(int64_t job_id, const JobResult& result,
                                                      const std::vector<OutboxMessage>& messages, int64_t now_ms,
                                                      int64_t lease_ms) = 0;
  // Puts a claimed job back for a retry at `not_before_ms`.
  virtual Status Retry(int64_t job_id, int64_t not_before_ms, const std::string& error) = 0;
  // Marks a job failed without a scan result (download error, bad sha256 ...).
  virtual Status Fail(int64_t job_id, const std::string& error, int64_t now_ms) = 0;
  // Marks a job done without a result (its package was already scanned).
  virtual Status Skip(int64_t job_id, const std::string& note, int64_t now_ms) = 0;

  // Extends the lease of each listed job this node still holds (running,
  // and in a shared store leased to this node) to now + lease_ms: a worker
  // busy with a job longer than part of its lease keeps it, so a slow scan
  // is not taken over by another claimer. Returns how many were extended
  // (a job missing from the count was lost: finished, or taken over).
  virtual Result<int64_t> RenewLeases(const std::vector<int64_t>& job_ids, int64_t now_ms, int64_t lease_ms) = 0;

  // Look-ups. An error (the store unreachable) is an error, never "not
  // found": callers must not read an outage as a new package or request.
  virtual Result<std::optional<Job>> GetJob(int64_t id) = 0;
  virtual Result<std::optional<Job>> FindJobByPath(const std::string& path) = 0;
  // The newest job with this dedup key, in any state.
  virtual Result<std::optional<Job>> FindJobByKey(const std::string& dedup_key) = 0;
  virtual Result<std::optional<JobResult>> GetResult(int64_t job_id) = 0;
  // True when a package with this sha256 was scanned with these versions.
  // A result whose verdict is "error" (the package could not be analysed)
  // counts only when it finished at or after `errors_since_ms`, so callers
  // retry such packages after a back-off instead of on every sweep; the
  // default never counts them.
  virtual Result<bool> HasResult(const std::string& sha256, const std::string& sig, const std::string& reg,
                                 int64_t errors_since_ms = INT64_MAX) = 0;
  // True when a job with this dedup key failed at or after `since_ms`.
  virtual Result<bool> FailedSince(const std::string& dedup_key, int64_t since_ms) = 0;
  virtual Result<Counts> GetCounts() = 0;
  // Whether any job is queued or running, and any message undelivered
  // (pending or in flight): cheap enough to ask often, unlike the counts.
  struct Activity {
    bool jobs = false, undelivered = false;
  };
  virtual Result<Activity> GetActivity() = 0;

  // Outbox. Takes up to `max` messages that are pending, or in flight past
  // their deadline, marks them in flight to `consumer` until now + ack_timeout.
  virtual Result<std::vector<OutboxMessage>> TakeDeliverable(const std::string& consumer, int max,
                                                             int64_t now_ms, int64_t ack_timeout_ms) = 0;
  // Acknowledges messages by id that are in flight to `consumer`; returns how
  // many changed state (others, pending or held by another consumer, are
  // left alone).
  virtual Result<int64_t> Ack(const std::vector<std::string>& ids, const std::string& consumer,
                              int64_t now_ms) = 0;
  // A consumer (re)connected: what it held in flight is pending again.
  virtual Result<int64_t> ReleaseConsumer(const std::string& consumer) = 0;
  // Retention: deletes jobs finished before `before_ms` with their results,
  // and messages acknowledged before it. Returns the jobs deleted. (A swept
  // package whose result is gone is scanned again by a later sweep.)
  virtual Result<int64_t> Purge(int64_t before_ms) = 0;

  // ---- Cluster (a shared store; the SQLite store is a cluster of one).
  // "sqlite" or "postgresql".
  virtual const char* engine() const = 0;
  // True when other processes may share this store: feeds need a poll lease
  // and idle workers are woken by the store (SetWakeCallback).
  virtual bool shared() const { return false; }
  // Takes the right to poll feed `name` now: true when no node polled it in
  // the last `interval_ms` and no other node holds its poll lease; this node
  // then holds it for `lease_ms`. Always true for a store of one node.
  virtual Result<bool> TryFeedPoll(const std::string& /*name*/, int64_t /*now_ms*/, int64_t /*interval_ms*/,
                                   int64_t /*lease_ms*/) {
    return true;
  }
  // Records this node's heartbeat (and identity) in the nodes table.
  virtual Status Heartbeat(const NodeInfo& /*self*/) { return Status::Ok(); }
  // Nodes seen, newest heartbeat first. Empty for a store of one node.
  virtual Result<std::vector<NodeInfo>> ListNodes(int64_t /*now_ms*/) { return std::vector<NodeInfo>(); }
  // Called (on a thread of the store's) when another process queued work or
  // released a message, so idle workers wake at once instead of polling.
  virtual void SetWakeCallback(std::function<void()> /*wake*/) {}
  // Where the store lives, safe to log and show (credentials removed).
  virtual std::string Describe() const = 0;

 protected:
  Store() = default;
};

// Opens the store `options` name: SQLite without a URL, else PostgreSQL.
Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options);

}  // namespace shelfguard::queue

#endif  // SHELFGUARD_SRC_QUEUE_STORE_H_
