#include "wxapkg/wxapkg_parser.h"

#include <openssl/evp.h>

#include <cstring>
#include <memory>

#include "shelfguard/byte_reader.h"

namespace shelfguard::wxapkg {
namespace {

constexpr std::string_view kEncMagic = "V1MMWX";
constexpr size_t kEncHead = 1024;   // AES-encrypted bytes after the magic
constexpr size_t kPlainHead = 1023; // plaintext bytes they stand for
constexpr char kSalt[] = "saltiest";
constexpr char kIv[] = "the iv: 16 bytes";
constexpr int kRounds = 1000;
constexpr uint32_t kMaxNameBytes = 4096;  // one file name in the index

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

const Entry* Package::Find(std::string_view name) const {
  for (const Entry& e : entries) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

bool IsWxapkg(std::string_view b) {
  return b.size() >= kHeaderBytes && static_cast<uint8_t>(b[0]) == 0xBE &&
         static_cast<uint8_t>(b[13]) == 0xED;
}

bool IsEncryptedWxapkg(std::string_view b) { return b.substr(0, kEncMagic.size()) == kEncMagic; }

bool IsAppid(std::string_view s) {
  if (s.size() != 18 || s[0] != 'w' || s[1] != 'x') return false;
  for (size_t i = 2; i < s.size(); ++i) {
    if (!IsHex(s[i])) return false;
  }
  return true;
}

std::string AppidFromPath(std::string_view path) {
  for (size_t i = 0; i + 18 <= path.size(); ++i) {
    if (path[i] != 'w' || path[i + 1] != 'x') continue;
    if (i > 0 && (IsHex(path[i - 1]) || path[i - 1] == 'w' || path[i - 1] == 'x')) continue;
    std::string_view c = path.substr(i, 18);
    // Not a longer hex run.
    if (IsAppid(c) && (i + 18 == path.size() || !IsHex(path[i + 18]))) return std::string(c);
  }
  return "";
}

Result<Package> Parse(std::string_view bytes, Budget* budget) {
  if (!IsWxapkg(bytes)) {
    if (IsEncryptedWxapkg(bytes)) return Status::Unsupported("encrypted wxapkg (V1MMWX)");
    return Status::Malformed("not a wxapkg (no 0xBE ... 0xED header)");
  }
  ByteReader r(bytes);
  Package pkg;
  pkg.data = bytes;
  uint32_t index_len = r.BEAt<uint32_t>(5).value_or(0);
  uint32_t body_len = r.BEAt<uint32_t>(9).value_or(0);
  if (!InRange(kHeaderBytes, index_len, bytes.size()) || index_len < 4) {
    return Status::Malformed("wxapkg index length " + std::to_string(index_len) +
                             " does not fit the " + std::to_string(bytes.size()) + "-byte file");
  }
  if (uint64_t{kHeaderBytes} + index_len + body_len != bytes.size()) {
    pkg.anomalies.push_back({"wxapkg-length-mismatch", "header",
                             "header says " + std::to_string(index_len) + " + " +
                                 std::to_string(body_len) + " bytes after the header, file has " +
                                 std::to_string(bytes.size() - kHeaderBytes)});
  }
  auto index_bytes = r.Sub(kHeaderBytes, index_len);
  if (!index_bytes) return Status::Malformed("wxapkg index past the end of the file");
  ByteReader index = *index_bytes;
  const uint32_t count = index.ReadBE<uint32_t>().value_or(0);
  // Each index record is at least 12 bytes (3 u32) plus a 1-byte name: a
  // count beyond that is damage; one over kMaxFiles or max_table_items is a
  // limit. Either way the first records are read.
  const uint64_t max_fit = (index_len - 4) / 13;
  uint64_t n = count;
  std::string why;
  if (n > max_fit) {
    n = max_fit;
    why = "the index holds at most " + std::to_string(max_fit);
  }
  if (n > kMaxFiles) {
    n = kMaxFiles;
    why = "over kMaxFiles " + std::to_string(kMaxFiles);
  }
  if (budget != nullptr && !budget->CheckCount("wxapkg files", n).ok()) {
    n = budget->limits().max_table_items;
    why = "over max_table_items " + std::to_string(n);
  }
  if (n < count) {
    pkg.anomalies.push_back({"wxapkg-count-capped", "index",
                             "index claims " + std::to_string(count) + " files, " + why +
                                 "; the first " + std::to_string(n) + " read"});
  }
  pkg.entries.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    auto name_len = index.ReadBE<uint32_t>();
    if (!name_len || *name_len == 0 || *name_len > kMaxNameBytes) {
      pkg.anomalies.push_back({"wxapkg-index-truncated", "index",
                               "bad name length at record " + std::to_string(i)});
      break;
    }
    auto name = index.ReadBytes(*name_len);
    auto off = index.ReadBE<uint32_t>();
    auto size = index.ReadBE<uint32_t>();
    if (!name || !off || !size) {
      pkg.anomalies.push_back({"wxapkg-index-truncated", "index",
                               "record " + std::to_string(i) + " runs past the index"});
      break;
    }
    if (!InRange(*off, *size, bytes.size()) || *off < kHeaderBytes + uint64_t{index_len}) {
      pkg.anomalies.push_back({"wxapkg-entry-out-of-range", std::string(*name),
                               "offset " + std::to_string(*off) + " size " + std::to_string(*size) +
                                   " outside the body"});
      continue;
    }
    pkg.entries.push_back({std::string(*name), *off, *size});
  }
  return pkg;
}

Result<std::string> Decrypt(std::string_view bytes, std::string_view appid) {
  if (!IsEncryptedWxapkg(bytes)) return Status::Invalid("not an encrypted wxapkg");
  if (bytes.size() < kEncMagic.size() + kEncHead)
    return Status::Malformed("encrypted wxapkg shorter than its 1,024-byte encrypted head");
  unsigned char key[32];
  if (PKCS5_PBKDF2_HMAC_SHA1(appid.data(), static_cast<int>(appid.size()),
                             reinterpret_cast<const unsigned char*>(kSalt), sizeof kSalt - 1,
                             kRounds, sizeof key, key) != 1) {
    return Status::Invalid("PBKDF2 failed");
  }
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> c(EVP_CIPHER_CTX_new(),
                                                                    EVP_CIPHER_CTX_free);
  std::string out(kPlainHead + (bytes.size() - kEncMagic.size() - kEncHead), '\0');
  unsigned char head[kEncHead + 16];
  int n1 = 0, n2 = 0;
  if (!c || EVP_DecryptInit_ex(c.get(), EVP_aes_256_cbc(), nullptr, key,
                               reinterpret_cast<const unsigned char*>(kIv)) != 1 ||
      EVP_CIPHER_CTX_set_padding(c.get(), 0) != 1 ||
      EVP_DecryptUpdate(c.get(), head, &n1,
                        reinterpret_cast<const unsigned char*>(bytes.data() + kEncMagic.size()),
                        kEncHead) != 1 ||
      EVP_DecryptFinal_ex(c.get(), head + n1, &n2) != 1 || n1 + n2 < static_cast<int>(kPlainHead)) {
    return Status::Malformed("AES-256-CBC decryption of the wxapkg head failed");
  }
  std::memcpy(out.data(), head, kPlainHead);
  const char x = appid.size() >= 2 ? appid[appid.size() - 2] : 0x66;
  const char* tail = bytes.data() + kEncMagic.size() + kEncHead;
  for (size_t i = kPlainHead; i < out.size(); ++i) out[i] = static_cast<char>(tail[i - kPlainHead] ^ x);
  if (!IsWxapkg(out)) {
    return Status::Invalid("decrypting with appid " + std::string(appid) +
                           " did not give a wxapkg (wrong appid?)");
  }
  return out;
}

}  // namespace shelfguard::wxapkg
