#include "support/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace shelfguard::testing {
namespace {

constexpr size_t kMaxRequestHead = 64 * 1024;
constexpr int kIoTimeoutMs = 5000;

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Sends all of `data`; false when the peer went away.
bool SendAll(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

HttpServer::HttpServer() = default;

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return Status::IoError(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    int e = errno;
    ::close(listen_fd_);
    listen_fd_ = -1;
    return Status::IoError(std::string("bind/listen 127.0.0.1: ") + std::strerror(e));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  stopping_ = false;
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return Status::Ok();
}

void HttpServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_.exchange(true)) return;
  }
  stop_cv_.notify_all();
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    workers.swap(workers_);
  }
  for (std::thread& t : workers) t.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

std::string HttpServer::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void HttpServer::Route(const std::string& path, HttpRoute route) {
  std::lock_guard<std::mutex> lock(mu_);
  routes_[path] = std::move(route);
}

void HttpServer::Remove(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  routes_.erase(path);
}

std::vector<HttpRequestRecord> HttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

size_t HttpServer::request_count(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(std::count_if(
      log_.begin(), log_.end(), [&](const HttpRequestRecord& r) { return r.path == path; }));
}

void HttpServer::ClearLog() {
  std::lock_guard<std::mutex> lock(mu_);
  log_.clear();
}

bool HttpServer::SleepFor(int ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return !stop_cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_.load(); });
}

void HttpServer::AcceptLoop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, 50);
    if (rc <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      ::close(fd);
      break;
    }
    workers_.emplace_back([this, fd] {
      Serve(fd);
      ::close(fd);
    });
  }
}

void HttpServer::Serve(int fd) {
  // Read the request head (bounded, with a timeout so a silent client cannot
  // hold the thread past Stop()).
  std::string head;
  char buf[4096];
  int waited_ms = 0;
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() > kMaxRequestHead || stopping_) return;
    pollfd p{fd, POLLIN, 0};
    int rc = ::poll(&p, 1, 100);
    if (rc == 0) {
      waited_ms += 100;
      if (waited_ms > kIoTimeoutMs) return;
      continue;
    }
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return;
    head.append(buf, static_cast<size_t>(n));
  }
  HttpRequestRecord rec;
  size_t eol = head.find("\r\n");
  std::string request_line = head.substr(0, eol);
  size_t sp1 = request_line.find(' ');
  size_t sp2 = request_line.find(' ', sp1 == std::string::npos ? 0 : sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return;
  rec.method = request_line.substr(0, sp1);
  rec.path = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t pos = eol + 2;
  size_t end = head.find("\r\n\r\n");
  while (pos < end) {
    size_t next = head.find("\r\n", pos);
    std::string line = head.substr(pos, next - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      rec.headers[Lower(line.substr(0, colon))] = Trim(line.substr(colon + 1));
    }
    pos = next + 2;
  }

  HttpRoute route;
  bool found = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = routes_.find(rec.path);
    if (it != routes_.end()) {
      route = it->second;
      found = true;
    }
  }
  if (!found) {
    route.status = 404;
    route.body = "not found\n";
    route.content_type = "text/plain";
  }

  int status = route.status;
  bool not_modified = false;
  if (status == 200) {
    auto inm = rec.headers.find("if-none-match");
    if (!route.etag.empty() && inm != rec.headers.end() &&
        (inm->second == "*" || inm->second.find(route.etag) != std::string::npos)) {
      not_modified = true;
    }
    auto ims = rec.headers.find("if-modified-since");
    if (!route.last_modified.empty() && ims != rec.headers.end() &&
        inm == rec.headers.end() && ims->second == route.last_modified) {
      not_modified = true;  // RFC 9110 13.1.3: ignored when If-None-Match is present
    }
    if (not_modified) status = 304;
  }
  rec.status = status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    log_.push_back(rec);
  }

  if (route.delay_ms > 0 && !SleepFor(route.delay_ms)) return;

  const std::string empty;
  const std::string& body = (status == 304 || rec.method == "HEAD") ? empty : route.body;
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) + "\r\n";
  out += "Connection: close\r\n";
  if (status != 304) {
    out += "Content-Type: " + route.content_type + "\r\n";
    if (!route.omit_content_length) {
      out += "Content-Length: " + std::to_string(route.body.size()) + "\r\n";
    }
  }
  if (!route.etag.empty()) out += "ETag: " + route.etag + "\r\n";
  if (!route.last_modified.empty()) out += "Last-Modified: " + route.last_modified + "\r\n";
  if (!route.location.empty()) out += "Location: " + route.location + "\r\n";
  for (const auto& [k, v] : route.headers) out += k + ": " + v + "\r\n";
  out += "\r\n";
  if (!SendAll(fd, out.data(), out.size())) return;

  size_t to_send = std::min(body.size(), route.truncate_at);
  if (route.drip_ms > 0) {
    size_t step = std::max<size_t>(route.drip_bytes, 1);
    for (size_t off = 0; off < to_send; off += step) {
      if (!SendAll(fd, body.data() + off, std::min(step, to_send - off))) return;
      if (!SleepFor(route.drip_ms)) return;
    }
  } else if (to_send > 0) {
    if (!SendAll(fd, body.data(), to_send)) return;
  }
  ::shutdown(fd, SHUT_WR);
  // Drain briefly so the client sees an orderly close rather than a reset.
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 200) > 0) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    (void)n;
  }
}

}  // namespace shelfguard::testing
