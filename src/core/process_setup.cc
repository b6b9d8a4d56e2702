#include "shelfguard/process_setup.h"

#include <malloc.h>
#include <stdlib.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SG_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SG_ASAN 1
#endif

namespace shelfguard {

void PrepareScanningProcess() {
  if (getenv("TZ") == nullptr) setenv("TZ", ":/etc/localtime", 0);
#if defined(__GLIBC__) && !defined(SG_ASAN)
  // Buffers below 64 MiB come from the heap; up to 128 MiB of free heap top
  // is kept rather than returned after each package (a long-running scan
  // service holds at most that much unused).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
#endif
}

}  // namespace shelfguard
