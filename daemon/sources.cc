#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <string_view>
#include <thread>

#include "daemon_impl.h"
#include "feed.h"
#include "safe_file.h"

namespace shelfguard::daemon {

namespace fs = std::filesystem;

bool IsPackageName(const fs::path& p) {
  std::string ext = p.extension().string();
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  // Every package kind the engine reads: Android (.apk, split sets, bare
  // .dex, bundles), iOS, HarmonyOS (.hap, .hsp, .app) and mini-programs.
  static const char* const kExts[] = {".apk", ".xapk", ".apks", ".dex", ".aab", ".ipa",
                                      ".hap", ".hsp", ".app", ".wxapkg"};
  for (const char* e : kExts) {
    if (ext == e) return true;
  }
  return false;
}

std::string DownloadSuffix(const std::string& platform, const std::string& app_id, const std::string& url) {
  // The engine picks the analyzer by extension: the URL's when it names a
  // package kind (a harmony feed may serve .hap or .app), else the platform's.
  std::string path = url.substr(0, url.find_first_of("?#"));
  fs::path name = fs::path(path).filename();
  std::string ext;
  if (IsPackageName(name)) {
    ext = name.extension().string();
    for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  } else {
    ext = platform == "ios" ? ".ipa" : platform == "harmony" ? ".hap" : platform == "mini-program" ? ".wxapkg" : ".apk";
  }
  // An encrypted mini-program is decrypted with the appid found in its file
  // name: keep a well-formed one (wx + 16 hex digits, nothing else).
  bool wx_appid = app_id.size() == 18 && app_id.rfind("wx", 0) == 0 &&
                  std::all_of(app_id.begin() + 2, app_id.end(), [](unsigned char ch) { return std::isxdigit(ch); });
  return (ext == ".wxapkg" && wx_appid ? "-" + app_id : std::string()) + ext;
}

std::string SafeName(const std::string& in) {
  // Names keep their UTF-8 (a "中文 应用.apk" stays readable in done/);
  // only path separators, control characters and a leading dot are replaced.
  std::string s = fs::path(in).filename().string();
  for (auto& ch : s) {
    auto u = static_cast<unsigned char>(ch);
    if (ch == '/' || ch == '\\' || u < 0x20 || u == 0x7f) ch = '_';
  }
  if (s.empty() || s[0] == '.') s = "pkg" + s;
  if (s.size() > 120) {
    // Cut on a UTF-8 character boundary.
    size_t cut = 120;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
    s.resize(cut);
  }
  return s;
}

// ---------------------------------------------------------------- sources

void DaemonImpl::ReconcileSpool() {
  // Files left in work/ by a crash: finish their move if their job is done,
  // enqueue them if no job knows them.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(SpoolSub("work"), ec)) {
    std::string p = e.path().string();
    auto known = store_->FindJobByPath(p);
    if (!known.ok()) {
      // Unknown is not "no job": the file stays in work/ for the next start.
      Log(LogLevel::kError, "queue.error", {{"path", p}, {"error", known.status().ToString()}});
      continue;
    }
    const std::optional<queue::Job>& job = *known;
    if (!job) {
      queue::JobSpec spec;
      spec.source = "spool";
      spec.path = p;
      spec.name = e.path().filename().string();
      spec.dedup_key = "spool:" + p;
      auto id = store_->Enqueue(spec, NowMs());
      Log(LogLevel::kWarn, "spool.recovered", {{"path", p}, {"job", id.ok() ? *id : 0}});
    } else if (job->state == "done" || job->state == "failed") {
      auto r = store_->GetResult(job->id);
      if (!r.ok()) {
        Log(LogLevel::kError, "queue.error", {{"job", job->id}, {"error", r.status().ToString()}});
        continue;
      }
      FinishFile(*job, *r ? (*r)->verdict : "error");
    }
  }
}

void DaemonImpl::PollSpool(const Config& c, bool take_all) {
  std::error_code ec;
  int64_t now = NowMs();
  std::vector<fs::path> ready;
  for (const auto& e : fs::directory_iterator(SpoolSub("incoming"), ec)) {
    std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.' || e.path().extension() == ".part") continue;
    // lstat: a symbolic link, FIFO, device or directory is never followed or
    // opened (a FIFO would block a reader forever); it is moved aside to
    // quarantine/ once, with a log line. A regular file with other hard links
    // could be someone else's file linked in; also moved aside.
    struct stat st;
    if (::lstat(e.path().c_str(), &st) != 0) continue;
    if (!S_ISREG(st.st_mode) || st.st_nlink > 1) {
      std::string dest = SpoolSub("quarantine") + "/" + std::to_string(now) + "-" +
                         std::to_string(name_counter_.fetch_add(1)) + "-" + SafeName(name);
      bool moved = ::rename(e.path().c_str(), dest.c_str()) == 0;
      // Dated now (never following the link): queue.retain_days counts from here.
      if (moved) ::utimensat(AT_FDCWD, dest.c_str(), nullptr, AT_SYMLINK_NOFOLLOW);
      Log(LogLevel::kWarn, "spool.refused",
          {{"path", e.path().string()},
           {"reason", S_ISLNK(st.st_mode)    ? "symbolic link"
                      : S_ISFIFO(st.st_mode) ? "FIFO"
                      : S_ISDIR(st.st_mode)  ? "directory"
                      : S_ISREG(st.st_mode)  ? "regular file with other hard links"
                                             : "device or socket"},
           {"moved_to", moved ? dest : std::string()}});
      continue;
    }
    int64_t mtime_ms = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
    if (!take_all && now - mtime_ms < c.spool_settle_ms) continue;  // still being written?
    // The settle time is a guess; where the kernel can tell (lease), a file
    // still open for writing is left for a later poll, however old its mtime.
    if (OpenForWriting(e.path().string()) == WriterState::kWriting) {
      Log(LogLevel::kDebug, "spool.writing", {{"path", e.path().string()}});
      continue;
    }
    ready.push_back(e.path());
  }
  std::sort(ready.begin(), ready.end());
  // Moved to work/ and queued in chunks, one transaction each; workers start
  // on the first chunk while the rest are moved. A crash between the move
  // and the commit leaves files in work/ that ReconcileSpool() queues.
  constexpr size_t kChunk = 32;
  for (size_t i = 0; i < ready.size() && !stopping_; i += kChunk) {
    std::vector<queue::JobSpec> specs;
    for (size_t k = i; k < std::min(ready.size(), i + kChunk); ++k) {
      const fs::path& p = ready[k];
      std::string name = p.filename().string();
      std::string work = SpoolSub("work") + "/" + std::to_string(now) + "-" +
                         std::to_string(name_counter_.fetch_add(1)) + "-" + SafeName(name);
      if (::rename(p.c_str(), work.c_str()) != 0) {
        Log(LogLevel::kError, "spool.error", {{"path", p.string()}, {"error", std::strerror(errno)}});
        continue;
      }
      queue::JobSpec spec;
      spec.source = "spool";
      spec.path = work;
      spec.name = name;
      spec.dedup_key = "spool:" + work;
      specs.push_back(std::move(spec));
    }
    if (specs.empty()) continue;
    auto ids = store_->EnqueueAll(specs, now);
    if (!ids.ok()) {
      // The files stay in work/ and are picked up by the next start's reconcile.
      Log(LogLevel::kError, "queue.error", {{"error", ids.status().ToString()}});
      continue;
    }
    if (LogEnabled(LogLevel::kDebug)) {
      for (size_t k = 0; k < specs.size(); ++k) {
        Log(LogLevel::kDebug, "job.queued", {{"job", (*ids)[k]}, {"package", specs[k].name}, {"source", "spool"}});
      }
    }
    Wake();  // workers start on these while the rest are queued
  }
}

Result<bool> DaemonImpl::AlreadyScanned(const Config& c, const Scanner& s, const std::string& sha,
                                        bool failed_jobs) {
  int64_t since = c.rescan_failed_s > 0 ? NowMs() - c.rescan_failed_s * 1000 : INT64_MAX;
  auto has = store_->HasResult(sha, s.sig_version, s.reg_version, since);
  if (!has.ok() || *has || !failed_jobs || c.rescan_failed_s <= 0) return has;
  return store_->FailedSince("sha:" + sha + ":" + s.sig_version + ":" + s.reg_version, since);
}

void DaemonImpl::SweepDir(const Config& c, const DirConfig& d, const Scanner& s) {
  std::error_code ec;
  int64_t queued = 0, seen = 0;
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(d.path, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code ec2;
    if (it->is_regular_file(ec2) && IsPackageName(it->path())) files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    if (stopping_) return;
    ++seen;
    uint64_t size = 0;
    // Not following links nor blocking on a FIFO swapped in after the walk.
    std::string sha = Sha256NoFollow(f, &size);
    if (sha.empty()) continue;
    auto known = AlreadyScanned(c, s, sha, true);
    if (!known.ok()) {
      // The store cannot say whether it was scanned: the sweep stops here
      // (nothing queued twice, nothing taken as new); the next one resumes.
      Log(LogLevel::kError, "sweep.store_error", {{"source", d.name}, {"error", known.status().ToString()}});
      RecordError("sweep of " + d.name + ": " + known.status().ToString());
      break;
    }
    if (*known) {
      skipped_++;  // deduplicated: counted in the --once summary and status
      continue;
    }
    queue::JobSpec spec;
    spec.source = "dir:" + d.name;
    spec.path = f;
    spec.name = fs::relative(f, d.path, ec).string();
    spec.expect_sha256 = sha;
    spec.dedup_key = "sha:" + sha + ":" + s.sig_version + ":" + s.reg_version;
    auto id = store_->Enqueue(spec, NowMs());
    if (id.ok() && *id > 0) {
      ++queued;
      Wake();  // a worker starts on it while the rest are hashed and queued
    }
  }
  Log(LogLevel::kInfo, "sweep.dir", {{"source", d.name}, {"packages", seen}, {"queued", queued}});
}

void DaemonImpl::PollFeed(const Config& c, const FeedConfig& f, const Scanner& s) {
  int64_t now = NowMs();
  if (store_->shared()) {
    // One node of a cluster polls each feed at a time: it holds the feed's
    // poll lease for as long as a poll may take, and no node polls a feed
    // another one polled less than its interval ago.
    auto mine = store_->TryFeedPoll(f.name, now, f.interval_s * 1000, c.total_timeout_ms + 60000);
    if (!mine.ok()) {
      Log(LogLevel::kWarn, "feed.lease_error", {{"source", f.name}, {"error", mine.status().ToString()}});
      return;
    }
    if (!*mine) return;
  }
  auto fail = [&](const std::string& why, long status) {
    feed_errors_++;
    {
      std::lock_guard<std::mutex> l(stats_mu_);
      FeedState& st = feeds_[f.name];
      st.last_poll_ms = now;
      st.poll_errors++;
      st.http_status = status;
      st.last_error = why;
    }
    RecordError("feed " + f.name + ": " + why);
    Log(LogLevel::kError, "feed.error", {{"source", f.name}, {"url", f.url}, {"error", why}});
  };
  net::HttpOptions opts = HttpOpts(c, static_cast<uint64_t>(c.max_feed_bytes));
  if (!f.credentials_file.empty()) {
    // Read at each poll (rotated credentials apply without a reload); the
    // mode was checked at load, and is checked again here.
    std::string why;
    int fd = OpenRegularNoFollow(f.credentials_file, &why);
    struct stat st;
    if (fd < 0 || ::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
      if (fd >= 0) ::close(fd);
      return fail("credentials_file: not a mode 0600 regular file", 0);
    }
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
    ::close(fd);
    std::string cred(buf, n > 0 ? static_cast<size_t>(n) : 0);
    while (!cred.empty() && (cred.back() == '\n' || cred.back() == '\r')) cred.pop_back();
    opts.userpwd = cred;
  }
  std::string cached;
  {
    std::lock_guard<std::mutex> l(stats_mu_);
    FeedState& st = feeds_[f.name];
    if (!st.listing.empty()) {
      opts.if_none_match = st.etag;
      opts.if_modified_since = st.last_modified;
      cached = st.listing;
    }
  }
  auto resp = net::Get(f.url, opts);
  if (!resp.ok()) return fail(resp.status().ToString(), 0);
  bool not_modified = resp->status == 304 && !cached.empty();
  if (resp->status != 200 && !not_modified) {
    return fail("HTTP status " + std::to_string(resp->status), resp->status);
  }
  const std::string& body = not_modified ? cached : resp->body;
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("packages") ||
      !doc["packages"].is_array()) {
    {
      std::lock_guard<std::mutex> l(stats_mu_);
      feeds_[f.name].listing.clear();  // no conditional GET against a bad listing
    }
    return fail("bad feed: not a JSON object with a \"packages\" array", resp->status);
  }
  if (not_modified) {
    Log(LogLevel::kDebug, "feed.not_modified", {{"source", f.name}});
  } else {
    std::lock_guard<std::mutex> l(stats_mu_);
    FeedState& st = feeds_[f.name];
    auto header = [&](const char* h) {
      auto it = resp->headers.find(h);
      return it == resp->headers.end() ? std::string() : it->second;
    };
    st.etag = header("etag");
    st.last_modified = header("last-modified");
    // Kept only when the server gave a validator to ask with.
    st.listing = st.etag.empty() && st.last_modified.empty() ? std::string() : resp->body;
  }
  const json& pkgs = doc["packages"];
  int64_t entry_errors = 0, queued = 0, n = 0;
  std::string last_entry_error;
  for (size_t i = 0; i < pkgs.size(); ++i) {
    if (n >= c.max_feed_packages) {
      ++entry_errors;
      last_entry_error = "more than http.max_feed_packages entries; the rest ignored";
      break;
    }
    ++n;
    const json& e = pkgs[i];
    FeedEntry fe;
    std::string why = ParseFeedEntry(e, f.url, c.limits.max_package_bytes, &fe);
    const std::string &platform = fe.platform, &app_id = fe.app_id, &version = fe.version, &sha = fe.sha256;
    const std::string& url = fe.url;
    uint64_t size = fe.size;
    if (!why.empty()) {
      ++entry_errors;
      last_entry_error = "packages[" + std::to_string(i) + "]: " + why;
      // At most http.log_entry_errors lines per poll; the sweep.feed line
      // carries the total (a feed of 100,000 bad entries is one line more).
      if (entry_errors <= c.feed_log_errors) {
        Log(LogLevel::kWarn, "feed.entry_error", {{"source", f.name}, {"index", i}, {"error", why}});
      }
      continue;
    }
    std::string key = "sha:" + sha + ":" + s.sig_version + ":" + s.reg_version;
    auto known = AlreadyScanned(c, s, sha, false);
    if (known.ok() && *known) {
      skipped_++;
      continue;
    }
    auto failed = known.ok() ? store_->FailedSince(key, now - c.refetch_failed_s * 1000) : known;
    if (!failed.ok()) {
      // The store cannot say: this poll stops (nothing is taken as new); the
      // next poll resumes.
      ++entry_errors;
      last_entry_error = "queue store: " + failed.status().ToString();
      Log(LogLevel::kError, "feed.store_error", {{"source", f.name}, {"error", failed.status().ToString()}});
      break;
    }
    if (*failed) continue;
    queue::JobSpec spec;
    spec.source = "feed:" + f.name;
    spec.url = url;
    spec.expect_sha256 = sha;
    spec.expect_size = size;
    spec.name = app_id + (version.empty() ? "" : "@" + version);
    spec.path = SpoolSub("downloads") + "/" + f.name + "-" + sha + DownloadSuffix(platform, app_id, url);
    spec.meta = Dump(e);
    spec.dedup_key = key;
    auto id = store_->Enqueue(spec, now);
    if (id.ok() && *id > 0) {
      ++queued;
      Log(LogLevel::kDebug, "job.queued", {{"job", *id}, {"package", spec.name}, {"source", spec.source}});
    }
  }
  if (entry_errors > 0) {
    feed_errors_++;
    RecordError("feed " + f.name + ": " + last_entry_error);
  }
  {
    std::lock_guard<std::mutex> l(stats_mu_);
    FeedState& st = feeds_[f.name];
    st.last_poll_ms = now;
    st.last_ok_ms = now;
    st.http_status = resp->status;
    if (not_modified) st.not_modified++;
    st.packages = static_cast<int64_t>(pkgs.size());
    st.enqueued += queued;
    st.entry_errors += entry_errors;
    if (entry_errors > 0) st.last_error = last_entry_error;
  }
  Log(LogLevel::kInfo, "sweep.feed",
      {{"source", f.name}, {"packages", pkgs.size()}, {"queued", queued}, {"entry_errors", entry_errors}});
  if (queued > 0) Wake();
}

// Removes the entries of `dir` (not its subdirectories) last modified before
// `before_ms`; returns how many. unlinkat never follows a link: a symbolic
// link moved to quarantine/ goes, its target stays.
static int64_t RemoveOlderThan(const std::string& dir, int64_t before_ms) {
  int64_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    struct stat st;
    if (::lstat(e.path().c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
    int64_t mtime_ms = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
    if (mtime_ms < before_ms && ::unlinkat(AT_FDCWD, e.path().c_str(), 0) == 0) ++n;
  }
  return n;
}

void DaemonImpl::SchedulerLoop() {
  std::map<std::string, int64_t> due;  // source -> next run (ms)
  int64_t next_spool = 0, next_purge = 0;
  bool first = true;
  while (!stopping_) {
    uint64_t seen = WakeSeq();
    if (reload_sweep_.exchange(false)) due.clear();
    auto c = cfg();
    auto s = scanner();
    int64_t now = NowMs();
    if (!once_ || first) {
      if (c->spool_enabled && now >= next_spool) {
        PollSpool(*c, once_);
        next_spool = now + c->spool_poll_ms;
      }
      for (const auto& d : c->directories) {
        if (stopping_) break;
        std::string key = "dir:" + d.name;
        if (now >= due[key]) {
          SweepDir(*c, d, *s);
          due[key] = NowMs() + d.interval_s * 1000;
        }
      }
      for (const auto& f : c->feeds) {
        if (stopping_) break;
        std::string key = "feed:" + f.name;
        if (now >= due[key]) {
          PollFeed(*c, f, *s);
          due[key] = NowMs() + f.interval_s * 1000;
        }
      }
      if (c->retain_days > 0 && now >= next_purge) {
        // queue.retain_days: finished jobs, results and acknowledged
        // messages do not accumulate without bound.
        next_purge = now + 3600 * 1000;
        int64_t cutoff = now - c->retain_days * 86400 * 1000;
        auto n = store_->Purge(cutoff);
        // The spool's finished files too: done/ and quarantine/ hold only
        // what the daemon moved there itself.
        int64_t files = RemoveOlderThan(SpoolSub("done"), cutoff) + RemoveOlderThan(SpoolSub("quarantine"), cutoff);
        if (!n.ok()) {
          Log(LogLevel::kError, "queue.error", {{"error", n.status().ToString()}});
        } else if (*n > 0 || files > 0) {
          Log(LogLevel::kInfo, "queue.purged", {{"jobs", *n}, {"files", files}, {"retain_days", c->retain_days}});
        }
      }
      if (first) {
        first = false;
        once_swept_.store(true);
        NoteIdle();
      }
    }
    WaitForWake(seen, 100);
  }
}

}  // namespace shelfguard::daemon
