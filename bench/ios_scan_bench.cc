// IPA scan time against the floor, as for Android (sdk_bench (b)): libzip
// opening the IPA and inflating exactly the entries, and exactly the bytes,
// the scan read (recorded through the archive layer's read observer), into
// one reused buffer. Each timing is the best of kReps. Target: ratio <= 1.5.
//
// usage: ios_scan_bench [IPA...]   (default: ../shared/corpus/ipa/*.ipa)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bench_support.h"
#include "libzip_floor.h"
#include "shelfguard/process_setup.h"
#include "shelfguard/archive.h"
#include "shelfguard/engine.h"

namespace {

using Clock = std::chrono::steady_clock;

bool g_record = false;
std::map<uint64_t, uint64_t> g_reads;  // libzip index -> bytes the scan got

void RecordRead(uint32_t depth, const shelfguard::ArchiveEntry& entry, uint64_t bytes) {
  if (g_record && depth == 0 && entry.index != UINT64_MAX) g_reads[entry.index] += bytes;
}

// Seconds for libzip to open `path` and inflate `reads`; -1 if it cannot.
double Floor(const std::string& path, const std::map<uint64_t, uint64_t>& reads) {
  auto t0 = Clock::now();
  if (shelfguard::bench::InflateWithLibzip(path, reads) < 0) return -1;
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  shelfguard::PrepareScanningProcess();  // as the shelfguard binary does
  shelfguard::SetArchiveReadObserver(RecordRead);
  const std::vector<std::string> files = shelfguard::bench::ArgsOrCorpus(argc, argv, {"ipa"});
  auto engine = shelfguard::Engine::Create(shelfguard::EngineOptions());
  if (!engine.ok()) {
    std::fprintf(stderr, "engine: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  constexpr int kReps = 5;
  double total_scan = 0, total_floor = 0;
  std::printf("%-52s %10s %10s %10s %6s\n", "ipa", "read", "floor ms", "scan ms", "ratio");
  for (const auto& f : files) {
    double floor = 1e9, scan = 1e9;
    std::map<uint64_t, uint64_t> reads;
    bool analysed = false;
    for (int r = 0; r < kReps; ++r) {
      g_reads.clear();
      g_record = true;
      auto t0 = Clock::now();
      auto facts = (*engine)->ScanFile(f);
      scan = std::min(scan, std::chrono::duration<double>(Clock::now() - t0).count());
      g_record = false;
      analysed = facts.analysed && facts.package.platform == shelfguard::Platform::kIos;
      reads = g_reads;
    }
    if (!analysed || reads.empty()) continue;  // not an IPA: nothing to compare
    for (int r = 0; r < kReps; ++r) {
      double fl = Floor(f, reads);
      if (fl >= 0) floor = std::min(floor, fl);
    }
    if (floor >= 1e9) continue;
    uint64_t bytes = 0;
    for (const auto& [index, n] : reads) bytes += n;
    total_scan += scan;
    total_floor += floor;
    std::printf("%-52s %10llu %10.2f %10.2f %6.2f\n",
                std::filesystem::path(f).filename().string().substr(0, 52).c_str(),
                static_cast<unsigned long long>(bytes), floor * 1e3, scan * 1e3, scan / floor);
  }
  if (total_floor > 0) {
    std::printf("TOTAL floor %.2f ms, scan %.2f ms, ratio %.2f (target <= 1.5)\n", total_floor * 1e3,
                total_scan * 1e3, total_scan / total_floor);
  }
  return 0;
}
