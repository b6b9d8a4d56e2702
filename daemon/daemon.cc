#include "daemon.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "log.h"
#include "scan_child.h"
#include "net/http.h"
#include "policy/assess.h"
#include "queue/message.h"
#include "queue/store.h"
#include "shelfguard/engine.h"

namespace shelfguard::daemon {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// The engine and assessor in use; replaced as a whole on reload. Jobs hold a
// shared_ptr to the snapshot they started with.
struct Scanner {
  std::shared_ptr<const Engine> engine;
  std::shared_ptr<const Assessor> assessor;
  std::string sig_version, reg_version;
};

Result<std::shared_ptr<const Scanner>> BuildScanner(const Config& c) {
  EngineOptions eo;
  eo.limits = c.limits;
  eo.signatures_dir = c.signatures_dir;
  auto engine = Engine::Create(eo);
  if (!engine.ok()) return Status(engine.status().code(), "signatures: " + engine.status().message());
  AssessOptions ao;
  ao.registry_path = c.registry;
  auto assessor = Assessor::Create(ao);
  if (!assessor.ok()) {
    return Status(assessor.status().code(), "registry: " + assessor.status().message());
  }
  auto s = std::make_shared<Scanner>();
  s->engine = *engine;
  s->assessor = std::shared_ptr<const Assessor>(std::move(assessor).value());
  s->sig_version = s->engine->signatures_version();
  s->reg_version = s->assessor->registry_version();
  return std::shared_ptr<const Scanner>(s);
}

Status MakeDir(const std::string& path, const char* key) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return Status::IoError("key '" + std::string(key) + "': cannot create '" + path + "': " + ec.message());
  if (::chmod(path.c_str(), 0700) != 0) {
    return Status::IoError("key '" + std::string(key) + "': cannot chmod '" + path + "': " + std::strerror(errno));
  }
  return Status::Ok();
}

bool IsPackageName(const fs::path& p) {
  std::string ext = p.extension().string();
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return ext == ".apk" || ext == ".xapk" || ext == ".apks" || ext == ".ipa" || ext == ".dex";
}

std::string SafeName(const std::string& in) {
  std::string s = fs::path(in).filename().string();
  for (auto& ch : s) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '_')) ch = '_';
  }
  if (s.empty() || s[0] == '.') s = "pkg" + s;
  return s.substr(0, 120);
}

bool IsHex64(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Resolves a feed entry's URL against the feed's URL.
std::string ResolveUrl(const std::string& base, const std::string& u) {
  if (u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0) return u;
  if (u.find("://") != std::string::npos) return "";  // other schemes: refused
  size_t scheme = base.find("://");
  if (scheme == std::string::npos) return "";
  if (!u.empty() && u[0] == '/') {
    size_t host_end = base.find('/', scheme + 3);
    return base.substr(0, host_end == std::string::npos ? base.size() : host_end) + u;
  }
  size_t q = base.find_first_of("?#");
  std::string b = base.substr(0, q);
  size_t slash = b.rfind('/');
  if (slash == std::string::npos || slash < scheme + 3) return b + "/" + u;
  return b.substr(0, slash + 1) + u;
}

struct FeedState {
  int64_t last_poll_ms = 0, last_ok_ms = 0;
  long http_status = 0;
  int64_t packages = 0, enqueued = 0, entry_errors = 0, poll_errors = 0, download_errors = 0;
  int64_t not_modified = 0;  // polls answered 304
  std::string last_error;
  // The last listing served with 200, and its validators: the next poll is a
  // conditional GET, and a 304 reuses this listing (its entries are still
  // checked: a reload or an expired failure may need them queued again).
  std::string etag, last_modified, listing;
};

struct Event {
  int64_t job_id = 0;
  bool submit = false;
  std::string reply;                 // submit reply JSON
  std::vector<std::string> publish;  // finding messages for PUB
  bool outbox = false;               // the job queued violation messages
};

struct Fetch {
  std::string identity, consumer;
  int max = 1;
  int64_t deadline_ms = 0;
};

class DaemonImpl : public Daemon {
 public:
  DaemonImpl(Config c, bool once) : cfg_(std::make_shared<const Config>(std::move(c))), once_(once) {}
  ~DaemonImpl() override {
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  Status Init();
  int Run() override;
  void RequestStop() override {
    stopping_.store(true);
    Wake();
    NoteIdle();
  }
  void RequestReload() override;
  bool Finished() const override { return finished_.load(); }

 private:
  std::shared_ptr<const Config> cfg() {
    std::lock_guard<std::mutex> l(mu_);
    return cfg_;
  }
  std::shared_ptr<const Scanner> scanner() {
    std::lock_guard<std::mutex> l(mu_);
    return scanner_;
  }
  std::string SpoolSub(const char* sub) { return spool_dir_ + "/" + sub; }
  void RecordError(const std::string& what) {
    std::lock_guard<std::mutex> l(stats_mu_);
    recent_errors_.push_back(queue::ToIso8601(NowMs()) + " " + what);
    if (recent_errors_.size() > 20) recent_errors_.pop_front();
  }
  // Tells the main thread that a worker found the queue empty.
  void NoteIdle() {
    {
      std::lock_guard<std::mutex> l(idle_mu_);
      ++idle_seq_;
    }
    idle_cv_.notify_all();
  }
  // Workers and the scheduler sleep until Wake() (new work, a reload, stop)
  // or their poll interval. The counter makes a wake-up that comes between
  // a worker's look at the queue and its wait count.
  uint64_t WakeSeq() {
    std::lock_guard<std::mutex> l(cv_mu_);
    return wake_seq_;
  }
  void Wake() {
    {
      std::lock_guard<std::mutex> l(cv_mu_);
      ++wake_seq_;
    }
    cv_.notify_all();
  }
  void WaitForWake(uint64_t seen, int ms) {
    std::unique_lock<std::mutex> l(cv_mu_);
    cv_.wait_for(l, std::chrono::milliseconds(ms), [&] { return stopping_.load() || wake_seq_ != seen; });
  }
  void PushEvent(Event e) {
    std::lock_guard<std::mutex> l(ev_mu_);
    events_.push_back(std::move(e));
  }

  // Sources.
  void SchedulerLoop();
  void ReconcileSpool();
  void PollSpool(const Config& c, bool take_all);
  void SweepDir(const Config& c, const DirConfig& d, const Scanner& s);
  void PollFeed(const Config& c, const FeedConfig& f, const Scanner& s);
  // Workers.
  void WorkerLoop(int index);
  // Runs a claimed job. When the scan completes and the daemon is not
  // stopping, the next job is claimed in the same transaction into `next`.
  void ProcessJob(const queue::Job& job, ScanService* service, int64_t lease_ms, std::optional<queue::Job>* next);
  void FinishFile(const queue::Job& job, const std::string& verdict);
  void FailJob(const queue::Job& job, const std::string& error, const std::string& code);
  net::HttpOptions HttpOpts(const Config& c, uint64_t max_bytes) const;
  // ZeroMQ.
  Status BindSockets();
  void IoLoop();
  void HandleSubmit(const std::vector<zmq::message_t>& frames);
  void ResumeSubmit(const std::string& identity, const queue::Job& job);
  void HandleControl(const std::vector<zmq::message_t>& frames);
  void HandleDelivery(const std::vector<zmq::message_t>& frames);
  void HandleZap();
  void HandleSubscriptions();
  void ServeFetches(bool force);
  json StatusJson();
  void LogProgress();
  void SendRouted(zmq::socket_t& s, const std::string& identity, bool delimiter, const std::string& body);

  std::mutex mu_;  // guards cfg_, scanner_
  std::shared_ptr<const Config> cfg_;
  std::shared_ptr<const Scanner> scanner_;
  const bool once_;
  std::string spool_dir_;
  int lock_fd_ = -1;
  std::unique_ptr<queue::Store> store_;

  std::atomic<bool> stopping_{false}, finished_{false}, once_swept_{false}, reload_sweep_{false};
  std::atomic<bool> workers_done_{false};
  std::atomic<int64_t> generation_{0};  // bumped by each successful reload
  std::atomic<int> busy_{0};
  std::condition_variable cv_;  // wakes workers and the scheduler
  std::mutex cv_mu_;
  uint64_t wake_seq_ = 0;  // guarded by cv_mu_
  std::condition_variable idle_cv_;  // a worker found the queue empty
  std::mutex idle_mu_;
  uint64_t idle_seq_ = 0;  // guarded by idle_mu_

  // Statistics.
  std::mutex stats_mu_;
  std::map<std::string, FeedState> feeds_;
  std::map<std::string, int64_t> verdicts_;
  std::deque<int64_t> recent_scans_ms_;
  std::deque<std::string> recent_errors_;
  std::atomic<int64_t> scanned_{0}, scan_errors_{0}, failed_jobs_{0}, feed_errors_{0};
  std::atomic<int64_t> skipped_{0};
  int64_t started_ms_ = NowMs();
  std::atomic<int64_t> last_consumer_ms_{0};
  std::atomic<int> name_counter_{0};
  int64_t last_progress_ms_ = 0, last_progress_finished_ = 0;  // main thread only

  // I/O thread state.
  std::mutex ev_mu_;
  std::deque<Event> events_;
  zmq::context_t ctx_{1};
  std::unique_ptr<zmq::socket_t> submit_, control_, delivery_, publish_, zap_;
  std::map<std::string, std::vector<std::string>> zap_allow_;  // domain -> raw keys
  std::map<int64_t, std::string> pending_submits_;              // job id -> identity
  std::vector<Fetch> fetches_;
  int64_t last_fetch_scan_ms_ = 0;
  std::set<std::string> watch_topics_;  // subscribed prefixes on the publish socket
  std::atomic<bool> watchers_{false};   // one of them matches "finding"

  // One scan service per worker (used unless isolation is "none").
  std::vector<std::unique_ptr<ScanService>> services_;
};

net::HttpOptions DaemonImpl::HttpOpts(const Config& c, uint64_t max_bytes) const {
  net::HttpOptions o;
  o.connect_timeout_ms = static_cast<long>(c.connect_timeout_ms);
  o.total_timeout_ms = static_cast<long>(c.total_timeout_ms);
  o.low_speed_seconds = static_cast<long>(c.low_speed_seconds);
  o.max_bytes = max_bytes;
  o.ca_file = c.ca_file;
  return o;
}

Status DaemonImpl::Init() {
  const Config& c = *cfg_;
  SG_RETURN_IF_ERROR(MakeDir(c.state_dir, "daemon.state_dir"));
  spool_dir_ = c.spool_dir;
  SG_RETURN_IF_ERROR(MakeDir(spool_dir_, "spool.dir"));
  for (const char* sub : {"incoming", "work", "done", "quarantine", "downloads", "submit"}) {
    SG_RETURN_IF_ERROR(MakeDir(SpoolSub(sub), "spool.dir"));
  }
  std::string lock = c.state_dir + "/lock";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::IoError("key 'daemon.state_dir': '" + c.state_dir +
                           "' is in use by another shelfguardd (lock " + lock + ")");
  }
  SetChildCloseFd(lock_fd_);
  // The workers' scan services load their engines while this process loads
  // its own (which checks the signatures and registry before anything runs).
  for (int i = 0; i < c.effective_workers(); ++i) {
    services_.push_back(std::make_unique<ScanService>());
    if (c.isolation == "none") continue;
    Status st = services_.back()->Launch(c.config_path);
    if (!st.ok()) Log(LogLevel::kWarn, "scan_service.error", {{"worker", i}, {"error", st.ToString()}});
  }
  auto store = queue::Store::Open(c.db_path(), c.full_sync);
  if (!store.ok()) return store.status();
  store_ = std::move(store).value();
  auto recovered = store_->RecoverRunning();
  if (!recovered.ok()) return recovered.status();
  if (*recovered > 0) Log(LogLevel::kWarn, "queue.recovered", {{"jobs", *recovered}});
  auto sc = BuildScanner(c);
  if (!sc.ok()) return sc.status();
  scanner_ = *sc;
  SG_RETURN_IF_ERROR(BindSockets());
  ReconcileSpool();
  return Status::Ok();
}

Status DaemonImpl::BindSockets() {
  const Config& c = *cfg_;
  std::string secret = c.ServerSecret();
  struct Spec {
    const char* name;
    const SocketConfig* sc;
    std::unique_ptr<zmq::socket_t>* sock;
    zmq::socket_type type;
  };
  Spec specs[] = {{"submit", &c.submit, &submit_, zmq::socket_type::router},
                  {"control", &c.control, &control_, zmq::socket_type::router},
                  {"delivery", &c.delivery, &delivery_, zmq::socket_type::router},
                  // XPUB: a PUB socket that also reports subscriptions, so
                  // finding messages are only built while someone watches.
                  {"publish", &c.publish, &publish_, zmq::socket_type::xpub}};
  try {
    bool any_curve = false;
    for (const auto& s : specs) any_curve = any_curve || s.sc->curve;
    if (any_curve) {
      zap_ = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::rep);
      zap_->set(zmq::sockopt::linger, 0);
      zap_->bind("inproc://zeromq.zap.01");
    }
    for (const auto& s : specs) {
      auto sock = std::make_unique<zmq::socket_t>(ctx_, s.type);
      sock->set(zmq::sockopt::linger, 500);
      if (s.type == zmq::socket_type::router && std::string(s.name) == "submit") {
        sock->set(zmq::sockopt::maxmsgsize, c.submit_max_bytes + (64 << 10));
      } else if (s.type == zmq::socket_type::router) {
        sock->set(zmq::sockopt::maxmsgsize, int64_t{1} << 20);
      }
      if (s.sc->curve) {
        sock->set(zmq::sockopt::curve_server, 1);
        sock->set(zmq::sockopt::curve_secretkey, secret);
        sock->set(zmq::sockopt::zap_domain, std::string(s.name));
        std::vector<std::string> raw;
        for (const auto& k : s.sc->allow) {
          uint8_t key[32];
          zmq_z85_decode(key, k.c_str());
          raw.emplace_back(reinterpret_cast<char*>(key), 32);
        }
        zap_allow_[s.name] = raw;
      }
      try {
        sock->bind(s.sc->endpoint);
      } catch (const zmq::error_t& e) {
        return Status::IoError("key '" + std::string(s.name) + ".endpoint': cannot bind '" +
                               s.sc->endpoint + "': " + e.what());
      }
      *s.sock = std::move(sock);
    }
  } catch (const zmq::error_t& e) {
    return Status::IoError(std::string("zeromq: ") + e.what());
  }
  return Status::Ok();
}

void DaemonImpl::RequestReload() {
  auto old = cfg();
  auto loaded = LoadConfig(old->config_path);
  if (!loaded.ok()) {
    Log(LogLevel::kError, "reload.failed", {{"error", loaded.status().message()}});
    RecordError("reload: " + loaded.status().message());
    return;
  }
  Config c = std::move(loaded).value();
  // Sockets, state and workers are fixed for the process's life.
  bool restart_needed = c.state_dir != old->state_dir || c.spool_dir != old->spool_dir ||
                        c.submit.endpoint != old->submit.endpoint ||
                        c.control.endpoint != old->control.endpoint ||
                        c.delivery.endpoint != old->delivery.endpoint ||
                        c.publish.endpoint != old->publish.endpoint || c.workers != old->workers;
  c.state_dir = old->state_dir;
  c.spool_dir = old->spool_dir;
  c.submit = old->submit;
  c.control = old->control;
  c.delivery = old->delivery;
  c.publish = old->publish;
  c.workers = old->workers;
  auto sc = BuildScanner(c);  // off to the side; workers keep scanning
  if (!sc.ok()) {
    Log(LogLevel::kError, "reload.failed", {{"error", sc.status().ToString()}});
    RecordError("reload: " + sc.status().ToString());
    return;
  }
  SetLogLevel(c.log_level);
  {
    std::lock_guard<std::mutex> l(mu_);
    cfg_ = std::make_shared<const Config>(std::move(c));
    scanner_ = *sc;
  }
  generation_++;  // workers restart their scan services with the new config
  reload_sweep_.store(true);
  Wake();
  Log(LogLevel::kInfo, "reload.done",
      {{"signatures_version", (*sc)->sig_version}, {"registry_version", (*sc)->reg_version}});
  if (restart_needed) {
    Log(LogLevel::kWarn, "reload.restart_needed",
        {{"reason", "endpoints, state_dir, spool.dir and workers change only on restart"}});
  }
}

// ---------------------------------------------------------------- sources

void DaemonImpl::ReconcileSpool() {
  // Files left in work/ by a crash: finish their move if their job is done,
  // enqueue them if no job knows them.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(SpoolSub("work"), ec)) {
    std::string p = e.path().string();
    auto job = store_->FindJobByPath(p);
    if (!job) {
      queue::JobSpec spec;
      spec.source = "spool";
      spec.path = p;
      spec.name = e.path().filename().string();
      spec.dedup_key = "spool:" + p;
      auto id = store_->Enqueue(spec, NowMs());
      Log(LogLevel::kWarn, "spool.recovered", {{"path", p}, {"job", id.ok() ? *id : 0}});
    } else if (job->state == "done" || job->state == "failed") {
      auto r = store_->GetResult(job->id);
      FinishFile(*job, r ? r->verdict : "error");
    }
  }
}

void DaemonImpl::PollSpool(const Config& c, bool take_all) {
  std::error_code ec;
  int64_t now = NowMs();
  std::vector<fs::path> ready;
  for (const auto& e : fs::directory_iterator(SpoolSub("incoming"), ec)) {
    std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.' || e.path().extension() == ".part") continue;
    std::error_code ec2;
    if (!e.is_regular_file(ec2)) continue;
    auto mtime = fs::last_write_time(e.path(), ec2);
    if (ec2) continue;
    int64_t mtime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::file_clock::to_sys(mtime).time_since_epoch())
                           .count();
    if (!take_all && now - mtime_ms < c.spool_settle_ms) continue;  // still being written?
    ready.push_back(e.path());
  }
  std::sort(ready.begin(), ready.end());
  // Moved to work/ and queued in chunks, one transaction each; workers start
  // on the first chunk while the rest are moved. A crash between the move
  // and the commit leaves files in work/ that ReconcileSpool() queues.
  constexpr size_t kChunk = 32;
  for (size_t i = 0; i < ready.size() && !stopping_; i += kChunk) {
    std::vector<queue::JobSpec> specs;
    for (size_t k = i; k < std::min(ready.size(), i + kChunk); ++k) {
      const fs::path& p = ready[k];
      std::string name = p.filename().string();
      std::string work = SpoolSub("work") + "/" + std::to_string(now) + "-" +
                         std::to_string(name_counter_.fetch_add(1)) + "-" + SafeName(name);
      if (::rename(p.c_str(), work.c_str()) != 0) {
        Log(LogLevel::kError, "spool.error", {{"path", p.string()}, {"error", std::strerror(errno)}});
        continue;
      }
      queue::JobSpec spec;
      spec.source = "spool";
      spec.path = work;
      spec.name = name;
      spec.dedup_key = "spool:" + work;
      specs.push_back(std::move(spec));
    }
    if (specs.empty()) continue;
    auto ids = store_->EnqueueAll(specs, now);
    if (!ids.ok()) {
      // The files stay in work/ and are picked up by the next start's reconcile.
      Log(LogLevel::kError, "queue.error", {{"error", ids.status().ToString()}});
      continue;
    }
    if (LogEnabled(LogLevel::kDebug)) {
      for (size_t k = 0; k < specs.size(); ++k) {
        Log(LogLevel::kDebug, "job.queued", {{"job", (*ids)[k]}, {"package", specs[k].name}, {"source", "spool"}});
      }
    }
    Wake();  // workers start on these while the rest are queued
  }
}

void DaemonImpl::SweepDir(const Config& c, const DirConfig& d, const Scanner& s) {
  std::error_code ec;
  int64_t queued = 0, seen = 0;
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(d.path, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code ec2;
    if (it->is_regular_file(ec2) && IsPackageName(it->path())) files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    if (stopping_) return;
    ++seen;
    uint64_t size = 0;
    auto sha = Sha256File(f, &size);
    if (!sha.ok()) continue;
    if (store_->HasResult(*sha, s.sig_version, s.reg_version)) continue;
    queue::JobSpec spec;
    spec.source = "dir:" + d.name;
    spec.path = f;
    spec.name = fs::relative(f, d.path, ec).string();
    spec.expect_sha256 = *sha;
    spec.dedup_key = "sha:" + *sha + ":" + s.sig_version + ":" + s.reg_version;
    auto id = store_->Enqueue(spec, NowMs());
    if (id.ok() && *id > 0) {
      ++queued;
      Wake();  // a worker starts on it while the rest are hashed and queued
    }
  }
  Log(LogLevel::kInfo, "sweep.dir", {{"source", d.name}, {"packages", seen}, {"queued", queued}});
}

void DaemonImpl::PollFeed(const Config& c, const FeedConfig& f, const Scanner& s) {
  int64_t now = NowMs();
  auto fail = [&](const std::string& why, long status) {
    feed_errors_++;
    {
      std::lock_guard<std::mutex> l(stats_mu_);
      FeedState& st = feeds_[f.name];
      st.last_poll_ms = now;
      st.poll_errors++;
      st.http_status = status;
      st.last_error = why;
    }
    RecordError("feed " + f.name + ": " + why);
    Log(LogLevel::kError, "feed.error", {{"source", f.name}, {"url", f.url}, {"error", why}});
  };
  net::HttpOptions opts = HttpOpts(c, static_cast<uint64_t>(c.max_feed_bytes));
  std::string cached;
  {
    std::lock_guard<std::mutex> l(stats_mu_);
    FeedState& st = feeds_[f.name];
    if (!st.listing.empty()) {
      opts.if_none_match = st.etag;
      opts.if_modified_since = st.last_modified;
      cached = st.listing;
    }
  }
  auto resp = net::Get(f.url, opts);
  if (!resp.ok()) return fail(resp.status().ToString(), 0);
  bool not_modified = resp->status == 304 && !cached.empty();
  if (resp->status != 200 && !not_modified) {
    return fail("HTTP status " + std::to_string(resp->status), resp->status);
  }
  const std::string& body = not_modified ? cached : resp->body;
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("packages") ||
      !doc["packages"].is_array()) {
    {
      std::lock_guard<std::mutex> l(stats_mu_);
      feeds_[f.name].listing.clear();  // no conditional GET against a bad listing
    }
    return fail("bad feed: not a JSON object with a \"packages\" array", resp->status);
  }
  if (not_modified) {
    Log(LogLevel::kDebug, "feed.not_modified", {{"source", f.name}});
  } else {
    std::lock_guard<std::mutex> l(stats_mu_);
    FeedState& st = feeds_[f.name];
    auto header = [&](const char* h) {
      auto it = resp->headers.find(h);
      return it == resp->headers.end() ? std::string() : it->second;
    };
    st.etag = header("etag");
    st.last_modified = header("last-modified");
    // Kept only when the server gave a validator to ask with.
    st.listing = st.etag.empty() && st.last_modified.empty() ? std::string() : resp->body;
  }
  const json& pkgs = doc["packages"];
  int64_t entry_errors = 0, queued = 0, n = 0;
  std::string last_entry_error;
  for (size_t i = 0; i < pkgs.size(); ++i) {
    if (n >= c.max_feed_packages) {
      ++entry_errors;
      last_entry_error = "more than http.max_feed_packages entries; the rest ignored";
      break;
    }
    ++n;
    const json& e = pkgs[i];
    auto str = [&](const char* k) {
      auto it = e.is_object() ? e.find(k) : e.end();
      return it != e.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string why;
    std::string platform = str("platform"), app_id = str("app_id"), version = str("version");
    std::string sha = str("sha256");
    std::transform(sha.begin(), sha.end(), sha.begin(), ::tolower);
    std::string url = ResolveUrl(f.url, str("url"));
    uint64_t size = 0;
    if (!e.is_object()) {
      why = "not an object";
    } else if (platform != "android" && platform != "ios") {
      why = "platform must be android or ios";
    } else if (app_id.empty() || app_id.size() > 256) {
      why = "app_id missing or too long";
    } else if (version.size() > 128) {
      why = "version too long";
    } else if (url.empty()) {
      why = "url missing or not http(s)";
    } else if (!IsHex64(sha)) {
      why = "sha256 must be 64 hex digits";
    } else if (!e.contains("size") || !e["size"].is_number_unsigned() ||
               (size = e["size"].get<uint64_t>()) == 0) {
      why = "size must be a positive integer";
    } else if (size > c.limits.max_package_bytes) {
      why = "size " + std::to_string(size) + " over limits.max_package_bytes";
    }
    if (!why.empty()) {
      ++entry_errors;
      last_entry_error = "packages[" + std::to_string(i) + "]: " + why;
      Log(LogLevel::kWarn, "feed.entry_error", {{"source", f.name}, {"index", i}, {"error", why}});
      continue;
    }
    if (store_->HasResult(sha, s.sig_version, s.reg_version)) continue;
    std::string key = "sha:" + sha + ":" + s.sig_version + ":" + s.reg_version;
    if (store_->FailedSince(key, now - c.refetch_failed_s * 1000)) continue;
    queue::JobSpec spec;
    spec.source = "feed:" + f.name;
    spec.url = url;
    spec.expect_sha256 = sha;
    spec.expect_size = size;
    spec.name = app_id + (version.empty() ? "" : "@" + version);
    spec.path = SpoolSub("downloads") + "/" + f.name + "-" + sha + (platform == "ios" ? ".ipa" : ".apk");
    spec.meta = Dump(e);
    spec.dedup_key = key;
    auto id = store_->Enqueue(spec, now);
    if (id.ok() && *id > 0) {
      ++queued;
      Log(LogLevel::kDebug, "job.queued", {{"job", *id}, {"package", spec.name}, {"source", spec.source}});
    }
  }
  if (entry_errors > 0) {
    feed_errors_++;
    RecordError("feed " + f.name + ": " + last_entry_error);
  }
  {
    std::lock_guard<std::mutex> l(stats_mu_);
    FeedState& st = feeds_[f.name];
    st.last_poll_ms = now;
    st.last_ok_ms = now;
    st.http_status = resp->status;
    if (not_modified) st.not_modified++;
    st.packages = static_cast<int64_t>(pkgs.size());
    st.enqueued += queued;
    st.entry_errors += entry_errors;
    if (entry_errors > 0) st.last_error = last_entry_error;
  }
  Log(LogLevel::kInfo, "sweep.feed",
      {{"source", f.name}, {"packages", pkgs.size()}, {"queued", queued}, {"entry_errors", entry_errors}});
  if (queued > 0) Wake();
}

void DaemonImpl::SchedulerLoop() {
  std::map<std::string, int64_t> due;  // source -> next run (ms)
  int64_t next_spool = 0;
  bool first = true;
  while (!stopping_) {
    uint64_t seen = WakeSeq();
    if (reload_sweep_.exchange(false)) due.clear();
    auto c = cfg();
    auto s = scanner();
    int64_t now = NowMs();
    if (!once_ || first) {
      if (c->spool_enabled && now >= next_spool) {
        PollSpool(*c, once_);
        next_spool = now + c->spool_poll_ms;
      }
      for (const auto& d : c->directories) {
        if (stopping_) break;
        std::string key = "dir:" + d.name;
        if (now >= due[key]) {
          SweepDir(*c, d, *s);
          due[key] = NowMs() + d.interval_s * 1000;
        }
      }
      for (const auto& f : c->feeds) {
        if (stopping_) break;
        std::string key = "feed:" + f.name;
        if (now >= due[key]) {
          PollFeed(*c, f, *s);
          due[key] = NowMs() + f.interval_s * 1000;
        }
      }
      if (first) {
        first = false;
        once_swept_.store(true);
        NoteIdle();
      }
    }
    WaitForWake(seen, 100);
  }
}

// ---------------------------------------------------------------- workers

void DaemonImpl::WorkerLoop(int index) {
  ScanService& service = *services_[static_cast<size_t>(index)];
  int64_t service_gen = -1;
  bool first = true;
  std::optional<queue::Job> next;
  while (!stopping_) {
    auto c = cfg();
    bool use_service = c->isolation != "none";
    if (first && use_service) {
      // Have the scan service (launched at start-up) ready before the first
      // job arrives. A failure here is retried, and reported, when a job
      // needs the service.
      first = false;
      service_gen = generation_.load();
      Status st = service.running() ? service.WaitReady(60000) : service.Start(c->config_path, 60000);
      if (!st.ok()) {
        Log(LogLevel::kWarn, "scan_service.error", {{"worker", index}, {"error", st.ToString()}});
        service.Stop();
      }
    }
    int64_t lease = static_cast<int64_t>(c->limits.deadline_ms) + c->grace_ms + c->total_timeout_ms +
                    60000;
    queue::Job job;
    if (next) {
      job = std::move(*next);  // claimed when the previous job was completed
      next.reset();
    } else {
      uint64_t seen = WakeSeq();
      auto claimed = store_->Claim(NowMs(), lease);
      if (!claimed.ok()) {
        Log(LogLevel::kError, "queue.error", {{"error", claimed.status().ToString()}, {"worker", index}});
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      if (!claimed->has_value()) {
        NoteIdle();
        WaitForWake(seen, 100);
        continue;
      }
      job = std::move(**claimed);
    }
    busy_++;
    if (use_service && (!service.ready() || service_gen != generation_.load())) {
      // (Re)start this worker's scan service with the current config.
      service_gen = generation_.load();
      Status st = service.Start(c->config_path, 60000);
      if (!st.ok()) {
        Log(LogLevel::kError, "scan_service.error", {{"worker", index}, {"error", st.ToString()}});
        RecordError("scan service: " + st.ToString());
        if (job.attempts >= c->max_attempts) {
          FailJob(job, st.ToString(), "scan-service");
        } else {
          Status rt = store_->Retry(job.id, NowMs() + 2000, st.ToString());
          (void)rt;
        }
        busy_--;
        continue;
      }
    }
    ProcessJob(job, use_service ? &service : nullptr, lease, &next);
    busy_--;
  }
  if (next) {
    // Stopping with a job claimed but not started: it goes back to the queue.
    Status st = store_->Release(next->id);
    if (!st.ok()) Log(LogLevel::kError, "queue.error", {{"job", next->id}, {"error", st.ToString()}});
  }
  service.Stop();
}

void DaemonImpl::FinishFile(const queue::Job& job, const std::string& verdict) {
  std::error_code ec;
  if (job.spec.source == "spool") {
    bool bad = verdict == "error" || verdict == "violation" || verdict == "block";
    std::string dest = SpoolSub(bad ? "quarantine" : "done") + "/" + fs::path(job.spec.path).filename().string();
    // ENOENT: moved already (a repeated finish after a restart).
    if (::rename(job.spec.path.c_str(), dest.c_str()) != 0 && errno != ENOENT) {
      Log(LogLevel::kError, "spool.error", {{"job", job.id}, {"path", job.spec.path}, {"error", std::strerror(errno)}});
    }
  } else if (!job.spec.url.empty() || job.spec.path.rfind(SpoolSub("submit") + "/", 0) == 0) {
    fs::remove(job.spec.path, ec);  // downloads and submitted bytes are transient
  }
}

void DaemonImpl::FailJob(const queue::Job& job, const std::string& error, const std::string& code) {
  failed_jobs_++;
  Status st = store_->Fail(job.id, error, NowMs());
  if (!st.ok()) Log(LogLevel::kError, "queue.error", {{"job", job.id}, {"error", st.ToString()}});
  RecordError("job " + std::to_string(job.id) + " (" + job.spec.name + "): " + error);
  Log(LogLevel::kError, "job.failed",
      {{"job", job.id}, {"package", job.spec.name}, {"source", job.spec.source}, {"code", code}, {"error", error}});
  if (job.spec.source.rfind("feed:", 0) == 0) {
    std::lock_guard<std::mutex> l(stats_mu_);
    FeedState& fs = feeds_[job.spec.source.substr(5)];
    fs.download_errors++;
    fs.last_error = job.spec.name + ": " + error;
  }
  FinishFile(job, "error");
  if (job.spec.source == "submit") {
    PushEvent({job.id, true, Dump({{"ok", false}, {"job_id", job.id}, {"error", error}, {"code", code}}), {}});
  }
}

void DaemonImpl::ProcessJob(const queue::Job& job, ScanService* service, int64_t lease_ms,
                            std::optional<queue::Job>* next) {
  auto c = cfg();
  auto s = scanner();
  int64_t t0 = NowMs();
  if (LogEnabled(LogLevel::kDebug)) {
    Log(LogLevel::kDebug, "job.start", {{"job", job.id}, {"package", job.spec.name}, {"attempt", job.attempts}});
  }
  if (job.attempts > c->max_attempts) {
    return FailJob(job, "gave up after " + std::to_string(job.attempts - 1) + " attempts (last: " +
                            (job.error.empty() ? "interrupted" : job.error) + ")",
                   "too-many-attempts");
  }
  if (!job.spec.url.empty()) {
    uint64_t cap = job.spec.expect_size > 0 ? std::min<uint64_t>(job.spec.expect_size, c->limits.max_package_bytes)
                                            : c->limits.max_package_bytes;
    auto dl = net::Download(job.spec.url, job.spec.path, HttpOpts(*c, cap));
    std::string err;
    bool retryable = false;
    if (!dl.ok()) {
      err = dl.status().ToString();
      retryable = dl.status().code() != "over-limit" && dl.status().code() != "invalid-argument" &&
                  dl.status().code() != "unsupported";
    } else if (dl->status != 200) {
      err = "HTTP status " + std::to_string(dl->status) + " for " + job.spec.url;
      retryable = dl->status >= 500 || dl->status == 429 || dl->status == 408;
    } else if (job.spec.expect_size > 0 && dl->bytes != job.spec.expect_size) {
      err = "size mismatch: feed says " + std::to_string(job.spec.expect_size) + ", got " + std::to_string(dl->bytes);
    } else if (!job.spec.expect_sha256.empty() && dl->sha256 != job.spec.expect_sha256) {
      err = "sha256 mismatch: feed says " + job.spec.expect_sha256 + ", got " + dl->sha256;
    }
    if (!err.empty()) {
      std::error_code ec;
      fs::remove(job.spec.path, ec);
      if (retryable && job.attempts <= c->retries && job.attempts < c->max_attempts && !stopping_) {
        int64_t delay = c->backoff_ms << std::min(job.attempts - 1, 16);
        Status st = store_->Retry(job.id, NowMs() + delay, err);
        Log(LogLevel::kWarn, "download.retry",
            {{"job", job.id}, {"package", job.spec.name}, {"error", err}, {"delay_ms", delay}});
        if (!st.ok()) Log(LogLevel::kError, "queue.error", {{"job", job.id}, {"error", st.ToString()}});
        return;
      }
      return FailJob(job, err, "download");
    }
  }
  // A sweep job whose package was scanned meanwhile with these versions.
  if (job.spec.dedup_key.rfind("sha:", 0) == 0 && !job.spec.expect_sha256.empty() &&
      store_->HasResult(job.spec.expect_sha256, s->sig_version, s->reg_version)) {
    skipped_++;
    Status st = store_->Skip(job.id, "skipped: already scanned with these versions", NowMs());
    if (!st.ok()) Log(LogLevel::kError, "queue.error", {{"job", job.id}, {"error", st.ToString()}});
    FinishFile(job, "pass");
    return;
  }
  IsolationOptions iso;
  iso.fork = c->isolation == "fork";
  iso.deadline_ms = c->limits.deadline_ms;
  iso.grace_ms = c->grace_ms;
  iso.max_memory_mb = c->max_memory_mb;
  queue::ScanOutcome o = service != nullptr
                             ? service->Scan(job.spec.path, job.spec.name, iso)
                             : ScanIsolated(*s->engine, *s->assessor, job.spec.path, job.spec.name, iso);
  // The versions the package was really scanned with.
  std::string sig = service != nullptr ? service->sig_version() : s->sig_version;
  std::string reg = service != nullptr ? service->reg_version() : s->reg_version;
  int64_t now = NowMs();
  queue::MessageContext mc{job.id, job.spec.source, sig, reg, now};
  std::vector<queue::OutboxMessage> msgs = queue::OutboxMessages(o, mc, c->min_severity);
  queue::JobResult r;
  r.sha256 = o.sha256;
  r.size = o.size;
  r.signatures_version = sig;
  r.registry_version = reg;
  r.verdict = o.verdict;
  r.error = o.error;
  r.report = o.report;
  Status st;
  if (!stopping_) {
    auto claimed = store_->CompleteAndClaim(job.id, r, msgs, now, lease_ms);
    st = claimed.status();
    if (claimed.ok()) *next = std::move(*claimed);
  } else {
    st = store_->Complete(job.id, r, msgs, now);
  }
  if (!st.ok()) {
    // The job keeps its lease; it is claimed again when the lease expires.
    Log(LogLevel::kError, "queue.error", {{"job", job.id}, {"error", st.ToString()}});
    RecordError("job " + std::to_string(job.id) + ": " + st.ToString());
    return;
  }
  scanned_++;
  if (o.verdict == "error") {
    scan_errors_++;
    RecordError("job " + std::to_string(job.id) + " (" + job.spec.name + "): " + o.error);
  }
  {
    std::lock_guard<std::mutex> l(stats_mu_);
    verdicts_[o.verdict]++;
    recent_scans_ms_.push_back(now);
    while (!recent_scans_ms_.empty() && recent_scans_ms_.front() < now - 60000) recent_scans_ms_.pop_front();
  }
  LogLevel level = o.verdict == "error" ? LogLevel::kWarn : LogLevel::kInfo;
  if (LogEnabled(level)) {
    Log(level, "scan.done",
        {{"job", job.id}, {"package", job.spec.name}, {"source", job.spec.source}, {"sha256", o.sha256},
         {"verdict", o.verdict}, {"findings", o.findings.size()}, {"queued_messages", msgs.size()},
         {"error", o.error}, {"ms", now - t0}});
  }
  FinishFile(job, o.verdict);
  Event ev;
  ev.job_id = job.id;
  bool submit = job.spec.source == "submit";
  if (watchers_.load() || submit) {
    for (const auto& f : o.findings) ev.publish.push_back(queue::FindingMessage(o, f, mc, "finding"));
  }
  if (submit) {
    ev.submit = true;
    json findings = json::array();
    for (const auto& m : ev.publish) findings.push_back(json::parse(m));
    json report = json::parse(o.report, nullptr, false);
    ev.reply = Dump({{"ok", true}, {"job_id", job.id}, {"verdict", o.verdict}, {"error", o.error},
                     {"sha256", o.sha256}, {"findings", findings},
                     {"report", report.is_discarded() ? json() : report}});
  }
  ev.outbox = !msgs.empty();
  if (ev.submit || ev.outbox || !ev.publish.empty()) PushEvent(std::move(ev));
}

// ---------------------------------------------------------------- ZeroMQ

std::vector<zmq::message_t> RecvAll(zmq::socket_t& s) {
  std::vector<zmq::message_t> frames;
  for (;;) {
    zmq::message_t m;
    if (!s.recv(m, zmq::recv_flags::dontwait)) break;
    bool more = m.more();
    frames.push_back(std::move(m));
    if (!more) break;
  }
  return frames;
}

void DaemonImpl::SendRouted(zmq::socket_t& s, const std::string& identity, bool delimiter,
                            const std::string& body) {
  try {
    s.send(zmq::buffer(identity), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    if (delimiter) s.send(zmq::message_t(), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    s.send(zmq::buffer(body), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    Log(LogLevel::kWarn, "zmq.send_failed", {{"error", e.what()}});
  }
}

void DaemonImpl::HandleSubmit(const std::vector<zmq::message_t>& fr) {
  // REQ framing: [identity][empty][request JSON][package bytes?]
  if (fr.size() < 3 || fr[1].size() != 0) return;
  std::string identity = fr[0].to_string();
  auto reply_error = [&](const std::string& why, const char* code = "bad-request") {
    SendRouted(*submit_, identity, true, Dump({{"ok", false}, {"error", why}, {"code", code}}));
  };
  if (stopping_) return reply_error("shutting down; ask again after the restart", "stopping");
  auto c = cfg();
  json req = json::parse(fr[2].to_string(), nullptr, false);
  if (req.is_discarded() || !req.is_object() || req.value("type", "") != "submit") {
    return reply_error("bad request: expected {\"type\":\"submit\", ...}");
  }
  auto str = [&](const char* k) {
    auto it = req.find(k);
    return it != req.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  // A client's request id makes the submission resumable: asking again
  // with it (after a timeout or a daemon restart) attaches to the same job,
  // or answers from its stored result.
  std::string rid = str("request_id");
  if (!rid.empty()) {
    bool valid = rid.size() >= 8 && rid.size() <= 64;
    for (char ch : rid) valid = valid && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_');
    if (!valid) return reply_error("request_id: 8 to 64 letters, digits, '-' or '_'");
    if (auto known = store_->FindJobByKey("submit:" + rid)) return ResumeSubmit(identity, *known);
    if (req.value("resume", false)) {
      return reply_error("unknown request " + rid + "; send the package again", "unknown-request");
    }
  }
  queue::JobSpec spec;
  spec.source = "submit";
  if (!rid.empty()) spec.dedup_key = "submit:" + rid;
  std::string name = str("name");
  int64_t now = NowMs();
  std::string uniq = std::to_string(now) + "-" + std::to_string(name_counter_.fetch_add(1));
  if (fr.size() == 4) {
    if (static_cast<int64_t>(fr[3].size()) > c->submit_max_bytes) return reply_error("package over submit.max_bytes");
    spec.name = name.empty() ? "submitted.apk" : name;
    spec.path = SpoolSub("submit") + "/" + uniq + "-" + SafeName(spec.name);
    int fd = ::open(spec.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return reply_error(std::string("cannot spool the package: ") + std::strerror(errno));
    const char* p = static_cast<const char*>(fr[3].data());
    size_t left = fr[3].size();
    bool ok = true;
    while (left > 0) {
      ssize_t w = ::write(fd, p, left);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        ok = false;
        break;
      }
      p += w;
      left -= static_cast<size_t>(w);
    }
    ok = ok && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
      std::error_code ec;
      fs::remove(spec.path, ec);
      return reply_error("cannot spool the package");
    }
  } else if (!str("url").empty()) {
    std::string url = str("url");
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) return reply_error("url must be http(s)");
    if (url.size() > 4096) return reply_error("url too long");
    spec.url = url;
    std::string sha = str("sha256");
    if (!sha.empty() && !IsHex64(sha)) return reply_error("sha256 must be 64 lower-case hex digits");
    spec.expect_sha256 = sha;
    spec.name = name.empty() ? url.substr(url.rfind('/') + 1) : name;
    if (spec.name.empty()) spec.name = "download";
    spec.path = SpoolSub("downloads") + "/submit-" + uniq + "-" + SafeName(spec.name);
  } else if (!str("path").empty()) {
    if (!c->submit_allow_paths) return reply_error("path submissions are disabled (submit.allow_paths)");
    std::string path = str("path");
    std::error_code ec;
    if (path[0] != '/' || !fs::is_regular_file(path, ec)) return reply_error("not a regular file: " + path);
    spec.path = path;
    spec.name = name.empty() ? fs::path(path).filename().string() : name;
  } else {
    return reply_error("bad request: give \"path\", \"url\" or the package bytes as a second frame");
  }
  auto id = store_->Enqueue(spec, now);
  if (!id.ok() || *id == 0) return reply_error("cannot queue: " + id.status().ToString());
  pending_submits_[*id] = identity;
  Log(LogLevel::kInfo, "job.queued", {{"job", *id}, {"package", spec.name}, {"source", "submit"}});
  Wake();
}

void DaemonImpl::ResumeSubmit(const std::string& identity, const queue::Job& job) {
  if (job.state == "queued" || job.state == "running") {
    pending_submits_[job.id] = identity;  // the reply goes to the newest asker
    Log(LogLevel::kInfo, "submit.resumed", {{"job", job.id}, {"package", job.spec.name}, {"state", job.state}});
    return;
  }
  auto r = job.state == "done" ? store_->GetResult(job.id) : std::nullopt;
  if (!r) {
    return SendRouted(*submit_, identity, true,
                      Dump({{"ok", false}, {"job_id", job.id}, {"error", job.error.empty() ? "failed" : job.error},
                            {"code", "failed"}}));
  }
  // The stored report's findings, under the names a live reply uses.
  json report = json::parse(r->report, nullptr, false);
  json findings = json::array();
  if (report.is_object() && report.contains("findings") && report["findings"].is_array()) {
    for (const auto& f : report["findings"]) {
      if (!f.is_object()) continue;
      findings.push_back({{"type", "finding"}, {"job_id", job.id}, {"rule_id", f.value("rule", "")},
                          {"severity", f.value("severity", "")}, {"message_en", f.value("message", "")},
                          {"message_zh", f.value("message_zh", "")}, {"basis", f.value("basis", "")},
                          {"evidence", f.value("evidence", json::array())}});
    }
  }
  SendRouted(*submit_, identity, true,
             Dump({{"ok", true}, {"job_id", job.id}, {"verdict", r->verdict}, {"error", r->error},
                   {"sha256", r->sha256}, {"findings", findings}, {"resumed", true},
                   {"report", report.is_discarded() ? json() : report}}));
}

void DaemonImpl::LogProgress() {
  // Every daemon.progress_s while jobs are being finished: how far the
  // queue has got.
  int64_t now = NowMs();
  if (now - last_progress_ms_ < cfg()->progress_s * 1000) return;
  int64_t finished = scanned_.load() + skipped_.load() + failed_jobs_.load();
  if (finished == last_progress_finished_) {
    last_progress_ms_ = now;
    return;
  }
  queue::Counts qc = store_->GetCounts();
  double secs = static_cast<double>(now - last_progress_ms_) / 1000.0;
  double rate = last_progress_ms_ > 0 && secs > 0
                    ? static_cast<double>(finished - last_progress_finished_) / secs
                    : 0.0;
  Log(LogLevel::kInfo, "progress",
      {{"queued", qc.queued}, {"running", qc.running}, {"scanned", scanned_.load()}, {"skipped", skipped_.load()},
       {"failed", failed_jobs_.load()}, {"per_second", std::round(rate * 10) / 10},
       {"outbox_pending", qc.outbox_pending + qc.outbox_inflight}});
  last_progress_ms_ = now;
  last_progress_finished_ = finished;
}

json DaemonImpl::StatusJson() {
  queue::Counts qc = store_->GetCounts();
  auto s = scanner();
  auto c = cfg();
  int64_t now = NowMs();
  json j;
  j["daemon"] = {{"version", SHELFGUARD_VERSION}, {"pid", ::getpid()},
                 {"uptime_s", (now - started_ms_) / 1000}, {"workers", c->effective_workers()},
                 {"busy_workers", busy_.load()}, {"state_dir", c->state_dir}, {"stopping", stopping_.load()}};
  j["versions"] = {{"signatures", s->sig_version}, {"registry", s->reg_version}};
  j["queue"] = {{"depth", qc.queued + qc.running}, {"queued", qc.queued}, {"running", qc.running},
                {"done", qc.done}, {"failed", qc.failed}, {"results", qc.results}};
  j["outbox"] = {{"pending", qc.outbox_pending}, {"inflight", qc.outbox_inflight}, {"acked", qc.outbox_acked}};
  j["publish"] = {{"watching", watchers_.load()}};
  std::lock_guard<std::mutex> l(stats_mu_);
  double up = std::max<double>(1.0, static_cast<double>(now - started_ms_) / 1000.0);
  j["throughput"] = {{"scanned", scanned_.load()}, {"last_minute", recent_scans_ms_.size()},
                     {"per_second", static_cast<double>(scanned_.load()) / up}, {"verdicts", verdicts_},
                     {"skipped", skipped_.load()}};
  j["errors"] = {{"scan", scan_errors_.load()}, {"failed_jobs", failed_jobs_.load()},
                 {"feed", feed_errors_.load()},
                 {"recent", json(std::vector<std::string>(recent_errors_.begin(), recent_errors_.end()))}};
  json feeds = json::array();
  for (const auto& f : c->feeds) {
    const FeedState& st = feeds_[f.name];
    feeds.push_back({{"name", f.name}, {"url", f.url}, {"interval_s", f.interval_s},
                     {"last_poll", st.last_poll_ms ? queue::ToIso8601(st.last_poll_ms) : ""},
                     {"last_ok", st.last_ok_ms ? queue::ToIso8601(st.last_ok_ms) : ""},
                     {"http_status", st.http_status}, {"packages", st.packages}, {"enqueued", st.enqueued},
                     {"not_modified", st.not_modified},
                     {"poll_errors", st.poll_errors}, {"entry_errors", st.entry_errors},
                     {"download_errors", st.download_errors}, {"last_error", st.last_error}});
  }
  j["feeds"] = feeds;
  return j;
}

void DaemonImpl::HandleControl(const std::vector<zmq::message_t>& fr) {
  if (fr.size() < 3 || fr[1].size() != 0) return;
  json req = json::parse(fr[2].to_string(), nullptr, false);
  std::string cmd = req.is_object() ? req.value("cmd", "") : "";
  json reply;
  if (cmd == "status") {
    reply = StatusJson();
    reply["ok"] = true;
  } else {
    reply = {{"ok", false}, {"error", "unknown command; try {\"cmd\":\"status\"}"}};
  }
  SendRouted(*control_, fr[0].to_string(), true, Dump(reply));
}

void DaemonImpl::HandleDelivery(const std::vector<zmq::message_t>& fr) {
  // DEALER framing: [identity][request JSON]
  if (fr.size() != 2) return;
  std::string identity = fr[0].to_string();
  json req = json::parse(fr[1].to_string(), nullptr, false);
  if (!req.is_object()) return;
  std::string type = req.value("type", "");
  std::string consumer = req.value("consumer", "default");
  if (consumer.empty() || consumer.size() > 128) consumer = "default";
  last_consumer_ms_.store(NowMs());
  if (type == "hello") {
    // A (re)connecting consumer: what this consumer name held in flight is
    // redelivered at once rather than after the ack timeout.
    auto n = store_->ReleaseConsumer(consumer);
    fetches_.erase(std::remove_if(fetches_.begin(), fetches_.end(),
                                  [&](const Fetch& f) { return f.consumer == consumer; }),
                   fetches_.end());
    Log(LogLevel::kInfo, "consumer.hello", {{"consumer", consumer}, {"released", n.ok() ? *n : 0}});
    SendRouted(*delivery_, identity, false, Dump({{"type", "welcome"}, {"released", n.ok() ? *n : 0}}));
  } else if (type == "fetch") {
    int max = std::clamp(req.value("max", 64), 1, 10000);
    int64_t wait = std::clamp<int64_t>(req.value("wait_ms", int64_t{1000}), 0, 60000);
    fetches_.push_back({identity, consumer, max, NowMs() + wait});
  } else if (type == "ack") {
    std::vector<std::string> ids;
    if (req.contains("ids") && req["ids"].is_array()) {
      for (const auto& id : req["ids"]) {
        if (id.is_string() && ids.size() < 100000) ids.push_back(id.get<std::string>());
      }
    }
    auto n = store_->Ack(ids, NowMs());
    SendRouted(*delivery_, identity, false, Dump({{"type", "acked"}, {"count", n.ok() ? *n : 0}}));
  }
}

void DaemonImpl::ServeFetches(bool force) {
  if (fetches_.empty()) return;
  int64_t now = NowMs();
  if (!force && now - last_fetch_scan_ms_ < 50) return;
  last_fetch_scan_ms_ = now;
  auto c = cfg();
  std::vector<Fetch> keep;
  for (auto& f : fetches_) {
    auto msgs = store_->TakeDeliverable(f.consumer, std::min<int>(f.max, static_cast<int>(c->batch)), now,
                                        c->ack_timeout_ms);
    if (msgs.ok() && !msgs->empty()) {
      std::string body = "{\"type\":\"batch\",\"messages\":[";
      for (size_t i = 0; i < msgs->size(); ++i) {
        if (i) body += ",";
        body += (*msgs)[i].payload;
      }
      body += "]}";
      SendRouted(*delivery_, f.identity, false, body);
      Log(LogLevel::kDebug, "delivery.batch", {{"consumer", f.consumer}, {"messages", msgs->size()}});
    } else if (now >= f.deadline_ms || stopping_) {
      SendRouted(*delivery_, f.identity, false, "{\"type\":\"batch\",\"messages\":[]}");
    } else {
      keep.push_back(f);
    }
  }
  fetches_.swap(keep);
}

void DaemonImpl::HandleZap() {
  auto fr = RecvAll(*zap_);
  // ZAP request: version, request id, domain, address, identity, mechanism, credentials...
  if (fr.size() < 6) return;
  std::string version = fr[0].to_string(), rid = fr[1].to_string(), domain = fr[2].to_string();
  std::string mech = fr[5].to_string();
  bool ok = false;
  if (mech == "CURVE" && fr.size() >= 7 && fr[6].size() == 32) {
    std::string key = fr[6].to_string();
    for (const auto& k : zap_allow_[domain]) ok = ok || k == key;
  } else if (mech == "NULL") {
    ok = zap_allow_.find(domain) == zap_allow_.end();
  }
  if (!ok) Log(LogLevel::kWarn, "auth.denied", {{"socket", domain}, {"mechanism", mech}});
  try {
    zap_->send(zmq::buffer(version), zmq::send_flags::sndmore);
    zap_->send(zmq::buffer(rid), zmq::send_flags::sndmore);
    zap_->send(zmq::buffer(std::string(ok ? "200" : "400")), zmq::send_flags::sndmore);
    zap_->send(zmq::buffer(std::string(ok ? "OK" : "client key not allowed")), zmq::send_flags::sndmore);
    zap_->send(zmq::buffer(std::string()), zmq::send_flags::sndmore);
    zap_->send(zmq::buffer(std::string()), zmq::send_flags::none);
  } catch (const zmq::error_t& e) {
    Log(LogLevel::kError, "auth.error", {{"error", e.what()}});
  }
}

void DaemonImpl::HandleSubscriptions() {
  // XPUB passes on the first subscription to a topic and the unsubscription
  // (or disconnect) of its last subscriber: a set of topics is exact.
  for (;;) {
    zmq::message_t m;
    if (!publish_->recv(m, zmq::recv_flags::dontwait)) break;
    if (m.size() == 0) continue;
    const char* d = static_cast<const char*>(m.data());
    std::string topic(d + 1, m.size() - 1);
    if (d[0] == 1) {
      watch_topics_.insert(topic);
    } else if (d[0] == 0) {
      watch_topics_.erase(topic);
    }
  }
  bool any = false;
  for (const auto& t : watch_topics_) any = any || std::string_view("finding").substr(0, t.size()) == t;
  if (any != watchers_.load()) Log(LogLevel::kInfo, "publish.watchers", {{"watching", any}});
  watchers_.store(any);
}

void DaemonImpl::IoLoop() {
  try {
    std::vector<zmq::pollitem_t> items = {{submit_->handle(), 0, ZMQ_POLLIN, 0},
                                          {control_->handle(), 0, ZMQ_POLLIN, 0},
                                          {delivery_->handle(), 0, ZMQ_POLLIN, 0},
                                          {publish_->handle(), 0, ZMQ_POLLIN, 0}};
    if (zap_) items.push_back({zap_->handle(), 0, ZMQ_POLLIN, 0});
    while (!workers_done_.load()) {
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(20));
      if (items[0].revents & ZMQ_POLLIN) HandleSubmit(RecvAll(*submit_));
      if (items[1].revents & ZMQ_POLLIN) HandleControl(RecvAll(*control_));
      if (items[2].revents & ZMQ_POLLIN) HandleDelivery(RecvAll(*delivery_));
      if (items[3].revents & ZMQ_POLLIN) HandleSubscriptions();
      if (zap_ && (items[4].revents & ZMQ_POLLIN)) HandleZap();
      std::deque<Event> evs;
      {
        std::lock_guard<std::mutex> l(ev_mu_);
        evs.swap(events_);
      }
      bool delivered_new = false;
      for (auto& e : evs) {
        delivered_new = delivered_new || e.outbox;
        for (const auto& m : e.publish) {
          try {
            publish_->send(zmq::str_buffer("finding"), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
            publish_->send(zmq::buffer(m), zmq::send_flags::dontwait);
          } catch (const zmq::error_t&) {
          }
          delivered_new = true;
        }
        if (e.submit) {
          auto it = pending_submits_.find(e.job_id);
          if (it != pending_submits_.end()) {
            SendRouted(*submit_, it->second, true, e.reply);
            pending_submits_.erase(it);
          }
        }
      }
      ServeFetches(delivered_new);
    }
    // Workers are done: answer what can still be answered, then close.
    for (auto& f : fetches_) SendRouted(*delivery_, f.identity, false, "{\"type\":\"batch\",\"messages\":[]}");
    for (auto& [id, who] : pending_submits_) {
      SendRouted(*submit_, who, true,
                 Dump({{"ok", false}, {"job_id", id}, {"error", "daemon stopped; the job stays queued"},
                       {"code", "stopping"}}));
    }
  } catch (const zmq::error_t& e) {
    Log(LogLevel::kError, "zmq.error", {{"error", e.what()}});
  }
}

int DaemonImpl::Run() {
  auto c = cfg();
  auto s = scanner();
  int n = static_cast<int>(services_.size());  // one worker per service slot (Init)
  Log(LogLevel::kInfo, "daemon.start",
      {{"pid", ::getpid()}, {"workers", n}, {"once", once_}, {"state_dir", c->state_dir},
       {"signatures_version", s->sig_version}, {"registry_version", s->reg_version},
       {"submit", c->submit.endpoint}, {"control", c->control.endpoint},
       {"delivery", c->delivery.endpoint}, {"publish", c->publish.endpoint}});
  int64_t t0 = NowMs();
  std::thread io([this] { IoLoop(); });
  std::thread sched([this] { SchedulerLoop(); });
  std::vector<std::thread> workers;
  for (int i = 0; i < n; ++i) workers.emplace_back([this, i] { WorkerLoop(i); });

  // Once mode: after the sweep is queued and the queue is empty, keep
  // delivering to connected consumers for up to drain_timeout_ms.
  int64_t drained_since = 0;
  uint64_t idle_seen = 0;
  while (!stopping_) {
    {
      // Woken early by a worker that found the queue empty.
      std::unique_lock<std::mutex> l(idle_mu_);
      idle_cv_.wait_for(l, std::chrono::milliseconds(50),
                        [&] { return stopping_.load() || idle_seq_ != idle_seen; });
      idle_seen = idle_seq_;
    }
    LogProgress();
    if (!once_ || !once_swept_.load()) continue;
    queue::Store::Activity act = store_->GetActivity();
    if (act.jobs || busy_.load() > 0) continue;
    int64_t now = NowMs();
    if (drained_since == 0) drained_since = now;
    bool consumers = now - last_consumer_ms_.load() < 2000;
    if (!consumers || !act.undelivered || now - drained_since >= c->drain_timeout_ms) break;
  }
  stopping_.store(true);
  Wake();
  Log(LogLevel::kInfo, "daemon.draining", {{"busy_workers", busy_.load()}});
  sched.join();
  for (auto& w : workers) w.join();
  workers_done_.store(true);
  io.join();
  queue::Counts qc = store_->GetCounts();
  int64_t ms = NowMs() - t0;
  Log(LogLevel::kInfo, "daemon.stop",
      {{"scanned", scanned_.load()}, {"queued", qc.queued}, {"outbox_pending", qc.outbox_pending + qc.outbox_inflight}});
  if (once_) {
    std::string verdicts;
    {
      std::lock_guard<std::mutex> l(stats_mu_);
      for (const auto& [v, k] : verdicts_) verdicts += (verdicts.empty() ? "" : ", ") + v + " " + std::to_string(k);
    }
    std::printf(
        "shelfguardd: sweep done in %.1f s: %lld scanned (%s), %lld skipped as already scanned, "
        "%lld failed\n"
        "shelfguardd: outbox: %lld violation messages awaiting a consumer, %lld acknowledged; "
        "state in %s\n",
        static_cast<double>(ms) / 1000.0, static_cast<long long>(scanned_.load()),
        verdicts.empty() ? "nothing to scan" : verdicts.c_str(), static_cast<long long>(skipped_.load()),
        static_cast<long long>(failed_jobs_.load()),
        static_cast<long long>(qc.outbox_pending + qc.outbox_inflight),
        static_cast<long long>(qc.outbox_acked), c->state_dir.c_str());
    std::fflush(stdout);
  }
  finished_.store(true);
  return 0;
}

}  // namespace

Result<std::unique_ptr<Daemon>> Daemon::Create(const Config& config, bool once) {
  auto d = std::make_unique<DaemonImpl>(config, once);
  SG_RETURN_IF_ERROR(d->Init());
  return std::unique_ptr<Daemon>(std::move(d));
}

}  // namespace shelfguard::daemon
