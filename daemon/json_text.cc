#include "json_text.h"

#include <locale.h>
#include <stdlib.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace shelfguard::daemon {
namespace {

// Bytes that stand for themselves in a string: 0x20-0x7F but '"' and '\\'.
constexpr auto kPlain = [] {
  struct Table {
    bool v[256] = {};
    constexpr bool operator[](uint8_t c) const { return v[c]; }
  } t;
  for (int c = 0x20; c < 0x80; ++c) t.v[c] = c != '"' && c != '\\';
  return t;
}();

// A cursor over the text; every read is checked against the end.
class Checker {
 public:
  explicit Checker(std::string_view t)
      : p_(reinterpret_cast<const uint8_t*>(t.data())), end_(p_ + t.size()) {}

  bool Run() {
    // Open containers, innermost last: '{' or '['. Iterative, so nesting
    // depth costs one byte per level, never stack.
    std::vector<char> open;
    SkipSpace();
    for (;;) {
      // A value.
      if (p_ == end_) return false;
      const uint8_t c = *p_;
      if (c == '{' || c == '[') {
        ++p_;
        SkipSpace();
        if (p_ < end_ && *p_ == (c == '{' ? '}' : ']')) {
          ++p_;  // empty: a complete value
        } else {
          open.push_back(static_cast<char>(c));
          if (c == '{' && !Member()) return false;
          continue;  // the first element's value
        }
      } else if (c == '"') {
        if (!String()) return false;
      } else if (c == 't') {
        if (!Literal("true")) return false;
      } else if (c == 'f') {
        if (!Literal("false")) return false;
      } else if (c == 'n') {
        if (!Literal("null")) return false;
      } else if (!Number()) {
        return false;
      }
      // After a value: close containers, or a comma and the next element.
      for (;;) {
        SkipSpace();
        if (open.empty()) return p_ == end_;
        if (p_ == end_) return false;
        const char top = open.back();
        if (*p_ == (top == '{' ? '}' : ']')) {
          ++p_;
          open.pop_back();
          continue;
        }
        if (*p_ != ',') return false;
        ++p_;
        SkipSpace();
        if (top == '{' && !Member()) return false;
        break;
      }
    }
  }

 private:
  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  // `"key" :` and the space after it.
  bool Member() {
    if (p_ == end_ || *p_ != '"' || !String()) return false;
    SkipSpace();
    if (p_ == end_ || *p_ != ':') return false;
    ++p_;
    SkipSpace();
    return true;
  }
  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size()) return false;
    if (std::string_view(reinterpret_cast<const char*>(p_), word.size()) != word) return false;
    p_ += word.size();
    return true;
  }
  bool Digits() {
    const uint8_t* start = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ > start;
  }
  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, finite as a double.
  bool Number() {
    const uint8_t* start = p_;
    if (*p_ == '-') ++p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      Digits();
    }
    bool exact_integer = true;
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (!Digits()) return false;
      exact_integer = false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!Digits()) return false;
      exact_integer = false;
    }
    // An integer of up to 18 digits fits in 64 bits. Anything else is read
    // as a double, as nlohmann does, and refused when it overflows to
    // infinity (an underflow to zero is accepted).
    if (exact_integer && p_ - start <= 18) return true;
    static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(0));
    std::string token(reinterpret_cast<const char*>(start), static_cast<size_t>(p_ - start));
    return std::isfinite(strtod_l(token.c_str(), nullptr, c_locale));
  }
  bool Hex4(uint32_t* out) {
    if (end_ - p_ < 4) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const uint8_t h = *p_++;
      v <<= 4;
      if (h >= '0' && h <= '9') {
        v |= h - '0';
      } else if (h >= 'a' && h <= 'f') {
        v |= h - 'a' + 10;
      } else if (h >= 'A' && h <= 'F') {
        v |= h - 'A' + 10;
      } else {
        return false;
      }
    }
    *out = v;
    return true;
  }
  // One continuation byte within [lo, hi].
  bool Cont(uint8_t lo, uint8_t hi) {
    if (p_ == end_ || *p_ < lo || *p_ > hi) return false;
    ++p_;
    return true;
  }
  // At the opening quote.
  bool String() {
    ++p_;
    for (;;) {
      // Most bytes of a report are printable ASCII other than '"' and '\\':
      // those are passed over in a tight loop.
      while (p_ < end_ && kPlain[*p_]) ++p_;
      if (p_ == end_) return false;
      const uint8_t c = *p_++;
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (p_ == end_) return false;
        const uint8_t e = *p_++;
        if (e == 'u') {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate first
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low = 0;
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
            p_ += 2;
            if (!Hex4(&low) || low < 0xDC00 || low > 0xDFFF) return false;
          }
        } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' &&
                   e != 't') {
          return false;
        }
        continue;
      }
      if (c < 0x80) continue;
      // UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past
      // U+10FFFF.
      bool ok;
      if (c >= 0xC2 && c <= 0xDF) {
        ok = Cont(0x80, 0xBF);
      } else if (c == 0xE0) {
        ok = Cont(0xA0, 0xBF) && Cont(0x80, 0xBF);
      } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
        ok = Cont(0x80, 0xBF) && Cont(0x80, 0xBF);
      } else if (c == 0xED) {
        ok = Cont(0x80, 0x9F) && Cont(0x80, 0xBF);
      } else if (c == 0xF0) {
        ok = Cont(0x90, 0xBF) && Cont(0x80, 0xBF) && Cont(0x80, 0xBF);
      } else if (c >= 0xF1 && c <= 0xF3) {
        ok = Cont(0x80, 0xBF) && Cont(0x80, 0xBF) && Cont(0x80, 0xBF);
      } else if (c == 0xF4) {
        ok = Cont(0x80, 0x8F) && Cont(0x80, 0xBF) && Cont(0x80, 0xBF);
      } else {
        ok = false;
      }
      if (!ok) return false;
    }
  }

  const uint8_t* p_;
  const uint8_t* const end_;
};

}  // namespace

bool IsJsonText(std::string_view text) { return Checker(text).Run(); }

}  // namespace shelfguard::daemon
