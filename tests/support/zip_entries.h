// Zips as ordered (name, content) lists: read through the project's reader,
// written by ZipBytes (analyzer tests build packages with it; signed-bundle
// tests take a zip apart, change an entry and put it back together). Header
// only, so module tests can use it without linking sg_testsupport.
#ifndef SHELFGUARD_TESTS_SUPPORT_ZIP_ENTRIES_H_
#define SHELFGUARD_TESTS_SUPPORT_ZIP_ENTRIES_H_

#include <gtest/gtest.h>

#include <cstdint>
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

// A stored (uncompressed) zip of `entries`, in order, built in memory: the
// one zip writer of the tests that take their entries as bytes (a zip
// described by a spec, well-formed or broken, is fixtures.h BuildZip).
// Names are written as given (duplicates and odd bytes included, for tests
// that feed the reader exactly that); fixed timestamps make it deterministic.
inline std::string ZipBytes(const ZipEntries& entries) {
  auto u16 = [](std::string* s, uint32_t v) {
    s->push_back(static_cast<char>(v & 0xff));
    s->push_back(static_cast<char>((v >> 8) & 0xff));
  };
  auto u32 = [&u16](std::string* s, uint32_t v) {
    u16(s, v & 0xffff);
    u16(s, v >> 16);
  };
  auto crc32 = [](const std::string& d) {
    uint32_t crc = 0xffffffffu;
    for (unsigned char ch : d) {
      crc ^= ch;
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
  };
  std::string out, cd;
  for (const auto& [name, data] : entries) {
    const uint32_t offset = static_cast<uint32_t>(out.size());
    // The fields the local header and the central directory share, from
    // "version needed" to "extra length": version 2.0, no flags, stored,
    // 1980-01-01 00:00, no extra field.
    std::string common;
    for (uint32_t v : {20u, 0u, 0u, 0u, 0x21u}) u16(&common, v);
    u32(&common, crc32(data));
    u32(&common, static_cast<uint32_t>(data.size()));
    u32(&common, static_cast<uint32_t>(data.size()));
    u16(&common, static_cast<uint32_t>(name.size()));
    u16(&common, 0);
    u32(&out, 0x04034b50);
    out += common + name + data;
    u32(&cd, 0x02014b50);
    u16(&cd, 20);  // version made by
    cd += common;
    for (uint32_t v : {0u, 0u, 0u}) u16(&cd, v);  // comment length, disk, internal attributes
    u32(&cd, 0);                                  // external attributes
    u32(&cd, offset);
    cd += name;
  }
  const uint32_t cd_offset = static_cast<uint32_t>(out.size());
  out += cd;
  u32(&out, 0x06054b50);
  for (uint32_t v : {0u, 0u}) u16(&out, v);  // this disk, the directory's disk
  u16(&out, static_cast<uint32_t>(entries.size()));
  u16(&out, static_cast<uint32_t>(entries.size()));
  u32(&out, static_cast<uint32_t>(cd.size()));
  u32(&out, cd_offset);
  u16(&out, 0);  // comment length
  return out;
}

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_ZIP_ENTRIES_H_
