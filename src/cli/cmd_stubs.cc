// PLACEHOLDER subcommands, each replaced by its own cmd_*.cc.
#include <cstdio>

#include "cli/commands.h"

namespace shelfguard::cli {
namespace {
int NotYet(const char* what) {
  std::fprintf(stderr, "shelfguard %s: not available in this build\n", what);
  return 2;
}
}  // namespace
}  // namespace shelfguard::cli
