// The Android App Bundle (.aab) analyzer: each module's protobuf manifest
// (<module>/manifest/AndroidManifest.xml, aapt2's proto XML) and resource
// table (<module>/resources.pb), BundleConfig.pb, the Maven coordinates in
// BUNDLE-METADATA/com.android.tools.build.libraries/dependencies.pb (evidence
// kind maven) and the de-obfuscation map when present (original class names
// as evidence). Identity and permissions are those `bundletool dump manifest`
// shows for the base module; feature modules add permissions and components
// (bundletool merges install-time modules). DEX under <module>/dex/ is left
// to the DEX analyzer. docs/aab.md.
#ifndef SHELFGUARD_ANALYZERS_AAB_AAB_ANALYZER_H_
#define SHELFGUARD_ANALYZERS_AAB_AAB_ANALYZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/analyzer.h"

namespace shelfguard {

std::unique_ptr<Analyzer> NewAabAnalyzer();

// True for a bundle: a base module manifest in proto form.
bool LooksLikeAab(const Archive& a);

// "group:artifact" of every Maven library in a dependencies.pb (a
// length-delimited AppDependencies message); nullopt-like empty result with
// *ok = false when it does not parse.
std::vector<std::string> ParseBundleDependencies(std::string_view bytes, bool* ok);

}  // namespace shelfguard

#endif  // SHELFGUARD_ANALYZERS_AAB_AAB_ANALYZER_H_
