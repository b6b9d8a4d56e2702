#include "consumer_protocol.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "wire_json.h"

namespace shelfguard::net {
namespace {

TEST(ConsumerProtocol, RequestsTheConsumerBuildsAreWhatTheDaemonAccepts) {
  ConsumerRequest hello;
  ASSERT_EQ(ParseConsumerRequest(HelloRequest("audit"), &hello), "");
  EXPECT_EQ(hello.type, "hello");
  EXPECT_EQ(hello.consumer, "audit");

  ConsumerRequest fetch;
  ASSERT_EQ(ParseConsumerRequest(FetchRequest("audit", 7, 250), &fetch), "");
  EXPECT_EQ(fetch.type, "fetch");
  EXPECT_EQ(fetch.max, 7);
  EXPECT_EQ(fetch.wait_ms, 250);

  ConsumerRequest ack;
  ASSERT_EQ(ParseConsumerRequest(AckRequest("audit", {"a1", "b2"}), &ack), "");
  EXPECT_EQ(ack.type, "ack");
  EXPECT_EQ(ack.ids, (std::vector<std::string>{"a1", "b2"}));
}

TEST(ConsumerProtocol, BadRequestsNameTheField) {
  auto parse = [](const std::string& body) {
    ConsumerRequest r;
    return ParseConsumerRequest(body, &r);
  };
  EXPECT_EQ(parse(R"({"type":"fetch","max":"10"})"), "field 'max': must be an integer from 1 to 10000");
  EXPECT_NE(parse(R"({"type":"fetch","max":18446744073709551615})").find("'max'"), std::string::npos);
  // 0 parses as an unsigned number: still below the range.
  EXPECT_NE(parse(R"({"type":"fetch","max":0})").find("'max'"), std::string::npos);
  EXPECT_NE(parse(R"({"type":"fetch","wait_ms":60001})").find("'wait_ms'"), std::string::npos);
  EXPECT_NE(parse(R"({"type":"ack","ids":[1]})").find("'ids'"), std::string::npos);
  EXPECT_NE(parse(R"({"type":"ack"})").find("'ids': required"), std::string::npos);
  EXPECT_NE(parse(R"({"type":"ack","ids":[")" + std::string(257, 'x') + "\"]}").find("'ids'"), std::string::npos);
  EXPECT_NE(parse(R"({"type":"hello","consumer":")" + std::string(129, 'c') + "\"}").find("'consumer'"),
            std::string::npos);
  EXPECT_EQ(parse(R"({"type":"submit"})"), "field 'type': one of hello, fetch, ack");
  EXPECT_EQ(parse(R"({"consumer":"x"})"), "field 'type': required");
  EXPECT_EQ(parse("[1]"), "request: must be a JSON object");
  EXPECT_EQ(parse("{"), "request: not valid JSON");
  EXPECT_NE(parse(std::string(100000, '[')).find("nested deeper"), std::string::npos);
  // An empty consumer name is the default one, as an absent one.
  ConsumerRequest r;
  ASSERT_EQ(ParseConsumerRequest(R"({"type":"hello","consumer":""})", &r), "");
  EXPECT_EQ(r.consumer, "default");
}

TEST(ConsumerProtocol, RepliesTheDaemonBuildsAreWhatTheConsumerReads) {
  ConsumerReply w;
  ASSERT_EQ(ParseConsumerReply(WelcomeReply(3), &w), "");
  EXPECT_EQ(w.type, "welcome");
  EXPECT_EQ(w.released, 3);

  ConsumerReply a;
  ASSERT_EQ(ParseConsumerReply(AckedReply(5, 2), &a), "");
  EXPECT_EQ(a.type, "acked");
  EXPECT_EQ(a.count, 5);
  EXPECT_EQ(a.refused, 2);

  ConsumerReply e;
  ASSERT_EQ(ParseConsumerReply(ErrorReply("busy", "too many"), &e), "");
  EXPECT_EQ(e.type, "error");
  EXPECT_EQ(e.code, "busy");
  EXPECT_EQ(e.error, "too many");

  ConsumerReply empty;
  ASSERT_EQ(ParseConsumerReply(BatchReply({}), &empty), "");
  EXPECT_EQ(empty.type, "batch");
  EXPECT_TRUE(empty.messages.empty());

  // The outbox's payloads are spliced in as they are stored.
  ConsumerReply b;
  ASSERT_EQ(ParseConsumerReply(BatchReply({R"({"id":"m1","rule_id":"R1"})", R"({"id":"m2","evidence":[{"k":1}]})"}), &b),
            "");
  ASSERT_EQ(b.ids, (std::vector<std::string>{"m1", "m2"}));
  ASSERT_EQ(b.messages.size(), 2u);
  EXPECT_EQ(b.messages[0]["rule_id"], "R1");
  EXPECT_EQ(b.skipped, 0u);
}

TEST(ConsumerProtocol, BatchEntriesWithoutAUsableIdAreCountedNotAcked) {
  ConsumerReply b;
  std::string long_id(kMaxMessageId + 1, 'x');
  ASSERT_EQ(ParseConsumerReply(R"({"type":"batch","messages":[{"id":"ok1"},{"id":7},{"no":"id"},"str",)"
                               R"({"id":""},{"id":")" + long_id + R"("},{"id":"ok2"}]})",
                               &b),
            "");
  EXPECT_EQ(b.ids, (std::vector<std::string>{"ok1", "ok2"}));
  EXPECT_EQ(b.messages.size(), 2u);
  EXPECT_EQ(b.skipped, 5u);
}

TEST(ConsumerProtocol, MalformedRepliesAreErrorsNotThrows) {
  auto parse = [](const std::string& body) {
    ConsumerReply r;
    return ParseConsumerReply(body, &r);
  };
  EXPECT_EQ(parse(R"({"type":"batch"})"), "field 'messages': required: an array of messages");
  EXPECT_EQ(parse(R"({"type":"batch","messages":{"id":"x"}})"), "field 'messages': required: an array of messages");
  EXPECT_EQ(parse(R"({"type":"welcome","released":"3"})"), "field 'released': must be an integer from 0 to " +
                                                                std::to_string(INT64_MAX));
  EXPECT_NE(parse(R"({"type":"acked","count":-1})").find("'count'"), std::string::npos);
  EXPECT_NE(parse(R"({"type":"error","code":["busy"]})").find("'code'"), std::string::npos);
  EXPECT_EQ(parse(R"({"type":"surprise"})"), "field 'type': one of welcome, batch, acked, error");
  EXPECT_EQ(parse("null"), "reply: must be a JSON object");
  EXPECT_NE(parse(R"({"type":"batch","messages":[)" + std::string(40, '[') + "]}").find("nested deeper"),
            std::string::npos);
  std::string many = R"({"type":"batch","messages":[)";
  for (int i = 0; i <= kMaxFetch; ++i) many += std::string(i ? "," : "") + "{}";
  many += "]}";
  EXPECT_NE(parse(many).find("more than 10000 messages"), std::string::npos);
}

TEST(WireJson, DepthIgnoresBracketsInStrings) {
  EXPECT_TRUE(JsonDepthWithin(R"({"x":")" + std::string(1000, '[') + "\"}", 2));
  EXPECT_TRUE(JsonDepthWithin(R"({"x":"\"[[[["})", 1));  // an escaped quote does not end the string
  EXPECT_FALSE(JsonDepthWithin("[[[", 2));
  // Closing brackets first do not make room for deeper nesting later.
  EXPECT_FALSE(JsonDepthWithin("]]][[[", 2));
  EXPECT_TRUE(JsonDepthWithin("[[]][[]]", 2));
}

}  // namespace
}  // namespace shelfguard::net
