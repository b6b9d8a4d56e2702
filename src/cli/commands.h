// The `shelfguard` command line: one CLI11 grammar for every command.
//
// How to add a command (or a subcommand of one):
//   1. In src/cli/cmd_NAME.cc write `void SetupNAME(CLI::App* root)`:
//        CLI::App* cmd = AddCommand(root, "name", "one-line help");
//        auto o = std::make_shared<MyOptions>();          // state the options bind to
//        cmd->add_option("--thing", o->thing, "...");      // spell shared ideas as below
//        SetRunner(cmd, [o] { return RunName(*o); });       // returns the exit code
//      A command with subcommands (`registry import`) calls AddCommand(cmd, ...)
//      and SetRunner for each of them instead, and cmd->require_subcommand(1).
//   2. Declare SetupNAME below and add one row to kCommands in src/cli/main.cc.
// AddCommand gives every command --help and --version; main.cc turns every
// usage error into "shelfguard CMD: ... (see --help)" and exit 2.
//
// Shared spellings (use these, do not invent synonyms; the aliases exist for
// old scripts and are listed in README.md "Use"):
//   --format text|json   (AddFormatOption; `--json` is an alias of `--format json`)
//   -o, --output FILE    (`--out` is an alias)
//   --signatures DIR     (`--dir` is an alias in `signatures list|check`)
//   --config FILE        the daemon's config, for the daemon clients
//   --quiet              no progress or summary on stderr
// Exit codes: 0 success; 1 a finding reached --fail-on / a check found
// problems; 2 usage error or the command failed.
#ifndef SHELFGUARD_SRC_CLI_COMMANDS_H_
#define SHELFGUARD_SRC_CLI_COMMANDS_H_

#include <functional>
#include <memory>
#include <span>
#include <string>

#include <CLI/CLI.hpp>

#include "shelfguard/report.h"

namespace shelfguard::cli {

using Runner = std::function<int()>;
// Adds one command (with its subcommands) to the root app.
using SetupFn = void (*)(CLI::App*);

// The root `shelfguard` app (description, help layout, --help, --version,
// footer, exactly one command) with `commands`, in the order of --help.
std::unique_ptr<CLI::App> NewRootApp(std::span<const SetupFn> commands);
// True when `name` names one of `app`'s commands.
bool HasCommand(const CLI::App& app, const std::string& name);
// Parses argv[1..] into `app` and runs the innermost command given: help
// and version on stdout (exit 0), usage errors as "shelfguard CMD: ... (see
// --help)" (exit 2), else the command's exit code. Shared by the two
// programs behind `shelfguard` (main.cc, main_client.cc), so a command
// behaves the same in either.
int ParseAndRun(CLI::App* app, int argc, char** argv);

// Adds subcommand `name` of `parent` with --help and --version.
CLI::App* AddCommand(CLI::App* parent, const std::string& name, const std::string& help);
// What runs when `cmd` is the (innermost) command on the command line.
void SetRunner(CLI::App* cmd, Runner run);
// The runner set for `cmd`, or null (main.cc).
const Runner* FindRunner(const CLI::App* cmd);
// `--format text|json` with its alias `--json`, bound to *format.
void AddFormatOption(CLI::App* cmd, std::string* format, const std::string& extra = "");
// `--fail-on SEVERITY` (info|review|violation|block|never), bound to *fail_on.
void AddFailOnOption(CLI::App* cmd, Severity* fail_on);
// Version line printed by --version on every command.
const std::string& VersionText();

void SetupScan(CLI::App* root);        // cmd_scan.cc
void SetupReport(CLI::App* root);      // cmd_report.cc: sweep reports from the daemon's results
void SetupSignatures(CLI::App* root);  // cmd_signatures.cc
void SetupRegistry(CLI::App* root);    // cmd_registry.cc
// The daemon clients (shared pieces in daemon_client.h):
void SetupSubmit(CLI::App* root);      // cmd_submit.cc
void SetupConsume(CLI::App* root);     // cmd_consume.cc
void SetupStatus(CLI::App* root);      // cmd_control.cc
void SetupControl(CLI::App* root);     // cmd_control.cc: ping, reload, version

}  // namespace shelfguard::cli

#endif  // SHELFGUARD_SRC_CLI_COMMANDS_H_
