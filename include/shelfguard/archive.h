// Archive: read-only access to a zip container (APK, IPA, XAPK, AAB) through
// libzip, from a file or from memory. Entries are inflated into memory only,
// never written to disk, and every read is charged to the scan's Budget (the
// limits choke point). Oddities Android tolerates (prefixed data, duplicate
// names, CR/NUL in names, unknown methods) are recorded as anomalies.
#ifndef SHELFGUARD_ARCHIVE_H_
#define SHELFGUARD_ARCHIVE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shelfguard/facts.h"
#include "shelfguard/limits.h"
#include "shelfguard/status.h"

namespace shelfguard {

struct ArchiveEntry {
  std::string name;          // as stored (raw bytes; may be non-UTF-8)
  uint64_t index = 0;        // libzip index
  uint64_t compressed = 0;   // compressed size from the central directory
  uint64_t size = 0;         // declared uncompressed size (untrusted)
  uint16_t method = 0;       // 0 stored, 8 deflate, others unusual
  bool encrypted = false;
  bool directory = false;
  bool duplicate = false;    // a later entry with a name seen before
};

class Archive {
 public:
  ~Archive();
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;

  // Opens `path`. `budget` must outlive the archive. `depth` is the nesting
  // level (0 for the package itself) and is checked against the limits.
  static Result<std::unique_ptr<Archive>> OpenFile(const std::string& path, Budget* budget,
                                                   uint32_t depth = 0);
  // Opens bytes held by the caller (e.g. a nested APK); `data` is copied.
  static Result<std::unique_ptr<Archive>> OpenMemory(std::string data, std::string label,
                                                     Budget* budget, uint32_t depth);

  const std::vector<ArchiveEntry>& entries() const { return entries_; }
  // First entry with this exact name (the one Android's PackageManager uses),
  // or nullptr.
  const ArchiveEntry* Find(std::string_view name) const;
  // Inflates one entry into memory, charging the budget. Stops with an
  // over-limit Status as soon as a limit is passed. The declared size is
  // allocated up front only when it is at most 64 MiB and already within the
  // entry, ratio and total limits (whole-entry inflation of an in-memory
  // package); other entries grow in steps as they inflate. `max_bytes` (0:
  // the limits' cap) truncates silently for callers that only need a prefix.
  Result<std::string> Read(const ArchiveEntry& entry, uint64_t max_bytes = 0);
  Result<std::string> Read(std::string_view name, uint64_t max_bytes = 0);

  // Starts inflating `entries` (in the order they will be read) on a helper
  // thread, one ahead of the reads, so that a scan with a core to spare
  // analyses one entry while the next inflates. Read() returns and charges
  // exactly what it would without it. Only for a package held in memory
  // whose directory was not rebuilt, once per archive; otherwise, or when no
  // thread can be started, nothing happens.
  void Prefetch(const std::vector<const ArchiveEntry*>& entries);

  const std::vector<Anomaly>& anomalies() const { return anomalies_; }
  const std::string& label() const { return label_; }
  uint32_t depth() const { return depth_; }
  Budget* budget() const { return budget_; }

 private:
  Archive() = default;
  Status Init();
  Result<std::string> ReadEntry(const ArchiveEntry& entry, uint64_t max_bytes);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string label_;
  Budget* budget_ = nullptr;
  uint32_t depth_ = 0;
  std::vector<ArchiveEntry> entries_;
  // First entry of each name; the keys view entries_' names (which Init
  // fills once, never to reallocate).
  std::unordered_map<std::string_view, size_t> by_name_;
  std::vector<Anomaly> anomalies_;
};

// Packages up to this size are read whole into memory when opened (the
// engine reads them once, for the hash and the archive), and their entries
// are inflated in one libdeflate call; larger ones are read entry by entry
// through libzip's zlib stream, about three times slower. 32 MiB covers the
// APKs of all but the largest apps at the price of that much memory per
// scanning thread.
inline constexpr uint64_t kArchiveLoadWholeBytes = 32u << 20;

// Benchmarks: when set, called after every successful Archive::Read with the
// archive's nesting depth, the entry and the number of bytes returned (so a
// benchmark can replay exactly the reads of a scan). Set it before scanning
// starts; scans read it without synchronisation.
using ArchiveReadObserver = void (*)(uint32_t depth, const ArchiveEntry& entry, uint64_t bytes);
void SetArchiveReadObserver(ArchiveReadObserver observer);

}  // namespace shelfguard

#endif  // SHELFGUARD_ARCHIVE_H_
