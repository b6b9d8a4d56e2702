// Load benchmark: a sweep of N packages (default 1000: the corpus repeated
// under different names) by `shelfguardd --once` with two workers, against
// `shelfguard scan --jobs 2` over the same files in one process. Prints
// packages per second for both and their ratio (target >= 0.8).
//
// The two run alternately for R rounds (default 3), each daemon round from
// a fresh state directory; the ratio is taken from each side's best round,
// so a burst of load on a shared machine in one round does not decide it.
// Every round's figures are printed too.
//
//   daemon_load_bench [N] [--isolation process|fork|none] [--rounds R]
// Corpus: $SHELFGUARD_CORPUS/apk or <source>/../shared/corpus/apk.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench_support.h"

namespace fs = std::filesystem;

namespace {

double RunTimed(const std::string& cmd, int* rc) {
  auto t0 = std::chrono::steady_clock::now();
  int st = std::system(cmd.c_str());
  auto t1 = std::chrono::steady_clock::now();
  *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return std::chrono::duration<double>(t1 - t0).count();
}

// Fills `dir` with `n` names for the corpus files, round robin (hard links
// when the file system allows, else symlinks).
// `copy`: real copies, as a spool needs them (the daemon refuses a spool
// file that is a link or has other hard links, issue 11); else hard links
// (or symlinks) for the scan's directory.
void Populate(const std::vector<fs::path>& corpus, const fs::path& dir, int n, bool copy) {
  fs::create_directories(dir);
  for (int i = 0; i < n; ++i) {
    const fs::path& src = corpus[static_cast<size_t>(i) % corpus.size()];
    fs::path dst = dir / (std::to_string(i) + "-" + src.filename().string());
    std::error_code ec;
    if (copy) {
      fs::copy_file(src, dst, ec);
      continue;
    }
    fs::create_hard_link(src, dst, ec);
    if (ec) fs::create_symlink(fs::absolute(src), dst, ec);
  }
}

// "<k> scanned" and "<s> skipped" from shelfguardd --once's summary line.
bool SweepCounts(const std::string& line, long* scanned, long* skipped) {
  size_t a = line.find(" scanned");
  size_t b = line.find(" skipped");
  if (line.find("sweep done") == std::string::npos || a == std::string::npos || b == std::string::npos) {
    return false;
  }
  auto number_before = [&](size_t end) {
    size_t start = line.rfind(' ', end - 1);
    return std::atol(line.c_str() + (start == std::string::npos ? 0 : start + 1));
  };
  *scanned = number_before(a);
  *skipped = number_before(b);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 1000, rounds = 3;
  std::string isolation = "process";
  for (int i = 1; i < argc; ++i) {
    if (const char* v = shelfguard::bench::OptionValue(argc, argv, &i, "--isolation")) {
      isolation = v;
    } else if (!shelfguard::bench::CountOption(argc, argv, &i, "--rounds", &rounds)) {
      n = std::max(1, std::atoi(argv[i]));
    }
  }
  const fs::path corpus_dir = fs::path(shelfguard::bench::CorpusRoot()) / "apk";
  std::vector<fs::path> corpus = shelfguard::bench::FilesIn(corpus_dir, ".apk");
  std::error_code ec;
  if (corpus.empty()) return shelfguard::bench::NoCorpus("daemon_load_bench", corpus_dir);
  const fs::path bin = shelfguard::bench::BinDir();
  const fs::path tmp = shelfguard::bench::NewTempDir("sg_daemon_bench");
  if (tmp.empty()) return 2;

  // The scan's directory and, each round, the daemon's spool hold the same
  // N names.
  Populate(corpus, tmp / "pkgs", n, false);
  {
    std::ofstream c(tmp / "shelfguard.toml");
    c << "[daemon]\nstate_dir = \"state\"\nworkers = 2\nlog_level = \"warn\"\n"
      << "[scan]\nisolation = \"" << isolation << "\"\n"
      << "[submit]\nendpoint = \"ipc://" << tmp.string() << "/s.sock\"\n"
      << "[control]\nendpoint = \"ipc://" << tmp.string() << "/c.sock\"\n"
      // No consumer connects: --once must not wait delivery.drain_timeout_ms
      // (3 s by default) for one before it exits.
      << "[delivery]\nendpoint = \"ipc://" << tmp.string() << "/d.sock\"\ndrain_timeout_ms = 0\n"
      << "[publish]\nendpoint = \"ipc://" << tmp.string() << "/p.sock\"\n";
  }
  std::printf("daemon_load_bench: %d packages (%zu distinct corpus files), 2 workers, isolation %s, %d rounds\n",
              n, corpus.size(), isolation.c_str(), rounds);
  std::string scan_cmd = (bin / "shelfguard").string() + " scan --jobs 2 --format json --no-progress -o " +
                         (tmp / "scan.jsonl").string() + " " + (tmp / "pkgs").string() + " 2>" +
                         (tmp / "scan.err").string();
  std::string daemon_cmd = (bin / "shelfguardd").string() + " --config " + (tmp / "shelfguard.toml").string() +
                           " --once >" + (tmp / "daemon.out").string() + " 2>" + (tmp / "daemon.err").string();
  double best_scan = 1e300, best_daemon = 1e300;
  bool ok = true;
  for (int r = 1; r <= rounds; ++r) {
    fs::remove_all(tmp / "state", ec);
    Populate(corpus, tmp / "state" / "spool" / "incoming", n, true);
    int rc_scan = 0, rc_daemon = 0;
    double t_scan = RunTimed(scan_cmd, &rc_scan);
    double t_daemon = RunTimed(daemon_cmd, &rc_daemon);
    std::ifstream summary(tmp / "daemon.out");
    std::string line;
    long scanned = -1, skipped = -1;
    while (std::getline(summary, line)) {
      std::printf("  %s\n", line.c_str());
      SweepCounts(line, &scanned, &skipped);
    }
    size_t done = 0;
    for (const char* sub : {"done", "quarantine"}) {
      for (const auto& e : fs::directory_iterator(tmp / "state" / "spool" / sub, ec)) {
        (void)e;
        ++done;
      }
    }
    // Every package moved, and each one scanned or skipped as a duplicate:
    // a refused spool file is moved too, but not scanned.
    bool round_ok = rc_daemon == 0 && done == static_cast<size_t>(n) && scanned + skipped == n;
    if (!round_ok) {
      std::printf("  round %d not counted: %ld scanned + %ld skipped of %d (see %s)\n", r, scanned, skipped, n,
                  (tmp / "daemon.err").c_str());
    }
    ok = ok && round_ok;
    std::printf("round %d: shelfguard scan --jobs 2 %6.2f s %7.1f packages/s (exit %d) | shelfguardd --once %6.2f s "
                "%7.1f packages/s (exit %d, %zu/%d moved) | ratio %.2f\n",
                r, t_scan, n / t_scan, rc_scan, t_daemon, done / t_daemon, rc_daemon, done, n, t_scan / t_daemon);
    best_scan = std::min(best_scan, t_scan);
    if (round_ok) best_daemon = std::min(best_daemon, t_daemon);
  }
  std::printf("shelfguard scan --jobs 2 : best %6.2f s  %8.1f packages/s\n", best_scan, n / best_scan);
  std::printf("shelfguardd --once (2 w.): best %6.2f s  %8.1f packages/s\n", best_daemon, n / best_daemon);
  std::printf("ratio daemon/scan: %.2f (target >= 0.80)\n", best_scan / best_daemon);
  if (std::getenv("SG_KEEP_TMP") == nullptr) fs::remove_all(tmp, ec);
  return ok ? 0 : 1;
}
