#include "core/time_text.h"

namespace shelfguard {
namespace {

std::string Format(const std::tm& tm, const char* format) {
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

}  // namespace

std::string UtcTimestamp(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  return Format(tm, "%Y-%m-%dT%H:%M:%SZ");
}

std::string UtcNow() { return UtcTimestamp(std::time(nullptr)); }

std::string LocalDate() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  return Format(tm, "%Y-%m-%d");
}

}  // namespace shelfguard
