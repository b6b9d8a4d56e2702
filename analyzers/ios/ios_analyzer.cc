// PLACEHOLDER: replaced by the real Ios analyzer.
#include "ios/ios_analyzer.h"

namespace shelfguard {
namespace {
class IosAnalyzer : public Analyzer {
 public:
  const char* name() const override { return "ios"; }
  void Analyze(ScanContext*) override {}
};
}  // namespace
std::unique_ptr<Analyzer> NewIosAnalyzer() { return std::make_unique<IosAnalyzer>(); }
}  // namespace shelfguard
