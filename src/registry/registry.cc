#include "registry/registry.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "ids/identifiers.h"

namespace shelfguard {
namespace {

using nlohmann::json;

// /2 added the HarmonyOS and mini-program id columns (issue 17).
constexpr char kDbFormat[] = "shelfguard-registry-db/2";

// The schema (docs/registry-format.md). Lists are JSON arrays of strings.
// android_packages / ios_bundle_ids are kept in the row for reading back and
// in `packages` (one row per id) for lookups.
constexpr char kSchema[] = R"sql(
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
constexpr char kIndexes[] = R"sql(
CREATE UNIQUE INDEX filings_by_number ON filings(filing_number);
CREATE INDEX filings_by_credit_code ON filings(credit_code);
CREATE INDEX blacklist_by_credit_code ON blacklist(credit_code, since);
CREATE INDEX rejected_by_package ON rejected_packages(platform, package_id);
)sql";

// Rejected records kept for the load report and look-ups: every one of an
// export (bounded by ExportLimits::max_records); a report lists the first
// kMaxReportedRejected.
constexpr size_t kMaxReportedRejected = ExportLimits().max_problems;
constexpr char kRejectedColumns[] =
    "r.list, r.idx, r.line, r.filing_number, r.credit_code, r.android_packages, "
    "r.ios_bundle_ids, r.reason, r.harmony_bundle_names, r.mini_program_appids";

constexpr char kFilingColumns[] =
    "f.id, f.filing_number, f.app_name, f.provider_name, f.credit_code, f.province, "
    "f.android_packages, f.ios_bundle_ids, f.icp_number, f.app_icp_number, "
    "f.mlps_filing_number, f.mlps_level, f.category, f.audience, f.app_use, f.licence_number, "
    "f.declared_permissions, f.declared_ios_usage_keys, f.declared_personal_info, "
    "f.declared_sdks, f.declared_biometric, f.declared_biometric_reviewed, f.declared_payment, "
    "f.declared_live_streaming, f.version, f.status, f.status_since, f.harmony_bundle_names, "
    "f.mini_program_appids";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
struct StmtCloser {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtCloser>;

Status DbError(sqlite3* db, const std::string& what) {
  return Status::IoError(what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    return Status::IoError(std::string("sqlite: ") + msg);
  }
  return Status::Ok();
}

Result<StmtPtr> PrepareStmt(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) !=
      SQLITE_OK) {
    return DbError(db, "prepare");
  }
  return StmtPtr(st);
}

void BindText(sqlite3_stmt* st, int i, std::string_view v) {
  sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

// Lists are stored as JSON arrays of strings. Import refuses control
// characters, so only '"' and '\\' need escaping; this hand-written pair is
// several times faster than building nlohmann values per row, and ParseList
// falls back to nlohmann for anything else (a database edited by hand).
std::string ListJson(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : v[i]) {
      if (static_cast<unsigned char>(c) < 0x20) {
        return json(v).dump(-1, ' ', false, json::error_handler_t::replace);
      }
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += ']';
  return out;
}

std::vector<std::string> ParseList(const unsigned char* text) {
  std::vector<std::string> out;
  if (text == nullptr) return out;
  std::string_view t(reinterpret_cast<const char*>(text));
  // Fast path: ["a","b"] with only \" and \\ escapes.
  bool fast = t.size() >= 2 && t.front() == '[' && t.back() == ']';
  size_t i = 1;
  while (fast && i < t.size() - 1) {
    if (t[i] != '"') {
      fast = false;
      break;
    }
    std::string item;
    ++i;
    while (i < t.size() - 1 && t[i] != '"') {
      if (t[i] == '\\') {
        if (i + 1 >= t.size() - 1 || (t[i + 1] != '"' && t[i + 1] != '\\')) {
          fast = false;
          break;
        }
        ++i;
      }
      item += t[i++];
    }
    if (!fast || i >= t.size() - 1) {
      fast = false;
      break;
    }
    ++i;  // closing quote
    out.push_back(std::move(item));
    if (i < t.size() - 1) {
      if (t[i] != ',') {
        fast = false;
        break;
      }
      ++i;
    }
  }
  if (fast) return out;
  out.clear();
  json j = json::parse(t.begin(), t.end(), nullptr, false);
  if (!j.is_array()) return out;
  for (const json& e : j) {
    if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

std::string ColText(sqlite3_stmt* st, int i) {
  const unsigned char* t = sqlite3_column_text(st, i);
  return t != nullptr ? std::string(reinterpret_cast<const char*>(t),
                                    static_cast<size_t>(sqlite3_column_bytes(st, i)))
                      : std::string();
}

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

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
    for (const std::string& a : r.android_packages) {
      SG_RETURN_IF_ERROR(AddPackage(rejected_package_.get(), "android", a, id));
    }
    for (const std::string& b : r.ios_bundle_ids) {
      SG_RETURN_IF_ERROR(AddPackage(rejected_package_.get(), "ios", b, id));
    }
    for (const std::string& h : r.harmony_bundle_names) {
      SG_RETURN_IF_ERROR(AddPackage(rejected_package_.get(), "harmony", h, id));
    }
    for (const std::string& m : r.mini_program_appids) {
      SG_RETURN_IF_ERROR(AddPackage(rejected_package_.get(), "mini-program", m, id));
    }
    return Status::Ok();
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
    for (const std::string& a : f.android_packages) {
      SG_RETURN_IF_ERROR(AddPackage(package_.get(), "android", a, id));
    }
    for (const std::string& b : f.ios_bundle_ids) {
      SG_RETURN_IF_ERROR(AddPackage(package_.get(), "ios", b, id));
    }
    for (const std::string& h : f.harmony_bundle_names) {
      SG_RETURN_IF_ERROR(AddPackage(package_.get(), "harmony", h, id));
    }
    for (const std::string& m : f.mini_program_appids) {
      SG_RETURN_IF_ERROR(AddPackage(package_.get(), "mini-program", m, id));
    }
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
    meta["imported_at"] = NowUtc();
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

// The meta entries describing an export (beside the caller's `extra`).
std::map<std::string, std::string> ExportMeta(const ExportReport& r,
                                              const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> meta = extra;
  meta["sha256"] = r.sha256;
  meta["source_format"] = r.format;
  meta["bad_records"] = std::to_string(r.bad_records);
  return meta;
}

// Opens the connection of a database that is private until it is renamed
// into place (a temp file) or never outlives the process (:memory:): no
// journal and no syncs while it is written -- a crash leaves only a stray
// temp file, never a broken live database; the finished file is fsynced once
// before the rename.
Status TunePrivateDb(sqlite3* db) {
  return Exec(db,
              "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;"
              " PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;");
}

Status FsyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return Status::IoError("open " + path + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  if (rc != 0) return Status::IoError("fsync " + path + ": " + std::strerror(e));
  return Status::Ok();
}

std::map<std::string, std::string> LoadMeta(sqlite3* db) {
  std::map<std::string, std::string> meta;
  auto st = PrepareStmt(db, "SELECT key, value FROM meta");
  if (!st.ok()) return meta;
  while (sqlite3_step(st->get()) == SQLITE_ROW) {
    meta[ColText(st->get(), 0)] = ColText(st->get(), 1);
  }
  return meta;
}

bool IsSqliteFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[16] = {0};
  in.read(magic, sizeof(magic));
  return in.gcount() == 16 && std::memcmp(magic, "SQLite format 3", 16) == 0;
}

}  // namespace

Registry::~Registry() {
  for (sqlite3_stmt* s : {by_package_, by_number_, by_credit_, blacklist_, rejected_}) {
    sqlite3_finalize(s);
  }
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Status Registry::Prepare() {
  std::string cols = kFilingColumns;
  struct {
    sqlite3_stmt** out;
    std::string sql;
  } stmts[] = {
      {&by_package_, "SELECT " + cols +
                         " FROM packages p JOIN filings f ON f.id = p.filing_id"
                         " WHERE p.platform = ?1 AND p.package_id = ?2"},
      {&by_number_, "SELECT " + cols + " FROM filings f WHERE f.filing_number = ?1"},
      {&by_credit_, "SELECT " + cols + " FROM filings f WHERE f.credit_code = ?1 ORDER BY f.id"},
      {&blacklist_, "SELECT credit_code, since, until, reason FROM blacklist"
                    " WHERE credit_code = ?1 ORDER BY since DESC, id DESC LIMIT 1"},
  };
  for (auto& s : stmts) {
    auto r = PrepareStmt(db_, s.sql);
    if (!r.ok()) return Status::Malformed("not a shelfguard registry database: " + r.status().message());
    *s.out = r->release();
  }
  // Databases imported before rejected records were kept have no table.
  auto rj = PrepareStmt(db_, std::string("SELECT ") + kRejectedColumns +
                                 " FROM rejected_packages p JOIN rejected r ON r.id = p.rejected_id"
                                 " WHERE p.platform = ?1 AND p.package_id = ?2 ORDER BY r.id LIMIT 8");
  if (rj.ok()) rejected_ = rj->release();
  return Status::Ok();
}

namespace {

// The `platform` column of packages / rejected_packages (nullptr: no ids).
const char* PlatformKey(Platform platform) {
  switch (platform) {
    case Platform::kAndroid: return "android";
    case Platform::kIos: return "ios";
    case Platform::kHarmony: return "harmony";
    case Platform::kMiniProgram: return "mini-program";
    default: return nullptr;
  }
}

RejectedRecord ReadRejected(sqlite3_stmt* st, const std::string& file) {
  RejectedRecord r;
  r.file = file;
  r.list = ColText(st, 0);
  r.index = static_cast<uint64_t>(sqlite3_column_int64(st, 1));
  r.line = static_cast<uint64_t>(sqlite3_column_int64(st, 2));
  r.filing_number = ColText(st, 3);
  r.credit_code = ColText(st, 4);
  r.android_packages = ParseList(sqlite3_column_text(st, 5));
  r.ios_bundle_ids = ParseList(sqlite3_column_text(st, 6));
  r.reason = ColText(st, 7);
  r.harmony_bundle_names = ParseList(sqlite3_column_text(st, 8));
  r.mini_program_appids = ParseList(sqlite3_column_text(st, 9));
  return r;
}

// The first rejected records of a database (none without the table).
std::vector<RejectedRecord> LoadRejected(sqlite3* db, const std::string& file) {
  std::vector<RejectedRecord> out;
  auto st = PrepareStmt(db, std::string("SELECT ") + kRejectedColumns +
                                " FROM rejected r ORDER BY r.id LIMIT " +
                                std::to_string(kMaxReportedRejected));
  if (!st.ok()) return out;
  while (sqlite3_step(st->get()) == SQLITE_ROW) out.push_back(ReadRejected(st->get(), file));
  return out;
}

std::string Plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string RegistryLoadReport::Summary() const {
  return "registry " + source + ": " + Plural(filings, "filing", "filings") + ", " +
         Plural(blacklist, "blacklist entry", "blacklist entries") + " loaded; " +
         Plural(rejected_count, "record", "records") + " rejected";
}

std::string RegistryLoadReport::Describe(size_t max_records) const {
  std::string out = Summary() + "\n";
  size_t n = 0;
  for (const RejectedRecord& r : rejected) {
    if (n++ >= max_records) break;
    out += "  rejected " + r.ToString() + "\n";
  }
  if (rejected_count > std::min<uint64_t>(n, max_records)) {
    out += "  ... and " + std::to_string(rejected_count - std::min<uint64_t>(n, max_records)) +
           " more\n";
  }
  return out;
}

std::vector<RejectedRecord> Registry::FindRejected(Platform platform, std::string_view id) const {
  std::vector<RejectedRecord> out;
  const char* p = PlatformKey(platform);
  if (rejected_ == nullptr || p == nullptr || id.empty()) return out;
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_reset(rejected_);
  sqlite3_bind_text(rejected_, 1, p, -1, SQLITE_STATIC);
  BindText(rejected_, 2, id);
  while (sqlite3_step(rejected_) == SQLITE_ROW) {
    out.push_back(ReadRejected(rejected_, load_report_.source));
  }
  sqlite3_reset(rejected_);
  return out;
}

Result<std::unique_ptr<Registry>> Registry::Open(const std::string& path) {
  return Open(path, RegistryOpenOptions());
}

Result<std::unique_ptr<Registry>> Registry::Open(const std::string& path,
                                                 const RegistryOpenOptions& options) {
  std::unique_ptr<Registry> reg(new Registry());
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound("registry not found: " + path);
  }
  if (IsSqliteFile(path)) {
    if (sqlite3_open_v2(path.c_str(), &reg->db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
      return DbError(reg->db_, "open " + path);
    }
    // Lookups read pages through mmap and a 32 MiB cache rather than a
    // pread per page (the lookup target is < 50 µs).
    Exec(reg->db_, "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-32768;").IgnoreError();
    reg->meta_ = LoadMeta(reg->db_);
    if (reg->meta_["format"] != kDbFormat) {
      return Status::Malformed(path + ": not a shelfguard registry database (meta.format is \"" +
                               reg->meta_["format"] + "\")");
    }
  } else {
    if (sqlite3_open_v2(":memory:", &reg->db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
      return DbError(reg->db_, "open in-memory database");
    }
    SG_RETURN_IF_ERROR(TunePrivateDb(reg->db_));
    DbWriter writer(reg->db_);
    SG_RETURN_IF_ERROR(writer.Begin());
    Result<ExportReport> report = StreamExportFile(path, ExportLimits(), &writer);
    if (!report.ok()) return report.status();
    SG_RETURN_IF_ERROR(writer.Finish(ExportMeta(*report, {{"source", path}})));
    reg->meta_ = LoadMeta(reg->db_);
    reg->load_problems_ = std::move(report->problems);
  }
  SG_RETURN_IF_ERROR(reg->Prepare());
  const std::string& sha = reg->meta_["sha256"];
  reg->version_ = "sha256:" + sha.substr(0, 16);
  reg->filing_count_ = std::strtoull(reg->meta_["filings"].c_str(), nullptr, 10);
  reg->blacklist_count_ = std::strtoull(reg->meta_["blacklist"].c_str(), nullptr, 10);
  RegistryLoadReport& lr = reg->load_report_;
  lr.source = path;
  lr.filings = reg->filing_count_;
  lr.blacklist = reg->blacklist_count_;
  lr.rejected_count = std::strtoull(reg->meta_["bad_records"].c_str(), nullptr, 10);
  lr.rejected = LoadRejected(reg->db_, path);
  if (options.strict && lr.rejected_count > 0) {
    std::string msg = lr.Summary() + ", and a strict registry must have none";
    if (!lr.rejected.empty()) msg += "; first: " + lr.rejected.front().ToString();
    return Status::Invalid(msg);
  }
  return reg;
}

std::optional<Filing> Registry::ReadFiling(sqlite3_stmt* st) const {
  Filing f;
  f.filing_number = ColText(st, 1);
  f.app_name = ColText(st, 2);
  f.provider.name = ColText(st, 3);
  f.provider.credit_code = ColText(st, 4);
  f.provider.province = ColText(st, 5);
  f.android_packages = ParseList(sqlite3_column_text(st, 6));
  f.ios_bundle_ids = ParseList(sqlite3_column_text(st, 7));
  f.icp_number = ColText(st, 8);
  f.app_icp_number = ColText(st, 9);
  f.mlps.filing_number = ColText(st, 10);
  f.mlps.level = sqlite3_column_int(st, 11);
  f.category = ColText(st, 12);
  f.audience = ParseList(sqlite3_column_text(st, 13));
  f.use = ColText(st, 14);
  if (sqlite3_column_type(st, 15) != SQLITE_NULL) f.licence_number = ColText(st, 15);
  f.declared.permissions = ParseList(sqlite3_column_text(st, 16));
  f.declared.ios_usage_keys = ParseList(sqlite3_column_text(st, 17));
  f.declared.personal_info = ParseList(sqlite3_column_text(st, 18));
  f.declared.sdks = ParseList(sqlite3_column_text(st, 19));
  f.declared.biometric = sqlite3_column_int(st, 20) != 0;
  f.declared.biometric_reviewed = sqlite3_column_int(st, 21) != 0;
  f.declared.payment = sqlite3_column_int(st, 22) != 0;
  f.declared.live_streaming = sqlite3_column_int(st, 23) != 0;
  f.version = ColText(st, 24);
  f.status = ColText(st, 25);
  f.status_since = ColText(st, 26);
  f.harmony_bundle_names = ParseList(sqlite3_column_text(st, 27));
  f.mini_program_appids = ParseList(sqlite3_column_text(st, 28));
  return f;
}

std::optional<Filing> Registry::FindByPackage(Platform platform, std::string_view id) const {
  const char* p = PlatformKey(platform);
  if (p == nullptr || id.empty()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_reset(by_package_);
  sqlite3_bind_text(by_package_, 1, p, -1, SQLITE_STATIC);
  BindText(by_package_, 2, id);
  std::optional<Filing> out;
  if (sqlite3_step(by_package_) == SQLITE_ROW) out = ReadFiling(by_package_);
  sqlite3_reset(by_package_);
  return out;
}

std::optional<Filing> Registry::FindByFilingNumber(std::string_view number) const {
  std::string n = ids::NormalizeNumber(number);
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_reset(by_number_);
  BindText(by_number_, 1, n);
  std::optional<Filing> out;
  if (sqlite3_step(by_number_) == SQLITE_ROW) out = ReadFiling(by_number_);
  sqlite3_reset(by_number_);
  return out;
}

std::vector<Filing> Registry::FindByCreditCode(std::string_view code) const {
  std::string c = ids::NormalizeNumber(code);
  std::vector<Filing> out;
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_reset(by_credit_);
  BindText(by_credit_, 1, c);
  while (sqlite3_step(by_credit_) == SQLITE_ROW) {
    if (auto f = ReadFiling(by_credit_)) out.push_back(std::move(*f));
  }
  sqlite3_reset(by_credit_);
  return out;
}

std::optional<BlacklistEntry> Registry::FindBlacklist(std::string_view credit_code) const {
  std::string c = ids::NormalizeNumber(credit_code);
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_reset(blacklist_);
  BindText(blacklist_, 1, c);
  std::optional<BlacklistEntry> out;
  if (sqlite3_step(blacklist_) == SQLITE_ROW) {
    BlacklistEntry b;
    b.credit_code = ColText(blacklist_, 0);
    b.since = ColText(blacklist_, 1);
    b.until = ColText(blacklist_, 2);
    b.reason = ColText(blacklist_, 3);
    out = std::move(b);
  }
  sqlite3_reset(blacklist_);
  return out;
}

Result<Filing> LoadFilingJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open " + path);
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > (16u << 20)) return Status::OverLimit(path + ": over 16 MiB");
  }
  return ParseFilingJson(text, path);
}

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
    DbWriter writer(db);
    SG_RETURN_IF_ERROR(writer.Begin());
    Result<ExportReport> r = StreamExportFile(export_path, options.limits, &writer, label);
    if (!r.ok()) return r.status();
    if (options.require_filing && r->filings == 0) {
      return Status::Invalid(label + " has no valid filings (" + std::to_string(r->bad_records) +
                             " bad records)");
    }
    SG_RETURN_IF_ERROR(writer.Finish(ExportMeta(*r, options.meta)));
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

std::map<std::string, std::string> ReadDatabaseMeta(const std::string& db_path) {
  std::map<std::string, std::string> meta;
  if (!IsSqliteFile(db_path)) return meta;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return meta;
  return LoadMeta(db.get());
}

std::string DefaultDatabasePath() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/shelfguard/registry.db";
  const char* home = std::getenv("HOME");
  std::string h = home != nullptr && home[0] != '\0' ? home : ".";
  return h + "/.local/share/shelfguard/registry.db";
}

}  // namespace shelfguard
