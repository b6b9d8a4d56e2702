#include "cli/report_output.h"

#include "report/html.h"
#include "report/notice_list.h"
#include "report/report_entry.h"
#include "report/sarif.h"

namespace shelfguard::cli {

bool IsDocumentFormat(const std::string& f) { return f == "sarif" || f == "csv" || f == "xlsx" || f == "html"; }

void AddScanFormatOption(CLI::App* cmd, std::string* format) {
  cmd->add_option("--format", *format,
                  "output format: text, json (one object per package, JSON Lines), sarif (SARIF 2.1.0), "
                  "csv or xlsx (notice list: one row per violation), html (self-contained page)")
      ->type_name("text|json|sarif|csv|xlsx|html")
      ->default_str(*format)
      ->check(CLI::IsMember({"text", "json", "sarif", "csv", "xlsx", "html"}));
  cmd->add_flag_callback(
      "--json", [format] { *format = "json"; }, "alias of --format json");
}

int WriteDocument(const std::string& format, const std::string& output, FILE* out,
                  const std::vector<std::string>& report_json, const std::string& signatures_version,
                  const std::string& registry_version, const std::vector<std::string>& warnings) {
  std::vector<report::ReportEntry> entries;
  const std::string now = report::NowIso();
  for (const auto& text : report_json) {
    auto r = report::ReportFromJson(text);
    if (!r.ok()) {  // our own JSON: a bug, said plainly
      std::fprintf(stderr, "shelfguard scan: internal error: %s\n", r.status().ToString().c_str());
      return 2;
    }
    Report rep = std::move(r).value();
    std::string at = rep.scanned_at.empty() ? now : rep.scanned_at;
    std::string sig = rep.signatures_version.empty() ? signatures_version : rep.signatures_version;
    std::string reg = rep.registry_version.empty() ? registry_version : rep.registry_version;
    entries.push_back({std::move(rep), "cli", at, sig, reg});
  }
  if (format == "xlsx") {
    if (output.empty()) {
      std::fprintf(stderr, "shelfguard scan: --format xlsx needs --output FILE\n");
      return 2;
    }
    Status st = report::WriteXlsx(entries, output);
    if (!st.ok()) {
      std::fprintf(stderr, "shelfguard scan: %s\n", st.message().c_str());
      return 2;
    }
    return 0;
  }
  std::string doc;
  if (format == "sarif") {
    report::SarifOptions so;
    so.warnings = warnings;
    doc = report::ToSarif(entries, so);
  } else if (format == "csv") {
    doc = report::ToCsv(entries);
  } else {
    doc = report::PackageHtml(entries, warnings);
  }
  std::fwrite(doc.data(), 1, doc.size(), out);
  return 0;
}

}  // namespace shelfguard::cli
