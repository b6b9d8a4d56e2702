// The daemon's reload-driven features against the real shelfguardd with
// process isolation (the scan services):
//  - signed signature updates in the background (issue 14): a bundle signed
//    with a key made here by Debian's minisign, served on 127.0.0.1, is
//    installed and taken without a restart; tampered, wrongly signed,
//    unsigned, truncated and rolled-back bundles are refused, logged and
//    shown in status, and the installed set keeps serving;
//  - scan.suppressions (issue 15): applied to daemon scans, reloaded with
//    SIGHUP, a bad file kept out at reload and refused at start, an expired
//    entry no longer applies;
//  - a refused reload never reaches a scan service (issue 12): a service
//    restarted after it still serves the registry the daemon serves.
#include <filesystem>
#include <fstream>

#include "daemon_harness.h"
#include "support/fixtures.h"
#include "support/http_server.h"
#include "support/zip_entries.h"

namespace shelfguard::testing {
namespace {

namespace fs = std::filesystem;

int Shell(const std::string& cmd) {
  int st = std::system(("timeout 60 sh -c " + ShellQuote(cmd) + " >/dev/null 2>&1 </dev/null").c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

// `shelfguard submit --json` of `apk`; the reply, or null.
Json Submit(DaemonFixture& f, const std::string& apk) {
  std::string out;
  int rc = RunCommand({f.Cli(), "submit", "--config", f.dir + "/shelfguard.toml", "--json", "--fail-on", "never", apk},
                      &out, 60000, f.dir);
  if (rc != 0) {
    ADD_FAILURE() << "submit exit " << rc << ": " << out;
    return Json();
  }
  Json j = Json::parse(out, nullptr, false);
  return j.is_discarded() ? Json() : j;
}

std::set<std::string> RuleIds(const Json& reply) {
  std::set<std::string> ids;
  if (!reply.is_object() || !reply.contains("report")) return ids;
  for (const auto& fd : reply["report"].value("findings", Json::array())) ids.insert(fd.value("rule", ""));
  return ids;
}

std::string UpdateField(DaemonFixture& f, const char* key) {
  Json st = f.Status();
  if (!st.is_object() || !st.contains("signatures")) return "";
  const Json& u = st["signatures"]["update"];
  return u.contains(key) ? (u[key].is_string() ? u[key].get<std::string>() : u[key].dump()) : "";
}

class DaemonSignatureUpdate : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Shell("minisign -v") != 0) GTEST_SKIP() << "minisign is not installed";
    for (const char* k : {"key", "other"}) {
      ASSERT_EQ(Shell("cd " + ShellQuote(f_.dir) + " && minisign -G -W -p " + k + ".pub -s " + k + ".key"), 0);
    }
    ASSERT_TRUE(server_.Start().ok());
  }
  void TearDown() override { server_.Stop(); }

  // The shipped signatures plus an ad SDK of its own for `version`.
  std::string MakeSet(int version) {
    fs::path dir = fs::path(f_.dir) / ("set" + std::to_string(version));
    if (fs::exists(dir)) return dir.string();
    fs::create_directories(dir);
    for (const auto& de : fs::directory_iterator(SourceDir() + "/signatures")) {
      if (de.path().extension() == ".json") fs::copy_file(de.path(), dir / de.path().filename());
    }
    std::ofstream(dir / "zz-probe.json")
        << R"({"format": "shelfguard-signatures/1", "version": "probe-)" << version
        << R"(", "sdks": [{"id": "sgprobe-ads-v)" << version
        << R"(", "name": "Probe Ads", "vendor": "Test", "category": "ads", "source": "daemon_reload_test",
              "patterns": {"classes": ["com.sgprobe.adnet)" << version << R"(."]}}]})";
    return dir.string();
  }
  std::string Pack(int version, const std::string& key = "key") {
    std::string out = f_.dir + "/v" + std::to_string(version) + "-" + key + ".zip";
    std::string log;
    int rc = RunCommand({f_.Cli(), "signatures", "pack", "--dir", MakeSet(version), "--version",
                         std::to_string(version), "--secret-key", f_.dir + "/" + key + ".key", "--out", out},
                        &log, 60000, f_.dir);
    EXPECT_EQ(rc, 0) << log;
    return ReadFileBytes(out);
  }
  void Serve(std::string body, const std::string& etag) {
    HttpRoute route;
    route.body = std::move(body);
    route.etag = etag;
    server_.Route("/sig.zip", route);
  }
  // Waits until the update check after now has ended with `result`.
  bool WaitForCheck(const std::string& result, int64_t after_checks) {
    return WaitFor(
        [&] {
          std::string n = UpdateField(f_, "checks");
          return !n.empty() && std::stoll(n) > after_checks && UpdateField(f_, "last_result") == result;
        },
        20000);
  }

  DaemonFixture f_;
  HttpServer server_;
};

TEST_F(DaemonSignatureUpdate, SignedBundleIsTakenWithoutRestartAndBadOnesAreRefused) {
  std::string probe = BuildApk(R"({"package": "com.example.sgprobe", "version_code": 3,
      "classes": [{"name": "com.sgprobe.adnet1.BannerView"}, {"name": "com.example.sgprobe.Main"}]})");
  ASSERT_FALSE(probe.empty());
  // Before any update the probe's SDK is unknown.
  std::string v1 = Pack(1);
  Serve(v1, "\"e1\"");
  f_.WriteConfig("workers = 1\n", "[scan]\nsignatures_update_url = \"" + server_.Url("/sig.zip") +
                                      "\"\nsignatures_public_key = \"key.pub\"\n"
                                      "signatures_update_interval_s = 1\n"
                                      "[http]\nallow_hosts = [\"127.0.0.1\"]\n");
  ASSERT_TRUE(f_.Start()) << ReadAll(f_.log());
  // The update is installed and taken by a reload; a package scanned after
  // it (by a scan service) finds the SDK only the new bundle knows.
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(f_.log(), "\"reload.done\"") >= 1; }, 30000))
      << ReadAll(f_.log());
  EXPECT_EQ(DaemonFixture::CountIn(f_.log(), "\"signatures.updated\""), 1u);
  // daemon.start and reload.done say what building the engine cost.
  EXPECT_GE(DaemonFixture::CountIn(f_.log(), "\"engine_build_ms\":"), 2u) << ReadAll(f_.log());
  EXPECT_GE(DaemonFixture::CountIn(f_.log(), "\"engine_memory_kib\":"), 2u) << ReadAll(f_.log());
  Json st = f_.Status();
  EXPECT_EQ(st["signatures"]["bundle_version"], 1) << st.dump();
  EXPECT_EQ(st["signatures"]["update"]["installed_version"], 1) << st.dump();
  Json r = Submit(f_, probe);
  ASSERT_TRUE(r.is_object());
  std::string report = r["report"].dump();
  EXPECT_NE(report.find("sgprobe-ads-v1"), std::string::npos) << report;
  bool ad_finding = false;
  for (const auto& fd : r["report"]["findings"]) ad_finding = ad_finding || fd.dump().find("Probe Ads") != std::string::npos;
  EXPECT_TRUE(ad_finding) << report;
  EXPECT_EQ(r["report"]["signatures_version"], st["versions"]["signatures"]) << report;
  // Unchanged bundle: 304, nothing reloaded.
  int64_t checks = std::stoll(UpdateField(f_, "checks"));
  ASSERT_TRUE(WaitForCheck("not-modified", checks)) << f_.Status().dump();

  // A tampered v2 (one signature file changed after signing): refused,
  // logged, in status; the v1 set keeps serving.
  std::string v2 = Pack(2);
  ZipEntries entries = ReadZipEntries(v2);
  bool changed = false;
  for (auto& [name, data] : entries) {
    if (name == "zz-probe.json") {
      data.replace(data.find("adnet2"), 6, "adnetX");
      changed = true;
    }
  }
  ASSERT_TRUE(changed);
  Serve(ZipBytes(entries), "\"e2t\"");
  checks = std::stoll(UpdateField(f_, "checks"));
  ASSERT_TRUE(WaitForCheck("error", checks)) << f_.Status().dump();
  std::string err = UpdateField(f_, "last_error");
  EXPECT_NE(err.find("refused"), std::string::npos) << err;
  EXPECT_NE(err.find("zz-probe.json"), std::string::npos) << err;
  EXPECT_FALSE(UpdateField(f_, "last_attempt").empty());
  EXPECT_GE(DaemonFixture::CountIn(f_.log(), "\"signatures.update_failed\""), 1u);
  std::string text;
  ASSERT_EQ(RunCommand({f_.Cli(), "status", "--config", f_.dir + "/shelfguard.toml"}, &text, 20000, f_.dir), 0);
  EXPECT_NE(text.find("signature updates:"), std::string::npos) << text;
  EXPECT_NE(text.find("zz-probe.json"), std::string::npos) << text;

  // Signed with another key: refused.
  Serve(Pack(2, "other"), "\"e2o\"");
  checks = std::stoll(UpdateField(f_, "checks"));
  ASSERT_TRUE(WaitForCheck("error", checks)) << f_.Status().dump();
  EXPECT_NE(UpdateField(f_, "last_error").find("refused"), std::string::npos) << UpdateField(f_, "last_error");

  // Unsigned (the signature left out) and truncated in transfer: refused.
  ZipEntries unsigned_entries;
  for (const auto& e : ReadZipEntries(v2)) {
    if (e.first != "manifest.json.minisig") unsigned_entries.push_back(e);
  }
  Serve(ZipBytes(unsigned_entries), "\"e2u\"");
  checks = std::stoll(UpdateField(f_, "checks"));
  ASSERT_TRUE(WaitForCheck("error", checks)) << f_.Status().dump();
  EXPECT_NE(UpdateField(f_, "last_error").find("refused"), std::string::npos) << UpdateField(f_, "last_error");
  HttpRoute cut;
  cut.body = v2;
  cut.etag = "\"e2c\"";
  cut.truncate_at = v2.size() / 2;
  server_.Route("/sig.zip", cut);
  checks = std::stoll(UpdateField(f_, "checks"));
  ASSERT_TRUE(WaitForCheck("error", checks)) << f_.Status().dump();
  EXPECT_NE(UpdateField(f_, "last_error").find("download"), std::string::npos) << UpdateField(f_, "last_error");

  // Rolled back to v1 (validly signed, not newer): refused.
  Serve(v1, "\"e1b\"");
  checks = std::stoll(UpdateField(f_, "checks"));
  ASSERT_TRUE(WaitForCheck("error", checks)) << f_.Status().dump();
  EXPECT_NE(UpdateField(f_, "last_error").find("not newer"), std::string::npos) << UpdateField(f_, "last_error");

  // Nothing of those was taken: one reload only, v1 serving.
  EXPECT_EQ(DaemonFixture::CountIn(f_.log(), "\"reload.done\""), 1u) << ReadAll(f_.log());
  st = f_.Status();
  EXPECT_EQ(st["signatures"]["bundle_version"], 1) << st.dump();
  r = Submit(f_, probe);
  EXPECT_NE(r["report"].dump().find("sgprobe-ads-v1"), std::string::npos);

  // A good v2 is taken: the v2 probe SDK is known now, v1's is gone.
  Serve(v2, "\"e2\"");
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(f_.log(), "\"reload.done\"") >= 2; }, 20000))
      << ReadAll(f_.log());
  std::string probe2 = BuildApk(R"({"package": "com.example.sgprobe", "version_code": 4,
      "classes": [{"name": "com.sgprobe.adnet2.BannerView"}, {"name": "com.example.sgprobe.Main"}]})");
  r = Submit(f_, probe2);
  EXPECT_NE(r["report"].dump().find("sgprobe-ads-v2"), std::string::npos) << r.dump();
  EXPECT_EQ(f_.Status()["signatures"]["bundle_version"], 2);
  f_.daemon.Signal(SIGTERM);
  EXPECT_EQ(f_.daemon.Wait(20000), 0);
}

// A package whose violations are known (computed in-process), and a
// suppressions file accepting the first of them for its package.
struct SuppressionCase {
  std::string apk, package, rule;
  size_t violations = 0;
  size_t suppressed = 0;  // violations of `rule`
};

// An education app carrying an ad SDK (a violation whatever the registry).
std::string SuppressSpec(int version) {
  return R"({"package": "com.example.sgsuppress", "version_code": )" + std::to_string(version) +
         R"(, "classes": [{"name": "com.bytedance.sdk.openadsdk.TTAdSdk"},
                         {"name": "com.example.sgsuppress.MainActivity"}]})";
}

SuppressionCase FindCase() {
  SuppressionCase c;
  c.apk = BuildApk(SuppressSpec(2));
  std::vector<Finding> findings;
  ExpectedIds(c.apk, "", &findings);
  c.violations = findings.size();
  c.package = "com.example.sgsuppress";
  for (const auto& fd : findings) {
    if (fd.rule_id == "CONTENT-AD-SDK") {
      c.rule = fd.rule_id;
      c.suppressed++;
    }
  }
  return c;
}

std::string SuppressFile(const SuppressionCase& c, const std::string& expires) {
  return "# accepted for now\n[[suppress]]\nrule = \"" + c.rule + "\"\npackage = \"" + c.package +
         "\"\nreason = \"fixed in the next release\"\nauthor = \"qa\"\nexpires = " + expires + "\n";
}

int64_t OutboxTotal(DaemonFixture& f) {
  Json st = f.Status();
  return f.Num(st, "outbox", "pending") + f.Num(st, "outbox", "inflight") + f.Num(st, "outbox", "acked");
}

const Json* FindingOf(const Json& reply, const std::string& rule) {
  for (const auto& fd : reply["report"]["findings"]) {
    if (fd.value("rule", "") == rule) return &fd;
  }
  return nullptr;
}

TEST(DaemonSuppressions, AppliedReloadedKeptOnABadFileAndExpire) {
  SuppressionCase c = FindCase();
  ASSERT_FALSE(c.rule.empty()) << "the case package has no violation";
  DaemonFixture f;
  std::string sup = f.dir + "/suppress.toml";
  // Over 1 MiB (a long comment), under kMaxSuppressionFileBytes: the scan
  // services read the snapshot's copy with the daemon's own limit.
  WriteAll(sup, SuppressFile(c, "2099-12-31") + "# " + std::string(3u << 19, 'x') + "\n");
  f.WriteConfig("workers = 1\n", "[scan]\nsuppressions = \"suppress.toml\"\n");
  std::string out;
  EXPECT_EQ(RunCommand({f.Daemond(), "--check", "--config", f.dir + "/shelfguard.toml"}, &out), 0) << out;
  ASSERT_TRUE(f.Start()) << ReadAll(f.log());
  EXPECT_EQ(f.Status()["suppressions"]["entries"], 1);

  // Suppressed: in the result, marked with the reason; not queued.
  Json r = Submit(f, c.apk);
  ASSERT_TRUE(r.is_object());
  const Json* fd = FindingOf(r, c.rule);
  ASSERT_NE(fd, nullptr) << r.dump();
  ASSERT_TRUE(fd->contains("suppression")) << fd->dump();
  EXPECT_EQ((*fd)["suppression"]["reason"], "fixed in the next release");
  EXPECT_TRUE(WaitFor([&] { return OutboxTotal(f) == static_cast<int64_t>(c.violations - c.suppressed); }, 10000))
      << f.Status().dump();

  // A bad file at reload: logged with the file and line, the old entries stay.
  WriteAll(sup, SuppressFile(c, "2099-12-31") + "\n[[suppress]]\nrule = \"" + c.rule +
                    "\"\npackage = \"x\"\nreason = \"r\"\nauthor = \"a\"\nexpires = \"soon\"\n");
  f.daemon.Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(f.log(), "\"reload.failed\"") >= 1; }, 20000));
  std::string log = ReadAll(f.log());
  EXPECT_NE(log.find("suppress.toml: [[suppress]] #2 (line 9)"), std::string::npos) << log;
  EXPECT_NE(log.find("expires"), std::string::npos) << log;
  EXPECT_EQ(f.Status()["suppressions"]["entries"], 1);
  // Another package with the same violations (another sha256): still suppressed.
  std::string apk2 = BuildApk(SuppressSpec(3));
  int64_t before = OutboxTotal(f);
  r = Submit(f, apk2);
  fd = FindingOf(r, c.rule);
  ASSERT_NE(fd, nullptr) << r.dump();
  EXPECT_TRUE(fd->contains("suppression")) << fd->dump();
  EXPECT_TRUE(WaitFor([&] { return OutboxTotal(f) == before + static_cast<int64_t>(c.violations - c.suppressed); }, 10000));

  // Expired entry: reloaded, no longer applies; every violation is queued.
  WriteAll(sup, SuppressFile(c, "2020-01-01"));
  f.daemon.Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(f.log(), "\"reload.done\"") >= 1; }, 20000))
      << ReadAll(f.log());
  std::string apk3 = BuildApk(SuppressSpec(4));
  before = OutboxTotal(f);
  r = Submit(f, apk3);
  fd = FindingOf(r, c.rule);
  ASSERT_NE(fd, nullptr) << r.dump();
  EXPECT_FALSE(fd->contains("suppression")) << fd->dump();
  EXPECT_TRUE(WaitFor([&] { return OutboxTotal(f) == before + static_cast<int64_t>(c.violations); }, 10000));
  f.daemon.Signal(SIGTERM);
  EXPECT_EQ(f.daemon.Wait(20000), 0);

  // A bad file at start: --check and start fail, naming the file and line.
  WriteAll(sup, "[[suppress]]\nrule = \"" + c.rule + "\"\npackage = \"p\"\nauthor = \"a\"\nexpires = 2099-01-01\n");
  EXPECT_EQ(RunCommand({f.Daemond(), "--check", "--config", f.dir + "/shelfguard.toml"}, &out), 2) << out;
  EXPECT_NE(out.find("suppress.toml: [[suppress]] #1 (line 1): field 'reason'"), std::string::npos) << out;
  EXPECT_FALSE(f.Start());
  f.starts_--;
  EXPECT_EQ(f.daemon.Wait(5000), 2);
  EXPECT_NE(ReadAll(f.log()).find("suppress.toml: [[suppress]] #1 (line 1)"), std::string::npos) << ReadAll(f.log());
}

// samples/registry.json with a wrong check character in the credit code of
// filings[1] (the record of cn.shelfguard.sample.revoked).
std::string BadRegistryText() {
  Json j = Json::parse(ReadAll(SourceDir() + "/samples/registry.json"));
  j["filings"][1]["provider"]["credit_code"] = "91310115MA1HQG002J";
  return j.dump();
}

TEST(DaemonReloadIsolation, ServiceRestartedAfterARefusedReloadKeepsThePreviousRegistry) {
  DaemonFixture f;
  std::string reg = f.dir + "/registry.json";
  fs::copy_file(SourceDir() + "/samples/registry.json", reg);
  f.WriteConfig("workers = 1\n", "[scan]\nregistry = \"registry.json\"\nregistry_strict = true\n");
  ASSERT_TRUE(f.Start({"SHELFGUARD_TEST_FAULT=1"})) << ReadAll(f.log());
  std::string revoked = SourceDir() + "/samples/packages/revoked.apk";
  Json before = Submit(f, revoked);
  ASSERT_TRUE(before.is_object());
  std::string version = before["report"].value("registry_version", "");
  ASSERT_FALSE(version.empty());
  std::set<std::string> rules = RuleIds(before);
  EXPECT_EQ(rules.count("FILING-RECORD-REJECTED"), 0u);

  // The file is edited in place into one the strict daemon refuses.
  WriteAll(reg, BadRegistryText());
  f.daemon.Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(f.log(), "\"reload.failed\"") >= 1; }, 20000))
      << ReadAll(f.log());
  // The worker's scan service dies on a package and is started again.
  f.Drop(revoked, "sg-fault-crash.apk");
  ASSERT_TRUE(WaitFor([&] { return f.Num(f.Status(), "errors", "scan") >= 1; }, 20000)) << f.Status().dump();
  // The new service serves what the daemon serves: the previous registry.
  Json after = Submit(f, revoked);
  ASSERT_TRUE(after.is_object());
  EXPECT_EQ(after["report"].value("registry_version", ""), version) << after["report"].dump();
  EXPECT_EQ(RuleIds(after), rules) << after["report"].dump();
  EXPECT_EQ(f.Status()["versions"]["registry"], version);
  EXPECT_EQ(f.Num(f.Status(), "registry", "rejected"), 0);
  f.daemon.Signal(SIGTERM);
  EXPECT_EQ(f.daemon.Wait(20000), 0);
}

}  // namespace
}  // namespace shelfguard::testing
