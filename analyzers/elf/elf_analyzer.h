#ifndef SHELFGUARD_ANALYZERS_ELF_ANALYZER_H_
#define SHELFGUARD_ANALYZERS_ELF_ANALYZER_H_

#include <memory>

#include "shelfguard/analyzer.h"

namespace shelfguard {

// `bundle_modules`: the archive is an Android App Bundle, whose libraries
// sit under <module>/lib/<abi>/ (BundleApkPath).
std::unique_ptr<Analyzer> NewElfAnalyzer(bool bundle_modules = false);

}  // namespace shelfguard

#endif  // SHELFGUARD_ANALYZERS_ELF_ANALYZER_H_
