// Opening files the daemon does not control. Nothing here follows a symbolic
// link or blocks on a FIFO or device: every open is O_NOFOLLOW|O_NONBLOCK and
// checked with fstat on the descriptor that is then used (no check-then-open
// race). Issue 11 points 3 and 4.
#ifndef SHELFGUARD_DAEMON_SAFE_FILE_H_
#define SHELFGUARD_DAEMON_SAFE_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace shelfguard::daemon {

// Opens `path` read-only if it is a regular file reached without following a
// link in its last component; blocking mode is restored after the check.
// Returns the fd, or -1 with *why set ("not a regular file", ...).
int OpenRegularNoFollow(const std::string& path, std::string* why);

// Opens the absolute `path` only if it lies beneath one of `roots`
// (canonical directories), resolving every component beneath the root with
// no symbolic links and no "..", via openat2(RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS). Regular, non-empty files on
// ordinary file systems only (no /proc). -1 and *why on refusal; *why never
// names anything but the client's input.
int OpenBeneathRoots(const std::vector<std::string>& roots, const std::string& path, std::string* why);

// Creates `path` (O_EXCL, 0600) and writes either `data`/`len` or, when
// in_fd >= 0, up to `max` bytes read from in_fd; fsyncs when `sync`. On
// failure the file is removed and false returned.
bool WriteOwnedFile(const std::string& path, const char* data, size_t len, int in_fd, uint64_t max,
                    bool sync = true);

// sha256 of a regular file opened with OpenRegularNoFollow ("" on refusal).
std::string Sha256NoFollow(const std::string& path, uint64_t* size);

// Whether some process has the regular file `path` open for writing, told by
// the kernel: a read lease (fcntl F_SETLEASE F_RDLCK) is refused with EAGAIN
// exactly while the file is open for writing anywhere. Leases need the
// caller to own the file or hold CAP_LEASE, and a file system that has them;
// otherwise the answer is kUnknown and the caller keeps its own guess (the
// spool's settle time). Never follows a link, never blocks.
enum class WriterState { kNone, kWriting, kUnknown };
WriterState OpenForWriting(const std::string& path);

}  // namespace shelfguard::daemon

#endif  // SHELFGUARD_DAEMON_SAFE_FILE_H_
