// Reading the zip structure ourselves, bounded (APPNOTE.TXT 4.3): the end
// record (and zip64's), the central directory, each entry's local header,
// and recovery of entries by their local headers when the directory is
// unusable. What is odd is recorded as an anomaly; libzip sees only what this
// found (zip_rebuild.cc) when it would misread the original.
#include <algorithm>
#include <cstdint>
#include <string>

#include "zip_internal.h"

namespace shelfguard::zip_internal {

std::string Printable(std::string_view name) {
  std::string s;
  for (unsigned char c : name.substr(0, 200)) {
    if (c < 0x20 || c == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      s += "\\x";
      s += kHex[c >> 4];
      s += kHex[c & 15];
    } else {
      s += static_cast<char>(c);
    }
  }
  return s;
}

namespace {

// Finds the end-of-central-directory record in the last 64 KiB + 22 bytes.
// Prefers the record whose comment ends exactly at the end of the file (a
// comment may itself contain the signature).
std::optional<Eocd> FindEocd(const PackageBytes& im, AnomalyLog* log, const std::string& label) {
  if (im.size < kEocdSize) return std::nullopt;
  uint64_t tail_len = std::min<uint64_t>(im.size, kEocdSize + kMaxComment);
  uint64_t tail_off = im.size - tail_len;
  std::string scratch;
  auto tail = im.At(tail_off, tail_len, &scratch);
  if (!tail) return std::nullopt;
  ByteReader r(*tail);
  std::optional<Eocd> fallback;
  // Candidates from the last one back: every place the signature starts
  // with a whole record after it (found with rfind rather than by decoding
  // a record at each of up to 64 KiB positions).
  const std::string_view kSig("PK\5\6", 4);
  for (size_t i = tail->rfind(kSig, tail_len - kEocdSize); i != std::string_view::npos;
       i = i == 0 ? std::string_view::npos : tail->rfind(kSig, i - 1)) {
    auto rec = Record::At(r, i, kEocdSize);
    if (!rec) continue;
    Eocd e;
    e.pos = tail_off + i;
    e.entries = rec->LE<uint16_t>(10);
    e.cd_size = rec->LE<uint32_t>(12);
    e.cd_offset = rec->LE<uint32_t>(16);
    e.comment_len = rec->LE<uint16_t>(20);
    if (i + kEocdSize + e.comment_len == tail_len) return e;
    if (!fallback) fallback = e;  // the last record in the file
  }
  if (fallback) {
    uint64_t end = fallback->pos + kEocdSize + fallback->comment_len;
    if (end > im.size) {
      log->Add("zip-eocd-comment", label, "EOCD comment length " +
                                              std::to_string(fallback->comment_len) +
                                              " runs past the end of the file");
    } else {
      log->Add("zip-trailing-data", label,
               std::to_string(im.size - end) + " bytes after the end of central directory");
    }
  }
  return fallback;
}

// Reads the zip64 end-of-central-directory record when the classic one says
// a field overflowed.
void ApplyZip64(const PackageBytes& im, Eocd* e) {
  if (e->entries != 0xffff && e->cd_size != 0xffffffff && e->cd_offset != 0xffffffff) return;
  if (e->pos < 20) return;
  std::string s1, s2;
  auto loc = im.At(e->pos - 20, 20, &s1);
  if (!loc) return;
  auto lr = Record::At(ByteReader(*loc), 0, 20);
  if (!lr || lr->LE<uint32_t>(0) != kZip64LocatorSig) return;
  auto bytes = im.At(lr->LE<uint64_t>(8), 56, &s2);
  if (!bytes) return;
  auto rr = Record::At(ByteReader(*bytes), 0, 56);
  if (!rr || rr->LE<uint32_t>(0) != kZip64EocdSig) return;
  e->entries = rr->LE<uint64_t>(32);
  e->cd_size = rr->LE<uint64_t>(40);
  e->cd_offset = rr->LE<uint64_t>(48);
}

// Reads zip64 sizes/offset from an entry's extra field (APPNOTE 4.5.3).
void ApplyZip64Extra(std::string_view extra, RawEntry* e) {
  ByteReader r(extra);
  for (;;) {
    auto id = r.ReadLE<uint16_t>();
    auto len = id ? r.ReadLE<uint16_t>() : std::nullopt;
    auto body = len ? r.ReadBytes(*len) : std::nullopt;
    if (!body) return;
    if (*id != 0x0001) continue;
    ByteReader b(*body);
    if (e->usize == 0xffffffff) e->usize = b.ReadLE<uint64_t>().value_or(e->usize);
    if (e->csize == 0xffffffff) e->csize = b.ReadLE<uint64_t>().value_or(e->csize);
    if (e->local_offset == 0xffffffff) {
      e->local_offset = b.ReadLE<uint64_t>().value_or(e->local_offset);
    }
    return;
  }
}

// Parses central-directory records in [begin, end) (absolute offsets; local
// header offsets are shifted by `base`). Stops at the first bad record.
// Returns false when the directory ended early.
// Central directory records and local headers share a run of fields, in the
// same order from "version needed to extract" on (APPNOTE 4.3.7, 4.3.12);
// it starts at these offsets.
constexpr uint64_t kCentralShared = 6;
constexpr uint64_t kLocalShared = 4;

struct NameAndExtra {
  uint16_t name_len = 0;
  uint16_t extra_len = 0;
};

// Reads the shared fields of the record `rec`, whose shared run starts at
// `at`, into `e`; returns the lengths of the name and extra field that
// follow the record.
NameAndExtra ReadSharedFields(const Record& rec, uint64_t at, RawEntry* e) {
  e->flags = rec.LE<uint16_t>(at + 2);
  e->method = rec.LE<uint16_t>(at + 4);
  e->crc = rec.LE<uint32_t>(at + 10);
  e->csize = rec.LE<uint32_t>(at + 14);
  e->usize = rec.LE<uint32_t>(at + 18);
  return {rec.LE<uint16_t>(at + 22), rec.LE<uint16_t>(at + 24)};
}

// Whether `s` is UTF-8 in the strict sense (no overlong forms, surrogates
// or code points past U+10FFFF) without control characters other than tab,
// CR and LF: stricter than libzip's check of a name flagged UTF-8, so a name
// that passes here passes there.
bool IsStrictUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return false;
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// Whether a directory record is as plain as Directory::plain requires.
bool PlainRecord(const Record& rec, const RawEntry& e, std::string_view name, std::string_view extra,
                 std::string_view comment) {
  constexpr uint16_t kEncrypted = 0x1, kStrongEncryption = 0x40, kUtf8 = 0x800;
  if ((e.flags & (kEncrypted | kStrongEncryption)) != 0 || (e.method != 0 && e.method != 8)) return false;
  if (e.csize == 0xffffffff || e.usize == 0xffffffff || e.local_offset == 0xffffffff) return false;
  if (rec.LE<uint16_t>(34) != 0) return false;  // disk number start
  if (name.empty() || name.find('\0') != std::string_view::npos) return false;
  if ((e.flags & kUtf8) != 0 && (!IsStrictUtf8(name) || !IsStrictUtf8(comment))) return false;
  // Extra fields: whole (id, length, data) blocks and none that libzip acts
  // on (zip64 0x0001, Info-ZIP Unicode path and comment 0x7075 and 0x6375,
  // WinZip AES 0x9901).
  ByteReader r(extra);
  while (!r.eof()) {
    auto id = r.ReadLE<uint16_t>();
    auto len = id ? r.ReadLE<uint16_t>() : std::nullopt;
    if (!len || !r.Skip(*len)) return false;
    if (*id == 0x0001 || *id == 0x7075 || *id == 0x6375 || *id == 0x9901) return false;
  }
  return true;
}

// Whether the end record at `e` is as plain as Directory::plain requires.
bool PlainEnd(const PackageBytes& im, const Eocd& e) {
  if (e.pos + kEocdSize + e.comment_len != im.size) return false;
  std::string scratch;
  auto bytes = im.At(e.pos, kEocdSize, &scratch);
  if (!bytes) return false;
  auto rec = Record::At(ByteReader(*bytes), 0, kEocdSize);
  if (!rec || rec->LE<uint16_t>(4) != 0 || rec->LE<uint16_t>(6) != 0 ||
      rec->LE<uint16_t>(8) != rec->LE<uint16_t>(10) || rec->LE<uint16_t>(10) == 0xffff ||
      rec->LE<uint32_t>(12) == 0xffffffff || rec->LE<uint32_t>(16) == 0xffffffff) {
    return false;
  }
  // No zip64 locator before it, and no other end record signature where
  // libzip looks for one (the last 64 KiB + 42 bytes): libzip weighs
  // candidates against each other by their local headers.
  constexpr uint64_t kLocatorSize = 20;
  const uint64_t window = std::min<uint64_t>(im.size, kEocdSize + kMaxComment + kLocatorSize);
  auto tail = im.At(im.size - window, window, &scratch);
  if (!tail) return false;
  const char kSig[4] = {'P', 'K', 5, 6};
  const char kLocator[4] = {'P', 'K', 6, 7};
  const uint64_t at = e.pos - (im.size - window);
  if (at >= kLocatorSize && tail->substr(at - kLocatorSize, 4) == std::string_view(kLocator, 4)) return false;
  return tail->find(std::string_view(kSig, 4)) == at &&
         tail->find(std::string_view(kSig, 4), at + 1) == std::string_view::npos;
}

bool ParseCentral(const PackageBytes& im, uint64_t begin, uint64_t end, uint64_t base,
                  uint64_t max_entries, std::vector<RawEntry>* out, std::string* why, bool* plain) {
  std::string scratch;
  auto cd = im.At(begin, end - begin, &scratch);
  if (!cd) {
    *why = "central directory out of range";
    return false;
  }
  ByteReader r(*cd);
  while (!r.eof()) {
    if (out->size() > max_entries) return true;  // the caller reports over-limit
    size_t at = r.pos();
    uint32_t sig = 0;
    if (!r.PeekLEAt(at, &sig) || sig != kCentralSig) {
      *why = "bad central directory record at offset " + std::to_string(begin + at);
      return false;
    }
    auto rec = Record::At(r, at, kCentralSize);
    if (!rec || !r.Skip(kCentralSize)) {
      *why = "central directory record at offset " + std::to_string(begin + at) + " is cut off";
      return false;
    }
    RawEntry e;
    auto [name_len, extra_len] = ReadSharedFields(*rec, kCentralShared, &e);
    uint16_t comment_len = rec->LE<uint16_t>(32);
    e.local_offset = rec->LE<uint32_t>(42);
    auto name = r.ReadBytes(name_len);
    auto extra = name ? r.ReadBytes(extra_len) : std::nullopt;
    auto comment = extra ? r.ReadBytes(comment_len) : std::nullopt;
    if (!name || !extra || !comment) {
      *why = "central directory record at offset " + std::to_string(begin + at) +
             " runs past the directory";
      return false;
    }
    if (*plain) *plain = PlainRecord(*rec, e, *name, *extra, *comment);
    e.name.assign(*name);
    ApplyZip64Extra(*extra, &e);
    if (base > 0 && e.local_offset <= UINT64_MAX - base) e.local_offset += base;
    out->push_back(std::move(e));
  }
  return true;
}

// Checks an entry's local header and locates its data. Returns "" when fine,
// else why the entry cannot be read.
std::string CheckLocal(const PackageBytes& im, RawEntry* e, AnomalyLog* log) {
  std::string scratch;
  auto lh = im.At(e->local_offset, kLocalSize, &scratch);
  if (!lh) return "local header at offset " + std::to_string(e->local_offset) + " is out of range";
  auto r = Record::At(ByteReader(*lh), 0, kLocalSize);
  if (!r || r->LE<uint32_t>(0) != kLocalSig) {
    return "no local header at offset " + std::to_string(e->local_offset);
  }
  RawEntry local;
  auto [name_len, extra_len] = ReadSharedFields(*r, kLocalShared, &local);
  if (local.method != e->method) {
    log->Add("zip-header-mismatch", Printable(e->name),
             "compression method " + std::to_string(e->method) +
                 " in the central directory, " + std::to_string(local.method) +
                 " in the local header; the central directory is used");
  }
  std::string scratch2;
  auto lname = im.At(e->local_offset + kLocalSize, name_len, &scratch2);
  if (lname && *lname != e->name) {
    log->Add("zip-header-mismatch", Printable(e->name),
             "local header names it '" + Printable(*lname) + "'; the central directory name is used");
  }
  uint64_t data = e->local_offset + kLocalSize + name_len + extra_len;
  if (!InRange(data, e->csize, im.size)) {
    return "data (" + std::to_string(e->csize) + " bytes at offset " + std::to_string(data) +
           ") runs past the end of the file";
  }
  e->data_offset = data;
  e->readable = true;
  return "";
}

}  // namespace

// Entries whose size is only in a data descriptor are located by the
// descriptor whose compressed size matches its distance.
void ScanLocalHeaders(std::string_view bytes, uint64_t max_entries, std::vector<RawEntry>* out,
                      const std::vector<uint64_t>& known_offsets) {
  ByteReader r(bytes);
  const char kSig[4] = {'P', 'K', 3, 4};
  size_t pos = 0;
  while (pos < bytes.size() && out->size() <= max_entries) {
    size_t hit = bytes.find(std::string_view(kSig, 4), pos);
    if (hit == std::string_view::npos) break;
    pos = hit + 4;
    auto lh = Record::At(r, hit, kLocalSize);
    if (!lh) break;
    RawEntry e;
    e.local_offset = hit;
    auto [name_len, extra_len] = ReadSharedFields(*lh, kLocalShared, &e);
    auto name = r.BytesAt(hit + kLocalSize, name_len);
    if (!name) break;
    e.name.assign(*name);
    uint64_t data = hit + kLocalSize + name_len + extra_len;
    if (data > bytes.size()) break;
    if ((e.flags & 0x8) != 0 && e.csize == 0) {
      // Sizes follow the data: find "PK\7\8" + crc + csize where csize
      // equals the distance from the data start.
      const char kDd[4] = {'P', 'K', 7, 8};
      size_t look = data;
      bool found = false;
      while (!found) {
        size_t dd = bytes.find(std::string_view(kDd, 4), look);
        auto desc = dd == std::string_view::npos ? std::nullopt : Record::At(r, dd, 16);
        if (!desc) break;
        if (desc->LE<uint32_t>(8) == dd - data) {
          e.crc = desc->LE<uint32_t>(4);
          e.csize = dd - data;
          e.usize = desc->LE<uint32_t>(12);
          found = true;
        }
        look = dd + 4;
      }
      if (!found) continue;
    }
    if (!InRange(data, e.csize, bytes.size())) continue;
    if (std::find(known_offsets.begin(), known_offsets.end(), hit) == known_offsets.end()) {
      e.data_offset = data;
      e.readable = true;
      out->push_back(std::move(e));
    }
    pos = static_cast<size_t>(data + e.csize);
  }
}

Directory ReadDirectory(const PackageBytes& im, uint64_t max_entries, AnomalyLog* log, const std::string& label) {
  Directory d;
  d.eocd = FindEocd(im, log, label);
  std::optional<Eocd>& eocd = d.eocd;
  uint64_t cd_begin = 0, cd_end = 0;
  uint64_t& base = d.base;
  if (eocd) {
    ApplyZip64(im, &*eocd);
    std::string scratch;
    auto sig_at = [&](uint64_t off) {
      auto b = im.At(off, 4, &scratch);
      return b && ByteReader(*b).LEAt<uint32_t>(0) == kCentralSig;
    };
    bool cd_fits = eocd->cd_offset <= eocd->pos && eocd->cd_size <= eocd->pos - eocd->cd_offset;
    if (cd_fits) {
      uint64_t gap = eocd->pos - eocd->cd_offset - eocd->cd_size;
      if (eocd->entries == 0 && eocd->cd_size == 0) {
        // An empty archive.
      } else if (sig_at(eocd->cd_offset)) {
        if (gap > 0) {
          log->Add("zip-gap-before-eocd", label,
                  std::to_string(gap) + " bytes between the central directory and its end record");
        }
      } else if (gap > 0 && sig_at(eocd->cd_offset + gap)) {
        // Offsets relative to the start of the zip, which was appended to
        // other data (a self-extractor, `cat prefix a.zip`).
        base = gap;
        log->Add("zip-prefixed-data", label,
                std::to_string(gap) + " bytes precede the zip and its offsets ignore them");
      } else {
        d.problem = "no central directory at offset " + std::to_string(eocd->cd_offset);
      }
      cd_begin = eocd->cd_offset + base;
      cd_end = cd_begin + eocd->cd_size;
    } else if (eocd->cd_offset < eocd->pos && sig_at(eocd->cd_offset)) {
      cd_begin = eocd->cd_offset;
      cd_end = eocd->pos;
      d.problem = "central directory of " + std::to_string(eocd->cd_size) +
                   " bytes overruns its end record";
    } else {
      d.problem = "central directory offset " + std::to_string(eocd->cd_offset) + " + size " +
                   std::to_string(eocd->cd_size) + " lies outside the file";
    }
    bool plain_records = true;
    if (cd_end > cd_begin && (d.problem.empty() || cd_end == eocd->pos)) {
      // As many records as declared, if the directory can hold them and
      // within the entry limit (the count is the file's word only).
      d.raw.reserve(static_cast<size_t>(
          std::min({eocd->entries, max_entries + 1, (cd_end - cd_begin) / kCentralSize})));
      std::string why;
      if (!ParseCentral(im, cd_begin, cd_end, base, max_entries, &d.raw, &why, &plain_records)) {
        d.problem = why;
      }
    }
    if (d.problem.empty() && d.raw.size() != eocd->entries && d.raw.size() <= max_entries) {
      log->Add("zip-entry-count-mismatch", label,
              "end record declares " + std::to_string(eocd->entries) + " entries, the directory holds " +
                  std::to_string(d.raw.size()));
      d.need_rebuild = true;  // libzip trusts the count
    }
    d.plain = plain_records && d.problem.empty() && !d.need_rebuild && base == 0 && !d.raw.empty() &&
              d.raw.size() == eocd->entries && cd_end == eocd->pos && PlainEnd(im, *eocd);
  } else {
    d.problem = "no end of central directory record";
  }
  return d;
}

void CheckLayout(const PackageBytes& im, uint64_t base, std::vector<RawEntry>* raw, AnomalyLog* log,
                 const std::string& label) {
  uint64_t first_local = UINT64_MAX;
  for (auto& e : *raw) {
    if (!e.readable) {
      std::string why = CheckLocal(im, &e, log);
      if (!why.empty()) log->Add("zip-bad-entry", Printable(e.name), why);
    }
    first_local = std::min(first_local, e.local_offset);
  }
  if (first_local != UINT64_MAX && first_local > 0 && base == 0) {
    std::string scratch;
    auto head = im.At(0, std::min<uint64_t>(first_local, 8), &scratch);
    bool dex = head && head->substr(0, 4) == std::string_view("dex\n", 4);
    log->Add("zip-prefixed-data", label,
            std::to_string(first_local) + " bytes before the first local header" +
                (dex ? " start with a DEX header (Janus, CVE-2017-13156)" : ""));
  }
  {
    std::vector<std::pair<uint64_t, uint64_t>> spans;  // [start, end) of header+data
    for (const auto& e : *raw) {
      if (e.readable) spans.emplace_back(e.local_offset, e.data_offset + e.csize);
    }
    std::sort(spans.begin(), spans.end());
    uint64_t end = 0;
    for (size_t i = 0; i < spans.size(); ++i) {
      if (i > 0 && spans[i].first < end) {
        log->Add("zip-overlapping-entries", label,
                "entry at offset " + std::to_string(spans[i].first) +
                    " overlaps the data of an earlier entry");
      }
      end = std::max(end, spans[i].second);
    }
  }
}

}  // namespace shelfguard::zip_internal
