// shelfguard-tool: every command of `shelfguard` (scan, report, signatures,
// registry and the daemon clients). `shelfguard` itself is main_client.cc,
// which runs the daemon clients without this program's libraries and execs
// this program for everything else; run directly, it behaves the same.
//
// Adding a command: write its Setup function (see the recipe at the top of
// src/cli/commands.h) and add one row to kCommands below (and, for a client
// of the daemon that links only libzmq, to main_client.cc's).
#include "cli/commands.h"
#include "shelfguard/process_setup.h"

namespace {

// Order is the order of `shelfguard --help`.
const shelfguard::cli::SetupFn kCommands[] = {
    shelfguard::cli::SetupScan,    shelfguard::cli::SetupReport,    shelfguard::cli::SetupSignatures, shelfguard::cli::SetupRegistry,
    shelfguard::cli::SetupSubmit,  shelfguard::cli::SetupConsume,    shelfguard::cli::SetupStatus,
    shelfguard::cli::SetupControl,
};

}  // namespace

int main(int argc, char** argv) {
  shelfguard::PrepareScanningProcess();
  auto app = shelfguard::cli::NewRootApp(kCommands);
  return shelfguard::cli::ParseAndRun(app.get(), argc, argv);
}
