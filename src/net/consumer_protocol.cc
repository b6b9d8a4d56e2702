#include "consumer_protocol.h"

#include <cstdint>

#include "wire_json.h"

namespace shelfguard::net {

using json = nlohmann::json;

namespace {

// Replies to a consumer are ours: invalid UTF-8 from a message is replaced,
// never a throw out of dump().
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

bool UsableId(const json& id) {
  if (!id.is_string()) return false;
  size_t n = id.get_ref<const std::string&>().size();
  return n > 0 && n <= kMaxMessageId;
}

}  // namespace

std::string HelloRequest(const std::string& consumer) { return Dump({{"type", "hello"}, {"consumer", consumer}}); }

std::string FetchRequest(const std::string& consumer, int64_t max, int64_t wait_ms) {
  return Dump({{"type", "fetch"}, {"consumer", consumer}, {"max", max}, {"wait_ms", wait_ms}});
}

std::string AckRequest(const std::string& consumer, const std::vector<std::string>& ids) {
  return Dump({{"type", "ack"}, {"consumer", consumer}, {"ids", ids}});
}

std::string ParseConsumerRequest(const std::string& body, ConsumerRequest* out) {
  json o;
  std::string err = ParseJsonObject(body, kMaxRequestDepth, "request", &o);
  if (err.empty()) err = GetTagField(o, "type", &out->type);
  if (!err.empty()) return err;
  if (out->type != "hello" && out->type != "fetch" && out->type != "ack") {
    return FieldError("type", "one of hello, fetch, ack");
  }
  int64_t max = out->max;
  for (auto e : {GetStringField(o, "consumer", kMaxConsumerName, &out->consumer),
                 GetIntField(o, "max", 1, kMaxFetch, &max), GetIntField(o, "wait_ms", 0, kMaxWaitMs, &out->wait_ms)}) {
    if (!e.empty()) return e;
  }
  out->max = static_cast<int>(max);
  if (out->consumer.empty()) out->consumer = "default";
  if (out->type != "ack") return "";
  auto ids = o.find("ids");
  if (ids == o.end() || !ids->is_array()) return FieldError("ids", "required: an array of message ids");
  if (ids->size() > kMaxAckIds) return FieldError("ids", "more than " + std::to_string(kMaxAckIds) + " ids");
  for (const auto& id : *ids) {
    if (!id.is_string() || id.get_ref<const std::string&>().size() > kMaxMessageId) {
      return FieldError("ids", "every id must be a string of at most " + std::to_string(kMaxMessageId) + " bytes");
    }
    out->ids.push_back(id.get<std::string>());
  }
  return "";
}

std::string WelcomeReply(int64_t released) { return Dump({{"type", "welcome"}, {"released", released}}); }

std::string BatchReply(const std::vector<std::string>& message_payloads) {
  std::string body = "{\"type\":\"batch\",\"messages\":[";
  for (size_t i = 0; i < message_payloads.size(); ++i) {
    if (i) body += ",";
    body += message_payloads[i];
  }
  body += "]}";
  return body;
}

std::string AckedReply(int64_t count, int64_t refused) {
  return Dump({{"type", "acked"}, {"count", count}, {"refused", refused}});
}

std::string ErrorReply(const std::string& code, const std::string& why) {
  return Dump({{"type", "error"}, {"code", code}, {"error", why}});
}

std::string ParseConsumerReply(const std::string& body, ConsumerReply* out) {
  if (body.size() > kMaxReplyBytes) return "reply: larger than " + std::to_string(kMaxReplyBytes) + " bytes";
  json o;
  std::string err = ParseJsonObject(body, kMaxReplyDepth, "reply", &o);
  if (err.empty()) err = GetTagField(o, "type", &out->type);
  if (!err.empty()) return err;
  constexpr int64_t kCountMax = INT64_MAX;
  if (out->type == "welcome") return GetIntField(o, "released", 0, kCountMax, &out->released);
  if (out->type == "acked") {
    for (auto e : {GetIntField(o, "count", 0, kCountMax, &out->count),
                   GetIntField(o, "refused", 0, kCountMax, &out->refused)}) {
      if (!e.empty()) return e;
    }
    return "";
  }
  if (out->type == "error") {
    for (auto e : {GetStringField(o, "code", 64, &out->code), GetStringField(o, "error", 4096, &out->error)}) {
      if (!e.empty()) return e;
    }
    return "";
  }
  if (out->type != "batch") return FieldError("type", "one of welcome, batch, acked, error");
  auto msgs = o.find("messages");
  if (msgs == o.end() || !msgs->is_array()) return FieldError("messages", "required: an array of messages");
  if (msgs->size() > static_cast<size_t>(kMaxFetch)) {
    return FieldError("messages", "more than " + std::to_string(kMaxFetch) + " messages");
  }
  for (auto& m : *msgs) {
    auto id = m.find("id");  // end() for a non-object
    if (id == m.end() || !UsableId(*id)) {
      ++out->skipped;
      continue;
    }
    out->ids.push_back(id->get<std::string>());
    out->messages.push_back(std::move(m));
  }
  return "";
}

}  // namespace shelfguard::net
