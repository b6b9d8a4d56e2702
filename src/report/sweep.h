// Sweep reports: what the daemon found over a period, read from its stored
// results (the results and jobs tables of the SQLite state, read-only).
// Totals by verdict; violations by rule, provider, source and day; the top
// providers and apps; violations new and fixed since the previous result
// for the same app id from the same source. docs/reports.md says how each
// number is counted.
#ifndef SHELFGUARD_SRC_REPORT_SWEEP_H_
#define SHELFGUARD_SRC_REPORT_SWEEP_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "report/notice_list.h"
#include "report/report_entry.h"
#include "shelfguard/status.h"

namespace shelfguard::report {

struct SweepOptions {
  std::string state_dir;  // the daemon's state directory (its queue.db is read)
  std::string db_path;    // or the database file itself
  std::string since;      // YYYY-MM-DD (UTC day, inclusive); empty: from the first result
  std::string until;      // YYYY-MM-DD (UTC day, inclusive); empty: to the last
  std::string source;     // a job source ("feed:huawei") or its name ("huawei"); empty: all
  size_t top = 20;        // rows of the top-providers and top-apps tables
};

// A violation that appeared or went away between two results of one app.
struct Change {
  std::string scanned_at, source, app, label, provider, rule, severity;
  std::string previous;  // previous result's scanned_at, or "" when there was none
};

struct Sweep {
  SweepOptions options;
  int64_t results_read = 0;    // stored results in the period (after --source), each parsed
  int64_t baseline_read = 0;   // results before --since read only as "previous" results
  int64_t unreadable = 0;      // stored reports that could not be parsed (counted, skipped)
  std::string first_scanned_at, last_scanned_at;  // of the results in the period
  // The latest result per (source, app id) in the period: what the tables
  // and notice lists describe.
  std::vector<ReportEntry> latest;
  std::map<std::string, int64_t> verdicts;        // over `latest`
  std::map<std::string, int64_t> results_by_day;  // every result in the period
  std::map<std::string, int64_t> violations_by_day;  // violations (not suppressed) of those results
  int64_t new_count = 0, fixed_count = 0;
  std::vector<Change> new_violations, fixed_violations;  // the first kMaxChangeRows of each
};

inline constexpr size_t kMaxChangeRows = 5000;

// Reads the stored results. Errors name the database and what failed.
Result<Sweep> LoadSweep(const SweepOptions& options);

// Violations (not suppressed) of the latest results per source, most first.
std::vector<CountRow> CountBySource(const Sweep& sweep);
// The tables behind the charts and the change lists (also the XLSX summary sheet).
std::vector<Table> SweepTables(const Sweep& sweep);

std::string SweepHtml(const Sweep& sweep);
std::string SweepJson(const Sweep& sweep);

}  // namespace shelfguard::report

#endif  // SHELFGUARD_SRC_REPORT_SWEEP_H_
