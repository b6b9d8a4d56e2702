// The rule catalogue (../shared/docs/rules.md) as code: one function per rule
// in one explicit list. Rules read only Facts and the filing-side inputs in
// RuleInput (never the package bytes, never the registry directly: the
// Assessor does the look-ups once and hands the results in), so every rule
// can be tested on synthetic facts and filings.
#ifndef SHELFGUARD_SRC_POLICY_RULES_H_
#define SHELFGUARD_SRC_POLICY_RULES_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/export.h"
#include "registry/filing.h"
#include "shelfguard/facts.h"
#include "shelfguard/report.h"

namespace shelfguard::policy {

struct RuleInput {
  const Facts* facts = nullptr;
  // The filing for this package: from the registry (looked up by package id)
  // or the self-check filing when it lists the package. nullptr: none.
  const Filing* filing = nullptr;
  // A filing source was given (registry or self-check filing): "no filing"
  // then means "unfiled" rather than "not checked".
  bool have_source = false;
  bool self_check = false;  // the source is a self-declared filing (--filing)
  // The provider's blacklist entry, when the registry has one.
  std::optional<BlacklistEntry> blacklist;
  // Displayed 教APP备 numbers (normalised) → the registry filing that owns
  // them, for the numbers the registry knows.
  std::map<std::string, Filing> number_owners;
  // When no filing was found: the registry records that carried this
  // package id but were rejected at load. The package is then not
  // "unfiled" (FILING-UNFILED) but its filing could not be checked
  // (FILING-RECORD-REJECTED).
  std::vector<RejectedRecord> rejected;
  std::string today;  // YYYY-MM-DD
};

// What a rule needs to run; without it the rule is skipped (no finding).
enum class Needs {
  kFacts,   // facts only: always runs on an analysed package
  kSource,  // a registry or self-check filing was given
  kFiling,  // a filing for this package was found
};

// Which facts a rule reads, to tell where it can be assessed at all.
enum class Reads {
  kPackage,  // the package's manifest / Info.plist, resources or identity
  kCode,     // code and SDK facts only: also assessable on a bare .dex (scope "code")
};

using RuleFn = void (*)(const RuleInput& in, std::vector<Finding>* out);

struct Rule {
  const char* id;
  Severity severity;
  Needs needs;
  bool runs_unanalysed;  // also runs when facts.analysed is false
  const char* basis;
  RuleFn fn;
  Reads reads = Reads::kPackage;
};

// The explicit, ordered rule list.
const std::vector<Rule>& RuleList();

// What a rule checks, in words, for reports (SARIF rule descriptors, HTML,
// spreadsheets): a short title and a full description, in English and
// Chinese (rule_text.cc; ../shared/docs/rules.md). Every id of RuleList()
// has one (tested).
struct RuleText {
  const char* id;
  const char* title_en;
  const char* title_zh;
  const char* check_en;
  const char* check_zh;
};
const std::vector<RuleText>& RuleTexts();
// nullptr for an unknown id (e.g. SCAN-MANIFEST-ONLY is not a rule).
const RuleText* FindRuleText(std::string_view id);

// Runs every applicable rule; findings are sorted (SortFindings). The rules
// that could not be assessed, and why, are appended to `not_assessed` when
// given (facts.scope, no registry, no filing, package not analysed).
std::vector<Finding> RunRules(const RuleInput& in,
                              std::vector<NotAssessed>* not_assessed = nullptr);

// Severity descending, then rule id, then first evidence value (stable).
void SortFindings(std::vector<Finding>* findings);

// Whether a blacklisting is in force on `today` (FILING-PROVIDER-BANNED and
// `registry show`): from `since` to `until`, by default six months (day
// clamped); unreadable dates count as in force.
struct BanStatus {
  static constexpr const char* kInForce = "in-force";
  static constexpr const char* kExpired = "expired";
  static constexpr const char* kNotYet = "not-yet-in-force";
  const char* state = kInForce;
  std::string until;  // the end date used (explicit or since + 6 months), "" if unknown
};
BanStatus BlacklistStatus(const BlacklistEntry& b, std::string_view today);

// Date helpers (proleptic Gregorian, YYYY-MM-DD).
bool IsIsoDate(std::string_view s);
// `date` plus `months`, the day clamped to the month's length; nullopt when
// `date` is not a valid date.
std::optional<std::string> AddMonths(std::string_view date, int months);

}  // namespace shelfguard::policy

#endif  // SHELFGUARD_SRC_POLICY_RULES_H_
