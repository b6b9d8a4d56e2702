// Times as text: the one home of the timestamp and date formatters that the
// report, registry, signature-bundle and policy code each wrote for itself.
#ifndef SHELFGUARD_SRC_CORE_TIME_TEXT_H_
#define SHELFGUARD_SRC_CORE_TIME_TEXT_H_

#include <ctime>
#include <string>

namespace shelfguard {

// `t` (seconds since the epoch) in UTC, RFC 3339 / ISO 8601 with a "Z":
// "2026-11-30T22:59:54Z".
std::string UtcTimestamp(std::time_t t);
// The current time as UtcTimestamp.
std::string UtcNow();
// Today's date in the local time zone: "2026-11-30".
std::string LocalDate();

}  // namespace shelfguard

#endif  // SHELFGUARD_SRC_CORE_TIME_TEXT_H_
