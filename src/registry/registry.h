// The filing registry: an SQLite database holding the data model of
// filing.h (docs/registry-format.md), built from a registry export by
// `shelfguard registry import` / `sync`, and read by the policy engine.
//
// A Registry is immutable after Open() and its const methods are safe to call
// from several threads (one connection, prepared statements behind a mutex).
// Databases are replaced, never edited in place: a new one is written to a
// temporary file in the same directory, fsynced and renamed over the old one,
// so readers see either the old or the new copy, never a half-written one.
#ifndef SHELFGUARD_SRC_REGISTRY_REGISTRY_H_
#define SHELFGUARD_SRC_REGISTRY_REGISTRY_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/export.h"
#include "registry/filing.h"
#include "shelfguard/facts.h"
#include "shelfguard/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace shelfguard {

// What loading a registry found: how many records were loaded and which
// were rejected (each with its position, identity and reason). A registry
// with rejected records still serves its good records unless opened strict;
// every face of the tool reports the rejections (scan on stderr, the daemon
// in its log and status, import/sync/validate on stderr).
struct RegistryLoadReport {
  std::string source;            // the path opened
  uint64_t filings = 0;          // loaded
  uint64_t blacklist = 0;        // loaded
  uint64_t rejected_count = 0;   // exact, also beyond `rejected`
  std::vector<RejectedRecord> rejected;  // the first ExportLimits::max_problems
  // "registry <source>: 11 filings, 1 blacklist entry loaded; 1 record rejected"
  std::string Summary() const;
  // Summary() and then one line per rejected record (at most `max_records`,
  // then "... and N more"), each ending in '\n'.
  std::string Describe(size_t max_records) const;
};

struct RegistryOpenOptions {
  // Refuse a registry holding any rejected record (--registry-strict,
  // scan.registry_strict): Open() then fails with a message naming the count
  // and the first rejected record.
  bool strict = false;
};

class Registry {
 public:
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // path: a SQLite database (made by `registry import`), or a registry export
  // (.json / .csv) loaded into an in-memory database. Bad records of an export
  // are left out and listed in load_problems().
  static Result<std::unique_ptr<Registry>> Open(const std::string& path);
  static Result<std::unique_ptr<Registry>> Open(const std::string& path,
                                                const RegistryOpenOptions& options);

  // Android package / iOS bundle id.
  std::optional<Filing> FindByPackage(Platform platform, std::string_view id) const;
  std::optional<Filing> FindByFilingNumber(std::string_view number) const;
  std::vector<Filing> FindByCreditCode(std::string_view code) const;
  // The most recent blacklist entry of the provider, if any.
  std::optional<BlacklistEntry> FindBlacklist(std::string_view credit_code) const;
  // Identifies the contents: "sha256:<16 hex of the export>"; changes whenever
  // the contents change.
  std::string version() const { return version_; }

  size_t filing_count() const { return filing_count_; }
  size_t blacklist_count() const { return blacklist_count_; }
  // The database's meta table (format, source, sha256, imported_at, etag ...).
  const std::map<std::string, std::string>& meta() const { return meta_; }
  // Problems met while loading an export directly (empty for a database).
  const std::vector<ImportProblem>& load_problems() const { return load_problems_; }
  // The records loaded and rejected: from the export just read, or for a
  // database from what `registry import` / `sync` recorded in it (a
  // database written before rejected records were kept reports none).
  const RegistryLoadReport& load_report() const { return load_report_; }
  // The rejected records that carried this package id (at most 8). A package
  // found only here is not "unfiled": its filing exists but was refused.
  std::vector<RejectedRecord> FindRejected(Platform platform, std::string_view id) const;

 private:
  Registry() = default;
  Status Prepare();
  std::optional<Filing> ReadFiling(sqlite3_stmt* st) const;

  sqlite3* db_ = nullptr;
  mutable std::mutex mu_;  // guards the statements below
  sqlite3_stmt* by_package_ = nullptr;
  sqlite3_stmt* by_number_ = nullptr;
  sqlite3_stmt* by_credit_ = nullptr;
  sqlite3_stmt* blacklist_ = nullptr;
  sqlite3_stmt* rejected_ = nullptr;  // nullptr: a database without the rejected table
  std::string version_;
  size_t filing_count_ = 0;
  size_t blacklist_count_ = 0;
  std::map<std::string, std::string> meta_;
  std::vector<ImportProblem> load_problems_;
  RegistryLoadReport load_report_;
};

// One filing object (self-check `scan --filing`), same schema as one element
// of "filings"; every identifier is validated.
Result<Filing> LoadFilingJson(const std::string& path);

struct ImportSummary {
  uint64_t filings = 0;
  uint64_t blacklist = 0;
  uint64_t bad_records = 0;
  std::vector<ImportProblem> problems;  // capped (ExportLimits::max_problems)
  std::vector<RejectedRecord> rejected;  // capped (ExportLimits::max_problems)
  uint64_t problem_count = 0;           // all problems, also beyond the cap
  std::string version;
};

struct ImportOptions {
  std::map<std::string, std::string> meta;  // added to the meta table (source, etag ...)
  std::string label;           // names the export in problems and errors (default: its path)
  bool require_filing = false;  // refuse an export without a valid filing (sync)
  ExportLimits limits;
};

// Writes `parsed` as a new database at `db_path`, atomically replacing any
// existing file (temp file in the same directory, fsync, rename). `meta` adds
// entries to the meta table (source, etag, last_modified ...).
Status WriteDatabase(const ParsedExport& parsed, const std::string& db_path,
                     const std::map<std::string, std::string>& meta);

// Parses, validates and imports an export file into a new database that
// atomically replaces `db_path` (meta "source" = the export's absolute path).
// The export is streamed: each record is validated and inserted as it is
// read, so memory does not grow with the export. Fails as a whole (db_path
// untouched) when ParseExportFile would, or on a database error.
Result<ImportSummary> ImportExport(const std::string& export_path, const std::string& db_path);
// Same, with options; with require_filing an export without a valid filing
// fails with "<label> has no valid filings (N bad records)".
Result<ImportSummary> ImportExport(const std::string& export_path, const std::string& db_path,
                                   const ImportOptions& options);

// Reads the meta table of an existing database (empty map when absent).
std::map<std::string, std::string> ReadDatabaseMeta(const std::string& db_path);

// $XDG_DATA_HOME/shelfguard/registry.db or ~/.local/share/shelfguard/registry.db.
std::string DefaultDatabasePath();

}  // namespace shelfguard

#endif  // SHELFGUARD_SRC_REGISTRY_REGISTRY_H_
