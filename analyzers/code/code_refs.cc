#include "code/code_refs.h"

#include "code/code_internal.h"

namespace shelfguard::code {

namespace internal {

// ARM64: ADRP / ADR set a register to an address; ADD (immediate) and
// load/store (unsigned immediate) off such a register form the address they
// compute (ARM ARM C6.2.4 ADD (immediate), C6.2.10 ADRP, C3.3.13 load/store
// register (unsigned immediate)). Any other instruction forgets its Rd.
WalkResult WalkArm64(const uint8_t* code, uint64_t size, uint64_t base, const Budget* budget,
                     RefSink* sink) {
  WalkResult res;
  uint64_t val[32] = {};
  uint32_t valid = 0;  // bit r: val[r] holds an address formed by ADRP/ADR/ADD
  uint64_t& n = res.instructions;
  for (uint64_t off = 0; off + 4 <= size; off += 4, ++n) {
    if (DeadlinePassed(n, budget)) {
      res.expired = true;
      return res;
    }
    // A64 instructions are always little-endian, even on big-endian data.
    uint32_t in = uint32_t{code[off]} | uint32_t{code[off + 1]} << 8 |
                  uint32_t{code[off + 2]} << 16 | uint32_t{code[off + 3]} << 24;
    uint64_t pc = base + off;
    uint32_t rd = in & 31, rn = (in >> 5) & 31;
    if ((in & 0x1f000000) == 0x10000000) {
      // ADR / ADRP: immhi (bits 5..23), immlo (bits 29..30).
      uint64_t imm = ((in >> 5) & 0x7ffff) << 2 | ((in >> 29) & 3);
      uint64_t a;
      if (in & 0x80000000) {
        a = (pc & ~uint64_t{0xfff}) + (static_cast<uint64_t>(SignExtend(imm, 21)) << 12);
      } else {
        a = pc + static_cast<uint64_t>(SignExtend(imm, 21));
        sink->Address(pc, a);
      }
      val[rd] = a;
      valid |= 1u << rd;
      continue;
    }
    const bool add_imm = (in & 0x7f800000) == 0x11000000;
    const bool ldst_imm = (in & 0x3b000000) == 0x39000000;
    if (add_imm || ldst_imm) {
      uint64_t low = *Arm64PageOffset(in);
      if (add_imm) {
        if (valid >> rn & 1) {
          uint64_t a = val[rn] + low;
          sink->Address(pc, a);
          val[rd] = a;
          valid |= 1u << rd;
        } else {
          valid &= ~(1u << rd);
        }
        continue;
      }
      uint32_t opc = (in >> 22) & 3, v = (in >> 26) & 1;
      if (valid >> rn & 1) sink->Address(pc, val[rn] + low);
      if (opc != 0 && !v) valid &= ~(1u << rd);  // a load overwrites Rt
      continue;
    }
    if ((in & 0x3b000000) == 0x18000000) {
      // LDR (literal): PC + imm19 * 4.
      sink->Address(pc, pc + static_cast<uint64_t>(SignExtend((in >> 5) & 0x7ffff, 19) * 4));
      if (!((in >> 26) & 1)) valid &= ~(1u << rd);
      continue;
    }
    if ((in & 0x7c000000) == 0x14000000) {
      // B / BL: PC + imm26 * 4.
      sink->Branch(pc + static_cast<uint64_t>(SignExtend(in & 0x3ffffff, 26) * 4));
      if (!(in & 0x80000000)) valid = 0;  // unconditional B ends a block
      continue;
    }
    if ((in & 0xfffffc1f) == 0xd65f0000) {  // RET
      valid = 0;
      continue;
    }
    // Anything else may write Rd (bits 0..4): forget it.
    valid &= ~(1u << rd);
  }
  return res;
}

}  // namespace internal

std::optional<uint64_t> Arm64PageOffset(uint32_t w) {
  if ((w & 0x7F800000u) == 0x11000000u) {  // ADD (immediate): sf 0 0 100010 sh imm12 Rn Rd
    uint64_t imm = (w >> 10) & 0xfff;
    return (w & (1u << 22)) != 0 ? imm << 12 : imm;
  }
  if ((w & 0x3B000000u) == 0x39000000u) {  // size 111 V 01 opc imm12 Rn Rt
    uint32_t size = w >> 30, opc = (w >> 22) & 3;
    bool simd = (w & (1u << 26)) != 0;
    uint32_t scale = size;
    if (simd && size == 0 && (opc & 2) != 0) scale = 4;  // 128-bit Q register
    return uint64_t{(w >> 10) & 0xfff} << scale;
  }
  return std::nullopt;
}

WalkResult FindReferences(Isa isa, std::string_view code, uint64_t base, const Budget* budget,
                          RefSink* sink, const WalkOptions& options) {
  const auto* p = reinterpret_cast<const uint8_t*>(code.data());
  const uint64_t n = code.size();
  switch (isa) {
    case Isa::kArm64:
      return internal::WalkArm64(p, n, base, budget, sink);
    case Isa::kArm32:
    case Isa::kThumb:
      if (options.capstone_reference) {
        return internal::WalkCapstone(isa, p, n, base, options.big_endian, budget, sink);
      }
      return internal::WalkArm32(isa == Isa::kThumb, p, n, base, options.big_endian, budget,
                                 sink);
    case Isa::kX86_64:
    case Isa::kX86:
      return internal::WalkCapstone(isa, p, n, base, false, budget, sink);
  }
  return {};
}

}  // namespace shelfguard::code
