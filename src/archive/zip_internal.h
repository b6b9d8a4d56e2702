// The zip structure as the archive layer reads it (APPNOTE.TXT 4.3), shared
// by the files of src/archive and by nothing else: the package bytes, the
// raw entries of the central directory (or of local headers), the anomaly
// log, and the three parts of reading a zip:
//   zip_directory.cc  end record, central directory, local headers, recovery
//                     by scanning local headers;
//   zip_rebuild.cc    a clean in-memory zip of the entries found, for libzip
//                     when it refuses the original;
//   zip_inflate.cc    inflation of one entry (libdeflate whole-entry fast
//                     path, libzip streaming under the budget).
// archive.cc puts them together behind include/shelfguard/archive.h.
#ifndef SHELFGUARD_ARCHIVE_ZIP_INTERNAL_H_
#define SHELFGUARD_ARCHIVE_ZIP_INTERNAL_H_

#include <unistd.h>
#include <zip.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shelfguard/archive.h"
#include "shelfguard/byte_reader.h"
#include "shelfguard/limits.h"
#include "shelfguard/status.h"

namespace shelfguard::zip_internal {

inline constexpr uint32_t kLocalSig = 0x04034b50;
inline constexpr uint32_t kCentralSig = 0x02014b50;
inline constexpr uint32_t kEocdSig = 0x06054b50;
inline constexpr uint32_t kZip64LocatorSig = 0x07064b50;
inline constexpr uint32_t kZip64EocdSig = 0x06064b50;
inline constexpr uint32_t kDataDescriptorSig = 0x08074b50;
inline constexpr uint64_t kEocdSize = 22;
inline constexpr uint64_t kCentralSize = 46;
inline constexpr uint64_t kLocalSize = 30;
inline constexpr uint64_t kMaxComment = 0xffff;
// Anomalies of one kind beyond this many are summarised in one more.
inline constexpr size_t kMaxAnomaliesPerCode = 20;
// A rebuilt zip is written without zip64 records.
inline constexpr uint64_t kMaxRebuiltEntries = 0xfffe;

// Fixed-size records (an end record, a directory or local header, a data
// descriptor) are read through shelfguard::Record (byte_reader.h).

// An entry name fit for a message: control bytes as \xNN, at most 200 bytes.
std::string Printable(std::string_view name);

// One entry as found in the central directory (or a local header).
struct RawEntry {
  std::string name;  // moved to its ArchiveEntry by Archive::Init
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
inline constexpr uint64_t kLoadWholeBytes = kArchiveLoadWholeBytes;

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

// What the end record and the central directory say.
struct Directory {
  std::optional<Eocd> eocd;     // none: no end record found
  std::vector<RawEntry> raw;    // the records read, in directory order
  uint64_t base = 0;            // bytes before a zip whose offsets ignore them
  std::string problem;          // why the directory is unusable; "" when fine
  bool need_rebuild = false;    // usable, but libzip would misread it
  // The plainest layout there is: one end record, ending the file, right
  // after a directory that starts where it says and holds the entries it
  // declares, with no zip64, multi-disk or encryption fields, no extra field
  // libzip interprets, well-formed extra fields and valid UTF-8 where the
  // UTF-8 flag is set. libzip opens such an archive with exactly these
  // entries (archive_test checks that against the libzip installed, on the
  // corpus and on mutations of it), so opening it can wait until an entry
  // needs libzip, which the whole-entry fast path rarely does.
  bool plain = false;
};

// zip_directory.cc
// Reads the end record and the central directory (at most max_entries + 1
// records: the caller reports the excess).
Directory ReadDirectory(const PackageBytes& im, uint64_t max_entries, AnomalyLog* log, const std::string& label);
// Finds entries by their local headers when there is no usable central
// directory; entries at `known_offsets` are not added again.
void ScanLocalHeaders(std::string_view bytes, uint64_t max_entries, std::vector<RawEntry>* out,
                      const std::vector<uint64_t>& known_offsets);
// Locates each entry's data through its local header and records what is
// odd about the layout (header mismatches, prefixed data, overlaps).
void CheckLayout(const PackageBytes& im, uint64_t base, std::vector<RawEntry>* raw, AnomalyLog* log,
                 const std::string& label);

// zip_rebuild.cc
std::string ZipErrorString(int code);
// A zip holding `entries` (data copied from `im`), readable by libzip.
std::string Rebuild(const PackageBytes& im, const std::vector<const RawEntry*>& entries);
zip_t* OpenZipMemory(const std::string& bytes, int* code);
// Whether an entry can be written into a rebuilt (non-zip64) zip.
bool FitsRebuild(const RawEntry& e);
// Whether libzip opens the in-memory package `bytes` with exactly the
// entries of `raw`: their number, and each name at its index. For the tests
// and the fuzzer that hold Directory::plain to its promise.
bool LibzipListsAsRead(const std::string& bytes, const std::vector<RawEntry>& raw);

// zip_inflate.cc
// ReadZipEntry reads libzip's stream in pieces of this many bytes.
inline constexpr uint64_t kStreamChunk = 64 * 1024;
// Inflates entry `index` of `zip` into memory through the budget.
Result<std::string> ReadZipEntry(zip_t* zip, zip_uint64_t index, const ArchiveEntry& entry, Budget* budget,
                                 uint64_t max_bytes);
// Whole-entry inflation of an in-memory package; nullopt: use ReadZipEntry.
std::optional<std::string> InflateWhole(std::string_view package, uint64_t data_offset, uint64_t csize,
                                        uint16_t method, uint64_t usize, uint32_t crc);
// The first `prefix` (< usize) bytes of an in-memory entry as ReadZipEntry
// would return them: it decodes whole kStreamChunk pieces until it holds
// `prefix` bytes, so this decodes (zlib, as libzip does) the same pieces and
// accepts only when all of them decode, or, when they reach the entry's end,
// when the whole entry has its declared size and CRC. nullopt otherwise (the
// read goes to ReadZipEntry, which reports what it finds).
std::optional<std::string> InflatePrefix(std::string_view package, uint64_t data_offset, uint64_t csize,
                                         uint16_t method, uint64_t usize, uint32_t crc, uint64_t prefix);
// Charges `bytes` of `entry` to the budget as ReadZipEntry does when it
// reads that many: in kStreamChunk pieces, stopping at the first refusal.
Status ChargeAsStreamed(Budget* budget, const ArchiveEntry& entry, uint64_t bytes);

}  // namespace shelfguard::zip_internal

#endif  // SHELFGUARD_ARCHIVE_ZIP_INTERNAL_H_
