// The daemon clients as a user runs them: `shelfguard consume|status|ping|
// reload|version --config FILE` against the real shelfguardd over ZeroMQ
// (ipc:// sockets in a temp dir), issue 12's consume defects included.
#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "daemon_harness.h"
#include "support/fixtures.h"

namespace shelfguard {
namespace {

using testing::BuildApk;
using testing::DaemonFixture;
using testing::Json;
using testing::Process;
using testing::ReadAll;
using testing::RunCommand;
using testing::WaitFor;

std::string DebugApk(int i) {
  return BuildApk(R"({"package": "com.example.sgcli.debug)" + std::to_string(i) +
                  R"(", "version_code": 1, "application": {"debuggable": true}})");
}

class CliClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d_.WriteConfig("workers = 1", "");
    config_ = d_.dir + "/shelfguard.toml";
    ASSERT_TRUE(d_.Start()) << ReadAll(d_.log());
  }
  // Drops `n` packages with violations and waits until they are scanned and
  // their messages wait in the outbox; returns the number pending.
  int64_t Pending(int n) {
    for (int i = 0; i < n; ++i) d_.Drop(DebugApk(i), "p" + std::to_string(i) + ".apk");
    int64_t pending = -1;
    WaitFor(
        [&] {
          Json st = d_.Status();
          pending = d_.Num(st, "outbox", "pending");
          return d_.Num(st, "queue", "done") == n && d_.Num(st, "queue", "depth") == 0;
        },
        30000);
    return pending;
  }
  DaemonFixture d_;
  std::string config_;
};

// Issue 12 (3): --count N writes and acknowledges N, not the whole batch.
TEST_F(CliClientTest, ConsumeCountWritesAndAcknowledgesExactlyN) {
  int64_t pending = Pending(2);
  ASSERT_GE(pending, 3) << d_.Status().dump(1);
  std::string out = d_.dir + "/two.jsonl", log;
  int rc = RunCommand({d_.Cli(), "consume", "--config", config_, "--count", "2", "--output", out,
                       "--timeout", "20000"},
                      &log, 30000, d_.dir);
  EXPECT_EQ(rc, 0) << log;
  EXPECT_EQ(DaemonFixture::ReadJsonl(out).size(), 2u) << ReadAll(out);
  Json st = d_.Status();
  EXPECT_EQ(d_.Num(st, "outbox", "acked"), 2) << st.dump(1);
  EXPECT_EQ(d_.Num(st, "outbox", "inflight"), 0) << st.dump(1);
  EXPECT_EQ(d_.Num(st, "outbox", "pending"), pending - 2) << st.dump(1);
  // The rest arrive with the old spelling --out and the endpoint from -e.
  std::string rest = d_.dir + "/rest.jsonl";
  rc = RunCommand({d_.Cli(), "consume", "-e", d_.Ep("delivery"), "--out=" + rest, "--count",
                   std::to_string(pending - 2), "--timeout", "20000"},
                  &log, 30000, d_.dir);
  EXPECT_EQ(rc, 0) << log;
  EXPECT_EQ(static_cast<int64_t>(DaemonFixture::ReadJsonl(rest).size()), pending - 2);
}

// Issue 12 (9): SIGINT / SIGTERM stop consume cleanly (exit 0, nothing on
// stderr), with what it received written and acknowledged.
TEST_F(CliClientTest, ConsumeStopsCleanlyOnSignals) {
  int64_t pending = Pending(1);
  ASSERT_GE(pending, 1);
  for (int sig : {SIGINT, SIGTERM}) {
    std::string tag = sig == SIGINT ? "int" : "term";
    std::string out = d_.dir + "/" + tag + ".jsonl", err = d_.dir + "/" + tag + ".err";
    Process consumer;
    ASSERT_TRUE(consumer.Start({d_.Cli(), "consume", "--config", config_, "--output", out,
                                "--consumer", tag},
                               d_.dir + "/" + tag + ".out", err));
    if (sig == SIGINT) {
      // Wait until it holds everything, then stop it.
      ASSERT_TRUE(WaitFor([&] { return d_.Num(d_.Status(), "outbox", "acked") == pending; }, 20000))
          << d_.Status().dump(1) << ReadAll(err);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // idle, in a fetch
    }
    consumer.Signal(sig);
    EXPECT_EQ(consumer.Wait(10000), 0) << tag << ": " << ReadAll(err);
    EXPECT_EQ(ReadAll(err), "") << tag;
  }
  EXPECT_EQ(static_cast<int64_t>(DaemonFixture::ReadJsonl(d_.dir + "/int.jsonl").size()), pending);
  EXPECT_EQ(d_.Num(d_.Status(), "outbox", "inflight"), 0);
}

// --config replaces -e: status, ping, version and reload find the control
// socket in the daemon's config.
TEST_F(CliClientTest, ClientsReadTheEndpointsFromTheConfig) {
  std::string out;
  EXPECT_EQ(RunCommand({d_.Cli(), "status", "--config=" + config_, "--format=json"}, &out, 20000, d_.dir), 0)
      << out;
  Json st = Json::parse(out, nullptr, false);
  ASSERT_TRUE(st.is_object()) << out;
  EXPECT_EQ(st["ok"], true);
  std::string alias;
  EXPECT_EQ(RunCommand({d_.Cli(), "status", "-c", config_, "--json"}, &alias, 20000, d_.dir), 0);
  EXPECT_TRUE(Json::parse(alias, nullptr, false).is_object()) << alias;
  EXPECT_EQ(RunCommand({d_.Cli(), "status", "--config", config_}, &out, 20000, d_.dir), 0) << out;
  EXPECT_NE(out.find("queue: depth"), std::string::npos) << out;

  // A config that does not load is named, with the reason; exit 2.
  std::string bad = d_.dir + "/bad.toml";
  testing::WriteAll(bad, "[daemon]\nworkers = \"many\"\n");
  EXPECT_EQ(RunCommand({d_.Cli(), "status", "--config", bad}, &out, 20000, d_.dir), 2);
  EXPECT_NE(out.find("daemon.workers"), std::string::npos) << out;

  // No daemon at the endpoint: exit 2 within --timeout, saying so.
  EXPECT_EQ(RunCommand({d_.Cli(), "ping", "-e", "ipc://" + d_.dir + "/nobody.sock", "--timeout", "300"},
                       &out, 20000, d_.dir),
            2);
  EXPECT_NE(out.find("no reply"), std::string::npos) << out;

  int rc = RunCommand({d_.Cli(), "ping", "--config", config_}, &out, 20000, d_.dir);
  if (rc != 0 && out.find("unknown command") != std::string::npos) {
    GTEST_SKIP() << "this shelfguardd has no ping/reload/version verbs yet: " << out;
  }
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("is alive"), std::string::npos) << out;
  EXPECT_EQ(RunCommand({d_.Cli(), "version", "--config", config_, "--json"}, &out, 20000, d_.dir), 0)
      << out;
  Json v = Json::parse(out, nullptr, false);
  ASSERT_TRUE(v.is_object()) << out;
  EXPECT_EQ(v["ok"], true);
  EXPECT_NE(v.dump().find(SHELFGUARD_VERSION), std::string::npos) << out;
  EXPECT_EQ(RunCommand({d_.Cli(), "reload", "--config", config_}, &out, 20000, d_.dir), 0) << out;
  EXPECT_TRUE(WaitFor([&] { return DaemonFixture::CountIn(d_.log(), "reload") > 0; }, 10000))
      << ReadAll(d_.log());
}

// Issue 12: `submit --json` prints the reply as the daemon wrote it: its own
// fields first ("ok", "job_id", "verdict", ...), and the report with its keys
// in the order `scan --json` writes them, not sorted alphabetically.
TEST_F(CliClientTest, SubmitJsonKeepsTheReportsKeyOrder) {
  std::string apk = DebugApk(7), out, scan;
  ASSERT_FALSE(apk.empty());
  ASSERT_EQ(RunCommand({d_.Cli(), "submit", "--config", config_, "--json", "--fail-on", "never", apk}, &out,
                       30000, d_.dir),
            0)
      << out;
  ASSERT_EQ(RunCommand({d_.Cli(), "scan", "--json", "--quiet", "--fail-on", "never", apk}, &scan, 30000, d_.dir), 0)
      << scan;
  using Ordered = nlohmann::ordered_json;
  Ordered reply = Ordered::parse(out, nullptr, false), report = Ordered::parse(scan, nullptr, false);
  ASSERT_TRUE(reply.is_object()) << out;
  ASSERT_TRUE(report.is_object()) << scan;
  auto keys = [](const Ordered& o) {
    std::vector<std::string> k;
    for (const auto& [key, v] : o.items()) k.push_back(key);
    return k;
  };
  std::vector<std::string> head = keys(reply);
  ASSERT_GE(head.size(), 3u) << out;
  EXPECT_EQ(head[0], "ok") << out;
  EXPECT_EQ(head[1], "job_id") << out;
  EXPECT_EQ(head[2], "verdict") << out;
  ASSERT_TRUE(reply["report"].is_object()) << out;
  EXPECT_EQ(keys(reply["report"]), keys(report));
  ASSERT_TRUE(reply["findings"].is_array() && !reply["findings"].empty()) << out;
  EXPECT_EQ(keys(reply["findings"][0])[0], "id") << out;  // as FindingMessage writes it
}

// Issue 18 item 4: `shelfguard` runs the daemon clients without the
// scanning libraries (their loading cost ~10 ms per submission) and hands
// every other command to shelfguard-tool.
std::vector<std::string> NeededLibraries(const std::string& program) {
  testing::CommandRun run = RunCommand("readelf -d " + testing::ShellQuote(program));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const std::string& out = run.out;
  std::vector<std::string> libs;
  for (size_t at = out.find("(NEEDED)"); at != std::string::npos; at = out.find("(NEEDED)", at + 1)) {
    size_t open = out.find('[', at), close = out.find(']', open);
    if (open != std::string::npos && close != std::string::npos) libs.push_back(out.substr(open + 1, close - open - 1));
  }
  return libs;
}

bool Needs(const std::vector<std::string>& libs, const std::string& stem) {
  for (const auto& l : libs) {
    if (l.rfind(stem + ".so", 0) == 0 || l.rfind(stem + "-", 0) == 0) return true;
  }
  return false;
}

TEST(CliClientProgram, LoadsNoScanningLibrary) {
  auto client = NeededLibraries(testing::BinaryDir() + "/shelfguard");
  auto tool = NeededLibraries(testing::BinaryDir() + "/shelfguard-tool");
  ASSERT_TRUE(Needs(client, "libzmq")) << ::testing::PrintToString(client);
  for (const char* heavy : {"libcapstone", "libre2", "libcurl", "libpq", "libxlsxwriter", "libprotobuf",
                            "libplist", "libsqlite3", "libzip", "libdeflate", "libcrypto"}) {
    EXPECT_FALSE(Needs(client, heavy)) << heavy << " in " << ::testing::PrintToString(client);
    // The tool scans; PostgreSQL only the daemon's store opens; libcurl is
    // loaded when a URL is first used (src/net/curl_lazy.h), by no program
    // at start.
    const std::string_view h(heavy);
    if (h == "libcurl") {
      EXPECT_FALSE(Needs(tool, heavy)) << heavy << " in " << ::testing::PrintToString(tool);
    } else if (h != "libpq") {
      EXPECT_TRUE(Needs(tool, heavy)) << heavy << " not in " << ::testing::PrintToString(tool);
    }
  }
}

TEST(CliClientProgram, ClientCommandsAreTheToolsAndTheRestRunInTheTool) {
  const std::string client = testing::BinaryDir() + "/shelfguard", tool = testing::BinaryDir() + "/shelfguard-tool";
  // The same help, and the same usage error, from either program.
  for (const char* c : {"submit", "consume", "status", "ping", "reload", "version"}) {
    std::string a, b;
    EXPECT_EQ(RunCommand({client, c, "--help"}, &a), 0) << a;
    EXPECT_EQ(RunCommand({tool, c, "--help"}, &b), 0) << b;
    EXPECT_EQ(a, b) << c;
    EXPECT_EQ(RunCommand({client, c, "--no-such-option"}, &a), 2) << a;
    EXPECT_EQ(RunCommand({tool, c, "--no-such-option"}, &b), 2) << b;
    EXPECT_EQ(a, b) << c;
  }
  // Everything else is the tool's: its help lists every command.
  std::string help;
  EXPECT_EQ(RunCommand({client, "--help"}, &help), 0) << help;
  for (const char* c : {"scan", "report", "signatures", "registry", "submit"}) {
    EXPECT_NE(help.find("\n  " + std::string(c) + " "), std::string::npos) << c << " not in:\n" << help;
  }
}

TEST(CliClientProgram, AMissingToolIsAClearErrorAndTheClientsStillRun) {
  std::string dir = testing::BinaryDir() + "/cli-alone." + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(testing::BinaryDir() + "/shelfguard", dir + "/shelfguard",
                             std::filesystem::copy_options::overwrite_existing);
  std::string out;
  EXPECT_EQ(RunCommand({dir + "/shelfguard", "scan", "app.apk"}, &out, 60000, dir), 2) << out;
  EXPECT_NE(out.find("cannot run shelfguard-tool"), std::string::npos) << out;
  EXPECT_NE(out.find(dir + "/shelfguard-tool: No such file or directory"), std::string::npos) << out;
  EXPECT_NE(out.find("reinstall"), std::string::npos) << out;
  // A client command needs no tool: here it runs and finds no daemon.
  EXPECT_EQ(RunCommand({dir + "/shelfguard", "ping", "--endpoint", "ipc://" + dir + "/none.sock", "--timeout", "200"},
                       &out, 60000, dir),
            2)
      << out;
  EXPECT_NE(out.find("no reply"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace shelfguard
