// SDK-detection benchmarks over the corpus APKs, each ratio measured in the
// same run (bench/README.md, "SDK detection"):
//  (a) shelfguard scan vs εxodus's own detection, both on one core (target
//      >= 20x faster): bench/exodus_style.py repeats εxodus's steps per APK
//      (zipfile extracts classes*.dex, dexdump | perl | sort | uniq gives the
//      class list, each tracker's code_signature from the pinned
//      ../shared/anchors/exodus-trackers.json searched with Python's re
//      until its first hit). Printed next to it, clearly labelled, a grep
//      variant that is much faster than εxodus itself: unzip, dexdump, the
//      class descriptors, grep -E -o -f with the same signatures;
//  (b) shelfguard scan vs the floor: libzip inflating exactly the entries,
//      and exactly the bytes, the scan read (recorded through the archive
//      layer's read observer during the timed scan), one thread
//      (target <= 1.5x);
//  (c) peak RSS of a child `shelfguard scan` on the largest corpus APK
//      (target <= 64 MiB + 2 x its largest entry);
//  and what loading the signature database costs at engine start: parse,
//  RE2::Set compilation, and the heap the compiled database holds.
//
// usage: sdk_bench [CORPUS_DIR] [SHELFGUARD_BINARY] [EXODUS_TRACKERS_JSON]
#include <fcntl.h>
#include <malloc.h>
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

#include <nlohmann/json.hpp>

#include "libzip_floor.h"
#include "shelfguard/process_setup.h"
#include "shelfguard/archive.h"
#include "shelfguard/engine.h"
#include "signatures/matcher.h"
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

// εxodus's tracker code signatures as grep -E patterns, the way εxodus
// matches them against dexdump's class descriptors (each signature a regex,
// '.' turned into '/'); empty when the list cannot be read. *searched counts
// the trackers εxodus searches for: code_signature longer than 3 characters.
std::vector<std::string> ExodusPatterns(const std::string& path, size_t* searched) {
  *searched = 0;
  std::ifstream in(path);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  std::vector<std::string> out;
  if (j.is_discarded() || !j.contains("trackers") || !j["trackers"].is_object()) return out;
  for (const auto& [id, t] : j["trackers"].items()) {
    if (!t.is_object() || !t.contains("code_signature") || !t["code_signature"].is_string()) continue;
    std::string sig = t["code_signature"].get<std::string>();
    if (sig.size() > 3) ++*searched;
    size_t start = 0;
    while (start <= sig.size()) {
      size_t bar = sig.find('|', start);
      std::string one = sig.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
      std::replace(one.begin(), one.end(), '.', '/');
      if (!one.empty()) out.push_back(one);
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
  }
  return out;
}

// The grep variant of the exodus-style pipeline over every APK: unzip the
// DEX files, dexdump them, keep the class descriptors, grep -E -o the
// pattern file, count. grep -f runs all signatures in one automaton, so this
// is far faster than εxodus's per-tracker Python loop; it is printed for
// context, not as the reference.
// `prefix` runs each APK's pipeline under it ("taskset -c 0 " pins every
// process of it to one core).
double TimePipeline(const std::vector<std::string>& apks, const std::string& tmp,
                    const std::string& patterns, const std::string& prefix) {
  double t0 = Now();
  for (const auto& a : apks) {
    std::string dir = tmp + "/x";
    std::string body = "rm -rf " + Quote(dir) + " && mkdir -p " + Quote(dir) + " && (unzip -qq -o " +
                       Quote(a) + " '*.dex' -d " + Quote(dir) +
                       " >/dev/null 2>&1; find " + Quote(dir) +
                       " -name '*.dex' -exec dexdump {} + 2>/dev/null | grep 'Class descriptor' | "
                       "grep -E -o -f " + Quote(patterns) + " | sort | uniq -c >/dev/null)";
    std::string cmd = prefix + "sh -c " + Quote(body);
    if (std::system(cmd.c_str()) == -1) return -1;
  }
  return Now() - t0;
}

// CPU seconds (user + system) of this process, or of its waited-for
// children and their descendants. On a shared machine a pinned process's
// wall time grows with other people's load; its CPU time much less, so the
// bench prints the ratio of both.
double CpuSeconds(int who) {
  struct rusage ru {};
  getrusage(who, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Whether `tool` is on the PATH; a reference line whose tools are missing is
// skipped with a message instead of timing a pipeline that does nothing.
bool Have(const std::string& tool) {
  return std::system(("command -v " + Quote(tool) + " >/dev/null 2>&1").c_str()) == 0;
}

// The first of `tools` that is not on the PATH, or "" when all are.
std::string Missing(const std::vector<std::string>& tools) {
  for (const auto& t : tools)
    if (!Have(t)) return t;
  return "";
}

// The interpreter `python3` on the PATH really is (sys.executable), so that
// a version-manager shim in front of it (pyenv's costs ~90 ms a start) is not
// timed as part of εxodus; "" when there is none.
std::string ResolvePython() {
  FILE* p = popen("python3 -c 'import sys; print(sys.executable)' 2>/dev/null", "r");
  if (p == nullptr) return "";
  char buf[4096];
  std::string out;
  while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// What εxodus itself does per APK (bench/exodus_style.py), one process per
// APK pinned to CPU 0, best of `runs`. Each APK's tracker lines go to
// out_dir/<i>.txt; *failed counts the APKs the script could not read
// (εxodus's zipfile refuses them too); *cpu is the least CPU time a run took.
double TimeExodusStyle(const std::vector<std::string>& apks, const std::string& python,
                       const std::string& script, const std::string& trackers,
                       const std::string& out_dir, int runs, size_t* failed, double* cpu) {
  double best = 1e30;
  *cpu = 1e30;
  for (int run = 0; run < runs; ++run) {
    *failed = 0;
    const double c0 = CpuSeconds(RUSAGE_CHILDREN);
    double t0 = Now();
    for (size_t i = 0; i < apks.size(); ++i) {
      const std::string out = out_dir + "/" + std::to_string(i) + ".txt";
      std::string cmd = "taskset -c 0 " + Quote(python) + " " + Quote(script) + " " +
                        Quote(trackers) + " " + Quote(apks[i]) + " >" + Quote(out) + " 2>/dev/null";
      int status = std::system(cmd.c_str());
      if (status == -1) return -1;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++*failed;
    }
    best = std::min(best, Now() - t0);
    *cpu = std::min(*cpu, CpuSeconds(RUSAGE_CHILDREN) - c0);
  }
  return best;
}

// What starting the interpreter and importing the script's modules costs,
// once per APK as in TimeExodusStyle (best of `runs`, *cpu likewise): the
// share of the reference that a long-lived εxodus worker would not pay per
// APK, printed so the ratio can be read without it.
double TimeInterpreterStarts(const std::string& python, size_t n, int runs, double* cpu) {
  const std::string cmd =
      "taskset -c 0 " + Quote(python) + " -c 'import json, re, subprocess, sys, tempfile, zipfile'";
  double best = 1e30;
  *cpu = 1e30;
  for (int run = 0; run < runs; ++run) {
    const double c0 = CpuSeconds(RUSAGE_CHILDREN);
    const double t0 = Now();
    for (size_t i = 0; i < n; ++i)
      if (std::system(cmd.c_str()) == -1) return -1;
    best = std::min(best, Now() - t0);
    *cpu = std::min(*cpu, CpuSeconds(RUSAGE_CHILDREN) - c0);
  }
  return best;
}

// Heap bytes in use (glibc), for what a loaded database holds.
uint64_t HeapInUse() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

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
  std::string exodus_json =
      argc > 3 ? argv[3] : SHELFGUARD_SOURCE_DIR "/../shared/anchors/exodus-trackers.json";
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

  // Engine start: what loading the database costs (best of 3), and the heap
  // the compiled matchers (literal indexes, RE2::Sets) and entries hold.
  {
    const std::string dir = shelfguard::DefaultSignaturesDir();
    double parse_s = 1e30, load_s = 1e30;
    uint64_t held = 0;
    size_t patterns = 0, in_sets = 0, entries = 0;
    for (int run = 0; run < 3; ++run) {
      double t = Now();
      shelfguard::CheckSignatureDir(dir, &entries);
      parse_s = std::min(parse_s, Now() - t);
      malloc_trim(0);
      const uint64_t before = HeapInUse();
      t = Now();
      auto loaded = shelfguard::LoadSignatureDb(dir);
      load_s = std::min(load_s, Now() - t);
      if (!loaded.ok()) return 2;
      held = HeapInUse() - before;
      patterns = 0;
      in_sets = 0;
      const auto* compiled = dynamic_cast<const shelfguard::sigs::CompiledDb*>(loaded->get());
      for (size_t k = 0; compiled != nullptr && k < shelfguard::sigs::kEvidenceKindCount; ++k) {
        const auto& m = compiled->matcher(static_cast<shelfguard::EvidenceKind>(k));
        patterns += m.patterns.size();
        in_sets += m.set_patterns.size();
      }
    }
    std::printf("signature database at engine start: %zu entries, %zu patterns per evidence kind "
                "(%zu of them in RE2::Sets, the rest in the literal indexes); read + validate %.3f s, "
                "load + compile %.3f s (matcher build %.3f s); heap held %.1f MiB\n",
                entries, patterns, in_sets, parse_s, load_s, std::max(0.0, load_s - parse_s),
                held / 1048576.0);
  }

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
  double scan_s = 1e30, scan_cpu = 1e30;
  for (int run = 0; run < kRuns; ++run) {
  double this_run = 0;
  sdks = 0;
  const double c0 = CpuSeconds(RUSAGE_SELF);
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
  scan_cpu = std::min(scan_cpu, CpuSeconds(RUSAGE_SELF) - c0);
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

  // (a) the reference is what εxodus runs, with εxodus's own signatures, so
  // it does not change when shelfguard's base grows (with shelfguard's
  // prefixes as grep's pattern file, grep got faster as the file grew and
  // the ratio moved with it). Without the list, the grep variant uses
  // shelfguard's class prefixes and says so, and the εxodus line is skipped.
  size_t exodus_trackers = 0;
  std::vector<std::string> exodus = ExodusPatterns(exodus_json, &exodus_trackers);
  const bool pinned = !exodus.empty();
  if (!pinned) {
    for (const auto& e : (*db)->entries()) {
      for (const auto& p : e.patterns[static_cast<size_t>(shelfguard::PatternGroup::kClasses)]) {
        if (p.rfind("re:", 0) == 0 || p.find('*') != std::string::npos) continue;
        std::string s = "L";
        for (char c : p) s += c == '.' ? '/' : (c == '$' ? '.' : c);
        exodus.push_back(s);
      }
    }
  }
  {
    std::ofstream pat(tmp + "/patterns.txt");
    for (const auto& p : exodus) pat << p << "\n";
  }
  // The issue's target is on one core: each reference's processes pinned to
  // one CPU against the one-thread in-process scan, best of kRuns.
  const std::string script = SHELFGUARD_SOURCE_DIR "/bench/exodus_style.py";
  std::string exodus_skip;
  if (!pinned) {
    exodus_skip = "no εxodus list at " + exodus_json;
  } else if (!fs::exists(script)) {
    exodus_skip = script + " not found";
  } else if (std::string m = Missing({"taskset", "python3", "dexdump", "perl", "sort", "uniq"});
             !m.empty()) {
    exodus_skip = m + " not found";
  }
  const std::string python = exodus_skip.empty() ? ResolvePython() : "";
  if (exodus_skip.empty() && python.empty()) exodus_skip = "python3 does not run";
  double exodus_style_s = -1, exodus_style_cpu = -1, starts_s = -1, starts_cpu = -1;
  size_t exodus_failed = 0, exodus_hits = 0, exodus_apks_with = 0;
  if (exodus_skip.empty()) {
    fs::create_directories(tmp + "/exodus_out");
    exodus_style_s = TimeExodusStyle(apks, python, script, exodus_json, tmp + "/exodus_out",
                                     kRuns, &exodus_failed, &exodus_style_cpu);
    if (exodus_style_s < 0) return 2;
    starts_s = TimeInterpreterStarts(python, apks.size(), kRuns, &starts_cpu);
    for (size_t i = 0; i < apks.size(); ++i) {
      std::ifstream in(tmp + "/exodus_out/" + std::to_string(i) + ".txt");
      size_t lines = 0;
      for (std::string line; std::getline(in, line);) lines += !line.empty();
      exodus_hits += lines;
      exodus_apks_with += lines > 0;
    }
  }
  std::string grep_skip;
  if (std::string m = Missing({"taskset", "unzip", "dexdump", "grep", "sort", "uniq"}); !m.empty())
    grep_skip = m + " not found";
  double grep_1core_s = -1, grep_1core_cpu = -1, grep_s = -1;
  if (grep_skip.empty()) {
    grep_1core_s = grep_1core_cpu = 1e30;
    for (int run = 0; run < kRuns; ++run) {
      const double c0 = CpuSeconds(RUSAGE_CHILDREN);
      const double t = TimePipeline(apks, tmp, tmp + "/patterns.txt", "taskset -c 0 ");
      if (t < 0) return 2;
      grep_1core_s = std::min(grep_1core_s, t);
      grep_1core_cpu = std::min(grep_1core_cpu, CpuSeconds(RUSAGE_CHILDREN) - c0);
    }
    // Every core, once: context for the all-core scan process below.
    grep_s = TimePipeline(apks, tmp, tmp + "/patterns.txt", "");
    if (grep_s < 0) return 2;
  }
  (void)ScanReads;
  // For context: the pipeline's processes on every core against one
  // shelfguard process on every core.
  const double process_s = TimeScanProcess(binary, apks, kRuns);
  double t0 = 0;

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

  std::printf("shelfguard scan (1 thread): %8.3f s, CPU %.3f s  (%zu SDK hits)\n", scan_s, scan_cpu,
              sdks);
  std::printf("  same scan, 1-entry database: %.3f s -> %zu signatures cost %.3f s (%.1f%% of the scan)\n",
              tiny_s, (*db)->entries().size(), scan_s - tiny_s, 100.0 * (scan_s - tiny_s) / scan_s);
  if (exodus_skip.empty()) {
    std::printf("εxodus-style detection (bench/exodus_style.py: zipfile, dexdump | perl | sort | uniq, "
                "Python re per tracker; %zu trackers), 1 core: %8.3f s, CPU %.3f s -> 1-thread scan "
                "is %.1fx faster (target >= 20x); CPU time %.1fx\n",
                exodus_trackers, exodus_style_s, exodus_style_cpu, exodus_style_s / scan_s,
                exodus_style_cpu / scan_cpu);
    std::printf("  εxodus-style found %zu trackers in %zu of %zu APKs; %zu APKs unreadable to "
                "zipfile; interpreter %s\n",
                exodus_hits, exodus_apks_with, apks.size(), exodus_failed, python.c_str());
    if (starts_s > 0) {
      std::printf("  of which %zu interpreter starts (python3 -c 'import ...'): %.3f s, CPU %.3f s; "
                  "without them the scan is %.1fx faster, CPU time %.1fx\n",
                  apks.size(), starts_s, starts_cpu, (exodus_style_s - starts_s) / scan_s,
                  (exodus_style_cpu - starts_cpu) / scan_cpu);
    }
  } else {
    std::printf("εxodus-style detection: skipped (%s)\n", exodus_skip.c_str());
  }
  if (grep_skip.empty()) {
    std::printf("grep variant, faster than εxodus itself (unzip, dexdump, grep -E -o -f %zu %s), "
                "1 core: %8.3f s, CPU %.3f s -> 1-thread scan is %.1fx faster; CPU time %.1fx\n",
                exodus.size(),
                pinned ? "εxodus code signatures" : "shelfguard class prefixes: no εxodus list",
                grep_1core_s, grep_1core_cpu, grep_1core_s / scan_s, grep_1core_cpu / scan_cpu);
    std::printf("grep variant, every core: %8.3f s\n", grep_s);
  } else {
    std::printf("grep variant: skipped (%s)\n", grep_skip.c_str());
  }
  if (process_s > 0 && grep_s > 0) {
    std::printf("shelfguard scan process, %u cores: %.3f s -> %.1fx faster than the grep variant "
                "on every core\n",
                std::max(1u, std::thread::hardware_concurrency()), process_s, grep_s / process_s);
  } else if (process_s <= 0) {
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
