// SqliteStore: the one-machine Store, one SQLite database in WAL mode.
// Thread-safe: one connection guarded by a mutex (plus one that only
// checkpoints the WAL, on a thread of its own).
#ifndef SHELFGUARD_SRC_QUEUE_SQLITE_STORE_H_
#define SHELFGUARD_SRC_QUEUE_SQLITE_STORE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "queue/store.h"

struct sqlite3;

namespace shelfguard::queue {

struct StmtCache;
class Stmt;
class Checkpointer;

class SqliteStore final : public Store {
 public:
  ~SqliteStore() override;

  // See Store::Open.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, bool full_sync = false);

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
  const char* engine() const override { return "sqlite"; }
  std::string Describe() const override { return "sqlite:" + path_; }

 private:
  SqliteStore() = default;
  Status Exec(const char* sql);
  Result<int64_t> EnqueueLocked(const JobSpec& spec, int64_t now_ms);
  // One UPDATE statement: `bind` its parameters; the number of rows it
  // changed, or an error naming `what`.
  Result<int64_t> Update(const char* sql, const std::function<void(Stmt&)>& bind, const std::string& what);
  // Runs `body` (returning a Status or Result) in one transaction under the
  // lock: committed when it succeeds, rolled back otherwise; "begin <what>"
  // and "commit <what>" name a failure of the transaction itself.
  template <typename Body>
  auto InTransaction(const std::string& what, const Body& body) -> decltype(body());
  // In one transaction (`what`): `sql` once for each of `items`, `bind`
  // binding one; the rows changed in all. `step_what` names a failed step.
  template <typename Item, typename Bind>
  Result<int64_t> UpdateEach(const std::string& what, const std::string& step_what, const char* sql,
                             const std::vector<Item>& items, const Bind& bind);
  // A one-row query: `bind` its parameters, `read` the row; nullopt when
  // no row, an error when the query failed.
  template <typename Read>
  auto QueryRow(const char* sql, const std::function<void(Stmt&)>& bind, const Read& read)
      -> Result<std::optional<decltype(read(std::declval<Stmt&>()))>>;
  Result<std::optional<Job>> FindNewestJob(const char* column, const std::string& value);
  Result<std::optional<Job>> ClaimLocked(int64_t now_ms, int64_t lease_ms);
  // Fail() and Skip(): the job finished without a result, in `state`.
  Status FinishUnscanned(int64_t job_id, const char* state, const std::string& error, int64_t now_ms);
  Status CompleteLocked(int64_t job_id, const JobResult& result, const std::vector<OutboxMessage>& messages,
                        int64_t now_ms);
  std::string path_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<StmtCache> cache_;  // guarded by mu_
  std::unique_ptr<Checkpointer> checkpointer_;
  std::mutex mu_;
};

}  // namespace shelfguard::queue

#endif  // SHELFGUARD_SRC_QUEUE_SQLITE_STORE_H_
