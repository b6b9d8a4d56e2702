// libcurl implementation of src/net/http.h.
//
// Safety choices (why):
//  * Only http and https, for the first request and for every redirect
//    (CURLOPT_PROTOCOLS_STR / CURLOPT_REDIR_PROTOCOLS_STR, curl >= 7.85), so a
//    registry URL cannot be redirected to file://, ftp:// or gopher://.
//  * TLS peer and host verification are always on; tests pass their own CA.
//  * The body cap is enforced while streaming (the write callback refuses the
//    chunk that would pass it), not only from Content-Length, which a server
//    may omit or lie about.
//  * CURLOPT_NOSIGNAL: timeouts must not use signals in a threaded daemon.
//  * Download() writes only a 2xx body, to a file created 0600, fsyncs it, and
//    unlinks it on any error or non-2xx status, so a caller never sees a
//    partial or error-page file.
#include "net/http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

#include "net/curl_lazy.h"

namespace shelfguard::net {

bool IsPrivateAddress(const std::string& text) {
  // An IPv6 scope ("fe80::1%eth0") is not part of the address; inet_pton
  // would refuse the whole text and call a link-local address public.
  const std::string ip = text.substr(0, text.find('%'));
  unsigned char a[16];
  if (inet_pton(AF_INET, ip.c_str(), a) == 1) {
    return a[0] == 127 || a[0] == 10 || a[0] == 0 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
           (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) || (a[0] == 100 && (a[1] & 0xc0) == 64) ||
           a[0] >= 224;  // multicast and reserved
  }
  if (inet_pton(AF_INET6, ip.c_str(), a) != 1) return false;
  static const unsigned char kZero[16] = {0};
  if (std::memcmp(a, kZero, 15) == 0 && (a[15] == 0 || a[15] == 1)) return true;  // :: and ::1
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a, kMapped, 12) == 0) {
    char v4[INET_ADDRSTRLEN];
    return inet_ntop(AF_INET, a + 12, v4, sizeof(v4)) != nullptr && IsPrivateAddress(v4);
  }
  // fc00::/7 unique-local; fe80::/10 link-local and fec0::/10 (deprecated
  // site-local, still routed inside some sites); ff00::/8 multicast.
  return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0x80) == 0x80) || a[0] == 0xff;
}

namespace {

#if LIBCURL_VERSION_NUM < 0x075500
#error "libcurl >= 7.85.0 is required (CURLOPT_PROTOCOLS_STR)"
#endif

constexpr size_t kMaxHeaderBytes = 256 * 1024;  // all response headers together

Status GlobalInit() {
  std::string why;
  const curl::Api* api = curl::Load(&why);
  if (api == nullptr) return Status::IoError(why);
  static std::once_flag once;
  static CURLcode rc = CURLE_OK;
  std::call_once(once, [api] { rc = api->global_init(CURL_GLOBAL_DEFAULT); });
  if (rc != CURLE_OK) {
    return Status::IoError(std::string("curl_global_init failed: ") + curl::easy_strerror(rc));
  }
  return Status::Ok();
}

bool HasHttpScheme(const std::string& url) {
  auto starts = [&](std::string_view p) {
    if (url.size() < p.size()) return false;
    for (size_t i = 0; i < p.size(); ++i) {
      char c = url[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != p[i]) return false;
    }
    return true;
  };
  return starts("http://") || starts("https://");
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) {
    --e;
  }
  return std::string(s.substr(b, e - b));
}

struct Transfer {
  CURL* curl = nullptr;
  uint64_t max_bytes = 0;
  uint64_t bytes = 0;
  bool over_limit = false;
  bool write_failed = false;
  int write_errno = 0;
  bool to_file = false;
  bool skip_body = false;  // Download: non-2xx bodies are not written
  int fd = -1;
  std::string* body = nullptr;
  EVP_MD_CTX* md = nullptr;
  bool md_failed = false;
  size_t header_bytes = 0;
  bool headers_over = false;
  std::map<std::string, std::string> headers;
  const HttpOptions* opts = nullptr;
  std::string refused;  // why the policy refused a connection
};

// Called once a connection is made, before each request is sent (redirects
// included): the address really connected to is checked, not a name.
int OnPrereq(void* user, char* conn_primary_ip, char* /*conn_local_ip*/, int /*primary_port*/,
             int /*local_port*/) {
  auto* t = static_cast<Transfer*>(user);
  const HttpOptions& o = *t->opts;
  std::string ip = conn_primary_ip != nullptr ? conn_primary_ip : "";
  if (!o.deny_private || !IsPrivateAddress(ip)) return CURL_PREREQFUNC_OK;
  std::string host;
  char* eff = nullptr;
  if (curl::easy_getinfo(t->curl, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff != nullptr) {
    CURLU* u = curl::url();
    char* h = nullptr;
    if (u != nullptr && curl::url_set(u, CURLUPART_URL, eff, 0) == CURLUE_OK &&
        curl::url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK) {
      host = h;
    }
    curl::free(h);
    curl::url_cleanup(u);
  }
  for (const auto& a : o.allow_hosts) {
    if (a == ip || (!host.empty() && a == host)) return CURL_PREREQFUNC_OK;
  }
  t->refused = "connection to a private or local address refused (http.deny_private; allow it with "
               "http.allow_hosts)";
  return CURL_PREREQFUNC_ABORT;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->opts->stop != nullptr && t->opts->stop->load() ? 1 : 0;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  t->header_bytes += len;
  if (t->header_bytes > kMaxHeaderBytes) {
    t->headers_over = true;
    return 0;
  }
  std::string_view line(data, len);
  if (line.substr(0, 5) == "HTTP/") {
    // A new response (after a redirect or 100-continue): start afresh.
    t->headers.clear();
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return len;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string value = Trim(line.substr(colon + 1));
  auto it = t->headers.find(name);
  if (it == t->headers.end()) {
    t->headers.emplace(std::move(name), std::move(value));
  } else {
    it->second += ", " + value;  // RFC 9110 5.3: repeated fields combine
  }
  return len;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  if (len > t->max_bytes || t->bytes > t->max_bytes - len) {
    t->over_limit = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  if (t->to_file && !t->skip_body) {
    long code = 0;
    curl::easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200 || code > 299) t->skip_body = true;
  }
  t->bytes += len;
  if (t->skip_body) return len;
  if (EVP_DigestUpdate(t->md, data, len) != 1) t->md_failed = true;
  if (t->to_file) {
    size_t off = 0;
    while (off < len) {
      ssize_t w = ::write(t->fd, data + off, len - off);
      if (w < 0) {
        if (errno == EINTR) continue;
        t->write_failed = true;
        t->write_errno = errno;
        return 0;
      }
      off += static_cast<size_t>(w);
    }
  } else {
    t->body->append(data, len);
  }
  return len;
}

std::string HexDigest(EVP_MD_CTX* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(md, out, &n) != 1) return std::string();
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(n * 2);
  for (unsigned int i = 0; i < n; ++i) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 15]);
  }
  return hex;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl::easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl::slist_free_all(l); }
};
struct MdDeleter {
  void operator()(EVP_MD_CTX* m) const { EVP_MD_CTX_free(m); }
};

// Runs one GET into `t` (body or fd already set up). Returns the response
// (without body) or the error.
Result<HttpResponse> Perform(const std::string& url, const HttpOptions& o, Transfer* t) {
  if (!HasHttpScheme(url)) {
    return Status::Unsupported("only http:// and https:// URLs are allowed: " + url);
  }
  SG_RETURN_IF_ERROR(GlobalInit());
  std::unique_ptr<CURL, CurlDeleter> handle(curl::easy_init());
  if (!handle) return Status::IoError("curl_easy_init failed");
  std::unique_ptr<EVP_MD_CTX, MdDeleter> md(EVP_MD_CTX_new());
  if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1) {
    return Status::IoError("cannot initialise SHA-256");
  }
  t->curl = handle.get();
  t->md = md.get();
  t->max_bytes = o.max_bytes;

  std::unique_ptr<curl_slist, SlistDeleter> hdrs;
  auto add_header = [&](const std::string& h) {
    curl_slist* l = curl::slist_append(hdrs.get(), h.c_str());
    if (l != nullptr) {
      hdrs.release();
      hdrs.reset(l);
    }
  };
  // Header values come from our own meta table or config; refuse CR/LF so a
  // stored ETag cannot inject headers.
  auto clean = [](const std::string& v) { return v.find_first_of("\r\n") == std::string::npos; };
  if (!o.if_none_match.empty() && clean(o.if_none_match)) {
    add_header("If-None-Match: " + o.if_none_match);
  }
  if (!o.if_modified_since.empty() && clean(o.if_modified_since)) {
    add_header("If-Modified-Since: " + o.if_modified_since);
  }

  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* c = handle.get();
  curl::easy_setopt(c, CURLOPT_URL, url.c_str());
  curl::easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl::easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl::easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl::easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl::easy_setopt(c, CURLOPT_FOLLOWLOCATION, o.max_redirects > 0 ? 1L : 0L);
  curl::easy_setopt(c, CURLOPT_MAXREDIRS, static_cast<long>(std::max(o.max_redirects, 0)));
  curl::easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl::easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!o.ca_file.empty()) curl::easy_setopt(c, CURLOPT_CAINFO, o.ca_file.c_str());
  curl::easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o.connect_timeout_ms);
  curl::easy_setopt(c, CURLOPT_TIMEOUT_MS, o.total_timeout_ms);
  curl::easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, o.low_speed_bytes);
  curl::easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o.low_speed_seconds);
  curl::easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(o.max_bytes));
  curl::easy_setopt(c, CURLOPT_USERAGENT, o.user_agent.c_str());
  curl::easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // gzip/deflate if the server offers
  curl::easy_setopt(c, CURLOPT_HTTPHEADER, hdrs.get());
  curl::easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl::easy_setopt(c, CURLOPT_HEADERDATA, t);
  curl::easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl::easy_setopt(c, CURLOPT_WRITEDATA, t);
  t->opts = &o;
  curl::easy_setopt(c, CURLOPT_PREREQFUNCTION, OnPrereq);
  curl::easy_setopt(c, CURLOPT_PREREQDATA, t);
  curl::easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl::easy_setopt(c, CURLOPT_XFERINFODATA, t);
  curl::easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  if (!o.userpwd.empty()) {
    curl::easy_setopt(c, CURLOPT_USERPWD, o.userpwd.c_str());
    curl::easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);  // not sent to another host on redirect
  }

  CURLcode rc = curl::easy_perform(c);
  if (t->over_limit || rc == CURLE_FILESIZE_EXCEEDED) {
    return Status::OverLimit("response body from " + url + " exceeds the cap of " +
                             std::to_string(o.max_bytes) + " bytes");
  }
  if (t->write_failed) {
    return Status::IoError("writing the download failed: " + std::string(std::strerror(t->write_errno)));
  }
  if (t->headers_over) {
    return Status::OverLimit("response headers from " + url + " exceed " +
                             std::to_string(kMaxHeaderBytes) + " bytes");
  }
  if (!t->refused.empty()) return Status::Unsupported("GET " + url + ": " + t->refused);
  if (rc == CURLE_ABORTED_BY_CALLBACK) return Status::IoError("GET " + url + ": aborted: the daemon is stopping");
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] != '\0' ? errbuf : curl::easy_strerror(rc);
    std::string msg = "GET " + url + ": " + detail;
    switch (rc) {
      case CURLE_OPERATION_TIMEDOUT:
        return Status::Timeout(msg);
      case CURLE_UNSUPPORTED_PROTOCOL:
        return Status::Unsupported(msg + " (only http and https are allowed, also for redirects)");
      case CURLE_PARTIAL_FILE:
        return Status::IoError(msg + " (truncated body)");
      default:
        return Status::IoError(msg);
    }
  }
  if (t->md_failed) return Status::IoError("SHA-256 computation failed");
  HttpResponse r;
  curl::easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  r.headers = std::move(t->headers);
  r.bytes = t->bytes;
  if (!t->skip_body) r.sha256 = HexDigest(md.get());
  return r;
}

}  // namespace

Result<HttpResponse> Get(const std::string& url, const HttpOptions& options) {
  std::string body;
  Transfer t;
  t.body = &body;
  Result<HttpResponse> r = Perform(url, options, &t);
  if (!r.ok()) return r;
  r->body = std::move(body);
  return r;
}

Result<HttpResponse> Download(const std::string& url, const std::string& path,
                              const HttpOptions& options) {
  if (!HasHttpScheme(url)) {
    return Status::Unsupported("only http:// and https:// URLs are allowed: " + url);
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Status::IoError("cannot create " + path + ": " + std::strerror(errno));
  }
  // An existing file keeps its mode under O_CREAT; force 0600.
  if (::fchmod(fd, 0600) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return Status::IoError("cannot chmod " + path + ": " + std::strerror(e));
  }
  Transfer t;
  t.to_file = true;
  t.fd = fd;
  Result<HttpResponse> r = Perform(url, options, &t);
  bool keep = r.ok() && r->status >= 200 && r->status <= 299;
  if (keep && ::fsync(fd) != 0) {
    r = Status::IoError("fsync " + path + ": " + std::strerror(errno));
    keep = false;
  }
  if (::close(fd) != 0 && keep) {
    r = Status::IoError("close " + path + ": " + std::strerror(errno));
    keep = false;
  }
  if (!keep) ::unlink(path.c_str());
  return r;
}

}  // namespace shelfguard::net
