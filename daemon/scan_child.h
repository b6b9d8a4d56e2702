// Scanning one package, isolated. ScanIsolated() runs the Engine and the
// Assessor in this process (fork == false) or in a forked child that writes
// the outcome to a pipe and is killed at the deadline (limits.deadline_ms +
// grace). The daemon calls it only through a ScanService (below), a
// single-threaded helper process, so a crash, a hang or an allocation failure
// in a parser becomes an error outcome, never a daemon crash.
//
// Test-only fault switch, compiled only into the test binary
// shelfguardd_faults (CMake, SG_TESTS): with SHELFGUARD_TEST_FAULT=1, a
// package whose path contains "sg-fault-crash" aborts the scanner and one
// containing "sg-fault-hang" makes it loop forever.
#ifndef SHELFGUARD_DAEMON_SCAN_CHILD_H_
#define SHELFGUARD_DAEMON_SCAN_CHILD_H_

#include <cstdint>
#include <sys/types.h>

#include <string>
#include <string_view>

#include "policy/assess.h"
#include "queue/message.h"
#include "report/suppressions.h"
#include "shelfguard/engine.h"

namespace shelfguard::daemon {

struct IsolationOptions {
  bool fork = true;
  uint64_t deadline_ms = 120000;
  int64_t grace_ms = 2000;
  int64_t max_memory_mb = 0;
};

// Scans `path`; the outcome's file is `label`. Never fails: problems are an
// outcome with verdict "error". With `suppressions`, the entries in force
// today mark the findings they match (report/suppressions.h). With `bytes`
// (at most kArchiveLoadWholeBytes), those are the package and the file at
// `path` is not read (it may still be being written): they are scanned under
// the name `path`, exactly as the engine scans a file it reads whole.
queue::ScanOutcome ScanIsolated(const Engine& engine, const Assessor& assessor,
                                const std::string& path, const std::string& label,
                                const IsolationOptions& options,
                                const report::Suppressions* suppressions = nullptr,
                                const std::string_view* bytes = nullptr);

// Closed in forked children (the daemon's lock file).
void SetChildCloseFd(int fd);

// A scan service: a single-threaded helper process (`shelfguardd
// --scan-service FD --config PATH`, started with fork+exec) that holds its own
// Engine and Assessor and runs ScanIsolated() for one worker. The daemon is
// multi-threaded (SQLite, libcurl, OpenSSL and ZeroMQ all hold locks on other
// threads), so it never forks a scanner itself: a fork taken while another
// thread holds such a lock would deadlock the child. The service forks from a
// process with a single thread, where that cannot happen.
class ScanService {
 public:
  ~ScanService() { Stop(); }
  // Starts the helper with `config_path` and the daemon's active snapshot
  // (daemon_impl.h, ActiveSnapshot; empty: the config file as it is now);
  // waits for it to report its versions.
  Status Start(const std::string& config_path, const std::string& snapshot, int64_t timeout_ms);
  // Start() in two steps: Launch() forks and execs the helper, which loads
  // its engine meanwhile; WaitReady() waits for its hello (once).
  Status Launch(const std::string& config_path, const std::string& snapshot = "");
  Status WaitReady(int64_t timeout_ms);
  bool running() const { return pid_ > 0; }
  bool ready() const { return pid_ > 0 && ready_; }
  const std::string& sig_version() const { return sig_; }
  const std::string& reg_version() const { return reg_; }
  // Scans through the helper. When the helper fails, it is stopped (the next
  // Start() replaces it) and an error outcome is returned. With `bytes`
  // (only after TakesBytes(bytes.size()) said yes), the package is handed
  // over in memory and the file at `path` is not read.
  queue::ScanOutcome Scan(const std::string& path, const std::string& label,
                          const IsolationOptions& options, std::string_view bytes = {});
  // Whether a package of `n` bytes can be handed over in memory: the shared
  // region exists and holds `n` bytes (grown now if needed), and `n` is at
  // most kArchiveLoadWholeBytes (larger packages are scanned from the file).
  bool TakesBytes(size_t n);
  void Stop();

 private:
  int fd_ = -1;
  pid_t pid_ = -1;
  bool ready_ = false;
  std::string sig_, reg_;
  // Submitted bytes reach the helper through a memfd both processes map
  // (issue 18): one copy into memory the helper reads, instead of waiting
  // for the spool file to be written and reading it back. Made at Launch()
  // (fd 4 of the helper), grown on demand, freed with the helper.
  int region_fd_ = -1;
  char* region_ = nullptr;
  size_t region_size_ = 0;
};

// The helper's main: loads the config, builds its Engine and Assessor, says
// hello on `fd` and serves scan requests until EOF. Returns the exit code.
// With a `snapshot` directory, the config text, signatures, suppressions and
// registry are the ones the daemon accepted, whatever the files say now.
// `region_fd`: the memfd holding submitted bytes (-1: none; such requests fail).
int ScanServiceMain(int fd, const std::string& config_path, const std::string& snapshot = "",
                    int region_fd = -1);

}  // namespace shelfguard::daemon

#endif  // SHELFGUARD_DAEMON_SCAN_CHILD_H_
