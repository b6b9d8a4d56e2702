#include "feed.h"

#include <algorithm>
#include <cctype>

#include "net/curl_lazy.h"


namespace shelfguard::daemon {

using json = nlohmann::json;

bool IsHex64(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string ResolveUrl(const std::string& base, const std::string& u) {
  // libcurl's URL parser (RFC 3986 reference resolution): "//host/x",
  // "?v=2", "../x" and absolute URLs resolve as a browser would.
  if (u.empty() || u.size() > 8192 || net::curl::Load() == nullptr) return "";
  CURLU* h = net::curl::url();
  if (h == nullptr) return "";
  std::string out;
  if (net::curl::url_set(h, CURLUPART_URL, base.c_str(), 0) == CURLUE_OK &&
      net::curl::url_set(h, CURLUPART_URL, u.c_str(), 0) == CURLUE_OK) {
    char* scheme = nullptr;
    char* full = nullptr;
    if (net::curl::url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        (std::string(scheme) == "http" || std::string(scheme) == "https") &&
        net::curl::url_get(h, CURLUPART_URL, &full, 0) == CURLUE_OK) {
      out = full;
    }
    net::curl::free(scheme);
    net::curl::free(full);
  }
  net::curl::url_cleanup(h);
  return out;
}

namespace {

// Query parameter names whose values are credentials (signed URLs, tokens).
bool SecretParam(std::string name) {
  for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  static const char* const kWords[] = {"token", "key", "sig", "secret", "pass", "auth", "credential",
                                       "session", "x-amz-", "x-goog-"};
  for (const char* w : kWords) {
    if (name.find(w) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string RedactUrl(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  std::string out = url;
  // userinfo: between "://" and the last '@' before the path.
  size_t host_start = scheme + 3;
  size_t path = out.find_first_of("/?#", host_start);
  size_t at = out.rfind('@', path == std::string::npos ? std::string::npos : path);
  if (at != std::string::npos && at >= host_start) out.replace(host_start, at - host_start, "REDACTED");
  size_t q = out.find('?');
  if (q == std::string::npos) return out;
  size_t end = out.find('#', q);
  if (end == std::string::npos) end = out.size();
  std::string query = out.substr(q + 1, end - q - 1), redacted;
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    std::string kv = query.substr(pos, amp - pos);
    size_t eq = kv.find('=');
    if (eq != std::string::npos && SecretParam(kv.substr(0, eq))) kv = kv.substr(0, eq + 1) + "REDACTED";
    redacted += (redacted.empty() && pos == 0 ? "" : "&") + kv;
    pos = amp + 1;
  }
  return out.substr(0, q + 1) + redacted + out.substr(end);
}

std::string RedactText(const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t s = text.find("://", pos);
    if (s == std::string::npos) break;
    size_t start = s;
    while (start > pos && std::isalpha(static_cast<unsigned char>(text[start - 1]))) --start;
    size_t end = text.find_first_of(" \t\r\n\"'<>", s);
    if (end == std::string::npos) end = text.size();
    out += text.substr(pos, start - pos) + RedactUrl(text.substr(start, end - start));
    pos = end;
  }
  return out + text.substr(std::min(pos, text.size()));
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
  if (fe.platform != "android" && fe.platform != "ios" && fe.platform != "harmony" &&
      fe.platform != "mini-program") {
    return "platform must be android, ios, harmony or mini-program";
  }
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
