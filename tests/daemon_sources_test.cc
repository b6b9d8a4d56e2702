// The daemon's sources: a package that cannot be analysed is not queued again
// by every sweep (issue 12 item 4), and spool, directories and feeds take the
// HarmonyOS and mini-program packages the engine reads (issue 17).
#include <sys/stat.h>

#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "daemon_harness.h"
#include "queue/store.h"
#include "support/fixtures.h"
#include "support/http_server.h"
#include "support/package_writers.h"
#include "support/zip_entries.h"

namespace shelfguard::testing {
namespace {

std::string Sha256Of(const std::string& bytes, const std::string& scratch) {
  WriteAll(scratch, bytes);
  uint64_t size = 0;
  auto s = Sha256File(scratch, &size);
  return s.ok() ? *s : "";
}

std::string Hap(const std::string& bundle) {
  std::string module = R"({"app":{"bundleName":")" + bundle +
                       R"(","versionCode":1000002,"versionName":"1.0.2"},
      "module":{"name":"entry","type":"entry","requestPermissions":[{"name":"ohos.permission.CAMERA"}]}})";
  return ZipBytes({{"module.json", module},
                   {"resources.index", BuildResourceIndex({"示例课堂", "备案号：教APP备1100123号"})}});
}

std::string MiniProgram() {
  return BuildWxapkg({{"/app-config.json", R"({"pages":["pages/index/index"],"entryPagePath":"pages/index/index"})"},
                      {"/pages/index/index.wxml", "<view>示例课堂</view><ad unit-id=\"adunit-1\"></ad>"}});
}

// Every stored result's report, by "<package id>#<job id>".
std::map<std::string, Json> Reports(const std::string& db) {
  std::map<std::string, Json> out;
  auto store = queue::Store::Open(db);
  if (!store.ok()) return out;
  for (int64_t id = 1; id <= 50; ++id) {
    auto stored = (*store)->GetResult(id);
    if (!stored.ok() || !stored->has_value()) continue;
    const auto& r = *stored;
    Json j = Json::parse(r->report, nullptr, false);
    if (j.is_object() && j.contains("package")) out[j["package"].value("id", "") + "#" + std::to_string(id)] = j;
  }
  return out;
}

TEST(DaemonSources, UnanalysablePackageIsNotRescannedBySweeps) {
  DaemonFixture d;
  std::filesystem::create_directories(d.dir + "/mirror");
  // Not a zip: "not analysed" (verdict error) whatever the versions.
  WriteAll(d.dir + "/mirror/corrupt.apk", std::string(4000, 'x'));
  std::string dirs = "[[directories]]\nname = \"mirror\"\npath = \"mirror\"\ninterval_s = 1\n";
  d.WriteConfig("", "[scan]\nisolation = \"none\"\n" + dirs);
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  ASSERT_TRUE(WaitFor([&] { return d.Num(d.Status(), "queue", "results") == 1; }, 20000))
      << d.Status().dump() << ReadAll(d.log());
  // Three more sweeps (one a second) and a reload sweep: nothing queued again.
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(d.log(), "\"sweep.dir\"") >= 4; }, 20000));
  d.daemon.Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(d.log(), "\"reload.done\"") >= 1; }, 20000));
  size_t sweeps = DaemonFixture::CountIn(d.log(), "\"sweep.dir\"");
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(d.log(), "\"sweep.dir\"") >= sweeps + 2; }, 20000));
  Json st = d.Status();
  EXPECT_EQ(d.Num(st, "queue", "results"), 1) << st.dump();
  EXPECT_EQ(d.Num(st, "throughput", "scanned"), 1) << st.dump();
  EXPECT_GE(d.Num(st, "throughput", "skipped"), 3) << st.dump();
  d.daemon.Signal(SIGTERM);
  ASSERT_EQ(d.daemon.Wait(20000), 0);

  // A restart does not rescan it either.
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  sweeps = DaemonFixture::CountIn(d.log(), "\"sweep.dir\"");
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(d.log(), "\"sweep.dir\"") >= sweeps + 2; }, 20000));
  st = d.Status();
  EXPECT_EQ(d.Num(st, "queue", "results"), 1) << st.dump();
  EXPECT_EQ(d.Num(st, "throughput", "scanned"), 0) << st.dump();

  // With no back-off (scan.rescan_failed_s = 0) it is retried: the back-off is what held it.
  d.WriteConfig("", "[scan]\nisolation = \"none\"\nrescan_failed_s = 0\n" + dirs);
  d.daemon.Signal(SIGHUP);
  EXPECT_TRUE(WaitFor([&] { return d.Num(d.Status(), "queue", "results") >= 2; }, 20000))
      << d.Status().dump();
  d.daemon.Signal(SIGTERM);
  EXPECT_EQ(d.daemon.Wait(20000), 0);
}

TEST(DaemonSources, HarmonyAndMiniProgramPackagesFromSpoolDirectoryAndFeed) {
  DaemonFixture d;
  std::filesystem::create_directories(d.dir + "/mirror");
  WriteAll(d.dir + "/mirror/edu-dir.hap", Hap("com.example.sgd.hapdir"));
  std::string wx = MiniProgram();
  std::string feed_hap = Hap("com.example.sgd.hapfeed");
  HttpServer http;
  ASSERT_TRUE(http.Start().ok());
  HttpRoute hap_route, wx_route, feed_route;
  hap_route.body = feed_hap;
  wx_route.body = wx;
  http.Route("/pkg/edu", hap_route);  // no extension: the platform names the kind
  http.Route("/pkg/mini.wxapkg", wx_route);
  Json feed = {{"format", "shelfguard-feed/1"},
               {"packages",
                {{{"platform", "harmony"}, {"app_id", "com.example.sgd.hapfeed"}, {"version", "1.0.2"},
                  {"url", "pkg/edu"}, {"sha256", Sha256Of(feed_hap, d.dir + "/h.tmp")},
                  {"size", feed_hap.size()}},
                 {{"platform", "mini-program"}, {"app_id", "wx0123456789abcdef"}, {"version", "1"},
                  {"url", "pkg/mini.wxapkg"}, {"sha256", Sha256Of(wx, d.dir + "/w.tmp")},
                  {"size", wx.size()}}}}};
  feed_route.body = feed.dump();
  http.Route("/feed.json", feed_route);
  d.WriteConfig("", "[scan]\nisolation = \"none\"\n[http]\nallow_hosts = [\"127.0.0.1\"]\n"
                    "[[directories]]\nname = \"mirror\"\npath = \"mirror\"\n"
                    "[[feeds]]\nname = \"store\"\nurl = \"" + http.Url("/feed.json") + "\"\n");
  WriteAll(d.dir + "/spool.hap", Hap("com.example.sgd.hapspool"));
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  d.Drop(d.dir + "/spool.hap", "课堂.hap");
  ASSERT_TRUE(WaitFor(
      [&] {
        Json st = d.Status();
        return d.Num(st, "queue", "results") == 4 && d.Num(st, "queue", "depth") == 0;
      },
      30000))
      << d.Status().dump(1) << ReadAll(d.log());
  d.daemon.Signal(SIGTERM);
  ASSERT_EQ(d.daemon.Wait(20000), 0);
  auto reports = Reports(d.dir + "/state/queue.db");
  std::set<std::string> harmony;
  for (const auto& [key, r] : reports) {
    if (r["package"].value("platform", "") == "harmony") harmony.insert(r["package"].value("id", ""));
  }
  EXPECT_EQ(harmony, (std::set<std::string>{"com.example.sgd.hapdir", "com.example.sgd.hapfeed",
                                            "com.example.sgd.hapspool"}));
  size_t mini = 0;
  for (const auto& [id, r] : reports) mini += r["package"].value("platform", "") == "mini-program";
  EXPECT_EQ(mini, 1u);
  EXPECT_EQ(reports.size(), 4u);
}

// Issue 11 item 4: a directory package queued and then swapped for a FIFO
// (while the one worker is held by a package hanging the scanner) never
// wedges the daemon: status keeps answering and SIGTERM exits promptly.
TEST(DaemonSources, QueuedPathSwappedForAFifoNeverWedgesTheDaemon) {
  std::string clean = BuildApk(R"({"package": "com.example.sgd.fifo"})");
  ASSERT_FALSE(clean.empty());
  DaemonFixture d;
  std::filesystem::create_directories(d.dir + "/mirror");
  std::filesystem::copy_file(clean, d.dir + "/mirror/a-sg-fault-hang.apk");
  std::filesystem::copy_file(clean, d.dir + "/mirror/b.apk");
  WriteAll(d.dir + "/mirror/b.apk", ReadAll(clean) + std::string(16, '\0'));  // another sha256
  d.WriteConfig("workers = 1",
                "[limits]\ndeadline_ms = 1500\n[scan]\ngrace_ms = 200\n"
                "[[directories]]\nname = \"mirror\"\npath = \"mirror\"\n");
  ASSERT_TRUE(d.Start({"SHELFGUARD_TEST_FAULT=1"})) << ReadAll(d.log());
  // Both are hashed and queued; the worker hangs on a-…; b.apk becomes a FIFO.
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(d.log(), "\"sweep.dir\"") >= 1; }, 20000));
  ASSERT_EQ(::unlink((d.dir + "/mirror/b.apk").c_str()), 0);
  ASSERT_EQ(::mkfifo((d.dir + "/mirror/b.apk").c_str(), 0600), 0);
  // Both jobs end (the hang at the deadline, the FIFO refused at once) while status answers throughout.
  ASSERT_TRUE(WaitFor(
      [&] {
        Json st = d.Status(1000);
        EXPECT_TRUE(st.is_object()) << "status did not answer";
        return d.Num(st, "queue", "depth") == 0;
      },
      30000))
      << d.Status().dump(1) << ReadAll(d.log());
  // The scanner looked before opening: refused at once, not after the deadline.
  EXPECT_NE(ReadAll(d.log()).find("b.apk: not a regular file"), std::string::npos) << ReadAll(d.log());
  auto t0 = std::chrono::steady_clock::now();
  d.daemon.Signal(SIGTERM);
  EXPECT_EQ(d.daemon.Wait(10000), 0) << ReadAll(d.log());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

// Issue 11 item 7: 150 bad feed entries log at most http.log_entry_errors
// lines; the sweep.feed line carries the total.
TEST(DaemonSources, BadFeedEntriesLogAtMostTheLimitAndOneSummary) {
  HttpServer http;
  ASSERT_TRUE(http.Start().ok());
  Json pkgs = Json::array();
  for (int i = 0; i < 150; ++i) {
    pkgs.push_back({{"platform", "symbian"}, {"app_id", "x" + std::to_string(i)}, {"url", "pkg/x.apk"},
                    {"sha256", std::string(64, 'a')}, {"size", 10}});
  }
  HttpRoute feed_route;
  feed_route.body = Json({{"format", "shelfguard-feed/1"}, {"packages", pkgs}}).dump();
  http.Route("/feed.json", feed_route);
  DaemonFixture d;
  d.WriteConfig("", "[http]\nallow_hosts = [\"127.0.0.1\"]\nlog_entry_errors = 5\n"
                    "[[feeds]]\nname = \"store\"\nurl = \"" + http.Url("/feed.json") + "\"\n");
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(d.log(), "\"sweep.feed\"") >= 1; }, 20000))
      << ReadAll(d.log());
  EXPECT_EQ(DaemonFixture::CountIn(d.log(), "\"feed.entry_error\""), 5u) << ReadAll(d.log());
  EXPECT_EQ(DaemonFixture::CountIn(d.log(), "\"entry_errors\":150"), 1u) << ReadAll(d.log());
  Json st = d.Status();
  ASSERT_TRUE(st.contains("feeds") && st["feeds"].size() == 1) << st.dump();
  EXPECT_EQ(st["feeds"][0].value("entry_errors", 0), 150) << st.dump();
}

}  // namespace
}  // namespace shelfguard::testing
