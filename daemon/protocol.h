// The daemon's request shapes, checked before anything acts on them. Every
// socket frame is hostile: a field of the wrong type, a huge number or deep
// nesting is answered with a `bad-request` naming the field, never an
// exception (nlohmann's typed getters throw on a wrong type, which killed the
// daemon: issue 11 point 1). Pure functions: unit-tested and fuzzed
// (protocol_test.cc, protocol_fuzz.cc). The delivery socket's requests are
// the consumer protocol, shared with the consumer: net/consumer_protocol.h.
#ifndef SHELFGUARD_DAEMON_PROTOCOL_H_
#define SHELFGUARD_DAEMON_PROTOCOL_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/consumer_protocol.h"

namespace shelfguard::daemon {

// Deepest JSON nesting accepted in a request; deeper documents are refused
// before they are parsed into a tree.
constexpr int kMaxRequestDepth = net::kMaxRequestDepth;

// Parses a request body into an object. "" on success, else the reason.
std::string ParseRequestObject(const std::string& body, nlohmann::json* out);

// {"type":"submit","request_id":S?,"resume":B?,"name":S?,"url":S?,"sha256":S?,"path":S?}
struct SubmitRequest {
  std::string request_id, name, url, sha256, path;
  bool resume = false;
};
// {"cmd":"status"|"ping"|"version"|"reload"}
struct ControlRequest {
  std::string cmd;
};

// Each returns "" or "field 'x': why" (the field named as the client sent it).
std::string ParseSubmitRequest(const std::string& body, SubmitRequest* out);
std::string ParseControlRequest(const std::string& body, ControlRequest* out);

}  // namespace shelfguard::daemon

#endif  // SHELFGUARD_DAEMON_PROTOCOL_H_
