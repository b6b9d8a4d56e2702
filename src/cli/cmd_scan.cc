// `shelfguard scan`: analyse packages and print one report per package.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/report_output.h"
#include "policy/assess.h"
#include "registry/export.h"
#include "shelfguard/engine.h"
#include "shelfguard/report.h"

namespace shelfguard::cli {
namespace {

const char kScanDescription[] =
    "Analyses APK, XAPK, AAB, IPA, DEX, HarmonyOS (HAP/HSP/APP) and WeChat mini-program\n"
    "(wxapkg) files (directories are searched recursively for *.apk, *.xapk, *.apks,\n"
    "*.aab, *.ipa, *.dex, *.hap, *.hsp, *.app, *.wxapkg) and prints what each package\n"
    "is, the SDKs it carries, the filing numbers it displays and the findings of every rule.\n"
    "A summary (files, verdicts, errors, time) goes to stderr unless --quiet.";

const char kScanFooter[] =
    "exit codes: 0 all analysed and nothing reached --fail-on; 1 a finding did;\n"
    "            2 a file could not be analysed (reason on stderr and in errors[]:\n"
    "            not-found, permission-denied, malformed, over-limit, ...), no\n"
    "            package was found in the arguments, or a usage error\n"
    "aliases: --json = --format json; --out = --output\n"
    "environment: NO_COLOR (any value) turns colour off\n";

const char* const kPackageExtensions[] = {".apk", ".xapk", ".apks", ".aab", ".ipa", ".dex",
                                          ".hap", ".hsp", ".app", ".wxapkg"};

bool IsPackageName(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  // The engine tells the formats apart by content; the name only decides
  // what a directory search picks up.
  for (const char* known : kPackageExtensions) {
    if (ext == known) return true;
  }
  return false;
}

// The limits table for --help, from the one table config and --limit share.
std::string LimitsTable() {
  std::string t = "limits (--limit NAME=VALUE; default, range, meaning):\n";
  size_t n = 0;
  const Limits::Field* fields = Limits::Fields(&n);
  Limits defaults;
  auto row = [&t](const char* name, uint64_t def, uint64_t min, uint64_t max, const char* help) {
    char line[320];
    std::string range = std::to_string(min) + "-" + std::to_string(max);
    std::snprintf(line, sizeof line, "  %-19s %-11llu %-17s %s\n", name,
                  static_cast<unsigned long long>(def), range.c_str(), help);
    t += line;
  };
  for (size_t i = 0; i < n; ++i) {
    row(fields[i].name, defaults.*(fields[i].member), fields[i].min, fields[i].max, fields[i].help);
  }
  row("max_depth", defaults.max_depth, Limits::kMaxDepthMin, Limits::kMaxDepthMax,
      "nested archive depth");
  return t;
}

struct ScanOptions {
  std::string format = "text";
  bool pretty = false, progress = true, quiet = false;
  Severity fail_on = Severity::kViolation;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  EngineOptions eopts;
  AssessOptions aopts;
  std::vector<std::string> limits;
  std::string output;
  std::string suppressions;  // --suppressions FILE
  std::vector<std::string> inputs;
};

// "PATH: reason" -> "reason": the caller names the path once.
std::string WithoutPath(const std::string& message, const std::string& path) {
  std::string prefix = path + ": ";
  return message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
}

// True when the engine could not open the file at all: then there is no
// package to assess, and the report carries only the error.
bool NotOpened(const Facts& f) {
  for (const auto& e : f.errors) {
    if (e.code == "not-found" || e.code == "permission-denied") return true;
  }
  return false;
}

int RunScan(ScanOptions& o);

}  // namespace

void SetupScan(CLI::App* root) {
  CLI::App* cmd = AddCommand(root, "scan", "analyse APK/IPA/DEX files and apply the filing rules");
  auto o = std::make_shared<ScanOptions>();
  cmd->footer(std::string(kScanDescription) + "\n\n" + kScanFooter + "\n" + LimitsTable());
  cmd->add_option("files", o->inputs, "packages, or directories to search")->type_name("FILE|DIR");
  AddScanFormatOption(cmd, &o->format);
  cmd->add_flag("--pretty", o->pretty, "indent JSON output");
  cmd->add_option("-o,--output,--out", o->output, "write reports to FILE instead of stdout")
      ->type_name("FILE");
  cmd->add_option("--registry", o->aopts.registry_path,
                  "filing registry: a SQLite database made by 'shelfguard registry import' or a "
                  "registry export (.json/.csv)")
      ->type_name("PATH");
  cmd->add_flag("--registry-strict", o->aopts.registry_strict,
                "refuse a registry that has any rejected record (exit 2) instead of using its "
                "good records");
  cmd->add_option("--filing", o->aopts.filing_path,
                  "self-check against one filing (JSON) before submitting it")
      ->type_name("FILE");
  cmd->add_option("--today", o->aopts.today,
                  "date the rules take as today (bans, expiry), e.g. 2026-01-31 (default: the "
                  "system date)")
      ->type_name("YYYY-MM-DD");
  cmd->add_option("--suppressions", o->suppressions,
                  "TOML file of accepted findings: [[suppress]] rule, package|provider|sdk|sha256, reason, "
                  "author, expires (docs/reports.md); they stay in the report, marked, and stop counting")
      ->type_name("FILE");
  AddFailOnOption(cmd, &o->fail_on);
  cmd->add_option("-j,--jobs", o->jobs, "files scanned in parallel (default: number of cores)")
      ->type_name("N")
      ->check(CLI::Range(1u, 1024u).description(""));
  cmd->add_option("--signatures", o->eopts.signatures_dir,
                  "SDK signature database directory (default: $SHELFGUARD_SIGNATURES or built-in)")
      ->type_name("DIR");
  cmd->add_option("--limit", o->limits, "override a limit (table below); may repeat")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false);
  cmd->add_option("--wx-appid", o->eopts.wx_appid,
                  "WeChat appid (wx + 16 hex) that decrypts encrypted PC-WeChat .wxapkg files "
                  "(default: a wx appid in the file or directory name)")
      ->type_name("APPID")
      ->check(CLI::Validator(
          [](std::string& v) {
            return IsMiniProgramAppid(v) ? std::string() : "'" + v + "' is not wx followed by 16 hex digits";
          },
          "", ""));
  cmd->add_flag("--manifest-only", o->eopts.manifest_only,
                "identity only (manifest, resources, Info.plist, executable): no code or asset "
                "analysis, no rules; verdict 'info' (SCAN-MANIFEST-ONLY)");
  cmd->add_flag_callback("--no-progress", [o] { o->progress = false; }, "no progress line on stderr");
  cmd->add_flag("-q,--quiet", o->quiet, "no progress line and no summary on stderr (errors still)");
  SetRunner(cmd, [o] { return RunScan(*o); });
}

namespace {

// Threads started before the engine exists (RunScan): they may only wait
// for the gate, which opens when everything they use is ready, or closes on
// an early return; destruction closes it and joins them either way.
class EarlyStart {
 public:
  EarlyStart() = default;
  EarlyStart(const EarlyStart&) = delete;
  EarlyStart& operator=(const EarlyStart&) = delete;
  ~EarlyStart() {
    Open(false);
    JoinAll();
  }
  // Runs `f` on a new thread; on a thread that cannot be had, nothing runs
  // and the work is left to the caller's own loop.
  template <typename F>
  void Start(F f) {
    try {
      threads_.emplace_back(std::move(f));
    } catch (const std::system_error&) {
    }
  }
  // True when the gate opened to go on, false when it closed.
  bool Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return state_ != 0; });
    return state_ > 0;
  }
  // The first call decides; later ones change nothing.
  void Open(bool go) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (state_ == 0) state_ = go ? 1 : -1;
    }
    cv_.notify_all();
  }
  void JoinAll() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int state_ = 0;  // 0 shut, 1 open, -1 closed for good
  std::vector<std::thread> threads_;
};

int RunScan(ScanOptions& o) {
  const std::string& format = o.format;
  const bool pretty = o.pretty, progress = o.progress && !o.quiet;
  const Severity fail_on = o.fail_on;
  const unsigned jobs = o.jobs;
  EngineOptions& eopts = o.eopts;
  const std::string& output = o.output;
  const std::vector<std::string>& inputs = o.inputs;
  const auto started = std::chrono::steady_clock::now();
  for (const std::string& l : o.limits) {
    Status st = eopts.limits.SetFromString(l);
    if (!st.ok()) {
      std::fprintf(stderr, "shelfguard scan: --limit %s: %s (see --help)\n", l.c_str(),
                   st.message().c_str());
      return 2;
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "shelfguard scan: no files given (see --help)\n");
    return 2;
  }

  // Expand directories into the package files they hold, in a stable order.
  // A directory without a package is an error, not a pass: a CI job pointed
  // at the wrong path must not succeed.
  std::vector<std::string> files;
  int input_error = 0;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (std::filesystem::is_directory(in, ec)) {
      std::vector<std::string> found;
      for (auto it = std::filesystem::recursive_directory_iterator(
               in, std::filesystem::directory_options::skip_permission_denied, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        std::error_code fec;
        if (it->is_regular_file(fec) && IsPackageName(it->path())) found.push_back(it->path().string());
      }
      if (ec) {
        std::fprintf(stderr, "shelfguard scan: %s: cannot list: %s\n", in.c_str(), ec.message().c_str());
        input_error = 2;
      } else if (found.empty()) {
        std::fprintf(stderr,
                     "shelfguard scan: %s: no package found (looked for *.apk, *.xapk, *.apks, "
                     "*.aab, *.ipa, *.dex, *.hap, *.hsp, *.app, *.wxapkg)\n",
                     in.c_str());
        input_error = 2;
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(in);
    }
  }
  if (files.empty()) return 2;

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
  // Fewer packages than cores (a provider checking one app): each scan may
  // inflate ahead on a spare core. With more, every core has a package.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  eopts.prefetch = files.size() < cores;
  const unsigned n = std::min<unsigned>(jobs, static_cast<unsigned>(files.size()));
  std::atomic<size_t> next{0};

  // Creating the engine (mostly loading the signature base) and reading and
  // hashing packages need nothing of each other: while this thread creates
  // the engine, every other worker reads and hashes its first package (in
  // the largest-first order), then waits for the engine to scan it. With one
  // worker and a spare core, a helper reads the first package ahead instead.
  std::function<void(size_t, std::optional<ReadAhead>)> run;  // set before the gate opens
  std::optional<ReadAhead> main_first;  // the helper's read-ahead, when there is one
  auto take_ahead = [&](size_t k) -> std::optional<ReadAhead> {
    if (k >= files.size()) return std::nullopt;
    try {
      return ReadPackageAhead(files[order[k]]);
    } catch (const std::exception&) {  // bad_alloc: the scan reads the file itself
      return std::nullopt;
    }
  };
  EarlyStart early;  // after all it uses: destroyed (closed, joined) first
  if (n > 1) {
    for (unsigned t = 1; t < n; ++t) {
      early.Start([&]() {
        const size_t k = next.fetch_add(1);
        std::optional<ReadAhead> ahead = take_ahead(k);
        if (early.Wait()) run(k, std::move(ahead));
      });
    }
  } else if (cores > 1 && !files.empty()) {
    next = 1;
    early.Start([&]() { main_first = take_ahead(0); });
  }
  auto engine = Engine::Create(eopts);
  if (!engine.ok()) {
    std::fprintf(stderr, "shelfguard scan: %s\n", engine.status().ToString().c_str());
    return 2;
  }
  auto assessor = Assessor::Create(o.aopts);
  if (!assessor.ok()) {
    std::fprintf(stderr, "shelfguard scan: %s\n", assessor.status().ToString().c_str());
    return 2;
  }
  // Rejected registry records are said, never used silently (issue 12).
  if (const RegistryLoadReport* lr = (*assessor)->registry_load_report();
      lr != nullptr && lr->rejected_count > 0) {
    std::fprintf(stderr, "shelfguard scan: %s", lr->Describe(20).c_str());
  }

  // Suppressions are applied to each report before it is printed, so every
  // format (and the verdict and exit code) sees them.
  std::optional<report::Suppressions> suppressions;
  std::vector<uint64_t> suppression_hits;
  const std::string today = o.aopts.today.empty() ? report::Today() : o.aopts.today;
  if (!o.suppressions.empty()) {
    auto s = report::Suppressions::Load(o.suppressions);
    if (!s.ok()) {
      std::fprintf(stderr, "shelfguard scan: %s\n", s.status().message().c_str());
      return 2;
    }
    suppressions = std::move(s).value();
  }
  // sarif, csv, xlsx and html are one document for all the reports, written
  // at the end from their JSON.
  const bool document = IsDocumentFormat(format);
  std::vector<std::string> collected;
  if (format == "xlsx" && output.empty()) {
    std::fprintf(stderr, "shelfguard scan: --format xlsx needs --output FILE\n");
    return 2;
  }

  FILE* out = stdout;
  if (!output.empty() && format != "xlsx") {
    out = std::fopen(output.c_str(), "w");
    if (out == nullptr) {
      std::fprintf(stderr, "shelfguard scan: cannot write %s: %s\n", output.c_str(), std::strerror(errno));
      return 2;
    }
  }
  // https://no-color.org: a set, non-empty NO_COLOR turns colour off.
  const char* no_color = std::getenv("NO_COLOR");
  const bool color = format == "text" && out == stdout && isatty(STDOUT_FILENO) &&
                     (no_color == nullptr || no_color[0] == '\0');
  const bool show_progress = progress && files.size() > 1 && isatty(STDERR_FILENO);

  struct Done {
    std::string text;
    bool analysed = false;
    Severity verdict = Severity::kPass;
    std::string why;  // first error, when not analysed
  };
  std::vector<std::optional<Done>> done(files.size());
  std::mutex mu;
  size_t printed = 0, finished = 0, errors = 0;
  size_t verdicts[static_cast<size_t>(Severity::kBlock) + 1] = {};
  int exit_code = 0;
  auto flush_ready = [&]() {  // requires mu
    while (printed < files.size() && done[printed]) {
      const Done& d = *done[printed];
      if (document) {
        collected.push_back(d.text);
      } else {
        std::fputs(d.text.c_str(), out);
        std::fputc('\n', out);
      }
      if (!d.analysed) {
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
      d.text = format == "json" || document ? ReportToJson(r, pretty && !document) : ReportToText(r, color);
    } catch (const std::exception& e) {
      Report minimal;
      minimal.facts.file = r.facts.file;
      minimal.facts.sha256 = r.facts.sha256;
      minimal.facts.size = r.facts.size;
      minimal.facts.errors.push_back({"internal-error", r.facts.file +
                                                            ": report could not be printed: " +
                                                            e.what()});
      d.text = format == "json" || document ? ReportToJson(minimal, pretty && !document)
                                            : ReportToText(minimal, color);
      r.facts.analysed = false;
      r.facts.errors = minimal.facts.errors;
    }
    d.analysed = r.facts.analysed;
    d.verdict = r.verdict;
    if (!d.analysed) d.why = r.facts.errors.empty() ? "unknown error" : r.facts.errors[0].message;
    return d;
  };
  auto worker = [&](size_t k, std::optional<ReadAhead> ahead) {
    for (;; k = next.fetch_add(1), ahead.reset()) {
      if (k >= files.size()) return;
      size_t i = order[k];
      Report r;
      try {
        Facts facts = ahead ? (*engine)->ScanReadAhead(std::move(*ahead)) : (*engine)->ScanFile(files[i]);
        if (NotOpened(facts)) {
          r.facts = std::move(facts);  // nothing to assess: an error, not a finding
          ComputeVerdict(&r);
        } else {
          r = (*assessor)->Assess(std::move(facts));
        }
      } catch (const std::exception& e) {
        // A bug must cost one file's report, not the whole run.
        r = Report();
        r.facts.file = files[i];
        r.facts.errors.push_back({"internal-error", files[i] + ": " + e.what()});
      }
      std::vector<uint64_t> hits;
      if (suppressions) suppressions->Apply(&r, today, &hits);
      Done d = format_report(r);
      std::lock_guard<std::mutex> lock(mu);
      if (suppression_hits.size() < hits.size()) suppression_hits.resize(hits.size());
      for (size_t k = 0; k < hits.size(); ++k) suppression_hits[k] += hits[k];
      ++finished;
      if (d.analysed) {
        ++verdicts[static_cast<size_t>(d.verdict)];
      } else {
        // Said as it happens, on a line of its own (the progress line is
        // cleared first), naming the path once.
        ++errors;
        if (show_progress) std::fputs("\r\033[K", stderr);
        std::fprintf(stderr, "shelfguard: %s: not analysed: %s\n", files[i].c_str(),
                     WithoutPath(d.why, files[i]).c_str());
      }
      done[i] = std::move(d);
      if (show_progress) {
        std::fprintf(stderr, "\r\033[K[%zu/%zu] %s", finished, files.size(), files[i].c_str());
      }
      flush_ready();
    }
  };
  run = worker;
  if (n > 1) {
    early.Open(true);
    worker(next.fetch_add(1), std::nullopt);
  } else {
    early.JoinAll();  // the helper's read-ahead of the first package, if any
    worker(0, std::move(main_first));
  }
  early.JoinAll();
  if (show_progress) std::fprintf(stderr, "\r\033[K");
  std::vector<std::string> warnings;
  if (suppressions) warnings = suppressions->Warnings(suppression_hits, today);
  for (const auto& w : warnings) std::fprintf(stderr, "shelfguard scan: warning: %s\n", w.c_str());
  if (document) {
    int rc = WriteDocument(format, output, out, collected, (*engine)->signatures_version(),
                           (*assessor)->registry_version(), warnings);
    if (rc != 0) exit_code = rc;
  }
  if (out != stdout && std::fclose(out) != 0) {
    std::fprintf(stderr, "shelfguard scan: cannot write %s: %s\n", output.c_str(), std::strerror(errno));
    exit_code = 2;
  }
  if (!o.quiet) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::string by_verdict;
    for (size_t v = 0; v < std::size(verdicts); ++v) {
      if (verdicts[v] == 0) continue;
      by_verdict += (by_verdict.empty() ? "" : ", ") + std::to_string(verdicts[v]) + " " +
                    SeverityName(static_cast<Severity>(v));
    }
    std::fprintf(stderr, "shelfguard scan: %zu file%s in %.2f s: %s%s%zu not analysed\n",
                 files.size(), files.size() == 1 ? "" : "s", seconds, by_verdict.c_str(),
                 by_verdict.empty() ? "" : "; ", errors);
  }
  // Exit 2 (not analysed) outranks 1 (finding), whatever the order of files.
  return std::max(exit_code, input_error);
}

}  // namespace
}  // namespace shelfguard::cli
