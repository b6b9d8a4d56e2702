#include "report/notice_list.h"

#include <algorithm>
#include <map>
#include <set>

#include <xlsxwriter.h>

#include "policy/rules.h"

namespace shelfguard::report {
namespace {

// Excel's limits (Microsoft "Excel specifications and limits"): a cell holds
// at most 32,767 characters, a sheet 1,048,576 rows.
constexpr size_t kMaxCellBytes = 32000;
constexpr size_t kMaxSheetRows = 1048575;

std::string DisplayedFilings(const Facts& f) {
  std::string s;
  for (const auto& n : f.displayed_numbers) {
    if (n.kind != "moe-filing") continue;
    if (!s.empty()) s += "; ";
    s += n.text.empty() ? n.raw : n.text;
  }
  return s;
}

// Cuts at a UTF-8 character boundary at most `max` bytes in.
std::string Clip(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "…";
}

std::vector<CountRow> Count(const std::vector<ReportEntry>& entries,
                            std::string (*key_of)(const ReportEntry&, const Finding&),
                            std::string (*label_of)(const ReportEntry&, const Finding&)) {
  struct Acc {
    std::string label;
    int64_t violations = 0;
    std::set<std::string> apps;
  };
  std::map<std::string, Acc> acc;
  for (const auto& e : entries) {
    for (const auto& f : e.report.findings) {
      if (!IsViolation(f) || f.suppression) continue;
      Acc& a = acc[key_of(e, f)];
      if (a.label.empty()) a.label = label_of(e, f);
      ++a.violations;
      a.apps.insert(AppKey(e.report));
    }
  }
  std::vector<CountRow> out;
  for (auto& [k, a] : acc) out.push_back({k, a.label, a.violations, static_cast<int64_t>(a.apps.size())});
  std::stable_sort(out.begin(), out.end(), [](const CountRow& a, const CountRow& b) {
    return a.violations != b.violations ? a.violations > b.violations : a.key < b.key;
  });
  return out;
}

std::string RuleKey(const ReportEntry&, const Finding& f) { return f.rule_id; }
std::string RuleLabel(const ReportEntry&, const Finding& f) {
  const policy::RuleText* t = policy::FindRuleText(f.rule_id);
  return t ? t->title_zh : f.message_zh;
}
std::string ProvKey(const ReportEntry& e, const Finding&) { return ProviderKey(e.report); }
std::string ProvLabel(const ReportEntry& e, const Finding&) { return ProviderName(e.report); }

Table CountTable(std::string title, const char* key_header, const char* label_header,
                 const std::vector<CountRow>& rows) {
  Table t{std::move(title), {key_header, label_header, "违规数 violations", "应用数 apps"}, {}};
  for (const auto& r : rows) {
    t.rows.push_back({r.key, r.label, std::to_string(r.violations), std::to_string(r.apps)});
  }
  return t;
}

}  // namespace

const std::vector<NoticeColumn>& NoticeColumns() {
  static const auto* k = new std::vector<NoticeColumn>{
      {"provider", "提供者 provider", 28},
      {"credit_code", "统一社会信用代码 credit code", 22},
      {"app_name", "应用名称 app name", 22},
      {"package_id", "包名 package id", 30},
      {"platform", "平台 platform", 10},
      {"version", "版本 version", 14},
      {"filing_shown", "展示的备案号 filing number shown", 24},
      {"filing_registered", "备案库备案号 filing number registered", 24},
      {"source", "来源 source", 16},
      {"rule", "规则 rule", 26},
      {"severity", "严重程度 severity", 11},
      {"message_zh", "问题描述 message", 50},
      {"basis", "依据 basis", 36},
      {"evidence", "证据 evidence", 60},
      {"sha256", "SHA-256", 20},
      {"scanned_at", "扫描时间 scanned at", 21},
      {"suppressed", "已豁免 suppressed", 30},
  };
  return *k;
}

std::string ProviderKey(const Report& r) {
  if (r.filing && !r.filing->credit_code.empty()) return r.filing->credit_code;
  if (r.filing && !r.filing->provider_name.empty()) return r.filing->provider_name;
  return "(unfiled)";
}

std::string ProviderName(const Report& r) {
  if (r.filing && !r.filing->provider_name.empty()) return r.filing->provider_name;
  return r.filing ? "(unnamed)" : "(未备案 unfiled)";
}

std::string AppKey(const Report& r) {
  return r.facts.package.id.empty() ? "sha256:" + r.facts.sha256 : r.facts.package.id;
}

std::vector<std::vector<std::string>> NoticeRows(const std::vector<ReportEntry>& entries) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : entries) {
    const Report& r = e.report;
    const Facts& f = r.facts;
    std::string version = f.package.version_name;
    if (!f.package.version_code.empty()) version += " (" + f.package.version_code + ")";
    std::string app_name = !f.package.label.empty() ? f.package.label : r.filing ? r.filing->app_name : "";
    for (const auto& fd : r.findings) {
      if (!IsViolation(fd)) continue;
      std::string suppressed;
      if (fd.suppression) {
        suppressed = fd.suppression->reason + " (" + fd.suppression->author + ", until " +
                     fd.suppression->expires + ")";
      }
      rows.push_back({r.filing ? r.filing->provider_name : "", r.filing ? r.filing->credit_code : "",
                      app_name, f.package.id, PlatformName(f.package.platform), version,
                      DisplayedFilings(f), r.filing ? r.filing->filing_number : "", e.source, fd.rule_id,
                      SeverityName(fd.severity), fd.message_zh, fd.basis, EvidenceSummary(fd), f.sha256,
                      e.scanned_at, suppressed});
    }
  }
  return rows;
}

std::vector<CountRow> CountByRule(const std::vector<ReportEntry>& entries) {
  return Count(entries, RuleKey, RuleLabel);
}

std::vector<CountRow> CountByProvider(const std::vector<ReportEntry>& entries) {
  return Count(entries, ProvKey, ProvLabel);
}

std::vector<Table> SummaryTables(const std::vector<ReportEntry>& entries) {
  return {CountTable("按规则 By rule", "规则 rule", "标题 title", CountByRule(entries)),
          CountTable("按提供者 By provider", "信用代码 credit code", "提供者 provider",
                     CountByProvider(entries))};
}

std::string CsvField(const std::string& s) {
  std::string v = s;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v.insert(0, "'");
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

std::string ToCsv(const std::vector<ReportEntry>& entries) {
  std::string out = "\xEF\xBB\xBF";
  bool first = true;
  for (const auto& c : NoticeColumns()) {
    out += (first ? "" : ",") + CsvField(c.header);
    first = false;
  }
  out += "\r\n";
  for (const auto& row : NoticeRows(entries)) {
    for (size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + CsvField(row[i]);
    out += "\r\n";
  }
  return out;
}

Status WriteXlsx(const std::vector<ReportEntry>& entries, const std::string& path,
                 const std::vector<Table>& extra) {
  lxw_workbook_options opts{};
  opts.constant_memory = LXW_FALSE;
  lxw_workbook* wb = workbook_new_opt(path.c_str(), &opts);
  if (wb == nullptr) return Status::IoError(path + ": cannot create the workbook");
  lxw_format* head = workbook_add_format(wb);
  format_set_bold(head);
  format_set_bg_color(head, 0xDDE4EE);
  format_set_border(head, LXW_BORDER_THIN);
  format_set_text_wrap(head);
  lxw_format* title = workbook_add_format(wb);
  format_set_bold(title);
  format_set_font_size(title, 13);

  const auto& cols = NoticeColumns();
  lxw_worksheet* ws = workbook_add_worksheet(wb, "通报名单 Notices");
  for (size_t c = 0; c < cols.size(); ++c) {
    worksheet_set_column(ws, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c), cols[c].width, nullptr);
    worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), cols[c].header, head);
  }
  auto rows = NoticeRows(entries);
  size_t n = std::min(rows.size(), kMaxSheetRows);
  for (size_t r = 0; r < n; ++r) {
    for (size_t c = 0; c < rows[r].size(); ++c) {
      // Strings only (never formulas): the cells hold text from packages.
      worksheet_write_string(ws, static_cast<lxw_row_t>(r + 1), static_cast<lxw_col_t>(c),
                             Clip(rows[r][c], kMaxCellBytes).c_str(), nullptr);
    }
  }
  worksheet_freeze_panes(ws, 1, 0);
  worksheet_autofilter(ws, 0, 0, static_cast<lxw_row_t>(n), static_cast<lxw_col_t>(cols.size() - 1));

  lxw_worksheet* sum = workbook_add_worksheet(wb, "汇总 Summary");
  worksheet_set_column(sum, 0, 0, 30, nullptr);
  worksheet_set_column(sum, 1, 1, 36, nullptr);
  worksheet_set_column(sum, 2, 5, 16, nullptr);
  lxw_row_t row = 0;
  std::vector<Table> tables = SummaryTables(entries);
  tables.insert(tables.end(), extra.begin(), extra.end());
  for (const auto& t : tables) {
    worksheet_write_string(sum, row++, 0, t.title.c_str(), title);
    for (size_t c = 0; c < t.headers.size(); ++c)
      worksheet_write_string(sum, row, static_cast<lxw_col_t>(c), t.headers[c].c_str(), head);
    ++row;
    for (const auto& r : t.rows) {
      if (row >= kMaxSheetRows) break;
      for (size_t c = 0; c < r.size(); ++c) {
        // Counts as numbers so they sort and sum in a spreadsheet.
        const std::string& cell = r[c];
        bool numeric = !cell.empty() && cell.size() < 16 &&
                       std::all_of(cell.begin(), cell.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
        if (numeric && c >= 2) {
          worksheet_write_number(sum, row, static_cast<lxw_col_t>(c), std::stod(cell), nullptr);
        } else {
          worksheet_write_string(sum, row, static_cast<lxw_col_t>(c), Clip(cell, kMaxCellBytes).c_str(), nullptr);
        }
      }
      ++row;
    }
    ++row;
  }
  lxw_error err = workbook_close(wb);
  if (err != LXW_NO_ERROR) return Status::IoError(path + ": " + lxw_strerror(err));
  return Status::Ok();
}

}  // namespace shelfguard::report
