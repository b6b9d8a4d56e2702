#include "scan_child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace shelfguard::daemon {
namespace {

std::atomic<int> g_close_fd{-1};
constexpr size_t kMaxOutcomeBytes = 512u << 20;

void MaybeFault(const std::string& path) {
  const char* f = std::getenv("SHELFGUARD_TEST_FAULT");
  if (f == nullptr || std::strcmp(f, "1") != 0) return;
  if (path.find("sg-fault-crash") != std::string::npos) std::abort();
  if (path.find("sg-fault-hang") != std::string::npos) {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

queue::ScanOutcome ScanHere(const Engine& engine, const Assessor& assessor,
                            const std::string& path, const std::string& label) {
  Report r = assessor.Assess(engine.ScanFile(path));
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
                          const std::string& code, const std::string& msg) {
  uint64_t size = 0;
  auto sha = Sha256File(path, &size);
  return queue::ErrorOutcome(label, sha.ok() ? *sha : std::string(), size, code, msg);
}

}  // namespace

void SetChildCloseFd(int fd) { g_close_fd.store(fd); }

queue::ScanOutcome ScanIsolated(const Engine& engine, const Assessor& assessor,
                                const std::string& path, const std::string& label,
                                const IsolationOptions& opt) {
  if (!opt.fork) {
    MaybeFault(path);
    return ScanHere(engine, assessor, path, label);
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return Failed(path, label, "scan-isolation", std::string("pipe: ") + std::strerror(errno));
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return Failed(path, label, "scan-isolation", std::string("fork: ") + std::strerror(errno));
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
    if (opt.max_memory_mb > 0) {
      struct rlimit rl;
      rl.rlim_cur = rl.rlim_max = static_cast<rlim_t>(opt.max_memory_mb) << 20;
      ::setrlimit(RLIMIT_AS, &rl);
    }
    MaybeFault(path);
    std::string out = queue::SerializeOutcome(ScanHere(engine, assessor, path, label));
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
                      std::to_string(opt.grace_ms) + " ms grace); the scanner was killed");
  }
  if (too_big) return Failed(path, label, "over-limit", "scan outcome too large");
  if (want != UINT64_MAX && want <= kMaxOutcomeBytes && buf.size() >= 8 + want) {
    auto o = queue::ParseOutcome(buf.substr(8, want));
    if (o.ok()) return std::move(o).value();
    return Failed(path, label, "scan-crashed", o.status().message());
  }
  if (WIFSIGNALED(wstatus)) {
    return Failed(path, label, "scan-crashed",
                  std::string("the scanner died with signal ") + std::to_string(WTERMSIG(wstatus)) +
                      " (" + strsignal(WTERMSIG(wstatus)) + ")");
  }
  return Failed(path, label, "scan-crashed",
                "the scanner exited with status " + std::to_string(WEXITSTATUS(wstatus)) +
                    " without a result");
}

}  // namespace shelfguard::daemon
