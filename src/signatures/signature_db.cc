// PLACEHOLDER: replaced by the signature database implementation.
#include "signatures/signature_db.h"

#include <cstdlib>

namespace shelfguard {
namespace {
class NullSink : public EvidenceSink {
 public:
  void OnTable(EvidenceKind, std::string_view, const std::vector<std::string_view>&,
               const std::vector<bool>*) override {}
  void Finish(Facts*) override {}
};
class NullFactory : public EvidenceSinkFactory {
 public:
  std::unique_ptr<EvidenceSink> NewSink() const override { return std::make_unique<NullSink>(); }
  std::string version() const override { return "none"; }
};
}  // namespace

std::string DefaultSignaturesDir() {
  const char* env = std::getenv("SHELFGUARD_SIGNATURES");
  if (env != nullptr && *env != '\0') return env;
  return SHELFGUARD_SOURCE_DIR "/signatures";
}

Result<std::unique_ptr<EvidenceSinkFactory>> LoadSignatures(const std::string&) {
  return std::unique_ptr<EvidenceSinkFactory>(new NullFactory());
}

}  // namespace shelfguard
