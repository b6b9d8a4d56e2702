// What the two store engines' schemas and queries share (store.cc for
// SQLite, pg_*.cc for PostgreSQL). Not an interface.
#ifndef SHELFGUARD_SRC_QUEUE_STORE_SCHEMA_H_
#define SHELFGUARD_SRC_QUEUE_STORE_SCHEMA_H_

#include <cstdint>
#include <string>
#include <utility>

#include "queue/store.h"

namespace shelfguard::queue {

// The jobs table's JobSpec text columns, the same in both engines (spliced
// into each engine's CREATE TABLE between its id and its integer columns).
#define SG_JOB_SPEC_TEXT_COLUMNS          \
  "  source TEXT NOT NULL,\n"             \
  "  dedup_key TEXT,\n"                   \
  "  name TEXT NOT NULL,\n"               \
  "  path TEXT NOT NULL DEFAULT '',\n"    \
  "  url TEXT NOT NULL DEFAULT '',\n"     \
  "  expect_sha256 TEXT NOT NULL DEFAULT '',\n"

// The columns a Job is read from, in the order ReadJob reads them.
inline constexpr char kJobColumns[] =
    "id, source, COALESCE(dedup_key, ''), name, path, url, expect_sha256, expect_size, meta, "
    "state, attempts, error, owned";

// A Job from a row of kJobColumns, through the engine's column readers
// `text(i)` and `integer(i)`.
template <typename Text, typename Int>
Job ReadJobColumns(const Text& text, const Int& integer) {
  Job j;
  j.id = integer(0);
  j.spec.source = text(1);
  j.spec.dedup_key = text(2);
  j.spec.name = text(3);
  j.spec.path = text(4);
  j.spec.url = text(5);
  j.spec.expect_sha256 = text(6);
  j.spec.expect_size = static_cast<uint64_t>(integer(7));
  j.spec.meta = text(8);
  j.state = text(9);
  j.attempts = static_cast<int>(integer(10));
  j.error = text(11);
  j.spec.owned = integer(12) != 0;
  return j;
}

// A JobResult from a row of "sha256, size, sig_version, reg_version,
// verdict, error, report".
template <typename Text, typename Int>
JobResult ReadResultColumns(const Text& text, const Int& integer) {
  JobResult r;
  r.sha256 = text(0);
  r.size = static_cast<uint64_t>(integer(1));
  r.signatures_version = text(2);
  r.registry_version = text(3);
  r.verdict = text(4);
  r.error = text(5);
  r.report = text(6);
  return r;
}
inline constexpr char kResultColumns[] = "sha256, size, sig_version, reg_version, verdict, error, report";

// Adds `n` rows of `table` ("jobs", "outbox" or "results") in `state` to
// the counter of that state.
inline void AddCount(const std::string& table, const std::string& state, int64_t n, Counts* c) {
  if (table == "results") {
    c->results = n;
    return;
  }
  const std::pair<const char*, int64_t*> slots[] = {
      {"queued", &c->queued},           {"running", &c->running},          {"done", &c->done},
      {"failed", &c->failed},           {"pending", &c->outbox_pending},   {"inflight", &c->outbox_inflight},
      {"acked", &c->outbox_acked}};
  // Job and outbox states do not overlap, so the state alone names the slot.
  for (const auto& [name, slot] : slots) {
    if (state == name) *slot = n;
  }
}

}  // namespace shelfguard::queue

#endif  // SHELFGUARD_SRC_QUEUE_STORE_SCHEMA_H_
