// Loading and compiling the SDK signature database (signatures/*.json) into an
// immutable matcher shared by all scans.
#ifndef SHELFGUARD_SRC_SIGNATURES_SIGNATURE_DB_H_
#define SHELFGUARD_SRC_SIGNATURES_SIGNATURE_DB_H_

#include <memory>
#include <string>

#include "shelfguard/engine.h"
#include "shelfguard/status.h"

namespace shelfguard {

// Directory used when none is given: $SHELFGUARD_SIGNATURES, else the
// installed/source-tree signatures/ directory.
std::string DefaultSignaturesDir();

Result<std::unique_ptr<EvidenceSinkFactory>> LoadSignatures(const std::string& dir);

}  // namespace shelfguard

#endif  // SHELFGUARD_SRC_SIGNATURES_SIGNATURE_DB_H_
