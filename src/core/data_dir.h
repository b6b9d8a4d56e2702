// Where shelfguard's read-only data (the signature database, ...) lives.
#ifndef SHELFGUARD_SRC_CORE_DATA_DIR_H_
#define SHELFGUARD_SRC_CORE_DATA_DIR_H_

#include <string>

namespace shelfguard {

// The data directory, decided at run time so that an installed program never
// depends on the tree it was built from:
//   1. $SHELFGUARD_DATA_DIR when set and not empty (an explicit override);
//   2. <executable's directory>/../share/shelfguard when that directory exists
//      (the install layout: /usr/bin/shelfguard -> /usr/share/shelfguard);
//   3. for a program not in a bin/ or libexec/ directory (one run from its
//      build directory: tests, benches), the source tree it was built from;
//   4. otherwise the install-layout path of 2: an installed program never
//      falls back to the source tree, and the error a caller reports names
//      where the data was expected.
// Items inside it keep the same relative names in both layouts
// ("signatures").
std::string DataDir();

// DataDir()'s decision with its inputs given (tests). env may be null;
// exe_path is the program's resolved path (empty when unknown).
std::string ResolveDataDir(const char* env, const std::string& exe_path, const std::string& source_dir);

}  // namespace shelfguard

#endif  // SHELFGUARD_SRC_CORE_DATA_DIR_H_
