// ExpectContainsAll: the "this output names each of these" check that tests
// wrote as one EXPECT_NE(text.find(...), npos) line per word. Header only.
#ifndef SHELFGUARD_TESTS_SUPPORT_TEXT_EXPECT_H_
#define SHELFGUARD_TESTS_SUPPORT_TEXT_EXPECT_H_

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>

namespace shelfguard::testing {

// Expects each of `parts` somewhere in `text` (a failure names the missing
// part and shows the text).
inline void ExpectContainsAll(const std::string& text, std::initializer_list<std::string_view> parts) {
  for (std::string_view p : parts) {
    EXPECT_NE(text.find(p), std::string::npos) << "'" << p << "' not in:\n" << text;
  }
}

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_TEXT_EXPECT_H_
