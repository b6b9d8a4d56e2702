// libFuzzer target: the .wxapkg index and the mini-program analyzer over
// arbitrary bytes; inputs starting with "V1MMWX" also go through decryption
// with a fixed appid (the result is checked for a wxapkg header).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wxapkg/wxapkg_analyzer.h"
#include "wxapkg/wxapkg_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (shelfguard::wxapkg::IsEncryptedWxapkg(bytes)) {
    auto d = shelfguard::wxapkg::Decrypt(bytes, "wx0123456789abcdef");
    if (d.ok()) bytes = std::move(d).value();
  }
  (void)shelfguard::wxapkg::AppidFromPath(std::string_view(bytes).substr(0, 256));
  shelfguard::Limits limits;
  limits.deadline_ms = 5000;
  shelfguard::Budget budget(limits);
  shelfguard::Facts facts;
  shelfguard::ScanContext ctx(&facts, &budget, nullptr, nullptr, nullptr);
  ctx.set_bare_bytes(bytes);
  shelfguard::NewWxapkgAnalyzer()->Analyze(&ctx);
  return 0;
}
