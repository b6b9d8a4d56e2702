// PLACEHOLDER: replaced by the real Asset analyzer.
#include "assets/asset_analyzer.h"

namespace shelfguard {
namespace {
class AssetAnalyzer : public Analyzer {
 public:
  const char* name() const override { return "assets"; }
  void Analyze(ScanContext*) override {}
};
}  // namespace
std::unique_ptr<Analyzer> NewAssetAnalyzer() { return std::make_unique<AssetAnalyzer>(); }
}  // namespace shelfguard
