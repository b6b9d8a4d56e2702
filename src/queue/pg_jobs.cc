// PgStore: jobs (enqueue, claim with leases, complete, retry, fail, skip)
// and their results.
#include "queue/pg_internal.h"

namespace shelfguard::queue {

using pg::Params;
using pg::ReadJob;
using pg::S;

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

// A job whose package (expect_sha256) another running job is scanning is
// passed over: two claimers never scan one package at once. The candidate
// scan skips jobs whose digest a running job has (as of the statement's
// start: an index probe, no lock). The one candidate chosen is then checked
// by shelfguard_package_free() (pg_schema.cc): it takes a transaction-scoped
// advisory lock on the digest (try: never waits) and, being VOLATILE, looks
// again in a fresh snapshot. Of two claimers racing for two jobs of one
// package the second either fails the lock (the first has not committed) or
// sees the first one's committed claim, and claims nothing this time (its
// worker asks again); the lock is released only after the claim is
// visible. The function runs outside the LIMIT 1 subquery, once per claim:
// in the scan's filter it ran (and locked) for every candidate row the plan
// looked at, hundreds per claim when the planner chose a sort.
#define SG_CLAIM_CANDIDATE(state_cond, order)                                                           \
  "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $2, lease_owner = $3 "       \
  "WHERE id = (SELECT k.id FROM (SELECT c.id, c.expect_sha256 FROM jobs c WHERE " state_cond              \
  " AND c.home_node IN ('', $3) AND (c.expect_sha256 = '' OR NOT EXISTS(SELECT 1 FROM jobs r WHERE "     \
  "r.expect_sha256 = c.expect_sha256 AND (r.state || '') = 'running' AND r.id <> c.id)) ORDER BY " order \
  " LIMIT 1 FOR UPDATE SKIP LOCKED) k WHERE k.expect_sha256 = '' OR "                                    \
  "shelfguard_package_free(k.expect_sha256, k.id)) RETURNING "

Result<std::optional<Job>> PgStore::ClaimIn(Session& s, int64_t now_ms, int64_t lease_ms) {
  // Expired leases first (a dead node's jobs, the oldest work), then the
  // oldest queued job. SKIP LOCKED: a row another claimer is taking is
  // passed over, never waited for.
  static const std::string kExpired =
      std::string(SG_CLAIM_CANDIDATE("c.state = 'running' AND c.lease_until < $1", "c.lease_until")) + kJobColumns;
  static const std::string kQueued =
      std::string(SG_CLAIM_CANDIDATE("c.state = 'queued' AND c.not_before <= $1", "c.id")) + kJobColumns;
  Params p = {S(now_ms), S(now_ms + lease_ms), node_id_};
  for (auto [name, sql] : {std::pair{"claim_expired", &kExpired}, std::pair{"claim_queued", &kQueued}}) {
    auto r = s.Run(name, sql->c_str(), p);
    if (!r.ok()) return r.status();
    if (r->rows() > 0) return std::optional<Job>(ReadJob(*r, 0));
  }
  return std::optional<Job>();
}

Result<std::optional<Job>> PgStore::Claim(int64_t now_ms, int64_t lease_ms) {
  // Its own transaction: the package lock ends when the claim is visible.
  auto s = Acquire();
  if (!s.ok()) return s.status();
  return ClaimIn(*s, now_ms, lease_ms);
}

Result<std::optional<Job>> PgStore::EnqueueClaimed(const JobSpec& spec, int64_t now_ms, int64_t lease_ms) {
  // One statement, one commit: inserted already leased to this node.
  Params p = SpecParams(spec, now_ms, node_id_);
  p.push_back(S(now_ms + lease_ms));
  p.push_back(node_id_);
  auto r = RunAlone("enqueue_claimed",
                    "INSERT INTO jobs(source, dedup_key, name, path, url, expect_sha256, expect_size, meta, "
                    "created_ms, owned, home_node, state, attempts, lease_until, lease_owner) "
                    "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,'running',1,$12,$13) ON CONFLICT DO NOTHING "
                    "RETURNING id",
                    p);
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<Job>();
  Job job;
  job.id = r->Int(0, 0);
  job.spec = spec;
  job.state = "running";
  job.attempts = 1;
  return std::optional<Job>(std::move(job));
}

Result<int64_t> PgStore::RenewLeases(const std::vector<int64_t>& job_ids, int64_t now_ms, int64_t lease_ms) {
  if (job_ids.empty()) return int64_t{0};
  std::string ids;
  for (int64_t id : job_ids) ids += (ids.empty() ? "" : ",") + S(id);
  auto r = RunAlone("renew",
                    "UPDATE jobs SET lease_until = $1 WHERE id = ANY($2::bigint[]) AND state = 'running' "
                    "AND lease_owner = $3",
                    {S(now_ms + lease_ms), "{" + ids + "}", node_id_});
  if (!r.ok()) return r.status();
  return r->Affected();
}

Result<pg::Res> PgStore::RunAlone(const char* name, const char* sql, const Params& params) {
  auto s = Acquire();
  if (!s.ok()) return s.status();
  return s->Run(name, sql, params);
}

Status PgStore::Release(int64_t job_id) {
  return RunAlone("release",
                    "WITH u AS (UPDATE jobs SET state = 'queued', attempts = GREATEST(attempts - 1, 0), "
                    "lease_until = 0 WHERE id = $1 AND state = 'running' AND lease_owner = $2 RETURNING id) "
                    "SELECT pg_notify('shelfguard_wake', '') FROM u",
                    {S(job_id), node_id_}).status();
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
  return RunAlone("retry",
                    "UPDATE jobs SET state = 'queued', not_before = $1, error = $2, lease_until = 0 "
                    "WHERE id = $3 AND state = 'running' AND lease_owner = $4",
                    {S(not_before_ms), error, S(job_id), node_id_}).status();
}

Status PgStore::Fail(int64_t job_id, const std::string& error, int64_t now_ms) {
  return RunAlone("fail",
                    "UPDATE jobs SET state = 'failed', error = $1, finished_ms = $2, lease_until = 0 "
                    "WHERE id = $3 AND state = 'running' AND lease_owner = $4",
                    {error, S(now_ms), S(job_id), node_id_}).status();
}

Status PgStore::Skip(int64_t job_id, const std::string& note, int64_t now_ms) {
  return RunAlone("skip",
                    "UPDATE jobs SET state = 'done', error = $1, finished_ms = $2, lease_until = 0 "
                    "WHERE id = $3 AND state = 'running' AND lease_owner = $4",
                    {note, S(now_ms), S(job_id), node_id_}).status();
}

Result<std::optional<Job>> PgStore::GetJob(int64_t id) {
  static const std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = $1";
  auto r = RunAlone("get_job", sql.c_str(), {S(id)});
  if (!r.ok()) return r.status();
  return r->rows() == 0 ? std::nullopt : std::optional<Job>(ReadJob(*r, 0));
}

Result<std::optional<Job>> PgStore::FindNewestJob(const char* column, const std::string& value) {
  std::string sql =
      std::string("SELECT ") + kJobColumns + " FROM jobs WHERE " + column + " = $1 ORDER BY id DESC LIMIT 1";
  std::string name = std::string("find_by_") + column;
  auto r = RunAlone(name.c_str(), sql.c_str(), {value});
  if (!r.ok()) return r.status();
  return r->rows() == 0 ? std::nullopt : std::optional<Job>(ReadJob(*r, 0));
}

Result<std::optional<Job>> PgStore::FindJobByPath(const std::string& path) { return FindNewestJob("path", path); }

Result<std::optional<Job>> PgStore::FindJobByKey(const std::string& dedup_key) {
  return FindNewestJob("dedup_key", dedup_key);
}

Result<std::optional<JobResult>> PgStore::GetResult(int64_t job_id) {
  static const std::string sql = std::string("SELECT ") + kResultColumns + " FROM results WHERE job_id = $1";
  auto r = RunAlone("get_result", sql.c_str(), {S(job_id)});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<JobResult>();
  const pg::Res& row = *r;
  return std::optional<JobResult>(
      ReadResultColumns([&](int c) { return row.Text(0, c); }, [&](int c) { return row.Int(0, c); }));
}

Result<bool> PgStore::HasResult(const std::string& sha256, const std::string& sig, const std::string& reg,
                                int64_t errors_since_ms) {
  auto r = RunAlone("has_result",
                    "SELECT 1 FROM results WHERE sha256 = $1 AND sig_version = $2 AND reg_version = $3 "
                    "AND (verdict <> 'error' OR finished_ms >= $4) LIMIT 1",
                    {sha256, sig, reg, S(errors_since_ms)});
  if (!r.ok()) return r.status();
  return r->rows() > 0;
}

Result<bool> PgStore::FailedSince(const std::string& dedup_key, int64_t since_ms) {
  auto r = RunAlone("failed_since",
                    "SELECT 1 FROM jobs WHERE dedup_key = $1 AND state = 'failed' AND finished_ms >= $2 LIMIT 1",
                    {dedup_key, S(since_ms)});
  if (!r.ok()) return r.status();
  return r->rows() > 0;
}

}  // namespace shelfguard::queue
