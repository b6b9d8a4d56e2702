// shelfguard: admission scanner for education apps (CLI entry point).
#include <cstdio>
#include <cstring>
#include <string_view>

#include "shelfguard/process_setup.h"
#include "cli/commands.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* help;
};

const Command kCommands[] = {
    {"scan", shelfguard::cli::RunScan, "analyse APK/IPA/DEX files and apply the filing rules"},
    {"signatures", shelfguard::cli::RunSignatures, "list or check the SDK signature database"},
    {"registry", shelfguard::cli::RunRegistry, "import, sync, show or validate filing records"},
    {"submit", shelfguard::cli::RunSubmit, "submit a package to a running shelfguardd for a verdict"},
    {"consume", shelfguard::cli::RunConsume, "receive and acknowledge violations from shelfguardd"},
    {"status", shelfguard::cli::RunStatus, "show a running shelfguardd's queue and throughput"},
};

void Usage(FILE* out) {
  std::fprintf(out,
               "usage: shelfguard <command> [options]\n\n"
               "Checks education mobile apps (APK, IPA) against the Ministry of Education\n"
               "filing rules (教育移动应用备案): filing numbers, ads, games, payment,\n"
               "biometrics, permissions and security flags.\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-11s %s\n", c.name, c.help);
  std::fprintf(out,
               "\nRun 'shelfguard <command> --help' for a command's options.\n"
               "Exit codes: 0 pass, 1 a finding reached --fail-on, 2 a file could not be analysed\n"
               "or the command failed.\n");
}

}  // namespace

int main(int argc, char** argv) {
  shelfguard::PrepareScanningProcess();
  if (argc < 2) {
    Usage(stderr);
    return 2;
  }
  std::string_view cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    Usage(stdout);
    return 0;
  }
  if (cmd == "--version" || cmd == "version") {
    std::printf("shelfguard %s\n", SHELFGUARD_VERSION);
    return 0;
  }
  for (const auto& c : kCommands) {
    if (cmd == c.name) return c.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "shelfguard: unknown command '%s'\n\n", argv[1]);
  Usage(stderr);
  return 2;
}
