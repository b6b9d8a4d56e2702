// Reading a small file whole (a config, a key, a list, a signed manifest)
// when nothing about it can be trusted: not its size, not its type.
#ifndef SHELFGUARD_SRC_CORE_BOUNDED_FILE_H_
#define SHELFGUARD_SRC_CORE_BOUNDED_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "shelfguard/status.h"

namespace shelfguard {

// Reads `path` whole when it is a regular file of at most `max` bytes.
// The file is opened without blocking (a FIFO or a device named as a config
// would otherwise hang or stream forever) and checked with fstat on that
// descriptor before any read; at most max + 1 bytes are ever allocated, so a
// file that grows while it is read is refused too. Errors name `what` and
// the path: not-found (it does not exist), invalid-argument (not a regular
// file), over-limit (larger than `max`), io-error (anything else).
Result<std::string> ReadFileBounded(const std::string& path, uint64_t max, std::string_view what);

}  // namespace shelfguard

#endif  // SHELFGUARD_SRC_CORE_BOUNDED_FILE_H_
