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
  auto counts = store_->GetCounts();
  if (!counts.ok()) return;  // the next tick reports; an outage is not an empty queue
  const queue::Counts& qc = *counts;
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
  auto counts = store_->GetCounts();
  queue::Counts qc = counts.ok() ? *counts : queue::Counts();
  auto s = scanner();
  auto c = cfg();
  int64_t now = NowMs();
  json j;
  j["daemon"] = {{"version", SHELFGUARD_VERSION}, {"pid", ::getpid()},
                 {"uptime_s", (now - started_ms_) / 1000}, {"workers", c->effective_workers()},
                 {"busy_workers", busy_.load()}, {"state_dir", c->state_dir}, {"stopping", stopping_.load()}};
  j["versions"] = {{"signatures", s->sig_version}, {"registry", s->reg_version}};
  j["registry"] = {{"rejected", s->reg_rejected}};
  j["suppressions"] = {{"file", c->suppressions},
                       {"entries", s->suppressions ? s->suppressions->entries().size() : 0}};
  j["queue"] = {{"depth", qc.queued + qc.running}, {"queued", qc.queued}, {"running", qc.running},
                {"done", qc.done}, {"failed", qc.failed}, {"results", qc.results}};
  j["outbox"] = {{"pending", qc.outbox_pending}, {"inflight", qc.outbox_inflight}, {"acked", qc.outbox_acked}};
  if (!counts.ok()) {
    // Unknown, not zero: a store outage must not read as an empty queue.
    std::string why = RedactText(counts.status().ToString());
    j["queue"] = {{"error", why}};
    j["outbox"] = {{"error", why}};
  }
  j["publish"] = {{"watching", watchers_.load()}};
  j["delivery"] = {{"acks_refused", acks_refused_.load()}, {"parked_fetches", fetches_.size()}};
  j["limits"] = {{"hits", limits_hit_},
                 {"submit_max_pending", c->submit_max_pending},
                 {"delivery_max_parked", c->max_parked_fetches},
                 {"pending_submits", pending_submits_.size()},
                 {"submit_max_pending_bytes", c->submit_max_pending_bytes},
                 {"pending_submit_bytes", pending_bytes_total_},
                 {"submit_max_client_pending", c->submit_max_client_pending},
                 {"submit_max_client_pending_bytes", c->submit_max_client_pending_bytes},
                 {"pending_submit_clients", client_pending_count_.size()}};
  std::lock_guard<std::mutex> l(stats_mu_);
  double up = std::max<double>(1.0, static_cast<double>(now - started_ms_) / 1000.0);
  j["throughput"] = {{"scanned", scanned_.load()}, {"last_minute", recent_scans_ms_.size()},
                     {"per_second", static_cast<double>(scanned_.load()) / up}, {"verdicts", verdicts_},
                     {"skipped", skipped_.load()}};
  j["errors"] = {{"scan", scan_errors_.load()}, {"failed_jobs", failed_jobs_.load()},
                 {"feed", feed_errors_.load()}, {"requests", handler_errors_.load()},
                 {"recent", json(std::vector<std::string>(recent_errors_.begin(), recent_errors_.end()))}};
  json feeds = json::array();
  for (const auto& f : c->feeds) {
    const FeedState& st = feeds_[f.name];
    feeds.push_back({{"name", f.name}, {"url", RedactUrl(f.url)}, {"interval_s", f.interval_s},
                     {"last_poll", st.last_poll_ms ? queue::ToIso8601(st.last_poll_ms) : ""},
                     {"last_ok", st.last_ok_ms ? queue::ToIso8601(st.last_ok_ms) : ""},
                     {"http_status", st.http_status}, {"packages", st.packages}, {"enqueued", st.enqueued},
                     {"not_modified", st.not_modified},
                     {"poll_errors", st.poll_errors}, {"entry_errors", st.entry_errors},
                     {"download_errors", st.download_errors}, {"last_error", RedactText(st.last_error)}});
  }
  j["feeds"] = feeds;
  j["store"] = StoreJson();
  // Background signature updates (scan.signatures_update_url).
  const SignatureUpdateState& u = sig_update_;
  auto iso = [](int64_t ms) { return ms ? queue::ToIso8601(ms) : std::string(); };
  j["signatures"] = {{"version", s->sig_version},
                     {"bundle_version", s->sig_bundle_version},
                     {"dir", s->sig_dir},
                     {"update",
                      {{"url", RedactUrl(c->signatures_update_url)},
                       {"interval_s", c->signatures_update_interval_s},
                       {"installed_version", u.installed_version},
                       {"checks", u.checks},
                       {"updates", u.updates},
                       {"failures", u.failures},
                       {"last_attempt", iso(u.last_attempt_ms)},
                       {"last_result", u.last_result},
                       {"last_success", iso(u.last_success_ms)},
                       {"last_update", iso(u.last_update_ms)},
                       {"last_error", u.last_error},
                       {"last_error_at", iso(u.last_error_ms)}}}};
  return j;
}

}  // namespace shelfguard::daemon
