// `scan --format sarif|csv|xlsx|html` and `scan --suppressions FILE`: the
// pieces cmd_scan.cc calls (docs/reports.md).
#ifndef SHELFGUARD_SRC_CLI_REPORT_OUTPUT_H_
#define SHELFGUARD_SRC_CLI_REPORT_OUTPUT_H_

#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "report/suppressions.h"

namespace shelfguard::cli {

// `--format text|json|sarif|csv|xlsx|html` with the `--json` alias.
void AddScanFormatOption(CLI::App* cmd, std::string* format);
// Formats written once every report is in (not one report at a time).
bool IsDocumentFormat(const std::string& format);

// Writes the document for the reports (JSON texts from ReportToJson, in
// input order) to `out`, or for xlsx to `output` (required). Returns the
// exit code contribution: 0, or 2 after printing why on stderr.
int WriteDocument(const std::string& format, const std::string& output, FILE* out,
                  const std::vector<std::string>& report_json, const std::string& signatures_version,
                  const std::string& registry_version, const std::vector<std::string>& warnings);

}  // namespace shelfguard::cli

#endif  // SHELFGUARD_SRC_CLI_REPORT_OUTPUT_H_
