// libFuzzer target for the DEX parser and analyzer (build with -DSG_FUZZ=ON).
// Seeds: tests/fuzz_seeds/dex/.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dex/dex_analyzer.h"
#include "dex/dex_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shelfguard;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.deadline_ms = 2000;
  Budget budget(limits);
  auto r = dex::DexFile::Parse(bytes, &budget);
  if (r.ok()) {
    // Touch every view so ASan sees any out-of-range one.
    size_t sum = 0;
    for (std::string_view s : (*r)->strings()) sum += s.empty() ? 0 : static_cast<uint8_t>(s.back());
    for (const auto& c : (*r)->classes()) sum += (*r)->TypeDescriptor(c.class_idx).size();
    (void)sum;
  }
  Facts facts;
  facts.file = "fuzz.dex";
  ScanContext ctx(&facts, &budget, nullptr, nullptr, nullptr);
  ctx.set_bare_bytes(bytes);
  NewDexAnalyzer()->Analyze(&ctx);
  return 0;
}
