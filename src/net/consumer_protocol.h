// The consumer protocol of the daemon's delivery socket (docs/daemon.md
// "delivery"), both ends in one place: the requests a consumer sends
// (hello / fetch / ack) and the replies the daemon sends (welcome / batch /
// acked / error), each built by one function and read by one checked parser.
// The daemon (daemon/server.cc) parses requests and builds replies; the
// reference consumer (`shelfguard consume`, src/cli/cmd_consume.cc) builds
// requests and parses replies. Every frame is hostile on both sides: a field
// of the wrong type, an out-of-range number or deep nesting is an error
// naming the field, never an exception. Pure functions: unit-tested
// (consumer_protocol_test.cc) and fuzzed (consumer_protocol_fuzz.cc).
#ifndef SHELFGUARD_NET_CONSUMER_PROTOCOL_H_
#define SHELFGUARD_NET_CONSUMER_PROTOCOL_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace shelfguard::net {

// Limits of the protocol (the daemon refuses more; the consumer never asks
// for more). A consumer name and a message id are short printable tokens.
constexpr int kMaxConsumerName = 128;
constexpr int kMaxFetch = 10000;         // "max" of a fetch; also delivery.batch's ceiling
constexpr int64_t kMaxWaitMs = 60000;    // "wait_ms" of a fetch
constexpr size_t kMaxAckIds = 100000;    // ids in one ack
constexpr size_t kMaxMessageId = 256;    // bytes of one id
constexpr int kMaxRequestDepth = 16;     // JSON nesting of a request
constexpr int kMaxReplyDepth = 32;       // of a reply (finding messages nest a few levels)
constexpr size_t kMaxReplyBytes = 256u << 20;  // one reply frame the consumer accepts

// {"type":"hello"|"fetch"|"ack","consumer":S?,"max":N?,"wait_ms":N?,"ids":[S]?}
struct ConsumerRequest {
  std::string type, consumer = "default";
  int max = 64;
  int64_t wait_ms = 1000;
  std::vector<std::string> ids;  // ack only
};

// Requests, as the consumer sends them.
std::string HelloRequest(const std::string& consumer);
std::string FetchRequest(const std::string& consumer, int64_t max, int64_t wait_ms);
std::string AckRequest(const std::string& consumer, const std::vector<std::string>& ids);

// The daemon's check of a request: "" or "field 'x': why" / "request: why".
std::string ParseConsumerRequest(const std::string& body, ConsumerRequest* out);

// Replies, as the daemon sends them. A batch's messages are JSON objects
// already serialised (the outbox stores them so); they are spliced in as is.
std::string WelcomeReply(int64_t released);
std::string BatchReply(const std::vector<std::string>& message_payloads);
std::string AckedReply(int64_t count, int64_t refused);
std::string ErrorReply(const std::string& code, const std::string& why);

// A reply as the consumer reads it. Only the fields of its type are set.
struct ConsumerReply {
  std::string type;                 // welcome, batch, acked, error
  int64_t released = 0;             // welcome
  int64_t count = 0, refused = 0;   // acked
  std::string code, error;          // error
  // batch: the messages with a usable id (an object whose "id" is a string
  // of 1..kMaxMessageId bytes), in order, with their ids.
  std::vector<nlohmann::json> messages;
  std::vector<std::string> ids;
  // batch: entries that were not such a message. They cannot be
  // acknowledged; the daemon redelivers them after its ack timeout, so the
  // consumer reports them rather than looping silently.
  size_t skipped = 0;
};

// The consumer's check of a reply: "" or "reply: why" / "field 'x': why".
// A batch with some unusable entries is accepted (counted in `skipped`): the
// good messages are still written and acknowledged.
std::string ParseConsumerReply(const std::string& body, ConsumerReply* out);

}  // namespace shelfguard::net

#endif  // SHELFGUARD_NET_CONSUMER_PROTOCOL_H_
