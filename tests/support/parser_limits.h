// Test helpers for the parser contract (docs/architecture.md): limits with a
// small table cap, the check that a parser recorded exactly one anomaly,
// questions about the anomalies it recorded and the tables it cut, and
// corrupted copies of an input.
#ifndef SHELFGUARD_TESTS_SUPPORT_PARSER_LIMITS_H_
#define SHELFGUARD_TESTS_SUPPORT_PARSER_LIMITS_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shelfguard/facts.h"
#include "shelfguard/limits.h"

namespace shelfguard::testing {

// Default limits but at most `n` items in one parsed table.
inline Limits WithTableCap(uint64_t n) {
  Limits limits;
  limits.max_table_items = n;
  return limits;
}

// Success when `v` holds exactly one anomaly, with this code and detail.
inline ::testing::AssertionResult OnlyAnomaly(const std::vector<Anomaly>& v, std::string_view code,
                                              std::string_view detail) {
  auto failure = ::testing::AssertionFailure();
  for (const Anomaly& a : v) failure << "\n  " << a.code << " @ " << a.location << ": " << a.detail;
  if (v.size() != 1 || v[0].code != code || v[0].detail != detail) {
    return failure << "\nwanted only: " << code << ": " << detail;
  }
  return ::testing::AssertionSuccess();
}

// For the over-limit tests: `parse(Budget*)` run without a budget (what
// the input holds) and with at most `cap` items a table (what was kept).
template <typename ParseFn>
auto ParseWholeAndCapped(ParseFn parse, uint64_t cap) {
  Budget budget(WithTableCap(cap));
  auto whole = parse(nullptr);
  return std::make_pair(std::move(whole), parse(&budget));
}

// The over-limit rule for one table: parsed under a cap of `cap` items, the
// table `kept` is the whole parse's `whole` when that fits, and otherwise
// its first `cap` items, with an anomaly `code` located at `table`.
template <typename Item>
::testing::AssertionResult CutAtCap(const std::vector<Item>& whole, const std::vector<Item>& kept,
                                    uint64_t cap, const std::vector<Anomaly>& anomalies,
                                    std::string_view code, std::string_view table) {
  bool named = false;
  for (const Anomaly& a : anomalies) named = named || (a.code == code && a.location == table);
  const size_t want = whole.size() <= cap ? whole.size() : static_cast<size_t>(cap);
  if (kept.size() != want || !std::equal(kept.begin(), kept.end(), whole.begin())) {
    return ::testing::AssertionFailure() << table << ": " << kept.size() << " items kept of "
                                         << whole.size() << ", not the first " << want;
  }
  if (named != (whole.size() > cap)) {
    return ::testing::AssertionFailure()
           << table << (named ? " not cut but" : " cut without") << " an anomaly " << code;
  }
  return ::testing::AssertionSuccess();
}

// Deterministic corrupted copies of an input, for the never-crash tests:
// each Next() overwrites `flips` bytes chosen by a linear congruential
// generator started at `seed`. With `hot` > 0, every other byte is chosen
// among the first `hot` (where the headers and tables are).
class ByteFlipper {
 public:
  ByteFlipper(uint32_t seed, int flips, size_t hot = 0) : seed_(seed), flips_(flips), hot_(hot) {}
  std::string Next(std::string_view input) {
    std::string out(input);
    if (out.empty()) return out;
    for (int k = 0; k < flips_; ++k) {
      seed_ = seed_ * 1103515245 + 12345;
      size_t pos = (seed_ >> 8) % out.size();
      if (hot_ > 0) {
        pos = k % 2 ? (seed_ >> 4) % out.size() : (seed_ >> 8) % std::min(out.size(), hot_);
      }
      out[pos] = static_cast<char>(seed_ >> 24);
    }
    return out;
  }

 private:
  uint32_t seed_;
  int flips_;
  size_t hot_;
};

// True when an anomaly with `code` was recorded.
inline bool HasAnomaly(const std::vector<Anomaly>& v, std::string_view code) {
  for (const Anomaly& a : v) {
    if (a.code == code) return true;
  }
  return false;
}

// The locations of the anomalies with `code` (the tables a parser cut).
inline std::set<std::string> AnomalyLocations(const std::vector<Anomaly>& v,
                                              std::string_view code) {
  std::set<std::string> out;
  for (const Anomaly& a : v) {
    if (a.code == code) out.insert(a.location);
  }
  return out;
}

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_PARSER_LIMITS_H_
