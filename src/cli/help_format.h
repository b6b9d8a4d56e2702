// The --help layout shared by shelfguard and shelfguardd: the usage line
// first (help2man builds each man page's SYNOPSIS from it), then the
// command's description, options, subcommands and footer.
#ifndef SHELFGUARD_SRC_CLI_HELP_FORMAT_H_
#define SHELFGUARD_SRC_CLI_HELP_FORMAT_H_

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

namespace shelfguard::cli {

class HelpFormatter : public CLI::Formatter {
 public:
  // "Usage:" capitalised: help2man takes the SYNOPSIS only from that spelling.
  HelpFormatter() { column_width(28); }
  std::string make_description(const CLI::App*) const override { return ""; }
  std::string make_usage(const CLI::App* app, std::string name) const override {
    std::string d = app->get_description();
    return CLI::Formatter::make_usage(app, std::move(name)) + (d.empty() ? "" : "\n" + d + "\n");
  }
};

// Installs the layout on `app` (subcommands added later inherit it).
inline void UseHelpFormat(CLI::App* app) { app->formatter(std::make_shared<HelpFormatter>()); }

}  // namespace shelfguard::cli

#endif  // SHELFGUARD_SRC_CLI_HELP_FORMAT_H_
