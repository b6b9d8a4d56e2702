// PgStore: the schema, created and migrated by the daemon itself, and Open.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "queue/pg_internal.h"
#include "queue/store_schema.h"

namespace shelfguard::queue {
namespace {

using pg::S;

// Version 1. Times are ms since the epoch as the daemon's clock gives them,
// like the SQLite store. Partial indexes keep the claim and outbox scans
// proportional to the work waiting, not to the history.
const char kSchemaV1[] = R"sql(
CREATE TABLE jobs(
  id BIGSERIAL PRIMARY KEY,
)sql" SG_JOB_SPEC_TEXT_COLUMNS R"sql(  expect_size BIGINT NOT NULL DEFAULT 0,
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

// Version 2: whether a package is free to be claimed (see pg_jobs.cc):
// true when no other running job has its digest, holding the digest's
// advisory lock until the caller's transaction ends. The look-up goes
// through jobs_sha (every row of one digest: a handful); "(state || '')"
// keeps the planner off the partial index of running jobs, which it takes
// for tiny while it holds an entry for every job that ever ran until vacuum.
const char kSchemaV2[] = R"sql(
CREATE INDEX jobs_sha ON jobs(expect_sha256);
CREATE FUNCTION shelfguard_package_free(sha TEXT, job BIGINT) RETURNS BOOLEAN
LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  IF NOT pg_try_advisory_xact_lock(7310, hashtext(sha)) THEN
    RETURN false;
  END IF;
  RETURN NOT EXISTS(SELECT 1 FROM jobs WHERE expect_sha256 = sha AND (state || '') = 'running' AND id <> job);
END
$fn$;
)sql";

// Serialises schema creation among nodes starting at once (CREATE TABLE IF
// NOT EXISTS races on the catalog otherwise). Any constant unique to us.
const char kSchemaLockKey[] = "7310612840516";

}  // namespace

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
    // One step per version, all in this transaction.
    if (have < 1) SG_RETURN_IF_ERROR(s->Exec(kSchemaV1));
    if (have < 2) SG_RETURN_IF_ERROR(s->Exec(kSchemaV2));
    if (have < kPgSchemaVersion) {
      SG_RETURN_IF_ERROR(s->Exec("DELETE FROM schema_version"));
      SG_RETURN_IF_ERROR(
          s->Exec(("INSERT INTO schema_version(version) VALUES(" + S(kPgSchemaVersion) + ")").c_str()));
    }
    SG_RETURN_IF_ERROR(s->Commit());
  }
  if (::pipe2(st->stop_pipe_, O_CLOEXEC) == 0) {
    st->listener_ = std::thread([p = st.get()] { p->ListenLoop(); });
  }
  return st;
}

}  // namespace shelfguard::queue
