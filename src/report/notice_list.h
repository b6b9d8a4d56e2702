// Notice lists (通报名单): one row per violation (a finding of severity
// violation or block) as CSV (RFC 4180, UTF-8) or XLSX (libxlsxwriter: a
// header row, frozen panes, auto-filter, column widths, and a second sheet
// summarising by rule and by provider). Columns in docs/reports.md.
#ifndef SHELFGUARD_SRC_REPORT_NOTICE_LIST_H_
#define SHELFGUARD_SRC_REPORT_NOTICE_LIST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "report/report_entry.h"
#include "shelfguard/status.h"

namespace shelfguard::report {

struct NoticeColumn {
  const char* key;     // machine name, e.g. credit_code
  const char* header;  // header cell: Chinese and English
  double width;        // XLSX column width (characters)
};
const std::vector<NoticeColumn>& NoticeColumns();

// The rows (one cell per NoticeColumns() entry) for every violation of
// every entry, in entry then finding order; suppressed ones included and
// marked in the `suppressed` column.
std::vector<std::vector<std::string>> NoticeRows(const std::vector<ReportEntry>& entries);

// One line of a summary table: a rule or a provider and its counts.
struct CountRow {
  std::string key;    // rule id / credit code (or provider name when it has none)
  std::string label;  // rule title (zh) / provider name
  int64_t violations = 0;  // violations not suppressed
  int64_t apps = 0;        // distinct apps with at least one
};
// Counts over the violations that are not suppressed, most first.
std::vector<CountRow> CountByRule(const std::vector<ReportEntry>& entries);
std::vector<CountRow> CountByProvider(const std::vector<ReportEntry>& entries);
// The provider shown for a report: filing provider name, else "(unfiled)".
std::string ProviderKey(const Report& r);
std::string ProviderName(const Report& r);
// The app a report is about: package id, else the sha256.
std::string AppKey(const Report& r);

// RFC 4180: CRLF records, fields quoted when they hold a comma, quote, CR or
// LF. Starts with a UTF-8 byte order mark so spreadsheet programs read the
// Chinese text as UTF-8. A cell starting with = + - @ is prefixed with '
// so a spreadsheet does not run it as a formula (the text comes from
// packages, i.e. from whoever made them).
std::string ToCsv(const std::vector<ReportEntry>& entries);
std::string CsvField(const std::string& s);

// A titled table (summary sheets, the tables behind the sweep's charts).
struct Table {
  std::string title;
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
};
// The by-rule and by-provider summaries as tables.
std::vector<Table> SummaryTables(const std::vector<ReportEntry>& entries);

// Writes the workbook to `path`: the notice sheet, then a summary sheet
// holding SummaryTables() and `extra` one under the other. An error names
// the path and libxlsxwriter's reason.
Status WriteXlsx(const std::vector<ReportEntry>& entries, const std::string& path,
                 const std::vector<Table>& extra = {});

}  // namespace shelfguard::report

#endif  // SHELFGUARD_SRC_REPORT_NOTICE_LIST_H_
