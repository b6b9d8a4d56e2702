// The HarmonyOS package analyzer (.hap / .hsp, and each HAP inside an .app):
// identity and declarations from module.json (stage model) or config.json
// (FA model), permissions classified by harmony_permissions.h, Ark bytecode
// strings and module references, resources.index strings and rawfile texts.
// DEX (FA-model Java HAPs), libs/<abi>/*.so and package paths are left to
// the DEX, ELF and asset analyzers that run after it. docs/harmony.md.
#ifndef SHELFGUARD_ANALYZERS_HAP_HAP_ANALYZER_H_
#define SHELFGUARD_ANALYZERS_HAP_HAP_ANALYZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/analyzer.h"

namespace shelfguard {

std::unique_ptr<Analyzer> NewHapAnalyzer();

// True when the archive holds a HarmonyOS module (module.json / config.json
// next to a HAP layout) or is an .app container (pack.info + *.hap/*.hsp).
bool LooksLikeHap(const Archive& a);
// The inner HAP/HSP entries of an .app container (pack.info at the root and
// no module of its own); empty for a plain HAP.
std::vector<const ArchiveEntry*> HapContainerEntries(const Archive& a);

// Helpers, exposed for tests and the fuzzer.
// "50005017" -> "5.0.5(17)"; small values are plain API levels ("12").
std::string DecodeHarmonyApiVersion(int64_t v);
// The API level of an encoded version (50005017 -> 17, 12 -> 12).
int HarmonyApiLevel(int64_t v);
// Strings of a resources.index (u16-length-prefixed UTF-8 values; both the
// RestoolV2 and the older layout store values that way). Views into `bytes`.
std::vector<std::string_view> ResourceIndexStrings(std::string_view bytes, size_t max);

}  // namespace shelfguard

#endif  // SHELFGUARD_ANALYZERS_HAP_HAP_ANALYZER_H_
