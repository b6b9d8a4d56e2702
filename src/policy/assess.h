// Assessor: turns facts into a report by applying the policy (rules.md) with
// the filing registry or a self-declared filing. Shared by the CLI and the
// daemon; immutable after Create(), safe to use from several threads.
#ifndef SHELFGUARD_SRC_POLICY_ASSESS_H_
#define SHELFGUARD_SRC_POLICY_ASSESS_H_

#include <memory>
#include <string>

#include "shelfguard/facts.h"
#include "shelfguard/report.h"
#include "shelfguard/status.h"

namespace shelfguard {

struct AssessOptions {
  std::string registry_path;  // SQLite database or registry export (JSON/CSV); may be empty
  std::string filing_path;    // self-check: one filing (JSON) the provider will submit
  std::string today;          // YYYY-MM-DD; empty: the current date
};

class Assessor {
 public:
  virtual ~Assessor() = default;
  static Result<std::unique_ptr<Assessor>> Create(const AssessOptions& options);
  virtual Report Assess(Facts facts) const = 0;
  // Identifies the registry contents (changes when it is updated).
  virtual std::string registry_version() const = 0;
};

}  // namespace shelfguard

#endif  // SHELFGUARD_SRC_POLICY_ASSESS_H_
