#include "config.h"

#include <sys/stat.h>
#include <zmq.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace shelfguard::daemon {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sg_config_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/pk");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  Result<Config> Parse(const std::string& text) { return ParseConfig(text, dir_ + "/c.toml"); }
  // Asserts the config is rejected and the message names `key`.
  void ExpectBad(const std::string& text, const std::string& key) {
    auto c = Parse(text);
    ASSERT_FALSE(c.ok()) << "accepted:\n" << text;
    EXPECT_NE(c.status().message().find("'" + key + "'"), std::string::npos)
        << "message does not name " << key << ": " << c.status().message();
  }
  std::string dir_;
};

TEST_F(ConfigTest, DefaultsAreLoopbackAndRelativeToTheFile) {
  auto c = Parse("");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->state_dir, dir_ + "/var");
  EXPECT_EQ(c->spool_dir, dir_ + "/var/spool");
  EXPECT_EQ(c->submit.endpoint, "tcp://127.0.0.1:7710");
  EXPECT_EQ(c->min_severity, Severity::kViolation);
  EXPECT_GE(c->effective_workers(), 1);
  EXPECT_EQ(c->limits.deadline_ms, Limits().deadline_ms);
}

TEST_F(ConfigTest, FullConfigParses) {
  auto c = Parse(R"(
[daemon]
state_dir = "/tmp/x"
workers = 3
[scan]
isolation = "none"
grace_ms = 10
[limits]
deadline_ms = 5000
max_depth = 2
[spool]
poll_ms = 50
[http]
retries = 1
[submit]
endpoint = "ipc:///tmp/x/s.sock"
[delivery]
min_severity = "review"
ack_timeout_ms = 1000
[[feeds]]
name = "store"
url = "https://example.com/feed.json"
interval_s = 60
[[directories]]
name = "mirror"
path = "pk"
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->workers, 3);
  EXPECT_EQ(c->isolation, "none");
  EXPECT_EQ(c->limits.deadline_ms, 5000u);
  EXPECT_EQ(c->limits.max_depth, 2u);
  EXPECT_EQ(c->min_severity, Severity::kReview);
  ASSERT_EQ(c->feeds.size(), 1u);
  EXPECT_EQ(c->feeds[0].interval_s, 60);
  ASSERT_EQ(c->directories.size(), 1u);
  EXPECT_EQ(c->directories[0].path, dir_ + "/pk");
}

TEST_F(ConfigTest, EveryBadValueNamesItsKey) {
  ExpectBad("[daemon]\nworkers = -1\n", "daemon.workers");
  ExpectBad("[daemon]\nworkers = \"two\"\n", "daemon.workers");
  ExpectBad("[daemon]\nstate_dir = 5\n", "daemon.state_dir");
  ExpectBad("[daemon]\nlog_level = \"loud\"\n", "daemon.log_level");
  ExpectBad("[daemon]\nbogus = 1\n", "daemon.bogus");
  ExpectBad("[nosuch]\nx = 1\n", "nosuch.x");
  ExpectBad("toplevel = 1\n", "toplevel");
  ExpectBad("[scan]\nisolation = \"thread\"\n", "scan.isolation");
  ExpectBad("[scan]\nregistry = \"missing.db\"\n", "scan.registry");
  ExpectBad("[scan]\nregistry_strict = \"yes\"\n", "scan.registry_strict");
  ExpectBad("[scan]\nsignatures_dir = \"missing\"\n", "scan.signatures_dir");
  ExpectBad("[scan]\nmax_attempts = 0\n", "scan.max_attempts");
  ExpectBad("[limits]\ndeadline_ms = 0\n", "limits.deadline_ms");
  ExpectBad("[limits]\nmax_package_bytes = -5\n", "limits.max_package_bytes");
  ExpectBad("[limits]\nmax_depth = 99\n", "limits.max_depth");
  ExpectBad("[limits]\nmax_widgets = 1\n", "limits.max_widgets");
  ExpectBad("[spool]\npoll_ms = 0\n", "spool.poll_ms");
  ExpectBad("[spool]\nenabled = \"yes\"\n", "spool.enabled");
  ExpectBad("[http]\nretries = 100\n", "http.retries");
  ExpectBad("[http]\nca_file = \"nope.pem\"\n", "http.ca_file");
  ExpectBad("[submit]\nendpoint = \"tcp://0.0.0.0:7710\"\n", "submit.endpoint");
  ExpectBad("[control]\nendpoint = \"udp://127.0.0.1:1\"\n", "control.endpoint");
  ExpectBad("[delivery]\nendpoint = \"tcp://127.0.0.1\"\n", "delivery.endpoint");
  ExpectBad("[publish]\nendpoint = \"tcp://127.0.0.1:7710\"\n", "publish.endpoint");
  ExpectBad("[delivery]\nmin_severity = \"pass\"\n", "delivery.min_severity");
  ExpectBad("[delivery]\nack_timeout_ms = 1\n", "delivery.ack_timeout_ms");
  ExpectBad("[submit]\nallow = [\"short\"]\n", "submit.allow");
  ExpectBad("[[feeds]]\nurl = \"https://x/f.json\"\n", "feeds[0].name");
  ExpectBad("[[feeds]]\nname = \"a\"\nurl = \"ftp://x/f.json\"\n", "feeds[0].url");
  ExpectBad("[[feeds]]\nname = \"a\"\nurl = \"file:///etc/passwd\"\n", "feeds[0].url");
  ExpectBad("[[feeds]]\nname = \"a\"\nurl = \"https://x/\"\ninterval_s = 0\n", "feeds[0].interval_s");
  ExpectBad("[[feeds]]\nname = \"a\"\nurl = \"https://x/\"\ncolour = 1\n", "feeds[0].colour");
  ExpectBad("[[feeds]]\nname = \"a\"\nurl = \"https://x/\"\n[[feeds]]\nname = \"a\"\nurl = \"https://y/\"\n",
            "feeds[1].name");
  ExpectBad("[[directories]]\nname = \"d\"\npath = \"nope\"\n", "directories[0].path");
  ExpectBad("feeds = 3\n", "feeds");
}

TEST_F(ConfigTest, RemoteBindNeedsAllowRemote) {
  ExpectBad("[submit]\nendpoint = \"tcp://192.168.1.5:7710\"\n", "submit.endpoint");
  auto c = Parse("[daemon]\nallow_remote = true\n[submit]\nendpoint = \"tcp://0.0.0.0:7710\"\n");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
}

TEST_F(ConfigTest, CurveNeedsKeys) {
  if (!zmq_has("curve")) GTEST_SKIP() << "libzmq without CURVE";
  char pub[41], sec[41];
  ASSERT_EQ(zmq_curve_keypair(pub, sec), 0);
  ExpectBad("[control]\ncurve = true\n", "control.allow");
  ExpectBad(std::string("[control]\ncurve = true\nallow = [\"") + pub + "\"]\n", "curve.secret_key");
  ExpectBad(std::string("[curve]\nsecret_key = \"xyz\"\n[control]\ncurve = true\nallow = [\"") + pub + "\"]\n",
            "curve.secret_key");
  auto c = Parse(std::string("[curve]\nsecret_key = \"") + sec + "\"\n[control]\ncurve = true\nallow = [\"" +
                 pub + "\"]\n");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
}

TEST_F(ConfigTest, SyntaxErrorIsRejected) {
  auto c = Parse("[daemon\nworkers = 1\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("TOML"), std::string::npos);
}

TEST_F(ConfigTest, SampleConfigRoundTrips) {
  std::string sample = SampleConfig();
  auto c = Parse(sample);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  // Every limit appears with its default.
  size_t n = 0;
  const Limits::Field* f = Limits::Fields(&n);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_NE(sample.find(std::string(f[i].name) + " = " + std::to_string(Limits().*(f[i].member))),
              std::string::npos)
        << f[i].name;
  }
  EXPECT_NE(ConfigHelp().find("spool.settle_ms"), std::string::npos);
}

// A config file is hostile input too: a FIFO (which would block a plain
// open forever), a device that never ends and a file over kMaxConfigBytes
// are refused at once with the path named; a key file that is a device
// gives no key rather than an endless read.
TEST_F(ConfigTest, ConfigThatIsNotASmallRegularFileIsRefusedWithoutHanging) {
  const std::string fifo = dir_ + "/fifo.toml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& p : {fifo, std::string("/dev/zero"), dir_}) {
    SCOPED_TRACE(p);
    auto c = LoadConfig(p);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), "invalid-argument");
    EXPECT_NE(c.status().message().find("'" + p + "'"), std::string::npos) << c.status().message();
  }
  const std::string big = dir_ + "/big.toml";
  {
    std::ofstream out(big, std::ios::binary);
    out << "# " << std::string(kMaxConfigBytes, 'x') << "\n";
  }
  auto c = LoadConfig(big);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), "over-limit");
  EXPECT_NE(c.status().message().find(big), std::string::npos);
  auto missing = LoadConfig(dir_ + "/none.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), "not-found");

  // A good file still loads, and a CURVE key file that is a device reads as
  // no key (the socket then refuses to start: CurveNeedsKeys).
  const std::string good = dir_ + "/good.toml";
  std::ofstream(good) << "[daemon]\nworkers = 3\n";
  auto ok = LoadConfig(good);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->workers, 3);
  Config k = *ok;
  k.curve_secret_key.clear();
  k.curve_secret_key_file = "/dev/zero";
  EXPECT_EQ(k.ServerSecret(), "");
}

}  // namespace
}  // namespace shelfguard::daemon
