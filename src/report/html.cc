// The one-package page: verdict first, then findings with their evidence
// grouped by SDK, identity, permissions, SDKs, displayed numbers, the
// filing record and the versions used.
#include "report/html.h"

#include <map>

#include "policy/rules.h"

namespace shelfguard::report {
namespace {

// Print-friendly, system fonts only (the CJK font is whatever the reader
// has; nothing is downloaded).
const char kStyle[] = R"css(
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",sans-serif;
 margin:24px;color:#1b1f24;background:#fff;line-height:1.45;font-size:14px}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:22px 0 8px;border-bottom:2px solid #d0d7de;padding-bottom:3px}
h3{font-size:15px;margin:14px 0 6px}
table{border-collapse:collapse;margin:6px 0 12px;width:100%}
th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top;word-break:break-word}
th{background:#eef2f6}
.verdict{display:inline-block;font-size:20px;font-weight:bold;padding:6px 14px;border-radius:6px;color:#fff}
.v-pass,.v-info{background:#1f883d}.v-review{background:#9a6700}.v-violation{background:#cf222e}
.v-block{background:#82071e}.v-error{background:#57606a}
.sev{font-weight:bold}.sev-block,.sev-violation{color:#cf222e}.sev-review{color:#9a6700}.sev-info{color:#57606a}
.finding{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;margin:10px 0;page-break-inside:avoid}
.suppressed{background:#f6f8fa;border-style:dashed}.tag{font-size:12px;background:#ddf4ff;padding:1px 6px;border-radius:10px}
.muted{color:#57606a}.mono{font-family:"DejaVu Sans Mono",monospace;font-size:12px}
svg.chart{display:block;margin:8px 0}svg .bar{fill:#0969da}svg .axis{stroke:#57606a}
svg text{font-size:12px;fill:#1b1f24}svg .chart-title{font-weight:bold;font-size:13px}
.warn{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;border-radius:6px;margin:6px 0}
section.package{page-break-before:auto}
@media print{body{margin:0;font-size:11pt}h2{page-break-after:avoid}.finding,table{page-break-inside:avoid}}
)css";

void Row(std::string* o, const std::string& k, const std::string& v) {
  *o += "<tr><th>" + k + "</th><td>" + HtmlEscape(v) + "</td></tr>";
}

// The SDK an evidence item belongs to: the "Name: value" prefix rule
// evidence carries, matched against the report's SDKs; "" when none.
std::string SdkOf(const Report& r, const Evidence& e) {
  if (!e.sdk.empty()) {
    for (const auto& s : r.facts.sdks)
      if (s.id == e.sdk && !s.name.empty()) return s.name;
    return e.sdk;
  }
  for (const auto& s : r.facts.sdks) {
    const std::string& name = s.name.empty() ? s.id : s.name;
    if (e.value.size() > name.size() + 1 && e.value.compare(0, name.size(), name) == 0 &&
        e.value.compare(name.size(), 2, ": ") == 0) {
      return name;
    }
  }
  return "";
}

void FindingHtml(std::string* o, const Report& r, const Finding& f) {
  std::string sev = SeverityName(f.severity);
  *o += "<div class=\"finding" + std::string(f.suppression ? " suppressed" : "") + "\" data-rule=\"" +
        HtmlEscape(f.rule_id) + "\"><div><span class=\"sev sev-" + sev + "\">" + sev + "</span> <b class=\"rule\">" +
        HtmlEscape(f.rule_id) + "</b>";
  if (const policy::RuleText* t = policy::FindRuleText(f.rule_id)) {
    *o += " — " + HtmlEscape(t->title_zh) + " / " + HtmlEscape(t->title_en);
  }
  *o += "</div><div>" + HtmlEscape(f.message_zh) + "</div><div class=\"muted\">" + HtmlEscape(f.message_en) +
        "</div><div class=\"muted\">依据 Basis: " + HtmlEscape(f.basis) + "</div>";
  if (f.suppression) {
    *o += "<div class=\"warn\">已豁免 Suppressed: " + HtmlEscape(f.suppression->reason) + " (" +
          HtmlEscape(f.suppression->author) + ", 至 until " + HtmlEscape(f.suppression->expires) + "; " +
          HtmlEscape(f.suppression->entry) + ")</div>";
  }
  // Evidence grouped by the SDK it belongs to, in first-seen order.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const Evidence*>> groups;
  for (const auto& e : f.evidence) {
    std::string g = SdkOf(r, e);
    if (groups.count(g) == 0) order.push_back(g);
    groups[g].push_back(&e);
  }
  for (const auto& g : order) {
    if (!g.empty() || order.size() > 1) {
      *o += "<h3>SDK: " + HtmlEscape(g.empty() ? "(其他 other)" : g) + "</h3>";
    }
    *o += "<table><tr><th>类型 kind</th><th>位置 location</th><th>值 value</th><th>引用 referenced</th></tr>";
    for (const Evidence* e : groups[g]) {
      std::string v = e->value;
      // Rule evidence may repeat the SDK as a "Name: " prefix; the heading says it.
      if (!g.empty() && v.size() > g.size() + 2 && v.compare(0, g.size(), g) == 0 && v.compare(g.size(), 2, ": ") == 0)
        v = v.substr(g.size() + 2);
      *o += "<tr><td>" + HtmlEscape(e->kind) + "</td><td class=\"mono\">" + HtmlEscape(e->location) +
            "</td><td class=\"mono\">" + HtmlEscape(v) + "</td><td>" + (e->referenced ? "是 yes" : "") + "</td></tr>";
    }
    *o += "</table>";
  }
  *o += "</div>";
}

void PackageSection(std::string* o, const ReportEntry& e) {
  const Report& r = e.report;
  const Facts& f = r.facts;
  const std::string verdict = VerdictName(r);
  *o += "<section class=\"package\" data-package=\"" + HtmlEscape(f.package.id) + "\">";
  *o += "<h1>" + HtmlEscape(f.package.label.empty() ? f.file : f.package.label) + " <span class=\"mono\">" +
        HtmlEscape(f.package.id) + "</span></h1>";
  // Verdict first.
  int counted = 0, suppressed = 0;
  for (const auto& fd : r.findings) (fd.suppression ? suppressed : counted) += 1;
  *o += "<p>结论 Verdict: <span class=\"verdict v-" + verdict + "\" id=\"verdict\">" + verdict + "</span> <span class=\"muted\">" +
        std::to_string(counted) + " 项发现 findings" +
        (suppressed ? ", " + std::to_string(suppressed) + " 项已豁免 suppressed" : std::string()) + " · " +
        HtmlEscape(f.file) + "</span></p>";
  for (const auto& err : f.errors) {
    *o += "<div class=\"warn\">错误 Error " + HtmlEscape(err.code) + ": " + HtmlEscape(err.message) + "</div>";
  }

  *o += "<h2>发现 Findings</h2>";
  if (r.findings.empty()) *o += "<p>无 None.</p>";
  for (const auto& fd : r.findings) FindingHtml(o, r, fd);

  *o += "<h2>身份 Identity</h2><table>";
  Row(o, "平台 Platform", PlatformName(f.package.platform));
  Row(o, "包名 Package id", f.package.id);
  Row(o, "名称 Label", f.package.label);
  Row(o, "版本 Version", f.package.version_name + " (" + f.package.version_code + ")");
  if (f.package.platform == Platform::kAndroid) {
    Row(o, "SDK min / target", (f.package.min_sdk ? std::to_string(*f.package.min_sdk) : "-") + " / " +
                                   (f.package.target_sdk ? std::to_string(*f.package.target_sdk) : "-"));
  } else if (!f.package.min_os.empty()) {
    Row(o, "最低系统 Min OS", f.package.min_os);
  }
  Row(o, "文件 File", f.file);
  Row(o, "SHA-256", f.sha256);
  Row(o, "大小 Size (bytes)", std::to_string(f.size));
  Row(o, "扫描范围 Scope", f.scope);
  *o += "</table>";

  *o += "<h2>权限 Permissions (" + std::to_string(f.permissions.size()) + ")</h2>";
  if (!f.permissions.empty()) {
    *o += "<table><tr><th>权限 permission</th><th>运行时 runtime</th><th>maxSdk</th></tr>";
    for (const auto& p : f.permissions) {
      *o += "<tr><td class=\"mono\">" + HtmlEscape(p.name) + "</td><td>" + (p.dangerous ? "是 yes" : "") +
            "</td><td>" + (p.max_sdk ? std::to_string(*p.max_sdk) : "") + "</td></tr>";
    }
    *o += "</table>";
  }

  *o += "<h2>SDK (" + std::to_string(f.sdks.size()) + ")</h2>";
  for (const char* conf : {"referenced", "present", "weak"}) {
    const char* zh = conf[0] == 'r' ? "代码引用" : conf[0] == 'p' ? "存在" : "仅字符串";
    std::string rows;
    for (const auto& s : f.sdks) {
      if (s.confidence != conf) continue;
      rows += "<tr><td>" + HtmlEscape(s.name) + "</td><td class=\"mono\">" + HtmlEscape(s.id) + "</td><td>" +
              HtmlEscape(s.vendor) + "</td><td>" + HtmlEscape(s.category) + "</td><td class=\"mono\">" +
              HtmlEscape(s.evidence.empty() ? "" : s.evidence[0].kind + " " + s.evidence[0].value) + "</td></tr>";
    }
    if (rows.empty()) continue;
    *o += std::string("<h3>") + zh + " " + conf + "</h3><table><tr><th>名称 name</th><th>id</th><th>厂商 vendor</th>"
          "<th>类别 category</th><th>证据 evidence</th></tr>" + rows + "</table>";
  }

  *o += "<h2>展示的编号 Displayed numbers</h2>";
  if (f.displayed_numbers.empty()) *o += "<p>无 None.</p>";
  if (!f.displayed_numbers.empty()) {
    *o += "<table><tr><th>类型 kind</th><th>编号 number</th><th>位置 location</th><th>问题 problem</th></tr>";
    for (const auto& n : f.displayed_numbers) {
      *o += "<tr><td>" + HtmlEscape(n.kind) + "</td><td>" + HtmlEscape(n.text) + "</td><td class=\"mono\">" +
            HtmlEscape(n.location) + "</td><td>" + HtmlEscape(n.well_formed ? "" : n.problem) + "</td></tr>";
    }
    *o += "</table>";
  }

  *o += "<h2>备案记录 Registry record</h2>";
  if (!r.filing) {
    *o += "<p>无 None (未查询备案库或无此应用的备案 no registry given, or no filing lists the package).</p>";
  } else {
    *o += "<table>";
    Row(o, "来源 Source", r.filing->source);
    Row(o, "备案号 Filing number", r.filing->filing_number);
    Row(o, "应用名称 App name", r.filing->app_name);
    Row(o, "提供者 Provider", r.filing->provider_name);
    Row(o, "统一社会信用代码 Credit code", r.filing->credit_code);
    Row(o, "状态 Status", r.filing->status);
    Row(o, "类别 Category", r.filing->category);
    Row(o, "备案版本 Filed version", r.filing->version);
    *o += "</table>";
  }

  *o += "<h2>版本 Versions</h2><table>";
  Row(o, "shelfguard", SHELFGUARD_VERSION);
  Row(o, "签名库 Signatures", e.signatures_version);
  Row(o, "备案库 Registry", e.registry_version);
  Row(o, "扫描时间 Scanned at", e.scanned_at);
  Row(o, "来源 Source", e.source);
  *o += "</table></section>";
}

}  // namespace

std::string HtmlEscape(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string HtmlPageStart(const std::string& title) {
  return "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
         HtmlEscape(title) + "</title><style>" + kStyle + "</style></head><body>\n";
}

std::string HtmlPageEnd() {
  return "<p class=\"muted\">shelfguard " SHELFGUARD_VERSION " · 生成于 generated " + NowIso() + "</p></body></html>\n";
}

std::string HtmlTable(const Table& t, size_t max_rows) {
  std::string o = "<table data-title=\"" + HtmlEscape(t.title) + "\"><tr>";
  for (const auto& h : t.headers) o += "<th>" + HtmlEscape(h) + "</th>";
  o += "</tr>";
  size_t n = 0;
  for (const auto& r : t.rows) {
    if (n++ == max_rows) break;
    o += "<tr>";
    for (const auto& c : r) o += "<td>" + HtmlEscape(c) + "</td>";
    o += "</tr>";
  }
  o += "</table>";
  if (t.rows.size() > max_rows) {
    o += "<p class=\"muted\">另有 " + std::to_string(t.rows.size() - max_rows) + " 行未列出 (" +
         std::to_string(t.rows.size() - max_rows) + " more rows not shown; the CSV/XLSX/JSON report has them all)</p>";
  }
  return o;
}

std::string PackageHtml(const std::vector<ReportEntry>& entries, const std::vector<std::string>& warnings) {
  std::string title = "shelfguard";
  if (entries.size() == 1) {
    const auto& p = entries[0].report.facts.package;
    title += " — " + (p.label.empty() ? entries[0].report.facts.file : p.label) + " (" + p.id + ")";
  }
  std::string o = HtmlPageStart(title);
  for (const auto& w : warnings) o += "<div class=\"warn\">警告 Warning: " + HtmlEscape(w) + "</div>";
  if (entries.size() > 1) {
    o += "<h1>shelfguard: " + std::to_string(entries.size()) + " 个安装包 packages</h1><table><tr><th>包名 package"
         "</th><th>结论 verdict</th><th>文件 file</th></tr>";
    for (const auto& e : entries) {
      o += "<tr><td class=\"mono\">" + HtmlEscape(e.report.facts.package.id) + "</td><td>" + VerdictName(e.report) +
           "</td><td>" + HtmlEscape(e.report.facts.file) + "</td></tr>";
    }
    o += "</table>";
  }
  for (const auto& e : entries) PackageSection(&o, e);
  return o + HtmlPageEnd();
}

}  // namespace shelfguard::report
