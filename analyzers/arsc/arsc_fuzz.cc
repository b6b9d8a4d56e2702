// libFuzzer target for the resources.arsc parser (build with -DSG_FUZZ=ON).
// Seeds: tests/fuzz_seeds/arsc/ (written by the fixture writer).
#include <cstddef>
#include <cstdint>

#include "arsc/arsc_parser.h"
#include "support/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shelfguard::Budget budget(shelfguard::testing::TableFuzzLimits());
  auto table = shelfguard::ParseArsc(shelfguard::testing::FuzzBytes(data, size), &budget);
  if (table.ok()) {
    size_t n = 0;
    table->ForEachString([&](const shelfguard::ArscStringValue& v) { n += v.value.size(); });
    // Resolve the first entries of every package/type seen, following
    // reference chains (depth-capped).
    for (const auto& p : table->packages) {
      for (const auto& t : p.types) {
        for (size_t i = 0; i < t.entries.size() && i < 16; ++i) {
          uint32_t id = (p.id << 24) | (uint32_t{t.id} << 16) | t.entries[i].index;
          table->ResolveString(id).status().IgnoreError();
          (void)table->ResourceName(id);
        }
      }
    }
  }
  return 0;
}
