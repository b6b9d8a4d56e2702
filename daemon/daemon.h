// Daemon: the sources (spool, directories, feeds, submissions), the worker
// pool, the ZeroMQ I/O thread (submit, control/status, delivery, publish,
// ZAP) and reload/drain. Created from a validated Config; Run() blocks until
// Stop() (SIGTERM) or, in once mode, until one sweep is scanned and drained.
#ifndef SHELFGUARD_DAEMON_DAEMON_H_
#define SHELFGUARD_DAEMON_DAEMON_H_

#include <memory>
#include <string>

#include "config.h"
#include "shelfguard/status.h"

namespace shelfguard::daemon {

// --check's registry pass: loads scan.registry as start would (strict with
// scan.registry_strict) and returns RegistryLoadReport::Describe() when
// records were rejected (empty otherwise), or the load error.
Result<std::string> CheckRegistry(const Config& config);
// --check's suppressions pass: loads scan.suppressions as start would; a bad
// file is an error naming the file, the entry, its line and the field.
Status CheckSuppressions(const Config& config);

class Daemon {
 public:
  virtual ~Daemon() = default;
  // Creates the state and spool directories (0700), takes the lock, opens the
  // queue, builds the engine and assessor and binds every socket.
  static Result<std::unique_ptr<Daemon>> Create(const Config& config, bool once);
  // Runs until stopped; returns the process exit code.
  virtual int Run() = 0;
  // Thread-safe requests (the signal loop calls them).
  virtual void RequestStop() = 0;
  virtual void RequestReload() = 0;
  virtual bool Finished() const = 0;
};

}  // namespace shelfguard::daemon

#endif  // SHELFGUARD_DAEMON_DAEMON_H_
