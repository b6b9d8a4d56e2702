// The floor under a full scan: reading each package, its SHA-256 and
// inflating exactly the entries the scan read (recorded with
// SetArchiveReadObserver), whole, with libdeflate, the inflater the scan
// itself uses. Nothing of the analysis: what is left between this and the
// scan is the analyzers' own work. (libzip_floor.h is the other floor, the
// one "within 1.2x of inflating what it reads" is stated against.)
#ifndef SHELFGUARD_BENCH_DEFLATE_FLOOR_H_
#define SHELFGUARD_BENCH_DEFLATE_FLOOR_H_

#include <fcntl.h>
#include <libdeflate.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "archive/zip_internal.h"

namespace shelfguard::bench {

// One entry the scan read: where its data is and how it is stored.
struct FloorEntry {
  uint64_t data_offset = 0, csize = 0, usize = 0;
  uint16_t method = 0;
};

// The entries of `path` named by `reads` (libzip index, which is the
// position in the central directory when the archive layer did not
// rebuild it), located through the project's own directory reader. False
// when the file cannot be read or an index has no readable entry.
inline bool LocateReads(const std::string& path, const std::map<uint64_t, uint64_t>& reads,
                        std::vector<FloorEntry>* out) {
  zip_internal::PackageBytes im;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return false;
  }
  im.data.resize(static_cast<size_t>(st.st_size));
  bool ok = ::pread(fd, im.data.data(), im.data.size(), 0) == static_cast<ssize_t>(im.data.size());
  ::close(fd);
  if (!ok) return false;
  im.in_memory = true;
  im.size = im.data.size();
  std::vector<Anomaly> anomalies;
  zip_internal::AnomalyLog log(&anomalies);
  zip_internal::Directory dir = zip_internal::ReadDirectory(im, 1u << 20, &log, path);
  if (!dir.problem.empty() || dir.need_rebuild) return false;
  zip_internal::CheckLayout(im, dir.base, &dir.raw, &log, path);
  for (const auto& [index, bytes] : reads) {
    if (index >= dir.raw.size() || !dir.raw[index].readable) return false;
    const zip_internal::RawEntry& e = dir.raw[index];
    out->push_back({e.data_offset, e.csize, e.usize, e.method});
  }
  return true;
}

// Reads `path`, hashes it and inflates `entries` (with their CRC-32, as the
// scan checks it); returns the bytes produced, or -1 when the file cannot
// be read.
inline int64_t ReadHashInflate(const std::string& path, const std::vector<FloorEntry>& entries) {
  thread_local std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)> d(
      libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return -1;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  std::unique_ptr<char[]> bytes(new char[size]);
  bool ok = ::pread(fd, bytes.get(), size, 0) == static_cast<ssize_t>(size);
  ::close(fd);
  if (!ok) return -1;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(bytes.get(), size, md, &n, EVP_sha256(), nullptr);
  int64_t total = 0;
  for (const FloorEntry& e : entries) {
    if (e.data_offset > size || e.csize > size - e.data_offset) continue;
    std::unique_ptr<char[]> out(new char[e.usize + 1]);
    size_t got = 0;
    if (e.method == 8) {
      if (libdeflate_deflate_decompress(d.get(), bytes.get() + e.data_offset, e.csize, out.get(),
                                        e.usize, &got) != LIBDEFLATE_SUCCESS) {
        continue;
      }
    } else {
      got = e.csize < e.usize ? e.csize : e.usize;
      std::memcpy(out.get(), bytes.get() + e.data_offset, got);
    }
    libdeflate_crc32(0, out.get(), got);
    total += static_cast<int64_t>(got);
  }
  return total;
}

}  // namespace shelfguard::bench

#endif  // SHELFGUARD_BENCH_DEFLATE_FLOOR_H_
