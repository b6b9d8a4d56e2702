// HarmonyOS (.hap/.hsp/.app) and WeChat mini-program (.wxapkg) scan
// throughput against the floor, as sdk_bench (b) and ios_scan_bench do for
// APKs and IPAs (issue 17 item 5):
//   * a HAP is a zip: the floor is libzip opening it and inflating exactly
//     the entries, and exactly the bytes, the scan read (recorded through the
//     archive layer's read observer at depth 0), into one reused buffer. For
//     an .app the inner HAPs are read from memory at depth 1; the floor holds
//     the outer entries only (the inflating of the inner HAPs), so its row is
//     marked "nested";
//   * a wxapkg is stored, not compressed: the floor is reading the file into
//     memory (what any tool must do before parsing it).
// Each timing is the best of kReps, one thread, warm page cache.
// Target: scan <= 1.5x floor per kind.
//
// usage: package_scan_bench [FILE...]  (default: ../shared/corpus/{hap,wxapkg}/*)
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bench_support.h"
#include "libzip_floor.h"
#include "shelfguard/archive.h"
#include "shelfguard/engine.h"
#include "shelfguard/process_setup.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr int kReps = 5;

bool g_record = false;
std::map<uint64_t, uint64_t> g_reads;  // libzip index -> bytes the scan got (depth 0)
uint64_t g_nested_bytes = 0;           // bytes read from nested archives

void RecordRead(uint32_t depth, const shelfguard::ArchiveEntry& entry, uint64_t bytes) {
  if (!g_record) return;
  if (depth == 0 && entry.index != UINT64_MAX) {
    g_reads[entry.index] += bytes;
  } else if (depth > 0) {
    g_nested_bytes += bytes;
  }
}

double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Seconds to read the whole file into memory; -1 when it cannot be read.
double ReadFloor(const std::string& path, uint64_t* bytes) {
  auto t0 = Clock::now();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  std::string data(fs::file_size(path), '\0');
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::read(fd, data.data() + done, data.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  *bytes = done;
  return Seconds(t0);
}

struct Totals {
  double scan = 0, floor = 0;
  uint64_t file_bytes = 0;
  size_t files = 0;
};

}  // namespace

int main(int argc, char** argv) {
  shelfguard::PrepareScanningProcess();  // as the shelfguard binary does
  shelfguard::SetArchiveReadObserver(RecordRead);
  const std::vector<std::string> files = shelfguard::bench::ArgsOrCorpus(argc, argv, {"hap", "wxapkg"});
  auto engine = shelfguard::Engine::Create(shelfguard::EngineOptions());
  if (!engine.ok()) {
    std::fprintf(stderr, "engine: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  std::map<std::string, Totals> totals;  // "hap" / "wxapkg"
  std::printf("%-58s %9s %9s %9s %6s\n", "package", "MiB", "floor ms", "scan ms", "ratio");
  for (const auto& f : files) {
    const std::string ext = fs::path(f).extension().string();
    const bool wx = ext == ".wxapkg";
    if (!wx && ext != ".hap" && ext != ".hsp" && ext != ".app") continue;
    // Warm the page cache, then time the scan.
    (*engine)->ScanFile(f);
    double scan = 1e9;
    std::map<uint64_t, uint64_t> reads;
    uint64_t nested = 0;
    bool analysed = false;
    for (int r = 0; r < kReps; ++r) {
      g_reads.clear();
      g_nested_bytes = 0;
      g_record = true;
      auto t0 = Clock::now();
      shelfguard::Facts facts = (*engine)->ScanFile(f);
      scan = std::min(scan, Seconds(t0));
      g_record = false;
      analysed = facts.analysed;
      reads = g_reads;
      nested = g_nested_bytes;
    }
    double floor = 1e9;
    for (int r = 0; r < kReps; ++r) {
      double fl = -1;
      if (wx) {
        uint64_t got = 0;
        fl = ReadFloor(f, &got);
      } else if (!reads.empty()) {
        auto t0 = Clock::now();
        if (shelfguard::bench::InflateWithLibzip(f, reads) >= 0) fl = Seconds(t0);
      }
      if (fl >= 0) floor = std::min(floor, fl);
    }
    if (floor >= 1e9) continue;
    const uint64_t size = fs::file_size(f);
    Totals& t = totals[wx ? "wxapkg" : "hap"];
    t.scan += scan;
    t.floor += floor;
    t.file_bytes += size;
    ++t.files;
    std::printf("%-58s %9.2f %9.2f %9.2f %6.2f%s%s\n",
                fs::path(f).filename().string().substr(0, 58).c_str(), size / 1048576.0,
                floor * 1e3, scan * 1e3, scan / floor, nested > 0 ? " nested" : "",
                analysed ? "" : " (not analysed)");
  }
  for (const auto& [kind, t] : totals) {
    if (t.floor <= 0 || t.scan <= 0) continue;
    std::printf("TOTAL %-6s %zu files, %.1f MiB: floor %.2f ms, scan %.2f ms (%.1f MiB/s), "
                "ratio %.2f (target <= 1.5)\n",
                kind.c_str(), t.files, t.file_bytes / 1048576.0, t.floor * 1e3, t.scan * 1e3,
                t.file_bytes / 1048576.0 / t.scan, t.scan / t.floor);
  }
  return 0;
}
