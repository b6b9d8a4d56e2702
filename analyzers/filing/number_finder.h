// Displayed-number search: finds 教APP备 / ICP / 公网安备 numbers in the texts
// analyzers expose and records them as facts.displayed_numbers.
#ifndef SHELFGUARD_ANALYZERS_FILING_NUMBER_FINDER_H_
#define SHELFGUARD_ANALYZERS_FILING_NUMBER_FINDER_H_

#include <memory>

#include "shelfguard/analyzer.h"

namespace shelfguard {

std::unique_ptr<TextSink> NewNumberFinder();

}  // namespace shelfguard

#endif  // SHELFGUARD_ANALYZERS_FILING_NUMBER_FINDER_H_
