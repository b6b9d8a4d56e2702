#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <string_view>
#include <thread>

#include "daemon_impl.h"

namespace shelfguard::daemon {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- workers

int64_t DaemonImpl::LeaseMs(const Config& c) {
  return c.lease_s > 0 ? c.lease_s * 1000
                       : static_cast<int64_t>(c.limits.deadline_ms) + c.grace_ms + c.total_timeout_ms + 60000;
}

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
      Status st = service.running() ? service.WaitReady(60000)
                                    : service.Start(c->config_path, scanner()->snapshot, 60000);
      if (!st.ok()) {
        Log(LogLevel::kWarn, "scan_service.error", {{"worker", index}, {"error", st.ToString()}});
        service.Stop();
      }
    }
    int64_t lease = LeaseMs(*c);
    queue::Job job;
    std::shared_ptr<Submitted> submitted;
    if (next) {
      job = std::move(*next);  // claimed when the previous job was completed
      next.reset();
    } else if (auto handed = TakeHanded()) {
      // A submission, claimed when it was accepted, or its bytes while it is
      // being queued.
      job = std::move(handed->job);
      submitted = std::move(handed->submitted);
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
        // A shared store wakes idle workers by NOTIFY (SetWakeCallback); the
        // timeout only catches leases that expire on a dead node.
        WaitForWake(seen, store_->shared() ? 1000 : 100);
        continue;
      }
      job = std::move(**claimed);
    }
    busy_++;
    if (submitted == nullptr) HoldJob(job.id, true);
    // Waits until the I/O thread has queued a submission whose bytes this
    // worker holds; false when it could not (the client was answered).
    auto settle = [&] {
      std::optional<queue::Job> queued = submitted->Wait();
      submitted.reset();  // the bytes are freed here
      if (!queued) return false;
      job = std::move(*queued);
      HoldJob(job.id, true);
      return true;
    };
    if (use_service && (!service.ready() || service_gen != generation_.load())) {
      // (Re)start this worker's scan service with the current config.
      service_gen = generation_.load();
      Status st = service.Start(c->config_path, scanner()->snapshot, 60000);
      if (!st.ok() && submitted != nullptr && !settle()) {
        busy_--;
        continue;
      }
      if (!st.ok()) {
        Log(LogLevel::kError, "scan_service.error", {{"worker", index}, {"error", st.ToString()}});
        RecordError("scan service: " + st.ToString());
        if (job.attempts >= c->max_attempts) {
          FailJob(job, st.ToString(), "scan-service");
        } else {
          Status rt = store_->Retry(job.id, NowMs() + 2000, st.ToString());
          (void)rt;
        }
        HoldJob(job.id, false);
        busy_--;
        continue;
      }
    }
    if (submitted != nullptr) {
      // Scanned from memory while its spool file is written and its job
      // queued; the outcome is stored (and the client answered) only once
      // both are done. Bytes the service cannot take wait for the file.
      ScanService* svc = use_service ? &service : nullptr;
      std::string_view bytes = submitted->bytes();
      if (svc == nullptr || svc->TakesBytes(bytes.size())) {
        int64_t t0 = NowMs();
        queue::ScanOutcome o = ScanPackage(*c, *scanner(), svc, submitted->path(), submitted->name(), bytes);
        if (!settle()) {
          busy_--;
          continue;
        }
        StoreOutcome(job, svc, lease, &next, std::move(o), t0, /*in_memory=*/true);
        HoldJob(job.id, false);
        busy_--;
        continue;
      }
      if (!settle()) {
        busy_--;
        continue;
      }
    }
    if (store_->shared() && !job.spec.url.empty()) {
      // Any node of a cluster may claim a feed job: it downloads into its
      // own spool, not into the directory the polling node named.
      job.spec.path = SpoolSub("downloads") + "/" + fs::path(job.spec.path).filename().string();
    }
    ProcessJob(job, use_service ? &service : nullptr, lease, &next);
    HoldJob(job.id, false);
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
    if (::rename(job.spec.path.c_str(), dest.c_str()) != 0) {
      if (errno != ENOENT) {
        Log(LogLevel::kError, "spool.error", {{"job", job.id}, {"path", job.spec.path}, {"error", std::strerror(errno)}});
      }
    } else {
      ::chmod(dest.c_str(), 0600);  // done/ and quarantine/ hold 0600 files, whatever the producer's umask
      // Their mtime is when they were finished: queue.retain_days counts from it.
      ::utimensat(AT_FDCWD, dest.c_str(), nullptr, AT_SYMLINK_NOFOLLOW);
    }
  } else if (job.spec.owned) {
    // Only what the daemon created and recorded as its own (submitted bytes,
    // downloads) is removed; a path a client or a source named never is.
    // The recorded path is also checked to be a plain name in the daemon's
    // own spool directories (defence in depth against a tampered row).
    fs::path p(job.spec.path);
    std::string dir = p.parent_path().string();
    std::string base = p.filename().string();
    if ((dir == SpoolSub("submit") || dir == SpoolSub("downloads")) && !base.empty() && base != "." &&
        base != "..") {
      fs::remove(p, ec);
    }
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
    PushEvent({job.id, true, Dump({{"ok", false}, {"job_id", job.id}, {"error", RedactText(error)}, {"code", code}}),
               {}});
  }
}

queue::ScanOutcome DaemonImpl::ScanPackage(const Config& c, const Scanner& s, ScanService* service,
                                           const std::string& path, const std::string& name, std::string_view bytes) {
  IsolationOptions iso;
  iso.fork = c.isolation == "fork";
  iso.deadline_ms = c.limits.deadline_ms;
  iso.grace_ms = c.grace_ms;
  iso.max_memory_mb = c.max_memory_mb;
  if (service != nullptr) return service->Scan(path, name, iso, bytes);
  return ScanIsolated(*s.engine, *s.assessor, path, name, iso, s.suppressions.get(), bytes.empty() ? nullptr : &bytes);
}

void DaemonImpl::ProcessJob(const queue::Job& job, ScanService* service, int64_t lease_ms,
                            std::optional<queue::Job>* next) {
  auto c = cfg();
  auto s = scanner();
  const int64_t t0 = NowMs();
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
      if (stopping_) {
        // Aborted by the stop (SIGTERM ends transfers at once), not the
        // package's fault: back to the queue, the attempt not counted; the
        // next start downloads it again.
        Status st = store_->Release(job.id);
        if (!st.ok()) Log(LogLevel::kError, "queue.error", {{"job", job.id}, {"error", st.ToString()}});
        Log(LogLevel::kInfo, "download.interrupted", {{"job", job.id}, {"package", job.spec.name}});
        return;
      }
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
  Result<bool> scanned = false;
  if (job.spec.dedup_key.rfind("sha:", 0) == 0 && !job.spec.expect_sha256.empty()) {
    scanned = AlreadyScanned(*c, *s, job.spec.expect_sha256, false);
  }
  if (!scanned.ok()) {
    // The store cannot say: not "not scanned". The job goes back, its
    // attempt not counted, and is claimed again once the store answers.
    Log(LogLevel::kError, "queue.error", {{"job", job.id}, {"error", scanned.status().ToString()}});
    Status st = store_->Release(job.id);
    if (!st.ok()) Log(LogLevel::kError, "queue.error", {{"job", job.id}, {"error", st.ToString()}});
    return;
  }
  if (*scanned) {
    skipped_++;
    Status st = store_->Skip(job.id, "skipped: already scanned with these versions", NowMs());
    if (!st.ok()) Log(LogLevel::kError, "queue.error", {{"job", job.id}, {"error", st.ToString()}});
    FinishFile(job, "pass");
    return;
  }
  StoreOutcome(job, service, lease_ms, next, ScanPackage(*c, *s, service, job.spec.path, job.spec.name, {}), t0,
               false);
}

void DaemonImpl::StoreOutcome(const queue::Job& job, ScanService* service, int64_t lease_ms,
                              std::optional<queue::Job>* next, queue::ScanOutcome o, int64_t t0,
                              bool in_memory) {
  auto c = cfg();
  auto s = scanner();
  // scan.suppressions: a suppressed finding stays in the stored report,
  // marked, and is not queued as a violation.
  MarkSuppressedFindings(&o);
  // The versions the package was really scanned with.
  std::string sig = service != nullptr ? service->sig_version() : s->sig_version;
  std::string reg = service != nullptr ? service->reg_version() : s->reg_version;
  int64_t now = NowMs();
  queue::MessageContext mc{job.id, job.spec.source, sig, reg, now};
  std::vector<queue::OutboxMessage> msgs = queue::OutboxMessages(o, mc, c->min_severity);
  std::set<std::string> suppressed;
  for (const auto& f : o.findings) {
    if (f.suppression) suppressed.insert(queue::MessageId(o.sha256, f));
  }
  if (!suppressed.empty()) {
    msgs.erase(std::remove_if(msgs.begin(), msgs.end(),
                              [&](const queue::OutboxMessage& m) { return suppressed.count(m.id) > 0; }),
               msgs.end());
  }
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
  if (st.code() == "lease-lost") {
    // A shared store: our lease expired and another node took the job over;
    // its result is the one stored. Only our download is ours to drop.
    Log(LogLevel::kWarn, "job.lease_lost", {{"job", job.id}, {"package", job.spec.name}, {"error", st.message()}});
    if (job.spec.owned) FinishFile(job, "error");
    return;
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
    json line = {{"job", job.id}, {"package", job.spec.name}, {"source", job.spec.source}, {"sha256", o.sha256},
                 {"verdict", o.verdict}, {"findings", o.findings.size()}, {"queued_messages", msgs.size()},
                 {"error", o.error}, {"ms", now - t0}};
    if (in_memory) line["in_memory"] = true;  // submitted bytes scanned before their file was written
    Log(level, "scan.done", line);
  }
  // Before the reply (0.3 ms for a 5 MB submission): a client that has its
  // verdict finds nothing of its package left in the spool.
  FinishFile(job, o.verdict);
  Event ev;
  ev.job_id = job.id;
  bool submit = job.spec.source == "submit";
  if (watchers_.load() || submit) {
    for (const auto& f : o.findings) ev.publish.push_back(queue::FindingMessage(o, f, mc, "finding"));
  }
  if (submit) {
    ev.submit = true;
    ev.reply = SubmitReply({{"ok", true}, {"job_id", job.id}, {"verdict", o.verdict}, {"error", o.error},
                            {"sha256", o.sha256}},
                           ev.publish, o.report);
  }
  ev.outbox = !msgs.empty();
  if (ev.submit || ev.outbox || !ev.publish.empty()) PushEvent(std::move(ev));
}

}  // namespace shelfguard::daemon
