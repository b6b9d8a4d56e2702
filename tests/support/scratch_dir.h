// A private temporary directory for one test, removed with everything in it
// when the test ends.
#ifndef SHELFGUARD_TESTS_SUPPORT_SCRATCH_DIR_H_
#define SHELFGUARD_TESTS_SUPPORT_SCRATCH_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace shelfguard::testing {

class ScratchDir {
 public:
  // /tmp/<prefix>.XXXXXX, mode 0700; path() is empty when it could not be made.
  explicit ScratchDir(const std::string& prefix) {
    std::string tmpl = "/tmp/" + prefix + ".XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_SCRATCH_DIR_H_
