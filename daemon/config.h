// shelfguardd configuration: one option table (config.cc, kOptions) drives
// the TOML keys, their defaults, `shelfguardd --help` and the sample config
// (`shelfguardd --print-config`, samples/shelfguard.toml). Every key is
// documented in docs/daemon.md. A bad config is rejected as a whole with the
// key and the reason; nothing is half-applied.
#ifndef SHELFGUARD_DAEMON_CONFIG_H_
#define SHELFGUARD_DAEMON_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "shelfguard/limits.h"
#include "shelfguard/report.h"
#include "shelfguard/status.h"

namespace shelfguard::daemon {

struct SocketConfig {
  std::string endpoint;             // tcp://127.0.0.1:PORT or ipc://PATH
  bool curve = false;               // require CURVE from clients
  std::vector<std::string> allow;   // Z85 public keys allowed when curve is on
};

struct FeedConfig {
  std::string name;
  std::string url;
  int64_t interval_s = 300;
  // "user:password" for the feed and its packages, read from a file of mode
  // 0600 (never written in the URL, which is printed in status and logs).
  std::string credentials_file;
};

struct DirConfig {
  std::string name;
  std::string path;
  int64_t interval_s = 300;
};

struct Config {
  std::string config_path;  // the file read (relative paths resolve against its dir)

  // [daemon]
  std::string state_dir;     // database, lock, spool default
  int workers = 0;           // 0: number of cores
  bool allow_remote = false; // allow binding to non-loopback addresses
  bool full_sync = false;    // SQLite synchronous=FULL
  std::string log_level = "info";
  int64_t progress_s = 10;

  // [store] (docs/daemon.md, "Store and cluster")
  std::string store_url;       // empty: SQLite in state_dir; else PostgreSQL (URL or key=value)
  std::string node_id;         // this node in a shared store; empty: persisted in <state_dir>/node_id
  int64_t store_pool = 0;      // PostgreSQL connections; 0: workers + 4
  int64_t heartbeat_s = 5;     // nodes table heartbeat
  int64_t store_connect_wait_s = 60;  // a start retries an unreachable store this long

  // [scan]
  std::string signatures_dir;
  std::string registry;
  bool registry_strict = false;  // refuse a registry with rejected records
  // [[suppress]] entries (report/suppressions.h) applied to every scan; empty: none.
  std::string suppressions;
  // Signed signature bundles fetched in the background (docs/daemon.md,
  // "Signature updates"); an empty URL turns updates off.
  std::string signatures_update_url;
  std::string signatures_public_key;  // minisign public key file
  int64_t signatures_update_interval_s = 3600;
  std::string isolation = "process";  // process | fork | none
  int64_t grace_ms = 2000;
  int64_t max_attempts = 3;
  int64_t lease_s = 0;              // job lease; 0: derived from the scan and download deadlines
  int64_t rescan_failed_s = 86400;  // back-off before an unanalysable package is scanned again
  int64_t max_memory_mb = 0;       // RLIMIT_AS for the scanning child; 0: none
  Limits limits;

  // [spool]
  bool spool_enabled = true;
  std::string spool_dir;     // default: <state_dir>/spool
  int64_t spool_poll_ms = 1000;
  int64_t spool_settle_ms = 2000;

  // [http]
  int64_t connect_timeout_ms = 10000;
  int64_t total_timeout_ms = 300000;
  int64_t low_speed_seconds = 30;
  int64_t max_feed_bytes = 8 << 20;
  int64_t max_feed_packages = 100000;
  int64_t retries = 3;
  int64_t backoff_ms = 1000;
  int64_t refetch_failed_s = 3600;
  std::string ca_file;
  bool deny_private = true;              // refuse loopback, link-local, private addresses
  std::vector<std::string> allow_hosts;  // host names or addresses exempt from deny_private

  // sockets
  SocketConfig submit, control, delivery, publish;
  int64_t submit_max_bytes = 64 << 20;
  bool submit_allow_paths = false;            // off: a path names the daemon's files
  std::vector<std::string> submit_path_roots;  // canonical directories paths must lie beneath
  bool submit_allow_urls = false;             // off: the daemon fetches for any client
  int64_t submit_max_pending = 64;            // submissions waiting for a verdict
  int64_t submit_max_pending_bytes = 256LL << 20;  // their bytes, all together
  int64_t submit_max_client_pending_bytes = 64LL << 20;  // their bytes, per client
  int64_t submit_max_client_pending = 16;            // submissions waiting, per client
  int64_t max_parked_fetches = 256;           // delivery fetches waiting for messages
  int64_t feed_log_errors = 20;               // entry errors logged per feed poll
  int64_t retain_days = 30;                   // finished jobs, results, acked messages kept
  int64_t ack_timeout_ms = 30000;
  int64_t batch = 64;
  Severity min_severity = Severity::kViolation;
  int64_t drain_timeout_ms = 3000;

  // [curve]
  std::string curve_secret_key;       // Z85, 40 chars
  std::string curve_secret_key_file;

  std::vector<FeedConfig> feeds;
  std::vector<DirConfig> directories;

  int effective_workers() const;
  std::string db_path() const { return state_dir + "/queue.db"; }
  // The server's secret key (from the key or the file), or empty.
  std::string ServerSecret() const;
};

// Parses TOML text. `path` names the file for messages and is the base for
// relative paths. Errors name the key: "key 'spool.poll_ms': must be > 0".
Result<Config> ParseConfig(const std::string& text, const std::string& path);
// A config file is at most this large (the sample with every key is ~20 KiB),
// at start and at every reload alike.
inline constexpr uint64_t kMaxConfigBytes = 4u << 20;
// Reads and parses a config file: a regular file of at most kMaxConfigBytes
// (a FIFO, a device or a larger file is refused, naming the path).
Result<Config> LoadConfig(const std::string& path);

// The defaults, as a commented TOML file (every key, every limit).
std::string SampleConfig();
// Key table for --help: "  key  default  help" lines.
std::string ConfigHelp();

}  // namespace shelfguard::daemon

#endif  // SHELFGUARD_DAEMON_CONFIG_H_
