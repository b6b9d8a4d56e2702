// ByteReader: a bounds-checked little/big-endian cursor over untrusted bytes.
//
// Every read checks `n <= size - pos` (never `pos + n <= size`, which can
// overflow) and fails without moving the cursor. Reads return false / an
// empty optional instead of touching memory outside [data, data + size).
#ifndef SHELFGUARD_BYTE_READER_H_
#define SHELFGUARD_BYTE_READER_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <type_traits>

namespace shelfguard {

// True when [off, off + len) lies inside a buffer of `size` bytes, computed
// without overflow.
constexpr bool InRange(uint64_t off, uint64_t len, uint64_t size) {
  return off <= size && len <= size - off;
}

// The byte order of a multi-byte integer in the input.
enum class ByteOrder { kLittle, kBig };

class ByteReader {
 public:
  ByteReader() = default;
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  explicit ByteReader(std::string_view s)
      : data_(reinterpret_cast<const uint8_t*>(s.data())), size_(s.size()) {}

  size_t size() const { return size_; }
  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }
  const uint8_t* data() const { return data_; }
  bool eof() const { return pos_ >= size_; }

  bool Seek(uint64_t off) {
    if (off > size_) return false;
    pos_ = static_cast<size_t>(off);
    return true;
  }
  bool Skip(uint64_t n) {
    if (n > remaining()) return false;
    pos_ += static_cast<size_t>(n);
    return true;
  }

  // Integers in either byte order: one template each, over the order; the
  // LE/BE names below are what the parsers call.
  template <ByteOrder order, typename T>
  std::optional<T> Read() {
    T v{};
    if (!PeekAt<order>(pos_, &v)) return std::nullopt;
    pos_ += sizeof(T);
    return v;
  }
  // Reads an integer at absolute offset `off` without moving the cursor.
  // One load and, when the order is not the machine's, one byte swap (the
  // per-byte assembly this replaces was a loop in every parser's hot path).
  template <ByteOrder order, typename T>
  bool PeekAt(uint64_t off, T* out) const {
    static_assert(std::is_integral_v<T> && sizeof(T) <= 8);
    if (!InRange(off, sizeof(T), size_)) return false;
    using U = std::make_unsigned_t<T>;
    U v;
    std::memcpy(&v, data_ + off, sizeof(T));
    constexpr bool native = (order == ByteOrder::kLittle) == (std::endian::native == std::endian::little);
    if constexpr (!native && sizeof(T) == 2) v = static_cast<U>(__builtin_bswap16(v));
    if constexpr (!native && sizeof(T) == 4) v = static_cast<U>(__builtin_bswap32(v));
    if constexpr (!native && sizeof(T) == 8) v = static_cast<U>(__builtin_bswap64(v));
    *out = static_cast<T>(v);
    return true;
  }
  template <ByteOrder order, typename T>
  std::optional<T> At(uint64_t off) const {
    T v{};
    if (!PeekAt<order>(off, &v)) return std::nullopt;
    return v;
  }

  template <typename T>
  std::optional<T> ReadLE() { return Read<ByteOrder::kLittle, T>(); }
  template <typename T>
  std::optional<T> ReadBE() { return Read<ByteOrder::kBig, T>(); }
  template <typename T>
  bool PeekLEAt(uint64_t off, T* out) const { return PeekAt<ByteOrder::kLittle>(off, out); }
  template <typename T>
  bool PeekBEAt(uint64_t off, T* out) const { return PeekAt<ByteOrder::kBig>(off, out); }
  template <typename T>
  std::optional<T> LEAt(uint64_t off) const { return At<ByteOrder::kLittle, T>(off); }
  template <typename T>
  std::optional<T> BEAt(uint64_t off) const { return At<ByteOrder::kBig, T>(off); }

  // A view of `n` bytes at the cursor; advances on success.
  std::optional<std::string_view> ReadBytes(uint64_t n) {
    auto v = BytesAt(pos_, n);
    if (v) pos_ += static_cast<size_t>(n);
    return v;
  }
  std::optional<std::string_view> BytesAt(uint64_t off, uint64_t n) const {
    if (!InRange(off, n, size_)) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(data_) + off, static_cast<size_t>(n));
  }
  // A sub-reader over [off, off + n), or nullopt when out of range.
  std::optional<ByteReader> Sub(uint64_t off, uint64_t n) const {
    if (!InRange(off, n, size_)) return std::nullopt;
    return ByteReader(data_ + off, static_cast<size_t>(n));
  }
  // NUL-terminated string starting at `off`, at most `max_len` bytes; nullopt
  // if no terminator is found within bounds.
  std::optional<std::string_view> CStringAt(uint64_t off, size_t max_len) const {
    if (off >= size_) return std::nullopt;
    size_t avail = size_ - static_cast<size_t>(off);
    size_t lim = avail < max_len ? avail : max_len;
    const void* nul = std::memchr(data_ + off, 0, lim);
    if (nul == nullptr) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(data_) + off,
                            static_cast<const uint8_t*>(nul) - (data_ + off));
  }
  // Unsigned LEB128 (DEX), at most 5 bytes for 32-bit values.
  std::optional<uint32_t> ReadUleb128() {
    uint32_t result = 0;
    for (int i = 0; i < 5; ++i) {
      if (pos_ >= size_) return std::nullopt;
      uint8_t b = data_[pos_++];
      result |= uint32_t{static_cast<uint8_t>(b & 0x7f)} << (7 * i);
      if ((b & 0x80) == 0) return result;
    }
    return std::nullopt;
  }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t pos_ = 0;
};

// A fixed-size record (a file header, a load command, a directory entry)
// whose bytes were all checked present when it was taken: its fields read as
// plain values, so no optional is dereferenced on the strength of an earlier,
// coarser range check. A field outside the record (a wrong offset in the
// calling code, never the input's doing) reads as 0 / empty and clears ok().
class Record {
 public:
  // The `size` bytes at `off` of `r`, or nullopt when they are not all there.
  static std::optional<Record> At(const ByteReader& r, uint64_t off, uint64_t size) {
    auto b = r.BytesAt(off, size);
    if (!b) return std::nullopt;
    return Record(*b);
  }
  // The integer at `off` of the record, in byte order `order`.
  template <ByteOrder order, typename T>
  T Field(uint64_t off) const {
    T v{};
    if (!ByteReader(bytes_).PeekAt<order>(off, &v)) ok_ = false;
    return v;
  }
  template <typename T>
  T LE(uint64_t off) const { return Field<ByteOrder::kLittle, T>(off); }
  template <typename T>
  T BE(uint64_t off) const { return Field<ByteOrder::kBig, T>(off); }
  // The `n` bytes at `off` of the record.
  std::string_view Bytes(uint64_t off, uint64_t n) const {
    if (!InRange(off, n, bytes_.size())) {
      ok_ = false;
      return {};
    }
    return bytes_.substr(static_cast<size_t>(off), static_cast<size_t>(n));
  }
  size_t size() const { return bytes_.size(); }
  bool ok() const { return ok_; }

 private:
  explicit Record(std::string_view bytes) : bytes_(bytes) {}
  std::string_view bytes_;
  mutable bool ok_ = true;
};

}  // namespace shelfguard

#endif  // SHELFGUARD_BYTE_READER_H_
