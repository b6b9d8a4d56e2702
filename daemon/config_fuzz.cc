// Fuzzes the daemon's config parser (config.h) with arbitrary TOML text: a
// config file is hostile input like a package. Nothing may throw, crash or
// recurse without bound; an accepted config must hold the ranges the option
// table documents for the keys checked here.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > shelfguard::daemon::kMaxConfigBytes) return 0;
  std::string text(reinterpret_cast<const char*>(data), size);
  auto c = shelfguard::daemon::ParseConfig(text, "/nonexistent/shelfguard-fuzz/c.toml");
  if (!c.ok()) {
    if (c.status().message().empty()) std::abort();  // every refusal says why
    return 0;
  }
  if (c->workers < 0 || c->workers > 256 || c->effective_workers() < 1) std::abort();
  if (c->submit_max_bytes < 1 || c->submit.endpoint.empty() || c->control.endpoint.empty()) std::abort();
  return 0;
}
