// Reference finding through Capstone with operand details: the production
// walk for x86, and the reference walk for ARM32 / Thumb that the direct
// decoder (arm32.cc) is tested against.
#include <capstone/capstone.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "code/code_internal.h"

namespace shelfguard::code::internal {

WalkResult WalkCapstone(Isa isa, const uint8_t* code, uint64_t size, uint64_t base,
                        bool big_endian, const Budget* budget, RefSink* rc) {
  WalkResult res;
  const bool x86 = isa == Isa::kX86_64 || isa == Isa::kX86;
  const cs_arch arch = x86 ? CS_ARCH_X86 : CS_ARCH_ARM;
  int mode = isa == Isa::kX86_64 ? CS_MODE_64
             : isa == Isa::kX86  ? CS_MODE_32
             : isa == Isa::kThumb ? CS_MODE_THUMB
                                  : CS_MODE_ARM;
  if (!x86 && big_endian) mode |= CS_MODE_BIG_ENDIAN;
  csh h;
  if (cs_open(arch, static_cast<cs_mode>(mode), &h) != CS_ERR_OK) return res;
  cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
  cs_insn* insn = cs_malloc(h);
  const bool thumb = isa == Isa::kThumb;
  const uint64_t skip = x86 ? 1 : (thumb ? 2 : 4);
  uint64_t& n = res.instructions;
  uint32_t val[ARM_REG_ENDING] = {};
  std::vector<bool> valid(ARM_REG_ENDING, false);
  const uint8_t* p = code;
  size_t left = static_cast<size_t>(size);
  uint64_t addr = base;
  while (left > 0) {
    if (DeadlinePassed(n, budget)) {
      res.expired = true;
      break;
    }
    if (!cs_disasm_iter(h, &p, &left, &addr, insn)) {
      // Data in code (literal pools, jump tables): step over it.
      uint64_t s = std::min<uint64_t>(skip, left);
      p += s, left -= s, addr += s;
      continue;
    }
    ++n;
    const uint64_t pc = insn->address;
    if (x86) {
      const cs_x86& x = insn->detail->x86;
      for (uint8_t i = 0; i < x.op_count; ++i) {
        const cs_x86_op& op = x.operands[i];
        if (op.type == X86_OP_MEM && op.mem.base == X86_REG_RIP) {
          rc->Address(pc, pc + insn->size + static_cast<uint64_t>(op.mem.disp));
        } else if (op.type == X86_OP_IMM &&
                   (insn->id == X86_INS_CALL || insn->id == X86_INS_JMP)) {
          rc->Branch(static_cast<uint64_t>(op.imm));
        } else if (op.type == X86_OP_IMM && isa == Isa::kX86) {
          // 32-bit code has no RIP-relative form: addresses are immediates.
          rc->Address(pc, static_cast<uint64_t>(op.imm));
        }
      }
      continue;
    }
    // ARM / Thumb. PC reads as the instruction address + 8 (ARM) or + 4
    // (Thumb); literal loads use that value aligned down to 4.
    const cs_arm& a = insn->detail->arm;
    const uint32_t pcv = static_cast<uint32_t>(pc + (thumb ? 4 : 8));
    auto reg_ok = [&](int r) { return r > 0 && r < ARM_REG_ENDING; };
    unsigned id = insn->id;
    if ((id == ARM_INS_BL || id == ARM_INS_BLX || id == ARM_INS_B) && a.op_count >= 1 &&
        a.operands[0].type == ARM_OP_IMM) {
      rc->Branch(static_cast<uint32_t>(a.operands[0].imm));
      continue;
    }
    if ((id == ARM_INS_LDR || id == ARM_INS_STR || id == ARM_INS_LDRB || id == ARM_INS_LDRH) &&
        a.op_count >= 2 && a.operands[0].type == ARM_OP_REG && a.operands[1].type == ARM_OP_MEM) {
      const arm_op_mem& m = a.operands[1].mem;
      int rt = a.operands[0].reg;
      int32_t disp = m.disp;
      if (a.operands[1].subtracted && disp > 0) disp = -disp;
      if (m.base == ARM_REG_PC && m.index == ARM_REG_INVALID) {
        uint32_t lit = (pcv & ~3u) + static_cast<uint32_t>(disp);
        rc->Address(pc, lit);
        std::string_view w = rc->BytesAt(lit, 4);
        if (id == ARM_INS_LDR && w.size() == 4 && reg_ok(rt)) {
          uint32_t word = 0;
          for (int k = 0; k < 4; ++k) {
            int b = big_endian ? 3 - k : k;
            word |= uint32_t{static_cast<uint8_t>(w[k])} << (8 * b);
          }
          rc->Address(pc, word);  // absolute pointer (R_ARM_RELATIVE target)
          val[rt] = word;
          valid[rt] = true;
          continue;
        }
      } else if (reg_ok(m.base) && valid[m.base] && m.index == ARM_REG_INVALID) {
        rc->Address(pc, val[m.base] + static_cast<uint32_t>(disp));
      }
      if (id != ARM_INS_STR && reg_ok(rt)) valid[rt] = false;
      continue;
    }
    if ((id == ARM_INS_ADD || id == ARM_INS_ADR || id == ARM_INS_SUB) && a.op_count >= 2 &&
        a.operands[0].type == ARM_OP_REG && reg_ok(a.operands[0].reg)) {
      int rd = a.operands[0].reg;
      bool known = true;
      uint32_t sum = 0;
      // "add rd, pc" (Thumb), "add rd, rn, rm", "add rd, rn, #imm", "adr rd, #imm".
      if (id == ARM_INS_ADR) {
        sum = (pcv & ~3u) + static_cast<uint32_t>(a.operands[1].imm);
      } else {
        uint8_t first = a.op_count == 2 ? 0 : 1;  // two operands: rd is also a source
        for (uint8_t i = first; i < a.op_count && known; ++i) {
          const cs_arm_op& op = a.operands[i];
          uint32_t v = 0;
          if (op.type == ARM_OP_IMM) {
            v = static_cast<uint32_t>(op.imm);
            // "add ip, pc, #0, #12": a modified immediate printed as value
            // and rotation (A32 "modified immediate constants"); rotate right.
            if (i + 1 < a.op_count && a.operands[i + 1].type == ARM_OP_IMM) {
              uint32_t rot = static_cast<uint32_t>(a.operands[i + 1].imm) & 31;
              v = rot == 0 ? v : (v >> rot) | (v << (32 - rot));
              ++i;
            }
          } else if (op.type == ARM_OP_REG && op.reg == ARM_REG_PC) {
            v = pcv;
          } else if (op.type == ARM_OP_REG && reg_ok(op.reg) && valid[op.reg] &&
                     op.shift.type == ARM_SFT_INVALID) {
            v = val[op.reg];
          } else {
            known = false;
          }
          sum = (id == ARM_INS_SUB && i > first) ? sum - v : sum + v;
        }
      }
      if (known) {
        rc->Address(pc, sum);
        val[rd] = sum;
        valid[rd] = true;
      } else {
        valid[rd] = false;
      }
      continue;
    }
    if (a.op_count >= 1 && a.operands[0].type == ARM_OP_REG && reg_ok(a.operands[0].reg)) {
      valid[a.operands[0].reg] = false;
    }
    if (id == ARM_INS_POP || id == ARM_INS_BX) std::fill(valid.begin(), valid.end(), false);
  }
  cs_free(insn, 1);
  cs_close(&h);
  return res;
}

}  // namespace shelfguard::code::internal
