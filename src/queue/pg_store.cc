#include "queue/pg_store.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <chrono>
#include <cstring>
#include <set>

namespace shelfguard::queue {
namespace {

using Params = std::vector<std::optional<std::string>>;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string S(int64_t v) { return std::to_string(v); }

// Version 1. Times are ms since the epoch as the daemon's clock gives them,
// like the SQLite store. Partial indexes keep the claim and outbox scans
// proportional to the work waiting, not to the history.
const char kSchemaV1[] = R"sql(
CREATE TABLE jobs(
  id BIGSERIAL PRIMARY KEY,
  source TEXT NOT NULL,
  dedup_key TEXT,
  name TEXT NOT NULL,
  path TEXT NOT NULL DEFAULT '',
  url TEXT NOT NULL DEFAULT '',
  expect_sha256 TEXT NOT NULL DEFAULT '',
  expect_size BIGINT NOT NULL DEFAULT 0,
  meta TEXT NOT NULL DEFAULT '',
  owned INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'queued',
  attempts INTEGER NOT NULL DEFAULT 0,
  not_before BIGINT NOT NULL DEFAULT 0,
  lease_until BIGINT NOT NULL DEFAULT 0,
  lease_owner TEXT NOT NULL DEFAULT '',
  home_node TEXT NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL DEFAULT 0,
  finished_ms BIGINT NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '');
CREATE UNIQUE INDEX jobs_active_key ON jobs(dedup_key)
  WHERE dedup_key IS NOT NULL AND state IN ('queued', 'running');
CREATE INDEX jobs_queued ON jobs(id) WHERE state = 'queued';
CREATE INDEX jobs_running ON jobs(lease_until) WHERE state = 'running';
CREATE INDEX jobs_state ON jobs(state, finished_ms);
CREATE INDEX jobs_path ON jobs(path);
CREATE INDEX jobs_key ON jobs(dedup_key, state);
CREATE TABLE results(
  job_id BIGINT PRIMARY KEY,
  sha256 TEXT NOT NULL,
  size BIGINT NOT NULL,
  sig_version TEXT NOT NULL,
  reg_version TEXT NOT NULL,
  verdict TEXT NOT NULL,
  error TEXT NOT NULL,
  report TEXT NOT NULL,
  finished_ms BIGINT NOT NULL,
  node TEXT NOT NULL DEFAULT '');
CREATE INDEX results_key ON results(sha256, sig_version, reg_version);
CREATE INDEX results_node ON results(node, finished_ms);
CREATE TABLE outbox(
  seq BIGSERIAL PRIMARY KEY,
  msg_id TEXT NOT NULL UNIQUE,
  job_id BIGINT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  consumer TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  deadline_ms BIGINT NOT NULL DEFAULT 0,
  created_ms BIGINT NOT NULL DEFAULT 0,
  acked_ms BIGINT NOT NULL DEFAULT 0);
CREATE INDEX outbox_pending ON outbox(seq) WHERE state = 'pending';
CREATE INDEX outbox_inflight ON outbox(deadline_ms) WHERE state = 'inflight';
CREATE INDEX outbox_acked ON outbox(acked_ms) WHERE state = 'acked';
CREATE TABLE feeds(
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  lease_until BIGINT NOT NULL,
  last_poll_ms BIGINT NOT NULL);
CREATE TABLE nodes(
  node_id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid BIGINT NOT NULL,
  started_ms BIGINT NOT NULL,
  heartbeat_ms BIGINT NOT NULL,
  workers BIGINT NOT NULL);
)sql";

// Serialises schema creation among nodes starting at once (CREATE TABLE IF
// NOT EXISTS races on the catalog otherwise). Any constant unique to us.
const char kSchemaLockKey[] = "7310612840516";
const char kChannel[] = "shelfguard_wake";

const char kJobColumns[] =
    "id, source, COALESCE(dedup_key, ''), name, path, url, expect_sha256, expect_size, meta, "
    "state, attempts, error, owned";

}  // namespace

// One libpq connection and the statements prepared on it.
class PgStore::Conn {
 public:
  ~Conn() {
    if (pg != nullptr) PQfinish(pg);
  }
  bool broken() const { return pg == nullptr || PQstatus(pg) != CONNECTION_OK; }
  PGconn* pg = nullptr;
  std::set<std::string> prepared;
};

namespace {

class Res {
 public:
  explicit Res(PGresult* r) : r_(r) {}
  Res(Res&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Res& operator=(Res&&) = delete;
  ~Res() {
    if (r_ != nullptr) PQclear(r_);
  }
  bool ok() const { return r_ != nullptr; }
  PGresult* raw() const { return r_; }
  int rows() const { return r_ != nullptr ? PQntuples(r_) : 0; }
  std::string Text(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
  }
  int64_t Int(int row, int col) const { return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10); }
  int64_t Affected() const { return std::strtoll(PQcmdTuples(r_), nullptr, 10); }

 private:
  PGresult* r_;
};

Job ReadJob(const Res& r, int row) {
  Job j;
  j.id = r.Int(row, 0);
  j.spec.source = r.Text(row, 1);
  j.spec.dedup_key = r.Text(row, 2);
  j.spec.name = r.Text(row, 3);
  j.spec.path = r.Text(row, 4);
  j.spec.url = r.Text(row, 5);
  j.spec.expect_sha256 = r.Text(row, 6);
  j.spec.expect_size = static_cast<uint64_t>(r.Int(row, 7));
  j.spec.meta = r.Text(row, 8);
  j.state = r.Text(row, 9);
  j.attempts = static_cast<int>(r.Int(row, 10));
  j.error = r.Text(row, 11);
  j.spec.owned = r.Int(row, 12) != 0;
  return j;
}

std::string OneLine(const char* msg) {
  std::string s = msg != nullptr ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  // libpq's messages span lines ("...\n\tIs the server running..."): one line.
  std::string out;
  for (char ch : s) {
    if (ch == '\n' || ch == '\t') ch = ' ';
    if (ch == ' ' && !out.empty() && out.back() == ' ') continue;
    out += ch;
  }
  return out;
}

// Connects with a bounded wait; the URL's own connect_timeout wins.
PGconn* Connect(const std::string& url) {
  bool has_timeout = url.find("connect_timeout") != std::string::npos;
  const char* keys[] = {"dbname", "application_name", has_timeout ? nullptr : "connect_timeout", nullptr};
  const char* vals[] = {url.c_str(), "shelfguardd", "5", nullptr};
  PGconn* pg = PQconnectdbParams(keys, vals, 1);
  // The server's NOTICEs ("relation ... already exists, skipping") would go
  // to stderr, outside the daemon's JSON log; they carry nothing to act on.
  if (pg != nullptr) PQsetNoticeProcessor(pg, [](void*, const char*) {}, nullptr);
  return pg;
}

}  // namespace

// A connection lent by the pool, returned when this goes out of scope.
class PgStore::Session {
 public:
  Session(PgStore* store, std::unique_ptr<Conn> c) : store_(store), c_(std::move(c)) {}
  Session(Session&& o) noexcept : store_(o.store_), c_(std::move(o.c_)), in_txn_(o.in_txn_) { o.in_txn_ = false; }
  Session& operator=(Session&&) = delete;
  ~Session() {
    if (c_ == nullptr) return;
    if (in_txn_ && !c_->broken()) PQclear(PQexec(c_->pg, "ROLLBACK"));
    store_->Return(std::move(c_));
  }

  // Runs a statement prepared once per connection under `name`.
  Result<Res> Run(const char* name, const char* sql, const Params& params) {
    if (c_->prepared.count(name) == 0) {
      Res p(PQprepare(c_->pg, name, sql, static_cast<int>(params.size()), nullptr));
      SG_RETURN_IF_ERROR(Check(p, name));
      c_->prepared.insert(name);
    }
    std::vector<const char*> vals;
    vals.reserve(params.size());
    for (const auto& p : params) vals.push_back(p ? p->c_str() : nullptr);
    Res r(PQexecPrepared(c_->pg, name, static_cast<int>(vals.size()), vals.data(), nullptr, nullptr, 0));
    SG_RETURN_IF_ERROR(Check(r, name));
    return r;
  }
  Status Exec(const char* sql) {
    Res r(PQexec(c_->pg, sql));
    return Check(r, sql);
  }
  Status Begin() {
    SG_RETURN_IF_ERROR(Exec("BEGIN"));
    in_txn_ = true;
    return Status::Ok();
  }
  Status Commit() {
    Status st = Exec("COMMIT");
    in_txn_ = false;
    return st;
  }

 private:
  Status Check(const Res& r, const char* what) {
    // A Res built from a null result (out of memory, connection lost).
    ExecStatusType t = r.ok() ? PQresultStatus(r.raw()) : PGRES_FATAL_ERROR;
    if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) return Status::Ok();
    std::string msg = OneLine(r.ok() ? PQresultErrorMessage(r.raw()) : PQerrorMessage(c_->pg));
    if (msg.empty()) msg = OneLine(PQerrorMessage(c_->pg));
    return Status::IoError(std::string("PostgreSQL store: ") + what + ": " + msg);
  }
  PgStore* store_;
  std::unique_ptr<Conn> c_;
  bool in_txn_ = false;
};


// ---------------------------------------------------------------- URLs

bool IsPostgresUrl(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0 ||
         (url.find('=') != std::string::npos && url.find("://") == std::string::npos);
}

std::string RedactStoreUrl(const std::string& url) {
  std::string out = url;
  // URL userinfo: scheme://user:password@host
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t start = scheme + 3;
    size_t end = out.find_first_of("/?", start);
    if (end == std::string::npos) end = out.size();
    size_t at = out.rfind('@', end == 0 ? 0 : end - 1);
    if (at != std::string::npos && at >= start && at < end) {
      size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=VALUE in a conninfo string or a URL's query (quoted values too).
  std::string lower = out;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  size_t pos = 0;
  while ((pos = lower.find("password", pos)) != std::string::npos) {
    size_t v = pos + 8;
    while (v < out.size() && out[v] == ' ') ++v;
    if (v >= out.size() || out[v] != '=') {
      pos = v;
      continue;
    }
    ++v;
    while (v < out.size() && out[v] == ' ') ++v;
    size_t e = v;
    if (e < out.size() && out[e] == '\'') {
      ++e;
      while (e < out.size() && out[e] != '\'') e += (out[e] == '\\' && e + 1 < out.size()) ? 2 : 1;
      if (e < out.size()) ++e;
    } else {
      while (e < out.size() && out[e] != ' ' && out[e] != '&') ++e;
    }
    out.replace(v, e - v, "***");
    lower.replace(v, e - v, "***");
    pos = v + 3;
  }
  return out;
}

// ---------------------------------------------------------------- pool

Result<std::unique_ptr<PgStore>> PgStore::Open(const StoreOptions& o) {
  if (!IsPostgresUrl(o.url)) {
    return Status::Invalid("store.url: '" + RedactStoreUrl(o.url) +
                           "' is neither a postgresql:// URL nor a libpq key=value string");
  }
  if (o.node_id.empty()) return Status::Invalid("store: a node id is required for a shared store");
  std::unique_ptr<PgStore> st(new PgStore());
  st->url_ = o.url;
  st->node_id_ = o.node_id;
  st->pool_size_ = static_cast<size_t>(std::clamp(o.pool_size, 1, 256));
  {
    auto s = st->Acquire();
    if (!s.ok()) return s.status();
    SG_RETURN_IF_ERROR(s->Begin());
    SG_RETURN_IF_ERROR(s->Exec((std::string("SELECT pg_advisory_xact_lock(") + kSchemaLockKey + ")").c_str()));
    SG_RETURN_IF_ERROR(s->Exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)"));
    auto v = s->Run("schema_version", "SELECT COALESCE(MAX(version), 0) FROM schema_version", {});
    if (!v.ok()) return v.status();
    int64_t have = v->Int(0, 0);
    if (have > kPgSchemaVersion) {
      return Status::Unsupported("store " + st->Describe() + ": the database schema is version " + S(have) +
                                 ", newer than this shelfguardd understands (" + S(kPgSchemaVersion) +
                                 "); upgrade shelfguardd on this node");
    }
    if (have < 1) {
      SG_RETURN_IF_ERROR(s->Exec(kSchemaV1));
      SG_RETURN_IF_ERROR(s->Exec("DELETE FROM schema_version"));
      SG_RETURN_IF_ERROR(s->Exec("INSERT INTO schema_version(version) VALUES(1)"));
    }
    // Later versions migrate here, one step at a time, in this transaction.
    SG_RETURN_IF_ERROR(s->Commit());
  }
  if (::pipe2(st->stop_pipe_, O_CLOEXEC) == 0) {
    st->listener_ = std::thread([p = st.get()] { p->ListenLoop(); });
  }
  return st;
}

PgStore::~PgStore() {
  stop_.store(true);
  if (stop_pipe_[1] >= 0) {
    char b = 1;
    (void)!::write(stop_pipe_[1], &b, 1);
  }
  if (listener_.joinable()) listener_.join();
  for (int fd : stop_pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

Result<PgStore::Session> PgStore::Acquire() {
  std::unique_lock<std::mutex> l(mu_);
  auto give_up_at = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    while (!idle_.empty()) {
      std::unique_ptr<Conn> c = std::move(idle_.back());
      idle_.pop_back();
      if (!c->broken()) return Session(this, std::move(c));
      open_--;  // lost (server restarted): dropped, a new one is made below
    }
    if (open_ < pool_size_) {
      int64_t now = SteadyMs();
      if (now < next_connect_ms_) {
        return Status::IoError("PostgreSQL store " + Describe() + " unreachable (" + last_connect_error_ +
                               "); next attempt in " + S(next_connect_ms_ - now) + " ms");
      }
      open_++;
      l.unlock();
      auto c = std::make_unique<Conn>();
      c->pg = Connect(url_);
      std::string err = c->broken() ? OneLine(c->pg != nullptr ? PQerrorMessage(c->pg) : "out of memory") : "";
      l.lock();
      if (err.empty()) {
        backoff_ms_ = 0;
        return Session(this, std::move(c));
      }
      open_--;
      // Exponential back-off shared by every caller: a server that went
      // away is not hammered by each worker's retries.
      backoff_ms_ = std::min<int64_t>(std::max<int64_t>(backoff_ms_ * 2, 250), 5000);
      next_connect_ms_ = SteadyMs() + backoff_ms_;
      last_connect_error_ = err;
      return Status::IoError("PostgreSQL store " + Describe() + " unreachable: " + err);
    }
    if (cv_.wait_until(l, give_up_at) == std::cv_status::timeout) {
      return Status::Timeout("PostgreSQL store: all " + S(static_cast<int64_t>(pool_size_)) +
                             " connections busy for 10 s");
    }
  }
}

void PgStore::Return(std::unique_ptr<Conn> c) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (c->broken()) {
      open_--;
    } else {
      idle_.push_back(std::move(c));
    }
  }
  cv_.notify_one();
}

void PgStore::SetWakeCallback(std::function<void()> wake) {
  std::lock_guard<std::mutex> l(wake_mu_);
  wake_ = std::move(wake);
}

// LISTENs on its own connection and calls the wake callback for every
// batch of notifications (and after each reconnection, since notifications
// sent meanwhile were lost).
void PgStore::ListenLoop() {
  int64_t backoff = 0;
  auto sleep_ms = [this](int64_t ms) {
    pollfd p{stop_pipe_[0], POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(ms));
  };
  while (!stop_) {
    PGconn* pg = Connect(url_);
    Res r(PQexec(pg, (std::string("LISTEN ") + kChannel).c_str()));
    if (PQstatus(pg) != CONNECTION_OK || !r.ok() || PQresultStatus(r.raw()) != PGRES_COMMAND_OK) {
      PQfinish(pg);
      backoff = std::min<int64_t>(std::max<int64_t>(backoff * 2, 250), 5000);
      sleep_ms(backoff);
      continue;
    }
    backoff = 0;
    bool woke = true;
    while (!stop_) {
      if (woke) {
        std::lock_guard<std::mutex> l(wake_mu_);
        if (wake_) wake_();
      }
      woke = false;
      pollfd fds[2] = {{PQsocket(pg), POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
      int n = ::poll(fds, 2, 1000);
      if (n < 0 && errno != EINTR) break;
      if (fds[1].revents != 0) break;
      if (n <= 0 || fds[0].revents == 0) continue;
      if (PQconsumeInput(pg) == 0 || PQstatus(pg) != CONNECTION_OK) break;
      while (PGnotify* nt = PQnotifies(pg)) {
        PQfreemem(nt);
        woke = true;
      }
    }
    PQfinish(pg);
  }
}

// ---------------------------------------------------------------- jobs

namespace {

// A job without a URL names a file on the node that queued it (spool,
// directory, submission): only that node may claim it. A job with a URL is
// anyone's: the claiming node downloads it itself.
Params SpecParams(const JobSpec& spec, int64_t now_ms, const std::string& node_id) {
  return {spec.source,
          spec.dedup_key.empty() ? std::nullopt : std::optional<std::string>(spec.dedup_key),
          spec.name,
          spec.path,
          spec.url,
          spec.expect_sha256,
          S(static_cast<int64_t>(spec.expect_size)),
          spec.meta,
          S(now_ms),
          spec.owned ? "1" : "0",
          spec.url.empty() ? node_id : std::string()};
}

#define SG_INSERT_JOB                                                                               \
  "INSERT INTO jobs(source, dedup_key, name, path, url, expect_sha256, expect_size, meta, created_ms, " \
  "owned, home_node) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT DO NOTHING RETURNING id"

}  // namespace

Result<int64_t> PgStore::Enqueue(const JobSpec& spec, int64_t now_ms) {
  auto s = Acquire();
  if (!s.ok()) return s.status();
  // One statement: the insert and, only when a row went in, the wake-up.
  auto r = s->Run("enqueue1", "WITH ins AS (" SG_INSERT_JOB ") SELECT id, pg_notify('shelfguard_wake', '') FROM ins",
                  SpecParams(spec, now_ms, node_id_));
  if (!r.ok()) return r.status();
  return r->rows() == 0 ? int64_t{0} : r->Int(0, 0);
}

Result<std::vector<int64_t>> PgStore::EnqueueAll(const std::vector<JobSpec>& specs, int64_t now_ms) {
  std::vector<int64_t> ids;
  if (specs.empty()) return ids;
  auto s = Acquire();
  if (!s.ok()) return s.status();
  SG_RETURN_IF_ERROR(s->Begin());
  ids.reserve(specs.size());
  for (const auto& spec : specs) {
    auto r = s->Run("enqueue", SG_INSERT_JOB, SpecParams(spec, now_ms, node_id_));
    if (!r.ok()) return r.status();
    ids.push_back(r->rows() == 0 ? 0 : r->Int(0, 0));
  }
  SG_RETURN_IF_ERROR(s->Exec("NOTIFY shelfguard_wake"));
  SG_RETURN_IF_ERROR(s->Commit());
  return ids;
}

Result<std::optional<Job>> PgStore::ClaimIn(Session& s, int64_t now_ms, int64_t lease_ms) {
  // Expired leases first (a dead node's jobs, the oldest work), then the
  // oldest queued job. SKIP LOCKED: a row another claimer is taking is
  // passed over, never waited for.
  static const std::string kExpired =
      std::string("UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $2, lease_owner = $3 "
                  "WHERE id = (SELECT id FROM jobs WHERE state = 'running' AND lease_until < $1 AND "
                  "home_node IN ('', $3) ORDER BY lease_until LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING ") +
      kJobColumns;
  static const std::string kQueued =
      std::string("UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $2, lease_owner = $3 "
                  "WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND not_before <= $1 AND "
                  "home_node IN ('', $3) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING ") +
      kJobColumns;
  Params p = {S(now_ms), S(now_ms + lease_ms), node_id_};
  for (auto [name, sql] : {std::pair{"claim_expired", &kExpired}, std::pair{"claim_queued", &kQueued}}) {
    auto r = s.Run(name, sql->c_str(), p);
    if (!r.ok()) return r.status();
    if (r->rows() > 0) return std::optional<Job>(ReadJob(*r, 0));
  }
  return std::optional<Job>();
}

Result<std::optional<Job>> PgStore::Claim(int64_t now_ms, int64_t lease_ms) {
  auto s = Acquire();
  if (!s.ok()) return s.status();
  return ClaimIn(*s, now_ms, lease_ms);
}

Status PgStore::UpdateHeld(const char* name, const char* sql, const Params& params) {
  auto s = Acquire();
  if (!s.ok()) return s.status();
  return s->Run(name, sql, params).status();
}

Status PgStore::Release(int64_t job_id) {
  return UpdateHeld("release",
                    "WITH u AS (UPDATE jobs SET state = 'queued', attempts = GREATEST(attempts - 1, 0), "
                    "lease_until = 0 WHERE id = $1 AND state = 'running' AND lease_owner = $2 RETURNING id) "
                    "SELECT pg_notify('shelfguard_wake', '') FROM u",
                    {S(job_id), node_id_});
}

Result<int64_t> PgStore::RecoverRunning() {
  // Only this node's: other nodes' running jobs are theirs until their
  // leases expire.
  auto s = Acquire();
  if (!s.ok()) return s.status();
  auto r = s->Run("recover",
                  "UPDATE jobs SET state = 'queued', lease_until = 0 WHERE state = 'running' AND lease_owner = $1",
                  {node_id_});
  if (!r.ok()) return r.status();
  int64_t n = r->Affected();
  if (n > 0) SG_RETURN_IF_ERROR(s->Exec("NOTIFY shelfguard_wake"));
  return n;
}

Status PgStore::CompleteIn(Session& s, int64_t job_id, const JobResult& r,
                           const std::vector<OutboxMessage>& messages, int64_t now_ms) {
  // The lease decides: a node whose lease expired and was taken over (it
  // was paused, partitioned, or slow) must not finish the job the new owner
  // is scanning. A job this node already finished is a no-op (idempotent).
  auto held = s.Run("complete_hold", "SELECT state, lease_owner FROM jobs WHERE id = $1 FOR UPDATE", {S(job_id)});
  if (!held.ok()) return held.status();
  if (held->rows() == 0) return Status::NotFound("job " + S(job_id) + " is not in the queue");
  std::string state = held->Text(0, 0), owner = held->Text(0, 1);
  if (owner != node_id_ || (state != "running" && state != "done")) {
    return Status("lease-lost", "job " + S(job_id) + " is no longer held by this node (" + state +
                                    (owner.empty() ? "" : ", lease of " + owner) + ")");
  }
  if (state == "done") return Status::Ok();
  auto res = s.Run("complete_result",
                   "INSERT INTO results(job_id, sha256, size, sig_version, reg_version, verdict, error, report, "
                   "finished_ms, node) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (job_id) DO NOTHING",
                   {S(job_id), r.sha256, S(static_cast<int64_t>(r.size)), r.signatures_version, r.registry_version,
                    r.verdict, r.error, r.report, S(now_ms), node_id_});
  if (!res.ok()) return res.status();
  for (const auto& m : messages) {
    auto out = s.Run("complete_outbox",
                     "INSERT INTO outbox(msg_id, job_id, payload, created_ms) VALUES($1,$2,$3,$4) "
                     "ON CONFLICT (msg_id) DO NOTHING",
                     {m.id, S(job_id), m.payload, S(now_ms)});
    if (!out.ok()) return out.status();
  }
  auto up = s.Run("complete_job",
                  "UPDATE jobs SET state = 'done', finished_ms = $1, error = $2, lease_until = 0 WHERE id = $3",
                  {S(now_ms), r.error, S(job_id)});
  if (!up.ok()) return up.status();
  if (!messages.empty()) SG_RETURN_IF_ERROR(s.Exec("NOTIFY shelfguard_wake"));
  return Status::Ok();
}

Status PgStore::Complete(int64_t job_id, const JobResult& r, const std::vector<OutboxMessage>& messages,
                         int64_t now_ms) {
  auto s = Acquire();
  if (!s.ok()) return s.status();
  SG_RETURN_IF_ERROR(s->Begin());
  SG_RETURN_IF_ERROR(CompleteIn(*s, job_id, r, messages, now_ms));
  return s->Commit();
}

Result<std::optional<Job>> PgStore::CompleteAndClaim(int64_t job_id, const JobResult& r,
                                                     const std::vector<OutboxMessage>& messages, int64_t now_ms,
                                                     int64_t lease_ms) {
  auto s = Acquire();
  if (!s.ok()) return s.status();
  SG_RETURN_IF_ERROR(s->Begin());
  SG_RETURN_IF_ERROR(CompleteIn(*s, job_id, r, messages, now_ms));
  auto next = ClaimIn(*s, now_ms, lease_ms);
  if (!next.ok()) return next.status();
  SG_RETURN_IF_ERROR(s->Commit());
  return next;
}

Status PgStore::Retry(int64_t job_id, int64_t not_before_ms, const std::string& error) {
  return UpdateHeld("retry",
                    "UPDATE jobs SET state = 'queued', not_before = $1, error = $2, lease_until = 0 "
                    "WHERE id = $3 AND state = 'running' AND lease_owner = $4",
                    {S(not_before_ms), error, S(job_id), node_id_});
}

Status PgStore::Fail(int64_t job_id, const std::string& error, int64_t now_ms) {
  return UpdateHeld("fail",
                    "UPDATE jobs SET state = 'failed', error = $1, finished_ms = $2, lease_until = 0 "
                    "WHERE id = $3 AND state = 'running' AND lease_owner = $4",
                    {error, S(now_ms), S(job_id), node_id_});
}

Status PgStore::Skip(int64_t job_id, const std::string& note, int64_t now_ms) {
  return UpdateHeld("skip",
                    "UPDATE jobs SET state = 'done', error = $1, finished_ms = $2, lease_until = 0 "
                    "WHERE id = $3 AND state = 'running' AND lease_owner = $4",
                    {note, S(now_ms), S(job_id), node_id_});
}

std::optional<Job> PgStore::GetJob(int64_t id) {
  auto s = Acquire();
  if (!s.ok()) return std::nullopt;
  static const std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = $1";
  auto r = s->Run("get_job", sql.c_str(), {S(id)});
  if (!r.ok() || r->rows() == 0) return std::nullopt;
  return ReadJob(*r, 0);
}

std::optional<Job> PgStore::FindNewestJob(const char* column, const std::string& value) {
  auto s = Acquire();
  if (!s.ok()) return std::nullopt;
  std::string sql =
      std::string("SELECT ") + kJobColumns + " FROM jobs WHERE " + column + " = $1 ORDER BY id DESC LIMIT 1";
  std::string name = std::string("find_by_") + column;
  auto r = s->Run(name.c_str(), sql.c_str(), {value});
  if (!r.ok() || r->rows() == 0) return std::nullopt;
  return ReadJob(*r, 0);
}

std::optional<Job> PgStore::FindJobByPath(const std::string& path) { return FindNewestJob("path", path); }

std::optional<Job> PgStore::FindJobByKey(const std::string& dedup_key) {
  return FindNewestJob("dedup_key", dedup_key);
}

std::optional<JobResult> PgStore::GetResult(int64_t job_id) {
  auto s = Acquire();
  if (!s.ok()) return std::nullopt;
  auto r = s->Run("get_result",
                  "SELECT sha256, size, sig_version, reg_version, verdict, error, report FROM results "
                  "WHERE job_id = $1",
                  {S(job_id)});
  if (!r.ok() || r->rows() == 0) return std::nullopt;
  JobResult out;
  out.sha256 = r->Text(0, 0);
  out.size = static_cast<uint64_t>(r->Int(0, 1));
  out.signatures_version = r->Text(0, 2);
  out.registry_version = r->Text(0, 3);
  out.verdict = r->Text(0, 4);
  out.error = r->Text(0, 5);
  out.report = r->Text(0, 6);
  return out;
}

bool PgStore::HasResult(const std::string& sha256, const std::string& sig, const std::string& reg,
                        int64_t errors_since_ms) {
  auto s = Acquire();
  if (!s.ok()) return false;
  auto r = s->Run("has_result",
                  "SELECT 1 FROM results WHERE sha256 = $1 AND sig_version = $2 AND reg_version = $3 "
                  "AND (verdict <> 'error' OR finished_ms >= $4) LIMIT 1",
                  {sha256, sig, reg, S(errors_since_ms)});
  return r.ok() && r->rows() > 0;
}

bool PgStore::FailedSince(const std::string& dedup_key, int64_t since_ms) {
  auto s = Acquire();
  if (!s.ok()) return false;
  auto r = s->Run("failed_since",
                  "SELECT 1 FROM jobs WHERE dedup_key = $1 AND state = 'failed' AND finished_ms >= $2 LIMIT 1",
                  {dedup_key, S(since_ms)});
  return r.ok() && r->rows() > 0;
}

Store::Activity PgStore::GetActivity() {
  Activity a;
  auto s = Acquire();
  if (!s.ok()) return a;
  auto r = s->Run("activity",
                  "SELECT EXISTS(SELECT 1 FROM jobs WHERE state = 'queued') OR "
                  "EXISTS(SELECT 1 FROM jobs WHERE state = 'running'), "
                  "EXISTS(SELECT 1 FROM outbox WHERE state = 'pending') OR "
                  "EXISTS(SELECT 1 FROM outbox WHERE state = 'inflight')",
                  {});
  if (r.ok() && r->rows() == 1) {
    a.jobs = r->Text(0, 0) == "t";
    a.undelivered = r->Text(0, 1) == "t";
  }
  return a;
}

Counts PgStore::GetCounts() {
  Counts c;
  auto s = Acquire();
  if (!s.ok()) return c;
  // Each table's rows by state, into the counter of that state.
  auto by_state = [&](const char* name, const char* sql,
                      std::initializer_list<std::pair<const char*, int64_t*>> into) {
    auto r = s->Run(name, sql, {});
    if (!r.ok()) return;
    for (int i = 0; i < r->rows(); ++i) {
      for (auto [state, n] : into) {
        if (r->Text(i, 0) == state) *n = r->Int(i, 1);
      }
    }
  };
  by_state("count_jobs", "SELECT state, COUNT(*) FROM jobs GROUP BY state",
           {{"queued", &c.queued}, {"running", &c.running}, {"done", &c.done}, {"failed", &c.failed}});
  by_state("count_outbox", "SELECT state, COUNT(*) FROM outbox GROUP BY state",
           {{"pending", &c.outbox_pending}, {"inflight", &c.outbox_inflight}, {"acked", &c.outbox_acked}});
  if (auto r = s->Run("count_results", "SELECT COUNT(*) FROM results", {}); r.ok() && r->rows() == 1) {
    c.results = r->Int(0, 0);
  }
  return c;
}

// ---------------------------------------------------------------- outbox

Result<std::vector<OutboxMessage>> PgStore::TakeDeliverable(const std::string& consumer, int max, int64_t now_ms,
                                                            int64_t ack_timeout_ms) {
  std::vector<OutboxMessage> msgs;
  if (max <= 0) return msgs;
  auto s = Acquire();
  if (!s.ok()) return s.status();
  auto r = s->Run("take",
                  "UPDATE outbox o SET state = 'inflight', consumer = $2, deadline_ms = $4, "
                  "attempts = o.attempts + 1 FROM (SELECT seq FROM outbox WHERE state = 'pending' OR "
                  "(state = 'inflight' AND deadline_ms < $1) ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED) c "
                  "WHERE o.seq = c.seq RETURNING o.seq, o.msg_id, o.payload, o.attempts",
                  {S(now_ms), node_id_ + "/" + consumer, S(max), S(now_ms + ack_timeout_ms)});
  if (!r.ok()) return r.status();
  std::vector<std::pair<int64_t, OutboxMessage>> rows;
  for (int i = 0; i < r->rows(); ++i) {
    rows.push_back({r->Int(i, 0), {r->Text(i, 1), r->Text(i, 2), static_cast<int>(r->Int(i, 3))}});
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [seq, m] : rows) msgs.push_back(std::move(m));
  return msgs;
}

Result<int64_t> PgStore::Ack(const std::vector<std::string>& ids, const std::string& consumer, int64_t now_ms) {
  auto s = Acquire();
  if (!s.ok()) return s.status();
  SG_RETURN_IF_ERROR(s->Begin());
  int64_t n = 0;
  for (const auto& id : ids) {
    auto r = s->Run("ack",
                    "UPDATE outbox SET state = 'acked', acked_ms = $1 WHERE msg_id = $2 AND state = 'inflight' "
                    "AND consumer = $3",
                    {S(now_ms), id, node_id_ + "/" + consumer});
    if (!r.ok()) return r.status();
    n += r->Affected();
  }
  SG_RETURN_IF_ERROR(s->Commit());
  return n;
}

Result<int64_t> PgStore::ReleaseConsumer(const std::string& consumer) {
  auto s = Acquire();
  if (!s.ok()) return s.status();
  auto r = s->Run("release_consumer",
                  "UPDATE outbox SET state = 'pending', deadline_ms = 0 WHERE state = 'inflight' AND consumer = $1",
                  {node_id_ + "/" + consumer});
  if (!r.ok()) return r.status();
  return r->Affected();
}

Result<int64_t> PgStore::Purge(int64_t before_ms) {
  auto s = Acquire();
  if (!s.ok()) return s.status();
  SG_RETURN_IF_ERROR(s->Begin());
  Params p = {S(before_ms)};
  auto res = s->Run("purge_results",
                    "DELETE FROM results WHERE job_id IN (SELECT id FROM jobs WHERE state IN ('done', 'failed') "
                    "AND finished_ms > 0 AND finished_ms < $1)",
                    p);
  if (!res.ok()) return res.status();
  auto jobs = s->Run("purge_jobs",
                     "DELETE FROM jobs WHERE state IN ('done', 'failed') AND finished_ms > 0 AND finished_ms < $1", p);
  if (!jobs.ok()) return jobs.status();
  auto out = s->Run("purge_outbox", "DELETE FROM outbox WHERE state = 'acked' AND acked_ms < $1", p);
  if (!out.ok()) return out.status();
  SG_RETURN_IF_ERROR(s->Commit());
  return jobs->Affected();
}

// ---------------------------------------------------------------- cluster

Result<bool> PgStore::TryFeedPoll(const std::string& name, int64_t now_ms, int64_t interval_ms, int64_t lease_ms) {
  auto s = Acquire();
  if (!s.ok()) return s.status();
  auto r = s->Run("feed_poll",
                  "INSERT INTO feeds(name, owner, lease_until, last_poll_ms) VALUES($1, $2, $3, $4) "
                  "ON CONFLICT (name) DO UPDATE SET owner = $2, lease_until = $3, last_poll_ms = $4 "
                  "WHERE (feeds.owner = $2 OR feeds.lease_until < $4) AND feeds.last_poll_ms <= $5 RETURNING 1",
                  {name, node_id_, S(now_ms + lease_ms), S(now_ms), S(now_ms - interval_ms)});
  if (!r.ok()) return r.status();
  return r->rows() > 0;
}

Status PgStore::Heartbeat(const NodeInfo& self) {
  auto s = Acquire();
  if (!s.ok()) return s.status();
  auto r = s->Run("heartbeat",
                  "INSERT INTO nodes(node_id, host, pid, started_ms, heartbeat_ms, workers) "
                  "VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT (node_id) DO UPDATE SET host = $2, pid = $3, "
                  "started_ms = $4, heartbeat_ms = $5, workers = $6",
                  {node_id_, self.host, S(self.pid), S(self.started_ms), S(self.heartbeat_ms), S(self.workers)});
  return r.status();
}

Result<std::vector<NodeInfo>> PgStore::ListNodes(int64_t now_ms) {
  auto s = Acquire();
  if (!s.ok()) return s.status();
  auto r = s->Run("list_nodes",
                  "SELECT n.node_id, n.host, n.pid, n.started_ms, n.heartbeat_ms, n.workers, "
                  "(SELECT COUNT(*) FROM results r WHERE r.node = n.node_id AND r.finished_ms >= $1), "
                  "(SELECT COUNT(*) FROM results r WHERE r.node = n.node_id AND r.finished_ms >= $2), "
                  "(SELECT COUNT(*) FROM jobs j WHERE j.state = 'running' AND j.lease_owner = n.node_id) "
                  "FROM nodes n ORDER BY n.heartbeat_ms DESC, n.node_id LIMIT 1000",
                  {S(now_ms - 60000), S(now_ms - 3600000)});
  if (!r.ok()) return r.status();
  std::vector<NodeInfo> out;
  for (int i = 0; i < r->rows(); ++i) {
    NodeInfo n;
    n.node_id = r->Text(i, 0);
    n.host = r->Text(i, 1);
    n.pid = r->Int(i, 2);
    n.started_ms = r->Int(i, 3);
    n.heartbeat_ms = r->Int(i, 4);
    n.workers = r->Int(i, 5);
    n.scanned_last_minute = r->Int(i, 6);
    n.scanned_last_hour = r->Int(i, 7);
    n.running = r->Int(i, 8);
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace shelfguard::queue
