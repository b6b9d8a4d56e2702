// Displayed-number finder: a TextSink that searches every text an app shows
// for the filing numbers it must display (001 art. 14):
//   * 教APP备 + 7 digits + 号               (kind moe-filing)
//   * <abbrev>ICP备<8|10 digits>号[-n]      (kind icp; ICP证 licences too)
//   * <abbrev>ICP备<digits>号-<n>A          (kind app-icp)
//   * <abbrev>公网安备<14 digits>号           (kind psb)
//
// Cost model: a package may expose hundreds of thousands of strings, nearly
// all without a number. A byte-level prefilter (a 备 or 证 whose preceding
// non-space character is P/p/Ｐ/ｐ or 安) rejects them before anything is
// copied; only the survivors are normalised (full-width → ASCII, spaces and
// line breaks removed, with a map back to the raw bytes) and searched with
// RE2, which is linear in the text.
//
// Numbers split across adjacent strings ("教APP备" + "1100123号") are found by
// carrying the tail of the previous text when the next call has the same
// location; a hit that ends at the end of its text is held back until the
// next text shows whether it continues.
#include "filing/number_finder.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ids/identifiers.h"

namespace shelfguard {
namespace {

constexpr size_t kCarryBytes = 64;            // tail kept for split numbers
constexpr size_t kMaxChunk = 1u << 20;        // normalised per chunk
constexpr size_t kChunkOverlap = 256;         // overlap between chunks
constexpr size_t kMaxDistinctNumbers = 1024;  // per package
constexpr size_t kMaxLocations = 3;           // kept per distinct number
constexpr size_t kMaxRawBytes = 200;          // raw text kept per hit

// UTF-8 bytes of the anchors.
constexpr std::string_view kBei = "\xE5\xA4\x87";   // 备
constexpr std::string_view kZheng = "\xE8\xAF\x81"; // 证
constexpr std::string_view kAn = "\xE5\xAE\x89";    // 安

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Decodes one UTF-8 sequence at `p` (< end); returns its length (1 for an
// invalid byte, which is then passed through unchanged) and the code point.
size_t DecodeUtf8(const unsigned char* p, const unsigned char* end, uint32_t* cp) {
  unsigned char c = p[0];
  size_t avail = static_cast<size_t>(end - p);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (len == 0 || len > avail) {
    *cp = 0xFFFD;
    return 1;
  }
  uint32_t v = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t i = 1; i < len; ++i) {
    if (!IsContinuation(p[i])) {
      *cp = 0xFFFD;
      return 1;
    }
    v = (v << 6) | (p[i] & 0x3F);
  }
  *cp = v;
  return len;
}

bool IsSpaceCp(uint32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' || cp == '\f' || cp == '\v' ||
         cp == 0xA0 || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200D) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0xFEFF;
}

// Full-width digits/letters/hyphen and other dashes → ASCII; 0 when none.
char FoldCp(uint32_t cp) {
  if (cp >= 0xFF10 && cp <= 0xFF19) return static_cast<char>('0' + (cp - 0xFF10));
  if (cp >= 0xFF21 && cp <= 0xFF3A) return static_cast<char>('A' + (cp - 0xFF21));
  if (cp >= 0xFF41 && cp <= 0xFF5A) return static_cast<char>('a' + (cp - 0xFF41));
  if (cp == 0xFF0D || cp == 0x2010 || cp == 0x2011 || cp == 0x2012 || cp == 0x2013 ||
      cp == 0x2014 || cp == 0x2212 || cp == 0xFE63)
    return '-';
  return 0;
}

// True when `text` may hold a number: some 备/证 is preceded (ignoring
// spaces) by P/p/Ｐ/ｐ, or 备 by 安. Byte-level, no allocation.
bool Prefilter(std::string_view text) {
  for (std::string_view anchor : {kBei, kZheng}) {
    size_t pos = 0;
    while ((pos = text.find(anchor, pos)) != std::string_view::npos) {
      size_t i = pos;
      // Skip ASCII and ideographic spaces backwards (a few at most).
      for (int skip = 0; skip < 8 && i > 0; ++skip) {
        if (text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\n' ||
            text[i - 1] == '\r') {
          --i;
        } else if (i >= 3 && text.substr(i - 3, 3) == "\xE3\x80\x80") {
          i -= 3;
        } else {
          break;
        }
      }
      if (i > 0 && (text[i - 1] == 'P' || text[i - 1] == 'p')) return true;
      if (i >= 3) {
        std::string_view prev = text.substr(i - 3, 3);
        if (prev == "\xEF\xBC\xB0" || prev == "\xEF\xBD\x90") return true;  // Ｐ ｐ
        if (anchor == kBei && prev == kAn) return true;
      }
      pos += anchor.size();
    }
  }
  return false;
}

// A normalised copy of a text with, for each normalised byte, the raw byte
// range of the character it came from.
struct Normalised {
  std::string text;
  std::vector<uint32_t> raw_begin, raw_end;
};

void Normalise(std::string_view raw, Normalised* out) {
  out->text.clear();
  out->raw_begin.clear();
  out->raw_end.clear();
  out->text.reserve(raw.size());
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  const auto* end = p + raw.size();
  const auto* base = p;
  while (p < end) {
    uint32_t cp = 0;
    size_t len = DecodeUtf8(p, end, &cp);
    uint32_t b = static_cast<uint32_t>(p - base);
    uint32_t e = b + static_cast<uint32_t>(len);
    if (IsSpaceCp(cp)) {
      // dropped
    } else if (char f = FoldCp(cp)) {
      out->text.push_back(f);
      out->raw_begin.push_back(b);
      out->raw_end.push_back(e);
    } else {
      for (size_t i = 0; i < len; ++i) {
        out->text.push_back(static_cast<char>(p[i]));
        out->raw_begin.push_back(b);
        out->raw_end.push_back(e);
      }
    }
    p += len;
  }
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' ||
                        s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  if (s.size() > kMaxRawBytes) {
    size_t n = kMaxRawBytes;
    while (n > 0 && IsContinuation(static_cast<unsigned char>(s[n]))) --n;
    s = s.substr(0, n);
  }
  return std::string(s);
}

// Start of the last `n` bytes of `s`, moved forward to a character boundary.
size_t TailStart(std::string_view s, size_t n) {
  if (s.size() <= n) return 0;
  size_t start = s.size() - n;
  while (start < s.size() && IsContinuation(static_cast<unsigned char>(s[start]))) ++start;
  return start;
}

struct Patterns {
  // Digits are matched generously ({1,20}) so that wrong lengths are seen and
  // flagged by the validators rather than silently skipped.
  RE2 moe{"教(?i:app)备(\\d{1,20})(号?)"};
  RE2 icp{"(\\p{Han})(?i:icp)([备证])(\\d{1,20})(号?)(?:-(\\d{1,4})([Aa]?))?"};
  RE2 psb{"(\\p{Han})公网安备(\\d{1,20})(号?)"};
};

const Patterns& GetPatterns() {
  static const Patterns* p = new Patterns();
  return *p;
}

struct Hit {
  std::string kind, text, raw;
  size_t begin = 0, end = 0;  // in the normalised haystack
};

void MatchAll(std::string_view hay, std::vector<Hit>* hits) {
  const Patterns& pt = GetPatterns();
  re2::StringPiece g[7];
  re2::StringPiece input(hay.data(), hay.size());
  auto offset = [&](const re2::StringPiece& s) { return static_cast<size_t>(s.data() - hay.data()); };

  size_t pos = 0;
  while (pos < hay.size() && pt.moe.Match(input, pos, hay.size(), RE2::UNANCHORED, g, 3)) {
    Hit h;
    h.kind = "moe-filing";
    h.text = "教APP备" + std::string(g[1]) + std::string(g[2]);
    h.begin = offset(g[0]);
    h.end = h.begin + g[0].size();
    hits->push_back(std::move(h));
    pos = std::max(hits->back().end, pos + 1);
  }
  pos = 0;
  while (pos < hay.size() && pt.icp.Match(input, pos, hay.size(), RE2::UNANCHORED, g, 7)) {
    Hit h;
    h.begin = offset(g[0]);
    h.end = h.begin + g[0].size();
    std::string suffix;
    bool app = false;
    if (!g[5].empty()) {
      bool letter_follows = h.end < hay.size() &&
                            std::isalpha(static_cast<unsigned char>(hay[h.end])) != 0;
      app = !g[6].empty() && !letter_follows;
      if (!g[6].empty() && letter_follows) --h.end;  // "-1Android": the A is a word
      suffix = "-" + std::string(g[5]) + (app ? "A" : "");
    }
    h.kind = app ? "app-icp" : "icp";
    h.text = std::string(g[1]) + "ICP" + std::string(g[2]) + std::string(g[3]) +
             std::string(g[4]) + suffix;
    hits->push_back(std::move(h));
    pos = std::max(hits->back().end, pos + 1);
  }
  pos = 0;
  while (pos < hay.size() && pt.psb.Match(input, pos, hay.size(), RE2::UNANCHORED, g, 4)) {
    Hit h;
    h.kind = "psb";
    h.text = std::string(g[1]) + "公网安备" + std::string(g[2]) + std::string(g[3]);
    h.begin = offset(g[0]);
    h.end = h.begin + g[0].size();
    hits->push_back(std::move(h));
    pos = std::max(hits->back().end, pos + 1);
  }
}

class NumberFinder : public TextSink {
 public:
  void OnText(std::string_view location, std::string_view text) override {
    const bool same = has_prev_ && location == prev_location_;
    if (!same) {
      FlushPending();
      prev_location_.assign(location);
      has_prev_ = true;
      carry_.clear();
    }
    if (text.size() <= kMaxChunk) {
      ScanOne(location, text, false);
    } else {
      // Very large texts: overlapping chunks; duplicates merge in Record().
      size_t pos = 0;
      while (pos < text.size()) {
        size_t len = std::min(kMaxChunk, text.size() - pos);
        size_t end = pos + len;
        while (end < text.size() && IsContinuation(static_cast<unsigned char>(text[end]))) ++end;
        // Hits near the end of a non-final chunk are found whole in the next.
        ScanOne(location, text.substr(pos, end - pos), end < text.size());
        if (end >= text.size()) break;
        pos = end - std::min<size_t>(kChunkOverlap, end - pos);
        while (pos < text.size() && IsContinuation(static_cast<unsigned char>(text[pos]))) ++pos;
        FlushPending();
        carry_.clear();
      }
    }
  }

  void Finish(Facts* facts) override {
    FlushPending();
    for (auto& n : numbers_) {
      DisplayedNumber d = std::move(n.number);
      for (size_t i = 1; i < n.locations.size(); ++i) d.location += "; " + n.locations[i];
      if (n.more > 0) d.location += " (+" + std::to_string(n.more) + " more)";
      facts->displayed_numbers.push_back(std::move(d));
    }
    numbers_.clear();
  }

 private:
  struct Entry {
    DisplayedNumber number;
    std::vector<std::string> locations;
    size_t more = 0;
  };

  // `chunk_continues`: `text` is a chunk of a larger text and the next chunk
  // re-scans its last kChunkOverlap bytes, so hits reaching into them are
  // left to that chunk.
  void ScanOne(std::string_view location, std::string_view text, bool chunk_continues) {
    std::string_view hay = text;
    std::string joined;
    size_t boundary = 0;  // raw offset where `text` starts inside the haystack
    bool prefilter = Prefilter(text);
    if (!carry_.empty()) {
      // The join only matters near the boundary: test carry + head of text.
      // (head_ and the carry keep their buffers: this runs for every text
      // of a layout or table, most of them short.)
      head_.assign(carry_).append(text.substr(0, std::min(text.size(), 2 * kCarryBytes)));
      if (prefilter || Prefilter(head_)) {
        joined = carry_;
        joined.append(text);
        hay = joined;
        boundary = carry_.size();
        prefilter = true;
      }
    }
    // Update the carry before any early return.
    if (text.size() >= kCarryBytes) {
      carry_.assign(text.substr(TailStart(text, kCarryBytes)));
    } else {
      carry_.append(text);
      carry_.erase(0, TailStart(carry_, kCarryBytes));
    }
    if (!prefilter) {
      // Nothing here can extend a pending hit: it stands.
      FlushPending();
      return;
    }

    Normalise(hay, &norm_);
    std::vector<Hit> hits;
    MatchAll(norm_.text, &hits);
    // Trailing spaces do not separate a number from what the next text adds.
    size_t norm_len = norm_.text.size();
    std::vector<Pending> next_pending;
    bool extended = false;
    for (Hit& h : hits) {
      uint32_t raw_b = norm_.raw_begin[h.begin];
      uint32_t raw_e = norm_.raw_end[h.end - 1];
      if (raw_e <= boundary) continue;  // entirely inside the carry: seen before
      if (chunk_continues && raw_e + kChunkOverlap > hay.size()) continue;
      h.raw = Trim(hay.substr(raw_b, raw_e - raw_b));
      if (raw_b < boundary) {
        // Crosses from the previous text: it supersedes a pending prefix.
        for (const Pending& p : pending_) {
          if (h.text.compare(0, p.number.text.size(), p.number.text) == 0) extended = true;
        }
      }
      if (h.end == norm_len) {
        next_pending.push_back({Make(h, location)});
      } else {
        Record(Make(h, location));
      }
    }
    if (!extended) FlushPending();
    pending_ = std::move(next_pending);
  }

  struct Pending {
    DisplayedNumber number;
  };

  DisplayedNumber Make(const Hit& h, std::string_view location) const {
    DisplayedNumber d;
    d.kind = h.kind;
    d.text = ids::NormalizeNumber(h.text);
    d.raw = h.raw;
    d.location = std::string(location);
    ids::Check c;
    if (h.kind == "moe-filing") {
      c = ids::ValidateMoeFiling(d.text);
    } else if (h.kind == "psb") {
      c = ids::ValidatePsb(d.text);
    } else {
      c = ids::ValidateIcp(d.text);
      if (c.ok && h.kind == "app-icp" && !ids::IsAppIcp(d.text)) {
        c.ok = false;
        c.problem = "not an App ICP filing number";
      }
    }
    d.well_formed = c.ok;
    d.problem = c.problem;
    return d;
  }

  void FlushPending() {
    for (Pending& p : pending_) Record(std::move(p.number));
    pending_.clear();
  }

  void Record(DisplayedNumber d) {
    std::string key = d.kind + '\n' + d.text;
    auto it = index_.find(key);
    if (it != index_.end()) {
      Entry& e = numbers_[it->second];
      if (std::find(e.locations.begin(), e.locations.end(), d.location) != e.locations.end())
        return;
      if (e.locations.size() < kMaxLocations) {
        e.locations.push_back(d.location);
      } else {
        ++e.more;
      }
      return;
    }
    if (numbers_.size() >= kMaxDistinctNumbers) return;
    index_.emplace(key, numbers_.size());
    Entry e;
    e.locations.push_back(d.location);
    e.number = std::move(d);
    numbers_.push_back(std::move(e));
  }

  bool has_prev_ = false;
  std::string prev_location_;
  std::string carry_;
  std::string head_;  // carry + the head of the next text (reused buffer)
  std::vector<Pending> pending_;
  Normalised norm_;  // reused buffer
  std::vector<Entry> numbers_;
  std::map<std::string, size_t> index_;
};

}  // namespace

std::unique_ptr<TextSink> NewNumberFinder() { return std::make_unique<NumberFinder>(); }

}  // namespace shelfguard
