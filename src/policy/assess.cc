// The Assessor: opens the filing source once (a registry database/export, or
// a self-check filing), then for each package looks up what the rules need
// (the package's filing, the provider's blacklist entry, the owners of the
// numbers the app displays) and runs the rule list (rules.cc).
//
// Without any source only the facts-only rules run (see docs/policy.md).
#include "policy/assess.h"

#include <ctime>
#include <optional>

#include "core/time_text.h"
#include "ids/identifiers.h"
#include "policy/rules.h"
#include "registry/registry.h"

namespace shelfguard {
namespace {

constexpr size_t kMaxOwnerLookups = 16;  // displayed numbers looked up per package

bool ListsPackage(const Filing& f, Platform p, const std::string& id) {
  auto has = [&](const std::vector<std::string>& v) {
    for (const auto& x : v)
      if (x == id) return true;
    return false;
  };
  switch (p) {
    case Platform::kAndroid: return has(f.android_packages);
    case Platform::kIos: return has(f.ios_bundle_ids);
    // A HAP's bundle name and a mini-program's appid are matched against
    // their own lists only: an Android package of the same spelling is a
    // different app for the filing (issue 17).
    case Platform::kHarmony: return has(f.harmony_bundle_names);
    case Platform::kMiniProgram: return has(f.mini_program_appids);
    default: return has(f.android_packages) || has(f.ios_bundle_ids);
  }
}

class PolicyAssessor : public Assessor {
 public:
  PolicyAssessor(std::unique_ptr<Registry> registry, std::optional<Filing> self_filing,
                 std::string today)
      : registry_(std::move(registry)), self_filing_(std::move(self_filing)),
        today_(std::move(today)) {}

  Report Assess(Facts facts) const override {
    Report report;
    report.facts = std::move(facts);
    const Facts& f = report.facts;
    report.tool_version = SHELFGUARD_VERSION;
    report.signatures_version = f.signatures_version;
    report.registry_version = registry_version();
    report.scanned_at = UtcNow();
    if (f.analysed && f.scope == "manifest") {
      for (const policy::Rule& r : policy::RuleList()) report.not_assessed.push_back({r.id, "scope"});
      // Most rules need code, SDK or displayed-number facts that a
      // manifest-only scan does not gather: none is assessed, and the
      // report says so instead of passing the package.
      Finding n;
      n.rule_id = "SCAN-MANIFEST-ONLY";
      n.severity = Severity::kInfo;
      n.message_en = "manifest-only scan: identity, permissions and components were read; no rule "
                     "was assessed (run a full scan for a verdict)";
      n.message_zh = "仅扫描清单：已读取身份、权限和组件，未评估任何规则（完整扫描才有结论）";
      n.basis = "— (scope of the scan)";
      report.findings.push_back(std::move(n));
      ComputeVerdict(&report);
      return report;
    }

    policy::RuleInput in;
    in.facts = &f;
    in.have_source = registry_ != nullptr || self_filing_.has_value();
    in.self_check = self_filing_.has_value();
    in.today = today_.empty() ? LocalDate() : today_;

    std::optional<Filing> filing;
    if (f.analysed && !f.package.id.empty()) {
      if (self_filing_) {
        if (ListsPackage(*self_filing_, f.package.platform, f.package.id)) filing = *self_filing_;
      } else if (registry_ != nullptr) {
        Platform p = f.package.platform;
        filing = registry_->FindByPackage(p, f.package.id);
        if (!filing) in.rejected = registry_->FindRejected(p, f.package.id);
      }
    }
    if (filing) {
      in.filing = &*filing;
      report.filing = FilingRecord{self_filing_ ? "self-check" : "registry",
                                   filing->filing_number,       filing->app_name,
                                   filing->provider.name,       filing->provider.credit_code,
                                   filing->status,              filing->category,
                                   filing->version};
    }

    if (registry_ != nullptr && f.analysed) {
      if (filing && !filing->provider.credit_code.empty())
        in.blacklist = registry_->FindBlacklist(filing->provider.credit_code);
      size_t lookups = 0;
      for (const auto& n : f.displayed_numbers) {
        if (n.kind != "moe-filing") continue;
        std::string key = ids::NormalizeNumber(n.text);
        if (in.number_owners.count(key) > 0) continue;
        if (lookups++ >= kMaxOwnerLookups) break;
        if (auto owner = registry_->FindByFilingNumber(key)) in.number_owners.emplace(key, *owner);
      }
    }

    report.findings = policy::RunRules(in, &report.not_assessed);
    ComputeVerdict(&report);
    return report;
  }

  std::string registry_version() const override {
    std::string v;
    if (registry_ != nullptr) v = registry_->version();
    if (self_filing_) {
      if (!v.empty()) v += "+";
      v += "filing:" + (self_filing_->filing_number.empty() ? std::string("(no number)")
                                                            : self_filing_->filing_number);
    }
    return v.empty() ? "none" : v;
  }

  const RegistryLoadReport* registry_load_report() const override {
    return registry_ != nullptr ? &registry_->load_report() : nullptr;
  }

 private:
  // Immutable after construction; Registry look-ups are thread-safe (the
  // registry serialises its SQLite statements itself).
  std::unique_ptr<Registry> registry_;
  std::optional<Filing> self_filing_;
  std::string today_;
};

}  // namespace

Result<std::unique_ptr<Assessor>> Assessor::Create(const AssessOptions& options) {
  if (!options.today.empty() && !policy::IsIsoDate(options.today)) {
    return Status::Invalid("today must be a date YYYY-MM-DD, not '" + options.today + "'");
  }
  std::unique_ptr<Registry> registry;
  if (!options.registry_path.empty()) {
    RegistryOpenOptions ro;
    ro.strict = options.registry_strict;
    auto r = Registry::Open(options.registry_path, ro);
    if (!r.ok()) return r.status();
    registry = std::move(r).value();
  }
  std::optional<Filing> filing;
  if (!options.filing_path.empty()) {
    auto f = LoadFilingJson(options.filing_path);
    if (!f.ok()) return f.status();
    filing = std::move(f).value();
  }
  return std::unique_ptr<Assessor>(
      new PolicyAssessor(std::move(registry), std::move(filing), options.today));
}

}  // namespace shelfguard
