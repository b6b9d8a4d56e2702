// The store URL helpers (src/queue/pg_store.h) in a file of their own: the
// daemon's config reader checks store.url with them, and the daemon client
// program `shelfguard` (src/cli/main_client.cc), which reads that config,
// links this object alone from the queue library, without libpq.
#include <algorithm>
#include <cctype>
#include <string>

#include "queue/pg_store.h"

namespace shelfguard::queue {

bool IsPostgresUrl(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0 ||
         (url.find('=') != std::string::npos && url.find("://") == std::string::npos);
}

std::string RedactStoreUrl(const std::string& url) {
  std::string out = url;
  // URL userinfo: scheme://user:password@host
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t start = scheme + 3;
    size_t end = out.find_first_of("/?", start);
    if (end == std::string::npos) end = out.size();
    size_t at = out.rfind('@', end == 0 ? 0 : end - 1);
    if (at != std::string::npos && at >= start && at < end) {
      size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=VALUE in a conninfo string or a URL's query (quoted values too).
  std::string lower = out;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  size_t pos = 0;
  while ((pos = lower.find("password", pos)) != std::string::npos) {
    size_t v = pos + 8;
    while (v < out.size() && out[v] == ' ') ++v;
    if (v >= out.size() || out[v] != '=') {
      pos = v;
      continue;
    }
    ++v;
    while (v < out.size() && out[v] == ' ') ++v;
    size_t e = v;
    if (e < out.size() && out[e] == '\'') {
      ++e;
      while (e < out.size() && out[e] != '\'') e += (out[e] == '\\' && e + 1 < out.size()) ? 2 : 1;
      if (e < out.size()) ++e;
    } else {
      while (e < out.size() && out[e] != ' ' && out[e] != '&') ++e;
    }
    out.replace(v, e - v, "***");
    lower.replace(v, e - v, "***");
    pos = v + 3;
  }
  return out;
}

}  // namespace shelfguard::queue
