// Helpers for the daemon's end-to-end tests: a temp directory with a config
// whose sockets are ipc:// paths inside it (no port clashes under ctest -j),
// the real shelfguardd and shelfguard binaries as child processes, the
// control socket over real ZeroMQ, and the expected outbox ids of a package
// computed in-process with the same Engine and Assessor.
#ifndef SHELFGUARD_TESTS_DAEMON_HARNESS_H_
#define SHELFGUARD_TESTS_DAEMON_HARNESS_H_

#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "policy/assess.h"
#include "queue/message.h"
#include "shelfguard/engine.h"
#include "support/corpus.h"
#include "support/fixtures.h"
#include "support/json_lines.h"

namespace shelfguard::testing {

using Json = nlohmann::json;

// The whole file ("" when unreadable): tests/support's one reader.
inline std::string ReadAll(const std::string& path) { return ReadFileBytes(path); }

inline void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

inline bool WaitFor(const std::function<bool()>& pred, int timeout_ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

// A child process running argv with stdout/stderr to files.
class Process {
 public:
  Process() = default;
  ~Process() { Kill(SIGKILL); }
  bool Start(const std::vector<std::string>& argv, const std::string& out_path,
             const std::string& err_path, const std::vector<std::string>& env = {}) {
    pid_ = ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(out, 1);
      ::dup2(err, 2);
      for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    return true;
  }
  pid_t pid() const { return pid_; }
  bool Alive() {
    if (pid_ <= 0) return false;
    int st;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = st;
      pid_ = -1;
      return false;
    }
    return true;
  }
  void Signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  // Waits for exit; returns the exit code, or -signal, or -1000 on timeout.
  int Wait(int timeout_ms) {
    if (pid_ <= 0) return Code();
    if (!WaitFor([&] { return !Alive(); }, timeout_ms)) return -1000;
    return Code();
  }
  void Kill(int sig) {
    if (pid_ > 0) {
      ::kill(pid_, sig);
      int st;
      ::waitpid(pid_, &st, 0);
      status_ = st;
      pid_ = -1;
    }
  }

 private:
  int Code() const {
    if (WIFEXITED(status_)) return WEXITSTATUS(status_);
    if (WIFSIGNALED(status_)) return -WTERMSIG(status_);
    return -1;
  }
  pid_t pid_ = -1;
  int status_ = 0;
};

// A fresh CURVE key pair (Z85, 40 characters each).
struct CurveKeys {
  char pub[41] = {};
  char sec[41] = {};
};
inline CurveKeys NewCurveKeys() {
  CurveKeys k;
  EXPECT_EQ(zmq_curve_keypair(k.pub, k.sec), 0);
  return k;
}

// Runs a command to completion; returns its exit code and fills *out.
inline int RunCommand(const std::vector<std::string>& argv, std::string* out, int timeout_ms = 60000,
                      const std::string& tmp_dir = "/tmp") {
  std::string o = tmp_dir + "/cmd.out." + std::to_string(::getpid());
  std::string e = tmp_dir + "/cmd.err." + std::to_string(::getpid());
  std::filesystem::remove(o);
  std::filesystem::remove(e);
  Process p;
  if (!p.Start(argv, o, e)) return -1;
  int rc = p.Wait(timeout_ms);
  if (out != nullptr) *out = ReadAll(o) + ReadAll(e);
  std::filesystem::remove(o);
  std::filesystem::remove(e);
  return rc;
}

// One REQ round trip to the submit socket; null on no answer.
inline Json SubmitRaw(const std::string& endpoint, const Json& req, const std::string& bytes = "") {
  try {
    zmq::context_t ctx(1);
    zmq::socket_t s(ctx, zmq::socket_type::req);
    s.set(zmq::sockopt::linger, 0);
    s.connect(endpoint);
    s.send(zmq::buffer(req.dump()), bytes.empty() ? zmq::send_flags::none : zmq::send_flags::sndmore);
    if (!bytes.empty()) s.send(zmq::buffer(bytes), zmq::send_flags::none);
    zmq::pollitem_t item = {s.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(30000));
    zmq::message_t m;
    if (!(item.revents & ZMQ_POLLIN) || !s.recv(m)) return Json();
    return Json::parse(m.to_string(), nullptr, false);
  } catch (const zmq::error_t&) {
    return Json();
  }
}

class DaemonFixture {
 public:
  DaemonFixture() {
    char tmpl[] = "/tmp/sgd.XXXXXX";
    if (mkdtemp(tmpl) != nullptr) dir = tmpl;
    std::filesystem::create_directories(dir + "/state");
  }
  ~DaemonFixture() {
    daemon.Kill(SIGKILL);
    if (std::getenv("SG_KEEP_TMP") == nullptr) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
  std::string Ep(const char* name) const { return "ipc://" + dir + "/" + name + ".sock"; }
  std::string Daemond() const { return BinaryDir() + "/shelfguardd"; }
  std::string Cli() const { return BinaryDir() + "/shelfguard"; }
  std::string spool() const { return dir + "/state/spool"; }
  std::string log() const { return dir + "/daemon.log"; }

  // Writes the config: the base (state dir, ipc endpoints) plus `extra`
  // TOML, which may add keys to the [daemon] section's siblings.
  // The daemon's CURVE secret key as <dir>/server.key, mode 0600 (a key
  // others can read is refused); the config names it as [curve]
  // secret_key_file = "server.key".
  void WriteServerKey(const char* secret) {
    WriteAll(dir + "/server.key", secret);
    ::chmod((dir + "/server.key").c_str(), 0600);
  }
  void WriteConfig(const std::string& daemon_keys, const std::string& extra) {
    std::string t = "[daemon]\nstate_dir = \"state\"\nlog_level = \"debug\"\n" + daemon_keys +
                    "\n[submit]\nendpoint = \"" + Ep("submit") + "\"\n" + submit_extra +
                    "[control]\nendpoint = \"" + Ep("control") + "\"\n" + control_extra +
                    "[delivery]\nendpoint = \"" + Ep("delivery") + "\"\n" + delivery_extra +
                    "[publish]\nendpoint = \"" + Ep("publish") + "\"\n" + extra;
    WriteAll(dir + "/shelfguard.toml", t);
  }
  bool Start(const std::vector<std::string>& env = {}, bool once = false) {
    // The fault switch exists only in the test build of the daemon.
    bool faults = false;
    for (const auto& e : env) faults = faults || e.rfind("SHELFGUARD_TEST_FAULT=", 0) == 0;
    std::vector<std::string> argv = {faults ? BinaryDir() + "/shelfguardd_faults" : Daemond(), "--config",
                                     dir + "/shelfguard.toml"};
    if (once) argv.push_back("--once");
    if (!daemon.Start(argv, dir + "/daemon.out", log(), env)) return false;
    // Ready once it logged its start (sockets bound) for the n-th time.
    size_t starts = ++starts_;
    return WaitFor([&] { return CountIn(log(), "\"daemon.start\"") >= starts || !daemon.Alive(); },
                   20000) &&
           daemon.Alive();
  }
  // The daemon's status over the control socket; null on no answer.
  Json Status(int timeout_ms = 2000) {
    try {
      zmq::context_t ctx(1);
      zmq::socket_t s(ctx, zmq::socket_type::req);
      s.set(zmq::sockopt::linger, 0);
      s.connect(Ep("control"));
      s.send(zmq::str_buffer("{\"cmd\":\"status\"}"), zmq::send_flags::none);
      zmq::pollitem_t item = {s.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms));
      if (!(item.revents & ZMQ_POLLIN)) return Json();
      zmq::message_t m;
      if (!s.recv(m)) return Json();
      Json j = Json::parse(m.to_string(), nullptr, false);
      return j.is_discarded() ? Json() : j;
    } catch (const zmq::error_t&) {
      return Json();
    }
  }
  int64_t Num(const Json& st, const char* a, const char* b) {
    if (!st.is_object() || !st.contains(a) || !st[a].contains(b)) return -1;
    return st[a][b].get<int64_t>();
  }
  // Lines of a JSON Lines file, parsed.
  // (A line that is not JSON, such as half a line still being written, is
  // skipped.)
  static std::vector<Json> ReadJsonl(const std::string& path) {
    return ParseJsonLines(ReadAll(path), /*strict=*/false);
  }
  size_t CountFiles(const std::string& sub) {
    size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(spool() + "/" + sub, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++n;
    }
    return n;
  }
  // Moves a file into the spool's incoming/ the documented way (*.part, then
  // rename) with an old mtime so it is taken at once.
  void Drop(const std::string& src, const std::string& name) {
    std::string part = spool() + "/incoming/" + name + ".part";
    std::filesystem::copy_file(src, part, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::last_write_time(part, std::filesystem::file_time_type::clock::now() -
                                               std::chrono::hours(1));
    std::filesystem::rename(part, spool() + "/incoming/" + name);
  }

  static size_t CountIn(const std::string& path, const std::string& needle) {
    std::string text = ReadAll(path);
    size_t n = 0;
    for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
    return n;
  }

  std::string dir;
  std::string submit_extra, control_extra, delivery_extra;  // more keys for those sections
  Process daemon;
  size_t starts_ = 0;
};

// Outbox ids (violation and above) the daemon should produce for `path`.
inline std::set<std::string> ExpectedIds(const std::string& path, const std::string& registry = "",
                                         std::vector<Finding>* findings = nullptr) {
  static std::shared_ptr<const Engine> engine = [] {
    auto e = Engine::Create(EngineOptions());
    return e.ok() ? *e : nullptr;
  }();
  std::set<std::string> ids;
  AssessOptions ao;
  ao.registry_path = registry;
  auto assessor = Assessor::Create(ao);
  if (engine == nullptr || !assessor.ok()) return ids;
  Report r = (*assessor)->Assess(engine->ScanFile(path));
  for (const auto& f : r.findings) {
    if (f.severity >= Severity::kViolation) {
      ids.insert(queue::MessageId(r.facts.sha256, f));
      if (findings != nullptr) findings->push_back(f);
    }
  }
  return ids;
}

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_DAEMON_HARNESS_H_
