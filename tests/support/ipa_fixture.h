// IPAs built from tests/fixtures/specs/<spec>.json by tests/fixtures/mkipa.py
// (real clang + ld64.lld output), for the Mach-O and iOS analyzer tests.
#ifndef SHELFGUARD_TESTS_SUPPORT_IPA_FIXTURE_H_
#define SHELFGUARD_TESTS_SUPPORT_IPA_FIXTURE_H_

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "support/corpus.h"

namespace shelfguard::testing {

// Builds the IPA of `spec` once per process and returns its path (per
// process because test binaries run in parallel); a failed build is a test
// failure.
inline std::string BuildIpa(const std::string& spec) {
  static std::map<std::string, std::string> built;
  std::string& path = built[spec];
  if (path.empty()) {
    std::string dir = BinaryDir() + "/test-fixtures";
    std::filesystem::create_directories(dir);
    path = dir + "/ipa-" + spec + "." + std::to_string(::getpid()) + ".ipa";
    std::string cmd = "python3 '" + SourceDir() + "/tests/fixtures/mkipa.py' '" + SourceDir() +
                      "/tests/fixtures/specs/" + spec + ".json' '" + path + "'";
    if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << "mkipa failed: " << cmd;
  }
  return path;
}

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_IPA_FIXTURE_H_
