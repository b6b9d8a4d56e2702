// Inflating ahead of the reader on one helper thread (zip_prefetch.h).
#include "zip_prefetch.h"

#include <system_error>

#include "zip_internal.h"

namespace shelfguard::zip_internal {

Prefetcher::Prefetcher(std::vector<Job> jobs)
    : jobs_(std::move(jobs)), results_(jobs_.size()), done_(jobs_.size(), 0) {}

std::unique_ptr<Prefetcher> Prefetcher::Start(std::vector<Job> jobs) {
  if (jobs.empty()) return nullptr;
  std::unique_ptr<Prefetcher> p(new Prefetcher(std::move(jobs)));
  try {
    p->thread_ = std::thread([raw = p.get()] { raw->Run(); });
  } catch (const std::system_error&) {
    return nullptr;  // a process or thread limit: read without help
  }
  return p;
}

Prefetcher::~Prefetcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Prefetcher::Run() {
  for (size_t i = 0; i < jobs_.size(); ++i) {
    {
      // One ahead: job i starts once the reader has taken (or passed) every
      // job before it, so at most one inflated entry waits unread.
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || i <= next_take_; });
      if (stop_) return;
      if (i < next_take_) {  // passed by the reader: not wanted any more
        done_[i] = 1;
        continue;
      }
    }
    const Job& j = jobs_[i];
    std::optional<std::string> bytes;
    try {
      bytes = InflateWhole(j.package, j.data_offset, j.csize, j.method, j.usize, j.crc);
    } catch (...) {
      // bad_alloc and the like: the reader inflates the entry itself and
      // meets (and reports) the same problem.
      bytes.reset();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (i >= next_take_) results_[i] = std::move(bytes);
      done_[i] = 1;
    }
    cv_.notify_all();
  }
}

std::optional<std::optional<std::string>> Prefetcher::Take(const void* key) {
  std::unique_lock<std::mutex> lock(mu_);
  size_t i = next_take_;
  while (i < jobs_.size() && jobs_[i].key != key) ++i;
  if (i == jobs_.size()) return std::nullopt;
  for (size_t k = next_take_; k < i; ++k) results_[k].reset();
  next_take_ = i;
  cv_.notify_all();  // the helper may be waiting to start job i
  cv_.wait(lock, [&] { return done_[i] != 0; });
  std::optional<std::string> bytes = std::move(results_[i]);
  results_[i].reset();
  next_take_ = i + 1;
  cv_.notify_all();
  return std::optional<std::optional<std::string>>(std::move(bytes));
}

}  // namespace shelfguard::zip_internal
