#include "plist/plist_reader.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/corpus.h"

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
  auto j = ParsePlist(kXml);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["CFBundleIdentifier"], "cn.example.a");
  EXPECT_EQ((*j)["UIDeviceFamily"][1], 2);
  EXPECT_EQ((*j)["NSAppTransportSecurity"]["NSAllowsArbitraryLoads"], true);
  EXPECT_EQ((*j)["Blob"], "AAEC");
  EXPECT_EQ(PlistFormat(kXml), "xml");
}

TEST(Plist, BinaryFromPlistlib) {
  if (std::system("command -v python3 >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3 missing";
  std::string dir = testing::BinaryDir() + "/test-fixtures";
  std::filesystem::create_directories(dir);
  std::string path = dir + "/plist-binary." + std::to_string(::getpid()) + ".plist";
  std::string cmd = "python3 -c 'import plistlib,sys; sys.stdout.buffer.write(plistlib.dumps("
                    "{\"k\": \"\\u5b66\", \"n\": [1, 2.5, True]}, fmt=plistlib.FMT_BINARY))' > '" +
                    path + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::stringstream ss;
  ss << std::ifstream(path, std::ios::binary).rdbuf();
  std::string bin = ss.str();
  EXPECT_EQ(PlistFormat(bin), "binary");
  auto j = ParsePlist(bin);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["k"], "学");
  EXPECT_EQ((*j)["n"][1], 2.5);
  // Corruptions: truncation and a trailer pointing past the end.
  for (size_t n : {bin.size() - 1, bin.size() / 2, size_t{8}}) {
    auto t = ParsePlist(bin.substr(0, n));
    EXPECT_FALSE(t.ok()) << n;
  }
  std::string bad = bin;
  bad[bad.size() - 1] = '\x7f';  // offset-table offset, low byte
  auto b = ParsePlist(bad);
  EXPECT_FALSE(b.ok() && b->is_object() && b->contains("k") && (*b)["n"].size() == 3);
}

// libplist aborts (an assertion) on a dict key with a NUL; such keys and
// strings, ASCII and UTF-16, must parse with the NUL replaced.
TEST(Plist, NulInBinaryKeysAndStringsDoesNotAbort) {
  if (std::system("command -v python3 >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3 missing";
  std::string dir = testing::BinaryDir() + "/test-fixtures";
  std::filesystem::create_directories(dir);
  std::string path = dir + "/plist-nul-keys." + std::to_string(::getpid()) + ".plist";
  std::string cmd = "python3 -c 'import plistlib,sys; sys.stdout.buffer.write(plistlib.dumps("
                    "{\"CFBundle\\x00Name\": \"a\\x00b\", \"\\u5b66\\x00\": [\"\\u5b66\\x00x\"], "
                    "\"ok\": 1}, fmt=plistlib.FMT_BINARY))' > '" + path + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::stringstream ss;
  ss << std::ifstream(path, std::ios::binary).rdbuf();
  auto j = ParsePlist(ss.str());
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["ok"], 1) << j->dump();
  EXPECT_EQ((*j)["CFBundle?Name"], "a?b") << j->dump();
  ASSERT_TRUE(j->contains("学?")) << j->dump();
  EXPECT_EQ((*j)["学?"][0], "学?x") << j->dump();
}

TEST(Plist, RejectsGarbageAndOversize) {
  EXPECT_EQ(ParsePlist("hello").status().code(), "malformed");
  EXPECT_EQ(ParsePlist("<?xml version=\"1.0\"?><plist><dict><key>a</key>").status().code(),
            "malformed");
  std::string big(kMaxPlistBytes + 1, ' ');
  big.replace(0, 6, "bplist");
  EXPECT_EQ(ParsePlist(big).status().code(), "over-limit");
}

TEST(Strings, OldStyleWithCommentsAndEscapes) {
  auto f = ParseStrings(
      "/* comment */\n\"CFBundleDisplayName\" = \"学习\";\n// line\n"
      "\"q\" = \"a \\\"b\\\"\\n\\U5b66\";\nunquoted = value;\n\"same\";\n");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->format, "old-style");
  ASSERT_EQ(f->entries.size(), 4u);
  EXPECT_EQ(f->entries[0].value, "学习");
  EXPECT_EQ(f->entries[1].value, "a \"b\"\n学");
  EXPECT_EQ(f->entries[2].key, "unquoted");
  EXPECT_EQ(f->entries[3].value, "same");
  EXPECT_TRUE(f->problems.empty());
}

TEST(Strings, SyntaxErrorsKeepTheRest) {
  auto f = ParseStrings("\"a\" = \"1\";\n\"b\" \"2\";\n\"c\" = \"3\"\n\"d\" = \"4\";\n\"e\" = \"unterminated");
  ASSERT_TRUE(f.ok());
  std::vector<std::string> keys;
  for (const auto& e : f->entries) keys.push_back(e.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "c", "d"}));
  ASSERT_GE(f->problems.size(), 3u);
  EXPECT_NE(f->problems[0].find("expected '='"), std::string::npos);
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
    auto f = ParseStrings(data);
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
