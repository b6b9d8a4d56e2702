// The code module's walks on hand-encoded instructions of each ISA, and the
// direct decoders against Capstone. Whole-binary cross-checks run in
// elf_test (ElfCrossTest), elf_corpus_test (DirectArmDecoderAgreesWithCapstone)
// and macho_test.
#include "code/code_refs.h"

#include <capstone/capstone.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "code/code_internal.h"
#include "code/host_names.h"

namespace shelfguard::code {
namespace {

// Records what a walk reports; serves literal-pool words from `data`.
class Recorder : public RefSink {
 public:
  void Address(uint64_t pc, uint64_t a) override { addresses.insert(a); }
  void Branch(uint64_t t) override { branches.insert(t); }
  std::string_view BytesAt(uint64_t a, uint64_t n) const override {
    if (a < data_base || a - data_base > data.size() || data.size() - (a - data_base) < n) return {};
    return std::string_view(data).substr(a - data_base, n);
  }
  std::set<uint64_t> addresses, branches;
  std::string data;
  uint64_t data_base = 0;
};

std::string Words32(std::initializer_list<uint32_t> words) {
  std::string s;
  for (uint32_t w : words) {
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(w >> (8 * i)));
  }
  return s;
}
std::string Halves(std::initializer_list<uint16_t> hws) {
  std::string s;
  for (uint16_t h : hws) {
    s.push_back(static_cast<char>(h));
    s.push_back(static_cast<char>(h >> 8));
  }
  return s;
}

// ADRP Xd, pages: immlo in bits 29..30, immhi in bits 5..23.
uint32_t Adrp(uint32_t rd, uint32_t pages) {
  return 0x90000000u | (pages & 3) << 29 | ((pages >> 2) & 0x7ffff) << 5 | rd;
}

TEST(CodeRefs, Arm64AdrpAddAndLoad) {
  // 0x10000: adrp x0, #0x12000; add x0, x0, #0x345; 0x10008: adrp x1, #0x13000;
  // ldr x2, [x1, #0x10]; mov x1, x3 (forgets x1); ldr x4, [x1, #8]; bl #+0x100.
  std::string code = Words32({Adrp(0, 2),
                              0x91000000 | (0x345u << 10) | (0u << 5) | 0u,
                              Adrp(1, 3),  // from 0x10008: page 0x10000 + 3 pages
                              0xf9400000 | (2u << 10) | (1u << 5) | 2u,
                              0xaa0303e1,  // mov x1, x3
                              0xf9400000 | (1u << 10) | (1u << 5) | 4u,
                              0x94000000 | 0x3au});
  Recorder r;
  WalkResult w = FindReferences(Isa::kArm64, code, 0x10000, nullptr, &r);
  EXPECT_EQ(w.instructions, 7u);
  EXPECT_FALSE(w.expired);
  EXPECT_TRUE(r.addresses.count(0x12345)) << "ADRP + ADD";
  EXPECT_TRUE(r.addresses.count(0x13010)) << "ADRP + LDR (scaled by 8)";
  EXPECT_FALSE(r.addresses.count(0x13008)) << "x1 was overwritten by mov";
  EXPECT_TRUE(r.branches.count(0x10018 + 0x3a * 4));
}

TEST(CodeRefs, ThumbMovwMovtAddPcAndLiteral) {
  // 0x4000: movw r0, #0x1234; movt r0, #0; add r0, pc -> 0x1234 + 0x4008 + 4.
  // 0x400a: ldr r1, [pc, #4] -> word at Align(0x400e, 4) + 4 = 0x4010.
  std::string code = Halves({0xf241, 0x2034,   // movw r0, #0x1234
                             0xf2c0, 0x0000,   // movt r0, #0
                             0x4478,           // add r0, pc
                             0x4901,           // ldr r1, [pc, #4]
                             0xbf00, 0xbf00, 0xbf00, 0xbf00});
  Recorder r;
  r.data = code;
  r.data_base = 0x4000;
  // The pool word at 0x4010 is the next two halfwords: 0xbf00bf00.
  WalkResult w = FindReferences(Isa::kThumb, code, 0x4000, nullptr, &r);
  EXPECT_GE(w.instructions, 4u);
  EXPECT_TRUE(r.addresses.count(0x1234 + 0x4008 + 4)) << "MOVW/MOVT + ADD PC";
  EXPECT_TRUE(r.addresses.count(0x4010)) << "literal pool slot";
  EXPECT_TRUE(r.addresses.count(0xbf00bf00)) << "the loaded word";
  // The Capstone reference (which does not track MOVW/MOVT) agrees on the
  // literal pool.
  Recorder ref;
  ref.data = code;
  ref.data_base = 0x4000;
  WalkOptions o;
  o.capstone_reference = true;
  FindReferences(Isa::kThumb, code, 0x4000, nullptr, &ref, o);
  EXPECT_TRUE(ref.addresses.count(0x4010));
  EXPECT_TRUE(ref.addresses.count(0xbf00bf00));
}

TEST(CodeRefs, Arm32LiteralAndAddPc) {
  // 0x8000: ldr r0, [pc, #4] -> pool at 0x8000 + 8 + 4 = 0x800c holding 0x100;
  // add r0, pc, r0 -> 0x100 + 0x8004 + 8.
  std::string code = Words32({0xe59f0004, 0xe08f0000, 0xe1a00000, 0x00000100});
  Recorder r;
  r.data = code;
  r.data_base = 0x8000;
  FindReferences(Isa::kArm32, code, 0x8000, nullptr, &r);
  EXPECT_TRUE(r.addresses.count(0x800c));
  EXPECT_TRUE(r.addresses.count(0x100 + 0x8004 + 8));
}

TEST(CodeRefs, X86RipRelativeAndCalls) {
  // 0x1000: lea rax, [rip + 0x100] (7 bytes) -> 0x1107; call +0 -> 0x100c.
  std::string code = std::string("\x48\x8d\x05\x00\x01\x00\x00", 7) +
                     std::string("\xe8\x00\x00\x00\x00", 5);
  Recorder r;
  WalkResult w = FindReferences(Isa::kX86_64, code, 0x1000, nullptr, &r);
  EXPECT_EQ(w.instructions, 2u);
  EXPECT_TRUE(r.addresses.count(0x1107));
  EXPECT_TRUE(r.branches.count(0x100c));
  // 32-bit: the absolute address is an immediate (mov eax, 0x2000).
  Recorder r32;
  FindReferences(Isa::kX86, std::string("\xb8\x00\x20\x00\x00", 5), 0x1000, nullptr, &r32);
  EXPECT_TRUE(r32.addresses.count(0x2000));
}

TEST(CodeRefs, TruncatedAndEmptyCodeIsSafe) {
  Recorder r;
  for (Isa isa : {Isa::kArm64, Isa::kArm32, Isa::kThumb, Isa::kX86_64, Isa::kX86}) {
    EXPECT_EQ(FindReferences(isa, "", 0, nullptr, &r).instructions, 0u);
    // A trailing partial instruction is not decoded.
    EXPECT_EQ(FindReferences(isa, std::string("\x0f", 1), 0, nullptr, &r).instructions, 0u);
  }
  EXPECT_TRUE(r.addresses.empty());
}

// The direct AArch64 decoding of the instruction after ADRP against Capstone:
// every ADD (immediate) and load/store (unsigned immediate) word drawn, all
// sizes, shifts, SIMD&FP forms and registers.
TEST(CodeRefs, Arm64PageOffsetAgreesWithCapstone) {
  csh h;
  ASSERT_EQ(cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &h), CS_ERR_OK);
  cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
  cs_insn* insn = cs_malloc(h);
  std::mt19937 rng(20261123);
  int compared = 0, add = 0, ldst = 0;
  for (int k = 0; k < 200000; ++k) {
    uint32_t w = rng();
    w = (k & 1) ? (w & ~0x7F800000u) | 0x11000000u   // ADD (immediate)
                : (w & ~0x3B000000u) | 0x39000000u;  // LDR/STR (unsigned immediate)
    std::optional<uint64_t> ours = Arm64PageOffset(w);
    ASSERT_TRUE(ours.has_value()) << std::hex << w;
    uint8_t bytes[4] = {static_cast<uint8_t>(w), static_cast<uint8_t>(w >> 8),
                        static_cast<uint8_t>(w >> 16), static_cast<uint8_t>(w >> 24)};
    const uint8_t* p = bytes;
    size_t sz = 4;
    uint64_t a = 0x1000;
    if (!cs_disasm_iter(h, &p, &sz, &a, insn)) continue;  // unallocated encoding
    const cs_arm64& d = insn->detail->arm64;
    if (k & 1) {
      if (d.op_count < 3 || d.operands[2].type != ARM64_OP_IMM) continue;  // "mov x0, sp" alias
      int64_t v = d.operands[2].imm;
      if (d.operands[2].shift.type == ARM64_SFT_LSL) v <<= d.operands[2].shift.value;
      EXPECT_EQ(*ours, static_cast<uint64_t>(v)) << std::hex << w << " " << insn->mnemonic << " "
                                                 << insn->op_str;
      ++add;
    } else {
      bool found = false;
      for (uint8_t i = 0; i < d.op_count; ++i) {
        if (d.operands[i].type != ARM64_OP_MEM) continue;
        EXPECT_EQ(*ours, static_cast<uint64_t>(int64_t{d.operands[i].mem.disp}))
            << std::hex << w << " " << insn->mnemonic << " " << insn->op_str;
        found = true;
      }
      if (!found) continue;  // prefetch forms print the offset differently
      ++ldst;
    }
    ++compared;
  }
  cs_free(insn, 1);
  cs_close(&h);
  EXPECT_GT(add, 50000);
  EXPECT_GT(ldst, 30000);
  EXPECT_EQ(Arm64PageOffset(0xD503201Fu), std::nullopt);  // NOP
  EXPECT_EQ(Arm64PageOffset(0x90000000u), std::nullopt);  // ADRP itself
}

// Records every report of a walk, in order.
class Trace : public RefSink {
 public:
  void Address(uint64_t pc, uint64_t a) override { log.push_back({pc, a, false}); }
  void Branch(uint64_t t) override { log.push_back({0, t, true}); }
  std::string_view BytesAt(uint64_t a, uint64_t n) const override {
    if (a < data_base || a - data_base > data.size() || data.size() - (a - data_base) < n) return {};
    return std::string_view(data).substr(a - data_base, n);
  }
  struct Event {
    uint64_t pc, value;
    bool branch;
    bool operator==(const Event&) const = default;
  };
  std::vector<Event> log;
  std::string data;
  uint64_t data_base = 0;
};

// The A32 class table (arm32.cc) lets most instructions skip the full
// decode; it must never change what the walk reports. Random words, with
// register fields drawn mostly from the few registers that the mixed-in
// literal loads, MOVWs and ADDs from the PC give known values (so that
// loads, stores and ADDs off known registers are common), every condition
// including the unconditional space: the reports, in order, are the same
// as decoding every instruction in full.
TEST(CodeRefs, ClassTableAgreesWithFullDecode) {
  std::mt19937 rng(20261201);
  const uint32_t regs[] = {0, 1, 2, 3, 13, 15};
  size_t reports = 0, loads_off_known = 0;
  for (int stream = 0; stream < 48; ++stream) {
    std::string code;
    for (int i = 0; i < 20000; ++i) {
      uint32_t w = rng();
      const uint32_t roll = rng() % 16;
      const uint32_t rd = regs[rng() % 6], rn = regs[rng() % 6];
      if (roll == 0) {
        w = 0xe59f0000u | rd << 12 | (w & 0xfff);  // ldr rd, [pc, #imm]
      } else if (roll == 1) {
        w = 0xe3000000u | (w & 0xf0fff) | rd << 12;  // movw rd, #imm16
      } else if (roll == 2) {
        w = 0xe28f0000u | rd << 12 | (w & 0xfff);  // add rd, pc, #imm
      } else {
        if (roll < 14) w = (w & 0x0fffffffu) | 0xe0000000u;  // mostly "always"
        if (roll & 1) w = (w & ~0x000ff000u) | rn << 16 | rd << 12;
      }
      for (int b = 0; b < 4; ++b) code.push_back(static_cast<char>(w >> (8 * b)));
    }
    Trace fast, full;
    fast.data = full.data = code;
    fast.data_base = full.data_base = 0x10000;
    const auto* p = reinterpret_cast<const uint8_t*>(code.data());
    WalkResult a = internal::WalkArm32(false, p, code.size(), 0x10000, false, nullptr, &fast, true);
    WalkResult b = internal::WalkArm32(false, p, code.size(), 0x10000, false, nullptr, &full, false);
    ASSERT_EQ(a.instructions, b.instructions);
    ASSERT_EQ(fast.log.size(), full.log.size()) << "stream " << stream;
    for (size_t i = 0; i < full.log.size(); ++i) {
      ASSERT_EQ(fast.log[i], full.log[i]) << "stream " << stream << " report " << i << " pc "
                                          << std::hex << full.log[i].pc;
    }
    reports += full.log.size();
    for (const auto& e : full.log) {
      if (!e.branch && e.pc >= 0x10000) {
        uint32_t in = 0;
        std::memcpy(&in, code.data() + (e.pc - 0x10000), 4);
        if ((in >> 25 & 6) == 2 && ((in >> 16) & 15) != 15) ++loads_off_known;
      }
    }
  }
  EXPECT_GT(reports, 300000u);
  EXPECT_GT(loads_off_known, 10000u) << "loads and stores off known registers were exercised";
}

TEST(HostNames, MovedHeaderStillServesBothFormats) {
  std::vector<std::string> hosts;
  ForEachHost("see https://api.example.cn/v1 and ftp://x.y.com", [&](std::string_view h) {
    hosts.emplace_back(h);
  });
  EXPECT_EQ(hosts, (std::vector<std::string>{"api.example.cn", "x.y.com"}));
}

// LooksLikeBareHost reads the last label first (from the end, at most one
// past the longest common TLD); the answers at the edges of that window.
TEST(HostNames, BareHostsAtTheEdgesOfTheTldWindow) {
  for (std::string_view yes : {"a.cn", "a.com", "x.online", "x.y.z.online", "www.example.COM",
                               "a-b.com", "a..com", "x.y.group.cn"}) {
    EXPECT_TRUE(LooksLikeBareHost(yes)) << yes;
  }
  for (std::string_view no : {".com", "abc.", "cn.a", "xx.onlinex", "a.b.onlin", "com.example",
                              "my_host.com", "a.co1", "1.2.3.4", "-a.com", "a/b.com", "a.c",
                              "abcdefgh", "com.qq.e.ads.AdView", "lib.so", "edu.example.cn"}) {
    EXPECT_FALSE(LooksLikeBareHost(no)) << no;
  }
}

}  // namespace
}  // namespace shelfguard::code
