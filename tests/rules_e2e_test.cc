// End to end: the real `shelfguard scan` binary on the sample packages
// (samples/packages, built by samples/build.sh from samples/specs) against the
// sample registry (samples/registry.json). Each package's expected rule ids
// are exactly the ones its spec's "comment" names; together they cover every
// rule of the catalogue.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "policy/rules.h"
#include "support/corpus.h"
#include "support/fixtures.h"

namespace shelfguard {
namespace {

using json = nlohmann::json;
using testing::BinaryDir;
using testing::SourceDir;

using RunResult = testing::CommandRun;

// The CLI's stdout and exit code (its stderr is kept apart, in r.err).
RunResult RunCli(const std::string& args) { return testing::RunCommand(BinaryDir() + "/shelfguard " + args); }

std::string Pkg(const std::string& name) { return SourceDir() + "/samples/packages/" + name; }
std::string Registry() { return SourceDir() + "/samples/registry.json"; }

// Rule ids of one JSON report.
std::set<std::string> Rules(const json& report) {
  std::set<std::string> s;
  for (const auto& f : report.at("findings")) s.insert(f.at("rule").get<std::string>());
  return s;
}

class RulesE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(BinaryDir() + "/shelfguard"))
      GTEST_FAIL() << "build the shelfguard binary first: " << BinaryDir() << "/shelfguard";
    ASSERT_TRUE(std::filesystem::exists(Registry()));
  }
  // Scans one package with the sample registry on a fixed date.
  json Scan(const std::string& name, int* exit_code = nullptr, const std::string& extra = "") {
    RunResult r = RunCli("scan --registry " + Registry() + " --today 2026-10-01 --format json " +
                      "--no-progress " + extra + " " + Pkg(name));
    if (exit_code != nullptr) *exit_code = r.exit_code;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << name << ": not one JSON object:\n" << r.out;
    return j;
  }
};

const std::map<std::string, std::set<std::string>>& Expected() {
  static const auto* m = new std::map<std::string, std::set<std::string>>{
      {"full.apk", {}},
      {"full-ios.ipa", {}},
      {"biometric.apk", {}},
      {"revoked.apk", {"FILING-REVOKED", "SEC-DEBUGGABLE", "SEC-CLEARTEXT"}},
      {"preschool.apk",
       {"CATEGORY-PRESCHOOL", "CONTENT-GAME", "FILING-MALFORMED", "FILING-MISMATCH"}},
      {"subject.apk", {"CATEGORY-SUBJECT-UNLICENSED", "CONTENT-PHOTO-SEARCH", "FILING-MISMATCH"}},
      {"required.apk",
       {"CONTENT-PAYMENT-REQUIRED-USE", "PRIV-UNDISCLOSED-PERMISSION", "PRIV-UNNECESSARY",
        "FILING-STALE", "SEC-ALLOW-BACKUP"}},
      {"banned.apk", {"FILING-PROVIDER-BANNED", "SEC-PACKED", "PRIV-TRACKING-SDK"}},
      {"nomlps.apk", {"FILING-MLPS-MISSING", "PRIV-BIOMETRIC", "SEC-EXPORTED", "FILING-ICP-MISSING"}},
      {"licensed.apk", {"CONTENT-LIVE-SUBJECT", "FILING-STALE"}},
      {"unfiled.apk",
       {"FILING-UNFILED", "FILING-NOT-DISPLAYED", "FILING-ICP-MISSING", "CONTENT-AD-SDK",
        "SEC-MALFORMED"}},
      {"faceid-ios.ipa",
       {"PRIV-BIOMETRIC", "PRIV-UNDISCLOSED-PERMISSION", "SEC-CLEARTEXT", "FILING-MLPS-MISSING",
        "FILING-ICP-MISSING"}},
  };
  return *m;
}

TEST_F(RulesE2e, EachSamplePackageGetsExactlyItsExpectedRules) {
  for (const auto& [name, want] : Expected()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(std::filesystem::exists(Pkg(name))) << "run samples/build.sh";
    int code = -1;
    json j = Scan(name, &code);
    if (j.is_discarded()) continue;
    EXPECT_TRUE(j.at("analysed").get<bool>());
    EXPECT_EQ(Rules(j), want);
    // Exit code follows the default --fail-on violation.
    const std::string verdict = j.at("verdict");
    EXPECT_EQ(code, (verdict == "violation" || verdict == "block") ? 1 : 0) << verdict;
    // Every finding is complete: messages in both languages, basis, severity.
    for (const auto& f : j.at("findings")) {
      EXPECT_FALSE(f.at("message").get<std::string>().empty());
      EXPECT_FALSE(f.at("message_zh").get<std::string>().empty());
      EXPECT_FALSE(f.at("basis").get<std::string>().empty());
      EXPECT_NE(f.at("severity").get<std::string>(), "pass");
    }
  }
}

TEST_F(RulesE2e, SamplesTogetherCoverEveryRule) {
  std::set<std::string> covered;
  for (const auto& [name, want] : Expected()) covered.insert(want.begin(), want.end());
  for (const auto& r : policy::RuleList()) {
    // Needs a registry with a rejected record; the sample registry stays valid
    // so that --registry-strict accepts it. Covered by
    // RegistryCliTest.RejectedRecordIsNamedAndNeverMakesTheAppUnfiled and
    // Assessor.RejectedRecordIsReviewNotUnfiled.
    if (std::string(r.id) == "FILING-RECORD-REJECTED") continue;
    EXPECT_EQ(covered.count(r.id), 1u) << r.id;
  }
}

TEST_F(RulesE2e, EvidenceNamesWhereThingsWereFound) {
  json j = Scan("subject.apk");
  ASSERT_FALSE(j.is_discarded());
  for (const auto& f : j.at("findings")) {
    if (f.at("rule") == "CONTENT-PHOTO-SEARCH") {
      ASSERT_FALSE(f.at("evidence").empty());
      EXPECT_NE(f.at("evidence")[0].at("value").get<std::string>().find("com.zuoyebang"),
                std::string::npos);
    }
    if (f.at("rule") == "FILING-MISMATCH") {
      EXPECT_NE(f.at("message").get<std::string>().find("示例全备案学习"), std::string::npos)
          << "the shown number belongs to cn.shelfguard.sample.full";
    }
  }
  // The split layout number ("教APP备" + "1100101号") of full.apk is found whole.
  json full = Scan("full.apk");
  ASSERT_FALSE(full.is_discarded());
  bool found = false;
  for (const auto& n : full.at("displayed_numbers"))
    found = found || (n.at("text") == "教APP备1100101号" && n.at("well_formed") == true &&
                      n.at("location").get<std::string>().find("res/layout/") == 0);
  EXPECT_TRUE(found) << full.at("displayed_numbers").dump();
}

TEST_F(RulesE2e, FindingsAreSortedBySeverity) {
  json j = Scan("unfiled.apk");
  ASSERT_FALSE(j.is_discarded());
  const std::map<std::string, int> rank = {{"info", 1}, {"review", 2}, {"violation", 3}, {"block", 4}};
  int prev = 5;
  for (const auto& f : j.at("findings")) {
    int r = rank.at(f.at("severity").get<std::string>());
    EXPECT_LE(r, prev);
    prev = r;
  }
  EXPECT_EQ(j.at("verdict"), "block");
}

TEST_F(RulesE2e, BlacklistEndsAfterSixMonths) {
  RunResult r = RunCli("scan --registry " + Registry() +
                    " --today 2027-03-02 --format json --no-progress " + Pkg("banned.apk"));
  json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(Rules(j).count("FILING-PROVIDER-BANNED"), 0u);
  EXPECT_EQ(Rules(j).count("SEC-PACKED"), 1u);
}

TEST_F(RulesE2e, WithoutRegistryOnlyFactsRulesRun) {
  RunResult r = RunCli("scan --format json --no-progress " + Pkg("unfiled.apk"));
  json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(Rules(j), (std::set<std::string>{"FILING-NOT-DISPLAYED", "FILING-ICP-MISSING",
                                              "CONTENT-AD-SDK", "SEC-MALFORMED"}));
  r = RunCli("scan --format json --no-progress " + Pkg("nomlps.apk"));
  j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  // The face SDK needs the filing to judge; the exported service does not.
  EXPECT_EQ(Rules(j), (std::set<std::string>{"SEC-EXPORTED", "FILING-ICP-MISSING"}));
}

TEST_F(RulesE2e, SelfCheckFilingCoversPackage) {
  // The provider's own filing for cn.shelfguard.sample.nomlps, before submission.
  std::ifstream in(Registry());
  json reg = json::parse(in);
  json filing;
  for (const auto& f : reg.at("filings"))
    if (f.at("filing_number") == "教APP备4200107号") filing = f;
  ASSERT_FALSE(filing.is_null());
  filing["mlps"] = {{"filing_number", "42010843107-20107"}, {"level", 2}};
  filing["declared"]["biometric"] = true;
  filing["declared"]["biometric_reviewed"] = true;
  std::string path = BinaryDir() + "/rules_e2e_filing." + std::to_string(getpid()) + ".json";
  std::ofstream(path) << filing.dump();
  RunResult r = RunCli("scan --filing " + path + " --format json --no-progress " + Pkg("nomlps.apk"));
  json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(Rules(j), (std::set<std::string>{"SEC-EXPORTED", "FILING-ICP-MISSING"}));
  // The same filing does not cover another package: unfiled.
  r = RunCli("scan --filing " + path + " --format json --no-progress " + Pkg("full.apk"));
  j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(Rules(j).count("FILING-UNFILED"), 1u);
  std::filesystem::remove(path);
}

TEST_F(RulesE2e, UnreadableRegistryIsAnError) {
  RunResult r = RunCli("scan --registry /nonexistent/registry.json --format json " + Pkg("full.apk"));
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace shelfguard
