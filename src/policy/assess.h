// Assessor: turns facts into a report by applying the policy (rules.md) with
// the filing registry or a self-declared filing. Shared by the CLI and the
// daemon; immutable after Create(), safe to use from several threads.
#ifndef SHELFGUARD_SRC_POLICY_ASSESS_H_
#define SHELFGUARD_SRC_POLICY_ASSESS_H_

#include <memory>
#include <string>

#include "registry/registry.h"
#include "shelfguard/facts.h"
#include "shelfguard/report.h"
#include "shelfguard/status.h"

namespace shelfguard {

struct AssessOptions {
  std::string registry_path;  // SQLite database or registry export (JSON/CSV); may be empty
  std::string filing_path;    // self-check: one filing (JSON) the provider will submit
  std::string today;          // YYYY-MM-DD; empty: the current date
  // Refuse a registry with any rejected record (--registry-strict,
  // scan.registry_strict): Create() then fails.
  bool registry_strict = false;
};

class Assessor {
 public:
  virtual ~Assessor() = default;
  static Result<std::unique_ptr<Assessor>> Create(const AssessOptions& options);
  virtual Report Assess(Facts facts) const = 0;
  // Identifies the registry contents (changes when it is updated).
  virtual std::string registry_version() const = 0;
  // What loading the registry found (records loaded, rejected records with
  // index, identity and reason); nullptr without a registry. Callers report
  // it: the CLI on stderr, the daemon in its log and status.
  virtual const RegistryLoadReport* registry_load_report() const { return nullptr; }
};

}  // namespace shelfguard

#endif  // SHELFGUARD_SRC_POLICY_ASSESS_H_
