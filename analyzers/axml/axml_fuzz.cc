// libFuzzer target for the AXML parser (build with -DSG_FUZZ=ON). Seeds:
// tests/fuzz_seeds/axml/ (written by the fixture writer).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "axml/axml_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shelfguard::Limits limits;
  limits.max_table_items = 1u << 20;
  shelfguard::Budget budget(limits);
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto doc = shelfguard::ParseAxml(in, &budget);
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
