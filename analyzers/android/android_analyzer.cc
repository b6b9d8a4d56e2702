// PLACEHOLDER: replaced by the real AndroidManifest analyzer.
#include "android/android_analyzer.h"

namespace shelfguard {
namespace {
class AndroidManifestAnalyzer : public Analyzer {
 public:
  const char* name() const override { return "android"; }
  void Analyze(ScanContext*) override {}
};
}  // namespace
std::unique_ptr<Analyzer> NewAndroidManifestAnalyzer() { return std::make_unique<AndroidManifestAnalyzer>(); }
}  // namespace shelfguard
