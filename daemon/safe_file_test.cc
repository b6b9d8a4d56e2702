#include "safe_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace shelfguard::daemon {
namespace {

namespace fs = std::filesystem;

class OpenForWritingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sg_safe_file.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/pkg.apk";
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "PK\x03\x04", 4), 4);
    ::close(fd);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string dir_, path_;
};

TEST_F(OpenForWritingTest, WriterOpenIsSeenAndClosedIsNot) {
  EXPECT_EQ(OpenForWriting(path_), WriterState::kNone);
  int w = ::open(path_.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(w, 0);
  EXPECT_EQ(OpenForWriting(path_), WriterState::kWriting);
  ::close(w);
  EXPECT_EQ(OpenForWriting(path_), WriterState::kNone);
  // Readers do not count; a read-write opener does.
  int r = ::open(path_.c_str(), O_RDONLY);
  EXPECT_EQ(OpenForWriting(path_), WriterState::kNone);
  int rw = ::open(path_.c_str(), O_RDWR);
  EXPECT_EQ(OpenForWriting(path_), WriterState::kWriting);
  ::close(rw);
  ::close(r);
  EXPECT_EQ(OpenForWriting(path_), WriterState::kNone);
}

TEST_F(OpenForWritingTest, AnotherProcessWritingIsSeen) {
  int to_child[2], from_child[2];
  ASSERT_EQ(::pipe(to_child), 0);
  ASSERT_EQ(::pipe(from_child), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int w = ::open(path_.c_str(), O_WRONLY | O_APPEND);
    char c = w >= 0 ? 'o' : 'x';
    if (::write(from_child[1], &c, 1) != 1) ::_exit(2);
    if (::read(to_child[0], &c, 1) != 1) ::_exit(2);  // hold it until told
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(from_child[0], &c, 1), 1);
  ASSERT_EQ(c, 'o');
  EXPECT_EQ(OpenForWriting(path_), WriterState::kWriting);
  ASSERT_EQ(::write(to_child[1], "q", 1), 1);
  int st = 0;
  ::waitpid(pid, &st, 0);
  EXPECT_EQ(OpenForWriting(path_), WriterState::kNone);
  for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) ::close(fd);
}

TEST_F(OpenForWritingTest, WritableMappingCountsAsAWriter) {
  int w = ::open(path_.c_str(), O_RDWR);
  ASSERT_GE(w, 0);
  void* m = ::mmap(nullptr, 4, PROT_READ | PROT_WRITE, MAP_SHARED, w, 0);
  ASSERT_NE(m, MAP_FAILED);
  ::close(w);  // the mapping alone keeps the file open for writing
  EXPECT_EQ(OpenForWriting(path_), WriterState::kWriting);
  ::munmap(m, 4);
  EXPECT_EQ(OpenForWriting(path_), WriterState::kNone);
}

TEST_F(OpenForWritingTest, WhatCannotBeToldIsUnknownNeverFollowedOrBlocked) {
  EXPECT_EQ(OpenForWriting(dir_ + "/missing.apk"), WriterState::kUnknown);
  ASSERT_EQ(::mkfifo((dir_ + "/fifo.apk").c_str(), 0600), 0);
  EXPECT_EQ(OpenForWriting(dir_ + "/fifo.apk"), WriterState::kUnknown);  // returns at once
  fs::create_symlink(path_, dir_ + "/link.apk");
  int w = ::open(path_.c_str(), O_WRONLY | O_APPEND);
  EXPECT_EQ(OpenForWriting(dir_ + "/link.apk"), WriterState::kUnknown);  // the link is not followed
  ::close(w);
  EXPECT_EQ(OpenForWriting(dir_), WriterState::kUnknown);
  // A file of another user, without CAP_LEASE: the kernel will not say.
  if (::geteuid() == 0) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::chmod(dir_.c_str(), 0755);
      if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
      ::_exit(OpenForWriting(path_) == WriterState::kUnknown ? 0 : 1);
    }
    int st = 0;
    ::waitpid(pid, &st, 0);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  }
}

}  // namespace
}  // namespace shelfguard::daemon
