// PLACEHOLDER: replaced by the real Dex analyzer.
#include "dex/dex_analyzer.h"

namespace shelfguard {
namespace {
class DexAnalyzer : public Analyzer {
 public:
  const char* name() const override { return "dex"; }
  void Analyze(ScanContext*) override {}
};
}  // namespace
std::unique_ptr<Analyzer> NewDexAnalyzer() { return std::make_unique<DexAnalyzer>(); }
}  // namespace shelfguard
