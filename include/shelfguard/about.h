// Where the project's documentation lives: the one source of truth for the
// SARIF log's tool.driver.informationUri, `--version` of both programs and
// the man pages generated from it. The Debian package installs docs/ there
// (packaging/packaging.cmake); the project has no web home of its own, so a
// URI that resolves on every machine the package is installed on is used.
#ifndef SHELFGUARD_INCLUDE_SHELFGUARD_ABOUT_H_
#define SHELFGUARD_INCLUDE_SHELFGUARD_ABOUT_H_

namespace shelfguard {

inline constexpr char kDocumentationUri[] = "file:///usr/share/doc/shelfguard/";

}  // namespace shelfguard

#endif  // SHELFGUARD_INCLUDE_SHELFGUARD_ABOUT_H_
