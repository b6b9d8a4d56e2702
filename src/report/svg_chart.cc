// Bar and column charts as inline SVG 1.1, drawn from counts: no library,
// no script, nothing fetched. Text is escaped; sizes are computed from the
// number of items, which the callers cap.
#include <algorithm>
#include <cstdio>

#include "report/html.h"

namespace shelfguard::report {
namespace {

constexpr int kBarHeight = 18, kBarGap = 6, kLabelWidth = 260, kPlotWidth = 380, kCountWidth = 70;
constexpr size_t kMaxLabelBytes = 48;

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Shortens a label for drawing (the table below the chart has it whole).
std::string ShortLabel(const std::string& s) {
  if (s.size() <= kMaxLabelBytes) return s;
  size_t n = kMaxLabelBytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "…";
}

int64_t MaxCount(const std::vector<Bar>& bars) {
  int64_t m = 1;
  for (const auto& b : bars) m = std::max(m, b.count);
  return m;
}

// The <svg> element's start (its class, size and number of bars, the title
// as tooltip) and the title drawn above the plot.
std::string SvgOpen(const char* chart_class, int width, int height, size_t bars, const std::string& title) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart " + std::string(chart_class) +
         "\" role=\"img\" width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) +
         "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) + "\" data-bars=\"" +
         std::to_string(bars) + "\"><title>" + HtmlEscape(title) + "</title>" +
         "<text x=\"0\" y=\"16\" class=\"chart-title\">" + HtmlEscape(title) + "</text>";
}

}  // namespace

std::string BarChartSvg(const std::string& title, const std::vector<Bar>& bars) {
  const int width = kLabelWidth + kPlotWidth + kCountWidth;
  const int height = 28 + static_cast<int>(std::max<size_t>(bars.size(), 1)) * (kBarHeight + kBarGap);
  const double max = static_cast<double>(MaxCount(bars));
  std::string s = SvgOpen("bar-chart", width, height, bars.size(), title);
  if (bars.empty()) s += "<text x=\"0\" y=\"40\" class=\"chart-empty\">无数据 no data</text>";
  int y = 28;
  for (const auto& b : bars) {
    double w = b.count <= 0 ? 0 : std::max(1.0, kPlotWidth * static_cast<double>(b.count) / max);
    s += "<text x=\"" + std::to_string(kLabelWidth - 6) + "\" y=\"" + std::to_string(y + 13) +
         "\" text-anchor=\"end\" class=\"bar-label\">" + HtmlEscape(ShortLabel(b.label)) + "</text>";
    s += "<rect class=\"bar\" x=\"" + std::to_string(kLabelWidth) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
         Num(w) + "\" height=\"" + std::to_string(kBarHeight) + "\" data-label=\"" + HtmlEscape(b.label) +
         "\" data-count=\"" + std::to_string(b.count) + "\"><title>" + HtmlEscape(b.label) + ": " +
         std::to_string(b.count) + "</title></rect>";
    s += "<text x=\"" + Num(kLabelWidth + w + 4) + "\" y=\"" + std::to_string(y + 13) + "\" class=\"bar-count\">" +
         std::to_string(b.count) + "</text>";
    y += kBarHeight + kBarGap;
  }
  return s + "</svg>";
}

std::string ColumnChartSvg(const std::string& title, const std::vector<Bar>& columns) {
  constexpr int kPlotHeight = 160, kLeft = 40, kBottom = 36;
  const int n = static_cast<int>(std::max<size_t>(columns.size(), 1));
  const int col = std::clamp(600 / n, 3, 40);
  const int width = kLeft + n * col + 20, height = 28 + kPlotHeight + kBottom;
  const double max = static_cast<double>(MaxCount(columns));
  std::string s = SvgOpen("column-chart", width, height, columns.size(), title);
  const int base = 28 + kPlotHeight;
  s += "<line x1=\"" + std::to_string(kLeft) + "\" y1=\"" + std::to_string(base) + "\" x2=\"" +
       std::to_string(width - 10) + "\" y2=\"" + std::to_string(base) + "\" class=\"axis\"/>";
  s += "<text x=\"" + std::to_string(kLeft - 4) + "\" y=\"34\" text-anchor=\"end\" class=\"bar-count\">" +
       std::to_string(static_cast<int64_t>(max)) + "</text>";
  if (columns.empty()) s += "<text x=\"" + std::to_string(kLeft) + "\" y=\"60\" class=\"chart-empty\">无数据 no data</text>";
  // About eight date labels at most, so they do not overlap.
  const int label_every = std::max(1, n / 8);
  for (int i = 0; i < static_cast<int>(columns.size()); ++i) {
    const Bar& b = columns[static_cast<size_t>(i)];
    double h = b.count <= 0 ? 0 : std::max(1.0, kPlotHeight * static_cast<double>(b.count) / max);
    int x = kLeft + i * col;
    s += "<rect class=\"bar\" x=\"" + std::to_string(x + 1) + "\" y=\"" + Num(base - h) + "\" width=\"" +
         std::to_string(std::max(1, col - 2)) + "\" height=\"" + Num(h) + "\" data-label=\"" + HtmlEscape(b.label) +
         "\" data-count=\"" + std::to_string(b.count) + "\"><title>" + HtmlEscape(b.label) + ": " +
         std::to_string(b.count) + "</title></rect>";
    if (i % label_every == 0) {
      s += "<text x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(base + 14) + "\" class=\"bar-label\">" +
           HtmlEscape(b.label.size() > 5 ? b.label.substr(5) : b.label) + "</text>";
    }
  }
  return s + "</svg>";
}

}  // namespace shelfguard::report
