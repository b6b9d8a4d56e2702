// The real `shelfguard` binary: scan --format sarif|csv|xlsx|html,
// --suppressions (exit code, warnings, errors), and `shelfguard report` over
// a daemon state written through the store's API.
#include <gtest/gtest.h>

#include "report/sweep.h"
#include "report_support.h"

namespace shelfguard {
namespace {

using json = nlohmann::json;
using namespace testing;

std::string Cli() { return ShellQuote(BinaryDir() + "/shelfguard"); }
std::string Schema() { return ShellQuote(SourceDir() + "/../shared/schemas/sarif-schema-2.1.0.json"); }

TEST(ReportCli, ScanWritesEachFormat) {
  TempDir dir;
  std::string pkgs = ShellQuote(SamplePackage("banned.apk")) + " " + ShellQuote(SamplePackage("full-ios.ipa"));
  std::string base = Cli() + " scan --quiet --today 2026-10-01 --registry " + ShellQuote(SampleRegistry()) + " ";
  std::string out;
  EXPECT_EQ(testing::Run(base + "--format sarif -o " + ShellQuote(dir / "a.sarif") + " " + pkgs, &out), 1);
  json v = Check("sarif " + Schema() + " " + ShellQuote(dir / "a.sarif"));
  EXPECT_EQ(v["error_count"], 0) << v["errors"].dump();
  EXPECT_GT(v["results"].get<int>(), 0);
  auto entries = ScanEntries({SamplePackage("banned.apk"), SamplePackage("full-ios.ipa")});
  EXPECT_EQ(testing::Run(base + "--format csv -o " + ShellQuote(dir / "a.csv") + " " + pkgs, &out), 1);
  EXPECT_EQ(Check("csv " + ShellQuote(dir / "a.csv"))["rows"].get<size_t>(), CountViolations(entries));
  EXPECT_EQ(testing::Run(base + "--format xlsx -o " + ShellQuote(dir / "a.xlsx") + " " + pkgs, &out), 1);
  EXPECT_EQ(Check("xlsx " + ShellQuote(dir / "a.xlsx"))["rows"].get<size_t>(), CountViolations(entries));
  EXPECT_EQ(testing::Run(base + "--format html -o " + ShellQuote(dir / "a.html") + " " + pkgs, &out), 1);
  std::string html = ReadFileBytes(dir / "a.html");
  EXPECT_NE(html.find("<!DOCTYPE html>"), std::string::npos);
  EXPECT_NE(html.find(entries[0].report.facts.package.id), std::string::npos);
  // xlsx needs a file; a format that does not exist is a usage error.
  EXPECT_EQ(testing::Run(base + "--format xlsx " + pkgs + " 2>/dev/null", &out), 2);
  EXPECT_EQ(testing::Run(base + "--format pdf " + pkgs + " 2>/dev/null", &out), 2);
}

TEST(ReportCli, SuppressionsChangeTheExitCodeAndBadFilesAreErrors) {
  auto entries = ScanEntries({SamplePackage("banned.apk")});
  ASSERT_EQ(entries.size(), 1u);
  TempDir dir;
  std::string toml;
  for (const auto& f : entries[0].report.findings) {
    if (f.severity < Severity::kViolation) continue;
    toml += "[[suppress]]\nrule = \"" + f.rule_id + "\"\npackage = \"" + entries[0].report.facts.package.id +
            "\"\nreason = \"accepted for the test\"\nauthor = \"ci\"\nexpires = 2099-12-31\n";
  }
  toml += "[[suppress]]\nrule = \"SEC-DEBUGGABLE\"\npackage = \"nobody\"\nreason = \"x\"\nauthor = \"ci\"\nexpires = 2099-12-31\n";
  WriteText(dir / "s.toml", toml);
  std::string base = Cli() + " scan --quiet --today 2026-10-01 --registry " + ShellQuote(SampleRegistry()) + " ";
  std::string out;
  EXPECT_EQ(testing::Run(base + "--format json " + ShellQuote(SamplePackage("banned.apk")), &out), 1);
  out.clear();
  EXPECT_EQ(testing::Run(base + "--format json --suppressions " + ShellQuote(dir / "s.toml") + " " +
                    ShellQuote(SamplePackage("banned.apk")) + " 2>" + ShellQuote(dir / "err.txt"),
                &out),
            0);
  json j = json::parse(out);
  EXPECT_NE(j["verdict"], "block");
  EXPECT_NE(out.find("\"suppression\""), std::string::npos);
  EXPECT_NE(ReadFileBytes(dir / "err.txt").find("matched no finding"), std::string::npos);
  WriteText(dir / "bad.toml", "[[suppress]]\nrule = \"CONTENT-AD-SDK\"\npackage = \"a\"\nreason = \"r\"\nauthor = \"me\"\n");
  EXPECT_EQ(testing::Run(base + "--suppressions " + ShellQuote(dir / "bad.toml") + " " + ShellQuote(SamplePackage("banned.apk")) +
                    " 2>&1",
                &out),
            2);
  EXPECT_NE(out.find("[[suppress]] #1 (line 1): field 'expires'"), std::string::npos) << out;
}

TEST(ReportCli, ReportCommandReadsTheDaemonState) {
  auto entries = ScanEntries({SamplePackage("banned.apk"), SamplePackage("unfiled.apk")});
  ASSERT_EQ(entries.size(), 2u);
  TempDir dir;
  WriteDaemonState(dir / "queue.db", {{"feed:alpha", "2026-10-01", 0, entries[0], ""},
                                      {"feed:alpha", "2026-10-02", 0, entries[1], ""},
                                      {"dir:beta", "2026-10-02", 1, entries[0], ""}});
  std::string out;
  EXPECT_EQ(testing::Run(Cli() + " report --state " + ShellQuote(dir.path()) + " --format json -o - 2>" +
                    ShellQuote(dir / "err.txt"),
                &out),
            0);
  json j = json::parse(out);
  EXPECT_EQ(j["results_read"], 3);
  EXPECT_NE(ReadFileBytes(dir / "err.txt").find("read 3 results"), std::string::npos);
  out.clear();
  EXPECT_EQ(testing::Run(Cli() + " report --db " + ShellQuote(dir / "queue.db") + " --since 2026-10-02 --source alpha --format json -o -",
                &out),
            0);
  EXPECT_EQ(json::parse(out)["results_read"], 1);
  for (const char* f : {"html", "csv", "xlsx", "sarif"}) {
    EXPECT_EQ(testing::Run(Cli() + " report --state " + ShellQuote(dir.path()) + " --format " + f + " -o " +
                      ShellQuote(dir / (std::string("sweep.") + f)) + " 2>/dev/null",
                  &out),
              0)
        << f;
  }
  json v = Check("sarif " + Schema() + " " + ShellQuote(dir / "sweep.sarif"));
  EXPECT_EQ(v["error_count"], 0) << v["errors"].dump();
  EXPECT_GT(Check("xlsx " + ShellQuote(dir / "sweep.xlsx"))["rows"].get<int>(), 0);
  EXPECT_NE(ReadFileBytes(dir / "sweep.html").find("<svg"), std::string::npos);
  // Errors: both --state and --db, no database, a bad date.
  EXPECT_EQ(testing::Run(Cli() + " report --state /x --db /y --format json -o - 2>/dev/null", &out), 2);
  EXPECT_EQ(testing::Run(Cli() + " report --state /nonexistent --format json -o - 2>/dev/null", &out), 2);
  EXPECT_EQ(testing::Run(Cli() + " report --state " + ShellQuote(dir.path()) + " --since 2026-99-01 --format json -o - 2>/dev/null",
                &out),
            2);
}

}  // namespace
}  // namespace shelfguard
