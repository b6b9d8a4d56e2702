// Code references in native libraries: which read-only strings and which
// imported symbols the code of a library actually uses.
//
// An address "formed" by code is any address an instruction computes
// PC-relatively: ARM64 ADRP (+ADD / +LDR/STR), ADR and LDR (literal); ARM32
// and Thumb literal-pool loads (the loaded word, and word + PC when a later
// "add rX, pc" makes it position independent), ADR / ADD rd, pc, #imm, and
// chains of ADD/LDR on such registers; x86-64 RIP-relative memory operands.
// A formed address that falls inside a string marks the string; one that is
// a GOT slot or data word bound to a dynamic symbol by a relocation marks
// that symbol. Calls and branches into .plt mark the symbol whose GOT slot
// the PLT stub loads (found by walking the stubs with the same decoder).
//
// ARM64 is decoded directly from the fixed 32-bit encodings of the handful
// of instruction classes above (Arm ARM, "A64 instruction set encoding"):
// an order of magnitude faster than a general disassembler on the large
// game-engine libraries, and it is where most Android code is. ARM32/Thumb
// (variable-width, many addressing forms) and x86-64 use Capstone.
#include <capstone/capstone.h>

#include <algorithm>
#include <cstring>

#include "elf/elf_parser.h"
#include "shelfguard/byte_reader.h"

namespace shelfguard::elf {

namespace {

constexpr uint64_t kDeadlineCheckEvery = 1u << 16;  // instructions between deadline checks
constexpr uint64_t kStubWindow = 16;                // a PLT stub loads its slot within 16 bytes

struct Range {
  uint64_t addr, size;
  bool Contains(uint64_t a) const { return a >= addr && a - addr < size; }
};

class RefCollector {
 public:
  RefCollector(const ElfFile& elf, CodeRefs* out) : elf_(elf), out_(out) {
    out_->string_referenced.assign(elf.strings().size(), false);
    out_->symbol_referenced.assign(elf.dynamic_symbols().size(), false);
    starts_.reserve(elf.strings().size());
    for (const RoString& s : elf.strings()) starts_.push_back(s.vaddr);
    sorted_ = std::is_sorted(starts_.begin(), starts_.end());
    if (!sorted_) {
      order_.resize(starts_.size());
      for (size_t i = 0; i < order_.size(); ++i) order_[i] = static_cast<uint32_t>(i);
      std::sort(order_.begin(), order_.end(),
                [&](uint32_t a, uint32_t b) { return starts_[a] < starts_[b]; });
      std::vector<uint64_t> s2(starts_.size());
      for (size_t i = 0; i < order_.size(); ++i) s2[i] = starts_[order_[i]];
      starts_.swap(s2);
    }
    for (const Section& s : elf.sections()) {
      if ((s.flags & kShfExecInstr) && s.name.substr(0, 4) == ".plt") plt_.push_back({s.addr, s.size});
      if ((s.flags & kShfAlloc) && s.size > 0) {
        lo_ = std::min(lo_, s.addr);
        hi_ = std::max(hi_, s.addr + s.size);
      }
    }
  }

  bool InPlt(uint64_t a) const {
    for (const Range& r : plt_) {
      if (r.Contains(a)) return true;
    }
    return false;
  }

  // An address formed by the instruction at `pc`.
  void Address(uint64_t pc, uint64_t a) {
    if (a < lo_ || a >= hi_) {
      if (elf_.reloc_slots().empty() || elf_.reloc_slots().count(a) == 0) return;
    }
    auto slot = elf_.reloc_slots().find(a);
    if (slot != elf_.reloc_slots().end()) {
      if (in_plt_) {
        plt_refs_.emplace_back(pc, slot->second);
      } else {
        out_->symbol_referenced[slot->second] = true;
      }
      return;
    }
    if (in_plt_ || starts_.empty()) return;
    auto it = std::upper_bound(starts_.begin(), starts_.end(), a);
    if (it == starts_.begin()) return;
    size_t k = static_cast<size_t>(it - starts_.begin()) - 1;
    size_t idx = sorted_ ? k : order_[k];
    const RoString& s = elf_.strings()[idx];
    // A pointer into the middle counts: linkers merge a string with the
    // suffix of a longer one.
    if (a - s.vaddr <= s.text.size()) out_->string_referenced[idx] = true;
  }

  // A direct call or branch target.
  void Branch(uint64_t target) {
    if (!in_plt_ && InPlt(target)) branches_.push_back(target);
  }

  void set_in_plt(bool v) { in_plt_ = v; }

  void Finish() {
    std::sort(plt_refs_.begin(), plt_refs_.end());
    for (uint64_t t : branches_) {
      auto it = std::lower_bound(plt_refs_.begin(), plt_refs_.end(), std::make_pair(t, 0u));
      if (it != plt_refs_.end() && it->first - t < kStubWindow) {
        out_->symbol_referenced[it->second] = true;
      }
    }
  }

 private:
  const ElfFile& elf_;
  CodeRefs* out_;
  std::vector<uint64_t> starts_;
  std::vector<uint32_t> order_;
  bool sorted_ = true;
  std::vector<Range> plt_;
  std::vector<std::pair<uint64_t, uint32_t>> plt_refs_;  // stub insn address -> symbol
  std::vector<uint64_t> branches_;
  bool in_plt_ = false;
  uint64_t lo_ = UINT64_MAX, hi_ = 0;
};

int64_t SignExtend(uint64_t v, int bits) {
  uint64_t m = uint64_t{1} << (bits - 1);
  v &= (uint64_t{1} << bits) - 1;
  return static_cast<int64_t>((v ^ m) - m);
}

// ARM64: returns instructions decoded; stops on the deadline.
uint64_t WalkArm64(const uint8_t* code, uint64_t size, uint64_t base, bool big_endian,
                   RefCollector* rc, const Budget* budget, bool* expired) {
  uint64_t val[32] = {};
  uint32_t valid = 0;  // bit r: val[r] holds an address formed by ADRP/ADR/ADD
  uint64_t n = 0;
  for (uint64_t off = 0; off + 4 <= size; off += 4, ++n) {
    if ((n & (kDeadlineCheckEvery - 1)) == 0 && n > 0 && budget != nullptr && budget->Expired()) {
      *expired = true;
      return n;
    }
    // A64 instructions are always little-endian, even on big-endian data.
    (void)big_endian;
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
        rc->Address(pc, a);
      }
      val[rd] = a;
      valid |= 1u << rd;
      continue;
    }
    if ((in & 0x7f800000) == 0x11000000) {
      // ADD (immediate), 32/64-bit, no flags: imm12 << (sh ? 12 : 0).
      uint64_t imm = uint64_t{(in >> 10) & 0xfff} << ((in >> 22) & 1 ? 12 : 0);
      if (valid >> rn & 1) {
        uint64_t a = val[rn] + imm;
        rc->Address(pc, a);
        val[rd] = a;
        valid |= 1u << rd;
      } else {
        valid &= ~(1u << rd);
      }
      continue;
    }
    if ((in & 0x3b000000) == 0x39000000) {
      // Load/store register (unsigned immediate): scaled imm12 off Rn.
      uint32_t sz = in >> 30, opc = (in >> 22) & 3, v = (in >> 26) & 1;
      uint32_t scale = v && (opc & 2) ? 4 : sz;
      if (valid >> rn & 1) rc->Address(pc, val[rn] + (uint64_t{(in >> 10) & 0xfff} << scale));
      if (opc != 0 && !v) valid &= ~(1u << rd);  // a load overwrites Rt
      continue;
    }
    if ((in & 0x3b000000) == 0x18000000) {
      // LDR (literal): PC + imm19 * 4.
      rc->Address(pc, pc + static_cast<uint64_t>(SignExtend((in >> 5) & 0x7ffff, 19) * 4));
      if (!((in >> 26) & 1)) valid &= ~(1u << rd);
      continue;
    }
    if ((in & 0x7c000000) == 0x14000000) {
      // B / BL: PC + imm26 * 4.
      rc->Branch(pc + static_cast<uint64_t>(SignExtend(in & 0x3ffffff, 26) * 4));
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
  return n;
}

// ARM32 / Thumb and x86-64 through Capstone with operand details.
uint64_t WalkCapstone(const ElfFile& elf, cs_arch arch, cs_mode mode, const uint8_t* code,
                      uint64_t size, uint64_t base, RefCollector* rc, const Budget* budget,
                      bool* expired) {
  csh h;
  if (cs_open(arch, mode, &h) != CS_ERR_OK) return 0;
  cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
  cs_insn* insn = cs_malloc(h);
  const bool thumb = arch == CS_ARCH_ARM && (mode & CS_MODE_THUMB);
  const uint64_t skip = arch == CS_ARCH_X86 ? 1 : (thumb ? 2 : 4);
  uint64_t n = 0;
  uint32_t val[ARM_REG_ENDING] = {};
  std::vector<bool> valid(ARM_REG_ENDING, false);
  const uint8_t* p = code;
  size_t left = static_cast<size_t>(size);
  uint64_t addr = base;
  while (left > 0) {
    if ((n & (kDeadlineCheckEvery - 1)) == 0 && n > 0 && budget != nullptr && budget->Expired()) {
      *expired = true;
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
    if (arch == CS_ARCH_X86) {
      const cs_x86& x = insn->detail->x86;
      for (uint8_t i = 0; i < x.op_count; ++i) {
        const cs_x86_op& op = x.operands[i];
        if (op.type == X86_OP_MEM && op.mem.base == X86_REG_RIP) {
          rc->Address(pc, pc + insn->size + static_cast<uint64_t>(op.mem.disp));
        } else if (op.type == X86_OP_IMM &&
                   (insn->id == X86_INS_CALL || insn->id == X86_INS_JMP)) {
          rc->Branch(static_cast<uint64_t>(op.imm));
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
        std::string_view w = elf.BytesAtAddress(lit, 4);
        if (id == ARM_INS_LDR && w.size() == 4 && reg_ok(rt)) {
          uint32_t word = 0;
          for (int k = 0; k < 4; ++k) {
            int b = elf.big_endian() ? 3 - k : k;
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
  return n;
}

}  // namespace

CodeRefs FindCodeReferences(const ElfFile& elf, const Budget* budget,
                            const CodeRefOptions& options) {
  CodeRefs out;
  const uint16_t m = elf.machine();
  if (m != kEmAarch64 && m != kEmArm && !(m == kEmX86_64 && elf.is64())) {
    out.note = "code references not analysed for " + elf.arch();
    return out;
  }
  if (elf.sections().empty()) {
    out.note = "code references not analysed: no section headers";
    return out;
  }
  out.analysed = true;
  out.complete = true;
  RefCollector rc(elf, &out);

  // ARM or Thumb: the low bit of function symbols says which (ARM ELF ABI);
  // the majority decides for the whole library.
  cs_mode arm_mode = CS_MODE_THUMB;
  if (m == kEmArm) {
    size_t thumb = 0, arm = 0;
    for (const Symbol& s : elf.dynamic_symbols()) {
      if (s.type != 2 /* STT_FUNC */ || s.undefined()) continue;
      (s.value & 1 ? thumb : arm)++;
    }
    if (arm > thumb) arm_mode = CS_MODE_ARM;
  }
  if (elf.big_endian() && m == kEmArm) arm_mode = static_cast<cs_mode>(arm_mode | CS_MODE_BIG_ENDIAN);

  // PLT sections first so stubs are known before calls are resolved (the
  // resolution itself happens in Finish()).
  std::vector<const Section*> exec;
  for (const Section& s : elf.sections()) {
    if ((s.flags & kShfExecInstr) && s.type != 8 /* NOBITS */ && s.size > 0) exec.push_back(&s);
  }
  std::stable_partition(exec.begin(), exec.end(),
                        [](const Section* s) { return s->name.substr(0, 4) == ".plt"; });
  const uint64_t cap = m == kEmAarch64 ? options.max_code_bytes : options.max_capstone_bytes;
  uint64_t walked = 0;
  bool expired = false;
  for (const Section* s : exec) {
    if (!InRange(s->offset, s->size, elf.data().size())) {
      out.complete = false;
      continue;
    }
    uint64_t n = std::min(s->size, cap - walked);
    if (n < s->size) out.complete = false;
    if (n == 0) break;
    const uint8_t* code = reinterpret_cast<const uint8_t*>(elf.data().data()) + s->offset;
    rc.set_in_plt(s->name.substr(0, 4) == ".plt");
    if (m == kEmAarch64) {
      out.instructions += WalkArm64(code, n, s->addr, elf.big_endian(), &rc, budget, &expired);
    } else if (m == kEmArm) {
      out.instructions += WalkCapstone(elf, CS_ARCH_ARM, s->name.substr(0, 4) == ".plt" ? CS_MODE_ARM : arm_mode,
                                       code, n, s->addr, &rc, budget, &expired);
    } else {
      out.instructions +=
          WalkCapstone(elf, CS_ARCH_X86, CS_MODE_64, code, n, s->addr, &rc, budget, &expired);
    }
    walked += n;
    if (expired) {
      out.complete = false;
      out.note = "code walk stopped at the deadline";
      break;
    }
  }
  rc.set_in_plt(false);
  rc.Finish();
  out.bytes_walked = walked;
  if (!out.complete && out.note.empty()) out.note = "code walk cut at the byte limit";
  return out;
}

}  // namespace shelfguard::elf
