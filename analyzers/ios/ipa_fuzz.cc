// libFuzzer target: the IPA layout and the whole iOS analyzer over a zip
// held in memory. Seeds: tests/fuzz_seeds/ipa/ (small mkipa.py IPAs).
#include <cstddef>
#include <cstdint>
#include <string>

#include "ios/ios_analyzer.h"
#include "shelfguard/archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shelfguard::Limits limits;
  limits.max_entry_bytes = 8u << 20;
  limits.max_total_inflated = 32u << 20;
  limits.deadline_ms = 5000;
  shelfguard::Budget budget(limits);
  auto a = shelfguard::Archive::OpenMemory(std::string(reinterpret_cast<const char*>(data), size),
                                           "fuzz.ipa", &budget, 0);
  if (!a.ok()) return 0;
  shelfguard::Facts facts;
  shelfguard::ScanContext ctx(&facts, &budget, a->get(), nullptr, nullptr);
  shelfguard::NewIosAnalyzer()->Analyze(&ctx);
  return 0;
}
