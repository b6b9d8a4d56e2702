// Checked reading of JSON frames that arrive over a socket. Every frame is
// hostile: a field of the wrong type, a huge number or deep nesting is an
// error naming the field, never an exception (nlohmann's typed getters throw
// on a wrong type, which once killed the daemon: issue 11 point 1). Shared by
// the daemon's request checks (daemon/protocol.cc) and the consumer protocol
// (consumer_protocol.h), which both ends use.
#ifndef SHELFGUARD_NET_WIRE_JSON_H_
#define SHELFGUARD_NET_WIRE_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace shelfguard::net {

// Nesting depth of a JSON text without building it (strings skipped), so a
// frame of 100,000 '[' is refused before nlohmann recurses into it. Stray
// closing brackets do not buy depth back ("]]][[[" is 3 deep). Also the
// signature bundle's manifest check.
bool JsonDepthWithin(std::string_view s, int max_depth);

// Parses `body` into an object no deeper than `max_depth`. "" on success,
// else "<what>: why" (`what` names the frame: "request", "reply").
std::string ParseJsonObject(const std::string& body, int max_depth, const char* what, nlohmann::json* out);

// "field 'key': why".
std::string FieldError(const char* key, const std::string& why);

// Checked accessors: an absent (or null) field keeps `*out`; present with
// another type or out of range is "field 'key': why".
std::string GetStringField(const nlohmann::json& o, const char* key, size_t max_len, std::string* out);
std::string GetBoolField(const nlohmann::json& o, const char* key, bool* out);
std::string GetIntField(const nlohmann::json& o, const char* key, int64_t lo, int64_t hi, int64_t* out);
// The discriminator ("type" or "cmd"): required, a string of at most 32 bytes.
std::string GetTagField(const nlohmann::json& o, const char* key, std::string* out);

}  // namespace shelfguard::net

#endif  // SHELFGUARD_NET_WIRE_JSON_H_
