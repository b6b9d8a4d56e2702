// Test helpers for the parser contract (docs/architecture.md): limits with a
// small table cap, and the check that a parser recorded exactly one anomaly.
#ifndef SHELFGUARD_TESTS_SUPPORT_PARSER_LIMITS_H_
#define SHELFGUARD_TESTS_SUPPORT_PARSER_LIMITS_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
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

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_PARSER_LIMITS_H_
