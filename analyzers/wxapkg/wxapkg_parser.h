// WeChat mini-program package (.wxapkg) container: the 14-byte header, the
// file index and the PC-WeChat encryption layer. docs/mini-programs.md.
//
// Layout (big-endian): u8 0xBE, u32 info (0), u32 index_length,
// u32 body_length, u8 0xED; then the index: u32 file_count and per file
// u32 name_length, name bytes, u32 offset (from the start of the file),
// u32 size. Encrypted PC-WeChat packages start with "V1MMWX": the next
// 1,024 bytes are AES-256-CBC (key PBKDF2-HMAC-SHA1(appid, "saltiest",
// 1000 rounds, 32 bytes), IV "the iv: 16 bytes", no padding) and decrypt to
// the first 1,023 bytes of the package; every later byte is XOR-ed with the
// appid's second-to-last character (0x66 for an appid shorter than 2).
#ifndef SHELFGUARD_ANALYZERS_WXAPKG_WXAPKG_PARSER_H_
#define SHELFGUARD_ANALYZERS_WXAPKG_WXAPKG_PARSER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/facts.h"
#include "shelfguard/limits.h"
#include "shelfguard/status.h"

namespace shelfguard::wxapkg {

inline constexpr size_t kHeaderBytes = 14;
inline constexpr uint32_t kMaxFiles = 100000;

struct Entry {
  std::string name;     // as stored ("/app-config.json")
  uint32_t offset = 0;
  uint32_t size = 0;
};

struct Package {
  std::vector<Entry> entries;        // only entries whose data lies inside the file
  std::vector<Anomaly> anomalies;    // out-of-range entries, length mismatches ...
  std::string_view data;             // the whole package (caller keeps it alive)
  std::string_view Content(const Entry& e) const { return data.substr(e.offset, e.size); }
  const Entry* Find(std::string_view name) const;
};

bool IsWxapkg(std::string_view bytes);           // 0xBE ... 0xED header
bool IsEncryptedWxapkg(std::string_view bytes);  // "V1MMWX" prefix

// Parses the header and index; every offset and size is checked against the
// file. Errors: bad header, index outside the file. A file count over what
// the index holds, kMaxFiles or the budget's max_table_items is cut there
// (wxapkg-count-capped) and the first records are read. `budget` may be null.
Result<Package> Parse(std::string_view bytes, Budget* budget);

// Decrypts a V1MMWX package with `appid` (OpenSSL). Errors: not encrypted,
// too short, or the result is not a wxapkg (wrong appid).
Result<std::string> Decrypt(std::string_view bytes, std::string_view appid);

// The first "wx" + 16 lower-case hex digits in `path` (file or directory
// name), or empty.
std::string AppidFromPath(std::string_view path);
// True for "wx" + 16 hex digits.
bool IsAppid(std::string_view s);

}  // namespace shelfguard::wxapkg

#endif  // SHELFGUARD_ANALYZERS_WXAPKG_WXAPKG_PARSER_H_
