// libFuzzer target: the asset analyzer over a zip held in memory: entry
// paths, asset text files (UTF-8/UTF-16, HTML), compiled XML resources'
// strings and URL hosts. Seeds: tests/fuzz_seeds/asset/ (small zips).
#include <cstddef>
#include <cstdint>

#include "assets/asset_analyzer.h"
#include "support/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shelfguard::testing::AnalyzeZipForFuzzing(data, size, "fuzz.apk",
                                            shelfguard::NewAssetAnalyzer().get());
  return 0;
}
