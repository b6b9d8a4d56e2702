// Filling a registry database from an export: the streaming writer (the
// sink of StreamExportFile), and the atomic replacement of a database file.
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/time_text.h"
#include "registry/registry.h"
#include "registry/registry_db.h"

namespace shelfguard {
namespace registry_db {
namespace {

// Writes a registry into an open, empty database in one transaction: Begin(),
// then the records -- it is the sink of a streamed import, so each record is
// inserted as soon as it has been read and validated -- then Finish(), which
// builds the indexes and commits. Destroying an unfinished writer rolls back.
class DbWriter : public ExportSink {
 public:
  explicit DbWriter(sqlite3* db) : db_(db) {}
  ~DbWriter() override {
    filing_.reset();
    package_.reset();
    blacklist_.reset();
    rejected_.reset();
    rejected_package_.reset();
    if (open_) Exec(db_, "ROLLBACK").IgnoreError();
  }
  DbWriter(const DbWriter&) = delete;
  DbWriter& operator=(const DbWriter&) = delete;

  Status Begin() {
    SG_RETURN_IF_ERROR(Exec(db_, "BEGIN"));
    open_ = true;
    SG_RETURN_IF_ERROR(Exec(db_, kSchema));
    auto ins = PrepareStmt(db_,
                           "INSERT INTO filings VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,"
                           "?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27,?28,?29,?30)");
    if (!ins.ok()) return ins.status();
    filing_ = std::move(*ins);
    auto pkg = PrepareStmt(db_, "INSERT INTO packages VALUES(?1,?2,?3)");
    if (!pkg.ok()) return pkg.status();
    package_ = std::move(*pkg);
    auto bl = PrepareStmt(
        db_, "INSERT INTO blacklist(credit_code,since,until,reason) VALUES(?1,?2,?3,?4)");
    if (!bl.ok()) return bl.status();
    blacklist_ = std::move(*bl);
    auto rj = PrepareStmt(db_, "INSERT INTO rejected VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)");
    if (!rj.ok()) return rj.status();
    rejected_ = std::move(*rj);
    auto rp = PrepareStmt(db_, "INSERT INTO rejected_packages VALUES(?1,?2,?3)");
    if (!rp.ok()) return rp.status();
    rejected_package_ = std::move(*rp);
    return Status::Ok();
  }

  Status AddRejected(const RejectedRecord& r) override {
    sqlite3_stmt* s = rejected_.get();
    int64_t id = next_rejected_id_++;
    std::string android = ListJson(r.android_packages);
    std::string ios = ListJson(r.ios_bundle_ids);
    std::string harmony = ListJson(r.harmony_bundle_names);
    std::string mini = ListJson(r.mini_program_appids);
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, id);
    BindStatic(s, 2, r.list);
    sqlite3_bind_int64(s, 3, static_cast<int64_t>(r.index));
    sqlite3_bind_int64(s, 4, static_cast<int64_t>(r.line));
    BindStatic(s, 5, r.filing_number);
    BindStatic(s, 6, r.credit_code);
    BindStatic(s, 7, android);
    BindStatic(s, 8, ios);
    BindStatic(s, 9, r.reason);
    BindStatic(s, 10, harmony);
    BindStatic(s, 11, mini);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return DbError(db_, "insert rejected record " + r.Where());
    // A rejected record's ids may repeat (within it or across records): the
    // look-up table has no key, and at most 8 rows are read per id.
    return AddPackages(rejected_package_.get(), r, id);
  }

  Status AddFiling(Filing&& f, uint64_t line) override {
    sqlite3_stmt* s = filing_.get();
    int64_t id = next_id_++;
    // The list columns must outlive sqlite3_step (bound SQLITE_STATIC).
    lists_[0] = ListJson(f.android_packages);
    lists_[1] = ListJson(f.ios_bundle_ids);
    lists_[2] = ListJson(f.audience);
    lists_[3] = ListJson(f.declared.permissions);
    lists_[4] = ListJson(f.declared.ios_usage_keys);
    lists_[5] = ListJson(f.declared.personal_info);
    lists_[6] = ListJson(f.declared.sdks);
    lists_[7] = ListJson(f.harmony_bundle_names);
    lists_[8] = ListJson(f.mini_program_appids);
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, id);
    BindStatic(s, 2, f.filing_number);
    BindStatic(s, 3, f.app_name);
    BindStatic(s, 4, f.provider.name);
    BindStatic(s, 5, f.provider.credit_code);
    BindStatic(s, 6, f.provider.province);
    BindStatic(s, 7, lists_[0]);
    BindStatic(s, 8, lists_[1]);
    BindStatic(s, 9, f.icp_number);
    BindStatic(s, 10, f.app_icp_number);
    BindStatic(s, 11, f.mlps.filing_number);
    sqlite3_bind_int(s, 12, f.mlps.level);
    BindStatic(s, 13, f.category);
    BindStatic(s, 14, lists_[2]);
    BindStatic(s, 15, f.use);
    if (f.licence_number) {
      BindStatic(s, 16, *f.licence_number);
    } else {
      sqlite3_bind_null(s, 16);
    }
    BindStatic(s, 17, lists_[3]);
    BindStatic(s, 18, lists_[4]);
    BindStatic(s, 19, lists_[5]);
    BindStatic(s, 20, lists_[6]);
    sqlite3_bind_int(s, 21, f.declared.biometric ? 1 : 0);
    sqlite3_bind_int(s, 22, f.declared.biometric_reviewed ? 1 : 0);
    sqlite3_bind_int(s, 23, f.declared.payment ? 1 : 0);
    sqlite3_bind_int(s, 24, f.declared.live_streaming ? 1 : 0);
    BindStatic(s, 25, f.version);
    BindStatic(s, 26, f.status);
    BindStatic(s, 27, f.status_since);
    sqlite3_bind_int64(s, 28, static_cast<int64_t>(line));
    BindStatic(s, 29, lists_[7]);
    BindStatic(s, 30, lists_[8]);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);  // drops the references to f's strings
    if (rc != SQLITE_DONE) return DbError(db_, "insert filing " + f.filing_number);
    SG_RETURN_IF_ERROR(AddPackages(package_.get(), f, id));
    ++filings_;
    return Status::Ok();
  }

  Status AddBlacklist(BlacklistEntry&& b, uint64_t) override {
    sqlite3_stmt* q = blacklist_.get();
    sqlite3_reset(q);
    BindStatic(q, 1, b.credit_code);
    BindStatic(q, 2, b.since);
    BindStatic(q, 3, b.until);
    BindStatic(q, 4, b.reason);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) return DbError(db_, "insert blacklist entry");
    ++blacklist_count_;
    return Status::Ok();
  }

  // Builds the indexes, writes the meta table (`meta` plus format and
  // imported_at) and commits.
  Status Finish(std::map<std::string, std::string> meta) {
    filing_.reset();
    package_.reset();
    blacklist_.reset();
    rejected_.reset();
    rejected_package_.reset();
    SG_RETURN_IF_ERROR(Exec(db_, kIndexes));
    meta["format"] = kDbFormat;
    meta["imported_at"] = UtcNow();
    meta["filings"] = std::to_string(filings_);
    meta["blacklist"] = std::to_string(blacklist_count_);
    auto m = PrepareStmt(db_, "INSERT OR REPLACE INTO meta VALUES(?1,?2)");
    if (!m.ok()) return m.status();
    for (const auto& [k, v] : meta) {
      sqlite3_reset(m->get());
      BindText(m->get(), 1, k);
      BindText(m->get(), 2, v);
      if (sqlite3_step(m->get()) != SQLITE_DONE) return DbError(db_, "insert meta");
    }
    m->reset();
    SG_RETURN_IF_ERROR(Exec(db_, "COMMIT"));
    open_ = false;
    return Status::Ok();
  }

 private:
  static void BindStatic(sqlite3_stmt* st, int i, const std::string& v) {
    sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  // Every app id of `r` (a filing or a rejected record: Android packages,
  // iOS bundle ids, HarmonyOS bundle names, mini-program appids) into the
  // look-up table of `p` for record `id`.
  template <typename Record>
  Status AddPackages(sqlite3_stmt* p, const Record& r, int64_t id) {
    const std::pair<const char*, const std::vector<std::string>*> kinds[] = {
        {"android", &r.android_packages},
        {"ios", &r.ios_bundle_ids},
        {"harmony", &r.harmony_bundle_names},
        {"mini-program", &r.mini_program_appids}};
    for (const auto& [platform, ids] : kinds) {
      for (const std::string& pid : *ids) SG_RETURN_IF_ERROR(AddPackage(p, platform, pid, id));
    }
    return Status::Ok();
  }

  Status AddPackage(sqlite3_stmt* p, const char* platform, const std::string& pid, int64_t id) {
    sqlite3_reset(p);
    sqlite3_bind_text(p, 1, platform, -1, SQLITE_STATIC);
    BindStatic(p, 2, pid);
    sqlite3_bind_int64(p, 3, id);
    int rc = sqlite3_step(p);
    sqlite3_reset(p);
    if (rc != SQLITE_DONE) return DbError(db_, "insert package " + pid);
    return Status::Ok();
  }

  sqlite3* db_;
  bool open_ = false;
  StmtPtr filing_, package_, blacklist_, rejected_, rejected_package_;
  int64_t next_id_ = 1;
  int64_t next_rejected_id_ = 1;
  uint64_t filings_ = 0;
  uint64_t blacklist_count_ = 0;
  std::string lists_[9];
};

}  // namespace

std::map<std::string, std::string> ExportMeta(const ExportReport& r,
                                              const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> meta = extra;
  meta["sha256"] = r.sha256;
  meta["source_format"] = r.format;
  meta["bad_records"] = std::to_string(r.bad_records);
  return meta;
}

Result<ExportReport> FillFromExport(sqlite3* db, const std::string& path, const ExportLimits& limits,
                                    const std::string& label, const std::map<std::string, std::string>& meta,
                                    bool require_filing) {
  DbWriter writer(db);
  SG_RETURN_IF_ERROR(writer.Begin());
  Result<ExportReport> r = StreamExportFile(path, limits, &writer, label);
  if (!r.ok()) return r.status();
  if (require_filing && r->filings == 0) {
    return Status::Invalid((label.empty() ? path : label) + " has no valid filings (" +
                           std::to_string(r->bad_records) + " bad records)");
  }
  SG_RETURN_IF_ERROR(writer.Finish(ExportMeta(*r, meta)));
  return r;
}

}  // namespace registry_db

using namespace registry_db;  // NOLINT(build/namespaces): the database layer of this module

namespace {

// Creates a temp database beside db_path, has `fill` write it, fsyncs it and
// renames it over db_path (then fsyncs the directory). On any failure the temp
// file is removed and db_path is untouched.
Status ReplaceDatabase(const std::string& db_path, const std::function<Status(sqlite3*)>& fill) {
  namespace fs = std::filesystem;
  static std::atomic<unsigned> counter{0};
  fs::path target(db_path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp = (dir / ("." + target.filename().string() + ".tmp-" +
                            std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                        .string();
  ::unlink(tmp.c_str());
  Status st = [&]() -> Status {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(tmp.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    DbPtr db(raw);
    if (rc != SQLITE_OK) return DbError(raw, "create " + tmp);
    SG_RETURN_IF_ERROR(TunePrivateDb(db.get()));
    SG_RETURN_IF_ERROR(fill(db.get()));
    if (sqlite3_close_v2(db.release()) != SQLITE_OK) return Status::IoError("close " + tmp);
    SG_RETURN_IF_ERROR(FsyncPath(tmp, false));
    if (::rename(tmp.c_str(), db_path.c_str()) != 0) {
      return Status::IoError("rename " + tmp + " -> " + db_path + ": " + std::strerror(errno));
    }
    return FsyncPath(dir.string(), true);
  }();
  if (!st.ok()) ::unlink(tmp.c_str());
  return st;
}

}  // namespace

Status WriteDatabase(const ParsedExport& parsed, const std::string& db_path,
                     const std::map<std::string, std::string>& meta) {
  return ReplaceDatabase(db_path, [&](sqlite3* db) -> Status {
    DbWriter writer(db);
    SG_RETURN_IF_ERROR(writer.Begin());
    for (size_t i = 0; i < parsed.filings.size(); ++i) {
      Filing f = parsed.filings[i];
      SG_RETURN_IF_ERROR(writer.AddFiling(
          std::move(f), i < parsed.filing_lines.size() ? parsed.filing_lines[i] : 0));
    }
    for (const BlacklistEntry& b : parsed.blacklist) {
      SG_RETURN_IF_ERROR(writer.AddBlacklist(BlacklistEntry(b), 0));
    }
    for (const RejectedRecord& rj : parsed.rejected) SG_RETURN_IF_ERROR(writer.AddRejected(rj));
    ExportReport r;
    r.sha256 = parsed.sha256;
    r.format = parsed.format;
    r.bad_records = parsed.bad_records;
    return writer.Finish(ExportMeta(r, meta));
  });
}

Result<ImportSummary> ImportExport(const std::string& export_path, const std::string& db_path,
                                   const ImportOptions& options) {
  const std::string& label = options.label.empty() ? export_path : options.label;
  ImportSummary summary;
  Status st = ReplaceDatabase(db_path, [&](sqlite3* db) -> Status {
    Result<ExportReport> r =
        FillFromExport(db, export_path, options.limits, label, options.meta, options.require_filing);
    if (!r.ok()) return r.status();
    summary.filings = r->filings;
    summary.blacklist = r->blacklist;
    summary.bad_records = r->bad_records;
    summary.problem_count = r->problem_count;
    summary.problems = std::move(r->problems);
    summary.rejected = std::move(r->rejected);
    summary.version = "sha256:" + r->sha256.substr(0, 16);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return summary;
}

Result<ImportSummary> ImportExport(const std::string& export_path, const std::string& db_path) {
  ImportOptions options;
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(export_path, ec);
  options.meta["source"] = ec ? export_path : abs.string();
  return ImportExport(export_path, db_path, options);
}

}  // namespace shelfguard
