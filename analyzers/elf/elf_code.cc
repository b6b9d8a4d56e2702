// Code references in native libraries: which read-only strings and which
// imported symbols the code of a library actually uses.
//
// The instruction walks live in analyzers/code (code/code_refs.h): they
// report every address code forms and every direct branch target. Here an
// address that falls inside a string marks the string; one that is a GOT
// slot or data word bound to a dynamic symbol by a relocation marks that
// symbol. Calls and branches into .plt mark the symbol whose GOT slot the
// PLT stub loads (found by walking the stubs with the same decoder).
#include <algorithm>
#include <cstring>

#include "code/code_refs.h"
#include "elf/elf_parser.h"
#include "shelfguard/byte_reader.h"

namespace shelfguard::elf {

namespace {

constexpr uint64_t kStubWindow = 16;  // a PLT stub loads its slot within 16 bytes

struct Range {
  uint64_t addr, size;
  bool Contains(uint64_t a) const { return a >= addr && a - addr < size; }
};

class RefCollector final : public code::RefSink {
 public:
  RefCollector(const ElfFile& elf, CodeRefs* out) : elf_(elf), out_(out) {
    out_->string_referenced.assign(elf.strings().size(), false);
    out_->symbol_referenced.assign(elf.dynamic_symbols().size(), false);
    starts_.reserve(elf.strings().size());
    for (const RoString& s : elf.strings()) {
      starts_.push_back(s.vaddr);
      const uint64_t end = s.vaddr + s.text.size();  // saturated: vaddr is the file's
      str_lo_ = std::min(str_lo_, s.vaddr);
      str_hi_ = std::max(str_hi_, end < s.vaddr ? UINT64_MAX : end);
    }
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
    for (const auto& [slot, symbol] : elf.reloc_slots()) {
      slot_lo_ = std::min(slot_lo_, slot);
      slot_hi_ = std::max(slot_hi_, slot);
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
  void Address(uint64_t pc, uint64_t a) override {
    // Most formed addresses are strings or code, outside the GOT and the
    // data words relocations bind: the range check spares them the hash
    // look-up.
    if (a >= slot_lo_ && a <= slot_hi_) {
      auto slot = elf_.reloc_slots().find(a);
      if (slot != elf_.reloc_slots().end()) {
        if (in_plt_) {
          plt_refs_.emplace_back(pc, slot->second);
        } else {
          out_->symbol_referenced[slot->second] = true;
        }
        return;
      }
    }
    // Only addresses within the strings' span can mark one (code and data
    // addresses, most of them, are not): no binary search for the others.
    if (a < lo_ || a >= hi_ || a < str_lo_ || a > str_hi_ || in_plt_) return;
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
  void Branch(uint64_t target) override {
    if (!in_plt_ && InPlt(target)) branches_.push_back(target);
  }

  std::string_view BytesAt(uint64_t a, uint64_t n) const override {
    return elf_.BytesAtAddress(a, n);
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
  uint64_t slot_lo_ = UINT64_MAX, slot_hi_ = 0;  // lowest and highest relocated slot
  uint64_t str_lo_ = UINT64_MAX, str_hi_ = 0;    // first string byte, last string's end
};

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
  code::Isa isa = m == kEmAarch64 ? code::Isa::kArm64
                  : m == kEmArm   ? code::Isa::kThumb
                                  : code::Isa::kX86_64;
  if (m == kEmArm) {
    size_t thumb = 0, arm = 0;
    for (const Symbol& s : elf.dynamic_symbols()) {
      if (s.type != 2 /* STT_FUNC */ || s.undefined()) continue;
      (s.value & 1 ? thumb : arm)++;
    }
    if (arm > thumb) isa = code::Isa::kArm32;
  }
  code::WalkOptions walk;
  walk.big_endian = elf.big_endian();
  walk.capstone_reference = options.capstone_arm;

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
  uint64_t walked = 0;
  for (const Section* s : exec) {
    if (!InRange(s->offset, s->size, elf.data().size())) {
      out.complete = false;
      continue;
    }
    uint64_t n = std::min(s->size, cap - walked);
    if (n < s->size) out.complete = false;
    if (n == 0) break;
    const bool plt = s->name.substr(0, 4) == ".plt";
    rc.set_in_plt(plt);
    // PLT stubs are A32 even in a Thumb library.
    const code::Isa sect_isa = plt && isa == code::Isa::kThumb ? code::Isa::kArm32 : isa;
    code::WalkResult w = code::FindReferences(sect_isa, elf.data().substr(s->offset, n), s->addr,
                                              budget, &rc, walk);
    out.instructions += w.instructions;
    walked += n;
    if (w.expired) {
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
