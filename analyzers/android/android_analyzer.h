#ifndef SHELFGUARD_ANALYZERS_ANDROID_ANALYZER_H_
#define SHELFGUARD_ANALYZERS_ANDROID_ANALYZER_H_

#include <memory>

#include "shelfguard/analyzer.h"

namespace shelfguard {

std::unique_ptr<Analyzer> NewAndroidManifestAnalyzer();

}  // namespace shelfguard

#endif  // SHELFGUARD_ANALYZERS_ANDROID_ANALYZER_H_
