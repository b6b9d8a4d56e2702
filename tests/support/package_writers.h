// Header-only writers of HarmonyOS and WeChat mini-program package parts,
// written from the format descriptions in analyzers/hap/abc_reader.h and
// analyzers/wxapkg/wxapkg_parser.h. Header-only so that module tests (which
// link only their module) and cross-module tests share them.
#ifndef SHELFGUARD_TESTS_SUPPORT_PACKAGE_WRITERS_H_
#define SHELFGUARD_TESTS_SUPPORT_PACKAGE_WRITERS_H_

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace shelfguard::testing {

// One Ark string record: ULEB128 (utf16 units << 1 | is_ascii), MUTF-8, NUL.
// `units` defaults to the byte length (right for ASCII).
inline std::string AbcString(const std::string& s, bool ascii = true, uint32_t units = 0) {
  if (units == 0) units = static_cast<uint32_t>(s.size());
  uint32_t h = (units << 1) | (ascii ? 1 : 0);
  std::string out;
  do {
    uint8_t b = h & 0x7f;
    h >>= 7;
    out.push_back(static_cast<char>(h != 0 ? (b | 0x80) : b));
  } while (h != 0);
  return out + s + std::string(1, '\0');
}

// An .abc file: magic, checksum, version bytes, header fields, then the
// given records; file_size is set to the real size.
inline std::string BuildAbc(const std::vector<std::string>& records,
                            const std::string& version = std::string("\x0d\x00\x01\x00", 4)) {
  std::string f("PANDA\0\0\0", 8);
  f += std::string("\x12\x34\x56\x78", 4);
  f += version;
  f += std::string(20, '\0');
  f += std::string(8, '\xff');
  for (const auto& r : records) f += r;
  uint32_t size = static_cast<uint32_t>(f.size());
  for (int i = 0; i < 4; ++i) f[16 + i] = static_cast<char>((size >> (8 * i)) & 0xff);
  return f;
}

// A resources.index: the 128-byte "RestoolV2" header, then each value as a
// little-endian u16 length and its bytes.
inline std::string BuildResourceIndex(const std::vector<std::string>& values) {
  std::string idx("RestoolV2 6.1.0.003");
  idx.resize(128, '\0');
  for (const auto& v : values) {
    idx.push_back(static_cast<char>(v.size() & 0xff));
    idx.push_back(static_cast<char>(v.size() >> 8));
    idx += v;
  }
  return idx;
}

inline void AppendBe32(std::string* s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A plain .wxapkg: 0xBE, info, index length, body length, 0xED, index, body.
inline std::string BuildWxapkg(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string index;
  AppendBe32(&index, static_cast<uint32_t>(files.size()));
  size_t index_len = 4;
  for (const auto& f : files) index_len += 12 + f.first.size();
  uint32_t off = static_cast<uint32_t>(14 + index_len);
  std::string body;
  for (const auto& f : files) {
    AppendBe32(&index, static_cast<uint32_t>(f.first.size()));
    index += f.first;
    AppendBe32(&index, off);
    AppendBe32(&index, static_cast<uint32_t>(f.second.size()));
    off += static_cast<uint32_t>(f.second.size());
    body += f.second;
  }
  std::string out(1, '\xBE');
  AppendBe32(&out, 0);
  AppendBe32(&out, static_cast<uint32_t>(index.size()));
  AppendBe32(&out, static_cast<uint32_t>(body.size()));
  out.push_back('\xED');
  return out + index + body;
}

// The PC-WeChat V1MMWX layer over a plain package (at least 1,023 bytes).
inline std::string EncryptWxapkg(const std::string& plain, const std::string& appid) {
  unsigned char key[32];
  PKCS5_PBKDF2_HMAC_SHA1(appid.data(), static_cast<int>(appid.size()),
                         reinterpret_cast<const unsigned char*>("saltiest"), 8, 1000, 32, key);
  std::string head = plain.substr(0, 1023);
  head.resize(1023, '\0');
  head.push_back('\x01');  // one byte of PKCS#7 padding makes 1,024
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> c(EVP_CIPHER_CTX_new(),
                                                                    EVP_CIPHER_CTX_free);
  unsigned char out[1040];
  int n = 0;
  EVP_EncryptInit_ex(c.get(), EVP_aes_256_cbc(), nullptr, key,
                     reinterpret_cast<const unsigned char*>("the iv: 16 bytes"));
  EVP_CIPHER_CTX_set_padding(c.get(), 0);
  EVP_EncryptUpdate(c.get(), out, &n, reinterpret_cast<const unsigned char*>(head.data()), 1024);
  std::string enc = "V1MMWX" + std::string(reinterpret_cast<char*>(out), 1024);
  char x = appid.size() >= 2 ? appid[appid.size() - 2] : 0x66;
  for (size_t i = 1023; i < plain.size(); ++i) enc.push_back(static_cast<char>(plain[i] ^ x));
  return enc;
}

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_PACKAGE_WRITERS_H_
