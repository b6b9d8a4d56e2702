#ifndef SHELFGUARD_ANALYZERS_ELF_ANALYZER_H_
#define SHELFGUARD_ANALYZERS_ELF_ANALYZER_H_

#include <memory>

#include "shelfguard/analyzer.h"

namespace shelfguard {

std::unique_ptr<Analyzer> NewElfAnalyzer();

}  // namespace shelfguard

#endif  // SHELFGUARD_ANALYZERS_ELF_ANALYZER_H_
