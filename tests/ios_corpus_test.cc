// Differential test over ../shared/corpus/ipa: identity against Debian's
// plistutil (libplist-utils), Mach-O architectures / linked dylibs / cryptid
// against llvm-objdump-14 --macho --private-headers. Broken IPAs must give a
// clear error or a partial report.
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "ios/ipa_layout.h"
#include "macho/macho_parser.h"
#include "plist/plist_reader.h"
#include "shelfguard/archive.h"
#include "shelfguard/engine.h"
#include "support/corpus.h"
#include "support/fixtures.h"

namespace shelfguard {
namespace {

// What `cmd` printed (grouped, so its own 2>&1 holds), through RunCommand.
std::string RunCapture(const std::string& cmd) { return testing::RunCommand("(" + cmd + ")").out; }

bool Have(const char* tool) {
  return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0;
}

std::string TempFile(const std::string& name, const std::string& data) {
  std::string dir = testing::BinaryDir() + "/test-fixtures/ios-corpus";
  std::filesystem::create_directories(dir);
  std::string path = dir + "/" + std::to_string(::getpid()) + "-" + name;  // per process
  std::ofstream(path, std::ios::binary) << data;
  return path;
}

// Values plistutil's XML rendering gives for a top-level string key.
std::string XmlKey(const std::string& xml, const std::string& key) {
  std::regex re("<key>" + key + "</key>\\s*<string>([^<]*)</string>");
  std::smatch m;
  return std::regex_search(xml, m, re) ? m[1].str() : std::string();
}
std::string XmlUnescape(std::string s) {
  for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}}) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
      s.replace(p, from.size(), to);
  }
  return s;
}

struct ObjdumpSlice {
  std::vector<std::string> dylibs;
  std::vector<uint32_t> cryptids;
};

// Parses llvm-objdump --macho --private-headers --arch=all output.
std::map<std::string, ObjdumpSlice> Objdump(const std::string& path, std::vector<std::string>* order) {
  std::string out = RunCapture("llvm-objdump-14 --macho --private-headers --arch=all '" + path + "' 2>&1");
  std::map<std::string, ObjdumpSlice> slices;
  std::string cur;
  std::string last_cmd;
  std::istringstream in(out);
  std::string line;
  static const std::map<std::string, std::string> kThin = {
      {"ARM64 ALL", "arm64"}, {"ARM64 E", "arm64e"},  {"ARM V7", "armv7"},    {"ARM V7S", "armv7s"},
      {"ARM V6", "armv6"},    {"X86_64 ALL", "x86_64"}, {"I386 ALL", "i386"}, {"ARM V7K", "armv7k"}};
  std::regex arch_re("\\(architecture ([a-z0-9_]+)\\):$");
  std::regex hdr_re("^\\s*MH_MAGIC(_64)?\\s+(\\S+)\\s+(\\S+)");
  std::regex cmd_re("^\\s*cmd (\\S+)");
  std::regex name_re("^\\s*name (.*) \\(offset \\d+\\)$");
  std::regex crypt_re("^\\s*cryptid (\\d+)");
  bool fat = false;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, arch_re)) {
      fat = true;
      cur = m[1];
      order->push_back(cur);
      slices[cur];
    } else if (!fat && std::regex_search(line, m, hdr_re)) {
      auto it = kThin.find(m[2].str() + " " + m[3].str());
      cur = it != kThin.end() ? it->second : m[2].str();
      order->push_back(cur);
      slices[cur];
    } else if (std::regex_search(line, m, cmd_re)) {
      last_cmd = m[1];
    } else if (std::regex_search(line, m, name_re)) {
      if (last_cmd == "LC_LOAD_DYLIB" || last_cmd == "LC_LOAD_WEAK_DYLIB" ||
          last_cmd == "LC_REEXPORT_DYLIB" || last_cmd == "LC_LAZY_LOAD_DYLIB" ||
          last_cmd == "LC_LOAD_UPWARD_DYLIB")
        slices[cur].dylibs.push_back(m[1]);
    } else if (std::regex_search(line, m, crypt_re)) {
      slices[cur].cryptids.push_back(static_cast<uint32_t>(std::stoul(m[1])));
    }
  }
  return slices;
}

TEST(IosCorpus, DifferentialAgainstPlistutilAndObjdump) {
  SG_REQUIRE_CORPUS();
  if (!Have("plistutil") || !Have("llvm-objdump-14"))
    GTEST_SKIP() << "plistutil (libplist-utils) or llvm-objdump-14 not installed";
  EngineOptions opts;
  auto engine = Engine::Create(opts);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  int ipas = 0, identity_checked = 0, binaries_checked = 0, slices_checked = 0, dylibs_checked = 0;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(testing::CorpusDir() + "/ipa"))
    files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    SCOPED_TRACE(path.filename().string());
    ++ipas;
    Facts f = (*engine)->ScanFile(path.string());
    Limits limits;
    Budget budget(limits);
    auto archive = Archive::OpenFile(path.string(), &budget);
    if (!archive.ok()) {
      // Not a zip: the engine must say so.
      EXPECT_FALSE(f.analysed);
      ASSERT_FALSE(f.errors.empty());
      continue;
    }
    auto layout = ios::FindAppBundle(**archive);
    if (!layout.ok()) {
      EXPECT_FALSE(f.analysed);
      EXPECT_FALSE(f.errors.empty());
      continue;
    }
    EXPECT_EQ(f.package.platform, Platform::kIos);
    if (layout->nested_payload) {
      EXPECT_TRUE(std::any_of(f.anomalies.begin(), f.anomalies.end(),
                              [](const Anomaly& a) { return a.code == "ipa-nested-payload"; }));
    }
    auto info = (*archive)->Read(layout->root + "Info.plist");
    if (!info.ok()) {
      EXPECT_TRUE(std::any_of(f.errors.begin(), f.errors.end(),
                              [](const ErrorItem& e) { return e.code == "ipa-no-info-plist"; }));
      continue;
    }
    std::string tmp = TempFile("Info.plist", *info);
    std::string xml = RunCapture("plistutil -i '" + tmp + "' -f xml");
    ASSERT_FALSE(xml.empty());
    EXPECT_EQ(f.package.id, XmlUnescape(XmlKey(xml, "CFBundleIdentifier")));
    EXPECT_EQ(f.package.version_name, XmlUnescape(XmlKey(xml, "CFBundleShortVersionString")));
    EXPECT_EQ(f.package.version_code, XmlUnescape(XmlKey(xml, "CFBundleVersion")));
    ++identity_checked;

    std::string exe = XmlUnescape(XmlKey(xml, "CFBundleExecutable"));
    if (exe.empty()) exe = layout->app_name;
    const ArchiveEntry* e = (*archive)->Find(layout->root + exe);
    if (e == nullptr || e->size == 0) {
      EXPECT_TRUE(std::any_of(f.errors.begin(), f.errors.end(),
                              [](const ErrorItem& x) { return x.code == "ipa-no-executable"; }));
      continue;
    }
    auto bin = (*archive)->Read(*e);
    ASSERT_TRUE(bin.ok());
    std::string bin_path = TempFile("binary", *bin);
    std::vector<std::string> order;
    auto od = Objdump(bin_path, &order);
    ASSERT_FALSE(order.empty());
    EXPECT_EQ(f.ios.architectures, order);
    bool any_crypt = false;
    for (const auto& [a, s] : od) {
      for (uint32_t c : s.cryptids) any_crypt |= c != 0;
    }
    EXPECT_EQ(f.ios.encrypted, any_crypt);
    // Per slice, through the parser directly.
    auto parsed = macho::Parse(*bin, nullptr, macho::ParseOptions{false, false});
    ASSERT_TRUE(parsed.ok());
    ASSERT_EQ(parsed->slices.size(), order.size());
    for (const auto& s : parsed->slices) {
      SCOPED_TRACE(s.arch);
      const ObjdumpSlice& want = od[s.arch];
      std::vector<std::string> got;
      for (const auto& d : s.dylibs) got.push_back(d.path);
      EXPECT_EQ(got, want.dylibs);
      dylibs_checked += static_cast<int>(got.size());
      if (!want.cryptids.empty()) {
        EXPECT_TRUE(s.has_encryption_info);
        EXPECT_EQ(s.cryptid, want.cryptids.back());
      } else {
        EXPECT_FALSE(s.has_encryption_info);
      }
      ++slices_checked;
    }
    ++binaries_checked;
  }
  std::printf("ios corpus: %d IPAs, %d identities vs plistutil, %d binaries / %d slices / %d dylib "
              "paths vs llvm-objdump\n",
              ipas, identity_checked, binaries_checked, slices_checked, dylibs_checked);
  EXPECT_GE(identity_checked, 10);
  EXPECT_GE(binaries_checked, 8);
}

TEST(IosCorpus, BrokenIpasGiveClearErrors) {
  SG_REQUIRE_CORPUS();
  EngineOptions opts;
  auto engine = Engine::Create(opts);
  ASSERT_TRUE(engine.ok());
  std::string dir = testing::CorpusDir() + "/ipa/";
  struct Case {
    const char* file;
    const char* code;
  };
  for (const Case& c : {Case{"fastlane__not-an-ipa.ipa", "not-a-zip"},
                        Case{"fastlane__no-app-bundle.ipa", "not-a-package"},
                        Case{"fastlane__ContainsWatchApp.ipa", "ipa-no-executable"},
                        Case{"fdroid__com.fake.IpaApp_1000000000001.ipa", "ipa-no-executable"},
                        Case{"fastlane__with_swift_twice.ipa", "ipa-no-info-plist"}}) {
    SCOPED_TRACE(c.file);
    Facts f = (*engine)->ScanFile(dir + c.file);
    EXPECT_TRUE(std::any_of(f.errors.begin(), f.errors.end(),
                            [&](const ErrorItem& e) { return e.code == c.code; }))
        << (f.errors.empty() ? "no errors" : f.errors[0].code);
  }
  // Nested Payload: still identified, and the nesting reported.
  Facts nested = (*engine)->ScanFile(dir + "fastlane__IncorrectlySigned.ipa");
  EXPECT_EQ(nested.package.id, "com.example.Sample");
  EXPECT_TRUE(std::any_of(nested.anomalies.begin(), nested.anomalies.end(),
                          [](const Anomaly& a) { return a.code == "ipa-nested-payload"; }));
}

}  // namespace
}  // namespace shelfguard
