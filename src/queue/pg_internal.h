// Internals of PgStore shared by its files (pg_conn.cc: the connection pool,
// LISTEN and URLs; pg_schema.cc: schema and migration; pg_jobs.cc: jobs and
// results; pg_outbox.cc: outbox, counts, feeds and nodes). Not an interface.
#ifndef SHELFGUARD_SRC_QUEUE_PG_INTERNAL_H_
#define SHELFGUARD_SRC_QUEUE_PG_INTERNAL_H_

#include <libpq-fe.h>

#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "queue/pg_store.h"
#include "queue/store_schema.h"

namespace shelfguard::queue {
namespace pg {

using Params = std::vector<std::optional<std::string>>;

inline std::string S(int64_t v) { return std::to_string(v); }

inline constexpr char kChannel[] = "shelfguard_wake";

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

// The row of kJobColumns at `row`.
Job ReadJob(const Res& r, int row);
// libpq's message on one line, without its trailing newline.
std::string OneLine(const char* msg);
// Connects with a bounded wait; the URL's own connect_timeout wins.
PGconn* Connect(const std::string& url);

}  // namespace pg

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
  Result<pg::Res> Run(const char* name, const char* sql, const pg::Params& params);
  Status Exec(const char* sql);
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
  Status Check(const pg::Res& r, const char* what);
  PgStore* store_;
  std::unique_ptr<Conn> c_;
  bool in_txn_ = false;
};

}  // namespace shelfguard::queue

#endif  // SHELFGUARD_SRC_QUEUE_PG_INTERNAL_H_
