// Internals of SqliteStore (store.cc): the statement cache, statements and
// transactions on the store's one connection. Not an interface.
#ifndef SHELFGUARD_SRC_QUEUE_SQLITE_STMT_H_
#define SHELFGUARD_SRC_QUEUE_SQLITE_STMT_H_

#include <sqlite3.h>

#include <string>
#include <unordered_map>

#include "queue/store.h"
#include "queue/store_schema.h"
#include "sqlite/sqlite_db.h"

namespace shelfguard::queue {

// Prepared statements by SQL text, kept for the life of the connection:
// preparing anew was a visible part of each job's claim and completion.
// A statement already in use (the same SQL twice at once) is prepared
// separately and finalized after use.
struct StmtCache {
  struct Entry {
    sqlite3_stmt* st = nullptr;
    bool busy = false;
  };
  explicit StmtCache(sqlite3* d) : db(d) {}
  ~StmtCache() {
    for (auto& [sql, e] : stmts) sqlite3_finalize(e.st);
  }
  sqlite3* db;
  std::unordered_map<std::string, Entry> stmts;
};


// A statement from the cache, reset and released when it goes out of scope.
class Stmt {
 public:
  Stmt(StmtCache& cache, const char* sql) : db_(cache.db) {
    StmtCache::Entry& e = cache.stmts[sql];
    if (e.st == nullptr) rc_ = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &e.st, nullptr);
    if (e.st != nullptr && !e.busy) {
      rc_ = SQLITE_OK;
      st_ = e.st;
      entry_ = &e;
      e.busy = true;
    } else if (e.st != nullptr) {
      rc_ = sqlite3_prepare_v2(db_, sql, -1, &st_, nullptr);
    }
  }
  ~Stmt() {
    if (entry_ != nullptr) {
      sqlite3_reset(st_);
      sqlite3_clear_bindings(st_);
      entry_->busy = false;
    } else {
      sqlite3_finalize(st_);
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK && st_ != nullptr; }
  Stmt& Bind(int i, const std::string& s) {
    sqlite3_bind_text(st_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  Stmt& BindNull(int i) {
    sqlite3_bind_null(st_, i);
    return *this;
  }
  int Step() { return st_ == nullptr ? SQLITE_MISUSE : sqlite3_step(st_); }
  void Reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  std::string Text(int c) const { return sqlite::ColText(st_, c); }
  int64_t Int(int c) const { return sqlite3_column_int64(st_, c); }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
  StmtCache::Entry* entry_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

inline Status DbError(sqlite3* db, const std::string& what) {
  return sqlite::DbError(db, "queue database: " + what);
}

// Rolls back unless committed.
class Txn {
 public:
  explicit Txn(StmtCache& cache) : cache_(cache) { ok_ = Run("BEGIN IMMEDIATE"); }
  ~Txn() {
    if (ok_ && !done_) Run("ROLLBACK");
  }
  bool ok() const { return ok_; }
  bool Commit() {
    done_ = Run("COMMIT");
    return done_;
  }

 private:
  bool Run(const char* sql) {
    Stmt st(cache_, sql);
    return st.ok() && st.Step() == SQLITE_DONE;
  }
  StmtCache& cache_;
  bool ok_ = false, done_ = false;
};

inline JobResult ReadResult(const Stmt& s) {
  return ReadResultColumns([&](int c) { return s.Text(c); }, [&](int c) { return s.Int(c); });
}

inline Job ReadJob(const Stmt& s) {
  return ReadJobColumns([&](int c) { return s.Text(c); }, [&](int c) { return s.Int(c); });
}

}  // namespace shelfguard::queue

#endif  // SHELFGUARD_SRC_QUEUE_SQLITE_STMT_H_
