// PLACEHOLDER: replaced by the real Elf analyzer.
#include "elf/elf_analyzer.h"

namespace shelfguard {
namespace {
class ElfAnalyzer : public Analyzer {
 public:
  const char* name() const override { return "elf"; }
  void Analyze(ScanContext*) override {}
};
}  // namespace
std::unique_ptr<Analyzer> NewElfAnalyzer() { return std::make_unique<ElfAnalyzer>(); }
}  // namespace shelfguard
