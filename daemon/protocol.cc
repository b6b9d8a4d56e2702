#include "protocol.h"

#include <cctype>

namespace shelfguard::daemon {

using json = nlohmann::json;

namespace {

// Nesting depth of a JSON text without building it (strings skipped), so a
// frame of 100,000 '[' is refused before nlohmann recurses into it.
bool DepthWithin(const std::string& s, int max_depth) {
  int depth = 0;
  bool in_str = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (in_str) {
      if (ch == '\\') {
        ++i;
      } else if (ch == '"') {
        in_str = false;
      }
    } else if (ch == '"') {
      in_str = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > max_depth) return false;
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  return true;
}

std::string FieldError(const char* key, const char* why) { return std::string("field '") + key + "': " + why; }

// Checked accessors: absent keeps the default; present with another type is
// an error naming the field.
std::string GetString(const json& o, const char* key, size_t max_len, std::string* out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return "";
  if (!it->is_string()) return FieldError(key, "must be a string");
  const std::string& s = it->get_ref<const std::string&>();
  if (s.size() > max_len) return FieldError(key, ("longer than " + std::to_string(max_len) + " bytes").c_str());
  *out = s;
  return "";
}

std::string GetBool(const json& o, const char* key, bool* out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return "";
  if (!it->is_boolean()) return FieldError(key, "must be true or false");
  *out = it->get<bool>();
  return "";
}

std::string GetInt(const json& o, const char* key, int64_t lo, int64_t hi, int64_t* out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return "";
  if (it->is_number_unsigned()) {
    if (it->get<uint64_t>() > static_cast<uint64_t>(hi)) {
      return FieldError(key, ("must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi)).c_str());
    }
    *out = static_cast<int64_t>(it->get<uint64_t>());
    return "";
  }
  if (!it->is_number_integer() || it->get<int64_t>() < lo || it->get<int64_t>() > hi) {
    return FieldError(key, ("must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi)).c_str());
  }
  *out = it->get<int64_t>();
  return "";
}

// The discriminator ("type" or "cmd"): required, a string.
std::string GetTag(const json& o, const char* key, std::string* out) {
  auto it = o.find(key);
  if (it == o.end()) return FieldError(key, "required");
  if (!it->is_string()) return FieldError(key, "must be a string");
  if (it->get_ref<const std::string&>().size() > 32) return FieldError(key, "unknown value");
  *out = it->get<std::string>();
  return "";
}

}  // namespace

std::string ParseRequestObject(const std::string& body, json* out) {
  if (!DepthWithin(body, kMaxRequestDepth)) {
    return "request: nested deeper than " + std::to_string(kMaxRequestDepth) + " levels";
  }
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return "request: not valid JSON";
  if (!j.is_object()) return "request: must be a JSON object";
  *out = std::move(j);
  return "";
}

std::string ParseSubmitRequest(const std::string& body, SubmitRequest* out) {
  json o;
  std::string err = ParseRequestObject(body, &o);
  if (err.empty()) err = GetTag(o, "type", &out->request_id);  // borrowed slot, cleared below
  if (!err.empty()) return err;
  if (out->request_id != "submit") return FieldError("type", "must be \"submit\"");
  out->request_id.clear();
  for (auto e : {GetString(o, "request_id", 64, &out->request_id), GetBool(o, "resume", &out->resume),
                 GetString(o, "name", 255, &out->name), GetString(o, "url", 4096, &out->url),
                 GetString(o, "sha256", 64, &out->sha256), GetString(o, "path", 4096, &out->path)}) {
    if (!e.empty()) return e;
  }
  if (!out->request_id.empty()) {
    bool valid = out->request_id.size() >= 8;
    for (char ch : out->request_id) {
      valid = valid && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_');
    }
    if (!valid) return FieldError("request_id", "8 to 64 letters, digits, '-' or '_'");
  }
  if (out->path.find('\0') != std::string::npos) return FieldError("path", "contains a NUL byte");
  return "";
}

std::string ParseControlRequest(const std::string& body, ControlRequest* out) {
  json o;
  std::string err = ParseRequestObject(body, &o);
  if (err.empty()) err = GetTag(o, "cmd", &out->cmd);
  if (!err.empty()) return err;
  if (out->cmd != "status" && out->cmd != "ping" && out->cmd != "version" && out->cmd != "reload") {
    return FieldError("cmd", "unknown command; one of status, ping, version, reload");
  }
  return "";
}

std::string ParseDeliveryRequest(const std::string& body, DeliveryRequest* out) {
  json o;
  std::string err = ParseRequestObject(body, &o);
  if (err.empty()) err = GetTag(o, "type", &out->type);
  if (!err.empty()) return err;
  if (out->type != "hello" && out->type != "fetch" && out->type != "ack") {
    return FieldError("type", "one of hello, fetch, ack");
  }
  int64_t max = out->max;
  for (auto e : {GetString(o, "consumer", 128, &out->consumer), GetInt(o, "max", 1, 10000, &max),
                 GetInt(o, "wait_ms", 0, 60000, &out->wait_ms)}) {
    if (!e.empty()) return e;
  }
  out->max = static_cast<int>(max);
  if (out->consumer.empty()) out->consumer = "default";
  auto ids = o.find("ids");
  if (out->type == "ack") {
    if (ids == o.end() || !ids->is_array()) return FieldError("ids", "required: an array of message ids");
    if (ids->size() > 100000) return FieldError("ids", "more than 100000 ids");
    for (const auto& id : *ids) {
      if (!id.is_string() || id.get_ref<const std::string&>().size() > 256) {
        return FieldError("ids", "every id must be a string of at most 256 bytes");
      }
      out->ids.push_back(id.get<std::string>());
    }
  }
  return "";
}

}  // namespace shelfguard::daemon
