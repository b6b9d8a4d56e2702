// Locating ../shared/corpus and the source tree from tests. Tests that need
// the corpus call SG_REQUIRE_CORPUS() and are skipped, with a message, when it
// is absent (a user's fresh clone).
#ifndef SHELFGUARD_TESTS_SUPPORT_CORPUS_H_
#define SHELFGUARD_TESTS_SUPPORT_CORPUS_H_

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace shelfguard::testing {

inline std::string SourceDir() {
  const char* s = std::getenv("SG_SOURCE_DIR");
  return s != nullptr ? s : SHELFGUARD_SOURCE_DIR;
}

inline std::string BinaryDir() {
  const char* s = std::getenv("SG_BINARY_DIR");
  if (s != nullptr) return s;
#ifdef SG_TEST_BINARY_DIR
  return SG_TEST_BINARY_DIR;
#else
  return SourceDir() + "/build";
#endif
}

// $SHELFGUARD_CORPUS, else <source>/../shared/corpus; empty when absent.
inline std::string CorpusDir() {
  const char* env = std::getenv("SHELFGUARD_CORPUS");
  std::string dir = env != nullptr ? env : SourceDir() + "/../shared/corpus";
  std::error_code ec;
  return std::filesystem::is_directory(dir + "/apk", ec) ? dir : std::string();
}

}  // namespace shelfguard::testing

#define SG_REQUIRE_CORPUS()                                                      \
  do {                                                                           \
    if (::shelfguard::testing::CorpusDir().empty())                              \
      GTEST_SKIP() << "shared corpus not found (../shared/corpus or "            \
                      "$SHELFGUARD_CORPUS); skipping corpus test";               \
  } while (0)

#endif  // SHELFGUARD_TESTS_SUPPORT_CORPUS_H_
