// minisign-format signatures and signed bundles: round trips, and every way a
// bundle can be wrong (unsigned, other key, tampered file or manifest,
// truncated zip, extra/missing files, names escaping the directory) refused.
// Where Debian's minisign is installed, its keys sign here and its -V
// verifies what we sign.
#include "signatures/bundle.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "shelfguard/archive.h"
#include "signatures/minisign.h"
#include "signatures/signature_db.h"
#include "support/zip_entries.h"

namespace shelfguard {
namespace {

namespace fs = std::filesystem;

std::string B64(const std::vector<uint8_t>& v) {
  std::string out(sodium_base64_ENCODED_LEN(v.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), v.data(), v.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);
  return out;
}

// A `minisign -G -W` secret key file built from a fresh libsodium key pair
// (kdf bytes zero, checksum zero as minisign 0.11 writes it, or the real
// BLAKE2b checksum).
std::string SecretKeyFile(uint8_t id_byte, bool with_checksum = false) {
  uint8_t pk[32], sk[64];
  crypto_sign_keypair(pk, sk);
  std::vector<uint8_t> b = {'E', 'd', 0, 0, 'B', '2'};
  b.resize(b.size() + 32 + 8 + 8, 0);
  std::vector<uint8_t> keynum(8, id_byte);
  keynum.insert(keynum.end(), sk, sk + 64);
  b.insert(b.end(), keynum.begin(), keynum.end());
  std::vector<uint8_t> chk(32, 0);
  if (with_checksum) {
    std::vector<uint8_t> in = {'E', 'd'};
    in.insert(in.end(), keynum.begin(), keynum.end());
    crypto_generichash(chk.data(), chk.size(), in.data(), in.size(), nullptr, 0);
  }
  b.insert(b.end(), chk.begin(), chk.end());
  return "untrusted comment: minisign encrypted secret key\n" + B64(b) + "\n";
}

minisign::SecretKey NewKey(uint8_t id_byte) {
  auto sk = minisign::ParseSecretKey(SecretKeyFile(id_byte));
  EXPECT_TRUE(sk.ok()) << sk.status().ToString();
  minisign::SecretKey out;
  out.key_id = sk->key_id;
  out.key = sk->key;
  return out;
}

TEST(Minisign, SignVerifyRoundTripAndRefusals) {
  minisign::SecretKey sk = NewKey(7);
  minisign::PublicKey pk = minisign::PublicKeyOf(sk);
  auto sig = minisign::Sign(sk, "hello", "version 3");
  ASSERT_TRUE(sig.ok());
  // Base64 "RU" is 'E' then 0x4?: 'D' ("ED", prehashed); legacy "Ed" is "RW".
  EXPECT_NE(sig->find("\nRU"), std::string::npos) << "prehashed 'ED' signature expected";
  std::string comment;
  EXPECT_TRUE(minisign::Verify(pk, "hello", *sig, &comment).ok());
  EXPECT_EQ(comment, "version 3");
  EXPECT_EQ(minisign::Verify(pk, "hellO", *sig).code(), "bad-signature");
  // Another key, another id: named as such.
  minisign::PublicKey other = minisign::PublicKeyOf(NewKey(8));
  Status st = minisign::Verify(other, "hello", *sig);
  EXPECT_NE(st.message().find("another key"), std::string::npos) << st.ToString();
  // Same id, other key bytes: the signature itself fails.
  other.key_id = pk.key_id;
  EXPECT_EQ(minisign::Verify(other, "hello", *sig).code(), "bad-signature");
  // The trusted comment is covered by the global signature.
  std::string forged = *sig;
  forged.replace(forged.find("version 3"), 9, "version 9");
  EXPECT_EQ(minisign::Verify(pk, "hello", forged).code(), "bad-signature");
  // Public key file round trip.
  auto parsed = minisign::ParsePublicKey(minisign::FormatPublicKey(pk));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->key, pk.key);
  EXPECT_EQ(parsed->key_id, pk.key_id);
}

TEST(Minisign, VerifiesLegacyEdSignatures) {
  minisign::SecretKey sk = NewKey(9);
  minisign::PublicKey pk = minisign::PublicKeyOf(sk);
  std::vector<uint8_t> blob = {'E', 'd'};
  blob.insert(blob.end(), sk.key_id.begin(), sk.key_id.end());
  uint8_t sig[64], global[64];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const uint8_t*>("data"), 4, sk.key.data());
  blob.insert(blob.end(), sig, sig + 64);
  std::string gm(reinterpret_cast<char*>(sig), 64);
  gm += "legacy";
  crypto_sign_detached(global, nullptr, reinterpret_cast<const uint8_t*>(gm.data()), gm.size(),
                       sk.key.data());
  std::string text = "untrusted comment: x\n" + B64(blob) + "\ntrusted comment: legacy\n" +
                     B64(std::vector<uint8_t>(global, global + 64)) + "\n";
  EXPECT_TRUE(minisign::Verify(pk, "data", text).ok());
  EXPECT_FALSE(minisign::Verify(pk, "datA", text).ok());
}

TEST(Minisign, KeyFilesAreCheckedAndBounded) {
  EXPECT_TRUE(minisign::ParseSecretKey(SecretKeyFile(1, /*with_checksum=*/true)).ok());
  std::string k = SecretKeyFile(1, true);
  // Flip a bit of the checksum region (last base64 characters before '=').
  std::string bad = k;
  size_t pos = bad.rfind('=') - 3;
  bad[pos] = bad[pos] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(minisign::ParseSecretKey(bad).ok());
  // Encrypted keys are named as such.
  std::string enc = k;
  enc.replace(enc.find('\n') + 1, 4, "RWRT");  // "Ed" "S?" ...
  auto r = minisign::ParseSecretKey(enc);
  EXPECT_FALSE(r.ok());
  for (std::string_view junk : {"", "untrusted comment: x\n", "untrusted comment: x\n!!!!\n",
                                "no comment\nRWQ=\n", "untrusted comment: x\nRWQ=\nextra\n"}) {
    EXPECT_FALSE(minisign::ParseSecretKey(junk).ok()) << junk;
    EXPECT_FALSE(minisign::ParsePublicKey(junk).ok()) << junk;
  }
  EXPECT_EQ(minisign::ParsePublicKey(std::string(10000, 'a')).status().code(), "over-limit");
  minisign::PublicKey pk = minisign::PublicKeyOf(NewKey(2));
  EXPECT_FALSE(minisign::Verify(pk, "x", std::string(100000, '\n')).ok());
}

// ---- bundles ----

std::string SignatureFile(const std::string& id) {
  return R"({"format": "shelfguard-signatures/1", "version": "1", "sdks": [{"id": ")" + id +
         R"(", "name": "Demo", "vendor": "Demo", "category": "ads", "source": "test",
             "patterns": {"classes": ["com.)" + id + R"(."]}}]})";
}

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("sg_bundle_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "set");
    Write(root_ / "set" / "ads.json", SignatureFile("demo-ads"));
    Write(root_ / "set" / "push.json", SignatureFile("demo-push"));
    key_ = NewKey(42);
    pub_ = minisign::PublicKeyOf(key_);
  }
  void TearDown() override { fs::remove_all(root_); }

  static void Write(const fs::path& p, const std::string& data) {
    std::ofstream(p, std::ios::binary) << data;
  }
  static std::string Read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::string Pack(uint64_t version) {
    std::string out = (root_ / ("b" + std::to_string(version) + ".zip")).string();
    auto m = PackBundle((root_ / "set").string(), version, key_, out, "2026-11-30T00:00:00Z");
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return Read(out);
  }
  static std::vector<std::pair<std::string, std::string>> Unzip(const std::string& zip) {
    return testing::ReadZipEntries(zip);
  }
  std::string Zip(const std::vector<std::pair<std::string, std::string>>& entries) {
    return testing::ZipBytes(entries);
  }
  Status Verify(const std::string& zip) { return VerifyBundle(zip, pub_).status(); }

  fs::path root_;
  minisign::SecretKey key_;
  minisign::PublicKey pub_;
};

TEST_F(BundleTest, PackThenVerify) {
  std::string zip = Pack(5);
  auto v = VerifyBundle(zip, pub_);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->manifest.version, 5u);
  ASSERT_EQ(v->manifest.files.size(), 2u);
  EXPECT_EQ(v->manifest.files[0].name, "ads.json");
  EXPECT_EQ(v->contents[0], SignatureFile("demo-ads"));
  EXPECT_EQ(v->manifest.files[1].size, SignatureFile("demo-push").size());
  EXPECT_EQ(v->manifest.created_at, "2026-11-30T00:00:00Z");
  EXPECT_NE(v->trusted_comment.find("version 5"), std::string::npos);
  auto m = ParseBundleManifest(v->manifest_json);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(BundleManifestJson(*m), v->manifest_json);
}

TEST_F(BundleTest, PackRefusesASetThatDoesNotLoad) {
  Write(root_ / "set" / "broken.json", "{\"format\": \"shelfguard-signatures/1\"}");
  auto m = PackBundle((root_ / "set").string(), 1, key_, (root_ / "x.zip").string());
  EXPECT_FALSE(m.ok());
  EXPECT_FALSE(fs::exists(root_ / "x.zip"));
}

TEST_F(BundleTest, RefusesUnsignedOtherKeyAndTamperedManifest) {
  auto entries = Unzip(Pack(1));
  ASSERT_EQ(entries[1].first, kBundleSignatureName);
  auto unsigned_entries = entries;
  unsigned_entries.erase(unsigned_entries.begin() + 1);
  EXPECT_EQ(Verify(Zip(unsigned_entries)).code(), "unsigned");

  minisign::PublicKey other = minisign::PublicKeyOf(NewKey(43));
  Status st = VerifyBundle(Zip(entries), other).status();
  EXPECT_EQ(st.code(), "bad-signature") << st.ToString();

  // The manifest re-written to list a different version: signature fails.
  auto tampered = entries;
  size_t pos = tampered[0].second.find("\"version\": 1");
  ASSERT_NE(pos, std::string::npos);
  tampered[0].second.replace(pos, 12, "\"version\": 9");
  EXPECT_EQ(Verify(Zip(tampered)).code(), "bad-signature");
  EXPECT_TRUE(Verify(Zip(entries)).ok());
}

TEST_F(BundleTest, RefusesTamperedExtraMissingAndEscapingFiles) {
  auto entries = Unzip(Pack(1));
  ASSERT_EQ(entries.size(), 4u);
  auto tampered = entries;
  tampered[2].second[tampered[2].second.find("Demo")] = 'X';  // same size
  Status st = Verify(Zip(tampered));
  EXPECT_EQ(st.code(), "tampered");
  EXPECT_NE(st.message().find("ads.json: sha256"), std::string::npos) << st.ToString();
  auto longer = entries;
  longer[3].second += " ";
  EXPECT_EQ(Verify(Zip(longer)).code(), "tampered");

  auto extra = entries;
  extra.emplace_back("evil.json", SignatureFile("evil"));
  st = Verify(Zip(extra));
  EXPECT_EQ(st.code(), "tampered");
  EXPECT_NE(st.message().find("evil.json"), std::string::npos);

  auto missing = entries;
  missing.pop_back();
  st = Verify(Zip(missing));
  EXPECT_NE(st.message().find("push.json"), std::string::npos) << st.ToString();

  for (const char* name : {"../evil.json", "sub/evil.json", "/etc/evil.json", ".hidden.json",
                           "evil.txt", "a\\b.json"}) {
    auto escaping = entries;
    escaping.emplace_back(name, "{}");
    st = Verify(Zip(escaping));
    EXPECT_EQ(st.code(), "malformed") << name;
    EXPECT_NE(st.message().find("escape"), std::string::npos) << name << ": " << st.ToString();
  }
  // libzip will not write a duplicate name: write "ads.jsoX" and rename it
  // in the raw bytes (names are outside the CRC).
  auto dup = entries;
  dup.emplace_back("ads.jsoX", entries[2].second);
  std::string raw = Zip(dup);
  for (size_t p = raw.find("ads.jsoX"); p != std::string::npos; p = raw.find("ads.jsoX", p)) {
    raw[p + 7] = 'n';
  }
  st = Verify(raw);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("duplicate"), std::string::npos) << st.ToString();
}

TEST_F(BundleTest, RefusesTruncatedAndJunkZips) {
  std::string zip = Pack(1);
  for (size_t cut : {size_t{0}, size_t{10}, zip.size() / 2, zip.size() - 30, zip.size() - 1}) {
    Status st = Verify(zip.substr(0, cut));
    EXPECT_FALSE(st.ok()) << cut;
  }
  EXPECT_FALSE(Verify("PK\x03\x04 not really").ok());
  BundleLimits small;
  small.max_bundle_bytes = 100;
  EXPECT_EQ(VerifyBundle(zip, pub_, small).status().code(), "over-limit");
}

TEST_F(BundleTest, ManifestValidation) {
  const std::string sha(64, 'a');
  auto manifest = [&](const std::string& files, const std::string& extra = "") {
    return R"({"format": "shelfguard-signature-bundle/1", "version": 3, "created_at": "x", )" +
           extra + R"("files": [)" + files + "]}";
  };
  auto file = [&](const std::string& name, const std::string& digest, const std::string& size) {
    return R"({"name": ")" + name + R"(", "sha256": ")" + digest + R"(", "size": )" + size + "}";
  };
  EXPECT_TRUE(ParseBundleManifest(manifest(file("a.json", sha, "3"))).ok());
  EXPECT_FALSE(ParseBundleManifest(manifest(file("../a.json", sha, "3"))).ok());
  EXPECT_FALSE(ParseBundleManifest(manifest(file("manifest.json", sha, "3"))).ok());
  EXPECT_FALSE(ParseBundleManifest(manifest(file("a.json", "ABC", "3"))).ok());
  EXPECT_FALSE(ParseBundleManifest(manifest(file("a.json", sha, "-3"))).ok());
  EXPECT_FALSE(ParseBundleManifest(manifest(file("a.json", sha, "99999999999"))).ok());
  EXPECT_FALSE(
      ParseBundleManifest(manifest(file("a.json", sha, "3") + "," + file("a.json", sha, "3")))
          .ok());
  EXPECT_FALSE(ParseBundleManifest(manifest("")).ok());
  EXPECT_FALSE(ParseBundleManifest(manifest(file("a.json", sha, "3"), R"("x": 1, )")).ok());
  EXPECT_FALSE(ParseBundleManifest(std::string(100, '[')).ok());
  EXPECT_FALSE(ParseBundleManifest("{\"format\": \"shelfguard-signature-bundle/1\", "
                                   "\"version\": 0, \"created_at\": \"x\", \"files\": []}")
                   .ok());
}

TEST_F(BundleTest, InstalledVersion) {
  EXPECT_EQ(*InstalledBundleVersion((root_ / "set").string()), 0u);
  fs::create_directories(root_ / "set" / kInstalledStateDir);
  Write(root_ / "set" / kInstalledStateDir / kBundleManifestName, "not json");
  EXPECT_FALSE(InstalledBundleVersion((root_ / "set").string()).ok());
  auto v = VerifyBundle(Pack(12), pub_);
  ASSERT_TRUE(v.ok());
  Write(root_ / "set" / kInstalledStateDir / kBundleManifestName, v->manifest_json);
  EXPECT_EQ(*InstalledBundleVersion((root_ / "set").string()), 12u);
  // The loader ignores the state directory.
  EXPECT_TRUE(LoadSignatureDb((root_ / "set").string()).ok());
}

// Debian's minisign: its -W key signs here, and it verifies what we sign.
TEST_F(BundleTest, InteroperatesWithMinisign) {
  if (std::system("minisign -v >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "minisign is not installed";
  }
  const std::string dir = root_.string();
  std::string gen = "cd " + dir + " && minisign -G -W -p k.pub -s k.key >/dev/null 2>&1";
  ASSERT_EQ(std::system(gen.c_str()), 0);
  auto sk = minisign::ReadSecretKeyFile(dir + "/k.key");
  ASSERT_TRUE(sk.ok()) << sk.status().ToString();
  auto pk = minisign::ReadPublicKeyFile(dir + "/k.pub");
  ASSERT_TRUE(pk.ok()) << pk.status().ToString();
  EXPECT_EQ(pk->key_id, sk->key_id);
  // The whole file as minisign writes it, comment line included (minisign
  // prints the key id without leading zeros: 1 key in 16 has one).
  EXPECT_EQ(minisign::FormatPublicKey(*pk), Read(dir + "/k.pub"));

  auto m = PackBundle((root_ / "set").string(), 4, *sk, dir + "/b.zip");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto v = VerifyBundleFile(dir + "/b.zip", *pk);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  Write(root_ / "manifest.json", v->manifest_json);
  Write(root_ / "manifest.json.minisig", v->signature);
  std::string check = "cd " + dir + " && minisign -Vm manifest.json -p k.pub -q";
  EXPECT_EQ(std::system(check.c_str()), 0);
  // And minisign refuses a changed manifest, as we do.
  Write(root_ / "manifest.json", v->manifest_json + " ");
  EXPECT_NE(std::system((check + " 2>/dev/null").c_str()), 0);

  // A signature made by minisign verifies here.
  Write(root_ / "msg.txt", "payload");
  std::string sign = "cd " + dir + " && minisign -S -s k.key -m msg.txt -t 'tc' >/dev/null 2>&1";
  ASSERT_EQ(std::system(sign.c_str()), 0);
  std::string comment;
  EXPECT_TRUE(minisign::Verify(*pk, "payload", Read(root_ / "msg.txt.minisig"), &comment).ok());
  EXPECT_EQ(comment, "tc");
  EXPECT_FALSE(minisign::Verify(*pk, "payloaD", Read(root_ / "msg.txt.minisig")).ok());
}

}  // namespace
}  // namespace shelfguard
