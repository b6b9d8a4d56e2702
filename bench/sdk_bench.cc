// SDK-detection benchmarks over the corpus APKs, each ratio measured in the
// same run (bench/README.md, "SDK detection"):
//  (a) shelfguard scan vs an exodus-style pipeline: unzip the DEX files,
//      dexdump them, grep -E the same class prefixes (target >= 20x faster);
//  (b) shelfguard scan vs the floor: libzip inflating exactly the entries,
//      and exactly the bytes, the scan read (recorded through the archive
//      layer's read observer during the timed scan), one thread
//      (target <= 1.5x);
//  (c) peak RSS of a child `shelfguard scan` on the largest corpus APK
//      (target <= 64 MiB + 2 x its largest entry).
//
// usage: sdk_bench [CORPUS_DIR] [SHELFGUARD_BINARY]
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "libzip_floor.h"
#include "shelfguard/process_setup.h"
#include "shelfguard/archive.h"
#include "shelfguard/engine.h"
#include "signatures/signature_db.h"

namespace fs = std::filesystem;
using shelfguard::Archive;
using shelfguard::Budget;
using shelfguard::Engine;
using shelfguard::EngineOptions;
using shelfguard::Limits;

// Read recording: while g_record is set, every entry the scan reads from the
// package itself (nested archives are not counted) and the bytes it got are
// counted per libzip index, through the archive layer's read observer.
namespace {
bool g_record = false;
std::map<uint64_t, uint64_t> g_bytes;

void RecordRead(uint32_t depth, const shelfguard::ArchiveEntry& entry, uint64_t bytes) {
  if (g_record && depth == 0 && entry.index != UINT64_MAX) g_bytes[entry.index] += bytes;
}
}  // namespace

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

bool EndsWith(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

// The entries a scan inflates for code and SDK analysis.
bool ScanReads(const std::string& name) {
  if (name == "AndroidManifest.xml" || name == "resources.arsc") return true;
  if (EndsWith(name, ".dex")) return true;
  return name.rfind("lib/", 0) == 0 && EndsWith(name, ".so");
}

}  // namespace

// Wall time of one `shelfguard scan` process over every APK on all cores, as
// a user runs it; best of `runs`.
double TimeScanProcess(const std::string& binary, const std::vector<std::string>& apks, int runs) {
  double best = 1e30;
  for (int run = 0; run < runs; ++run) {
    double t = Now();
    pid_t pid = fork();
    if (pid == 0) {
      int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) {
        dup2(devnull, 1);
        dup2(devnull, 2);
      }
      std::vector<const char*> argv = {binary.c_str(), "scan",       "--format", "json",
                                       "--no-progress", "--fail-on", "never"};
      for (const auto& a : apks) argv.push_back(a.c_str());
      argv.push_back(nullptr);
      execv(binary.c_str(), const_cast<char* const*>(argv.data()));
      _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) > 2) {
      return -1;
    }
    best = std::min(best, Now() - t);
  }
  return best;
}

int main(int argc, char** argv) {
  // The same allocator settings as the shelfguard binary, for the in-process scans.
  shelfguard::PrepareScanningProcess();
  shelfguard::SetArchiveReadObserver(RecordRead);
  std::string corpus = argc > 1 ? argv[1] : SHELFGUARD_SOURCE_DIR "/../shared/corpus";
  std::string self = fs::read_symlink("/proc/self/exe").parent_path().string();
  std::string binary = argc > 2 ? argv[2] : self + "/shelfguard";
  std::vector<std::string> apks;
  for (const auto& de : fs::directory_iterator(corpus + "/apk")) {
    if (de.path().extension() == ".apk") apks.push_back(de.path().string());
  }
  std::sort(apks.begin(), apks.end());
  if (apks.empty()) {
    std::fprintf(stderr, "no APKs under %s/apk\n", corpus.c_str());
    return 2;
  }
  uint64_t total_bytes = 0;
  for (const auto& a : apks) total_bytes += fs::file_size(a);
  std::printf("corpus: %zu APKs, %.1f MiB\n", apks.size(), total_bytes / 1048576.0);

  EngineOptions opts;
  auto engine = Engine::Create(opts);
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
    return 2;
  }
  auto db = shelfguard::LoadSignatureDb(shelfguard::DefaultSignaturesDir());
  if (!db.ok()) return 2;

  // Warm the page cache so no side pays for the first read.
  for (const auto& a : apks) (*engine)->ScanFile(a);

  // shelfguard, one thread.
  size_t sdks = 0;
  std::vector<std::map<uint64_t, uint64_t>> reads(apks.size());
  // The machine is shared: each timing is the best of kRuns.
  constexpr int kRuns = 3;
  double scan_s = 1e30;
  for (int run = 0; run < kRuns; ++run) {
  double this_run = 0;
  sdks = 0;
  for (size_t i = 0; i < apks.size(); ++i) {
    g_record = true;
    g_bytes.clear();
    double t = Now();
    sdks += (*engine)->ScanFile(apks[i]).sdks.size();
    this_run += Now() - t;
    g_record = false;
    if (run == 0)
      for (const auto& [index, n] : g_bytes) reads[i][index] += n;
  }
  scan_s = std::min(scan_s, this_run);
  }

  std::string tmp = fs::temp_directory_path() / ("sg_sdk_bench_" + std::to_string(getpid()));
  fs::create_directories(tmp);
  // The signature matcher's own share: the same scan with a one-entry database.
  double tiny_s = 0;
  {
    fs::create_directories(tmp + "/tiny");
    std::ofstream(tmp + "/tiny/t.json")
        << R"({"format":"shelfguard-signatures/1","version":"1","sdks":[{"id":"x","name":"x",)"
           R"("vendor":"x","category":"other","source":"x","patterns":{"classes":["zz.zz."]}}]})";
    EngineOptions tiny_opts;
    tiny_opts.signatures_dir = tmp + "/tiny";
    auto tiny = Engine::Create(tiny_opts);
    tiny_s = 1e30;
    for (int run = 0; tiny.ok() && run < kRuns; ++run) {
      double t = Now();
      for (const auto& a : apks) (*tiny)->ScanFile(a);
      tiny_s = std::min(tiny_s, Now() - t);
    }
  }

  // (a) exodus-style pipeline with the same class prefixes.
  {
    std::ofstream pat(tmp + "/patterns.txt");
    for (const auto& e : (*db)->entries()) {
      for (const auto& p : e.patterns[static_cast<size_t>(shelfguard::PatternGroup::kClasses)]) {
        if (p.rfind("re:", 0) == 0 || p.find('*') != std::string::npos) continue;
        std::string s = "L";
        for (char c : p) s += c == '.' ? '/' : (c == '$' ? '.' : c);
        pat << s << "\n";
      }
    }
  }
  double t0 = Now();
  for (const auto& a : apks) {
    std::string dir = tmp + "/x";
    std::string cmd = "rm -rf " + Quote(dir) + " && mkdir -p " + Quote(dir) + " && (unzip -qq -o " +
                      Quote(a) + " '*.dex' -d " + Quote(dir) +
                      " >/dev/null 2>&1; find " + Quote(dir) +
                      " -name '*.dex' -exec dexdump {} + 2>/dev/null | grep 'Class descriptor' | "
                      "grep -E -o -f " + Quote(tmp + "/patterns.txt") +
                      " | sort | uniq -c >/dev/null)";
    if (std::system(cmd.c_str()) == -1) return 2;
  }
  double exodus_s = Now() - t0;
  (void)ScanReads;
  // The pipeline runs unzip, dexdump and grep as concurrent processes; the
  // matching comparison is one shelfguard process using every core.
  const double process_s = TimeScanProcess(binary, apks, kRuns);

  // (b) the floor: libzip inflating the same entries, the same number of
  // bytes, into one reused buffer.
  uint64_t floor_bytes = 0;
  double floor_s = 1e30;
  for (int run = 0; run < kRuns; ++run) {
  floor_bytes = 0;
  t0 = Now();
  for (size_t i = 0; i < apks.size(); ++i) {
    if (reads[i].empty()) continue;
    int64_t n = shelfguard::bench::InflateWithLibzip(apks[i], reads[i]);
    if (n > 0) floor_bytes += static_cast<uint64_t>(n);
  }
  floor_s = std::min(floor_s, Now() - t0);
  }
  fs::remove_all(tmp);

  std::printf("shelfguard scan (1 thread): %8.3f s  (%zu SDK hits)\n", scan_s, sdks);
  std::printf("  same scan, 1-entry database: %.3f s -> %zu signatures cost %.3f s (%.1f%% of the scan)\n",
              tiny_s, (*db)->entries().size(), scan_s - tiny_s, 100.0 * (scan_s - tiny_s) / scan_s);
  std::printf("exodus-style pipeline     : %8.3f s  -> in-process scan on 1 thread is %.1fx faster\n",
              exodus_s, exodus_s / scan_s);
  if (process_s > 0) {
    std::printf("shelfguard scan process, %u cores: %.3f s -> %.1fx faster than the pipeline (target >= 20x)\n",
                std::max(1u, std::thread::hardware_concurrency()), process_s, exodus_s / process_s);
  } else {
    std::printf("shelfguard scan process: could not run %s\n", binary.c_str());
  }
  std::printf("floor (inflate %6.1f MiB): %8.3f s  -> scan / floor = %.2fx (target <= 1.5x)\n",
              floor_bytes / 1048576.0, floor_s, scan_s / floor_s);

  // (c) peak memory of a child scan on the largest APK.
  std::string largest = *std::max_element(apks.begin(), apks.end(), [](auto& x, auto& y) {
    return fs::file_size(x) < fs::file_size(y);
  });
  uint64_t largest_entry = 0;
  {
    Budget budget{Limits()};
    auto ar = Archive::OpenFile(largest, &budget);
    if (ar.ok())
      for (const auto& e : (*ar)->entries()) largest_entry = std::max(largest_entry, e.size);
  }
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = ::open("/dev/null", 1);
    if (devnull >= 0) {
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    execl(binary.c_str(), binary.c_str(), "scan", "--format", "json", "--no-progress",
          "--jobs", "1", "--fail-on", "never", largest.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  double peak_mib = ru.ru_maxrss / 1024.0;
  double bound_mib = 64.0 + 2.0 * largest_entry / 1048576.0;
  std::printf("peak RSS scanning %s: %.1f MiB (exit %d); bound 64 MiB + 2 x %.1f MiB = %.1f MiB: %s\n",
              fs::path(largest).filename().c_str(), peak_mib,
              WIFEXITED(status) ? WEXITSTATUS(status) : -1, largest_entry / 1048576.0, bound_mib,
              peak_mib <= bound_mib ? "ok" : "OVER");
  return 0;
}
