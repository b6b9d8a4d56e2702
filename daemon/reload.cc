// Reload-driven state of the daemon: the active snapshot the scan services
// load (issue 12), the suppressions (issue 15) and background signature
// updates (issue 14). docs/daemon.md, "Reload", "Suppressions" and
// "Signature updates".
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "core/bounded_file.h"
#include "daemon_impl.h"
#include "safe_file.h"
#include "signatures/bundle.h"
#include "signatures/minisign.h"

namespace shelfguard::daemon {

namespace fs = std::filesystem;

namespace {

// Snapshots kept besides the current one: a scan service started a moment
// before a reload may still be reading the previous one.
constexpr size_t kSnapshotsKept = 2;
// Installed update sets kept (the current and the one before).
constexpr size_t kUpdateSetsKept = 2;

Status WriteFile0600(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << data;
    out.flush();
    if (!out) return Status::IoError("cannot write '" + tmp + "'");
  }
  ::chmod(tmp.c_str(), 0600);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IoError("rename '" + tmp + "': " + std::strerror(errno));
  }
  return Status::Ok();
}

// Copies the *.json files of `from` (the signature loader reads only those)
// into the new directory `to`.
Status CopySignatureSet(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return Status::IoError("cannot create '" + to + "': " + ec.message());
  for (auto it = fs::directory_iterator(from, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() != ".json" || !it->is_regular_file()) continue;
    fs::copy_file(it->path(), fs::path(to) / it->path().filename(), fs::copy_options::overwrite_existing, ec);
    if (ec) return Status::IoError("cannot copy '" + it->path().string() + "': " + ec.message());
  }
  if (ec) return Status::IoError("cannot list '" + from + "': " + ec.message());
  return Status::Ok();
}

// Removes the oldest entries of `dir` whose names start with `prefix`,
// keeping `keep` of them besides `current`. Names sort by creation order.
void PruneOld(const std::string& dir, const std::string& prefix, const std::string& current, size_t keep) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string n = it->path().filename().string();
    if (n.rfind(prefix, 0) == 0 && n != current) names.push_back(n);
  }
  // Zero-padded sequence numbers: lexical order is creation order.
  std::sort(names.begin(), names.end());
  while (names.size() > keep) {
    fs::remove_all(fs::path(dir) / names.front(), ec);
    names.erase(names.begin());
  }
}

std::string Padded(uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%012llu", static_cast<unsigned long long>(n));
  return buf;
}

std::string UpdateRoot(const Config& c) { return c.state_dir + "/signatures"; }

}  // namespace

std::string SignaturesDirInUse(const Config& c, uint64_t* bundle_version) {
  *bundle_version = 0;
  if (c.signatures_update_url.empty()) return c.signatures_dir;
  // Each installed version is copied once to its own directory, which is
  // never changed afterwards: a snapshot may point at it while the next
  // update is being installed.
  auto v = InstalledBundleVersion(UpdateRoot(c) + "/current");
  if (!v.ok() || *v == 0) return c.signatures_dir;
  std::string dir = UpdateRoot(c) + "/v" + Padded(*v);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return c.signatures_dir;
  *bundle_version = *v;
  return dir;
}

Result<ActiveSnapshot> WriteActiveSnapshot(const Config& c, const std::string& config_text,
                                           const std::string& name) {
  ActiveSnapshot snap;
  std::string root = c.state_dir + "/active";
  SG_RETURN_IF_ERROR(MakeDir(root, "daemon.state_dir"));
  snap.dir = root + "/" + name;
  std::error_code ec;
  fs::remove_all(snap.dir, ec);
  SG_RETURN_IF_ERROR(MakeDir(snap.dir, "daemon.state_dir"));
  auto fail = [&](Status st) -> Result<ActiveSnapshot> {
    std::error_code ignored;
    fs::remove_all(snap.dir, ignored);
    return st;
  };
  Status st = WriteFile0600(snap.dir + "/config.toml", config_text);
  if (!st.ok()) return fail(st);
  nlohmann::json setup = {{"config", c.config_path}};
  if (!c.suppressions.empty()) {
    // Read once: the daemon checks these bytes and the services load them.
    auto text = ReadFileBounded(c.suppressions, report::kMaxSuppressionFileBytes, "suppressions file");
    if (!text.ok()) return fail(Status(text.status().code(), "scan.suppressions: " + text.status().message()));
    auto sup = report::Suppressions::Parse(*text, c.suppressions);
    if (!sup.ok()) return fail(Status(sup.status().code(), "scan.suppressions: " + sup.status().message()));
    snap.suppressions = std::make_shared<const report::Suppressions>(std::move(sup).value());
    st = WriteFile0600(snap.dir + "/suppressions.toml", *text);
    if (!st.ok()) return fail(st);
    setup["suppressions"] = snap.dir + "/suppressions.toml";
    setup["suppressions_name"] = c.suppressions;
  }
  uint64_t bundle_version = 0;
  std::string sig_dir = SignaturesDirInUse(c, &bundle_version);
  if (!sig_dir.empty()) {
    // The daemon and every service load this copy: an edit of the
    // configured directory after a refused reload reaches no scanner.
    snap.sig_dir = snap.dir + "/signatures";
    st = CopySignatureSet(sig_dir, snap.sig_dir);
    if (!st.ok()) return fail(Status(st.code(), "scan.signatures_dir: " + st.message()));
  }
  snap.sig_from = sig_dir;
  snap.sig_bundle_version = bundle_version;
  setup["signatures_dir"] = snap.sig_dir;
  setup["signatures_from"] = sig_dir;
  st = WriteFile0600(snap.dir + "/setup.json", setup.dump(2) + "\n");
  if (!st.ok()) return fail(st);
  return snap;
}

// Called once the daemon's own Scanner is built from the snapshot: the
// registry the scan services must use is the one the daemon just loaded.
// They open scan.registry itself (so findings and messages name it) and
// check its content version; when the file has changed since, they load
// this copy instead.
Status RecordSnapshotRegistry(const Config& c, const ActiveSnapshot& snap, const std::string& version) {
  if (c.registry.empty()) return Status::Ok();
  auto setup_text = ReadFileBounded(snap.dir + "/setup.json", 1u << 20, "snapshot");
  if (!setup_text.ok()) return setup_text.status();
  nlohmann::json setup = nlohmann::json::parse(*setup_text, nullptr, false);
  if (!setup.is_object()) return Status::Malformed(snap.dir + "/setup.json: not JSON");
  std::string copy = snap.dir + "/registry" + fs::path(c.registry).extension().string();
  std::error_code ec;
  fs::copy_file(c.registry, copy, fs::copy_options::overwrite_existing, ec);
  if (ec) return Status::IoError("scan.registry: cannot copy '" + c.registry + "': " + ec.message());
  ::chmod(copy.c_str(), 0600);
  setup["registry"] = c.registry;
  setup["registry_copy"] = copy;
  setup["registry_version"] = version;
  return WriteFile0600(snap.dir + "/setup.json", setup.dump(2) + "\n");
}

void PruneSnapshots(const Config& c, const std::string& current) {
  PruneOld(c.state_dir + "/active", "g", fs::path(current).filename().string(), kSnapshotsKept);
}

void MarkSuppressedFindings(queue::ScanOutcome* o) {
  if (o->report.find("\"suppression\"") == std::string::npos) return;
  nlohmann::json r = nlohmann::json::parse(o->report, nullptr, false);
  if (!r.is_object() || !r.contains("findings") || !r["findings"].is_array()) return;
  const nlohmann::json& fs = r["findings"];
  // The report lists the findings in the outcome's order (both come from the
  // same Report); a finding whose rule differs is left as it is.
  for (size_t i = 0; i < o->findings.size() && i < fs.size(); ++i) {
    const nlohmann::json& f = fs[i];
    if (!f.is_object() || !f.contains("suppression") || !f["suppression"].is_object()) continue;
    if (f.value("rule", "") != o->findings[i].rule_id) continue;
    const nlohmann::json& s = f["suppression"];
    o->findings[i].suppression = Suppression{s.value("reason", ""), s.value("author", ""), s.value("expires", ""),
                                             s.value("entry", "")};
  }
}

Result<Config> DaemonImpl::ReadConfig(const std::string& path, std::string* text) {
  auto t = ReadFileBounded(path, kMaxConfigBytes, "config file");
  if (!t.ok()) return t.status();
  *text = std::move(t).value();
  return ParseConfig(*text, fs::absolute(path).lexically_normal().string());
}

void DaemonImpl::UpdateLoop() {
  int64_t next_ms = 0;
  while (!stopping_) {
    uint64_t seen = WakeSeq();
    auto c = cfg();
    int64_t now = NowMs();
    if (c->signatures_update_url.empty()) {
      next_ms = 0;  // checked at once when a reload turns updates on
    } else if (now >= next_ms) {
      CheckSignatureUpdate(*c);
      next_ms = NowMs() + c->signatures_update_interval_s * 1000;
      continue;
    }
    int64_t wait = next_ms > now ? std::min<int64_t>(next_ms - now, 1000) : 1000;
    WaitForWake(seen, static_cast<int>(wait));
  }
}

void DaemonImpl::CheckSignatureUpdate(const Config& c) {
  int64_t t0 = NowMs();
  UpdateOptions uo;
  uo.url = c.signatures_update_url;
  uo.dir = UpdateRoot(c) + "/current";
  uo.connect_timeout_ms = static_cast<long>(c.connect_timeout_ms);
  uo.total_timeout_ms = static_cast<long>(c.total_timeout_ms);
  uo.low_speed_seconds = static_cast<long>(c.low_speed_seconds);
  uo.ca_file = c.ca_file;
  uo.deny_private = c.deny_private;
  uo.allow_hosts = c.allow_hosts;
  uo.stop = &stopping_;
  Result<UpdateOutcome> r = UpdateOutcome{};
  Status mk = MakeDir(UpdateRoot(c), "daemon.state_dir");
  auto key = minisign::ReadPublicKeyFile(c.signatures_public_key);
  if (!mk.ok()) {
    r = mk;
  } else if (!key.ok()) {
    r = Status(key.status().code(), "scan.signatures_public_key: " + key.status().message());
  } else {
    uo.key = *key;
    r = UpdateSignatureBundle(uo);
  }
  std::string installed_dir;
  if (r.ok() && r->new_version > 0) {
    // The installed set, copied once to a directory of its own that no
    // later update touches (snapshots point at it).
    installed_dir = UpdateRoot(c) + "/v" + Padded(r->new_version);
    std::error_code ec;
    if (!fs::is_directory(installed_dir, ec)) {
      std::string tmp = installed_dir + ".tmp";
      fs::remove_all(tmp, ec);
      Status st = CopySignatureSet(uo.dir, tmp);
      if (st.ok() && ::rename(tmp.c_str(), installed_dir.c_str()) != 0) {
        st = Status::IoError("rename '" + tmp + "': " + std::strerror(errno));
      }
      if (!st.ok()) r = st;
    }
  }
  if (stopping_) return;  // an aborted transfer is no failure worth reporting
  std::string url = RedactUrl(c.signatures_update_url);
  {
    std::lock_guard<std::mutex> l(stats_mu_);
    SignatureUpdateState& u = sig_update_;
    u.checks++;
    u.last_attempt_ms = t0;
    if (r.ok()) {
      u.last_success_ms = NowMs();
      u.last_result = r->updated ? "updated" : r->not_modified ? "not-modified" : "up-to-date";
      u.installed_version = r->new_version;
      if (r->updated) {
        u.updates++;
        u.last_update_ms = u.last_success_ms;
      }
    } else {
      u.failures++;
      u.last_result = "error";
      // Kept after later successes, with its time: what went wrong last.
      u.last_error = RedactText(r.status().message());
      u.last_error_ms = t0;
    }
  }
  if (!r.ok()) {
    Log(LogLevel::kError, "signatures.update_failed",
        {{"url", url}, {"code", r.status().code()}, {"error", RedactText(r.status().message())}});
    RecordError("signature update: " + r.status().message());
    return;
  }
  if (r->updated) {
    Log(LogLevel::kInfo, "signatures.updated",
        {{"url", url}, {"old_version", r->old_version}, {"new_version", r->new_version}, {"files", r->files},
         {"signatures", r->database_version}});
    PruneOld(UpdateRoot(c), "v", fs::path(installed_dir).filename().string(), kUpdateSetsKept - 1);
  } else if (LogEnabled(LogLevel::kDebug)) {
    Log(LogLevel::kDebug, "signatures.update_checked",
        {{"url", url}, {"version", r->new_version}, {"not_modified", r->not_modified}});
  }
  // Taken like SIGHUP, by the main thread: a new engine is built beside the
  // old one and jobs in flight finish with theirs. Also when nothing was
  // downloaded but the set in use is not the installed one (a reload that
  // failed earlier, a restart after an update).
  uint64_t in_use = scanner()->sig_bundle_version;
  if (r->updated || in_use != r->new_version) {
    reload_requested_.store(true);
    NoteIdle();
  }
}

Status CheckSuppressions(const Config& c) {
  if (c.suppressions.empty()) return Status::Ok();
  auto sup = report::Suppressions::Load(c.suppressions);
  if (!sup.ok()) return Status(sup.status().code(), "scan.suppressions: " + sup.status().message());
  return Status::Ok();
}

}  // namespace shelfguard::daemon
