// The scan service's outcome on the wire (issue 18): a length-prefixed binary
// record instead of JSON with the report as a JSON string inside it. The
// report text travels as raw bytes (no escaping on one side and unescaping on
// the other), the findings as counted records.
//
// Layout (all integers little-endian; str = u32 length + bytes):
//   "SGO1"  u8 analysed  str verdict  str error  str file  str sha256
//   u64 size  u8 platform (facts.h Platform)  str id  str label
//   str version_name  str version_code
//   u32 findings, each: str rule_id  u8 severity (report.h Severity)
//     str message_en  str message_zh  str basis
//     u8 suppressed, if 1: str reason  str author  str expires  str entry
//     u32 evidence, each: str kind  str location  str value  u8 referenced  str sdk
//   str report (ReportToJson text)
// Nothing may follow the report. The decoder treats the bytes as hostile
// (they come from the process that parsed the package): every length and
// count is checked against the bytes left before anything is reserved.
#ifndef SHELFGUARD_DAEMON_OUTCOME_CODEC_H_
#define SHELFGUARD_DAEMON_OUTCOME_CODEC_H_

#include <string>
#include <string_view>

#include "queue/message.h"
#include "shelfguard/status.h"

namespace shelfguard::daemon {

std::string EncodeOutcome(const queue::ScanOutcome& o);
// Malformed: the field that did not fit or held an unknown value.
Result<queue::ScanOutcome> DecodeOutcome(std::string_view bytes);

}  // namespace shelfguard::daemon

#endif  // SHELFGUARD_DAEMON_OUTCOME_CODEC_H_
