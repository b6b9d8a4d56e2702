// `shelfguard consume`: a DEALER on shelfguardd's delivery socket that
// fetches violation messages, writes and fsyncs them, then acknowledges
// them (docs/daemon.md, docs/protocol.md).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "net/consumer_protocol.h"

namespace shelfguard::cli {
namespace {

using json = nlohmann::json;

struct ConsumeOptions {
  ClientOptions client{"tcp://127.0.0.1:7712", "", "", "", 0};
  std::string out_path, consumer = "default";
  int64_t count = 0, idle_exit_ms = 0;
  int batch = 64;
};

// The "id" of every JSON line already in `path` (none when it does not exist).
std::unordered_set<std::string> IdsWrittenIn(const std::string& path) {
  std::unordered_set<std::string> ids;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("id") && j["id"].is_string()) ids.insert(j["id"].get<std::string>());
  }
  return ids;
}

// Writes `lines` to out_fd and fsyncs it, or to stdout when out_fd < 0.
// False after a message on stderr.
bool WriteLines(int out_fd, const std::string& out_path, const std::string& lines) {
  if (out_fd < 0) {
    std::fwrite(lines.data(), 1, lines.size(), stdout);
    std::fflush(stdout);
    return true;
  }
  const char* p = lines.data();
  size_t left = lines.size();
  while (left > 0) {
    ssize_t w = ::write(out_fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      std::fprintf(stderr, "shelfguard consume: write %s: %s\n", out_path.c_str(), std::strerror(errno));
      return false;
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  if (::fsync(out_fd) != 0) {
    std::fprintf(stderr, "shelfguard consume: fsync %s: %s\n", out_path.c_str(), std::strerror(errno));
    return false;
  }
  return true;
}

int RunConsume(ConsumeOptions& co) {
  ClientOptions& o = co.client;
  if (!ApplyConfigOrSay("consume", &o, Socket::kDelivery)) return 2;
  const std::string& out_path = co.out_path;
  const std::string& consumer = co.consumer;
  const int64_t count = co.count, idle_exit_ms = co.idle_exit_ms;
  const int batch = co.batch;
  // Ids already written (a previous run's file) are not written again.
  std::unordered_set<std::string> seen;
  int out_fd = -1;
  if (!out_path.empty()) {
    seen = IdsWrittenIn(out_path);
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
    std::string err = PrepareSocket(s, o, 1000);
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
    while (!StopRequested()) {
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
      // Nothing is acknowledged when the write fails: the daemon redelivers.
      if (!lines.empty() && !WriteLines(out_fd, out_path, lines)) return 2;
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

}  // namespace

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
  AddClientCommon(cmd, &o->client);
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
