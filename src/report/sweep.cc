#include "report/sweep.h"

#include <sqlite3.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "policy/rules.h"
#include "report/html.h"

namespace shelfguard::report {
namespace {

constexpr size_t kMaxChartBars = 25;    // bars per chart (the table has every row)
constexpr size_t kMaxDayColumns = 400;  // days drawn in the per-day chart

// Milliseconds at 00:00:00 UTC of a YYYY-MM-DD date (validated by the caller).
int64_t DayStartMs(const std::string& date) {
  std::tm tm{};
  tm.tm_year = std::stoi(date.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(date.substr(5, 2)) - 1;
  tm.tm_mday = std::stoi(date.substr(8, 2));
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// The job source with the daemon's "kind:" prefix removed when the caller
// named only the source's name.
bool SourceMatches(const std::string& filter, const std::string& source) {
  if (filter.empty() || filter == source) return true;
  size_t colon = source.find(':');
  return colon != std::string::npos && source.compare(colon + 1, std::string::npos, filter) == 0;
}

struct Previous {
  std::set<std::string> rules;  // violation rule ids not suppressed
  std::string scanned_at;
};

std::set<std::string> ViolatedRules(const Report& r) {
  std::set<std::string> s;
  for (const auto& f : r.findings)
    if (IsViolation(f) && !f.suppression) s.insert(f.rule_id);
  return s;
}

Change MakeChange(const ReportEntry& e, const std::string& rule, Severity sev, const std::string& previous) {
  return Change{e.scanned_at,  e.source, AppKey(e.report), e.report.facts.package.label, ProviderName(e.report),
                rule,          SeverityName(sev), previous};
}

std::string Day(const std::string& iso) { return iso.substr(0, 10); }

std::vector<Bar> Bars(const std::vector<CountRow>& rows, bool use_label) {
  std::vector<Bar> bars;
  for (const auto& r : rows) {
    if (bars.size() == kMaxChartBars) break;
    std::string label = use_label && !r.label.empty() ? r.label : r.key;
    bars.push_back({label, r.violations});
  }
  return bars;
}

std::vector<CountRow> TopApps(const Sweep& s) {
  std::vector<CountRow> rows;
  for (const auto& e : s.latest) {
    int64_t n = 0;
    for (const auto& f : e.report.findings) n += IsViolation(f) && !f.suppression ? 1 : 0;
    if (n == 0) continue;
    std::string label = e.report.facts.package.label + " · " + ProviderName(e.report) + " · " + e.source;
    rows.push_back({AppKey(e.report), label, n, 1});
  }
  std::stable_sort(rows.begin(), rows.end(), [](const CountRow& a, const CountRow& b) {
    return a.violations != b.violations ? a.violations > b.violations : a.key < b.key;
  });
  return rows;
}

Table ChangeTable(std::string title, const std::vector<Change>& changes) {
  Table t{std::move(title),
          {"扫描时间 scanned at", "来源 source", "应用 app", "名称 label", "提供者 provider", "规则 rule",
           "严重程度 severity", "上次结果 previous result"},
          {}};
  for (const auto& c : changes) {
    t.rows.push_back({c.scanned_at, c.source, c.app, c.label, c.provider, c.rule, c.severity,
                      c.previous.empty() ? "无 none (首次 first result)" : c.previous});
  }
  return t;
}

Table CountsTable(std::string title, const char* key_header, const char* label_header,
                  const std::vector<CountRow>& rows, size_t max) {
  Table t{std::move(title), {key_header, label_header, "违规数 violations", "应用数 apps"}, {}};
  for (const auto& r : rows) {
    if (t.rows.size() == max) break;
    t.rows.push_back({r.key, r.label, std::to_string(r.violations), std::to_string(r.apps)});
  }
  return t;
}

// The days from the first to the last with results, zeros filled in.
std::vector<Bar> DayColumns(const Sweep& s) {
  std::vector<Bar> out;
  if (s.results_by_day.empty()) return out;
  int64_t first = DayStartMs(s.results_by_day.begin()->first);
  int64_t last = DayStartMs(s.results_by_day.rbegin()->first);
  const int64_t kDay = 86400000;
  if ((last - first) / kDay >= static_cast<int64_t>(kMaxDayColumns)) first = last - (kMaxDayColumns - 1) * kDay;
  for (int64_t d = first; d <= last; d += kDay) {
    std::string day = IsoTime(d).substr(0, 10);
    auto it = s.violations_by_day.find(day);
    out.push_back({day, it == s.violations_by_day.end() ? 0 : it->second});
  }
  return out;
}

}  // namespace

Result<Sweep> LoadSweep(const SweepOptions& options) {
  Sweep sweep;
  sweep.options = options;
  if (options.state_dir.empty() == options.db_path.empty()) {
    return Status::Invalid("give either --state DIR or --db FILE");
  }
  for (const std::string* d : {&options.since, &options.until}) {
    if (!d->empty() && !policy::IsIsoDate(*d)) return Status::Invalid("'" + *d + "' is not a date YYYY-MM-DD");
  }
  if (!options.since.empty() && !options.until.empty() && options.until < options.since) {
    return Status::Invalid("--until " + options.until + " is before --since " + options.since);
  }
  std::string path = options.db_path.empty() ? options.state_dir + "/queue.db" : options.db_path;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound(path + ": no daemon database here (a state directory holds queue.db)");
  }
  sqlite3* db = nullptr;
  // Read-only: a report must never change the daemon's state. WAL readers
  // share the daemon's -shm, so a running daemon is no obstacle.
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status::IoError(path + ": " + msg);
  }
  sqlite3_busy_timeout(db, 5000);
  const int64_t since_ms = options.since.empty() ? INT64_MIN : DayStartMs(options.since);
  const int64_t until_ms = options.until.empty() ? INT64_MAX : DayStartMs(options.until) + 86400000;
  // The order of the results first (small rows, sorted by SQLite), then
  // each result by its key: sorting the rows with their reports would make
  // SQLite spill the reports to a temporary file.
  std::vector<int64_t> order;
  std::string error;
  {
    sqlite3_stmt* ids = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT job_id FROM results WHERE finished_ms < ? ORDER BY finished_ms, job_id", -1,
                           &ids, nullptr) != SQLITE_OK) {
      error = std::string("not a shelfguardd database (") + sqlite3_errmsg(db) + ")";
    } else {
      sqlite3_bind_int64(ids, 1, until_ms);
      while ((rc = sqlite3_step(ids)) == SQLITE_ROW) order.push_back(sqlite3_column_int64(ids, 0));
      if (rc != SQLITE_DONE) error = std::string("reading results: ") + sqlite3_errmsg(db);
    }
    sqlite3_finalize(ids);
  }
  const char* sql =
      "SELECT r.finished_ms, r.verdict, r.report, r.sig_version, r.reg_version, COALESCE(j.source, ''), "
      "r.sha256, COALESCE(j.name, '') FROM results r LEFT JOIN jobs j ON j.id = r.job_id WHERE r.job_id = ?";
  sqlite3_stmt* st = nullptr;
  if (error.empty() && sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
    error = std::string("not a shelfguardd database (") + sqlite3_errmsg(db) + ")";
  }
  if (!error.empty()) {
    sqlite3_close(db);
    return Status::Malformed(path + ": " + error);
  }

  // (source, app) -> index into sweep.latest and the previous violations.
  std::unordered_map<std::string, size_t> latest_index;
  std::unordered_map<std::string, Previous> previous;
  for (int64_t job_id : order) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, job_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) continue;  // gone since the first query (never deleted today)
    if (rc != SQLITE_ROW) break;
    auto text = [&](int col) {
      const unsigned char* p = sqlite3_column_text(st, col);
      return std::string(p ? reinterpret_cast<const char*>(p) : "", static_cast<size_t>(sqlite3_column_bytes(st, col)));
    };
    const int64_t finished = sqlite3_column_int64(st, 0);
    std::string source = text(5);
    if (!SourceMatches(options.source, source)) continue;
    const bool in_period = finished >= since_ms;
    const char* rep = reinterpret_cast<const char*>(sqlite3_column_blob(st, 2));
    std::string_view report_text(rep ? rep : "", static_cast<size_t>(sqlite3_column_bytes(st, 2)));
    ReportEntry e;
    e.source = std::move(source);
    e.scanned_at = IsoTime(finished);
    e.signatures_version = text(3);
    e.registry_version = text(4);
    if (report_text.empty()) {
      // A scan that failed before producing a report (crash, timeout).
      e.report.facts.file = text(7);
      e.report.facts.sha256 = text(6);
      e.report.facts.errors.push_back({"error", "no report stored (verdict " + text(1) + ")"});
    } else {
      auto parsed = ReportFromJson(report_text, /*light=*/true);
      if (!parsed.ok()) {
        sweep.unreadable++;
        continue;
      }
      e.report = std::move(parsed).value();
    }
    (in_period ? sweep.results_read : sweep.baseline_read)++;
    const std::string key = e.source + '\x1f' + AppKey(e.report);
    std::set<std::string> rules = ViolatedRules(e.report);
    if (e.report.facts.analysed) {
      Previous& prev = previous[key];
      bool had = !prev.scanned_at.empty();
      if (in_period) {
        for (const auto& f : e.report.findings) {
          if (!IsViolation(f) || f.suppression || (had && prev.rules.count(f.rule_id) > 0)) continue;
          if (sweep.new_violations.size() < kMaxChangeRows)
            sweep.new_violations.push_back(MakeChange(e, f.rule_id, f.severity, prev.scanned_at));
          sweep.new_count++;
        }
        for (const auto& r : prev.rules) {
          if (rules.count(r) > 0) continue;
          const policy::Rule* rule = nullptr;
          for (const auto& x : policy::RuleList())
            if (r == x.id) rule = &x;
          if (sweep.fixed_violations.size() < kMaxChangeRows)
            sweep.fixed_violations.push_back(
                MakeChange(e, r, rule ? rule->severity : Severity::kViolation, prev.scanned_at));
          sweep.fixed_count++;
        }
      }
      prev.rules = rules;
      prev.scanned_at = e.scanned_at;
    }
    if (!in_period) continue;
    const std::string day = Day(e.scanned_at);
    sweep.results_by_day[day]++;
    sweep.violations_by_day[day] += static_cast<int64_t>(
        std::count_if(e.report.findings.begin(), e.report.findings.end(),
                      [](const Finding& f) { return IsViolation(f) && !f.suppression; }));
    if (sweep.first_scanned_at.empty()) sweep.first_scanned_at = e.scanned_at;
    sweep.last_scanned_at = e.scanned_at;
    auto it = latest_index.find(key);
    if (it == latest_index.end()) {
      latest_index.emplace(key, sweep.latest.size());
      sweep.latest.push_back(std::move(e));
    } else {
      sweep.latest[it->second] = std::move(e);
    }
  }
  std::string step_error = rc == SQLITE_DONE || rc == SQLITE_ROW || order.empty() ? "" : sqlite3_errmsg(db);
  sqlite3_finalize(st);
  sqlite3_close(db);
  if (!step_error.empty()) return Status::IoError(path + ": reading results: " + step_error);
  for (const auto& e : sweep.latest) sweep.verdicts[VerdictName(e.report)]++;
  return sweep;
}

std::vector<CountRow> CountBySource(const Sweep& sweep) {
  std::map<std::string, CountRow> acc;
  for (const auto& e : sweep.latest) {
    int64_t n = 0;
    for (const auto& f : e.report.findings) n += IsViolation(f) && !f.suppression ? 1 : 0;
    CountRow& r = acc[e.source];
    r.key = e.source.empty() ? "(unknown)" : e.source;
    r.violations += n;
    r.apps += n > 0 ? 1 : 0;
  }
  std::vector<CountRow> out;
  for (auto& [k, r] : acc) out.push_back(r);
  std::stable_sort(out.begin(), out.end(),
                   [](const CountRow& a, const CountRow& b) { return a.violations > b.violations; });
  return out;
}

std::vector<Table> SweepTables(const Sweep& s) {
  std::vector<Table> t;
  Table verdicts{"按结论 By verdict (每个应用的最新结果 latest result per app)", {"结论 verdict", "应用数 apps"}, {}};
  for (const auto& [v, n] : s.verdicts) verdicts.rows.push_back({v, std::to_string(n)});
  t.push_back(std::move(verdicts));
  t.push_back(CountsTable("按规则 Violations by rule", "规则 rule", "标题 title", CountByRule(s.latest), SIZE_MAX));
  t.push_back(CountsTable("按提供者 Violations by provider", "信用代码 credit code", "提供者 provider",
                          CountByProvider(s.latest), SIZE_MAX));
  t.push_back(CountsTable("按来源 Violations by source", "来源 source", "", CountBySource(s), SIZE_MAX));
  Table days{"按日 Per day", {"日期 day (UTC)", "结果数 results", "违规数 violations"}, {}};
  for (const auto& [d, n] : s.results_by_day) {
    auto it = s.violations_by_day.find(d);
    days.rows.push_back({d, std::to_string(n), std::to_string(it == s.violations_by_day.end() ? 0 : it->second)});
  }
  t.push_back(std::move(days));
  t.push_back(CountsTable("违规最多的提供者 Top providers", "信用代码 credit code", "提供者 provider",
                          CountByProvider(s.latest), s.options.top));
  t.push_back(CountsTable("违规最多的应用 Top apps", "应用 app", "名称 · 提供者 · 来源 label · provider · source",
                          TopApps(s), s.options.top));
  t.push_back(ChangeTable("新增违规 New violations (" + std::to_string(s.new_count) + ")", s.new_violations));
  t.push_back(ChangeTable("已整改 Fixed violations (" + std::to_string(s.fixed_count) + ")", s.fixed_violations));
  return t;
}

std::string SweepHtml(const Sweep& s) {
  const SweepOptions& o = s.options;
  std::string period = (o.since.empty() ? "…" : o.since) + " — " + (o.until.empty() ? "…" : o.until);
  std::string h = HtmlPageStart("shelfguard 巡检报告 sweep report " + period);
  h += "<h1>巡检报告 Sweep report</h1><table>";
  auto row = [&](const std::string& k, const std::string& v) {
    h += "<tr><th>" + k + "</th><td>" + HtmlEscape(v) + "</td></tr>";
  };
  row("数据库 Database", o.db_path.empty() ? o.state_dir + "/queue.db" : o.db_path);
  row("期间 Period", period);
  row("来源 Source", o.source.empty() ? "全部 all" : o.source);
  row("读取结果数 Results read", std::to_string(s.results_read));
  row("期间前的对比结果 Earlier results read for comparison", std::to_string(s.baseline_read));
  if (s.unreadable > 0) row("无法解析 Unreadable results (skipped)", std::to_string(s.unreadable));
  row("应用数 Apps (latest result per app and source)", std::to_string(s.latest.size()));
  row("最早 / 最晚 First / last result", s.first_scanned_at + " / " + s.last_scanned_at);
  row("新增 / 已整改 New / fixed violations", std::to_string(s.new_count) + " / " + std::to_string(s.fixed_count));
  h += "</table>";

  std::vector<Table> tables = SweepTables(s);
  std::vector<Bar> verdict_bars;
  for (const auto& [v, n] : s.verdicts) verdict_bars.push_back({v, n});
  h += "<h2>结论 Verdicts</h2>" + BarChartSvg("按结论 By verdict", verdict_bars) + HtmlTable(tables[0]);
  h += "<h2>按规则 By rule</h2>" + BarChartSvg("违规数 Violations by rule", Bars(CountByRule(s.latest), false)) +
       HtmlTable(tables[1]);
  h += "<h2>按提供者 By provider</h2>" +
       BarChartSvg("违规数 Violations by provider", Bars(CountByProvider(s.latest), true)) + HtmlTable(tables[2], 200);
  h += "<h2>按来源 By source</h2>" + BarChartSvg("违规数 Violations by source", Bars(CountBySource(s), false)) +
       HtmlTable(tables[3]);
  h += "<h2>按日 Per day</h2>" + ColumnChartSvg("每日违规数 Violations per day (UTC)", DayColumns(s)) +
       HtmlTable(tables[4], 400);
  h += "<h2>违规最多的提供者 Top providers</h2>" + HtmlTable(tables[5]);
  h += "<h2>违规最多的应用 Top apps</h2>" + HtmlTable(tables[6]);
  h += "<h2>新增违规 New violations</h2><p class=\"muted\">与同一来源同一应用的上一次结果相比 Compared with the previous "
       "result for the same app id from the same source.</p>" + HtmlTable(tables[7], 500);
  h += "<h2>已整改 Fixed violations</h2>" + HtmlTable(tables[8], 500);
  return h + HtmlPageEnd();
}

std::string SweepJson(const Sweep& s) {
  using json = nlohmann::ordered_json;
  auto counts = [](const std::vector<CountRow>& rows) {
    json a = json::array();
    for (const auto& r : rows) a.push_back({{"key", r.key}, {"label", r.label}, {"violations", r.violations}, {"apps", r.apps}});
    return a;
  };
  auto changes = [](const std::vector<Change>& v) {
    json a = json::array();
    for (const auto& c : v) {
      a.push_back({{"scanned_at", c.scanned_at}, {"source", c.source}, {"app", c.app}, {"label", c.label},
                   {"provider", c.provider}, {"rule", c.rule}, {"severity", c.severity}, {"previous", c.previous}});
    }
    return a;
  };
  json days = json::array();
  for (const auto& [d, n] : s.results_by_day) {
    auto it = s.violations_by_day.find(d);
    days.push_back({{"day", d}, {"results", n}, {"violations", it == s.violations_by_day.end() ? 0 : it->second}});
  }
  std::vector<CountRow> top_apps = TopApps(s);
  if (top_apps.size() > s.options.top) top_apps.resize(s.options.top);
  json j{{"since", s.options.since},
         {"until", s.options.until},
         {"source", s.options.source},
         {"results_read", s.results_read},
         {"baseline_read", s.baseline_read},
         {"unreadable", s.unreadable},
         {"apps", s.latest.size()},
         {"first_scanned_at", s.first_scanned_at},
         {"last_scanned_at", s.last_scanned_at},
         {"verdicts", s.verdicts},
         {"by_rule", counts(CountByRule(s.latest))},
         {"by_provider", counts(CountByProvider(s.latest))},
         {"by_source", counts(CountBySource(s))},
         {"per_day", days},
         {"top_apps", counts(top_apps)},
         {"new_count", s.new_count},
         {"fixed_count", s.fixed_count},
         {"new", changes(s.new_violations)},
         {"fixed", changes(s.fixed_violations)}};
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace shelfguard::report
