// PLACEHOLDER: replaced by the policy engine and registry lookups.
#include "policy/assess.h"

namespace shelfguard {
namespace {
class FactsOnlyAssessor : public Assessor {
 public:
  Report Assess(Facts facts) const override {
    Report r;
    r.facts = std::move(facts);
    ComputeVerdict(&r);
    return r;
  }
  std::string registry_version() const override { return "none"; }
};
}  // namespace

Result<std::unique_ptr<Assessor>> Assessor::Create(const AssessOptions&) {
  return std::unique_ptr<Assessor>(new FactsOnlyAssessor());
}

}  // namespace shelfguard
