// libFuzzer target for the DEX parser and analyzer (build with -DSG_FUZZ=ON).
// Seeds: tests/fuzz_seeds/dex/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dex/dex_analyzer.h"
#include "dex/dex_parser.h"
#include "support/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace sg = shelfguard;
  const std::string_view bytes = sg::testing::FuzzBytes(data, size);
  sg::Budget budget(sg::testing::CodeFuzzLimits());
  if (auto r = sg::dex::DexFile::Parse(bytes, &budget); r.ok()) {
    // Touch every view so ASan sees any out-of-range one.
    size_t sum = 0;
    for (std::string_view s : (*r)->strings()) sum += s.empty() ? 0 : static_cast<uint8_t>(s.back());
    for (const auto& c : (*r)->classes()) sum += (*r)->TypeDescriptor(c.class_idx).size();
    for (const sg::Anomaly& a : (*r)->anomalies()) sum += a.detail.size();
    (void)sum;
  }
  // The analyzer over the same bytes as a bare .dex, its tables and texts
  // read to the last byte.
  sg::Facts facts;
  facts.file = "fuzz.dex";
  sg::testing::TouchingSink sink;
  sg::ScanContext ctx(&facts, &budget, nullptr, &sink, &sink);
  ctx.set_bare_bytes(bytes);
  sg::NewDexAnalyzer()->Analyze(&ctx);
  return 0;
}
