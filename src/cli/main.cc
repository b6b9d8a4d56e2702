// shelfguard: admission scanner for education apps (CLI entry point).
//
// Adding a command: write its Setup function (see the recipe at the top of
// src/cli/commands.h) and add one row to kCommands below.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/help_format.h"
#include "shelfguard/process_setup.h"

namespace {

using SetupFn = void (*)(CLI::App*);

// Order is the order of `shelfguard --help`.
const SetupFn kCommands[] = {
    shelfguard::cli::SetupScan,    shelfguard::cli::SetupReport,    shelfguard::cli::SetupSignatures, shelfguard::cli::SetupRegistry,
    shelfguard::cli::SetupSubmit,  shelfguard::cli::SetupConsume,    shelfguard::cli::SetupStatus,
    shelfguard::cli::SetupControl,
};

const char kDescription[] =
    "Checks education mobile apps (APK, IPA, DEX) against the Ministry of Education\n"
    "filing rules (教育移动应用备案): filing numbers, ads, games, payment,\n"
    "biometrics, permissions and security flags. Scans locally, or talks to a\n"
    "running shelfguardd (submit, consume, status, ping, reload, version).";

const char kFooter[] =
    "Run 'shelfguard COMMAND --help' for a command's options.\n"
    "\n"
    "Exit codes: 0 success (scan: every package analysed, nothing reached --fail-on);\n"
    "1 a finding reached --fail-on, or a check found problems; 2 a file could not be\n"
    "analysed, a usage error, or the command failed.\n"
    "\n"
    "Environment: NO_COLOR (any value) turns colour off; SHELFGUARD_SIGNATURES names\n"
    "the signature database.";

// "shelfguard scan" for the innermost command given so far.
std::string CommandPath(CLI::App* app) {
  std::string path = app->get_name();
  for (CLI::App* a = app;;) {
    auto subs = a->get_subcommands();
    if (subs.empty()) break;
    a = subs[0];
    path += " " + a->get_name();
  }
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  shelfguard::PrepareScanningProcess();
  CLI::App app(kDescription, "shelfguard");
  shelfguard::cli::UseHelpFormat(&app);
  app.set_help_flag("-h,--help", "print this help and exit");
  app.set_version_flag("--version", shelfguard::cli::VersionText(), "print the version and exit");
  app.footer(kFooter);
  app.require_subcommand(1);
  for (SetupFn setup : kCommands) setup(&app);

  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(app.help().c_str(), stderr);
    return 2;
  }
  // "shelfguard help [COMMAND...]" is "shelfguard [COMMAND...] --help".
  if (args[0] == "help") {
    args.erase(args.begin());
    args.push_back("--help");
  }
  if (args[0].empty() || args[0][0] != '-') {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) known |= sub->check_name(args[0]);
    if (!known) {
      std::fprintf(stderr, "shelfguard: unknown command '%s'\n\n%s", args[0].c_str(), app.help().c_str());
      return 2;
    }
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version: stdout, 0
    std::fprintf(stderr, "%s: %s (see --help)\n", CommandPath(&app).c_str(), e.what());
    return 2;
  }
  // The innermost command given runs.
  CLI::App* cmd = &app;
  for (auto subs = cmd->get_subcommands(); !subs.empty(); subs = cmd->get_subcommands()) {
    cmd = subs[0];
  }
  const shelfguard::cli::Runner* run = shelfguard::cli::FindRunner(cmd);
  if (run == nullptr) {
    std::fprintf(stderr, "%s: a subcommand is required (see --help)\n", CommandPath(&app).c_str());
    return 2;
  }
  return (*run)();
}
