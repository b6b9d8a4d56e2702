// The one SQLite wrapper of the tree: the small helpers both SQLite users
// (the registry database, src/registry, and the one-machine queue store,
// src/queue) need: owning pointers, errors as Status, statement text.
#ifndef SHELFGUARD_SRC_SQLITE_SQLITE_DB_H_
#define SHELFGUARD_SRC_SQLITE_SQLITE_DB_H_

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

#include "shelfguard/status.h"

namespace shelfguard::sqlite {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
struct StmtCloser {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtCloser>;

// io-error "<what>: <SQLite's message for db>".
Status DbError(sqlite3* db, std::string_view what);
// Runs `sql` (one or more statements, no rows wanted); an error reads
// "<what>: <SQLite's message>".
Status Exec(sqlite3* db, const char* sql, std::string_view what = "sqlite");
// A statement prepared to be kept (SQLITE_PREPARE_PERSISTENT).
Result<StmtPtr> PrepareStmt(sqlite3* db, const std::string& sql);
void BindText(sqlite3_stmt* st, int i, std::string_view v);
// Column `i` of the current row as bytes (NULL: empty).
std::string ColText(sqlite3_stmt* st, int i);

}  // namespace shelfguard::sqlite

#endif  // SHELFGUARD_SRC_SQLITE_SQLITE_DB_H_
