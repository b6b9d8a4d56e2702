// The libcurl client against a real HTTP server on 127.0.0.1.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "net/http.h"
#include "support/http_fixture.h"
#include "support/http_server.h"

namespace shelfguard {
namespace {

namespace fs = std::filesystem;
using testing::HttpRoute;
using testing::HttpServer;

// SHA-256("hello world\n").
constexpr char kHelloSha[] = "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447";

class NetHttpTest : public testing::HttpFixture {
 protected:
  NetHttpTest() : HttpFixture("sg_net_test_") {}
  static net::HttpOptions Fast() { return FastOptions(3000); }
};

// The classifier behind http.deny_private (issue 11 item 8). Its input is the
// numeric address libcurl connected to (CURLINFO_PRIMARY_IP, inet_ntop's
// form), so the shorthand IPv4 spellings that resolvers accept ("127.1",
// "0x7f.0.0.1", "2130706433", "0177.0.0.1") are not addresses here: they
// never reach it, and a host name spelled so is checked after resolution.
TEST(IsPrivateAddress, EveryLocalRangeAndNothingElse) {
  const char* kPrivate[] = {
      "127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255",
      "192.168.0.1", "192.168.255.255", "169.254.169.254",  // link-local (cloud metadata)
      "100.64.0.1", "100.127.255.255",                       // CGNAT
      "0.0.0.0", "0.1.2.3",                                  // "this network"
      "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",  // multicast, reserved, broadcast
      "::", "::1", "0:0:0:0:0:0:0:1",                                 // unspecified, loopback
      "fe80::1", "fe80::1%eth0", "febf:ffff::1", "fec0::1",           // link-local (with a scope), site-local
      "fc00::1", "fd12:3456:789a::1",                                 // unique-local
      "ff02::1",                                                      // multicast
      "::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:192.168.1.1", "::ffff:169.254.169.254",
      "::FFFF:7f00:1", "::ffff:0.0.0.0"};  // v4-mapped, in either spelling
  for (const char* ip : kPrivate) EXPECT_TRUE(net::IsPrivateAddress(ip)) << ip;
  const char* kPublic[] = {
      "8.8.8.8", "1.1.1.1", "9.255.255.255", "11.0.0.0", "126.255.255.255", "128.0.0.1",
      "172.15.255.255", "172.32.0.0", "192.167.255.255", "192.169.0.0", "169.253.255.255", "169.255.0.0",
      "100.63.255.255", "100.128.0.0", "223.255.255.255",  // just outside each range
      "2001:4860:4860::8888", "2606:4700:4700::1111", "fbff::1", "fe00::1",
      "::2", "::ffff:8.8.8.8", "::ffff:1.1.1.1"};
  for (const char* ip : kPublic) EXPECT_FALSE(net::IsPrivateAddress(ip)) << ip;
  // Not an address at all: false (the caller only passes connected addresses).
  const char* kNotAddresses[] = {"", "localhost", "127.1", "0x7f.0.0.1", "2130706433", "0177.0.0.1",
                                 "127.0.0.1 ", "[::1]", "::1::", "1.2.3.4.5", "256.0.0.1"};
  for (const char* ip : kNotAddresses) EXPECT_FALSE(net::IsPrivateAddress(ip)) << ip;
}

TEST_F(NetHttpTest, Ok200WithHeadersAndDigest) {
  server_.Route("/a", {.body = "hello world\n",
                       .headers = {{"X-Custom-Header", "Yes"}},
                       .etag = "\"v1\"",
                       .last_modified = "Wed, 01 Jan 2025 00:00:00 GMT"});
  auto resp = net::Get(server_.Url("/a"), Fast());
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "hello world\n");
  EXPECT_EQ(resp->bytes, 12u);
  EXPECT_EQ(resp->sha256, kHelloSha);
  EXPECT_EQ(resp->headers["etag"], "\"v1\"");
  EXPECT_EQ(resp->headers["last-modified"], "Wed, 01 Jan 2025 00:00:00 GMT");
  EXPECT_EQ(resp->headers["x-custom-header"], "Yes");
  auto log = server_.requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].method, "GET");
  EXPECT_EQ(log[0].headers.count("if-none-match"), 0u);
}

TEST_F(NetHttpTest, ConditionalGet304) {
  server_.Route("/a", {.body = "hello world\n", .etag = "\"v1\"", .last_modified = "Wed, 01 Jan 2025 00:00:00 GMT"});
  net::HttpOptions o = Fast();
  o.if_none_match = "\"v1\"";
  auto resp = net::Get(server_.Url("/a"), o);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 304);
  EXPECT_TRUE(resp->body.empty());
  EXPECT_EQ(server_.requests().back().headers["if-none-match"], "\"v1\"");

  o.if_none_match.clear();
  o.if_modified_since = "Wed, 01 Jan 2025 00:00:00 GMT";
  resp = net::Get(server_.Url("/a"), o);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 304);

  o.if_none_match = "\"v0\"";  // stale ETag: full body
  o.if_modified_since.clear();
  resp = net::Get(server_.Url("/a"), o);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "hello world\n");
}

TEST_F(NetHttpTest, ErrorStatusesAreReturnedNotErrors) {
  server_.Route("/err", {.status = 500, .body = "boom"});
  auto resp = net::Get(server_.Url("/err"), Fast());
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 500);
  EXPECT_EQ(resp->body, "boom");
  resp = net::Get(server_.Url("/missing"), Fast());
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 404);
}

TEST_F(NetHttpTest, TruncatedBodyIsAnError) {
  server_.Route("/t", {.body = std::string(10000, 'x'), .truncate_at = 100});
  auto resp = net::Get(server_.Url("/t"), Fast());
  ASSERT_FALSE(resp.ok());
  EXPECT_NE(resp.status().message().find("truncated"), std::string::npos)
      << resp.status().ToString();
}

TEST_F(NetHttpTest, OversizeBodyAbortsWhileStreaming) {
  HttpRoute r;
  r.body = std::string(300000, 'x');
  server_.Route("/big", r);
  net::HttpOptions o = Fast();
  o.max_bytes = 100000;
  auto resp = net::Get(server_.Url("/big"), o);  // refused from Content-Length
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), "over-limit") << resp.status().ToString();

  // No Content-Length: the cap must hold while streaming.
  HttpRoute nolen = r;
  nolen.omit_content_length = true;
  server_.Route("/nolen", nolen);
  resp = net::Get(server_.Url("/nolen"), o);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), "over-limit") << resp.status().ToString();
  o.max_bytes = 300000;  // exactly at the cap is fine
  resp = net::Get(server_.Url("/nolen"), o);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->bytes, 300000u);
  o.max_bytes = 100000;

  // Download removes the partial file.
  fs::path out = dir_ / "big.bin";
  auto d = net::Download(server_.Url("/nolen"), out.string(), o);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), "over-limit");
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(NetHttpTest, SlowServerPastTheTimeout) {
  server_.Route("/slow", {.body = "late", .delay_ms = 5000});
  net::HttpOptions o = Fast();
  o.total_timeout_ms = 700;
  auto t0 = std::chrono::steady_clock::now();
  auto resp = net::Get(server_.Url("/slow"), o);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), "timeout") << resp.status().ToString();
  EXPECT_LT(ms, 3000);
}

TEST_F(NetHttpTest, RedirectToNonHttpSchemeIsRefused) {
  server_.Route("/redir", {.status = 302, .location = "file:///etc/passwd"});
  auto resp = net::Get(server_.Url("/redir"), Fast());
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), "unsupported") << resp.status().ToString();

  // A redirect to http is followed.
  HttpRoute ok;
  ok.body = "hello world\n";
  server_.Route("/target", ok);
  server_.Route("/redir2", {.status = 302, .location = server_.Url("/target")});
  resp = net::Get(server_.Url("/redir2"), Fast());
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "hello world\n");

  // Non-http URLs are refused up front.
  EXPECT_EQ(net::Get("file:///etc/passwd", Fast()).status().code(), "unsupported");
  EXPECT_EQ(net::Get("ftp://127.0.0.1/x", Fast()).status().code(), "unsupported");
}

TEST_F(NetHttpTest, DownloadWritesPrivateFileOrNothing) {
  server_.Route("/a", {.body = "hello world\n"});
  fs::path out = dir_ / "a.bin";
  auto d = net::Download(server_.Url("/a"), out.string(), Fast());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->status, 200);
  EXPECT_TRUE(d->body.empty());
  EXPECT_EQ(d->sha256, kHelloSha);
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "hello world\n");

  // 404 and truncation: no file left behind.
  fs::path miss = dir_ / "miss.bin";
  d = net::Download(server_.Url("/nope"), miss.string(), Fast());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->status, 404);
  EXPECT_FALSE(fs::exists(miss));
  HttpRoute t;
  t.body = std::string(5000, 'y');
  t.truncate_at = 10;
  server_.Route("/t", t);
  fs::path trunc = dir_ / "t.bin";
  d = net::Download(server_.Url("/t"), trunc.string(), Fast());
  EXPECT_FALSE(d.ok());
  EXPECT_FALSE(fs::exists(trunc));
}

}  // namespace
}  // namespace shelfguard
