// PgStore: the Store shared by many shelfguardd nodes, in one PostgreSQL
// database (libpq). The same tables as SqliteStore plus what a cluster
// needs:
//   * jobs carry a lease owner (the node id): claims take the oldest
//     runnable row with FOR UPDATE SKIP LOCKED, so concurrent claimers on
//     any node never wait for each other or take the same job, and only the
//     owner of a live lease can complete, retry, fail or release a job;
//   * results remember the node that stored them (per-node throughput);
//   * outbox rows are leased per message to "<node>/<consumer>", so any
//     node's delivery socket serves every message and an unacknowledged
//     one is taken again by whichever node after its deadline;
//   * feeds: a poll lease per feed, so one node polls each feed at a time;
//   * nodes: heartbeat rows for `shelfguard status`;
//   * schema_version: the daemon creates and migrates the schema itself and
//     refuses a database made by a newer shelfguardd.
// Connections come from a small pool; a broken one is re-established with
// exponential back-off, and until then operations return io-error (the
// daemon retries them). A listener connection waits for NOTIFY and calls the
// wake callback, so idle workers do not poll.
#ifndef SHELFGUARD_SRC_QUEUE_PG_STORE_H_
#define SHELFGUARD_SRC_QUEUE_PG_STORE_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "queue/store.h"

namespace shelfguard::queue {

namespace pg {
class Res;
}  // namespace pg

// The schema version this binary creates and understands.
inline constexpr int kPgSchemaVersion = 2;

// `url` with any password (URL userinfo or conninfo password=...) replaced
// by "***": safe to log and show.
std::string RedactStoreUrl(const std::string& url);
// True when `url` names PostgreSQL (postgresql:// or postgres:// URL, or a
// key=value conninfo string).
bool IsPostgresUrl(const std::string& url);

class PgStore final : public Store {
 public:
  ~PgStore() override;

  // Connects, creates or migrates the schema. `options.node_id` must be set.
  static Result<std::unique_ptr<PgStore>> Open(const StoreOptions& options);

  Result<int64_t> Enqueue(const JobSpec& spec, int64_t now_ms) override;
  Result<std::vector<int64_t>> EnqueueAll(const std::vector<JobSpec>& specs, int64_t now_ms) override;
  Result<std::optional<Job>> EnqueueClaimed(const JobSpec& spec, int64_t now_ms, int64_t lease_ms) override;
  Result<std::optional<Job>> Claim(int64_t now_ms, int64_t lease_ms) override;
  Status Release(int64_t job_id) override;
  Result<int64_t> RecoverRunning() override;
  Status Complete(int64_t job_id, const JobResult& result, const std::vector<OutboxMessage>& messages,
                  int64_t now_ms) override;
  Result<std::optional<Job>> CompleteAndClaim(int64_t job_id, const JobResult& result,
                                              const std::vector<OutboxMessage>& messages, int64_t now_ms,
                                              int64_t lease_ms) override;
  Status Retry(int64_t job_id, int64_t not_before_ms, const std::string& error) override;
  Status Fail(int64_t job_id, const std::string& error, int64_t now_ms) override;
  Status Skip(int64_t job_id, const std::string& note, int64_t now_ms) override;
  Result<int64_t> RenewLeases(const std::vector<int64_t>& job_ids, int64_t now_ms, int64_t lease_ms) override;
  Result<std::optional<Job>> GetJob(int64_t id) override;
  Result<std::optional<Job>> FindJobByPath(const std::string& path) override;
  Result<std::optional<Job>> FindJobByKey(const std::string& dedup_key) override;
  Result<std::optional<JobResult>> GetResult(int64_t job_id) override;
  Result<bool> HasResult(const std::string& sha256, const std::string& sig, const std::string& reg,
                         int64_t errors_since_ms = INT64_MAX) override;
  Result<bool> FailedSince(const std::string& dedup_key, int64_t since_ms) override;
  Result<Counts> GetCounts() override;
  Result<Activity> GetActivity() override;
  Result<std::vector<OutboxMessage>> TakeDeliverable(const std::string& consumer, int max, int64_t now_ms,
                                                     int64_t ack_timeout_ms) override;
  Result<int64_t> Ack(const std::vector<std::string>& ids, const std::string& consumer, int64_t now_ms) override;
  Result<int64_t> ReleaseConsumer(const std::string& consumer) override;
  Result<int64_t> Purge(int64_t before_ms) override;

  const char* engine() const override { return "postgresql"; }
  bool shared() const override { return true; }
  Result<bool> TryFeedPoll(const std::string& name, int64_t now_ms, int64_t interval_ms, int64_t lease_ms) override;
  Status Heartbeat(const NodeInfo& self) override;
  Result<std::vector<NodeInfo>> ListNodes(int64_t now_ms) override;
  void SetWakeCallback(std::function<void()> wake) override;
  std::string Describe() const override { return RedactStoreUrl(url_); }

  const std::string& node_id() const { return node_id_; }

  class Conn;
  class Session;

 private:
  PgStore() = default;
  Result<Session> Acquire();
  void Return(std::unique_ptr<Conn> c);
  Result<std::optional<Job>> ClaimIn(Session& s, int64_t now_ms, int64_t lease_ms);
  Status CompleteIn(Session& s, int64_t job_id, const JobResult& r, const std::vector<OutboxMessage>& messages,
                    int64_t now_ms);
  Result<std::optional<Job>> FindNewestJob(const char* stmt, const std::string& value);
  // One statement on a pooled connection, outside any transaction.
  Result<pg::Res> RunAlone(const char* name, const char* sql, const std::vector<std::optional<std::string>>& params);
  void ListenLoop();

  std::string url_, node_id_;
  size_t pool_size_ = 4;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;  // guarded by mu_
  size_t open_ = 0;                           // connections existing (idle or lent), guarded by mu_
  int64_t next_connect_ms_ = 0;               // back-off: no new connection before, guarded by mu_
  int64_t backoff_ms_ = 0;                    // guarded by mu_
  std::string last_connect_error_;            // guarded by mu_

  std::mutex wake_mu_;
  std::function<void()> wake_;  // guarded by wake_mu_
  std::thread listener_;
  std::atomic<bool> stop_{false};
  int stop_pipe_[2] = {-1, -1};
};

}  // namespace shelfguard::queue

#endif  // SHELFGUARD_SRC_QUEUE_PG_STORE_H_
