// libFuzzer target: the HAP analyzer (module.json / config.json / pack.info,
// .abc, resources.index, rawfile texts) over a zip held in memory, with a
// sink that touches every view it is handed. Seeds: tests/fuzz_seeds/hap/.
#include <cstddef>
#include <cstdint>

#include "hap/hap_analyzer.h"
#include "support/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto analyzer = shelfguard::NewHapAnalyzer();
  shelfguard::testing::AnalyzeZipForFuzzing(data, size, "fuzz.hap", analyzer.get());
  return 0;
}
