// libFuzzer target for the archive layer: open from memory and read every
// entry through a Budget with small limits, with the prefetch thread on.
// Seeds: tests/fuzz_seeds/archive/ (made by tests/fuzz_seeds/archive/
// make_seeds.sh with tests/fixtures/mkzip.py).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "shelfguard/archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shelfguard::Limits limits;
  limits.max_entries = 1000;
  limits.max_entry_bytes = 1u << 20;
  limits.max_total_inflated = 4u << 20;
  limits.deadline_ms = 5000;
  shelfguard::Budget budget(limits);
  auto archive = shelfguard::Archive::OpenMemory(
      std::string(reinterpret_cast<const char*>(data), size), "fuzz", &budget, 0);
  if (!archive.ok()) return 0;
  // Every entry announced to the prefetch thread, which inflates one ahead of
  // the reads below (and is stopped when a read meets a limit).
  std::vector<const shelfguard::ArchiveEntry*> all;
  for (const auto& e : (*archive)->entries()) all.push_back(&e);
  (*archive)->Prefetch(all);
  for (const auto& e : (*archive)->entries()) {
    auto r = (*archive)->Read(e);
    if (!r.ok() && r.status().code() == "over-limit") break;
    (*archive)->Find(e.name);
  }
  return 0;
}
