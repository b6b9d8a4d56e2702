// End-to-end tests of `shelfguard registry import|show|validate`: the built
// binary ($SG_BINARY_DIR/shelfguard) is run as a user would, on the sample
// registry (JSON and CSV) and on generated exports with bad records, in a
// private temp directory. Every run is bounded by `timeout`.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "support/corpus.h"
#include "support/fixtures.h"

namespace shelfguard {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::BinaryDir;
using testing::SourceDir;

using CliRun = testing::CommandRun;

std::string Quote(const std::string& s) { return testing::ShellQuote(s); }

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class RegistryCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    dir_ = fs::temp_directory_path() /
           ("sg_registry_cli_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "registry.db").string();
    ASSERT_TRUE(fs::exists(BinaryDir() + "/shelfguard")) << "build the shelfguard target first";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Runs `shelfguard registry ARGS...` with stdout and stderr captured; HOME
  // and XDG_DATA_HOME point into the temp dir so no user database is touched.
  CliRun Registry(const std::vector<std::string>& args) {
    std::string cmd = "HOME=" + Quote(dir_.string()) + " XDG_DATA_HOME=" +
                      Quote((dir_ / "xdg").string()) + " timeout 60 " +
                      Quote(BinaryDir() + "/shelfguard") + " registry";
    for (const std::string& a : args) cmd += " " + Quote(a);
    return testing::RunCommand(cmd);
  }

  std::string Write(const std::string& name, const std::string& content) {
    std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

  static std::string SampleJson() { return SourceDir() + "/samples/registry.json"; }
  static std::string SampleCsv() { return SourceDir() + "/samples/registry.csv"; }

  fs::path dir_;
  std::string db_;
};

// One filing on one line.
std::string FilingLine(const std::string& number, const std::string& pkg,
                       const std::string& credit = "91110108MA01QG001D",
                       const std::string& icp = "京ICP备12345678号-1") {
  return R"({"filing_number": ")" + number + R"(", "app_name": "命令行测试", "provider": )"
         R"({"name": "测试公司", "credit_code": ")" + credit + R"(", "province": "11"}, )"
         R"("android_packages": [")" + pkg + R"("], "ios_bundle_ids": [")" + pkg + R"(.ios"], )"
         R"("icp_number": ")" + icp + R"(", "mlps": {"filing_number": "11010843101-20101", )"
         R"("level": 3}, "status": "active", "status_since": "2025-03-01"})";
}

// A JSON export: one good filing (line 3), then four bad ones.
std::string BadExport() {
  return "{\"format\": \"shelfguard-registry/1\",\n"                                     // 1
         " \"filings\": [\n"                                                             // 2
         "  " + FilingLine("教APP备1100001号", "cn.cli.good") + ",\n" +                  // 3
         "  " + FilingLine("教APP备110002号", "cn.cli.sixdigit") + ",\n" +               // 4
         "  " + FilingLine("教APP备1100003号", "cn.cli.badcheck", "91110108MA01QG001X") +
         ",\n" +                                                                         // 5
         "  " + FilingLine("教APP备1100004号", "cn.cli.badicp", "91110108MA01QG001D",
                           "京ICP备1234567号-1") + ",\n" +                                // 6
         "  {\"filing_number\": \"教APP备1100005号\",\n"                                 // 7
         "   \"android_packages\": [\"cn.cli.missing\"]}\n"                              // 8
         " ],\n"                                                                         // 9
         " \"blacklist\": []}\n";
}

TEST_F(RegistryCliTest, ImportSampleJsonAndShowByEveryKey) {
  CliRun imp = Registry({"import", SampleJson(), "--db", db_});
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_TRUE(Contains(imp.out, "imported 9 filings and 2 blacklist entries into " + db_))
      << imp.out;
  EXPECT_TRUE(Contains(imp.out, "(version sha256:")) << imp.out;
  EXPECT_EQ(imp.err, "");
  // Only the database is left (the temp file was renamed over it).
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    if (e.path().filename().string().rfind("run", 0) != 0) ++files;
  }
  EXPECT_EQ(files, 1u);

  // By Android package id.
  CliRun full = Registry({"show", "cn.shelfguard.sample.full", "--db", db_});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_TRUE(Contains(full.out, "filing_number:    教APP备1100101号")) << full.out;
  EXPECT_TRUE(Contains(full.out, "provider:         北京示例教育科技有限公司 (credit code "
                                 "91110108MA01QG001D, province 11)"))
      << full.out;
  EXPECT_TRUE(Contains(full.out, "status:           active since 2025-03-01")) << full.out;
  EXPECT_FALSE(Contains(full.out, "warning:")) << full.out;  // the clean baseline

  // By filing number, also in full-width form with spaces.
  for (const char* number : {"教APP备3100102号", "教ＡＰＰ备 3100102 号"}) {
    CliRun rev = Registry({"show", number, "--db", db_});
    ASSERT_EQ(rev.exit_code, 0) << number << ": " << rev.err;
    EXPECT_TRUE(Contains(rev.out, "android_packages: cn.shelfguard.sample.revoked")) << rev.out;
    EXPECT_TRUE(Contains(rev.out, "status:           revoked since 2025-09-15")) << rev.out;
  }

  // By credit code: the banned provider, with its blacklist entry.
  CliRun banned = Registry({"show", "91510107MA6CQG006T", "--db", db_});
  ASSERT_EQ(banned.exit_code, 0) << banned.err;
  EXPECT_TRUE(Contains(banned.out, "cn.shelfguard.sample.banned")) << banned.out;
  EXPECT_TRUE(Contains(banned.out, "blacklist:        since 2026-09-01 until 2027-03-01"))
      << banned.out;

  // Warnings name the rule a filing will trip.
  CliRun nomlps = Registry({"show", "cn.shelfguard.sample.nomlps", "--db", db_});
  ASSERT_EQ(nomlps.exit_code, 0);
  EXPECT_TRUE(Contains(nomlps.out, "warning:          mlps.filing_number: missing "
                                   "(FILING-MLPS-MISSING)"))
      << nomlps.out;

  // Not found: exit 1 and a message naming the id and the database.
  CliRun none = Registry({"show", "cn.shelfguard.sample.nope", "--db", db_});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.out, "");
  EXPECT_TRUE(Contains(none.err, "no filing for 'cn.shelfguard.sample.nope' in " + db_))
      << none.err;

  // A missing database is an error (2), not "not found".
  CliRun nodb = Registry({"show", "cn.shelfguard.sample.full", "--db",
                          (dir_ / "absent.db").string()});
  EXPECT_EQ(nodb.exit_code, 2);
  EXPECT_TRUE(Contains(nodb.err, "registry not found")) << nodb.err;
}

TEST_F(RegistryCliTest, ShowFormatJson) {
  ASSERT_EQ(Registry({"import", SampleJson(), "--db", db_}).exit_code, 0);
  CliRun r = Registry({"show", "cn.shelfguard.sample.banned", "--db", db_, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["query"], "cn.shelfguard.sample.banned");
  EXPECT_EQ(j["registry_version"].get<std::string>().rfind("sha256:", 0), 0u);
  ASSERT_EQ(j["matches"].size(), 1u);
  const json& m = j["matches"][0];
  EXPECT_EQ(m["filing"]["filing_number"], "教APP备5100106号");
  EXPECT_EQ(m["filing"]["provider"]["credit_code"], "91510107MA6CQG006T");
  EXPECT_EQ(m["filing"]["android_packages"], json::array({"cn.shelfguard.sample.banned"}));
  EXPECT_EQ(m["blacklist"]["since"], "2026-09-01");
  EXPECT_EQ(m["blacklist"]["until"], "2027-03-01");
  EXPECT_TRUE(m["warnings"].is_array());
  EXPECT_TRUE(j["blacklist"].is_null());

  // A HarmonyOS bundle name and a mini-program appid find their filing too
  // (issue 17), and the import kept both lists.
  for (const char* id : {"cn.shelfguard.sample.fullhm", "wx5f3c1a2b4d6e8f90"}) {
    CliRun by_id = Registry({"show", id, "--db", db_, "--format", "json"});
    ASSERT_EQ(by_id.exit_code, 0) << id << by_id.err;
    json k = json::parse(by_id.out, nullptr, false);
    ASSERT_EQ(k["matches"].size(), 1u) << by_id.out;
    EXPECT_EQ(k["matches"][0]["filing"]["filing_number"], "教APP备1100101号");
    EXPECT_EQ(k["matches"][0]["filing"]["harmony_bundle_names"],
              json::array({"cn.shelfguard.sample.fullhm"}));
    EXPECT_EQ(k["matches"][0]["filing"]["mini_program_appids"], json::array({"wx5f3c1a2b4d6e8f90"}));
  }

  // Not found: exit 1, an empty match list.
  CliRun none = Registry({"show", "cn.nothing.here", "--db", db_, "--format", "json"});
  EXPECT_EQ(none.exit_code, 1);
  json n = json::parse(none.out, nullptr, false);
  ASSERT_FALSE(n.is_discarded()) << none.out;
  EXPECT_TRUE(n["matches"].empty());

  CliRun bad = Registry({"show", "x", "--db", db_, "--format", "xml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(Contains(bad.err, "--format: must be text or json")) << bad.err;
}

TEST_F(RegistryCliTest, CsvSampleImportsTheSameFilings) {
  std::string csv_db = (dir_ / "csv.db").string();
  CliRun a = Registry({"import", SampleJson(), "--db", db_});
  CliRun b = Registry({"import", SampleCsv(), "--db", csv_db});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_TRUE(Contains(b.out, "imported 9 filings and 2 blacklist entries")) << b.out;
  for (const char* id : {"cn.shelfguard.sample.full", "cn.shelfguard.sample.licensed",
                         "教APP备4400108号", "91330106MA2BQG004M"}) {
    CliRun ja = Registry({"show", id, "--db", db_, "--format", "json"});
    CliRun jb = Registry({"show", id, "--db", csv_db, "--format", "json"});
    ASSERT_EQ(ja.exit_code, 0) << id;
    ASSERT_EQ(jb.exit_code, 0) << id;
    json x = json::parse(ja.out, nullptr, false), y = json::parse(jb.out, nullptr, false);
    ASSERT_EQ(x["matches"].size(), 1u) << id;
    EXPECT_EQ(x["matches"], y["matches"]) << id;
    EXPECT_NE(x["registry_version"], y["registry_version"]);  // different bytes
  }
  // --db may name an export directly.
  CliRun direct = Registry({"show", "cn.shelfguard.sample.subject", "--db", SampleCsv()});
  EXPECT_EQ(direct.exit_code, 0) << direct.err;
  EXPECT_TRUE(Contains(direct.out, "教APP备3300104号")) << direct.out;
}

TEST_F(RegistryCliTest, ValidateSamplesAreClean) {
  for (const std::string& path : {SampleJson(), SampleCsv()}) {
    CliRun r = Registry({"validate", path});
    EXPECT_EQ(r.exit_code, 0) << path << ": " << r.out << r.err;
    EXPECT_EQ(r.out, path + ": 9 valid filings, 2 valid blacklist entries, 0 bad records\n");
  }
}

TEST_F(RegistryCliTest, BadJsonRecordsNameLineAndFieldAndTheRestLoads) {
  std::string bad = Write("bad.json", BadExport());
  CliRun v = Registry({"validate", bad});
  EXPECT_EQ(v.exit_code, 1) << v.err;
  const std::vector<std::string> expected = {
      bad + ":4: filing_number: six-digit legacy form",
      bad + ":5: provider.credit_code: check character is X, expected D",
      bad + ":6: icp_number: ICP filing needs 8 or 10 digits, found 7",
      bad + ":7: app_name: missing",
      bad + ":7: provider.name: missing",
      bad + ":7: provider.credit_code: missing",
  };
  for (const std::string& e : expected) EXPECT_TRUE(Contains(v.out, e)) << e << "\n" << v.out;
  EXPECT_FALSE(Contains(v.out, bad + ":3:")) << v.out;  // the good record
  EXPECT_TRUE(Contains(v.out, bad + ": 1 valid filings, 0 valid blacklist entries, 4 bad records"))
      << v.out;

  // import loads the good record, lists the same problems on stderr, exit 1.
  CliRun imp = Registry({"import", bad, "--db", db_});
  EXPECT_EQ(imp.exit_code, 1);
  for (const std::string& e : expected) EXPECT_TRUE(Contains(imp.err, e)) << e << "\n" << imp.err;
  EXPECT_TRUE(Contains(imp.err, "4 bad record(s) rejected")) << imp.err;
  EXPECT_TRUE(Contains(imp.out, "imported 1 filings and 0 blacklist entries")) << imp.out;

  // The good record is served, by its iOS bundle id too; bad ones are not.
  CliRun ios = Registry({"show", "cn.cli.good.ios", "--db", db_});
  EXPECT_EQ(ios.exit_code, 0) << ios.err;
  EXPECT_TRUE(Contains(ios.out, "filing_number:    教APP备1100001号")) << ios.out;
  EXPECT_TRUE(Contains(ios.out, "ios_bundle_ids:   cn.cli.good.ios")) << ios.out;
  for (const char* id : {"cn.cli.sixdigit", "cn.cli.badcheck", "cn.cli.badicp", "cn.cli.missing",
                         "教APP备1100003号"}) {
    EXPECT_EQ(Registry({"show", id, "--db", db_}).exit_code, 1) << id;
  }
}

TEST_F(RegistryCliTest, DuplicatesAndBadCsvRows) {
  std::string dup = Write(
      "dup.json", "{\"format\": \"shelfguard-registry/1\", \"filings\": [\n" +
                      FilingLine("教APP备1100001号", "cn.cli.one") + ",\n" +
                      FilingLine("教APP备1100002号", "cn.cli.one") + ",\n" +
                      FilingLine("教APP备1100001号", "cn.cli.two") + "]}\n");
  CliRun d = Registry({"validate", dup});
  EXPECT_EQ(d.exit_code, 1);
  EXPECT_TRUE(Contains(d.out, dup + ":3: android_packages[0]: cn.cli.one is already filed by "
                                    "教APP备1100001号 (line 2)"))
      << d.out;
  EXPECT_TRUE(Contains(d.out, dup + ":4: filing_number: 教APP备1100001号 duplicates the record "
                                    "at line 2"))
      << d.out;

  std::string csv = Write(
      "bad.csv",
      "filing_number,app_name,provider_name,provider_credit_code,android_packages,icp_number\n"
      "教APP备1100001号,好,公司,91110108MA01QG001D,cn.csv.good,京ICP备12345678号-1\n"
      "教APP备1100002号,坏,公司,91110108MA01QG001X,cn.csv.badcheck,\n"
      "教APP备1100003号,坏,公司,91110108MA01QG001D,cn.csv.badicp,京ICP备123号\n");
  CliRun c = Registry({"validate", csv});
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_TRUE(Contains(c.out, csv + ":3: provider_credit_code: check character is X")) << c.out;
  EXPECT_TRUE(Contains(c.out, csv + ":4: icp_number: ICP filing needs 8 or 10 digits")) << c.out;
  EXPECT_TRUE(Contains(c.out, "1 valid filings, 0 valid blacklist entries, 2 bad records")) << c.out;
}

TEST_F(RegistryCliTest, UnreadableExportsAreRefusedAndTheDatabaseIsKept) {
  ASSERT_EQ(Registry({"import", SampleJson(), "--db", db_}).exit_code, 0);
  std::string broken = Write("broken.json",
                             "{\"format\": \"shelfguard-registry/1\",\n \"filings\": [\n" +
                                 FilingLine("教APP备1100001号", "cn.cli.partial") + ",\n  {\"x\": ]}");
  std::string wrong = Write("wrong.json", "{\"format\": \"other/2\", \"filings\": []}");
  for (const std::string& path : {broken, wrong}) {
    CliRun v = Registry({"validate", path});
    EXPECT_EQ(v.exit_code, 2) << path;
    CliRun imp = Registry({"import", path, "--db", db_});
    EXPECT_EQ(imp.exit_code, 2) << path;
    EXPECT_TRUE(Contains(imp.err, "shelfguard registry import: ")) << imp.err;
  }
  EXPECT_TRUE(Contains(Registry({"validate", broken}).err, "not valid JSON at line 4"));
  EXPECT_TRUE(Contains(Registry({"validate", wrong}).err,
                       "\"format\" must be \"shelfguard-registry/1\""));
  // The records read before the syntax error were not swapped in: the old
  // database still serves and has no trace of them.
  EXPECT_EQ(Registry({"show", "cn.shelfguard.sample.full", "--db", db_}).exit_code, 0);
  EXPECT_EQ(Registry({"show", "cn.cli.partial", "--db", db_}).exit_code, 1);
  CliRun missing = Registry({"import", (dir_ / "nope.json").string(), "--db", db_});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(Contains(missing.err, "cannot open")) << missing.err;
  // Usage errors.
  EXPECT_EQ(Registry({"show"}).exit_code, 2);
  EXPECT_EQ(Registry({"import", SampleJson(), "--bogus"}).exit_code, 2);
}

// Issue 12 item 2: one wrong check character in a minified export. validate
// names the record by index and identity; scan says so on stderr and reports
// FILING-RECORD-REJECTED instead of FILING-UNFILED; --registry-strict refuses.
TEST_F(RegistryCliTest, RejectedRecordIsNamedAndNeverMakesTheAppUnfiled) {
  std::ifstream in(SampleJson(), std::ios::binary);
  json j = json::parse(std::string((std::istreambuf_iterator<char>(in)), {}));
  j["filings"][1]["provider"]["credit_code"] = "91310115MA1HQG002J";
  std::string bad = Write("bad.json", j.dump());
  CliRun v = Registry({"validate", bad});
  EXPECT_EQ(v.exit_code, 1) << v.out << v.err;
  EXPECT_TRUE(Contains(v.out, "rejected " + bad + ": filings[1] (line 1) 教APP备3100102号 "
                              "android cn.shelfguard.sample.revoked"))
      << v.out;

  std::string apk = SourceDir() + "/samples/packages/revoked.apk";
  auto scan = [&](const std::string& extra) {
    return testing::RunCommand("timeout 60 " + Quote(BinaryDir() + "/shelfguard") +
                               " scan --format json --quiet --fail-on never --registry " + Quote(bad) + extra +
                               " " + Quote(apk));
  };
  CliRun r = scan("");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, "1 record rejected")) << r.err;
  EXPECT_TRUE(Contains(r.err, "filings[1]")) << r.err;
  EXPECT_FALSE(Contains(r.out, "\"FILING-UNFILED\"")) << r.out;
  EXPECT_TRUE(Contains(r.out, "\"rule_id\":\"FILING-RECORD-REJECTED\"")) << r.out;
  CliRun strict = scan(" --registry-strict");
  EXPECT_EQ(strict.exit_code, 2) << strict.err;
  EXPECT_TRUE(Contains(strict.err, "filings[1]")) << strict.err;
}

}  // namespace
}  // namespace shelfguard
