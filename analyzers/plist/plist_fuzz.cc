// libFuzzer target: property lists (binary, XML, OpenStep) through libplist
// and our conversion to JSON, with the size and depth limits of the reader.
// Seeds: tests/fuzz_seeds/plist/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plist/plist_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)shelfguard::plist::PlistFormat(in);
  shelfguard::Limits limits;
  limits.max_table_items = 1u << 16;
  shelfguard::Budget budget(limits);
  auto p = shelfguard::plist::ParsePlist(in, &budget);
  if (p.ok()) (void)shelfguard::plist::ToJsonText(p->root);
  return 0;
}
