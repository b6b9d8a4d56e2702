// Clients of a running shelfguardd (docs/daemon.md): `submit` (REQ to the
// submit socket), `consume` (DEALER to the delivery socket: fetch, write,
// fsync, ack) and `status` (REQ to the control socket).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_set>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "cli/commands.h"
#include "shelfguard/report.h"

namespace shelfguard::cli {
namespace {

using json = nlohmann::json;

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

std::string Dump(const json& j, int indent = -1) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

// Options shared by the three clients.
struct ClientOptions {
  std::string endpoint;
  std::string server_key;       // Z85 public key of the daemon (CURVE)
  std::string client_key_file;  // file holding the client's Z85 secret key
  int64_t timeout_ms = 0;
};

// Parses a shared option at argv[*i]; returns 1 if consumed, 0 if not ours,
// -1 on error.
int ParseClientOption(const char* cmd, int argc, char** argv, int* i, ClientOptions* o) {
  std::string a = argv[*i];
  auto value = [&]() -> const char* {
    if (*i + 1 >= argc) {
      std::fprintf(stderr, "shelfguard %s: %s needs a value\n", cmd, a.c_str());
      return nullptr;
    }
    return argv[++*i];
  };
  const char* v = nullptr;
  if (a == "--endpoint" || a == "-e") {
    if ((v = value()) == nullptr) return -1;
    o->endpoint = v;
  } else if (a == "--server-key") {
    if ((v = value()) == nullptr) return -1;
    o->server_key = v;
  } else if (a == "--client-key-file") {
    if ((v = value()) == nullptr) return -1;
    o->client_key_file = v;
  } else if (a == "--timeout") {
    if ((v = value()) == nullptr) return -1;
    char* end = nullptr;
    long long t = std::strtoll(v, &end, 10);
    if (end == v || *end != '\0' || t < 0) {
      std::fprintf(stderr, "shelfguard %s: --timeout takes milliseconds, not '%s'\n", cmd, v);
      return -1;
    }
    o->timeout_ms = t;
  } else {
    return 0;
  }
  return 1;
}

const char kClientOptionsHelp[] =
    "  -e, --endpoint E        daemon socket (tcp://127.0.0.1:PORT or ipc://PATH)\n"
    "  --server-key Z85        the daemon's CURVE public key (when the socket has curve on)\n"
    "  --client-key-file FILE  file with this client's CURVE secret key (Z85)\n"
    "  --timeout MS            give up waiting for the daemon after MS milliseconds\n";

// Applies CURVE client options; returns an error message or "".
std::string SetupCurve(zmq::socket_t& s, const ClientOptions& o) {
  if (o.server_key.empty() && o.client_key_file.empty()) return "";
  if (o.server_key.empty() || o.client_key_file.empty()) {
    return "CURVE needs both --server-key and --client-key-file";
  }
  std::ifstream in(o.client_key_file);
  std::string secret;
  in >> secret;
  char pub[41];
  if (secret.size() != 40 || zmq_curve_public(pub, secret.c_str()) != 0) {
    return "'" + o.client_key_file + "' does not hold a 40-character Z85 secret key";
  }
  try {
    s.set(zmq::sockopt::curve_serverkey, o.server_key);
    s.set(zmq::sockopt::curve_publickey, std::string(pub));
    s.set(zmq::sockopt::curve_secretkey, secret);
  } catch (const zmq::error_t& e) {
    return std::string("CURVE: ") + e.what();
  }
  return "";
}

// One REQ round trip. Returns the reply frames or an error message.
bool RequestReply(const ClientOptions& o, const std::vector<std::string>& frames, std::string* reply,
                  std::string* error) {
  try {
    zmq::context_t ctx(1);
    zmq::socket_t s(ctx, zmq::socket_type::req);
    s.set(zmq::sockopt::linger, 0);
    std::string err = SetupCurve(s, o);
    if (!err.empty()) {
      *error = err;
      return false;
    }
    s.connect(o.endpoint);
    for (size_t i = 0; i < frames.size(); ++i) {
      s.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(o.timeout_ms);
    while (!g_stop.load()) {
      zmq::pollitem_t item = {s.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(100));
      if (item.revents & ZMQ_POLLIN) {
        zmq::message_t m;
        if (!s.recv(m)) continue;
        *reply = m.to_string();
        return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) break;
    }
    *error = "no reply from " + o.endpoint + " within " + std::to_string(o.timeout_ms) +
             " ms (is shelfguardd running?)";
  } catch (const zmq::error_t& e) {
    *error = std::string("zeromq: ") + e.what();
  }
  return false;
}

// A random request id (128 bits, hex) that makes a submission resumable.
std::string NewRequestId() {
  unsigned char b[16] = {};
  int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  bool ok = fd >= 0 && ::read(fd, b, sizeof b) == static_cast<ssize_t>(sizeof b);
  if (fd >= 0) ::close(fd);
  if (!ok) {
    // No /dev/urandom: time and pid still make a collision unlikely.
    auto t = std::chrono::steady_clock::now().time_since_epoch().count();
    std::memcpy(b, &t, sizeof t);
    pid_t pid = ::getpid();
    std::memcpy(b + 8, &pid, sizeof pid);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char c : b) {
    id += kHex[c >> 4];
    id += kHex[c & 15];
  }
  return id;
}

// Submits and waits for the verdict, surviving a daemon restart: after
// `resume_ms` without a reply (or a "stopping" reply) it asks again by
// request id on a new socket, which attaches to the same job or returns its
// stored result; a daemon that never queued the request ("unknown-request")
// gets the whole submission again. Gives up at o.timeout_ms.
bool SubmitResumable(const ClientOptions& o, const std::vector<std::string>& frames, const std::string& rid,
                     int64_t resume_ms, std::string* reply, std::string* error) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(o.timeout_ms);
  const std::vector<std::string> resume = {Dump({{"type", "submit"}, {"request_id", rid}, {"resume", true}})};
  bool whole = true;
  while (!g_stop.load()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    ClientOptions round = o;
    round.timeout_ms = std::min<int64_t>(resume_ms, left.count());
    std::string err;
    if (!RequestReply(round, whole ? frames : resume, reply, &err)) {
      if (err.rfind("no reply", 0) != 0) {
        *error = err;  // not a timeout: CURVE or ZeroMQ setup failed
        return false;
      }
      whole = false;  // ask again by id: the daemon may have restarted
      continue;
    }
    json r = json::parse(*reply, nullptr, false);
    std::string code = r.is_object() ? r.value("code", "") : "";
    if (code == "unknown-request") {
      whole = true;
    } else if (code == "stopping") {
      whole = false;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(500, left.count())));
    } else {
      return true;
    }
  }
  *error = "no verdict from " + o.endpoint + " within " + std::to_string(o.timeout_ms) +
           " ms (is shelfguardd running?)";
  return false;
}

}  // namespace

int RunSubmit(int argc, char** argv) {
  ClientOptions o;
  o.endpoint = "tcp://127.0.0.1:7710";
  o.timeout_ms = 300000;
  bool as_json = false, by_path = false;
  int64_t resume_ms = 5000;
  Severity fail_on = Severity::kViolation;
  std::string target, sha256;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    int r = ParseClientOption("submit", argc, argv, &i, &o);
    if (r < 0) return 2;
    if (r > 0) continue;
    if (a == "-h" || a == "--help") {
      std::printf(
          "usage: shelfguard submit [options] FILE|URL\n\n"
          "Submits one package to a running shelfguardd and prints its verdict and findings.\n"
          "A FILE is sent as bytes (up to the daemon's submit.max_bytes) unless --by-path;\n"
          "an http(s) URL is downloaded by the daemon.\n\noptions:\n%s"
          "  --by-path               send the file's absolute path instead of its bytes\n"
          "                          (the daemon must be able to read it)\n"
          "  --sha256 HEX            for a URL: the expected SHA-256 of the download\n"
          "  --json                  print the daemon's reply as JSON\n"
          "  --resume-after MS       with no reply after MS (default 5000), ask again by\n"
          "                          request id: a restarted daemon answers for the same job\n"
          "  --fail-on SEVERITY      exit 1 at or above SEVERITY (default: violation)\n\n"
          "exit codes: 0 below --fail-on; 1 a finding reached it; 2 not analysed or no reply\n"
          "default endpoint: tcp://127.0.0.1:7710, timeout 300000 ms\n",
          kClientOptionsHelp);
      return 0;
    } else if (a == "--json") {
      as_json = true;
    } else if (a == "--resume-after" && i + 1 < argc) {
      char* end = nullptr;
      long long v = std::strtoll(argv[++i], &end, 10);
      if (end == argv[i] || *end != '\0' || v < 100) {
        std::fprintf(stderr, "shelfguard submit: --resume-after takes milliseconds (>= 100), not '%s'\n", argv[i]);
        return 2;
      }
      resume_ms = v;
    } else if (a == "--by-path") {
      by_path = true;
    } else if (a == "--sha256" && i + 1 < argc) {
      sha256 = argv[++i];
    } else if (a == "--fail-on" && i + 1 < argc) {
      auto s = ParseSeverity(argv[++i]);
      if (!s) {
        std::fprintf(stderr, "shelfguard submit: bad --fail-on '%s'\n", argv[i]);
        return 2;
      }
      fail_on = *s;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "shelfguard submit: unknown option '%s' (see --help)\n", a.c_str());
      return 2;
    } else if (target.empty()) {
      target = a;
    } else {
      std::fprintf(stderr, "shelfguard submit: one FILE or URL at a time\n");
      return 2;
    }
  }
  if (target.empty()) {
    std::fprintf(stderr, "shelfguard submit: no FILE or URL given (see --help)\n");
    return 2;
  }
  std::string rid = NewRequestId();
  json req = {{"type", "submit"}, {"request_id", rid}};
  std::vector<std::string> frames;
  if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) {
    req["url"] = target;
    if (!sha256.empty()) req["sha256"] = sha256;
    frames.push_back(Dump(req));
  } else {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(target, ec)) {
      std::fprintf(stderr, "shelfguard submit: %s: not a file\n", target.c_str());
      return 2;
    }
    req["name"] = std::filesystem::path(target).filename().string();
    if (by_path) {
      req["path"] = std::filesystem::absolute(target).lexically_normal().string();
      frames.push_back(Dump(req));
    } else {
      std::ifstream in(target, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      if (!in.good() && !in.eof()) {
        std::fprintf(stderr, "shelfguard submit: cannot read %s\n", target.c_str());
        return 2;
      }
      frames.push_back(Dump(req));
      frames.push_back(ss.str());
    }
  }
  ::signal(SIGINT, OnSignal);
  std::string reply, error;
  if (!SubmitResumable(o, frames, rid, resume_ms, &reply, &error)) {
    std::fprintf(stderr, "shelfguard submit: %s\n", error.c_str());
    return 2;
  }
  json r = json::parse(reply, nullptr, false);
  if (r.is_discarded() || !r.is_object()) {
    std::fprintf(stderr, "shelfguard submit: malformed reply from the daemon\n");
    return 2;
  }
  if (as_json) {
    std::printf("%s\n", Dump(r).c_str());
  }
  if (!r.value("ok", false)) {
    std::fprintf(stderr, "shelfguard submit: %s: %s\n", target.c_str(), r.value("error", "failed").c_str());
    return 2;
  }
  std::string verdict = r.value("verdict", "error");
  if (!as_json) {
    std::printf("%s: %s (job %lld, sha256 %s)\n", target.c_str(), verdict.c_str(),
                static_cast<long long>(r.value("job_id", int64_t{0})), r.value("sha256", "").c_str());
    if (r.contains("findings")) {
      for (const auto& f : r["findings"]) {
        std::printf("  [%s] %s: %s\n", f.value("severity", "").c_str(), f.value("rule_id", "").c_str(),
                    f.value("message_en", "").c_str());
        if (f.contains("evidence")) {
          for (const auto& e : f["evidence"]) {
            std::printf("      %s %s %s\n", e.value("kind", "").c_str(), e.value("location", "").c_str(),
                        e.value("value", "").c_str());
          }
        }
      }
    }
    if (verdict == "error") std::printf("  error: %s\n", r.value("error", "").c_str());
  }
  if (verdict == "error") return 2;
  auto sev = ParseSeverity(verdict);
  return fail_on != Severity::kPass && sev && *sev >= fail_on ? 1 : 0;
}

int RunStatus(int argc, char** argv) {
  ClientOptions o;
  o.endpoint = "tcp://127.0.0.1:7711";
  o.timeout_ms = 5000;
  bool as_json = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    int r = ParseClientOption("status", argc, argv, &i, &o);
    if (r < 0) return 2;
    if (r > 0) continue;
    if (a == "-h" || a == "--help") {
      std::printf(
          "usage: shelfguard status [options]\n\nShows a running shelfguardd's queue depth, "
          "throughput, errors, feeds and versions.\n\noptions:\n%s  --json                  "
          "print the raw JSON\n\ndefault endpoint: tcp://127.0.0.1:7711, timeout 5000 ms\n",
          kClientOptionsHelp);
      return 0;
    } else if (a == "--json") {
      as_json = true;
    } else {
      std::fprintf(stderr, "shelfguard status: unknown option '%s' (see --help)\n", a.c_str());
      return 2;
    }
  }
  std::string reply, error;
  if (!RequestReply(o, {Dump({{"cmd", "status"}})}, &reply, &error)) {
    std::fprintf(stderr, "shelfguard status: %s\n", error.c_str());
    return 2;
  }
  json r = json::parse(reply, nullptr, false);
  if (r.is_discarded() || !r.value("ok", false)) {
    std::fprintf(stderr, "shelfguard status: bad reply: %s\n", reply.c_str());
    return 2;
  }
  if (as_json) {
    std::printf("%s\n", Dump(r).c_str());
    return 0;
  }
  auto g = [&](const char* a, const char* b) { return r[a].value(b, json()).dump(); };
  std::printf("shelfguardd %s (pid %s), up %s s, workers %s (%s busy)\n",
              r["daemon"].value("version", "").c_str(), g("daemon", "pid").c_str(),
              g("daemon", "uptime_s").c_str(), g("daemon", "workers").c_str(), g("daemon", "busy_workers").c_str());
  std::printf("versions: signatures %s, registry %s\n", r["versions"].value("signatures", "").c_str(),
              r["versions"].value("registry", "").c_str());
  std::printf("queue: depth %s (queued %s, running %s), done %s, failed %s\n", g("queue", "depth").c_str(),
              g("queue", "queued").c_str(), g("queue", "running").c_str(), g("queue", "done").c_str(),
              g("queue", "failed").c_str());
  std::printf("outbox: pending %s, in flight %s, acknowledged %s; live watchers: %s\n", g("outbox", "pending").c_str(),
              g("outbox", "inflight").c_str(), g("outbox", "acked").c_str(),
              r.value("publish", json::object()).value("watching", false) ? "yes" : "none");
  std::printf("throughput: %s scanned, %s in the last minute, %.2f/s average; verdicts %s\n",
              g("throughput", "scanned").c_str(), g("throughput", "last_minute").c_str(),
              r["throughput"].value("per_second", 0.0), g("throughput", "verdicts").c_str());
  std::printf("errors: scan %s, failed jobs %s, feed %s\n", g("errors", "scan").c_str(),
              g("errors", "failed_jobs").c_str(), g("errors", "feed").c_str());
  for (const auto& e : r["errors"].value("recent", json::array())) std::printf("  %s\n", e.get<std::string>().c_str());
  for (const auto& f : r.value("feeds", json::array())) {
    std::printf("feed %s: %s packages, last poll %s, HTTP %s (%lld not modified), errors poll/entry/download "
                "%s/%s/%s%s%s\n",
                f.value("name", "").c_str(), f["packages"].dump().c_str(), f.value("last_poll", "").c_str(),
                f["http_status"].dump().c_str(), static_cast<long long>(f.value("not_modified", int64_t{0})),
                f["poll_errors"].dump().c_str(), f["entry_errors"].dump().c_str(),
                f["download_errors"].dump().c_str(), f.value("last_error", "").empty() ? "" : "; last: ",
                f.value("last_error", "").c_str());
  }
  return 0;
}

int RunConsume(int argc, char** argv) {
  ClientOptions o;
  o.endpoint = "tcp://127.0.0.1:7712";
  std::string out_path, consumer = "default";
  int64_t count = 0, idle_exit_ms = 0;
  int batch = 64;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    int r = ParseClientOption("consume", argc, argv, &i, &o);
    if (r < 0) return 2;
    if (r > 0) continue;
    if (a == "-h" || a == "--help") {
      std::printf(
          "usage: shelfguard consume [options]\n\n"
          "Receives violation messages from shelfguardd and prints them (or appends them to\n"
          "--out) as JSON Lines. Each batch is written and fsync'ed before it is\n"
          "acknowledged; messages already written (same id) are acknowledged, not written\n"
          "again, so redelivery after a crash never duplicates a line.\n\noptions:\n%s"
          "  -o, --out FILE          append to FILE (its ids are loaded for dedup at start)\n"
          "  --consumer NAME         consumer name: on reconnect, what NAME held unacknowledged\n"
          "                          is redelivered at once (default: default)\n"
          "  --count N               exit after N new messages\n"
          "  --idle-exit MS          exit after MS milliseconds without a message\n"
          "  --batch N               most messages per fetch (default: 64)\n\n"
          "default endpoint: tcp://127.0.0.1:7712; --timeout: exit 2 when the daemon does not\n"
          "answer a fetch for that long (default: keep retrying)\n",
          kClientOptionsHelp);
      return 0;
    } else if ((a == "-o" || a == "--out") && i + 1 < argc) {
      out_path = argv[++i];
    } else if (a == "--consumer" && i + 1 < argc) {
      consumer = argv[++i];
    } else if (a == "--count" && i + 1 < argc) {
      count = std::atoll(argv[++i]);
    } else if (a == "--idle-exit" && i + 1 < argc) {
      idle_exit_ms = std::atoll(argv[++i]);
    } else if (a == "--batch" && i + 1 < argc) {
      batch = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "shelfguard consume: unknown option '%s' (see --help)\n", a.c_str());
      return 2;
    }
  }
  // Ids already written (a previous run's file) are not written again.
  std::unordered_set<std::string> seen;
  int out_fd = -1;
  if (!out_path.empty()) {
    std::ifstream in(out_path);
    std::string line;
    while (std::getline(in, line)) {
      json j = json::parse(line, nullptr, false);
      if (j.is_object() && j.contains("id") && j["id"].is_string()) seen.insert(j["id"].get<std::string>());
    }
    out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (out_fd < 0) {
      std::fprintf(stderr, "shelfguard consume: cannot open %s: %s\n", out_path.c_str(), std::strerror(errno));
      return 2;
    }
  }
  ::signal(SIGINT, OnSignal);
  ::signal(SIGTERM, OnSignal);
  int64_t received = 0;
  int rc = 0;
  try {
    zmq::context_t ctx(1);
    zmq::socket_t s(ctx, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 1000);
    std::string err = SetupCurve(s, o);
    if (!err.empty()) {
      std::fprintf(stderr, "shelfguard consume: %s\n", err.c_str());
      return 2;
    }
    s.connect(o.endpoint);
    auto send = [&](const json& j) { s.send(zmq::buffer(Dump(j)), zmq::send_flags::none); };
    send({{"type", "hello"}, {"consumer", consumer}});
    auto last_msg = std::chrono::steady_clock::now();
    auto last_reply = last_msg;
    bool fetch_out = false;
    while (!g_stop.load()) {
      if (!fetch_out) {
        send({{"type", "fetch"}, {"consumer", consumer}, {"max", batch}, {"wait_ms", 1000}});
        fetch_out = true;
      }
      zmq::pollitem_t item = {s.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(200));
      auto now = std::chrono::steady_clock::now();
      if (!(item.revents & ZMQ_POLLIN)) {
        if (o.timeout_ms > 0 && now - last_reply > std::chrono::milliseconds(o.timeout_ms)) {
          std::fprintf(stderr, "shelfguard consume: no answer from %s\n", o.endpoint.c_str());
          rc = 2;
          break;
        }
        // A fetch unanswered for long: the daemon restarted; say hello again.
        if (now - last_reply > std::chrono::milliseconds(5000)) {
          send({{"type", "hello"}, {"consumer", consumer}});
          fetch_out = false;
          last_reply = now;
        }
        if (idle_exit_ms > 0 && now - last_msg > std::chrono::milliseconds(idle_exit_ms)) break;
        continue;
      }
      zmq::message_t m;
      if (!s.recv(m)) continue;
      last_reply = now;
      json r = json::parse(m.to_string(), nullptr, false);
      if (!r.is_object() || r.value("type", "") != "batch") continue;  // welcome / acked
      fetch_out = false;
      std::vector<std::string> ids;
      std::string lines;
      for (const auto& msg : r.value("messages", json::array())) {
        if (!msg.is_object() || !msg.contains("id") || !msg["id"].is_string()) continue;
        std::string id = msg["id"].get<std::string>();
        ids.push_back(id);
        if (!seen.insert(id).second) continue;  // a redelivery: ack only
        lines += Dump(msg) + "\n";
        ++received;
      }
      if (!lines.empty()) {
        if (out_fd >= 0) {
          const char* p = lines.data();
          size_t left = lines.size();
          while (left > 0) {
            ssize_t w = ::write(out_fd, p, left);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
              std::fprintf(stderr, "shelfguard consume: write %s: %s\n", out_path.c_str(), std::strerror(errno));
              return 2;  // nothing acknowledged: the daemon redelivers
            }
            p += w;
            left -= static_cast<size_t>(w);
          }
          if (::fsync(out_fd) != 0) {
            std::fprintf(stderr, "shelfguard consume: fsync %s: %s\n", out_path.c_str(), std::strerror(errno));
            return 2;
          }
        } else {
          std::fwrite(lines.data(), 1, lines.size(), stdout);
          std::fflush(stdout);
        }
      }
      if (!ids.empty()) {
        send({{"type", "ack"}, {"consumer", consumer}, {"ids", ids}});
        last_msg = now;
      }
      if (count > 0 && received >= count) break;
      if (idle_exit_ms > 0 && ids.empty() && now - last_msg > std::chrono::milliseconds(idle_exit_ms)) break;
    }
  } catch (const zmq::error_t& e) {
    std::fprintf(stderr, "shelfguard consume: zeromq: %s\n", e.what());
    rc = 2;
  }
  if (out_fd >= 0) ::close(out_fd);
  return rc;
}

}  // namespace shelfguard::cli
