#include "shelfguard/report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace shelfguard {
namespace {

Report SampleReport() {
  Report r;
  r.facts.file = "app.apk";
  r.facts.analysed = true;
  r.facts.package.platform = Platform::kAndroid;
  r.facts.package.id = "cn.example";
  return r;
}

TEST(ReportJson, InvalidUtf8IsReplacedAndOutputParses) {
  Report r = SampleReport();
  // Overlong NUL, a CESU surrogate, a lead byte past U+10FFFF, a lone
  // continuation byte and a truncated sequence, next to valid Chinese.
  r.facts.package.label = std::string("\xC0\x80|\xED\xA0\x80|\xF5\x80\x80\x80|\x80|\xE6\x95", 16) + "|教育";
  std::string out = ReportToJson(r);
  nlohmann::json j = nlohmann::json::parse(out);  // throws on invalid UTF-8
  std::string label = j["package"]["label"];
  EXPECT_EQ(label.find("\xC0"), std::string::npos);
  EXPECT_NE(label.find("教育"), std::string::npos);
  EXPECT_NE(label.find("\xEF\xBF\xBD"), std::string::npos);
}

TEST(ReportJson, VerdictIsWorstSeverityOrError) {
  Report r = SampleReport();
  r.findings.push_back({"SEC-ALLOW-BACKUP", Severity::kInfo, "m", "m", {}, "b", std::nullopt});
  r.findings.push_back({"CONTENT-AD-SDK", Severity::kViolation, "m", "m", {}, "b", std::nullopt});
  ComputeVerdict(&r);
  EXPECT_EQ(r.verdict, Severity::kViolation);
  // A suppressed finding stays in the report but no longer sets the verdict.
  r.findings[1].suppression = Suppression{"accepted until the SDK is removed", "qa", "2099-01-01", "s.toml #1"};
  ComputeVerdict(&r);
  EXPECT_EQ(r.verdict, Severity::kInfo);
  EXPECT_NE(ReportToJson(r).find("\"suppression\":{\"reason\":\"accepted until"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(ReportToJson(r))["verdict"], "info");
  r.facts.analysed = false;
  EXPECT_EQ(nlohmann::json::parse(ReportToJson(r))["verdict"], "error");
  r.findings.clear();
  r.facts.analysed = true;
  ComputeVerdict(&r);
  EXPECT_EQ(nlohmann::json::parse(ReportToJson(r))["verdict"], "pass");
}

TEST(Severity, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(ParseSeverity("block"), Severity::kBlock);
  EXPECT_EQ(ParseSeverity("review"), Severity::kReview);
  EXPECT_EQ(ParseSeverity("never"), Severity::kPass);
  EXPECT_FALSE(ParseSeverity("fatal").has_value());
  EXPECT_STREQ(SeverityName(Severity::kViolation), "violation");
}

}  // namespace
}  // namespace shelfguard
