#include "shelfguard/process_setup.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SG_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SG_TEST_ASAN 1
#endif

namespace shelfguard {
namespace {

// PrepareScanningProcess asks for transparent huge pages on ~96 MiB of the
// heap: /proc/self/smaps shows a mapping of that size with the "hg" flag.
TEST(ProcessSetupTest, HeapRangeIsAdvisedForHugePages) {
#if defined(SG_TEST_ASAN) || !defined(__GLIBC__)
  GTEST_SKIP() << "the sanitizer's allocator replaces glibc's heap";
#else
  PrepareScanningProcess();
  std::ifstream smaps("/proc/self/smaps");
  ASSERT_TRUE(smaps.good());
  std::string line;
  long size_kb = 0, advised_kb = 0;
  while (std::getline(smaps, line)) {
    if (line.rfind("Size:", 0) == 0) size_kb = std::stol(line.substr(5));
    if (line.rfind("VmFlags:", 0) == 0 && (line + " ").find(" hg ") != std::string::npos) {
      advised_kb = std::max(advised_kb, size_kb);
    }
  }
  EXPECT_GE(advised_kb, 90L << 10) << "no heap range advised MADV_HUGEPAGE";
#endif
}

}  // namespace
}  // namespace shelfguard
