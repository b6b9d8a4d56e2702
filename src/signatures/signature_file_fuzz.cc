// Fuzzes a signature file as shelfguard reads one (from signatures/ or an
// installed update): ParseSignatureFile, then, when the file has no problem,
// compiling its patterns into the per-kind literal indexes and RE2 sets and
// matching a few items (taken from the input itself) of every evidence kind. A signature
// file is input like any other: nothing may throw, crash, recurse without
// bound or compile without a memory cap; a refusal always says why.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/facts.h"
#include "signatures/matcher.h"
#include "signatures/signature_db.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shelfguard;
  if (size > (1u << 20)) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<SignatureProblem> problems;
  std::vector<SdkSignature> entries = ParseSignatureFile("fuzz.json", text, &problems);
  for (const SignatureProblem& p : problems) {
    if (p.message.empty()) std::abort();
  }
  if (!problems.empty() || entries.empty()) return 0;
  auto db = CompileSignatures(std::move(entries), "fuzz");
  if (!db.ok()) {
    if (db.status().message().empty()) std::abort();
    return 0;
  }
  // Items: the input split at newlines and commas, at most 64 of them.
  std::vector<std::string_view> items;
  size_t start = 0;
  for (size_t i = 0; i <= text.size() && items.size() < 64; ++i) {
    if (i == text.size() || text[i] == '\n' || text[i] == ',') {
      items.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  auto sink = (*db)->NewSink();
  for (size_t k = 0; k < sigs::kEvidenceKindCount; ++k) {
    sink->OnTable(static_cast<EvidenceKind>(k), "fuzz", items, nullptr);
  }
  Facts facts;
  sink->Finish(&facts);
  return 0;
}
