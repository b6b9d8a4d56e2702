// libFuzzer target: the App Bundle analyzer (proto manifests, resources.pb,
// BundleConfig.pb, dependencies.pb, proguard.map) over a zip held in memory,
// and the dependencies parser over the raw bytes. Seeds: tests/fuzz_seeds/aab/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aab/aab_analyzer.h"
#include "support/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bool ok = false;
  (void)shelfguard::ParseBundleDependencies(
      std::string_view(reinterpret_cast<const char*>(data), size), &ok);
  auto analyzer = shelfguard::NewAabAnalyzer();
  shelfguard::testing::AnalyzeZipForFuzzing(data, size, "fuzz.aab", analyzer.get());
  return 0;
}
