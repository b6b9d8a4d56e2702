// Checkpointer: SqliteStore's WAL checkpoints, off the writer's path.
#ifndef SHELFGUARD_SRC_QUEUE_SQLITE_CHECKPOINTER_H_
#define SHELFGUARD_SRC_QUEUE_SQLITE_CHECKPOINTER_H_

#include <sqlite3.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace shelfguard::queue {

// Copies the WAL back into the database file on a thread of its own, with a
// second connection. SQLite's automatic checkpoint runs inside the commit
// that crosses its threshold and fsyncs the database file there (about 10 ms
// here), with the store's mutex held, so every worker waited for it.
// PASSIVE checkpoints never block the writer; a commit only sets a flag.
class Checkpointer {
 public:
  static std::unique_ptr<Checkpointer> Start(const std::string& path) {
    std::unique_ptr<Checkpointer> c(new Checkpointer());
    if (sqlite3_open_v2(path.c_str(), &c->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      return nullptr;
    }
    // A new connection learns that the database is in WAL mode on its first
    // read; until then a checkpoint does nothing.
    if (sqlite3_exec(c->db_, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) != SQLITE_OK) return nullptr;
    c->thread_ = std::thread([p = c.get()] { p->Loop(); });
    return c;
  }
  ~Checkpointer() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    sqlite3_close_v2(db_);
  }
  // The WAL hook: called after each commit with the WAL's size in pages.
  static int OnCommit(void* self, sqlite3* db, const char* name, int pages) {
    auto* c = static_cast<Checkpointer*>(self);
    if (pages >= kSyncPages) {
      // The WAL is only started over by a transaction that begins after a
      // complete checkpoint; under steady load the writer always begins
      // while the background one still runs. Here, as SQLite itself would,
      // the writer finishes the checkpoint (most pages are already copied,
      // so this is little more than one fsync), which bounds the WAL. A
      // background checkpoint in progress would make this one return BUSY
      // at once, so it waits for that to end and holds the next off.
      {
        std::unique_lock<std::mutex> l(c->mu_);
        c->cv_.wait(l, [&] { return !c->running_; });
        c->writer_ = true;
      }
      sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      {
        std::lock_guard<std::mutex> l(c->mu_);
        c->writer_ = false;
        c->requested_at_ = 0;
      }
      c->cv_.notify_all();
    } else if (pages >= kPages) {
      // Once per kPages new pages (the WAL keeps growing until restarted).
      bool wake = false;
      {
        std::lock_guard<std::mutex> l(c->mu_);
        if (pages < c->requested_at_ || pages - c->requested_at_ >= kPages) {
          c->requested_at_ = pages;
          c->requested_ = wake = true;
        }
      }
      if (wake) c->cv_.notify_all();
    }
    return SQLITE_OK;
  }

 private:
  static constexpr int kPages = 1000;       // SQLite's own default threshold
  static constexpr int kSyncPages = 16000;  // 64 MiB of 4 KiB pages
  Checkpointer() = default;
  void Loop() {
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
      cv_.wait(l, [&] { return stop_ || (requested_ && !writer_); });
      if (stop_) return;
      requested_ = false;
      running_ = true;
      l.unlock();
      sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      l.lock();
      running_ = false;
      cv_.notify_all();  // a writer may be waiting to checkpoint itself
    }
  }
  sqlite3* db_ = nullptr;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false, stop_ = false;
  bool running_ = false;  // the background checkpoint is in progress
  bool writer_ = false;   // the writer is checkpointing (hard limit)
  int requested_at_ = 0;  // WAL pages at the last request
};

}  // namespace shelfguard::queue

#endif  // SHELFGUARD_SRC_QUEUE_SQLITE_CHECKPOINTER_H_
