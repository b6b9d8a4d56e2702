// What the clients of a running shelfguardd share (docs/daemon.md): the
// connection options (--endpoint, --config, CURVE keys, --timeout), reading
// the endpoint and server key from the daemon's config, CURVE set-up, one
// REQ round trip, and the SIGINT/SIGTERM stop flag. The commands themselves
// are cmd_submit.cc, cmd_consume.cc and cmd_control.cc (status, ping,
// reload, version).
#ifndef SHELFGUARD_SRC_CLI_DAEMON_CLIENT_H_
#define SHELFGUARD_SRC_CLI_DAEMON_CLIENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

namespace shelfguard::cli {

// Options shared by the daemon clients.
struct ClientOptions {
  std::string endpoint;
  std::string server_key;       // Z85 public key of the daemon (CURVE)
  std::string client_key_file;  // file holding the client's Z85 secret key
  std::string config;           // the daemon's config: endpoints and server key
  int64_t timeout_ms = 0;
  bool endpoint_given = false;  // --endpoint on the command line: --config does not override it
};

// Which of the daemon's sockets a client talks to.
enum class Socket { kSubmit, kControl, kDelivery };

// SIGINT/SIGTERM ask the client to stop after the work in hand; StopRequested
// says whether one came.
void InstallStopHandlers();
bool StopRequested();

// Waits up to `ms` for `s` to be readable. A signal interrupting the wait is
// not an error (the caller looks at StopRequested), so a stop never surfaces
// as "Interrupted system call".
bool PollIn(zmq::socket_t& s, int ms);

// Compact JSON; invalid UTF-8 is replaced rather than thrown on.
std::string Dump(const nlohmann::json& j, int indent = -1);

// --endpoint, --config, --server-key, --client-key-file and --timeout bound
// to *o (their defaults shown are o's current values); o->endpoint_given
// becomes true when --endpoint is on the command line.
void AddClientCommon(CLI::App* cmd, ClientOptions* o);

// Fills the endpoint and server key from --config where the command line
// did not give them. Returns an error message or "".
std::string ApplyConfig(ClientOptions* o, Socket which);
// ApplyConfig, with its error on stderr as "shelfguard CMD: ..."; false on error.
bool ApplyConfigOrSay(const char* cmd, ClientOptions* o, Socket which);

// Sets the socket's linger and, when o asks for it, CURVE client keys.
// Returns an error message or "".
std::string PrepareSocket(zmq::socket_t& s, const ClientOptions& o, int linger_ms);

// One REQ round trip on o.endpoint, waiting up to o.timeout_ms (or until a
// stop). False with *error set when there is no reply.
bool RequestReply(const ClientOptions& o, const std::vector<std::string>& frames, std::string* reply,
                  std::string* error);

}  // namespace shelfguard::cli

#endif  // SHELFGUARD_SRC_CLI_DAEMON_CLIENT_H_
