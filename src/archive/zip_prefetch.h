// Internal to src/archive: inflating the entries a scan is about to read on a
// helper thread, one entry ahead of the reader. A scan reads its big entries
// (the DEX files, then the native libraries) one after the other and spends
// as long analysing each as inflating it; with a core to spare, the next
// entry inflates while the current one is analysed. What a read returns and
// charges to the budget does not change: the helper runs the same
// InflateWhole the reader would, and the reader still checks and charges.
#ifndef SHELFGUARD_SRC_ARCHIVE_ZIP_PREFETCH_H_
#define SHELFGUARD_SRC_ARCHIVE_ZIP_PREFETCH_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace shelfguard::zip_internal {

class Prefetcher {
 public:
  // One entry to inflate: what InflateWhole takes, and a key the reader
  // names it by.
  struct Job {
    const void* key;
    std::string_view package;  // must outlive the Prefetcher
    uint64_t data_offset, csize, usize;
    uint16_t method;
    uint32_t crc;
  };

  // Starts the helper thread over `jobs`, in the order they will be read;
  // nullptr when no thread can be started (the reader then inflates alone).
  static std::unique_ptr<Prefetcher> Start(std::vector<Job> jobs);
  ~Prefetcher();  // stops the helper after its current entry and joins it
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // The job with `key`, not yet passed by the reader: waits until it is
  // inflated and returns what InflateWhole returned. nullopt when no such job
  // is queued. Jobs before it that were not taken are dropped.
  std::optional<std::optional<std::string>> Take(const void* key);

 private:
  explicit Prefetcher(std::vector<Job> jobs);
  void Run();

  const std::vector<Job> jobs_;
  std::vector<std::optional<std::string>> results_;  // guarded by mu_
  std::vector<char> done_;                           // guarded by mu_
  size_t next_take_ = 0;  // first job the reader has neither taken nor passed
  bool stop_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace shelfguard::zip_internal

#endif  // SHELFGUARD_SRC_ARCHIVE_ZIP_PREFETCH_H_
