// Fuzzes the daemon's request HANDLERS (submit, control, delivery), not only
// their parsers (protocol_fuzz.cc): a real DaemonImpl over a real SQLite
// store, spool and bound sockets in a temporary directory, with path and URL
// submissions on (beneath a root holding a file, a symbolic link, a FIFO and
// a directory), so every branch that spools bytes, opens a client's path,
// enqueues, resumes, parks a fetch or acks runs. No worker runs, so nothing
// is scanned or downloaded. Replies go to ROUTER identities nobody holds and
// are dropped by ZeroMQ.
//
// Input: byte 0 picks the socket (% 3), byte 1 the client identity (% 4)
// and whether the REQ delimiter frame is wrong (& 4); the rest is split into
// frames at "|||", with "$ROOT" standing for the path root. After each input the handlers' bookkeeping must add up
// (pending bytes = sum per job = sum per client, within the caps); every 32
// inputs it is reset so memory and disk stay bounded however long the
// fuzzer runs.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config.h"
#include "daemon_impl.h"
#include "log.h"

namespace shelfguard::daemon {

struct HandlerFuzzAccess {
  static inline std::string root;  // <temp dir>/roots
  static DaemonImpl* Instance() {
    static DaemonImpl* d = [] () -> DaemonImpl* {
      char tmpl[] = "/tmp/sg-handlers-fuzz.XXXXXX";
      if (::mkdtemp(tmpl) == nullptr) std::abort();
      std::string dir = tmpl;
      root = dir + "/roots";
      static std::string remove_at_exit = dir;
      std::atexit([] {
        std::error_code ec;
        std::filesystem::remove_all(remove_at_exit, ec);
      });
      namespace fs = std::filesystem;
      fs::create_directories(dir + "/roots/sub");
      std::ofstream(dir + "/roots/a.apk") << "PK\x03\x04 not really a zip";
      fs::create_symlink("/etc/passwd", dir + "/roots/link.apk");
      ::mkfifo((dir + "/roots/fifo.apk").c_str(), 0600);
      auto ep = [&](const char* n) { return "\"ipc://" + dir + "/" + n + ".sock\""; };
      std::ofstream(dir + "/sg.toml")
          << "[daemon]\nstate_dir = \"state\"\nlog_level = \"error\"\nworkers = 1\n"
          << "[scan]\nisolation = \"none\"\n[spool]\nenabled = false\n"
          << "[submit]\nendpoint = " << ep("submit") << "\nmax_bytes = 65536\nmax_pending = 16\n"
          << "max_pending_bytes = 131072\nmax_client_pending_bytes = 65536\nmax_client_pending = 4\nallow_paths = true\n"
          << "allow_urls = true\npath_roots = [\"" << dir << "/roots\"]\n"
          << "[control]\nendpoint = " << ep("control") << "\n[delivery]\nendpoint = " << ep("delivery")
          << "\nmax_parked = 8\n[publish]\nendpoint = " << ep("publish") << "\n";
      auto cfg = LoadConfig(dir + "/sg.toml");
      if (!cfg.ok()) {
        std::fprintf(stderr, "config: %s\n", cfg.status().ToString().c_str());
        std::abort();
      }
      SetLogLevel("error");
      auto daemon = Daemon::Create(*cfg, false);
      if (!daemon.ok()) {
        std::fprintf(stderr, "daemon: %s\n", daemon.status().ToString().c_str());
        std::abort();
      }
      return static_cast<DaemonImpl*>(daemon->release());
    }();
    return d;
  }

  static void Run(const uint8_t* data, size_t size) {
    if (size < 2) return;
    DaemonImpl* d = Instance();
    int socket = data[0] % 3;
    std::string identity = "client-" + std::to_string(data[1] % 4);
    bool bad_delimiter = (data[1] & 4) != 0;
    std::string rest(reinterpret_cast<const char*>(data) + 2, size - 2);
    // "$ROOT" stands for the path root (seeds cannot know the temp dir).
    for (size_t at = rest.find("$ROOT"); at != std::string::npos; at = rest.find("$ROOT", at + root.size())) {
      rest.replace(at, 5, root);
    }
    std::vector<zmq::message_t> frames;
    frames.emplace_back(identity.data(), identity.size());
    if (socket != 2) frames.emplace_back(bad_delimiter ? "x" : "", bad_delimiter ? 1 : 0);
    for (size_t pos = 0;;) {
      size_t next = rest.find("|||", pos);
      std::string part = rest.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
      frames.emplace_back(part.data(), part.size());
      if (next == std::string::npos || frames.size() > 8) break;
      pos = next + 3;
    }
    // As the I/O loop calls them: an exception escaping is what Guarded
    // exists for, but the handlers must not need it.
    try {
      if (socket == 0) d->HandleSubmit(frames);
      if (socket == 1) d->HandleControl(frames);
      if (socket == 2) d->HandleDelivery(frames);
      d->ServeFetches(true);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "handler threw: %s\n", e.what());
      std::abort();
    }
    Check(d);
    // State carries over a few inputs (so the caps meet earlier requests),
    // then is reset so memory and disk stay bounded.
    static int runs = 0;
    if (++runs % 32 == 0 || d->pending_submits_.size() >= 12) Reset(d);
  }

  static void Check(DaemonImpl* d) {
    int64_t by_job = 0, by_client = 0;
    for (const auto& [id, bytes] : d->pending_submit_bytes_) {
      if (bytes <= 0 || d->pending_submits_.count(id) == 0) std::abort();
      by_job += bytes;
    }
    for (const auto& [client, bytes] : d->client_pending_bytes_) {
      // A client's first pending submission is always taken (<= max_bytes);
      // more only within its cap.
      if (bytes <= 0 || bytes > std::max(d->cfg_->submit_max_client_pending_bytes, d->cfg_->submit_max_bytes)) {
        std::abort();
      }
      by_client += bytes;
    }
    if (by_job != d->pending_bytes_total_ || by_client != by_job) std::abort();
    int64_t counted = 0;
    for (const auto& [client, n] : d->client_pending_count_) {
      if (n <= 0 || n > d->cfg_->submit_max_client_pending) std::abort();
      counted += n;
    }
    if (counted != static_cast<int64_t>(d->pending_submit_client_.size())) std::abort();
    if (by_job > std::max(d->cfg_->submit_max_pending_bytes, d->cfg_->submit_max_bytes)) std::abort();
    if (static_cast<int64_t>(d->pending_submits_.size()) > d->cfg_->submit_max_pending) std::abort();
    if (static_cast<int64_t>(d->fetches_.size()) > d->cfg_->max_parked_fetches) std::abort();
  }

  static void Reset(DaemonImpl* d) {
    std::vector<int64_t> ids;
    for (const auto& [id, who] : d->pending_submits_) ids.push_back(id);
    for (int64_t id : ids) d->ForgetSubmit(id);
    if (d->pending_bytes_total_ != 0 || !d->client_pending_bytes_.empty() || !d->client_pending_count_.empty()) {
      std::abort();
    }
    d->fetches_.clear();
    std::error_code ec;
    for (const char* sub : {"submit", "downloads"}) {
      for (const auto& e : std::filesystem::directory_iterator(d->SpoolSub(sub), ec)) {
        std::filesystem::remove(e.path(), ec);
      }
    }
  }
};

}  // namespace shelfguard::daemon

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shelfguard::daemon::HandlerFuzzAccess::Run(data, size);
  return 0;
}
