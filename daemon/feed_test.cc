#include "feed.h"

#include <string>

#include <gtest/gtest.h>

#include "daemon_impl.h"

namespace shelfguard::daemon {
namespace {

using json = nlohmann::json;

const std::string kSha(64, 'a');

json Entry() {
  return {{"platform", "android"}, {"app_id", "com.example.app"}, {"version", "1.0"},
          {"url", "pkgs/app.apk"}, {"sha256", kSha}, {"size", 1234u}};
}

TEST(FeedResolveUrl, RelativeAbsoluteAndSchemes) {
  const std::string base = "http://cdn.example/feeds/list.json?x=1";
  EXPECT_EQ(ResolveUrl(base, "a.apk"), "http://cdn.example/feeds/a.apk");
  EXPECT_EQ(ResolveUrl(base, "/top/a.apk"), "http://cdn.example/top/a.apk");
  EXPECT_EQ(ResolveUrl(base, "https://other.example/a.apk"), "https://other.example/a.apk");
  EXPECT_EQ(ResolveUrl(base, "ftp://other.example/a.apk"), "");
  EXPECT_EQ(ResolveUrl(base, "file:///etc/passwd"), "");
}

TEST(FeedEntryParse, AcceptsAWellFormedEntry) {
  FeedEntry fe;
  json e = Entry();
  e["sha256"] = std::string(64, 'A');  // upper case is normalised
  EXPECT_EQ(ParseFeedEntry(e, "http://h/f.json", 1 << 20, &fe), "");
  EXPECT_EQ(fe.url, "http://h/pkgs/app.apk");
  EXPECT_EQ(fe.sha256, kSha);
  EXPECT_EQ(fe.size, 1234u);
}

TEST(FeedEntryParse, NamesWhatIsWrong) {
  struct Case {
    const char* key;
    json value;
    const char* why;
  } cases[] = {
      {"platform", "windows", "platform"},   {"platform", 5, "platform"},
      {"app_id", "", "app_id"},              {"app_id", std::string(300, 'a'), "app_id"},
      {"version", std::string(200, 'v'), "version"},
      {"url", "gopher://x/y", "url"},
      {"sha256", "abc", "sha256"},           {"sha256", 7, "sha256"},
      {"size", -1, "size"},                  {"size", "12", "size"},
      {"size", 0, "size"},                   {"size", 1e30, "size"},
      {"size", uint64_t{1} << 40, "max_package_bytes"},
  };
  for (const auto& c : cases) {
    json e = Entry();
    e[c.key] = c.value;
    FeedEntry fe;
    std::string why = ParseFeedEntry(e, "http://h/f.json", 1 << 20, &fe);
    EXPECT_NE(why.find(c.why), std::string::npos) << c.key << "=" << c.value.dump() << ": " << why;
  }
  FeedEntry fe;
  EXPECT_EQ(ParseFeedEntry(json::array({1, 2}), "http://h/f.json", 1 << 20, &fe), "not an object");
  EXPECT_EQ(ParseFeedEntry(json(nullptr), "http://h/f.json", 1 << 20, &fe), "not an object");
}

TEST(FeedEntryParse, EveryPlatformTheEngineReads) {
  for (const char* p : {"android", "ios", "harmony", "mini-program"}) {
    json e = Entry();
    e["platform"] = p;
    FeedEntry fe;
    EXPECT_EQ(ParseFeedEntry(e, "http://h/f.json", 1 << 20, &fe), "") << p;
    EXPECT_EQ(fe.platform, p);
  }
}

TEST(FeedDownloadSuffix, UrlExtensionElsePlatformAndTheWxAppid) {
  EXPECT_EQ(DownloadSuffix("harmony", "com.x", "http://h/p/edu.APP?v=2"), ".app");
  EXPECT_EQ(DownloadSuffix("harmony", "com.x", "http://h/p/download?id=7"), ".hap");
  EXPECT_EQ(DownloadSuffix("android", "com.x", "http://h/p/base.aab#frag"), ".aab");
  EXPECT_EQ(DownloadSuffix("android", "com.x", "http://h/p/get"), ".apk");
  EXPECT_EQ(DownloadSuffix("ios", "com.x", "http://h/p/get.php"), ".ipa");
  EXPECT_EQ(DownloadSuffix("mini-program", "wx0123456789abcdef", "http://h/p/m"), "-wx0123456789abcdef.wxapkg");
  // Not a well-formed appid: never copied into a file name.
  EXPECT_EQ(DownloadSuffix("mini-program", "wx../../etc/passwd", "http://h/p/m"), ".wxapkg");
  EXPECT_EQ(DownloadSuffix("mini-program", "wx0123456789abcdeg", "http://h/p/m"), ".wxapkg");
}

}  // namespace
}  // namespace shelfguard::daemon
