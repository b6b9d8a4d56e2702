#include "daemon.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <thread>

#include "daemon_impl.h"
#include "json_text.h"

namespace shelfguard::daemon {

namespace fs = std::filesystem;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string SubmitReply(std::initializer_list<std::pair<const char*, json>> head,
                        const std::vector<std::string>& findings, const std::string& report) {
  // Spliced from texts already serialised, not parsed and dumped again: the
  // findings are the daemon's own messages, and the report is checked to be
  // one JSON text (IsJsonText, without building a document) because a scan
  // service is a separate process reading hostile packages.
  std::string out = "{";
  for (const auto& [k, v] : head) {
    if (out.size() > 1) out += ',';
    out += Dump(json(k)) + ':' + Dump(v);
  }
  out += out.size() > 1 ? ",\"findings\":[" : "\"findings\":[";
  for (size_t i = 0; i < findings.size(); ++i) {
    if (i > 0) out += ',';
    out += findings[i];
  }
  out += "],\"report\":";
  out += IsJsonText(report) ? report : std::string("null");
  out += '}';
  return out;
}

// Resident memory of this process in KiB (/proc/self/statm), 0 when unknown.
int64_t ResidentKib() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  const bool ok = std::fscanf(f, "%ld %ld", &pages, &resident) == 2;
  std::fclose(f);
  return ok ? static_cast<int64_t>(resident) * (::sysconf(_SC_PAGESIZE) / 1024) : 0;
}

Result<std::shared_ptr<const Scanner>> BuildScanner(const Config& c, const ActiveSnapshot* snap) {
  EngineOptions eo;
  eo.limits = c.limits;
  eo.signatures_dir = snap != nullptr ? snap->sig_dir : c.signatures_dir;
  eo.prefetch = true;  // as the scan services (scan_child.cc) do
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t rss0 = ResidentKib();
  auto engine = Engine::Create(eo);
  if (!engine.ok()) return Status(engine.status().code(), "signatures: " + engine.status().message());
  const auto build_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - t0)
                            .count();
  AssessOptions ao;
  ao.registry_path = c.registry;
  ao.registry_strict = c.registry_strict;
  auto assessor = Assessor::Create(ao);
  if (!assessor.ok()) {
    return Status(assessor.status().code(), "registry: " + assessor.status().message());
  }
  auto s = std::make_shared<Scanner>();
  s->engine = *engine;
  s->assessor = std::shared_ptr<const Assessor>(std::move(assessor).value());
  s->sig_version = s->engine->signatures_version();
  s->reg_version = s->assessor->registry_version();
  s->engine_build_ms = build_ms;
  s->engine_memory_kib = std::max<int64_t>(0, ResidentKib() - rss0);
  if (snap != nullptr) {
    s->suppressions = snap->suppressions;
    s->snapshot = snap->dir;
    s->sig_dir = snap->sig_from;
    s->sig_bundle_version = snap->sig_bundle_version;
  }
  if (const RegistryLoadReport* lr = s->assessor->registry_load_report(); lr && lr->rejected_count > 0) {
    s->reg_rejected = lr->rejected_count;
    s->reg_report = lr->Describe(kMaxRejectedLogged);
  }
  return std::shared_ptr<const Scanner>(s);
}

Result<std::string> CheckRegistry(const Config& c) {
  if (c.registry.empty()) return std::string();
  AssessOptions ao;
  ao.registry_path = c.registry;
  ao.registry_strict = c.registry_strict;
  auto assessor = Assessor::Create(ao);
  if (!assessor.ok()) {
    return Status(assessor.status().code(), "scan.registry: " + assessor.status().message());
  }
  const RegistryLoadReport* lr = (*assessor)->registry_load_report();
  if (lr == nullptr || lr->rejected_count == 0) return std::string();
  return lr->Describe(kMaxRejectedLogged);
}

void LogRegistryRejects(const Scanner& s, const char* when) {
  if (s.reg_rejected == 0) return;
  // One line with the count, then one per record (index, identity, reason),
  // so an operator sees which filings the daemon is not using.
  std::string_view text = s.reg_report;
  size_t nl = text.find('\n');
  Log(LogLevel::kWarn, "registry.rejected",
      {{"when", when}, {"count", s.reg_rejected}, {"summary", std::string(text.substr(0, nl))}});
  while (nl != std::string_view::npos && nl + 1 < text.size()) {
    size_t next = text.find('\n', nl + 1);
    Log(LogLevel::kWarn, "registry.rejected_record",
        {{"when", when}, {"record", std::string(text.substr(nl + 1, next - nl - 1))}});
    nl = next;
  }
}

std::string SnapshotName(int64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "g%012lld", static_cast<long long>(seq));
  return buf;
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

net::HttpOptions DaemonImpl::HttpOpts(const Config& c, uint64_t max_bytes) const {
  net::HttpOptions o;
  o.connect_timeout_ms = static_cast<long>(c.connect_timeout_ms);
  o.total_timeout_ms = static_cast<long>(c.total_timeout_ms);
  o.low_speed_seconds = static_cast<long>(c.low_speed_seconds);
  o.max_bytes = max_bytes;
  o.ca_file = c.ca_file;
  o.deny_private = c.deny_private;
  o.allow_hosts = c.allow_hosts;
  o.stop = &stopping_;  // SIGTERM aborts transfers instead of waiting for their timeout
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
  // What the scan services will load: this config's text, suppressions,
  // signatures and (once loaded below) registry, under state_dir/active.
  std::string config_text;
  auto reread = ReadConfig(c.config_path, &config_text);
  if (!reread.ok()) return reread.status();
  std::error_code ec;
  fs::remove_all(c.state_dir + "/active", ec);  // a previous run's snapshots
  auto snap = WriteActiveSnapshot(c, config_text, SnapshotName(++snapshot_seq_));
  if (!snap.ok()) return snap.status();
  queue::StoreOptions so;
  so.sqlite_path = c.db_path();
  so.full_sync = c.full_sync;
  so.url = c.store_url;
  so.pool_size = c.store_pool > 0 ? static_cast<int>(c.store_pool) : c.effective_workers() + 4;
  if (!so.url.empty()) {
    auto id = NodeIdFor(c);
    if (!id.ok()) return id.status();
    node_id_ = so.node_id = *id;
  }
  auto store = queue::OpenStore(so);
  // A shared store that cannot be reached yet (the database starts after
  // us, or is failing over) is retried with back-off for store.connect_wait_s;
  // any other error (a schema newer than this binary, a bad URL) ends the start.
  for (int64_t waited = 0, delay = 250; !store.ok() && store.status().code() == "io-error" && !so.url.empty() &&
                                        waited < c.store_connect_wait_s * 1000 && !stopping_;
       waited += delay, delay = std::min<int64_t>(delay * 2, 5000)) {
    Log(LogLevel::kWarn, "store.unreachable", {{"error", RedactText(store.status().ToString())}, {"retry_ms", delay}});
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    store = queue::OpenStore(so);
  }
  if (!store.ok()) return Status(store.status().code(), "store: " + store.status().message());
  store_ = std::move(store).value();
  if (store_->shared()) {
    store_->SetWakeCallback([this] { Wake(); });
    HeartbeatTick(true);
    Log(LogLevel::kInfo, "store.open", {{"engine", store_->engine()}, {"where", store_->Describe()}, {"node_id", node_id_}});
  }
  auto recovered = store_->RecoverRunning();
  if (!recovered.ok()) return recovered.status();
  if (*recovered > 0) Log(LogLevel::kWarn, "queue.recovered", {{"jobs", *recovered}});
  auto sc = BuildScanner(c, &*snap);
  if (!sc.ok()) return sc.status();
  SG_RETURN_IF_ERROR(RecordSnapshotRegistry(c, *snap, (*sc)->reg_version));
  scanner_ = *sc;
  LogRegistryRejects(**sc, "start");
  // The workers' scan services load their engines from the snapshot.
  for (int i = 0; i < c.effective_workers(); ++i) {
    services_.push_back(std::make_unique<ScanService>());
    if (c.isolation == "none") continue;
    Status st = services_.back()->Launch(c.config_path, snap->dir);
    if (!st.ok()) Log(LogLevel::kWarn, "scan_service.error", {{"worker", i}, {"error", st.ToString()}});
  }
  SG_RETURN_IF_ERROR(BindSockets());
  ReconcileSpool();
  return Status::Ok();
}

void DaemonImpl::RequestReload() {
  std::lock_guard<std::mutex> one_at_a_time(reload_mu_);
  auto old = cfg();
  std::string config_text;
  auto loaded = ReadConfig(old->config_path, &config_text);
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
  // The snapshot is written first and the new engine built from it, off to
  // the side; workers keep scanning with the old one. On any failure the
  // snapshot is removed and the old one keeps serving every scan service.
  auto snap = WriteActiveSnapshot(c, config_text, SnapshotName(++snapshot_seq_));
  Result<std::shared_ptr<const Scanner>> sc = snap.ok() ? BuildScanner(c, &*snap) : snap.status();
  Status recorded = sc.ok() ? RecordSnapshotRegistry(c, *snap, (*sc)->reg_version) : sc.status();
  if (!recorded.ok()) {
    if (snap.ok()) {
      std::error_code ec;
      fs::remove_all(snap->dir, ec);
    }
    Log(LogLevel::kError, "reload.failed", {{"error", recorded.ToString()}});
    RecordError("reload: " + recorded.ToString());
    return;
  }
  LogRegistryRejects(**sc, "reload");
  SetLogLevel(c.log_level);
  {
    std::lock_guard<std::mutex> l(mu_);
    cfg_ = std::make_shared<const Config>(std::move(c));
    scanner_ = *sc;
  }
  PruneSnapshots(*cfg(), snap->dir);
  generation_++;  // workers restart their scan services with the new config
  reload_sweep_.store(true);
  Wake();
  Log(LogLevel::kInfo, "reload.done",
      {{"signatures_version", (*sc)->sig_version}, {"registry_version", (*sc)->reg_version},
       {"engine_build_ms", (*sc)->engine_build_ms}, {"engine_memory_kib", (*sc)->engine_memory_kib},
       {"suppressions", (*sc)->suppressions ? (*sc)->suppressions->entries().size() : 0}});
  if (restart_needed) {
    Log(LogLevel::kWarn, "reload.restart_needed",
        {{"reason", "endpoints, state_dir, spool.dir and workers change only on restart"}});
  }
}

int DaemonImpl::Run() {
  auto c = cfg();
  auto s = scanner();
  int n = static_cast<int>(services_.size());  // one worker per service slot (Init)
  Log(LogLevel::kInfo, "daemon.start",
      {{"pid", ::getpid()}, {"workers", n}, {"once", once_}, {"state_dir", c->state_dir},
       {"signatures_version", s->sig_version}, {"registry_version", s->reg_version},
       {"engine_build_ms", s->engine_build_ms}, {"engine_memory_kib", s->engine_memory_kib},
       {"submit", c->submit.endpoint}, {"control", c->control.endpoint},
       {"delivery", c->delivery.endpoint}, {"publish", c->publish.endpoint}});
  int64_t t0 = NowMs();
  std::thread io([this] { IoLoop(); });
  std::thread sched([this] { SchedulerLoop(); });
  std::thread updates([this] { UpdateLoop(); });
  std::vector<std::thread> workers;
  worker_threads_.store(n);
  for (int i = 0; i < n; ++i) workers.emplace_back([this, i] { WorkerLoop(i); });

  // Once mode: after the sweep is queued and the queue is empty, keep
  // delivering to connected consumers for up to drain_timeout_ms.
  int64_t drained_since = 0, last_trim_ms = NowMs();
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
    HeartbeatTick();
    LeaseTick();
    if (reload_requested_.exchange(false)) RequestReload();  // control "reload"
    if (NowMs() - last_trim_ms >= 10000) {
      // A burst of submissions leaves freed frames in malloc's arenas;
      // give them back to the system instead of keeping the peak forever.
      last_trim_ms = NowMs();
      ::malloc_trim(0);
    }
    if (!once_ || !once_swept_.load()) continue;
    // A store that cannot answer is not an empty one: keep waiting.
    auto activity = store_->GetActivity();
    if (!activity.ok() || activity->jobs || busy_.load() > 0) continue;
    const queue::Store::Activity& act = *activity;
    int64_t now = NowMs();
    if (drained_since == 0) drained_since = now;
    // Undelivered messages: wait up to drain_timeout_ms for a consumer to
    // connect and drain them (the demo starts its consumer after us).
    if (!act.undelivered || now - drained_since >= c->drain_timeout_ms) break;
  }
  stopping_.store(true);
  Wake();
  Log(LogLevel::kInfo, "daemon.draining", {{"busy_workers", busy_.load()}});
  sched.join();
  updates.join();
  for (auto& w : workers) w.join();
  workers_done_.store(true);
  io.join();
  // Submissions claimed for a worker that never started them go back.
  // (The I/O thread has ended: every submission handed over with its bytes
  // is settled, queued or not.)
  while (auto left = TakeHanded()) {
    std::optional<queue::Job> job = left->submitted ? left->submitted->Wait() : std::optional(std::move(left->job));
    if (!job) continue;
    Status st = store_->Release(job->id);
    if (!st.ok()) Log(LogLevel::kError, "queue.error", {{"job", job->id}, {"error", st.ToString()}});
  }
  auto counts = store_->GetCounts();
  queue::Counts qc = counts.ok() ? *counts : queue::Counts();  // the store's error is logged as it happens
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

Result<std::unique_ptr<Daemon>> Daemon::Create(const Config& config, bool once) {
  auto d = std::make_unique<DaemonImpl>(config, once);
  SG_RETURN_IF_ERROR(d->Init());
  return std::unique_ptr<Daemon>(std::move(d));
}

}  // namespace shelfguard::daemon
