// The fuzz seeds of tests/fuzz_seeds/<format>/ are fixture-writer output:
// a test keeps them so. Header only, for module tests.
#ifndef SHELFGUARD_TESTS_SUPPORT_FUZZ_SEEDS_H_
#define SHELFGUARD_TESTS_SUPPORT_FUZZ_SEEDS_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "support/corpus.h"

namespace shelfguard::testing {

// Expects every seed file tests/fuzz_seeds/<format>/<name> to equal what the
// writer produces today (`seeds`: name -> bytes; SG_WRITE_SEEDS=1 rewrites
// them first) and to be accepted by `parses`.
inline void ExpectFuzzSeedsAreWriterOutput(const std::string& format,
                                           const std::map<std::string, std::string>& seeds,
                                           const std::function<bool(std::string_view)>& parses) {
  const std::string dir = SourceDir() + "/tests/fuzz_seeds/" + format;
  if (std::getenv("SG_WRITE_SEEDS") != nullptr) {
    std::filesystem::create_directories(dir);
    for (const auto& [name, data] : seeds) std::ofstream(dir + "/" + name, std::ios::binary) << data;
  }
  for (const auto& [name, data] : seeds) {
    std::ifstream in(dir + "/" + name, std::ios::binary);
    ASSERT_TRUE(in.good()) << name;
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes, data) << name << " is stale; regenerate with SG_WRITE_SEEDS=1";
    EXPECT_TRUE(parses(bytes)) << name;
  }
}

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_FUZZ_SEEDS_H_
