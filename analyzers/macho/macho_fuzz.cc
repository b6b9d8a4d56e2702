// libFuzzer target: the Mach-O parser (thin, fat, fat64) with deep analysis
// and Capstone reference resolution. Seeds: tests/fuzz_seeds/macho/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "macho/macho_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shelfguard::Limits limits;
  limits.max_table_items = 1u << 20;
  shelfguard::Budget budget(limits);
  shelfguard::macho::ParseOptions opt;
  opt.max_code_bytes = 1u << 20;
  auto f = shelfguard::macho::Parse(
      std::string_view(reinterpret_cast<const char*>(data), size), &budget, opt);
  (void)f;
  return 0;
}
