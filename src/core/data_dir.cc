#include "core/data_dir.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace shelfguard {
namespace fs = std::filesystem;

namespace {

// The running program's path from /proc/self/exe (argv[0] may be relative or
// a symlink in a PATH directory; /proc names the file actually executed).
std::string ExePath() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = '\0';
  return buf;
}

bool IsDir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

}  // namespace

std::string ResolveDataDir(const char* env, const std::string& exe_path, const std::string& source_dir) {
  if (env != nullptr && *env != '\0') return env;
  fs::path installed;
  if (!exe_path.empty()) {
    installed = (fs::path(exe_path).parent_path() / ".." / "share" / "shelfguard").lexically_normal();
    if (IsDir(installed)) return installed.string();
  }
  if (!source_dir.empty() && IsDir(source_dir)) return source_dir;
  return installed.empty() ? source_dir : installed.string();
}

std::string DataDir() {
  return ResolveDataDir(std::getenv("SHELFGUARD_DATA_DIR"), ExePath(), SHELFGUARD_SOURCE_DIR);
}

}  // namespace shelfguard
