// Self-contained HTML: one file with its styles inline, no scripts, no
// fonts, images or anything else fetched (a Content-Security-Policy of
// default-src 'none' says so to the browser too), readable offline and in
// print, Chinese and English side by side. Layout in docs/reports.md.
#ifndef SHELFGUARD_SRC_REPORT_HTML_H_
#define SHELFGUARD_SRC_REPORT_HTML_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "report/notice_list.h"
#include "report/report_entry.h"

namespace shelfguard::report {

// The page for one package (or several, one section each, verdict first).
std::string PackageHtml(const std::vector<ReportEntry>& entries, const std::vector<std::string>& warnings = {});

// Building blocks shared with the sweep page.
std::string HtmlEscape(std::string_view s);
std::string HtmlPageStart(const std::string& title);
std::string HtmlPageEnd();
std::string HtmlTable(const Table& t, size_t max_rows = 1000);

// Inline SVG charts drawn here. Every bar is a <rect class="bar"
// data-label=... data-count=...>, so what is drawn can be checked.
struct Bar {
  std::string label;
  int64_t count = 0;
};
// Horizontal bars, one per item (labels left, counts right).
std::string BarChartSvg(const std::string& title, const std::vector<Bar>& bars);
// Vertical columns over time (one per day, labels under some of them).
std::string ColumnChartSvg(const std::string& title, const std::vector<Bar>& columns);

}  // namespace shelfguard::report

#endif  // SHELFGUARD_SRC_REPORT_HTML_H_
