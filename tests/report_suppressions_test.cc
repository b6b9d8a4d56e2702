// Suppressions: the TOML file's rules (errors name the entry and the field),
// matching by package, provider, sdk and sha256, expiry, warnings, and what
// a suppressed finding looks like in the verdict, JSON and SARIF.
#include <gtest/gtest.h>

#include "report/sarif.h"
#include "report/suppressions.h"
#include "report_support.h"

namespace shelfguard {
namespace {

using json = nlohmann::json;
using namespace testing;
using report::Suppressions;

std::string ErrorOf(const std::string& toml) {
  auto s = Suppressions::Parse(toml, "s.toml");
  return s.ok() ? std::string("(parsed)") : s.status().message();
}

TEST(ReportSuppressions, MalformedFilesNameTheEntryAndTheField) {
  const std::string ok1 =
      "[[suppress]]\nrule = \"CONTENT-AD-SDK\"\npackage = \"a.b\"\nreason = \"r\"\nauthor = \"me\"\n"
      "expires = 2026-12-31\n\n";
  auto good = Suppressions::Parse(ok1 + "[[suppress]]\nrule = \"SEC-DEBUGGABLE\"\nsha256 = \"" + std::string(64, 'A') +
                                      "\"\nreason = \"r\"\nauthor = \"me\"\nexpires = \"2027-01-31\"\n",
                                  "s.toml");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  ASSERT_EQ(good->entries().size(), 2u);
  EXPECT_EQ(good->entries()[0].expires, "2026-12-31");
  EXPECT_EQ(good->entries()[1].sha256, std::string(64, 'a'));
  EXPECT_EQ(good->entries()[1].line, 8);

  struct Case {
    std::string second_entry, field;
  } cases[] = {
      {"rule = \"CONTENT-AD-SDK\"\npackage = \"a\"\nreason = \"r\"\nauthor = \"me\"\n", "'expires'"},
      {"rule = \"CONTENT-AD-SDK\"\npackage = \"a\"\nreason = \"r\"\nauthor = \"me\"\nexpires = \"soon\"\n", "'expires'"},
      {"rule = \"CONTENT-AD-SDK\"\npackage = \"a\"\nreason = \"r\"\nauthor = \"me\"\nexpires = \"2026-02-30\"\n", "not a real date"},
      {"rule = \"NO-SUCH-RULE\"\npackage = \"a\"\nreason = \"r\"\nauthor = \"me\"\nexpires = 2026-12-31\n", "'rule'"},
      {"package = \"a\"\nreason = \"r\"\nauthor = \"me\"\nexpires = 2026-12-31\n", "'rule'"},
      {"rule = \"CONTENT-AD-SDK\"\nreason = \"r\"\nauthor = \"me\"\nexpires = 2026-12-31\n", "'package'"},
      {"rule = \"CONTENT-AD-SDK\"\nsha256 = \"xyz\"\nreason = \"r\"\nauthor = \"me\"\nexpires = 2026-12-31\n", "'sha256'"},
      {"rule = \"CONTENT-AD-SDK\"\npackage = \"a\"\nauthor = \"me\"\nexpires = 2026-12-31\n", "'reason'"},
      {"rule = \"CONTENT-AD-SDK\"\npackage = \"a\"\nreason = \"r\"\nexpires = 2026-12-31\n", "'author'"},
      {"rule = \"CONTENT-AD-SDK\"\npackage = 5\nreason = \"r\"\nauthor = \"me\"\nexpires = 2026-12-31\n", "'package'"},
      {"rule = \"CONTENT-AD-SDK\"\npackages = \"a\"\nreason = \"r\"\nauthor = \"me\"\nexpires = 2026-12-31\n", "'packages'"},
  };
  for (const auto& c : cases) {
    std::string msg = ErrorOf(ok1 + "[[suppress]]\n" + c.second_entry);
    EXPECT_NE(msg.find("s.toml: [[suppress]] #2 (line 8)"), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.field), std::string::npos) << msg;
  }
  EXPECT_NE(ErrorOf("[[suppress]\nrule=1").find("line 1"), std::string::npos);
  EXPECT_NE(ErrorOf("[other]\nx = 1\n").find("unknown key 'other'"), std::string::npos);
  EXPECT_NE(ErrorOf("suppress = 3\n").find("[[suppress]]"), std::string::npos);
  EXPECT_TRUE(Suppressions::Parse("", "empty.toml").ok());
  auto missing = Suppressions::Load("/nonexistent/s.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/s.toml"), std::string::npos);
}

TEST(ReportSuppressions, SuppressedFindingsStayMarkedAndStopCounting) {
  auto entries = ScanEntries({SamplePackage("banned.apk")});
  ASSERT_EQ(entries.size(), 1u);
  Report r = entries[0].report;
  ASSERT_TRUE(r.filing.has_value());
  ASSERT_FALSE(r.findings.empty());
  // Suppress every violation and block: by provider for the first, by
  // package for the rest, by sha256 one more time (already suppressed).
  std::string toml;
  std::set<std::string> rules;
  for (const auto& f : r.findings)
    if (f.severity >= Severity::kViolation) rules.insert(f.rule_id);
  ASSERT_FALSE(rules.empty());
  bool first = true;
  for (const auto& rule : rules) {
    toml += "[[suppress]]\nrule = \"" + rule + "\"\n" +
            (first ? "provider = \"" + r.filing->credit_code + "\"\n" : "package = \"" + r.facts.package.id + "\"\n") +
            "reason = \"accepted: fixed in next release\"\nauthor = \"qa\"\nexpires = 2026-12-31\n";
    first = false;
  }
  toml += "[[suppress]]\nrule = \"SEC-DEBUGGABLE\"\npackage = \"no.such.app\"\nreason = \"x\"\nauthor = \"qa\"\n"
          "expires = 2026-12-31\n";
  toml += "[[suppress]]\nrule = \"" + *rules.begin() + "\"\npackage = \"" + r.facts.package.id +
          "\"\nreason = \"old\"\nauthor = \"qa\"\nexpires = 2026-01-31\n";
  auto s = Suppressions::Parse(toml, "s.toml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::vector<uint64_t> hits;
  Severity before = r.verdict;
  ASSERT_GE(before, Severity::kViolation);
  s->Apply(&r, "2026-10-01", &hits);
  EXPECT_LT(r.verdict, Severity::kViolation);
  size_t suppressed = 0;
  for (const auto& f : r.findings) {
    if (f.severity >= Severity::kViolation) {
      ASSERT_TRUE(f.suppression.has_value()) << f.rule_id;
      EXPECT_EQ(f.suppression->reason, "accepted: fixed in next release");
      ++suppressed;
    }
  }
  EXPECT_EQ(suppressed, rules.size());
  auto warnings = s->Warnings(hits, "2026-10-01");
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("#" + std::to_string(rules.size() + 1)), std::string::npos);
  EXPECT_NE(warnings[0].find("matched no finding"), std::string::npos);
  EXPECT_NE(warnings[1].find("expired on 2026-01-31"), std::string::npos);
  // Past the expiry date nothing is suppressed and every entry warns.
  Report later = entries[0].report;
  std::vector<uint64_t> later_hits;
  s->Apply(&later, "2027-01-01", &later_hits);
  EXPECT_EQ(later.verdict, before);
  EXPECT_EQ(s->Warnings(later_hits, "2027-01-01").size(), rules.size() + 2);

  // JSON carries the suppression; SARIF has `suppressions` and still validates.
  json j = json::parse(ReportToJson(r));
  bool seen = false;
  for (const auto& f : j["findings"]) seen = seen || f.contains("suppression");
  EXPECT_TRUE(seen);
  EXPECT_EQ(j["verdict"], SeverityName(r.verdict));
  auto back = report::ReportFromJson(j.dump());
  ASSERT_TRUE(back.ok());
  TempDir dir;
  std::string sarif = report::ToSarif({{*back, "cli", "2026-10-01T08:00:00Z", "sig", "reg"}}, {});
  WriteText(dir / "s.sarif", sarif);
  json v = Check("sarif " + ShellQuote(SourceDir() + "/../shared/schemas/sarif-schema-2.1.0.json") + " " +
                 ShellQuote(dir / "s.sarif"));
  EXPECT_EQ(v["error_count"], 0) << v["errors"].dump();
  json log = json::parse(sarif);
  size_t with = 0;
  for (const auto& res : log["runs"][0]["results"]) {
    if (!res.contains("suppressions")) continue;
    ++with;
    EXPECT_EQ(res["suppressions"][0]["kind"], "external");
    EXPECT_EQ(res["suppressions"][0]["justification"], "accepted: fixed in next release");
  }
  EXPECT_EQ(with, rules.size());
}

TEST(ReportSuppressions, SdkAndSha256Selectors) {
  if (CorpusDir().empty()) GTEST_SKIP() << "corpus needed for an app with an ad SDK";
  auto entries = ScanEntries({CorpusDir() + "/apk/togetherad__app-release.apk"});
  ASSERT_EQ(entries.size(), 1u);
  Report r = entries[0].report;
  const Finding* ad = nullptr;
  for (const auto& f : r.findings)
    if (f.rule_id == "CONTENT-AD-SDK") ad = &f;
  ASSERT_NE(ad, nullptr) << "togetherad carries ad SDKs";
  // The ad SDKs the finding names; suppress one of them only.
  std::string sdk_id;
  for (const auto& s : r.facts.sdks) {
    if (s.category != "ads" || s.confidence == "weak") continue;
    sdk_id = s.id;
    break;
  }
  ASSERT_FALSE(sdk_id.empty());
  auto by_sdk = Suppressions::Parse("[[suppress]]\nrule = \"CONTENT-AD-SDK\"\nsdk = \"" + sdk_id +
                                        "\"\nreason = \"r\"\nauthor = \"a\"\nexpires = 2099-01-01\n",
                                    "s.toml");
  ASSERT_TRUE(by_sdk.ok());
  std::vector<uint64_t> hits;
  Report a = r;
  by_sdk->Apply(&a, "2026-10-01", &hits);
  EXPECT_EQ(hits[0], 1u);
  auto other_sdk = Suppressions::Parse("[[suppress]]\nrule = \"CONTENT-AD-SDK\"\nsdk = \"no-such-sdk\"\nreason = \"r\"\n"
                                       "author = \"a\"\nexpires = 2099-01-01\n", "s.toml");
  ASSERT_TRUE(other_sdk.ok());
  Report b = r;
  hits.clear();
  other_sdk->Apply(&b, "2026-10-01", &hits);
  EXPECT_EQ(hits[0], 0u);
  // sha256 must match exactly (case-insensitively in the file).
  std::string upper = r.facts.sha256;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto by_sha = Suppressions::Parse("[[suppress]]\nrule = \"CONTENT-AD-SDK\"\nsha256 = \"" + upper +
                                        "\"\nreason = \"r\"\nauthor = \"a\"\nexpires = 2099-01-01\n",
                                    "s.toml");
  ASSERT_TRUE(by_sha.ok());
  Report c = r;
  hits.clear();
  by_sha->Apply(&c, "2026-10-01", &hits);
  EXPECT_EQ(hits[0], 1u);
}

}  // namespace
}  // namespace shelfguard
