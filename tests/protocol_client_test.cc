// docs/protocol.md says a store can get a verdict with nothing but libzmq and
// a JSON parser. The client below (namespace rawclient) is written from that
// page alone: libzmq's C API and the standard library, no shelfguard header,
// no cppzmq. The test harness only starts the real daemon and builds a
// package; the test then checks the reply against the page's field list.
#include <zmq.h>

#include <cstring>
#include <string>
#include <vector>

namespace rawclient {

// One request of `frames` on a REQ socket (or a DEALER, which then sends the
// empty delimiter frame itself and skips it in the reply). Returns the reply
// frame, or "" when none came within `timeout_ms`.
std::string Request(const std::string& endpoint, const std::vector<std::string>& frames, bool dealer,
                    int timeout_ms) {
  void* ctx = zmq_ctx_new();
  void* s = zmq_socket(ctx, dealer ? ZMQ_DEALER : ZMQ_REQ);
  int linger = 0;
  zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
  zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
  std::string reply;
  bool sent = zmq_connect(s, endpoint.c_str()) == 0;
  if (sent && dealer) sent = zmq_send(s, "", 0, ZMQ_SNDMORE) == 0;
  for (size_t i = 0; sent && i < frames.size(); ++i) {
    int flags = i + 1 < frames.size() ? ZMQ_SNDMORE : 0;
    sent = zmq_send(s, frames[i].data(), frames[i].size(), flags) == static_cast<int>(frames[i].size());
  }
  while (sent) {
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, s, 0) < 0) {
      zmq_msg_close(&m);
      break;
    }
    std::string frame(static_cast<const char*>(zmq_msg_data(&m)), zmq_msg_size(&m));
    zmq_msg_close(&m);
    if (dealer && frame.empty()) continue;  // the delimiter
    reply = frame;
    break;
  }
  zmq_close(s);
  zmq_ctx_term(ctx);
  return reply;
}

}  // namespace rawclient

// ---------------------------------------------------------------- the test
#include <gtest/gtest.h>

#include "daemon_harness.h"
#include "support/fixtures.h"

namespace shelfguard::testing {
namespace {

const char kDebugApk[] =
    R"({"package": "com.example.proto.debug", "version_code": 3, "version_name": "3.0",
        "application": {"debuggable": true}})";

TEST(ProtocolClient, LibzmqOnlyClientGetsAVerdictAsDocumented) {
  std::string apk = BuildApk(kDebugApk);
  ASSERT_FALSE(apk.empty());
  std::string bytes = ReadAll(apk);
  DaemonFixture d;
  d.WriteConfig("workers = 1", "");
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  const std::string ep = d.Ep("submit");

  // REQ: frame 1 the request, frame 2 the bytes; one reply frame.
  std::string text = rawclient::Request(ep, {R"({"type":"submit","name":"debug.apk"})", bytes}, false, 60000);
  ASSERT_FALSE(text.empty()) << ReadAll(d.log());
  Json r = Json::parse(text, nullptr, false);
  ASSERT_TRUE(r.is_object()) << text;
  EXPECT_EQ(r["ok"], true);
  EXPECT_TRUE(r["job_id"].is_number_integer());
  EXPECT_EQ(r["verdict"], "violation");
  EXPECT_EQ(r["error"], "");
  EXPECT_EQ(r["sha256"], Sha256Hex(bytes));
  ASSERT_TRUE(r["report"].is_object());
  EXPECT_EQ(r["report"]["package"]["id"], "com.example.proto.debug");
  ASSERT_TRUE(r["findings"].is_array());
  bool debuggable = false;
  for (const auto& f : r["findings"]) {
    // Every key the page lists for a finding object.
    for (const char* k : {"id", "type", "job_id", "source", "package", "verdict", "rule_id", "severity",
                          "message_en", "message_zh", "basis", "evidence", "signatures_version",
                          "registry_version", "scanned_at"}) {
      EXPECT_TRUE(f.contains(k)) << k << " missing in " << f.dump();
    }
    EXPECT_EQ(f["type"], "finding");
    EXPECT_EQ(f["source"], "submit");
    EXPECT_EQ(f["id"].get<std::string>().size(), 64u);
    for (const char* k : {"file", "sha256", "size", "platform", "id", "label", "version_name", "version_code"}) {
      EXPECT_TRUE(f["package"].contains(k)) << k;
    }
    debuggable = debuggable || f["rule_id"] == "SEC-DEBUGGABLE";
  }
  EXPECT_TRUE(debuggable) << text.substr(0, 2000);

  // DEALER: the client sends and skips the empty delimiter itself.
  text = rawclient::Request(ep, {R"({"type":"submit","name":"debug.apk"})", bytes}, true, 60000);
  r = Json::parse(text, nullptr, false);
  ASSERT_TRUE(r.is_object()) << text;
  EXPECT_EQ(r["verdict"], "violation");

  // Refusals carry ok=false, a sentence and a code.
  r = Json::parse(rawclient::Request(ep, {R"({"type":"submit"})", bytes, "x"}, false, 10000), nullptr, false);
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["code"], "bad-request");
  r = Json::parse(rawclient::Request(ep, {R"({"type":"submit","name":7})", bytes}, false, 10000), nullptr, false);
  EXPECT_EQ(r["code"], "bad-request");
  EXPECT_NE(r["error"].get<std::string>().find("'name'"), std::string::npos) << r.dump();
  r = Json::parse(rawclient::Request(ep, {R"({"type":"submit","request_id":"never-queued-1","resume":true})"},
                                     false, 10000),
                  nullptr, false);
  EXPECT_EQ(r["code"], "unknown-request") << r.dump();

  // request_id: asking again is answered from the stored result.
  r = Json::parse(rawclient::Request(ep, {R"({"type":"submit","request_id":"proto-test-42"})", bytes}, false, 60000),
                  nullptr, false);
  ASSERT_EQ(r["ok"], true) << r.dump();
  int64_t job = r["job_id"].get<int64_t>();
  r = Json::parse(rawclient::Request(ep, {R"({"type":"submit","request_id":"proto-test-42","resume":true})"},
                                     false, 10000),
                  nullptr, false);
  EXPECT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["resumed"], true);
  EXPECT_EQ(r["job_id"], job);
  EXPECT_EQ(r["verdict"], "violation");

  // A DEALER that forgets the delimiter gets no reply (the page says so).
  void* ctx = zmq_ctx_new();
  void* s = zmq_socket(ctx, ZMQ_DEALER);
  int linger = 0, timeout = 300;
  zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
  zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
  ASSERT_EQ(zmq_connect(s, ep.c_str()), 0);
  std::string req = R"({"type":"submit","name":"x.apk"})";
  zmq_send(s, req.data(), req.size(), 0);
  char buf[16];
  EXPECT_EQ(zmq_recv(s, buf, sizeof buf, 0), -1);
  zmq_close(s);
  zmq_ctx_term(ctx);
  // ... and the daemon keeps serving.
  EXPECT_FALSE(d.Status().is_null());
}

}  // namespace
}  // namespace shelfguard::testing
