#include "axml/axml_parser.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include "shelfguard/byte_reader.h"
#include "shelfguard/utf8.h"

namespace shelfguard {
namespace {

// ResStringPool_header::flags.
constexpr uint32_t kUtf8Flag = 1u << 8;
// sizeof(ResChunk_header) and sizeof(ResStringPool_header).
constexpr uint32_t kChunkHeaderSize = 8;
constexpr uint32_t kStringPoolHeaderSize = 28;
// One string may not exceed this many bytes once decoded; the length fields
// can claim up to 2^31 units, which a pool inside a few-MB file cannot hold
// anyway, but a cap keeps a single hostile string from dominating memory.
constexpr uint32_t kMaxStringBytes = 1u << 20;
constexpr uint32_t kNoIndex = 0xffffffffu;

// Finds the bytes of a UTF-8 pool string whose header starts at absolute
// offset `off` of `r`, which must not extend past `end`: sets `*pos` and
// `*len`. Returns false when out of bounds. The bytes are kept as they are.
bool Utf8StringSpan(const ByteReader& r, uint64_t off, uint64_t end, uint64_t* at, uint32_t* len) {
  const auto* p = reinterpret_cast<const unsigned char*>(r.data());
  end = std::min<uint64_t>(end, r.size());
  // Two lengths (ResourceTypes.cpp decodeLength): UTF-16 units then UTF-8
  // bytes, each 1 byte, or 2 bytes when the high bit of the first is set.
  auto read_len = [&](uint64_t* pos, uint32_t* n) -> bool {
    if (*pos >= end) return false;
    const uint8_t b0 = p[(*pos)++];
    if (b0 & 0x80) {
      if (*pos >= end) return false;
      const uint8_t b1 = p[(*pos)++];
      *n = (uint32_t{b0 & 0x7fu} << 8) | b1;
    } else {
      *n = b0;
    }
    return true;
  };
  uint64_t pos = off;
  uint32_t units = 0, bytes = 0;
  if (!read_len(&pos, &units) || !read_len(&pos, &bytes)) return false;
  if (bytes > kMaxStringBytes || !InRange(pos, bytes, end) || !InRange(pos, bytes, r.size())) return false;
  *at = pos;
  *len = bytes;
  return true;
}

// Decodes the UTF-16 pool string at `off` (bounded by `end`) and appends it
// to `out` as UTF-8. Returns false (appending nothing) when out of bounds.
bool AppendUtf16String(const ByteReader& r, uint64_t off, uint64_t end, std::string* out) {
  uint16_t l0 = 0;
  if (!InRange(off, 2, end) || !r.PeekLEAt(off, &l0)) return false;
  uint64_t pos = off + 2;
  uint32_t units = l0;
  if (l0 & 0x8000) {
    uint16_t l1 = 0;
    if (!InRange(pos, 2, end) || !r.PeekLEAt(pos, &l1)) return false;
    pos += 2;
    units = (uint32_t{l0 & 0x7fffu} << 16) | l1;
  }
  if (units > kMaxStringBytes / 2 || !InRange(pos, uint64_t{units} * 2, end)) return false;
  auto span = r.BytesAt(pos, uint64_t{units} * 2);
  if (!span) return false;
  // The units are read from the checked span directly: a call per unit
  // showed in profiles of tables with tens of thousands of strings.
  const auto* p = reinterpret_cast<const unsigned char*>(span->data());
  auto unit = [p](uint32_t i) -> uint32_t { return p[2 * i] | (uint32_t{p[2 * i + 1]} << 8); };
  for (uint32_t i = 0; i < units; ++i) {
    uint32_t u = unit(i);
    if (u < 0x80) {
      out->push_back(static_cast<char>(u));
      continue;
    }
    uint32_t cp = u;
    if (u >= 0xd800 && u < 0xdc00 && i + 1 < units) {
      uint32_t lo = unit(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) {
        cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        ++i;
      } else {
        cp = 0xfffd;
      }
    } else if (u >= 0xd800 && u < 0xe000) {
      cp = 0xfffd;
    }
    AppendUtf8(cp, out);
  }
  return true;
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

// Complex (dimension / fraction) values: 24-bit signed mantissa, 2-bit radix
// selecting where the binary point is, 4-bit unit (ResourceTypes.h
// Res_value::COMPLEX_*).
double ComplexToFloat(uint32_t data) {
  static const double kRadixMults[4] = {1.0 / (1 << 8), 1.0 / (1u << 15), 1.0 / (1u << 23),
                                        1.0 / 2147483648.0};
  int32_t mantissa = static_cast<int32_t>(data & 0xffffff00u);
  return mantissa * kRadixMults[(data >> 4) & 3];
}

std::string FormatDouble(double d) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%f", d);
  std::string s = buf;
  // Trim to one decimal at least, as aapt prints "16.0dip".
  while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

}  // namespace

Result<StringPoolViews> ParseStringPoolViews(std::string_view chunk, Budget* budget,
                                             std::string_view location,
                                             std::vector<Anomaly>* anomalies) {
  auto note = [&](std::string code, std::string detail) {
    if (anomalies != nullptr) anomalies->push_back({std::move(code), std::string(location), std::move(detail)});
  };
  ByteReader r(chunk);
  uint16_t type = 0, header_size = 0;
  uint32_t size = 0, count = 0, style_count = 0, flags = 0, strings_start = 0, styles_start = 0;
  if (!r.PeekLEAt(0, &type) || !r.PeekLEAt(2, &header_size) || !r.PeekLEAt(4, &size) ||
      !r.PeekLEAt(8, &count) || !r.PeekLEAt(12, &style_count) || !r.PeekLEAt(16, &flags) ||
      !r.PeekLEAt(20, &strings_start) || !r.PeekLEAt(24, &styles_start)) {
    return Status::Malformed("string pool: truncated header");
  }
  if (type != kResStringPoolType) return Status::Malformed("string pool: wrong chunk type");
  if (header_size < kStringPoolHeaderSize) return Status::Malformed("string pool: header too small");
  // The chunk may claim more bytes than exist; clip and keep going.
  uint64_t end = size;
  if (size > chunk.size()) {
    note("string-pool-truncated", "pool claims " + std::to_string(size) + " bytes, " +
                                      std::to_string(chunk.size()) + " available");
    end = chunk.size();
  }
  if (end < header_size) return Status::Malformed("string pool: size smaller than header");

  StringPoolViews pool;
  pool.storage = std::make_unique<std::string>();
  pool.utf8 = (flags & kUtf8Flag) != 0;
  pool.declared_count = count;
  // The offset table holds 4 bytes per string after the header: a count the
  // chunk cannot hold is a lie, and is cut to what fits.
  uint64_t max_fit = (end - header_size) / 4;
  uint64_t n = count;
  if (n > max_fit) {
    note("string-pool-count", "stringCount " + std::to_string(count) + " but room for " +
                                  std::to_string(max_fit));
    n = max_fit;
  }
  // Over max_table_items the pool is cut at the limit and the cut recorded
  // (the parser contract, docs/architecture.md): what was read is kept.
  if (budget != nullptr) {
    Status st = budget->CheckCount(std::string(location) + " strings", n);
    if (!st.ok()) {
      n = budget->limits().max_table_items;
      note("string-pool-over-limit", st.message() + "; the first " + std::to_string(n) + " kept");
    }
  }
  // Strings live in [strings_start, styles_start or end).
  uint64_t data_end = end;
  if (style_count != 0 && styles_start > strings_start && styles_start <= end) data_end = styles_start;
  if (n > 0 && (strings_start < header_size || strings_start > end)) {
    note("string-pool-bad-start", "stringsStart " + std::to_string(strings_start) + " out of range");
    pool.strings.resize(static_cast<size_t>(n));
    pool.bad_strings = static_cast<uint32_t>(n);
    return pool;
  }
  pool.strings.resize(static_cast<size_t>(n));
  std::string& store = *pool.storage;
  // UTF-8 strings are kept as they are: one copy of the string data, every
  // string a view into it (no allocation per string). UTF-16 strings are
  // transcoded one after the other into the store, their views made once it
  // no longer grows.
  // UTF-16: string i is store[first, first + second), or bad (kBad).
  constexpr size_t kBad = SIZE_MAX;
  std::vector<std::pair<size_t, size_t>> decoded;
  constexpr uint64_t kNotRead = UINT64_MAX;
  std::vector<uint64_t> first_off;              // UTF-16: where string i was read
  std::unordered_map<uint64_t, uint64_t> seen;  // UTF-16, offsets gone back: offset -> string
  uint64_t last_off = 0;
  // Strings that overlap (offsets into the middle of other strings) are the
  // other way to make a pool decode to far more than its size. A pool aapt
  // wrote transcodes to at most 1.5 times its UTF-16 bytes, so past twice
  // the string data (plus one longest string) nothing more is decoded.
  uint64_t max_store = 0, overlapping = 0;
  if (n > 0 && pool.utf8) {
    store.assign(chunk.substr(strings_start, static_cast<size_t>(data_end - strings_start)));
  } else if (n > 0) {
    decoded.resize(static_cast<size_t>(n));
    first_off.assign(static_cast<size_t>(n), kNotRead);
    store.reserve(static_cast<size_t>(data_end - strings_start));
    max_store = 2 * (data_end - strings_start) + kMaxStringBytes;
  }
  for (uint64_t i = 0; i < n; ++i) {
    uint32_t rel = 0;
    // Inside the chunk: n is cut to the offsets that fit before `end`.
    rel = LoadLE<uint32_t>(chunk.data() + header_size + 4 * i);
    uint64_t off = uint64_t{strings_start} + rel;
    bool ok = off < data_end;
    if (ok && pool.utf8) {
      uint64_t at = 0;
      uint32_t len = 0;
      ok = Utf8StringSpan(r, off, data_end, &at, &len);
      if (ok) pool.strings[i] = std::string_view(store).substr(static_cast<size_t>(at - strings_start), len);
    } else if (ok) {
      // aapt writes each string once, at increasing offsets. A pool whose
      // offsets go back (to share one long string many times over) gets
      // each string decoded once: otherwise a few MB of offsets into one
      // long string would decode it gigabytes' worth of times.
      auto repeat = seen.end();
      if (off <= last_off) {
        if (seen.empty()) {
          for (uint64_t j = 0; j < i; ++j) {
            if (first_off[j] != kNotRead) seen.emplace(first_off[j], j);
          }
        }
        repeat = seen.find(off);
      }
      if (repeat != seen.end()) {
        decoded[i] = decoded[repeat->second];
        ok = decoded[i].first != kBad;
      } else if (store.size() > max_store) {
        decoded[i] = {kBad, 0};
        ok = false;
        ++overlapping;
      } else {
        if (!seen.empty()) seen.emplace(off, i);
        last_off = std::max(last_off, off);
        first_off[i] = off;
        const size_t before = store.size();
        ok = AppendUtf16String(r, off, data_end, &store);
        decoded[i] = {ok ? before : kBad, store.size() - before};
      }
    }
    if (!ok) ++pool.bad_strings;
    if ((i & 0xfff) == 0xfff && budget != nullptr && budget->Expired()) {
      return Status::Timeout(std::string(location) + ": deadline passed in string pool");
    }
  }
  if (overlapping > 0) {
    note("string-pool-overlap", std::to_string(overlapping) +
                                    " strings not decoded: the pool's strings overlap and decode to "
                                    "over twice its string data");
  }
  if (!pool.utf8) {
    for (size_t i = 0; i < decoded.size(); ++i) {
      if (decoded[i].first != kBad) {
        pool.strings[i] = std::string_view(store).substr(decoded[i].first, decoded[i].second);
      }
    }
  }
  if (pool.bad_strings > 0) {
    note("string-pool-bad-string", std::to_string(pool.bad_strings) + " of " + std::to_string(n) +
                                       " strings out of bounds");
  }
  return pool;
}

const AxmlAttribute* AxmlNode::FindById(uint32_t resource_id) const {
  for (const auto& a : attrs) {
    if (a.resource_id == resource_id) return &a;
  }
  return nullptr;
}

const AxmlAttribute* AxmlNode::FindByName(std::string_view n, std::string_view ns_uri) const {
  for (const auto& a : attrs) {
    if (a.resource_id == 0 && a.name == n && a.ns == ns_uri) return &a;
  }
  return nullptr;
}

Result<AxmlDocument> ParseAxml(std::string_view data, Budget* budget) {
  AxmlDocument doc;
  auto note = [&](std::string code, std::string detail) {
    doc.anomalies.push_back({std::move(code), "AndroidManifest.xml", std::move(detail)});
  };
  ByteReader r(data);
  uint16_t type = 0, header_size = 0;
  uint32_t size = 0;
  if (!r.PeekLEAt(0, &type) || !r.PeekLEAt(2, &header_size) || !r.PeekLEAt(4, &size)) {
    return Status::Malformed("axml: file shorter than a chunk header");
  }
  // The platform (ResXMLTree::setTo) does not check the type, only sizes;
  // obfuscators exploit that, so a wrong type is an anomaly, not an error.
  if (type != kResXmlType) note("axml-bad-magic", "XML chunk type " + Hex32(type));
  if (header_size < kChunkHeaderSize || header_size > data.size()) {
    return Status::Malformed("axml: bad XML header size " + std::to_string(header_size));
  }
  uint64_t end = size;
  if (size > data.size()) {
    note("axml-truncated", "document claims " + std::to_string(size) + " bytes, " +
                               std::to_string(data.size()) + " available");
    doc.truncated = true;
    end = data.size();
  } else if (size < data.size()) {
    note("axml-trailing-data", std::to_string(data.size() - size) + " bytes after the document");
  }
  if (end < header_size) return Status::Malformed("axml: document size smaller than header");

  bool have_pool = false;
  int pools = 0;
  std::vector<size_t> open;  // indices into doc.nodes of open elements
  // Node i's attributes: doc.attributes[first, first + second), made spans
  // once the array no longer grows.
  std::vector<std::pair<size_t, size_t>> attr_ranges;
  uint64_t pos = header_size;
  uint64_t steps = 0;
  while (pos < end) {
    if (++steps > kMaxAxmlNodes * 2ull) {
      note("axml-too-many-chunks", "stopped after " + std::to_string(steps) + " chunks");
      doc.truncated = true;
      break;
    }
    if ((steps & 0x3ff) == 0 && budget != nullptr && budget->Expired()) {
      doc.truncated = true;
      note("axml-deadline", "deadline passed while parsing");
      break;
    }
    uint16_t ctype = 0, chdr = 0;
    uint32_t csize = 0;
    if (!InRange(pos, kChunkHeaderSize, end) || !r.PeekLEAt(pos, &ctype) ||
        !r.PeekLEAt(pos + 2, &chdr) || !r.PeekLEAt(pos + 4, &csize)) {
      note("axml-bad-chunk", "truncated chunk header at " + std::to_string(pos));
      doc.truncated = true;
      break;
    }
    // A chunk must hold its own header and fit; a zero size would loop.
    if (chdr < kChunkHeaderSize || csize < chdr || !InRange(pos, csize, end)) {
      note("axml-bad-chunk", "chunk type " + Hex32(ctype) + " at " + std::to_string(pos) +
                                 " has bad sizes (header " + std::to_string(chdr) + ", size " +
                                 std::to_string(csize) + ")");
      doc.truncated = true;
      break;
    }
    std::string_view chunk = data.substr(static_cast<size_t>(pos), csize);
    ByteReader c(chunk);
    switch (ctype) {
      case kResStringPoolType: {
        auto sp = ParseStringPoolViews(chunk, budget, "AndroidManifest.xml", &doc.anomalies);
        if (!sp.ok()) {
          if (sp.status().code() == "over-limit" || sp.status().code() == "timeout") return sp.status();
          note("axml-bad-string-pool", sp.status().message());
          break;
        }
        // ResXMLTree::setTo keeps the last pool it sees before the first node.
        if (++pools > 1) note("axml-multiple-string-pools", "more than one string pool");
        if (!have_pool || doc.nodes.empty()) {
          doc.strings = std::move(sp->strings);
          doc.storage.push_back(std::move(sp->storage));
        }
        have_pool = true;
        break;
      }
      case kResXmlResourceMapType: {
        uint64_t n = (csize - chdr) / 4;
        if (budget != nullptr) {
          Status st = budget->CheckCount("AndroidManifest.xml resource map", n);
          if (!st.ok()) {
            n = budget->limits().max_table_items;
            note("axml-over-limit", st.message() + "; the first " + std::to_string(n) + " kept");
          }
        }
        doc.resource_ids.resize(static_cast<size_t>(n));
        for (uint64_t i = 0; i < n; ++i) c.PeekLEAt(chdr + 4 * i, &doc.resource_ids[i]);
        break;
      }
      case kResXmlStartNamespaceType:
      case kResXmlEndNamespaceType:
        // Attributes carry their namespace URI directly; prefixes are not
        // needed to identify anything.
        break;
      case kResXmlStartElementType: {
        // ResXMLTree_node (16 bytes) then ResXMLTree_attrExt at headerSize.
        uint32_t line = 0, ns = kNoIndex, name = kNoIndex;
        uint16_t attr_start = 0, attr_size = 0, attr_count = 0;
        c.PeekLEAt(8, &line);
        if (!c.PeekLEAt(chdr, &ns) || !c.PeekLEAt(chdr + 4, &name) ||
            !c.PeekLEAt(chdr + 8, &attr_start) || !c.PeekLEAt(chdr + 10, &attr_size) ||
            !c.PeekLEAt(chdr + 12, &attr_count)) {
          note("axml-bad-element", "start element at " + std::to_string(pos) + " truncated");
          break;
        }
        if (doc.nodes.size() >= kMaxAxmlNodes) {
          note("axml-too-many-nodes", "stopped at " + std::to_string(kMaxAxmlNodes) + " elements");
          doc.truncated = true;
          pos = end;
          continue;
        }
        if (budget != nullptr) {
          Status st = budget->CheckCount("AndroidManifest.xml elements", doc.nodes.size() + 1);
          if (!st.ok()) {
            // The elements read so far are kept; the rest is not read.
            note("axml-over-limit", "elements over max_table_items " +
                                        std::to_string(budget->limits().max_table_items) +
                                        "; the first " + std::to_string(doc.nodes.size()) + " kept");
            doc.truncated = true;
            pos = end;
            continue;
          }
        }
        if (!have_pool) note("axml-no-string-pool", "element before any string pool");
        AxmlNode node;
        node.line = line;
        node.ns = ns == kNoIndex ? "" : (ns < doc.strings.size() ? doc.strings[ns] : "");
        if (name >= doc.strings.size()) {
          note("axml-bad-string-ref", "element name index " + std::to_string(name) + " out of range");
        } else {
          node.name = doc.strings[name];
        }
        node.depth = static_cast<int>(open.size()) + 1;
        uint64_t abase = uint64_t{chdr} + attr_start;
        // attributeSize is normally 20 (ResXMLTree_attribute); smaller cannot
        // hold a typed value, larger strides are honoured as the platform does.
        if (attr_count > 0 && attr_size < 20) {
          note("axml-bad-attribute-size", "attributeSize " + std::to_string(attr_size));
          attr_count = 0;
        }
        uint32_t count = attr_count;
        if (count > kMaxAxmlAttributes) count = kMaxAxmlAttributes;
        if (count > 0 && attr_size > 0) {
          uint64_t fit = abase < csize ? (csize - abase) / attr_size : 0;
          if (count > fit) {
            note("axml-bad-attribute-count", "element '" + std::string(node.name) + "' declares " +
                                                 std::to_string(attr_count) + " attributes, room for " +
                                                 std::to_string(fit));
            count = static_cast<uint32_t>(fit);
          }
        }
        // Every attribute's 20 bytes lie inside the chunk (count is cut to
        // what fits), so they are read without a check per field.
        attr_ranges.push_back({doc.attributes.size(), count});
        const std::vector<std::string_view>& strings = doc.strings;
        const size_t nstrings = strings.size(), nids = doc.resource_ids.size();
        for (uint32_t i = 0; i < count; ++i) {
          const char* ap = chunk.data() + abase + uint64_t{i} * attr_size;
          const uint32_t ans = LoadLE<uint32_t>(ap), aname = LoadLE<uint32_t>(ap + 4),
                         raw = LoadLE<uint32_t>(ap + 8), data32 = LoadLE<uint32_t>(ap + 16);
          const uint8_t dtype = static_cast<uint8_t>(ap[15]);
          AxmlAttribute& a = doc.attributes.emplace_back();
          if (ans != kNoIndex && ans < nstrings) a.ns = strings[ans];
          if (aname < nstrings) a.name = strings[aname];
          // Resource map entry i is the id of the attribute named by string i
          // (ResXMLParser::getAttributeNameResID).
          if (aname < nids) a.resource_id = doc.resource_ids[aname];
          a.type = dtype;
          a.data = data32;
          if (raw != kNoIndex && raw < nstrings) {
            a.string_value = strings[raw];
            a.has_raw = true;
          }
          // The platform reads string attributes through the typed value;
          // prefer it when it names a valid string.
          if (dtype == kTypeString && data32 < nstrings) {
            if (a.has_raw && a.string_value != strings[data32]) {
              note("axml-raw-typed-mismatch", "attribute '" + std::string(a.name) +
                                                  "' raw and typed strings differ");
            }
            a.string_value = strings[data32];
            a.has_raw = true;
          }
        }
        if (open.size() >= kMaxAxmlDepth) {
          note("axml-too-deep", "element nesting over " + std::to_string(kMaxAxmlDepth));
          doc.truncated = true;
          doc.nodes.push_back(std::move(node));
          pos = end;
          continue;
        }
        open.push_back(doc.nodes.size());
        doc.nodes.push_back(std::move(node));
        break;
      }
      case kResXmlEndElementType:
        if (open.empty()) {
          note("axml-unbalanced", "end element without start at " + std::to_string(pos));
        } else {
          open.pop_back();
        }
        break;
      case kResXmlCdataType: {
        uint32_t idx = kNoIndex;
        if (c.PeekLEAt(chdr, &idx) && idx < doc.strings.size() && !open.empty()) {
          std::string& text = doc.nodes[open.back()].text;
          if (text.size() < kMaxStringBytes) text += doc.strings[idx];
        }
        break;
      }
      default:
        note("axml-unknown-chunk", "chunk type " + Hex32(ctype) + " at " + std::to_string(pos));
        break;
    }
    pos += csize;
  }
  if (!have_pool) return Status::Malformed("axml: no string pool");
  if (!open.empty() && !doc.truncated) {
    note("axml-unbalanced", std::to_string(open.size()) + " elements not closed");
  }
  for (size_t i = 0; i < doc.nodes.size(); ++i) {
    doc.nodes[i].attrs = std::span<const AxmlAttribute>(doc.attributes)
                             .subspan(attr_ranges[i].first, attr_ranges[i].second);
  }
  return doc;
}

std::string FormatResValue(uint8_t type, uint32_t data, std::string_view string_value) {
  char buf[64];
  switch (type) {
    case kTypeString:
      return std::string(string_value);
    case kTypeNull:
      return std::string(string_value);
    case kTypeReference:
    case kTypeDynamicReference:
      std::snprintf(buf, sizeof(buf), "@0x%08x", data);
      return buf;
    case kTypeAttribute:
    case kTypeDynamicAttribute:
      std::snprintf(buf, sizeof(buf), "?0x%08x", data);
      return buf;
    case kTypeFloat: {
      float f;
      static_assert(sizeof(f) == sizeof(data));
      std::memcpy(&f, &data, sizeof(f));
      std::snprintf(buf, sizeof(buf), "%g", static_cast<double>(f));
      return buf;
    }
    case kTypeDimension: {
      static const char* kUnits[] = {"px", "dip", "sp", "pt", "in", "mm"};
      uint32_t unit = data & 0xf;
      return FormatDouble(ComplexToFloat(data)) + (unit < 6 ? kUnits[unit] : " (unknown unit)");
    }
    case kTypeFraction: {
      uint32_t unit = data & 0xf;
      return FormatDouble(ComplexToFloat(data) * 100) + (unit == 0 ? "%" : unit == 1 ? "%p" : "?");
    }
    case kTypeIntDec:
      return std::to_string(static_cast<int32_t>(data));
    case kTypeIntHex:
      std::snprintf(buf, sizeof(buf), "0x%x", data);
      return buf;
    case kTypeIntBoolean:
      return data != 0 ? "true" : "false";
    case kTypeIntColorArgb8:
    case kTypeIntColorRgb8:
    case kTypeIntColorArgb4:
    case kTypeIntColorRgb4:
      std::snprintf(buf, sizeof(buf), "#%08x", data);
      return buf;
    default:
      std::snprintf(buf, sizeof(buf), "(type 0x%02x)0x%x", type, data);
      return buf;
  }
}

}  // namespace shelfguard
