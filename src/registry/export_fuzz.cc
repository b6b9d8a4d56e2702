// libFuzzer target for the registry export reader (JSON and CSV) and the
// single-filing reader used by `scan --filing`.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "registry/export.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  shelfguard::ExportLimits limits;
  // The reader sniffs JSON ('{' first) or CSV, so one target covers both.
  auto parsed = shelfguard::ParseExportBytes(bytes, "fuzz-export", limits);
  (void)parsed;
  auto one = shelfguard::ParseFilingJson(bytes, "fuzz-filing.json");
  (void)one;
  return 0;
}
