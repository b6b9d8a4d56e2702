#include "shelfguard/process_setup.h"

#include <malloc.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SG_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SG_ASAN 1
#endif

namespace shelfguard {

namespace {

#if defined(__GLIBC__) && !defined(SG_ASAN) && defined(MADV_HUGEPAGE)
// Grows the main heap by ~96 MiB of address space (touching none of it) and
// asks for transparent huge pages there (honoured when the kernel's THP mode
// is "madvise" or "always"): the package, its inflated DEX files and the
// parse tables of the main thread's scans then fault in 2 MiB at a time, and
// the DEX walks' scattered reads miss the TLB less. The heap keeps the range
// (it is below M_TRIM_THRESHOLD), so it is asked for once.
void AdviseHugePagesForHeap() {
  constexpr size_t kPiece = 48u << 20;  // below M_MMAP_THRESHOLD: from the heap
  constexpr uintptr_t kHuge = 2u << 20;
  void* a = malloc(kPiece);
  void* b = a != nullptr ? malloc(kPiece) : nullptr;
  if (b != nullptr) {
    auto lo = std::min(reinterpret_cast<uintptr_t>(a), reinterpret_cast<uintptr_t>(b));
    auto hi = std::max(reinterpret_cast<uintptr_t>(a), reinterpret_cast<uintptr_t>(b)) + kPiece;
    lo = (lo + kHuge - 1) & ~(kHuge - 1);
    hi &= ~(kHuge - 1);
    // Only when the two pieces are one run of heap (they are, from a fresh
    // heap top); a failure leaves ordinary pages, as before.
    if (hi > lo && hi - lo <= 2 * kPiece + kHuge) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
  }
  free(b);
  free(a);
}
#endif

}  // namespace

void PrepareScanningProcess() {
  if (getenv("TZ") == nullptr) setenv("TZ", ":/etc/localtime", 0);
#if defined(__GLIBC__) && !defined(SG_ASAN)
  // Buffers below 64 MiB come from the heap; up to 128 MiB of free heap top
  // is kept rather than returned after each package (a long-running scan
  // service holds at most that much unused).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
#if defined(MADV_HUGEPAGE)
  AdviseHugePagesForHeap();
#endif
#endif
}

}  // namespace shelfguard
