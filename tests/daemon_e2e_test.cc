// End-to-end tests of shelfguardd: the real daemon binary, a real HTTP server
// on 127.0.0.1 serving a feed and packages, real ZeroMQ (ipc:// sockets in a
// temp dir), real SQLite, the real `shelfguard consume/submit/status`.
#include <signal.h>
#include <zmq.h>

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "daemon_harness.h"
#include "support/fixtures.h"
#include "support/http_server.h"

namespace shelfguard::testing {
namespace {

const char kDebugApk[] =
    R"({"package": "com.example.sgd.debug", "version_code": 1, "version_name": "1.0",
        "application": {"debuggable": true}})";
const char kCleanApk[] = R"({"package": "com.example.sgd.clean", "version_code": 2})";

HttpRoute Serve(std::string body, int status = 200, int delay_ms = 0) {
  HttpRoute r;
  r.body = std::move(body);
  r.status = status;
  r.delay_ms = delay_ms;
  return r;
}

std::string Sha(const std::string& path) {
  uint64_t size = 0;
  auto s = Sha256File(path, &size);
  return s.ok() ? *s : "";
}

TEST(DaemonE2E, FeedSweepDeliversEachViolationOnceAndReportsFeedErrors) {
  std::string dbg = BuildApk(kDebugApk), clean = BuildApk(kCleanApk);
  ASSERT_FALSE(dbg.empty());
  ASSERT_FALSE(clean.empty());
  std::string dbg_bytes = ReadFileBytes(dbg), clean_bytes = ReadFileBytes(clean);
  HttpServer http;
  ASSERT_TRUE(http.Start().ok());
  http.Route("/pkg/dbg.apk", Serve(dbg_bytes));
  http.Route("/pkg/clean.apk", Serve(clean_bytes));
  http.Route("/pkg/err.apk", Serve("oops", 500));
  http.Route("/pkg/badsha.apk", Serve(dbg_bytes));
  http.Route("/pkg/big.apk", Serve(clean_bytes));
  http.Route("/pkg/slow.apk", Serve(clean_bytes, 200, 5000));
  std::string other_sha(64, '1');
  Json feed = {{"format", "shelfguard-feed/1"},
               {"packages",
                {{{"platform", "android"}, {"app_id", "com.example.sgd.debug"}, {"version", "1.0"},
                  {"url", "pkg/dbg.apk"}, {"sha256", Sha(dbg)}, {"size", dbg_bytes.size()}},
                 {{"platform", "android"}, {"app_id", "com.example.sgd.clean"}, {"version", "2"},
                  {"url", http.Url("/pkg/clean.apk")}, {"sha256", Sha(clean)}, {"size", clean_bytes.size()}},
                 {{"platform", "android"}, {"app_id", "gone"}, {"version", "1"},
                  {"url", "pkg/missing.apk"}, {"sha256", std::string(64, '2')}, {"size", 100}},
                 {{"platform", "android"}, {"app_id", "err"}, {"version", "1"},
                  {"url", "pkg/err.apk"}, {"sha256", std::string(64, '3')}, {"size", 100}},
                 {{"platform", "android"}, {"app_id", "badsha"}, {"version", "1"},
                  {"url", "pkg/badsha.apk"}, {"sha256", other_sha}, {"size", dbg_bytes.size()}},
                 {{"platform", "android"}, {"app_id", "big"}, {"version", "1"},
                  {"url", "pkg/big.apk"}, {"sha256", std::string(64, '4')}, {"size", 100}},
                 {{"platform", "android"}, {"app_id", "slow"}, {"version", "1"},
                  {"url", "pkg/slow.apk"}, {"sha256", std::string(64, '5')}, {"size", clean_bytes.size()}},
                 {{"platform", "android"}, {"app_id", "ftp"}, {"version", "1"},
                  {"url", "ftp://127.0.0.1/x.apk"}, {"sha256", std::string(64, '6')}, {"size", 10}},
                 {{"platform", "android"}, {"app_id", "nohex"}, {"version", "1"},
                  {"url", "pkg/x.apk"}, {"sha256", "not-hex"}, {"size", 10}}}}};
  HttpRoute feed_route = Serve(feed.dump());
  feed_route.etag = "\"feed-v1\"";  // later polls are conditional GETs answered 304
  http.Route("/feed.json", feed_route);
  http.Route("/bad.json", Serve("{\"packages\": [ not json"));
  http.Route("/flaky.json", Serve("down", 500));

  DaemonFixture d;
  d.WriteConfig("workers = 2",
                "[http]\ntotal_timeout_ms = 1500\nconnect_timeout_ms = 1000\nretries = 1\nbackoff_ms = 100\n"
                "allow_hosts = [\"127.0.0.1\"]\n"
                "[[feeds]]\nname = \"store\"\nurl = \"" + http.Url("/feed.json") + "\"\ninterval_s = 1\n"
                "[[feeds]]\nname = \"broken\"\nurl = \"" + http.Url("/bad.json") + "\"\n"
                "[[feeds]]\nname = \"gone\"\nurl = \"" + http.Url("/gone.json") + "\"\n"
                "[[feeds]]\nname = \"flaky\"\nurl = \"" + http.Url("/flaky.json") + "\"\n");
  // A live watcher connected before the daemon binds (ZeroMQ reconnects).
  zmq::context_t ctx(1);
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::subscribe, "finding");
  sub.set(zmq::sockopt::linger, 0);
  sub.connect(d.Ep("publish"));
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  Process consumer;
  std::string out = d.dir + "/violations.jsonl";
  ASSERT_TRUE(consumer.Start({d.Cli(), "consume", "--endpoint", d.Ep("delivery"), "--out", out,
                              "--consumer", "e2e", "--idle-exit", "4000"},
                             d.dir + "/consumer.out", d.dir + "/consumer.err"));
  // 2 scanned; 404, 500, sha256 mismatch, oversize and slow fail.
  ASSERT_TRUE(WaitFor(
      [&] {
        Json st = d.Status();
        return d.Num(st, "queue", "done") == 2 && d.Num(st, "queue", "failed") == 5 &&
               d.Num(st, "queue", "depth") == 0;
      },
      30000))
      << d.Status().dump(1) << ReadAll(d.log());
  ASSERT_TRUE(WaitFor(
      [&] {
        Json st = d.Status();
        return d.Num(st, "outbox", "pending") == 0 && d.Num(st, "outbox", "inflight") == 0;
      },
      15000))
      << d.Status().dump(1);
  EXPECT_EQ(consumer.Wait(15000), 0) << ReadAll(d.dir + "/consumer.err");

  std::set<std::string> expected = ExpectedIds(dbg), clean_ids = ExpectedIds(clean);
  expected.insert(clean_ids.begin(), clean_ids.end());
  ASSERT_FALSE(expected.empty());
  auto lines = DaemonFixture::ReadJsonl(out);
  std::set<std::string> got;
  bool debuggable_with_evidence = false;
  for (const auto& m : lines) {
    EXPECT_TRUE(got.insert(m["id"].get<std::string>()).second) << "duplicate " << m.dump();
    EXPECT_EQ(m["type"], "violation");
    EXPECT_TRUE(m["package"]["sha256"] == Sha(dbg) || m["package"]["sha256"] == Sha(clean));
    EXPECT_EQ(m["source"], "feed:store");
    if (m["rule_id"] == "SEC-DEBUGGABLE") {
      EXPECT_EQ(m["package"]["id"], "com.example.sgd.debug");
      for (const auto& e : m["evidence"]) {
        if (e["location"] == "AndroidManifest.xml") debuggable_with_evidence = true;
      }
    }
  }
  EXPECT_EQ(got, expected);
  EXPECT_TRUE(debuggable_with_evidence) << "no SEC-DEBUGGABLE violation with manifest evidence";

  // Feed errors are reported in status and in the log.
  Json st = d.Status();
  std::map<std::string, Json> feeds;
  for (const auto& f : st["feeds"]) feeds[f["name"]] = f;
  EXPECT_EQ(feeds["store"]["entry_errors"].get<int>() % 2, 0);  // 2 bad entries per poll
  EXPECT_GE(feeds["store"]["entry_errors"].get<int>(), 2);
  EXPECT_EQ(feeds["store"]["download_errors"], 5);
  EXPECT_NE(feeds["broken"]["last_error"].get<std::string>().find("bad feed"), std::string::npos);
  EXPECT_EQ(feeds["gone"]["http_status"], 404);
  EXPECT_EQ(feeds["flaky"]["http_status"], 500);
  std::string log = ReadAll(d.log());
  EXPECT_NE(log.find("sha256 mismatch"), std::string::npos);
  EXPECT_NE(log.find("download.retry"), std::string::npos);
  EXPECT_NE(log.find("HTTP status 404"), std::string::npos);
  EXPECT_GE(http.request_count("/pkg/err.apk"), 2u);  // retried

  // Later sweeps (interval 1 s) do not download or scan the same packages again.
  size_t dbg_requests = http.request_count("/pkg/dbg.apk");
  size_t feed_polls = http.request_count("/feed.json");
  ASSERT_TRUE(WaitFor([&] { return http.request_count("/feed.json") >= feed_polls + 2; }, 10000));
  EXPECT_EQ(http.request_count("/pkg/dbg.apk"), dbg_requests);
  EXPECT_EQ(d.Num(d.Status(), "queue", "results"), 2);
  // Those polls asked with the listing's ETag and were answered 304.
  size_t conditional = 0;
  for (const auto& r : http.requests()) {
    auto it = r.headers.find("if-none-match");
    if (r.path == "/feed.json" && it != r.headers.end() && it->second == "\"feed-v1\"" && r.status == 304) {
      ++conditional;
    }
  }
  EXPECT_GE(conditional, 2u);
  Json later = d.Status();
  for (const auto& f : later["feeds"]) {
    if (f["name"] == "store") {
      EXPECT_GE(f["not_modified"].get<int64_t>(), 2);
      EXPECT_EQ(f["http_status"], 304);
      EXPECT_EQ(f["packages"], 9);  // the cached listing was used
    }
  }

  // A live watcher gets the findings of scans made while it watches (the
  // sweep above may have ended before its subscription arrived; PUB sends
  // nothing to a subscriber that is not there yet).
  ASSERT_TRUE(WaitFor([&] { return d.Status().value("publish", Json::object()).value("watching", false); }, 10000))
      << d.Status().dump(1);
  std::string submitted;
  EXPECT_EQ(RunCommand({d.Cli(), "submit", "--endpoint", d.Ep("submit"), dbg}, &submitted), 1) << submitted;
  zmq::pollitem_t item = {sub.handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, std::chrono::milliseconds(1000));
  ASSERT_TRUE(item.revents & ZMQ_POLLIN);
  zmq::message_t topic, body;
  ASSERT_TRUE(sub.recv(topic));
  ASSERT_TRUE(sub.recv(body));
  EXPECT_EQ(topic.to_string(), "finding");
  EXPECT_EQ(Json::parse(body.to_string())["type"], "finding");

  d.daemon.Signal(SIGTERM);
  EXPECT_EQ(d.daemon.Wait(15000), 0);
}

TEST(DaemonE2E, SubmitStatusReloadAndDrain) {
  std::string dbg = BuildApk(kDebugApk), clean = BuildApk(kCleanApk);
  ASSERT_FALSE(dbg.empty());
  HttpServer http;
  ASSERT_TRUE(http.Start().ok());
  http.Route("/dbg.apk", Serve(ReadFileBytes(dbg)));
  DaemonFixture d;
  std::filesystem::create_directories(d.dir + "/mirror");
  std::filesystem::copy_file(dbg, d.dir + "/mirror/dbg.apk");
  // Path and URL submissions are off by default (issue 11): enabled here,
  // beneath the fixture's directory and for the local test server only.
  d.submit_extra = "allow_paths = true\nallow_urls = true\npath_roots = [\"" +
                   std::filesystem::path(dbg).parent_path().string() + "\"]\n";
  d.WriteConfig("workers = 2", "[[directories]]\nname = \"mirror\"\npath = \"mirror\"\ninterval_s = 1\n"
                               "[http]\nallow_hosts = [\"127.0.0.1\"]\n");
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  ASSERT_TRUE(WaitFor([&] { return d.Num(d.Status(), "queue", "results") == 1; }, 20000)) << ReadAll(d.log());
  EXPECT_EQ(d.Status()["publish"]["watching"], false);  // no subscriber: no finding messages are built

  std::string out;
  EXPECT_EQ(RunCommand({d.Cli(), "submit", "--endpoint", d.Ep("submit"), dbg}, &out), 1) << out;
  EXPECT_NE(out.find("SEC-DEBUGGABLE"), std::string::npos) << out;
  EXPECT_EQ(RunCommand({d.Cli(), "submit", "--endpoint", d.Ep("submit"), "--json", "--by-path", dbg}, &out), 1)
      << out;
  EXPECT_NE(out.find("\"verdict\":\"violation\""), std::string::npos) << out;
  EXPECT_EQ(RunCommand({d.Cli(), "submit", "--endpoint", d.Ep("submit"), http.Url("/dbg.apk")}, &out), 1) << out;
  EXPECT_EQ(RunCommand({d.Cli(), "submit", "--endpoint", d.Ep("submit"), http.Url("/nothing.apk")}, &out), 2)
      << out;
  EXPECT_NE(out.find("404"), std::string::npos) << out;
  WriteAll(d.dir + "/junk.apk", "this is not a zip");
  EXPECT_EQ(RunCommand({d.Cli(), "submit", "--endpoint", d.Ep("submit"), d.dir + "/junk.apk"}, &out), 2) << out;
  EXPECT_EQ(RunCommand({d.Cli(), "submit", "--endpoint", "ipc://" + d.dir + "/nobody.sock", "--timeout", "500",
                        dbg},
                       &out),
            2);
  EXPECT_EQ(RunCommand({d.Cli(), "status", "--endpoint", d.Ep("control")}, &out), 0) << out;
  EXPECT_NE(out.find("queue: depth 0"), std::string::npos) << out;
  EXPECT_NE(out.find("versions: signatures"), std::string::npos) << out;
  EXPECT_NE(out.find("live watchers: none"), std::string::npos) << out;

  // SIGHUP with a new registry: a new registry version rescans the mirror.
  std::string registry = SourceDir() + "/samples/registry.json";
  if (std::filesystem::exists(registry)) {
    int64_t before = d.Num(d.Status(), "queue", "results");
    d.WriteConfig("workers = 2", "[scan]\nregistry = \"" + registry +
                                     "\"\n[[directories]]\nname = \"mirror\"\npath = \"mirror\"\ninterval_s = 1\n");
    d.daemon.Signal(SIGHUP);
    ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(d.log(), "reload.done") == 1; }, 20000))
        << ReadAll(d.log());
    ASSERT_TRUE(WaitFor([&] { return d.Num(d.Status(), "queue", "results") == before + 1; }, 20000));
    Json st = d.Status();
    EXPECT_NE(st["versions"]["registry"], "none");
  }
  // A bad config on SIGHUP is refused and the daemon keeps running.
  WriteAll(d.dir + "/shelfguard.toml", "[daemon]\nworkers = \"many\"\n");
  d.daemon.Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(d.log(), "reload.failed") == 1; }, 10000));
  EXPECT_NE(ReadAll(d.log()).find("daemon.workers"), std::string::npos);
  EXPECT_FALSE(d.Status().is_null());

  d.daemon.Signal(SIGTERM);
  EXPECT_EQ(d.daemon.Wait(15000), 0);
  EXPECT_NE(ReadAll(d.log()).find("daemon.stop"), std::string::npos);
}

// A package that crashes or hangs the scanner (test-only fault switch) is
// recorded with an error; the daemon keeps serving the next jobs.
void CheckIsolation(const std::string& isolation) {
  std::string clean = BuildApk(kCleanApk), dbg = BuildApk(kDebugApk);
  ASSERT_FALSE(clean.empty());
  DaemonFixture d;
  d.WriteConfig("workers = 1", "[limits]\ndeadline_ms = 3000\n[scan]\ngrace_ms = 300\nisolation = \"" +
                                   isolation + "\"\n[spool]\npoll_ms = 50\n");
  ASSERT_TRUE(d.Start({"SHELFGUARD_TEST_FAULT=1"})) << ReadAll(d.log());
  d.Drop(clean, "a-sg-fault-crash.apk");
  d.Drop(clean, "b-sg-fault-hang.apk");
  d.Drop(dbg, "c-normal.apk");
  ASSERT_TRUE(WaitFor([&] { return d.Num(d.Status(), "queue", "done") == 3; }, 60000))
      << d.Status().dump(1) << ReadAll(d.log());
  EXPECT_TRUE(d.daemon.Alive());
  Json st = d.Status();
  EXPECT_EQ(d.Num(st, "errors", "scan"), 2) << st.dump(1) << ReadAll(d.log());
  EXPECT_EQ(d.CountFiles("quarantine"), 3u);  // two errors and one violation
  EXPECT_EQ(d.CountFiles("incoming") + d.CountFiles("work"), 0u);
  std::string log = ReadAll(d.log());
  EXPECT_NE(log.find("signal 6"), std::string::npos) << log;
  EXPECT_NE(log.find("exceeded the deadline"), std::string::npos) << log;
  // And it keeps serving.
  std::string out;
  EXPECT_EQ(RunCommand({d.Cli(), "submit", "--endpoint", d.Ep("submit"), dbg}, &out), 1) << out;
  d.daemon.Signal(SIGTERM);
  EXPECT_EQ(d.daemon.Wait(15000), 0);
}

TEST(DaemonE2E, IsolationProcessCrashAndHangLeaveTheDaemonServing) { CheckIsolation("process"); }
TEST(DaemonE2E, IsolationForkCrashAndHangLeaveTheDaemonServing) { CheckIsolation("fork"); }

TEST(DaemonE2E, CurveAllowList) {
  if (!zmq_has("curve")) GTEST_SKIP() << "libzmq without CURVE";
  const CurveKeys server = NewCurveKeys(), client = NewCurveKeys(), intruder = NewCurveKeys();
  DaemonFixture d;
  d.WriteServerKey(server.sec);
  WriteAll(d.dir + "/client.key", client.sec);
  WriteAll(d.dir + "/intruder.key", intruder.sec);
  d.control_extra = std::string("curve = true\nallow = [\"") + client.pub + "\"]\n";
  d.WriteConfig("workers = 1", "[curve]\nsecret_key_file = \"server.key\"\n");
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  std::string out;
  EXPECT_EQ(RunCommand({d.Cli(), "status", "--endpoint", d.Ep("control"), "--server-key", server.pub,
                        "--client-key-file", d.dir + "/client.key"},
                       &out),
            0)
      << out;
  EXPECT_NE(out.find("queue:"), std::string::npos);
  EXPECT_EQ(RunCommand({d.Cli(), "status", "--endpoint", d.Ep("control"), "--server-key", server.pub,
                        "--client-key-file", d.dir + "/intruder.key", "--timeout", "1500"},
                       &out),
            2);
  EXPECT_EQ(RunCommand({d.Cli(), "status", "--endpoint", d.Ep("control"), "--timeout", "1500"}, &out), 2);
  EXPECT_NE(ReadAll(d.log()).find("auth.denied"), std::string::npos);
  d.daemon.Signal(SIGTERM);
  EXPECT_EQ(d.daemon.Wait(15000), 0);
}

TEST(DaemonE2E, BadConfigIsRejectedAtStartNamingTheKey) {
  DaemonFixture d;
  d.WriteConfig("workers = 1", "[spool]\npoll_ms = -3\n");
  std::string out;
  EXPECT_EQ(RunCommand({d.Daemond(), "--config", d.dir + "/shelfguard.toml"}, &out), 2);
  EXPECT_NE(out.find("spool.poll_ms"), std::string::npos) << out;
  EXPECT_EQ(RunCommand({d.Daemond(), "--help"}, &out), 0);
  EXPECT_NE(out.find("limits.deadline_ms"), std::string::npos);
}

}  // namespace
}  // namespace shelfguard::testing
