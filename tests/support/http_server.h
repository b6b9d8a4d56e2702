// A small real HTTP/1.1 server on 127.0.0.1 for tests (registry sync, daemon
// feeds, the HTTP client). It listens on an ephemeral port, accepts on its own
// thread and serves each connection on a thread of its own, one request per
// connection ("Connection: close").
//
// Each path has a behaviour (HttpRoute): status, body, headers, ETag /
// Last-Modified with conditional GET (If-None-Match / If-Modified-Since
// equal -> 304), a delay before the response, a slow drip of the body, and a
// truncated body (Content-Length says more than is sent, then the connection
// closes). Unknown paths get 404. Every request is logged.
//
//   testing::HttpServer server;
//   ASSERT_TRUE(server.Start().ok());
//   server.Route("/registry.json", {.body = json, .etag = "\"v1\""});
//   auto r = net::Get(server.Url("/registry.json"), {});
#ifndef SHELFGUARD_TESTS_SUPPORT_HTTP_SERVER_H_
#define SHELFGUARD_TESTS_SUPPORT_HTTP_SERVER_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "shelfguard/status.h"

namespace shelfguard::testing {

struct HttpRoute {
  int status = 200;
  std::string body;
  std::string content_type = "application/octet-stream";
  // Extra response headers, sent as given.
  std::vector<std::pair<std::string, std::string>> headers;
  // When set: sent as ETag / Last-Modified; a request whose If-None-Match
  // contains the ETag, or whose If-Modified-Since equals last_modified, gets
  // 304 without a body.
  std::string etag;
  std::string last_modified;
  // For 3xx: the Location header.
  std::string location;
  // Wait this long before sending anything (a slow or hung server).
  int delay_ms = 0;
  // When > 0, send the body in chunks of drip_bytes, sleeping drip_ms between.
  int drip_ms = 0;
  size_t drip_bytes = 1;
  // When truncate_at < body.size(): Content-Length is body.size() but only
  // the first truncate_at bytes are sent before the connection is closed.
  size_t truncate_at = static_cast<size_t>(-1);
  // Send no Content-Length: the body is delimited by closing the connection
  // (tests of caps that must hold while streaming).
  bool omit_content_length = false;
};

struct HttpRequestRecord {
  std::string method;
  std::string path;                            // request target as sent
  std::map<std::string, std::string> headers;  // lower-case names
  int status = 0;                              // status sent back
};

class HttpServer {
 public:
  HttpServer();
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds 127.0.0.1 on an ephemeral port and starts the accept thread.
  Status Start();
  // Stops accepting, wakes delayed responses and joins every thread.
  void Stop();

  int port() const { return port_; }
  // "http://127.0.0.1:<port>" + path.
  std::string Url(const std::string& path) const;

  // Sets (or replaces) the behaviour of `path` (exact match, query included).
  void Route(const std::string& path, HttpRoute route);
  void Remove(const std::string& path);

  std::vector<HttpRequestRecord> requests() const;
  size_t request_count(const std::string& path) const;
  void ClearLog();

 private:
  void AcceptLoop();
  void Serve(int fd);
  // Sleeps up to `ms`, returning early (false) when the server stops.
  bool SleepFor(int ms);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  std::map<std::string, HttpRoute> routes_;
  std::vector<HttpRequestRecord> log_;
  std::vector<std::thread> workers_;
};

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_HTTP_SERVER_H_
