#include "shelfguard/limits.h"

#include <iterator>

#include "core/decimal.h"

namespace shelfguard {

namespace {
// Ranges: at least 1 (a zero bound makes every scan fail, e.g. deadline_ms=0
// times every package out), at most what can still be meant (larger values
// are typos or overflow, not a policy).
const Limits::Field kFields[] = {
    {"max_package_bytes", &Limits::max_package_bytes, "largest package file accepted, bytes", 1, 1ull << 40},
    {"max_entries", &Limits::max_entries, "most zip entries in one package", 1, 1ull << 32},
    {"max_entry_bytes", &Limits::max_entry_bytes, "largest inflated size of one entry, bytes", 1, 1ull << 40},
    {"max_total_inflated", &Limits::max_total_inflated, "most bytes inflated in one scan", 1, 1ull << 44},
    {"max_ratio", &Limits::max_ratio, "highest compression ratio for entries over 1 MiB", 1, 1ull << 20},
    {"max_table_items", &Limits::max_table_items, "most items in one parsed table (strings, classes, symbols)",
     1, 1ull << 32},
    {"deadline_ms", &Limits::deadline_ms, "wall-clock deadline per package, milliseconds", 1, 86400000},
};
}  // namespace

const Limits::Field* Limits::Fields(size_t* count) {
  *count = std::size(kFields);
  return kFields;
}

bool Limits::Set(std::string_view name, uint64_t value) {
  if (name == "max_depth") {
    max_depth = static_cast<uint32_t>(value);
    return true;
  }
  for (const auto& f : kFields) {
    if (name == f.name) {
      this->*f.member = value;
      return true;
    }
  }
  return false;
}

Status Limits::SetChecked(std::string_view name, uint64_t value) {
  uint64_t min = kMaxDepthMin, max = kMaxDepthMax;
  bool known = name == "max_depth";
  for (const auto& f : kFields) {
    if (name == f.name) {
      known = true;
      min = f.min;
      max = f.max;
    }
  }
  if (!known) {
    std::string names;
    for (const auto& f : kFields) names += std::string(f.name) + ", ";
    return Status::Invalid("unknown limit '" + std::string(name) + "' (one of " + names + "max_depth)");
  }
  if (value < min || value > max) {
    return Status::Invalid(std::string(name) + " must be from " + std::to_string(min) + " to " +
                           std::to_string(max) + ", not " + std::to_string(value));
  }
  Set(name, value);
  return Status::Ok();
}

Status Limits::SetFromString(std::string_view assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    return Status::Invalid("'" + std::string(assignment) + "' is not NAME=VALUE");
  }
  std::string_view name = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  // Digits only (no sign, no spaces), and no wrap past UINT64_MAX.
  std::optional<uint64_t> value = ParseDecimal(text);
  if (!value) {
    return Status::Invalid(std::string(name) + ": '" + std::string(text) +
                           "' is not a number from 0 to " + std::to_string(UINT64_MAX));
  }
  return SetChecked(name, *value);
}

Status Budget::CheckEntry(std::string_view name, uint64_t compressed, uint64_t declared) const {
  if (declared > limits_.max_entry_bytes) {
    return Status::OverLimit("entry '" + std::string(name) + "' declares " +
                             std::to_string(declared) + " bytes, over max_entry_bytes " +
                             std::to_string(limits_.max_entry_bytes));
  }
  if (declared > (1u << 20) && compressed > 0 && declared / compressed > limits_.max_ratio) {
    return Status::OverLimit("entry '" + std::string(name) + "' has compression ratio " +
                             std::to_string(declared / compressed) + ", over max_ratio " +
                             std::to_string(limits_.max_ratio) + " (zip bomb?)");
  }
  return Status::Ok();
}

Status Budget::ChargeInflated(std::string_view name, uint64_t n, uint64_t produced,
                              uint64_t compressed) {
  total_ += n;
  if (produced > limits_.max_entry_bytes) {
    return Status::OverLimit("entry '" + std::string(name) + "' inflates past max_entry_bytes " +
                             std::to_string(limits_.max_entry_bytes));
  }
  if (produced > (1u << 20) && produced / (compressed ? compressed : 1) > limits_.max_ratio) {
    return Status::OverLimit("entry '" + std::string(name) + "' inflates past compression ratio " +
                             std::to_string(limits_.max_ratio) + " (zip bomb)");
  }
  if (total_ > limits_.max_total_inflated) {
    return Status::OverLimit("package inflates past max_total_inflated " +
                             std::to_string(limits_.max_total_inflated));
  }
  return CheckDeadline();
}

Status Budget::CheckEntryCount(uint64_t n) const {
  if (n > limits_.max_entries) {
    return Status::OverLimit("archive has " + std::to_string(n) + " entries, over max_entries " +
                             std::to_string(limits_.max_entries));
  }
  return Status::Ok();
}

Status Budget::CheckDepth(uint32_t depth) const {
  if (depth > limits_.max_depth) {
    return Status::OverLimit("archive nesting depth " + std::to_string(depth) +
                             " over max_depth " + std::to_string(limits_.max_depth));
  }
  return Status::Ok();
}

Status Budget::CheckCount(std::string_view what, uint64_t n) const {
  if (n > limits_.max_table_items) {
    return Status::OverLimit(std::string(what) + " count " + std::to_string(n) +
                             " over max_table_items " + std::to_string(limits_.max_table_items));
  }
  return Status::Ok();
}

uint64_t Budget::elapsed_ms() const {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - start_)
                                   .count());
}

bool Budget::Expired() const {
  return cancelled_.load(std::memory_order_relaxed) || elapsed_ms() > limits_.deadline_ms;
}

Status Budget::CheckDeadline() const {
  if (cancelled_.load(std::memory_order_relaxed)) return Status::Timeout("scan cancelled");
  if (elapsed_ms() > limits_.deadline_ms) {
    return Status::Timeout("scan passed its deadline of " + std::to_string(limits_.deadline_ms) +
                           " ms");
  }
  return Status::Ok();
}

}  // namespace shelfguard
