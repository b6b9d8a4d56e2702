// PgStore: the connection pool with back-off, the LISTEN thread and
// sessions (the store URL helpers: store_url.cc).
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>

#include "queue/pg_internal.h"

namespace shelfguard::queue {
namespace pg {

Job ReadJob(const Res& r, int row) {
  return ReadJobColumns([&](int c) { return r.Text(row, c); }, [&](int c) { return r.Int(row, c); });
}

std::string OneLine(const char* msg) {
  std::string s = msg != nullptr ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  // libpq's messages span lines ("...\n\tIs the server running..."): one line.
  std::string out;
  for (char ch : s) {
    if (ch == '\n' || ch == '\t') ch = ' ';
    if (ch == ' ' && !out.empty() && out.back() == ' ') continue;
    out += ch;
  }
  return out;
}

PGconn* Connect(const std::string& url) {
  bool has_timeout = url.find("connect_timeout") != std::string::npos;
  const char* keys[] = {"dbname", "application_name", has_timeout ? nullptr : "connect_timeout", nullptr};
  const char* vals[] = {url.c_str(), "shelfguardd", "5", nullptr};
  PGconn* pg = PQconnectdbParams(keys, vals, 1);
  // The server's NOTICEs ("relation ... already exists, skipping") would go
  // to stderr, outside the daemon's JSON log; they carry nothing to act on.
  if (pg != nullptr) PQsetNoticeProcessor(pg, [](void*, const char*) {}, nullptr);
  return pg;
}

}  // namespace pg

namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

using pg::Connect;
using pg::kChannel;
using pg::OneLine;
using pg::Res;
using pg::S;

// ---------------------------------------------------------------- sessions

Result<Res> PgStore::Session::Run(const char* name, const char* sql, const pg::Params& params) {
  if (c_->prepared.count(name) == 0) {
    Res p(PQprepare(c_->pg, name, sql, static_cast<int>(params.size()), nullptr));
    SG_RETURN_IF_ERROR(Check(p, name));
    c_->prepared.insert(name);
  }
  std::vector<const char*> vals;
  vals.reserve(params.size());
  for (const auto& p : params) vals.push_back(p ? p->c_str() : nullptr);
  Res r(PQexecPrepared(c_->pg, name, static_cast<int>(vals.size()), vals.data(), nullptr, nullptr, 0));
  SG_RETURN_IF_ERROR(Check(r, name));
  return r;
}

Status PgStore::Session::Exec(const char* sql) {
  Res r(PQexec(c_->pg, sql));
  return Check(r, sql);
}

Status PgStore::Session::Check(const Res& r, const char* what) {
  // A Res built from a null result (out of memory, connection lost).
  ExecStatusType t = r.ok() ? PQresultStatus(r.raw()) : PGRES_FATAL_ERROR;
  if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) return Status::Ok();
  std::string msg = OneLine(r.ok() ? PQresultErrorMessage(r.raw()) : PQerrorMessage(c_->pg));
  if (msg.empty()) msg = OneLine(PQerrorMessage(c_->pg));
  return Status::IoError(std::string("PostgreSQL store: ") + what + ": " + msg);
}

// ---------------------------------------------------------------- pool

PgStore::~PgStore() {
  stop_.store(true);
  if (stop_pipe_[1] >= 0) {
    char b = 1;
    (void)!::write(stop_pipe_[1], &b, 1);
  }
  if (listener_.joinable()) listener_.join();
  for (int fd : stop_pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

Result<PgStore::Session> PgStore::Acquire() {
  std::unique_lock<std::mutex> l(mu_);
  auto give_up_at = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    while (!idle_.empty()) {
      std::unique_ptr<Conn> c = std::move(idle_.back());
      idle_.pop_back();
      if (!c->broken()) return Session(this, std::move(c));
      open_--;  // lost (server restarted): dropped, a new one is made below
    }
    if (open_ < pool_size_) {
      int64_t now = SteadyMs();
      if (now < next_connect_ms_) {
        return Status::IoError("PostgreSQL store " + Describe() + " unreachable (" + last_connect_error_ +
                               "); next attempt in " + S(next_connect_ms_ - now) + " ms");
      }
      open_++;
      l.unlock();
      auto c = std::make_unique<Conn>();
      c->pg = Connect(url_);
      std::string err = c->broken() ? OneLine(c->pg != nullptr ? PQerrorMessage(c->pg) : "out of memory") : "";
      l.lock();
      if (err.empty()) {
        backoff_ms_ = 0;
        return Session(this, std::move(c));
      }
      open_--;
      // Exponential back-off shared by every caller: a server that went
      // away is not hammered by each worker's retries.
      backoff_ms_ = std::min<int64_t>(std::max<int64_t>(backoff_ms_ * 2, 250), 5000);
      next_connect_ms_ = SteadyMs() + backoff_ms_;
      last_connect_error_ = err;
      return Status::IoError("PostgreSQL store " + Describe() + " unreachable: " + err);
    }
    if (cv_.wait_until(l, give_up_at) == std::cv_status::timeout) {
      return Status::Timeout("PostgreSQL store: all " + S(static_cast<int64_t>(pool_size_)) +
                             " connections busy for 10 s");
    }
  }
}

void PgStore::Return(std::unique_ptr<Conn> c) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (c->broken()) {
      open_--;
    } else {
      idle_.push_back(std::move(c));
    }
  }
  cv_.notify_one();
}

void PgStore::SetWakeCallback(std::function<void()> wake) {
  std::lock_guard<std::mutex> l(wake_mu_);
  wake_ = std::move(wake);
}

// LISTENs on its own connection and calls the wake callback for every
// batch of notifications (and after each reconnection, since notifications
// sent meanwhile were lost).
void PgStore::ListenLoop() {
  int64_t backoff = 0;
  auto sleep_ms = [this](int64_t ms) {
    pollfd p{stop_pipe_[0], POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(ms));
  };
  while (!stop_) {
    PGconn* pg = Connect(url_);
    Res r(PQexec(pg, (std::string("LISTEN ") + kChannel).c_str()));
    if (PQstatus(pg) != CONNECTION_OK || !r.ok() || PQresultStatus(r.raw()) != PGRES_COMMAND_OK) {
      PQfinish(pg);
      backoff = std::min<int64_t>(std::max<int64_t>(backoff * 2, 250), 5000);
      sleep_ms(backoff);
      continue;
    }
    backoff = 0;
    bool woke = true;
    while (!stop_) {
      if (woke) {
        std::lock_guard<std::mutex> l(wake_mu_);
        if (wake_) wake_();
      }
      woke = false;
      pollfd fds[2] = {{PQsocket(pg), POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
      int n = ::poll(fds, 2, 1000);
      if (n < 0 && errno != EINTR) break;
      if (fds[1].revents != 0) break;
      if (n <= 0 || fds[0].revents == 0) continue;
      if (PQconsumeInput(pg) == 0 || PQstatus(pg) != CONNECTION_OK) break;
      while (PGnotify* nt = PQnotifies(pg)) {
        PQfreemem(nt);
        woke = true;
      }
    }
    PQfinish(pg);
  }
}

}  // namespace shelfguard::queue
