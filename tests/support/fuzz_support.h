// For fuzz targets: the input as a view, the limits of a table parser's
// target, and for targets that drive whole analyzers, a sink that reads the last
// byte of every item and location it is handed (so a view that outlived its
// bytes is an AddressSanitizer report, not silence), and the run of one
// analyzer over a zip held in memory under fuzzing limits.
#ifndef SHELFGUARD_TESTS_SUPPORT_FUZZ_SUPPORT_H_
#define SHELFGUARD_TESTS_SUPPORT_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/analyzer.h"
#include "shelfguard/archive.h"

namespace shelfguard::testing {

// The fuzzer's bytes as the view a parser takes.
inline std::string_view FuzzBytes(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// The limits a table parser's fuzz target runs under: the defaults, with
// room for 2^20 table items (more than any input of fuzzing size holds).
inline Limits TableFuzzLimits() {
  Limits limits;
  limits.max_table_items = 1u << 20;
  return limits;
}

// The limits a code parser's fuzz target (DEX, ELF) runs under: the
// defaults, with a 2-second deadline, so a slow walk ends as a timeout
// anomaly instead of libFuzzer's timeout.
inline Limits CodeFuzzLimits() {
  Limits limits;
  limits.deadline_ms = 2000;
  return limits;
}

class TouchingSink : public EvidenceSink, public TextSink {
 public:
  void OnTable(EvidenceKind, std::string_view location, const std::vector<std::string_view>& items,
               const std::vector<bool>* referenced) override {
    Touch(location);
    for (std::string_view s : items) Touch(s);
    if (referenced != nullptr) sum_ += referenced->size();
  }
  void OnText(std::string_view location, std::string_view text) override {
    Touch(location);
    Touch(text);
  }
  void Finish(Facts*) override {}
  size_t sum() const { return sum_; }

 private:
  void Touch(std::string_view s) { sum_ += s.empty() ? 0 : static_cast<unsigned char>(s.back()); }
  size_t sum_ = 0;
};

// Opens `data` as a zip named `name` and runs `analyzer` over it.
inline void AnalyzeZipForFuzzing(const uint8_t* data, size_t size, const char* name,
                                 Analyzer* analyzer) {
  Limits limits;
  limits.max_entry_bytes = 8u << 20;
  limits.max_total_inflated = 32u << 20;
  limits.deadline_ms = 5000;
  Budget budget(limits);
  auto a = Archive::OpenMemory(std::string(reinterpret_cast<const char*>(data), size), name,
                               &budget, 0);
  if (!a.ok()) return;
  Facts facts;
  TouchingSink sink;
  ScanContext ctx(&facts, &budget, a->get(), &sink, &sink);
  analyzer->Analyze(&ctx);
}

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_FUZZ_SUPPORT_H_
