// Suppressions: a TOML file of [[suppress]] entries accepting a finding for
// a while without turning its rule off (docs/reports.md):
//
//   [[suppress]]
//   rule = "CONTENT-AD-SDK"          # required
//   package = "com.example.app"      # one or more of package, provider
//   provider = "91110108MA01ABCDE1"  #   (credit code), sdk (signature id),
//   sdk = "pangle"                   #   sha256; all given must match
//   reason = "SDK removed in 3.2, release due 2026-12-15"   # required
//   author = "li.wei"                # required
//   expires = 2026-12-31             # required: a date (TOML date or "YYYY-MM-DD")
//
// A matched finding keeps its place in every report, with the reason, and
// stops counting toward the verdict and the exit code.
#ifndef SHELFGUARD_SRC_REPORT_SUPPRESSIONS_H_
#define SHELFGUARD_SRC_REPORT_SUPPRESSIONS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/report.h"
#include "shelfguard/status.h"

namespace shelfguard::report {

struct SuppressionEntry {
  int number = 0;  // 1-based position among the [[suppress]] entries
  int line = 0;    // line of the entry in the file
  std::string rule, package, provider, sdk, sha256;
  std::string reason, author, expires;
};

inline constexpr size_t kMaxSuppressionFileBytes = 4u << 20;
inline constexpr size_t kMaxSuppressionEntries = 10000;

class Suppressions {
 public:
  // Reads `path`. A malformed file is an error naming the file, the entry
  // (number and line) and the field.
  static Result<Suppressions> Load(const std::string& path);
  // Same for text already read; `name` is used in messages.
  static Result<Suppressions> Parse(std::string_view text, const std::string& name);

  const std::vector<SuppressionEntry>& entries() const { return entries_; }
  const std::string& name() const { return name_; }

  // Marks the findings of `report` that an entry in force on `today`
  // (YYYY-MM-DD) matches and recomputes the verdict. Adds one to
  // (*hits)[i] for each finding entry i matched; `hits` is resized to the
  // entry count. Safe to call from several threads with separate `hits`.
  void Apply(Report* report, std::string_view today, std::vector<uint64_t>* hits) const;

  // Warnings for entries that expired before `today` and for entries in
  // force that matched nothing (`hits` as accumulated by Apply).
  std::vector<std::string> Warnings(const std::vector<uint64_t>& hits, std::string_view today) const;

 private:
  std::string name_;
  std::vector<SuppressionEntry> entries_;
};

// Today's date (local time) as YYYY-MM-DD.
std::string Today();

}  // namespace shelfguard::report

#endif  // SHELFGUARD_SRC_REPORT_SUPPRESSIONS_H_
