// The archive layer: our own bounded reading of the zip structure (EOCD,
// central directory, local headers; APPNOTE.TXT 4.3) for the entry list and
// for what was odd, and libzip for inflating entry data.
//
// Why both: libzip stops at the first NUL of a name, refuses archives Android
// installs (truncated or inconsistent central directory) and cannot inflate
// an entry whose method field is unknown. Android's libziparchive inflates
// every method other than 0 (stored) as deflate; we do the same and record an
// anomaly. When libzip refuses the container, the entries we could find (in
// the central directory, else by scanning local headers) are copied into a
// rebuilt in-memory zip that libzip reads; that is recorded as well.
#include "shelfguard/archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>

#include "shelfguard/byte_reader.h"

namespace shelfguard {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEocdSig = 0x06054b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50;
constexpr uint32_t kDataDescriptorSig = 0x08074b50;
constexpr uint64_t kEocdSize = 22;
constexpr uint64_t kCentralSize = 46;
constexpr uint64_t kLocalSize = 30;
constexpr uint64_t kMaxComment = 0xffff;
// Anomalies of one kind beyond this many are summarised in one more.
constexpr size_t kMaxAnomaliesPerCode = 20;
// A rebuilt zip is written without zip64 records.
constexpr uint64_t kMaxRebuiltEntries = 0xfffe;

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

std::string ZipErrorString(int code) {
  zip_error_t err;
  zip_error_init_with_code(&err, code);
  std::string s = zip_error_strerror(&err);
  zip_error_fini(&err);
  return s;
}

void PutLE16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>(v >> 8));
}
void PutLE32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// One entry as found in the central directory (or a local header).
struct RawEntry {
  std::string name;
  uint16_t flags = 0;
  uint16_t method = 0;
  uint32_t crc = 0;
  uint64_t csize = 0;
  uint64_t usize = 0;
  uint64_t local_offset = 0;  // absolute offset of the local header
  uint64_t data_offset = 0;   // absolute offset of the data; valid when readable
  bool readable = false;      // local header found and data inside the file
};

// Packages up to this size are loaded into memory when opened.
constexpr uint64_t kLoadWholeBytes = kArchiveLoadWholeBytes;

// The package bytes: owned (memory, or a file loaded for repair) or read
// from a file descriptor on demand.
struct PackageBytes {
  std::string data;
  bool in_memory = false;
  int fd = -1;
  uint64_t size = 0;

  // Bytes [off, off + n) of the package, or nullopt when out of range.
  std::optional<std::string_view> At(uint64_t off, uint64_t n, std::string* scratch) const {
    if (!InRange(off, n, size)) return std::nullopt;
    if (in_memory) return std::string_view(data).substr(off, n);
    scratch->resize(n);
    uint64_t done = 0;
    while (done < n) {
      ssize_t got = pread(fd, scratch->data() + done, n - done, static_cast<off_t>(off + done));
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        return std::nullopt;
      }
      done += static_cast<uint64_t>(got);
    }
    return std::string_view(*scratch);
  }
  // Loads a file-backed package into memory (its size was checked against
  // max_package_bytes when opened).
  bool Load() {
    if (in_memory) return true;
    std::string all;
    if (!At(0, size, &all)) return false;
    data = std::move(all);
    in_memory = true;
    return true;
  }
};

}  // namespace

struct Archive::Impl : PackageBytes {
  zip_t* zip = nullptr;
  std::vector<RawEntry> raw;  // parallel to Archive::entries_
  bool rebuilt = false;       // zip is a rebuilt copy; indices are ours

  ~Impl() {
    if (zip != nullptr) zip_discard(zip);
    if (fd >= 0) close(fd);
  }
};

Archive::~Archive() = default;

namespace {

// Collects anomalies, summarising floods of one kind.
class AnomalyLog {
 public:
  explicit AnomalyLog(std::vector<Anomaly>* out) : out_(out) {}
  void Add(const std::string& code, std::string location, std::string detail) {
    size_t& n = counts_[code];
    ++n;
    if (n <= kMaxAnomaliesPerCode) {
      out_->push_back({code, std::move(location), std::move(detail)});
    }
  }
  void Finish(const std::string& label) {
    for (const auto& [code, n] : counts_) {
      if (n > kMaxAnomaliesPerCode) {
        out_->push_back({code, label, std::to_string(n - kMaxAnomaliesPerCode) +
                                          " more of this kind not listed"});
      }
    }
  }

 private:
  std::vector<Anomaly>* out_;
  std::unordered_map<std::string, size_t> counts_;
};

struct Eocd {
  uint64_t pos = 0;
  uint64_t entries = 0;
  uint64_t cd_size = 0;
  uint64_t cd_offset = 0;
  uint64_t comment_len = 0;
};

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
  for (uint64_t i = tail_len - kEocdSize + 1; i-- > 0;) {
    uint32_t sig = 0;
    if (!r.PeekLEAt(i, &sig) || sig != kEocdSig) continue;
    Eocd e;
    e.pos = tail_off + i;
    e.entries = *r.LEAt<uint16_t>(i + 10);
    e.cd_size = *r.LEAt<uint32_t>(i + 12);
    e.cd_offset = *r.LEAt<uint32_t>(i + 16);
    e.comment_len = *r.LEAt<uint16_t>(i + 20);
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
  ByteReader lr(*loc);
  if (lr.LEAt<uint32_t>(0) != kZip64LocatorSig) return;
  uint64_t off = *lr.LEAt<uint64_t>(8);
  auto rec = im.At(off, 56, &s2);
  if (!rec) return;
  ByteReader rr(*rec);
  if (rr.LEAt<uint32_t>(0) != kZip64EocdSig) return;
  e->entries = *rr.LEAt<uint64_t>(32);
  e->cd_size = *rr.LEAt<uint64_t>(40);
  e->cd_offset = *rr.LEAt<uint64_t>(48);
}

// Reads zip64 sizes/offset from an entry's extra field (APPNOTE 4.5.3).
void ApplyZip64Extra(std::string_view extra, RawEntry* e) {
  ByteReader r(extra);
  while (r.remaining() >= 4) {
    uint16_t id = *r.ReadLE<uint16_t>();
    uint16_t len = *r.ReadLE<uint16_t>();
    auto body = r.ReadBytes(len);
    if (!body) return;
    if (id != 0x0001) continue;
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
bool ParseCentral(const PackageBytes& im, uint64_t begin, uint64_t end, uint64_t base,
                  uint64_t max_entries, std::vector<RawEntry>* out, std::string* why) {
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
    if (r.remaining() < kCentralSize) {
      *why = "central directory record at offset " + std::to_string(begin + at) + " is cut off";
      return false;
    }
    RawEntry e;
    e.flags = *r.LEAt<uint16_t>(at + 8);
    e.method = *r.LEAt<uint16_t>(at + 10);
    e.crc = *r.LEAt<uint32_t>(at + 16);
    e.csize = *r.LEAt<uint32_t>(at + 20);
    e.usize = *r.LEAt<uint32_t>(at + 24);
    uint16_t name_len = *r.LEAt<uint16_t>(at + 28);
    uint16_t extra_len = *r.LEAt<uint16_t>(at + 30);
    uint16_t comment_len = *r.LEAt<uint16_t>(at + 32);
    e.local_offset = *r.LEAt<uint32_t>(at + 42);
    (void)r.Skip(kCentralSize);  // remaining() >= kCentralSize was checked
    auto name = r.ReadBytes(name_len);
    auto extra = name ? r.ReadBytes(extra_len) : std::nullopt;
    if (!name || !extra || !r.Skip(comment_len)) {
      *why = "central directory record at offset " + std::to_string(begin + at) +
             " runs past the directory";
      return false;
    }
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
  ByteReader r(*lh);
  if (r.LEAt<uint32_t>(0) != kLocalSig) {
    return "no local header at offset " + std::to_string(e->local_offset);
  }
  uint16_t method = *r.LEAt<uint16_t>(8);
  uint16_t name_len = *r.LEAt<uint16_t>(26);
  uint16_t extra_len = *r.LEAt<uint16_t>(28);
  if (method != e->method) {
    log->Add("zip-header-mismatch", Printable(e->name),
             "compression method " + std::to_string(e->method) +
                 " in the central directory, " + std::to_string(method) +
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

// Finds entries by their local headers when there is no usable central
// directory. Entries whose size is only in a data descriptor are located by
// the descriptor whose compressed size matches its distance.
void ScanLocalHeaders(std::string_view bytes, uint64_t max_entries, std::vector<RawEntry>* out,
                      const std::vector<uint64_t>& known_offsets) {
  ByteReader r(bytes);
  const char kSig[4] = {'P', 'K', 3, 4};
  size_t pos = 0;
  while (pos < bytes.size() && out->size() <= max_entries) {
    size_t hit = bytes.find(std::string_view(kSig, 4), pos);
    if (hit == std::string_view::npos) break;
    pos = hit + 4;
    if (r.size() - hit < kLocalSize) break;
    RawEntry e;
    e.local_offset = hit;
    e.flags = *r.LEAt<uint16_t>(hit + 6);
    e.method = *r.LEAt<uint16_t>(hit + 8);
    e.crc = *r.LEAt<uint32_t>(hit + 14);
    e.csize = *r.LEAt<uint32_t>(hit + 18);
    e.usize = *r.LEAt<uint32_t>(hit + 22);
    uint16_t name_len = *r.LEAt<uint16_t>(hit + 26);
    uint16_t extra_len = *r.LEAt<uint16_t>(hit + 28);
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
        if (dd == std::string_view::npos || r.size() - dd < 16) break;
        if (r.LEAt<uint32_t>(dd + 8) == dd - data) {
          e.crc = *r.LEAt<uint32_t>(dd + 4);
          e.csize = dd - data;
          e.usize = *r.LEAt<uint32_t>(dd + 12);
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

// A zip holding `entries` (data copied from `im`), readable by libzip.
// Unknown methods are written as deflate, as Android inflates them. Names are
// replaced by their index: entries are read by index only.
std::string Rebuild(const PackageBytes& im, const std::vector<const RawEntry*>& entries) {
  std::string out;
  std::vector<uint64_t> offsets;
  std::string scratch;
  for (size_t i = 0; i < entries.size(); ++i) {
    const RawEntry& e = *entries[i];
    std::string name = "e" + std::to_string(i);
    uint16_t method = e.method == 0 ? 0 : 8;
    uint16_t flags = static_cast<uint16_t>(e.flags & 0x1);  // keep "encrypted"
    offsets.push_back(out.size());
    PutLE32(&out, kLocalSig);
    PutLE16(&out, 20);
    PutLE16(&out, flags);
    PutLE16(&out, method);
    PutLE32(&out, 0);
    PutLE32(&out, e.crc);
    PutLE32(&out, static_cast<uint32_t>(e.csize));
    PutLE32(&out, static_cast<uint32_t>(e.usize));
    PutLE16(&out, static_cast<uint16_t>(name.size()));
    PutLE16(&out, 0);
    out += name;
    auto data = im.At(e.data_offset, e.csize, &scratch);
    if (data) out.append(*data);
  }
  uint64_t cd_start = out.size();
  for (size_t i = 0; i < entries.size(); ++i) {
    const RawEntry& e = *entries[i];
    std::string name = "e" + std::to_string(i);
    PutLE32(&out, kCentralSig);
    PutLE16(&out, 20);
    PutLE16(&out, 20);
    PutLE16(&out, static_cast<uint16_t>(e.flags & 0x1));
    PutLE16(&out, e.method == 0 ? 0 : 8);
    PutLE32(&out, 0);
    PutLE32(&out, e.crc);
    PutLE32(&out, static_cast<uint32_t>(e.csize));
    PutLE32(&out, static_cast<uint32_t>(e.usize));
    PutLE16(&out, static_cast<uint16_t>(name.size()));
    PutLE16(&out, 0);
    PutLE16(&out, 0);
    PutLE16(&out, 0);
    PutLE16(&out, 0);
    PutLE32(&out, 0);
    PutLE32(&out, static_cast<uint32_t>(offsets[i]));
    out += name;
  }
  uint64_t cd_size = out.size() - cd_start;
  PutLE32(&out, kEocdSig);
  PutLE16(&out, 0);
  PutLE16(&out, 0);
  PutLE16(&out, static_cast<uint16_t>(entries.size()));
  PutLE16(&out, static_cast<uint16_t>(entries.size()));
  PutLE32(&out, static_cast<uint32_t>(cd_size));
  PutLE32(&out, static_cast<uint32_t>(cd_start));
  PutLE16(&out, 0);
  return out;
}

zip_t* OpenZipMemory(const std::string& bytes, int* code) {
  zip_error_t zerr;
  zip_error_init(&zerr);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &zerr);
  if (src == nullptr) {
    *code = zip_error_code_zip(&zerr);
    zip_error_fini(&zerr);
    return nullptr;
  }
  zip_t* z = zip_open_from_source(src, ZIP_RDONLY, &zerr);
  if (z == nullptr) {
    *code = zip_error_code_zip(&zerr);
    zip_source_free(src);
  }
  zip_error_fini(&zerr);
  return z;
}

bool FitsRebuild(const RawEntry& e) {
  return e.readable && e.csize <= 0xfffffffe && e.usize <= 0xfffffffe;
}

}  // namespace

Result<std::unique_ptr<Archive>> Archive::OpenFile(const std::string& path, Budget* budget,
                                                   uint32_t depth) {
  SG_RETURN_IF_ERROR(budget->CheckDepth(depth));
  std::unique_ptr<Archive> a(new Archive());
  a->impl_ = std::make_unique<Impl>();
  a->label_ = path;
  a->budget_ = budget;
  a->depth_ = depth;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(path + ": cannot open: " + std::strerror(errno));
  a->impl_->fd = fd;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::IoError(path + ": not a regular file");
  }
  a->impl_->size = static_cast<uint64_t>(st.st_size);
  if (a->impl_->size > budget->limits().max_package_bytes) {
    return Status::OverLimit(path + ": package is " + std::to_string(a->impl_->size) +
                             " bytes, over max_package_bytes " +
                             std::to_string(budget->limits().max_package_bytes));
  }
  // Small packages are read whole with one read(): directory parsing and
  // inflation then run from memory instead of a pread or fread per entry.
  // Larger ones are read on demand, so memory stays bounded by the entries.
  if (a->impl_->size <= kLoadWholeBytes && !a->impl_->Load()) {
    return Status::IoError(path + ": read error: " + std::strerror(errno));
  }
  SG_RETURN_IF_ERROR(a->Init());
  return a;
}

Result<std::unique_ptr<Archive>> Archive::OpenMemory(std::string data, std::string label,
                                                     Budget* budget, uint32_t depth) {
  SG_RETURN_IF_ERROR(budget->CheckDepth(depth));
  std::unique_ptr<Archive> a(new Archive());
  a->impl_ = std::make_unique<Impl>();
  a->impl_->data = std::move(data);
  a->impl_->in_memory = true;
  a->impl_->size = a->impl_->data.size();
  a->label_ = std::move(label);
  a->budget_ = budget;
  a->depth_ = depth;
  if (a->impl_->size > budget->limits().max_package_bytes) {
    return Status::OverLimit(a->label_ + ": archive is " + std::to_string(a->impl_->size) +
                             " bytes, over max_package_bytes " +
                             std::to_string(budget->limits().max_package_bytes));
  }
  SG_RETURN_IF_ERROR(a->Init());
  return a;
}

Status Archive::Init() {
  Impl& im = *impl_;
  AnomalyLog log(&anomalies_);
  const uint64_t max_entries = budget_->limits().max_entries;
  std::vector<RawEntry> raw;
  bool need_rebuild = false;
  std::string cd_problem;

  std::optional<Eocd> eocd = FindEocd(im, &log, label_);
  uint64_t cd_begin = 0, cd_end = 0;
  uint64_t base = 0;  // bytes before a zip whose offsets ignore them
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
          log.Add("zip-gap-before-eocd", label_,
                  std::to_string(gap) + " bytes between the central directory and its end record");
        }
      } else if (gap > 0 && sig_at(eocd->cd_offset + gap)) {
        // Offsets relative to the start of the zip, which was appended to
        // other data (a self-extractor, `cat prefix a.zip`).
        base = gap;
        log.Add("zip-prefixed-data", label_,
                std::to_string(gap) + " bytes precede the zip and its offsets ignore them");
      } else {
        cd_problem = "no central directory at offset " + std::to_string(eocd->cd_offset);
      }
      cd_begin = eocd->cd_offset + base;
      cd_end = cd_begin + eocd->cd_size;
    } else if (eocd->cd_offset < eocd->pos && sig_at(eocd->cd_offset)) {
      cd_begin = eocd->cd_offset;
      cd_end = eocd->pos;
      cd_problem = "central directory of " + std::to_string(eocd->cd_size) +
                   " bytes overruns its end record";
    } else {
      cd_problem = "central directory offset " + std::to_string(eocd->cd_offset) + " + size " +
                   std::to_string(eocd->cd_size) + " lies outside the file";
    }
    if (cd_end > cd_begin && (cd_problem.empty() || cd_end == eocd->pos)) {
      std::string why;
      if (!ParseCentral(im, cd_begin, cd_end, base, max_entries, &raw, &why)) {
        cd_problem = why;
      }
    }
    if (cd_problem.empty() && raw.size() != eocd->entries && raw.size() <= max_entries) {
      log.Add("zip-entry-count-mismatch", label_,
              "end record declares " + std::to_string(eocd->entries) + " entries, the directory holds " +
                  std::to_string(raw.size()));
      need_rebuild = true;  // libzip trusts the count
    }
  } else {
    cd_problem = "no end of central directory record";
  }
  SG_RETURN_IF_ERROR(budget_->CheckEntryCount(raw.size()));

  if (!cd_problem.empty()) {
    // Without a usable directory, find entries by their local headers. That
    // needs the whole package in memory (bounded by max_package_bytes).
    if (!im.Load()) return Status::IoError(label_ + ": read error");
    std::vector<uint64_t> known;
    for (const auto& e : raw) known.push_back(e.local_offset);
    size_t from_cd = raw.size();
    ScanLocalHeaders(im.data, max_entries, &raw, known);
    SG_RETURN_IF_ERROR(budget_->CheckEntryCount(raw.size()));
    if (raw.empty()) {
      if (!eocd) return Status("not-a-zip", label_ + ": not a zip archive");
      return Status("bad-zip", label_ + ": broken zip archive: " + cd_problem +
                                   ", and no local headers found");
    }
    log.Add("zip-central-directory-damaged", label_,
            cd_problem + "; " + std::to_string(from_cd) + " entries read from the directory, " +
                std::to_string(raw.size() - from_cd) + " recovered from local headers");
    need_rebuild = true;
  }

  // Local headers, data ranges, and what Android would make of the names.
  uint64_t first_local = UINT64_MAX;
  for (auto& e : raw) {
    if (!e.readable) {
      std::string why = CheckLocal(im, &e, &log);
      if (!why.empty()) log.Add("zip-bad-entry", Printable(e.name), why);
    }
    first_local = std::min(first_local, e.local_offset);
  }
  if (first_local != UINT64_MAX && first_local > 0 && base == 0) {
    std::string scratch;
    auto head = im.At(0, std::min<uint64_t>(first_local, 8), &scratch);
    bool dex = head && head->substr(0, 4) == std::string_view("dex\n", 4);
    log.Add("zip-prefixed-data", label_,
            std::to_string(first_local) + " bytes before the first local header" +
                (dex ? " start with a DEX header (Janus, CVE-2017-13156)" : ""));
  }
  {
    std::vector<std::pair<uint64_t, uint64_t>> spans;  // [start, end) of header+data
    for (const auto& e : raw) {
      if (e.readable) spans.emplace_back(e.local_offset, e.data_offset + e.csize);
    }
    std::sort(spans.begin(), spans.end());
    uint64_t end = 0;
    for (size_t i = 0; i < spans.size(); ++i) {
      if (i > 0 && spans[i].first < end) {
        log.Add("zip-overlapping-entries", label_,
                "entry at offset " + std::to_string(spans[i].first) +
                    " overlaps the data of an earlier entry");
      }
      end = std::max(end, spans[i].second);
    }
  }

  // Open with libzip, unless the directory is known to need a rebuild.
  if (!need_rebuild) {
    int code = 0;
    if (im.in_memory) {
      im.zip = OpenZipMemory(im.data, &code);
    } else {
      im.zip = zip_open(label_.c_str(), ZIP_RDONLY, &code);
    }
    if (im.zip != nullptr) {
      zip_int64_t n = zip_get_num_entries(im.zip, 0);
      if (n < 0 || static_cast<uint64_t>(n) != raw.size()) {
        zip_discard(im.zip);
        im.zip = nullptr;
        need_rebuild = true;
      }
    } else if (code == ZIP_ER_OPEN || code == ZIP_ER_READ || code == ZIP_ER_NOENT ||
               code == ZIP_ER_MEMORY) {
      return Status::IoError(label_ + ": " + ZipErrorString(code));
    } else {
      log.Add("zip-rebuilt", label_, "libzip refused the archive (" + ZipErrorString(code) +
                                         "); entries are read from a rebuilt directory");
      need_rebuild = true;
    }
  }
  std::vector<const RawEntry*> rebuilt_order;
  if (need_rebuild) {
    if (!im.Load()) return Status::IoError(label_ + ": read error");
    for (const auto& e : raw) {
      if (FitsRebuild(e) && rebuilt_order.size() < kMaxRebuiltEntries) rebuilt_order.push_back(&e);
    }
    im.rebuilt = true;
  }

  // The entry list, in directory order.
  entries_.reserve(raw.size());
  size_t rebuilt_index = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    const RawEntry& r = raw[i];
    ArchiveEntry e;
    e.name = r.name;
    if (im.rebuilt) {
      if (rebuilt_index < rebuilt_order.size() && rebuilt_order[rebuilt_index] == &r) {
        e.index = rebuilt_index++;
      } else {
        e.index = UINT64_MAX;  // unreadable
      }
    } else {
      e.index = i;
    }
    e.compressed = r.csize;
    e.size = r.usize;
    e.method = r.method;
    e.encrypted = (r.flags & 0x1) != 0;
    e.directory = !e.name.empty() && e.name.back() == '/';
    std::string shown = Printable(e.name);
    if (e.name.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      log.Add("zip-name-control-char", shown,
              "entry name contains CR, LF or NUL; it is listed under its raw name");
    }
    if (e.name.empty()) log.Add("zip-empty-name", label_, "entry #" + std::to_string(i));
    if (e.method != 0 && e.method != 8) {
      log.Add("zip-unknown-method", shown,
              "compression method " + std::to_string(e.method) +
                  "; inflated as deflate, as Android does");
    }
    if (e.encrypted) log.Add("zip-encrypted-entry", shown, "entry is marked encrypted");
    auto [it, inserted] = by_name_.emplace(e.name, entries_.size());
    if (!inserted) {
      e.duplicate = true;
      log.Add("zip-duplicate-entry", shown,
              "entry name occurs more than once; the first one is analysed");
    }
    entries_.push_back(std::move(e));
  }
  if (im.rebuilt) {
    std::string rebuilt = Rebuild(im, rebuilt_order);
    im.data = std::move(rebuilt);  // the original bytes are no longer needed
    im.size = im.data.size();
    int code = 0;
    im.zip = OpenZipMemory(im.data, &code);
    if (im.zip == nullptr) {
      return Status("bad-zip", label_ + ": broken zip archive: " + ZipErrorString(code));
    }
  }
  im.raw = std::move(raw);
  log.Finish(label_);
  return Status::Ok();
}

const ArchiveEntry* Archive::Find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

Result<std::string> Archive::Read(std::string_view name, uint64_t max_bytes) {
  const ArchiveEntry* e = Find(name);
  if (e == nullptr) return Status::NotFound(label_ + ": no entry '" + Printable(name) + "'");
  return Read(*e, max_bytes);
}

namespace {

// Inflates entry `index` of `zip` into memory through the budget.
Result<std::string> ReadZipEntry(zip_t* zip, zip_uint64_t index, const ArchiveEntry& entry,
                                 Budget* budget, uint64_t max_bytes) {
  const std::string shown = Printable(entry.name);
  zip_file_t* f = zip_fopen_index(zip, index, 0);
  if (f == nullptr) {
    zip_error_t* ze = zip_get_error(zip);
    std::string why = zip_error_strerror(ze);
    int code = zip_error_code_zip(ze);
    zip_error_clear(zip);
    if (code == ZIP_ER_COMPNOTSUPP) {
      return Status::Unsupported(shown + ": unsupported compression method " +
                                 std::to_string(entry.method));
    }
    if (code == ZIP_ER_ENCRNOTSUPP || code == ZIP_ER_NOPASSWD) {
      return Status::Unsupported(shown + ": entry is encrypted");
    }
    return Status::Malformed(shown + ": cannot open entry: " + why);
  }
  uint64_t cap = budget->limits().max_entry_bytes;
  const bool truncate = max_bytes != 0 && max_bytes < cap;
  if (truncate) cap = max_bytes;
  std::string out;
  // Reserve what the entry claims only up to a modest bound: declared sizes
  // are untrusted, so a bomb cannot make us allocate its claim.
  out.reserve(static_cast<size_t>(std::min<uint64_t>({entry.size, cap, 16u << 20})));
  char buf[64 * 1024];
  Status st;
  for (;;) {
    zip_int64_t got = zip_fread(f, buf, sizeof(buf));
    if (got < 0) {
      st = Status::Malformed(shown + ": inflate failed: " +
                             zip_error_strerror(zip_file_get_error(f)));
      break;
    }
    if (got == 0) break;
    uint64_t take = static_cast<uint64_t>(got);
    // Never inflate past the size the directory declares: a stream that
    // goes on (a bomb behind a small claimed size) is malformed, and memory
    // stays within the declared size whatever the data says.
    // (A prefix read that stops within the declared size needs no check.)
    const uint64_t room = entry.size - std::min<uint64_t>(out.size(), entry.size);
    if (take > room && !(truncate && cap <= entry.size)) {
      st = Status::Malformed(shown + ": inflates to more than its declared " +
                             std::to_string(entry.size) + " bytes; stopped there");
      break;
    }
    if (truncate && take > cap - out.size()) take = cap - out.size();
    out.append(buf, static_cast<size_t>(take));
    st = budget->ChargeInflated(entry.name, take, out.size(), entry.compressed);
    if (!st.ok() || (truncate && out.size() >= cap)) break;
  }
  zip_fclose(f);
  if (!st.ok()) return st;
  return out;
}

}  // namespace

// Whole-entry inflation of an in-memory package with libdeflate: several
// times faster than zlib's streaming inflate behind libzip, because it
// decodes into a buffer of the known size in one call. Only for entries whose
// claimed size (already held to the entry and ratio limits) is small enough
// to allocate up front; anything unusual (a size or CRC that does not match
// the directory, bad data, a larger entry) returns nullopt and is read
// through libzip, which reports it as before.
static std::optional<std::string> InflateWhole(std::string_view package, uint64_t data_offset,
                                               uint64_t csize, uint16_t method, uint64_t usize,
                                               uint32_t crc) {
  constexpr uint64_t kMaxWholeBytes = 64u << 20;
  if (usize > kMaxWholeBytes || !InRange(data_offset, csize, package.size())) return std::nullopt;
  std::string_view in = package.substr(data_offset, csize);
  std::string out;
  if (method == 0) {
    if (csize != usize) return std::nullopt;
    out.assign(in);
  } else if (method == 8) {
    struct Free {
      void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
    };
    thread_local std::unique_ptr<libdeflate_decompressor, Free> d(libdeflate_alloc_decompressor());
    if (d == nullptr) return std::nullopt;
    out.resize(static_cast<size_t>(usize));
    size_t got = 0;
    if (libdeflate_deflate_decompress(d.get(), in.data(), in.size(), out.data(), out.size(),
                                      &got) != LIBDEFLATE_SUCCESS ||
        got != usize) {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (libdeflate_crc32(0, out.data(), out.size()) != crc) return std::nullopt;
  return out;
}

namespace {
ArchiveReadObserver g_read_observer = nullptr;
}  // namespace

void SetArchiveReadObserver(ArchiveReadObserver observer) { g_read_observer = observer; }

Result<std::string> Archive::Read(const ArchiveEntry& entry, uint64_t max_bytes) {
  Result<std::string> r = ReadEntry(entry, max_bytes);
  if (g_read_observer != nullptr && r.ok()) g_read_observer(depth_, entry, r->size());
  return r;
}

Result<std::string> Archive::ReadEntry(const ArchiveEntry& entry, uint64_t max_bytes) {
  SG_RETURN_IF_ERROR(budget_->CheckDeadline());
  SG_RETURN_IF_ERROR(budget_->CheckEntry(entry.name, entry.compressed, entry.size));
  const std::string shown = Printable(entry.name);
  if (entry.encrypted) return Status::Unsupported(shown + ": entry is encrypted");
  if (entry.index == UINT64_MAX) {
    return Status::Malformed(shown + ": entry data cannot be located");
  }
  // Fast path: the package is in memory, its directory was not rebuilt (so
  // the raw entries' offsets are offsets into it), the whole entry is wanted
  // and fits in what is left of the package's inflate budget (otherwise the
  // streaming path below stops exactly at the limit).
  const auto at = reinterpret_cast<uintptr_t>(&entry);
  const auto first = reinterpret_cast<uintptr_t>(entries_.data());
  const size_t pos = at >= first ? (at - first) / sizeof(ArchiveEntry) : SIZE_MAX;
  const uint64_t total_cap = budget_->limits().max_total_inflated;
  const uint64_t budget_left = total_cap - std::min(budget_->total_inflated(), total_cap);
  if (impl_->in_memory && !impl_->rebuilt && pos < entries_.size() && &entries_[pos] == &entry &&
      pos < impl_->raw.size() && impl_->raw[pos].readable && entry.size <= budget_left &&
      (max_bytes == 0 || max_bytes >= entry.size)) {
    const RawEntry& re = impl_->raw[pos];
    auto whole = InflateWhole(impl_->data, re.data_offset, re.csize, re.method, re.usize, re.crc);
    if (whole) {
      SG_RETURN_IF_ERROR(
          budget_->ChargeInflated(entry.name, whole->size(), whole->size(), entry.compressed));
      return std::move(*whole);
    }
  }
  if (!impl_->rebuilt && entry.method != 0 && entry.method != 8) {
    // libzip cannot inflate an unknown method; Android inflates it as
    // deflate. Copy the raw data into a one-entry zip that says deflate.
    if (entry.index >= impl_->raw.size() || !FitsRebuild(impl_->raw[entry.index])) {
      return Status::Malformed(shown + ": entry data cannot be located");
    }
    std::string one = Rebuild(*impl_, {&impl_->raw[entry.index]});
    int code = 0;
    zip_t* z = OpenZipMemory(one, &code);
    if (z == nullptr) return Status::Malformed(shown + ": " + ZipErrorString(code));
    auto r = ReadZipEntry(z, 0, entry, budget_, max_bytes);
    zip_discard(z);
    return r;
  }
  return ReadZipEntry(impl_->zip, entry.index, entry, budget_, max_bytes);
}

}  // namespace shelfguard
