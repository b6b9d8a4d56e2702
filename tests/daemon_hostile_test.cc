// Hostile clients against the real daemon (issue 11): malformed and mistyped
// frames on every socket, path submissions that try to read or delete what
// they should not, strangers acknowledging messages, credentials in feed
// URLs, and the per-client limits. After each attack the daemon must still
// answer `status`.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_harness.h"
#include "support/fixtures.h"
#include "support/http_server.h"

namespace shelfguard::testing {
namespace {

// A DEALER speaking to a ROUTER socket: for the REQ-style sockets (submit,
// control) it sends the empty delimiter itself, so any frame count can be sent.
class RawClient {
 public:
  RawClient(const std::string& endpoint, bool req_style) : sock_(ctx_, zmq::socket_type::dealer), req_(req_style) {
    sock_.set(zmq::sockopt::linger, 0);
    sock_.connect(endpoint);
  }
  // A CURVE client (Z85 keys).
  RawClient(const std::string& endpoint, const std::string& server_pub, const std::string& pub,
            const std::string& sec)
      : sock_(ctx_, zmq::socket_type::dealer), req_(true) {
    sock_.set(zmq::sockopt::linger, 0);
    sock_.set(zmq::sockopt::curve_serverkey, server_pub);
    sock_.set(zmq::sockopt::curve_publickey, pub);
    sock_.set(zmq::sockopt::curve_secretkey, sec);
    sock_.connect(endpoint);
  }
  // Sends the frames; returns the reply body ("" when none within timeout).
  std::string Ask(const std::vector<std::string>& frames, int timeout_ms = 1500) {
    Send(frames);
    return Recv(timeout_ms);
  }
  void Send(const std::vector<std::string>& frames) {
    if (req_) sock_.send(zmq::message_t(), zmq::send_flags::sndmore);
    for (size_t i = 0; i < frames.size(); ++i) {
      sock_.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }
  std::string Recv(int timeout_ms) {
    zmq::pollitem_t item = {sock_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms));
    if (!(item.revents & ZMQ_POLLIN)) return "";
    std::string body;
    for (;;) {
      zmq::message_t m;
      if (!sock_.recv(m, zmq::recv_flags::dontwait)) break;
      if (m.size() > 0) body = m.to_string();
      if (!m.more()) break;
    }
    return body;
  }

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t sock_;
  bool req_;
};

Json Parse(const std::string& s) {
  Json j = Json::parse(s, nullptr, false);
  return j.is_discarded() ? Json() : j;
}

// Values of every wrong kind for a field.
std::vector<Json> WrongValues() {
  return {Json(123), Json(nullptr), Json(true), Json(-1), Json(1e300), Json(18446744073709551615ull),
          Json::array({1, "x"}), Json::object({{"a", 1}}), Json(std::string(100000, 'x')), Json("x")};
}

TEST(DaemonHostile, MalformedFramesOnEverySocketNeverStopIt) {
  DaemonFixture d;
  d.WriteConfig("workers = 1", "");
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  RawClient submit(d.Ep("submit"), true), control(d.Ep("control"), true), delivery(d.Ep("delivery"), false);

  // The frames of the report, each answered with bad-request naming the field.
  struct Named {
    RawClient* c;
    std::string body, field;
  } named[] = {
      {&submit, R"({"type":123})", "type"},
      {&submit, R"({"type":null})", "type"},
      {&submit, R"({"type":"submit","request_id":"abcdefgh1235","resume":"yes"})", "resume"},
      {&control, R"({"cmd":1})", "cmd"},
      {&control, R"({"cmd":["status"]})", "cmd"},
      {&delivery, R"({"type":5})", "type"},
      {&delivery, R"({"type":"hello","consumer":5})", "consumer"},
      {&delivery, R"({"type":"fetch","max":"10"})", "max"},
      {&delivery, R"({"type":"fetch","wait_ms":"x"})", "wait_ms"},
  };
  for (const auto& n : named) {
    Json r = Parse(n.c->Ask({n.body}));
    ASSERT_TRUE(r.is_object()) << n.body << "\n" << ReadAll(d.log());
    EXPECT_EQ(r.value("code", ""), "bad-request") << n.body << " -> " << r.dump();
    EXPECT_NE(r.value("error", "").find("'" + n.field + "'"), std::string::npos) << n.body << " -> " << r.dump();
  }

  // Generated: every field of every documented message, with every wrong kind.
  struct Msg {
    RawClient* c;
    Json base;
    std::vector<std::string> fields;
  } msgs[] = {
      {&submit, {{"type", "submit"}, {"name", "a.apk"}}, {"type", "request_id", "resume", "name", "url", "sha256", "path"}},
      {&control, {{"cmd", "status"}}, {"cmd"}},
      {&delivery, {{"type", "hello"}, {"consumer", "h"}}, {"type", "consumer"}},
      {&delivery, {{"type", "fetch"}, {"consumer", "h"}, {"max", 1}, {"wait_ms", 0}}, {"type", "consumer", "max", "wait_ms"}},
      {&delivery, {{"type", "ack"}, {"consumer", "h"}, {"ids", Json::array({"x"})}}, {"type", "consumer", "ids"}},
  };
  int sent = 0;
  for (auto& m : msgs) {
    for (const auto& f : m.fields) {
      for (const auto& v : WrongValues()) {
        Json j = m.base;
        j[f] = v;
        m.c->Ask({j.dump()}, 500);  // answered or ignored; the daemon must live
        ++sent;
      }
    }
  }
  EXPECT_GT(sent, 100);
  // Deep nesting, huge numbers, not JSON, not objects, wrong frame counts.
  std::string deep(200000, '[');
  for (RawClient* c : {&submit, &control, &delivery}) {
    for (const std::string& body : {deep, std::string("[]"), std::string("\"x\""), std::string("nul"),
                                    std::string("{\"type\":1e999999}"), std::string(), std::string("\xff\xfe")}) {
      c->Ask({body}, 300);
    }
    c->Ask({R"({"cmd":"status"})", "x", "y", "z", "w", "v", "u", "t", "s", "r"}, 300);
    c->Ask({"", ""}, 300);
  }
  EXPECT_TRUE(d.daemon.Alive()) << ReadAll(d.log());
  Json st = d.Status();
  ASSERT_TRUE(st.is_object()) << ReadAll(d.log());
  EXPECT_EQ(st.value("ok", false), true);
  // The clamd-style verbs answer too.
  EXPECT_EQ(Parse(control.Ask({R"({"cmd":"ping"})"})).value("ok", false), true);
  Json v = Parse(control.Ask({R"({"cmd":"version"})"}));
  EXPECT_TRUE(v["versions"].contains("signatures")) << v.dump();
  EXPECT_TRUE(v["versions"].contains("registry")) << v.dump();
}

TEST(DaemonHostile, PathSubmissionsCannotReadOrDeleteWhatTheyShouldNot) {
  DaemonFixture d;
  std::string roots = d.dir + "/allowed";
  std::filesystem::create_directories(roots);
  std::string apk = BuildApk(R"({"package": "com.example.hostile", "version_code": 1})");
  ASSERT_FALSE(apk.empty());
  std::filesystem::copy_file(apk, roots + "/good.apk");
  d.WriteConfig("workers = 1", "");
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  RawClient submit(d.Ep("submit"), true);
  auto ask_path = [&](const std::string& p) {
    return Parse(submit.Ask({Json({{"type", "submit"}, {"path", p}}).dump()}, 5000));
  };
  // Off by default.
  Json r = ask_path(roots + "/good.apk");
  EXPECT_EQ(r.value("code", ""), "bad-request") << r.dump();
  EXPECT_NE(r.value("error", "").find("disabled"), std::string::npos) << r.dump();
  d.daemon.Kill(SIGTERM);

  d.submit_extra = "allow_paths = true\npath_roots = [\"allowed\"]\n";
  d.WriteConfig("workers = 1", "");
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  std::string db = d.dir + "/state/queue.db";
  ASSERT_TRUE(std::filesystem::exists(db));
  std::string victim = d.dir + "/victim";
  WriteAll(victim, "secret");
  ASSERT_EQ(::symlink(victim.c_str(), (roots + "/link.apk").c_str()), 0);
  ASSERT_EQ(::symlink(d.dir.c_str(), (roots + "/dirlink").c_str()), 0);
  ASSERT_EQ(::mkfifo((roots + "/fifo.apk").c_str(), 0600), 0);
  const std::string attacks[] = {
      roots + "/../victim", roots + "/link.apk", roots + "/dirlink/victim", roots + "/fifo.apk",
      "/proc/self/environ", "/etc/shadow", d.spool() + "/submit/../../queue.db", "relative.apk",
      roots + "/missing.apk"};
  for (const auto& a : attacks) {
    auto t0 = std::chrono::steady_clock::now();
    Json e = ask_path(a);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3)) << a;  // a FIFO never blocks
    EXPECT_EQ(e.value("ok", true), false) << a << " -> " << e.dump();
    EXPECT_FALSE(e.contains("sha256")) << a;
    std::string err = e.value("error", "");
    if (a.find(d.spool()) == std::string::npos) {
      EXPECT_EQ(err.find(d.spool()), std::string::npos) << "internal path disclosed: " << err;
    }
  }
  // A good one is scanned from the daemon's copy; the client's file stays.
  Json ok = ask_path(roots + "/good.apk");
  EXPECT_EQ(ok.value("ok", false), true) << ok.dump() << ReadAll(d.log());
  EXPECT_TRUE(std::filesystem::exists(roots + "/good.apk"));
  EXPECT_TRUE(std::filesystem::exists(victim));
  EXPECT_TRUE(std::filesystem::exists(db));
  EXPECT_EQ(d.CountFiles("submit"), 0u);  // the daemon's own copy is removed
  EXPECT_TRUE(d.Status().is_object());
}

TEST(DaemonHostile, SpoolSymlinksAndFifosAreMovedAsideNeverFollowed) {
  DaemonFixture d;
  d.WriteConfig("workers = 1", "[spool]\npoll_ms = 50\nsettle_ms = 1\n");
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  std::string victim = d.dir + "/victim.apk";
  WriteAll(victim, "not yours");
  ASSERT_EQ(::symlink(victim.c_str(), (d.spool() + "/incoming/link.apk").c_str()), 0);
  ASSERT_EQ(::mkfifo((d.spool() + "/incoming/fifo.apk").c_str(), 0600), 0);
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(d.log(), "\"spool.refused\"") >= 2; }, 10000))
      << ReadAll(d.log());
  EXPECT_EQ(d.CountFiles("incoming"), 0u);
  EXPECT_EQ(d.Num(d.Status(), "queue", "results"), 0);  // neither was scanned
  EXPECT_EQ(ReadAll(victim), "not yours");
}

TEST(DaemonHostile, StrangersCannotAcknowledgeAndLimitsAreReported) {
  std::string apk = BuildApk(R"({"package": "com.example.ack", "version_code": 1,
                                 "application": {"debuggable": true}})");
  ASSERT_FALSE(apk.empty());
  DaemonFixture d;
  d.delivery_extra = "max_parked = 2\n";
  d.WriteConfig("workers = 1", "");
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  RawClient submit(d.Ep("submit"), true);
  Json r = Parse(submit.Ask({R"({"type":"submit","name":"a.apk"})", ReadAll(apk)}, 30000));
  ASSERT_EQ(r.value("ok", false), true) << r.dump() << ReadAll(d.log());
  std::vector<std::string> ids;
  for (const auto& f : r["findings"]) {
    if (f.value("severity", "") == "violation" || f.value("severity", "") == "block") ids.push_back(f.value("id", ""));
  }
  ASSERT_FALSE(ids.empty()) << r.dump();
  // The submitter acks the ids from its reply before any consumer fetched.
  RawClient stranger(d.Ep("delivery"), false);
  Json a = Parse(stranger.Ask({Json({{"type", "ack"}, {"consumer", "default"}, {"ids", ids}}).dump()}));
  EXPECT_EQ(a.value("count", -1), 0) << a.dump();
  EXPECT_EQ(a.value("refused", 0), static_cast<int64_t>(ids.size())) << a.dump();
  // A consumer fetches them; another connection using its name cannot ack.
  RawClient consumer(d.Ep("delivery"), false);
  consumer.Ask({R"({"type":"hello","consumer":"c1"})"});
  Json batch = Parse(consumer.Ask({R"({"type":"fetch","consumer":"c1","max":100,"wait_ms":2000})"}, 5000));
  ASSERT_EQ(batch["messages"].size(), ids.size()) << batch.dump();
  Json a2 = Parse(stranger.Ask({Json({{"type", "ack"}, {"consumer", "c1"}, {"ids", ids}}).dump()}));
  EXPECT_EQ(a2.value("count", -1), 0) << a2.dump();
  Json a3 = Parse(consumer.Ask({Json({{"type", "ack"}, {"consumer", "c1"}, {"ids", ids}}).dump()}));
  EXPECT_EQ(a3.value("count", -1), static_cast<int64_t>(ids.size())) << a3.dump();
  Json st = d.Status();
  EXPECT_EQ(st["delivery"].value("acks_refused", 0), static_cast<int64_t>(2 * ids.size())) << st.dump();

  // Parked fetches are bounded (delivery.max_parked = 2).
  RawClient p1(d.Ep("delivery"), false), p2(d.Ep("delivery"), false), p3(d.Ep("delivery"), false);
  p1.Send({R"({"type":"fetch","consumer":"p1","wait_ms":3000})"});
  p2.Send({R"({"type":"fetch","consumer":"p2","wait_ms":3000})"});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Json busy = Parse(p3.Ask({R"({"type":"fetch","consumer":"p3","wait_ms":3000})"}, 1000));
  EXPECT_EQ(busy.value("code", ""), "busy") << busy.dump();
  // A second hello with p1's name answers p1's parked fetch.
  RawClient p1b(d.Ep("delivery"), false);
  p1b.Ask({R"({"type":"hello","consumer":"p1"})"});
  Json answered = Parse(p1.Recv(1000));
  EXPECT_EQ(answered.value("type", ""), "batch") << answered.dump();
  st = d.Status();
  EXPECT_GE(st["limits"]["hits"].value("delivery.max_parked", 0), 1) << st.dump();
}

// Issue 11 item 7: the bytes of submissions waiting for a verdict are
// capped (submit.max_pending_bytes): while one is pending, another that would
// pass the cap is answered 'busy' and counted in limits.hits.
TEST(DaemonHostile, PendingSubmissionBytesAreCapped) {
  std::string apk = BuildApk(R"({"package": "com.example.bytes", "version_code": 1})");
  ASSERT_FALSE(apk.empty());
  std::string bytes = ReadAll(apk) + std::string(40000, '\0');  // trailing bytes: still a zip
  DaemonFixture d;
  d.submit_extra = "max_pending_bytes = 60000\n";
  d.WriteConfig("workers = 1", "[limits]\ndeadline_ms = 2000\n[scan]\ngrace_ms = 200\n[spool]\npoll_ms = 50\n");
  ASSERT_TRUE(d.Start({"SHELFGUARD_TEST_FAULT=1"})) << ReadAll(d.log());
  // The one worker is held by a hanging scan, so the first submission waits.
  d.Drop(apk, "a-sg-fault-hang.apk");
  ASSERT_TRUE(WaitFor([&] { return d.Num(d.Status(200), "daemon", "busy_workers") == 1; }, 20000));
  RawClient first(d.Ep("submit"), true), second(d.Ep("submit"), true), small(d.Ep("submit"), true);
  first.Send({R"({"type":"submit","name":"first.apk"})", bytes});
  ASSERT_TRUE(WaitFor([&] { return d.Num(d.Status(200), "limits", "pending_submit_bytes") > 0; }, 5000));
  Json busy = Parse(second.Ask({R"({"type":"submit","name":"second.apk"})", bytes}, 2000));
  EXPECT_EQ(busy.value("code", ""), "busy") << busy.dump();
  EXPECT_NE(busy.value("error", "").find("submit.max_pending_bytes"), std::string::npos) << busy.dump();
  Json st = d.Status();
  EXPECT_EQ(st["limits"]["hits"].value("submit.max_pending_bytes", 0), 1) << st.dump();
  EXPECT_EQ(st["limits"].value("pending_submit_bytes", 0), static_cast<int64_t>(bytes.size())) << st.dump();
  // One that fits is taken; the first gets its verdict and the bytes are released.
  small.Send({R"({"type":"submit","name":"small.apk"})", ReadAll(apk)});
  Json r = Parse(first.Recv(30000));
  EXPECT_EQ(r.value("ok", false), true) << r.dump() << ReadAll(d.log());
  Json r2 = Parse(small.Recv(30000));
  EXPECT_EQ(r2.value("ok", false), true) << r2.dump();
  EXPECT_EQ(d.Num(d.Status(), "limits", "pending_submit_bytes"), 0);
}

// Issue 11 item 7, per client: one client (here: one CURVE key, over two
// connections) cannot take the whole submit.max_pending_bytes budget; its
// second pending submission passes submit.max_client_pending_bytes and is
// answered 'busy' naming it, while another client's is taken; nor every
// pending slot (submit.max_client_pending).
TEST(DaemonHostile, OneClientCannotTakeThePendingByteBudget) {
  if (!zmq_has("curve")) GTEST_SKIP() << "libzmq without CURVE";
  std::string apk = BuildApk(R"({"package": "com.example.perclient", "version_code": 1})");
  ASSERT_FALSE(apk.empty());
  std::string bytes = ReadAll(apk) + std::string(40000, '\0');  // trailing bytes: still a zip
  const CurveKeys server = NewCurveKeys(), a = NewCurveKeys(), b_keys = NewCurveKeys();
  DaemonFixture d;
  d.WriteServerKey(server.sec);
  d.submit_extra = std::string("max_pending_bytes = 10000000\nmax_client_pending_bytes = 60000\n"
                               "max_client_pending = 2\ncurve = true\n") +
                   "allow = [\"" + a.pub + "\", \"" + b_keys.pub + "\"]\n";
  d.WriteConfig("workers = 1", "[curve]\nsecret_key_file = \"server.key\"\n[limits]\ndeadline_ms = 2000\n"
                               "[scan]\ngrace_ms = 200\n[spool]\npoll_ms = 50\n");
  ASSERT_TRUE(d.Start({"SHELFGUARD_TEST_FAULT=1"})) << ReadAll(d.log());
  d.Drop(apk, "a-sg-fault-hang.apk");  // holds the one worker: submissions wait
  ASSERT_TRUE(WaitFor([&] { return d.Num(d.Status(200), "daemon", "busy_workers") == 1; }, 20000));
  RawClient a1(d.Ep("submit"), server.pub, a.pub, a.sec), a2(d.Ep("submit"), server.pub, a.pub, a.sec);
  RawClient b(d.Ep("submit"), server.pub, b_keys.pub, b_keys.sec);
  a1.Send({R"({"type":"submit","name":"a1.apk"})", bytes});
  ASSERT_TRUE(WaitFor([&] { return d.Num(d.Status(200), "limits", "pending_submit_bytes") > 0; }, 5000));
  // Same key, another connection: still the same client.
  Json busy = Parse(a2.Ask({R"({"type":"submit","name":"a2.apk"})", bytes}, 3000));
  EXPECT_EQ(busy.value("code", ""), "busy") << busy.dump();
  EXPECT_NE(busy.value("error", "").find("submit.max_client_pending_bytes"), std::string::npos) << busy.dump();
  // Another client is not refused for what the first one holds.
  b.Send({R"({"type":"submit","name":"b.apk"})", bytes});
  ASSERT_TRUE(WaitFor([&] { return d.Num(d.Status(200), "limits", "pending_submit_clients") == 2; }, 5000))
      << d.Status().dump();
  // B's second (small: within its bytes) is taken, its third passes
  // submit.max_client_pending = 2.
  std::string small = ReadAll(apk);
  b.Send({R"({"type":"submit","name":"b2.apk"})", small});
  ASSERT_TRUE(WaitFor([&] { return d.Num(d.Status(200), "limits", "pending_submits") == 3; }, 5000))
      << d.Status().dump();
  Json busy_count = Parse(b.Ask({R"({"type":"submit","name":"b3.apk"})", small}, 3000));
  EXPECT_EQ(busy_count.value("code", ""), "busy") << busy_count.dump();
  EXPECT_NE(busy_count.value("error", "").find("submit.max_client_pending)"), std::string::npos)
      << busy_count.dump();
  Json st = d.Status();
  EXPECT_EQ(st["limits"]["hits"].value("submit.max_client_pending_bytes", 0), 1) << st.dump();
  EXPECT_EQ(st["limits"]["hits"].value("submit.max_client_pending", 0), 1) << st.dump();
  EXPECT_EQ(st["limits"]["hits"].value("submit.max_pending_bytes", 0), 0) << st.dump();
  EXPECT_EQ(st["limits"].value("pending_submit_bytes", 0),
            2 * static_cast<int64_t>(bytes.size()) + static_cast<int64_t>(small.size()))
      << st.dump();
  EXPECT_EQ(st["limits"].value("submit_max_client_pending_bytes", 0), 60000) << st.dump();
  EXPECT_EQ(st["limits"].value("submit_max_client_pending", 0), 2) << st.dump();
  Json ra = Parse(a1.Recv(30000));
  EXPECT_EQ(ra.value("ok", false), true) << ra.dump() << ReadAll(d.log());
  for (int i = 0; i < 2; ++i) {  // b.apk and b2.apk, in either order
    Json rb = Parse(b.Recv(30000));
    EXPECT_EQ(rb.value("ok", false), true) << rb.dump();
  }
  // Answered: the client's budget is free again.
  st = d.Status();
  EXPECT_EQ(st["limits"].value("pending_submit_bytes", -1), 0) << st.dump();
  EXPECT_EQ(st["limits"].value("pending_submit_clients", -1), 0) << st.dump();
  Json again = Parse(a2.Ask({R"({"type":"submit","name":"a2.apk"})", ReadAll(apk)}, 30000));
  EXPECT_EQ(again.value("ok", false), true) << again.dump();
}

// `when` seconds ago, for futimens/utimensat.
void Ago(timespec t[2], int64_t seconds) {
  ::clock_gettime(CLOCK_REALTIME, &t[0]);
  t[0].tv_sec -= seconds;
  t[1] = t[0];
}

std::string Sha256Of(const std::string& path) {
  uint64_t size = 0;
  auto s = Sha256File(path, &size);
  return s.ok() ? *s : "";
}

// The rows of a one-column query, joined with ','.
std::string Query(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
      while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char* v = sqlite3_column_text(st, 0);
        out += (out.empty() ? "" : ",") + std::string(v != nullptr ? reinterpret_cast<const char*>(v) : "");
      }
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

// The scan.done log line of a package whose name contains `package` (null when none).
Json ScanDone(const std::string& log, const std::string& package) {
  for (const auto& j : DaemonFixture::ReadJsonl(log)) {
    if (j.value("event", "") == "scan.done" && j.value("package", "").find(package) != std::string::npos) return j;
  }
  return Json();
}

// Issue 11 item 9: a spool writer that pauses longer than spool.settle_ms
// (and whose file even looks old) is not scanned half-written: while the
// file is open for writing (the kernel refuses a read lease) it stays in
// incoming/; once the writer closes it, it is taken whole.
TEST(DaemonHostile, SpoolFileOpenForWritingWaitsForItsWriter) {
  std::string apk = BuildApk(R"({"package": "com.example.slowwriter", "version_code": 1})");
  ASSERT_FALSE(apk.empty());
  std::string full = ReadAll(apk);
  DaemonFixture d;
  d.WriteConfig("workers = 1", "[scan]\nisolation = \"none\"\n[spool]\npoll_ms = 50\nsettle_ms = 200\n");
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  std::string path = d.spool() + "/incoming/writer.apk";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  size_t half = full.size() / 2;
  ASSERT_EQ(::write(fd, full.data(), half), static_cast<ssize_t>(half));
  timespec old[2];
  Ago(old, 3600);
  ASSERT_EQ(::futimens(fd, old), 0);  // past any settle time: only the open descriptor tells
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(d.log(), "\"spool.writing\"") >= 5; }, 10000))
      << ReadAll(d.log());
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(d.Num(d.Status(), "throughput", "scanned"), 0);
  ASSERT_EQ(::write(fd, full.data() + half, full.size() - half), static_cast<ssize_t>(full.size() - half));
  ASSERT_EQ(::futimens(fd, old), 0);
  ::close(fd);
  ASSERT_TRUE(WaitFor([&] { return d.Num(d.Status(200), "throughput", "scanned") == 1; }, 20000))
      << ReadAll(d.log());
  EXPECT_FALSE(std::filesystem::exists(path));
  Json done = ScanDone(d.log(), "writer.apk");
  EXPECT_EQ(done.value("sha256", ""), Sha256Of(apk)) << done.dump();  // the whole file was scanned
  EXPECT_NE(done.value("verdict", ""), "error") << done.dump();
}

// Issue 11 item 9: SIGTERM while a feed download trickles in aborts the
// transfer at once (not after http.total_timeout_ms), the daemon exits 0
// within its drain budget, and the job is queued again (the attempt not
// counted), to be downloaded and scanned after the restart.
TEST(DaemonHostile, StopAbortsAFeedDownloadAndTheJobRunsAfterRestart) {
  std::string apk = BuildApk(R"({"package": "com.example.trickle", "version_code": 1})");
  ASSERT_FALSE(apk.empty());
  std::string bytes = ReadAll(apk);
  HttpServer http;
  ASSERT_TRUE(http.Start().ok());
  HttpRoute slow;
  slow.body = bytes;
  slow.drip_ms = 100;  // 16 bytes each 100 ms: minutes for the whole package
  slow.drip_bytes = 16;
  http.Route("/pkg/trickle.apk", slow);
  HttpRoute feed;
  feed.body = Json({{"format", "shelfguard-feed/1"},
                    {"packages",
                     {{{"platform", "android"}, {"app_id", "com.example.trickle"}, {"version", "1"},
                       {"url", "pkg/trickle.apk"}, {"sha256", Sha256Of(apk)}, {"size", bytes.size()}}}}})
                  .dump();
  http.Route("/feed.json", feed);
  DaemonFixture d;
  d.WriteConfig("workers = 1", "[scan]\nisolation = \"none\"\n[http]\nallow_hosts = [\"127.0.0.1\"]\n"
                               "[[feeds]]\nname = \"store\"\nurl = \"" + http.Url("/feed.json") + "\"\n");
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  ASSERT_TRUE(WaitFor([&] { return http.request_count("/pkg/trickle.apk") >= 1 ||
                                   d.Num(d.Status(200), "queue", "running") == 1; }, 20000))
      << ReadAll(d.log());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // bytes are flowing
  auto t0 = std::chrono::steady_clock::now();
  d.daemon.Signal(SIGTERM);
  EXPECT_EQ(d.daemon.Wait(10000), 0) << ReadAll(d.log());
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  // Promptly: well inside the 300 s http.total_timeout_ms it waited before,
  // with room for a sanitizer build on a loaded machine.
  EXPECT_LT(ms, 5000) << "stop took " << ms << " ms";
  EXPECT_EQ(DaemonFixture::CountIn(d.log(), "\"download.interrupted\""), 1u) << ReadAll(d.log());
  EXPECT_EQ(DaemonFixture::CountIn(d.log(), "\"job.failed\""), 0u) << ReadAll(d.log());
  EXPECT_EQ(Query(d.dir + "/state/queue.db", "SELECT state || ':' || attempts FROM jobs"), "queued:0");
  // After the restart the same job downloads (now at full speed) and is scanned.
  slow.drip_ms = 0;
  http.Route("/pkg/trickle.apk", slow);
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  ASSERT_TRUE(WaitFor([&] { return d.Num(d.Status(200), "queue", "results") == 1; }, 20000)) << ReadAll(d.log());
  Json st = d.Status();
  EXPECT_EQ(st["queue"].value("failed", -1), 0) << st.dump();
  // Scanned once. The restarted daemon also polls the feed at start; when
  // that poll lands after the re-queued job finished, it queues the entry
  // again and the job is skipped as already scanned (a second "done" job,
  // not a second scan).
  EXPECT_EQ(d.Num(st, "throughput", "scanned"), 1) << st.dump();
  EXPECT_EQ(ScanDone(d.log(), "com.example.trickle").is_null(), false) << ReadAll(d.log());
}

// Issue 11 item 7: queue.retain_days removes finished jobs and their
// results, acknowledged outbox messages and the spool's done/ and
// quarantine/ files once they are older than the retention; younger ones
// stay. The test plays the clock: it dates rows and files back two days
// between two runs of the daemon (the purge runs at start, then hourly).
TEST(DaemonHostile, RetainDaysPurgesOldResultsAckedMessagesAndSpoolFiles) {
  std::string dbg = BuildApk(R"({"package": "com.example.retain.debug", "version_code": 1,
                                 "application": {"debuggable": true}})");
  std::string clean = BuildApk(R"({"package": "com.example.retain.clean", "version_code": 1})");
  std::string fresh = BuildApk(R"({"package": "com.example.retain.fresh", "version_code": 1})");
  ASSERT_FALSE(dbg.empty() || clean.empty() || fresh.empty());
  DaemonFixture d;
  d.WriteConfig("workers = 1", "[scan]\nisolation = \"none\"\n[spool]\npoll_ms = 50\n[queue]\nretain_days = 1\n");
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  d.Drop(dbg, "old-debug.apk");
  d.Drop(clean, "old-clean.apk");
  ASSERT_TRUE(WaitFor([&] { return d.Num(d.Status(200), "queue", "results") == 2; }, 20000)) << ReadAll(d.log());
  // A consumer takes and acknowledges the debuggable package's violations.
  RawClient consumer(d.Ep("delivery"), false);
  consumer.Ask({R"({"type":"hello","consumer":"c1"})"});
  Json batch = Parse(consumer.Ask({R"({"type":"fetch","consumer":"c1","max":100,"wait_ms":2000})"}, 5000));
  ASSERT_TRUE(batch.contains("messages") && !batch["messages"].empty()) << batch.dump();
  std::vector<std::string> ids;
  for (const auto& m : batch["messages"]) ids.push_back(m.value("id", ""));
  Json acked = Parse(consumer.Ask({Json({{"type", "ack"}, {"consumer", "c1"}, {"ids", ids}}).dump()}));
  ASSERT_EQ(acked.value("count", 0), static_cast<int64_t>(ids.size())) << acked.dump();
  d.Drop(fresh, "fresh.apk");
  ASSERT_TRUE(WaitFor([&] { return d.Num(d.Status(200), "queue", "results") == 3; }, 20000)) << ReadAll(d.log());
  EXPECT_EQ(d.CountFiles("done") + d.CountFiles("quarantine"), 3u);
  d.daemon.Signal(SIGTERM);
  ASSERT_EQ(d.daemon.Wait(10000), 0);

  // Two days pass for everything but fresh.apk.
  const int64_t kTwoDaysMs = 2 * 86400 * 1000;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((d.dir + "/state/queue.db").c_str(), &db), SQLITE_OK);
  std::string sql = "UPDATE jobs SET finished_ms = finished_ms - " + std::to_string(kTwoDaysMs) +
                    " WHERE name != 'fresh.apk'; UPDATE outbox SET acked_ms = acked_ms - " +
                    std::to_string(kTwoDaysMs) + " WHERE state = 'acked';";
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  EXPECT_GT(sqlite3_changes(db), 0);
  sqlite3_close(db);
  timespec old[2];
  Ago(old, 2 * 86400);
  std::string fresh_file;
  for (const char* sub : {"done", "quarantine"}) {
    for (const auto& e : std::filesystem::directory_iterator(d.spool() + "/" + sub)) {
      if (e.path().filename().string().find("fresh.apk") != std::string::npos) {
        fresh_file = e.path().string();
        continue;
      }
      ASSERT_EQ(::utimensat(AT_FDCWD, e.path().c_str(), old, AT_SYMLINK_NOFOLLOW), 0);
    }
  }
  ASSERT_FALSE(fresh_file.empty());

  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(d.log(), "\"queue.purged\"") >= 1; }, 10000))
      << ReadAll(d.log());
  Json st = d.Status();
  EXPECT_EQ(st["queue"].value("results", -1), 1) << st.dump();
  EXPECT_EQ(st["queue"].value("done", -1), 1) << st.dump();
  EXPECT_EQ(st["outbox"].value("acked", -1), 0) << st.dump();
  EXPECT_EQ(d.CountFiles("done") + d.CountFiles("quarantine"), 1u);
  EXPECT_TRUE(std::filesystem::exists(fresh_file));
  Json purged;
  for (const auto& j : DaemonFixture::ReadJsonl(d.log())) {
    if (j.value("event", "") == "queue.purged") purged = j;
  }
  EXPECT_EQ(purged.value("jobs", 0), 2) << purged.dump();
  EXPECT_EQ(purged.value("files", 0), 2) << purged.dump();
}

TEST(DaemonHostile, FeedCredentialsAreRedactedInStatusAndLogs) {
  HttpServer http;
  ASSERT_TRUE(http.Start().ok());
  std::string url = http.Url("/feed.json") + "?token=s3cr3t&v=2";
  url.replace(0, 7, "http://user:hunter2@");
  DaemonFixture d;
  // deny_private (the default) refuses the loopback server: the poll fails,
  // and the URL is printed in the status reply, its last_error and the log.
  d.WriteConfig("workers = 1", "[http]\nconnect_timeout_ms = 500\n[[feeds]]\nname = \"store\"\n"
                               "url = \"" + url + "\"\ninterval_s = 1\n");
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  ASSERT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(d.log(), "feed.error") >= 1; }, 10000)) << ReadAll(d.log());
  Json st = d.Status();
  std::string text = st.dump() + ReadAll(d.log());
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_EQ(text.find("s3cr3t"), std::string::npos) << text;
  EXPECT_NE(st["feeds"][0].value("url", "").find("v=2"), std::string::npos) << st.dump();
  // deny_private (the default) refuses the loopback address before a request.
  EXPECT_NE(st["feeds"][0].value("last_error", "").find("deny_private"), std::string::npos) << st.dump();
}

TEST(DaemonHostile, SecretKeyReadableByOthersIsRefused) {
  DaemonFixture d;
  char pub[41], sec[41];
  ASSERT_EQ(zmq_curve_keypair(pub, sec), 0);
  WriteAll(d.dir + "/server.key", sec);
  ::chmod((d.dir + "/server.key").c_str(), 0644);
  d.control_extra = std::string("curve = true\nallow = [\"") + pub + "\"]\n";
  d.WriteConfig("workers = 1", "[curve]\nsecret_key_file = \"server.key\"\n");
  std::string out;
  EXPECT_EQ(RunCommand({d.Daemond(), "--config", d.dir + "/shelfguard.toml", "--check"}, &out), 2) << out;
  EXPECT_NE(out.find("curve.secret_key_file"), std::string::npos) << out;
}

}  // namespace
}  // namespace shelfguard::testing
