#include "protocol.h"

#include <string>

#include <gtest/gtest.h>

#include "feed.h"

namespace shelfguard::daemon {
namespace {

TEST(Protocol, WrongTypesAreNamedNotThrown) {
  SubmitRequest s;
  EXPECT_EQ(ParseSubmitRequest(R"({"type":123})", &s), "field 'type': must be a string");
  EXPECT_NE(ParseSubmitRequest(R"({"type":"submit","request_id":"abcdefgh1235","resume":"yes"})", &s).find("'resume'"),
            std::string::npos);
  ControlRequest c;
  EXPECT_NE(ParseControlRequest(R"({"cmd":["status"]})", &c).find("'cmd'"), std::string::npos);
  EXPECT_EQ(ParseControlRequest(R"({"cmd":"version"})", &c), "");
  // Delivery requests: net/consumer_protocol_test.cc.
}

TEST(Protocol, DeepNestingIsRefusedBeforeParsing) {
  ControlRequest c;
  std::string deep(100000, '[');
  EXPECT_NE(ParseControlRequest(deep, &c).find("nested"), std::string::npos);
  std::string in_string = R"({"cmd":"status","x":")" + std::string(1000, '[') + "\"}";
  EXPECT_EQ(ParseControlRequest(in_string, &c), "");  // brackets inside strings do not count
}

TEST(Redact, UserinfoAndSecretQueryValues) {
  EXPECT_EQ(RedactUrl("http://user:secret@host/x?token=abc&v=2"), "http://REDACTED@host/x?token=REDACTED&v=2");
  EXPECT_EQ(RedactUrl("https://host/a.apk"), "https://host/a.apk");
  EXPECT_EQ(RedactUrl("https://h/a?X-Amz-Signature=zz#f"), "https://h/a?X-Amz-Signature=REDACTED#f");
  std::string t = RedactText("GET http://u:p@h/x: refused");
  EXPECT_EQ(t.find("u:p"), std::string::npos) << t;
  EXPECT_NE(t.find(": refused"), std::string::npos) << t;
}

TEST(FeedResolveUrl, FollowsRfc3986) {
  EXPECT_EQ(ResolveUrl("http://cdn.example/feeds/list.json", "//other.example/x.apk"), "http://other.example/x.apk");
  EXPECT_EQ(ResolveUrl("http://cdn.example/feeds/list.json", "?v=2"), "http://cdn.example/feeds/list.json?v=2");
  EXPECT_EQ(ResolveUrl("http://cdn.example/feeds/list.json", "../x.apk"), "http://cdn.example/x.apk");
  EXPECT_EQ(ResolveUrl("http://cdn.example/feeds/list.json", ""), "");  // a missing url is not the feed
}

}  // namespace
}  // namespace shelfguard::daemon
