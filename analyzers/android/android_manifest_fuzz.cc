// libFuzzer target: the Android manifest analyzer path over a zip held in
// memory: AndroidManifest.xml (binary XML) with resources.arsc resolving its
// references, the permission and component facts built from them. Seeds:
// tests/fuzz_seeds/android_manifest/ (small APK-shaped zips).
#include <cstddef>
#include <cstdint>

#include "android/android_analyzer.h"
#include "support/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shelfguard::testing::AnalyzeZipForFuzzing(data, size, "fuzz.apk",
                                            shelfguard::NewAndroidManifestAnalyzer().get());
  return 0;
}
