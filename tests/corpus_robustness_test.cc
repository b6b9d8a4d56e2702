// Every file of ../shared/corpus (apk/, ipa/, dex/) is scanned by the built
// `shelfguard` binary, one process per file under a timeout: no crash or
// signal, no hang, no sanitizer report; exit 0/1 with analysed == true, or
// exit 2 with a non-empty errors[]. One test per file, so ctest runs them in
// parallel and a failure names the file. Skips when the corpus is absent.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/corpus.h"
#include "support/fixtures.h"

namespace shelfguard {
namespace {

using testing::BinaryDir;
using testing::CorpusDir;

// Per-file wall-clock bound; generous for the sanitizer build.
constexpr int kTimeoutSeconds = 300;

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> files;
  std::string dir = CorpusDir();
  if (dir.empty()) return files;
  for (const char* sub : {"apk", "ipa", "dex"}) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir + "/" + sub, ec)) {
      if (e.is_regular_file(ec)) files.push_back(std::string(sub) + "/" + e.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

using testing::ShellQuote;

class CorpusRobustness : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusRobustness, ScansWithoutCrashOrHang) {
  SG_REQUIRE_CORPUS();
  const std::string bin = BinaryDir() + "/shelfguard";
  ASSERT_TRUE(std::filesystem::exists(bin)) << "not built: " << bin;
  const std::string file = CorpusDir() + "/" + GetParam();
  // --kill-after: a scan that ignores SIGTERM is still stopped (and fails).
  testing::CommandRun run =
      testing::RunCommand("timeout --kill-after=10 " + std::to_string(kTimeoutSeconds) + " " + ShellQuote(bin) +
                          " scan --format json --no-progress --fail-on never " + ShellQuote(file));
  const std::string& out = run.out;
  const std::string& err = run.err;
  ASSERT_FALSE(run.signalled) << "killed by a signal\n" << err;
  int code = run.exit_code;
  ASSERT_NE(code, 124) << "timed out after " << kTimeoutSeconds << " s";
  ASSERT_TRUE(code == 0 || code == 2) << "exit " << code << "\n" << err;  // --fail-on never
  EXPECT_EQ(err.find("AddressSanitizer"), std::string::npos) << err;
  EXPECT_EQ(err.find("runtime error:"), std::string::npos) << err;  // UBSan
  EXPECT_EQ(err.find("LeakSanitizer"), std::string::npos) << err;

  std::istringstream lines(out);
  std::string line;
  std::vector<nlohmann::json> reports;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line.substr(0, 200);
    reports.push_back(std::move(j));
  }
  ASSERT_EQ(reports.size(), 1u) << out.substr(0, 400);
  const auto& r = reports[0];
  ASSERT_TRUE(r.contains("errors") && r["errors"].is_array());
  if (code == 0) {
    EXPECT_EQ(r.value("analysed", false), true) << r.dump().substr(0, 400);
    EXPECT_NE(r["verdict"], "error");
  } else {
    EXPECT_FALSE(r["errors"].empty()) << "exit 2 without errors[]";
    EXPECT_NE(err.find(GetParam()), std::string::npos) << "stderr does not name the file: " << err;
  }
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (auto& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s + "_" + std::to_string(info.index);  // unique even if two names map alike
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusRobustness, ::testing::ValuesIn(CorpusFiles()), TestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CorpusRobustness);

TEST(CorpusRobustnessPresence, CorpusFound) {
  SG_REQUIRE_CORPUS();
  EXPECT_GT(CorpusFiles().size(), 0u);
}

}  // namespace
}  // namespace shelfguard
