// minisign-format Ed25519 keys and signatures (libsodium), so that bundles
// signed here verify with `minisign -V` and keys made by `minisign -G -W`
// sign here.
//
// File formats (each a text file of "untrusted comment: ..." then base64):
//   public key:  "Ed" | key id (8) | Ed25519 public key (32)
//   secret key:  "Ed" | kdf alg (2) | checksum alg "B2" | kdf salt (32) |
//                kdf opslimit (8, LE) | kdf memlimit (8, LE) |
//                key id (8) | Ed25519 secret key (64) | checksum (32)
//                The kdf alg is "Sc" (scrypt-encrypted) or two zero bytes
//                (unencrypted, `minisign -W`); only unencrypted keys are read.
//   signature:   "ED" (Ed25519 over BLAKE2b-512 of the message, minisign's
//                default) or "Ed" (legacy, over the message itself) |
//                key id (8) | signature (64); then a line
//                "trusted comment: TEXT" and base64 of the global signature,
//                Ed25519 over signature (64) | TEXT.
#ifndef SHELFGUARD_SRC_SIGNATURES_MINISIGN_H_
#define SHELFGUARD_SRC_SIGNATURES_MINISIGN_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "shelfguard/status.h"

namespace shelfguard::minisign {

inline constexpr size_t kKeyIdBytes = 8;
// Signature files are a few hundred bytes; anything larger is not one (the
// bundle reader caps the .minisig it reads at this).
inline constexpr size_t kMaxSignatureFileBytes = 16384;

using KeyId = std::array<uint8_t, kKeyIdBytes>;

struct PublicKey {
  KeyId key_id{};
  std::array<uint8_t, 32> key{};
};

struct SecretKey {
  KeyId key_id{};
  std::array<uint8_t, 64> key{};  // libsodium layout: seed (32) | public key (32)
  ~SecretKey();                   // wipes the key
};

// The key id as minisign prints it ("9331CD0172087C99": the 8 bytes read as a
// little-endian number, in upper-case hex).
std::string KeyIdHex(const KeyId& id);

// Parse key files' text. Errors name the problem (not a minisign key,
// encrypted secret key, checksum mismatch, ...).
Result<PublicKey> ParsePublicKey(std::string_view text);
Result<SecretKey> ParseSecretKey(std::string_view text);
// Read and parse a key file (at most kMaxKeyFileBytes).
Result<PublicKey> ReadPublicKeyFile(const std::string& path);
Result<SecretKey> ReadSecretKeyFile(const std::string& path);

// The public key file for `key` (tests and `pack` print it).
std::string FormatPublicKey(const PublicKey& key);
PublicKey PublicKeyOf(const SecretKey& key);

// A prehashed ("ED") signature file of `message`. `trusted_comment` must be
// one line (no CR/LF) of at most kMaxTrustedCommentBytes.
Result<std::string> Sign(const SecretKey& key, std::string_view message,
                         std::string_view trusted_comment);

// Verifies a signature file ("ED" or "Ed") of `message` with `key`: the key
// id must match, then the signature and the global signature over the
// trusted comment. On success `trusted_comment` (if given) gets the comment.
Status Verify(const PublicKey& key, std::string_view message, std::string_view signature_text,
              std::string* trusted_comment = nullptr);

}  // namespace shelfguard::minisign

#endif  // SHELFGUARD_SRC_SIGNATURES_MINISIGN_H_
