// `shelfguard scan`: analyse packages and print one report per package.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "policy/assess.h"
#include "shelfguard/engine.h"
#include "shelfguard/report.h"

namespace shelfguard::cli {
namespace {

const char kScanHelp[] =
    "usage: shelfguard scan [options] FILE|DIR...\n"
    "\n"
    "Analyses APK, XAPK, IPA and DEX files (directories are searched recursively for\n"
    "*.apk, *.xapk, *.apks, *.ipa, *.dex) and prints what each package is, the SDKs\n"
    "it carries, the filing numbers it displays and the findings of every rule.\n"
    "\n"
    "options:\n"
    "  --format text|json   output format (default: text; json prints one JSON object\n"
    "                       per package, JSON Lines for several)\n"
    "  --pretty             indent JSON output\n"
    "  --registry PATH      filing registry: a SQLite database made by 'shelfguard\n"
    "                       registry import' or a registry export (.json/.csv)\n"
    "  --filing FILE        self-check against one filing (JSON) before submitting it\n"
    "  --fail-on SEVERITY   exit 1 when a finding is at least SEVERITY:\n"
    "                       info|review|violation|block|never (default: violation)\n"
    "  --jobs N             files scanned in parallel (default: number of cores)\n"
    "  --signatures DIR     SDK signature database (default: built-in)\n"
    "  --limit NAME=VALUE   override a limit (see below); may repeat\n"
    "  --manifest-only      identity only: package, versions, SDK levels, permissions,\n"
    "                       flags and components (APK manifest and resources; IPA\n"
    "                       Info.plist and executable); no DEX, native code or asset\n"
    "                       analysis (SDKs only from manifest components), no rules:\n"
    "                       verdict 'info' (finding SCAN-MANIFEST-ONLY)\n"
    "  --no-progress        no progress line on stderr\n"
    "  -o, --output FILE    write reports to FILE instead of stdout\n"
    "\n"
    "exit codes: 0 all analysed and nothing reached --fail-on; 1 a finding did;\n"
    "            2 a file could not be analysed (reason on stderr and in errors[])\n"
    "\n"
    "limits:\n";

bool IsPackageName(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return ext == ".apk" || ext == ".xapk" || ext == ".apks" || ext == ".ipa" || ext == ".dex";
}

void PrintHelp() {
  std::fputs(kScanHelp, stdout);
  size_t n = 0;
  const Limits::Field* fields = Limits::Fields(&n);
  Limits defaults;
  for (size_t i = 0; i < n; ++i) {
    std::printf("  %-20s %-14llu %s\n", fields[i].name,
                static_cast<unsigned long long>(defaults.*(fields[i].member)), fields[i].help);
  }
  std::printf("  %-20s %-14u %s\n", "max_depth", defaults.max_depth, "nested archive depth");
}

}  // namespace

int RunScan(int argc, char** argv) {
  std::string format = "text";
  bool pretty = false, progress = true;
  Severity fail_on = Severity::kViolation;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  EngineOptions eopts;
  AssessOptions aopts;
  std::string output;
  std::vector<std::string> inputs;

  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "shelfguard scan: %s needs a value\n", name);
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      PrintHelp();
      return 0;
    } else if (a == "--format") {
      const char* v = value("--format");
      if (v == nullptr) return 2;
      format = v;
      if (format != "text" && format != "json") {
        std::fprintf(stderr, "shelfguard scan: --format must be text or json, not '%s'\n", v);
        return 2;
      }
    } else if (a == "--json") {
      format = "json";
    } else if (a == "--pretty") {
      pretty = true;
    } else if (a == "--no-progress") {
      progress = false;
    } else if (a == "--registry") {
      const char* v = value("--registry");
      if (v == nullptr) return 2;
      aopts.registry_path = v;
    } else if (a == "--filing") {
      const char* v = value("--filing");
      if (v == nullptr) return 2;
      aopts.filing_path = v;
    } else if (a == "--today") {
      const char* v = value("--today");
      if (v == nullptr) return 2;
      aopts.today = v;
    } else if (a == "--fail-on") {
      const char* v = value("--fail-on");
      if (v == nullptr) return 2;
      auto s = ParseSeverity(v);
      if (!s) {
        std::fprintf(stderr,
                     "shelfguard scan: --fail-on takes info|review|violation|block|never, not '%s'\n", v);
        return 2;
      }
      fail_on = *s;
    } else if (a == "--jobs" || a == "-j") {
      const char* v = value("--jobs");
      if (v == nullptr) return 2;
      char* end = nullptr;
      unsigned long n = std::strtoul(v, &end, 10);
      if (end == v || *end != '\0' || n == 0 || n > 1024) {
        std::fprintf(stderr, "shelfguard scan: --jobs takes a number from 1 to 1024, not '%s'\n", v);
        return 2;
      }
      jobs = static_cast<unsigned>(n);
    } else if (a == "--manifest-only") {
      eopts.manifest_only = true;
    } else if (a == "--signatures") {
      const char* v = value("--signatures");
      if (v == nullptr) return 2;
      eopts.signatures_dir = v;
    } else if (a == "--limit") {
      const char* v = value("--limit");
      if (v == nullptr) return 2;
      std::string kv = v;
      size_t eq = kv.find('=');
      char* end = nullptr;
      unsigned long long num = eq == std::string::npos ? 0 : std::strtoull(kv.c_str() + eq + 1, &end, 10);
      if (eq == std::string::npos || end == nullptr || *end != '\0' ||
          !eopts.limits.Set(kv.substr(0, eq), num)) {
        std::fprintf(stderr, "shelfguard scan: bad --limit '%s' (NAME=NUMBER; see --help)\n", v);
        return 2;
      }
    } else if (a == "-o" || a == "--output") {
      const char* v = value("--output");
      if (v == nullptr) return 2;
      output = v;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      std::fprintf(stderr, "shelfguard scan: unknown option '%s' (see --help)\n", a.c_str());
      return 2;
    } else {
      inputs.push_back(a);
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "shelfguard scan: no files given (see --help)\n");
    return 2;
  }

  // Expand directories into the package files they hold, in a stable order.
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (std::filesystem::is_directory(in, ec)) {
      std::vector<std::string> found;
      for (auto it = std::filesystem::recursive_directory_iterator(
               in, std::filesystem::directory_options::skip_permission_denied, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && IsPackageName(it->path())) found.push_back(it->path().string());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(in);
    }
  }

  auto engine = Engine::Create(eopts);
  if (!engine.ok()) {
    std::fprintf(stderr, "shelfguard scan: %s\n", engine.status().ToString().c_str());
    return 2;
  }
  auto assessor = Assessor::Create(aopts);
  if (!assessor.ok()) {
    std::fprintf(stderr, "shelfguard scan: %s\n", assessor.status().ToString().c_str());
    return 2;
  }

  FILE* out = stdout;
  if (!output.empty()) {
    out = std::fopen(output.c_str(), "w");
    if (out == nullptr) {
      std::fprintf(stderr, "shelfguard scan: cannot write %s: %s\n", output.c_str(), std::strerror(errno));
      return 2;
    }
  }
  const bool color = format == "text" && out == stdout && isatty(STDOUT_FILENO);
  const bool show_progress = progress && files.size() > 1 && isatty(STDERR_FILENO);

  // Reports are printed in input order as soon as every earlier one is
  // done, so output is deterministic. Workers take files largest first
  // within windows of kWindow files, so a big package does not start last
  // and leave one core idle, while at most a window of reports waits.
  constexpr size_t kWindow = 256;
  std::vector<size_t> order(files.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (files.size() > 1) {
    std::vector<uint64_t> sizes(files.size(), 0);
    for (size_t i = 0; i < files.size(); ++i) {
      std::error_code ec;
      auto sz = std::filesystem::file_size(files[i], ec);
      sizes[i] = ec ? 0 : static_cast<uint64_t>(sz);
    }
    for (size_t w = 0; w < order.size(); w += kWindow) {
      auto end = order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), w + kWindow));
      std::stable_sort(order.begin() + static_cast<std::ptrdiff_t>(w), end,
                       [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
    }
  }
  struct Done {
    std::string text;
    bool analysed = false;
    Severity verdict = Severity::kPass;
    std::string why;  // first error, when not analysed
  };
  std::vector<std::optional<Done>> done(files.size());
  std::mutex mu;
  std::atomic<size_t> next{0};
  size_t printed = 0, finished = 0;
  int exit_code = 0;
  auto flush_ready = [&]() {  // requires mu
    while (printed < files.size() && done[printed]) {
      const Done& d = *done[printed];
      std::fputs(d.text.c_str(), out);
      std::fputc('\n', out);
      if (!d.analysed) {
        std::fprintf(stderr, "shelfguard: %s: not analysed: %s\n", files[printed].c_str(),
                     d.why.c_str());
        exit_code = 2;
      } else if (fail_on != Severity::kPass && d.verdict >= fail_on && exit_code == 0) {
        exit_code = 1;
      }
      done[printed].reset();
      ++printed;
    }
    std::fflush(out);
  };
  // Formats a report outside the lock; never loses one silently.
  auto format_report = [&](Report& r) {
    Done d;
    try {
      d.text = format == "json" ? ReportToJson(r, pretty) : ReportToText(r, color);
    } catch (const std::exception& e) {
      Report minimal;
      minimal.facts.file = r.facts.file;
      minimal.facts.sha256 = r.facts.sha256;
      minimal.facts.size = r.facts.size;
      minimal.facts.errors.push_back({"internal-error", r.facts.file +
                                                            ": report could not be printed: " +
                                                            e.what()});
      d.text = format == "json" ? ReportToJson(minimal, pretty) : ReportToText(minimal, color);
      r.facts.analysed = false;
      r.facts.errors = minimal.facts.errors;
    }
    d.analysed = r.facts.analysed;
    d.verdict = r.verdict;
    if (!d.analysed) d.why = r.facts.errors.empty() ? "unknown error" : r.facts.errors[0].message;
    return d;
  };
  auto worker = [&]() {
    for (;;) {
      size_t k = next.fetch_add(1);
      if (k >= files.size()) return;
      size_t i = order[k];
      Report r;
      try {
        r = (*assessor)->Assess((*engine)->ScanFile(files[i]));
      } catch (const std::exception& e) {
        // A bug must cost one file's report, not the whole run.
        r = Report();
        r.facts.file = files[i];
        r.facts.errors.push_back({"internal-error", files[i] + ": " + e.what()});
      }
      Done d = format_report(r);
      std::lock_guard<std::mutex> lock(mu);
      done[i] = std::move(d);
      ++finished;
      if (show_progress) {
        std::fprintf(stderr, "\r\033[K[%zu/%zu] %s", finished, files.size(), files[i].c_str());
      }
      flush_ready();
    }
  };
  unsigned n = std::min<unsigned>(jobs, static_cast<unsigned>(files.size()));
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (show_progress) std::fprintf(stderr, "\r\033[K");
  if (out != stdout) std::fclose(out);
  // Exit 2 (not analysed) outranks 1 (finding), whatever the order of files.
  return exit_code;
}

}  // namespace shelfguard::cli
