// Severity names (include/shelfguard/report.h) in a file of their own: the
// daemon client program `shelfguard` (src/cli/main_client.cc) reads them
// through the daemon's config reader and links this object alone from the
// engine's library, without the report writer and what it calls.
#include "shelfguard/report.h"

namespace shelfguard {

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kPass: return "pass";
    case Severity::kInfo: return "info";
    case Severity::kReview: return "review";
    case Severity::kViolation: return "violation";
    case Severity::kBlock: return "block";
  }
  return "pass";
}

std::optional<Severity> ParseSeverity(std::string_view s) {
  for (Severity v : {Severity::kPass, Severity::kInfo, Severity::kReview, Severity::kViolation,
                     Severity::kBlock}) {
    if (s == SeverityName(v)) return v;
  }
  if (s == "none" || s == "never") return Severity::kPass;
  return std::nullopt;
}

}  // namespace shelfguard
