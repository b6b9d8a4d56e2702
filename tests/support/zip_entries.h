// Zips as ordered (name, content) lists, for tests that take a zip apart,
// change an entry and put it back together (signed-bundle tests). Header
// only, so module tests can use it without linking sg_testsupport.
#ifndef SHELFGUARD_TESTS_SUPPORT_ZIP_ENTRIES_H_
#define SHELFGUARD_TESTS_SUPPORT_ZIP_ENTRIES_H_

#include <gtest/gtest.h>
#include <zip.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "shelfguard/archive.h"

namespace shelfguard::testing {

using ZipEntries = std::vector<std::pair<std::string, std::string>>;

// The entries of zip bytes, in order (through the project's own reader).
inline ZipEntries ReadZipEntries(const std::string& zip) {
  Budget budget{Limits{}};
  auto a = Archive::OpenMemory(zip, "test zip", &budget, 0);
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  ZipEntries out;
  if (!a.ok()) return out;
  for (const auto& e : (*a)->entries()) out.emplace_back(e.name, *(*a)->Read(e));
  return out;
}

// Writes `entries` with libzip to `scratch` (replaced) and returns the bytes.
inline std::string WriteZipEntries(const ZipEntries& entries, const std::string& scratch) {
  std::remove(scratch.c_str());
  int err = 0;
  zip_t* z = zip_open(scratch.c_str(), ZIP_CREATE | ZIP_EXCL, &err);
  EXPECT_NE(z, nullptr) << scratch;
  if (z == nullptr) return "";
  for (const auto& [name, data] : entries) {
    zip_source_t* s = zip_source_buffer(z, data.data(), data.size(), 0);
    EXPECT_GE(zip_file_add(z, name.c_str(), s, ZIP_FL_ENC_UTF_8), 0) << name;
  }
  EXPECT_EQ(zip_close(z), 0);
  std::ifstream in(scratch, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_ZIP_ENTRIES_H_
