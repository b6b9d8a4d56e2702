// minisign-format keys and signatures with libsodium (see minisign.h).
#include "signatures/minisign.h"

#include <sodium.h>

#include "core/bounded_file.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

namespace shelfguard::minisign {
namespace {

// Key files are a few hundred bytes; anything larger is not one.
constexpr size_t kMaxKeyFileBytes = 4096;
constexpr size_t kMaxTrustedCommentBytes = 8192;  // minisign's own cap

constexpr std::string_view kUntrustedPrefix = "untrusted comment: ";
constexpr std::string_view kTrustedPrefix = "trusted comment: ";
constexpr size_t kPublicKeyBlob = 2 + kKeyIdBytes + 32;
constexpr size_t kSecretKeyBlob = 2 + 2 + 2 + 32 + 8 + 8 + kKeyIdBytes + 64 + 32;
constexpr size_t kSignatureBlob = 2 + kKeyIdBytes + 64;
constexpr size_t kMaxLines = 8;

Status InitSodium() {
  if (sodium_init() < 0) return Status::IoError("libsodium could not be initialised");
  return Status::Ok();
}

// Splits text into at most kMaxLines lines (CR stripped, trailing empty
// lines dropped). More lines than that is an error: no minisign file has them.
Result<std::vector<std::string_view>> SplitLines(std::string_view text, std::string_view what) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (lines.size() == kMaxLines) return Status::Malformed(std::string(what) + ": too many lines");
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// Decodes standard base64 of exactly `n` bytes.
Result<std::vector<uint8_t>> DecodeBase64(std::string_view b64, size_t n, std::string_view what) {
  std::vector<uint8_t> out(n + 1);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), b64.data(), b64.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != b64.data() + b64.size() || len != n) {
    return Status::Malformed(std::string(what) + ": not base64 of " + std::to_string(n) +
                             " bytes");
  }
  out.resize(n);
  return out;
}

std::string EncodeBase64(const uint8_t* data, size_t n) {
  std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, n, sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// "untrusted comment: ..." then one base64 line: the key files.
Result<std::vector<uint8_t>> KeyBlob(std::string_view text, size_t n, std::string_view what) {
  if (text.size() > kMaxKeyFileBytes) return Status::OverLimit(std::string(what) + ": too large");
  auto lines = SplitLines(text, what);
  if (!lines.ok()) return lines.status();
  if (lines->size() != 2 || lines->at(0).substr(0, kUntrustedPrefix.size()) != kUntrustedPrefix) {
    return Status::Malformed(std::string(what) +
                             ": not a minisign key file (an 'untrusted comment:' line and one "
                             "base64 line)");
  }
  return DecodeBase64(lines->at(1), n, what);
}

}  // namespace

SecretKey::~SecretKey() { sodium_memzero(key.data(), key.size()); }

std::string KeyIdHex(const KeyId& id) {
  char buf[2 * kKeyIdBytes + 1];
  for (size_t i = 0; i < kKeyIdBytes; ++i) {
    std::snprintf(buf + 2 * i, 3, "%02X", id[kKeyIdBytes - 1 - i]);
  }
  return std::string(buf, 2 * kKeyIdBytes);
}

namespace {
// The key id as minisign writes it in untrusted comments ("%" PRIX64 of the
// little-endian id: upper case, no leading zeros), so a key file we write
// reads as minisign's own.
std::string KeyIdComment(const KeyId& id) {
  std::string hex = KeyIdHex(id);
  const size_t first = hex.find_first_not_of('0');
  return first == std::string::npos ? std::string("0") : hex.substr(first);
}
}  // namespace

Result<PublicKey> ParsePublicKey(std::string_view text) {
  SG_RETURN_IF_ERROR(InitSodium());
  auto blob = KeyBlob(text, kPublicKeyBlob, "public key");
  if (!blob.ok()) return blob.status();
  const std::vector<uint8_t>& b = *blob;
  if (b[0] != 'E' || b[1] != 'd') {
    return Status::Unsupported("public key: signature algorithm is not Ed25519 ('Ed')");
  }
  PublicKey pk;
  std::memcpy(pk.key_id.data(), b.data() + 2, kKeyIdBytes);
  std::memcpy(pk.key.data(), b.data() + 2 + kKeyIdBytes, 32);
  return pk;
}

Result<SecretKey> ParseSecretKey(std::string_view text) {
  SG_RETURN_IF_ERROR(InitSodium());
  auto blob = KeyBlob(text, kSecretKeyBlob, "secret key");
  if (!blob.ok()) return blob.status();
  std::vector<uint8_t>& b = *blob;
  struct Wipe {
    std::vector<uint8_t>* v;
    ~Wipe() { sodium_memzero(v->data(), v->size()); }
  } wipe{&b};
  if (b[0] != 'E' || b[1] != 'd') {
    return Status::Unsupported("secret key: signature algorithm is not Ed25519 ('Ed')");
  }
  if (b[2] == 'S' && b[3] == 'c') {
    return Status::Unsupported(
        "secret key: encrypted with a password (scrypt); shelfguard reads unencrypted keys only "
        "(make one with `minisign -G -W`, keep it offline)");
  }
  if (b[2] != 0 || b[3] != 0) return Status::Unsupported("secret key: unknown key derivation");
  if (b[4] != 'B' || b[5] != '2') {
    return Status::Unsupported("secret key: unknown checksum algorithm (expected BLAKE2b 'B2')");
  }
  const uint8_t* keynum = b.data() + 2 + 2 + 2 + 32 + 8 + 8;
  SecretKey sk;
  std::memcpy(sk.key_id.data(), keynum, kKeyIdBytes);
  std::memcpy(sk.key.data(), keynum + kKeyIdBytes, 64);
  const uint8_t* chk = keynum + kKeyIdBytes + 64;
  // The checksum is BLAKE2b-256 over sig alg | key id | secret key. minisign
  // 0.11 leaves it zero for unencrypted keys (-W), so zero is accepted; the
  // key's own consistency (its public half derived again) is checked below
  // either way.
  uint8_t expected[32];
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, sizeof expected);
  crypto_generichash_update(&st, b.data(), 2);
  crypto_generichash_update(&st, keynum, kKeyIdBytes + 64);
  crypto_generichash_final(&st, expected, sizeof expected);
  uint8_t zero[32] = {};
  if (sodium_memcmp(chk, expected, 32) != 0 && sodium_memcmp(chk, zero, 32) != 0) {
    return Status::Malformed("secret key: checksum mismatch (damaged key file)");
  }
  uint8_t pk[32], full[64];
  crypto_sign_seed_keypair(pk, full, sk.key.data());
  bool consistent = sodium_memcmp(full, sk.key.data(), 64) == 0;
  sodium_memzero(full, sizeof full);
  if (!consistent) return Status::Malformed("secret key: damaged (its halves do not match)");
  return sk;
}

Result<PublicKey> ReadPublicKeyFile(const std::string& path) {
  auto text = ReadFileBounded(path, kMaxKeyFileBytes, "minisign file");
  if (!text.ok()) return text.status();
  auto key = ParsePublicKey(*text);
  if (!key.ok()) return Status(key.status().code(), path + ": " + key.status().message());
  return key;
}

Result<SecretKey> ReadSecretKeyFile(const std::string& path) {
  auto text = ReadFileBounded(path, kMaxKeyFileBytes, "minisign file");
  if (!text.ok()) return text.status();
  auto key = ParseSecretKey(*text);
  sodium_memzero(text->data(), text->size());
  if (!key.ok()) return Status(key.status().code(), path + ": " + key.status().message());
  return key;
}

PublicKey PublicKeyOf(const SecretKey& key) {
  PublicKey pk;
  pk.key_id = key.key_id;
  std::memcpy(pk.key.data(), key.key.data() + 32, 32);
  return pk;
}

std::string FormatPublicKey(const PublicKey& key) {
  uint8_t blob[kPublicKeyBlob];
  blob[0] = 'E';
  blob[1] = 'd';
  std::memcpy(blob + 2, key.key_id.data(), kKeyIdBytes);
  std::memcpy(blob + 2 + kKeyIdBytes, key.key.data(), 32);
  return std::string(kUntrustedPrefix) + "minisign public key " + KeyIdComment(key.key_id) + "\n" +
         EncodeBase64(blob, sizeof blob) + "\n";
}

Result<std::string> Sign(const SecretKey& key, std::string_view message,
                         std::string_view trusted_comment) {
  SG_RETURN_IF_ERROR(InitSodium());
  if (trusted_comment.size() > kMaxTrustedCommentBytes ||
      trusted_comment.find_first_of("\r\n") != std::string_view::npos) {
    return Status::Invalid("trusted comment must be one line of at most 8192 bytes");
  }
  uint8_t hash[crypto_generichash_BYTES_MAX];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const uint8_t*>(message.data()),
                     message.size(), nullptr, 0);
  uint8_t blob[kSignatureBlob];
  blob[0] = 'E';
  blob[1] = 'D';
  std::memcpy(blob + 2, key.key_id.data(), kKeyIdBytes);
  uint8_t* sig = blob + 2 + kKeyIdBytes;
  crypto_sign_detached(sig, nullptr, hash, sizeof hash, key.key.data());
  std::string global_msg(reinterpret_cast<const char*>(sig), 64);
  global_msg.append(trusted_comment);
  uint8_t global[64];
  crypto_sign_detached(global, nullptr, reinterpret_cast<const uint8_t*>(global_msg.data()),
                       global_msg.size(), key.key.data());
  return std::string(kUntrustedPrefix) + "signature from shelfguard secret key " +
         KeyIdComment(key.key_id) + "\n" + EncodeBase64(blob, sizeof blob) + "\n" +
         std::string(kTrustedPrefix) + std::string(trusted_comment) + "\n" +
         EncodeBase64(global, sizeof global) + "\n";
}

Status Verify(const PublicKey& key, std::string_view message, std::string_view signature_text,
              std::string* trusted_comment) {
  SG_RETURN_IF_ERROR(InitSodium());
  if (signature_text.size() > kMaxSignatureFileBytes) {
    return Status::OverLimit("signature file is too large");
  }
  auto lines = SplitLines(signature_text, "signature");
  if (!lines.ok()) return lines.status();
  const auto& l = *lines;
  if (l.size() != 4 || l[0].substr(0, kUntrustedPrefix.size()) != kUntrustedPrefix ||
      l[2].substr(0, kTrustedPrefix.size()) != kTrustedPrefix) {
    return Status::Malformed(
        "signature: not a minisign signature (untrusted comment, signature, trusted comment, "
        "global signature)");
  }
  auto blob = DecodeBase64(l[1], kSignatureBlob, "signature");
  if (!blob.ok()) return blob.status();
  auto global = DecodeBase64(l[3], 64, "global signature");
  if (!global.ok()) return global.status();
  const std::vector<uint8_t>& b = *blob;
  bool prehashed;
  if (b[0] == 'E' && b[1] == 'D') {
    prehashed = true;
  } else if (b[0] == 'E' && b[1] == 'd') {
    prehashed = false;
  } else {
    return Status::Unsupported("signature: unknown algorithm (expected 'ED' or 'Ed')");
  }
  KeyId id;
  std::memcpy(id.data(), b.data() + 2, kKeyIdBytes);
  if (id != key.key_id) {
    return Status("bad-signature", "signed with another key (key id " + KeyIdHex(id) +
                                       ", the public key's is " + KeyIdHex(key.key_id) + ")");
  }
  const uint8_t* sig = b.data() + 2 + kKeyIdBytes;
  int rc;
  if (prehashed) {
    uint8_t hash[crypto_generichash_BYTES_MAX];
    crypto_generichash(hash, sizeof hash, reinterpret_cast<const uint8_t*>(message.data()),
                       message.size(), nullptr, 0);
    rc = crypto_sign_verify_detached(sig, hash, sizeof hash, key.key.data());
  } else {
    rc = crypto_sign_verify_detached(sig, reinterpret_cast<const uint8_t*>(message.data()),
                                     message.size(), key.key.data());
  }
  if (rc != 0) return Status("bad-signature", "signature does not match the signed data");
  std::string_view comment = l[2].substr(kTrustedPrefix.size());
  if (comment.size() > kMaxTrustedCommentBytes) {
    return Status::OverLimit("signature: trusted comment too long");
  }
  std::string global_msg(reinterpret_cast<const char*>(sig), 64);
  global_msg.append(comment);
  if (crypto_sign_verify_detached(global->data(),
                                  reinterpret_cast<const uint8_t*>(global_msg.data()),
                                  global_msg.size(), key.key.data()) != 0) {
    return Status("bad-signature", "trusted comment does not match its signature");
  }
  if (trusted_comment) *trusted_comment = std::string(comment);
  return Status::Ok();
}

}  // namespace shelfguard::minisign
