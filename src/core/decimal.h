// Decimal text to a number, the one digits-only reader that the limits
// parser and the manifest readers (AAB, HAP) each wrote for themselves.
#ifndef SHELFGUARD_SRC_CORE_DECIMAL_H_
#define SHELFGUARD_SRC_CORE_DECIMAL_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace shelfguard {

// The value of `text` when it is 1 to `max_digits` ASCII digits and nothing
// else (no sign, no spaces) and fits in uint64_t; nullopt otherwise. A small
// `max_digits` (10 for a 32-bit platform integer written as a string, 18 for
// one that must fit int64_t) bounds the value without an overflow question.
inline std::optional<uint64_t> ParseDecimal(std::string_view text,
                                            size_t max_digits = std::string_view::npos) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || value > (UINT64_MAX - static_cast<uint64_t>(c - '0')) / 10) return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

}  // namespace shelfguard

#endif  // SHELFGUARD_SRC_CORE_DECIMAL_H_
