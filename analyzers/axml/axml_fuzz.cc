// libFuzzer target for the AXML parser (build with -DSG_FUZZ=ON). Seeds:
// tests/fuzz_seeds/axml/ (written by the fixture writer).
#include <cstddef>
#include <cstdint>

#include "axml/axml_parser.h"
#include "support/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shelfguard::Budget budget(shelfguard::testing::TableFuzzLimits());
  auto doc = shelfguard::ParseAxml(shelfguard::testing::FuzzBytes(data, size), &budget);
  if (doc.ok()) {
    // Exercise the lookups and value rendering on whatever parsed.
    for (const auto& n : doc->nodes) {
      n.FindById(shelfguard::attr::kName);
      n.FindByName("package");
      for (const auto& a : n.attrs) (void)shelfguard::FormatAttribute(a);
    }
  }
  return 0;
}
