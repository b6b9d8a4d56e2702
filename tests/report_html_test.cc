// The package page and the sweep page as a person sees them: rendered by
// headless Chromium (screenshot: not blank; dumped DOM: the verdict, rule
// ids, package ids, the charts with the expected bars, nothing fetched from
// outside). Four Chromium starts in all.
#include <gtest/gtest.h>

#include "report/html.h"
#include "report/notice_list.h"
#include "report/sweep.h"
#include "report_support.h"

namespace shelfguard {
namespace {

using json = nlohmann::json;
using namespace testing;

// Screenshot and DOM of `html_path` as Chromium renders it.
struct Rendered {
  json png, dom;
};

Rendered Render(const TempDir& dir, const std::string& html_path, const std::string& name) {
  Rendered r;
  std::string out;
  std::string url = "file://" + html_path;
  std::string png = dir / (name + ".png");
  int rc = Run(Chromium(dir, name + "-shot") + "--hide-scrollbars --window-size=900,1100 --screenshot=" +
                   ShellQuote(png) + " " + ShellQuote(url) + " 2>/dev/null",
               &out);
  EXPECT_EQ(rc, 0);
  r.png = Check("png " + ShellQuote(png));
  std::string dom;
  rc = Run(Chromium(dir, name + "-dom") + "--dump-dom " + ShellQuote(url) + " 2>/dev/null", &dom);
  EXPECT_EQ(rc, 0);
  WriteText(dir / (name + ".dom.html"), dom);
  r.dom = Check("dom " + ShellQuote(dir / (name + ".dom.html")));
  return r;
}

void ExpectNotBlankAndLocal(const Rendered& r) {
  EXPECT_GT(r.png["other_pixels"].get<int64_t>(), 20000) << r.png.dump();  // text, tables, badges
  EXPECT_GT(r.png["colours"].get<int64_t>(), 8);
  EXPECT_EQ(r.dom["remote_urls"], json::array()) << r.dom["remote_urls"].dump();
  EXPECT_EQ(r.dom["scripts"], 0);
}

TEST(ReportHtml, PackagePageRendersVerdictFindingsAndIds) {
  std::vector<std::string> paths = {SamplePackage("full.apk"), SamplePackage("banned.apk")};
  if (!CorpusDir().empty()) paths.push_back(CorpusDir() + "/apk/togetherad__app-release.apk");
  auto entries = ScanEntries(paths);
  ASSERT_EQ(entries.size(), paths.size());
  TempDir dir;
  std::string html = report::PackageHtml(entries, {"suppress.toml: [[suppress]] #1 matched no finding"});
  // Self-contained: no external resource of any kind in the file itself.
  for (const char* bad : {"<script", "<link", "<img", "@import", "src=\"http", "href=\"http"}) {
    EXPECT_EQ(html.find(bad), std::string::npos) << bad;
  }
  WriteText(dir / "package.html", html);
  Rendered r = Render(dir, dir / "package.html", "package");
  ExpectNotBlankAndLocal(r);
  std::string text = r.dom["text"];
  for (const auto& e : entries) {
    EXPECT_NE(text.find(e.report.facts.package.id), std::string::npos) << e.report.facts.package.id;
    EXPECT_NE(text.find(report::VerdictName(e.report)), std::string::npos);
    for (const auto& f : e.report.findings) EXPECT_NE(text.find(f.rule_id), std::string::npos) << f.rule_id;
    if (e.report.filing) EXPECT_NE(text.find(e.report.filing->credit_code), std::string::npos);
  }
  for (const char* heading : {"结论 Verdict", "发现 Findings", "身份 Identity", "权限 Permissions", "备案记录 Registry record",
                              "版本 Versions", "展示的编号 Displayed numbers"}) {
    EXPECT_NE(text.find(heading), std::string::npos) << heading;
  }
  // The verdict comes before the findings.
  EXPECT_LT(text.find("结论 Verdict"), text.find("发现 Findings"));
}

TEST(ReportHtml, SweepPageDrawsEveryChartWithTheStoredCounts) {
  auto entries = ScanEntries({SamplePackage("full.apk"), SamplePackage("unfiled.apk"), SamplePackage("banned.apk")});
  ASSERT_EQ(entries.size(), 3u);
  TempDir dir;
  WriteDaemonState(dir / "queue.db", {{"feed:alpha", "2026-10-01", 0, entries[0], ""},
                                      {"feed:alpha", "2026-10-01", 1, entries[1], ""},
                                      {"dir:beta", "2026-10-03", 0, entries[2], ""},
                                      {"dir:beta", "2026-10-04", 0, entries[0], ""}});
  report::SweepOptions o;
  o.state_dir = dir.path();
  auto sweep = report::LoadSweep(o);
  ASSERT_TRUE(sweep.ok()) << sweep.status().ToString();
  WriteText(dir / "sweep.html", report::SweepHtml(*sweep));
  Rendered r = Render(dir, dir / "sweep.html", "sweep");
  ExpectNotBlankAndLocal(r);
  std::string text = r.dom["text"];
  EXPECT_NE(text.find("读取结果数 Results read"), std::string::npos);
  // Apps with violations are named (top apps, new violations).
  for (const auto& e : sweep->latest) {
    if (CountViolations({e}) > 0) EXPECT_NE(text.find(e.report.facts.package.id), std::string::npos);
  }

  // Charts in page order: verdict, rule, provider, source, day.
  ASSERT_EQ(r.dom["charts"].size(), 5u);
  auto bars = [&](size_t i) {
    std::map<std::string, int64_t> m;
    for (const auto& b : r.dom["charts"][i]["bars"]) m[b[0].get<std::string>()] = b[1].get<int64_t>();
    return m;
  };
  std::map<std::string, int64_t> want_rule;
  for (const auto& row : report::CountByRule(sweep->latest)) want_rule[row.key] = row.violations;
  EXPECT_FALSE(want_rule.empty());
  EXPECT_EQ(bars(1), want_rule);
  for (const auto& [rule, n] : want_rule) EXPECT_NE(text.find(rule), std::string::npos);  // table behind it
  std::map<std::string, int64_t> want_source;
  for (const auto& row : report::CountBySource(*sweep)) want_source[row.key] = row.violations;
  EXPECT_EQ(bars(3), want_source);
  // Per day: 2026-10-01 .. 2026-10-04, the empty 10-02 drawn as zero.
  auto days = bars(4);
  ASSERT_EQ(days.size(), 4u);
  EXPECT_EQ(days["2026-10-02"], 0);
  EXPECT_EQ(days["2026-10-01"], sweep->violations_by_day["2026-10-01"]);
  EXPECT_EQ(days["2026-10-04"], sweep->violations_by_day["2026-10-04"]);
  int64_t verdict_total = 0;
  for (const auto& [v, n] : bars(0)) verdict_total += n;
  EXPECT_EQ(verdict_total, static_cast<int64_t>(sweep->latest.size()));
}

TEST(ReportHtml, ChartsEscapeLabelsAndDrawOneBarPerItem) {
  std::string svg = report::BarChartSvg("t<>", {{"<script>alert(1)</script>", 3}, {"b", 0}});
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  size_t bars = 0;
  for (size_t p = svg.find("class=\"bar\""); p != std::string::npos; p = svg.find("class=\"bar\"", p + 1)) ++bars;
  EXPECT_EQ(bars, 2u);
  EXPECT_NE(svg.find("data-count=\"3\""), std::string::npos);
  EXPECT_NE(report::ColumnChartSvg("d", {}).find("no data"), std::string::npos);
}

}  // namespace
}  // namespace shelfguard
