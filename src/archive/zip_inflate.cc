// Inflating one entry: libdeflate in one call when the whole entry is in
// memory and wanted, else libzip's stream, charged to the budget as it goes.
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>
#include <string>

#include "core/uninit_string.h"
#include "zip_internal.h"

namespace shelfguard::zip_internal {

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
  char buf[kStreamChunk];
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

Status ChargeAsStreamed(Budget* budget, const ArchiveEntry& entry, uint64_t bytes) {
  for (uint64_t done = 0; done < bytes;) {
    const uint64_t take = std::min<uint64_t>(kStreamChunk, bytes - done);
    done += take;
    SG_RETURN_IF_ERROR(budget->ChargeInflated(entry.name, take, done, entry.compressed));
  }
  return Status::Ok();
}

std::optional<std::string> InflatePrefix(std::string_view package, uint64_t data_offset, uint64_t csize,
                                         uint16_t method, uint64_t usize, uint32_t crc, uint64_t prefix) {
  if (prefix == 0 || prefix >= usize || !InRange(data_offset, csize, package.size())) return std::nullopt;
  std::string_view in = package.substr(data_offset, csize);
  if (method == 0) {
    // Stored data has nothing to fail on before its end.
    if (csize != usize) return std::nullopt;
    return std::string(in.substr(0, prefix));
  }
  if (method != 8) return std::nullopt;
  // libzip decodes whole pieces: it fails the read when the data is bad
  // anywhere in the pieces that cover the prefix, so that much is decoded
  // here too. Pieces that reach the entry's end are decoded, and checked
  // (size, CRC), whole.
  const uint64_t want = (prefix + kStreamChunk - 1) / kStreamChunk * kStreamChunk;
  std::optional<std::string> out;
  if (want >= usize) {
    out = InflateWhole(package, data_offset, csize, method, usize, crc);
  } else if (want <= UINT_MAX) {
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return std::nullopt;
    out.emplace();
    ResizeUninitialized(&*out, static_cast<size_t>(want));
    zs.next_out = reinterpret_cast<Bytef*>(out->data());
    zs.avail_out = static_cast<uInt>(want);
    // Input in pieces a uInt can count (a package in memory is far smaller).
    size_t used = 0;
    int ret = Z_OK;
    while (ret == Z_OK && zs.avail_out > 0) {
      if (zs.avail_in == 0) {
        if (used == in.size()) break;  // the data ends first: let libzip say so
        const size_t n = std::min<size_t>(in.size() - used, 1u << 30);
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + used));
        zs.avail_in = static_cast<uInt>(n);
        used += n;
      }
      ret = inflate(&zs, Z_NO_FLUSH);
    }
    // The stream must go on past the pieces (it ends at the entry's end).
    if (zs.avail_out != 0 || ret != Z_OK) out.reset();
    inflateEnd(&zs);
  }
  if (out) out->resize(static_cast<size_t>(prefix));
  return out;
}

// Whole-entry inflation of an in-memory package with libdeflate: several
// times faster than zlib's streaming inflate behind libzip, because it
// decodes into a buffer of the known size in one call. Only for entries whose
// claimed size (already held to the entry and ratio limits) is small enough
// to allocate up front; anything unusual (a size or CRC that does not match
// the directory, bad data, a larger entry) returns nullopt and is read
// through libzip, which reports it as before.
std::optional<std::string> InflateWhole(std::string_view package, uint64_t data_offset, uint64_t csize,
                                        uint16_t method, uint64_t usize, uint32_t crc) {
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
    // libdeflate writes all of it or the entry is refused: no zero-fill.
    ResizeUninitialized(&out, static_cast<size_t>(usize));
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

}  // namespace shelfguard::zip_internal
