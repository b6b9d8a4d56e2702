// Engine: the immutable, shareable scanning core (limits + compiled
// signatures). Scan*() may be called concurrently from several threads; each
// call builds its own per-scan state.
#ifndef SHELFGUARD_ENGINE_H_
#define SHELFGUARD_ENGINE_H_

#include <memory>
#include <string>
#include <string_view>

#include "shelfguard/analyzer.h"
#include "shelfguard/facts.h"
#include "shelfguard/limits.h"
#include "shelfguard/status.h"

namespace shelfguard {

// Factories for the per-scan sinks; the signature and filing-number modules
// provide them (src/signatures, analyzers/filing).
class EvidenceSinkFactory {
 public:
  virtual ~EvidenceSinkFactory() = default;
  virtual std::unique_ptr<EvidenceSink> NewSink() const = 0;
  virtual std::string version() const = 0;  // signature database version/hash
};

struct EngineOptions {
  Limits limits;
  std::string signatures_dir;  // empty: the built-in default location
  // Identity only: the manifest and resources of an APK (what `aapt dump
  // badging` reads), the Info.plist and main executable of an IPA. No DEX,
  // native code or asset analysis (SDKs only from manifest components);
  // facts.scope says "manifest" and the assessor runs no rule on such facts.
  bool manifest_only = false;
  // WeChat appid used to decrypt PC-WeChat (V1MMWX) .wxapkg packages; when
  // empty, a "wx" + 16 hex appid in the file or directory name is used.
  std::string wx_appid;
  // Inflate the entries the analyzers will read (DEX files, native
  // libraries) one ahead on a helper thread, so that one package's scan uses
  // a second core (Archive::Prefetch). Reports are the same either way. For
  // callers with cores to spare: `shelfguard scan` of fewer packages than
  // cores, the daemon's scan services. Off by default, so that a scan is one
  // thread unless asked (the benches' one-core figures).
  bool prefetch = false;
};

// A package file read whole and hashed ahead of its scan. Reading and
// hashing need no engine, so a caller can do them while the engine is being
// created (`shelfguard scan` does, for the first package of each worker).
struct ReadAhead {
  std::string path;
  std::string bytes;
  std::string sha256;  // of `bytes`; empty when the file was not read whole
};
// Reads `path` whole and hashes it when ScanFile would read it whole (a
// regular file of at most kArchiveLoadWholeBytes); otherwise keeps only the
// path, and the scan reads the file as ScanFile does, errors included.
ReadAhead ReadPackageAhead(const std::string& path);

class Engine {
 public:
  static Result<std::shared_ptr<const Engine>> Create(const EngineOptions& options);

  // Analyses one package file. Never fails: problems are in facts.errors and
  // facts.analysed is false when nothing could be analysed.
  Facts ScanFile(const std::string& path) const;
  // Same for bytes in memory (daemon submissions); `name` labels the report.
  Facts ScanBytes(const std::string& name, std::string data) const;
  // ScanFile(ahead.path), from what ReadPackageAhead read: the same facts.
  Facts ScanReadAhead(ReadAhead ahead) const;

  const Limits& limits() const { return options_.limits; }
  std::string signatures_version() const;
  const EvidenceSinkFactory* signatures() const { return signatures_.get(); }

 private:
  Engine() = default;
  // `sha256`: the digest of *data when the caller has it already.
  Facts Scan(const std::string& name, const std::string* path, std::string* data,
             const std::string* sha256 = nullptr) const;
  // .wxapkg packages (plain or V1MMWX-encrypted): src/engine/engine.cc.
  Facts ScanWxapkg(const std::string& name, const std::string* path, std::string* data,
                   Facts facts, Budget* budget, EvidenceSink* evidence, TextSink* text) const;
  EngineOptions options_;
  std::unique_ptr<EvidenceSinkFactory> signatures_;
};

// Hex SHA-256 of a file / of bytes (OpenSSL).
Result<std::string> Sha256File(const std::string& path, uint64_t* size);
std::string Sha256Hex(std::string_view data);

}  // namespace shelfguard

#endif  // SHELFGUARD_ENGINE_H_
