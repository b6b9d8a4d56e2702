#include "wire_json.h"

namespace shelfguard::net {

using json = nlohmann::json;

bool JsonDepthWithin(std::string_view s, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : s) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

std::string ParseJsonObject(const std::string& body, int max_depth, const char* what, json* out) {
  if (!JsonDepthWithin(body, max_depth)) {
    return std::string(what) + ": nested deeper than " + std::to_string(max_depth) + " levels";
  }
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return std::string(what) + ": not valid JSON";
  if (!j.is_object()) return std::string(what) + ": must be a JSON object";
  *out = std::move(j);
  return "";
}

std::string FieldError(const char* key, const std::string& why) { return std::string("field '") + key + "': " + why; }

std::string GetStringField(const json& o, const char* key, size_t max_len, std::string* out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return "";
  if (!it->is_string()) return FieldError(key, "must be a string");
  const std::string& s = it->get_ref<const std::string&>();
  if (s.size() > max_len) return FieldError(key, "longer than " + std::to_string(max_len) + " bytes");
  *out = s;
  return "";
}

std::string GetBoolField(const json& o, const char* key, bool* out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return "";
  if (!it->is_boolean()) return FieldError(key, "must be true or false");
  *out = it->get<bool>();
  return "";
}

std::string GetIntField(const json& o, const char* key, int64_t lo, int64_t hi, int64_t* out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return "";
  std::string range = "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
  if (it->is_number_unsigned()) {
    // Above INT64_MAX an unsigned value would wrap if read as int64_t.
    if (it->get<uint64_t>() > static_cast<uint64_t>(hi)) return FieldError(key, range);
    if (static_cast<int64_t>(it->get<uint64_t>()) < lo) return FieldError(key, range);
    *out = static_cast<int64_t>(it->get<uint64_t>());
    return "";
  }
  if (!it->is_number_integer() || it->get<int64_t>() < lo || it->get<int64_t>() > hi) return FieldError(key, range);
  *out = it->get<int64_t>();
  return "";
}

std::string GetTagField(const json& o, const char* key, std::string* out) {
  auto it = o.find(key);
  if (it == o.end()) return FieldError(key, "required");
  if (!it->is_string()) return FieldError(key, "must be a string");
  if (it->get_ref<const std::string&>().size() > 32) return FieldError(key, "unknown value");
  *out = it->get<std::string>();
  return "";
}

}  // namespace shelfguard::net
