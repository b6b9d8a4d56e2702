// Pieces the instruction-set walks of the code module share. Internal to
// analyzers/code: the formats use code_refs.h.
#ifndef SHELFGUARD_ANALYZERS_CODE_CODE_INTERNAL_H_
#define SHELFGUARD_ANALYZERS_CODE_CODE_INTERNAL_H_

#include <cstdint>

#include "code/code_refs.h"

namespace shelfguard::code::internal {

inline constexpr uint64_t kDeadlineCheckEvery = 1u << 16;  // instructions between deadline checks

// True when the deadline check is due for the n-th instruction and the
// budget has expired.
inline bool DeadlinePassed(uint64_t n, const Budget* budget) {
  return (n & (kDeadlineCheckEvery - 1)) == 0 && n > 0 && budget != nullptr && budget->Expired();
}

inline int64_t SignExtend(uint64_t v, int bits) {
  uint64_t m = uint64_t{1} << (bits - 1);
  v &= (uint64_t{1} << bits) - 1;
  return static_cast<int64_t>((v ^ m) - m);
}

WalkResult WalkArm64(const uint8_t* code, uint64_t size, uint64_t base, const Budget* budget,
                     RefSink* sink);
// `classify` false decodes every A32 instruction in full instead of sorting
// them by class first: the same results, slower; what tests compare with.
WalkResult WalkArm32(bool thumb, const uint8_t* code, uint64_t size, uint64_t base,
                     bool big_endian, const Budget* budget, RefSink* sink, bool classify = true);
WalkResult WalkCapstone(Isa isa, const uint8_t* code, uint64_t size, uint64_t base,
                        bool big_endian, const Budget* budget, RefSink* sink);

}  // namespace shelfguard::code::internal

#endif  // SHELFGUARD_ANALYZERS_CODE_CODE_INTERNAL_H_
