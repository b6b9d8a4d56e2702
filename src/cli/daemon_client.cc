// The pieces every client of shelfguardd shares (daemon_client.h).
#include "cli/daemon_client.h"

#include <signal.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/bounded_file.h"
#include "daemon/config.h"

namespace shelfguard::cli {
namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

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

}  // namespace

void InstallStopHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

bool StopRequested() { return g_stop.load(); }

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

std::string Dump(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

void AddClientCommon(CLI::App* cmd, ClientOptions* o) {
  AddClientOptions(cmd, o);
  cmd->get_option("--endpoint")->each([o](const std::string&) { o->endpoint_given = true; });
}

bool ApplyConfigOrSay(const char* cmd, ClientOptions* o, Socket which) {
  std::string err = ApplyConfig(o, which);
  if (!err.empty()) std::fprintf(stderr, "shelfguard %s: %s\n", cmd, err.c_str());
  return err.empty();
}

std::string ApplyConfig(ClientOptions* o, Socket which) {
  if (o->config.empty()) return "";
  auto cfg = daemon::LoadConfig(o->config);
  if (!cfg.ok()) return "config " + o->config + ": " + cfg.status().message();
  const daemon::SocketConfig& sock = which == Socket::kSubmit    ? cfg->submit
                                     : which == Socket::kControl ? cfg->control
                                                                 : cfg->delivery;
  if (!o->endpoint_given) {
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

std::string PrepareSocket(zmq::socket_t& s, const ClientOptions& o, int linger_ms) {
  s.set(zmq::sockopt::linger, linger_ms);
  if (o.server_key.empty() && o.client_key_file.empty()) return "";
  if (o.server_key.empty() || o.client_key_file.empty()) {
    return "CURVE needs both --server-key and --client-key-file";
  }
  auto text = ReadFileBounded(o.client_key_file, 4096, "client key file");
  if (!text.ok()) return text.status().message();
  std::istringstream in(*text);
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

bool RequestReply(const ClientOptions& o, const std::vector<std::string>& frames, std::string* reply,
                  std::string* error) {
  try {
    zmq::context_t ctx(1);
    zmq::socket_t s(ctx, zmq::socket_type::req);
    *error = PrepareSocket(s, o, 0);
    if (!error->empty()) return false;
    s.connect(o.endpoint);
    for (size_t i = 0; i < frames.size(); ++i) {
      // Zero-copy: the message points at the caller's bytes (a package of
      // up to GiBs is not copied again; ~2 ms per 6 MB). They outlive every
      // use ZeroMQ makes of them: `ctx` is terminated, which waits for its
      // I/O thread to let go of every message, before this function returns.
      zmq::message_t m(const_cast<char*>(frames[i].data()), frames[i].size(), nullptr);
      s.send(m, i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
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

}  // namespace shelfguard::cli
