// Queue store bench (issue 16): the PostgreSQL store next to the SQLite one.
//
//  1. Throughput: `jobs` queued jobs taken by 8, 32 and 128 concurrent
//     claimers with Claim + CompleteAndClaim (one commit per job, as a busy
//     worker does), each completion storing a result and `messages`
//     violation messages. SQLite: one store (one machine). PostgreSQL: one
//     node (PgStore, pool of 8 connections) per 8 claimers, as a cluster of
//     nodes would. Prints jobs/s.
//  2. Database work per scanned package (PostgreSQL): the daemon's path of
//     a feed package (HasResult, EnqueueAll in feed batches, CompleteAndClaim,
//     TakeDeliverable + Ack of its messages), counted with pg_stat_statements
//     (statements, rows; BEGIN and COMMIT count as statements),
//     pg_current_wal_lsn() (WAL bytes) and the table sizes afterwards.
//  3. Simulation: `sim-jobs` synthetic jobs (1,000,000 with --full) queued at
//     once and worked by simulated workers whose scan times are drawn from
//     the corpus's real distribution (every corpus package scanned once with
//     the Engine, timed). Each claimer thread (a database connection) drives
//     many simulated workers; the number of equivalent real workers grows
//     stage by stage until the achieved rate falls below 80% of what the
//     workers would scan: there the database, not the scanning, is the limit.
//
// The server is private (tests/support/pg_server.h: initdb into /tmp, fsync
// on, loopback TCP). Without PostgreSQL, or without the PostgreSQL store in
// this build, the PostgreSQL rows say why and the SQLite rows still run.
//
//   store_bench [--jobs N] [--claimers 8,32,128] [--messages M] [--report-bytes B]
//               [--work-packages N] [--sim-jobs N | --full] [--stage-s S] [--no-sim] [--no-fsync]
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "queue/store.h"
#include "shelfguard/engine.h"
#include "support/corpus.h"
#include "support/pg_server.h"

namespace fs = std::filesystem;
using shelfguard::Result;
using shelfguard::Status;
using shelfguard::queue::Job;
using shelfguard::queue::JobResult;
using shelfguard::queue::JobSpec;
using shelfguard::queue::OutboxMessage;
using shelfguard::queue::Store;
using shelfguard::queue::StoreOptions;
using shelfguard::testing::PgServer;

namespace {

using Clock = std::chrono::steady_clock;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

// 64 hex characters derived from (a, b): distinct ids and sha256-shaped keys.
std::string Hex64(uint64_t a, uint64_t b) {
  char buf[65];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64, a, b,
                static_cast<uint64_t>(a * 0x9e3779b97f4a7c15ULL), static_cast<uint64_t>(b ^ 0xc2b2ae3d27d4eb4fULL));
  return buf;
}

struct Params {
  int jobs = 3000;
  std::vector<int> claimers = {8, 32, 128};
  int messages = 2;          // violation messages per scanned package
  size_t report_bytes = 8192;  // report_bench: stored reports average 8.6 KB
  int work_packages = 2000;
  int64_t sim_jobs = 50000;
  double stage_s = 5;
  bool sim = true;
  bool fsync = true;  // --no-fsync: the CPU side of the database, not the disk
};

// A synthetic feed package and what its scan stores.
JobSpec Spec(int64_t i, const std::string& run) {
  JobSpec s;
  s.source = "feed:bench";
  s.dedup_key = "url:" + run + ":" + std::to_string(i);
  s.name = "pkg" + std::to_string(i) + ".apk";
  s.path = "/var/lib/shelfguard/spool/downloads/" + std::to_string(i) + ".apk";
  s.url = "https://store.example/pkg/" + std::to_string(i) + ".apk";
  s.expect_sha256 = Hex64(static_cast<uint64_t>(i), 7);
  s.expect_size = 5000000;
  s.meta = R"({"platform":"android","app_id":"com.example.app)" + std::to_string(i) + R"(","version":"1.0"})";
  s.owned = true;
  return s;
}

// `n` bytes of hex digits from a fixed sequence: about as compressible as
// a report's JSON (PostgreSQL compresses long values; a run of one letter
// would make the WAL figures meaningless).
std::string Filler(size_t n, uint64_t seed) {
  std::string out;
  out.reserve(n + 64);
  while (out.size() < n) out += Hex64(seed++, n);
  out.resize(n);
  return out;
}

JobResult ResultFor(int64_t job_id, const Params& p) {
  JobResult r;
  r.sha256 = Hex64(static_cast<uint64_t>(job_id), 1);
  r.size = 5000000;
  r.signatures_version = "sig-2026.11";
  r.registry_version = "reg-2026.11";
  r.verdict = p.messages > 0 ? "violation" : "pass";
  r.report = "{\"findings\":\"" + Filler(p.report_bytes > 20 ? p.report_bytes - 20 : 0, job_id * 1000) + "\"}";
  return r;
}

std::vector<OutboxMessage> MessagesFor(int64_t job_id, const Params& p) {
  std::vector<OutboxMessage> m;
  for (int k = 0; k < p.messages; ++k) {
    m.push_back({Hex64(static_cast<uint64_t>(job_id), 100 + k),
                 "{\"type\":\"violation\",\"rule\":\"SDK-UNDECLARED\",\"job_id\":" + std::to_string(job_id) +
                     ",\"detail\":\"" + Filler(400, job_id * 1000 + 500 + k) + "\"}",
                 0});
  }
  return m;
}

// ---------------------------------------------------------------- engines

// The stores of one run: SQLite, one store for everyone; PostgreSQL, one
// node per 8 claimers, each in a fresh database.
struct Fleet {
  std::vector<std::unique_ptr<Store>> nodes;
  std::string error;
  std::string database;  // PostgreSQL
};

class Engines {
 public:
  Engines(bool want_pg, bool durable) {
    char tmpl[] = "/tmp/sgstore.XXXXXX";
    if (::mkdtemp(tmpl) != nullptr) dir_ = tmpl;
    if (!want_pg) return;
    PgServer::Options o;
    o.tcp = true;
    o.durable = durable;
    o.settings = {"shared_preload_libraries = 'pg_stat_statements'", "pg_stat_statements.track = all",
                  "track_io_timing = off", "max_wal_size = 4GB"};
    pg_ = std::make_unique<PgServer>(o);
    if (!pg_->Available()) {
      pg_error_ = pg_->skip_reason();
      return;
    }
    Status s = pg_->Start();
    if (!s.ok()) pg_error_ = s.ToString();
  }
  ~Engines() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  bool pg_ok() const { return pg_ != nullptr && pg_error_.empty(); }
  const std::string& pg_error() const { return pg_error_; }
  PgServer* pg() { return pg_.get(); }

  Fleet Open(const std::string& engine, int claimers) {
    Fleet f;
    int run = ++runs_;
    if (engine == "sqlite") {
      StoreOptions o;
      o.sqlite_path = dir_ + "/run" + std::to_string(run) + ".db";
      auto st = shelfguard::queue::OpenStore(o);
      if (!st.ok()) f.error = st.status().ToString();
      else f.nodes.push_back(std::move(st).value());
      return f;
    }
    if (!pg_ok()) {
      f.error = pg_error_;
      return f;
    }
    f.database = "bench" + std::to_string(run);
    auto made = pg_->Query("CREATE DATABASE " + f.database + " OWNER shelfguard", "sg_admin", "postgres");
    if (made.ok()) made = pg_->Query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", "sg_admin", f.database);
    if (!made.ok()) {
      f.error = made.status().ToString();
      return f;
    }
    int nodes = std::max(1, (claimers + 7) / 8);
    for (int n = 0; n < nodes; ++n) {
      StoreOptions o;
      o.url = pg_->TcpUrl(f.database);
      o.node_id = "bench-node-" + std::to_string(n);
      o.pool_size = std::min(8, std::max(1, claimers));
      auto st = shelfguard::queue::OpenStore(o);
      if (!st.ok()) {
        f.error = st.status().ToString();
        f.nodes.clear();
        return f;
      }
      f.nodes.push_back(std::move(st).value());
    }
    return f;
  }

 private:
  std::string dir_;
  std::unique_ptr<PgServer> pg_;
  std::string pg_error_;
  int runs_ = 0;
};

Status EnqueueRange(Store* store, int64_t from, int64_t to, const std::string& run, size_t batch) {
  std::vector<JobSpec> specs;
  for (int64_t i = from; i < to; ++i) {
    specs.push_back(Spec(i, run));
    if (specs.size() == batch || i + 1 == to) {
      auto ids = store->EnqueueAll(specs, NowMs());
      if (!ids.ok()) return ids.status();
      specs.clear();
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- 1. throughput

struct Throughput {
  double seconds = 0, jobs_per_s = 0;
  int64_t done = 0, errors = 0;
  std::string error;
};

Throughput RunThroughput(Fleet& f, int claimers, const Params& p, const std::string& run) {
  Throughput t;
  Status s = EnqueueRange(f.nodes[0].get(), 0, p.jobs, run, 500);
  if (!s.ok()) {
    t.error = s.ToString();
    return t;
  }
  std::atomic<int64_t> done{0}, errors{0};
  std::mutex err_mu;
  std::string first_error;
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < claimers; ++c) {
    threads.emplace_back([&, c] {
      Store* st = f.nodes[static_cast<size_t>(c) % f.nodes.size()].get();
      auto note = [&](const Status& e) {
        errors.fetch_add(1);
        std::lock_guard<std::mutex> l(err_mu);
        if (first_error.empty()) first_error = e.ToString();
      };
      auto j = st->Claim(NowMs(), 600000);
      while (j.ok() && j->has_value()) {
        int64_t id = (*j)->id;
        j = st->CompleteAndClaim(id, ResultFor(id, p), MessagesFor(id, p), NowMs(), 600000);
        if (j.ok()) done.fetch_add(1);
      }
      if (!j.ok()) note(j.status());
    });
  }
  for (auto& th : threads) th.join();
  t.seconds = Seconds(start);
  t.done = done.load();
  t.errors = errors.load();
  t.error = first_error;
  t.jobs_per_s = t.done / t.seconds;
  auto got = f.nodes[0]->GetCounts();
  shelfguard::queue::Counts counts = got.ok() ? *got : shelfguard::queue::Counts();
  if (counts.done != p.jobs || counts.results != p.jobs) {
    t.error += " (check: " + std::to_string(counts.done) + " done, " + std::to_string(counts.results) +
               " results, expected " + std::to_string(p.jobs) + ")";
  }
  return t;
}

// ---------------------------------------------------------------- 2. database work

// Counters of one database, from the superuser's side.
struct DbCounters {
  double statements = 0, rows = 0, wal_bytes = 0;
  bool ok = false;
};

DbCounters ReadCounters(PgServer* pg, const std::string& db) {
  DbCounters c;
  // pg_stat_statements counts a statement when it ends; the pool's last
  // ones may still be finishing: let them settle.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  auto stmts = pg->Query(
      "SELECT COALESCE(sum(calls),0)::text || ' ' || COALESCE(sum(rows),0)::text FROM pg_stat_statements "
      "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '" + db + "') AND userid = 'shelfguard'::regrole",
      "sg_admin", db);
  auto wal = pg->Query("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint", "sg_admin", db);
  if (!stmts.ok() || !wal.ok()) return c;
  std::sscanf(stmts->c_str(), "%lf %lf", &c.statements, &c.rows);
  c.wal_bytes = std::atof(wal->c_str());
  c.ok = true;
  return c;
}

void PrintWork(const char* phase, const DbCounters& a, const DbCounters& b, int n) {
  std::printf("  %-30s %9.2f %9.2f %11.0f\n", phase, (b.statements - a.statements) / n, (b.rows - a.rows) / n,
              (b.wal_bytes - a.wal_bytes) / n);
}

void RunDatabaseWork(Engines& engines, const Params& p) {
  std::printf("\n2. Database work per scanned package (PostgreSQL, %d packages, %d messages each, %zu-byte "
              "reports)\n", p.work_packages, p.messages, p.report_bytes);
  Fleet f = engines.Open("postgresql", 2);
  if (!f.error.empty()) {
    std::printf("  not measured: %s\n", f.error.c_str());
    return;
  }
  Store* st = f.nodes[0].get();
  PgServer* pg = engines.pg();
  std::printf("  %-30s %9s %9s %11s\n", "phase", "stmts", "rows", "WAL bytes");
  DbCounters c0 = ReadCounters(pg, f.database);
  // Sweep: each feed entry is checked against the results (HasResult), then
  // the new ones are queued in batches, as daemon/sources.cc does.
  std::vector<JobSpec> batch;
  for (int i = 0; i < p.work_packages; ++i) {
    JobSpec s = Spec(i, "work");
    auto scanned = st->HasResult(s.expect_sha256, "sig-2026.11", "reg-2026.11", NowMs() - 86400000);
    if (!scanned.ok() || *scanned) continue;
    batch.push_back(std::move(s));
    if (batch.size() == 64 || i + 1 == p.work_packages) {
      if (!st->EnqueueAll(batch, NowMs()).ok()) std::printf("  enqueue failed\n");
      batch.clear();
    }
  }
  DbCounters c1 = ReadCounters(pg, f.database);
  // Scan: two workers, one commit per package.
  std::vector<std::thread> workers;
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&] {
      auto j = st->Claim(NowMs(), 600000);
      while (j.ok() && j->has_value()) {
        int64_t id = (*j)->id;
        j = st->CompleteAndClaim(id, ResultFor(id, p), MessagesFor(id, p), NowMs(), 600000);
      }
    });
  }
  for (auto& w : workers) w.join();
  DbCounters c2 = ReadCounters(pg, f.database);
  // Delivery: batches of 64 taken by one consumer and acknowledged.
  int64_t delivered = 0;
  for (;;) {
    auto msgs = st->TakeDeliverable("bench", 64, NowMs(), 30000);
    if (!msgs.ok() || msgs->empty()) break;
    std::vector<std::string> ids;
    for (const auto& m : *msgs) ids.push_back(m.id);
    delivered += static_cast<int64_t>(ids.size());
    if (!st->Ack(ids, "bench", NowMs()).ok()) break;
  }
  DbCounters c3 = ReadCounters(pg, f.database);
  if (!c0.ok || !c3.ok) {
    std::printf("  counters unreadable (pg_stat_statements missing?)\n");
    return;
  }
  int n = p.work_packages;
  PrintWork("sweep (HasResult + EnqueueAll)", c0, c1, n);
  PrintWork("scan (Claim/CompleteAndClaim)", c1, c2, n);
  PrintWork("delivery (Take + Ack)", c2, c3, n);
  PrintWork("total per package", c0, c3, n);
  auto size = pg->Query("SELECT pg_total_relation_size('jobs') + pg_total_relation_size('results') + "
                        "pg_total_relation_size('outbox')",
                        "shelfguard", f.database);
  if (size.ok()) {
    std::printf("  storage: %.0f bytes per package in jobs + results + outbox (with indexes)\n",
                std::atof(size->c_str()) / n);
  }
  std::printf("  delivered %" PRId64 " of %d messages\n", delivered, n * p.messages);
}

// ---------------------------------------------------------------- 3. simulation

// Scan time of every corpus package, in seconds (the Engine, one thread);
// their total size in *bytes.
std::vector<double> CorpusScanTimes(double* bytes) {
  std::vector<double> out;
  std::string corpus = shelfguard::testing::CorpusDir();
  if (corpus.empty()) return out;
  auto engine = shelfguard::Engine::Create(shelfguard::EngineOptions());
  if (!engine.ok()) return out;
  std::vector<fs::path> files;
  for (const char* sub : {"apk", "ipa", "hap", "wxapkg", "aab", "dex"}) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(corpus + "/" + sub, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file()) {
        files.push_back(it->path());
        *bytes += static_cast<double>(it->file_size(ec));
      }
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto t0 = Clock::now();
    shelfguard::Facts facts = (*engine)->ScanFile(f.string());
    (void)facts;
    out.push_back(Seconds(t0));
  }
  return out;
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

void RunSimulation(Engines& engines, const Params& p) {
  std::printf("\n3. Simulation: %" PRId64 " synthetic jobs through the PostgreSQL store\n", p.sim_jobs);
  double bytes = 0;
  std::vector<double> scan = CorpusScanTimes(&bytes);
  if (scan.empty()) {
    std::printf("  not run: the corpus (../shared/corpus or $SHELFGUARD_CORPUS) is needed for the scan times\n");
    return;
  }
  double mean = 0;
  for (double d : scan) mean += d;
  mean /= static_cast<double>(scan.size());
  std::printf("  scan times of the %zu corpus packages (one core): mean %.3f s, p50 %.3f, p90 %.3f, p99 %.3f, "
              "max %.3f\n",
              scan.size(), mean, Percentile(scan, 0.5), Percentile(scan, 0.9), Percentile(scan, 0.99),
              Percentile(scan, 1.0));
  double total = mean * static_cast<double>(scan.size());
  std::printf("  corpus: %.1f MB in %.1f s of scanning = %.1f MB/s per core (mean package %.2f MB)\n", bytes / 1e6,
              total, bytes / 1e6 / total, bytes / 1e6 / static_cast<double>(scan.size()));
  constexpr int kClaimers = 32, kPerClaimer = 16;  // 32 connections (4 nodes), 512 scans in flight
  Fleet f = engines.Open("postgresql", kClaimers);
  if (!f.error.empty()) {
    std::printf("  not run: %s\n", f.error.c_str());
    return;
  }
  auto t_enqueue = Clock::now();
  for (int64_t from = 0; from < p.sim_jobs; from += 10000) {
    Status s = EnqueueRange(f.nodes[0].get(), from, std::min(p.sim_jobs, from + 10000), "sim", 1000);
    if (!s.ok()) {
      std::printf("  enqueue failed: %s\n", s.ToString().c_str());
      return;
    }
  }
  std::printf("  queued in %.1f s; %d claimer connections on %zu nodes drive %d scans in flight\n",
              Seconds(t_enqueue), kClaimers, f.nodes.size(), kClaimers * kPerClaimer);
  // `equivalent` real workers scanning at corpus speed. Up to kSlots of
  // them are simulated one for one (that many scans in flight, each sleeping
  // its drawn time); past that, kSlots scans in flight sleep their drawn
  // time x kSlots / equivalent. Each claimer thread holds at most its share.
  constexpr int kSlots = kClaimers * kPerClaimer;
  std::atomic<double> time_scale{1.0};
  std::atomic<int> limit{1}, inflight{0};
  std::atomic<int64_t> done{0}, errors{0};
  std::atomic<bool> stop{false}, empty{false};
  std::vector<std::thread> threads;
  Params sim = p;
  sim.messages = 1;  // one violation message per package
  for (int c = 0; c < kClaimers; ++c) {
    threads.emplace_back([&, c] {
      Store* st = f.nodes[static_cast<size_t>(c) % f.nodes.size()].get();
      std::mt19937_64 rng(static_cast<uint64_t>(c) + 1);
      std::uniform_int_distribution<size_t> pick(0, scan.size() - 1);
      using Slot = std::pair<Clock::time_point, int64_t>;
      std::priority_queue<Slot, std::vector<Slot>, std::greater<>> running;
      auto finish_at = [&] {
        return Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(scan[pick(rng)] * time_scale.load()));
      };
      while (!stop.load()) {
        // Take more work while the simulated workers are not all busy.
        while (!empty.load() && static_cast<int>(running.size()) < kPerClaimer) {
          if (inflight.fetch_add(1) >= limit.load()) {
            inflight.fetch_sub(1);
            break;
          }
          auto j = st->Claim(NowMs(), 3600000);
          if (j.ok() && j->has_value()) {
            running.push({finish_at(), (*j)->id});
            continue;
          }
          inflight.fetch_sub(1);
          if (!j.ok()) errors.fetch_add(1);
          if (j.ok()) empty.store(true);
          break;
        }
        if (running.empty()) {
          if (empty.load()) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          continue;
        }
        // Never sleep long: a larger limit must be taken up at once.
        Slot s = running.top();
        auto wake = std::min(s.first, Clock::now() + std::chrono::milliseconds(10));
        std::this_thread::sleep_until(wake);
        if (Clock::now() < s.first) continue;
        running.pop();
        bool keep = inflight.load() <= limit.load();
        auto next = keep ? st->CompleteAndClaim(s.second, ResultFor(s.second, sim), MessagesFor(s.second, sim),
                                                NowMs(), 3600000)
                         : Result<std::optional<Job>>(std::optional<Job>());
        if (!keep) {
          Status done_only = st->Complete(s.second, ResultFor(s.second, sim), MessagesFor(s.second, sim), NowMs());
          if (!done_only.ok()) next = done_only;
        }
        if (!next.ok()) {
          errors.fetch_add(1);
          inflight.fetch_sub(1);
          continue;
        }
        done.fetch_add(1);
        if (next->has_value()) {
          running.push({finish_at(), (*next)->id});
        } else {
          inflight.fetch_sub(1);
          if (keep) empty.store(true);
        }
      }
    });
  }
  // "ideal" is what the workers would scan with a store that costs nothing;
  // "share" how much of it they got (a worker waits for its commit, so even
  // one worker loses the commit latency). The database is the limit once
  // doubling the workers adds less than 20%: the workers then stay and
  // (with --full) drain the queue.
  std::printf("  %12s %12s %12s %9s\n", "workers", "ideal job/s", "achieved", "share");
  double equivalent = 1, ceiling = 0, previous = 0, knee_workers = 0;
  int saturated = 0;
  auto t0 = Clock::now();
  while (done.load() < p.sim_jobs && errors.load() < 100 && !empty.load()) {
    limit.store(static_cast<int>(std::min<double>(equivalent, kSlots)));
    time_scale.store(std::min(1.0, kSlots / equivalent));
    int64_t before = done.load();
    auto ts = Clock::now();
    while (Seconds(ts) < p.stage_s && done.load() < p.sim_jobs && !empty.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    double rate = static_cast<double>(done.load() - before) / Seconds(ts);
    double ideal = equivalent / mean;
    std::printf("  %12.0f %12.0f %12.0f %8.0f%%\n", equivalent, ideal, rate, 100 * rate / ideal);
    std::fflush(stdout);
    ceiling = std::max(ceiling, rate);
    if (saturated == 0 && previous > 0 && rate < 1.2 * previous) {
      saturated = 1;
      knee_workers = equivalent / 2;
    } else if (saturated > 0) {
      ++saturated;
    } else {
      previous = rate;
      equivalent *= 2;
    }
    if (saturated >= 2 && p.sim_jobs < 1000000) break;  // the full run drains everything
  }
  stop.store(true);
  for (auto& th : threads) th.join();
  std::printf("  processed %" PRId64 " jobs in %.0f s (%" PRId64 " errors)\n", done.load(), Seconds(t0),
              errors.load());
  if (saturated > 0) {
    std::printf("  database limit: ~%.0f jobs/s = %.2f million packages/hour, reached at ~%.0f workers "
                "(cores) scanning corpus packages (mean %.3f s); ~%.0f cores at 1 s per package\n",
                ceiling, ceiling * 3600 / 1e6, knee_workers, mean, ceiling);
  } else {
    std::printf("  not saturated: the database kept up with %.0f workers (%.0f jobs/s); run longer stages "
                "or more jobs\n", equivalent, ceiling);
  }
}

std::vector<int> ParseList(const std::string& s) {
  std::vector<int> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t comma = s.find(',', pos);
    int v = std::atoi(s.substr(pos, comma - pos).c_str());
    if (v > 0 && v <= 1024) out.push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Params p;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--jobs") p.jobs = std::clamp(std::atoi(next().c_str()), 1, 10000000);
    else if (a == "--claimers") p.claimers = ParseList(next());
    else if (a == "--messages") p.messages = std::clamp(std::atoi(next().c_str()), 0, 100);
    else if (a == "--report-bytes") p.report_bytes = static_cast<size_t>(std::clamp(std::atol(next().c_str()), 0L, 16L << 20));
    else if (a == "--work-packages") p.work_packages = std::clamp(std::atoi(next().c_str()), 1, 1000000);
    else if (a == "--sim-jobs") p.sim_jobs = std::clamp(std::atoll(next().c_str()), 1LL, 100000000LL);
    else if (a == "--full") p.sim_jobs = 1000000;
    else if (a == "--stage-s") p.stage_s = std::clamp(std::atof(next().c_str()), 1.0, 3600.0);
    else if (a == "--no-sim") p.sim = false;
    else if (a == "--no-fsync") p.fsync = false;
    else {
      std::fprintf(stderr,
                   "usage: store_bench [--jobs N] [--claimers 8,32,128] [--messages M] [--report-bytes B] "
                   "[--work-packages N] [--sim-jobs N | --full] [--stage-s S] [--no-sim] [--no-fsync]\n");
      return 2;
    }
  }
  if (p.claimers.empty()) p.claimers = {8, 32, 128};
  // Ctrl-C or SIGTERM must not leave the private server running: a thread
  // takes those signals and kills it before exiting.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  Engines engines(true, p.fsync);
  std::thread([&engines, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (engines.pg() != nullptr) {
      engines.pg()->Kill();
      std::error_code ec;
      fs::remove_all(engines.pg()->dir(), ec);
    }
    std::_Exit(128 + sig);
  }).detach();
  std::printf("store_bench: %d jobs per run, %d messages and a %zu-byte report per job; PostgreSQL %s\n", p.jobs,
              p.messages, p.report_bytes,
              engines.pg_ok() ? ("private server, fsync " + std::string(p.fsync ? "on" : "off") +
                                 ", loopback TCP, port " +
                                 std::to_string(engines.pg()->port()))
                                    .c_str()
                              : ("unavailable: " + engines.pg_error()).c_str());
  std::printf("\n1. Claim -> complete throughput (jobs/s)\n  %-11s %9s %6s %9s %10s\n", "engine", "claimers",
              "nodes", "seconds", "jobs/s");
  for (int claimers : p.claimers) {
    for (const char* engine : {"sqlite", "postgresql"}) {
      Fleet f = engines.Open(engine, claimers);
      if (!f.error.empty()) {
        std::printf("  %-11s %9d  not measured: %s\n", engine, claimers, f.error.c_str());
        continue;
      }
      Throughput t = RunThroughput(f, claimers, p, engine + std::to_string(claimers));
      std::printf("  %-11s %9d %6zu %9.2f %10.0f%s%s\n", engine, claimers, f.nodes.size(), t.seconds,
                  t.jobs_per_s, t.error.empty() ? "" : "  ", t.error.c_str());
      std::fflush(stdout);
    }
  }
  RunDatabaseWork(engines, p);
  if (p.sim) RunSimulation(engines, p);
  return 0;
}
