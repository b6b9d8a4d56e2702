// What the rule files of src/policy share: the helpers that build findings
// and read facts, and the rule functions RuleList() names. Internal to
// src/policy (rules.h is the module's interface):
//   rules.cc          helpers, the rule list, RunRules, dates
//   rules_filing.cc   FILING-*: the filing and the displayed numbers
//   rules_checks.cc   PRIV-*, CONTENT-*, CATEGORY-*, SEC-*
#ifndef SHELFGUARD_POLICY_RULES_INTERNAL_H_
#define SHELFGUARD_POLICY_RULES_INTERNAL_H_

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ids/identifiers.h"
#include "policy/rules.h"

namespace shelfguard::policy::internal {

inline constexpr size_t kMaxEvidence = 20;  // per finding
inline constexpr size_t kMaxEvidencePerSdk = 3;

const Rule* FindRule(std::string_view id);
// A finding pre-filled with the rule's id, severity and basis.
Finding Make(std::string_view id, std::string en, std::string zh);
void AddEvidence(Finding* f, Evidence e);
Evidence RegistryField(const Filing* filing, std::string_view field, std::string value);
std::string Join(const std::vector<std::string>& v, std::string_view sep, size_t max = 8);
bool Contains(const std::vector<std::string>& v, std::string_view s);
std::string Lower(std::string_view s);
inline bool IsAndroid(const Facts& f) { return f.package.platform == Platform::kAndroid; }
// SDK hits of a category that are more than weak (string-only) evidence.
std::vector<const SdkHit*> SdksOf(const Facts& f, std::initializer_list<std::string_view> cats);
std::string SdkNames(const std::vector<const SdkHit*>& sdks);
void AddSdkEvidence(Finding* f, const std::vector<const SdkHit*>& sdks);
// The text of a message around the SDK names: before + names + after.
struct AroundNames {
  const char* before;
  const char* after;
};
// An SDK-presence rule's finding: `id` citing every SDK of `cats` (more than
// weak evidence), its messages built around their names; nullopt when the
// facts hold none.
std::optional<Finding> SdkPresenceFinding(const RuleInput& in, std::string_view id,
                                          std::initializer_list<std::string_view> cats, AroundNames en,
                                          AroundNames zh);
// Android "dangerous" (runtime) permissions, for analyzers that did not set
// Permission::dangerous (AOSP core/res/AndroidManifest.xml protectionLevel).
bool IsDangerousName(std::string_view n);
inline bool IsDangerous(const Permission& p) { return p.dangerous || IsDangerousName(p.name); }
// The file that declares `p`: its own location, else the Android manifest.
inline std::string PermissionLocation(const Permission& p) {
  return p.location.empty() ? std::string("AndroidManifest.xml") : p.location;
}
bool CollectsPersonalData(const RuleInput& in);
inline std::string Norm(std::string_view s) { return ids::NormalizeNumber(s); }
// Numeric-aware version comparison ("1.10.0" > "1.9"): <0, 0, >0.
int CompareVersions(std::string_view a, std::string_view b);

// The rules (one function each; rules.md names them by id).
void FilingUnfiled(const RuleInput& in, std::vector<Finding>* out);
void FilingRecordRejected(const RuleInput& in, std::vector<Finding>* out);
void FilingRevoked(const RuleInput& in, std::vector<Finding>* out);
void FilingProviderBanned(const RuleInput& in, std::vector<Finding>* out);
void FilingNotDisplayed(const RuleInput& in, std::vector<Finding>* out);
void FilingMismatch(const RuleInput& in, std::vector<Finding>* out);
void FilingMalformed(const RuleInput& in, std::vector<Finding>* out);
void FilingIcpMissing(const RuleInput& in, std::vector<Finding>* out);
void FilingMlpsMissing(const RuleInput& in, std::vector<Finding>* out);
void FilingStale(const RuleInput& in, std::vector<Finding>* out);
void PrivUndisclosedPermission(const RuleInput& in, std::vector<Finding>* out);
void PrivUnnecessary(const RuleInput& in, std::vector<Finding>* out);
void PrivBiometric(const RuleInput& in, std::vector<Finding>* out);
void PrivTrackingSdk(const RuleInput& in, std::vector<Finding>* out);
void ContentAdSdk(const RuleInput& in, std::vector<Finding>* out);
void ContentGame(const RuleInput& in, std::vector<Finding>* out);
void ContentPaymentRequiredUse(const RuleInput& in, std::vector<Finding>* out);
void ContentPhotoSearch(const RuleInput& in, std::vector<Finding>* out);
void ContentLiveSubject(const RuleInput& in, std::vector<Finding>* out);
void CategoryPreschool(const RuleInput& in, std::vector<Finding>* out);
void CategorySubjectUnlicensed(const RuleInput& in, std::vector<Finding>* out);
void SecDebuggable(const RuleInput& in, std::vector<Finding>* out);
void SecCleartext(const RuleInput& in, std::vector<Finding>* out);
void SecAllowBackup(const RuleInput& in, std::vector<Finding>* out);
void SecExported(const RuleInput& in, std::vector<Finding>* out);
void SecPacked(const RuleInput& in, std::vector<Finding>* out);
void SecMalformed(const RuleInput& in, std::vector<Finding>* out);

}  // namespace shelfguard::policy::internal

#endif  // SHELFGUARD_POLICY_RULES_INTERNAL_H_
