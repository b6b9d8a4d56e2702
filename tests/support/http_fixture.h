// A gtest fixture for tests of HTTP clients (net::Get/Download, registry
// sync): a fresh HttpServer on 127.0.0.1 and an empty scratch directory per
// test, and client options with short timeouts (a server on loopback answers
// at once or is meant not to).
#ifndef SHELFGUARD_TESTS_SUPPORT_HTTP_FIXTURE_H_
#define SHELFGUARD_TESTS_SUPPORT_HTTP_FIXTURE_H_

#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "net/http.h"
#include "support/http_server.h"

namespace shelfguard::testing {

class HttpFixture : public ::testing::Test {
 protected:
  // The scratch directory is <temp>/<dir_prefix><pid>.
  explicit HttpFixture(std::string dir_prefix) : dir_prefix_(std::move(dir_prefix)) {}

  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    dir_ = std::filesystem::temp_directory_path() / (dir_prefix_ + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    server_.Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Connect within 2 s, give up after total_timeout_ms, and abort a
  // transfer that stalls for 2 s.
  static net::HttpOptions FastOptions(int total_timeout_ms) {
    net::HttpOptions o;
    o.connect_timeout_ms = 2000;
    o.total_timeout_ms = total_timeout_ms;
    o.low_speed_seconds = 2;
    return o;
  }

  HttpServer server_;
  std::filesystem::path dir_;

 private:
  std::string dir_prefix_;
};

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_HTTP_FIXTURE_H_
