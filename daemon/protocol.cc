#include "protocol.h"

#include <cctype>

#include "net/wire_json.h"

namespace shelfguard::daemon {

using json = nlohmann::json;

using net::FieldError;
using net::GetBoolField;
using net::GetStringField;
using net::GetTagField;

std::string ParseRequestObject(const std::string& body, json* out) {
  return net::ParseJsonObject(body, kMaxRequestDepth, "request", out);
}

std::string ParseSubmitRequest(const std::string& body, SubmitRequest* out) {
  json o;
  std::string err = ParseRequestObject(body, &o);
  if (err.empty()) err = GetTagField(o, "type", &out->request_id);  // borrowed slot, cleared below
  if (!err.empty()) return err;
  if (out->request_id != "submit") return FieldError("type", "must be \"submit\"");
  out->request_id.clear();
  for (auto e : {GetStringField(o, "request_id", 64, &out->request_id), GetBoolField(o, "resume", &out->resume),
                 GetStringField(o, "name", 255, &out->name), GetStringField(o, "url", 4096, &out->url),
                 GetStringField(o, "sha256", 64, &out->sha256), GetStringField(o, "path", 4096, &out->path)}) {
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
  if (err.empty()) err = GetTagField(o, "cmd", &out->cmd);
  if (!err.empty()) return err;
  if (out->cmd != "status" && out->cmd != "ping" && out->cmd != "version" && out->cmd != "reload") {
    return FieldError("cmd", "unknown command; one of status, ping, version, reload");
  }
  return "";
}

}  // namespace shelfguard::daemon
