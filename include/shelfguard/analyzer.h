// The analyzer interface and the per-scan context analyzers write facts into.
//
// Analyzers turn one format's structures into Facts. Besides the facts they
// set directly, they feed two sinks that run alongside them:
//   * EvidenceSink: whole string tables (DEX class descriptors, native library
//     names, asset paths, ...) matched in one pass against the signature
//     database, producing SDK / packer facts;
//   * TextSink: every text the app may show (resource strings, layouts,
//     assets, code constants, plists), searched for displayed filing numbers.
// Analyzers know nothing of filings or rules.
#ifndef SHELFGUARD_ANALYZER_H_
#define SHELFGUARD_ANALYZER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/archive.h"
#include "shelfguard/facts.h"
#include "shelfguard/limits.h"

namespace shelfguard {

// Kinds of evidence tables; the signature database holds patterns per kind.
enum class EvidenceKind {
  kClass,          // Java class descriptor in dotted form: com.qq.e.ads.AdView
  kNativeLib,      // native library path inside the package: lib/arm64-v8a/libunity.so
  kAsset,          // any package path (assets/, res/, Frameworks/ ...)
  kComponent,      // manifest component class name (activity/service/...)
  kHost,           // host name found in code or config strings
  kString,         // other code string constant (weak evidence)
  kObjcClass,      // Objective-C / Swift class name from a Mach-O
  kFramework,      // iOS framework / dylib name: GDTMobSDK.framework, libWeChatSDK.a
  kSymbol,         // imported/exported native symbol
  kHarmonyModule,  // HarmonyOS module / ohpm package: @ohos/axios, @hms.core.account, @kit.AdsKit
  kMaven,          // Maven coordinates group:artifact (AAB dependencies.pb)
  kMetaData,       // manifest <meta-data android:name>: UMENG_APPKEY, com.baidu.lbsapi.API_KEY
  kCount
};
const char* EvidenceKindName(EvidenceKind k);

class EvidenceSink {
 public:
  virtual ~EvidenceSink() = default;
  // `items` are matched in one pass; `referenced`, when non-null and the same
  // length as `items`, says which items code references. The views need only
  // live for the duration of the call.
  virtual void OnTable(EvidenceKind kind, std::string_view location,
                       const std::vector<std::string_view>& items,
                       const std::vector<bool>* referenced) = 0;
  // Called once after all analyzers ran: resolve raw hits into facts.sdks and
  // facts.packer.
  virtual void Finish(Facts* facts) = 0;
};

class TextSink {
 public:
  virtual ~TextSink() = default;
  // One text as shown (or embedded), with where it was found. Consecutive
  // calls with the same `location` are adjacent strings of one source.
  virtual void OnText(std::string_view location, std::string_view text) = 0;
  virtual void Finish(Facts* facts) = 0;
};

// Android App Bundles keep each module's APK content under the module:
// bundletool builds an APK's assets/, lib/ and res/ from <module>/assets/,
// <module>/lib/ and <module>/res/, and its root files from <module>/root/.
// Returns the path the entry has in that APK ("base/lib/x86/a.so" ->
// "lib/x86/a.so", "base/root/a.txt" -> "a.txt"), or "" for bundle-only
// entries (manifest/, dex/, *.pb, BUNDLE-METADATA/, META-INF/).
inline std::string_view BundleApkPath(std::string_view name) {
  const size_t slash = name.find('/');
  if (slash == std::string_view::npos || slash == 0) return {};
  const std::string_view module = name.substr(0, slash);
  if (module == "BUNDLE-METADATA" || module == "META-INF") return {};
  const std::string_view rest = name.substr(slash + 1);
  for (std::string_view dir : {"assets/", "lib/", "res/"})
    if (rest.substr(0, dir.size()) == dir) return rest;
  if (rest.substr(0, 5) == "root/") return rest.substr(5);
  return {};
}

class ScanContext {
 public:
  ScanContext(Facts* facts, Budget* budget, Archive* archive, EvidenceSink* evidence,
              TextSink* text)
      : facts_(facts), budget_(budget), archive_(archive), evidence_(evidence), text_(text) {}

  Facts& facts() { return *facts_; }
  Budget& budget() { return *budget_; }
  // The package archive, or nullptr when the input is a bare file (e.g. .dex).
  Archive* archive() { return archive_; }
  // The raw bytes when the input is a bare file rather than an archive.
  std::string_view bare_bytes() const { return bare_bytes_; }
  void set_bare_bytes(std::string_view b) { bare_bytes_ = b; }

  void Table(EvidenceKind kind, std::string_view location,
             const std::vector<std::string_view>& items,
             const std::vector<bool>* referenced = nullptr) {
    if (evidence_ != nullptr && !items.empty()) evidence_->OnTable(kind, location, items, referenced);
  }
  void Text(std::string_view location, std::string_view text) {
    if (text_ != nullptr && !text.empty()) text_->OnText(location, text);
  }
  void AddAnomaly(std::string code, std::string location, std::string detail) {
    facts_->anomalies.push_back({std::move(code), std::move(location), std::move(detail)});
  }
  void AddError(std::string code, std::string message) {
    facts_->errors.push_back({std::move(code), std::move(message)});
  }
  void AddError(const Status& st) { AddError(st.code(), st.message()); }

 private:
  Facts* facts_;
  Budget* budget_;
  Archive* archive_;
  EvidenceSink* evidence_;
  TextSink* text_;
  std::string_view bare_bytes_;
};

class Analyzer {
 public:
  virtual ~Analyzer() = default;
  virtual const char* name() const = 0;
  // Best effort: records errors/anomalies in the context and keeps what parsed.
  virtual void Analyze(ScanContext* ctx) = 0;
  // The entries Analyze will read whole from `archive`, in the order it reads
  // them, for the engine to inflate ahead (Archive::Prefetch). A hint: an
  // analyzer may read fewer or others.
  virtual std::vector<const ArchiveEntry*> WillRead(const Archive& archive) const {
    (void)archive;
    return {};
  }
};

// An analyzer of a package archive's entries (nothing to do for a bare
// file), which may be an Android App Bundle's: then each entry is looked at
// by the path it gets in the APK (BundleApkPath), so what is matched against
// APK paths applies unchanged.
class ArchiveAnalyzer : public Analyzer {
 public:
  explicit ArchiveAnalyzer(bool bundle_modules) : bundle_modules_(bundle_modules) {}
  void Analyze(ScanContext* ctx) final {
    if (Archive* archive = ctx->archive()) AnalyzeArchive(ctx, *archive);
  }

 protected:
  virtual void AnalyzeArchive(ScanContext* ctx, Archive& archive) = 0;
  bool bundle_modules() const { return bundle_modules_; }
  // `name`'s path in the APK: BundleApkPath in a bundle ("" for bundle-only
  // entries), `name` itself otherwise.
  std::string_view ApkPath(std::string_view name) const {
    return bundle_modules_ ? BundleApkPath(name) : name;
  }

 private:
  const bool bundle_modules_;
};

// The explicit, ordered list of analyzers for a platform (src/engine/analyzer_list.cc).
std::vector<std::unique_ptr<Analyzer>> MakeAnalyzers(Platform platform);

}  // namespace shelfguard

#endif  // SHELFGUARD_ANALYZER_H_
