#include "registry/registry.h"

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>

#include "core/bounded_file.h"
#include "ids/identifiers.h"
#include "registry/registry_db.h"

namespace shelfguard {

using namespace registry_db;  // NOLINT(build/namespaces): the database layer of this module

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

// Runs the lookup `st` with `params` bound as text to ?1, ?2 ..., calling
// `row` on each result row until it returns false. The statement is reset
// before and after, so a cached statement is always ready and holds no
// read transaction between lookups. The caller holds the registry's mutex.
void Lookup(sqlite3_stmt* st, std::initializer_list<std::string_view> params,
            const std::function<bool(sqlite3_stmt*)>& row) {
  sqlite3_reset(st);
  int i = 1;
  for (std::string_view p : params) BindText(st, i++, p);
  while (sqlite3_step(st) == SQLITE_ROW && row(st)) {
  }
  sqlite3_reset(st);
}

// What `read` makes of the first row of Lookup(st, params), under `mu`;
// nullopt when there is none.
template <typename Read>
auto FirstRow(std::mutex& mu, sqlite3_stmt* st, std::initializer_list<std::string_view> params, const Read& read)
    -> decltype(read(st)) {
  decltype(read(st)) out;
  std::lock_guard<std::mutex> lock(mu);
  Lookup(st, params, [&](sqlite3_stmt* row) {
    out = read(row);
    return false;
  });
  return out;
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
  Lookup(rejected_, {p, id}, [&](sqlite3_stmt* st) {
    out.push_back(ReadRejected(st, load_report_.source));
    return true;
  });
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
    Result<ExportReport> report = FillFromExport(reg->db_, path, ExportLimits(), "", {{"source", path}}, false);
    if (!report.ok()) return report.status();
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
  return FirstRow(mu_, by_package_, {p, id}, [this](sqlite3_stmt* st) { return ReadFiling(st); });
}

std::optional<Filing> Registry::FindByFilingNumber(std::string_view number) const {
  std::string n = ids::NormalizeNumber(number);
  return FirstRow(mu_, by_number_, {n}, [this](sqlite3_stmt* st) { return ReadFiling(st); });
}

std::vector<Filing> Registry::FindByCreditCode(std::string_view code) const {
  std::string c = ids::NormalizeNumber(code);
  std::vector<Filing> out;
  std::lock_guard<std::mutex> lock(mu_);
  Lookup(by_credit_, {c}, [&](sqlite3_stmt* st) {
    if (auto f = ReadFiling(st)) out.push_back(std::move(*f));
    return true;
  });
  return out;
}

std::optional<BlacklistEntry> Registry::FindBlacklist(std::string_view credit_code) const {
  std::string c = ids::NormalizeNumber(credit_code);
  return FirstRow(mu_, blacklist_, {c}, [](sqlite3_stmt* st) {
    BlacklistEntry b;
    b.credit_code = ColText(st, 0);
    b.since = ColText(st, 1);
    b.until = ColText(st, 2);
    b.reason = ColText(st, 3);
    return std::optional<BlacklistEntry>(std::move(b));
  });
}

Result<Filing> LoadFilingJson(const std::string& path) {
  auto text = ReadFileBounded(path, 16u << 20, "filing file");
  if (!text.ok()) return text.status();
  return ParseFilingJson(*text, path);
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
