// Feed listings as pure functions: one entry's validation, URL resolution
// against the feed's URL and digest checks. No I/O, so each is unit-tested
// and fuzzed on its own (feed_test.cc, feed_fuzz.cc).
#ifndef SHELFGUARD_DAEMON_FEED_H_
#define SHELFGUARD_DAEMON_FEED_H_

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace shelfguard::daemon {

// 64 lower-case hex digits.
bool IsHex64(const std::string& s);

// Resolves a feed entry's URL against the feed's URL (libcurl's URL API,
// RFC 3986); "" when it is missing, unparsable or not http(s).
std::string ResolveUrl(const std::string& base, const std::string& u);

// A URL fit to print: userinfo and the values of query parameters named like
// credentials (token, key, sig, secret, pass, auth, ...) become "REDACTED".
std::string RedactUrl(const std::string& url);
// RedactUrl() applied to every URL inside a free text (an error message).
std::string RedactText(const std::string& text);

struct FeedEntry {
  std::string platform, app_id, version, sha256, url;
  uint64_t size = 0;
};

// Checks one element of a feed's "packages" array. Returns "" and fills
// *out, or the reason the entry is refused.
std::string ParseFeedEntry(const nlohmann::json& e, const std::string& feed_url, uint64_t max_package_bytes,
                           FeedEntry* out);

}  // namespace shelfguard::daemon

#endif  // SHELFGUARD_DAEMON_FEED_H_
