// Limits: every size, count and time bound applied to untrusted packages, and
// Budget, the single choke point where they are checked during one scan.
#ifndef SHELFGUARD_LIMITS_H_
#define SHELFGUARD_LIMITS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "shelfguard/status.h"

namespace shelfguard {

struct Limits {
  uint64_t max_package_bytes = 2ull << 30;        // whole file on disk / in memory
  uint64_t max_entries = 200000;                  // zip central-directory entries
  uint64_t max_entry_bytes = 512ull << 20;        // one inflated entry
  uint64_t max_total_inflated = 4ull << 30;       // all entries read in one scan
  uint64_t max_ratio = 1000;                      // inflated / compressed, above 1 MiB
  uint32_t max_depth = 3;                         // nested archives (apk in xapk ...)
  uint64_t max_table_items = 8000000;             // strings/classes/symbols in one table
  uint64_t deadline_ms = 120000;                  // wall-clock per package

  // Name/value access so config files, --help and the daemon share one table.
  // [min, max] is the accepted range: the CLI (--limit) and the daemon's
  // config both check values against it (max_depth, not a uint64_t, has its
  // own row: kMaxDepthMin..kMaxDepthMax).
  struct Field {
    const char* name;
    uint64_t Limits::*member;
    const char* help;
    uint64_t min = 1;
    uint64_t max = UINT64_MAX;
  };
  static constexpr uint64_t kMaxDepthMin = 0, kMaxDepthMax = 16;
  static const Field* Fields(size_t* count);
  bool Set(std::string_view name, uint64_t value);
  // Sets `name` to `value` when the name is known and the value in range;
  // otherwise an invalid-argument Status naming the limit, the value and
  // the range (nothing is changed).
  Status SetChecked(std::string_view name, uint64_t value);
  // Parses "NAME=VALUE" (VALUE a decimal number; overflow is an error) and
  // applies it with SetChecked.
  Status SetFromString(std::string_view assignment);
};

// Per-scan accounting of the limits. Not thread-safe except Cancel().
class Budget {
 public:
  explicit Budget(const Limits& limits)
      : limits_(limits), start_(std::chrono::steady_clock::now()) {}

  const Limits& limits() const { return limits_; }

  // Called before inflating an entry: its declared sizes are checked against
  // the per-entry cap and ratio; declared sizes are not trusted afterwards.
  Status CheckEntry(std::string_view name, uint64_t compressed, uint64_t declared) const;
  // Called while inflating: `n` more bytes of `name` were produced, so far
  // `produced` bytes of this entry. Charges the total.
  Status ChargeInflated(std::string_view name, uint64_t n, uint64_t produced,
                        uint64_t compressed);
  Status CheckEntryCount(uint64_t n) const;
  Status CheckDepth(uint32_t depth) const;
  // Generic count check for parser tables (`what` names the table).
  Status CheckCount(std::string_view what, uint64_t n) const;
  // True once the deadline passed or Cancel() was called.
  bool Expired() const;
  Status CheckDeadline() const;
  void Cancel() { cancelled_.store(true); }
  uint64_t total_inflated() const { return total_; }
  uint64_t elapsed_ms() const;

 private:
  Limits limits_;
  std::chrono::steady_clock::time_point start_;
  uint64_t total_ = 0;
  std::atomic<bool> cancelled_{false};
};

}  // namespace shelfguard

#endif  // SHELFGUARD_LIMITS_H_
