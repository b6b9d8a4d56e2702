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
#include <memory>
#include <sstream>
#include <string>
#include <unordered_set>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "cli/commands.h"
#include "daemon/config.h"
#include "net/consumer_protocol.h"
#include "shelfguard/report.h"

namespace shelfguard::cli {
namespace {

using json = nlohmann::json;

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

// SIGINT/SIGTERM ask the client to stop after the work in hand.
void InstallStopHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

// Waits up to `ms` for `s` to be readable. A signal interrupting the wait is
// not an error (the caller looks at g_stop), so a stop never surfaces as
// "Interrupted system call".
bool PollIn(zmq::socket_t& s, int ms) {
  zmq::pollitem_t item = {s.handle(), 0, ZMQ_POLLIN, 0};
  try {
    zmq::poll(&item, 1, std::chrono::milliseconds(ms));
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return false;
    throw;
  }
  return (item.revents & ZMQ_POLLIN) != 0;
}

std::string Dump(const json& j, int indent = -1) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

// Options shared by the daemon clients.
struct ClientOptions {
  std::string endpoint;
  std::string server_key;       // Z85 public key of the daemon (CURVE)
  std::string client_key_file;  // file holding the client's Z85 secret key
  std::string config;           // the daemon's config: endpoints and server key
  int64_t timeout_ms = 0;
};

// Which of the daemon's sockets a client talks to.
enum class Socket { kSubmit, kControl, kDelivery };

void AddClientOptions(CLI::App* cmd, ClientOptions* o) {
  cmd->add_option("-e,--endpoint", o->endpoint,
                  "daemon socket (tcp://127.0.0.1:PORT or ipc://PATH); default: from --config, "
                  "else " + o->endpoint)
      ->type_name("E");
  cmd->add_option("-c,--config", o->config,
                  "the daemon's config (shelfguardd --config): the endpoint and, when the socket "
                  "has curve on, the server key come from it")
      ->type_name("FILE");
  cmd->add_option("--server-key", o->server_key,
                  "the daemon's CURVE public key (when the socket has curve on)")
      ->type_name("Z85");
  cmd->add_option("--client-key-file", o->client_key_file,
                  "file with this client's CURVE secret key (Z85)")
      ->type_name("FILE");
  cmd->add_option("--timeout", o->timeout_ms,
                  "give up waiting for the daemon after MS milliseconds (default " +
                      std::to_string(o->timeout_ms) + ")")
      ->type_name("MS")
      ->check(CLI::Range(int64_t{0}, int64_t{86400000}).description(""));
}

std::string ApplyConfig(ClientOptions* o, Socket which, bool endpoint_given);

// ApplyConfig, with its error on stderr; false on error.
bool ApplyConfigOrSay(const char* cmd, ClientOptions* o, Socket which, bool endpoint_given) {
  std::string err = ApplyConfig(o, which, endpoint_given);
  if (!err.empty()) std::fprintf(stderr, "shelfguard %s: %s\n", cmd, err.c_str());
  return err.empty();
}

// Fills the endpoint and server key from --config where the command line
// did not give them. Returns an error message or "".
std::string ApplyConfig(ClientOptions* o, Socket which, bool endpoint_given) {
  if (o->config.empty()) return "";
  auto cfg = daemon::LoadConfig(o->config);
  if (!cfg.ok()) return "config " + o->config + ": " + cfg.status().message();
  const daemon::SocketConfig& sock = which == Socket::kSubmit    ? cfg->submit
                                     : which == Socket::kControl ? cfg->control
                                                                 : cfg->delivery;
  if (!endpoint_given) {
    o->endpoint = sock.endpoint;
    // A daemon bound to every interface is reached on loopback.
    for (const char* any : {"tcp://*:", "tcp://0.0.0.0:"}) {
      if (o->endpoint.rfind(any, 0) == 0) {
        o->endpoint = "tcp://127.0.0.1:" + o->endpoint.substr(std::strlen(any));
      }
    }
  }
  if (sock.curve && o->server_key.empty()) {
    std::string secret = cfg->ServerSecret();
    char pub[41];
    if (secret.size() != 40 || zmq_curve_public(pub, secret.c_str()) != 0) {
      return "the socket has curve on but the server key in " + o->config +
             " cannot be read; give --server-key";
    }
    o->server_key = pub;
  }
  if (sock.curve && o->client_key_file.empty()) {
    return "the socket has curve on in " + o->config + ": give --client-key-file";
  }
  return "";
}

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
      if (PollIn(s, 100)) {
        zmq::message_t m;
        if (!s.recv(m, zmq::recv_flags::dontwait)) continue;
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

struct SubmitOptions {
  ClientOptions client{"tcp://127.0.0.1:7710", "", "", "", 300000};
  bool endpoint_given = false, by_path = false;
  std::string format = "text";
  int64_t resume_ms = 5000;
  Severity fail_on = Severity::kViolation;
  std::string target, sha256;
};

int RunSubmit(SubmitOptions& so) {
  ClientOptions& o = so.client;
  if (!ApplyConfigOrSay("submit", &o, Socket::kSubmit, so.endpoint_given)) return 2;
  const bool as_json = so.format == "json", by_path = so.by_path;
  const int64_t resume_ms = so.resume_ms;
  const Severity fail_on = so.fail_on;
  const std::string &target = so.target, &sha256 = so.sha256;
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
  InstallStopHandlers();
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
    // The reply as the daemon wrote it: re-serialising the parsed object
    // would sort every key and bury "ok"/"verdict" among the report's.
    std::printf("%s\n", reply.c_str());
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

struct ControlOptions {
  ClientOptions client{"tcp://127.0.0.1:7711", "", "", "", 5000};
  bool endpoint_given = false;
  std::string format = "text";
};

// One request on the control socket; the parsed reply, or null after a
// message on stderr.
json ControlRequest(const char* cmd, ControlOptions& co) {
  ClientOptions& o = co.client;
  std::string reply, error = ApplyConfig(&o, Socket::kControl, co.endpoint_given);
  if (error.empty() && !RequestReply(o, {Dump({{"cmd", cmd}})}, &reply, &error)) {
    if (g_stop.load()) error = "interrupted";
  }
  if (!error.empty()) {
    std::fprintf(stderr, "shelfguard %s: %s\n", cmd, error.c_str());
    return json();
  }
  json r = json::parse(reply, nullptr, false);
  if (r.is_discarded() || !r.is_object()) {
    std::fprintf(stderr, "shelfguard %s: malformed reply from %s\n", cmd, o.endpoint.c_str());
    return json();
  }
  if (!r.value("ok", false)) {
    std::fprintf(stderr, "shelfguard %s: the daemon refused: %s\n", cmd,
                 r.value("error", std::string("no reason given")).c_str());
    return json();
  }
  return r;
}

int RunStatus(ControlOptions& co) {
  ClientOptions& o = co.client;
  const bool as_json = co.format == "json";
  if (!ApplyConfigOrSay("status", &o, Socket::kControl, co.endpoint_given)) return 2;
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
  if (const json up = r.value("signatures", json::object()).value("update", json::object());
      !up.value("url", "").empty()) {
    std::printf("signature updates: %s every %s s; installed bundle %s; last attempt %s: %s%s%s\n",
                up.value("url", "").c_str(), up["interval_s"].dump().c_str(), up["installed_version"].dump().c_str(),
                up.value("last_attempt", "").empty() ? "(none yet)" : up.value("last_attempt", "").c_str(),
                up.value("last_result", "").c_str(), up.value("last_error", "").empty() ? "" : "; last error: ",
                up.value("last_error", "").c_str());
  }
  if (const json sp = r.value("suppressions", json::object()); !sp.value("file", "").empty()) {
    std::printf("suppressions: %s (%s entries)\n", sp.value("file", "").c_str(), sp["entries"].dump().c_str());
  }
  std::printf("queue: depth %s (queued %s, running %s), done %s, failed %s\n", g("queue", "depth").c_str(),
              g("queue", "queued").c_str(), g("queue", "running").c_str(), g("queue", "done").c_str(),
              g("queue", "failed").c_str());
  std::printf("outbox: pending %s, in flight %s, acknowledged %s; live watchers: %s\n", g("outbox", "pending").c_str(),
              g("outbox", "inflight").c_str(), g("outbox", "acked").c_str(),
              r.value("publish", json::object()).value("watching", false) ? "yes" : "none");
  std::printf("throughput: %s scanned, %s in the last minute, %.2f/s average; verdicts %s\n",
              g("throughput", "scanned").c_str(), g("throughput", "last_minute").c_str(),
              r["throughput"].value("per_second", 0.0), g("throughput", "verdicts").c_str());
  if (const json st = r.value("store", json::object()); st.contains("nodes")) {
    std::printf("store: %s %s, this node %s; %lld of %zu nodes alive\n", st.value("engine", "").c_str(),
                st.value("where", "").c_str(), st.value("node_id", "").c_str(),
                static_cast<long long>(st.value("nodes_alive", int64_t{0})), st["nodes"].size());
    for (const auto& n : st["nodes"]) {
      std::printf("  node %s (%s pid %s) %s, last heartbeat %s, workers %s, running %s, scanned %s last minute, "
                  "%s last hour\n",
                  n.value("node_id", "").c_str(), n.value("host", "").c_str(), n["pid"].dump().c_str(),
                  n.value("alive", false) ? "alive" : "silent", n.value("last_heartbeat", "").c_str(),
                  n["workers"].dump().c_str(), n["running"].dump().c_str(), n["scanned_last_minute"].dump().c_str(),
                  n["scanned_last_hour"].dump().c_str());
    }
  } else if (st.contains("error")) {
    std::printf("store: %s %s: %s\n", st.value("engine", "").c_str(), st.value("where", "").c_str(),
                st.value("error", "").c_str());
  }
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

struct ConsumeOptions {
  ClientOptions client{"tcp://127.0.0.1:7712", "", "", "", 0};
  bool endpoint_given = false;
  std::string out_path, consumer = "default";
  int64_t count = 0, idle_exit_ms = 0;
  int batch = 64;
};

int RunConsume(ConsumeOptions& co) {
  ClientOptions& o = co.client;
  if (!ApplyConfigOrSay("consume", &o, Socket::kDelivery, co.endpoint_given)) return 2;
  const std::string& out_path = co.out_path;
  const std::string& consumer = co.consumer;
  const int64_t count = co.count, idle_exit_ms = co.idle_exit_ms;
  const int batch = co.batch;
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
  InstallStopHandlers();
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
    // A reply larger than the protocol allows is dropped by ZeroMQ, not read.
    s.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(net::kMaxReplyBytes));
    s.connect(o.endpoint);
    auto send = [&](const std::string& frame) { s.send(zmq::buffer(frame), zmq::send_flags::none); };
    send(net::HelloRequest(consumer));
    auto last_msg = std::chrono::steady_clock::now();
    auto last_reply = last_msg;
    bool fetch_out = false;
    int unacked = 0;  // acks sent and not yet confirmed
    while (!g_stop.load()) {
      if (!fetch_out) {
        // With --count, never take more than are still wanted: what is
        // fetched is written and acknowledged, so exactly N are.
        int64_t want = count > 0 ? std::min<int64_t>(batch, count - received) : batch;
        send(net::FetchRequest(consumer, want, 1000));
        fetch_out = true;
      }
      bool readable = PollIn(s, 200);
      auto now = std::chrono::steady_clock::now();
      if (!readable) {
        if (o.timeout_ms > 0 && now - last_reply > std::chrono::milliseconds(o.timeout_ms)) {
          std::fprintf(stderr, "shelfguard consume: no answer from %s\n", o.endpoint.c_str());
          rc = 2;
          break;
        }
        // A fetch unanswered for long: the daemon restarted; say hello again.
        if (now - last_reply > std::chrono::milliseconds(5000)) {
          send(net::HelloRequest(consumer));
          fetch_out = false;
          last_reply = now;
        }
        if (idle_exit_ms > 0 && now - last_msg > std::chrono::milliseconds(idle_exit_ms)) break;
        continue;
      }
      zmq::message_t m;
      if (!s.recv(m, zmq::recv_flags::dontwait)) continue;
      last_reply = now;
      net::ConsumerReply r;
      std::string bad = net::ParseConsumerReply(m.to_string(), &r);
      if (!bad.empty()) {
        std::fprintf(stderr, "shelfguard consume: ignoring a malformed reply from %s: %s\n", o.endpoint.c_str(),
                     bad.c_str());
        continue;
      }
      if (r.type == "acked") unacked = std::max(0, unacked - 1);
      if (r.type == "error") {
        std::fprintf(stderr, "shelfguard consume: daemon: %s (%s)\n", r.error.c_str(), r.code.c_str());
        if (r.code != "busy") {
          rc = 2;  // a refused request is refused again: asking again would loop
          break;
        }
        // Too many parked fetches: this one was not parked; ask again shortly.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        fetch_out = false;
        continue;
      }
      if (r.type != "batch") continue;  // welcome / acked
      fetch_out = false;
      if (r.skipped > 0) {
        std::fprintf(stderr, "shelfguard consume: %zu message(s) without a usable id skipped\n", r.skipped);
      }
      std::vector<std::string>& ids = r.ids;
      std::string lines;
      for (size_t i = 0; i < r.messages.size(); ++i) {
        if (!seen.insert(ids[i]).second) continue;  // a redelivery: ack only
        lines += Dump(r.messages[i]) + "\n";
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
        send(net::AckRequest(consumer, ids));
        ++unacked;
        last_msg = now;
      }
      if (count > 0 && received >= count) break;
      if (idle_exit_ms > 0 && ids.empty() && now - last_msg > std::chrono::milliseconds(idle_exit_ms)) break;
    }
    // Stopped (count reached, idle, or SIGINT/SIGTERM after the batch in
    // hand was written): wait briefly for the daemon to confirm the acks,
    // so a clean stop leaves nothing to redeliver.
    auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(2000);
    while (unacked > 0 && std::chrono::steady_clock::now() < give_up) {
      if (!PollIn(s, 100)) continue;
      zmq::message_t m;
      if (!s.recv(m, zmq::recv_flags::dontwait)) continue;
      net::ConsumerReply r;
      if (net::ParseConsumerReply(m.to_string(), &r).empty() && r.type == "acked") --unacked;
    }
  } catch (const zmq::error_t& e) {
    std::fprintf(stderr, "shelfguard consume: zeromq: %s\n", e.what());
    rc = 2;
  }
  if (out_fd >= 0) ::close(out_fd);
  return rc;
}

// ping / reload / version: one control request, its reply printed.
int RunControlVerb(const char* cmd, ControlOptions& co) {
  json r = ControlRequest(cmd, co);
  if (std::string(cmd) == "version" && co.format != "json") std::printf("%s\n", VersionText().c_str());
  if (r.is_null()) return 2;
  if (co.format == "json") {
    std::printf("%s\n", Dump(r).c_str());
    return 0;
  }
  if (std::string(cmd) == "ping") std::printf("shelfguardd at %s is alive\n", co.client.endpoint.c_str());
  // The reply's fields, flattened one level: "versions.signatures: ...".
  for (const auto& [k, v] : r.items()) {
    if (k == "ok") continue;
    if (v.is_object()) {
      for (const auto& [k2, v2] : v.items()) {
        std::printf("%s.%s: %s\n", k.c_str(), k2.c_str(),
                    v2.is_string() ? v2.get<std::string>().c_str() : Dump(v2).c_str());
      }
    } else {
      std::printf("%s: %s\n", k.c_str(), v.is_string() ? v.get<std::string>().c_str() : Dump(v).c_str());
    }
  }
  return 0;
}

void AddClientCommon(CLI::App* cmd, ClientOptions* o, bool* endpoint_given) {
  AddClientOptions(cmd, o);
  cmd->get_option("--endpoint")->each([endpoint_given](const std::string&) { *endpoint_given = true; });
}

}  // namespace

void SetupSubmit(CLI::App* root) {
  CLI::App* cmd = AddCommand(root, "submit", "submit a package to a running shelfguardd for a verdict");
  cmd->footer(std::string(
      "Submits one package to a running shelfguardd and prints its verdict and findings.\n"
      "A FILE is sent as bytes (up to the daemon's submit.max_bytes) unless --by-path;\n"
      "an http(s) URL is downloaded by the daemon.") + "\n\n" +
      "exit codes: 0 below --fail-on; 1 a finding reached it; 2 not analysed, no reply,\n"
      "            or a usage error\n"
      "aliases: --json = --format json\n");
  auto o = std::make_shared<SubmitOptions>();
  cmd->add_option("target", o->target, "package file or http(s) URL")->type_name("FILE|URL")->required();
  AddClientCommon(cmd, &o->client, &o->endpoint_given);
  cmd->add_flag("--by-path", o->by_path,
                "send the file's absolute path instead of its bytes (the daemon must be able to "
                "read it)");
  cmd->add_option("--sha256", o->sha256, "for a URL: the expected SHA-256 of the download")
      ->type_name("HEX");
  AddFormatOption(cmd, &o->format, " (json: the daemon's reply)");
  cmd->add_option("--resume-after", o->resume_ms,
                  "with no reply after MS (default 5000), ask again by request id: a restarted "
                  "daemon answers for the same job")
      ->type_name("MS")
      ->check(CLI::Range(int64_t{100}, int64_t{86400000}).description(""));
  AddFailOnOption(cmd, &o->fail_on);
  SetRunner(cmd, [o] { return RunSubmit(*o); });
}

void SetupStatus(CLI::App* root) {
  CLI::App* cmd = AddCommand(root, "status", "show a running shelfguardd's queue and throughput");
  cmd->footer(
      "Shows a running shelfguardd's queue depth, throughput, errors, feeds and versions.\n\n"
      "aliases: --json = --format json\n");
  auto o = std::make_shared<ControlOptions>();
  AddClientCommon(cmd, &o->client, &o->endpoint_given);
  AddFormatOption(cmd, &o->format, " (json: the daemon's reply)");
  SetRunner(cmd, [o] { return RunStatus(*o); });
}

void SetupControl(CLI::App* root) {
  struct Verb {
    const char* name;
    const char* help;
  };
  static const Verb kVerbs[] = {
      {"ping", "ask a running shelfguardd whether it answers (exit 0 yes, 2 no)"},
      {"reload", "make a running shelfguardd reload its config, signatures and registry (as SIGHUP)"},
      {"version", "print this client's version and the daemon's engine, signatures and registry versions"},
  };
  for (const Verb& v : kVerbs) {
    CLI::App* cmd = AddCommand(root, v.name, v.help);
    cmd->footer("exit codes: 0 the daemon answered ok; 2 no answer, a refusal, or a usage error\n"
                "aliases: --json = --format json\n");
    auto o = std::make_shared<ControlOptions>();
    AddClientCommon(cmd, &o->client, &o->endpoint_given);
    AddFormatOption(cmd, &o->format, " (json: the daemon's reply)");
    const char* name = v.name;
    SetRunner(cmd, [o, name] { return RunControlVerb(name, *o); });
  }
}

void SetupConsume(CLI::App* root) {
  CLI::App* cmd = AddCommand(root, "consume", "receive and acknowledge violations from shelfguardd");
  cmd->footer(std::string(
      "Receives violation messages from shelfguardd and prints them (or appends them to\n"
      "--output) as JSON Lines. Each batch is written and fsync'ed before it is\n"
      "acknowledged; messages already written (same id) are acknowledged, not written\n"
      "again, so redelivery after a crash never duplicates a line. SIGINT or SIGTERM\n"
      "stops it after the batch in hand is written and acknowledged (exit 0).") + "\n\n" +
      "--timeout: exit 2 when the daemon does not answer a fetch for that long\n"
      "(default 0: keep retrying)\n"
      "exit codes: 0 stopped (count reached, idle, or a signal); 2 an error\n"
      "aliases: --out = --output\n");
  auto o = std::make_shared<ConsumeOptions>();
  AddClientCommon(cmd, &o->client, &o->endpoint_given);
  cmd->add_option("-o,--output,--out", o->out_path,
                  "append to FILE (its ids are loaded for dedup at start)")
      ->type_name("FILE");
  cmd->add_option("--consumer", o->consumer,
                  "consumer name: on reconnect, what NAME held unacknowledged is redelivered at "
                  "once (default: default)")
      ->type_name("NAME");
  cmd->add_option("--count", o->count, "exit after writing and acknowledging exactly N new messages")
      ->type_name("N")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40).description(""));
  cmd->add_option("--idle-exit", o->idle_exit_ms, "exit after MS milliseconds without a message")
      ->type_name("MS")
      ->check(CLI::Range(int64_t{1}, int64_t{86400000}).description(""));
  cmd->add_option("--batch", o->batch, "most messages per fetch (default: 64)")
      ->type_name("N")
      ->check(CLI::Range(1, 10000).description(""));
  SetRunner(cmd, [o] { return RunConsume(*o); });
}

}  // namespace shelfguard::cli
