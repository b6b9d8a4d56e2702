// Internal to the daemon: the DaemonImpl class shared by its parts.
//   daemon.cc   engine holder (Scanner, BuildScanner), Init, reload, Run
//   sources.cc  scheduler, spool, directories, feeds
//   feed.cc     feed entries and URLs as pure functions
//   workers.cc  WorkerLoop, ProcessJob, FinishFile, FailJob
//   server.cc   sockets: bind, I/O loop, submit/control/delivery, ZAP
//   status.cc   status reply and progress log
#ifndef SHELFGUARD_DAEMON_DAEMON_IMPL_H_
#define SHELFGUARD_DAEMON_DAEMON_IMPL_H_

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "daemon.h"
#include "feed.h"
#include "log.h"
#include "scan_child.h"
#include "net/http.h"
#include "policy/assess.h"
#include "queue/message.h"
#include "queue/store.h"
#include "report/suppressions.h"
#include "shelfguard/engine.h"

namespace shelfguard::daemon {

using json = nlohmann::json;

std::string Dump(const json& j);
// The submit reply: `head` fields first, in the order given, then the
// findings and the report with their keys in the order the engine wrote them
// (parsing into `json` would sort them). `report` is the engine's JSON text.
std::string SubmitReply(std::initializer_list<std::pair<const char*, json>> head,
                        const std::vector<std::string>& findings, const std::string& report);

// The engine and assessor in use; replaced as a whole on reload. Jobs hold a
// shared_ptr to the snapshot they started with.
struct Scanner {
  std::shared_ptr<const Engine> engine;
  std::shared_ptr<const Assessor> assessor;
  std::string sig_version, reg_version;
  uint64_t reg_rejected = 0;     // records the registry load rejected
  std::string reg_report;        // RegistryLoadReport::Describe(), empty when none rejected
  // scan.suppressions as loaded (null: none); the scan services load the
  // snapshot's copy, this one serves isolation = "none" and status.
  std::shared_ptr<const report::Suppressions> suppressions;
  // What the scan services load: ActiveSnapshot::dir, and the signatures
  // directory in use (scan.signatures_dir or the installed update).
  std::string snapshot, sig_dir;
  uint64_t sig_bundle_version = 0;  // 0: not a set installed from a bundle
  // Time to load the signatures and compile their RE2 sets (Engine::Create),
  // logged at start and reload: a larger base shows here first.
  int64_t engine_build_ms = 0;
  // Resident memory the engine added while it was built (the signature
  // entries and the compiled sets; the sets' DFA caches grow later, each
  // within RE2's max_mem budget).
  int64_t engine_memory_kib = 0;
};

// The files one accepted configuration is served from (issue 12): the
// config text as parsed, a copy of the registry and of the suppressions, and
// setup.json naming them and the signatures directory. The daemon writes it
// under <state_dir>/active/ before building its own engine from the same
// bytes; every scan service (re)started for that configuration loads only
// these copies, so a file edited after a refused reload is never read by a
// scanner. Older snapshots are removed after each successful reload.
struct ActiveSnapshot {
  std::string dir;
  std::string sig_dir;   // the copy loaded (empty: the built-in set)
  std::string sig_from;  // what it was copied from
  uint64_t sig_bundle_version = 0;
  std::shared_ptr<const report::Suppressions> suppressions;
};
// Writes the snapshot of `c` (whose file held `config_text`) as
// <state_dir>/active/<name>. Errors name the key and the file: a bad
// suppressions file names its entry and line.
Result<ActiveSnapshot> WriteActiveSnapshot(const Config& c, const std::string& config_text, const std::string& name);
// The signatures directory the daemon serves: the set installed by updates
// (<state_dir>/signatures) while scan.signatures_update_url is set and one
// was installed, else scan.signatures_dir. *bundle_version: its version.
std::string SignaturesDirInUse(const Config& c, uint64_t* bundle_version);
// A submitted outcome's findings lose their suppression on the way back from
// a scan service (the outcome encoding does not carry it); the report does.
// Marks o->findings[i] suppressed where the report's findings[i] is.
void MarkSuppressedFindings(queue::ScanOutcome* o);

// After the daemon built its Scanner from `snap`: copies scan.registry into
// the snapshot and records the registry version the services must serve.
Status RecordSnapshotRegistry(const Config& c, const ActiveSnapshot& snap, const std::string& version);
// "g" and a zero-padded sequence number: names sort in creation order.
std::string SnapshotName(int64_t seq);
// Removes snapshots older than the one before `current`.
void PruneSnapshots(const Config& c, const std::string& current);

// Background signature updates (scan.signatures_update_url): the last check.
struct SignatureUpdateState {
  int64_t checks = 0, failures = 0, updates = 0;
  int64_t last_attempt_ms = 0, last_success_ms = 0, last_update_ms = 0, last_error_ms = 0;
  std::string last_result;  // updated | not-modified | error
  std::string last_error;
  uint64_t installed_version = 0;
};


// The engine and assessor for `c`; with a snapshot, the signatures directory
// and suppressions it names.
Result<std::shared_ptr<const Scanner>> BuildScanner(const Config& c, const ActiveSnapshot* snap = nullptr);
Status MakeDir(const std::string& path, const char* key);
// This node's id in a shared store: store.node_id, else the one kept in
// <state_dir>/node_id (made on first use).
Result<std::string> NodeIdFor(const Config& c);
// Logs the rejected registry records of a freshly built Scanner (count, then
// each record); `when` is "start" or "reload".
void LogRegistryRejects(const Scanner& s, const char* when);
// Rejected records named one by one in the log and --check; the rest are counted.
inline constexpr size_t kMaxRejectedLogged = 50;
bool IsPackageName(const std::filesystem::path& p);
// Extension (and, for a mini-program, its "-wx<appid>") of a feed package's
// download file, so the engine picks the right analyzer.
std::string DownloadSuffix(const std::string& platform, const std::string& app_id, const std::string& url);
std::string SafeName(const std::string& in);

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

// A byte submission handed to a worker before it is on disk (issue 18): the
// worker scans `bytes` while the I/O thread writes the spool file and queues
// the job, then waits for Settle() before it stores the result; the reply
// is sent only after that, so what a client is told is stored.
class Submitted {
 public:
  Submitted(zmq::message_t* bytes, std::string path, std::string name)
      : path_(std::move(path)), name_(std::move(name)) {
    bytes_.copy(*bytes);
  }
  std::string_view bytes() const { return {static_cast<const char*>(bytes_.data()), bytes_.size()}; }
  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }
  // The job as queued (already claimed by this node), or nullopt when the
  // bytes could not be spooled or queued (the I/O thread answered the
  // client; the scan is dropped).
  void Settle(std::optional<queue::Job> job) {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (settled_) return;
      job_ = std::move(job);
      settled_ = true;
    }
    cv_.notify_all();
  }
  std::optional<queue::Job> Wait() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return settled_; });
    return job_;
  }

 private:
  zmq::message_t bytes_;  // shares ZeroMQ's buffer (reference-counted, no copy)
  std::string path_;      // where the spool file is being written
  std::string name_;      // the package's label (JobSpec::name)
  std::mutex mu_;
  std::condition_variable cv_;
  bool settled_ = false;           // guarded by mu_
  std::optional<queue::Job> job_;  // guarded by mu_
};

// What a worker is handed: a queued job, or a byte submission being queued.
struct Handed {
  queue::Job job;
  std::shared_ptr<Submitted> submitted;
};

struct Fetch {
  std::string identity, consumer;
  int max = 1;
  int64_t deadline_ms = 0;
};

class DaemonImpl : public Daemon {
  friend struct HandlerFuzzAccess;  // request_handlers_fuzz.cc drives the handlers directly
 public:
  DaemonImpl(Config c, bool once) : cfg_(std::make_shared<const Config>(std::move(c))), once_(once) {}
  ~DaemonImpl() override {
    // The store's listener thread calls Wake(): stop it before cv_ goes.
    store_.reset();
    if (lock_fd_ >= 0) ::close(lock_fd_);
    if (event_fd_ >= 0) ::close(event_fd_);
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
    recent_errors_.push_back(queue::ToIso8601(NowMs()) + " " + RedactText(what));
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
    {
      std::lock_guard<std::mutex> l(ev_mu_);
      events_.push_back(std::move(e));
    }
    // Wakes the I/O loop's poll (IoLoop); a full counter (never in practice)
    // still leaves it readable.
    uint64_t one = 1;
    if (event_fd_ >= 0) (void)!::write(event_fd_, &one, sizeof one);
  }

  // Sources.
  void SchedulerLoop();
  void ReconcileSpool();
  void PollSpool(const Config& c, bool take_all);
  void SweepDir(const Config& c, const DirConfig& d, const Scanner& s);
  // True when a sweep need not queue the package `sha` again: it has a result
  // with the current versions, or it could not be analysed (error result or
  // failed job, when `failed_jobs`) less than scan.rescan_failed_s ago. Feeds
  // leave failed jobs (downloads) to http.refetch_failed_s.
  // An error when the store cannot say (never read as "not scanned").
  Result<bool> AlreadyScanned(const Config& c, const Scanner& s, const std::string& sha, bool failed_jobs);
  void PollFeed(const Config& c, const FeedConfig& f, const Scanner& s);
  // Signature updates: a thread checking scan.signatures_update_url every
  // interval; an installed update is taken by a reload (RequestReload).
  void UpdateLoop();
  void CheckSignatureUpdate(const Config& c);
  // Reads the config file (bounded) and parses it; the text is kept for the snapshot.
  Result<Config> ReadConfig(const std::string& path, std::string* text);
  // Workers.
  void WorkerLoop(int index);
  // The lease of a claim: scan.lease_s, else a scan's longest possible time
  // plus a minute.
  static int64_t LeaseMs(const Config& c);
  // Jobs this node works on (or has claimed for a worker): LeaseTick renews
  // their leases. A submission is claimed when it is accepted
  // (Store::EnqueueClaimed) and waits in handed_ for the next free worker.
  void HoldJob(int64_t job_id, bool held) {
    std::lock_guard<std::mutex> l(held_mu_);
    if (held) {
      held_.insert(job_id);
    } else {
      held_.erase(job_id);
    }
  }
  void HandToWorker(queue::Job job) {
    {
      std::lock_guard<std::mutex> l(held_mu_);
      held_.insert(job.id);
      handed_.push_back({std::move(job), nullptr});
    }
    Wake();
  }
  // Hands a byte submission over before it is queued, when a worker is
  // free to scan it at once (else nullptr: the bytes are not kept in memory
  // while the submission waits, and it is handed over once queued).
  std::shared_ptr<Submitted> HandBytesToWorker(zmq::message_t* bytes, const std::string& path,
                                               const std::string& name) {
    auto sub = std::make_shared<Submitted>(bytes, path, name);
    {
      std::lock_guard<std::mutex> l(held_mu_);
      if (busy_.load() + static_cast<int>(handed_.size()) >= worker_threads_.load()) return nullptr;
      handed_.push_back({queue::Job(), sub});
    }
    Wake();
    return sub;
  }
  std::optional<Handed> TakeHanded() {
    std::lock_guard<std::mutex> l(held_mu_);
    if (handed_.empty()) return std::nullopt;
    Handed h = std::move(handed_.front());
    handed_.pop_front();
    return h;
  }
  // Scans a package with the worker's service (or in this thread when
  // isolation is "none"); `bytes`, when not empty, are the package.
  queue::ScanOutcome ScanPackage(const Config& c, const Scanner& s, ScanService* service, const std::string& path,
                                 const std::string& name, std::string_view bytes);
  // Runs a claimed job. When the scan completes and the daemon is not
  // stopping, the next job is claimed in the same transaction into `next`.
  void ProcessJob(const queue::Job& job, ScanService* service, int64_t lease_ms, std::optional<queue::Job>* next);
  // The rest of ProcessJob once the package is scanned (started at `t0`):
  // stores the result and its messages, then answers a submitter and
  // publishes findings. `in_memory`: scanned from submitted bytes, by the
  // worker before the job was queued (logged with scan.done).
  void StoreOutcome(const queue::Job& job, ScanService* service, int64_t lease_ms, std::optional<queue::Job>* next,
                    queue::ScanOutcome o, int64_t t0, bool in_memory);
  void FinishFile(const queue::Job& job, const std::string& verdict);
  void FailJob(const queue::Job& job, const std::string& error, const std::string& code);
  net::HttpOptions HttpOpts(const Config& c, uint64_t max_bytes) const;
  // ZeroMQ.
  Status BindSockets();
  void IoLoop();
  // Takes the package frame's buffer (shared, not copied) when it hands the
  // bytes to a worker.
  void HandleSubmit(std::vector<zmq::message_t>& frames);
  void ResumeSubmit(const std::string& identity, const queue::Job& job);
  void HandleControl(const std::vector<zmq::message_t>& frames);
  void HandleDelivery(const std::vector<zmq::message_t>& frames);
  void HandleZap();
  // Runs a request handler; an exception is logged and counted, never fatal.
  void Guarded(const char* socket, const std::function<void()>& handler);
  void HandleSubscriptions();
  void ServeFetches(bool force);
  json StatusJson();
  void LogProgress();
  // cluster.cc: the heartbeat of a node in a shared store (every
  // store.heartbeat_s, or now with `force`) and the status "store" section.
  void HeartbeatTick(bool force = false);
  // Renews the leases of the held jobs every third of a lease (main thread),
  // so a scan longer than the lease is not taken over by another claimer.
  void LeaseTick();
  json StoreJson();
  void SendRouted(zmq::socket_t& s, const std::string& identity, bool delimiter, const std::string& body);

  std::mutex mu_;  // guards cfg_, scanner_
  std::shared_ptr<const Config> cfg_;
  std::shared_ptr<const Scanner> scanner_;
  const bool once_;
  std::string spool_dir_;
  int lock_fd_ = -1;
  std::unique_ptr<queue::Store> store_;
  std::string node_id_;            // this node in a shared store (cluster.cc)
  int64_t last_heartbeat_ms_ = 0;  // main thread only
  int64_t last_lease_renew_ms_ = 0;  // main thread only
  std::mutex held_mu_;
  std::set<int64_t> held_;            // guarded by held_mu_
  std::deque<Handed> handed_;         // guarded by held_mu_
  std::atomic<int> worker_threads_{0};  // started by Run()

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
  int event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);  // PushEvent -> IoLoop wake-up; -1: poll timeout only
  zmq::context_t ctx_{1};
  std::unique_ptr<zmq::socket_t> submit_, control_, delivery_, publish_, zap_;
  std::map<std::string, std::vector<std::string>> zap_allow_;  // domain -> raw keys
  std::map<int64_t, std::string> pending_submits_;              // job id -> identity
  std::map<int64_t, int64_t> pending_submit_bytes_;             // job id -> package bytes (I/O thread)
  int64_t pending_bytes_total_ = 0;                             // their sum
  // Per client (SubmitClient()): the bytes of its pending submissions, and
  // whose each pending job is, so that one peer cannot take the whole budget.
  std::map<std::string, int64_t> client_pending_bytes_;
  std::map<std::string, int64_t> client_pending_count_;   // client -> pending submissions
  std::map<int64_t, std::string> pending_submit_client_;  // job id -> client
  // Who sent a submit request: its CURVE key (the ZAP user id), else its
  // tcp peer address, else the connection's routing id.
  static std::string SubmitClient(const std::vector<zmq::message_t>& frames);
  // Forgets a submission answered or abandoned (both maps above).
  void ForgetSubmit(int64_t job_id);
  std::vector<Fetch> fetches_;
  std::map<std::string, std::string> consumer_identity_;  // consumer -> connection that fetches for it
  std::map<std::string, int64_t> limits_hit_;             // limit key -> times refused (I/O thread)
  std::atomic<int64_t> acks_refused_{0}, handler_errors_{0};
  std::atomic<bool> reload_requested_{false};  // control "reload"; done by the main thread
  int64_t last_fetch_scan_ms_ = 0;
  std::set<std::string> watch_topics_;  // subscribed prefixes on the publish socket
  std::atomic<bool> watchers_{false};   // one of them matches "finding"

  std::mutex reload_mu_;  // one reload at a time (SIGHUP, control, signature update)
  int64_t snapshot_seq_ = 0;  // guarded by reload_mu_
  SignatureUpdateState sig_update_;  // guarded by stats_mu_

  // One scan service per worker (used unless isolation is "none").
  std::vector<std::unique_ptr<ScanService>> services_;
};

}  // namespace shelfguard::daemon

#endif  // SHELFGUARD_DAEMON_DAEMON_IMPL_H_
