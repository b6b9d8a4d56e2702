// The Mach-O side of the code walk: which instruction set a slice runs,
// and the sink that keeps the addresses code forms (analyzers/code does the
// decoding) for the string, selector and class tables to be matched against.
#include <algorithm>

#include "macho/macho_internal.h"

namespace shelfguard::macho::internal {
namespace {

std::optional<code::Isa> SliceIsa(uint32_t cputype) {
  const uint32_t base = cputype & ~(kCpuArchAbi64 | kCpuArchAbi64_32);
  if (base == kCpuTypeArm) {
    // arm64 and arm64_32 (32-bit pointers) both run A64 code; 32-bit ARM
    // slices for iOS are Thumb-2.
    return (cputype & (kCpuArchAbi64 | kCpuArchAbi64_32)) != 0 ? code::Isa::kArm64
                                                                : code::Isa::kThumb;
  }
  if (base == kCpuTypeX86) {
    return (cputype & kCpuArchAbi64) != 0 ? code::Isa::kX86_64 : code::Isa::kX86;
  }
  return std::nullopt;
}

}  // namespace

void SliceParser::Address(uint64_t pc, uint64_t a) {
  // Only addresses inside the image can name a string, selector or class
  // slot; the rest (offsets still to be added, constants) are not kept.
  if (a >= mapped_lo_ && a < mapped_hi_) refs_.insert(a);
}

std::string_view SliceParser::BytesAt(uint64_t a, uint64_t n) const {
  auto off = VmToOff(a);
  if (!off) return {};
  return r_.BytesAt(*off, n).value_or(std::string_view());
}

void SliceParser::ResolveReferences() {
  if (s_->cryptid != 0) return;  // FairPlay-encrypted text is ciphertext
  std::optional<code::Isa> isa = SliceIsa(s_->cputype);
  if (!isa) return;
  for (const auto& seg : s_->segments) {
    if (seg.filesize == 0) continue;  // __PAGEZERO and the like: nothing to name
    mapped_lo_ = std::min(mapped_lo_, seg.vmaddr);
    mapped_hi_ = std::max(mapped_hi_, seg.vmaddr + std::min(seg.vmsize, UINT64_MAX - seg.vmaddr));
  }
  uint64_t budget_bytes = opt_.max_code_bytes;
  for (const auto& sec : s_->sections) {
    if (sec.segname != "__TEXT" ||
        (sec.flags & (kSAttrPureInstructions | kSAttrSomeInstructions)) == 0 ||
        sec.sectname == "__stubs" || sec.sectname == "__stub_helper")
      continue;
    auto body = r_.BytesAt(sec.offset, std::min<uint64_t>(sec.size, budget_bytes));
    if (!body) {
      Problem("section " + sec.sectname, "code runs past the end of the image");
      continue;
    }
    budget_bytes -= body->size();
    code::WalkResult w = code::FindReferences(*isa, *body, sec.addr, budget_, this);
    s_->instructions += w.instructions;
    s_->disassembled = true;
    if (w.expired) {
      OverLimit("section " + sec.sectname,
                "code walk stopped at the deadline; references resolved for a prefix only");
      break;
    }
    if (budget_bytes == 0) {
      OverLimit("section " + sec.sectname,
                "code larger than max_code_bytes; references resolved for a prefix only");
      break;
    }
  }
}

}  // namespace shelfguard::macho::internal
