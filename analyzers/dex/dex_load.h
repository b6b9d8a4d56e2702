// The little-endian loads the DEX parser and its code walk share
// (dex_parser.cc, dex_code_walk.cc): internal to analyzers/dex.
#ifndef SHELFGUARD_ANALYZERS_DEX_DEX_LOAD_H_
#define SHELFGUARD_ANALYZERS_DEX_DEX_LOAD_H_

#include <bit>
#include <cstdint>
#include <cstring>

namespace shelfguard::dex {

// The little-endian integer at `p`, whose sizeof(T) bytes the caller checked
// are there: one load, where Record's per-byte assembly cost a loop.
template <typename T>
inline T LoadLE(const char* p) {
  T v = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&v, p, sizeof(T));
  } else {
    for (size_t i = 0; i < sizeof(T); ++i) {
      v |= static_cast<T>(static_cast<T>(static_cast<uint8_t>(p[i])) << (8 * i));
    }
  }
  return v;
}

}  // namespace shelfguard::dex

#endif  // SHELFGUARD_ANALYZERS_DEX_DEX_LOAD_H_
