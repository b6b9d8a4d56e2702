// The daemon's side of a shared (PostgreSQL) store: this node's identity,
// its heartbeat, and the cluster section of `status`.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

#include "daemon_impl.h"
#include "queue/pg_store.h"

namespace shelfguard::daemon {

namespace {

bool WellFormedNodeId(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (unsigned char ch : s) {
    if (!std::isalnum(ch) && ch != '-' && ch != '_' && ch != '.') return false;
  }
  return true;
}

}  // namespace

Result<std::string> NodeIdFor(const Config& c) {
  if (!c.node_id.empty()) return c.node_id;
  // Made once and kept, so a restarted node recovers its own leases at once
  // (RecoverRunning) instead of waiting for them to expire.
  std::string path = c.state_dir + "/node_id";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    char buf[160];
    ssize_t n = ::read(fd, buf, sizeof(buf));
    ::close(fd);
    std::string id(buf, n > 0 ? static_cast<size_t>(n) : 0);
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    if (!WellFormedNodeId(id)) {
      return Status::Malformed(path + ": not a node id (1 to 128 letters, digits, '-', '_', '.'); remove it "
                               "to have a new one made, or set store.node_id");
    }
    return id;
  }
  if (errno != ENOENT) return Status::IoError(path + ": " + std::strerror(errno));
  unsigned char raw[8];
  int rnd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (rnd < 0 || ::read(rnd, raw, sizeof(raw)) != static_cast<ssize_t>(sizeof(raw))) {
    if (rnd >= 0) ::close(rnd);
    return Status::IoError("/dev/urandom: cannot read a node id");
  }
  ::close(rnd);
  char host[64] = {0};
  ::gethostname(host, sizeof(host) - 1);
  std::string id;
  for (unsigned char ch : std::string(host)) {
    if (std::isalnum(ch) || ch == '-' || ch == '.') id += static_cast<char>(ch);
  }
  id = id.substr(0, 48) + (id.empty() ? "" : "-");
  static const char kHex[] = "0123456789abcdef";
  for (unsigned char b : raw) {
    id += kHex[b >> 4];
    id += kHex[b & 15];
  }
  fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError(path + ": " + std::strerror(errno));
  std::string line = id + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::IoError(path + ": cannot write the node id");
  return id;
}

void DaemonImpl::HeartbeatTick(bool force) {
  if (!store_->shared()) return;
  int64_t now = NowMs();
  if (!force && now - last_heartbeat_ms_ < cfg()->heartbeat_s * 1000) return;
  last_heartbeat_ms_ = now;
  queue::NodeInfo self;
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  self.host = host;
  self.pid = ::getpid();
  self.started_ms = started_ms_;
  self.heartbeat_ms = now;
  self.workers = static_cast<int64_t>(services_.size());
  Status st = store_->Heartbeat(self);
  if (!st.ok()) Log(LogLevel::kWarn, "store.heartbeat_failed", {{"error", st.ToString()}});
}

void DaemonImpl::LeaseTick() {
  int64_t lease = LeaseMs(*cfg());
  int64_t now = NowMs();
  // A third of a lease: two renewals may fail (a store restart) before it ends.
  if (now - last_lease_renew_ms_ < std::max<int64_t>(lease / 3, 100)) return;
  last_lease_renew_ms_ = now;
  std::vector<int64_t> ids;
  {
    std::lock_guard<std::mutex> l(held_mu_);
    ids.assign(held_.begin(), held_.end());
  }
  if (ids.empty()) return;
  auto renewed = store_->RenewLeases(ids, now, lease);
  if (!renewed.ok()) {
    Log(LogLevel::kWarn, "store.lease_renew_failed", {{"jobs", ids.size()}, {"error", renewed.status().ToString()}});
  } else if (*renewed < static_cast<int64_t>(ids.size()) && LogEnabled(LogLevel::kDebug)) {
    // A job just finished, or one whose lease another node took over (its
    // completion will say lease_lost).
    Log(LogLevel::kDebug, "store.lease_renewed", {{"jobs", ids.size()}, {"renewed", *renewed}});
  }
}

json DaemonImpl::StoreJson() {
  auto c = cfg();
  json j = {{"engine", store_->engine()}, {"where", store_->Describe()}};
  if (!store_->shared()) return j;
  j["node_id"] = node_id_;
  int64_t now = NowMs();
  auto nodes = store_->ListNodes(now);
  if (!nodes.ok()) {
    j["error"] = RedactText(nodes.status().ToString());
    return j;
  }
  // A node is alive while its heartbeat is younger than three intervals.
  int64_t alive_after = now - 3 * c->heartbeat_s * 1000;
  json list = json::array();
  int64_t alive = 0;
  for (const auto& n : *nodes) {
    bool up = n.heartbeat_ms >= alive_after;
    alive += up ? 1 : 0;
    list.push_back({{"node_id", n.node_id}, {"host", n.host}, {"pid", n.pid}, {"alive", up},
                    {"last_heartbeat", queue::ToIso8601(n.heartbeat_ms)}, {"started", queue::ToIso8601(n.started_ms)},
                    {"workers", n.workers}, {"running", n.running}, {"scanned_last_minute", n.scanned_last_minute},
                    {"scanned_last_hour", n.scanned_last_hour}});
  }
  j["nodes_alive"] = alive;
  j["nodes"] = list;
  return j;
}

}  // namespace shelfguard::daemon
