// Memory after bursts (issue 11 item 7): starts a real shelfguardd and hits
// it with B bursts (default 6). Each burst sends S package submissions
// (default 2000: corpus APKs, from C concurrent connections, default 50) and
// M malformed frames (default 2000: mistyped JSON, garbage, deep nesting,
// wrong frame counts, on the submit, control and delivery sockets), waits
// until every submission is answered (a verdict, or 'busy' past the pending
// caps) and the queue is empty, lets the daemon's periodic malloc_trim run,
// then prints the daemon's VmRSS and VmHWM (/proc/PID/status). Memory should
// level off at a plateau, not grow with every burst.
//
//   daemon_memory_bench [--bursts B] [--submissions S] [--malformed M] [--clients C]
// Corpus: $SHELFGUARD_CORPUS/apk or <source>/../shared/corpus/apk.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "bench_support.h"

namespace fs = std::filesystem;

namespace {

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "VmRSS" / "VmHWM" of `pid` in KiB (-1 when gone).
long StatusKb(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::atol(line.c_str() + key.size() + 1);
  }
  return -1;
}

nlohmann::json Status(zmq::context_t& ctx, const std::string& ep) {
  zmq::socket_t s(ctx, zmq::socket_type::req);
  s.set(zmq::sockopt::linger, 0);
  s.connect(ep);
  s.send(zmq::str_buffer("{\"cmd\":\"status\"}"), zmq::send_flags::none);
  zmq::pollitem_t item = {s.handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, std::chrono::milliseconds(5000));
  zmq::message_t m;
  if (!(item.revents & ZMQ_POLLIN) || !s.recv(m)) return nlohmann::json();
  return nlohmann::json::parse(m.to_string(), nullptr, false);
}

// Frames a REQ client would send, on a DEALER: [empty][frames...].
void SendReq(zmq::socket_t& s, const std::vector<std::string>& frames) {
  s.send(zmq::message_t(), zmq::send_flags::sndmore);
  for (size_t i = 0; i < frames.size(); ++i) {
    s.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

// The i-th malformed request: which socket (0 submit, 1 control, 2 delivery)
// and its frames.
std::pair<int, std::vector<std::string>> Malformed(int i) {
  static const char* kBodies[] = {
      R"({"type":123})", R"({"type":null})", R"({"type":"submit","resume":"yes"})", R"({"cmd":1})",
      R"({"cmd":["status"]})", R"({"type":"fetch","max":"10"})", R"({"type":"hello","consumer":5})",
      "not json at all", "{\"type\":\"submit\",\"name\":", R"({"type":"ack","ids":[1,2,3]})"};
  std::string body = kBodies[i % 10];
  if (i % 17 == 0) body = std::string(4000, '[') + std::string(4000, ']');  // deep nesting
  if (i % 23 == 0) body = std::string(200000, 'x');                          // big garbage
  int socket = i % 3;
  std::vector<std::string> frames = {body};
  if (i % 7 == 0) frames = {body, "x", "y", "z", "w"};  // too many frames
  return {socket, frames};
}

}  // namespace

int main(int argc, char** argv) {
  int bursts = 6, submissions = 2000, malformed = 2000, clients = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    int v = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--bursts") bursts = v;
    if (a == "--submissions") submissions = v;
    if (a == "--malformed") malformed = v;
    if (a == "--clients") clients = v;
  }
  const fs::path corpus_dir = fs::path(shelfguard::bench::CorpusRoot()) / "apk";
  std::vector<std::string> packages;
  std::error_code ec;
  for (const fs::path& p : shelfguard::bench::FilesIn(corpus_dir, ".apk")) {
    // Small ones: the burst measures the daemon's bookkeeping, not the scanner.
    if (fs::file_size(p, ec) < (256 << 10) && !ec) packages.push_back(ReadFile(p));
    if (packages.size() >= 40) break;
  }
  if (packages.empty()) return shelfguard::bench::NoCorpus("daemon_memory_bench", corpus_dir);
  const fs::path bin = shelfguard::bench::BinDir();
  const fs::path tmp = shelfguard::bench::NewTempDir("sg_memory_bench");
  if (tmp.empty()) return 2;
  auto ep = [&](const char* n) { return "ipc://" + tmp.string() + "/" + n + ".sock"; };
  {
    std::ofstream c(tmp / "shelfguard.toml");
    c << "[daemon]\nstate_dir = \"state\"\nworkers = 2\nlog_level = \"warn\"\n"
      << "[spool]\nenabled = false\n"
      << "[submit]\nendpoint = \"" << ep("s") << "\"\n"
      << "[control]\nendpoint = \"" << ep("c") << "\"\n"
      << "[delivery]\nendpoint = \"" << ep("d") << "\"\n"
      << "[publish]\nendpoint = \"" << ep("p") << "\"\n";
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    std::string log = (tmp / "daemon.log").string();
    if (!std::freopen(log.c_str(), "w", stderr)) _exit(127);
    std::string d = (bin / "shelfguardd").string(), cfg = (tmp / "shelfguard.toml").string();
    ::execl(d.c_str(), d.c_str(), "--config", cfg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  zmq::context_t ctx(1);
  nlohmann::json st;
  for (int i = 0; i < 200 && !st.is_object(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    st = Status(ctx, ep("c"));
  }
  if (!st.is_object()) {
    std::fprintf(stderr, "daemon_memory_bench: the daemon did not answer (log: %s/daemon.log)\n", tmp.c_str());
    ::kill(pid, SIGKILL);
    return 2;
  }
  std::printf("daemon_memory_bench: %d bursts of %d submissions (%zu distinct corpus APKs) + %d malformed "
              "frames from %d connections; 2 workers\n",
              bursts, submissions, packages.size(), malformed, clients);
  std::printf("%-8s %10s %10s %8s %8s %8s %8s\n", "burst", "VmRSS MiB", "VmHWM MiB", "verdicts", "busy",
              "other", "secs");
  std::printf("%-8s %10.1f %10.1f\n", "start", StatusKb(pid, "VmRSS") / 1024.0, StatusKb(pid, "VmHWM") / 1024.0);
  for (int b = 1; b <= bursts; ++b) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<zmq::socket_t>> subs, others;
    for (int c = 0; c < clients; ++c) {
      subs.push_back(std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::dealer));
      subs.back()->set(zmq::sockopt::linger, 0);
      subs.back()->connect(ep("s"));
    }
    for (const char* n : {"s", "c", "d"}) {
      others.push_back(std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::dealer));
      others.back()->set(zmq::sockopt::linger, 0);
      others.back()->connect(ep(n));
    }
    for (int i = 0; i < submissions; ++i) {
      SendReq(*subs[static_cast<size_t>(i % clients)],
              {R"({"type":"submit","name":"b.apk"})", packages[static_cast<size_t>(i) % packages.size()]});
    }
    for (int i = 0; i < malformed; ++i) {
      auto [socket, frames] = Malformed(i);
      if (socket == 2) {  // DEALER framing: no delimiter
        for (size_t k = 0; k < frames.size(); ++k) {
          others[2]->send(zmq::buffer(frames[k]),
                          k + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
        }
      } else {
        SendReq(*others[static_cast<size_t>(socket)], frames);
      }
    }
    // Every submission is answered: a verdict, or busy.
    int verdicts = 0, busy = 0, other = 0;
    std::vector<zmq::pollitem_t> items;
    for (auto& s : subs) items.push_back({s->handle(), 0, ZMQ_POLLIN, 0});
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    while (verdicts + busy + other < submissions && std::chrono::steady_clock::now() < deadline) {
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(500));
      for (size_t k = 0; k < items.size(); ++k) {
        if (!(items[k].revents & ZMQ_POLLIN)) continue;
        for (;;) {
          zmq::message_t m;
          if (!subs[k]->recv(m, zmq::recv_flags::dontwait)) break;
          if (m.size() == 0) continue;  // the delimiter
          auto j = nlohmann::json::parse(m.to_string(), nullptr, false);
          std::string code = j.is_object() ? j.value("code", "") : "";
          if (j.is_object() && j.value("ok", false)) {
            ++verdicts;
          } else if (code == "busy") {
            ++busy;
          } else {
            ++other;
          }
        }
      }
    }
    subs.clear();
    others.clear();
    // Idle: queue empty, nothing pending; then past the 10 s malloc_trim tick.
    for (int i = 0; i < 600; ++i) {
      st = Status(ctx, ep("c"));
      if (st.is_object() && st["queue"].value("depth", 1) == 0 && st["limits"].value("pending_submits", 1) == 0) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::this_thread::sleep_for(std::chrono::seconds(11));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%-8d %10.1f %10.1f %8d %8d %8d %8.1f\n", b, StatusKb(pid, "VmRSS") / 1024.0,
                StatusKb(pid, "VmHWM") / 1024.0, verdicts, busy, other, secs);
    std::fflush(stdout);
  }
  st = Status(ctx, ep("c"));
  if (st.is_object()) std::printf("limits.hits %s, errors.requests %s\n", st["limits"]["hits"].dump().c_str(),
                                  st["errors"].value("requests", nlohmann::json(0)).dump().c_str());
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::printf("daemon exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  fs::remove_all(tmp, ec);
  return 0;
}
