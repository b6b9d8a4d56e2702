// The JSON Schemas of docs/schemas/ against what really exists: every
// signature file, the sample feed, and the requests, replies and messages a
// real shelfguardd exchanges over real ZeroMQ (daemon started over
// samples/packages with the sample registry). One validator process per
// schema (scripts/validate-json.py, python3-jsonschema).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "daemon_harness.h"

namespace shelfguard::testing {
namespace {

namespace fs = std::filesystem;

std::string Schema(const std::string& name) { return SourceDir() + "/docs/schemas/" + name; }

// Runs the validator over `files`; returns its exit code, output in *out.
int Validate(const std::string& schema, const std::vector<std::string>& files, std::string* out) {
  std::vector<std::string> argv = {"/usr/bin/python3", SourceDir() + "/scripts/validate-json.py",
                                   Schema(schema)};
  argv.insert(argv.end(), files.begin(), files.end());
  return RunCommand(argv, out, 60000);
}

bool HaveValidator() {
  std::string out;
  return RunCommand({"/usr/bin/python3", "-c", "import jsonschema"}, &out) == 0;
}

TEST(SchemaFiles, EverySignatureFileAndTheSampleFeedValidate) {
  if (!HaveValidator()) GTEST_SKIP() << "python3-jsonschema not installed";
  std::vector<std::string> sigs;
  for (const auto& e : fs::directory_iterator(SourceDir() + "/signatures")) {
    if (e.path().extension() == ".json") sigs.push_back(e.path().string());
  }
  ASSERT_GT(sigs.size(), 5u);
  std::string out;
  EXPECT_EQ(Validate("signatures.schema.json", sigs, &out), 0) << out;
  EXPECT_NE(out.find(std::to_string(sigs.size()) + " valid, 0 invalid"), std::string::npos) << out;
  EXPECT_EQ(Validate("feed.schema.json", {SourceDir() + "/samples/feed.json"}, &out), 0) << out;

  // The schemas refuse what the loaders refuse.
  std::string dir = fs::temp_directory_path() / ("sg_schema_files_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  WriteAll(dir + "/sig.json",
           R"({"format":"shelfguard-signatures/1","version":"1","sdks":[{"id":"x","name":"X",)"
           R"("vendor":"V","category":"ads","source":"s","patterns":{"clases":["a."]}}]})");
  EXPECT_EQ(Validate("signatures.schema.json", {dir + "/sig.json"}, &out), 1) << out;
  WriteAll(dir + "/feed.json", R"({"packages":[{"platform":"android","app_id":"a","url":"ftp://x/a.apk",)"
                               R"("sha256":"00","size":0}]})");
  EXPECT_EQ(Validate("feed.schema.json", {dir + "/feed.json"}, &out), 1) << out;
  fs::remove_all(dir);
}

// One REQ round trip on `endpoint`; "" when no reply within 20 s.
std::string Request(zmq::context_t& ctx, const std::string& endpoint, const std::vector<std::string>& frames) {
  zmq::socket_t s(ctx, zmq::socket_type::req);
  s.set(zmq::sockopt::linger, 0);
  s.connect(endpoint);
  for (size_t i = 0; i < frames.size(); ++i) {
    s.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
  zmq::pollitem_t item = {s.handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, std::chrono::milliseconds(20000));
  zmq::message_t m;
  if (!(item.revents & ZMQ_POLLIN) || !s.recv(m)) return "";
  return m.to_string();
}

// A DEALER frame exchange on the delivery socket.
std::string Deliver(zmq::socket_t& s, const std::string& frame) {
  s.send(zmq::buffer(frame), zmq::send_flags::none);
  zmq::pollitem_t item = {s.handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, std::chrono::milliseconds(20000));
  zmq::message_t m;
  if (!(item.revents & ZMQ_POLLIN) || !s.recv(m)) return "";
  return m.to_string();
}

TEST(SchemaFiles, EveryDaemonRequestReplyAndMessageValidates) {
  if (!HaveValidator()) GTEST_SKIP() << "python3-jsonschema not installed";
  DaemonFixture d;
  fs::create_directories(d.dir + "/mirror");
  size_t packages = 0;
  for (const auto& e : fs::directory_iterator(SourceDir() + "/samples/packages")) {
    if (e.path().extension() == ".apk" || e.path().extension() == ".ipa") {
      fs::copy_file(e.path(), d.dir + "/mirror/" + e.path().filename().string());
      ++packages;
    }
  }
  ASSERT_GT(packages, 3u);
  d.WriteConfig("workers = 2", "[scan]\nregistry = \"" + SourceDir() +
                                   "/samples/registry.json\"\n[[directories]]\nname = \"mirror\"\n"
                                   "path = \"mirror\"\ninterval_s = 60\n");
  ASSERT_TRUE(d.Start()) << ReadAll(d.log());
  ASSERT_TRUE(WaitFor([&] { return d.Num(d.Status(), "queue", "results") == static_cast<int64_t>(packages); },
                      60000))
      << d.Status().dump(1) << ReadAll(d.log());

  // schema -> documents (JSON Lines); every document sent or received.
  std::map<std::string, std::vector<std::string>> docs;
  zmq::context_t ctx(1);
  // Requests the daemon refuses are kept apart: the schema must refuse them too.
  std::map<std::string, std::vector<std::string>> refused_requests;
  auto control = [&](const std::string& req, bool valid = true) {
    (valid ? docs : refused_requests)["daemon-control.schema.json"].push_back(req);
    std::string reply = Request(ctx, d.Ep("control"), {req});
    EXPECT_FALSE(reply.empty()) << req;
    docs["daemon-control.schema.json"].push_back(reply);
    return reply;
  };
  EXPECT_NE(control(R"({"cmd":"status"})").find("\"queue\""), std::string::npos);
  EXPECT_NE(control(R"({"cmd":"ping"})").find("\"pong\":true"), std::string::npos);
  EXPECT_NE(control(R"({"cmd":"version"})").find("\"engine\""), std::string::npos);
  EXPECT_NE(control(R"({"cmd":"reload"})").find("requested"), std::string::npos);
  // Malformed frames: not JSON, an unknown command.
  std::string bad = Request(ctx, d.Ep("control"), {"{not json"});
  EXPECT_NE(bad.find("\"ok\":false"), std::string::npos) << bad;
  docs["daemon-control.schema.json"].push_back(bad);
  EXPECT_NE(control(R"({"cmd":"explode"})", false).find("bad-request"), std::string::npos);

  // Submit: bytes of a sample (a verdict) and a malformed request.
  std::string submit = R"({"type":"submit","name":"full.apk"})";
  std::string verdict = Request(ctx, d.Ep("submit"),
                                {submit, ReadAll(SourceDir() + "/samples/packages/full.apk")});
  EXPECT_NE(verdict.find("\"ok\":true"), std::string::npos) << verdict;
  std::string bad_submit = R"({"type":"submit","resume":"yes"})";
  std::string refused = Request(ctx, d.Ep("submit"), {bad_submit});
  EXPECT_NE(refused.find("bad-request"), std::string::npos) << refused;
  docs["daemon-submit.schema.json"] = {submit, verdict, refused};
  refused_requests["daemon-submit.schema.json"] = {bad_submit};

  // Delivery: hello, fetch every violation, ack them; a malformed fetch.
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(d.Ep("delivery"));
  auto& dl = docs["daemon-delivery.schema.json"];
  auto deliver = [&](const std::string& req, bool valid = true) {
    if (valid) {
      dl.push_back(req);
    } else if (Json::accept(req)) {
      refused_requests["daemon-delivery.schema.json"].push_back(req);
    }
    std::string reply = Deliver(dealer, req);
    EXPECT_FALSE(reply.empty()) << req;
    dl.push_back(reply);
    return Json::parse(reply, nullptr, false);
  };
  EXPECT_EQ(deliver(R"({"type":"hello","consumer":"schema"})")["type"], "welcome");
  size_t messages = 0;
  for (int round = 0; round < 50; ++round) {
    Json batch = deliver(R"({"type":"fetch","consumer":"schema","max":500,"wait_ms":500})");
    ASSERT_EQ(batch["type"], "batch") << batch.dump();
    if (batch["messages"].empty()) {
      if (messages > 0 && d.Num(d.Status(), "outbox", "pending") == 0) break;
      continue;
    }
    Json ack = {{"type", "ack"}, {"consumer", "schema"}, {"ids", Json::array()}};
    for (const auto& m : batch["messages"]) {
      docs["daemon-message.schema.json"].push_back(m.dump());
      ack["ids"].push_back(m["id"]);
      ++messages;
    }
    Json acked = deliver(ack.dump());
    EXPECT_EQ(acked["count"], batch["messages"].size()) << acked.dump();
  }
  EXPECT_GT(messages, 0u) << "the sample packages carry violations";
  Json bad_fetch = deliver(R"({"type":"fetch","consumer":"schema","max":20000})", false);
  EXPECT_EQ(bad_fetch["code"], "bad-request") << bad_fetch.dump();
  EXPECT_EQ(deliver("[[[", false)["type"], "error");

  std::string out;
  // Every line of each schema's documents valid (exit 0), or every one
  // invalid (exit 1), as the validator counts them.
  auto validate_all = [&](const auto& by_schema, const std::string& prefix, bool valid) {
    for (const auto& [schema, lines] : by_schema) {
      std::string file = d.dir + "/" + prefix + schema + ".jsonl";
      std::string text;
      for (const auto& l : lines) text += l + "\n";
      WriteAll(file, text);
      EXPECT_EQ(Validate(schema, {file}, &out), valid ? 0 : 1) << schema << ":\n" << out;
      const std::string n = std::to_string(lines.size());
      EXPECT_NE(out.find(valid ? n + " valid, 0 invalid" : "0 valid, " + n + " invalid"), std::string::npos) << out;
    }
  };
  validate_all(docs, "", true);
  validate_all(refused_requests, "refused-", false);
  // And a message that breaks the format is caught.
  Json broken = Json::parse(docs["daemon-message.schema.json"].front());
  broken["package"]["platform"] = "windows";
  broken.erase("scanned_at");
  WriteAll(d.dir + "/broken.jsonl", broken.dump() + "\n");
  EXPECT_EQ(Validate("daemon-message.schema.json", {d.dir + "/broken.jsonl"}, &out), 1) << out;
}

}  // namespace
}  // namespace shelfguard::testing
