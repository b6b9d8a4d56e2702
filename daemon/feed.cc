#include "feed.h"

#include <algorithm>
#include <cctype>

namespace shelfguard::daemon {

using json = nlohmann::json;

bool IsHex64(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string ResolveUrl(const std::string& base, const std::string& u) {
  if (u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0) return u;
  if (u.find("://") != std::string::npos) return "";  // other schemes: refused
  size_t scheme = base.find("://");
  if (scheme == std::string::npos) return "";
  if (!u.empty() && u[0] == '/') {
    size_t host_end = base.find('/', scheme + 3);
    return base.substr(0, host_end == std::string::npos ? base.size() : host_end) + u;
  }
  size_t q = base.find_first_of("?#");
  std::string b = base.substr(0, q);
  size_t slash = b.rfind('/');
  if (slash == std::string::npos || slash < scheme + 3) return b + "/" + u;
  return b.substr(0, slash + 1) + u;
}

std::string ParseFeedEntry(const json& e, const std::string& feed_url, uint64_t max_package_bytes,
                           FeedEntry* out) {
  auto str = [&](const char* k) {
    auto it = e.is_object() ? e.find(k) : e.end();
    return it != e.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  FeedEntry& fe = *out;
  fe.platform = str("platform");
  fe.app_id = str("app_id");
  fe.version = str("version");
  fe.sha256 = str("sha256");
  std::transform(fe.sha256.begin(), fe.sha256.end(), fe.sha256.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  fe.url = ResolveUrl(feed_url, str("url"));
  if (!e.is_object()) return "not an object";
  if (fe.platform != "android" && fe.platform != "ios") return "platform must be android or ios";
  if (fe.app_id.empty() || fe.app_id.size() > 256) return "app_id missing or too long";
  if (fe.version.size() > 128) return "version too long";
  if (fe.url.empty()) return "url missing or not http(s)";
  if (!IsHex64(fe.sha256)) return "sha256 must be 64 hex digits";
  auto size = e.find("size");
  if (size == e.end() || !size->is_number_unsigned() || (fe.size = size->get<uint64_t>()) == 0) {
    return "size must be a positive integer";
  }
  if (fe.size > max_package_bytes) {
    return "size " + std::to_string(fe.size) + " over limits.max_package_bytes";
  }
  return "";
}

}  // namespace shelfguard::daemon
