// The report objects every output format is rendered from. A report is first
// written as JSON by ReportToJson (include/shelfguard/report.h) and read back
// here, so SARIF, CSV/XLSX, HTML and the sweep (which reads the JSON the
// daemon stored) all see exactly what the JSON says: one source of truth,
// strings already valid UTF-8.
#ifndef SHELFGUARD_SRC_REPORT_REPORT_ENTRY_H_
#define SHELFGUARD_SRC_REPORT_REPORT_ENTRY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/report.h"
#include "shelfguard/status.h"

namespace shelfguard::report {

// One package's report plus where and when it was produced.
struct ReportEntry {
  Report report;
  std::string source;              // "cli", or the daemon job's source: feed:<name>, dir:<name>, spool, submit
  std::string scanned_at;          // ISO 8601 UTC: 2026-11-30T16:20:05Z
  std::string signatures_version;  // SDK signature database version
  std::string registry_version;    // filing registry version ("none" without one)
};

// Largest report JSON accepted (a daemon row or a CLI report).
inline constexpr size_t kMaxReportJsonBytes = 64u << 20;

// Reads a report written by ReportToJson. `light` skips what only the
// one-package page shows (components, code units, iOS details, anomalies,
// SDK evidence), for sweeps over many stored results. Unknown keys are
// ignored; a key of the wrong type is an error naming the key.
Result<Report> ReportFromJson(std::string_view text, bool light = false);

// "2026-11-30T16:20:05Z" for milliseconds since the epoch (UTC).
std::string IsoTime(int64_t epoch_ms);
// The current time as IsoTime.
std::string NowIso();

// The findings that count toward a notice list: violation or block.
bool IsViolation(const Finding& f);
// A short one-line summary of a finding's evidence (first items, "+N more").
std::string EvidenceSummary(const Finding& f, size_t max_items = 3);
// The verdict as printed: severity name, or "error" when not analysed.
std::string VerdictName(const Report& r);

}  // namespace shelfguard::report

#endif  // SHELFGUARD_SRC_REPORT_REPORT_ENTRY_H_
