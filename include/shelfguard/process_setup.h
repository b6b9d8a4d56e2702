// Process-wide settings for processes that scan packages.
#ifndef SHELFGUARD_PROCESS_SETUP_H_
#define SHELFGUARD_PROCESS_SETUP_H_

namespace shelfguard {

// Call once at the start of main(), before any thread is started.
//
// Allocator: a scan inflates entries of up to tens of MiB, parses them and
// frees them, package after package. With glibc's defaults each such buffer
// is a fresh mmap whose every page faults in again; keeping freed memory in
// the heap instead cut about 5 % of a corpus scan by the CLI. Peak memory is
// unchanged (the buffers are reused, not added). The first ~96 MiB of the
// main thread's heap are also advised for transparent huge pages (used when
// the kernel's THP mode is "madvise" or "always"): 2 MiB faults instead of
// 4 KiB ones and fewer TLB misses in the DEX walks, ~3 % of a one-thread
// corpus scan; peak memory grows by a few MiB at most (partly used 2 MiB
// pages).
//
// Time zone: libzip converts every entry's DOS time with mktime(), and with
// TZ unset glibc stats /etc/localtime on each call (about 250 stat calls for
// a typical APK). Setting TZ to that same file, when TZ is unset, keeps the
// local time zone and lets glibc load it once.
void PrepareScanningProcess();

}  // namespace shelfguard

#endif  // SHELFGUARD_PROCESS_SETUP_H_
