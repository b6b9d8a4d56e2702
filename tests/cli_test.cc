// End-to-end tests of `shelfguard scan`: the built binary is run as a user
// would, on APKs built by tests/fixtures/mkapk.py and on broken inputs.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/corpus.h"
#include "support/fixtures.h"

namespace shelfguard {
namespace {

using nlohmann::json;
using testing::BinaryDir;
using testing::BuildApk;

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) { return testing::ReadFileBytes(path); }
std::string Quote(const std::string& s) { return testing::ShellQuote(s); }

// Runs the shelfguard binary with `args`, stdout and stderr captured.
CliRun Shelfguard(const std::vector<std::string>& args) {
  static int counter = 0;
  std::string base = BinaryDir() + "/cli_test." + std::to_string(getpid()) + "." +
                     std::to_string(counter++);
  std::string cmd = "timeout 120 " + Quote(BinaryDir() + "/shelfguard");
  for (const auto& a : args) cmd += " " + Quote(a);
  cmd += " >" + Quote(base + ".out") + " 2>" + Quote(base + ".err") + " </dev/null";
  int st = std::system(cmd.c_str());
  CliRun r;
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = Slurp(base + ".out");
  r.err = Slurp(base + ".err");
  std::filesystem::remove(base + ".out");
  std::filesystem::remove(base + ".err");
  return r;
}

std::vector<json> JsonLines(const std::string& out) {
  std::vector<json> v;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    json j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    if (!j.is_discarded()) v.push_back(std::move(j));
  }
  return v;
}

const char kEduSpec[] = R"({
  "package": "com.example.clitest", "version_code": 4012, "version_name": "4.0.12",
  "min_sdk": 21, "target_sdk": 30,
  "label": {"default": "CLI Test", "zh-rCN": "命令行测试"},
  "permissions": ["android.permission.INTERNET",
                  {"name": "android.permission.CAMERA"},
                  {"name": "android.permission.WRITE_EXTERNAL_STORAGE", "max_sdk": 28},
                  {"name": "android.permission.ACCESS_FINE_LOCATION", "sdk23": true}],
  "application": {"debuggable": true, "allow_backup": false, "uses_cleartext_traffic": true},
  "components": [
    {"kind": "activity", "name": ".MainActivity",
     "intent_filter": {"actions": ["android.intent.action.MAIN"],
                       "categories": ["android.intent.category.LAUNCHER"]}},
    {"kind": "service", "name": ".Hidden", "exported": false},
    {"kind": "receiver", "name": "com.example.clitest.Open", "exported": true}],
  "classes": [{"name": "com.example.clitest.MainActivity", "super": "android.app.Activity"}]
})";

std::string EduApk() {
  static std::string path = BuildApk(kEduSpec);
  return path;
}

std::string NotAZip() {
  std::string p = BinaryDir() + "/cli_test_not_a_zip." + std::to_string(getpid()) + ".apk";
  std::ofstream(p) << "this is not a zip archive\n";
  return p;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(BinaryDir() + "/shelfguard")) {
      GTEST_SKIP() << "shelfguard binary not built in " << BinaryDir();
    }
  }
};

TEST_F(CliTest, HelpExitsZero) {
  CliRun r = Shelfguard({"scan", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("usage: shelfguard scan"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("max_entry_bytes"), std::string::npos) << "limits table missing";
  CliRun top = Shelfguard({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("scan"), std::string::npos);
}

TEST_F(CliTest, BadOptionsExitTwoWithMessage) {
  const std::vector<std::vector<std::string>> cases = {
      {"scan", "--bogus", "x.apk"},
      {"scan", "--format", "xml", "x.apk"},
      {"scan", "--limit", "no_such_limit=1", "x.apk"},
      {"scan", "--limit", "max_entries=abc", "x.apk"},
      {"scan", "--fail-on", "sometimes", "x.apk"},
      {"scan", "--jobs", "zero", "x.apk"},
      {"scan", "--jobs", "0", "x.apk"},
      {"scan", "--format"},
      {"scan"},
      {"no-such-command"},
  };
  for (const auto& c : cases) {
    CliRun r = Shelfguard(c);
    EXPECT_EQ(r.exit_code, 2) << c[1];
    EXPECT_FALSE(r.err.empty()) << "no message for " << c.back();
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST_F(CliTest, JsonReportHasTheDocumentedFields) {
  std::string apk = EduApk();
  ASSERT_FALSE(apk.empty());
  CliRun r = Shelfguard({"scan", "--format", "json", "--fail-on", "never", apk});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  const json& j = lines[0];
  for (const char* k : {"file", "sha256", "size", "package", "permissions", "app_flags",
                        "components", "findings", "verdict", "errors"}) {
    EXPECT_TRUE(j.contains(k)) << "missing " << k;
  }
  EXPECT_EQ(j["file"], apk);
  EXPECT_EQ(j["size"].get<uint64_t>(), std::filesystem::file_size(apk));
  EXPECT_EQ(j["sha256"].get<std::string>().size(), 64u);
  EXPECT_TRUE(j["errors"].empty()) << j["errors"].dump();
  EXPECT_TRUE(j["findings"].is_array());
  const json& p = j["package"];
  for (const char* k : {"platform", "id", "label", "version_code", "version_name", "min_sdk",
                        "target_sdk"}) {
    EXPECT_TRUE(p.contains(k)) << "missing package." << k;
  }
  EXPECT_EQ(p["platform"], "android");
  EXPECT_EQ(p["id"], "com.example.clitest");
  EXPECT_EQ(p["label"], "CLI Test");
  EXPECT_EQ(p["version_code"], "4012");
  EXPECT_EQ(p["version_name"], "4.0.12");
  EXPECT_EQ(p["min_sdk"], 21);
  EXPECT_EQ(p["target_sdk"], 30);

  std::map<std::string, json> perms;
  for (const auto& x : j["permissions"]) perms[x["name"]] = x;
  ASSERT_EQ(perms.size(), 4u) << j["permissions"].dump();
  EXPECT_EQ(perms["android.permission.CAMERA"]["dangerous"], true);
  EXPECT_EQ(perms["android.permission.INTERNET"]["dangerous"], false);
  EXPECT_EQ(perms["android.permission.WRITE_EXTERNAL_STORAGE"]["max_sdk"], 28);
  EXPECT_TRUE(perms["android.permission.INTERNET"]["max_sdk"].is_null());
  EXPECT_EQ(perms["android.permission.ACCESS_FINE_LOCATION"]["sdk23"], true);

  EXPECT_EQ(j["app_flags"]["debuggable"], true);
  EXPECT_EQ(j["app_flags"]["allow_backup"], false);
  EXPECT_EQ(j["app_flags"]["uses_cleartext_traffic"], true);

  std::map<std::string, json> comps;
  for (const auto& c : j["components"]) comps[c["name"]] = c;
  ASSERT_EQ(comps.size(), 3u) << j["components"].dump();
  // targetSdk 30 < 31: an intent filter implies exported.
  EXPECT_EQ(comps["com.example.clitest.MainActivity"]["exported"], true);
  EXPECT_EQ(comps["com.example.clitest.MainActivity"]["kind"], "activity");
  EXPECT_EQ(comps["com.example.clitest.Hidden"]["exported"], false);
  EXPECT_EQ(comps["com.example.clitest.Open"]["exported"], true);
  EXPECT_EQ(comps["com.example.clitest.Open"]["kind"], "receiver");
}

TEST_F(CliTest, ManifestOnlyReadsTheIdentityAndAssessesNoRule) {
  std::string apk = EduApk();
  ASSERT_FALSE(apk.empty());
  CliRun full = Shelfguard({"scan", "--format", "json", "--fail-on", "never", apk});
  CliRun quick = Shelfguard({"scan", "--format", "json", "--manifest-only", apk});
  // Debuggable: a full scan finds a violation, a manifest-only scan assesses
  // nothing, so the default --fail-on violation does not fire.
  EXPECT_EQ(quick.exit_code, 0) << quick.err;
  auto f = JsonLines(full.out), q = JsonLines(quick.out);
  ASSERT_EQ(f.size(), 1u);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(f[0]["scope"], "full");
  EXPECT_EQ(q[0]["scope"], "manifest");
  for (const char* k : {"package", "permissions", "app_flags", "components", "sha256", "size"}) {
    EXPECT_EQ(q[0][k], f[0][k]) << k;
  }
  EXPECT_FALSE(f[0]["code"].empty());
  EXPECT_TRUE(q[0]["code"].empty()) << q[0]["code"].dump();
  bool debuggable = false;
  for (const auto& x : f[0]["findings"]) debuggable |= x["rule"] == "SEC-DEBUGGABLE";
  EXPECT_TRUE(debuggable) << f[0]["findings"].dump();
  ASSERT_EQ(q[0]["findings"].size(), 1u) << q[0]["findings"].dump();
  EXPECT_EQ(q[0]["findings"][0]["rule"], "SCAN-MANIFEST-ONLY");
  EXPECT_EQ(q[0]["verdict"], "info");
  CliRun text = Shelfguard({"scan", "--manifest-only", apk});
  EXPECT_NE(text.out.find("manifest only"), std::string::npos) << text.out;
}

TEST_F(CliTest, UnanalysableFileExitsTwoAndNamesIt) {
  std::string bad = NotAZip();
  CliRun r = Shelfguard({"scan", "--format", "json", bad});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["verdict"], "error");
  ASSERT_FALSE(lines[0]["errors"].empty());
  EXPECT_FALSE(lines[0]["errors"][0]["code"].get<std::string>().empty());
  EXPECT_NE(lines[0]["errors"][0]["message"].get<std::string>().find(bad), std::string::npos);

  CliRun missing = Shelfguard({"scan", BinaryDir() + "/does-not-exist.apk"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("does-not-exist.apk"), std::string::npos) << missing.err;
}

TEST_F(CliTest, OverLimitExitsTwo) {
  std::string apk = EduApk();
  ASSERT_FALSE(apk.empty());
  CliRun r = Shelfguard({"scan", "--format", "json", "--limit", "max_package_bytes=100", apk});
  EXPECT_EQ(r.exit_code, 2);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  ASSERT_FALSE(lines[0]["errors"].empty());
  EXPECT_EQ(lines[0]["errors"][0]["code"], "over-limit");
}

TEST_F(CliTest, ExitCodeFollowsFailOn) {
  std::string apk = EduApk();
  ASSERT_FALSE(apk.empty());
  CliRun r = Shelfguard({"scan", "--format", "json", "--fail-on", "info", apk});
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  bool any = !lines[0]["findings"].empty();
  EXPECT_EQ(r.exit_code, any ? 1 : 0) << r.out;
  if (!any) GTEST_SKIP() << "no rule reports a finding for this package yet";
  CliRun never = Shelfguard({"scan", "--format", "json", "--fail-on", "never", apk});
  EXPECT_EQ(never.exit_code, 0);
}

TEST_F(CliTest, TextOutputIsReadable) {
  std::string apk = EduApk();
  ASSERT_FALSE(apk.empty());
  CliRun r = Shelfguard({"scan", "--fail-on", "never", apk});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(apk), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("com.example.clitest"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("android.permission.CAMERA"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('{'), std::string::npos) << "text output looks like JSON";
}

TEST_F(CliTest, SeveralFilesInParallelReportInInputOrder) {
  std::string apk = EduApk();
  ASSERT_FALSE(apk.empty());
  std::string bad = NotAZip();
  std::vector<std::string> files = {apk, bad, apk, bad, apk, apk};
  std::vector<std::string> args = {"scan", "--format", "json", "--jobs", "2", "--fail-on",
                                   "never"};
  args.insert(args.end(), files.begin(), files.end());
  CliRun r = Shelfguard(args);
  EXPECT_EQ(r.exit_code, 2);  // a bad file outranks everything
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), files.size()) << r.out;
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(lines[i]["file"], files[i]) << "report " << i << " out of order";
    EXPECT_EQ(lines[i]["verdict"] == "error", files[i] == bad) << i;
  }
  // Each bad file gets one line on stderr that names it.
  size_t count = 0;
  std::istringstream err(r.err);
  for (std::string line; std::getline(err, line);) count += line.find(bad) != std::string::npos;
  EXPECT_EQ(count, 2u) << r.err;
}

TEST_F(CliTest, OutputFileOption) {
  std::string apk = EduApk();
  ASSERT_FALSE(apk.empty());
  std::string out = BinaryDir() + "/cli_test_output." + std::to_string(getpid()) + ".jsonl";
  std::filesystem::remove(out);
  CliRun r = Shelfguard({"scan", "--format", "json", "--fail-on", "never", "-o", out, apk});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  auto lines = JsonLines(Slurp(out));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["file"], apk);
}

}  // namespace
}  // namespace shelfguard
