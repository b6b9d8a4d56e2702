// Latency benchmark (issue 18): the round trip of a submission to a warm
// `shelfguardd` over an ipc (and, with --tcp, a tcp) socket, next to the scan
// itself measured in the same run.
//
// For the largest 3-6.5 MB APKs of the corpus (at most --files, default 5):
//   * rt      round trip of one submission by a plain libzmq REQ client
//             (request frame + package bytes -> reply), what a store's code
//             pays when it calls the socket itself;
//   * cli     round trip of `shelfguard submit FILE` (process start-up,
//             reading the file, connecting: what a shell script pays);
//   * daemon  the daemon's own time for the job (`scan.done` "ms" in its log:
//             scan-service request, the scan, outcome decoding, findings);
//   * scan    the same package scanned in this process by Engine + Assessor
//             (the scan itself, no daemon around it);
//   * floor   the same bytes sent with a request the daemon refuses at once
//             (a bad field): the transport alone, what any submission of
//             that size pays before the daemon can do anything with it.
// Rounds interleave the contenders per file so that load on a shared machine
// hits all of them alike; p50/p95/p99 are over all rounds. The overhead is
// rt - scan, its share overhead / scan (issue 18 target < 15 %): per file
// from the two p50s, and paired (rt - scan of the same round, back to back,
// median over all rounds), which a busy neighbour skews less.
// Then throughput with 1, 4 and 16 concurrent REQ submitters.
//
// usage: latency_bench [--rounds N] [--files N] [--tcp] [--workers N]
//                      [--isolation process|fork|none] [--daemon PATH] [CORPUS_DIR]
// --daemon: another shelfguardd binary (e.g. a copy of an older build, kept
// next to this one so it finds the same data), for before/after figures.
// Corpus: $SHELFGUARD_CORPUS or <source>/../shared/corpus; without it the
// bench says so and exits 0.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "policy/assess.h"
#include "shelfguard/engine.h"

extern char** environ;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double Pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t SpawnLogged(const std::vector<std::string>& args, const std::string& out, const std::string& err) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

int Wait(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// One REQ round trip: [request][bytes] -> reply text. Empty on timeout.
// `refused`: a request the daemon answers bad-request once it has the bytes.
std::string Submit(void* ctx, const std::string& endpoint, const std::string& name, const std::string& bytes,
                   int timeout_ms, bool refused = false) {
  void* s = zmq_socket(ctx, ZMQ_REQ);
  int linger = 0;
  zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
  zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
  std::string reply;
  if (zmq_connect(s, endpoint.c_str()) == 0) {
    std::string req = refused ? std::string("{\"type\":\"submit\",\"name\":0}")
                              : "{\"type\":\"submit\",\"name\":\"" + name + "\"}";
    if (zmq_send(s, req.data(), req.size(), ZMQ_SNDMORE) >= 0 && zmq_send(s, bytes.data(), bytes.size(), 0) >= 0) {
      zmq_msg_t m;
      zmq_msg_init(&m);
      if (zmq_msg_recv(&m, s, 0) >= 0) reply.assign(static_cast<const char*>(zmq_msg_data(&m)), zmq_msg_size(&m));
      zmq_msg_close(&m);
    }
  }
  zmq_close(s);
  return reply;
}

bool ReplyOk(const std::string& r) { return r.find("\"ok\":true") != std::string::npos; }

// "ms" of every scan.done line of the daemon log from byte `from` on.
std::vector<double> ScanDoneMs(const fs::path& log, size_t* from) {
  std::string text = ReadFile(log);
  std::vector<double> out;
  size_t pos = *from;
  for (;;) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.find("\"event\":\"scan.done\"") == std::string::npos) continue;
    size_t k = line.find("\"ms\":");
    if (k != std::string::npos) out.push_back(std::atof(line.c_str() + k + 5));
  }
  *from = pos;
  return out;
}

struct Row {
  std::vector<double> rt, cli, daemon, scan, floor;
};

void PrintRow(const char* what, const std::vector<double>& v) {
  std::printf("    %-34s p50 %7.1f  p95 %7.1f  p99 %7.1f ms  (n=%zu)\n", what, Pct(v, 50), Pct(v, 95),
              Pct(v, 99), v.size());
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 15, max_files = 5, workers = 2;
  bool tcp = false;
  std::string corpus, isolation = "process", daemon_bin;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--files" && i + 1 < argc) {
      max_files = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--workers" && i + 1 < argc) {
      workers = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--isolation" && i + 1 < argc) {
      isolation = argv[++i];
    } else if (a == "--daemon" && i + 1 < argc) {
      daemon_bin = argv[++i];
    } else if (a == "--tcp") {
      tcp = true;
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: latency_bench [--rounds N] [--files N] [--tcp] [--workers N] "
                  "[--isolation process|fork|none] [--daemon PATH] [CORPUS_DIR]\n");
      return 0;
    } else {
      corpus = a;
    }
  }
  if (corpus.empty()) corpus = shelfguard::bench::CorpusRoot();
  // The largest APKs of 3-6.5 MB (10^6 bytes): the size the target
  // is stated for ("4-6 MB"; the shared corpus holds two of 4-6.5 MB, so the
  // window reaches down to 3 MB for more than one sample).
  std::vector<std::pair<uintmax_t, fs::path>> sized;
  std::error_code ec;
  for (const fs::path& p : shelfguard::bench::FilesIn(fs::path(corpus) / "apk", ".apk")) {
    auto size = fs::file_size(p, ec);
    if (!ec && size >= 3000000 && size <= 6500000) sized.emplace_back(size, p);
  }
  if (sized.empty()) {
    std::printf("latency_bench: skipped: no 3-6.5 MB APKs under %s/apk (set SHELFGUARD_CORPUS)\n", corpus.c_str());
    return 0;
  }
  std::sort(sized.rbegin(), sized.rend());
  if (sized.size() > static_cast<size_t>(max_files)) sized.resize(static_cast<size_t>(max_files));
  std::vector<fs::path> apks;
  for (const auto& [size, p] : sized) apks.push_back(p);

  fs::path bin = fs::canonical("/proc/self/exe").parent_path();
  char tmpl[] = "/tmp/sg_latency_bench.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 2;
  fs::path tmp = tmpl;
  std::string ipc = "ipc://" + (tmp / "s.sock").string();
  std::string tcp_ep = "tcp://127.0.0.1:" + std::to_string(20000 + getpid() % 20000);
  fs::path cfg = tmp / "shelfguard.toml";
  {
    std::ofstream c(cfg);
    c << "[daemon]\nstate_dir = \"" << (tmp / "state").string() << "\"\nworkers = " << workers
      << "\nlog_level = \"info\"\n"
      << "[scan]\nisolation = \"" << isolation << "\"\n"
      << "[submit]\nendpoint = \"" << (tcp ? tcp_ep : ipc) << "\"\n"
      << "[control]\nendpoint = \"ipc://" << tmp.string() << "/c.sock\"\n"
      << "[delivery]\nendpoint = \"ipc://" << tmp.string() << "/d.sock\"\n"
      << "[publish]\nendpoint = \"ipc://" << tmp.string() << "/p.sock\"\n";
  }
  std::string endpoint = tcp ? tcp_ep : ipc;
  fs::path log = tmp / "daemon.log";
  if (daemon_bin.empty()) daemon_bin = (bin / "shelfguardd").string();
  pid_t daemon = SpawnLogged({daemon_bin, "--config", cfg.string()}, (tmp / "daemon.out").string(),
                             log.string());
  if (daemon < 0) {
    std::fprintf(stderr, "latency_bench: cannot start %s\n", daemon_bin.c_str());
    return 2;
  }
  auto cleanup = [&] {
    kill(daemon, SIGTERM);
    Wait(daemon);
    if (std::getenv("SG_KEEP_TMP") == nullptr) fs::remove_all(tmp, ec);
  };

  // The in-process reference: the same engine and assessor the daemon's
  // scan services build (default signatures, no registry).
  // The engine the daemon's scan services build (prefetch on), so that the
  // in-process scan and the daemon's do the same work.
  shelfguard::EngineOptions eo;
  eo.prefetch = true;
  auto engine = shelfguard::Engine::Create(eo);
  auto assessor = shelfguard::Assessor::Create(shelfguard::AssessOptions{});
  if (!engine.ok() || !assessor.ok()) {
    std::fprintf(stderr, "latency_bench: engine: %s\n",
                 (!engine.ok() ? engine.status() : assessor.status()).ToString().c_str());
    cleanup();
    return 2;
  }
  void* ctx = zmq_ctx_new();
  std::vector<std::string> bytes;
  for (const auto& f : apks) bytes.push_back(ReadFile(f));
  // Warm: the daemon's services, its page cache, this process's engine.
  for (size_t i = 0; i < apks.size(); ++i) {
    std::string r = Submit(ctx, endpoint, apks[i].filename().string(), bytes[i], 120000);
    if (!ReplyOk(r)) {
      std::fprintf(stderr, "latency_bench: warm-up submission of %s failed: %s\n", apks[i].c_str(),
                   r.empty() ? "no reply within 120 s" : r.substr(0, 300).c_str());
      zmq_ctx_term(ctx);
      cleanup();
      return 2;
    }
    (void)(*assessor)->Assess((*engine)->ScanFile(apks[i].string()));
  }
  size_t log_pos = 0;
  ScanDoneMs(log, &log_pos);  // skip the warm-up lines

  std::printf("latency_bench: %zu APKs of 3-6.5 MB, %d rounds, %s, %d workers, isolation %s (load average at start: ",
              apks.size(), rounds, endpoint.c_str(), workers, isolation.c_str());
  {
    std::ifstream la("/proc/loadavg");
    std::string l1;
    la >> l1;
    std::printf("%s)\n", l1.c_str());
  }
  std::map<std::string, Row> rows;
  Row all;
  for (int r = 0; r < rounds; ++r) {
    for (size_t i = 0; i < apks.size(); ++i) {
      Row& row = rows[apks[i].filename().string()];
      auto t0 = Clock::now();
      std::string rep = Submit(ctx, endpoint, apks[i].filename().string(), bytes[i], 120000);
      auto t1 = Clock::now();
      if (!ReplyOk(rep)) {
        std::fprintf(stderr, "latency_bench: submission failed: %s\n", rep.substr(0, 300).c_str());
        continue;
      }
      row.rt.push_back(Ms(t0, t1));
      for (double d : ScanDoneMs(log, &log_pos)) row.daemon.push_back(d);
      t0 = Clock::now();
      rep = Submit(ctx, endpoint, apks[i].filename().string(), bytes[i], 120000, true);
      t1 = Clock::now();
      if (rep.find("\"bad-request\"") != std::string::npos) row.floor.push_back(Ms(t0, t1));
      t0 = Clock::now();
      pid_t c = SpawnLogged({(bin / "shelfguard").string(), "submit", "--config", cfg.string(), "--format", "json",
                             apks[i].string()},
                            "/dev/null", "/dev/null");
      int crc = c < 0 ? -1 : Wait(c);
      t1 = Clock::now();
      if (crc == 0 || crc == 1) row.cli.push_back(Ms(t0, t1));  // 1: a finding reached --fail-on
      for (double d : ScanDoneMs(log, &log_pos)) row.daemon.push_back(d);
      t0 = Clock::now();
      (void)(*assessor)->Assess((*engine)->ScanFile(apks[i].string()));
      t1 = Clock::now();
      row.scan.push_back(Ms(t0, t1));
    }
  }
  for (auto& [name, row] : rows) {
    std::printf("  %s (%.1f MiB)\n", name.c_str(),
                static_cast<double>(fs::file_size(fs::path(corpus) / "apk" / name, ec)) / 1048576.0);
    PrintRow("round trip, libzmq client", row.rt);
    PrintRow("round trip, shelfguard submit", row.cli);
    PrintRow("daemon job time (scan.done ms)", row.daemon);
    PrintRow("scan in process (engine+assess)", row.scan);
    PrintRow("transport floor (refused request)", row.floor);
    double ov = Pct(row.rt, 50) - Pct(row.scan, 50);
    std::printf("    overhead (rt - scan) p50 %.1f ms = %.1f %% of the scan; rt/scan %.2f\n", ov,
                100.0 * ov / std::max(1e-9, Pct(row.scan, 50)), Pct(row.rt, 50) / std::max(1e-9, Pct(row.scan, 50)));
    all.rt.insert(all.rt.end(), row.rt.begin(), row.rt.end());
    all.cli.insert(all.cli.end(), row.cli.begin(), row.cli.end());
    all.daemon.insert(all.daemon.end(), row.daemon.begin(), row.daemon.end());
    all.scan.insert(all.scan.end(), row.scan.begin(), row.scan.end());
    all.floor.insert(all.floor.end(), row.floor.begin(), row.floor.end());
  }
  // Overheads per submission are paired within a round, so the median of
  // the per-file ratios is the summary figure.
  std::vector<double> shares;
  for (auto& [name, row] : rows) {
    double s = Pct(row.scan, 50);
    if (s > 0) shares.push_back((Pct(row.rt, 50) - s) / s);
  }
  std::printf("  all files:\n");
  PrintRow("round trip, libzmq client", all.rt);
  PrintRow("round trip, shelfguard submit", all.cli);
  PrintRow("daemon job time (scan.done ms)", all.daemon);
  PrintRow("scan in process (engine+assess)", all.scan);
  PrintRow("transport floor (refused request)", all.floor);
  std::printf("  overhead share, median over files: %.1f %% (target < 15 %%); rt p50 %.1f ms (target < 50), "
              "p99 %.1f ms (target < 80); cli - libzmq p50: %.1f ms\n",
              100.0 * Pct(shares, 50), Pct(all.rt, 50), Pct(all.rt, 99), Pct(all.cli, 50) - Pct(all.rt, 50));
  // rt and scan are pushed together (a failed submission skips the round's
  // scan), so their indices pair the measurements of one round.
  std::vector<double> paired, paired_share;
  for (auto& [name, row] : rows) {
    for (size_t k = 0; k < row.rt.size() && k < row.scan.size(); ++k) {
      paired.push_back(row.rt[k] - row.scan[k]);
      paired_share.push_back((row.rt[k] - row.scan[k]) / std::max(1e-9, row.scan[k]));
    }
  }
  std::printf("  overhead paired per round (rt - scan of the same round): p50 %.1f ms, share p50 %.1f %%; "
              "transport floor p50 %.1f ms of it\n",
              Pct(paired, 50), 100.0 * Pct(paired_share, 50), Pct(all.floor, 50));

  // Throughput with concurrent submitters (the median-sized file).
  const std::string& mid = bytes[bytes.size() / 2];
  for (int n : {1, 4, 16}) {
    std::atomic<int> done{0}, failed{0};
    int per = std::max(2, 24 / n);
    auto t0 = Clock::now();
    std::vector<std::thread> th;
    for (int k = 0; k < n; ++k) {
      th.emplace_back([&] {
        for (int j = 0; j < per; ++j) {
          if (ReplyOk(Submit(ctx, endpoint, "c.apk", mid, 300000))) {
            done++;
          } else {
            failed++;
          }
        }
      });
    }
    for (auto& t : th) t.join();
    double s = Ms(t0, Clock::now()) / 1000.0;
    std::printf("  throughput, %2d concurrent submitters: %d verdicts in %.2f s = %.1f /s (%d refused or failed)\n",
                n, done.load(), s, done.load() / s, failed.load());
  }
  ScanDoneMs(log, &log_pos);
  zmq_ctx_term(ctx);
  cleanup();
  return 0;
}
