// The DEX code walk (DexFile::ScanCode): which types, fields, methods and
// strings the code of which packages refers to. The rest of the parser is
// dex_parser.cc.
#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dex/dex_load.h"
#include "dex/dex_parser.h"
#include "shelfguard/byte_reader.h"

namespace shelfguard::dex {

namespace {

// ScanCode's state of an id: 0 not referenced, p + 1 referenced only by
// code of package p, kManyPackages referenced by code of several packages.
constexpr uint32_t kManyPackages = 0xffffffffu;
// The state after code of package `by` - 1 (or of several: kManyPackages)
// refers to an id in state `s`. Without a branch: the walk applies it to
// millions of references, in an order no predictor follows.
inline uint32_t Merge(uint32_t s, uint32_t by) {
  const uint32_t same = static_cast<uint32_t>(s == 0) | static_cast<uint32_t>(s == by);
  return by | (same - 1);  // same: by; otherwise all ones
}

// What an instruction refers to, by the kind of its index operand
// (DEX spec, "Dalvik bytecode": op, format, "kind" columns).
enum RefKind : uint8_t { kNone, kString, kType, kField, kMethod };

// Length in 16-bit code units of every opcode and the kind of its index.
// Formats: 10x/12x/11n/11x/10t = 1, 20t/22x/21t/21s/21h/21c/23x/22b/22t/22s/
// 22c = 2, 32x/30t/31t/31i/31c/35c/3rc = 3, 45cc/4rcc = 4, 51l = 5.
struct OpInfo {
  uint8_t units;
  RefKind ref;
  bool wide_index;  // 31c: 32-bit index in units 1..2
};

constexpr OpInfo MakeOp(uint8_t op) {
  // Unused opcodes are given size 1 so the walk can continue; the verifier
  // rejects them, so valid code never contains them.
  if (op == 0x00) return {1, kNone, false};                      // nop (payloads: below)
  if (op >= 0x01 && op <= 0x0b) {
    constexpr uint8_t kMove[] = {0, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 1};
    return {kMove[op], kNone, false};
  }
  if (op >= 0x0c && op <= 0x12) return {1, kNone, false};
  if (op == 0x13 || op == 0x15 || op == 0x16 || op == 0x19) return {2, kNone, false};
  if (op == 0x14 || op == 0x17) return {3, kNone, false};
  if (op == 0x18) return {5, kNone, false};                       // const-wide 51l
  if (op == 0x1a) return {2, kString, false};                     // const-string 21c
  if (op == 0x1b) return {3, kString, true};                      // const-string/jumbo 31c
  if (op == 0x1c) return {2, kType, false};                       // const-class
  if (op == 0x1d || op == 0x1e) return {1, kNone, false};
  if (op == 0x1f) return {2, kType, false};                       // check-cast
  if (op == 0x20) return {2, kType, false};                       // instance-of 22c
  if (op == 0x21) return {1, kNone, false};
  if (op == 0x22) return {2, kType, false};                       // new-instance
  if (op == 0x23) return {2, kType, false};                       // new-array 22c
  if (op == 0x24 || op == 0x25) return {3, kType, false};         // filled-new-array[/range]
  if (op == 0x26) return {3, kNone, false};                       // fill-array-data 31t
  if (op == 0x27 || op == 0x28) return {1, kNone, false};
  if (op == 0x29) return {2, kNone, false};
  if (op == 0x2a || op == 0x2b || op == 0x2c) return {3, kNone, false};
  if (op >= 0x2d && op <= 0x3d) return {2, kNone, false};         // cmp, if-*
  if (op >= 0x3e && op <= 0x43) return {1, kNone, false};         // unused
  if (op >= 0x44 && op <= 0x51) return {2, kNone, false};         // aget/aput 23x
  if (op >= 0x52 && op <= 0x6d) return {2, kField, false};        // iget/iput 22c, sget/sput 21c
  if (op >= 0x6e && op <= 0x72) return {3, kMethod, false};       // invoke-* 35c
  if (op == 0x73) return {1, kNone, false};
  if (op >= 0x74 && op <= 0x78) return {3, kMethod, false};       // invoke-*/range 3rc
  if (op == 0x79 || op == 0x7a) return {1, kNone, false};
  if (op >= 0x7b && op <= 0x8f) return {1, kNone, false};         // unop 12x
  if (op >= 0x90 && op <= 0xaf) return {2, kNone, false};         // binop 23x
  if (op >= 0xb0 && op <= 0xcf) return {1, kNone, false};         // binop/2addr 12x
  if (op >= 0xd0 && op <= 0xe2) return {2, kNone, false};         // lit16 22s, lit8 22b
  if (op >= 0xe3 && op <= 0xf9) return {1, kNone, false};         // unused
  if (op == 0xfa || op == 0xfb) return {4, kMethod, false};       // invoke-polymorphic 45cc/4rcc
  if (op == 0xfc || op == 0xfd) return {3, kNone, false};         // invoke-custom (call_site)
  return {2, kNone, false};                                       // const-method-handle/-type
}

struct OpTable {
  OpInfo op[256];
  constexpr OpTable() : op() {
    for (int i = 0; i < 256; ++i) op[i] = MakeOp(static_cast<uint8_t>(i));
  }
};
constexpr OpTable kOps;

// Package part of a class descriptor: "Lcom/a/B;" -> "com/a", "[[Lx/Y;" ->
// "x"; "" for the default package; primitives give "" with ok == false.
std::string_view PackageOf(std::string_view d, bool* ok) {
  size_t i = 0;
  while (i < d.size() && d[i] == '[') ++i;
  if (i >= d.size() || d[i] != 'L') {
    *ok = false;
    return {};
  }
  *ok = true;
  d = d.substr(i + 1);
  size_t slash = d.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : d.substr(0, slash);
}

}  // namespace

void DexFile::ScanCode(const ParseOptions& options) {
  ByteReader r(data_);
  const uint64_t size = data_.size();
  type_flags_.assign(types_.size(), 0);
  if (classes_.empty()) return;

  // Package id of every type: two types are in the same package when their
  // ids are equal. 0 means "not a class type" (primitive or bad index).
  std::vector<uint32_t> pkg(types_.size(), 0);
  {
    std::unordered_map<std::string_view, uint32_t> ids;
    ids.reserve(std::min<size_t>(types_.size(), 4096));
    // Type ids are sorted by descriptor, so a type is mostly in the package
    // of the one before it: that is checked first, the map only on a change.
    std::string_view prev;
    uint32_t prev_id = 0;
    for (size_t t = 0; t < types_.size(); ++t) {
      bool ok = false;
      std::string_view p = PackageOf(TypeDescriptor(static_cast<uint32_t>(t)), &ok);
      if (!ok) continue;
      if (prev_id == 0 || p != prev) {
        prev = p;
        prev_id = ids.try_emplace(p, static_cast<uint32_t>(ids.size() + 1)).first->second;
      }
      pkg[t] = prev_id;
    }
  }
  // Which packages' code refers to each id. Types, fields, methods and
  // strings share one array of states, each kind at its own base, plus one
  // last slot that takes every index out of range: a reference becomes one
  // slot number while walking and one read-modify-write after its method.
  // Resolving a field or method to its class and the class to its package
  // per reference cost three dependent loads from tables of up to 64K
  // items; here that is done once per id, after the walk (see below).
  const uint64_t n_types = types_.size(), n_fields = fields_.size(),
                 n_methods = methods_.size(), n_strings = string_flags_.size();
  const uint64_t slots = n_types + n_fields + n_methods + n_strings + 1;
  if (slots >= kNoIndex) {  // each table is cut to the file's size; this needs a 4 GiB file
    AddAnomaly("dex-over-limit", "class_data", "too many ids to walk the code");
    code_complete_ = false;
    return;
  }
  std::vector<uint32_t> state(slots, 0);
  const uint32_t sentinel = static_cast<uint32_t>(slots - 1);
  // Slot of index i of kind k: base[k] + i when i < limit[k], else sentinel
  // (kNone has limit 0).
  uint32_t base[5] = {0, 0, 0, 0, 0}, limit[5] = {0, 0, 0, 0, 0};
  base[kType] = 0;
  limit[kType] = static_cast<uint32_t>(n_types);
  base[kField] = static_cast<uint32_t>(n_types);
  limit[kField] = static_cast<uint32_t>(n_fields);
  base[kMethod] = static_cast<uint32_t>(n_types + n_fields);
  limit[kMethod] = static_cast<uint32_t>(n_methods);
  base[kString] = static_cast<uint32_t>(n_types + n_fields + n_methods);
  limit[kString] = static_cast<uint32_t>(n_strings);
  // The opcode table for this file: each opcode's length, and where its
  // reference goes (slot base and index limit; none: limit 0, never counted).
  struct Op {
    uint32_t base, limit, wide;  // wide: mask of the index's high half (31c)
    uint8_t units, counted;
  };
  std::array<Op, 256> ops;
  for (int i = 0; i < 256; ++i) {
    const OpInfo& info = kOps.op[i];
    ops[i] = {base[info.ref], limit[info.ref], info.wide_index ? 0xffff0000u : 0u, info.units,
              static_cast<uint8_t>(info.ref != kNone)};
  }
  // Length in bytes of each opcode, apart from the entries: the one load
  // the walk's chain waits on, indexed by the opcode byte as it is.
  std::array<uint8_t, 256> op_bytes;
  for (int i = 0; i < 256; ++i) op_bytes[i] = static_cast<uint8_t>(2 * kOps.op[i].units);
  uint32_t* const st = state.data();
  uint32_t by = 0;  // the package of the class walked, + 1
  auto refer = [st, &by](uint32_t slot) { st[slot] = Merge(st[slot], by); };
  std::vector<uint32_t> refs;  // slots referenced by one method, reused

  uint64_t budget_units = options.max_units_total != 0 ? options.max_units_total
                                                       : std::max<uint64_t>(size * 2, 1u << 20);
  uint64_t bad_class_data = 0, bad_code = 0;
  bool stopped = false;
  for (size_t ci = 0; ci < classes_.size() && !stopped; ++ci) {
    const ClassDef& c = classes_[ci];
    by = (c.class_idx < pkg.size() ? pkg[c.class_idx] : 0) + 1;
    // Subclassing or implementing a type from another package uses it.
    if (c.superclass_idx < n_types) refer(c.superclass_idx);
    if (c.interfaces_off != 0) {
      // type_list: uint size, then size x ushort type_idx.
      uint32_t n = 0;
      if (r.PeekLEAt<uint32_t>(c.interfaces_off, &n)) {
        uint64_t fit = (size - c.interfaces_off - 4) / 2;
        if (n > fit) n = static_cast<uint32_t>(fit);
        for (uint32_t k = 0; k < n; ++k) {
          uint16_t t = 0;
          if (r.PeekLEAt<uint16_t>(c.interfaces_off + 4 + uint64_t{k} * 2, &t) && t < n_types) {
            refer(t);
          }
        }
      }
    }
    if (c.class_data_off == 0) continue;
    if ((ci & 63) == 0 && budget_ != nullptr && budget_->Expired()) {
      AddAnomaly("dex-timeout", "class_data",
                 "deadline passed; code of " + std::to_string(classes_.size() - ci) +
                     " classes not walked");
      code_complete_ = false;
      break;
    }
    if (!r.Seek(c.class_data_off)) {
      ++bad_class_data;
      continue;
    }
    // class_data_item: four uleb128 sizes, then encoded fields and methods.
    uint32_t sizes[4];
    bool ok = true;
    for (uint32_t& s : sizes) {
      auto v = r.ReadUleb128();
      if (!v) ok = false;
      s = v.value_or(0);
    }
    // An encoded_field is at least 2 bytes, an encoded_method at least 3:
    // counts beyond what the remaining bytes hold are lies.
    uint64_t nfields = uint64_t{sizes[0]} + sizes[1];
    if (!ok || nfields * 2 > r.remaining()) {
      ++bad_class_data;
      continue;
    }
    for (uint64_t k = 0; k < nfields && ok; ++k) {
      ok = r.ReadUleb128().has_value() && r.ReadUleb128().has_value();
    }
    uint64_t nmethods = uint64_t{sizes[2]} + sizes[3];
    if (!ok || nmethods * 3 > r.remaining()) {
      ++bad_class_data;
      continue;
    }
    for (uint64_t k = 0; k < nmethods; ++k) {
      // encoded_method: method_idx_diff, access_flags, code_off. Which method
      // the code belongs to is not needed: its references are.
      auto diff = r.ReadUleb128();
      auto flags = r.ReadUleb128();
      auto code_off = r.ReadUleb128();
      if (!diff || !flags || !code_off) {
        ++bad_class_data;
        break;
      }
      if (*code_off == 0) continue;  // abstract or native
      // code_item: registers, ins, outs, tries (u16 each), debug_info_off,
      // insns_size (u32), insns[insns_size] (u16).
      const uint64_t item = *code_off;
      if (!InRange(item, 16, size)) {
        ++bad_code;
        continue;
      }
      const uint32_t insns_size = LoadLE<uint32_t>(data_.data() + item + 12);
      if (!InRange(item + 16, uint64_t{insns_size} * 2, size)) {
        ++bad_code;
        continue;
      }
      ++methods_with_code_;
      uint32_t units = std::min(insns_size, options.max_units_per_method);
      if (units < insns_size) code_complete_ = false;
      if (units > budget_units) {
        AddAnomaly("dex-code-budget", "code_item",
                   "code units over the walk budget; rest not walked");
        code_complete_ = false;
        stopped = true;
        break;
      }
      budget_units -= units;
      // Units [0, units) of the checked insns, units <= insns_size, walked by
      // byte offset: the chain from one instruction to the next is then the
      // opcode byte, its length and one add, with no conversion between.
      const char* const insns = data_.data() + item + 16;
      const size_t end = 2 * size_t{units};
      auto unit_at = [insns](size_t b) { return LoadLE<uint16_t>(insns + b); };
      // Each reference's slot is written whether or not the instruction has
      // one and the count moves only when it has (kind kNone): no branch on
      // the kind, whose switch cost a mispredicted branch on a third of the
      // instructions. The slots are applied after the method.
      if (refs.size() < size_t{units} + 1) refs.resize(size_t{units} + 1);
      uint32_t* const out = refs.data();
      uint32_t n = 0;
      auto put = [out, &n, sentinel](const Op& e, uint32_t idx) {
        // As a mask: a conditional here became a branch, mispredicted as often.
        const uint32_t in = 0u - static_cast<uint32_t>(idx < e.limit);
        out[n] = ((e.base + idx) & in) | (sentinel & ~in);
        n += e.counted;
      };
      size_t b = 0;
      while (b < end) {
        const uint8_t op = static_cast<uint8_t>(insns[b]);
        const size_t len = op_bytes[op];
        if (op == 0x00 && insns[b + 1] != 0) {
          // Payload pseudo-instructions (ident in the high byte): their size
          // comes from their own header.
          const uint8_t ident = static_cast<uint8_t>(insns[b + 1]);
          if (b + 8 > end) break;
          uint64_t payload = 1;
          if (ident == 1) {          // packed-switch-payload: 4 + size*2 units
            payload = 4 + uint64_t{unit_at(b + 2)} * 2;
          } else if (ident == 2) {   // sparse-switch-payload: 2 + size*4 units
            payload = 2 + uint64_t{unit_at(b + 2)} * 4;
          } else if (ident == 3) {   // fill-array-data-payload
            const uint64_t width = unit_at(b + 2);
            const uint64_t count = unit_at(b + 4) | (uint32_t{unit_at(b + 6)} << 16);
            const uint64_t l = 4 + (width * count + 1) / 2;
            payload = l > units ? units : l;
          }
          b += 2 * payload;
          continue;
        }
        if (b + len > end) break;  // instruction cut by the end of the method
        const Op& e = ops[op];
        if (b + 6 <= end) {
          // Both operand units are inside the method, whatever the format.
          put(e, unit_at(b + 2) | ((uint32_t{unit_at(b + 4)} << 16) & e.wide));
        } else if (e.counted != 0) {
          put(e, unit_at(b + 2));  // len <= 2 units here, so never a wide index
        }
        b += len;
      }
      for (uint32_t k = 0; k < n; ++k) refer(out[k]);
      units_decoded_ += units;
    }
  }
  // A field or method reference uses the field's or method's class; a type
  // is referenced from outside its package when code of another package (or
  // of several, which cannot all be its own) referred to it.
  auto merge = [st](uint32_t slot, uint32_t from) { st[slot] = Merge(st[slot], from); };
  for (uint64_t f = 0; f < n_fields; ++f) {
    const uint32_t from = st[base[kField] + f];
    if (from != 0 && fields_[f].class_idx < n_types) merge(fields_[f].class_idx, from);
  }
  for (uint64_t m = 0; m < n_methods; ++m) {
    const uint32_t from = st[base[kMethod] + m];
    if (from != 0 && methods_[m].class_idx < n_types) merge(methods_[m].class_idx, from);
  }
  for (uint64_t t = 0; t < n_types; ++t) {
    const uint32_t s = st[t];
    if (s == 0) continue;
    const bool outside = pkg[t] != 0 && (s == kManyPackages || s - 1 != pkg[t]);
    type_flags_[t] = static_cast<uint8_t>(kRefAnywhere | (outside ? kRefOutside : 0));
  }
  for (uint64_t i = 0; i < n_strings; ++i) {
    if (st[base[kString] + i] != 0) string_flags_[i] |= kLoadedByCode;
  }
  if (bad_class_data > 0) {
    code_complete_ = false;
    AddAnomaly("dex-bad-class-data", "class_data",
               std::to_string(bad_class_data) + " class_data items out of range or inconsistent");
  }
  if (bad_code > 0) {
    code_complete_ = false;
    AddAnomaly("dex-bad-code-item", "code_item",
               std::to_string(bad_code) + " code items out of range; not walked");
  }
}

}  // namespace shelfguard::dex
