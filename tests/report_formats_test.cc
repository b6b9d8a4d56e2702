// SARIF, CSV and XLSX reports of real packages (the sample packages against
// the sample registry, and corpus packages), read back by other tools: the
// official SARIF 2.1.0 schema (python3-jsonschema), Python's csv module and
// openpyxl. Row counts must equal the violations of the reports.
#include <gtest/gtest.h>

#include <set>

#include "policy/rules.h"
#include "report/notice_list.h"
#include "report/sarif.h"
#include "report_support.h"

namespace shelfguard {
namespace {

using json = nlohmann::json;
using namespace testing;

std::vector<std::string> Packages() {
  std::vector<std::string> p = {SamplePackage("full.apk"), SamplePackage("unfiled.apk"),
                                SamplePackage("banned.apk"), SamplePackage("full-ios.ipa"),
                                SamplePackage("biometric.apk")};
  std::string corpus = CorpusDir();
  if (!corpus.empty()) {
    for (const char* c : {"apk/togetherad__app-release.apk", "apk/baoshui__app-debug.apk",
                          "ipa/fastlane__iOS App With Spaces.ipa", "ipa/fastlane__not-an-ipa.ipa"}) {
      p.push_back(corpus + "/" + c);
    }
  }
  return p;
}

const std::vector<report::ReportEntry>& Entries() {
  static const auto* e = new std::vector<report::ReportEntry>(ScanEntries(Packages()));
  return *e;
}

TEST(ReportText, EveryCatalogueRuleHasTitlesAndDescriptionsInBothLanguages) {
  std::set<std::string> ids;
  for (const auto& r : policy::RuleList()) {
    const policy::RuleText* t = policy::FindRuleText(r.id);
    ASSERT_NE(t, nullptr) << r.id;
    EXPECT_GT(std::string(t->title_zh).size(), 0u) << r.id;
    EXPECT_GT(std::string(t->check_zh).size(), 0u) << r.id;
    EXPECT_GT(std::string(t->title_en).size(), 0u) << r.id;
    ids.insert(r.id);
  }
  // No text for a rule that does not exist.
  for (const auto& t : policy::RuleTexts()) EXPECT_EQ(ids.count(t.id), 1u) << t.id;
}

TEST(ReportJsonReader, ReadsBackWhatTheWriterWrote) {
  const auto& entries = Entries();
  ASSERT_GE(entries.size(), 5u);
  for (const auto& e : entries) {
    // Written again from the objects read back, the JSON is the same: the
    // reader follows every field the writer emits that reports use.
    json a = json::parse(ReportToJson(e.report));
    auto again = report::ReportFromJson(a.dump());
    ASSERT_TRUE(again.ok());
    json b = json::parse(ReportToJson(*again));
    for (const char* key : {"file", "sha256", "size", "package", "permissions", "sdks", "packer",
                            "displayed_numbers", "findings", "filing", "verdict", "scope", "errors", "analysed"}) {
      EXPECT_EQ(a[key], b[key]) << key << " of " << e.report.facts.file;
    }
  }
  // The sample registry's record reaches the report.
  const auto& full = entries[0].report;
  ASSERT_TRUE(full.filing.has_value());
  EXPECT_EQ(full.filing->source, "registry");
  EXPECT_EQ(full.filing->credit_code.size(), 18u);
  EXPECT_FALSE(entries[1].report.filing.has_value());  // unfiled.apk
}

TEST(ReportJsonReader, RejectsWrongTypesNamingTheKey) {
  auto r = report::ReportFromJson(R"({"file":"a.apk","findings":[{"rule":7}]})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("findings[].rule"), std::string::npos) << r.status().message();
  EXPECT_FALSE(report::ReportFromJson("[1,2]").ok());
  EXPECT_FALSE(report::ReportFromJson("{\"file\":").ok());
  auto light = report::ReportFromJson(R"({"file":"x","components":[{"kind":5}],"verdict":"block","analysed":true})", true);
  ASSERT_TRUE(light.ok());  // dropped keys are not even type-checked
  EXPECT_EQ(light->verdict, Severity::kBlock);
}

TEST(ReportSarif, ValidatesAgainstTheOfficialSchema) {
  const auto& entries = Entries();
  TempDir dir;
  report::SarifOptions so;
  so.warnings.push_back("suppress.toml: [[suppress]] #1 matched no finding");
  std::string sarif = report::ToSarif(entries, so);
  WriteText(dir / "out.sarif", sarif);
  std::string schema = SourceDir() + "/../shared/schemas/sarif-schema-2.1.0.json";
  json v = Check("sarif " + ShellQuote(schema) + " " + ShellQuote(dir / "out.sarif"));
  EXPECT_EQ(v["error_count"], 0) << v["errors"].dump();
  size_t findings = 0;
  for (const auto& e : entries) findings += e.report.findings.size();
  EXPECT_EQ(v["results"].get<size_t>(), findings);
  EXPECT_GE(v["rules"].get<size_t>(), policy::RuleList().size());

  json log = json::parse(sarif);
  const json& run = log["runs"][0];
  EXPECT_EQ(log["version"], "2.1.0");
  EXPECT_EQ(run["tool"]["driver"]["name"], "shelfguard");
  EXPECT_FALSE(run["tool"]["driver"]["semanticVersion"].get<std::string>().empty());
  // Every descriptor carries both languages and the basis.
  for (const auto& d : run["tool"]["driver"]["rules"]) {
    EXPECT_FALSE(d["properties"]["title_zh"].get<std::string>().empty()) << d["id"];
    EXPECT_NE(d["help"]["text"].get<std::string>().find("Basis"), std::string::npos);
  }
  // Package artifacts carry the sha256; entries inside name their package as parent.
  std::map<std::string, size_t> by_uri;
  bool nested = false;
  for (size_t i = 0; i < run["artifacts"].size(); ++i) {
    const json& a = run["artifacts"][i];
    if (a.contains("parentIndex")) {
      nested = true;
      EXPECT_TRUE(run["artifacts"][a["parentIndex"].get<size_t>()].contains("length"));
    }
  }
  EXPECT_TRUE(nested) << "no finding located inside a package (e.g. a dex)";
  EXPECT_EQ(run["artifacts"][0]["hashes"]["sha-256"], entries[0].report.facts.sha256);
  // Levels follow severities, and each result names its rule by index.
  for (const auto& res : run["results"]) {
    std::string sev = res["properties"]["severity"];
    std::string want = sev == "block" || sev == "violation" ? "error" : sev == "review" ? "warning" : "note";
    EXPECT_EQ(res["level"], want);
    EXPECT_EQ(run["tool"]["driver"]["rules"][res["ruleIndex"].get<size_t>()]["id"], res["ruleId"]);
    EXPECT_EQ(res["partialFingerprints"]["shelfguardFinding/v1"].get<std::string>().size(), 64u);
  }
  EXPECT_EQ(run["invocations"][0]["toolConfigurationNotifications"][0]["level"], "warning");
  // Fingerprints are stable across runs (a second scan of the same packages).
  json again = json::parse(report::ToSarif(ScanEntries({SamplePackage("banned.apk")}), so));
  std::set<std::string> first, second;
  for (const auto& res : run["results"])
    if (res["properties"]["package_file"] == SamplePackage("banned.apk"))
      first.insert(res["partialFingerprints"]["shelfguardFinding/v1"]);
  for (const auto& res : again["runs"][0]["results"]) second.insert(res["partialFingerprints"]["shelfguardFinding/v1"]);
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, second);
  // A package with spaces in its name gets a percent-encoded URI; an
  // unanalysable one is a tool execution notification.
  if (!CorpusDir().empty()) {
    EXPECT_NE(sarif.find("iOS%20App%20With%20Spaces.ipa"), std::string::npos);
    EXPECT_EQ(run["invocations"][0]["executionSuccessful"], false);
    EXPECT_FALSE(run["invocations"][0]["toolExecutionNotifications"].empty());
  }
}

TEST(ReportNoticeList, CsvParsesBackWithOneRowPerViolation) {
  const auto& entries = Entries();
  size_t violations = CountViolations(entries);
  ASSERT_GT(violations, 3u);
  TempDir dir;
  WriteText(dir / "n.csv", report::ToCsv(entries));
  json v = Check("csv " + ShellQuote(dir / "n.csv"));
  EXPECT_EQ(v["rows"].get<size_t>(), violations);
  EXPECT_EQ(v["widths"], json::array({report::NoticeColumns().size()}));  // every record complete
  EXPECT_TRUE(v["crlf"].get<bool>());
  EXPECT_EQ(v["header"][1], "统一社会信用代码 credit code");
  // The first violation's cells: provider and credit code from the filing, Chinese message.
  const auto rows = report::NoticeRows(entries);
  for (size_t c = 0; c < rows[0].size(); ++c) {
    std::string want = rows[0][c];
    if (!want.empty() && std::string("=+-@").find(want[0]) != std::string::npos) want = "'" + want;
    EXPECT_EQ(v["first"][c], want) << report::NoticeColumns()[c].key;
  }
}

TEST(ReportNoticeList, CsvQuotingAndFormulaGuard) {
  EXPECT_EQ(report::CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(report::CsvField("say \"hi\"\r\nbye"), "\"say \"\"hi\"\"\r\nbye\"");
  EXPECT_EQ(report::CsvField("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(report::CsvField("中文"), "中文");
}

TEST(ReportNoticeList, XlsxOpensBackWithHeaderFrozenPanesFilterAndSummary) {
  const auto& entries = Entries();
  size_t violations = CountViolations(entries);
  TempDir dir;
  ASSERT_TRUE(report::WriteXlsx(entries, dir / "n.xlsx").ok());
  json v = Check("xlsx " + ShellQuote(dir / "n.xlsx"));
  EXPECT_EQ(v["rows"].get<size_t>(), violations);
  EXPECT_EQ(v["sheets"].size(), 2u);
  EXPECT_EQ(v["freeze"], "A2");
  size_t cols = report::NoticeColumns().size();
  EXPECT_EQ(v["autofilter"], std::string("A1:") + static_cast<char>('A' + cols - 1) + std::to_string(violations + 1));
  EXPECT_EQ(v["widths"].get<size_t>(), cols);
  EXPECT_EQ(v["header"].size(), cols);
  // The summary names each violated rule and provider with its count.
  std::string summary = v["summary_text"].dump();
  for (const auto& row : report::CountByRule(entries)) EXPECT_NE(summary.find(row.key), std::string::npos) << row.key;
  for (const auto& row : report::CountByProvider(entries)) EXPECT_NE(summary.find(row.key), std::string::npos);
  // Writing where no file can be made is an error naming the path.
  Status st = report::WriteXlsx(entries, "/nonexistent-dir/x.xlsx");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent-dir/x.xlsx"), std::string::npos);
}

}  // namespace
}  // namespace shelfguard
