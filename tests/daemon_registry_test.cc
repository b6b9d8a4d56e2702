// The daemon reports a partly bad registry (issue 12 item 2): rejected
// records are counted in status and named in the log at start and reload,
// --check lists them, and scan.registry_strict refuses such a registry
// (start fails with exit 2; a reload keeps the old registry serving).
#include "daemon_harness.h"
#include "support/text_expect.h"

namespace shelfguard::testing {
namespace {

// samples/registry.json with a wrong check character in the credit code of
// filings[1] (the record of cn.shelfguard.sample.revoked).
std::string WriteBadRegistry(const std::string& dir) {
  Json j = Json::parse(ReadAll(SourceDir() + "/samples/registry.json"));
  j["filings"][1]["provider"]["credit_code"] = "91310115MA1HQG002J";
  std::string path = dir + "/bad-registry.json";
  WriteAll(path, j.dump());
  return path;
}

// Configures f with the bad registry (and `scan_extra` lines in [scan]).
void UseBadRegistry(DaemonFixture& f, const std::string& scan_extra) {
  std::string bad = WriteBadRegistry(f.dir);
  f.WriteConfig("", "[scan]\nregistry = \"" + bad + "\"\n" + scan_extra + "isolation = \"none\"\n");
}

// Configures f with the bad registry and runs `shelfguardd --check` on it:
// its exit code, its output in *out.
int CheckWithBadRegistry(DaemonFixture& f, const std::string& scan_extra, std::string* out) {
  UseBadRegistry(f, scan_extra);
  return RunCommand({f.Daemond(), "--check", "--config", f.dir + "/shelfguard.toml"}, out);
}

TEST(DaemonRegistry, RejectedRecordsInStatusLogAndCheck) {
  DaemonFixture f;
  std::string out;
  EXPECT_EQ(CheckWithBadRegistry(f, "", &out), 0) << out;
  ExpectContainsAll(out, {"1 record rejected", "filings[1]", "cn.shelfguard.sample.revoked"});

  ASSERT_TRUE(f.Start()) << ReadAll(f.log());
  Json st = f.Status();
  EXPECT_EQ(f.Num(st, "registry", "rejected"), 1) << st.dump();
  std::string log = ReadAll(f.log());
  EXPECT_EQ(DaemonFixture::CountIn(f.log(), "\"registry.rejected\""), 1u) << log;
  ExpectContainsAll(log, {"filings[1]", "cn.shelfguard.sample.revoked"});

  // A reload logs them again.
  f.daemon.Signal(SIGHUP);
  EXPECT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(f.log(), "\"reload.done\"") >= 1; }, 20000));
  EXPECT_EQ(DaemonFixture::CountIn(f.log(), "\"registry.rejected\""), 2u) << ReadAll(f.log());

  // Strict now: the reload is refused, the old registry keeps serving.
  UseBadRegistry(f, "registry_strict = true\n");
  f.daemon.Signal(SIGHUP);
  EXPECT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(f.log(), "\"reload.failed\"") >= 1; }, 20000))
      << ReadAll(f.log());
  log = ReadAll(f.log());
  EXPECT_NE(log.find("strict"), std::string::npos) << log;
  st = f.Status();
  EXPECT_EQ(f.Num(st, "registry", "rejected"), 1) << st.dump();
  f.daemon.Signal(SIGTERM);
  EXPECT_EQ(f.daemon.Wait(20000), 0);
}

TEST(DaemonRegistry, StrictRefusesARegistryWithRejectedRecords) {
  DaemonFixture f;
  std::string out;
  EXPECT_EQ(CheckWithBadRegistry(f, "registry_strict = true\n", &out), 2) << out;
  ExpectContainsAll(out, {"scan.registry", "1 record rejected"});

  EXPECT_FALSE(f.Start());
  f.starts_--;  // that start never logged daemon.start
  EXPECT_EQ(f.daemon.Wait(5000), 2);
  std::string err = ReadAll(f.log());
  ExpectContainsAll(err, {"strict", "filings[1]"});

  // The good sample registry starts under strict.
  f.WriteConfig("", "[scan]\nregistry = \"" + SourceDir() + "/samples/registry.json\"\n"
                    "registry_strict = true\nisolation = \"none\"\n");
  ASSERT_TRUE(f.Start()) << ReadAll(f.log());
  EXPECT_EQ(f.Num(f.Status(), "registry", "rejected"), 0);
}

}  // namespace
}  // namespace shelfguard::testing
