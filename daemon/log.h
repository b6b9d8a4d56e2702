// Structured logs: one JSON object per line on stderr, with at least "ts",
// "level" and "event"; scan events carry "job" and "package".
#ifndef SHELFGUARD_DAEMON_LOG_H_
#define SHELFGUARD_DAEMON_LOG_H_

#include <string>

#include <nlohmann/json.hpp>

namespace shelfguard::daemon {

enum class LogLevel { kDebug = 0, kInfo, kWarn, kError };

void SetLogLevel(const std::string& level);  // debug | info | warn | error
// False when `level` is filtered out: callers on hot paths check it before
// building the fields.
bool LogEnabled(LogLevel level);
void Log(LogLevel level, const char* event, nlohmann::json fields = nlohmann::json::object());
int64_t NowMs();  // wall clock, ms since the epoch

}  // namespace shelfguard::daemon

#endif  // SHELFGUARD_DAEMON_LOG_H_
