// A small libcurl client shared by registry sync and the daemon's feeds:
// http/https only (redirects only to http/https), TLS verification on,
// connect and transfer timeouts, size caps, streaming to a file or memory.
#ifndef SHELFGUARD_SRC_NET_HTTP_H_
#define SHELFGUARD_SRC_NET_HTTP_H_

#include <cstdint>
#include <map>
#include <atomic>
#include <string>
#include <vector>

#include "shelfguard/status.h"

namespace shelfguard::net {

struct HttpOptions {
  long connect_timeout_ms = 10000;
  long total_timeout_ms = 120000;     // whole transfer
  long low_speed_bytes = 1;           // abort when slower than this ...
  long low_speed_seconds = 30;        // ... for this long
  uint64_t max_bytes = 64ull << 20;   // body size cap
  int max_redirects = 5;
  std::string if_none_match;          // ETag for a conditional GET
  std::string if_modified_since;      // HTTP date for a conditional GET
  std::string ca_file;                // extra CA bundle (tests); empty: system
  std::string user_agent = "shelfguard/" SHELFGUARD_VERSION;
  // Outbound policy (issue 11 point 8): with deny_private, a connection whose
  // peer address (after DNS, for every redirect too) is loopback, link-local,
  // private, unique-local or unspecified is refused, unless the URL's host or
  // that address is listed in allow_hosts.
  bool deny_private = false;
  std::vector<std::string> allow_hosts;
  std::string userpwd;                       // "user:password" (never in the URL)
  const std::atomic<bool>* stop = nullptr;   // set: the transfer is aborted at once
};

// True for loopback, link-local, private (RFC 1918), CGNAT, unique-local, site-local,
// unspecified and IPv4-mapped forms of those; false for anything else,
// including text that is not an address.
bool IsPrivateAddress(const std::string& ip);

struct HttpResponse {
  long status = 0;                      // 200, 304, 404 ...
  std::string body;                     // when fetched to memory
  std::map<std::string, std::string> headers;  // lower-case names (etag, last-modified ...)
  uint64_t bytes = 0;                   // body bytes received
  std::string sha256;                   // hex SHA-256 of the body
};

// GET `url` into memory. Transport errors, timeouts, an over-size body and a
// non-http(s) URL are errors; HTTP statuses (404, 500, 304) are returned in
// the response for the caller to judge.
Result<HttpResponse> Get(const std::string& url, const HttpOptions& options);

// GET `url` streaming the body into `path` (created with mode 0600; removed on
// any error). The response's body is empty; bytes and sha256 are set.
Result<HttpResponse> Download(const std::string& url, const std::string& path,
                              const HttpOptions& options);

}  // namespace shelfguard::net

#endif  // SHELFGUARD_SRC_NET_HTTP_H_
