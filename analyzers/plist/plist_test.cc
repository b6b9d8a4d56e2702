#include "plist/plist_reader.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/corpus.h"
#include "support/parser_limits.h"

namespace shelfguard::plist {
namespace {

const char kXml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
    "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
    "<plist version=\"1.0\"><dict>"
    "<key>CFBundleIdentifier</key><string>cn.example.a</string>"
    "<key>UIDeviceFamily</key><array><integer>1</integer><integer>2</integer></array>"
    "<key>NSAppTransportSecurity</key><dict><key>NSAllowsArbitraryLoads</key><true/></dict>"
    "<key>Blob</key><data>AAEC</data>"
    "</dict></plist>";

TEST(Plist, XmlToJson) {
  auto p = ParsePlist(kXml, nullptr);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  nlohmann::json& j = p->root;
  EXPECT_EQ(j["CFBundleIdentifier"], "cn.example.a");
  EXPECT_EQ(j["UIDeviceFamily"][1], 2);
  EXPECT_EQ(j["NSAppTransportSecurity"]["NSAllowsArbitraryLoads"], true);
  EXPECT_EQ(j["Blob"], "AAEC");
  EXPECT_TRUE(p->anomalies.empty());
  EXPECT_EQ(PlistFormat(kXml), "xml");
}

// The binary plist Python's plistlib writes for the Python literal `value`.
std::string BinaryPlistFromPython(const std::string& name, const std::string& value) {
  std::string dir = testing::BinaryDir() + "/test-fixtures";
  std::filesystem::create_directories(dir);
  std::string path = dir + "/" + name + "." + std::to_string(::getpid()) + ".plist";
  std::string cmd = "python3 -c 'import plistlib,sys; sys.stdout.buffer.write(plistlib.dumps(" +
                    value + ", fmt=plistlib.FMT_BINARY))' > '" + path + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::stringstream ss;
  ss << std::ifstream(path, std::ios::binary).rdbuf();
  return ss.str();
}

TEST(Plist, BinaryFromPlistlib) {
  std::string bin =
      BinaryPlistFromPython("plist-binary", "{\"k\": \"\\u5b66\", \"n\": [1, 2.5, True]}");
  EXPECT_EQ(PlistFormat(bin), "binary");
  auto p = ParsePlist(bin, nullptr);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->root["k"], "学");
  EXPECT_EQ(p->root["n"][1], 2.5);
  // Corruptions: truncation and a trailer pointing past the end.
  for (size_t n : {bin.size() - 1, bin.size() / 2, size_t{8}}) {
    auto t = ParsePlist(bin.substr(0, n), nullptr);
    ASSERT_FALSE(t.ok()) << n;
    EXPECT_EQ(t.status().code(), "malformed") << n;
  }
  std::string bad = bin;
  bad[bad.size() - 1] = '\x7f';  // offset-table offset, low byte
  auto b = ParsePlist(bad, nullptr);
  EXPECT_FALSE(b.ok() && b->root.is_object() && b->root.contains("k") && b->root["n"].size() == 3);
}

// libplist aborts (an assertion) on a dict key with a NUL; such keys and
// strings, ASCII and UTF-16, must parse with the NUL replaced.
TEST(Plist, NulInBinaryKeysAndStringsDoesNotAbort) {
  std::string bin = BinaryPlistFromPython(
      "plist-nul-keys",
      "{\"CFBundle\\x00Name\": \"a\\x00b\", \"\\u5b66\\x00\": [\"\\u5b66\\x00x\"], \"ok\": 1}");
  auto p = ParsePlist(bin, nullptr);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  nlohmann::json* j = &p->root;
  EXPECT_EQ((*j)["ok"], 1) << j->dump();
  EXPECT_EQ((*j)["CFBundle?Name"], "a?b") << j->dump();
  ASSERT_TRUE(j->contains("学?")) << j->dump();
  EXPECT_EQ((*j)["学?"][0], "学?x") << j->dump();
}

TEST(Plist, RejectsGarbageAndOversize) {
  EXPECT_EQ(ParsePlist("hello", nullptr).status().ToString(), "malformed: not a property list");
  EXPECT_EQ(
      ParsePlist("<?xml version=\"1.0\"?><plist><dict><key>a</key>", nullptr).status().ToString(),
      "malformed: property list does not parse");
  // A cut property list is not one: the byte cap refuses the input.
  std::string big(kMaxPlistBytes + 1, ' ');
  big.replace(0, 6, "bplist");
  EXPECT_EQ(ParsePlist(big, nullptr).status().code(), "over-limit");
}

// Nesting past kMaxDepth: the deeper values are dropped and said once; the
// rest of the document is kept.
TEST(Plist, DepthOverKMaxDepthIsCutAndSaid) {
  std::string open, close;
  for (int i = 0; i < kMaxDepth + 6; ++i) {
    open += "<array>";
    close += "</array>";
  }
  std::string xml = "<?xml version=\"1.0\"?><plist><dict><key>a</key><string>x</string>"
                    "<key>deep</key>" + open + "<string>bottom</string>" + close +
                    "<key>z</key><integer>7</integer></dict></plist>";
  auto p = ParsePlist(xml, nullptr);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->root["a"], "x");
  EXPECT_EQ(p->root["z"], 7);
  EXPECT_EQ(p->root.dump().find("bottom"), std::string::npos);
  const nlohmann::json* v = &p->root["deep"];
  int depth = 1;  // the root dictionary
  while (v->is_array() && !v->empty()) {
    v = &(*v)[0];
    ++depth;
  }
  EXPECT_EQ(depth, kMaxDepth + 1);  // levels 0..kMaxDepth kept
  ASSERT_TRUE(
      testing::OnlyAnomaly(p->anomalies, "plist-over-limit", "values nested deeper than 64 dropped"));
  EXPECT_EQ(p->anomalies[0].location, "depth");
}

// An array or dictionary over max_table_items is cut at the limit.
TEST(Plist, TablesOverMaxTableItemsAreCut) {
  Budget budget(testing::WithTableCap(3));
  auto p = ParsePlist("<?xml version=\"1.0\"?><plist><dict><key>n</key><array><integer>1</integer>"
                      "<integer>2</integer><integer>3</integer><integer>4</integer>"
                      "<integer>5</integer></array></dict></plist>",
                      &budget);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->root["n"], nlohmann::json::parse("[1,2,3]"));
  ASSERT_TRUE(testing::OnlyAnomaly(p->anomalies, "plist-over-limit",
                                   "plist array count 5 over max_table_items 3; the first 3 kept"));
  EXPECT_EQ(p->anomalies[0].location, "plist array");
  Budget one(testing::WithTableCap(1));
  auto d = ParsePlist(kXml, &one);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->root.size(), 1u);  // the first key of four
  EXPECT_FALSE(d->anomalies.empty());
  // .strings entries likewise.
  auto f = ParseStrings("\"a\" = \"1\";\n\"b\" = \"2\";\n\"c\" = \"3\";\n", &one);
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->entries.size(), 1u);
  EXPECT_EQ(f->entries[0].key, "a");
  ASSERT_TRUE(testing::OnlyAnomaly(f->anomalies, "plist-over-limit",
                                   "entries reached max_table_items 1; the rest dropped"));
  EXPECT_EQ(f->anomalies[0].location, "byte 11");  // where "b" starts
}

TEST(Strings, OldStyleWithCommentsAndEscapes) {
  auto f = ParseStrings(
      "/* comment */\n\"CFBundleDisplayName\" = \"学习\";\n// line\n"
      "\"q\" = \"a \\\"b\\\"\\n\\U5b66\";\nunquoted = value;\n\"same\";\n",
      nullptr);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->format, "old-style");
  ASSERT_EQ(f->entries.size(), 4u);
  EXPECT_EQ(f->entries[0].value, "学习");
  EXPECT_EQ(f->entries[1].value, "a \"b\"\n学");
  EXPECT_EQ(f->entries[2].key, "unquoted");
  EXPECT_EQ(f->entries[3].value, "same");
  EXPECT_TRUE(f->anomalies.empty());
}

TEST(Strings, SyntaxErrorsKeepTheRest) {
  auto f = ParseStrings("\"a\" = \"1\";\n\"b\" \"2\";\n\"c\" = \"3\"\n\"d\" = \"4\";\n\"e\" = \"unterminated",
                        nullptr);
  ASSERT_TRUE(f.ok());
  std::vector<std::string> keys;
  for (const auto& e : f->entries) keys.push_back(e.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "c", "d"}));
  ASSERT_GE(f->anomalies.size(), 3u);
  EXPECT_EQ(f->anomalies[0].code, "strings-malformed");
  EXPECT_EQ(f->anomalies[0].location, "byte 11");
  EXPECT_EQ(f->anomalies[0].detail, "expected '=' after key");
}

TEST(Strings, Utf16BothOrders) {
  std::string le("\xff\xfe", 2), be("\xfe\xff", 2);
  std::u16string text = u"\"k\" = \"学\";";
  for (char16_t c : text) {
    le.push_back(static_cast<char>(c & 0xff));
    le.push_back(static_cast<char>(c >> 8));
    be.push_back(static_cast<char>(c >> 8));
    be.push_back(static_cast<char>(c & 0xff));
  }
  for (const auto& [data, enc] : {std::pair{le, "utf-16le"}, std::pair{be, "utf-16be"}}) {
    auto f = ParseStrings(data, nullptr);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->encoding, enc);
    ASSERT_EQ(f->entries.size(), 1u);
    EXPECT_EQ(f->entries[0].value, "学");
  }
  // An unpaired surrogate becomes U+FFFD; an odd trailing byte is dropped.
  EXPECT_EQ(Utf16ToUtf8(std::string("\x00\xd8\x41\x00\x42", 5), false), "\xEF\xBF\xBD" "A");
}

TEST(Cms, UnwrapsOpensslSignedDataAndRejectsCorruption) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "openssl missing";
  std::string dir = testing::BinaryDir() + "/test-fixtures/cms-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/in.plist") << kXml;
  std::string cmd = "cd '" + dir +
                    "' && openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -days 2 "
                    "-subj /CN=t >/dev/null 2>&1 && openssl cms -sign -binary -nodetach -outform DER "
                    "-in in.plist -signer c.pem -inkey k.pem -out p.der && openssl cms -sign -binary "
                    "-nodetach -stream -outform DER -in in.plist -signer c.pem -inkey k.pem -out b.der";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  for (const char* name : {"p.der", "b.der"}) {  // DER, and BER with indefinite lengths
    SCOPED_TRACE(name);
    std::stringstream ss;
    ss << std::ifstream(dir + "/" + name, std::ios::binary).rdbuf();
    std::string der = ss.str();
    auto body = UnwrapCms(der);
    ASSERT_TRUE(body.ok()) << body.status().ToString();
    EXPECT_EQ(*body, kXml);
    for (size_t n = 0; n < der.size(); n += 97) EXPECT_FALSE(UnwrapCms(der.substr(0, n)).ok()) << n;
    std::string bad = der;
    bad[1] = '\x84';  // length of length 4 with a huge value
    EXPECT_FALSE(UnwrapCms(bad).ok());
  }
  EXPECT_FALSE(UnwrapCms(std::string(200, '\x30')).ok());
}

}  // namespace
}  // namespace shelfguard::plist
