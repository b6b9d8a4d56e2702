#include "net/curl_lazy.h"

#include <gtest/gtest.h>

#include <string>

namespace shelfguard::net::curl {
namespace {

TEST(CurlLazy, LoadsOnceAndEveryFunctionIsResolved) {
  std::string why;
  const Api* api = Load(&why);
  ASSERT_NE(api, nullptr) << why;
  EXPECT_EQ(Load(), api);  // one table for the process
#define SG_EXPECT_RESOLVED(name) EXPECT_NE(api->name, nullptr) << #name;
  SG_CURL_FUNCTIONS(SG_EXPECT_RESOLVED)
#undef SG_EXPECT_RESOLVED
}

TEST(CurlLazy, CallsReachTheLibrary) {
  ASSERT_NE(Load(), nullptr);
  EXPECT_STREQ(easy_strerror(CURLE_OK), "No error");
  CURLU* u = url();
  ASSERT_NE(u, nullptr);
  ASSERT_EQ(url_set(u, CURLUPART_URL, "http://Example.COM/a/../b?x=1", 0), CURLUE_OK);
  char* host = nullptr;
  char* full = nullptr;
  ASSERT_EQ(url_get(u, CURLUPART_HOST, &host, 0), CURLUE_OK);
  ASSERT_EQ(url_get(u, CURLUPART_URL, &full, 0), CURLUE_OK);
  EXPECT_STREQ(host, "Example.COM");
  EXPECT_STREQ(full, "http://Example.COM/b?x=1");
  free(host);
  free(full);
  url_cleanup(u);
  CURL* c = easy_init();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(easy_setopt(c, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_OK);
  EXPECT_EQ(easy_setopt(c, CURLOPT_PROTOCOLS_STR, "no-such-protocol"), CURLE_UNSUPPORTED_PROTOCOL);
  easy_cleanup(c);
}

}  // namespace
}  // namespace shelfguard::net::curl
