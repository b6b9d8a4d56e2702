// A private PostgreSQL server for tests and benches: `initdb` into a fresh
// temporary directory and `pg_ctl start` with TCP off (listen_addresses = '')
// and the Unix socket in that directory only, or, with Options::tcp, on a
// free 127.0.0.1 port. Nothing is shared with a system cluster or with
// another test's server, so any number run at once under ctest -j.
//
// PostgreSQL refuses to run as root, and CI runs as root: then initdb, the
// postmaster and every pg_ctl run as the unprivileged system user `nobody`
// (uid/gid dropped in a forked child, no helper program needed), the
// directory is chowned to it, and root still reaches the socket (root passes
// the directory's 0700). Run as any other user, everything runs as that user.
//
// Authentication is `trust`: only the directory's owner (and root) can reach
// the socket, and with tcp only loopback is bound. The cluster's superuser
// is `sg_admin`; the database `shelfguard` belongs to the role `shelfguard`,
// which is what the code under test connects as (no superuser powers, like a
// deployment's application role).
//
//   testing::PgServer pg;
//   if (!pg.Available()) GTEST_SKIP() << pg.skip_reason();
//   ASSERT_TRUE(pg.Start().ok());
//   std::string url = pg.Url();   // postgresql://shelfguard@/shelfguard?host=...
//
// The destructor stops the server (immediate mode) and removes the directory
// (kept when SG_KEEP_TMP is set).
#ifndef SHELFGUARD_TESTS_SUPPORT_PG_SERVER_H_
#define SHELFGUARD_TESTS_SUPPORT_PG_SERVER_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "shelfguard/status.h"

namespace shelfguard::testing {

class PgServer {
 public:
  struct Options {
    // Listen on 127.0.0.1:<free port> as well as the socket (benches that
    // measure loopback TCP); off: the Unix socket only.
    bool tcp = false;
    // fsync on (a bench's figures are those of a durable server). Off by
    // default: tests kill processes, not the machine, and a server sharing
    // two loaded cores with the build spends seconds in each checkpoint's
    // fsyncs (a fast restart) otherwise.
    bool durable = false;
    // Extra postgresql.conf lines (e.g. "fsync = off" for a bench that wants
    // the database, not the disk, to be the limit).
    std::vector<std::string> settings;
  };

  PgServer();
  explicit PgServer(Options options);
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // The directory holding initdb, pg_ctl and postgres: $SG_PG_BINDIR, else
  // the newest /usr/lib/postgresql/<ver>/bin (Debian), else the directory of
  // `pg_ctl` on PATH. Empty when PostgreSQL is not installed.
  static std::string FindBinDir();
  // Whether a server can be started here; skip_reason() says why not.
  bool Available() const { return !bin_dir_.empty(); }
  const std::string& skip_reason() const { return skip_reason_; }

  // initdb, start, create the role and database. Idempotent once started.
  Status Start();
  // `pg_ctl stop -m fast`; the data stays (Start() again brings it back).
  Status Stop();
  // `pg_ctl restart -m fast`: every client connection is cut.
  Status Restart();
  // SIGKILL to the postmaster (a crashed server); its backends notice and
  // exit. Start() afterwards runs crash recovery.
  void Kill();
  bool running() const { return running_; }
  // The postmaster's pid (postmaster.pid), 0 when there is none.
  pid_t PostmasterPid() const;
  // Whether `pid` is a live process: a zombie counts as gone (the postmaster
  // is pg_ctl's child, reparented to an init that may reap late).
  static bool ProcessAlive(pid_t pid);

  // Where clients connect.
  const std::string& dir() const { return dir_; }
  std::string socket_dir() const { return dir_ + "/sock"; }
  int port() const { return port_; }
  // libpq URI for the test role, host = the socket directory (percent-encoded):
  // postgresql://shelfguard@/shelfguard?host=%2Ftmp%2F...&port=N
  std::string Url(const std::string& database = "shelfguard") const;
  // The same over TCP (Options::tcp only): postgresql://shelfguard@127.0.0.1:N/shelfguard
  std::string TcpUrl(const std::string& database = "shelfguard") const;
  // Key/value form: "host=/tmp/.../sock port=N user=shelfguard dbname=shelfguard"
  std::string ConnInfo(const std::string& user = "shelfguard", const std::string& database = "shelfguard") const;

  // Runs one SQL command through libpq as `user` and returns the first
  // column of the first row ("" when no rows); an error names the server's
  // message.
  Result<std::string> Query(const std::string& sql, const std::string& user = "sg_admin",
                            const std::string& database = "shelfguard") const;

  // The server log (for failure messages).
  std::string Log() const;

 private:
  // Runs bin_dir_/program (or an absolute path) with args as the server's
  // user; exit code or -1.
  int RunAsServerUser(const std::string& program, const std::vector<std::string>& args,
                      std::string* output) const;
  Status InitDb();
  Status CopyTemplate();

  Options options_;
  std::string bin_dir_;
  std::string skip_reason_;
  std::string dir_;
  int port_ = 5432;
  bool initialized_ = false;
  bool running_ = false;
  // The user the server runs as: ours, or nobody's when we are root.
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  bool drop_ = false;
};

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_PG_SERVER_H_
