#include "queue/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "queue/sqlite_checkpointer.h"
#include "queue/sqlite_stmt.h"
#include "queue/store_schema.h"

namespace shelfguard::queue {
namespace {

const char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS jobs(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
)sql" SG_JOB_SPEC_TEXT_COLUMNS R"sql(  expect_size INTEGER NOT NULL DEFAULT 0,
  meta TEXT NOT NULL DEFAULT '',
  owned INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'queued',
  attempts INTEGER NOT NULL DEFAULT 0,
  not_before INTEGER NOT NULL DEFAULT 0,
  lease_until INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL DEFAULT 0,
  finished_ms INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '');
CREATE UNIQUE INDEX IF NOT EXISTS jobs_active_key ON jobs(dedup_key)
  WHERE dedup_key IS NOT NULL AND state IN ('queued', 'running');
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, id);
CREATE INDEX IF NOT EXISTS jobs_running_sha ON jobs(expect_sha256) WHERE state = 'running';
CREATE INDEX IF NOT EXISTS jobs_path ON jobs(path);
CREATE INDEX IF NOT EXISTS jobs_key ON jobs(dedup_key, state);
CREATE TABLE IF NOT EXISTS results(
  job_id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  sig_version TEXT NOT NULL,
  reg_version TEXT NOT NULL,
  verdict TEXT NOT NULL,
  error TEXT NOT NULL,
  report TEXT NOT NULL,
  finished_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS results_key ON results(sha256, sig_version, reg_version);
CREATE TABLE IF NOT EXISTS outbox(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  msg_id TEXT NOT NULL UNIQUE,
  job_id INTEGER NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  consumer TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  deadline_ms INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL DEFAULT 0,
  acked_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox(state, seq);
)sql";

}  // namespace

SqliteStore::~SqliteStore() {
  cache_.reset();  // finalizes the statements
  if (db_ != nullptr) sqlite3_wal_hook(db_, nullptr, nullptr);
  checkpointer_.reset();
  if (db_ != nullptr) sqlite3_close_v2(db_);  // the last connection: checkpoints and removes the WAL
}

Status SqliteStore::Exec(const char* sql) { return sqlite::Exec(db_, sql, "queue database"); }

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, bool full_sync) {
  // Create the file owner-only before SQLite opens it (SQLite would use 0644
  // minus umask); the -wal and -shm files inherit the main file's mode.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError(path + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);
  ::close(fd);
  std::unique_ptr<SqliteStore> s(new SqliteStore());
  s->path_ = path;
  if (sqlite3_open_v2(path.c_str(), &s->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return Status::IoError(path + ": cannot open database: " +
                           (s->db_ ? sqlite3_errmsg(s->db_) : "out of memory"));
  }
  sqlite3_busy_timeout(s->db_, 10000);
  s->cache_ = std::make_unique<StmtCache>(s->db_);
  SG_RETURN_IF_ERROR(s->Exec("PRAGMA journal_mode=WAL"));
  SG_RETURN_IF_ERROR(s->Exec(full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  SG_RETURN_IF_ERROR(s->Exec("PRAGMA foreign_keys=OFF"));
  SG_RETURN_IF_ERROR(s->Exec(kSchema));
  // Databases from before jobs.owned: their jobs own nothing (nothing of
  // theirs is deleted by path any more).
  if (!s->Exec("SELECT owned FROM jobs LIMIT 0").ok()) {
    SG_RETURN_IF_ERROR(s->Exec("ALTER TABLE jobs ADD COLUMN owned INTEGER NOT NULL DEFAULT 0"));
  }
  s->checkpointer_ = Checkpointer::Start(path);
  if (s->checkpointer_ != nullptr) {
    sqlite3_wal_hook(s->db_, &Checkpointer::OnCommit, s->checkpointer_.get());  // replaces the automatic checkpoint
  }
  return s;
}

Result<int64_t> SqliteStore::EnqueueLocked(const JobSpec& spec, int64_t now_ms) {
  Stmt st(*cache_,
          "INSERT OR IGNORE INTO jobs(source, dedup_key, name, path, url, expect_sha256, "
          "expect_size, meta, created_ms, owned) VALUES(?,?,?,?,?,?,?,?,?,?)");
  if (!st.ok()) return DbError(db_, "prepare enqueue");
  st.Bind(1, spec.source);
  if (spec.dedup_key.empty()) {
    st.BindNull(2);
  } else {
    st.Bind(2, spec.dedup_key);
  }
  st.Bind(3, spec.name).Bind(4, spec.path).Bind(5, spec.url).Bind(6, spec.expect_sha256);
  st.Bind(7, static_cast<int64_t>(spec.expect_size)).Bind(8, spec.meta).Bind(9, now_ms);
  st.Bind(10, int64_t{spec.owned ? 1 : 0});
  if (st.Step() != SQLITE_DONE) return DbError(db_, "enqueue");
  if (sqlite3_changes(db_) == 0) return int64_t{0};
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db_));
}

template <typename Body>
auto SqliteStore::InTransaction(const std::string& what, const Body& body) -> decltype(body()) {
  std::lock_guard<std::mutex> lock(mu_);
  Txn txn(*cache_);
  if (!txn.ok()) return DbError(db_, "begin " + what);
  auto out = body();
  if (out.ok() && !txn.Commit()) return DbError(db_, "commit " + what);
  return out;  // an error: ~Txn rolls back
}

template <typename Item, typename Bind>
Result<int64_t> SqliteStore::UpdateEach(const std::string& what, const std::string& step_what, const char* sql,
                                        const std::vector<Item>& items, const Bind& bind) {
  return InTransaction(what, [&]() -> Result<int64_t> {
    Stmt up(*cache_, sql);
    int64_t n = 0;
    for (const Item& item : items) {
      up.Reset();
      bind(up, item);
      if (up.Step() != SQLITE_DONE) return DbError(db_, step_what);
      n += sqlite3_changes(db_);
    }
    return n;
  });
}

Result<int64_t> SqliteStore::Enqueue(const JobSpec& spec, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return EnqueueLocked(spec, now_ms);
}

Result<std::vector<int64_t>> SqliteStore::EnqueueAll(const std::vector<JobSpec>& specs, int64_t now_ms) {
  return InTransaction("enqueue", [&]() -> Result<std::vector<int64_t>> {
    std::vector<int64_t> ids;
    ids.reserve(specs.size());
    for (const auto& spec : specs) {
      auto id = EnqueueLocked(spec, now_ms);
      if (!id.ok()) return id.status();
      ids.push_back(*id);
    }
    return ids;
  });
}

Result<std::optional<Job>> SqliteStore::ClaimLocked(int64_t now_ms, int64_t lease_ms) {
  // The oldest job that is queued and due, or running past its lease. Two
  // queries, each an index range on jobs_state(state, id): one query with
  // OR made SQLite walk every job by id, finished ones included, so each
  // claim cost grew with the history (quadratic over a sweep).
  std::optional<Job> best;
  // A package another job is scanning now waits for that one (see Claim).
  static const char kNotBeingScanned[] =
      " AND (expect_sha256 = '' OR NOT EXISTS(SELECT 1 FROM jobs r WHERE r.state = 'running' AND "
      "r.expect_sha256 = jobs.expect_sha256 AND r.id <> jobs.id))";
  for (const char* cond : {"state = 'queued' AND not_before <= ?1",
                           "state = 'running' AND lease_until < ?1"}) {
    std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE " + cond + kNotBeingScanned +
                      " ORDER BY id LIMIT 1";
    Stmt sel(*cache_, sql.c_str());
    if (!sel.ok()) return DbError(db_, "prepare claim");
    sel.Bind(1, now_ms);
    int rc = sel.Step();
    if (rc == SQLITE_DONE) continue;
    if (rc != SQLITE_ROW) return DbError(db_, "claim");
    Job j = ReadJob(sel);
    if (!best || j.id < best->id) best = std::move(j);
  }
  if (!best) return std::optional<Job>();
  Job job = std::move(*best);
  Stmt up(*cache_,
          "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = ? "
          "WHERE id = ?");
  up.Bind(1, now_ms + lease_ms).Bind(2, job.id);
  if (up.Step() != SQLITE_DONE) return DbError(db_, "claim update");
  job.state = "running";
  job.attempts += 1;
  return std::optional<Job>(std::move(job));
}

Result<std::optional<Job>> SqliteStore::EnqueueClaimed(const JobSpec& spec, int64_t now_ms, int64_t lease_ms) {
  return InTransaction("enqueue", [&]() -> Result<std::optional<Job>> {
    auto id = EnqueueLocked(spec, now_ms);
    if (!id.ok()) return id.status();
    if (*id == 0) return std::optional<Job>();  // a duplicate: nothing written
    Stmt up(*cache_, "UPDATE jobs SET state = 'running', attempts = 1, lease_until = ? WHERE id = ?");
    up.Bind(1, now_ms + lease_ms).Bind(2, *id);
    if (up.Step() != SQLITE_DONE) return DbError(db_, "claim update");
    Job job;
    job.id = *id;
    job.spec = spec;
    job.state = "running";
    job.attempts = 1;
    return std::optional<Job>(std::move(job));
  });
}

Result<std::optional<Job>> SqliteStore::Claim(int64_t now_ms, int64_t lease_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Txn txn(*cache_);
  if (!txn.ok()) return DbError(db_, "begin claim");
  auto job = ClaimLocked(now_ms, lease_ms);
  if (!job.ok()) return job.status();
  if (job->has_value() && !txn.Commit()) return DbError(db_, "commit claim");
  return job;
}

Result<int64_t> SqliteStore::Update(const char* sql, const std::function<void(Stmt&)>& bind,
                                    const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(*cache_, sql);
  bind(st);
  if (st.Step() != SQLITE_DONE) return DbError(db_, what);
  return static_cast<int64_t>(sqlite3_changes(db_));
}

Status SqliteStore::Release(int64_t job_id) {
  return Update(
             "UPDATE jobs SET state = 'queued', attempts = MAX(attempts - 1, 0), lease_until = 0 "
             "WHERE id = ? AND state = 'running'",
             [&](Stmt& st) { st.Bind(1, job_id); }, "release")
      .status();
}

Result<int64_t> SqliteStore::RecoverRunning() {
  return Update("UPDATE jobs SET state = 'queued', lease_until = 0 WHERE state = 'running'", [](Stmt&) {},
                "recover");
}

Status SqliteStore::CompleteLocked(int64_t job_id, const JobResult& r, const std::vector<OutboxMessage>& messages,
                             int64_t now_ms) {
  Stmt res(*cache_,
           "INSERT OR IGNORE INTO results(job_id, sha256, size, sig_version, reg_version, "
           "verdict, error, report, finished_ms) VALUES(?,?,?,?,?,?,?,?,?)");
  res.Bind(1, job_id).Bind(2, r.sha256).Bind(3, static_cast<int64_t>(r.size));
  res.Bind(4, r.signatures_version).Bind(5, r.registry_version).Bind(6, r.verdict);
  res.Bind(7, r.error).Bind(8, r.report).Bind(9, now_ms);
  if (res.Step() != SQLITE_DONE) return DbError(db_, "insert result");
  Stmt out(*cache_,
           "INSERT OR IGNORE INTO outbox(msg_id, job_id, payload, created_ms) VALUES(?,?,?,?)");
  for (const auto& m : messages) {
    out.Reset();
    out.Bind(1, m.id).Bind(2, job_id).Bind(3, m.payload).Bind(4, now_ms);
    if (out.Step() != SQLITE_DONE) return DbError(db_, "insert outbox");
  }
  Stmt up(*cache_,
          "UPDATE jobs SET state = 'done', finished_ms = ?, error = ?, lease_until = 0 "
          "WHERE id = ?");
  up.Bind(1, now_ms).Bind(2, r.error).Bind(3, job_id);
  if (up.Step() != SQLITE_DONE) return DbError(db_, "finish job");
  return Status::Ok();
}

Status SqliteStore::Complete(int64_t job_id, const JobResult& r,
                       const std::vector<OutboxMessage>& messages, int64_t now_ms) {
  return InTransaction("complete", [&] { return CompleteLocked(job_id, r, messages, now_ms); });
}

Result<std::optional<Job>> SqliteStore::CompleteAndClaim(int64_t job_id, const JobResult& r,
                                                   const std::vector<OutboxMessage>& messages, int64_t now_ms,
                                                   int64_t lease_ms) {
  return InTransaction("complete", [&]() -> Result<std::optional<Job>> {
    SG_RETURN_IF_ERROR(CompleteLocked(job_id, r, messages, now_ms));
    return ClaimLocked(now_ms, lease_ms);
  });
}

Status SqliteStore::Retry(int64_t job_id, int64_t not_before_ms, const std::string& error) {
  return Update(
             "UPDATE jobs SET state = 'queued', not_before = ?, error = ?, lease_until = 0 "
             "WHERE id = ? AND state = 'running'",
             [&](Stmt& st) { st.Bind(1, not_before_ms).Bind(2, error).Bind(3, job_id); }, "retry")
      .status();
}

Status SqliteStore::FinishUnscanned(int64_t job_id, const char* state, const std::string& error, int64_t now_ms) {
  return Update(
             "UPDATE jobs SET state = ?, error = ?, finished_ms = ?, lease_until = 0 WHERE id = ?",
             [&](Stmt& st) { st.Bind(1, std::string(state)).Bind(2, error).Bind(3, now_ms).Bind(4, job_id); },
             std::string("mark job ") + state)
      .status();
}

Status SqliteStore::Fail(int64_t job_id, const std::string& error, int64_t now_ms) {
  return FinishUnscanned(job_id, "failed", error, now_ms);
}

Status SqliteStore::Skip(int64_t job_id, const std::string& note, int64_t now_ms) {
  return FinishUnscanned(job_id, "done", note, now_ms);
}

Result<int64_t> SqliteStore::RenewLeases(const std::vector<int64_t>& job_ids, int64_t now_ms, int64_t lease_ms) {
  return UpdateEach("renew", "renew lease", "UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'running'",
                    job_ids, [&](Stmt& up, int64_t id) { up.Bind(1, now_ms + lease_ms).Bind(2, id); });
}

// Runs a one-row query; nullopt when it found no row, an error when it failed.
template <typename Read>
auto SqliteStore::QueryRow(const char* sql, const std::function<void(Stmt&)>& bind, const Read& read)
    -> Result<std::optional<decltype(read(std::declval<Stmt&>()))>> {
  using T = decltype(read(std::declval<Stmt&>()));
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(*cache_, sql);
  if (!st.ok()) return DbError(db_, "prepare query");
  bind(st);
  int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<T>();
  if (rc != SQLITE_ROW) return DbError(db_, "query");
  return std::optional<T>(read(st));
}

Result<std::optional<Job>> SqliteStore::GetJob(int64_t id) {
  static const std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?";
  return QueryRow(sql.c_str(), [&](Stmt& st) { st.Bind(1, id); }, ReadJob);
}

Result<std::optional<Job>> SqliteStore::FindNewestJob(const char* column, const std::string& value) {
  std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE " + column +
                    " = ? ORDER BY id DESC LIMIT 1";
  return QueryRow(sql.c_str(), [&](Stmt& st) { st.Bind(1, value); }, ReadJob);
}

Result<std::optional<Job>> SqliteStore::FindJobByPath(const std::string& path) { return FindNewestJob("path", path); }

Result<std::optional<Job>> SqliteStore::FindJobByKey(const std::string& dedup_key) {
  return FindNewestJob("dedup_key", dedup_key);
}

Result<std::optional<JobResult>> SqliteStore::GetResult(int64_t job_id) {
  return QueryRow(
      (std::string("SELECT ") + kResultColumns + " FROM results WHERE job_id = ?").c_str(),
      [&](Stmt& st) { st.Bind(1, job_id); }, ReadResult);
}

Result<bool> SqliteStore::HasResult(const std::string& sha256, const std::string& sig, const std::string& reg,
                                    int64_t errors_since_ms) {
  auto row = QueryRow(
      "SELECT 1 FROM results WHERE sha256 = ? AND sig_version = ? AND reg_version = ? "
      "AND (verdict != 'error' OR finished_ms >= ?) LIMIT 1",
      [&](Stmt& st) { st.Bind(1, sha256).Bind(2, sig).Bind(3, reg).Bind(4, errors_since_ms); },
      [](Stmt&) { return true; });
  if (!row.ok()) return row.status();
  return row->has_value();
}

Result<bool> SqliteStore::FailedSince(const std::string& dedup_key, int64_t since_ms) {
  auto row = QueryRow("SELECT 1 FROM jobs WHERE dedup_key = ? AND state = 'failed' AND finished_ms >= ? LIMIT 1",
                      [&](Stmt& st) { st.Bind(1, dedup_key).Bind(2, since_ms); }, [](Stmt&) { return true; });
  if (!row.ok()) return row.status();
  return row->has_value();
}

Result<Store::Activity> SqliteStore::GetActivity() {
  // Index probes on (state, ...): constant time however long the history.
  auto row = QueryRow(
      "SELECT EXISTS(SELECT 1 FROM jobs WHERE state = 'queued') OR "
      "EXISTS(SELECT 1 FROM jobs WHERE state = 'running'), "
      "EXISTS(SELECT 1 FROM outbox WHERE state = 'pending') OR "
      "EXISTS(SELECT 1 FROM outbox WHERE state = 'inflight')",
      [](Stmt&) {}, [](Stmt& st) { return Activity{st.Int(0) != 0, st.Int(1) != 0}; });
  if (!row.ok()) return row.status();
  return row->value_or(Activity());
}

Result<Counts> SqliteStore::GetCounts() {
  std::lock_guard<std::mutex> lock(mu_);
  Counts c;
  for (const char* sql : {"SELECT 'jobs', state, COUNT(*) FROM jobs GROUP BY state",
                          "SELECT 'outbox', state, COUNT(*) FROM outbox GROUP BY state",
                          "SELECT 'results', '', COUNT(*) FROM results"}) {
    Stmt st(*cache_, sql);
    int rc;
    while ((rc = st.Step()) == SQLITE_ROW) AddCount(st.Text(0), st.Text(1), st.Int(2), &c);
    if (rc != SQLITE_DONE) return DbError(db_, "count");
  }
  return c;
}

Result<std::vector<OutboxMessage>> SqliteStore::TakeDeliverable(const std::string& consumer, int max,
                                                          int64_t now_ms,
                                                          int64_t ack_timeout_ms) {
  if (max <= 0) return std::vector<OutboxMessage>();
  return InTransaction("take", [&]() -> Result<std::vector<OutboxMessage>> {
    std::vector<OutboxMessage> msgs;
    Stmt sel(*cache_,
             "SELECT seq, msg_id, payload, attempts FROM outbox WHERE state = 'pending' OR "
             "(state = 'inflight' AND deadline_ms < ?) ORDER BY seq LIMIT ?");
    sel.Bind(1, now_ms).Bind(2, static_cast<int64_t>(max));
    std::vector<int64_t> seqs;
    int rc;
    while ((rc = sel.Step()) == SQLITE_ROW) {
      seqs.push_back(sel.Int(0));
      msgs.push_back({sel.Text(1), sel.Text(2), static_cast<int>(sel.Int(3)) + 1});
    }
    if (rc != SQLITE_DONE) return DbError(db_, "take");
    Stmt up(*cache_,
            "UPDATE outbox SET state = 'inflight', consumer = ?, deadline_ms = ?, "
            "attempts = attempts + 1 WHERE seq = ?");
    for (int64_t seq : seqs) {
      up.Reset();
      up.Bind(1, consumer).Bind(2, now_ms + ack_timeout_ms).Bind(3, seq);
      if (up.Step() != SQLITE_DONE) return DbError(db_, "mark in flight");
    }
    return msgs;
  });
}

Result<int64_t> SqliteStore::Ack(const std::vector<std::string>& ids, const std::string& consumer, int64_t now_ms) {
  return UpdateEach("ack", "ack",
                    "UPDATE outbox SET state = 'acked', acked_ms = ? WHERE msg_id = ? AND state = 'inflight' AND "
                    "consumer = ?",
                    ids, [&](Stmt& up, const std::string& id) { up.Bind(1, now_ms).Bind(2, id).Bind(3, consumer); });
}

Result<int64_t> SqliteStore::Purge(int64_t before_ms) {
  return InTransaction("purge", [&]() -> Result<int64_t> {
    Stmt res(*cache_,
             "DELETE FROM results WHERE job_id IN (SELECT id FROM jobs WHERE state IN ('done', 'failed') AND "
             "finished_ms > 0 AND finished_ms < ?)");
    res.Bind(1, before_ms);
    if (res.Step() != SQLITE_DONE) return DbError(db_, "purge results");
    Stmt jobs(*cache_, "DELETE FROM jobs WHERE state IN ('done', 'failed') AND finished_ms > 0 AND finished_ms < ?");
    jobs.Bind(1, before_ms);
    if (jobs.Step() != SQLITE_DONE) return DbError(db_, "purge jobs");
    int64_t n = sqlite3_changes(db_);
    Stmt out(*cache_, "DELETE FROM outbox WHERE state = 'acked' AND acked_ms < ?");
    out.Bind(1, before_ms);
    if (out.Step() != SQLITE_DONE) return DbError(db_, "purge outbox");
    return n;
  });
}

Result<int64_t> SqliteStore::ReleaseConsumer(const std::string& consumer) {
  return Update("UPDATE outbox SET state = 'pending', deadline_ms = 0 WHERE state = 'inflight' AND consumer = ?",
                [&](Stmt& st) { st.Bind(1, consumer); }, "release");
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, bool full_sync) {
  auto s = SqliteStore::Open(path, full_sync);
  if (!s.ok()) return s.status();
  return std::unique_ptr<Store>(std::move(s).value());
}

}  // namespace shelfguard::queue
