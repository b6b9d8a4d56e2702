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

struct Finding {
  std::string rule_id;     // e.g. CONTENT-AD-SDK
  Severity severity = Severity::kInfo;
  std::string message_en;
  std::string message_zh;
  std::vector<Evidence> evidence;  // file/class/symbol/string/registry field
  std::string basis;               // clause it rests on
};

struct Report {
  Facts facts;
  std::vector<Finding> findings;
  // Worst finding severity; "error" is printed when !facts.analysed.
  Severity verdict = Severity::kPass;
};

void ComputeVerdict(Report* report);

// JSON object for one report (docs/report-format.md).
std::string ReportToJson(const Report& report, bool pretty = false);
// Human-readable text for a terminal.
std::string ReportToText(const Report& report, bool color);

}  // namespace shelfguard

#endif  // SHELFGUARD_REPORT_H_
