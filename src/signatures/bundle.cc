// Signed signature bundles: pack, verify, install (see bundle.h).
//
// Installation swaps directories with renameat2(RENAME_EXCHANGE): the new set
// is written and fsynced in DIR.new, loaded with the normal loader, then DIR
// and DIR.new trade places in one atomic step, so DIR is at every moment
// either the whole old set or the whole new one (never missing, never
// mixed). The old set, now at DIR.new, is then removed. On a file system
// without RENAME_EXCHANGE two renames are used instead (DIR -> DIR.old,
// DIR.new -> DIR), with a brief window without DIR; if the second rename
// fails the old set is renamed back.
#include "signatures/bundle.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/bounded_file.h"
#include "core/time_text.h"
#include "net/http.h"
#include "net/wire_json.h"
#include "shelfguard/archive.h"
#include "signatures/signature_db.h"

namespace shelfguard {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

constexpr size_t kMaxNameBytes = 128;
// nlohmann's parser is iterative, but values nested thousands deep still
// cost recursion elsewhere; the manifest is three levels deep.
constexpr int kMaxJsonDepth = 8;
constexpr uint64_t kMaxStateFileBytes = 64 * 1024;  // .bundle/http.json

// SHA-256 in lower-case hex (libsodium: the engine's Sha256Hex lives in
// sg_engine, which depends on this module).
std::string DigestHex(std::string_view data) {
  uint8_t digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const uint8_t*>(data.data()), data.size());
  char hex[2 * sizeof digest + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Status Errno(const std::string& what) {
  return Status::IoError(what + ": " + std::strerror(errno));
}

Status FsyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return Errno(path);
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  errno = saved;
  return rc == 0 ? Status::Ok() : Errno("fsync " + path);
}

// Creates `path` (which must not exist), writes `data`, fsyncs.
Status WriteNewFile(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Errno(path);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status st = Errno("write " + path);
      ::close(fd);
      return st;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status st = Errno("fsync " + path);
    ::close(fd);
    return st;
  }
  return ::close(fd) == 0 ? Status::Ok() : Errno("close " + path);
}

// Holds an exclusive flock for the life of the object.
class UpdateLock {
 public:
  ~UpdateLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Acquire(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) return Errno("lock " + path);
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) return Status("busy", "another update of this directory is running");
      return Errno("lock " + path);
    }
    return Status::Ok();
  }

 private:
  int fd_ = -1;
};

Status Prefixed(const Status& st, const std::string& prefix) {
  return Status(st.code(), prefix + st.message());
}

struct HttpState {
  std::string url, etag, last_modified;
};

HttpState ReadHttpState(const std::string& dir) {
  HttpState s;
  auto text =
      ReadFileBounded(dir + "/" + kInstalledStateDir + "/http.json", kMaxStateFileBytes, "signature file");
  if (!text.ok() || !net::JsonDepthWithin(*text, 2)) return s;  // no validators: a full GET
  json j = json::parse(text->begin(), text->end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return s;
  auto str = [&](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  s.url = str("url");
  s.etag = str("etag");
  s.last_modified = str("last_modified");
  return s;
}

}  // namespace

bool IsValidBundleFileName(std::string_view name) {
  if (name.size() < 6 || name.size() > kMaxNameBytes) return false;
  if (name == kBundleManifestName || name == kBundleSignatureName) return false;
  if (name.substr(name.size() - 5) != ".json") return false;
  if (name.find("..") != std::string_view::npos) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

Result<BundleManifest> ParseBundleManifest(std::string_view text, const BundleLimits& limits) {
  if (text.size() > limits.max_manifest_bytes) {
    return Status::OverLimit("manifest.json is over " + std::to_string(limits.max_manifest_bytes) +
                             " bytes");
  }
  if (!net::JsonDepthWithin(text, kMaxJsonDepth)) {
    return Status::Malformed("manifest.json: nested too deeply");
  }
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Malformed("manifest.json: not a JSON object");
  }
  BundleManifest m;
  for (const auto& [key, value] : j.items()) {
    if (key != "format" && key != "version" && key != "created_at" && key != "files") {
      return Status::Malformed("manifest.json: unknown key '" + key + "'");
    }
  }
  auto format = j.find("format");
  if (format == j.end() || !format->is_string() || *format != kBundleFormat) {
    return Status::Unsupported(std::string("manifest.json: format is not ") + kBundleFormat);
  }
  m.format = kBundleFormat;
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_unsigned() || version->get<uint64_t>() == 0) {
    return Status::Malformed("manifest.json: version must be a whole number >= 1");
  }
  m.version = version->get<uint64_t>();
  auto created = j.find("created_at");
  if (created == j.end() || !created->is_string() || created->get<std::string>().size() > 64) {
    return Status::Malformed("manifest.json: created_at must be a date-time string");
  }
  m.created_at = created->get<std::string>();
  auto files = j.find("files");
  if (files == j.end() || !files->is_array() || files->empty()) {
    return Status::Malformed("manifest.json: files must be a non-empty array");
  }
  if (files->size() > limits.max_files) {
    return Status::OverLimit("manifest.json: more than " + std::to_string(limits.max_files) +
                             " files");
  }
  std::set<std::string> names;
  uint64_t total = 0;
  for (const auto& f : *files) {
    if (!f.is_object() || f.size() != 3) {
      return Status::Malformed("manifest.json: each file is {name, sha256, size}");
    }
    auto name = f.find("name");
    auto sha = f.find("sha256");
    auto size = f.find("size");
    if (name == f.end() || !name->is_string() || sha == f.end() || !sha->is_string() ||
        size == f.end() || !size->is_number_unsigned()) {
      return Status::Malformed("manifest.json: each file is {name, sha256, size}");
    }
    BundleFile bf{name->get<std::string>(), sha->get<std::string>(), size->get<uint64_t>()};
    if (!IsValidBundleFileName(bf.name)) {
      return Status::Malformed("manifest.json: file name '" + bf.name.substr(0, kMaxNameBytes) +
                               "' is not a plain signature file name (it would escape the "
                               "directory or is not *.json)");
    }
    if (!names.insert(bf.name).second) {
      return Status::Malformed("manifest.json: file '" + bf.name + "' is listed twice");
    }
    if (bf.sha256.size() != 64 || !IsLowerHex(bf.sha256)) {
      return Status::Malformed("manifest.json: " + bf.name + ": sha256 is not 64 hex digits");
    }
    if (bf.size > limits.max_file_bytes) {
      return Status::OverLimit("manifest.json: " + bf.name + " is over " +
                               std::to_string(limits.max_file_bytes) + " bytes");
    }
    total += bf.size;
    if (total > limits.max_total_bytes) {
      return Status::OverLimit("manifest.json: files add up to over " +
                               std::to_string(limits.max_total_bytes) + " bytes");
    }
    m.files.push_back(std::move(bf));
  }
  return m;
}

std::string BundleManifestJson(const BundleManifest& m) {
  ordered_json j;
  j["format"] = m.format;
  j["version"] = m.version;
  j["created_at"] = m.created_at;
  j["files"] = ordered_json::array();
  for (const auto& f : m.files) {
    ordered_json e;
    e["name"] = f.name;
    e["sha256"] = f.sha256;
    e["size"] = f.size;
    j["files"].push_back(std::move(e));
  }
  return j.dump(2) + "\n";
}

Result<BundleManifest> PackBundle(const std::string& dir, uint64_t version,
                                  const minisign::SecretKey& key, const std::string& out,
                                  std::string created_at) {
  if (version == 0) return Status::Invalid("version must be >= 1");
  // What is packed must be a set the loader accepts: a bundle that installs
  // and then fails to load would only be refused on every client.
  auto db = LoadSignatureDb(dir);
  if (!db.ok()) return Prefixed(db.status(), dir + ": does not load: ");
  BundleLimits limits;
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& de : fs::directory_iterator(dir, ec)) {
    if (de.path().extension() == ".json" && de.is_regular_file(ec)) {
      names.push_back(de.path().filename().string());
    }
  }
  if (ec) return Status::IoError(dir + ": cannot list: " + ec.message());
  std::sort(names.begin(), names.end());
  if (names.size() > limits.max_files) return Status::OverLimit(dir + ": too many files");
  BundleManifest m;
  m.format = kBundleFormat;
  m.version = version;
  m.created_at = created_at.empty() ? UtcNow() : std::move(created_at);
  std::vector<std::string> contents;
  for (const auto& name : names) {
    if (!IsValidBundleFileName(name)) {
      return Status::Invalid(dir + "/" + name + ": name not allowed in a bundle");
    }
    auto data = ReadFileBounded(dir + "/" + name, limits.max_file_bytes, "signature file");
    if (!data.ok()) return data.status();
    m.files.push_back({name, DigestHex(*data), data->size()});
    contents.push_back(std::move(*data));
  }
  std::string manifest = BundleManifestJson(m);
  auto sig = minisign::Sign(key, manifest,
                            "shelfguard signatures version " + std::to_string(version) +
                                " created " + m.created_at);
  if (!sig.ok()) return sig.status();

  const std::string tmp = out + ".tmp";
  ::unlink(tmp.c_str());
  int zerr = 0;
  zip_t* z = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_EXCL, &zerr);
  if (!z) {
    zip_error_t e;
    zip_error_init_with_code(&e, zerr);
    Status st = Status::IoError(tmp + ": " + zip_error_strerror(&e));
    zip_error_fini(&e);
    return st;
  }
  auto add = [&](const std::string& name, const std::string& data) -> bool {
    zip_source_t* src = zip_source_buffer(z, data.data(), data.size(), 0);
    if (!src) return false;
    if (zip_file_add(z, name.c_str(), src, ZIP_FL_ENC_UTF_8) < 0) {
      zip_source_free(src);
      return false;
    }
    return true;
  };
  bool ok = add(kBundleManifestName, manifest) && add(kBundleSignatureName, *sig);
  for (size_t i = 0; ok && i < names.size(); ++i) ok = add(names[i], contents[i]);
  if (!ok || zip_close(z) != 0) {
    Status st = Status::IoError(tmp + ": " + zip_strerror(z));
    zip_discard(z);
    ::unlink(tmp.c_str());
    return st;
  }
  SG_RETURN_IF_ERROR(FsyncPath(tmp, false));
  if (::rename(tmp.c_str(), out.c_str()) != 0) {
    Status st = Errno("rename " + tmp + " -> " + out);
    ::unlink(tmp.c_str());
    return st;
  }
  return m;
}

Result<VerifiedBundle> VerifyBundle(std::string_view zip, const minisign::PublicKey& key,
                                    const BundleLimits& limits) {
  if (zip.size() > limits.max_bundle_bytes) {
    return Status::OverLimit("bundle is over " + std::to_string(limits.max_bundle_bytes) +
                             " bytes");
  }
  Limits archive_limits;
  archive_limits.max_package_bytes = limits.max_bundle_bytes;
  archive_limits.max_entries = limits.max_files + 2;
  archive_limits.max_entry_bytes = std::max(limits.max_file_bytes, limits.max_manifest_bytes);
  archive_limits.max_total_inflated =
      limits.max_total_bytes + limits.max_manifest_bytes + minisign::kMaxSignatureFileBytes;
  archive_limits.max_depth = 0;
  archive_limits.deadline_ms = 60000;
  Budget budget(archive_limits);
  auto archive = Archive::OpenMemory(std::string(zip), "bundle", &budget, 0);
  if (!archive.ok()) {
    return Prefixed(archive.status(), "not a readable zip (truncated or damaged): ");
  }
  Archive& a = **archive;
  // Scanning tolerates what Android installs (a damaged central directory is
  // rebuilt from local headers, prefixed data is skipped); a bundle is written
  // by our packer and has no excuse, so any oddity (a truncated download
  // among them) refuses it.
  if (!a.anomalies().empty()) {
    const Anomaly& an = a.anomalies().front();
    return Status::Malformed("not a well-formed zip: " + an.code + ": " +
                             an.detail.substr(0, 200));
  }
  // Every entry is judged by name before anything is read: only the two
  // manifest names and plain *.json names, each once, no directories.
  for (const auto& e : a.entries()) {
    std::string shown = e.name.substr(0, kMaxNameBytes);
    if (e.duplicate) return Status::Malformed("bundle holds '" + shown + "' twice");
    if (e.directory || e.encrypted) {
      return Status::Malformed("bundle entry '" + shown + "' is a directory or encrypted");
    }
    if (e.name != kBundleManifestName && e.name != kBundleSignatureName &&
        !IsValidBundleFileName(e.name)) {
      return Status::Malformed("bundle entry '" + shown +
                               "' is not a plain signature file name (it would escape the "
                               "directory or is not *.json)");
    }
  }
  if (!a.Find(kBundleSignatureName)) {
    return Status("unsigned", "unsigned bundle: no manifest.json.minisig");
  }
  if (!a.Find(kBundleManifestName)) return Status::Malformed("bundle has no manifest.json");
  VerifiedBundle v;
  auto sig = a.Read(kBundleSignatureName, minisign::kMaxSignatureFileBytes + 1);
  if (!sig.ok()) return Prefixed(sig.status(), "manifest.json.minisig: ");
  auto manifest = a.Read(kBundleManifestName, limits.max_manifest_bytes + 1);
  if (!manifest.ok()) return Prefixed(manifest.status(), "manifest.json: ");
  // The signature is checked before the manifest is even parsed: nothing
  // unsigned is interpreted.
  Status st = minisign::Verify(key, *manifest, *sig, &v.trusted_comment);
  if (!st.ok()) return Prefixed(st, "manifest.json.minisig: ");
  auto m = ParseBundleManifest(*manifest, limits);
  if (!m.ok()) return m.status();
  std::set<std::string> listed;
  for (const auto& f : m->files) listed.insert(f.name);
  for (const auto& e : a.entries()) {
    if (e.name != kBundleManifestName && e.name != kBundleSignatureName && !listed.count(e.name)) {
      return Status("tampered", "extra file '" + e.name + "' is not in the signed manifest");
    }
  }
  for (const auto& f : m->files) {
    if (!a.Find(f.name)) {
      return Status("tampered", "file '" + f.name + "' of the signed manifest is missing");
    }
    auto data = a.Read(f.name, f.size + 1);
    if (!data.ok()) return Prefixed(data.status(), f.name + ": ");
    if (data->size() != f.size) {
      return Status("tampered", f.name + ": " + std::to_string(data->size()) +
                                    (data->size() > f.size ? "+" : "") +
                                    " bytes, the signed manifest says " + std::to_string(f.size));
    }
    if (DigestHex(*data) != f.sha256) {
      return Status("tampered", f.name + ": sha256 does not match the signed manifest");
    }
    v.contents.push_back(std::move(*data));
  }
  v.manifest = std::move(*m);
  v.manifest_json = std::move(*manifest);
  v.signature = std::move(*sig);
  return v;
}

Result<VerifiedBundle> VerifyBundleFile(const std::string& path, const minisign::PublicKey& key,
                                        const BundleLimits& limits) {
  auto data = ReadFileBounded(path, limits.max_bundle_bytes, "signature file");
  if (!data.ok()) return data.status();
  auto v = VerifyBundle(*data, key, limits);
  if (!v.ok()) return Prefixed(v.status(), path + ": ");
  return v;
}

Result<uint64_t> InstalledBundleVersion(const std::string& dir) {
  const std::string path = dir + "/" + kInstalledStateDir + "/" + kBundleManifestName;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (ec) return Status::IoError(path + ": " + ec.message());
    return uint64_t{0};
  }
  BundleLimits limits;
  auto text = ReadFileBounded(path, limits.max_manifest_bytes, "signature file");
  if (!text.ok()) return text.status();
  auto m = ParseBundleManifest(*text, limits);
  if (!m.ok()) return Prefixed(m.status(), path + ": ");
  return m->version;
}

Result<UpdateOutcome> UpdateSignatureBundle(const UpdateOptions& o) {
  std::string dir = o.dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir.empty()) return Status::Invalid("no signature directory given");
  fs::path dir_path(dir);
  const std::string parent =
      dir_path.has_parent_path() ? dir_path.parent_path().string() : std::string(".");
  const std::string base = dir_path.filename().string();
  if (base.empty() || base == "." || base == "..") {
    return Status::Invalid(dir + ": name the signature directory itself");
  }
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) return Status::NotFound(parent + ": no such directory");

  UpdateLock lock;
  SG_RETURN_IF_ERROR(lock.Acquire(parent + "/." + base + ".update-lock"));

  UpdateOutcome out;
  const bool installed = fs::is_directory(dir, ec);
  if (installed) {
    auto v = InstalledBundleVersion(dir);
    if (!v.ok()) return Prefixed(v.status(), "installed set: ");
    out.old_version = *v;
  }
  out.new_version = out.old_version;

  net::HttpOptions http;
  http.connect_timeout_ms = o.connect_timeout_ms;
  http.total_timeout_ms = o.total_timeout_ms;
  http.max_bytes = o.limits.max_bundle_bytes;
  http.ca_file = o.ca_file;
  http.low_speed_seconds = o.low_speed_seconds;
  http.deny_private = o.deny_private;
  http.allow_hosts = o.allow_hosts;
  http.stop = o.stop;
  if (installed) {
    HttpState state = ReadHttpState(dir);
    if (state.url == o.url) {
      http.if_none_match = state.etag;
      http.if_modified_since = state.last_modified;
    }
  }
  auto resp = net::Get(o.url, http);
  if (!resp.ok()) return Prefixed(resp.status(), "download " + o.url + ": ");
  if (resp->status == 304) {
    out.not_modified = true;
    return out;
  }
  if (resp->status != 200) {
    return Status::IoError("download " + o.url + ": HTTP status " + std::to_string(resp->status));
  }
  auto bundle = VerifyBundle(resp->body, o.key, o.limits);
  if (!bundle.ok()) return Prefixed(bundle.status(), "bundle from " + o.url + " refused: ");
  const uint64_t version = bundle->manifest.version;
  if (version <= out.old_version) {
    return Status("rollback", "bundle from " + o.url + " refused: version " +
                                  std::to_string(version) +
                                  " is not newer than the installed version " +
                                  std::to_string(out.old_version));
  }

  // Stage the new set beside the installed one (same file system, so the
  // swap is a rename). A stale DIR.new from an interrupted update is ours:
  // the lock is held.
  const std::string staging = parent + "/" + base + ".new";
  fs::remove_all(staging, ec);
  if (ec) return Status::IoError(staging + ": cannot remove stale staging: " + ec.message());
  auto fail = [&](Status st) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    return st;
  };
  const std::string state_dir = staging + "/" + kInstalledStateDir;
  if (::mkdir(staging.c_str(), 0755) != 0) return fail(Errno("mkdir " + staging));
  if (::mkdir(state_dir.c_str(), 0755) != 0) return fail(Errno("mkdir " + state_dir));
  for (size_t i = 0; i < bundle->manifest.files.size(); ++i) {
    Status st = WriteNewFile(staging + "/" + bundle->manifest.files[i].name, bundle->contents[i]);
    if (!st.ok()) return fail(st);
  }
  json state = {{"url", o.url}};
  if (auto it = resp->headers.find("etag"); it != resp->headers.end()) state["etag"] = it->second;
  if (auto it = resp->headers.find("last-modified"); it != resp->headers.end()) {
    state["last_modified"] = it->second;
  }
  for (const auto& [name, data] :
       std::vector<std::pair<std::string, std::string>>{
           {kBundleManifestName, bundle->manifest_json},
           {kBundleSignatureName, bundle->signature},
           {"http.json", state.dump(2) + "\n"}}) {
    Status st = WriteNewFile(state_dir + "/" + name, data);
    if (!st.ok()) return fail(st);
  }
  for (const std::string& d : {state_dir, staging}) {
    Status st = FsyncPath(d, true);
    if (!st.ok()) return fail(st);
  }
  // The new set must load as the scanner will load it.
  auto db = LoadSignatureDb(staging);
  if (!db.ok()) {
    return fail(Prefixed(db.status(), "bundle from " + o.url + " refused: the new set does not load: "));
  }

  if (!installed) {
    if (::rename(staging.c_str(), dir.c_str()) != 0) return fail(Errno("rename " + staging));
  } else if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) != 0) {
    if (errno != EINVAL && errno != ENOSYS) return fail(Errno("exchange " + staging + " " + dir));
    const std::string old = parent + "/" + base + ".old";
    fs::remove_all(old, ec);
    if (::rename(dir.c_str(), old.c_str()) != 0) return fail(Errno("rename " + dir));
    if (::rename(staging.c_str(), dir.c_str()) != 0) {
      Status st = Errno("rename " + staging);
      if (::rename(old.c_str(), dir.c_str()) != 0) {
        st = Status::IoError(st.message() + "; the old set is at " + old);
      }
      return fail(st);
    }
    fs::remove_all(old, ec);
  }
  // After an exchange the old set is at `staging`.
  fs::remove_all(staging, ec);
  FsyncPath(parent, true).IgnoreError();  // the swap itself is already atomic
  out.updated = true;
  out.new_version = version;
  out.files = bundle->manifest.files.size();
  out.database_version = (*db)->version();
  return out;
}

}  // namespace shelfguard
