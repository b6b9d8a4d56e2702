// PgStore: the shared outbox, counts, and the cluster tables (feed poll
// leases, node heartbeats).
#include <algorithm>

#include "queue/pg_internal.h"

namespace shelfguard::queue {

using pg::Params;
using pg::S;

Result<Store::Activity> PgStore::GetActivity() {
  auto r = RunAlone("activity",
                    "SELECT EXISTS(SELECT 1 FROM jobs WHERE state = 'queued') OR "
                    "EXISTS(SELECT 1 FROM jobs WHERE state = 'running'), "
                    "EXISTS(SELECT 1 FROM outbox WHERE state = 'pending') OR "
                    "EXISTS(SELECT 1 FROM outbox WHERE state = 'inflight')",
                    {});
  if (!r.ok()) return r.status();
  Activity a;
  if (r->rows() == 1) {
    a.jobs = r->Text(0, 0) == "t";
    a.undelivered = r->Text(0, 1) == "t";
  }
  return a;
}

Result<Counts> PgStore::GetCounts() {
  // Each table's rows by state, in one statement (one snapshot).
  auto r = RunAlone("counts",
                    "SELECT 'jobs', state, COUNT(*) FROM jobs GROUP BY state UNION ALL "
                    "SELECT 'outbox', state, COUNT(*) FROM outbox GROUP BY state UNION ALL "
                    "SELECT 'results', '', COUNT(*) FROM results",
                    {});
  if (!r.ok()) return r.status();
  Counts c;
  for (int i = 0; i < r->rows(); ++i) AddCount(r->Text(i, 0), r->Text(i, 1), r->Int(i, 2), &c);
  return c;
}

// ---------------------------------------------------------------- outbox

Result<std::vector<OutboxMessage>> PgStore::TakeDeliverable(const std::string& consumer, int max, int64_t now_ms,
                                                            int64_t ack_timeout_ms) {
  std::vector<OutboxMessage> msgs;
  if (max <= 0) return msgs;
  auto r = RunAlone("take",
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
  auto r = RunAlone("release_consumer",
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
  auto r = RunAlone("feed_poll",
                  "INSERT INTO feeds(name, owner, lease_until, last_poll_ms) VALUES($1, $2, $3, $4) "
                  "ON CONFLICT (name) DO UPDATE SET owner = $2, lease_until = $3, last_poll_ms = $4 "
                  "WHERE (feeds.owner = $2 OR feeds.lease_until < $4) AND feeds.last_poll_ms <= $5 RETURNING 1",
                  {name, node_id_, S(now_ms + lease_ms), S(now_ms), S(now_ms - interval_ms)});
  if (!r.ok()) return r.status();
  return r->rows() > 0;
}

Status PgStore::Heartbeat(const NodeInfo& self) {
  auto r = RunAlone("heartbeat",
                  "INSERT INTO nodes(node_id, host, pid, started_ms, heartbeat_ms, workers) "
                  "VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT (node_id) DO UPDATE SET host = $2, pid = $3, "
                  "started_ms = $4, heartbeat_ms = $5, workers = $6",
                  {node_id_, self.host, S(self.pid), S(self.started_ms), S(self.heartbeat_ms), S(self.workers)});
  return r.status();
}

Result<std::vector<NodeInfo>> PgStore::ListNodes(int64_t now_ms) {
  auto r = RunAlone("list_nodes",
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
