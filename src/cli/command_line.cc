// Shared pieces of the `shelfguard` command line (see commands.h).
#include <map>

#include "cli/commands.h"
#include "shelfguard/about.h"

namespace shelfguard::cli {
namespace {

std::map<const CLI::App*, Runner>& Runners() {
  static auto* runners = new std::map<const CLI::App*, Runner>();
  return *runners;
}

}  // namespace

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
