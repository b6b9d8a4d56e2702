// Shared by tests/report_*_test.cc: scanning packages into report entries
// the way the CLI does (engine, assessor, JSON, read back), running the
// Python read-back checks (tests/report_check.py) and headless Chromium.
#ifndef SHELFGUARD_TESTS_REPORT_SUPPORT_H_
#define SHELFGUARD_TESTS_REPORT_SUPPORT_H_

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "policy/assess.h"
#include "report/report_entry.h"
#include "shelfguard/engine.h"
#include "support/corpus.h"
#include "support/fixtures.h"

namespace shelfguard::testing {

// A fresh directory removed at destruction.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sg-report-XXXXXX";
    path_ = mkdtemp(tmpl) ? tmpl : "/tmp";
  }
  ~TempDir() {
    std::error_code ec;
    if (path_ != "/tmp") std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Runs a shell command through RunCommand; stdout appended to *out, stderr
// passed on to the test's log, the exit status returned (-1 when a signal
// ended it). The command is grouped, so its own redirections (2>FILE) hold.
inline int Run(const std::string& cmd, std::string* out) {
  CommandRun r = RunCommand("(" + cmd + ")");
  *out += r.out;
  std::fputs(r.err.c_str(), stderr);
  return r.signalled ? -1 : r.exit_code;
}

// tests/report_check.py's answer, parsed (null on failure, with the output
// in the test log).
inline nlohmann::json Check(const std::string& args) {
  std::string out;
  int rc = Run("/usr/bin/python3 " + ShellQuote(SourceDir() + "/tests/report_check.py") + " " + args, &out);
  EXPECT_EQ(rc, 0) << out;
  auto j = nlohmann::json::parse(out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << out;
  return j;
}

// Headless Chromium with a profile of its own, no network services.
inline std::string Chromium(const TempDir& dir, const std::string& what) {
  return "/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
         "--disable-background-networking --disable-component-update --disable-sync --user-data-dir=" +
         ShellQuote(dir / ("profile-" + what)) + " ";
}

inline std::string SampleRegistry() { return SourceDir() + "/samples/registry.json"; }
inline std::string SamplePackage(const std::string& name) { return SourceDir() + "/samples/packages/" + name; }

// Scans `paths` with the registry and returns the entries as every report
// format sees them: the JSON written and read back.
inline std::vector<report::ReportEntry> ScanEntries(const std::vector<std::string>& paths,
                                                    const std::string& registry = SampleRegistry(),
                                                    const std::string& today = "2026-10-01") {
  std::vector<report::ReportEntry> out;
  EngineOptions eo;
  eo.signatures_dir = SourceDir() + "/signatures";
  auto engine = Engine::Create(eo);
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  if (!engine.ok()) return out;
  AssessOptions ao;
  ao.registry_path = registry;
  ao.today = today;
  auto assessor = Assessor::Create(ao);
  EXPECT_TRUE(assessor.ok()) << assessor.status().ToString();
  if (!assessor.ok()) return out;
  for (const auto& p : paths) {
    Report r = (*assessor)->Assess((*engine)->ScanFile(p));
    auto back = report::ReportFromJson(ReportToJson(r));
    EXPECT_TRUE(back.ok()) << back.status().ToString();
    if (!back.ok()) continue;
    out.push_back({std::move(back).value(), "cli", "2026-10-01T08:00:00Z", (*engine)->signatures_version(),
                   (*assessor)->registry_version()});
  }
  return out;
}

inline size_t CountViolations(const std::vector<report::ReportEntry>& entries) {
  size_t n = 0;
  for (const auto& e : entries)
    for (const auto& f : e.report.findings) n += report::IsViolation(f) ? 1 : 0;
  return n;
}

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_REPORT_SUPPORT_H_

#include "queue/store.h"

namespace shelfguard::testing {

// One stored result to write into a daemon state.
struct StoredScan {
  std::string source;        // job source: feed:<name>, dir:<name>, ...
  std::string day;           // YYYY-MM-DD (UTC); finished at 10:00 that day plus `minute`
  int minute = 0;
  report::ReportEntry entry;  // its report is stored as JSON
  std::string raw_report;     // when set, stored instead (malformed rows)
};

inline int64_t DayMs(const std::string& day, int minute) {
  std::tm tm{};
  tm.tm_year = std::stoi(day.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(day.substr(5, 2)) - 1;
  tm.tm_mday = std::stoi(day.substr(8, 2));
  tm.tm_hour = 10;
  tm.tm_min = minute;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// Writes the scans through the daemon store's own API (enqueue, claim,
// complete), as shelfguardd's workers do.
inline void WriteDaemonState(const std::string& db_path, const std::vector<StoredScan>& scans) {
  auto store = queue::Store::Open(db_path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (const auto& s : scans) {
    int64_t t = DayMs(s.day, s.minute);
    queue::JobSpec spec;
    spec.source = s.source;
    spec.name = s.entry.report.facts.file;
    spec.path = "/spool/" + s.entry.report.facts.sha256;
    auto id = (*store)->Enqueue(spec, t - 1000);
    ASSERT_TRUE(id.ok());
    auto job = (*store)->Claim(t - 500, 60000);
    ASSERT_TRUE(job.ok() && job->has_value());
    ASSERT_EQ((**job).id, *id);
    queue::JobResult r;
    r.sha256 = s.entry.report.facts.sha256;
    r.size = s.entry.report.facts.size;
    r.signatures_version = s.entry.signatures_version;
    r.registry_version = s.entry.registry_version;
    r.verdict = report::VerdictName(s.entry.report);
    r.report = s.raw_report.empty() ? ReportToJson(s.entry.report) : s.raw_report;
    ASSERT_TRUE((*store)->Complete(*id, r, {}, t).ok());
  }
}

// Removes the findings of `rule` (the app fixed it).
inline report::ReportEntry Without(report::ReportEntry e, const std::string& rule) {
  auto& f = e.report.findings;
  f.erase(std::remove_if(f.begin(), f.end(), [&](const Finding& x) { return x.rule_id == rule; }), f.end());
  ComputeVerdict(&e.report);
  return e;
}

}  // namespace shelfguard::testing
