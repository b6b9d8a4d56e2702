// libFuzzer target: the Ark bytecode reader, module-package naming and the
// resources.index string walk over arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "hap/abc_reader.h"
#include "hap/hap_analyzer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  shelfguard::Limits limits;
  limits.deadline_ms = 5000;
  shelfguard::Budget budget(limits);
  auto abc = shelfguard::abc::ParseAbc(bytes, &budget);
  size_t sum = 0;
  if (abc.ok()) {
    for (std::string_view r : abc->module_references) sum += shelfguard::abc::ModulePackage(r).size();
    for (std::string_view s : abc->strings) sum += s.empty() ? 0 : static_cast<unsigned char>(s.back());
  }
  for (std::string_view s : shelfguard::ResourceIndexStrings(bytes, 10000))
    sum += s.empty() ? 0 : static_cast<unsigned char>(s.back());
  return sum == 0xffffffff ? 1 : 0;
}
