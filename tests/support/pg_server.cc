#include "support/pg_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace shelfguard::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status PgError(std::string msg) { return Status("pg-server", std::move(msg)); }

bool IsExecutable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

// "15" < "16", "9.6" < "10": compares the leading number, then the rest.
bool NewerVersion(const std::string& a, const std::string& b) {
  long na = std::strtol(a.c_str(), nullptr, 10), nb = std::strtol(b.c_str(), nullptr, 10);
  return na != nb ? na > nb : a > b;
}

// A free loopback port: bound and released at once (the server binds it a
// moment later; a clash makes Start() fail with the server's message).
int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

std::string PercentEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string PgServer::FindBinDir() {
  if (const char* env = std::getenv("SG_PG_BINDIR"); env != nullptr && *env != '\0') {
    std::string d = env;
    return IsExecutable(d + "/initdb") && IsExecutable(d + "/pg_ctl") ? d : "";
  }
  std::string best, best_version;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/usr/lib/postgresql", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::string version = it->path().filename().string();
    std::string bin = it->path().string() + "/bin";
    if (!IsExecutable(bin + "/initdb") || !IsExecutable(bin + "/pg_ctl")) continue;
    if (best.empty() || NewerVersion(version, best_version)) {
      best = bin;
      best_version = version;
    }
  }
  if (!best.empty()) return best;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  std::string d;
  while (std::getline(dirs, d, ':')) {
    if (!d.empty() && IsExecutable(d + "/pg_ctl") && IsExecutable(d + "/initdb")) return d;
  }
  return "";
}

PgServer::PgServer() : PgServer(Options()) {}

PgServer::PgServer(Options options) : options_(std::move(options)) {
  bin_dir_ = FindBinDir();
  if (bin_dir_.empty()) {
    skip_reason_ =
        "PostgreSQL is not installed (no initdb and pg_ctl in /usr/lib/postgresql/*/bin, $SG_PG_BINDIR or "
        "PATH; on Debian: apt-get install postgresql, or scripts/install-deps.sh --test)";
    return;
  }
  uid_ = ::geteuid();
  gid_ = ::getegid();
  if (uid_ == 0) {
    // postgres and initdb refuse root; the server runs as nobody instead.
    struct passwd* pw = ::getpwnam("nobody");
    if (pw == nullptr) {
      bin_dir_.clear();
      skip_reason_ = "running as root and there is no user 'nobody' to run PostgreSQL as";
      return;
    }
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
    drop_ = true;
  }
}

PgServer::~PgServer() {
  if (running_) {
    std::string out;
    if (RunAsServerUser("pg_ctl", {"stop", "-D", dir_ + "/data", "-m", "immediate", "-w", "-t", "20"}, &out) != 0) {
      Kill();
    }
    running_ = false;
  }
  if (!dir_.empty() && std::getenv("SG_KEEP_TMP") == nullptr) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

int PgServer::RunAsServerUser(const std::string& program, const std::vector<std::string>& args,
                              std::string* output) const {
  // Everything the child needs is built before fork(): after it, only
  // async-signal-safe calls (the test process has threads).
  std::string exe = program.front() == '/' ? program : bin_dir_ + "/" + program;
  std::string out_path = dir_ + "/cmd." + std::to_string(::getpid()) + ".out";
  std::vector<std::string> argv_s = {exe};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  // A clean environment: a caller's PGHOST/PGDATA/PGPORT must not redirect
  // pg_ctl, and messages stay in English for the failure texts.
  std::vector<std::string> env_s = {"LC_ALL=C", "LANG=C", "PATH=/usr/bin:/bin", "HOME=" + dir_, "TZ=UTC"};
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) return -1;
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    return -1;
  }
  if (pid == 0) {
    ::dup2(out, 1);
    ::dup2(out, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    if (drop_ && (::setgroups(0, nullptr) != 0 || ::setgid(gid_) != 0 || ::setuid(uid_) != 0)) ::_exit(126);
    if (::chdir(dir_.c_str()) != 0) ::_exit(126);
    ::execve(exe.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (output != nullptr) *output = ReadText(out_path);
  ::unlink(out_path.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// initdb takes seconds (most of it importing collations), and every test is
// a process of its own under ctest: one pristine initdb per PostgreSQL
// version and server user is kept in /tmp and copied (cp -a, as the server
// user) into each new server's directory. The template is trusted only when
// it belongs to the server user with mode 0700; it is published by rename, so
// a half-written one is never used.
Status PgServer::CopyTemplate() {
  std::string version = fs::path(bin_dir_).parent_path().filename().string();
  std::string tmpl_dir = "/tmp/sgpg-template-" + version + "-" + std::to_string(uid_);
  auto trusted = [&] {
    struct stat st;
    return ::lstat(tmpl_dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid_ &&
           (st.st_mode & 0777) == 0700 && fs::exists(tmpl_dir + "/PG_VERSION");
  };
  std::string out;
  if (!trusted()) {
    std::string fresh = dir_ + "/template";
    int rc = RunAsServerUser(bin_dir_ + "/initdb", {"-D", fresh, "-U", "sg_admin", "--auth=trust", "-E", "UTF8",
                                                    "--no-locale", "--no-sync"},
                             &out);
    if (rc != 0) return PgError("PgServer: initdb failed (exit " + std::to_string(rc) + "): " + out);
    // Another process may have published one meanwhile: then ours goes.
    if (::rename(fresh.c_str(), tmpl_dir.c_str()) != 0) {
      std::error_code ec;
      fs::remove_all(fresh, ec);
    }
    if (!trusted()) return PgError("PgServer: template " + tmpl_dir + " is not the server user's (mode 0700)");
  }
  int rc = RunAsServerUser("/bin/cp", {"-a", tmpl_dir, dir_ + "/data"}, &out);
  if (rc != 0) return PgError("PgServer: copying " + tmpl_dir + " failed: " + out);
  return Status::Ok();
}

Status PgServer::InitDb() {
  char tmpl[] = "/tmp/sgpg.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return PgError("PgServer: mkdtemp: " + std::string(strerror(errno)));
  dir_ = tmpl;
  std::error_code ec;
  fs::create_directories(socket_dir(), ec);
  if (ec) return PgError("PgServer: " + socket_dir() + ": " + ec.message());
  for (const std::string& d : {dir_, socket_dir()}) {
    if (::chown(d.c_str(), uid_, gid_) != 0 || ::chmod(d.c_str(), 0700) != 0) {
      return PgError("PgServer: chown/chmod " + d + ": " + strerror(errno));
    }
  }
  Status s = CopyTemplate();
  if (!s.ok()) return s;
  if (options_.tcp) {
    port_ = FreeLoopbackPort();
    if (port_ <= 0) return PgError("PgServer: no free loopback port");
  }
  std::ofstream conf(dir_ + "/data/postgresql.conf", std::ios::app);
  conf << "\n# PgServer (tests/support/pg_server.cc)\n"
       << "listen_addresses = '" << (options_.tcp ? "127.0.0.1" : "") << "'\n"
       << "port = " << port_ << "\n"
       << "unix_socket_directories = '" << socket_dir() << "'\n"
       << "unix_socket_permissions = 0700\n"
       // 3 nodes x workers, 128 bench claimers, status readers.
       << "max_connections = 300\n"
       << "shared_buffers = 64MB\n"
       << "max_parallel_workers_per_gather = 0\n"
       << "log_min_messages = warning\n"
       << "log_connections = off\n"
       << "fsync = " << (options_.durable ? "on" : "off") << "\n";
  for (const auto& s : options_.settings) conf << s << "\n";
  conf.close();
  if (!conf) return PgError("PgServer: could not write postgresql.conf");
  initialized_ = true;
  return Status::Ok();
}

Status PgServer::Start() {
  if (!Available()) return PgError(skip_reason_);
  if (running_) return Status::Ok();
  bool first = !initialized_;
  if (first) {
    Status s = InitDb();
    if (!s.ok()) return s;
  }
  std::string out;
  int rc = -1;
  // After Kill() the old backends may still hold the shared memory for a
  // moment ("pre-existing shared memory block is still in use"): retry.
  // Up to ~12 s: on a loaded CI machine the orphaned backends take seconds
  // to notice their postmaster is gone (1.5 s was not enough there).
  for (int attempt = 0; attempt < 25 && rc != 0; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    rc = RunAsServerUser("pg_ctl",
                         {"start", "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w", "-t", "60"}, &out);
  }
  if (rc != 0) return PgError("PgServer: pg_ctl start failed: " + out + "\n" + Log());
  running_ = true;
  if (first) {
    for (const char* sql : {"CREATE ROLE shelfguard LOGIN", "CREATE DATABASE shelfguard OWNER shelfguard"}) {
      auto r = Query(sql, "sg_admin", "postgres");
      if (!r.ok()) return r.status();
    }
  }
  return Status::Ok();
}

Status PgServer::Stop() {
  if (!running_) return Status::Ok();
  std::string out;
  int rc = RunAsServerUser("pg_ctl", {"stop", "-D", dir_ + "/data", "-m", "fast", "-w", "-t", "60"}, &out);
  if (rc != 0) return PgError("PgServer: pg_ctl stop failed: " + out);
  running_ = false;
  return Status::Ok();
}

Status PgServer::Restart() {
  if (!running_) return Start();
  std::string out;
  int rc = RunAsServerUser(
      "pg_ctl", {"restart", "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-m", "fast", "-w", "-t", "60"}, &out);
  if (rc != 0) return PgError("PgServer: pg_ctl restart failed: " + out + "\n" + Log());
  return Status::Ok();
}

pid_t PgServer::PostmasterPid() const {
  std::string text = ReadText(dir_ + "/data/postmaster.pid");
  return static_cast<pid_t>(std::strtol(text.c_str(), nullptr, 10));
}

bool PgServer::ProcessAlive(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  // /proc/<pid>/stat: "pid (comm) S ...": the state follows the last ')'.
  std::string stat = ReadText("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'Z';
}

void PgServer::Kill() {
  pid_t pid = PostmasterPid();
  running_ = false;
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  // The postmaster is not our child (pg_ctl's): wait for it to be gone.
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ProcessAlive(pid) && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Where the init process of a container does not reap orphans, the killed
  // postmaster stays a zombie, and the next start refuses its lock file
  // ("Is another postmaster (PID n) running?": kill(n, 0) succeeds on a
  // zombie). It is dead, so its lock file goes with it.
  if (!ProcessAlive(pid)) {
    std::error_code ec;
    fs::remove(dir_ + "/data/postmaster.pid", ec);
  }
}

std::string PgServer::ConnInfo(const std::string& user, const std::string& database) const {
  return "host=" + (options_.tcp ? std::string("127.0.0.1") : socket_dir()) + " port=" + std::to_string(port_) +
         " user=" + user + " dbname=" + database + " connect_timeout=10";
}

std::string PgServer::Url(const std::string& database) const {
  return "postgresql://shelfguard@/" + database + "?host=" + PercentEncode(socket_dir()) +
         "&port=" + std::to_string(port_);
}

std::string PgServer::TcpUrl(const std::string& database) const {
  return "postgresql://shelfguard@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

Result<std::string> PgServer::Query(const std::string& sql, const std::string& user,
                                    const std::string& database) const {
  PGconn* conn = PQconnectdb(ConnInfo(user, database).c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    return PgError("PgServer: connect: " + msg);
  }
  PGresult* res = PQexec(conn, sql.c_str());
  ExecStatusType st = PQresultStatus(res);
  std::string value;
  Status status = Status::Ok();
  if (st == PGRES_TUPLES_OK) {
    if (PQntuples(res) > 0 && PQnfields(res) > 0) value = PQgetvalue(res, 0, 0);
  } else if (st != PGRES_COMMAND_OK) {
    status = PgError("PgServer: " + sql + ": " + PQresultErrorMessage(res));
  }
  PQclear(res);
  PQfinish(conn);
  if (!status.ok()) return status;
  return value;
}

std::string PgServer::Log() const { return ReadText(dir_ + "/server.log"); }

}  // namespace shelfguard::testing
