#include "arsc/arsc_parser.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "shelfguard/byte_reader.h"

namespace shelfguard {
namespace {

constexpr uint32_t kChunkHeaderSize = 8;
// ResTable_package without typeIdOffset (older tables) is 284 bytes.
constexpr uint32_t kMinPackageHeaderSize = 284;
// ResTable_type: chunk header + id, flags, reserved, entryCount, entriesStart
// = 20 bytes, then the ResTable_config whose own first field is its size.
constexpr uint32_t kTypeFixedSize = 20;
constexpr uint32_t kNoEntry = 0xffffffffu;
// ResTable_type::flags.
constexpr uint8_t kTypeFlagSparse = 0x01;
constexpr uint8_t kTypeFlagOffset16 = 0x02;
// ResTable_entry::flags.
constexpr uint16_t kEntryFlagComplex = 0x0001;
constexpr uint16_t kEntryFlagCompact = 0x0008;
// A bag cannot usefully exceed this many items (plurals, arrays).
constexpr uint32_t kMaxBagItems = 1u << 16;

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

// Decodes a ResTable_config from `c` (starting at its size field).
ArscConfig ParseConfig(const ByteReader& c, uint64_t off, uint32_t avail) {
  ArscConfig cfg;
  uint32_t size = 0;
  c.PeekLEAt(off, &size);
  uint32_t n = std::min(size, avail);
  // Everything after the size field being zero means "default".
  for (uint32_t i = 4; i < n; ++i) {
    uint8_t b = 0;
    c.PeekLEAt(off + i, &b);
    if (b != 0) {
      cfg.is_default = false;
      break;
    }
  }
  if (cfg.is_default) return cfg;
  auto u8 = [&](uint32_t at) -> uint8_t {
    uint8_t v = 0;
    if (at + 1 <= n) c.PeekLEAt(off + at, &v);
    return v;
  };
  auto u16 = [&](uint32_t at) -> uint16_t {
    uint16_t v = 0;
    if (at + 2 <= n) c.PeekLEAt(off + at, &v);
    return v;
  };
  uint16_t mcc = u16(4), mnc = u16(6);
  // Locale: two chars, or three 5-bit letters packed with the high bit set
  // (ResTable_config::packLanguageOrRegion).
  auto unpack = [&](uint8_t a, uint8_t b, char base) -> std::string {
    if (a == 0) return "";
    if (a & 0x80) {
      std::string s;
      s.push_back(static_cast<char>(base + (b & 0x1f)));
      s.push_back(static_cast<char>(base + (((b & 0xe0) >> 5) | ((a & 0x03) << 3))));
      s.push_back(static_cast<char>(base + ((a & 0x7c) >> 2)));
      return s;
    }
    return std::string{static_cast<char>(a), static_cast<char>(b)};
  };
  cfg.language = unpack(u8(8), u8(9), 'a');
  cfg.country = unpack(u8(10), u8(11), '0');
  uint8_t orientation = u8(12);
  cfg.density = u16(14);
  cfg.sdk_version = u16(24);
  uint8_t ui_mode = u8(29);
  std::vector<std::string> q;
  if (mcc != 0) q.push_back("mcc" + std::to_string(mcc));
  if (mnc != 0) q.push_back("mnc" + std::to_string(mnc));
  if (!cfg.language.empty()) q.push_back(cfg.language);
  if (!cfg.country.empty()) q.push_back("r" + cfg.country);
  if (orientation == 1) q.push_back("port");
  if (orientation == 2) q.push_back("land");
  if ((ui_mode & 0x30) == 0x20) q.push_back("night");
  switch (cfg.density) {
    case 0: break;
    case 120: q.push_back("ldpi"); break;
    case 160: q.push_back("mdpi"); break;
    case 213: q.push_back("tvdpi"); break;
    case 240: q.push_back("hdpi"); break;
    case 320: q.push_back("xhdpi"); break;
    case 480: q.push_back("xxhdpi"); break;
    case 640: q.push_back("xxxhdpi"); break;
    case 0xfffe: q.push_back("anydpi"); break;
    case 0xffff: q.push_back("nodpi"); break;
    default: q.push_back(std::to_string(cfg.density) + "dpi");
  }
  if (cfg.sdk_version != 0) q.push_back("v" + std::to_string(cfg.sdk_version));
  if (q.empty()) q.push_back("other");
  for (size_t i = 0; i < q.size(); ++i) cfg.qualifiers += (i ? "-" : "") + q[i];
  return cfg;
}

// Reads the UTF-16 package name (char16_t name[128]) at `off`.
std::string PackageName(const ByteReader& c, uint64_t off) {
  std::string s;
  for (int i = 0; i < 128; ++i) {
    uint16_t u = 0;
    if (!c.PeekLEAt(off + 2 * i, &u) || u == 0) break;
    if (u < 0x80) {
      s.push_back(static_cast<char>(u));
    } else if (u < 0x800) {
      s.push_back(static_cast<char>(0xc0 | (u >> 6)));
      s.push_back(static_cast<char>(0x80 | (u & 0x3f)));
    } else {
      s.push_back(static_cast<char>(0xe0 | (u >> 12)));
      s.push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3f)));
      s.push_back(static_cast<char>(0x80 | (u & 0x3f)));
    }
  }
  return s;
}

class Parser {
 public:
  Parser(std::string_view data, Budget* budget, ArscTable* t)
      : data_(data), r_(data), budget_(budget), t_(t) {}

  void Note(std::string code, std::string detail) {
    t_->anomalies.push_back({std::move(code), "resources.arsc", std::move(detail)});
  }

  // Counts `*n` more items (strings, entries, bag items) against
  // max_table_items for the whole table. Past it, `*n` is cut to what is
  // left (possibly 0) and the first cut is recorded: what was read is kept
  // (the parser contract, docs/architecture.md). Only the deadline fails the
  // parse.
  Status Charge(std::string_view what, uint64_t* n) {
    Cut(what, n);
    if (budget_ != nullptr && budget_->Expired()) return Status::Timeout("resources.arsc: deadline passed");
    return Status::Ok();
  }
  void Cut(std::string_view what, uint64_t* n) {
    if (budget_ != nullptr) {
      const uint64_t cap = budget_->limits().max_table_items;
      const uint64_t left = cap - std::min(cap, items_);
      if (*n > left) {
        if (!cut_) {
          Note("arsc-over-limit", std::string(what) + ": " + std::to_string(items_ + *n) +
                                      " items in the table, over max_table_items " +
                                      std::to_string(cap) + "; the rest not read");
          cut_ = true;
        }
        *n = left;
      }
    }
    items_ += *n;
  }

  // Charges a parsed pool's strings (cut to what the limit leaves) and
  // moves the bytes its views point into into the table.
  Status KeepPool(StringPoolViews* sp) {
    uint64_t keep = sp->strings.size();
    SG_RETURN_IF_ERROR(Charge("resources.arsc strings", &keep));
    sp->strings.resize(static_cast<size_t>(keep));
    t_->storage_.push_back(std::move(sp->storage));
    return Status::Ok();
  }

  // Reads the chunk header at `pos` within [.., end); false when invalid.
  bool ChunkAt(uint64_t pos, uint64_t end, uint16_t* type, uint16_t* hdr, uint32_t* size) {
    if (!InRange(pos, kChunkHeaderSize, end)) return false;
    r_.PeekLEAt(pos, type);
    r_.PeekLEAt(pos + 2, hdr);
    r_.PeekLEAt(pos + 4, size);
    return *hdr >= kChunkHeaderSize && *size >= *hdr && InRange(pos, *size, end);
  }

  Status Run() {
    uint16_t type = 0, hdr = 0;
    uint32_t size = 0;
    if (!r_.PeekLEAt(0, &type) || !r_.PeekLEAt(2, &hdr) || !r_.PeekLEAt(4, &size)) {
      return Status::Malformed("resources.arsc: shorter than a chunk header");
    }
    if (type != kResTableType) return Status::Malformed("resources.arsc: not a resource table (type " + Hex(type) + ")");
    if (hdr < 12 || hdr > data_.size()) return Status::Malformed("resources.arsc: bad header size");
    uint64_t end = size;
    if (size > data_.size()) {
      Note("arsc-truncated", "table claims " + std::to_string(size) + " bytes, " +
                                 std::to_string(data_.size()) + " available");
      t_->truncated = true;
      end = data_.size();
    }
    uint32_t package_count = 0;
    r_.PeekLEAt(8, &package_count);
    uint64_t pos = hdr;
    bool have_pool = false;
    while (pos < end) {
      uint16_t ct = 0, ch = 0;
      uint32_t cs = 0;
      if (!ChunkAt(pos, end, &ct, &ch, &cs)) {
        Note("arsc-bad-chunk", "bad chunk at " + std::to_string(pos));
        t_->truncated = true;
        break;
      }
      std::string_view chunk = data_.substr(static_cast<size_t>(pos), cs);
      if (ct == kResStringPoolType) {
        if (have_pool) {
          Note("arsc-extra-string-pool", "second global string pool ignored");
        } else {
          auto sp = ParseStringPoolViews(chunk, budget_, "resources.arsc", &t_->anomalies);
          if (!sp.ok()) {
            if (sp.status().code() != "malformed") return sp.status();
            Note("arsc-bad-string-pool", sp.status().message());
          } else {
            SG_RETURN_IF_ERROR(KeepPool(&*sp));
            t_->strings = std::move(sp->strings);
          }
          have_pool = true;
        }
      } else if (ct == kResTablePackageType) {
        if (t_->packages.size() >= kMaxArscPackages) {
          Note("arsc-too-many-packages", "stopped at " + std::to_string(kMaxArscPackages));
          break;
        }
        SG_RETURN_IF_ERROR(ParsePackage(chunk, ch));
      } else {
        Note("arsc-unknown-chunk", "chunk type " + Hex(ct) + " at " + std::to_string(pos));
      }
      pos += cs;
    }
    if (package_count != t_->packages.size()) {
      Note("arsc-package-count", "header declares " + std::to_string(package_count) +
                                     " packages, found " + std::to_string(t_->packages.size()));
    }
    if (!have_pool && t_->packages.empty()) return Status::Malformed("resources.arsc: no string pool and no package");
    return Status::Ok();
  }

  Status ParsePackage(std::string_view chunk, uint16_t hdr) {
    ByteReader c(chunk);
    if (hdr < kMinPackageHeaderSize) {
      Note("arsc-bad-package", "package header size " + std::to_string(hdr));
      return Status::Ok();
    }
    ArscPackage pkg;
    uint32_t type_strings = 0, key_strings = 0;
    c.PeekLEAt(8, &pkg.id);
    pkg.name = PackageName(c, 12);
    c.PeekLEAt(268, &type_strings);
    c.PeekLEAt(276, &key_strings);
    uint32_t pkg_index = static_cast<uint32_t>(t_->packages.size());
    uint64_t pos = hdr;
    int pools = 0;
    while (pos < chunk.size()) {
      uint16_t ct = 0, ch = 0;
      uint32_t cs = 0;
      if (!InRange(pos, kChunkHeaderSize, chunk.size())) break;
      c.PeekLEAt(pos, &ct);
      c.PeekLEAt(pos + 2, &ch);
      c.PeekLEAt(pos + 4, &cs);
      if (ch < kChunkHeaderSize || cs < ch || !InRange(pos, cs, chunk.size())) {
        Note("arsc-bad-chunk", "package '" + pkg.name + "': bad chunk at " + std::to_string(pos));
        t_->truncated = true;
        break;
      }
      std::string_view sub = chunk.substr(static_cast<size_t>(pos), cs);
      switch (ct) {
        case kResStringPoolType: {
          auto sp = ParseStringPoolViews(sub, budget_, "resources.arsc", &t_->anomalies);
          if (!sp.ok()) {
            if (sp.status().code() != "malformed") return sp.status();
            Note("arsc-bad-string-pool", sp.status().message());
            ++pools;
            break;
          }
          SG_RETURN_IF_ERROR(KeepPool(&*sp));
          // Identify the pools by the offsets the header gives; fall back to
          // their order (types first, keys second) when those lie.
          bool is_types = pos == type_strings || (pos != key_strings && pools == 0);
          if (is_types) {
            pkg.type_names = std::move(sp->strings);
          } else {
            pkg.key_names = std::move(sp->strings);
          }
          ++pools;
          break;
        }
        case kResTableTypeType:
          SG_RETURN_IF_ERROR(ParseType(sub, ch, &pkg));
          break;
        case kResTableTypeSpecType:
        case kResTableLibraryType:
        case kResTableOverlayableType:
        case kResTableOverlayablePolicyType:
        case kResTableStagedAliasType:
          // Spec flags, shared-library maps and overlay policies carry no
          // values we need.
          break;
        default:
          Note("arsc-unknown-chunk", "package chunk type " + Hex(ct));
          break;
      }
      pos += cs;
    }
    for (uint32_t i = 0; i < pkg.types.size(); ++i) {
      t_->index_[(pkg.id << 8) | pkg.types[i].id].push_back({pkg_index, i});
    }
    t_->packages.push_back(std::move(pkg));
    return Status::Ok();
  }

  Status ParseType(std::string_view chunk, uint16_t hdr, ArscPackage* pkg) {
    ByteReader c(chunk);
    ArscType type;
    uint8_t flags = 0;
    uint32_t entry_count = 0, entries_start = 0;
    if (hdr < kTypeFixedSize + 4 || !c.PeekLEAt(8, &type.id) || !c.PeekLEAt(9, &flags) ||
        !c.PeekLEAt(12, &entry_count) || !c.PeekLEAt(16, &entries_start)) {
      Note("arsc-bad-type", "type chunk header too small");
      return Status::Ok();
    }
    if (type.id == 0) {
      Note("arsc-bad-type", "type id 0");
      return Status::Ok();
    }
    type.config = ParseConfig(c, kTypeFixedSize, hdr - kTypeFixedSize);
    if (entries_start < hdr || entries_start > chunk.size()) {
      Note("arsc-bad-type", "type " + std::to_string(type.id) + ": entriesStart " +
                                std::to_string(entries_start) + " out of range");
      return Status::Ok();
    }
    bool sparse = flags & kTypeFlagSparse;
    bool off16 = flags & kTypeFlagOffset16;
    uint32_t stride = off16 ? 2 : 4;
    // The offsets table lies between the header and entriesStart; a count
    // that cannot fit there is cut.
    uint64_t fit = (entries_start - hdr) / stride;
    uint64_t n = entry_count;
    if (n > fit) {
      Note("arsc-bad-entry-count", "type " + std::to_string(type.id) + " declares " +
                                       std::to_string(entry_count) + " entries, room for " +
                                       std::to_string(fit));
      n = fit;
    }
    SG_RETURN_IF_ERROR(Charge("resources.arsc entries", &n));
    // The offsets table [hdr, hdr + n * stride) lies inside the chunk (n is
    // cut to what fits before entriesStart), so it is read without a check
    // per slot. One pass counts the present entries so that the vector is
    // allocated once, at its size.
    const char* slots = chunk.data() + hdr;
    auto slot_offset = [&](uint64_t i, uint32_t* index) -> uint32_t {
      if (sparse) {
        // ResTable_sparseTypeEntry: uint16 idx, uint16 offset / 4.
        *index = LoadLE<uint16_t>(slots + 4 * i);
        return uint32_t{LoadLE<uint16_t>(slots + 4 * i + 2)} * 4;
      }
      *index = static_cast<uint32_t>(i);
      if (off16) {
        uint16_t o = LoadLE<uint16_t>(slots + 2 * i);
        return o == 0xffff ? kNoEntry : uint32_t{o} * 4;
      }
      return LoadLE<uint32_t>(slots + 4 * i);
    };
    size_t present = 0;
    for (uint64_t i = 0; i < n; ++i) {
      uint32_t index = 0;
      present += slot_offset(i, &index) != kNoEntry;
    }
    type.entries.reserve(present);
    uint64_t bad = 0;
    for (uint64_t i = 0; i < n; ++i) {
      uint32_t index = 0;
      const uint32_t off = slot_offset(i, &index);
      if (off == kNoEntry) continue;
      if (index > 0xffff) continue;
      ArscEntry e;
      e.index = static_cast<uint16_t>(index);
      if (!ParseEntry(chunk, uint64_t{entries_start} + off, &e)) {
        ++bad;
        continue;
      }
      type.entries.push_back(e);
    }
    if (bad > 0) {
      Note("arsc-bad-entry", "type " + std::to_string(type.id) + ": " + std::to_string(bad) +
                                 " entries out of bounds");
    }
    // Entries come in index order from aapt (dense tables by construction,
    // sparse ones by the format's rule); sort only a table that breaks it.
    auto by_index = [](const ArscEntry& a, const ArscEntry& b) { return a.index < b.index; };
    if (!std::is_sorted(type.entries.begin(), type.entries.end(), by_index)) {
      std::stable_sort(type.entries.begin(), type.entries.end(), by_index);
    }
    pkg->types.push_back(std::move(type));
    return Status::Ok();
  }

  // One entry at `off` of its type chunk `c`. Each field group is checked
  // against the chunk once and then loaded directly (LoadLE).
  bool ParseEntry(std::string_view c, uint64_t off, ArscEntry* e) {
    const char* p = c.data();
    if (!InRange(off, 8, c.size())) return false;
    const uint16_t size = LoadLE<uint16_t>(p + off), flags = LoadLE<uint16_t>(p + off + 2);
    if (flags & kEntryFlagCompact) {
      // Compact entry: uint16 key index, uint16 flags (high byte = dataType),
      // uint32 data; the key lives in the first field.
      e->key = size;
      e->value.type = static_cast<uint8_t>(flags >> 8);
      e->value.data = LoadLE<uint32_t>(p + off + 4);
      return true;
    }
    e->key = LoadLE<uint32_t>(p + off + 4);
    if (flags & kEntryFlagComplex) {
      if (size < 16 || !InRange(off + 8, 8, c.size())) return false;
      e->parent = LoadLE<uint32_t>(p + off + 8);
      const uint32_t count = LoadLE<uint32_t>(p + off + 12);
      e->complex = true;
      uint64_t base = off + size;
      // ResTable_map is 12 bytes: name, Res_value (size, res0, type, data).
      uint64_t fit = base <= c.size() ? (c.size() - base) / 12 : 0;
      uint64_t n = std::min<uint64_t>({count, fit, kMaxBagItems});
      auto& bags = t_->bags;
      if (n != count || bags.size() + n > UINT32_MAX) return false;
      // Bag items count against the table's items too: entries may share
      // one bag's bytes (or overlap theirs), so without a count a few MB of
      // entry offsets could copy one 65,536-item bag billions of times. A
      // bag the limit cuts is dropped whole, as one that does not fit.
      uint64_t keep = n;
      Cut("resources.arsc bag items", &keep);
      if (keep != n) return false;
      e->bag_begin = static_cast<uint32_t>(bags.size());
      e->bag_size = static_cast<uint32_t>(n);
      for (uint64_t i = 0; i < n; ++i) {
        const char* m = p + base + 12 * i;
        bags.push_back({LoadLE<uint32_t>(m), ResValue{static_cast<uint8_t>(m[7]), LoadLE<uint32_t>(m + 8)}});
      }
      return true;
    }
    // Res_value after the entry header: size, res0, dataType (+3), data (+4).
    if (size < 8 || !InRange(off + size, 8, c.size())) return false;
    e->value = ResValue{static_cast<uint8_t>(p[off + size + 3]), LoadLE<uint32_t>(p + off + size + 4)};
    return true;
  }

 private:
  std::string_view data_;
  ByteReader r_;
  Budget* budget_;
  ArscTable* t_;
  uint64_t items_ = 0;
  bool cut_ = false;  // the over-limit cut is recorded once
};

const ArscEntry* FindInType(const ArscType& t, uint16_t index) {
  auto it = std::lower_bound(t.entries.begin(), t.entries.end(), index,
                             [](const ArscEntry& e, uint16_t i) { return e.index < i; });
  return it != t.entries.end() && it->index == index ? &*it : nullptr;
}

}  // namespace

Result<ArscTable> ParseArsc(std::string_view data, Budget* budget) {
  ArscTable table;
  Parser p(data, budget, &table);
  Status st = p.Run();
  if (!st.ok()) return st;
  return table;
}

const ArscEntry* ArscTable::Find(uint32_t id, const ArscType** type_out) const {
  auto it = index_.find(id >> 16);
  if (it == index_.end()) return nullptr;
  uint16_t index = static_cast<uint16_t>(id & 0xffff);
  // Preference order mirrors what a device with no matching qualifiers
  // would pick: the default configuration, then one without a locale (only
  // density/sdk qualifiers, which match any device), then English, then any.
  const ArscEntry* best = nullptr;
  const ArscType* best_type = nullptr;
  int best_rank = 99;
  for (const auto& [pi, ti] : it->second) {
    const ArscType& t = packages[pi].types[ti];
    const ArscEntry* e = FindInType(t, index);
    if (e == nullptr) continue;
    int rank = t.config.is_default ? 0 : t.config.language.empty() ? 1 : t.config.language == "en" ? 2 : 3;
    if (rank < best_rank) {
      best = e;
      best_type = &t;
      best_rank = rank;
      if (rank == 0) break;
    }
  }
  if (type_out != nullptr) *type_out = best_type;
  return best;
}

std::string ArscTable::ResourceName(uint32_t id) const {
  uint32_t pid = id >> 24, tid = (id >> 16) & 0xff;
  for (const auto& p : packages) {
    if (p.id != pid) continue;
    const ArscType* t = nullptr;
    const ArscEntry* e = Find(id, &t);
    std::string_view type_name = tid >= 1 && tid <= p.type_names.size() ? p.type_names[tid - 1] : "";
    std::string_view key = e != nullptr && e->key < p.key_names.size() ? p.key_names[e->key] : "";
    if (type_name.empty() && key.empty()) return "";
    return std::string(type_name).append(1, '/').append(key);
  }
  return "";
}

Result<ResValue> ArscTable::ResolveValue(ResValue v) const {
  for (int depth = 0; depth < kMaxReferenceDepth; ++depth) {
    if (!IsReferenceType(v.type)) return v;
    if (v.data == 0) return Status::NotFound("null reference");
    const ArscEntry* e = Find(v.data);
    if (e == nullptr) return Status::NotFound("resource " + Hex(v.data) + " not in resources.arsc");
    if (e->complex) return Status::Unsupported("resource " + Hex(v.data) + " is a bag");
    v = e->value;
  }
  return Status::Malformed("reference chain longer than " + std::to_string(kMaxReferenceDepth));
}

Result<std::string> ArscTable::ValueToString(ResValue value, std::string_view raw) const {
  if (value.type == kTypeString || value.type == kTypeNull) return std::string(raw);
  auto r = ResolveValue(value);
  if (!r.ok()) return r.status();
  if (r->type == kTypeString) {
    if (r->data >= strings.size()) return Status::Malformed("string index out of range");
    return std::string(strings[r->data]);
  }
  return FormatResValue(r->type, r->data);
}

Result<std::string> ArscTable::ResolveString(uint32_t id) const {
  return ValueToString(ResValue{kTypeReference, id});
}

void ArscTable::ForEachString(const std::function<void(const ArscStringValue&)>& fn) const {
  // One value reused for every call (assign keeps the buffers), its name
  // built only for entries that hold a string: a large table has tens of
  // thousands of entries, most of them not strings.
  static constexpr std::string_view kNone;
  ArscStringValue v;
  for (const auto& p : packages) {
    for (const auto& t : p.types) {
      const std::string_view type_name =
          t.id >= 1 && t.id <= p.type_names.size() ? p.type_names[t.id - 1] : kNone;
      v.config.assign(t.config.qualifiers);
      for (const auto& e : t.entries) {
        auto is_string = [&](const ResValue& val) {
          return val.type == kTypeString && val.data < strings.size() && !strings[val.data].empty();
        };
        bool named = false;
        auto emit = [&](const ResValue& val) {
          if (!named) {
            v.resource_id = (p.id << 24) | (uint32_t{t.id} << 16) | e.index;
            const std::string_view key = e.key < p.key_names.size() ? p.key_names[e.key] : kNone;
            v.name.assign(type_name).append(1, '/').append(key);
            named = true;
          }
          v.value = strings[val.data];
          fn(v);
        };
        if (!e.complex) {
          if (is_string(e.value)) emit(e.value);
          continue;
        }
        for (const auto& [name, val] : Bag(e)) {
          if (is_string(val)) emit(val);
        }
      }
    }
  }
}

std::span<const std::pair<uint32_t, ResValue>> ArscTable::Bag(const ArscEntry& e) const {
  if (!e.complex || e.bag_begin > bags.size() || bags.size() - e.bag_begin < e.bag_size) return {};
  return std::span<const std::pair<uint32_t, ResValue>>(bags).subspan(e.bag_begin, e.bag_size);
}

}  // namespace shelfguard
