// Submitted bytes scanned from memory (issue 18): a free worker scans them
// through the scan service's shared region while the I/O thread writes the
// spool file and queues the job. The report must be the one a scan of the
// spooled file gives, and a scanner that crashes or hangs on such bytes must
// still be an error outcome for that package only.
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "daemon_harness.h"
#include "shelfguard/engine.h"
#include "support/fixtures.h"

namespace shelfguard::testing {
namespace {

const char kDebuggable[] = R"({"package": "com.example.memory", "version_code": 7,
  "application": {"debuggable": true, "uses_cleartext_traffic": true}})";

// The scan.done line of job `id` (null when none).
Json ScanDoneOf(const std::string& log, int64_t id) {
  for (const auto& j : DaemonFixture::ReadJsonl(log)) {
    if (j.value("event", "") == "scan.done" && j.value("job", int64_t{-1}) == id) return j;
  }
  return Json();
}

// A report without what differs between two scans of one package: the
// time, and the spool file's unique prefix (<ms>-<n>-) where the report
// names the file it read.
std::string Comparable(Json report) {
  report.erase("scanned_at");
  return std::regex_replace(report.dump(), std::regex("/submit/[0-9]+-[0-9]+-"), "/submit/N-");
}

TEST(DaemonSubmitMemory, BytesScannedFromMemoryGiveTheReportOfTheirFile) {
  std::string built = BuildApk(kDebuggable);
  ASSERT_FALSE(built.empty());
  // Bytes before the zip make the report name the file it read (an anomaly
  // located at the package): the in-memory scan must name the spool file too.
  const std::string bytes = std::string(64, 'P') + ReadFileBytes(built);
  DaemonFixture d;
  std::filesystem::create_directories(d.dir + "/pkg");
  const std::string apk = d.dir + "/pkg/m.apk";
  WriteAll(apk, bytes);
  // A path submission is copied into the spool and scanned from that file:
  // the reference for the same bytes.
  d.submit_extra = "allow_paths = true\npath_roots = [\"" + d.dir + "/pkg\"]\n";
  d.WriteConfig("workers = 2", "");
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());

  Json mem = SubmitRaw(d.Ep("submit"), {{"type", "submit"}, {"name", "m.apk"}}, bytes);
  ASSERT_TRUE(mem.value("ok", false)) << mem.dump() << ReadAll(d.log());
  Json file = SubmitRaw(d.Ep("submit"), {{"type", "submit"}, {"name", "m.apk"}, {"path", apk}});
  ASSERT_TRUE(file.value("ok", false)) << file.dump() << ReadAll(d.log());

  EXPECT_EQ(mem.value("verdict", ""), "violation") << mem.dump();
  EXPECT_EQ(mem["sha256"], Sha256Hex(bytes));
  EXPECT_EQ(mem["sha256"], file["sha256"]);
  EXPECT_EQ(mem["findings"].size(), file["findings"].size());
  EXPECT_EQ(Comparable(mem["report"]), Comparable(file["report"]));
  EXPECT_NE(Comparable(mem["report"]).find("/submit/N-m.apk"), std::string::npos) << mem["report"].dump();
  // The first really took the in-memory path, the second the file.
  Json done_mem = ScanDoneOf(d.log(), mem.value("job_id", int64_t{0}));
  Json done_file = ScanDoneOf(d.log(), file.value("job_id", int64_t{0}));
  ASSERT_TRUE(done_mem.is_object() && done_file.is_object()) << ReadAll(d.log());
  EXPECT_TRUE(done_mem.value("in_memory", false)) << done_mem.dump();
  EXPECT_FALSE(done_file.value("in_memory", false)) << done_file.dump();
  // Stored before the reply, spool file removed, as for any submission.
  Json st = d.Status();
  EXPECT_EQ(d.Num(st, "queue", "results"), 2) << st.dump();
  EXPECT_EQ(d.CountFiles("submit"), 0u);
  d.daemon.Signal(SIGTERM);
  EXPECT_EQ(d.daemon.Wait(15000), 0);
}

TEST(DaemonSubmitMemory, AScannerCrashOrHangOnBytesInMemoryIsThatPackagesError) {
  std::string clean = BuildApk(R"({"package": "com.example.memory.clean"})");
  std::string dbg = BuildApk(kDebuggable);
  ASSERT_FALSE(clean.empty() || dbg.empty());
  const std::string clean_bytes = ReadFileBytes(clean);
  DaemonFixture d;
  // The deadline bounds every scan of this daemon: room for a sanitizer
  // build on a loaded machine (as daemon_crash_test allows).
  d.WriteConfig("workers = 1", "[limits]\ndeadline_ms = 2000\n[scan]\ngrace_ms = 300\n");
  ASSERT_TRUE(d.Start({"SHELFGUARD_TEST_FAULT=1"})) << ReadAll(d.log());

  // The fault switch acts on the spool file's name, which carries the
  // submitted name; the bytes themselves are a clean package.
  Json crash = SubmitRaw(d.Ep("submit"), {{"type", "submit"}, {"name", "a-sg-fault-crash.apk"}}, clean_bytes);
  ASSERT_TRUE(crash.value("ok", false)) << crash.dump() << ReadAll(d.log());
  EXPECT_EQ(crash.value("verdict", ""), "error") << crash.dump();
  EXPECT_NE(crash.value("error", "").find("signal 6"), std::string::npos) << crash.dump();
  // The digest is the bytes' (the spool file may not have been complete
  // when the scanner died).
  EXPECT_EQ(crash["sha256"], Sha256Hex(clean_bytes)) << crash.dump();

  Json hang = SubmitRaw(d.Ep("submit"), {{"type", "submit"}, {"name", "b-sg-fault-hang.apk"}}, clean_bytes);
  ASSERT_TRUE(hang.value("ok", false)) << hang.dump() << ReadAll(d.log());
  EXPECT_EQ(hang.value("verdict", ""), "error") << hang.dump();
  EXPECT_NE(hang.value("error", "").find("exceeded the deadline"), std::string::npos) << hang.dump();
  EXPECT_EQ(hang["sha256"], Sha256Hex(clean_bytes)) << hang.dump();

  // The daemon lives on, and a fresh scan service (with a fresh region)
  // scans the next submission from memory.
  EXPECT_TRUE(d.daemon.Alive());
  Json next = SubmitRaw(d.Ep("submit"), {{"type", "submit"}, {"name", "c.apk"}}, ReadFileBytes(dbg));
  ASSERT_TRUE(next.value("ok", false)) << next.dump() << ReadAll(d.log());
  EXPECT_EQ(next.value("verdict", ""), "violation") << next.dump();
  Json done = ScanDoneOf(d.log(), next.value("job_id", int64_t{0}));
  EXPECT_TRUE(done.value("in_memory", false)) << done.dump();
  EXPECT_EQ(d.Num(d.Status(), "errors", "scan"), 2);
  d.daemon.Signal(SIGTERM);
  EXPECT_EQ(d.daemon.Wait(15000), 0);
}

}  // namespace
}  // namespace shelfguard::testing
