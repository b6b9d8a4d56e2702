// Sweep reports over a daemon state written through the store's own API:
// what was read, totals, new and fixed violations against the previous
// result of the same app from the same source, --since/--until/--source,
// unreadable rows, and the sheets and JSON that carry it.
#include <gtest/gtest.h>

#include "report/notice_list.h"
#include "report/sweep.h"
#include "report_support.h"

namespace shelfguard {
namespace {

using json = nlohmann::json;
using namespace testing;

size_t Violations(const report::ReportEntry& e) {
  size_t n = 0;
  for (const auto& f : e.report.findings) n += report::IsViolation(f) && !f.suppression ? 1 : 0;
  return n;
}

std::set<std::string> Rules(const report::ReportEntry& e) {
  std::set<std::string> s;
  for (const auto& f : e.report.findings)
    if (report::IsViolation(f)) s.insert(f.rule_id);
  return s;
}

struct Fixture {
  report::ReportEntry x, y, z;
  std::string rule;  // the rule X fixes on day 2 and brings back on day 3
};

// X (two or more violated rules), Y and Z: three different apps from the samples.
Fixture Pick() {
  Fixture f;
  auto entries = ScanEntries({SamplePackage("full.apk"), SamplePackage("unfiled.apk"), SamplePackage("banned.apk"),
                              SamplePackage("biometric.apk"), SamplePackage("nomlps.apk"),
                              SamplePackage("required.apk")});
  std::vector<report::ReportEntry> with;
  for (auto& e : entries)
    if (Violations(e) > 0) with.push_back(e);
  EXPECT_GE(with.size(), 3u);
  std::sort(with.begin(), with.end(), [](const auto& a, const auto& b) { return Rules(a).size() > Rules(b).size(); });
  EXPECT_GE(Rules(with[0]).size(), 2u);
  f.x = with[0];
  f.y = with[1];
  f.z = with[2];
  f.rule = *Rules(f.x).begin();
  return f;
}

std::vector<StoredScan> History(const Fixture& f) {
  return {{"feed:alpha", "2026-10-01", 0, f.x, ""},
          {"feed:alpha", "2026-10-01", 1, f.y, ""},
          {"dir:beta", "2026-10-01", 2, f.x, ""},
          {"feed:alpha", "2026-10-02", 0, Without(f.x, f.rule), ""},
          {"feed:alpha", "2026-10-03", 0, f.x, ""},
          {"dir:beta", "2026-10-03", 1, f.z, ""},
          {"feed:alpha", "2026-10-03", 2, f.y, "{\"findings\": 12"}};  // a damaged row
}

size_t RuleFindings(const report::ReportEntry& e, const std::string& rule) {
  size_t n = 0;
  for (const auto& f : e.report.findings) n += f.rule_id == rule ? 1 : 0;
  return n;
}

TEST(ReportSweep, CountsNewAndFixedAgainstThePreviousResultPerSource) {
  Fixture f = Pick();
  TempDir dir;
  WriteDaemonState(dir / "queue.db", History(f));
  const int64_t vx = static_cast<int64_t>(Violations(f.x)), vy = static_cast<int64_t>(Violations(f.y)),
                vz = static_cast<int64_t>(Violations(f.z));
  const int64_t r1 = static_cast<int64_t>(RuleFindings(f.x, f.rule));

  report::SweepOptions o;
  o.state_dir = dir.path();
  auto all = report::LoadSweep(o);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->results_read, 6);
  EXPECT_EQ(all->unreadable, 1);
  EXPECT_EQ(all->baseline_read, 0);
  EXPECT_EQ(all->latest.size(), 4u);  // alpha:X, alpha:Y, beta:X, beta:Z
  // First results are all new; day 2 fixes `rule`, day 3 brings it back.
  EXPECT_EQ(all->new_count, vx + vy + vx + r1 + vz);
  EXPECT_EQ(all->fixed_count, r1 > 0 ? 1 : 0);
  ASSERT_EQ(all->fixed_violations.size(), 1u);
  EXPECT_EQ(all->fixed_violations[0].rule, f.rule);
  EXPECT_EQ(all->fixed_violations[0].source, "feed:alpha");
  EXPECT_EQ(all->fixed_violations[0].previous, "2026-10-01T10:00:00Z");
  EXPECT_EQ(all->violations_by_day["2026-10-01"], vx + vy + vx);
  EXPECT_EQ(all->violations_by_day["2026-10-02"], vx - r1);
  EXPECT_EQ(all->violations_by_day["2026-10-03"], vx + vz);
  EXPECT_EQ(all->results_by_day["2026-10-03"], 2);
  auto by_source = report::CountBySource(*all);
  std::map<std::string, int64_t> src;
  for (const auto& r : by_source) src[r.key] = r.violations;
  EXPECT_EQ(src["feed:alpha"], vx + vy);
  EXPECT_EQ(src["dir:beta"], vx + vz);
  int64_t verdicts = 0;
  for (const auto& [v, n] : all->verdicts) verdicts += n;
  EXPECT_EQ(verdicts, 4);

  // --since: earlier results are read only as the previous ones.
  o.since = "2026-10-02";
  auto since = report::LoadSweep(o);
  ASSERT_TRUE(since.ok());
  EXPECT_EQ(since->results_read, 3);
  EXPECT_EQ(since->baseline_read, 3);
  EXPECT_EQ(since->new_count, r1 + vz);
  EXPECT_EQ(since->fixed_count, 1);
  EXPECT_EQ(since->first_scanned_at, "2026-10-02T10:00:00Z");

  // --until and --source (by name, without the kind prefix).
  o.since.clear();
  o.until = "2026-10-01";
  auto until = report::LoadSweep(o);
  ASSERT_TRUE(until.ok());
  EXPECT_EQ(until->results_read, 3);
  o.until.clear();
  o.source = "beta";
  auto beta = report::LoadSweep(o);
  ASSERT_TRUE(beta.ok());
  EXPECT_EQ(beta->results_read, 2);
  EXPECT_EQ(beta->new_count, vx + vz);
  EXPECT_EQ(beta->fixed_count, 0);

  // JSON and the sheets carry the same numbers.
  o.source.clear();
  o.db_path = dir / "queue.db";
  o.state_dir.clear();
  auto by_db = report::LoadSweep(o);
  ASSERT_TRUE(by_db.ok());
  json j = json::parse(report::SweepJson(*by_db));
  EXPECT_EQ(j["results_read"], 6);
  EXPECT_EQ(j["new_count"], all->new_count);
  EXPECT_EQ(j["per_day"].size(), 3u);
  TempDir out;
  ASSERT_TRUE(report::WriteXlsx(by_db->latest, out / "s.xlsx", report::SweepTables(*by_db)).ok());
  json x = Check("xlsx " + ShellQuote(out / "s.xlsx"));
  EXPECT_EQ(x["rows"].get<size_t>(), CountViolations(by_db->latest));
  EXPECT_NE(x["summary_text"].dump().find("Fixed violations (1)"), std::string::npos);
  WriteText(out / "s.csv", report::ToCsv(by_db->latest));
  EXPECT_EQ(Check("csv " + ShellQuote(out / "s.csv"))["rows"].get<size_t>(), CountViolations(by_db->latest));
}

TEST(ReportSweep, BadArgumentsAndMissingDatabaseAreErrors) {
  TempDir dir;
  report::SweepOptions o;
  EXPECT_FALSE(report::LoadSweep(o).ok());  // neither --state nor --db
  o.state_dir = dir.path();
  auto missing = report::LoadSweep(o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("queue.db"), std::string::npos);
  WriteText(dir / "queue.db", "not a database at all, just text");
  auto junk = report::LoadSweep(o);
  EXPECT_FALSE(junk.ok());
  o.since = "2026-13-01";
  EXPECT_FALSE(report::LoadSweep(o).ok());
  o.since = "2026-10-05";
  o.until = "2026-10-01";
  EXPECT_FALSE(report::LoadSweep(o).ok());
}

}  // namespace
}  // namespace shelfguard
