// libFuzzer target for the ELF parser and code-reference walk (build with
// -DSG_FUZZ=ON). Seeds: tests/fuzz_seeds/elf/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "elf/elf_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shelfguard;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.deadline_ms = 2000;
  Budget budget(limits);
  auto r = elf::ElfFile::Parse(bytes, &budget);
  if (!r.ok()) return 0;
  size_t sum = 0;  // touch every view so ASan sees a bad one
  for (const auto& s : (*r)->dynamic_symbols()) sum += s.name.size() ? s.name.back() : 0;
  for (auto n : (*r)->needed()) sum += n.size() ? n.back() : 0;
  for (const auto& s : (*r)->strings()) sum += s.text.back();
  (void)sum;
  elf::CodeRefOptions opts;
  opts.max_code_bytes = 1 << 20;
  opts.max_capstone_bytes = 256 << 10;
  elf::FindCodeReferences(**r, &budget, opts);
  return 0;
}
