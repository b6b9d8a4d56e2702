// libFuzzer target: .strings parsing (old-style, UTF-16, plist forms) and,
// on the same bytes, the CMS unwrapper. Seeds: tests/fuzz_seeds/strings/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plist/plist_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  shelfguard::Limits limits;
  limits.max_table_items = 1u << 16;
  shelfguard::Budget budget(limits);
  auto s = shelfguard::plist::ParseStrings(in, &budget);
  (void)s;
  auto c = shelfguard::plist::UnwrapCms(in);
  (void)c;
  return 0;
}
