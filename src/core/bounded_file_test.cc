#include "core/bounded_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "support/scratch_dir.h"

namespace shelfguard {
namespace {

class BoundedFileTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.empty()); }
  std::string Write(const std::string& name, const std::string& bytes) {
    std::string p = dir_ + "/" + name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  testing::ScratchDir scratch_{"sg-bounded"};
  const std::string dir_ = scratch_.path();
};

TEST_F(BoundedFileTest, ReadsARegularFileUpToTheLimitExactly) {
  const std::string bytes("a\0b\nc", 5);
  auto r = ReadFileBounded(Write("f", bytes), 5, "test file");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, bytes);
  auto empty = ReadFileBounded(Write("e", ""), 0, "test file");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

TEST_F(BoundedFileTest, OneByteOverTheLimitIsRefusedNamingTheFile) {
  const std::string p = Write("big", std::string(6, 'x'));
  auto r = ReadFileBounded(p, 5, "test file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "over-limit");
  EXPECT_NE(r.status().message().find("test file '" + p + "'"), std::string::npos);
  EXPECT_NE(r.status().message().find("5 bytes"), std::string::npos);
}

TEST_F(BoundedFileTest, MissingFileIsNotFound) {
  auto r = ReadFileBounded(dir_ + "/nope", 100, "config");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "not-found");
  EXPECT_NE(r.status().message().find("config '" + dir_ + "/nope'"), std::string::npos);
}

// A FIFO with no writer would block a plain open() forever, and /dev/zero
// would stream without end: both are refused at once as not regular files.
TEST_F(BoundedFileTest, FifoDeviceAndDirectoryAreRefusedWithoutBlocking) {
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& p : {fifo, std::string("/dev/zero"), dir_}) {
    SCOPED_TRACE(p);
    auto r = ReadFileBounded(p, 1 << 20, "config");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), "invalid-argument");
    EXPECT_NE(r.status().message().find("not a regular file"), std::string::npos);
  }
}

}  // namespace
}  // namespace shelfguard
