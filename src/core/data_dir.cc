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
  if (exe_path.empty()) return source_dir;
  fs::path bin = fs::path(exe_path).parent_path();
  fs::path installed = (bin / ".." / "share" / "shelfguard").lexically_normal();
  if (IsDir(installed)) return installed.string();
  // Only a program outside an install layout may use the source tree: an
  // installed one that did would work on the build machine and nowhere else.
  // Installed programs live in bin/ or, for shelfguard-tool, libexec/.
  if (bin.filename() != "bin" && bin.filename() != "libexec" && !source_dir.empty()) return source_dir;
  return installed.string();
}

std::string DataDir() {
  return ResolveDataDir(std::getenv("SHELFGUARD_DATA_DIR"), ExePath(), SHELFGUARD_SOURCE_DIR);
}

}  // namespace shelfguard
