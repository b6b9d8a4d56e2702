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

// Text with what JSON must escape, what it must not, and what is not UTF-8.
const std::string kHostile = std::string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f|\0|\xff|\xC0\x80|", 22) +
                             "\xED\xA0\x80|\xE6\x95|\xF0\x9F\x98\x80|教育";

// A report with every section and list filled, every string hostile.
Report HostileReport(Platform platform) {
  Report r = SampleReport();
  Facts& f = r.facts;
  f.package.platform = platform;
  f.file = f.sha256 = f.package.id = f.package.label = f.package.min_os = kHostile;
  f.size = UINT64_MAX;
  f.package.min_sdk = -7;
  f.package.device_families = {kHostile, ""};
  f.permissions.push_back({kHostile, true, std::nullopt, true});
  f.defined_permissions = {kHostile};
  f.app_flags.debuggable = false;
  f.components.push_back({kHostile, kHostile, true, false, true, kHostile, false});
  f.ios.usage_descriptions = {{kHostile, kHostile}, {"NSCameraUsageDescription", "拍照"}};
  f.ios.entitlements = {{"a", "{\"z\":1,\"a\":[1.5,-0.0,1e300,18446744073709551615,true,null]}"},
                        {"b", "{"}, {"c", "\"s\\u0000t\""}, {kHostile, "[]"}};
  f.ios.architectures = {kHostile};
  f.harmony.model = kHostile;
  f.harmony.modules.push_back({kHostile, "entry", kHostile, {kHostile}, {}, {"x"}});
  f.harmony.permission_reasons = {{kHostile, kHostile}};
  f.mini_program.kind = kHostile;
  f.mini_program.pages = {kHostile, kHostile};
  f.code.push_back({"dex", kHostile, true, "", 1, 2, 3, 0, {}, kHostile});
  f.code.push_back({kHostile, kHostile, false, kHostile, 0, 0, 0, 9, {kHostile}, ""});
  f.sdks.push_back({kHostile, kHostile, kHostile, kHostile, kHostile,
                    {{kHostile, kHostile, kHostile, true, kHostile}, {"class", "", "", false}}});
  f.packer.names = {kHostile};
  f.displayed_numbers.push_back({kHostile, kHostile, kHostile, kHostile, false, kHostile});
  f.anomalies.push_back({kHostile, kHostile, kHostile});
  f.errors.push_back({kHostile, kHostile});
  f.scope = kHostile;
  r.findings.push_back({kHostile, Severity::kBlock, kHostile, kHostile,
                        {{kHostile, kHostile, kHostile, false}}, kHostile,
                        Suppression{kHostile, kHostile, kHostile, kHostile}});
  r.not_assessed.push_back({kHostile, kHostile});
  r.tool_version = r.scanned_at = kHostile;
  r.filing = FilingRecord{kHostile, kHostile, kHostile, kHostile, kHostile, kHostile, kHostile, ""};
  return r;
}

// ReportToJson writes its text directly; it must stay what nlohmann's
// dump() of the same document prints (the format readers and the stored
// reports have), compact and indented: parsing it and dumping it again
// gives the same bytes.
TEST(ReportJson, TextIsExactlyNlohmannsDumpOfItself) {
  for (Platform p : {Platform::kUnknown, Platform::kAndroid, Platform::kIos, Platform::kHarmony,
                     Platform::kMiniProgram}) {
    Report r = HostileReport(p);
    for (bool pretty : {false, true}) {
      SCOPED_TRACE(std::string(PlatformName(p)) + (pretty ? " pretty" : " compact"));
      std::string out = ReportToJson(r, pretty);
      nlohmann::ordered_json j = nlohmann::ordered_json::parse(out);
      EXPECT_EQ(j.dump(pretty ? 2 : -1, ' ', false), out);
      EXPECT_EQ(j.contains("ios"), p == Platform::kIos);
      EXPECT_EQ(j.contains("harmony"), p == Platform::kHarmony);
      EXPECT_EQ(j.contains("mini_program"), p == Platform::kMiniProgram);
      EXPECT_EQ(j["size"].get<uint64_t>(), UINT64_MAX);
      EXPECT_EQ(j["package"]["min_sdk"], -7);
      EXPECT_TRUE(j["package"]["target_sdk"].is_null());
      EXPECT_EQ(j["code"][0]["methods"], 3);
      EXPECT_FALSE(j["code"][0].contains("arch"));
      EXPECT_EQ(j["code"][1]["symbols"], 9);
      EXPECT_FALSE(j["sdks"][0]["evidence"][1].contains("sdk"));
    }
  }
}

TEST(ReportJson, EscapesOnlyWhatJsonNeedsAndReplacesInvalidBytes) {
  const std::string out = ReportToJson(HostileReport(Platform::kAndroid));
  // A package's string: NUL and each invalid byte become U+FFFD, control
  // characters are escaped, DEL and "/" are not.
  const std::string text =
      "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f|\xEF\xBF\xBD|\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD|"
      "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD|\xF0\x9F\x98\x80|教育\"";
  EXPECT_NE(out.find("\"file\":" + text + ","), std::string::npos) << out.substr(0, 200);
  // A string of the tool's own (a rule id) keeps NUL as \u0000.
  nlohmann::json j = nlohmann::json::parse(out);
  std::string rule = j["findings"][0]["rule_id"];
  EXPECT_EQ(rule.substr(0, 21), std::string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f|\0|", 17) + "\xEF\xBF\xBD|");
}

TEST(ReportJson, MapKeysMadeOneKeepTheirFirstPlaceAndLastValue) {
  Report r = HostileReport(Platform::kIos);
  // "\xff" becomes U+FFFD, the same text as the valid key sorted before it.
  r.facts.ios.usage_descriptions = {{"z", "1"}, {"\xEF\xBF\xBD", "2"}, {"\xFF", "3"}};
  std::string out = ReportToJson(r);
  EXPECT_NE(out.find("\"usage_descriptions\":{\"z\":\"1\",\"\xEF\xBF\xBD\":\"3\"}"),
            std::string::npos);
  // Entitlement values are embedded as parsed, in their own key order; a
  // value that is not JSON is a string.
  EXPECT_NE(out.find("\"entitlements\":{\"a\":{\"z\":1,\"a\":[1.5,-0.0,1e+300,"
                     "18446744073709551615,true,null]},\"b\":\"{\",\"c\":\"s\\u0000t\","),
            std::string::npos);
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
