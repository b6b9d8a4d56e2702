// ARM32 (A32) and Thumb (T16/T32) reference finding by direct decoding.
#include <string_view>

#include "code/code_internal.h"

namespace shelfguard::code::internal {
namespace {

// What an A32 instruction (condition not 1111) can do, from bits 27..20
// and 7..4 alone: most only overwrite Rd (or Rd and Rn), which
// ArmDecoder::Forget() applies without decoding; the rest may form an
// address, branch or set a register and are decoded in full (DecodeArm):
// always (kDecode), or when their base register Rn is the PC or holds a
// known value (kDecodeIfRn). Per instruction this is one table load and one
// well-predicted branch instead of DecodeArm's chain of data-dependent ones
// (a like table for T16 did not pay: its decode is one switch). Mirrors
// DecodeArm case by case; code_test checks the two agree
// (ClassTableAgreesWithFullDecode).
enum ArmClass : uint8_t { kKillRd = 1, kKillRn = 2, kDecodeIfRn = 4, kDecode = 8 };

constexpr uint8_t DataProcessingClass(uint32_t in) {
  const uint32_t opc = (in >> 21) & 15;
  if (opc >= 8 && opc <= 11) return 0;         // TST, TEQ, CMP, CMN
  if (opc != 2 && opc != 4) return kKillRd;    // other results are not addresses
  return kKillRd | kDecodeIfRn;                // SUB / ADD: an unknown Rn gives an unknown Rd
}

constexpr uint8_t ArmClassOf(uint32_t in) {
  const bool load = (in >> 20) & 1;
  switch ((in >> 25) & 7) {
    case 0:
      if ((in & 0x90) == 0x90) {
        if ((in & 0x60) == 0) return kKillRd | kKillRn;  // multiply, swap, exclusive
        const bool dual_load = !load && (in & 0x40) && !(in & 0x20);
        if (dual_load) return kDecode;  // LDRD also overwrites Rd + 1
        return (load ? kKillRd : 0) | ((in & (1u << 22)) ? kDecodeIfRn : 0);
      }
      if ((in & 0x01900000) == 0x01000000) return kDecode;  // miscellaneous, BX
      return DataProcessingClass(in);
    case 1:
      if ((in & 0x01b00000) == 0x01000000) return kDecode;  // MOVW, MOVT
      if ((in & 0x01900000) == 0x01000000) return 0;        // MSR (immediate), hints
      return DataProcessingClass(in);
    case 2:
    case 3:
      if ((in & 0x02000010) == 0x02000010) return kKillRd | kKillRn;  // media
      if (!(in & (1u << 25))) return (load ? kKillRd : 0) | kDecodeIfRn;  // immediate offset
      return load ? kKillRd : 0;  // register offset
    case 4:
      return load ? kDecode : 0;  // LDM; STM writes no register here
    case 5:
      return kDecode;  // B / BL
    case 6:
      return (in & 0x0ff00000) == 0x0c500000 ? kKillRd | kKillRn : 0;  // MRRC
    default:
      return !(in & (1u << 24)) && (in & 0x00100010) == 0x00100010 ? kKillRd : 0;  // MRC
  }
}

struct ArmClassTable {
  uint8_t c[4096];
  constexpr ArmClassTable() : c() {
    for (uint32_t i = 0; i < 4096; ++i) c[i] = ArmClassOf((i >> 4) << 20 | (i & 15) << 4);
  }
};
constexpr ArmClassTable kArmClasses;

// ARM32 (A32) and Thumb (T16/T32), decoded directly from the encodings of
// the instructions that form addresses (Arm ARM DDI 0406, "ARM instruction
// set encoding" A5 and "Thumb instruction set encoding" A6): LDR (literal),
// ADR / ADD / SUB with PC or a tracked register, MOVW/MOVT, loads and stores
// off a tracked register, B/BL/BLX (immediate). Every other instruction only
// forgets the registers it writes; BX, POP and LDM including PC forget all.
// Register values follow the Capstone walk this replaced (kept as the
// reference, WalkOptions::capstone_reference): a literal-pool load holds the
// loaded word, and "add rX, pc" / "add rX, pc, rX" adds the PC.
class ArmDecoder {
 public:
  ArmDecoder(RefSink* sink, bool big_endian) : sink_(sink), be_(big_endian) {}

  // Stops on the deadline. `classify`: A32 words go through the class
  // table first (below); false decodes every one in full, which the table
  // is tested against.
  WalkResult Walk(bool thumb, const uint8_t* code, uint64_t size, uint64_t base,
                  const Budget* budget, bool classify) {
    WalkResult res;
    valid_ = 0;
    uint64_t& n = res.instructions;
    uint64_t off = 0;
    if (!thumb) {
      for (;; off += 4, ++n) {
        if (DeadlinePassed(n, budget)) {
          res.expired = true;
          break;
        }
        if (size - off < 4) break;
        const uint32_t in = Read32(code + off);
        if (classify && Forget(in)) continue;
        DecodeArm(static_cast<uint32_t>(base + off), in);
      }
      return res;
    }
    while (true) {
      if (DeadlinePassed(n, budget)) {
        res.expired = true;
        break;
      }
      const uint32_t pc = static_cast<uint32_t>(base + off);
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
      ++n;
    }
    return res;
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
  // Applies an A32 instruction that only overwrites registers and returns
  // true; false when it must be decoded (see ArmClass).
  bool Forget(uint32_t in) {
    if ((in >> 28) == 0xf) return false;  // unconditional space: BLX (immediate)
    const uint32_t c = kArmClasses.c[((in >> 16) & 0xff0) | ((in >> 4) & 15)];
    const uint32_t rd = (in >> 12) & 15, rn = (in >> 16) & 15;
    const uint32_t rn_matters = (valid_ | 0x8000u) >> rn & 1;  // PC or a known value
    if ((c & kDecode) || ((c & kDecodeIfRn) && rn_matters)) return false;
    valid_ &= ~((c & kKillRd) << rd | ((c & kKillRn) >> 1) << rn);
    return true;
  }
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
  void Address(uint32_t pc, uint32_t a) { sink_->Address(pc, a); }

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
      std::string_view w = sink_->BytesAt(lit, 4);
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
        sink_->Branch(pcv_ + (Sext(in & 0xffffff, 24) << 2) + ((in >> 23) & 2));
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
        sink_->Branch(pcv_ + (Sext(in & 0xffffff, 24) << 2));
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
        if (((hw >> 8) & 15) < 14) sink_->Branch(pcv_ + (Sext(hw & 0xff, 8) << 1));
        return;
      case 0x1c:  // B
        sink_->Branch(pcv_ + (Sext(hw & 0x7ff, 11) << 1));
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
            sink_->Branch(apc + (off & ~3u));  // BLX: to ARM, Align(PC, 4)
          } else {
            sink_->Branch(pcv_ + off);
          }
          return;
        }
        if (((hw1 >> 6) & 14) != 14) {  // B<cond>.W (T3)
          uint32_t imm = s << 20 | j2 << 19 | j1 << 18 | (hw1 & 0x3f) << 12 | (hw2 & 0x7ff) << 1;
          sink_->Branch(pcv_ + Sext(imm, 21));
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

  RefSink* sink_;
  const bool be_;
  uint32_t val_[16] = {};
  uint32_t valid_ = 0;  // bit r: val_[r] holds a known value
  uint32_t pcv_ = 0;    // PC as read by the current instruction
};

}  // namespace

WalkResult WalkArm32(bool thumb, const uint8_t* code, uint64_t size, uint64_t base,
                     bool big_endian, const Budget* budget, RefSink* sink, bool classify) {
  ArmDecoder decoder(sink, big_endian);
  return decoder.Walk(thumb, code, size, base, budget, classify);
}

}  // namespace shelfguard::code::internal
