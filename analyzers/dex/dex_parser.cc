#include "dex/dex_parser.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "dex/dex_load.h"
#include "shelfguard/byte_reader.h"

namespace shelfguard::dex {

namespace {

// Sizes of the fixed-width id items (DEX spec, "id sections").
constexpr uint64_t kStringIdSize = 4;
constexpr uint64_t kTypeIdSize = 4;
constexpr uint64_t kProtoIdSize = 12;
constexpr uint64_t kFieldIdSize = 8;
constexpr uint64_t kMethodIdSize = 8;
constexpr uint64_t kClassDefSize = 32;
constexpr uint32_t kEndianConstant = 0x12345678;
constexpr uint32_t kReverseEndianConstant = 0x78563412;
constexpr size_t kArenaChunk = 64 * 1024;
// Eight bytes at a time: kLow has 1 in each byte, kHigh the top bit of each,
// kLow7 the other seven.
constexpr uint64_t kLow = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
constexpr uint64_t kLow7 = ~kHigh;

// The top bit of each byte of `w` that equals `c`, exactly: each byte's low
// seven bits plus 0x7f reach bit 7 unless they are zero, and no sum carries
// into the next byte.
inline uint64_t BytesEqual(uint64_t w, char c) {
  const uint64_t x = w ^ (uint64_t{static_cast<uint8_t>(c)} * kLow);
  return ~(((x & kLow7) + kLow7) | x | kLow7);
}

// What a string holds, for its consumers (RefFlag kHasDigit, kHasDot), eight
// bytes at a time for bytes of any value: a byte is a digit when its top bit
// is clear and, of its low seven bits, adding 0x50 sets bit 7 and adding 0x46
// does not (no carry leaves a byte); a '.' when it is zero after xor with
// '.' (BytesEqual).
uint8_t ContentFlags(std::string_view s) {
  uint64_t digit = 0, dot = 0;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    const uint64_t w = LoadLE<uint64_t>(s.data() + i);
    const uint64_t low = w & kLow7;
    digit |= (low + 0x50 * kLow) & ~(low + 0x46 * kLow) & ~w & kHigh;
    dot |= BytesEqual(w, '.');
  }
  uint8_t fl = (digit != 0 ? kHasDigit : 0) | (dot != 0 ? kHasDot : 0);
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') fl |= kHasDigit;
    if (s[i] == '.') fl |= kHasDot;
  }
  return fl;
}

// When the `n` bytes at `s` are all 0x01..0x7f (ASCII without a NUL), their
// ContentFlags; otherwise kNotPlain. Eight bytes at a time, in the word: a
// byte is outside the range when its top bit is set or it is zero (the
// lowest zero byte of a word is found exactly; a borrow only ever moves up,
// and so does a carry), a digit when adding 0x50 sets its top bit and adding
// 0x46 does not, a '.' by BytesEqual. `readable` >= n
// bytes may be read from `s`: the last partial word is then read whole and
// its bytes past `n` masked off, instead of a byte loop whose exit, at every
// length, the predictor misses.
constexpr int kNotPlain = -1;
int PlainAsciiFlags(const char* s, size_t n, size_t readable) {
  uint64_t digit = 0, dot = 0;
  // False when a kept byte is outside 0x01..0x7f.
  auto scan = [&digit, &dot](uint64_t w, uint64_t keep) {
    if (((w | ((w - kLow) & ~w)) & kHigh & keep) != 0) return false;
    digit |= (w + 0x50 * kLow) & ~(w + 0x46 * kLow) & kHigh & keep;
    dot |= BytesEqual(w, '.') & keep;
    return true;
  };
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if (!scan(LoadLE<uint64_t>(s + i), ~uint64_t{0})) return kNotPlain;
  }
  if (i < n) {
    if (readable - i >= 8) {
      const uint64_t keep = (uint64_t{1} << (8 * (n - i))) - 1;  // n - i in 1..7
      if (!scan(LoadLE<uint64_t>(s + i), keep)) return kNotPlain;
    } else {
      for (; i < n; ++i) {
        const auto c = static_cast<uint8_t>(s[i]);
        if (c == 0 || c >= 0x80) return kNotPlain;
      }
      return ContentFlags(std::string_view(s, n));
    }
  }
  return (digit != 0 ? kHasDigit : 0) | (dot != 0 ? kHasDot : 0);
}

}  // namespace

void DexFile::AddAnomaly(std::string code, std::string location, std::string detail) {
  // Hostile files could produce one anomaly per item; keep a bounded number.
  if (anomalies_.size() < 32) {
    anomalies_.push_back({std::move(code), std::move(location), std::move(detail)});
  }
}

void DexFile::AppendDottedName(std::string_view d, std::string* out) {
  if (d.size() >= 2 && d.front() == 'L' && d.back() == ';') {
    const size_t start = out->size(), n = d.size() - 2;
    out->append(d.data() + 1, n);
    // '/' (0x2f) and '.' (0x2e) differ in the lowest bit: eight bytes at a
    // time, each '/' has it flipped, where a byte-by-byte replace missed a
    // branch at nearly every separator.
    char* const p = out->data() + start;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const uint64_t w = LoadLE<uint64_t>(p + i);
      const uint64_t dotted = w ^ (BytesEqual(w, '/') >> 7);
      if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(p + i, &dotted, 8);
      } else {
        for (size_t k = 0; k < 8; ++k) p[i + k] = static_cast<char>(dotted >> (8 * k));
      }
    }
    for (; i < n; ++i) {
      if (p[i] == '/') p[i] = '.';
    }
  } else {
    out->append(d);
  }
}

// MUTF-8 (DEX spec, "MUTF-8 (Modified UTF-8) encoding"): like CESU-8, so
// supplementary characters arrive as two 3-byte surrogates, and U+0000 is
// C0 80. Re-encode as standard UTF-8; invalid sequences become U+FFFD.
std::string_view DexFile::DecodeMutf8(std::string_view in) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(in.data());
  const size_t n = in.size();
  // The output is at most as long as the input (surrogate pairs shrink from
  // 6 to 4 bytes; U+FFFD replaces at least one byte with 3, so reserve 3x).
  size_t need = n * 3;
  if (need > arena_cap_ - arena_used_) {
    size_t sz = std::max(need, kArenaChunk);
    arena_.push_back(std::unique_ptr<char[]>(new char[sz]));
    arena_cap_ = sz;
    arena_used_ = 0;
  }
  char* out = arena_.back().get() + arena_used_;
  char* o = out;
  auto put = [&o](uint32_t cp) {
    if (cp < 0x80) {
      *o++ = static_cast<char>(cp);
    } else if (cp < 0x800) {
      *o++ = static_cast<char>(0xc0 | (cp >> 6));
      *o++ = static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      *o++ = static_cast<char>(0xe0 | (cp >> 12));
      *o++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      *o++ = static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      *o++ = static_cast<char>(0xf0 | (cp >> 18));
      *o++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      *o++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      *o++ = static_cast<char>(0x80 | (cp & 0x3f));
    }
  };
  size_t i = 0;
  while (i < n) {
    uint8_t b = p[i];
    uint32_t cp;
    if (b < 0x80) {
      cp = b;
      i += 1;
    } else if ((b & 0xe0) == 0xc0 && i + 1 < n && (p[i + 1] & 0xc0) == 0x80) {
      cp = ((b & 0x1fu) << 6) | (p[i + 1] & 0x3fu);
      i += 2;
    } else if ((b & 0xf0) == 0xe0 && i + 2 < n && (p[i + 1] & 0xc0) == 0x80 &&
               (p[i + 2] & 0xc0) == 0x80) {
      cp = ((b & 0x0fu) << 12) | ((p[i + 1] & 0x3fu) << 6) | (p[i + 2] & 0x3fu);
      i += 3;
      // A high surrogate followed by a low one is one supplementary char.
      if (cp >= 0xd800 && cp <= 0xdbff && i + 2 < n && p[i] == 0xed && (p[i + 1] & 0xf0) == 0xb0 &&
          (p[i + 2] & 0xc0) == 0x80) {
        uint32_t lo = ((p[i] & 0x0fu) << 12) | ((p[i + 1] & 0x3fu) << 6) | (p[i + 2] & 0x3fu);
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i += 3;
      } else if (cp >= 0xd800 && cp <= 0xdfff) {
        cp = 0xfffd;  // lone surrogate: not representable in UTF-8
      }
    } else {
      cp = 0xfffd;
      i += 1;
    }
    put(cp);
  }
  size_t len = static_cast<size_t>(o - out);
  arena_used_ += len;
  return std::string_view(out, len);
}

void DexFile::ParseStrings(const Record& ids) {
  ByteReader r(data_);
  const uint32_t count = static_cast<uint32_t>(ids.size() / kStringIdSize);
  const char* const id = ids.Bytes(0, ids.size()).data();
  const char* const d = data_.data();
  const size_t size = data_.size();
  strings_.reserve(count);
  string_flags_.assign(count, 0);
  size_t bad = 0;
  for (uint32_t i = 0; i < count; ++i) {
    // string_data_item: uleb128 utf16_size, then MUTF-8 bytes, then NUL.
    const uint32_t off = LoadLE<uint32_t>(id + uint64_t{i} * kStringIdSize);
    // Nearly every string is plain ASCII shorter than 128: a one-byte size,
    // utf16_size bytes of 1..0x7f and the NUL right after them. That is its
    // own UTF-8, and the first NUL where the general search below would
    // find it.
    if (off < size && static_cast<uint8_t>(d[off]) < 0x80) {
      const size_t len = static_cast<uint8_t>(d[off]);
      const size_t start = size_t{off} + 1;
      if (len < size - start && d[start + len] == '\0') {
        if (const int fl = PlainAsciiFlags(d + start, len, size - start); fl != kNotPlain) {
          strings_.emplace_back(d + start, len);
          string_flags_[i] = static_cast<uint8_t>(fl);
          continue;
        }
      }
    }
    std::optional<std::string_view> text;
    // Otherwise: each UTF-16 unit takes 1..3 MUTF-8 bytes, so the NUL is
    // looked for no further than that, and a lying size cannot make us scan
    // the whole file.
    if (r.Seek(off)) {
      if (auto utf16 = r.ReadUleb128()) {
        if (std::optional<std::string_view> plain = r.BytesAt(r.pos(), uint64_t{*utf16} + 1);
            plain && plain->back() == '\0') {
          if (const int fl = PlainAsciiFlags(plain->data(), *utf16, r.remaining());
              fl != kNotPlain) {
            strings_.push_back(plain->substr(0, *utf16));
            string_flags_[i] = static_cast<uint8_t>(fl);
            continue;
          }
        }
        text = r.BytesAt(r.pos(), std::min<uint64_t>(uint64_t{*utf16} * 3 + 1, r.remaining()));
      }
    }
    if (!text) {
      strings_.emplace_back();
      ++bad;
      continue;
    }
    const size_t nul = text->find('\0');
    if (nul == std::string_view::npos) {
      ++bad;
    } else {
      text->remove_suffix(text->size() - nul);
    }
    // Fast path: plain ASCII is its own UTF-8, a view into the input.
    bool ascii = true;
    for (char c : *text) {
      if (static_cast<uint8_t>(c) >= 0x80) {
        ascii = false;
        break;
      }
    }
    strings_.push_back(ascii ? *text : DecodeMutf8(*text));
    string_flags_[i] = ContentFlags(strings_.back());
  }
  if (bad > 0) {
    AddAnomaly("dex-bad-string", "string_ids",
               std::to_string(bad) + " of " + std::to_string(count) +
                   " strings have offsets past the end or no terminator");
  }
}

Result<std::unique_ptr<DexFile>> DexFile::Parse(std::string_view data, Budget* budget,
                                                const ParseOptions& options) {
  // header_item, taken whole and then read as values.
  const std::optional<Record> hdr = Record::At(ByteReader(data), 0, kHeaderSize);
  if (!hdr) {
    return Status::Malformed("dex: " + std::to_string(data.size()) +
                             " bytes, shorter than the 112-byte header");
  }
  // magic: "dex\n" + 3 version digits + "\0".
  const std::string_view magic = hdr->Bytes(0, 8);
  if (magic.substr(0, 4) != "dex\n" || magic[7] != '\0') {
    return Status::Malformed("dex: bad magic");
  }
  std::unique_ptr<DexFile> f(new DexFile());
  f->data_ = data;
  f->budget_ = budget;
  const std::string_view digits = magic.substr(4, 3);
  if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    f->version_ = (digits[0] - '0') * 100 + (digits[1] - '0') * 10 + (digits[2] - '0');
  }
  if (f->version_ < 35 || f->version_ > 41) {
    f->AddAnomaly("dex-unknown-version", "header",
                  "version '" + std::string(digits) + "' outside 035-041; parsed as 035");
  }
  const uint32_t endian = hdr->LE<uint32_t>(40);
  if (endian == kReverseEndianConstant) {
    return Status::Unsupported("dex: big-endian (reverse endian tag) files are not used by Android");
  }
  if (endian != kEndianConstant) {
    f->AddAnomaly("dex-bad-endian-tag", "header", "endian_tag is not 0x12345678");
  }
  f->declared_file_size_ = hdr->LE<uint32_t>(32);
  if (f->declared_file_size_ > data.size()) {
    f->AddAnomaly("dex-truncated", "header",
                  "header declares " + std::to_string(f->declared_file_size_) + " bytes, " +
                      std::to_string(data.size()) + " present");
  }
  f->ParseTables(*hdr);
  f->CheckMapList(hdr->LE<uint32_t>(52));
  if (options.scan_code) f->ScanCode(options);
  return f;
}

void DexFile::CheckMapList(uint32_t map_off) {
  // dex-format "map_list": uint size, then size map_items of 12 bytes
  // (ushort type, ushort unused, uint size, uint offset), one per section
  // type. About twenty types exist, so a longer list is not a map: the list
  // is checked, not kept, and a count over kMaxMapItems is the anomaly.
  constexpr uint32_t kMaxMapItems = 64;
  constexpr uint64_t kMapItemSize = 12;
  constexpr uint16_t kTypeHeaderItem = 0x0000;
  constexpr uint16_t kTypeMapList = 0x1000;
  ByteReader r(data_);
  const std::optional<Record> head =
      map_off >= kHeaderSize && map_off % 4 == 0 ? Record::At(r, map_off, 4) : std::nullopt;
  if (!head) {
    AddAnomaly("dex-bad-map-list", "map_list",
               "map_off " + std::to_string(map_off) +
                   " is not a 4-aligned offset past the header and inside the file");
    return;
  }
  const uint32_t count = head->LE<uint32_t>(0);
  const uint64_t fit = (data_.size() - map_off - 4) / kMapItemSize;
  const std::optional<Record> items =
      count == 0 || count > fit || count > kMaxMapItems
          ? std::nullopt
          : Record::At(r, uint64_t{map_off} + 4, uint64_t{count} * kMapItemSize);
  if (!items) {
    AddAnomaly("dex-bad-map-list", "map_list",
               "the map list declares " + std::to_string(count) + " items (" + std::to_string(fit) +
                   " fit in the file, a valid map has 1 to " + std::to_string(kMaxMapItems) + ")");
    return;
  }
  bool header = false, self = false, sorted = true;
  uint32_t prev = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t p = uint64_t{i} * kMapItemSize;
    const uint16_t type = items->LE<uint16_t>(p);
    const uint32_t offset = items->LE<uint32_t>(p + 8);
    if (type == kTypeHeaderItem) header = header || offset == 0;
    if (type == kTypeMapList) self = self || offset == map_off;
    if (i > 0 && offset < prev) sorted = false;
    prev = offset;
  }
  if (!header || !self || !sorted) {
    AddAnomaly("dex-bad-map-list", "map_list",
               std::string("the map list ") + (!header ? "has no header item at offset 0"
                                               : !self ? "does not list itself at map_off"
                                                       : "is not sorted by offset"));
  }
}

namespace {

// field_id_item and method_id_item share one layout: ushort, ushort, uint.
template <typename Id>
Id ReadMemberId(const char* p) {
  return Id{LoadLE<uint16_t>(p), LoadLE<uint16_t>(p + 2), LoadLE<uint32_t>(p + 4)};
}

}  // namespace

void DexFile::ParseTables(const Record& hdr) {
  ByteReader r(data_);
  const uint64_t size = data_.size();
  // One id section, from its (count, offset) in the header: the items that
  // fit in the file and the limits (each cut an anomaly, the items before it
  // kept), taken whole as one record; nullopt when there are none.
  auto section = [&](const char* what, uint64_t hdr_off, uint64_t item_size) {
    const uint32_t count = hdr.LE<uint32_t>(hdr_off);
    const uint32_t off = hdr.LE<uint32_t>(hdr_off + 4);
    const uint64_t fit = off <= size ? (size - off) / item_size : 0;
    uint64_t n = count;
    if (fit < n) {
      n = fit;
      AddAnomaly("dex-table-truncated", what,
                 std::string(what) + ": " + std::to_string(count) + " declared at offset " +
                     std::to_string(off) + ", " + std::to_string(n) + " fit in the file");
    }
    if (budget_ != nullptr) {
      Status st = budget_->CheckCount(std::string("dex ") + what, n);
      if (!st.ok()) {
        AddAnomaly("dex-over-limit", what, st.message());
        n = std::min<uint64_t>(n, budget_->limits().max_table_items);
      }
    }
    return n == 0 ? std::nullopt : Record::At(r, off, n * item_size);
  };
  // Reads every item of a section with `read(first byte of the item)`: the
  // section was taken whole, so each item's bytes are there.
  auto read_table = [&](const char* what, uint64_t hdr_off, uint64_t item_size, auto* out,
                        auto read) {
    const std::optional<Record> table = section(what, hdr_off, item_size);
    const uint64_t n = table ? table->size() / item_size : 0;
    out->clear();
    out->reserve(n);
    const char* p = table ? table->Bytes(0, table->size()).data() : nullptr;
    for (uint64_t i = 0; i < n; ++i, p += item_size) out->push_back(read(p));
  };
  if (std::optional<Record> ids = section("string_ids", 56, kStringIdSize)) ParseStrings(*ids);
  read_table("type_ids", 64, kTypeIdSize, &types_, LoadLE<uint32_t>);
  read_table("proto_ids", 72, kProtoIdSize, &protos_, [](const char* p) {
    return ProtoId{LoadLE<uint32_t>(p), LoadLE<uint32_t>(p + 4), LoadLE<uint32_t>(p + 8)};
  });
  read_table("field_ids", 80, kFieldIdSize, &fields_, ReadMemberId<FieldId>);
  read_table("method_ids", 88, kMethodIdSize, &methods_, ReadMemberId<MethodId>);
  read_table("class_defs", 96, kClassDefSize, &classes_, [](const char* p) {
    // class_def_item: eight uints, in ClassDef's order.
    return ClassDef{LoadLE<uint32_t>(p),      LoadLE<uint32_t>(p + 4),  LoadLE<uint32_t>(p + 8),
                    LoadLE<uint32_t>(p + 12), LoadLE<uint32_t>(p + 16), LoadLE<uint32_t>(p + 20),
                    LoadLE<uint32_t>(p + 24), LoadLE<uint32_t>(p + 28)};
  });

  // Strings that name structure rather than hold program data.
  auto mark = [this](uint32_t s) {
    if (s < string_flags_.size()) string_flags_[s] |= kStructural;
  };
  for (uint32_t s : types_) mark(s);
  for (const ProtoId& p : protos_) mark(p.shorty_idx);
  for (const FieldId& fd : fields_) mark(fd.name_idx);
  for (const MethodId& m : methods_) mark(m.name_idx);
  for (const ClassDef& c : classes_) mark(c.source_file_idx);
}

}  // namespace shelfguard::dex
