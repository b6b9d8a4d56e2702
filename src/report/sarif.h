// SARIF 2.1.0 (OASIS sarif-v2.1.0, schema ../shared/schemas/sarif-schema-2.1.0.json):
// one run, every catalogue rule as a reportingDescriptor, one result per
// finding. Field by field in docs/reports.md.
#ifndef SHELFGUARD_SRC_REPORT_SARIF_H_
#define SHELFGUARD_SRC_REPORT_SARIF_H_

#include <string>
#include <vector>

#include "report/report_entry.h"
#include "shelfguard/about.h"

namespace shelfguard::report {

struct SarifOptions {
  // tool.driver.informationUri: the documentation (shelfguard/about.h).
  std::string information_uri = kDocumentationUri;
  // Warnings of the run (e.g. unused or expired suppressions), reported as
  // toolConfigurationNotifications.
  std::vector<std::string> warnings;
  bool pretty = true;
};

// The SARIF log for `entries` (one run).
std::string ToSarif(const std::vector<ReportEntry>& entries, const SarifOptions& options);

// "error" (block, violation), "warning" (review), "note" (info).
const char* SarifLevel(Severity s);

}  // namespace shelfguard::report

#endif  // SHELFGUARD_SRC_REPORT_SARIF_H_
