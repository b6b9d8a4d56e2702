// Differential test of the manifest analyzer against Debian's
// `aapt dump badging` over every APK of the shared corpus that aapt accepts:
// package id, versionCode, versionName, min/target SDK and the permission
// list must be equal. Every other corpus file must scan without a crash and
// come back unanalysed or with errors/anomalies explaining what is wrong.
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shelfguard/engine.h"
#include "support/corpus.h"
#include "support/fixtures.h"

namespace shelfguard {
namespace {

struct Badging {
  bool accepted = false;
  bool printed_package = false;  // a package: line came out, even if aapt failed later
  std::string package, version_code, version_name;
  std::optional<std::string> sdk, target_sdk;
  std::map<std::string, std::optional<std::string>> permissions;  // name -> maxSdk
  std::set<std::string> implied;
};

using testing::ShellQuote;

// Value of `key='...'` in `line`, or nullopt.
std::optional<std::string> Field(const std::string& line, const std::string& key) {
  std::string k = key + "='";
  size_t p = line.find(k);
  while (p != std::string::npos && p > 0 && line[p - 1] != ' ' && line[p - 1] != ':') p = line.find(k, p + 1);
  if (p == std::string::npos) return std::nullopt;
  p += k.size();
  size_t e = line.find('\'', p);
  if (e == std::string::npos) return std::nullopt;
  return line.substr(p, e - p);
}

Badging RunAapt(const std::string& path) {
  Badging b;
  testing::CommandRun run = testing::RunCommand("aapt dump badging " + ShellQuote(path));
  const std::string& out = run.out;
  const int rc = run.exit_code;
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    std::string line = out.substr(start, end - start);
    start = end + 1;
    if (line.rfind("package:", 0) == 0) {
      b.accepted = b.printed_package = true;
      b.package = Field(line, "name").value_or("");
      b.version_code = Field(line, "versionCode").value_or("");
      b.version_name = Field(line, "versionName").value_or("");
    } else if (line.rfind("sdkVersion:'", 0) == 0) {
      b.sdk = line.substr(12, line.size() - 13);
    } else if (line.rfind("targetSdkVersion:'", 0) == 0) {
      b.target_sdk = line.substr(18, line.size() - 19);
    } else if (line.rfind("uses-permission:", 0) == 0 || line.rfind("uses-permission-sdk-23:", 0) == 0) {
      if (auto name = Field(line, "name")) b.permissions[*name] = Field(line, "maxSdkVersion");
    } else if (line.rfind("uses-implied-permission:", 0) == 0) {
      if (auto name = Field(line, "name")) b.implied.insert(*name);
    }
  }
  if (rc != 0) b.accepted = false;
  return b;
}

TEST(AndroidCorpusTest, MatchesAaptBadging) {
  SG_REQUIRE_CORPUS();
  if (std::system("aapt version > /dev/null 2>&1") != 0) GTEST_SKIP() << "aapt not installed";
  auto engine = Engine::Create(EngineOptions());
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();

  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(::shelfguard::testing::CorpusDir() + "/apk")) {
    if (e.is_regular_file()) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  int compared = 0, matched = 0, others = 0;
  for (const auto& path : files) {
    SCOPED_TRACE(path);
    Badging want = RunAapt(path);
    Facts got = (*engine)->ScanFile(path);
    if (!want.accepted) {
      ++others;
      // Not accepted by aapt: we must not crash, and must say what is wrong.
      // Files aapt rejects only after printing the package line (old aapt
      // failing on attributes or compact entries newer platforms accept)
      // are valid packages: the identity aapt printed must still match.
      if (want.printed_package) {
        EXPECT_EQ(got.package.id, want.package);
        EXPECT_EQ(got.package.version_code, want.version_code);
        EXPECT_EQ(got.package.version_name, want.version_name);
        continue;
      }
      bool explained = !got.analysed || !got.errors.empty() || !got.anomalies.empty();
      EXPECT_TRUE(explained) << "aapt rejects this file but the report has no error or anomaly";
      continue;
    }
    ++compared;
    int before = ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count();
    EXPECT_TRUE(got.analysed);
    EXPECT_EQ(got.package.id, want.package);
    EXPECT_EQ(got.package.version_code, want.version_code);
    EXPECT_EQ(got.package.version_name, want.version_name);
    // aapt prints sdkVersion / targetSdkVersion only when present; absent
    // means the platform defaults (minSdk 1, targetSdk = minSdk).
    std::string min = got.package.min_sdk ? std::to_string(*got.package.min_sdk) : "";
    std::string target = got.package.target_sdk ? std::to_string(*got.package.target_sdk) : "";
    if (want.sdk) {
      bool codename = !want.sdk->empty() && !isdigit(static_cast<unsigned char>((*want.sdk)[0]));
      EXPECT_EQ(min, codename ? "10000" : *want.sdk);
    } else {
      EXPECT_EQ(min, "1");
    }
    if (want.target_sdk) {
      bool codename = !want.target_sdk->empty() && !isdigit(static_cast<unsigned char>((*want.target_sdk)[0]));
      EXPECT_EQ(target, codename ? "10000" : *want.target_sdk);
    } else {
      EXPECT_EQ(target, min);
    }
    // Permissions: aapt adds implied ones (READ_EXTERNAL_STORAGE for
    // WRITE_EXTERNAL_STORAGE, ...) which are not in the manifest.
    std::map<std::string, std::optional<std::string>> ours;
    for (const auto& p : got.permissions) {
      ours[p.name] = p.max_sdk ? std::optional<std::string>(std::to_string(*p.max_sdk)) : std::nullopt;
    }
    for (const auto& [name, max] : want.permissions) {
      if (ours.count(name) == 0) {
        EXPECT_TRUE(want.implied.count(name)) << "missing permission " << name;
        continue;
      }
      EXPECT_EQ(ours[name], max) << "maxSdkVersion of " << name;
    }
    for (const auto& [name, max] : ours) {
      EXPECT_TRUE(want.permissions.count(name)) << "extra permission " << name;
    }
    int after = ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count();
    if (after == before) ++matched;
  }
  std::printf("[ android-corpus ] %d APKs compared with aapt, %d match; %d other files scanned\n",
              compared, matched, others);
  EXPECT_GT(compared, 0);
}

}  // namespace
}  // namespace shelfguard
