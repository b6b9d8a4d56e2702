// Signed signature bundles and their installation ("the freshclam way"):
// docs/signature-format.md, "Signed bundles".
//
// A bundle is a zip holding the signature JSON files, manifest.json
// (format, version, created_at, each file's name, sha256 and size) and
// manifest.json.minisig, a minisign signature of manifest.json. Verifying
// checks the signature against the public key first, then that the zip holds
// exactly the manifest's files with their digests and sizes. Updating
// downloads a bundle (conditional GET), verifies it, refuses a version not
// newer than the installed one, writes and loads the new set beside the
// installed one and swaps the two directories atomically.
#ifndef SHELFGUARD_SRC_SIGNATURES_BUNDLE_H_
#define SHELFGUARD_SRC_SIGNATURES_BUNDLE_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/status.h"
#include "signatures/minisign.h"

namespace shelfguard {

inline constexpr char kBundleFormat[] = "shelfguard-signature-bundle/1";
inline constexpr char kBundleManifestName[] = "manifest.json";
inline constexpr char kBundleSignatureName[] = "manifest.json.minisig";
// The installed set keeps the manifest, its signature and the HTTP
// validators here, where the loader (which reads DIR/*.json only) does not
// look.
inline constexpr char kInstalledStateDir[] = ".bundle";

// Bounds on everything a bundle may hold. A bundle is hostile input until its
// signature and digests are checked, and some checks come after reading.
struct BundleLimits {
  uint64_t max_bundle_bytes = 64ull << 20;    // the zip itself
  uint64_t max_files = 256;                   // signature files listed
  uint64_t max_file_bytes = 16ull << 20;      // one signature file
  uint64_t max_total_bytes = 128ull << 20;    // all files inflated
  uint64_t max_manifest_bytes = 1ull << 20;   // manifest.json
};

struct BundleFile {
  std::string name;    // base name, "ads.json"
  std::string sha256;  // lower-case hex
  uint64_t size = 0;
};

struct BundleManifest {
  std::string format;
  uint64_t version = 0;     // >= 1, increases with every published bundle
  std::string created_at;   // RFC 3339 UTC
  std::vector<BundleFile> files;
};

// A bundle whose signature and every digest were checked.
struct VerifiedBundle {
  BundleManifest manifest;
  std::string manifest_json;  // the signed bytes
  std::string signature;      // manifest.json.minisig
  std::string trusted_comment;
  std::vector<std::string> contents;  // contents[i] is manifest.files[i]
};

// A signature file name a bundle may carry: [A-Za-z0-9][A-Za-z0-9._-]*.json,
// at most 128 bytes, no "..", not the manifest's own names.
bool IsValidBundleFileName(std::string_view name);

// Parses and validates manifest.json (format, version, created_at, files
// with valid unique names, 64-hex digests, sizes within the limits).
Result<BundleManifest> ParseBundleManifest(std::string_view json, const BundleLimits& limits = {});
std::string BundleManifestJson(const BundleManifest& manifest);

// Packs every *.json of `dir` as version `version` signed with `key` into the
// zip `out` (written to out.tmp, then renamed). The set must load with the
// normal loader first. `created_at` empty: now.
Result<BundleManifest> PackBundle(const std::string& dir, uint64_t version,
                                  const minisign::SecretKey& key, const std::string& out,
                                  std::string created_at = "");

// Verifies bundle bytes / a bundle file against `key`.
Result<VerifiedBundle> VerifyBundle(std::string_view zip, const minisign::PublicKey& key,
                                    const BundleLimits& limits = {});
Result<VerifiedBundle> VerifyBundleFile(const std::string& path, const minisign::PublicKey& key,
                                        const BundleLimits& limits = {});

// The version recorded in DIR/.bundle/manifest.json; 0 when DIR holds a set
// that was never installed from a bundle (the shipped one). An unreadable or
// invalid record is an error: a rollback check must not guess.
Result<uint64_t> InstalledBundleVersion(const std::string& dir);

struct UpdateOptions {
  std::string url;
  std::string dir;            // the installed set (also its parent is written)
  minisign::PublicKey key;
  BundleLimits limits;
  long connect_timeout_ms = 10000;
  long total_timeout_ms = 120000;
  long low_speed_seconds = 30;
  std::string ca_file;        // extra CA bundle (tests)
  // The outbound policy of net::HttpOptions (the daemon's http.deny_private
  // and http.allow_hosts) and its stop flag (SIGTERM aborts the transfer).
  bool deny_private = false;
  std::vector<std::string> allow_hosts;
  const std::atomic<bool>* stop = nullptr;
};

struct UpdateOutcome {
  bool updated = false;       // a new set was installed
  bool not_modified = false;  // the server answered 304
  uint64_t old_version = 0;   // 0: none recorded
  uint64_t new_version = 0;   // the installed version afterwards
  size_t files = 0;
  std::string database_version;  // "<n> sdks <hash>" of the installed set afterwards
};

// Downloads, verifies and installs. On any error the installed set is left
// as it was. Concurrent updates of one DIR are refused (a lock file
// beside it).
Result<UpdateOutcome> UpdateSignatureBundle(const UpdateOptions& options);

}  // namespace shelfguard

#endif  // SHELFGUARD_SRC_SIGNATURES_BUNDLE_H_
