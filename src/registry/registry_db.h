// The registry's SQLite database, shared by the files of src/registry: the
// schema, statement and list helpers (registry_db.cc), and the writer that
// fills a database from an export (registry_writer.cc). registry.cc reads it.
#ifndef SHELFGUARD_REGISTRY_REGISTRY_DB_H_
#define SHELFGUARD_REGISTRY_REGISTRY_DB_H_

#include <sqlite3.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "registry/export.h"
#include "shelfguard/status.h"
#include "sqlite/sqlite_db.h"

namespace shelfguard::registry_db {

// /2 added the HarmonyOS and mini-program id columns (issue 17).
inline constexpr char kDbFormat[] = "shelfguard-registry-db/2";

// The schema (docs/registry-format.md). Lists are JSON arrays of strings.
// android_packages / ios_bundle_ids are kept in the row for reading back and
// in `packages` (one row per id) for lookups.
inline constexpr char kSchema[] = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE filings(
  id INTEGER PRIMARY KEY,
  filing_number TEXT NOT NULL,
  app_name TEXT NOT NULL,
  provider_name TEXT NOT NULL,
  credit_code TEXT NOT NULL,
  province TEXT NOT NULL,
  android_packages TEXT NOT NULL,
  ios_bundle_ids TEXT NOT NULL,
  icp_number TEXT NOT NULL,
  app_icp_number TEXT NOT NULL,
  mlps_filing_number TEXT NOT NULL,
  mlps_level INTEGER NOT NULL,
  category TEXT NOT NULL,
  audience TEXT NOT NULL,
  app_use TEXT NOT NULL,
  licence_number TEXT,
  declared_permissions TEXT NOT NULL,
  declared_ios_usage_keys TEXT NOT NULL,
  declared_personal_info TEXT NOT NULL,
  declared_sdks TEXT NOT NULL,
  declared_biometric INTEGER NOT NULL,
  declared_biometric_reviewed INTEGER NOT NULL,
  declared_payment INTEGER NOT NULL,
  declared_live_streaming INTEGER NOT NULL,
  version TEXT NOT NULL,
  status TEXT NOT NULL,
  status_since TEXT NOT NULL,
  source_line INTEGER NOT NULL,
  harmony_bundle_names TEXT NOT NULL,
  mini_program_appids TEXT NOT NULL
);
CREATE TABLE packages(
  platform TEXT NOT NULL,
  package_id TEXT NOT NULL,
  filing_id INTEGER NOT NULL REFERENCES filings(id),
  PRIMARY KEY(platform, package_id)
) WITHOUT ROWID;
CREATE TABLE blacklist(
  id INTEGER PRIMARY KEY,
  credit_code TEXT NOT NULL,
  since TEXT NOT NULL,
  until TEXT NOT NULL,
  reason TEXT NOT NULL
);
CREATE TABLE rejected(
  id INTEGER PRIMARY KEY,
  list TEXT NOT NULL,
  idx INTEGER NOT NULL,
  line INTEGER NOT NULL,
  filing_number TEXT NOT NULL,
  credit_code TEXT NOT NULL,
  android_packages TEXT NOT NULL,
  ios_bundle_ids TEXT NOT NULL,
  reason TEXT NOT NULL,
  harmony_bundle_names TEXT NOT NULL,
  mini_program_appids TEXT NOT NULL
);
CREATE TABLE rejected_packages(
  platform TEXT NOT NULL,
  package_id TEXT NOT NULL,
  rejected_id INTEGER NOT NULL REFERENCES rejected(id)
);
)sql";

// Indexes are built after the bulk insert (faster than maintaining them).
inline constexpr char kIndexes[] = R"sql(
CREATE UNIQUE INDEX filings_by_number ON filings(filing_number);
CREATE INDEX filings_by_credit_code ON filings(credit_code);
CREATE INDEX blacklist_by_credit_code ON blacklist(credit_code, since);
CREATE INDEX rejected_by_package ON rejected_packages(platform, package_id);
)sql";

// Rejected records kept for the load report and look-ups: every one of an
// export (bounded by ExportLimits::max_records); a report lists the first
// kMaxReportedRejected.
inline constexpr size_t kMaxReportedRejected = ExportLimits().max_problems;
inline constexpr char kRejectedColumns[] =
    "r.list, r.idx, r.line, r.filing_number, r.credit_code, r.android_packages, "
    "r.ios_bundle_ids, r.reason, r.harmony_bundle_names, r.mini_program_appids";

inline constexpr char kFilingColumns[] =
    "f.id, f.filing_number, f.app_name, f.provider_name, f.credit_code, f.province, "
    "f.android_packages, f.ios_bundle_ids, f.icp_number, f.app_icp_number, "
    "f.mlps_filing_number, f.mlps_level, f.category, f.audience, f.app_use, f.licence_number, "
    "f.declared_permissions, f.declared_ios_usage_keys, f.declared_personal_info, "
    "f.declared_sdks, f.declared_biometric, f.declared_biometric_reviewed, f.declared_payment, "
    "f.declared_live_streaming, f.version, f.status, f.status_since, f.harmony_bundle_names, "
    "f.mini_program_appids";


// The SQLite helpers live in src/sqlite, shared with the queue store.
using sqlite::BindText;
using sqlite::ColText;
using sqlite::DbError;
using sqlite::DbPtr;
using sqlite::Exec;
using sqlite::PrepareStmt;
using sqlite::StmtPtr;
// Lists are stored as JSON arrays of strings. Import refuses control
// characters, so only '"' and '\\' need escaping; this hand-written pair is
// several times faster than building nlohmann values per row, and ParseList
// falls back to nlohmann for anything else (a database edited by hand).
std::string ListJson(const std::vector<std::string>& v);
std::vector<std::string> ParseList(const unsigned char* text);
// Opens the connection of a database that is private until it is renamed
// into place (a temp file) or never outlives the process (:memory:): no
// journal and no syncs while it is written -- a crash leaves only a stray
// temp file, never a broken live database; the finished file is fsynced once
// before the rename.
Status TunePrivateDb(sqlite3* db);
Status FsyncPath(const std::string& path, bool directory);
std::map<std::string, std::string> LoadMeta(sqlite3* db);
bool IsSqliteFile(const std::string& path);

// registry_writer.cc
// The meta entries describing an export (beside the caller's `extra`).
std::map<std::string, std::string> ExportMeta(const ExportReport& r, const std::map<std::string, std::string>& extra);
// Streams the export at `path` into an open, empty database in one
// transaction (ExportMeta(report, meta) as its meta). With require_filing,
// an export without a valid filing is refused and nothing is committed.
Result<ExportReport> FillFromExport(sqlite3* db, const std::string& path, const ExportLimits& limits,
                                    const std::string& label, const std::map<std::string, std::string>& meta,
                                    bool require_filing);

}  // namespace shelfguard::registry_db

#endif  // SHELFGUARD_REGISTRY_REGISTRY_DB_H_
