// Native-code reference finding, shared by the ELF and Mach-O analyzers.
//
// An address "formed" by code is any address an instruction computes
// PC-relatively or loads from a literal pool: ARM64 ADRP (+ADD / +LDR/STR),
// ADR and LDR (literal); ARM32 and Thumb literal-pool loads (the loaded word,
// and word + PC when a later "add rX, pc" makes it position independent),
// ADR / ADD rd, pc, #imm, MOVW/MOVT pairs, and chains of ADD/LDR on such
// registers; x86-64 RIP-relative memory operands (32-bit x86: immediates,
// which are absolute addresses there). Direct calls and branches are
// reported as branch targets.
//
// What a formed address means (a string, a GOT slot, an Objective-C
// selector reference) is the container format's business: the walk reports
// to a RefSink, and the ELF and Mach-O analyzers resolve what it reports.
//
// ARM64, ARM32 and Thumb are decoded directly from the encodings of the
// handful of instruction classes above (Arm ARM, "A64 instruction set
// encoding", "ARM/Thumb instruction set encoding"): an order of magnitude
// faster than a general disassembler with operand details and text, on the
// large game-engine libraries where most mobile native code is. x86 uses
// Capstone. The Capstone ARM/Thumb walk is kept as the reference the direct
// decoder is tested against (WalkOptions::capstone_reference).
#ifndef SHELFGUARD_ANALYZERS_CODE_CODE_REFS_H_
#define SHELFGUARD_ANALYZERS_CODE_CODE_REFS_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "shelfguard/limits.h"

namespace shelfguard::code {

enum class Isa {
  kArm64,   // A64
  kArm32,   // A32
  kThumb,   // T16/T32
  kX86_64,
  kX86,     // 32-bit
};

// Receives what a walk finds. Called once per formed address, so keep it
// cheap: the walk of a 60 MiB game engine forms tens of millions.
class RefSink {
 public:
  virtual ~RefSink() = default;
  // An address formed by the instruction at `pc`.
  virtual void Address(uint64_t pc, uint64_t address) = 0;
  // The target of a direct call or branch.
  virtual void Branch(uint64_t target) {}
  // `n` bytes of the image mapped at virtual `address`, or fewer (empty)
  // when that range is not backed by file bytes. Literal-pool loads read the
  // loaded word through it; a sink that returns nothing only loses the word.
  virtual std::string_view BytesAt(uint64_t address, uint64_t n) const { return {}; }
};

struct WalkOptions {
  // Byte order of data words and of ARM32/Thumb instructions (A64
  // instructions are little-endian regardless).
  bool big_endian = false;
  // Walk ARM32/Thumb with Capstone instead of the direct decoder: an order
  // of magnitude slower; the reference the direct decoder is tested against.
  bool capstone_reference = false;
};

struct WalkResult {
  uint64_t instructions = 0;  // decoded (undecodable bytes are stepped over)
  bool expired = false;       // stopped at the budget's deadline
};

// Walks `code`, mapped at virtual address `base`, reporting to `sink`.
// Register state starts empty for each call. `budget` may be null (no
// deadline); the deadline is checked every 65,536 instructions.
WalkResult FindReferences(Isa isa, std::string_view code, uint64_t base, const Budget* budget,
                          RefSink* sink, const WalkOptions& options = {});

// The low part an AArch64 instruction adds to an ADRP page: the immediate of
// ADD (immediate), or the scaled offset of LDR/STR (unsigned immediate,
// integer and SIMD&FP). nullopt for any other instruction. The ARM64 walk
// uses the same decoding; exposed so tests can check it against Capstone.
std::optional<uint64_t> Arm64PageOffset(uint32_t insn);

}  // namespace shelfguard::code

#endif  // SHELFGUARD_ANALYZERS_CODE_CODE_REFS_H_
