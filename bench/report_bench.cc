// report_bench: the sweep report over 100,000 synthetic stored results.
//
// Writes a daemon database (the store's schema, made by queue::Store::Open)
// holding N results (default 100,000): 20,000 apps scanned five times over
// 30 days from five sources, each report a full JSON report of the kind the
// daemon stores (identity, permissions, components, SDKs with evidence,
// displayed numbers, findings, filing record). Then times reading it and
// writing the HTML, JSON and XLSX sweep reports. Target: < 10 s for the
// read plus the HTML.
//
//   report_bench [N] [DIR]
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "queue/store.h"
#include "report/notice_list.h"
#include "report/sweep.h"
#include "shelfguard/report.h"

namespace {

using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

const char* kRules[] = {"CONTENT-AD-SDK", "CONTENT-GAME", "FILING-NOT-DISPLAYED", "PRIV-UNDISCLOSED-PERMISSION",
                        "SEC-DEBUGGABLE", "FILING-STALE", "PRIV-BIOMETRIC", "FILING-ICP-MISSING"};
const char* kSources[] = {"feed:huawei", "feed:xiaomi", "feed:oppo", "dir:upload", "submit"};

shelfguard::Report SyntheticReport(int app, int scan, std::mt19937& rng) {
  using namespace shelfguard;
  Report r;
  Facts& f = r.facts;
  f.analysed = true;
  f.file = "app" + std::to_string(app) + "-" + std::to_string(scan) + ".apk";
  char sha[65];
  std::snprintf(sha, sizeof sha, "%016x%016x%016x%016x", app, scan, app * 7919, scan * 104729);
  f.sha256 = sha;
  f.size = 20'000'000 + static_cast<uint64_t>(app);
  f.package = {Platform::kAndroid, "cn.edu.app" + std::to_string(app), "学习应用" + std::to_string(app),
               std::to_string(100 + scan), "1." + std::to_string(scan), 21, 33, "", {}};
  for (int i = 0; i < 12; ++i) f.permissions.push_back({"android.permission.PERM_" + std::to_string(i), i % 3 == 0, {}, false});
  for (int i = 0; i < 25; ++i) {
    f.components.push_back({"activity", "cn.edu.app" + std::to_string(app) + ".ui.Activity" + std::to_string(i),
                            i % 5 == 0, true, i % 4 == 0, "", true});
  }
  for (int i = 0; i < 6; ++i) {
    SdkHit h{"sdk" + std::to_string(i), "SDK " + std::to_string(i), "Vendor", i == 0 ? "ads" : "analytics",
             "referenced", {}};
    for (int k = 0; k < 3; ++k) h.evidence.push_back({"class", "classes.dex", "com.vendor" + std::to_string(i) + ".C" + std::to_string(k), true});
    f.sdks.push_back(std::move(h));
  }
  f.displayed_numbers.push_back({"moe-filing", "教APP备1100" + std::to_string(100 + app % 900) + "号", "", "res/values/strings.xml", true, ""});
  int provider = app % 300;
  r.filing = FilingRecord{"registry", "教APP备1100" + std::to_string(100 + app % 900) + "号", "学习应用" + std::to_string(app),
                          "教育科技有限公司" + std::to_string(provider), "91110108MA01" + std::to_string(100000 + provider),
                          "active", "other", "1.0"};
  // Each app violates 0-3 rules, changing a little from scan to scan.
  int n = static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) {
    const char* rule = kRules[(app + i * 3 + (rng() % 5 == 0 ? scan : 0)) % 8];
    bool dup = false;
    for (const auto& x : r.findings) dup = dup || x.rule_id == rule;
    if (dup) continue;
    Finding fd{rule, Severity::kViolation, "message", "违规说明", {}, "001 art. 14", std::nullopt};
    fd.evidence.push_back({"class", "classes.dex", "SDK 0: com.vendor0.C0", true});
    r.findings.push_back(std::move(fd));
  }
  ComputeVerdict(&r);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  std::string dir = argc > 2 ? argv[2] : "/tmp/sg-report-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string db_path = dir + "/queue.db";
  {
    auto store = shelfguard::queue::Store::Open(db_path);  // the daemon's schema
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
  }
  auto t0 = Clock::now();
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt *job = nullptr, *res = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO jobs(id, source, name, state, finished_ms) VALUES(?,?,?,'done',?)", -1, &job, nullptr);
  sqlite3_prepare_v2(db,
                     "INSERT INTO results(job_id, sha256, size, sig_version, reg_version, verdict, error, report, "
                     "finished_ms) VALUES(?,?,?,'sig-1','reg-1',?,'',?,?)",
                     -1, &res, nullptr);
  std::mt19937 rng(42);
  const int apps = std::max(1, n / 5);
  const int64_t start_ms = 1790000000000;  // 2026-09-21
  uint64_t bytes = 0;
  for (int i = 0; i < n; ++i) {
    int app = i % apps, scan = i / apps;
    shelfguard::Report r = SyntheticReport(app, scan, rng);
    std::string json = shelfguard::ReportToJson(r);
    bytes += json.size();
    int64_t t = start_ms + static_cast<int64_t>(i) * (30LL * 86400000 / n);
    sqlite3_bind_int64(job, 1, i + 1);
    sqlite3_bind_text(job, 2, kSources[app % 5], -1, SQLITE_STATIC);
    sqlite3_bind_text(job, 3, r.facts.file.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(job, 4, t);
    sqlite3_step(job);
    sqlite3_reset(job);
    sqlite3_bind_int64(res, 1, i + 1);
    sqlite3_bind_text(res, 2, r.facts.sha256.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(res, 3, static_cast<int64_t>(r.facts.size));
    sqlite3_bind_text(res, 4, shelfguard::SeverityName(r.verdict), -1, SQLITE_STATIC);
    sqlite3_bind_text(res, 5, json.c_str(), static_cast<int>(json.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(res, 6, t);
    sqlite3_step(res);
    sqlite3_reset(res);
  }
  sqlite3_finalize(job);
  sqlite3_finalize(res);
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  std::printf("wrote %d results (%.1f MiB of report JSON, %.0f bytes each) in %.1f s\n", n, bytes / 1048576.0,
              static_cast<double>(bytes) / n, Since(t0));

  shelfguard::report::SweepOptions o;
  o.state_dir = dir;
  auto t1 = Clock::now();
  auto sweep = shelfguard::report::LoadSweep(o);
  if (!sweep.ok()) {
    std::fprintf(stderr, "%s\n", sweep.status().ToString().c_str());
    return 1;
  }
  double read_s = Since(t1);
  auto t2 = Clock::now();
  std::string html = shelfguard::report::SweepHtml(*sweep);
  double html_s = Since(t2);
  auto t3 = Clock::now();
  std::string json = shelfguard::report::SweepJson(*sweep);
  double json_s = Since(t3);
  auto t4 = Clock::now();
  auto st = shelfguard::report::WriteXlsx(sweep->latest, dir + "/sweep.xlsx", shelfguard::report::SweepTables(*sweep));
  double xlsx_s = Since(t4);
  std::ofstream(dir + "/sweep.html") << html;
  std::printf("read %lld results (%zu apps, %lld new, %lld fixed violations) in %.2f s\n",
              static_cast<long long>(sweep->results_read), sweep->latest.size(),
              static_cast<long long>(sweep->new_count), static_cast<long long>(sweep->fixed_count), read_s);
  std::printf("html %.2f s (%.1f KiB), json %.2f s, xlsx %.2f s (%s)\n", html_s, html.size() / 1024.0, json_s, xlsx_s,
              st.ok() ? "ok" : st.ToString().c_str());
  double total = read_s + html_s;
  std::printf("sweep report (read + html): %.2f s  target < 10 s: %s\n", total, total < 10 ? "met" : "NOT met");
  std::filesystem::remove_all(dir);
  return total < 10 ? 0 : 1;
}
