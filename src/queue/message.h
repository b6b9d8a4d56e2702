// Messages the daemon produces from one scan (docs/daemon.md, "Messages"):
//   * ScanOutcome: what a scan established, serialised by the scanning child
//     process and parsed by the daemon (independent of the report format);
//   * violation messages for the durable outbox, each with a stable id:
//     hex SHA-256 over the package sha256, the rule id and the evidence, so a
//     consumer can drop a redelivered or re-found message by id;
//   * finding messages for the live PUB socket.
#ifndef SHELFGUARD_SRC_QUEUE_MESSAGE_H_
#define SHELFGUARD_SRC_QUEUE_MESSAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "queue/store.h"
#include "shelfguard/report.h"
#include "shelfguard/status.h"

namespace shelfguard::queue {

struct ScanOutcome {
  bool analysed = false;
  std::string file;     // label of the scanned package
  std::string sha256;
  uint64_t size = 0;
  std::string verdict;  // pass|info|review|violation|block|error
  std::string error;    // first error when not analysed
  PackageIdentity package;
  std::vector<Finding> findings;
  std::string report;   // ReportToJson text
};

// Context of one scan, copied into every message.
struct MessageContext {
  int64_t job_id = 0;
  std::string source;
  std::string signatures_version;
  std::string registry_version;
  int64_t scanned_ms = 0;  // ms since the epoch
};

ScanOutcome OutcomeFromReport(const Report& report);
// An outcome for a scan that produced no report (crash, timeout ...).
ScanOutcome ErrorOutcome(const std::string& file, const std::string& sha256, uint64_t size,
                         const std::string& code, const std::string& message);
std::string SerializeOutcome(const ScanOutcome& o);
Result<ScanOutcome> ParseOutcome(const std::string& text);

// Stable id of a finding on a package.
std::string MessageId(const std::string& package_sha256, const Finding& f);
// JSON of one finding message (type "violation" for the outbox, "finding" for
// PUB).
std::string FindingMessage(const ScanOutcome& o, const Finding& f, const MessageContext& ctx,
                           const char* type);
// Outbox rows for every finding at or above `min_severity`.
std::vector<OutboxMessage> OutboxMessages(const ScanOutcome& o, const MessageContext& ctx,
                                          Severity min_severity);

// JSON dump that never throws on invalid UTF-8 (replaced with U+FFFD).
std::string ToIso8601(int64_t ms);

}  // namespace shelfguard::queue

#endif  // SHELFGUARD_SRC_QUEUE_MESSAGE_H_
