// End-to-end tests of `shelfguard scan`: the built binary is run as a user
// would, on APKs built by tests/fixtures/mkapk.py and on broken inputs.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <set>
#include <string>
#include <vector>

#include "shelfguard/about.h"
#include "support/corpus.h"
#include "support/fixtures.h"
#include "support/json_lines.h"
#include "support/package_writers.h"
#include "support/zip_entries.h"

namespace shelfguard {
namespace {

using nlohmann::json;
using testing::BinaryDir;
using testing::BuildApk;

using CliRun = testing::CommandRun;

std::string Slurp(const std::string& path) { return testing::ReadFileBytes(path); }
std::string Quote(const std::string& s) { return testing::ShellQuote(s); }

// Runs the shelfguard binary with `args`, stdout and stderr captured.
CliRun Shelfguard(const std::vector<std::string>& args) {
  std::string cmd = "timeout 120 " + Quote(BinaryDir() + "/shelfguard");
  for (const auto& a : args) cmd += " " + Quote(a);
  return testing::RunCommand(cmd);
}

std::vector<json> JsonLines(const std::string& out) { return testing::ParseJsonLines(out); }

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

  // The one report of `scan --format json --fail-on never APK`, which must
  // exit 0; null (after a test failure) when it did not.
  static json ScanOneReport(const std::string& apk) {
    CliRun r = Shelfguard({"scan", "--format", "json", "--fail-on", "never", apk});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto lines = JsonLines(r.out);
    EXPECT_EQ(lines.size(), 1u) << r.out << r.err;
    return r.exit_code == 0 && lines.size() == 1 ? lines[0] : json();
  }
};

TEST_F(CliTest, HelpExitsZero) {
  CliRun r = Shelfguard({"scan", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Usage: shelfguard scan"), std::string::npos) << r.out;
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
  const json j = ScanOneReport(apk);
  ASSERT_FALSE(j.is_null());
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
  // The fixture is debuggable, allows cleartext traffic and exports a
  // receiver, so the security rules always report on it: the thresholds are
  // exercised on both sides of its verdict, never skipped.
  std::string apk = EduApk();
  ASSERT_FALSE(apk.empty());
  const json report = ScanOneReport(apk);
  ASSERT_FALSE(report.is_null());
  std::set<std::string> rules;
  for (const auto& f : report["findings"]) rules.insert(f.value("rule_id", ""));
  EXPECT_TRUE(rules.count("SEC-DEBUGGABLE")) << report.dump();
  EXPECT_TRUE(rules.count("SEC-EXPORTED")) << report.dump();
  // The verdict is the worst finding's severity; --fail-on S exits 1 exactly
  // when the verdict is S or worse.
  const std::vector<std::string> order = {"info", "review", "violation", "block"};
  std::string verdict = report.value("verdict", "");
  auto worst = std::find(order.begin(), order.end(), verdict);
  ASSERT_NE(worst, order.end()) << "verdict " << verdict;
  ASSERT_NE(worst + 1, order.end()) << "a block verdict leaves no threshold above it to test";
  for (auto t = order.begin(); t != order.end(); ++t) {
    CliRun r = Shelfguard({"scan", "--format", "json", "--fail-on", *t, apk});
    EXPECT_EQ(r.exit_code, t <= worst ? 1 : 0) << "--fail-on " << *t << " with verdict " << verdict;
  }
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

// Runs `command` (a shell command line) with a pseudo-terminal as its
// stdout and stderr (util-linux `script`); returns what the terminal showed.
std::string OnTerminal(const std::string& command) {
  std::string log = BinaryDir() + "/cli_test_tty." + std::to_string(getpid()) + ".log";
  std::string cmd = "timeout 120 script -qefc " + Quote(command) + " /dev/null >" + Quote(log) +
                    " 2>&1 </dev/null";
  int st = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(st)) << command;
  std::string out = Slurp(log);
  std::filesystem::remove(log);
  return out;
}

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// One grammar: --opt=value, the aliases, --help and --version everywhere.
TEST_F(CliTest, OneGrammarForEveryCommand) {
  const std::vector<std::vector<std::string>> commands = {
      {},
      {"scan"},
      {"signatures"},
      {"signatures", "list"},
      {"signatures", "check"},
      {"registry"},
      {"registry", "import"},
      {"registry", "sync"},
      {"registry", "show"},
      {"registry", "validate"},
      {"submit"},
      {"consume"},
      {"status"},
      {"ping"},
      {"reload"},
      {"version"},
  };
  for (const auto& c : commands) {
    std::string path = "shelfguard";
    for (const auto& w : c) path += " " + w;
    std::vector<std::string> help = c, version = c;
    help.push_back("--help");
    version.push_back("--version");
    CliRun h = Shelfguard(help);
    EXPECT_EQ(h.exit_code, 0) << path << ": " << h.err;
    EXPECT_NE(h.out.find("Usage: " + path), std::string::npos) << path << ":\n" << h.out;
    EXPECT_TRUE(h.err.empty()) << path << ": " << h.err;
    CliRun v = Shelfguard(version);
    EXPECT_EQ(v.exit_code, 0) << path;
    EXPECT_EQ(v.out, std::string("shelfguard ") + SHELFGUARD_VERSION + "\ndocumentation: " +
                         kDocumentationUri + "\n")
        << path;
  }
  CliRun scan_help = Shelfguard({"scan", "--help"});
  for (const char* o : {"--today", "--format", "--json", "--output", "--out", "--signatures",
                        "--quiet", "--limit", "deadline_ms"}) {
    EXPECT_NE(scan_help.out.find(o), std::string::npos) << o << " missing from scan --help";
  }
  EXPECT_NE(Shelfguard({"signatures", "list", "--help"}).out.find("--dir"), std::string::npos);
  for (const char* c : {"submit", "status", "consume", "ping"}) {
    EXPECT_NE(Shelfguard({c, "--help"}).out.find("--config"), std::string::npos) << c;
  }

  // --opt=value and the aliases give the same bytes as the canonical form.
  std::string apk = EduApk();
  ASSERT_FALSE(apk.empty());
  CliRun canonical = Shelfguard({"scan", "--format", "json", "--fail-on", "never", "--quiet", apk});
  ASSERT_EQ(canonical.exit_code, 0) << canonical.err;
  for (const auto& alt : std::vector<std::vector<std::string>>{
           {"scan", "--format=json", "--fail-on=never", "--quiet", apk},
           {"scan", "--json", "--fail-on", "never", "-q", apk},
           {"scan", apk, "--json", "--fail-on=never", "--quiet"}}) {
    CliRun r = Shelfguard(alt);
    EXPECT_EQ(r.exit_code, 0) << alt[1] << r.err;
    auto a = JsonLines(r.out), b = JsonLines(canonical.out);
    ASSERT_EQ(a.size(), 1u) << r.out;
    ASSERT_EQ(b.size(), 1u);
    // scanned_at (if present) differs between runs; the rest must not.
    a[0].erase("scanned_at");
    b[0].erase("scanned_at");
    EXPECT_EQ(a[0], b[0]) << alt[1];
  }
  std::string dir = BinaryDir() + "/cli_test_alias." + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  int n = 0;
  for (const char* opt : {"--output=", "--out=", "-o"}) {
    std::string out = dir + "/r" + std::to_string(++n) + ".jsonl";
    std::vector<std::string> args = {"scan", "--json", "--fail-on", "never", "--quiet"};
    if (std::string(opt) == "-o") {
      args.insert(args.end(), {"-o", out});
    } else {
      args.push_back(opt + out);
    }
    args.push_back(apk);
    CliRun r = Shelfguard(args);
    EXPECT_EQ(r.exit_code, 0) << opt << r.err;
    EXPECT_TRUE(r.out.empty()) << opt;
    EXPECT_EQ(JsonLines(Slurp(out)).size(), 1u) << opt;
  }
  std::filesystem::remove_all(dir);
  // signatures: --signatures and its alias --dir name the same database.
  std::string sigs = std::string(SHELFGUARD_SOURCE_DIR) + "/signatures";
  CliRun by_dir = Shelfguard({"signatures", "list", "--json", "--dir", sigs});
  CliRun by_sig = Shelfguard({"signatures", "list", "--format=json", "--signatures=" + sigs});
  EXPECT_EQ(by_dir.exit_code, by_sig.exit_code);
  EXPECT_EQ(by_dir.out, by_sig.out);
}

// Issue 12 (6): a directory with no package is a failure, not a pass.
TEST_F(CliTest, DirectoryWithoutPackagesExitsTwo) {
  std::string dir = BinaryDir() + "/cli_test_empty." + std::to_string(getpid());
  std::filesystem::create_directories(dir + "/sub");
  std::ofstream(dir + "/sub/readme.txt") << "not a package\n";
  CliRun r = Shelfguard({"scan", dir});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(dir + ": no package found"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  // With a package elsewhere on the line the empty directory still fails the run.
  CliRun mixed = Shelfguard({"scan", "--fail-on", "never", EduApk(), dir});
  EXPECT_EQ(mixed.exit_code, 2) << mixed.err;
  EXPECT_NE(mixed.out.find("com.example.clitest"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// Issue 17: a directory search picks up HarmonyOS and mini-program packages
// (the engine tells them apart by content), and --wx-appid decrypts an
// encrypted PC-WeChat package whose name carries no appid.
TEST_F(CliTest, DirectoryScanFindsHarmonyAndMiniProgramPackages) {
  std::string dir = BinaryDir() + "/cli_test_formats." + std::to_string(getpid());
  std::filesystem::create_directories(dir + "/mp");
  std::string module = R"({"app":{"bundleName":"com.example.clihap","versionCode":3,
    "versionName":"1.0.3","bundleType":"app"},
    "module":{"name":"entry","type":"entry","abilities":[{"name":"EntryAbility"}]}})";
  std::ofstream(dir + "/lesson.hap", std::ios::binary)
      << testing::ZipBytes({{"module.json", module},
                            {"ets/modules.abc", testing::BuildAbc({testing::AbcString("@ohos:router")})}});
  std::string config = R"({"pages":["pages/index/index"]})" + std::string(2000, ' ');
  std::string plain = testing::BuildWxapkg(
      {{"/app-config.json", config}, {"/pages/index/index.wxml", "<view>首页</view>"}});
  std::ofstream(dir + "/mp/main.wxapkg", std::ios::binary) << plain;
  const std::string appid = "wx0123456789abcdef";
  std::ofstream(dir + "/mp/locked.wxapkg", std::ios::binary) << testing::EncryptWxapkg(plain, appid);
  std::ofstream(dir + "/notes.txt") << "not a package\n";

  auto platforms = [](const std::vector<json>& reports) {
    std::map<std::string, std::string> m;  // file name -> platform
    for (const auto& r : reports) {
      m[std::filesystem::path(r["file"].get<std::string>()).filename().string()] =
          r["package"]["platform"].get<std::string>();
    }
    return m;
  };
  CliRun r = Shelfguard({"scan", "--json", "--fail-on", "never", dir});
  std::vector<json> reports = JsonLines(r.out);
  ASSERT_EQ(reports.size(), 3u) << r.out << r.err;
  auto m = platforms(reports);
  EXPECT_EQ(m["lesson.hap"], "harmony");
  EXPECT_EQ(m["main.wxapkg"], "mini-program");
  EXPECT_EQ(m["locked.wxapkg"], "mini-program");
  EXPECT_EQ(r.exit_code, 2) << "the encrypted package without an appid is not analysed";
  EXPECT_NE(r.err.find("--wx-appid"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("com.example.clihap"), std::string::npos);

  CliRun keyed = Shelfguard({"scan", "--json", "--fail-on", "never", "--wx-appid", appid, dir});
  EXPECT_EQ(keyed.exit_code, 0) << keyed.err;
  std::vector<json> decrypted = JsonLines(keyed.out);
  ASSERT_EQ(decrypted.size(), 3u) << keyed.out;
  bool found = false;
  for (const auto& d : decrypted) {
    if (d["file"].get<std::string>().find("locked.wxapkg") == std::string::npos) continue;
    found = true;
    EXPECT_TRUE(d["errors"].empty()) << d.dump();
    EXPECT_EQ(d["mini_program"]["decrypted"], true) << d.dump();
    EXPECT_EQ(d["mini_program"]["appid"], appid);
    EXPECT_EQ(d["mini_program"]["appid_source"], "option");
  }
  EXPECT_TRUE(found);

  for (const std::string bad : {"wx0123", "wx0123456789abcdeg", "ab0123456789abcdef"}) {
    CliRun b = Shelfguard({"scan", "--wx-appid", bad, dir});
    EXPECT_EQ(b.exit_code, 2) << bad;
    EXPECT_NE(b.err.find("16 hex"), std::string::npos) << b.err;
    EXPECT_TRUE(b.out.empty());
  }
  std::filesystem::remove_all(dir);
}

// Issue 12 (7): a file that cannot be opened is an error with a code, not a
// SEC-MALFORMED finding.
TEST_F(CliTest, MissingFileIsAnErrorNotAFinding) {
  std::string dir = BinaryDir() + "/cli_test_missing." + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::string missing = dir + "/nonexistent.apk", dangling = dir + "/dangling.apk";
  std::filesystem::create_symlink(dir + "/no-such-target.apk", dangling);
  for (const std::string& path : {missing, dangling}) {
    CliRun r = Shelfguard({"scan", "--json", path});
    EXPECT_EQ(r.exit_code, 2) << path;
    auto lines = JsonLines(r.out);
    ASSERT_EQ(lines.size(), 1u) << r.out;
    ASSERT_EQ(lines[0]["errors"].size(), 1u) << lines[0].dump();
    EXPECT_EQ(lines[0]["errors"][0]["code"], "not-found") << lines[0].dump();
    EXPECT_TRUE(lines[0]["findings"].empty()) << lines[0]["findings"].dump();
    EXPECT_EQ(lines[0]["verdict"], "error");
    EXPECT_EQ(Count(r.err, path), 1u) << r.err;
  }
  if (geteuid() != 0) {  // root reads a mode-000 file
    std::string locked = dir + "/locked.apk";
    std::filesystem::copy_file(EduApk(), locked);
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    CliRun r = Shelfguard({"scan", "--json", locked});
    EXPECT_EQ(r.exit_code, 2);
    auto lines = JsonLines(r.out);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0]["errors"][0]["code"], "permission-denied") << lines[0].dump();
    EXPECT_TRUE(lines[0]["findings"].empty());
  }
  std::filesystem::remove_all(dir);
}

// Issue 12 (14): --limit is checked against the same table and ranges as the
// daemon's [limits] section.
TEST_F(CliTest, LimitsAreCheckedAgainstTheSharedTable) {
  std::string apk = EduApk();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"deadline_ms=0", "deadline_ms must be from 1"},
      {"max_depth=4294967296", "max_depth must be from 0 to 16"},
      {"max_depth=17", "max_depth must be from 0 to 16"},
      {"max_entries=99999999999999999999999", "is not a number"},
      {"max_entries=-1", "is not a number"},
      {"max_entries=", "is not a number"},
      {"max_ratio=1e3", "is not a number"},
      {"max_widgets=5", "unknown limit 'max_widgets'"},
      {"deadline_ms", "is not NAME=VALUE"},
  };
  for (const auto& [arg, message] : bad) {
    CliRun r = Shelfguard({"scan", "--limit", arg, apk});
    EXPECT_EQ(r.exit_code, 2) << arg;
    EXPECT_NE(r.err.find(message), std::string::npos) << arg << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << arg;
  }
  CliRun ok = Shelfguard({"scan", "--quiet", "--fail-on=never", "--limit", "max_depth=0",
                          "--limit=deadline_ms=60000", apk});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST_F(CliTest, SummaryOnStderrUnlessQuiet) {
  std::string apk = EduApk(), bad = NotAZip();
  CliRun r = Shelfguard({"scan", "--json", "--fail-on", "never", apk, apk, bad});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("shelfguard scan: 3 files in "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 not analysed"), std::string::npos) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  std::string verdict = lines[0]["verdict"];
  EXPECT_NE(r.err.find("2 " + verdict), std::string::npos) << r.err;
  CliRun quiet = Shelfguard({"scan", "--json", "--fail-on", "never", "--quiet", apk});
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_TRUE(quiet.err.empty()) << quiet.err;
}

// Issue 12 (10) and NO_COLOR: on a terminal the progress line is cleared
// before an error, the error is printed when the file fails (before the
// later files' progress), and it names the path once.
TEST_F(CliTest, TerminalErrorsClearTheProgressLineAndNameThePathOnce) {
  std::string apk = EduApk(), bad = NotAZip();
  std::string out = BinaryDir() + "/cli_test_tty_out." + std::to_string(getpid());
  std::string tty = OnTerminal(Quote(BinaryDir() + "/shelfguard") + " scan --jobs 1 --fail-on never " +
                               Quote(bad) + " " + Quote(apk) + " " + Quote(apk) + " >" + Quote(out));
  std::filesystem::remove(out);
  size_t err = tty.find("shelfguard: " + bad + ": not analysed: ");
  ASSERT_NE(err, std::string::npos) << tty;
  EXPECT_GE(err, 4u);
  // What precedes the error on the terminal is an erase-line, not progress text.
  EXPECT_EQ(tty.substr(err - 4, 4), "\r\033[K") << tty;
  std::string line = tty.substr(err, tty.find('\n', err) - err);
  EXPECT_EQ(Count(line, bad), 1u) << line;
  // Printed as it happened: before the progress of the files after it.
  size_t later = tty.find("[3/3]");
  ASSERT_NE(later, std::string::npos) << tty;
  EXPECT_LT(err, later);

  std::string colored = OnTerminal(Quote(BinaryDir() + "/shelfguard") + " scan --quiet --fail-on never " +
                                   Quote(apk));
  std::string plain = OnTerminal("NO_COLOR=1 " + Quote(BinaryDir() + "/shelfguard") +
                                 " scan --quiet --fail-on never " + Quote(apk));
  EXPECT_NE(colored.find("\033["), std::string::npos) << "no colour on a terminal";
  EXPECT_EQ(plain.find("\033["), std::string::npos) << plain;
  EXPECT_NE(plain.find("com.example.clitest"), std::string::npos) << plain;
}

}  // namespace
}  // namespace shelfguard
