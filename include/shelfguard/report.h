// Findings, the verdict, and the report object printed per package.
#ifndef SHELFGUARD_REPORT_H_
#define SHELFGUARD_REPORT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/facts.h"

namespace shelfguard {

// Ordered from least to most severe; kPass means no finding.
enum class Severity { kPass = 0, kInfo, kReview, kViolation, kBlock };
const char* SeverityName(Severity s);
std::optional<Severity> ParseSeverity(std::string_view s);

// A reviewer's acceptance of a finding for a while (scan --suppressions):
// the finding stays in every report, marked, but no longer counts toward the
// verdict or the exit code.
struct Suppression {
  std::string reason;
  std::string author;
  std::string expires;  // YYYY-MM-DD
  std::string entry;    // which entry of which file, e.g. "suppress.toml:[[suppress]] #2"
};

struct Finding {
  std::string rule_id;     // e.g. CONTENT-AD-SDK
  Severity severity = Severity::kInfo;
  std::string message_en;
  std::string message_zh;
  std::vector<Evidence> evidence;  // file/class/symbol/string/registry field
  std::string basis;               // clause it rests on
  std::optional<Suppression> suppression;  // set when a suppression entry matched
};

// The filing registry's record for the package, as the assessment found it
// (registry look-up by package id, or the self-check filing).
struct FilingRecord {
  std::string source;          // "registry" | "self-check"
  std::string filing_number;   // 教APP备...号
  std::string app_name;
  std::string provider_name;
  std::string credit_code;     // provider's unified social credit code
  std::string status;          // active | grey | suspended | revoked | black
  std::string category;        // subject | non-subject | management | other
  std::string version;         // latest filed version name
};

// A rule that was not assessed for a package, and why: the report says so
// rather than letting a missing finding read as a pass.
struct NotAssessed {
  std::string rule_id;
  // "scope": the input cannot hold the rule's facts (a bare .dex has no
  // manifest or resources; a manifest-only scan reads no code);
  // "no-registry": no registry and no self-check filing was given;
  // "no-filing": the registry has no filing for the package (FILING-UNFILED
  // or FILING-RECORD-REJECTED says why).
  std::string reason;
};

struct Report {
  Facts facts;
  std::vector<Finding> findings;
  std::vector<NotAssessed> not_assessed;  // in rule-list order
  // Provenance (set by the Assessor): tool, signature and registry versions,
  // and when the assessment was made (ISO 8601 UTC, e.g. 2026-11-30T16:21:49Z).
  std::string tool_version;
  std::string signatures_version;
  std::string registry_version;  // "none" without a registry or filing
  std::string scanned_at;
  std::optional<FilingRecord> filing;  // none: no source, or no filing for the package
  // Worst severity of the findings that are not suppressed; "error" is printed when !facts.analysed.
  Severity verdict = Severity::kPass;
};

void ComputeVerdict(Report* report);

// JSON object for one report (docs/report-format.md).
std::string ReportToJson(const Report& report, bool pretty = false);
// Human-readable text for a terminal.
std::string ReportToText(const Report& report, bool color);

}  // namespace shelfguard

#endif  // SHELFGUARD_REPORT_H_
