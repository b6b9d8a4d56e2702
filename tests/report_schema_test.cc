// The JSON report against its JSON Schema (docs/schemas/report.schema.json):
// every report over the bundled samples and over the whole shared corpus is
// produced by one `shelfguard scan --format json` process writing JSON Lines
// and checked by one validator process (scripts/validate-json.py, Debian's
// python3-jsonschema), so the documented format is the one produced.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/corpus.h"
#include "support/fixtures.h"

namespace shelfguard {
namespace {

using testing::BinaryDir;
using testing::ShellQuote;
using testing::SourceDir;

struct ShellRun {
  int exit_code = -1;
  std::string out;
};

ShellRun Shell(const std::string& cmd, const std::string& tag) {
  std::string out = BinaryDir() + "/report_schema_test." + std::to_string(getpid()) + "." + tag;
  int st = std::system((cmd + " >" + ShellQuote(out) + " 2>&1 </dev/null").c_str());
  ShellRun r;
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = testing::ReadFileBytes(out);
  std::filesystem::remove(out);
  return r;
}

// Scans `inputs` into one JSON Lines file and validates every line.
void ScanAndValidate(const std::string& inputs, const std::string& tag) {
  std::string jsonl = BinaryDir() + "/report_schema_test." + std::to_string(getpid()) + "." +
                      tag + ".jsonl";
  ShellRun scan = Shell("timeout 300 " + ShellQuote(BinaryDir() + "/shelfguard") +
                       " scan --format json --quiet --fail-on never --registry " +
                       ShellQuote(SourceDir() + "/samples/registry.json") + " -o " +
                       ShellQuote(jsonl) + " " + inputs,
                   tag + ".scan");
  // 2: some corpus files are deliberately not packages; their reports count too.
  ASSERT_TRUE(scan.exit_code == 0 || scan.exit_code == 2) << scan.out;
  ASSERT_GT(std::filesystem::file_size(jsonl), 0u) << scan.out;
  ShellRun check = Shell("python3 " + ShellQuote(SourceDir() + "/scripts/validate-json.py") + " " +
                        ShellQuote(SourceDir() + "/docs/schemas/report.schema.json") + " " +
                        ShellQuote(jsonl),
                    tag + ".check");
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_NE(check.out.find(" valid, 0 invalid"), std::string::npos) << check.out;
  std::filesystem::remove(jsonl);
}

TEST(ReportSchema, SamplePackagesValidate) {
  ScanAndValidate(ShellQuote(SourceDir() + "/samples/packages"), "samples");
}

TEST(ReportSchema, EveryCorpusReportValidates) {
  SG_REQUIRE_CORPUS();
  ScanAndValidate(ShellQuote(testing::CorpusDir()), "corpus");
}

// The validator itself rejects what the schema forbids (a test that can fail).
TEST(ReportSchema, ValidatorRejectsAnOldStyleReport) {
  std::string bad = BinaryDir() + "/report_schema_test." + std::to_string(getpid()) + ".bad.json";
  {
    std::ofstream(bad) << R"({"file":"x.apk","sha256":"","size":0,"findings":[{"rule":"X-Y"}]})";
  }
  ShellRun check = Shell("python3 " + ShellQuote(SourceDir() + "/scripts/validate-json.py") + " " +
                        ShellQuote(SourceDir() + "/docs/schemas/report.schema.json") + " " +
                        ShellQuote(bad),
                    "bad");
  EXPECT_EQ(check.exit_code, 1) << check.out;
  EXPECT_NE(check.out.find("0 valid, 1 invalid"), std::string::npos) << check.out;
  std::filesystem::remove(bad);
}

// The registry export schema accepts the sample export and refuses one with
// a wrong vocabulary value.
TEST(RegistryExportSchema, SampleValidatesAndBadStatusDoesNot) {
  std::string schema = ShellQuote(SourceDir() + "/docs/schemas/registry-export.schema.json");
  std::string script = "python3 " + ShellQuote(SourceDir() + "/scripts/validate-json.py") + " ";
  ShellRun good = Shell(script + schema + " " + ShellQuote(SourceDir() + "/samples/registry.json"),
                   "registry-good");
  EXPECT_EQ(good.exit_code, 0) << good.out;
  std::string bad = BinaryDir() + "/report_schema_test." + std::to_string(getpid()) + ".reg.json";
  {
    std::ofstream(bad) << R"({"format":"shelfguard-registry/1","filings":[{"filing_number":"x",)"
                          R"("app_name":"a","provider":{"name":"p","credit_code":"c"},)"
                          R"("android_packages":["a.b"],"status":"deleted"}]})";
  }
  ShellRun check = Shell(script + schema + " " + ShellQuote(bad), "registry-bad");
  EXPECT_EQ(check.exit_code, 1) << check.out;
  EXPECT_NE(check.out.find("status"), std::string::npos) << check.out;
  std::filesystem::remove(bad);
}

}  // namespace
}  // namespace shelfguard
