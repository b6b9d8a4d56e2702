// Strings and Objective-C metadata of the slice analysed in depth: C and
// CFString literals, selectors (referenced and implemented), classes
// (defined, imported, referenced). Layouts follow the Objective-C runtime's
// class_t / class_ro_t / method_list_t (objc4 objc-runtime-new.h).
#include <algorithm>

#include "macho/macho_internal.h"

namespace shelfguard::macho::internal {

void SliceParser::ParseDeep() {
  ParseSymtab();
  if (opt_.disassemble) ResolveReferences();
  CollectStrings();
  // CFString references resolve onto their characters (needs the map above).
  if (s_->disassembled) {
    for (const auto& [cf, target] : cfstring_target_) {
      if (refs_.count(cf)) refs_.insert(target);
    }
  }
  CollectObjc();
  if (!s_->disassembled) return;
  for (auto& s : s_->cstrings) s.referenced = refs_.count(s.addr) != 0;
  for (auto& s : s_->selectors) s.referenced = s.addr != 0 && refs_.count(s.addr) != 0;
}

void SliceParser::CollectStrings() {
  for (const auto& sec : s_->sections) {
    bool cstr = (sec.flags & kSectionTypeMask) == kSCstringLiterals || sec.sectname == "__cstring";
    if (!cstr || sec.sectname == "__objc_methtype" || sec.sectname == "__objc_classname" ||
        sec.sectname == "__objc_methname")
      continue;
    auto body = r_.BytesAt(sec.offset, sec.size);
    if (!body) {
      Problem("section " + sec.sectname, "runs past the end of the image");
      continue;
    }
    ForEachCString(*body, [&](size_t off, std::string_view text) {
      s_->cstrings.push_back({text, sec.addr + off});
    });
    // The table is cut at max_table_items (CapCount says so once).
    const uint64_t cap = CapCount("Mach-O C strings", s_->cstrings.size());
    if (cap < s_->cstrings.size()) {
      s_->cstrings.resize(cap);
      break;
    }
    if (Expired("section " + sec.sectname)) break;
  }
  // CFString literals: {isa, flags, chars, length}; code references the struct.
  if (const Section* cf = FindSection("", "__cfstring")) {
    uint64_t ps = PointerSize(), ent = 4 * ps;
    const uint64_t n = CapCount("Mach-O CFStrings", cf->size / ent);
    for (uint64_t i = 0; i < n; ++i) {
      if ((i & 0xffff) == 0xffff && Expired("section __cfstring")) break;
      auto raw = ReadPtrAt(cf->addr + i * ent + 2 * ps);
      if (!raw) break;
      if (auto t = DecodePtr(*raw)) cfstring_target_[cf->addr + i * ent] = *t;
    }
  }
}

void SliceParser::CollectObjc() {
  std::unordered_set<uint64_t> seen_sel = CollectSelectorRefs();
  CollectMethodNameSection(seen_sel);
  ObjcClasses classes;
  CollectDefinedClasses(&classes);
  CollectClassMethodNames(classes.addrs);
  CollectImportedClasses(&classes);
  s_->objc_class_referenced.assign(s_->objc_classes.size(), false);
  if (s_->disassembled) MarkReferencedClasses(classes);
}

// Selector references: one pointer per selector the code uses. Returns the
// selector-name addresses seen, so __objc_methname does not repeat them.
std::unordered_set<uint64_t> SliceParser::CollectSelectorRefs() {
  std::unordered_set<uint64_t> seen_sel;
  const Section* sr = FindSection("", "__objc_selrefs");
  if (sr == nullptr) return seen_sel;
  const uint64_t ps = PointerSize();
  const uint64_t n = CapCount("Objective-C selector references", sr->size / ps);
  for (uint64_t i = 0; i < n; ++i) {
    if ((i & 0xffff) == 0xffff && Expired("section __objc_selrefs")) break;
    uint64_t slot = sr->addr + i * ps;
    auto raw = ReadPtrAt(slot);
    if (!raw) {
      Problem("section __objc_selrefs", "runs past its segment");
      break;
    }
    auto target = DecodePtr(*raw);
    if (!target) continue;
    auto name = StringAtVm(*target);
    if (!name || name->empty() || !seen_sel.insert(*target).second) continue;
    // The selector counts as referenced when code loads its slot.
    s_->selectors.push_back({*name, slot, false});
  }
  return seen_sel;
}

// Selector names no selector reference points at (implemented methods,
// selectors of other images' classes).
void SliceParser::CollectMethodNameSection(const std::unordered_set<uint64_t>& seen_sel) {
  const Section* mn = FindSection("", "__objc_methname");
  if (mn == nullptr) return;
  auto body = r_.BytesAt(mn->offset, mn->size);
  if (!body) {
    Problem("section __objc_methname", "runs past the end of the image");
    return;
  }
  ForEachCString(*body, [&](size_t off, std::string_view text) {
    if (!seen_sel.count(mn->addr + off)) s_->selectors.push_back({text, 0, false});
  });
}

// class_t.data (isa, superclass, cache, vtable, data) -> class_ro_t; the
// low bits of data are flags.
std::optional<uint64_t> SliceParser::ClassRo(uint64_t cls) const {
  auto data_raw = ReadPtrAt(cls + 4 * PointerSize());
  if (!data_raw) return std::nullopt;
  return DecodePtr(*data_raw & ~uint64_t{s_->is64 ? 7u : 3u});
}

// Defined classes: __objc_classlist -> class_t -> class_ro_t -> name; an
// image without a class list (older toolchains) names them in
// __objc_classname.
void SliceParser::CollectDefinedClasses(ObjcClasses* classes) {
  const uint64_t ps = PointerSize();
  const Section* cl = FindSection("", "__objc_classlist");
  if (cl == nullptr) {
    const Section* cn = FindSection("", "__objc_classname");
    if (cn == nullptr) return;
    if (auto body = r_.BytesAt(cn->offset, cn->size)) {
      ForEachCString(*body, [&](size_t, std::string_view nm) {
        if (classes->names.insert(nm).second) s_->objc_classes.push_back(nm);
      });
    }
    return;
  }
  const uint64_t n = CapCount("Objective-C classes", cl->size / ps);
  bool capped = false;
  for (uint64_t i = 0; i < n; ++i) {
    if ((i & 0xffff) == 0xffff && Expired("section __objc_classlist")) break;
    auto raw = ReadPtrAt(cl->addr + i * ps);
    if (!raw) break;
    auto cls = DecodePtr(*raw);
    if (!cls) continue;
    auto ro = ClassRo(*cls);
    if (!ro) continue;
    // class_ro_t: flags, instanceStart, instanceSize, [reserved], ivarLayout, name.
    uint64_t name_field = s_->is64 ? *ro + 16 + 8 : *ro + 12 + 4;
    auto name_raw = ReadPtrAt(name_field);
    if (!name_raw) continue;
    auto name_addr = DecodePtr(*name_raw);
    if (!name_addr) continue;
    auto name = StringAtVm(*name_addr);
    if (!name || name->empty()) continue;
    // Method lists are followed for the first kMaxObjcClasses classes.
    if (classes->addrs.size() < kMaxObjcClasses) {
      classes->addrs.push_back(*cls);
    } else if (!capped) {
      capped = true;
      OverLimit("section __objc_classlist",
                "method lists read for the first " + std::to_string(kMaxObjcClasses) + " classes");
    }
    if (classes->names.insert(*name).second) {
      classes->index[*cls] = s_->objc_classes.size();
      s_->objc_classes.push_back(*name);
    }
  }
}

// Method names from each class's (and metaclass's) method list: selectors
// implemented here even when no code sends them.
void SliceParser::CollectClassMethodNames(const std::vector<uint64_t>& class_addrs) {
  std::unordered_set<std::string_view> sel_names;
  for (const auto& x : s_->selectors) sel_names.insert(x.text);
  for (uint64_t cls : class_addrs) {
    for (int meta = 0; meta < 2; ++meta) {
      uint64_t c = cls;
      if (meta == 1) {
        auto isa = ReadPtrAt(cls);
        auto m = isa ? DecodePtr(*isa) : std::nullopt;
        if (!m) continue;
        c = *m;
      }
      auto ro = ClassRo(c);
      if (!ro) continue;
      CollectMethodList(*ro, &sel_names);
    }
    if (sel_names.size() >= kMaxSelectorNames) {
      OverLimit("Objective-C method lists",
                "selector names cut at " + std::to_string(kMaxSelectorNames));
      return;
    }
  }
}

// One method list (method_list_t: entsize|flags, count, entries) at
// class_ro_t.baseMethods.
void SliceParser::CollectMethodList(uint64_t ro, std::unordered_set<std::string_view>* sel_names) {
  auto ml_raw = ReadPtrAt(s_->is64 ? ro + 32 : ro + 20);  // baseMethods
  auto ml = ml_raw ? DecodePtr(*ml_raw) : std::nullopt;
  if (!ml) return;
  auto ml_off = VmToOff(*ml);
  if (!ml_off) return;
  auto entflags = r_.LEAt<uint32_t>(*ml_off), count = r_.LEAt<uint32_t>(*ml_off + 4);
  if (!entflags || !count) return;
  // Relative method lists (flag 0x80000000): int32 offsets, the name one
  // pointing at a selector reference.
  bool relative = (*entflags & 0x80000000u) != 0;
  uint32_t entsize = *entflags & 0xfffc;
  if (entsize == 0) return;
  uint64_t n = std::min<uint64_t>(*count, (r_.size() - *ml_off - 8) / entsize);
  for (uint64_t i = 0; i < n && sel_names->size() < kMaxSelectorNames; ++i) {
    uint64_t ent = *ml + 8 + i * entsize;
    std::optional<uint64_t> name_addr;
    if (relative) {
      auto rel = r_.LEAt<int32_t>(*ml_off + 8 + i * entsize);
      if (!rel) break;
      auto p = ReadPtrAt(ent + static_cast<int64_t>(*rel));
      name_addr = p ? DecodePtr(*p) : std::nullopt;
    } else {
      auto p = ReadPtrAt(ent);
      name_addr = p ? DecodePtr(*p) : std::nullopt;
    }
    if (!name_addr) continue;
    auto name = StringAtVm(*name_addr);
    if (name && !name->empty() && sel_names->insert(*name).second)
      s_->selectors.push_back({*name, 0, false});
  }
}

// Classes imported from other images are bound by symbol: _OBJC_CLASS_$_Name.
void SliceParser::CollectImportedClasses(ObjcClasses* classes) {
  constexpr std::string_view kPrefix = "_OBJC_CLASS_$_";
  for (auto sym : s_->imported_symbols) {
    if (sym.substr(0, kPrefix.size()) == kPrefix) {
      auto nm = sym.substr(kPrefix.size());
      if (!nm.empty() && classes->names.insert(nm).second) s_->objc_classes.push_back(nm);
    }
  }
}

// A class is referenced when code loads a classref/superref slot pointing at it.
void SliceParser::MarkReferencedClasses(const ObjcClasses& classes) {
  const uint64_t ps = PointerSize();
  for (std::string_view sect : {"__objc_classrefs", "__objc_superrefs"}) {
    const Section* cr = FindSection("", sect);
    if (cr == nullptr) continue;
    uint64_t n = cr->size / ps;
    if (n > kMaxClassRefs) {
      OverLimit("section " + std::string(sect), std::to_string(n) + " slots; the first " +
                                                    std::to_string(kMaxClassRefs) + " read");
      n = kMaxClassRefs;
    }
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t slot = cr->addr + i * ps;
      if (!refs_.count(slot)) continue;
      auto raw = ReadPtrAt(slot);
      if (!raw) break;
      auto cls = DecodePtr(*raw);
      if (!cls) continue;
      auto it = classes.index.find(*cls);
      if (it != classes.index.end()) s_->objc_class_referenced[it->second] = true;
    }
  }
}

}  // namespace shelfguard::macho::internal
