#include "scan_child.h"
#include "safe_file.h"
#include "outcome_codec.h"

#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/bounded_file.h"
#include "shelfguard/archive.h"

namespace shelfguard::daemon {
namespace {

std::atomic<int> g_close_fd{-1};
constexpr size_t kMaxOutcomeBytes = 512u << 20;

#ifdef SG_TEST_FAULTS
void MaybeFault(const std::string& path) {
  const char* f = std::getenv("SHELFGUARD_TEST_FAULT");
  if (f == nullptr || std::strcmp(f, "1") != 0) return;
  if (path.find("sg-fault-crash") != std::string::npos) std::abort();
  if (path.find("sg-fault-hang") != std::string::npos) {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}
#else
void MaybeFault(const std::string&) {}  // release builds: no fault switch
#endif

queue::ScanOutcome ScanHere(const Engine& engine, const Assessor& assessor,
                            const std::string& path, const std::string& label,
                            const report::Suppressions* suppressions, const std::string_view* bytes) {
  Facts facts;
  if (bytes != nullptr) {
    // Named `path`, as ScanFile names a file it reads whole: the same report.
    facts = engine.ScanBytes(path, std::string(*bytes));
  } else {
    // A path swapped for a FIFO, device or link after it was queued would make
    // the engine's open() wait for a writer until the deadline kills us: look
    // first without blocking or following (a swap after this look is still
    // bounded by the deadline).
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      struct stat st;
      bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
      ::close(fd);
      if (!regular) return queue::ErrorOutcome(label, "", 0, "not-a-regular-file", label + ": not a regular file");
    } else if (errno == ELOOP) {
      return queue::ErrorOutcome(label, "", 0, "not-a-regular-file", label + ": a symbolic link, not followed");
    }
    facts = engine.ScanFile(path);
  }
  Report r = assessor.Assess(std::move(facts));
  if (suppressions != nullptr) {
    // Today's date each time: an entry stops applying the day after it expires.
    std::vector<uint64_t> hits;
    suppressions->Apply(&r, report::Today(), &hits);
  }
  r.facts.file = label;
  return queue::OutcomeFromReport(r);
}

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

queue::ScanOutcome Failed(const std::string& path, const std::string& label,
                          const std::string& code, const std::string& msg,
                          const std::string_view* bytes = nullptr) {
  uint64_t size = 0;
  std::string sha;
  if (bytes != nullptr) {
    // The file at `path` may still be being written: the bytes are the package.
    size = bytes->size();
    sha = Sha256Hex(*bytes);
  } else {
    // Never a blocking open of the path (it may have become a FIFO).
    sha = Sha256NoFollow(path, &size);
  }
  return queue::ErrorOutcome(label, sha, size, code, msg);
}

}  // namespace

void SetChildCloseFd(int fd) { g_close_fd.store(fd); }

queue::ScanOutcome ScanIsolated(const Engine& engine, const Assessor& assessor,
                                const std::string& path, const std::string& label,
                                const IsolationOptions& opt, const report::Suppressions* suppressions,
                                const std::string_view* bytes) {
  if (bytes != nullptr && bytes->size() > kArchiveLoadWholeBytes) {
    // Not scanned as the engine scans such a file (entry by entry): the
    // callers hand over only what it would read whole.
    return Failed(path, label, "scan-isolation", "package bytes over the in-memory limit", bytes);
  }
  if (!opt.fork) {
    MaybeFault(path);
    return ScanHere(engine, assessor, path, label, suppressions, bytes);
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return Failed(path, label, "scan-isolation", std::string("pipe: ") + std::strerror(errno), bytes);
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return Failed(path, label, "scan-isolation", std::string("fork: ") + std::strerror(errno), bytes);
  }
  if (pid == 0) {
    // Child: only this thread exists. Die with the parent, drop the lock fd,
    // scan, write "<8-byte length><outcome>" and leave without running
    // destructors or atexit handlers of the parent's state.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(3);
    ::close(fds[0]);
    int lock_fd = g_close_fd.load();
    if (lock_fd >= 0) ::close(lock_fd);
    ::signal(SIGPIPE, SIG_DFL);
    struct rlimit no_core = {0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    if (opt.max_memory_mb > 0) {
      struct rlimit rl;
      rl.rlim_cur = rl.rlim_max = static_cast<rlim_t>(opt.max_memory_mb) << 20;
      ::setrlimit(RLIMIT_AS, &rl);
    }
    MaybeFault(path);
    std::string out = EncodeOutcome(ScanHere(engine, assessor, path, label, suppressions, bytes));
    uint64_t n = out.size();
    char hdr[8];
    std::memcpy(hdr, &n, 8);
    bool ok = WriteAll(fds[1], hdr, 8) && WriteAll(fds[1], out.data(), out.size());
    ::_exit(ok ? 0 : 4);
  }
  ::close(fds[1]);
  // Parent. Another worker's concurrent fork may hold a copy of our write
  // end, so EOF is not a reliable end: the child's message is length-prefixed
  // and the child's exit is polled with waitpid.
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(opt.deadline_ms + static_cast<uint64_t>(opt.grace_ms));
  std::string buf;
  uint64_t want = UINT64_MAX;
  bool exited = false, timed_out = false, too_big = false;
  int wstatus = 0;
  char chunk[65536];
  for (;;) {
    if (buf.size() >= 8 && want == UINT64_MAX) {
      std::memcpy(&want, buf.data(), 8);
      if (want > kMaxOutcomeBytes) {
        too_big = true;
        break;
      }
    }
    if (want != UINT64_MAX && buf.size() >= 8 + want) break;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    int wait_ms = static_cast<int>(std::min<int64_t>(
        100, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1));
    struct pollfd p = {fds[0], POLLIN, 0};
    int pr = ::poll(&p, 1, wait_ms);
    if (pr > 0) {
      ssize_t r = ::read(fds[0], chunk, sizeof chunk);
      if (r > 0) {
        buf.append(chunk, static_cast<size_t>(r));
        continue;
      }
      if (r == 0 && exited) break;
    }
    if (!exited) {
      pid_t w = ::waitpid(pid, &wstatus, WNOHANG);
      if (w == pid) {
        exited = true;
        // Drain what the child wrote before it exited.
        int fl = ::fcntl(fds[0], F_GETFL);
        ::fcntl(fds[0], F_SETFL, fl | O_NONBLOCK);
        ssize_t r;
        while ((r = ::read(fds[0], chunk, sizeof chunk)) > 0) buf.append(chunk, static_cast<size_t>(r));
        if (buf.size() >= 8) std::memcpy(&want, buf.data(), 8);
        break;
      }
    } else if (pr == 0) {
      break;
    }
  }
  ::close(fds[0]);
  if (!exited) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
  }
  if (timed_out) {
    return Failed(path, label, "timeout",
                  "scan exceeded the deadline of " + std::to_string(opt.deadline_ms) + " ms (+" +
                      std::to_string(opt.grace_ms) + " ms grace); the scanner was killed",
                  bytes);
  }
  if (too_big) return Failed(path, label, "over-limit", "scan outcome too large", bytes);
  if (want != UINT64_MAX && want <= kMaxOutcomeBytes && buf.size() >= 8 + want) {
    auto o = DecodeOutcome(std::string_view(buf).substr(8, want));
    if (o.ok()) return std::move(o).value();
    return Failed(path, label, "scan-crashed", o.status().message(), bytes);
  }
  if (WIFSIGNALED(wstatus)) {
    return Failed(path, label, "scan-crashed",
                  std::string("the scanner died with signal ") + std::to_string(WTERMSIG(wstatus)) +
                      " (" + strsignal(WTERMSIG(wstatus)) + ")",
                  bytes);
  }
  return Failed(path, label, "scan-crashed",
                "the scanner exited with status " + std::to_string(WEXITSTATUS(wstatus)) +
                    " without a result",
                bytes);
}

}  // namespace shelfguard::daemon

namespace shelfguard::daemon {
namespace {

bool WriteFrame(int fd, const std::string& s) {
  uint64_t n = s.size();
  char hdr[8];
  std::memcpy(hdr, &n, 8);
  return WriteAll(fd, hdr, 8) && WriteAll(fd, s.data(), s.size());
}

// Reads one length-prefixed frame; timeout_ms < 0 waits forever. When it
// fails because the time ran out, *timed_out is set (EOF and errors leave it
// false), so the caller never has to infer the cause from a clock.
bool ReadFrame(int fd, std::string* out, int64_t timeout_ms, bool* timed_out = nullptr) {
  if (timed_out != nullptr) *timed_out = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string buf;
  uint64_t want = UINT64_MAX;
  char chunk[65536];
  for (;;) {
    if (want == UINT64_MAX && buf.size() >= 8) {
      std::memcpy(&want, buf.data(), 8);
      if (want > kMaxOutcomeBytes) return false;
    }
    if (want != UINT64_MAX && buf.size() >= 8 + want) {
      *out = buf.substr(8, want);
      return true;
    }
    int wait = -1;
    if (timeout_ms >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) {
        if (timed_out != nullptr) *timed_out = true;
        return false;
      }
      wait = static_cast<int>(std::min<int64_t>(left, 1000));
    }
    struct pollfd p = {fd, POLLIN, 0};
    int pr = ::poll(&p, 1, wait);
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) continue;
    ssize_t r = ::read(fd, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    buf.append(chunk, static_cast<size_t>(r));
  }
}

}  // namespace

Status ScanService::Start(const std::string& config_path, const std::string& snapshot, int64_t timeout_ms) {
  SG_RETURN_IF_ERROR(Launch(config_path, snapshot));
  return WaitReady(timeout_ms);
}

Status ScanService::Launch(const std::string& config_path, const std::string& snapshot) {
  Stop();
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Status::IoError(std::string("socketpair: ") + std::strerror(errno));
  }
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    return Status::IoError("cannot find /proc/self/exe");
  }
  exe[n] = '\0';
  // The region for submitted bytes. Without it (no memfd) every package is
  // read from its file, as before.
  int region = ::memfd_create("shelfguard-package", MFD_CLOEXEC);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    if (region >= 0) ::close(region);
    return Status::IoError(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(3);
    // The socket becomes fd 3 and the region fd 4. Both are first copied
    // above 9, so that neither dup2 overwrites the other's source; those
    // copies close at exec, and dup2 clears FD_CLOEXEC on 3 and 4.
    int sock = ::fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
    int reg = region >= 0 ? ::fcntl(region, F_DUPFD_CLOEXEC, 10) : -1;
    if (sock < 0 || ::dup2(sock, 3) < 0) ::_exit(127);
    if (reg >= 0 && ::dup2(reg, 4) < 0) reg = -1;
    sigset_t none;
    sigemptyset(&none);
    ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
    const char* argv[] = {exe,        "--scan-service", "3", "--config", config_path.c_str(),
                          "--snapshot", snapshot.c_str(),  reg >= 0 ? "--region" : nullptr, "4", nullptr};
    ::execv(exe, const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(sv[1]);
  region_fd_ = region;
  fd_ = sv[0];
  pid_ = pid;
  ready_ = false;
  return Status::Ok();
}

Status ScanService::WaitReady(int64_t timeout_ms) {
  if (pid_ <= 0) return Status::IoError("the scan service is not running");
  if (ready_) return Status::Ok();
  std::string hello;
  if (!ReadFrame(fd_, &hello, timeout_ms)) {
    Stop();
    return Status::IoError("the scan service did not start");
  }
  auto j = nlohmann::json::parse(hello, nullptr, false);
  if (!j.is_object() || !j.value("ok", false)) {
    std::string err = j.is_object() ? j.value("error", "") : "bad hello";
    Stop();
    return Status::IoError("the scan service failed to start: " + err);
  }
  sig_ = j.value("signatures_version", "");
  reg_ = j.value("registry_version", "");
  ready_ = true;
  return Status::Ok();
}

void ScanService::Stop() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (region_ != nullptr) ::munmap(region_, region_size_);
  region_ = nullptr;
  region_size_ = 0;
  if (region_fd_ >= 0) ::close(region_fd_);
  region_fd_ = -1;
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
  ready_ = false;
}

bool ScanService::TakesBytes(size_t n) {
  if (region_fd_ < 0 || n == 0 || n > kArchiveLoadWholeBytes) return false;
  if (n <= region_size_) return true;
  // Grown in whole MiB (the helper maps what fstat says); never shrunk
  // while the helper lives, so its mapping stays valid.
  size_t want = std::min<size_t>((n + (1u << 20) - 1) & ~size_t{(1u << 20) - 1}, kArchiveLoadWholeBytes);
  if (::ftruncate(region_fd_, static_cast<off_t>(want)) != 0) return false;
  void* m = ::mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_SHARED, region_fd_, 0);
  if (m == MAP_FAILED) return false;
  if (region_ != nullptr) ::munmap(region_, region_size_);
  region_ = static_cast<char*>(m);
  region_size_ = want;
  return true;
}

queue::ScanOutcome ScanService::Scan(const std::string& path, const std::string& label,
                                     const IsolationOptions& o, std::string_view bytes) {
  nlohmann::json req = {{"path", path}, {"label", label}, {"fork", o.fork}, {"deadline_ms", o.deadline_ms},
                        {"grace_ms", o.grace_ms}, {"max_memory_mb", o.max_memory_mb}};
  const std::string_view* in_memory = nullptr;
  if (!bytes.empty()) {
    if (!TakesBytes(bytes.size())) {
      return Failed(path, label, "scan-service", "the package bytes cannot be handed to the scan service", &bytes);
    }
    // The helper is idle between requests: nothing reads the region now.
    std::memcpy(region_, bytes.data(), bytes.size());
    req["bytes"] = bytes.size();
    in_memory = &bytes;
  }
  std::string reply;
  // In-service scans (fork == false) are bounded here: past the deadline and
  // grace the whole service is killed and replaced. Per-package children are
  // bounded by the service itself; this is only a backstop.
  int64_t timeout = static_cast<int64_t>(o.deadline_ms) + o.grace_ms + (o.fork ? 30000 : 0);
  bool timed_out = false;
  if (running() && ready_ && WriteFrame(fd_, req.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) &&
      ReadFrame(fd_, &reply, timeout, &timed_out)) {
    auto out = DecodeOutcome(reply);
    if (out.ok()) return std::move(out).value();
  }
  int st = 0;
  bool exited = false;
  if (pid_ > 0 && !timed_out) {
    // EOF: the service died in the scan; collect how. A loaded machine can
    // take a while to tear a process down, so allow up to five seconds.
    for (int i = 0; i < 500 && !exited; ++i) {
      exited = ::waitpid(pid_, &st, WNOHANG) == pid_;
      if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (exited) pid_ = -1;
  }
  Stop();
  if (timed_out) {
    return Failed(path, label, "timeout",
                  "scan exceeded the deadline of " + std::to_string(o.deadline_ms) + " ms (+" +
                      std::to_string(o.grace_ms) + " ms grace); the scanner was killed",
                  in_memory);
  }
  if (exited && WIFSIGNALED(st)) {
    return Failed(path, label, "scan-crashed",
                  std::string("the scanner died with signal ") + std::to_string(WTERMSIG(st)) + " (" +
                      strsignal(WTERMSIG(st)) + ")",
                  in_memory);
  }
  return Failed(path, label, "scan-crashed", "the scan service failed without a result; it is restarted",
                in_memory);
}

int ScanServiceMain(int fd, const std::string& config_path, const std::string& snapshot, int region_fd) {
  // The daemon stops the service itself (SIGKILL, or EOF on the socket); a
  // terminal's SIGINT/SIGTERM to the process group must not kill a scan the
  // draining daemon is waiting for.
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  // A crash on hostile input is reported by the daemon; it must not also
  // leave a core file of attacker-chosen size behind.
  struct rlimit no_core = {0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  auto fail = [&](const std::string& why) {
    nlohmann::json j = {{"ok", false}, {"error", why}};
    WriteFrame(fd, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return 2;
  };
  // The daemon's snapshot (issue 12): the config text it parsed and the
  // files it loaded, so that a service started after a refused reload
  // serves what the daemon serves.
  nlohmann::json setup = nlohmann::json::object();
  // The daemon wrote them, but they are read with the limits it read them
  // with: a config of kMaxConfigBytes, setup.json of 1 MiB as reload.cc
  // reads it, the suppressions copy of kMaxSuppressionFileBytes.
  auto read_snap = [&](const std::string& name, std::string* out, uint64_t max) {
    auto text = ReadFileBounded(snapshot + "/" + name, max, "snapshot file");
    if (!text.ok()) return false;
    *out = std::move(text).value();
    return true;
  };
  std::string config_text, setup_text;
  if (!snapshot.empty() && (!read_snap("config.toml", &config_text, kMaxConfigBytes) ||
                            !read_snap("setup.json", &setup_text, 1u << 20))) {
    return fail("cannot read the daemon's snapshot " + snapshot);
  }
  if (!snapshot.empty()) setup = nlohmann::json::parse(setup_text, nullptr, false);
  if (!setup.is_object()) return fail("snapshot " + snapshot + "/setup.json is not JSON");
  auto config = snapshot.empty() ? LoadConfig(config_path) : ParseConfig(config_text, config_path);
  if (!config.ok()) return fail(config.status().message());
  EngineOptions eo;
  eo.limits = config->limits;
  eo.signatures_dir = setup.value("signatures_dir", config->signatures_dir);
  // A service scans one package at a time: its next entry inflates on a
  // second thread while the current one is analysed (a gate's verdict comes
  // sooner when a core is free; nothing changes when none is).
  eo.prefetch = true;
  auto engine_r = Engine::Create(eo);
  if (!engine_r.ok()) return fail("signatures: " + engine_r.status().ToString());
  AssessOptions ao;
  ao.registry_path = setup.value("registry", config->registry);
  ao.registry_strict = config->registry_strict;
  auto assessor_r = Assessor::Create(ao);
  const std::string want_registry = setup.value("registry_version", "");
  if (!want_registry.empty() && (!assessor_r.ok() || (*assessor_r)->registry_version() != want_registry)) {
    // scan.registry changed since the daemon loaded it (perhaps a reload was
    // refused over it): the copy taken then is what the daemon serves.
    ao.registry_path = setup.value("registry_copy", "");
    assessor_r = Assessor::Create(ao);
    if (assessor_r.ok() && (*assessor_r)->registry_version() != want_registry) {
      return fail("registry: " + config->registry + " changed while the daemon loaded it (version " +
                  (*assessor_r)->registry_version() + ", the daemon serves " + want_registry +
                  "); send SIGHUP to load it");
    }
  }
  if (!assessor_r.ok()) return fail("registry: " + assessor_r.status().ToString());
  std::optional<report::Suppressions> suppressions;
  if (setup.contains("suppressions")) {
    std::string text;
    std::string copy = setup.value("suppressions", "");
    if (copy.rfind(snapshot + "/", 0) != 0 || !read_snap(copy.substr(snapshot.size() + 1), &text, report::kMaxSuppressionFileBytes)) {
      return fail("cannot read the snapshot's suppressions " + copy);
    }
    auto sup = report::Suppressions::Parse(text, setup.value("suppressions_name", copy));
    if (!sup.ok()) return fail("scan.suppressions: " + sup.status().message());
    suppressions = std::move(sup).value();
  }
  if (config->max_memory_mb > 0 && config->isolation == "process") {
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = static_cast<rlim_t>(config->max_memory_mb) << 20;
    ::setrlimit(RLIMIT_AS, &rl);
  }
  const Engine& engine = **engine_r;
  const Assessor& assessor = **assessor_r;
  nlohmann::json hello = {{"ok", true},
                          {"signatures_version", engine.signatures_version()},
                          {"registry_version", assessor.registry_version()}};
  if (!WriteFrame(fd, hello.dump())) return 1;
  // The daemon's region of submitted bytes, mapped read-only and remapped
  // when the daemon has grown it.
  const char* region = nullptr;
  size_t mapped = 0;
  for (;;) {
    std::string req;
    if (!ReadFrame(fd, &req, -1)) return 0;  // the daemon closed the socket
    auto j = nlohmann::json::parse(req, nullptr, false);
    if (!j.is_object()) return 1;
    IsolationOptions o;
    o.fork = j.value("fork", true);
    o.deadline_ms = j.value("deadline_ms", uint64_t{120000});
    o.grace_ms = j.value("grace_ms", int64_t{2000});
    o.max_memory_mb = j.value("max_memory_mb", int64_t{0});
    const std::string path = j.value("path", ""), label = j.value("label", "");
    std::string_view bytes;
    if (j.contains("bytes")) {
      const uint64_t n = j.value("bytes", uint64_t{0});
      struct stat st;
      if (region_fd >= 0 && ::fstat(region_fd, &st) == 0 && static_cast<uint64_t>(st.st_size) > mapped) {
        if (region != nullptr) ::munmap(const_cast<char*>(region), mapped);
        void* m = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, region_fd, 0);
        region = m == MAP_FAILED ? nullptr : static_cast<const char*>(m);
        mapped = region == nullptr ? 0 : static_cast<size_t>(st.st_size);
      }
      if (n == 0 || n > mapped) {
        if (!WriteFrame(fd, EncodeOutcome(queue::ErrorOutcome(label, "", 0, "scan-service",
                                                              "the package bytes are not in the shared region")))) {
          return 1;
        }
        continue;
      }
      bytes = std::string_view(region, static_cast<size_t>(n));
    }
    queue::ScanOutcome out = ScanIsolated(engine, assessor, path, label, o, suppressions ? &*suppressions : nullptr,
                                          j.contains("bytes") ? &bytes : nullptr);
    if (!WriteFrame(fd, EncodeOutcome(out))) return 1;
  }
}

}  // namespace shelfguard::daemon
