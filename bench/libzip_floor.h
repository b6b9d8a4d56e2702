// The libzip floor the scan benches compare against: libzip opening a
// package and inflating exactly the entries and bytes the scan read
// (recorded with SetArchiveReadObserver), into one reused buffer.
#ifndef SHELFGUARD_BENCH_LIBZIP_FLOOR_H_
#define SHELFGUARD_BENCH_LIBZIP_FLOOR_H_

#include <zip.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace shelfguard::bench {

// Inflates `reads` (libzip entry index -> bytes) of `path`; returns the
// bytes inflated, or -1 when libzip cannot open the file.
inline int64_t InflateWithLibzip(const std::string& path, const std::map<uint64_t, uint64_t>& reads) {
  static std::vector<char> buf(1 << 16);
  int err = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (za == nullptr) return -1;
  int64_t total = 0;
  for (const auto& [index, want] : reads) {
    zip_file_t* f = zip_fopen_index(za, index, 0);
    if (f == nullptr) continue;
    uint64_t done = 0;
    while (done < want) {
      zip_int64_t got = zip_fread(f, buf.data(), std::min<uint64_t>(buf.size(), want - done));
      if (got <= 0) break;
      done += static_cast<uint64_t>(got);
    }
    total += static_cast<int64_t>(done);
    zip_fclose(f);
  }
  zip_discard(za);
  return total;
}

}  // namespace shelfguard::bench

#endif  // SHELFGUARD_BENCH_LIBZIP_FLOOR_H_
