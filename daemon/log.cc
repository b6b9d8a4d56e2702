#include "log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "feed.h"
#include "queue/message.h"

namespace shelfguard::daemon {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mu;
const char* Name(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}
}  // namespace

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void SetLogLevel(const std::string& level) {
  LogLevel l = level == "debug" ? LogLevel::kDebug
               : level == "warn" ? LogLevel::kWarn
               : level == "error" ? LogLevel::kError
                                  : LogLevel::kInfo;
  g_level.store(static_cast<int>(l));
}

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

void Log(LogLevel level, const char* event, nlohmann::json fields) {
  if (!LogEnabled(level)) return;
  nlohmann::json j = {{"ts", queue::ToIso8601(NowMs())}, {"level", Name(level)}, {"event", event}};
  if (fields.is_object()) {
    // Every string field passes through RedactText: a URL's userinfo or a
    // token in its query never reaches the log, whoever logs it.
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      j[it.key()] = it.value().is_string() && it.value().get_ref<const std::string&>().find("://") != std::string::npos
                        ? nlohmann::json(RedactText(it.value().get<std::string>()))
                        : it.value();
    }
  }
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  std::lock_guard<std::mutex> lock(g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace shelfguard::daemon
