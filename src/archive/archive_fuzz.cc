// libFuzzer target for the archive layer: open from memory and read every
// entry through a Budget with small limits, with the prefetch thread on; and
// hold the plain-directory check to what libzip does.
// Seeds: tests/fuzz_seeds/archive/ (made by tests/fuzz_seeds/archive/
// make_seeds.sh with tests/fixtures/mkzip.py).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "shelfguard/archive.h"
#include "zip_internal.h"

// Directory::plain promises that libzip opens the package with exactly the
// entries read (Archive::Init then defers opening it): a broken promise is a
// crash here.
void CheckPlainPromise(const uint8_t* data, size_t size) {
  using namespace shelfguard::zip_internal;  // NOLINT(build/namespaces)
  PackageBytes im;
  im.data.assign(reinterpret_cast<const char*>(data), size);
  im.in_memory = true;
  im.size = size;
  std::vector<shelfguard::Anomaly> anomalies;
  AnomalyLog log(&anomalies);
  Directory dir = ReadDirectory(im, 1000, &log, "fuzz");
  if (dir.plain && !LibzipListsAsRead(im.data, dir.raw)) __builtin_trap();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckPlainPromise(data, size);
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
    // A prefix read (InflatePrefix, or libzip's stream when it declines).
    auto head = (*archive)->Read(e, 1 + e.size / 3);
    if (!head.ok() && head.status().code() == "over-limit") break;
    (*archive)->Find(e.name);
  }
  return 0;
}
