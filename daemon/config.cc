#include "config.h"

#include <sys/stat.h>
#include <zmq.h>

#include <cctype>
#include <cstdlib>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include <toml++/toml.h>

#include "core/bounded_file.h"
#include "queue/pg_store.h"

#include "signatures/minisign.h"

namespace shelfguard::daemon {
namespace {

namespace fs = std::filesystem;

// One row of the option table. `set` returns an error reason (empty: ok);
// `show` renders the current value as a TOML literal.
struct Option {
  std::string key;
  std::string help;
  std::function<std::string(Config*, const toml::node&)> set;
  std::function<std::string(const Config&)> show;
};

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

Option IntOpt(std::string key, int64_t Config::*m, int64_t min, int64_t max, std::string help) {
  return {key, help,
          [m, min, max](Config* c, const toml::node& n) -> std::string {
            auto v = n.value_exact<int64_t>();
            if (!v) return "must be an integer";
            if (*v < min || *v > max) {
              return "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                     ", not " + std::to_string(*v);
            }
            c->*m = *v;
            return "";
          },
          [m](const Config& c) { return std::to_string(c.*m); }};
}

Option BoolOpt(std::string key, bool Config::*m, std::string help) {
  return {key, help,
          [m](Config* c, const toml::node& n) -> std::string {
            auto v = n.value_exact<bool>();
            if (!v) return "must be true or false";
            c->*m = *v;
            return "";
          },
          [m](const Config& c) { return std::string(c.*m ? "true" : "false"); }};
}

Option StrListOpt(std::string key, std::vector<std::string> Config::*m, std::string help) {
  return {key, help,
          [m](Config* c, const toml::node& n) -> std::string {
            const toml::array* a = n.as_array();
            if (a == nullptr) return "must be an array of strings";
            std::vector<std::string> v;
            for (const auto& e : *a) {
              auto s = e.value_exact<std::string>();
              if (!s || s->empty()) return "must be an array of non-empty strings";
              v.push_back(*s);
            }
            c->*m = v;
            return "";
          },
          [m](const Config& c) {
            std::string s = "[";
            for (size_t i = 0; i < (c.*m).size(); ++i) s += (i ? ", " : "") + Quote((c.*m)[i]);
            return s + "]";
          }};
}

Option StrOpt(std::string key, std::string Config::*m, std::string help,
              std::function<std::string(const std::string&)> check = nullptr) {
  return {key, help,
          [m, check](Config* c, const toml::node& n) -> std::string {
            auto v = n.value_exact<std::string>();
            if (!v) return "must be a string";
            if (check) {
              std::string err = check(*v);
              if (!err.empty()) return err;
            }
            c->*m = *v;
            return "";
          },
          [m](const Config& c) { return Quote(c.*m); }};
}

void SocketOpts(std::vector<Option>* opts, const std::string& name, SocketConfig Config::*m,
                const std::string& what) {
  opts->push_back({name + ".endpoint", "ZeroMQ endpoint of the " + what + " socket",
                   [m](Config* c, const toml::node& n) -> std::string {
                     auto v = n.value_exact<std::string>();
                     if (!v) return "must be a string";
                     (c->*m).endpoint = *v;
                     return "";
                   },
                   [m](const Config& c) { return Quote((c.*m).endpoint); }});
  opts->push_back({name + ".curve", "require ZeroMQ CURVE authentication on this socket",
                   [m](Config* c, const toml::node& n) -> std::string {
                     auto v = n.value_exact<bool>();
                     if (!v) return "must be true or false";
                     (c->*m).curve = *v;
                     return "";
                   },
                   [m](const Config& c) { return std::string((c.*m).curve ? "true" : "false"); }});
  opts->push_back({name + ".allow", "Z85 public keys of the clients allowed when curve = true",
                   [m](Config* c, const toml::node& n) -> std::string {
                     const toml::array* a = n.as_array();
                     if (a == nullptr) return "must be an array of strings";
                     std::vector<std::string> keys;
                     for (const auto& e : *a) {
                       auto s = e.value_exact<std::string>();
                       if (!s) return "must be an array of strings";
                       uint8_t raw[32];
                       if (s->size() != 40 || zmq_z85_decode(raw, s->c_str()) == nullptr) {
                         return "'" + *s + "' is not a 40-character Z85 public key";
                       }
                       keys.push_back(*s);
                     }
                     (c->*m).allow = keys;
                     return "";
                   },
                   [m](const Config& c) {
                     std::string s = "[";
                     for (size_t i = 0; i < (c.*m).allow.size(); ++i) {
                       s += (i ? ", " : "") + Quote((c.*m).allow[i]);
                     }
                     return s + "]";
                   }});
}

const std::vector<Option>& Options() {
  static const std::vector<Option>* opts = [] {
    auto* o = new std::vector<Option>();
    o->push_back(StrOpt("daemon.state_dir", &Config::state_dir,
                        "directory for the queue database, lock file and default spool "
                        "(created 0700; relative paths are relative to the config file)"));
    o->push_back({"daemon.workers", "scanning worker threads; 0: the number of cores",
                  [](Config* c, const toml::node& n) -> std::string {
                    auto v = n.value_exact<int64_t>();
                    if (!v || *v < 0 || *v > 256) return "must be an integer from 0 to 256";
                    c->workers = static_cast<int>(*v);
                    return "";
                  },
                  [](const Config& c) { return std::to_string(c.workers); }});
    o->push_back(BoolOpt("daemon.allow_remote", &Config::allow_remote,
                         "allow sockets to bind to addresses other than loopback"));
    o->push_back(BoolOpt("daemon.full_sync", &Config::full_sync,
                         "SQLite synchronous=FULL (survive power loss; slower); default "
                         "NORMAL survives process crashes"));
    o->push_back(StrOpt("daemon.log_level", &Config::log_level,
                        "least level logged: debug | info | warn | error",
                        [](const std::string& v) -> std::string {
                          return v == "debug" || v == "info" || v == "warn" || v == "error"
                                     ? ""
                                     : "must be debug, info, warn or error";
                        }));
    o->push_back(IntOpt("daemon.progress_s", &Config::progress_s, 1, 86400,
                        "while jobs finish, log a \"progress\" line (queue, rate) this often"));
    o->push_back(StrOpt("scan.signatures_dir", &Config::signatures_dir,
                        "SDK signature database; empty: the built-in default"));
    o->push_back(StrOpt("scan.registry", &Config::registry,
                        "filing registry (SQLite, .json or .csv export); empty: none"));
    o->push_back(BoolOpt("scan.registry_strict", &Config::registry_strict,
                         "refuse a registry with rejected records: start fails (exit 2), "
                         "a reload keeps the old registry serving"));
    o->push_back(StrOpt("scan.suppressions", &Config::suppressions,
                        "suppressions file ([[suppress]] entries with reason and expiry, as "
                        "`shelfguard scan --suppressions`) applied to every scan; reloaded with "
                        "SIGHUP; empty: none"));
    o->push_back(StrOpt("scan.signatures_update_url", &Config::signatures_update_url,
                        "http(s) URL of a signed signature bundle fetched in the background "
                        "and installed without a restart; empty: no updates",
                        [](const std::string& v) -> std::string {
                          return v.empty() || v.rfind("http://", 0) == 0 || v.rfind("https://", 0) == 0
                                     ? ""
                                     : "must be an http:// or https:// URL";
                        }));
    o->push_back(StrOpt("scan.signatures_public_key", &Config::signatures_public_key,
                        "minisign public key file that every update bundle must be signed for; "
                        "required with signatures_update_url"));
    o->push_back(IntOpt("scan.signatures_update_interval_s", &Config::signatures_update_interval_s, 1,
                        86400 * 30, "how often the update URL is checked (conditional GET)"));
    o->push_back(StrOpt("scan.isolation", &Config::isolation,
                        "process: each worker scans in its own helper process, killed and "
                        "replaced after a crash or at the deadline; fork: a fresh child per "
                        "package (strongest, slower); none: in the worker thread (no isolation)",
                        [](const std::string& v) -> std::string {
                          return v == "process" || v == "fork" || v == "none"
                                     ? ""
                                     : "must be process, fork or none";
                        }));
    o->push_back(IntOpt("scan.grace_ms", &Config::grace_ms, 0, 3600000,
                        "extra time after limits.deadline_ms before the child is killed"));
    o->push_back(IntOpt("scan.max_attempts", &Config::max_attempts, 1, 100,
                        "claims of one job (restarts, download retries) before it fails"));
    o->push_back(IntOpt("scan.lease_s", &Config::lease_s, 0, 86400,
                        "a claimed job whose holder stops renewing its lease (a live daemon renews "
                        "it every third of this while the job runs) is taken back (by any node) "
                        "after this long; 0: derived from limits.deadline_ms, scan.grace_ms and "
                        "http.total_timeout_ms"));
    o->push_back(IntOpt("scan.rescan_failed_s", &Config::rescan_failed_s, 0, 86400 * 365,
                        "a package that could not be analysed (or whose job failed) is scanned "
                        "again by sweeps only after this long or when the versions change; 0: "
                        "on every sweep"));
    o->push_back(IntOpt("scan.max_memory_mb", &Config::max_memory_mb, 0, 1 << 20,
                        "address-space limit of the scanning child, MiB; 0: none"));
    size_t n = 0;
    const Limits::Field* fields = Limits::Fields(&n);
    for (size_t i = 0; i < n; ++i) {
      const Limits::Field f = fields[i];
      o->push_back({std::string("limits.") + f.name, f.help,
                    [f](Config* c, const toml::node& nd) -> std::string {
                      // The range is Limits' own table, shared with `scan --limit`.
                      auto v = nd.value_exact<int64_t>();
                      if (!v || *v < 0) return "must be a positive integer";
                      Status st = c->limits.SetChecked(f.name, static_cast<uint64_t>(*v));
                      return st.ok() ? "" : st.message();
                    },
                    [f](const Config& c) { return std::to_string(c.limits.*(f.member)); }});
    }
    o->push_back({"limits.max_depth", "nested archive depth",
                  [](Config* c, const toml::node& nd) -> std::string {
                    auto v = nd.value_exact<int64_t>();
                    if (!v || *v < 0) return "must be an integer from 0 to 16";
                    Status st = c->limits.SetChecked("max_depth", static_cast<uint64_t>(*v));
                    return st.ok() ? "" : st.message();
                  },
                  [](const Config& c) { return std::to_string(c.limits.max_depth); }});
    o->push_back(BoolOpt("spool.enabled", &Config::spool_enabled,
                         "watch the spool directory's incoming/ for dropped packages"));
    o->push_back(StrOpt("spool.dir", &Config::spool_dir,
                        "spool root (incoming/, work/, done/, quarantine/, downloads/, "
                        "submit/); empty: <state_dir>/spool"));
    o->push_back(IntOpt("spool.poll_ms", &Config::spool_poll_ms, 10, 3600000,
                        "how often incoming/ is listed"));
    o->push_back(IntOpt("spool.settle_ms", &Config::spool_settle_ms, 0, 3600000,
                        "a dropped file is taken once its size and mtime were unchanged "
                        "this long (or at once when renamed from *.part)"));
    o->push_back(IntOpt("http.connect_timeout_ms", &Config::connect_timeout_ms, 1, 600000,
                        "connect timeout for feeds and downloads"));
    o->push_back(IntOpt("http.total_timeout_ms", &Config::total_timeout_ms, 1, 86400000,
                        "whole-transfer timeout for one feed or package download"));
    o->push_back(IntOpt("http.low_speed_seconds", &Config::low_speed_seconds, 1, 3600,
                        "abort a transfer that stalls (under 1 byte/s) this long"));
    o->push_back(IntOpt("http.max_feed_bytes", &Config::max_feed_bytes, 1, 1ll << 32,
                        "largest feed document accepted, bytes"));
    o->push_back(IntOpt("http.max_feed_packages", &Config::max_feed_packages, 1, 10000000,
                        "most package entries read from one feed"));
    o->push_back(IntOpt("http.retries", &Config::retries, 0, 20,
                        "retries of a failed package download (transport error, 5xx)"));
    o->push_back(IntOpt("http.backoff_ms", &Config::backoff_ms, 0, 3600000,
                        "first retry delay; doubles on each retry"));
    o->push_back(IntOpt("http.refetch_failed_s", &Config::refetch_failed_s, 0, 86400 * 30,
                        "a feed package whose download failed is tried again by later sweeps "
                        "only after this long"));
    o->push_back(StrOpt("http.ca_file", &Config::ca_file,
                        "extra CA bundle (PEM); empty: the system store. TLS verification "
                        "is always on"));
    o->push_back(IntOpt("http.log_entry_errors", &Config::feed_log_errors, 0, 100000,
                        "feed entry errors logged one by one per poll (then one summary line)"));
    o->push_back(BoolOpt("http.deny_private", &Config::deny_private,
                         "refuse feeds, downloads and redirects to loopback, link-local and "
                         "private addresses (the address connected to, after DNS)"));
    o->push_back(StrListOpt("http.allow_hosts", &Config::allow_hosts,
                            "hosts (names or addresses) exempt from deny_private"));
    o->push_back({"store.url",
                  "PostgreSQL store shared by many nodes: postgresql://USER@HOST:PORT/DB?... or a libpq "
                  "key=value string (host=/path/to/socket dbname=...); empty: SQLite in daemon.state_dir. "
                  "Shown and logged without its password",
                  [](Config* c, const toml::node& n) -> std::string {
                    auto v = n.value_exact<std::string>();
                    if (!v) return "must be a string";
                    if (!v->empty() && !queue::IsPostgresUrl(*v)) {
                      return "must be a postgresql:// URL or a libpq key=value string";
                    }
                    c->store_url = *v;
                    return "";
                  },
                  [](const Config& c) { return Quote(queue::RedactStoreUrl(c.store_url)); }});
    o->push_back(StrOpt("store.node_id", &Config::node_id,
                        "this node's name in a shared store (leases, delivery, status); empty: a "
                        "random id made once and kept in <state_dir>/node_id",
                        [](const std::string& v) -> std::string {
                          if (v.size() > 128) return "must be at most 128 characters";
                          for (unsigned char ch : v) {
                            if (!std::isalnum(ch) && ch != '-' && ch != '_' && ch != '.') {
                              return "may hold only letters, digits, '-', '_' and '.'";
                            }
                          }
                          return "";
                        }));
    o->push_back(IntOpt("store.pool_size", &Config::store_pool, 0, 256,
                        "PostgreSQL connections of this node; 0: daemon.workers + 4"));
    o->push_back(IntOpt("store.heartbeat_s", &Config::heartbeat_s, 1, 3600,
                        "how often a node records its heartbeat in a shared store"));
    o->push_back(IntOpt("store.connect_wait_s", &Config::store_connect_wait_s, 0, 86400,
                        "at start, an unreachable PostgreSQL store is retried with back-off this long "
                        "before shelfguardd gives up (exit 1)"));
    o->push_back(IntOpt("queue.retain_days", &Config::retain_days, 0, 36500,
                        "finished jobs, their results and acknowledged messages are deleted "
                        "after this many days; 0 keeps them"));
    SocketOpts(o, "submit", &Config::submit, "on-demand submission (ROUTER, for REQ clients)");
    o->push_back(IntOpt("submit.max_bytes", &Config::submit_max_bytes, 1, 1ll << 34,
                        "largest package accepted as bytes in a submission"));
    o->push_back(BoolOpt("submit.allow_paths", &Config::submit_allow_paths,
                         "accept submissions naming a local file beneath submit.path_roots "
                         "(off: any client could read through the daemon)"));
    o->push_back(StrListOpt("submit.path_roots", &Config::submit_path_roots,
                            "directories a path submission must lie beneath (no symbolic links, "
                            "no '..'); required with allow_paths"));
    o->push_back(BoolOpt("submit.allow_urls", &Config::submit_allow_urls,
                         "accept submissions naming an http(s) URL for the daemon to fetch"));
    o->push_back(IntOpt("submit.max_pending", &Config::submit_max_pending, 1, 100000,
                        "submissions waiting for a verdict at once; more are answered 'busy'"));
    o->push_back(IntOpt("submit.max_pending_bytes", &Config::submit_max_pending_bytes, 1, int64_t{1} << 40,
                        "total bytes of the package submissions (bytes or paths) waiting for a "
                        "verdict; one more that would pass it is answered 'busy' (a single "
                        "submission is always taken when none is pending)"));
    o->push_back(IntOpt("submit.max_client_pending", &Config::submit_max_client_pending, 1, 100000,
                        "submissions waiting for a verdict from one client (as for "
                        "max_client_pending_bytes); more are answered 'busy'"));
    o->push_back(IntOpt("submit.max_client_pending_bytes", &Config::submit_max_client_pending_bytes, 1,
                        int64_t{1} << 40,
                        "bytes of the package submissions waiting for a verdict from one client (its "
                        "CURVE key, else its tcp address, else its connection); one more that would pass "
                        "it is answered 'busy' (a client's first pending submission is always taken)"));

    SocketOpts(o, "control", &Config::control, "status (ROUTER, for REQ clients)");
    SocketOpts(o, "delivery", &Config::delivery,
               "violation delivery (ROUTER; consumers use DEALER and ack by id)");
    o->push_back(IntOpt("delivery.ack_timeout_ms", &Config::ack_timeout_ms, 10, 86400000,
                        "a delivered message not acknowledged this long is delivered again"));
    o->push_back(IntOpt("delivery.batch", &Config::batch, 1, 10000,
                        "most messages in one batch to a consumer"));
    o->push_back(IntOpt("delivery.max_parked", &Config::max_parked_fetches, 1, 100000,
                        "fetches waiting for messages at once; more are answered 'busy'"));
    o->push_back({"delivery.min_severity",
                  "least finding severity queued in the outbox: info | review | violation | "
                  "block",
                  [](Config* c, const toml::node& n) -> std::string {
                    auto v = n.value_exact<std::string>();
                    auto s = v ? ParseSeverity(*v) : std::nullopt;
                    if (!s || *s == Severity::kPass) {
                      return "must be info, review, violation or block";
                    }
                    c->min_severity = *s;
                    return "";
                  },
                  [](const Config& c) { return Quote(SeverityName(c.min_severity)); }});
    o->push_back(IntOpt("delivery.drain_timeout_ms", &Config::drain_timeout_ms, 0, 600000,
                        "--once / SIGTERM: how long to keep delivering to connected "
                        "consumers after the last job"));
    SocketOpts(o, "publish", &Config::publish, "live finding feed (PUB, topic \"finding\")");
    o->push_back(StrOpt("curve.secret_key", &Config::curve_secret_key,
                        "the daemon's CURVE secret key (Z85); prefer secret_key_file"));
    o->push_back(StrOpt("curve.secret_key_file", &Config::curve_secret_key_file,
                        "file holding the daemon's CURVE secret key (Z85), mode 0600"));
    return o;
  }();
  return *opts;
}

Config Defaults() {
  Config c;
  c.state_dir = "var";
  c.submit.endpoint = "tcp://127.0.0.1:7710";
  c.control.endpoint = "tcp://127.0.0.1:7711";
  c.delivery.endpoint = "tcp://127.0.0.1:7712";
  c.publish.endpoint = "tcp://127.0.0.1:7713";
  return c;
}

std::string Resolve(const std::string& base, const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  return (fs::path(base) / p).lexically_normal().string();
}

Status KeyError(const std::string& key, const std::string& why) {
  return Status::Invalid("key '" + key + "': " + why);
}

std::string CheckEndpoint(const std::string& ep, bool allow_remote) {
  if (ep.rfind("ipc://", 0) == 0) return ep.size() > 6 ? "" : "ipc:// needs a path";
  if (ep.rfind("tcp://", 0) != 0) return "must be tcp://HOST:PORT or ipc://PATH, not '" + ep + "'";
  std::string rest = ep.substr(6);
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon + 1 >= rest.size()) return "missing :PORT in '" + ep + "'";
  std::string host = rest.substr(0, colon), port = rest.substr(colon + 1);
  if (port != "*" && port.find_first_not_of("0123456789") != std::string::npos) {
    return "bad port in '" + ep + "'";
  }
  bool loopback = host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host == "::1";
  if (!loopback && !allow_remote) {
    return "binds to '" + host + "', not loopback; set daemon.allow_remote = true to allow it";
  }
  return "";
}

Status ParseSources(const toml::table& root, Config* c, const std::string& base) {
  static const std::set<std::string> kFeedKeys = {"name", "url", "interval_s", "credentials_file"};
  static const std::set<std::string> kDirKeys = {"name", "path", "interval_s"};
  std::set<std::string> names;
  for (const char* kind : {"feeds", "directories"}) {
    const toml::node* node = root.get(kind);
    if (node == nullptr) continue;
    const toml::array* arr = node->as_array();
    if (arr == nullptr) return KeyError(kind, "must be an array of tables ([[" + std::string(kind) + "]])");
    bool feeds = std::string(kind) == "feeds";
    for (size_t i = 0; i < arr->size(); ++i) {
      std::string key = std::string(kind) + "[" + std::to_string(i) + "]";
      const toml::table* t = (*arr)[i].as_table();
      if (t == nullptr) return KeyError(key, "must be a table");
      for (const auto& [k, v] : *t) {
        std::string ks(k.str());
        if (!(feeds ? kFeedKeys : kDirKeys).count(ks)) return KeyError(key + "." + ks, "unknown key");
      }
      auto name = (*t)["name"].value_exact<std::string>();
      if (!name || name->empty() || name->find_first_of(" :/\t") != std::string::npos) {
        return KeyError(key + ".name", "required: a non-empty name without spaces, ':' or '/'");
      }
      if (!names.insert(*name).second) return KeyError(key + ".name", "duplicate source name '" + *name + "'");
      int64_t interval = 300;
      if (const toml::node* iv = t->get("interval_s")) {
        auto v = iv->value_exact<int64_t>();
        if (!v || *v < 1 || *v > 86400 * 30) {
          return KeyError(key + ".interval_s", "must be an integer from 1 to 2592000 seconds");
        }
        interval = *v;
      }
      if (feeds) {
        auto url = (*t)["url"].value_exact<std::string>();
        if (!url || (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0)) {
          return KeyError(key + ".url", "required: an http:// or https:// URL");
        }
        std::string creds;
        if (const toml::node* cf = t->get("credentials_file")) {
          auto v = cf->value_exact<std::string>();
          if (!v || v->empty()) return KeyError(key + ".credentials_file", "must be a file name");
          creds = Resolve(base, *v);
        }
        c->feeds.push_back({*name, *url, interval, creds});
      } else {
        auto p = (*t)["path"].value_exact<std::string>();
        if (!p || p->empty()) return KeyError(key + ".path", "required: a directory");
        std::string path = Resolve(base, *p);
        std::error_code ec;
        if (!fs::is_directory(path, ec)) return KeyError(key + ".path", "'" + path + "' is not a directory");
        c->directories.push_back({*name, path, interval});
      }
    }
  }
  return Status::Ok();
}

}  // namespace

int Config::effective_workers() const {
  if (workers > 0) return workers;
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

std::string Config::ServerSecret() const {
  if (!curve_secret_key.empty()) return curve_secret_key;
  if (curve_secret_key_file.empty()) return "";
  // A Z85 key is 40 characters; the file may hold a newline or a comment
  // after it, but never needs more than a few KiB.
  auto text = ReadFileBounded(curve_secret_key_file, 4096, "CURVE secret key file");
  if (!text.ok()) return "";
  std::istringstream in(*text);
  std::string s;
  in >> s;
  return s;
}

Result<Config> ParseConfig(const std::string& text, const std::string& path) {
  Config c = Defaults();
  c.config_path = path;
  std::string base = fs::path(path).parent_path().string();
  if (base.empty()) base = ".";
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << "line " << e.source().begin.line << ": " << e.description();
    return Status::Invalid("not valid TOML: " + os.str());
  }
  std::map<std::string, const Option*> by_key;
  for (const auto& o : Options()) by_key[o.key] = &o;
  for (const auto& [k, v] : root) {
    std::string section(k.str());
    if (section == "feeds" || section == "directories") continue;
    const toml::table* t = v.as_table();
    if (t == nullptr) return KeyError(section, "unknown key (settings live in sections like [daemon])");
    for (const auto& [k2, v2] : *t) {
      std::string key = section + "." + std::string(k2.str());
      auto it = by_key.find(key);
      if (it == by_key.end()) return KeyError(key, "unknown key");
      std::string err = it->second->set(&c, v2);
      if (!err.empty()) return KeyError(key, err);
    }
  }
  SG_RETURN_IF_ERROR(ParseSources(root, &c, base));

  // Cross-key checks, after every key is known.
  c.state_dir = Resolve(base, c.state_dir);
  if (c.state_dir.empty()) return KeyError("daemon.state_dir", "must not be empty");
  c.spool_dir = c.spool_dir.empty() ? c.state_dir + "/spool" : Resolve(base, c.spool_dir);
  c.signatures_dir = Resolve(base, c.signatures_dir);
  c.registry = Resolve(base, c.registry);
  c.suppressions = Resolve(base, c.suppressions);
  c.signatures_public_key = Resolve(base, c.signatures_public_key);
  c.ca_file = Resolve(base, c.ca_file);
  c.curve_secret_key_file = Resolve(base, c.curve_secret_key_file);
  std::error_code ec;
  if (!c.signatures_dir.empty() && !fs::is_directory(c.signatures_dir, ec)) {
    return KeyError("scan.signatures_dir", "'" + c.signatures_dir + "' is not a directory");
  }
  if (!c.registry.empty() && !fs::exists(c.registry, ec)) {
    return KeyError("scan.registry", "'" + c.registry + "' does not exist");
  }
  // The suppressions' content is checked where they are loaded (start,
  // --check, reload), which names the entry and line of a bad one.
  if (!c.suppressions.empty() && !fs::exists(c.suppressions, ec)) {
    return KeyError("scan.suppressions", "'" + c.suppressions + "' does not exist");
  }
  if (!c.signatures_update_url.empty()) {
    if (c.signatures_public_key.empty()) {
      return KeyError("scan.signatures_public_key",
                      "required with scan.signatures_update_url (updates are only taken signed)");
    }
    auto key = minisign::ReadPublicKeyFile(c.signatures_public_key);
    if (!key.ok()) return KeyError("scan.signatures_public_key", key.status().message());
  }
  if (!c.ca_file.empty() && !fs::exists(c.ca_file, ec)) {
    return KeyError("http.ca_file", "'" + c.ca_file + "' does not exist");
  }
  bool any_curve = false;
  std::set<std::string> endpoints;
  for (auto [name, s] : {std::pair{"submit", &c.submit}, std::pair{"control", &c.control},
                         std::pair{"delivery", &c.delivery}, std::pair{"publish", &c.publish}}) {
    std::string err = CheckEndpoint(s->endpoint, c.allow_remote);
    if (!err.empty()) return KeyError(std::string(name) + ".endpoint", err);
    if (!endpoints.insert(s->endpoint).second && s->endpoint.find(":*") == std::string::npos) {
      return KeyError(std::string(name) + ".endpoint", "'" + s->endpoint + "' is used by another socket");
    }
    if (s->curve) {
      any_curve = true;
      if (!zmq_has("curve")) {
        return KeyError(std::string(name) + ".curve", "this libzmq was built without CURVE support");
      }
      if (s->allow.empty()) {
        return KeyError(std::string(name) + ".allow", "curve = true needs at least one client key");
      }
    }
  }
  if (!c.curve_secret_key_file.empty() && !fs::exists(c.curve_secret_key_file, ec)) {
    return KeyError("curve.secret_key_file", "'" + c.curve_secret_key_file + "' does not exist");
  }
  // Like ssh: a secret key others can read is no secret; refused.
  if (!c.curve_secret_key_file.empty()) {
    struct stat st;
    if (::stat(c.curve_secret_key_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      return KeyError("curve.secret_key_file", "'" + c.curve_secret_key_file +
                                                   "' is readable or writable by others; chmod 600 it");
    }
  }
  if (c.submit_allow_paths && c.submit_path_roots.empty()) {
    return KeyError("submit.path_roots", "submit.allow_paths = true needs at least one root directory");
  }
  for (auto& root : c.submit_path_roots) {
    std::string abs = Resolve(base, root);
    char* real = ::realpath(abs.c_str(), nullptr);
    if (real == nullptr || !fs::is_directory(real, ec)) {
      std::free(real);
      return KeyError("submit.path_roots", "'" + abs + "' is not a directory");
    }
    root = real;
    std::free(real);
  }
  for (const auto& f : c.feeds) {
    if (f.credentials_file.empty()) continue;
    struct stat st;
    if (::stat(f.credentials_file.c_str(), &st) != 0) {
      return KeyError("feeds." + f.name + ".credentials_file", "'" + f.credentials_file + "' does not exist");
    }
    if ((st.st_mode & 077) != 0) {
      return KeyError("feeds." + f.name + ".credentials_file",
                      "'" + f.credentials_file + "' must be mode 0600 (it is readable by others)");
    }
  }
  if (any_curve) {
    std::string secret = c.ServerSecret();
    uint8_t raw[32];
    const char* key = c.curve_secret_key.empty() ? "curve.secret_key_file" : "curve.secret_key";
    if (secret.empty()) return KeyError("curve.secret_key", "a socket has curve = true but no server key is set");
    if (secret.size() != 40 || zmq_z85_decode(raw, secret.c_str()) == nullptr) {
      return KeyError(key, "not a 40-character Z85 key");
    }
  }
  return c;
}

Result<Config> LoadConfig(const std::string& path) {
  // A config is hostile input like any other: a regular file of at most
  // kMaxConfigBytes, never a FIFO or a device that would hang the start.
  auto text = ReadFileBounded(path, kMaxConfigBytes, "config file");
  if (!text.ok()) return text.status();
  std::string abs = fs::absolute(path).lexically_normal().string();
  return ParseConfig(*text, abs);
}

std::string SampleConfig() {
  Config d = Defaults();
  std::string out =
      "# shelfguardd configuration (TOML). Every key with its default; see docs/daemon.md.\n"
      "# Relative paths are relative to this file's directory.\n";
  std::string section;
  for (const auto& o : Options()) {
    std::string sec = o.key.substr(0, o.key.find('.'));
    if (sec != section) {
      section = sec;
      out += "\n[" + sec + "]\n";
    }
    out += "# " + o.help + "\n" + o.key.substr(sec.size() + 1) + " = " + o.show(d) + "\n";
  }
  out +=
      "\n# Platform feeds (docs/daemon.md, \"Feed format\"); one table per feed.\n"
      "# [[feeds]]\n# name = \"store\"\n# url = \"https://feeds.example.com/packages.json\"\n"
      "# interval_s = 300\n"
      "\n# Directories swept read-only on a schedule (packages are not moved).\n"
      "# [[directories]]\n# name = \"mirror\"\n# path = \"/srv/packages\"\n# interval_s = 300\n";
  return out;
}

std::string ConfigHelp() {
  Config d = Defaults();
  std::string out;
  for (const auto& o : Options()) {
    std::string def = o.show(d);
    char line[512];
    std::snprintf(line, sizeof line, "  %-28s %-24s %s\n", o.key.c_str(), def.c_str(),
                  o.help.c_str());
    out += line;
  }
  out +=
      "  feeds[].name/url/interval_s                          platform feeds (array of tables)\n"
      "  directories[].name/path/interval_s                   directories swept read-only\n";
  return out;
}

}  // namespace shelfguard::daemon
