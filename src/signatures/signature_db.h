// Loading and compiling the SDK signature database (signatures/*.json) into an
// immutable matcher shared by all scans.
//
// The data format is documented in docs/signature-format.md. In short: every
// *.json file in the directory is {"format": "shelfguard-signatures/1",
// "version": "...", "sdks": [entry...]}; an entry names one SDK (or packer)
// with its id, name, vendor, category, public source and patterns per
// evidence group (classes, components, native_libs, assets, hosts, strings,
// objc_classes, frameworks, symbols), plus the conditions `requires`,
// `not_alone` and `exclude` that keep known false positives out.
//
// Compilation turns every pattern of one evidence kind into one RE2::Set, so a
// table of N items costs N set matches, whatever the number of SDKs. The
// compiled database is immutable and shared by all threads; each scan gets
// its own EvidenceSink (NewSink) that keeps bounded evidence per SDK.
#ifndef SHELFGUARD_SRC_SIGNATURES_SIGNATURE_DB_H_
#define SHELFGUARD_SRC_SIGNATURES_SIGNATURE_DB_H_

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/analyzer.h"
#include "shelfguard/engine.h"
#include "shelfguard/status.h"

namespace shelfguard {

inline constexpr char kSignatureFormat[] = "shelfguard-signatures/1";

// Pattern groups of an entry, as named in the JSON files.
enum class PatternGroup {
  kClasses,      // Java package/class prefixes, dotted ("com.qq.e.")
  kComponents,   // manifest component class prefixes (classes also apply)
  kNativeLibs,   // native library file names, globs ("libcocos2d*.so")
  kAssets,       // package paths, globs; a trailing '/' means "anything under"
  kHosts,        // host names; also match their sub-domains (weak evidence)
  kStrings,      // substrings of code string constants (weak evidence)
  kObjcClasses,  // Objective-C / Swift class-name prefixes
  kFrameworks,   // iOS framework / static library names, globs
  kSymbols,      // native symbol names, globs
  kHarmonyModules,  // HarmonyOS ohpm packages / module names ("@ohos/axios", "@hms.core.ads")
  kMaven,           // Maven coordinates "group:artifact"; a pattern without ':' is a group prefix
  kMetaData,        // manifest <meta-data> names, exact (glob): "UMENG_APPKEY"
  kCount
};
inline constexpr size_t kPatternGroupCount = static_cast<size_t>(PatternGroup::kCount);
const char* PatternGroupName(PatternGroup g);  // JSON key: "classes", "native_libs", ...

// The twelve categories an entry may have.
bool IsKnownCategory(std::string_view category);
const std::vector<std::string>& KnownCategories();

struct SdkSignature {
  std::string id, name, vendor, category, source, description;
  std::string file;  // the JSON file it came from (base name)
  // patterns[g]: the group's patterns as written (a "re:" prefix marks a raw
  // RE2 expression matched against the whole item).
  std::array<std::vector<std::string>, kPatternGroupCount> patterns;
  // Hits matching these are ignored for this SDK.
  std::array<std::vector<std::string>, kPatternGroupCount> exclude;
  // Hits matching these count only when the SDK has some other hit.
  std::array<std::vector<std::string>, kPatternGroupCount> not_alone;
  // When non-empty, the SDK is reported only with a hit in one of these groups.
  std::vector<PatternGroup> requires_any;
  // Packers: what the stub hides (used in facts.packer.not_analysed).
  std::string packer_note;
};

// One problem found while loading/checking: file, entry id (may be empty) and
// what is wrong.
struct SignatureProblem {
  std::string file;
  std::string entry;
  std::string message;
  std::string ToString() const;
};

class SignatureDb;

// Reads and validates every *.json in `dir` (sorted by name). Never stops at
// the first problem: returns all of them (`shelfguard signatures check`).
std::vector<SignatureProblem> CheckSignatureDir(const std::string& dir,
                                                size_t* entry_count = nullptr);
// Parses one file's text; problems are appended. Exposed for tests.
std::vector<SdkSignature> ParseSignatureFile(std::string_view file_name, std::string_view text,
                                             std::vector<SignatureProblem>* problems);

// Loads and compiles `dir`. Fails (naming the file, the entry and the
// problem) when any file has a problem.
Result<std::shared_ptr<const SignatureDb>> LoadSignatureDb(const std::string& dir);
// Compiles entries that are already parsed (tests build databases in memory).
Result<std::shared_ptr<const SignatureDb>> CompileSignatures(std::vector<SdkSignature> entries,
                                                             std::string version);

class SignatureDb {
 public:
  virtual ~SignatureDb() = default;
  virtual const std::vector<SdkSignature>& entries() const = 0;
  // Content hash of the files, plus the entry count: "<n> sdks <hash>".
  virtual const std::string& version() const = 0;
  // A per-scan sink resolving into facts.sdks / facts.packer.
  virtual std::unique_ptr<EvidenceSink> NewSink() const = 0;
};

// Directory used when none is given: $SHELFGUARD_SIGNATURES, else the
// installed/source-tree signatures/ directory.
std::string DefaultSignaturesDir();

// The engine's entry point: LoadSignatureDb + a factory around it.
Result<std::unique_ptr<EvidenceSinkFactory>> LoadSignatures(const std::string& dir);
std::unique_ptr<EvidenceSinkFactory> NewSinkFactory(std::shared_ptr<const SignatureDb> db);

}  // namespace shelfguard

#endif  // SHELFGUARD_SRC_SIGNATURES_SIGNATURE_DB_H_
