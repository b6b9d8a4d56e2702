// Registry benchmark: import of 100,000 generated filings (target < 5 s) and
// 10,000 package-id lookups (target < 50 µs each) on the shared 2-core box.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <random>
#include <string>

#include "ids/identifiers.h"
#include "registry/export.h"
#include "registry/registry.h"

namespace {

using Clock = std::chrono::steady_clock;

long MaxRssKib() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// A valid credit code for a serial number (check character computed).
std::string CreditCode(int n) {
  char body[18];
  std::snprintf(body, sizeof(body), "91110108%09d", n);
  std::string s(body, 17);
  return s + shelfguard::ids::CreditCodeCheckChar(s);
}

// Writes the export record by record (so the generator's memory does not
// hide the importer's in the peak RSS).
void WriteExport(int n, std::ostream& file) {
  std::string out = "{\"format\": \"shelfguard-registry/1\",\n \"filings\": [\n";
  for (int i = 0; i < n; ++i) {
    if (out.size() > (1 << 20)) {
      file << out;
      out.clear();
    }
    char num[16];
    std::snprintf(num, sizeof(num), "11%05d", i % 100000);
    std::string pkg = "cn.bench.app" + std::to_string(i);
    std::string icp = std::to_string(10000000 + i);
    out += std::string(i ? ",\n" : "") + "  {\"filing_number\": \"教APP备" + num +
           "号\", \"app_name\": \"基准应用" + std::to_string(i) +
           "\",\n   \"provider\": {\"name\": \"基准公司\", \"credit_code\": \"" +
           CreditCode(i / 3) + "\", \"province\": \"11\"},\n   \"android_packages\": [\"" + pkg +
           "\"], \"ios_bundle_ids\": [\"" + pkg + ".ios\"],\n   \"icp_number\": \"京ICP备" + icp +
           "号-1\", \"app_icp_number\": \"京ICP备" + icp +
           "号-2A\",\n   \"mlps\": {\"filing_number\": \"11010843001-20001\", \"level\": 3},"
           " \"category\": \"non-subject\", \"audience\": [\"compulsory\", \"high-school\"],"
           " \"use\": \"recommended\", \"licence_number\": null,\n   \"declared\": {\"permissions\":"
           " [\"android.permission.INTERNET\", \"android.permission.CAMERA\"], \"ios_usage_keys\":"
           " [\"NSCameraUsageDescription\"], \"personal_info\": [\"phone\"], \"biometric\": false,"
           " \"payment\": false, \"live_streaming\": false},\n   \"status\": \"active\","
           " \"status_since\": \"2025-03-01\"}";
  }
  out += "\n ],\n \"blacklist\": [{\"credit_code\": \"" + CreditCode(7) +
         "\", \"since\": \"2026-09-01\", \"reason\": \"bench\"}]}\n";
  file << out;
}

}  // namespace

int main() {
  namespace fs = std::filesystem;
  constexpr int kFilings = 100000;
  constexpr int kLookups = 10000;
  fs::path dir = fs::temp_directory_path() / ("sg_registry_bench_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string json_path = (dir / "registry.json").string();
  std::string db_path = (dir / "registry.db").string();
  {
    std::ofstream file(json_path, std::ios::binary);
    WriteExport(kFilings, file);
  }
  std::printf("export: %d filings, %.1f MiB\n", kFilings,
              static_cast<double>(fs::file_size(json_path)) / (1 << 20));

  long rss0 = MaxRssKib();
  auto t0 = Clock::now();
  auto s = shelfguard::ImportExport(json_path, db_path);
  auto t1 = Clock::now();
  if (!s.ok() || s->filings != static_cast<uint64_t>(kFilings)) {
    std::fprintf(stderr, "import failed: %s (%llu filings, %llu bad)\n",
                 s.status().ToString().c_str(), s.ok() ? (unsigned long long)s->filings : 0ULL,
                 s.ok() ? (unsigned long long)s->bad_records : 0ULL);
    if (s.ok() && !s->problems.empty()) std::fprintf(stderr, "%s\n", s->problems[0].ToString().c_str());
    return 1;
  }
  double import_ms = Ms(t0, t1);
  std::printf("import (parse + validate + SQLite + fsync + rename): %.0f ms  [target < 5000 ms: %s]\n",
              import_ms, import_ms < 5000 ? "ok" : "MISSED");
  std::printf("  peak RSS: %.0f MiB before the import, %.0f MiB after (the export file is %.0f MiB)\n",
              static_cast<double>(rss0) / 1024, static_cast<double>(MaxRssKib()) / 1024,
              static_cast<double>(fs::file_size(json_path)) / (1 << 20));
  {
    // The streamed parser into a sink that keeps nothing: parse + validate
    // without SQLite.
    struct Discard : shelfguard::ExportSink {
      shelfguard::Status AddFiling(shelfguard::Filing&&, uint64_t) override {
        return shelfguard::Status::Ok();
      }
      shelfguard::Status AddBlacklist(shelfguard::BlacklistEntry&&, uint64_t) override {
        return shelfguard::Status::Ok();
      }
    } discard;
    auto tp0 = Clock::now();
    auto r = shelfguard::StreamExportFile(json_path, shelfguard::ExportLimits(), &discard);
    std::printf("  of which parse + validate alone: %.0f ms (%llu filings)\n",
                Ms(tp0, Clock::now()), r.ok() ? (unsigned long long)r->filings : 0ULL);
  }

  auto reg = shelfguard::Registry::Open(db_path);
  if (!reg.ok()) {
    std::fprintf(stderr, "open: %s\n", reg.status().ToString().c_str());
    return 1;
  }
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> pick(0, kFilings - 1);
  std::vector<std::string> ids;
  ids.reserve(kLookups);
  for (int i = 0; i < kLookups; ++i) ids.push_back("cn.bench.app" + std::to_string(pick(rng)));
  int found = 0;
  auto t2 = Clock::now();
  for (const std::string& id : ids) {
    if ((*reg)->FindByPackage(shelfguard::Platform::kAndroid, id)) ++found;
  }
  auto t3 = Clock::now();
  double per_us = Ms(t2, t3) * 1000.0 / kLookups;
  std::printf("lookup by package id: %d/%d found, %.1f µs each  [target < 50 µs: %s]\n", found,
              kLookups, per_us, per_us < 50 ? "ok" : "MISSED");
  auto t4 = Clock::now();
  int misses = 0;
  for (int i = 0; i < kLookups; ++i) {
    if (!(*reg)->FindByPackage(shelfguard::Platform::kAndroid, "cn.bench.none" + std::to_string(i))) {
      ++misses;
    }
  }
  auto t5 = Clock::now();
  std::printf("lookup of unknown ids: %d misses, %.1f µs each\n", misses,
              Ms(t4, t5) * 1000.0 / kLookups);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return found == kLookups ? 0 : 1;
}
