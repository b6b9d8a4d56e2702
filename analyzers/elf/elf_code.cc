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
// ARM64, ARM32 and Thumb are decoded directly from the encodings of the
// handful of instruction classes above (Arm ARM, "A64 instruction set
// encoding", "ARM/Thumb instruction set encoding"): an order of magnitude
// faster than a general disassembler with operand details and text on the
// large game-engine libraries, which is where most Android code is. x86-64
// uses Capstone; the Capstone ARM walk is kept as the tests' reference.
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

// ARM32 (A32) and Thumb (T16/T32), decoded directly from the encodings of
// the instructions that form addresses (Arm ARM DDI 0406, "ARM instruction
// set encoding" A5 and "Thumb instruction set encoding" A6): LDR (literal),
// ADR / ADD / SUB with PC or a tracked register, MOVW/MOVT, loads and stores
// off a tracked register, B/BL/BLX (immediate). Every other instruction only
// forgets the registers it writes; BX, POP and LDM including PC forget all.
// Register values follow the Capstone walk this replaced (kept as the
// reference, CodeRefOptions::capstone_arm): a literal-pool load holds the
// loaded word, and "add rX, pc" / "add rX, pc, rX" adds the PC.
class ArmDecoder {
 public:
  ArmDecoder(const ElfFile& elf, RefCollector* rc) : elf_(elf), rc_(rc), be_(elf.big_endian()) {}

  // Returns instructions decoded; stops on the deadline.
  uint64_t Walk(bool thumb, const uint8_t* code, uint64_t size, uint64_t base,
                const Budget* budget, bool* expired) {
    valid_ = 0;
    uint64_t n = 0;
    uint64_t off = 0;
    while (true) {
      if ((n & (kDeadlineCheckEvery - 1)) == 0 && n > 0 && budget != nullptr &&
          budget->Expired()) {
        *expired = true;
        break;
      }
      const uint32_t pc = static_cast<uint32_t>(base + off);
      if (!thumb) {
        if (size - off < 4) break;
        DecodeArm(pc, Read32(code + off));
        off += 4;
      } else {
        if (size - off < 2) break;
        uint32_t hw1 = Read16(code + off);
        if ((hw1 >> 11) >= 0x1d) {  // 0b11101, 0b11110, 0b11111: 32-bit encoding
          if (size - off < 4) break;
          DecodeThumb32(pc, hw1, Read16(code + off + 2));
          off += 4;
        } else {
          DecodeThumb16(pc, hw1);
          off += 2;
        }
      }
      ++n;
    }
    return n;
  }

 private:
  uint32_t Read16(const uint8_t* p) const {
    return be_ ? (uint32_t{p[0]} << 8 | p[1]) : (uint32_t{p[1]} << 8 | p[0]);
  }
  uint32_t Read32(const uint8_t* p) const {
    return be_ ? (uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3])
               : (uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0]);
  }
  static uint32_t Ror(uint32_t v, uint32_t r) {
    r &= 31;
    return r == 0 ? v : (v >> r) | (v << (32 - r));
  }
  static uint32_t Sext(uint32_t v, int bits) {
    return static_cast<uint32_t>(SignExtend(v, bits));
  }

  bool Known(uint32_t r) const { return (valid_ >> r & 1) != 0; }
  void Set(uint32_t r, uint32_t v) {
    val_[r & 15] = v;
    valid_ |= 1u << (r & 15);
  }
  void Kill(uint32_t r) { valid_ &= ~(1u << (r & 15)); }
  // Value of an operand register: PC reads as pcv_.
  bool Value(uint32_t r, uint32_t* v) const {
    if (r == 15) {
      *v = pcv_;
      return true;
    }
    if (!Known(r)) return false;
    *v = val_[r];
    return true;
  }
  void Address(uint32_t pc, uint32_t a) { rc_->Address(pc, a); }

  // Rd = a (+|-) b when both are known, else Rd is forgotten.
  void AddSub(uint32_t pc, uint32_t rd, bool a_ok, uint32_t a, bool b_ok, uint32_t b, bool sub) {
    if (!a_ok || !b_ok) {
      Kill(rd);
      return;
    }
    uint32_t v = sub ? a - b : a + b;
    Address(pc, v);
    Set(rd, v);
  }
  void AddSubReg(uint32_t pc, uint32_t rd, uint32_t rn, bool b_ok, uint32_t b, bool sub) {
    uint32_t a = 0;
    bool a_ok = Value(rn, &a);
    AddSub(pc, rd, a_ok, a, b_ok, b, sub);
  }
  // LDR Rt, [PC, #x]: the pool word's address, and for a word load into a
  // register, the word itself (an absolute pointer, R_ARM_RELATIVE target,
  // or an offset that a later "add rX, pc" turns into an address).
  void Literal(uint32_t pc, uint32_t lit, uint32_t rt, bool word) {
    Address(pc, lit);
    if (word) {
      std::string_view w = elf_.BytesAtAddress(lit, 4);
      if (w.size() == 4) {
        uint32_t v = Read32(reinterpret_cast<const uint8_t*>(w.data()));
        Address(pc, v);
        Set(rt, v);
        return;
      }
    }
    Kill(rt);
  }
  // Load or store at [Rn, #disp] (Rn != PC).
  void Offset(uint32_t pc, uint32_t rn, uint32_t disp, uint32_t rt, bool load) {
    if (Known(rn)) Address(pc, val_[rn] + disp);
    if (load) Kill(rt);
  }
  void LoadMultiple(uint32_t rn, bool writeback, uint32_t list) {
    if ((rn == 13 && writeback) || (list & 0x8000)) {
      valid_ = 0;  // POP / return: a new block
    } else {
      valid_ &= ~list;
    }
  }

  void DecodeArm(uint32_t pc, uint32_t in) {
    pcv_ = pc + 8;
    const uint32_t rn = (in >> 16) & 15, rd = (in >> 12) & 15;
    if ((in >> 28) == 0xf) {
      // Unconditional space: only BLX (immediate) matters; H adds 2.
      if ((in & 0x0e000000) == 0x0a000000) {
        rc_->Branch(pcv_ + (Sext(in & 0xffffff, 24) << 2) + ((in >> 23) & 2));
      }
      return;
    }
    switch ((in >> 25) & 7) {
      case 0:
        if ((in & 0x90) == 0x90) {
          if ((in & 0x60) == 0) {  // multiply, swap, exclusive
            Kill(rn);
            Kill(rd);
            return;
          }
          // Extra load/store: LDRH/STRH/LDRSB/LDRSH/LDRD/STRD.
          const bool load = (in >> 20) & 1;
          const bool dual = !load && (in & 0x40);
          const bool dual_load = dual && !(in & 0x20);
          if (in & (1u << 22)) {  // immediate offset
            uint32_t imm = ((in >> 4) & 0xf0) | (in & 0xf);
            uint32_t disp = !(in >> 24 & 1) ? 0 : ((in >> 23) & 1) ? imm : 0u - imm;
            if (rn == 15) {
              Address(pc, pcv_ + disp);
            } else if (Known(rn)) {
              Address(pc, val_[rn] + disp);
            }
          }
          if (load || dual_load) Kill(rd);
          if (dual_load) Kill(rd + 1);
          return;
        }
        if ((in & 0x01900000) == 0x01000000) {  // miscellaneous (opcode 10xx, S = 0)
          if ((in & 0x0ffffff0) == 0x012fff10) {  // BX
            valid_ = 0;
            return;
          }
          Kill(rd);
          if ((in & 0x90) == 0x80) Kill(rn);  // SMLAxy etc.: Rd in 19..16
          return;
        }
        DataProcessing(pc, in, false);
        return;
      case 1:
        if ((in & 0x01f00000) == 0x01000000) {  // MOVW
          Set(rd, (in >> 4 & 0xf000) | (in & 0xfff));
          return;
        }
        if ((in & 0x01f00000) == 0x01400000) {  // MOVT
          if (Known(rd)) {
            uint32_t v = (val_[rd] & 0xffff) | ((in >> 4 & 0xf000) | (in & 0xfff)) << 16;
            Address(pc, v);
            Set(rd, v);
          }
          return;
        }
        if ((in & 0x01900000) == 0x01000000) return;  // MSR (immediate), hints
        DataProcessing(pc, in, true);
        return;
      case 2:
      case 3: {
        if ((in & 0x02000010) == 0x02000010) {  // media instructions
          Kill(rd);
          Kill(rn);
          return;
        }
        const bool load = (in >> 20) & 1, byte = (in >> 22) & 1;
        if (!(in & (1u << 25))) {  // immediate offset
          uint32_t imm = in & 0xfff;
          uint32_t disp = !(in >> 24 & 1) ? 0 : ((in >> 23) & 1) ? imm : 0u - imm;
          if (rn == 15) {
            if (load) {
              Literal(pc, pcv_ + disp, rd, !byte);
            } else {
              Address(pc, pcv_ + disp);
            }
            return;
          }
          Offset(pc, rn, disp, rd, load);
          return;
        }
        if (load) Kill(rd);  // register offset: address not known
        return;
      }
      case 4:
        if ((in >> 20) & 1) LoadMultiple(rn, (in >> 21) & 1, in & 0xffff);
        return;
      case 5:  // B / BL
        rc_->Branch(pcv_ + (Sext(in & 0xffffff, 24) << 2));
        return;
      case 6:
        if ((in & 0x0ff00000) == 0x0c500000) {  // MRRC / VMOV to two core registers
          Kill(rd);
          Kill(rn);
        }
        return;
      default:  // 7: coprocessor data / MRC / SVC
        if (!(in & (1u << 24)) && (in & 0x00100010) == 0x00100010) Kill(rd);  // MRC
        return;
    }
  }

  // A32 data processing, register (no register-controlled shift) or
  // immediate operand 2. ADD and SUB form addresses; others write Rd.
  void DataProcessing(uint32_t pc, uint32_t in, bool imm) {
    const uint32_t opc = (in >> 21) & 15, rn = (in >> 16) & 15, rd = (in >> 12) & 15;
    if (opc >= 8 && opc <= 11) return;  // TST, TEQ, CMP, CMN: no result
    if (opc != 2 && opc != 4) {
      Kill(rd);
      return;
    }
    uint32_t b = 0;
    bool b_ok;
    if (imm) {
      b = Ror(in & 0xff, ((in >> 8) & 15) * 2);  // A32 modified immediate
      b_ok = true;
    } else {
      // Only an unshifted register (LSL #0, not register-shifted) is known.
      b_ok = (in & 0xff0) == 0 && Value(in & 15, &b);
    }
    AddSubReg(pc, rd, rn, b_ok, b, opc == 2);
  }

  void DecodeThumb16(uint32_t pc, uint32_t hw) {
    pcv_ = pc + 4;
    const uint32_t apc = pcv_ & ~3u;
    const uint32_t r0 = hw & 7, r3 = (hw >> 3) & 7, r8 = (hw >> 8) & 7;
    switch (hw >> 11) {
      case 0x00: case 0x01: case 0x02:  // LSL, LSR, ASR (immediate)
      case 0x04:                        // MOV (immediate)
        Kill((hw >> 11) == 0x04 ? r8 : r0);
        return;
      case 0x03: {  // ADD/SUB, 3-bit immediate or register
        uint32_t b = (hw >> 6) & 7;
        bool b_ok = (hw & 0x400) ? true : Value(b, &b);
        AddSubReg(pc, r0, r3, b_ok, b, (hw & 0x200) != 0);
        return;
      }
      case 0x05:  // CMP (immediate)
        return;
      case 0x06: case 0x07:  // ADD/SUB Rdn, #imm8
        AddSubReg(pc, r8, r8, true, hw & 0xff, (hw >> 11) == 0x07);
        return;
      case 0x08:
        if ((hw & 0x400) == 0) {  // data processing: all but TST/CMP/CMN write Rdn
          uint32_t op = (hw >> 6) & 15;
          if (op != 8 && op != 10 && op != 11) Kill(r0);
          return;
        }
        switch ((hw >> 8) & 3) {
          case 0: {  // ADD Rdn, Rm (high registers): "add rX, pc"
            uint32_t rdn = (hw >> 4 & 8) | r0, rm = (hw >> 3) & 15, b = 0;
            bool b_ok = Value(rm, &b);
            AddSubReg(pc, rdn, rdn, b_ok, b, false);
            return;
          }
          case 1:  // CMP
            return;
          case 2:  // MOV
            Kill((hw >> 4 & 8) | r0);
            return;
          default:  // BX / BLX (register)
            if (!(hw & 0x80)) valid_ = 0;
            return;
        }
      case 0x09:  // LDR (literal)
        Literal(pc, apc + (hw & 0xff) * 4, r8, true);
        return;
      case 0x0a: case 0x0b:  // load/store, register offset
        if (((hw >> 9) & 7) >= 3) Kill(r0);
        return;
      case 0x0c: case 0x0d:  // STR/LDR Rt, [Rn, #imm5 * 4]
        Offset(pc, r3, ((hw >> 6) & 31) * 4, r0, (hw >> 11) & 1);
        return;
      case 0x0e: case 0x0f:  // STRB/LDRB
        Offset(pc, r3, (hw >> 6) & 31, r0, (hw >> 11) & 1);
        return;
      case 0x10: case 0x11:  // STRH/LDRH
        Offset(pc, r3, ((hw >> 6) & 31) * 2, r0, (hw >> 11) & 1);
        return;
      case 0x13:  // LDR Rt, [SP, #imm]
        Kill(r8);
        return;
      case 0x14: {  // ADR
        uint32_t v = apc + (hw & 0xff) * 4;
        Address(pc, v);
        Set(r8, v);
        return;
      }
      case 0x15:  // ADD Rd, SP, #imm
        Kill(r8);
        return;
      case 0x16: case 0x17:  // miscellaneous
        if ((hw & 0xfe00) == 0xbc00) {
          valid_ = 0;  // POP
        } else if ((hw & 0xff00) == 0xb200 || (hw & 0xff00) == 0xba00) {
          Kill(r0);  // extend, byte-reverse
        }
        return;
      case 0x19:  // LDM
        LoadMultiple(r8, true, hw & 0xff);
        return;
      case 0x1a: case 0x1b:  // B<cond>; cond 1110 is UDF, 1111 SVC
        if (((hw >> 8) & 15) < 14) rc_->Branch(pcv_ + (Sext(hw & 0xff, 8) << 1));
        return;
      case 0x1c:  // B
        rc_->Branch(pcv_ + (Sext(hw & 0x7ff, 11) << 1));
        return;
      default:  // STR [SP], STM
        return;
    }
  }

  static uint32_t ThumbExpandImm(uint32_t imm12) {
    uint32_t imm8 = imm12 & 0xff;
    if ((imm12 >> 10) == 0) {
      switch ((imm12 >> 8) & 3) {
        case 0: return imm8;
        case 1: return imm8 << 16 | imm8;
        case 2: return imm8 << 24 | imm8 << 8;
        default: return imm8 * 0x01010101u;
      }
    }
    return Ror(0x80 | (imm12 & 0x7f), imm12 >> 7);
  }

  void DecodeThumb32(uint32_t pc, uint32_t hw1, uint32_t hw2) {
    pcv_ = pc + 4;
    const uint32_t apc = pcv_ & ~3u;
    const uint32_t rn = hw1 & 15;
    if ((hw1 & 0xf800) == 0xf000) {
      if (hw2 & 0x8000) {  // branches and miscellaneous control
        const uint32_t s = (hw1 >> 10) & 1, j1 = (hw2 >> 13) & 1, j2 = (hw2 >> 11) & 1;
        if (hw2 & 0x5000) {  // B.W (T4), BL, BLX
          uint32_t i1 = !(j1 ^ s), i2 = !(j2 ^ s);
          uint32_t imm = s << 24 | i1 << 23 | i2 << 22 | (hw1 & 0x3ff) << 12 | (hw2 & 0x7ff) << 1;
          uint32_t off = Sext(imm, 25);
          if ((hw2 & 0x5000) == 0x4000) {
            rc_->Branch(apc + (off & ~3u));  // BLX: to ARM, Align(PC, 4)
          } else {
            rc_->Branch(pcv_ + off);
          }
          return;
        }
        if (((hw1 >> 6) & 14) != 14) {  // B<cond>.W (T3)
          uint32_t imm = s << 20 | j2 << 19 | j1 << 18 | (hw1 & 0x3f) << 12 | (hw2 & 0x7ff) << 1;
          rc_->Branch(pcv_ + Sext(imm, 21));
        } else if ((hw1 & 0xffe0) == 0xf3e0) {
          Kill((hw2 >> 8) & 15);  // MRS
        }
        return;
      }
      const uint32_t rd = (hw2 >> 8) & 15;
      const uint32_t imm12 = ((hw1 >> 10) & 1) << 11 | ((hw2 >> 12) & 7) << 8 | (hw2 & 0xff);
      if (!(hw1 & 0x200)) {  // data processing, modified immediate
        const uint32_t op = (hw1 >> 5) & 15;
        if (rd == 15 && (hw1 & 0x10) && (op == 0 || op == 4 || op == 8 || op == 13)) return;
        if (op == 8 || op == 13) {
          AddSubReg(pc, rd, rn, true, ThumbExpandImm(imm12), op == 13);
        } else {
          Kill(rd);
        }
        return;
      }
      // Data processing, plain binary immediate.
      const uint32_t op = (hw1 >> 4) & 31;
      const uint32_t imm16 = (hw1 & 15) << 12 | imm12;
      switch (op) {
        case 0x00:  // ADDW; ADR (T3) when Rn is PC
        case 0x0a:  // SUBW; ADR (T2) when Rn is PC
          if (rn == 15) {
            uint32_t v = op == 0 ? apc + imm12 : apc - imm12;
            Address(pc, v);
            Set(rd, v);
          } else {
            AddSubReg(pc, rd, rn, true, imm12, op == 0x0a);
          }
          return;
        case 0x04:  // MOVW
          Set(rd, imm16);
          return;
        case 0x0c:  // MOVT
          if (Known(rd)) {
            uint32_t v = (val_[rd] & 0xffff) | imm16 << 16;
            Address(pc, v);
            Set(rd, v);
          }
          return;
        default:
          Kill(rd);
          return;
      }
    }
    switch (hw1 >> 9) {
      case 0x74:  // 1110100: load/store multiple, dual, exclusive, table branch
        if (!(hw1 & 0x40)) {
          if (hw1 & 0x10) LoadMultiple(rn, (hw1 >> 5) & 1, hw2);
        } else if (hw1 & 0x10) {
          Kill(hw2 >> 12);
          if (hw1 & 0x120) Kill((hw2 >> 8) & 15);  // LDRD: Rt2
        } else if (!(hw1 & 0x120)) {
          Kill((hw2 >> 8) & 15);  // STREX status register
          Kill(hw2 & 15);
        }
        return;
      case 0x75: {  // 1110101: data processing, shifted register
        const uint32_t op = (hw1 >> 5) & 15, rd = (hw2 >> 8) & 15;
        if (rd == 15 && (hw1 & 0x10) && (op == 0 || op == 4 || op == 8 || op == 13)) return;
        if ((op == 8 || op == 13) && (hw2 & 0x70f0) == 0) {  // no shift
          uint32_t b = 0;
          bool b_ok = Value(hw2 & 15, &b);
          AddSubReg(pc, rd, rn, b_ok, b, op == 13);
        } else {
          Kill(rd);
        }
        return;
      }
      case 0x76: case 0x77:  // coprocessor
        if ((hw1 & 0xff10) == 0xee10 && (hw2 & 0x10)) Kill(hw2 >> 12);  // MRC / VMOV to core
        if ((hw1 & 0xfff0) == 0xec50) {  // MRRC / VMOV to two core registers
          Kill(hw2 >> 12);
          Kill(rn);
        }
        return;
      case 0x7c: {  // 1111100: load/store single
        const bool load = (hw1 >> 4) & 1;
        const uint32_t rt = hw2 >> 12, size = (hw1 >> 5) & 3;
        if (rn == 15) {
          if (!load) return;
          uint32_t imm = hw2 & 0xfff;
          Literal(pc, (hw1 & 0x80) ? apc + imm : apc - imm, rt, size == 2 && !(hw1 & 0x100));
          return;
        }
        if (hw1 & 0x80) {
          Offset(pc, rn, hw2 & 0xfff, rt, load);
        } else if (hw2 & 0x800) {  // 8-bit immediate: P U W
          uint32_t imm = hw2 & 0xff;
          uint32_t disp = !(hw2 & 0x400) ? 0 : (hw2 & 0x200) ? imm : 0u - imm;
          Offset(pc, rn, disp, rt, load);
        } else if (load) {
          Kill(rt);  // register offset
        }
        return;
      }
      case 0x7d:  // 1111101: data processing (register), multiply, divide
        if ((hw1 & 0xff80) == 0xfb80) Kill(hw2 >> 12);  // long multiply: RdLo
        Kill((hw2 >> 8) & 15);
        return;
      default:  // Advanced SIMD, coprocessor
        return;
    }
  }

  const ElfFile& elf_;
  RefCollector* rc_;
  const bool be_;
  uint32_t val_[16] = {};
  uint32_t valid_ = 0;  // bit r: val_[r] holds a known value
  uint32_t pcv_ = 0;    // PC as read by the current instruction
};

// x86-64 (and, as the reference for tests, ARM32 / Thumb) through Capstone
// with operand details.
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
  const bool direct = m == kEmAarch64 || (m == kEmArm && !options.capstone_arm);
  const uint64_t cap = direct ? options.max_code_bytes : options.max_capstone_bytes;
  const bool thumb = (arm_mode & CS_MODE_THUMB) != 0;
  ArmDecoder arm(elf, &rc);
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
    const bool plt = s->name.substr(0, 4) == ".plt";
    rc.set_in_plt(plt);
    if (m == kEmAarch64) {
      out.instructions += WalkArm64(code, n, s->addr, elf.big_endian(), &rc, budget, &expired);
    } else if (m == kEmArm && !options.capstone_arm) {
      out.instructions += arm.Walk(thumb && !plt, code, n, s->addr, budget, &expired);
    } else if (m == kEmArm) {
      out.instructions += WalkCapstone(elf, CS_ARCH_ARM, plt ? CS_MODE_ARM : arm_mode, code, n,
                                       s->addr, &rc, budget, &expired);
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
