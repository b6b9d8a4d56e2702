// Signed signature updates end to end, as an operator runs them: a real key
// from Debian's `minisign -G -W`, bundles packed by `shelfguard signatures
// pack`, checked by `minisign -Vm` and `shelfguard signatures verify`, served
// from a loopback HTTP server and installed by `shelfguard signatures update`.
// Then tampered, truncated, unsigned, wrongly signed and rolled-back bundles
// are each refused with exit 2, and the installed set keeps serving: same
// files, same version, still loads.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "shelfguard/archive.h"
#include "signatures/bundle.h"
#include "signatures/signature_db.h"
#include "support/fixtures.h"
#include "support/http_server.h"
#include "support/zip_entries.h"

namespace shelfguard {
namespace {

namespace fs = std::filesystem;
using testing::BinaryDir;

struct CmdRun {
  int exit_code = -1;
  std::string out, err;
};

CmdRun Shell(const std::string& cmd) {
  static int counter = 0;
  std::string base = BinaryDir() + "/signature_update_test." + std::to_string(getpid()) + "." +
                     std::to_string(counter++);
  std::string full = "timeout 120 sh -c " + testing::ShellQuote(cmd) + " >" + testing::ShellQuote(base + ".out") + " 2>" +
                     testing::ShellQuote(base + ".err") + " </dev/null";
  int st = std::system(full.c_str());
  CmdRun r;
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = testing::ReadFileBytes(base + ".out");
  r.err = testing::ReadFileBytes(base + ".err");
  fs::remove(base + ".out");
  fs::remove(base + ".err");
  return r;
}

CmdRun Shelfguard(const std::vector<std::string>& args) {
  std::string cmd = testing::ShellQuote(BinaryDir() + "/shelfguard");
  for (const auto& a : args) cmd += " " + testing::ShellQuote(a);
  return Shell(cmd);
}

std::string SourceSignatures() {
  const char* s = std::getenv("SG_SOURCE_DIR");
  return std::string(s != nullptr ? s : SHELFGUARD_SOURCE_DIR) + "/signatures";
}

std::map<std::string, std::string> Snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& de : fs::recursive_directory_iterator(dir)) {
    if (de.is_regular_file()) {
      files[fs::relative(de.path(), dir).string()] = testing::ReadFileBytes(de.path().string());
    }
  }
  return files;
}

using Entries = testing::ZipEntries;
using testing::ReadZipEntries;

class SignatureUpdateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Shell("minisign -v").exit_code != 0) GTEST_SKIP() << "minisign is not installed";
    root_ = fs::temp_directory_path() / ("sg_sigupdate_" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    for (const char* k : {"key", "other"}) {
      CmdRun g = Shell("cd " + testing::ShellQuote(root_.string()) + " && minisign -G -W -p " + k +
                    ".pub -s " + k + ".key");
      ASSERT_EQ(g.exit_code, 0) << g.err;
    }
    ASSERT_TRUE(server_.Start().ok());
    installed_ = (root_ / "installed").string();
  }
  void TearDown() override {
    server_.Stop();
    if (!root_.empty()) fs::remove_all(root_);
  }

  std::string P(const std::string& name) const { return (root_ / name).string(); }

  // A signature set: the shipped files, plus one file of its own per
  // version, so every version's content differs.
  std::string MakeSet(int version) {
    fs::path dir = root_ / ("set" + std::to_string(version));
    if (fs::exists(dir)) return dir.string();
    fs::create_directories(dir);
    for (const auto& de : fs::directory_iterator(SourceSignatures())) {
      if (de.path().extension() == ".json") fs::copy_file(de.path(), dir / de.path().filename());
    }
    std::ofstream(dir / "zz-update.json")
        << R"({"format": "shelfguard-signatures/1", "version": ")" << version
        << R"(", "sdks": [{"id": "update-probe-)" << version
        << R"(", "name": "Update probe", "vendor": "Test", "category": "other",
              "source": "signature_update_test", "patterns": {"classes": ["com.probe.v)"
        << version << R"(."]}}]})";
    return dir.string();
  }

  std::string Pack(int version, const std::string& key = "key") {
    std::string out = P("v" + std::to_string(version) + "-" + key + ".zip");
    CmdRun r = Shelfguard({"signatures", "pack", "--dir", MakeSet(version), "--version",
                        std::to_string(version), "--secret-key", P(key + ".key"), "--out", out});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return testing::ReadFileBytes(out);
  }

  std::string Rezip(const Entries& entries) {
    return testing::ZipBytes(entries);
  }

  CmdRun Update() {
    return Shelfguard({"signatures", "update", server_.Url("/signatures.zip"), "--public-key",
                       P("key.pub"), "--dir", installed_});
  }

  void Serve(std::string body, const std::string& etag) {
    server_.Route("/signatures.zip", {.body = std::move(body), .etag = etag});
  }

  // Installed set: version and files unchanged, and it still loads.
  void ExpectStillServing(const std::map<std::string, std::string>& before, uint64_t version) {
    EXPECT_EQ(Snapshot(installed_), before);
    auto v = InstalledBundleVersion(installed_);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, version);
    auto db = LoadSignatureDb(installed_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_FALSE(fs::exists(installed_ + ".new"));
  }

  fs::path root_;
  std::string installed_;
  testing::HttpServer server_;
};

TEST_F(SignatureUpdateTest, PackVerifyInstallAndRefuseEveryBadBundle) {
  // Pack, and Debian's minisign verifies the manifest with the public key.
  std::string v1 = Pack(1);
  Entries e1 = ReadZipEntries(v1);
  ASSERT_GE(e1.size(), 3u);
  ASSERT_EQ(e1[0].first, "manifest.json");
  ASSERT_EQ(e1[1].first, "manifest.json.minisig");
  fs::create_directories(root_ / "check");
  std::ofstream(root_ / "check" / "manifest.json", std::ios::binary) << e1[0].second;
  std::ofstream(root_ / "check" / "manifest.json.minisig", std::ios::binary) << e1[1].second;
  CmdRun mv = Shell("minisign -Vm " + testing::ShellQuote(P("check/manifest.json")) + " -p " +
                 testing::ShellQuote(P("key.pub")));
  EXPECT_EQ(mv.exit_code, 0) << mv.out << mv.err;
  CmdRun mv_other = Shell("minisign -Vm " + testing::ShellQuote(P("check/manifest.json")) + " -p " +
                       testing::ShellQuote(P("other.pub")));
  EXPECT_NE(mv_other.exit_code, 0);

  CmdRun ver = Shelfguard({"signatures", "verify", P("v1-key.zip"), "--public-key", P("key.pub")});
  EXPECT_EQ(ver.exit_code, 0) << ver.err;
  EXPECT_NE(ver.out.find("version 1"), std::string::npos) << ver.out;
  EXPECT_NE(ver.out.find("zz-update.json"), std::string::npos) << ver.out;
  CmdRun ver_other =
      Shelfguard({"signatures", "verify", P("v1-key.zip"), "--public-key", P("other.pub")});
  EXPECT_EQ(ver_other.exit_code, 2);
  EXPECT_NE(ver_other.err.find("another key"), std::string::npos) << ver_other.err;

  // First install, then a conditional GET that finds nothing new.
  Serve(v1, "\"v1\"");
  CmdRun u1 = Update();
  ASSERT_EQ(u1.exit_code, 0) << u1.out << u1.err;
  EXPECT_NE(u1.out.find("none -> 1"), std::string::npos) << u1.out;
  auto db1 = LoadSignatureDb(installed_);
  ASSERT_TRUE(db1.ok()) << db1.status().ToString();
  EXPECT_EQ(db1.value()->entries().back().id, "update-probe-1");
  CmdRun again = Update();
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("not modified"), std::string::npos) << again.out;
  auto reqs = server_.requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs.back().headers["if-none-match"], "\"v1\"");
  EXPECT_EQ(reqs.back().status, 304);

  // A newer version replaces it.
  std::string v2 = Pack(2);
  Serve(v2, "\"v2\"");
  CmdRun u2 = Update();
  ASSERT_EQ(u2.exit_code, 0) << u2.out << u2.err;
  EXPECT_NE(u2.out.find("1 -> 2"), std::string::npos) << u2.out;
  EXPECT_TRUE(fs::exists(fs::path(installed_) / "zz-update.json"));
  const auto serving = Snapshot(installed_);
  ExpectStillServing(serving, 2);

  // Each bad bundle: exit 2 with the reason, the v2 set keeps serving.
  std::string v3 = Pack(3);
  Entries e3 = ReadZipEntries(v3);
  struct Bad {
    const char* what;
    std::string body;
    const char* reason;
  };
  Entries tampered = e3;
  tampered.back().second.replace(tampered.back().second.find("Update probe"), 12, "Update prob3");
  Entries unsigned_entries = e3;
  unsigned_entries.erase(unsigned_entries.begin() + 1);
  Entries extra = e3;
  extra.emplace_back("zz-extra.json", e3.back().second);
  std::vector<Bad> bad = {
      {"tampered file", Rezip(tampered), "sha256"},
      {"truncated zip", v3.substr(0, v3.size() * 2 / 3), "zip"},
      {"unsigned", Rezip(unsigned_entries), "unsigned"},
      {"extra file", Rezip(extra), "zz-extra.json"},
      {"wrongly signed", Pack(3, "other"), "another key"},
      {"rolled back", v1, "not newer"},
      {"same version", v2, "not newer"},
  };
  int n = 0;
  for (const auto& b : bad) {
    Serve(b.body, "\"bad" + std::to_string(n++) + "\"");
    CmdRun r = Update();
    EXPECT_EQ(r.exit_code, 2) << b.what << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(b.reason), std::string::npos) << b.what << ": " << r.err;
    ExpectStillServing(serving, 2);
  }
  // A download cut short by the server (Content-Length says more).
  server_.Route("/signatures.zip", {.body = v3, .etag = "\"cut\"", .truncate_at = v3.size() / 2});
  CmdRun cut = Update();
  EXPECT_EQ(cut.exit_code, 2) << cut.out << cut.err;
  ExpectStillServing(serving, 2);
  // A server error.
  server_.Route("/signatures.zip", {.status = 500, .body = "oops"});
  EXPECT_EQ(Update().exit_code, 2);
  ExpectStillServing(serving, 2);

  // And the good v3 still goes in after all that.
  Serve(v3, "\"v3\"");
  CmdRun u3 = Update();
  ASSERT_EQ(u3.exit_code, 0) << u3.out << u3.err;
  EXPECT_NE(u3.out.find("2 -> 3"), std::string::npos) << u3.out;
  EXPECT_EQ(*InstalledBundleVersion(installed_), 3u);
}

TEST_F(SignatureUpdateTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Shelfguard({"signatures", "verify", P("missing.zip"), "--public-key", P("key.pub")})
                .exit_code,
            2);
  EXPECT_EQ(Shelfguard({"signatures", "pack", "--dir", MakeSet(1), "--version", "0",
                        "--secret-key", P("key.key"), "--out", P("x.zip")})
                .exit_code,
            2);
  // A public key is not a secret key.
  CmdRun r = Shelfguard({"signatures", "pack", "--dir", MakeSet(1), "--version", "1", "--secret-key",
                      P("key.pub"), "--out", P("x.zip")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(fs::exists(P("x.zip")));
  // Not an http(s) URL.
  CmdRun f = Shelfguard({"signatures", "update", "file:///etc/passwd", "--public-key", P("key.pub"),
                      "--dir", installed_});
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_FALSE(fs::exists(installed_));
}

}  // namespace
}  // namespace shelfguard
