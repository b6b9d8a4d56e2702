// Shared pieces of the `shelfguard` command line (see commands.h).
#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

#include "cli/commands.h"
#include "cli/help_format.h"
#include "shelfguard/about.h"

namespace shelfguard::cli {
namespace {

std::map<const CLI::App*, Runner>& Runners() {
  static auto* runners = new std::map<const CLI::App*, Runner>();
  return *runners;
}

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

std::unique_ptr<CLI::App> NewRootApp(std::span<const SetupFn> commands) {
  auto app = std::make_unique<CLI::App>(kDescription, "shelfguard");
  UseHelpFormat(app.get());
  app->set_help_flag("-h,--help", "print this help and exit");
  app->set_version_flag("--version", VersionText(), "print the version and exit");
  app->footer(kFooter);
  app->require_subcommand(1);
  for (SetupFn setup : commands) setup(app.get());
  return app;
}

bool HasCommand(const CLI::App& app, const std::string& name) {
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->check_name(name)) return true;
  }
  return false;
}

int ParseAndRun(CLI::App* app, int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(app->help().c_str(), stderr);
    return 2;
  }
  // "shelfguard help [COMMAND...]" is "shelfguard [COMMAND...] --help".
  if (args[0] == "help") {
    args.erase(args.begin());
    args.push_back("--help");
  }
  if ((args[0].empty() || args[0][0] != '-') && !HasCommand(*app, args[0])) {
    std::fprintf(stderr, "shelfguard: unknown command '%s'\n\n%s", args[0].c_str(), app->help().c_str());
    return 2;
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    app->parse(args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app->exit(e);  // --help, --version: stdout, 0
    std::fprintf(stderr, "%s: %s (see --help)\n", CommandPath(app).c_str(), e.what());
    return 2;
  }
  // The innermost command given runs.
  CLI::App* cmd = app;
  for (auto subs = cmd->get_subcommands(); !subs.empty(); subs = cmd->get_subcommands()) {
    cmd = subs[0];
  }
  const Runner* run = FindRunner(cmd);
  if (run == nullptr) {
    std::fprintf(stderr, "%s: a subcommand is required (see --help)\n", CommandPath(app).c_str());
    return 2;
  }
  return (*run)();
}

const std::string& VersionText() {
  static const std::string kVersion =
      std::string("shelfguard ") + SHELFGUARD_VERSION + "\ndocumentation: " + kDocumentationUri;
  return kVersion;
}

CLI::App* AddCommand(CLI::App* parent, const std::string& name, const std::string& help) {
  CLI::App* cmd = parent->add_subcommand(name, help);
  // Subcommands inherit the help flag and formatter, not the version flag.
  cmd->set_version_flag("--version", VersionText(), "print the version and exit");
  return cmd;
}

void SetRunner(CLI::App* cmd, Runner run) { Runners()[cmd] = std::move(run); }

const Runner* FindRunner(const CLI::App* cmd) {
  auto it = Runners().find(cmd);
  return it == Runners().end() ? nullptr : &it->second;
}

void AddFormatOption(CLI::App* cmd, std::string* format, const std::string& extra) {
  cmd->add_option("--format", *format, "output format: text or json" + extra)
      ->type_name("text|json")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            return v == "text" || v == "json" ? "" : "must be text or json, not '" + v + "'";
          },
          "", "format"));
  cmd->add_flag_callback(
      "--json", [format] { *format = "json"; }, "alias of --format json");
}

void AddFailOnOption(CLI::App* cmd, Severity* fail_on) {
  cmd->add_option_function<std::string>(
         "--fail-on", [fail_on](const std::string& v) { *fail_on = *ParseSeverity(v); },
         "exit 1 when a finding is at least SEVERITY (default: violation; never: do not)")
      ->type_name("SEVERITY")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            return ParseSeverity(v) ? ""
                                    : "takes info|review|violation|block|never, not '" + v + "'";
          },
          "", "severity"));
}

}  // namespace shelfguard::cli
