// Scanning one package, isolated: with isolation "fork" the Engine and the
// Assessor run in a child process that writes the outcome to a pipe; the
// parent kills it at the deadline (limits.deadline_ms + grace). A crash, a
// hang or an allocation failure in a parser becomes an error outcome, never a
// daemon crash. The parent itself never runs a parser.
//
// Test-only fault switch: with SHELFGUARD_TEST_FAULT=1 in the environment, a
// package whose path contains "sg-fault-crash" aborts the scanner and one
// containing "sg-fault-hang" makes it loop forever.
#ifndef SHELFGUARD_DAEMON_SCAN_CHILD_H_
#define SHELFGUARD_DAEMON_SCAN_CHILD_H_

#include <cstdint>
#include <string>

#include "policy/assess.h"
#include "queue/message.h"
#include "shelfguard/engine.h"

namespace shelfguard::daemon {

struct IsolationOptions {
  bool fork = true;
  uint64_t deadline_ms = 120000;
  int64_t grace_ms = 2000;
  int64_t max_memory_mb = 0;
};

// Scans `path`; the outcome's file is `label`. Never fails: problems are an
// outcome with verdict "error".
queue::ScanOutcome ScanIsolated(const Engine& engine, const Assessor& assessor,
                                const std::string& path, const std::string& label,
                                const IsolationOptions& options);

// Closed in forked children (the daemon's lock file).
void SetChildCloseFd(int fd);

}  // namespace shelfguard::daemon

#endif  // SHELFGUARD_DAEMON_SCAN_CHILD_H_
