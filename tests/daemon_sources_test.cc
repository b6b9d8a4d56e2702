// The daemon's sources: a package that cannot be analysed is not queued again
// by every sweep (issue 12 item 4), and spool, directories and feeds take the
// HarmonyOS and mini-program packages the engine reads (issue 17).
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "daemon_harness.h"
#include "queue/store.h"
#include "support/android_writer.h"
#include "support/http_server.h"
#include "support/package_writers.h"

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
  return BuildZip({{"module.json", module},
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
    auto r = (*store)->GetResult(id);
    if (!r) continue;
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

}  // namespace
}  // namespace shelfguard::testing
