// Reading and validating registry exports (docs/registry-format.md): the JSON
// form {"format": "shelfguard-registry/1", "filings": [...], "blacklist": [...]}
// and the CSV form (one row per filing or blacklist entry, lists split on ';').
//
// Exports are untrusted: sizes and counts are capped, every identifier is
// validated with src/ids, and a bad record is reported with the file, the
// line where it starts and the field, while the good records still load.
#ifndef SHELFGUARD_SRC_REGISTRY_EXPORT_H_
#define SHELFGUARD_SRC_REGISTRY_EXPORT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "registry/filing.h"
#include "shelfguard/status.h"

namespace shelfguard {

// Caps on untrusted exports.
struct ExportLimits {
  uint64_t max_bytes = 1ull << 30;      // whole export file
  uint64_t max_records = 2000000;       // filings + blacklist entries
  size_t max_string_bytes = 1024;       // one text field
  size_t max_list_items = 1024;         // one list field
  size_t max_problems = 10000;          // reported problems kept (the count is exact)
};

struct ImportProblem {
  std::string file;
  uint64_t line = 0;     // 1-based line where the record starts (0: whole file)
  std::string field;     // dotted path, e.g. provider.credit_code, android_packages[1]
  std::string message;   // English
  std::string ToString() const;  // file:line: field: message
};

// A record of the export that was not loaded, with what identifies it: where
// it stands in the export (minified one-line exports are common, so a line
// alone does not say which record), the identifiers it carried as read (they
// may be the invalid ones) and why it was refused.
struct RejectedRecord {
  std::string file;
  std::string list;       // "filings" | "blacklist" (JSON); "rows" (CSV)
  uint64_t index = 0;     // 0-based position in `list` (CSV: data row, header excluded)
  uint64_t line = 0;      // 1-based line where the record starts
  std::string filing_number;                  // normalised, as read ("" if none)
  std::string credit_code;                    // provider / blacklist entry, as read
  std::vector<std::string> android_packages;  // as read
  std::vector<std::string> ios_bundle_ids;    // as read
  std::vector<std::string> harmony_bundle_names;  // as read
  std::vector<std::string> mini_program_appids;   // as read
  std::string reason;     // "field: message; field: message" (English)
  // filings[3] / blacklist[0] / rows[7]
  std::string Where() const;
  // "教APP备1100123号 android cn.x ios cn.x" or "credit code 9111..."; "(no identity)"
  std::string Identity() const;
  // file: filings[3] (line 1): 教APP备... android cn.x: provider.credit_code: ...
  std::string ToString() const;
};

struct ParsedExport {
  std::vector<Filing> filings;
  std::vector<uint64_t> filing_lines;  // line of each filing, parallel to filings
  std::vector<BlacklistEntry> blacklist;
  std::vector<ImportProblem> problems;  // capped at max_problems
  std::vector<RejectedRecord> rejected;  // capped at max_problems (bad_records is exact)
  uint64_t bad_records = 0;             // records rejected
  uint64_t problem_count = 0;           // all problems, also beyond the cap
  std::string sha256;                   // hex SHA-256 of the export bytes
  std::string format;                   // json | csv
};

// Receives the valid records of an export as they are read (StreamExport*),
// so an import never holds the whole export in memory as a document.
class ExportSink {
 public:
  virtual ~ExportSink() = default;
  // `line`: where the record starts. A non-OK status stops the parse and
  // becomes its result.
  virtual Status AddFiling(Filing&& f, uint64_t line) = 0;
  virtual Status AddBlacklist(BlacklistEntry&& b, uint64_t line) = 0;
  // A record that was refused (every one, also beyond max_problems).
  virtual Status AddRejected(const RejectedRecord&) { return Status::Ok(); }
};

// What a streamed parse found, apart from the records handed to the sink.
struct ExportReport {
  uint64_t filings = 0;                 // valid filings handed to the sink
  uint64_t blacklist = 0;               // valid blacklist entries handed to the sink
  std::vector<ImportProblem> problems;  // capped at max_problems
  std::vector<RejectedRecord> rejected;  // capped at max_problems
  uint64_t bad_records = 0;
  uint64_t problem_count = 0;
  std::string sha256;
  std::string format;  // json | csv
};

// Parses and validates an export, handing each valid record to `sink` as
// soon as it has been read and checked (a later duplicate of a filing number
// or package id is rejected, as in ParseExportFile). Fails as a whole like
// ParseExportFile; records already handed over must then be discarded by the
// caller (import writes to a temp database that is dropped).
// `label` names the source in problems and messages (default: `path`).
Result<ExportReport> StreamExportFile(const std::string& path, const ExportLimits& limits,
                                      ExportSink* sink, const std::string& label = "");
// Same, from bytes; `label` names the source in problems and messages.
Result<ExportReport> StreamExportBytes(std::string_view bytes, const std::string& label,
                                       const ExportLimits& limits, ExportSink* sink);

// Parses and validates an export file. Fails only when nothing can be read
// (missing file, over the size cap, not JSON/CSV at all, wrong "format");
// bad records are listed in `problems` and left out.
Result<ParsedExport> ParseExportFile(const std::string& path, const ExportLimits& limits = {});
// Same, from bytes; `label` names the source in problems. The format is
// sniffed: '{' first (after a BOM and white space) is JSON, otherwise CSV.
Result<ParsedExport> ParseExportBytes(std::string_view bytes, const std::string& label,
                                      const ExportLimits& limits = {});

// One filing object (as an element of "filings") from JSON text. Problems
// name `label` and lines relative to the text.
Result<Filing> ParseFilingJson(std::string_view text, const std::string& label);

// The JSON form of one filing (the export schema), and of a blacklist entry.
std::string FilingToJson(const Filing& f, bool pretty);
std::string BlacklistToJson(const BlacklistEntry& b, bool pretty);

// Consistency warnings that do not make a record invalid: provider province
// against the filing number, credit code and ICP abbreviation; missing ICP,
// App-ICP or graded-protection filing; subject training without a licence.
std::vector<std::string> FilingWarnings(const Filing& f);

// A WeChat mini-program appid: "wx" and 16 hex digits.
bool IsMiniProgramAppid(std::string_view id);
// A HarmonyOS bundle name: reverse-DNS (letter-led segments of letters,
// digits and underscores, at least two), 7 to 128 bytes.
bool IsHarmonyBundleName(std::string_view id);

}  // namespace shelfguard

#endif  // SHELFGUARD_SRC_REGISTRY_EXPORT_H_
