// JSON Lines (one JSON value a line, blank lines skipped) as the CLI and the
// consumer write them, parsed for tests. Header only.
#ifndef SHELFGUARD_TESTS_SUPPORT_JSON_LINES_H_
#define SHELFGUARD_TESTS_SUPPORT_JSON_LINES_H_

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace shelfguard::testing {

// The values of `text`'s lines. A line that is not JSON is a test failure
// when `strict`, else skipped (a file still being written may end in half a
// line).
inline std::vector<nlohmann::json> ParseJsonLines(const std::string& text, bool strict = true) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (strict) {
      EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    }
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_JSON_LINES_H_
