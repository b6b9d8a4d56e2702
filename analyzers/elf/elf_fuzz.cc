// libFuzzer target for the ELF parser and code-reference walk (build with
// -DSG_FUZZ=ON). Seeds: tests/fuzz_seeds/elf/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "elf/elf_parser.h"
#include "support/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace sg = shelfguard;
  sg::Budget budget(sg::testing::CodeFuzzLimits());
  auto r = sg::elf::ElfFile::Parse(sg::testing::FuzzBytes(data, size), &budget);
  if (!r.ok()) return 0;
  const sg::elf::ElfFile& f = **r;
  size_t sum = 0;  // touch every view so ASan sees a bad one
  for (const auto& s : f.dynamic_symbols()) sum += s.name.size() ? s.name.back() : 0;
  for (auto n : f.needed()) sum += n.size() ? n.back() : 0;
  for (const auto& s : f.strings()) sum += s.text.back();
  for (const auto& s : f.sections()) sum += s.name.size() ? s.name.back() : 0;
  (void)sum;
  sg::elf::CodeRefOptions opts;
  opts.max_code_bytes = 1 << 20;
  opts.max_capstone_bytes = 256 << 10;
  sg::elf::FindCodeReferences(f, &budget, opts);
  return 0;
}
