#include "safe_file.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shelfguard/engine.h"

namespace shelfguard::daemon {

namespace {

// Regular file check on the descriptor itself; blocking mode restored.
int CheckRegular(int fd, std::string* why) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    *why = "not a regular file";
    ::close(fd);
    return -1;
  }
  int fl = ::fcntl(fd, F_GETFL);
  if (fl >= 0) ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return fd;
}

std::string OpenError(int err) {
  switch (err) {
    case ENOENT:
      return "not found";
    case EACCES:
    case EPERM:
      return "permission denied";
    case ELOOP:
      return "is or passes through a symbolic link";
    case EXDEV:
      return "outside submit.path_roots";
    default:
      return "cannot open";
  }
}

}  // namespace

int OpenRegularNoFollow(const std::string& path, std::string* why) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    *why = OpenError(errno);
    return -1;
  }
  return CheckRegular(fd, why);
}

int OpenBeneathRoots(const std::vector<std::string>& roots, const std::string& path, std::string* why) {
  if (path.empty() || path[0] != '/') {
    *why = "must be an absolute path";
    return -1;
  }
  for (const auto& root : roots) {
    if (root.empty() || path.size() <= root.size() + 1 || path.compare(0, root.size(), root) != 0 ||
        (root != "/" && path[root.size()] != '/')) {
      continue;
    }
    std::string rel = path.substr(root == "/" ? 1 : root.size() + 1);
    int dir = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) continue;
    struct open_how how;
    std::memset(&how, 0, sizeof(how));
    how.flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    int fd = static_cast<int>(::syscall(SYS_openat2, dir, rel.c_str(), &how, sizeof(how)));
    int err = errno;
    ::close(dir);
    if (fd < 0) {
      // Without openat2 (kernels before 5.6) nothing is opened: the
      // component-by-component guarantee cannot be had from open() alone.
      *why = err == ENOSYS ? "path submissions need Linux 5.6 or later (openat2)" : OpenError(err);
      return -1;
    }
    struct statfs sfs;
    if (::fstatfs(fd, &sfs) == 0 && (sfs.f_type == PROC_SUPER_MAGIC || sfs.f_type == SYSFS_MAGIC)) {
      ::close(fd);
      *why = "not a regular file";
      return -1;
    }
    fd = CheckRegular(fd, why);
    if (fd < 0) return -1;
    struct stat st;
    if (::fstat(fd, &st) != 0 || st.st_size == 0) {
      ::close(fd);
      *why = "empty file";
      return -1;
    }
    return fd;
  }
  *why = roots.empty() ? "no submit.path_roots configured" : "outside submit.path_roots";
  return -1;
}

bool WriteOwnedFile(const std::string& path, const char* data, size_t len, int in_fd, uint64_t max, bool sync) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  auto write_all = [&](const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  };
  bool ok = true;
  if (in_fd < 0) {
    ok = write_all(data, len);
  } else {
    char buf[1 << 16];
    uint64_t total = 0;
    for (;;) {
      ssize_t r = ::read(in_fd, buf, sizeof(buf));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        ok = false;
        break;
      }
      if (r == 0) break;
      total += static_cast<uint64_t>(r);
      if (total > max || !write_all(buf, static_cast<size_t>(r))) {
        ok = false;
        break;
      }
    }
  }
  ok = ok && (!sync || ::fsync(fd) == 0);
  ok = ::close(fd) == 0 && ok;
  if (!ok) ::unlink(path.c_str());
  return ok;
}

std::string Sha256NoFollow(const std::string& path, uint64_t* size) {
  std::string why;
  int fd = OpenRegularNoFollow(path, &why);
  if (fd < 0) return "";
  // The checked descriptor, reopened through /proc (same inode, no lookup
  // of the name again).
  auto sha = Sha256File("/proc/self/fd/" + std::to_string(fd), size);
  ::close(fd);
  return sha.ok() ? *sha : std::string();
}

WriterState OpenForWriting(const std::string& path) {
  // Why a lease and not a scan of /proc/*/fd: an unprivileged daemon cannot
  // see other users' descriptors, so a scan would miss exactly the spool
  // writers of a shared host, while the lease asks the kernel's own count of
  // writers (also those with a writable mapping). A writer that opens the
  // file in the instant the lease is held waits for the break, which is at
  // once: the lease is dropped right after it is granted.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return WriterState::kUnknown;
  struct stat st;
  WriterState state = WriterState::kUnknown;
  // A lease break is signalled to the holder (the kernel makes it the fd's
  // owner): SIGIO, whose default action would end the daemon. SIGURG's
  // default action is to ignore it.
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::fcntl(fd, F_SETSIG, SIGURG) == 0) {
    if (::fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
      ::fcntl(fd, F_SETLEASE, F_UNLCK);
      state = WriterState::kNone;
    } else if (errno == EAGAIN) {
      state = WriterState::kWriting;
    }
  }
  ::close(fd);
  return state;
}

}  // namespace shelfguard::daemon
