#include "core/data_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace shelfguard {
namespace {
namespace fs = std::filesystem;

class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("sg-datadir-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "prefix" / "bin");
    fs::create_directories(root_ / "build");
    fs::create_directories(root_ / "src" / "signatures");
    std::ofstream(root_ / "prefix" / "bin" / "shelfguard") << "";
    std::ofstream(root_ / "build" / "shelfguard") << "";
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string Exe() const { return (root_ / "prefix" / "bin" / "shelfguard").string(); }
  std::string BuildExe() const { return (root_ / "build" / "shelfguard").string(); }
  std::string Src() const { return (root_ / "src").string(); }
  fs::path root_;
};

TEST_F(DataDirTest, InstalledLayoutWinsOverTheSourceTree) {
  fs::create_directories(root_ / "prefix" / "share" / "shelfguard");
  EXPECT_EQ(ResolveDataDir(nullptr, Exe(), Src()), (root_ / "prefix" / "share" / "shelfguard").string());
}

TEST_F(DataDirTest, BuildTreeProgramsUseTheSourceTree) {
  EXPECT_EQ(ResolveDataDir(nullptr, BuildExe(), Src()), Src());
  EXPECT_EQ(ResolveDataDir(nullptr, "", Src()), Src());
}

TEST_F(DataDirTest, EnvironmentOverridesEverything) {
  fs::create_directories(root_ / "prefix" / "share" / "shelfguard");
  EXPECT_EQ(ResolveDataDir("/opt/sg-data", Exe(), Src()), "/opt/sg-data");
  // An empty variable is treated as unset.
  EXPECT_EQ(ResolveDataDir("", Exe(), Src()), (root_ / "prefix" / "share" / "shelfguard").string());
}

TEST_F(DataDirTest, InstalledProgramNeverFallsBackToTheSourceTree) {
  // Installed without its data (share/shelfguard missing) while the source
  // tree is still there: using it would hide the broken install on the build
  // machine; the install location is what an error must name.
  EXPECT_EQ(ResolveDataDir(nullptr, Exe(), Src()), (root_ / "prefix" / "share" / "shelfguard").string());
  // Nor does shelfguard-tool, installed in <prefix>/libexec.
  const std::string tool = (root_ / "prefix" / "libexec" / "shelfguard-tool").string();
  EXPECT_EQ(ResolveDataDir(nullptr, tool, Src()), (root_ / "prefix" / "share" / "shelfguard").string());
  // A build directory that happens to have ../share/shelfguard is treated as
  // installed.
  fs::create_directories(root_ / "share" / "shelfguard");
  EXPECT_EQ(ResolveDataDir(nullptr, BuildExe(), Src()), (root_ / "share" / "shelfguard").string());
}

TEST(DataDir, BuildTreeProgramFindsTheSourceTreeSignatures) {
  // This test binary runs from the build directory, which has no
  // ../share/shelfguard: the source tree's signatures are used.
  ::unsetenv("SHELFGUARD_DATA_DIR");
  EXPECT_TRUE(fs::is_directory(fs::path(DataDir()) / "signatures")) << DataDir();
}

}  // namespace
}  // namespace shelfguard
