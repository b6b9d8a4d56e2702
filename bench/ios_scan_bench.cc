// IPA scan time against the floor of inflating the entries the iOS analyzer
// reads (Info.plist, main executable, embedded.mobileprovision, framework
// binaries, .strings, html/js/json/txt). Target: ratio <= 1.5.
//
// usage: ios_scan_bench [IPA...]   (default: ../shared/corpus/ipa/*.ipa)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "ios/ipa_layout.h"
#include "shelfguard/archive.h"
#include "shelfguard/engine.h"

namespace {

using Clock = std::chrono::steady_clock;

bool EndsWith(const std::string& s, const char* suf) {
  size_t n = std::char_traits<char>::length(suf);
  return s.size() >= n && s.compare(s.size() - n, n, suf) == 0;
}

// Seconds to open the IPA and inflate what the analyzer reads; -1 if not an IPA.
double Floor(const std::string& path, uint64_t* bytes) {
  auto t0 = Clock::now();
  shelfguard::Limits limits;
  shelfguard::Budget budget(limits);
  auto a = shelfguard::Archive::OpenFile(path, &budget);
  if (!a.ok()) return -1;
  auto l = shelfguard::ios::FindAppBundle(**a);
  if (!l.ok()) return -1;
  for (const auto& e : l->entries) {
    if (e.entry->directory) continue;
    const std::string& r = e.rel;
    bool read = r == "Info.plist" || r == l->app_name || r == "embedded.mobileprovision" ||
                EndsWith(r, ".strings") || EndsWith(r, ".html") || EndsWith(r, ".htm") ||
                EndsWith(r, ".js") || EndsWith(r, ".json") || EndsWith(r, ".txt");
    if (r.rfind("Frameworks/", 0) == 0) {
      size_t slash = r.find('/', 11);
      if (slash != std::string::npos && EndsWith(r.substr(0, slash), ".framework")) {
        std::string name = r.substr(11, slash - 11 - 10);
        read |= r.substr(slash + 1) == name;
      } else if (slash == std::string::npos && EndsWith(r, ".dylib") &&
                 r.rfind("Frameworks/libswift", 0) != 0) {
        read = true;
      }
    }
    if (!read) continue;
    auto b = (*a)->Read(*e.entry);
    if (b.ok()) *bytes += b->size();
  }
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) files.push_back(argv[i]);
  if (files.empty()) {
    std::string dir = std::string(SHELFGUARD_SOURCE_DIR) + "/../shared/corpus/ipa";
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
  }
  auto engine = shelfguard::Engine::Create(shelfguard::EngineOptions());
  if (!engine.ok()) {
    std::fprintf(stderr, "engine: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  constexpr int kReps = 5;
  double total_scan = 0, total_floor = 0;
  std::printf("%-52s %10s %10s %10s %6s\n", "ipa", "bytes", "floor ms", "scan ms", "ratio");
  for (const auto& f : files) {
    uint64_t bytes = 0;
    double floor = 1e9, scan = 1e9;
    bool ipa = true;
    for (int r = 0; r < kReps; ++r) {
      bytes = 0;
      double fl = Floor(f, &bytes);
      if (fl < 0) {
        ipa = false;
        break;
      }
      floor = std::min(floor, fl);
      auto t0 = Clock::now();
      auto facts = (*engine)->ScanFile(f);
      scan = std::min(scan, std::chrono::duration<double>(Clock::now() - t0).count());
    }
    if (!ipa) continue;
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
