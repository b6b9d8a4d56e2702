// Subcommands of the `shelfguard` CLI. Each returns the process exit code.
#ifndef SHELFGUARD_SRC_CLI_COMMANDS_H_
#define SHELFGUARD_SRC_CLI_COMMANDS_H_

namespace shelfguard::cli {

int RunScan(int argc, char** argv);        // cmd_scan.cc
int RunSignatures(int argc, char** argv);  // cmd_signatures.cc
int RunRegistry(int argc, char** argv);    // cmd_registry.cc
int RunSubmit(int argc, char** argv);      // cmd_client.cc (daemon clients)
int RunConsume(int argc, char** argv);     // cmd_client.cc
int RunStatus(int argc, char** argv);      // cmd_client.cc

}  // namespace shelfguard::cli

#endif  // SHELFGUARD_SRC_CLI_COMMANDS_H_
