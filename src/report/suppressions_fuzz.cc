// Fuzzes the suppressions file parser (a config a user hands us) and applies
// what parses to a small report.
#include <cstddef>
#include <cstdint>
#include <string>

#include "report/suppressions.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto s = shelfguard::report::Suppressions::Parse(std::string_view(reinterpret_cast<const char*>(data), size),
                                                   "fuzz.toml");
  if (!s.ok()) return 0;
  shelfguard::Report r;
  r.facts.analysed = true;
  r.facts.package.id = "a.b";
  r.findings.push_back({"CONTENT-AD-SDK", shelfguard::Severity::kViolation, "m", "m", {}, "b", std::nullopt});
  std::vector<uint64_t> hits;
  s->Apply(&r, "2026-10-01", &hits);
  (void)s->Warnings(hits, "2026-10-01");
  return 0;
}
