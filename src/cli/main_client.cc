// shelfguard: the program users run.
//
// The daemon clients (submit, consume, status, ping, reload, version) run in
// this program, which links only what they use: libzmq, libsodium,
// libstdc++ and the TOML reader for --config. Every other command line
// (scan, report, signatures, registry, help, --help, --version, no command,
// an unknown one) goes to shelfguard-tool (main.cc), which this process
// replaces itself with (execv: same pid, arguments, environment, streams and
// exit code).
//
// Why two programs: the tool links the scanning libraries (capstone, RE2,
// libcurl, libpq, libxlsxwriter, protobuf, libplist, SQLite, ...: about 55
// shared objects with what they load), and mapping, relocating and
// initialising them took about 10 ms of every start, which a store running
// `shelfguard submit` for each upload paid on every package (issue 18 item 4,
// bench/README.md). Both programs build their commands from the same Setup
// functions and parse with ParseAndRun, so a client command's options, help,
// output and exit codes are the same whichever program runs it.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/commands.h"

#ifndef SG_TOOL_FROM_BINDIR
#define SG_TOOL_FROM_BINDIR "../libexec"
#endif

namespace {

const shelfguard::cli::SetupFn kClientCommands[] = {
    shelfguard::cli::SetupSubmit,
    shelfguard::cli::SetupConsume,
    shelfguard::cli::SetupStatus,
    shelfguard::cli::SetupControl,
};

constexpr char kTool[] = "shelfguard-tool";

// Where shelfguard-tool may be: next to this program (a build directory),
// then where the install rules put it relative to <prefix>/bin
// (packaging/packaging.cmake: <prefix>/libexec/shelfguard-tool). Found from
// /proc/self/exe, not argv[0] or PATH, so it is always the copy installed
// with this one.
std::vector<std::string> ToolCandidates() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  buf[n] = '\0';
  std::filesystem::path dir = std::filesystem::path(buf).parent_path();
  return {(dir / kTool).string(), (dir / SG_TOOL_FROM_BINDIR / kTool).lexically_normal().string()};
}

// Replaces this process with shelfguard-tool; returns only on failure, with
// the error printed (exit code 2).
int ExecTool(const CLI::App& clients, char** argv) {
  std::vector<std::string> tried = ToolCandidates();
  std::string why = tried.empty() ? std::string("/proc/self/exe cannot be read") : "";
  for (const std::string& path : tried) {
    ::execv(path.c_str(), argv);
    int err = errno;
    if (!why.empty()) why += "; ";
    why += path + ": " + std::strerror(err);
  }
  std::string local;
  for (const CLI::App* sub : clients.get_subcommands({})) {
    local += (local.empty() ? "" : ", ") + sub->get_name();
  }
  std::fprintf(stderr,
               "shelfguard: cannot run %s, the program behind every command but %s (%s); "
               "it is installed with shelfguard: reinstall the package\n",
               kTool, local.c_str(), why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  auto app = shelfguard::cli::NewRootApp(kClientCommands);
  if (argc > 1 && shelfguard::cli::HasCommand(*app, argv[1])) {
    return shelfguard::cli::ParseAndRun(app.get(), argc, argv);
  }
  return ExecTool(*app, argv);
}
