// The private PostgreSQL server of tests/support/pg_server.h: it starts as
// root (the server then runs as nobody) and as an ordinary user, a client
// connects with libpq over the socket (and loopback TCP when asked), data
// survives a fast restart, a stop/start and a SIGKILL of the postmaster, a
// restart cuts existing connections, and a machine without PostgreSQL gets a
// clear skip reason instead of a failure.
#include "support/pg_server.h"

#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace shelfguard::testing {
namespace {

// Owner uid of a process, from /proc (-1 when it is gone).
long ProcessUid(pid_t pid) {
  struct stat st;
  if (::stat(("/proc/" + std::to_string(pid)).c_str(), &st) != 0) return -1;
  return st.st_uid;
}

// The whole life cycle; returns "" or what went wrong (also used in a child
// process that dropped root, so no gtest assertions inside).
std::string LifeCycle(PgServer& pg) {
  if (Status s = pg.Start(); !s.ok()) return "start: " + s.ToString();
  auto one = pg.Query("SELECT 1", "shelfguard");
  if (!one.ok() || *one != "1") return "SELECT 1: " + (one.ok() ? *one : one.status().ToString());
  // The test role owns its database (the daemon creates its schema there)
  // and is not a superuser.
  if (auto r = pg.Query("CREATE TABLE t (v int); INSERT INTO t VALUES (41)", "shelfguard"); !r.ok()) {
    return "create: " + r.status().ToString();
  }
  auto super = pg.Query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", "shelfguard");
  if (!super.ok() || *super != "f") return "shelfguard must not be a superuser";

  // A connection held across a fast restart is cut; a new one works and the
  // committed row is still there.
  PGconn* held = PQconnectdb(pg.ConnInfo().c_str());
  if (PQstatus(held) != CONNECTION_OK) {
    std::string e = PQerrorMessage(held);
    PQfinish(held);
    return "held connect: " + e;
  }
  pid_t before = pg.PostmasterPid();
  if (Status s = pg.Restart(); !s.ok()) {
    PQfinish(held);
    return "restart: " + s.ToString();
  }
  PGresult* r = PQexec(held, "SELECT 1");
  bool cut = PQresultStatus(r) != PGRES_TUPLES_OK;
  PQclear(r);
  PQfinish(held);
  if (!cut) return "a connection survived pg_ctl restart -m fast";
  if (pg.PostmasterPid() == before) return "restart kept the same postmaster";
  auto v = pg.Query("SELECT v FROM t", "shelfguard");
  if (!v.ok() || *v != "41") return "after restart: " + (v.ok() ? *v : v.status().ToString());

  // Stopped: nobody can connect; started again, the data is back.
  if (Status s = pg.Stop(); !s.ok()) return "stop: " + s.ToString();
  if (pg.Query("SELECT 1").ok()) return "a stopped server answered";
  if (Status s = pg.Start(); !s.ok()) return "start again: " + s.ToString();
  if (auto r2 = pg.Query("INSERT INTO t VALUES (42)", "shelfguard"); !r2.ok()) return "insert: " + r2.status().ToString();

  // Killed (a crash): gone at once; the next start recovers committed rows.
  pg.Kill();
  if (pg.running()) return "running after Kill()";
  if (pg.Query("SELECT 1").ok()) return "a killed server answered";
  if (Status s = pg.Start(); !s.ok()) return "start after kill: " + s.ToString();
  auto n = pg.Query("SELECT count(*) FROM t", "shelfguard");
  if (!n.ok() || *n != "2") return "after crash recovery: " + (n.ok() ? *n : n.status().ToString());
  return "";
}

TEST(PgServer, StartConnectRestartKillStop) {
  auto owned = std::make_unique<PgServer>();
  PgServer& pg = *owned;
  if (!pg.Available()) GTEST_SKIP() << pg.skip_reason();
  std::string err = LifeCycle(pg);
  ASSERT_EQ(err, "") << pg.Log();
  // Root cannot run PostgreSQL: the server runs as nobody, its files too.
  if (::geteuid() == 0) {
    struct passwd* pw = ::getpwnam("nobody");
    ASSERT_NE(pw, nullptr);
    EXPECT_EQ(ProcessUid(pg.PostmasterPid()), static_cast<long>(pw->pw_uid));
    struct stat st;
    ASSERT_EQ(::stat((pg.dir() + "/data").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, pw->pw_uid);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
  } else {
    EXPECT_EQ(ProcessUid(pg.PostmasterPid()), static_cast<long>(::geteuid()));
  }
  // The socket is in the private directory only; the URL form reaches it.
  EXPECT_TRUE(std::filesystem::exists(pg.socket_dir() + "/.s.PGSQL." + std::to_string(pg.port())));
  PGconn* c = PQconnectdb(pg.Url().c_str());
  EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c) << " url " << pg.Url();
  PQfinish(c);
  // The destructor stops the server and removes the directory.
  std::string dir = pg.dir();
  pid_t pid = pg.PostmasterPid();
  owned.reset();
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_FALSE(PgServer::ProcessAlive(pid)) << "postmaster " << pid << " outlived its PgServer";
}

// The same life cycle in a process that is not root (the developer's case):
// as root, a forked child drops to nobody first.
TEST(PgServer, WorksAsAnOrdinaryUser) {
  if (PgServer::FindBinDir().empty()) GTEST_SKIP() << PgServer().skip_reason();
  if (::geteuid() != 0) {
    PgServer pg;
    ASSERT_EQ(LifeCycle(pg), "") << pg.Log();
    return;
  }
  struct passwd* pw = ::getpwnam("nobody");
  if (pw == nullptr) GTEST_SKIP() << "no user nobody to drop to";
  std::string err_path = "/tmp/pg_server_test." + std::to_string(::getpid()) + ".err";
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    FILE* err = std::fopen(err_path.c_str(), "w");
    if (err == nullptr || ::fchown(fileno(err), pw->pw_uid, pw->pw_gid) != 0) ::_exit(3);
    if (::setgroups(0, nullptr) != 0 || ::setgid(pw->pw_gid) != 0 || ::setuid(pw->pw_uid) != 0) ::_exit(4);
    std::string e;
    {
      PgServer pg;
      e = !pg.Available() ? pg.skip_reason() : LifeCycle(pg);
      if (!e.empty()) e += "\n" + pg.Log();
    }
    std::fputs(e.c_str(), err);
    std::fclose(err);
    ::_exit(e.empty() ? 0 : 1);
  }
  int st = 0;
  ASSERT_EQ(::waitpid(child, &st, 0), child);
  std::ifstream in(err_path);
  std::string msg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(err_path);
  ASSERT_TRUE(WIFEXITED(st)) << "child died: signal " << WTERMSIG(st);
  EXPECT_EQ(WEXITSTATUS(st), 0) << msg;
}

TEST(PgServer, LoopbackTcp) {
  PgServer::Options o;
  o.tcp = true;
  PgServer pg(o);
  if (!pg.Available()) GTEST_SKIP() << pg.skip_reason();
  ASSERT_TRUE(pg.Start().ok()) << pg.Log();
  EXPECT_GT(pg.port(), 0);
  PGconn* c = PQconnectdb(pg.TcpUrl().c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult* r = PQexec(c, "SELECT inet_server_addr()::text");
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(c);
  EXPECT_EQ(std::string(PQgetvalue(r, 0, 0)), "127.0.0.1/32");
  PQclear(r);
  PQfinish(c);
}

TEST(PgServer, NotInstalledIsASkipReasonNotAFailure) {
  ::setenv("SG_PG_BINDIR", "/nonexistent/pg/bin", 1);
  PgServer pg;
  ::unsetenv("SG_PG_BINDIR");
  EXPECT_FALSE(pg.Available());
  EXPECT_NE(pg.skip_reason().find("PostgreSQL is not installed"), std::string::npos) << pg.skip_reason();
  Status s = pg.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not installed"), std::string::npos);
}

}  // namespace
}  // namespace shelfguard::testing
