#include "plist/plist_reader.h"

#include <plist/plist.h>

#include <cstdlib>
#include <memory>

#include "shelfguard/byte_reader.h"
#include "shelfguard/utf8.h"

namespace shelfguard::plist {
namespace {

std::string Base64(std::string_view in) {
  static const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int k = 3; k >= 0; --k) out.push_back(kAlphabet[(v >> (6 * k)) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Copies a libplist tree into JSON under the caps; each cap, once hit, is
// recorded once and the values past it are dropped.
struct Converter {
  Budget* budget = nullptr;
  std::vector<Anomaly>* anomalies = nullptr;
  size_t nodes = 0;
  bool stopped = false;  // node cap or deadline: nothing more is copied
  bool deep_noted = false;

  void Note(std::string location, std::string detail) {
    anomalies->push_back({"plist-over-limit", std::move(location), std::move(detail)});
  }
  // How many of the `n` items of an array or dictionary to copy.
  uint32_t Cap(std::string_view what, uint32_t n) {
    if (budget == nullptr) return n;
    Status st = budget->CheckCount(what, n);
    if (st.ok()) return n;
    const uint64_t cap = budget->limits().max_table_items;
    Note(std::string(what), st.message() + "; the first " + std::to_string(cap) + " kept");
    return static_cast<uint32_t>(cap);
  }

  nlohmann::json Convert(plist_t node, int depth) {
    if (node == nullptr || stopped) return nullptr;
    if (depth > kMaxDepth) {
      if (!deep_noted) {
        deep_noted = true;
        Note("depth", "values nested deeper than " + std::to_string(kMaxDepth) + " dropped");
      }
      return nullptr;
    }
    if (++nodes > kMaxNodes) {
      stopped = true;
      Note("values", "more than " + std::to_string(kMaxNodes) + " values; the rest dropped");
      return nullptr;
    }
    if ((nodes & 0xfff) == 0 && budget != nullptr && budget->Expired()) {
      stopped = true;
      Note("values", "deadline passed after " + std::to_string(nodes) +
                         " values; the rest dropped");
      return nullptr;
    }
    switch (plist_get_node_type(node)) {
      case PLIST_BOOLEAN: {
        uint8_t b = 0;
        plist_get_bool_val(node, &b);
        return b != 0;
      }
      case PLIST_UINT: {
        uint64_t v = 0;
        plist_get_uint_val(node, &v);
        return v;
      }
      case PLIST_UID: {
        uint64_t v = 0;
        plist_get_uid_val(node, &v);
        return v;
      }
      case PLIST_REAL: {
        double d = 0;
        plist_get_real_val(node, &d);
        return d;
      }
      case PLIST_DATE: {
        int32_t sec = 0, usec = 0;
        plist_get_date_val(node, &sec, &usec);
        return sec;
      }
      case PLIST_STRING: {
        uint64_t len = 0;
        const char* p = plist_get_string_ptr(node, &len);
        return p != nullptr ? std::string(p, len) : std::string();
      }
      case PLIST_DATA: {
        uint64_t len = 0;
        const char* p = plist_get_data_ptr(node, &len);
        return p != nullptr ? Base64(std::string_view(p, len)) : std::string();
      }
      case PLIST_ARRAY: {
        nlohmann::json a = nlohmann::json::array();
        const uint32_t n = Cap("plist array", plist_array_get_size(node));
        for (uint32_t i = 0; i < n && !stopped; ++i)
          a.push_back(Convert(plist_array_get_item(node, i), depth + 1));
        return a;
      }
      case PLIST_DICT: {
        nlohmann::json o = nlohmann::json::object();
        const uint32_t n = Cap("plist dictionary", plist_dict_get_size(node));
        plist_dict_iter it = nullptr;
        plist_dict_new_iter(node, &it);
        if (it == nullptr) return o;
        for (uint32_t i = 0; i < n && !stopped; ++i) {
          char* key = nullptr;
          plist_t val = nullptr;
          plist_dict_next_item(node, it, &key, &val);
          if (val == nullptr) {
            std::free(key);
            break;
          }
          std::string k = key != nullptr ? key : "";
          std::free(key);
          o[k] = Convert(val, depth + 1);
        }
        std::free(it);
        return o;
      }
      default:
        return nullptr;
    }
  }
};

// Old-style (NeXTSTEP) strings syntax: "key" = "value"; with /* */ and //
// comments; unquoted tokens of [A-Za-z0-9_$+/:.-]; `"key";` means key = key.
class OldStyleParser {
 public:
  OldStyleParser(std::string_view s, Budget* budget, StringsFile* out)
      : s_(s), budget_(budget), out_(out) {}

  void Run() {
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size()) return;
      if (Stop()) return;
      size_t start = pos_;
      std::string key, value;
      if (!ReadToken(&key)) {
        Recover(start, "expected a key");
        continue;
      }
      SkipSpace();
      if (Peek() == ';') {
        ++pos_;
        out_->entries.push_back({key, key});
        continue;
      }
      if (Peek() != '=') {
        Recover(start, "expected '=' after key");
        continue;
      }
      ++pos_;
      SkipSpace();
      if (!ReadToken(&value)) {
        Recover(start, "expected a value");
        continue;
      }
      SkipSpace();
      if (Peek() != ';') {
        // Keep the pair: a missing ';' at the end is a common slip.
        Syntax(pos_, "missing ';'");
      } else {
        ++pos_;
      }
      out_->entries.push_back({std::move(key), std::move(value)});
    }
  }

 private:
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }

  void Syntax(size_t at, std::string what) {
    out_->anomalies.push_back({"strings-malformed", "byte " + std::to_string(at), std::move(what)});
  }

  // True (recorded) when the entry table reached max_table_items or the
  // deadline passed: the entries read so far are kept.
  bool Stop() {
    if (budget_ == nullptr) return false;
    const size_t n = out_->entries.size();
    if (n >= budget_->limits().max_table_items) {
      out_->anomalies.push_back({"plist-over-limit", "byte " + std::to_string(pos_),
                                 "entries reached max_table_items " + std::to_string(n) +
                                     "; the rest dropped"});
      return true;
    }
    if ((n & 0xfff) == 0xfff && budget_->Expired()) {
      out_->anomalies.push_back({"plist-over-limit", "byte " + std::to_string(pos_),
                                 "deadline passed after " + std::to_string(n) +
                                     " entries; the rest dropped"});
      return true;
    }
    return false;
  }

  void SkipSpace() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
      } else if (c == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '*') {
        size_t end = s_.find("*/", pos_ + 2);
        pos_ = end == std::string_view::npos ? s_.size() : end + 2;
      } else if (c == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '/') {
        size_t end = s_.find('\n', pos_);
        pos_ = end == std::string_view::npos ? s_.size() : end + 1;
      } else {
        return;
      }
    }
  }

  static bool Unquoted(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$' || c == '+' || c == '/' || c == ':' || c == '.' || c == '-';
  }

  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool ReadToken(std::string* out) {
    if (Peek() == '"' || Peek() == '\'') {
      char q = s_[pos_++];
      while (pos_ < s_.size()) {
        char c = s_[pos_++];
        if (c == q) return true;
        if (c != '\\') {
          out->push_back(c);
          continue;
        }
        if (pos_ >= s_.size()) return false;
        char e = s_[pos_++];
        switch (e) {
          case 'n': out->push_back('\n'); break;
          case 't': out->push_back('\t'); break;
          case 'r': out->push_back('\r'); break;
          case 'a': out->push_back('\a'); break;
          case 'b': out->push_back('\b'); break;
          case 'f': out->push_back('\f'); break;
          case 'v': out->push_back('\v'); break;
          case 'U':
          case 'u': {
            uint32_t cp = 0;
            int k = 0;
            for (; k < 4 && pos_ < s_.size() && Hex(s_[pos_]) >= 0; ++k) cp = cp * 16 + Hex(s_[pos_++]);
            if (k == 0) {
              out->push_back(e);
              break;
            }
            // A surrogate pair is written as two \U escapes.
            if (cp >= 0xD800 && cp < 0xDC00 && pos_ + 5 < s_.size() && s_[pos_] == '\\' &&
                (s_[pos_ + 1] == 'U' || s_[pos_ + 1] == 'u')) {
              uint32_t lo = 0;
              int m = 0;
              for (; m < 4 && Hex(s_[pos_ + 2 + m]) >= 0; ++m) lo = lo * 16 + Hex(s_[pos_ + 2 + m]);
              if (m == 4 && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                pos_ += 6;
              }
            }
            if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
            AppendUtf8(cp, out);
            break;
          }
          default:
            if (e >= '0' && e <= '7') {
              uint32_t v = e - '0';
              for (int k = 0; k < 2 && pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '7'; ++k)
                v = v * 8 + (s_[pos_++] - '0');
              out->push_back(static_cast<char>(v & 0xff));
            } else {
              out->push_back(e);  // \" \\ \' and unknown escapes
            }
        }
      }
      return false;  // unterminated
    }
    size_t start = pos_;
    while (pos_ < s_.size() && Unquoted(s_[pos_])) ++pos_;
    if (pos_ == start) return false;
    out->assign(s_.substr(start, pos_ - start));
    return true;
  }

  void Recover(size_t start, const char* what) {
    Syntax(start, what);
    // Resume after the next ';' or line end, always making progress.
    size_t semi = s_.find_first_of(";\n", std::max(pos_, start + 1));
    pos_ = semi == std::string_view::npos ? s_.size() : semi + 1;
  }

  std::string_view s_;
  Budget* budget_;
  StringsFile* out_;
  size_t pos_ = 0;
};

// --- DER / BER (X.690) -----------------------------------------------------

struct Tlv {
  uint8_t tag = 0;
  bool constructed = false;
  bool indefinite = false;
  size_t content = 0;  // offset of the contents
  size_t length = 0;   // contents length (definite only)
  size_t end = 0;      // offset just past the element (after 00 00 if indefinite)
};

class Der {
 public:
  explicit Der(std::string_view d) : r_(d) {}

  // Reads the element at `off`, not past `limit`.
  Status Read(size_t off, size_t limit, int depth, Tlv* t) const {
    if (depth > kMaxDerDepth) return Status::Malformed("CMS: nesting too deep");
    auto tag = r_.LEAt<uint8_t>(off);
    auto l0 = r_.LEAt<uint8_t>(off + 1);
    if (!tag || !l0 || off + 2 > limit) return Status::Malformed("CMS: element truncated");
    if ((*tag & 0x1f) == 0x1f) return Status::Unsupported("CMS: high tag numbers");
    t->tag = *tag;
    t->constructed = (*tag & 0x20) != 0;
    size_t p = off + 2;
    if (*l0 < 0x80) {
      t->length = *l0;
    } else if (*l0 == 0x80) {
      if (!t->constructed) return Status::Malformed("CMS: indefinite primitive");
      t->indefinite = true;
    } else {
      int n = *l0 & 0x7f;
      if (n > 4) return Status::Malformed("CMS: length of length " + std::to_string(n));
      size_t len = 0;
      for (int i = 0; i < n; ++i) {
        auto b = r_.LEAt<uint8_t>(p++);
        if (!b) return Status::Malformed("CMS: length truncated");
        len = (len << 8) | *b;
      }
      t->length = len;
    }
    t->content = p;
    if (!t->indefinite) {
      if (p > limit || t->length > limit - p) return Status::Malformed("CMS: length past end");
      t->end = p + t->length;
      return Status::Ok();
    }
    // Indefinite: walk children to the end-of-contents marker.
    size_t q = p;
    while (true) {
      auto a = r_.LEAt<uint8_t>(q), b = r_.LEAt<uint8_t>(q + 1);
      if (!a || !b || q + 2 > limit) return Status::Malformed("CMS: unterminated element");
      if (*a == 0 && *b == 0) break;
      Tlv child;
      SG_RETURN_IF_ERROR(Read(q, limit, depth + 1, &child));
      q = child.end;
    }
    t->length = q - p;
    t->end = q + 2;
    return Status::Ok();
  }

  // Children of a constructed element.
  Status Children(const Tlv& t, int depth, std::vector<Tlv>* out, size_t max = 16) const {
    size_t q = t.content, stop = t.content + t.length;
    while (q < stop && out->size() < max) {
      Tlv c;
      SG_RETURN_IF_ERROR(Read(q, stop, depth + 1, &c));
      out->push_back(c);
      q = c.end;
    }
    return Status::Ok();
  }

  // OCTET STRING contents, concatenating BER constructed segments.
  Status Octets(const Tlv& t, int depth, std::string* out) const {
    if (depth > kMaxDerDepth) return Status::Malformed("CMS: nesting too deep");
    if ((t.tag & 0x1f) != 0x04) return Status::Malformed("CMS: content is not an OCTET STRING");
    if (!t.constructed) {
      auto bytes = r_.BytesAt(t.content, t.length);
      if (!bytes) return Status::Malformed("CMS: OCTET STRING past the end");
      out->append(*bytes);
      return Status::Ok();
    }
    std::vector<Tlv> parts;
    SG_RETURN_IF_ERROR(Children(t, depth, &parts, 1u << 16));
    for (const auto& p : parts) SG_RETURN_IF_ERROR(Octets(p, depth + 1, out));
    return Status::Ok();
  }

  // The contents of `t` (empty when they lie past the end: Read checked
  // them, so that is a bug here, never a crash).
  std::string_view Bytes(const Tlv& t) const {
    return r_.BytesAt(t.content, t.length).value_or(std::string_view());
  }
  size_t size() const { return r_.size(); }

 private:
  ByteReader r_;
};

}  // namespace

std::string_view PlistFormat(std::string_view data) {
  if (data.substr(0, 6) == "bplist") return "binary";
  size_t i = 0;
  if (data.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < data.size() && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
    ++i;
  auto rest = data.substr(i);
  if (rest.substr(0, 5) == "<?xml" || rest.substr(0, 6) == "<plist" || rest.substr(0, 9) == "<!DOCTYPE")
    return "xml";
  return "";
}

namespace {

// libplist (2.2, built with assertions as Debian ships it) asserts that a
// dict key holds no NUL (plist_get_key_val), which aborts the process on a
// crafted binary plist. Before parsing, NUL code units in the string
// objects of a binary plist are rewritten to '?' in a copy. Layout: a
// 32-byte trailer (offset size, ref size, object count, top object, offset
// table offset, big-endian), the offset table, objects whose marker's high
// nibble 5 (ASCII) or 6 (UTF-16BE) is a string of the low nibble's length,
// or of a following int object's length when the nibble is 0xF.
std::string WithoutNulInStrings(std::string_view d) {
  std::string out(d);
  if (d.size() < 8 + 32) return out;
  const uint64_t trailer = d.size() - 32;
  auto be = [&](uint64_t at, unsigned n, uint64_t* v) {
    if (n == 0 || n > 8 || at > trailer || trailer - at < n) return false;
    *v = 0;
    for (unsigned k = 0; k < n; ++k) *v = *v << 8 | static_cast<uint8_t>(d[at + k]);
    return true;
  };
  const unsigned off_size = static_cast<uint8_t>(d[trailer + 6]);
  uint64_t count = 0, table = 0;
  for (unsigned k = 0; k < 8; ++k) {
    count = count << 8 | static_cast<uint8_t>(d[trailer + 8 + k]);
    table = table << 8 | static_cast<uint8_t>(d[trailer + 24 + k]);
  }
  if (off_size == 0 || off_size > 8 || table > trailer || count > (trailer - table) / off_size) {
    return out;  // libplist rejects such a trailer itself
  }
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t off = 0;
    if (!be(table + i * off_size, off_size, &off) || off >= trailer) continue;
    const uint8_t marker = static_cast<uint8_t>(d[off]);
    const unsigned type = marker >> 4;
    if (type != 5 && type != 6) continue;
    uint64_t len = marker & 0xf, pos = off + 1;
    if (len == 0xf) {
      if (pos >= trailer || (static_cast<uint8_t>(d[pos]) >> 4) != 1) continue;
      unsigned nb = 1u << (static_cast<uint8_t>(d[pos]) & 0xf);
      if (!be(pos + 1, nb, &len)) continue;
      pos += 1 + nb;
    }
    const uint64_t unit = type == 5 ? 1 : 2;
    if (pos > trailer || len > (trailer - pos) / unit) continue;
    for (uint64_t k = 0; k < len; ++k) {
      uint64_t at = pos + k * unit;
      if (unit == 1 && out[at] == '\0') out[at] = '?';
      if (unit == 2 && out[at] == '\0' && out[at + 1] == '\0') out[at + 1] = '?';
    }
  }
  return out;
}

}  // namespace

Result<Plist> ParsePlist(std::string_view data, Budget* budget) {
  if (data.size() > kMaxPlistBytes)
    return Status::OverLimit("plist of " + std::to_string(data.size()) + " bytes over " +
                             std::to_string(kMaxPlistBytes));
  if (PlistFormat(data).empty()) return Status::Malformed("not a property list");
  plist_t root = nullptr;
  std::string safe;
  if (PlistFormat(data) == "binary") {
    safe = WithoutNulInStrings(data);
    data = safe;
  }
  plist_from_memory(data.data(), static_cast<uint32_t>(data.size()), &root);
  if (root == nullptr) return Status::Malformed("property list does not parse");
  std::unique_ptr<void, void (*)(plist_t)> guard(root, plist_free);
  Plist out;
  Converter c;
  c.budget = budget;
  c.anomalies = &out.anomalies;
  out.root = c.Convert(root, 0);
  return out;
}

std::string ToJsonText(const nlohmann::json& v) {
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Utf16ToUtf8(std::string_view d, bool big_endian) {
  std::string out;
  out.reserve(d.size());
  size_t n = d.size() / 2;
  auto unit = [&](size_t i) -> uint32_t {
    uint8_t a = d[2 * i], b = d[2 * i + 1];
    return big_endian ? (a << 8 | b) : (b << 8 | a);
  };
  for (size_t i = 0; i < n; ++i) {
    uint32_t u = unit(i);
    if (u >= 0xD800 && u < 0xDC00 && i + 1 < n) {
      uint32_t lo = unit(i + 1);
      if (lo >= 0xDC00 && lo < 0xE000) {
        AppendUtf8(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00), &out);
        ++i;
        continue;
      }
    }
    AppendUtf8(u >= 0xD800 && u < 0xE000 ? 0xFFFD : u, &out);
  }
  return out;
}

Result<StringsFile> ParseStrings(std::string_view data, Budget* budget) {
  if (data.size() > kMaxStringsBytes)
    return Status::OverLimit(".strings of " + std::to_string(data.size()) + " bytes over " +
                             std::to_string(kMaxStringsBytes));
  StringsFile f;
  if (auto fmt = PlistFormat(data); !fmt.empty()) {
    f.format = fmt == "binary" ? "plist-binary" : "plist-xml";
    f.encoding = "utf-8";
    auto p = ParsePlist(data, budget);
    if (!p.ok()) return p.status();
    if (!p->root.is_object()) return Status::Malformed(".strings property list is not a dictionary");
    f.anomalies = std::move(p->anomalies);
    for (auto& [k, v] : p->root.items()) {
      if (v.is_string()) {
        f.entries.push_back({k, v.get<std::string>()});
      } else {
        // .stringsdict-style nested values: keep the text, note the shape.
        f.entries.push_back({k, ToJsonText(v)});
      }
    }
    return f;
  }
  std::string text;
  std::string_view s = data;
  if (data.size() >= 2 && uint8_t(data[0]) == 0xFF && uint8_t(data[1]) == 0xFE) {
    f.encoding = "utf-16le";
    text = Utf16ToUtf8(data.substr(2), false);
    s = text;
  } else if (data.size() >= 2 && uint8_t(data[0]) == 0xFE && uint8_t(data[1]) == 0xFF) {
    f.encoding = "utf-16be";
    text = Utf16ToUtf8(data.substr(2), true);
    s = text;
  } else if (data.size() >= 2 && data[0] != 0 && data[1] == 0) {
    f.encoding = "utf-16le";  // no BOM, but ASCII-range first unit
    text = Utf16ToUtf8(data, false);
    s = text;
  } else if (data.size() >= 2 && data[0] == 0 && data[1] != 0) {
    f.encoding = "utf-16be";
    text = Utf16ToUtf8(data, true);
    s = text;
  } else {
    f.encoding = "utf-8";
    if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  }
  f.format = "old-style";
  // A UTF-16 .strings may itself be a plist after decoding.
  if (!text.empty() && !PlistFormat(s).empty()) {
    auto inner = ParseStrings(s, budget);
    if (inner.ok()) {
      inner->encoding = f.encoding;
      return inner;
    }
  }
  OldStyleParser(s, budget, &f).Run();
  return f;
}

Result<std::string> UnwrapCms(std::string_view der) {
  // ContentInfo ::= SEQUENCE { contentType OID (1.2.840.113549.1.7.2),
  //   content [0] EXPLICIT SignedData }
  // SignedData ::= SEQUENCE { version, digestAlgorithms SET,
  //   encapContentInfo SEQUENCE { eContentType OID, eContent [0] EXPLICIT OCTET STRING }, ...}
  static constexpr std::string_view kSignedData("\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02", 9);
  Der d(der);
  Tlv ci;
  SG_RETURN_IF_ERROR(d.Read(0, d.size(), 0, &ci));
  if (ci.tag != 0x30) return Status::Malformed("CMS: ContentInfo is not a SEQUENCE");
  std::vector<Tlv> kids;
  SG_RETURN_IF_ERROR(d.Children(ci, 0, &kids, 2));
  if (kids.size() < 2 || kids[0].tag != 0x06 || d.Bytes(kids[0]) != kSignedData)
    return Status::Malformed("CMS: not SignedData");
  if (kids[1].tag != 0xA0) return Status::Malformed("CMS: missing [0] content");
  std::vector<Tlv> sd_wrap;
  SG_RETURN_IF_ERROR(d.Children(kids[1], 1, &sd_wrap, 1));
  if (sd_wrap.empty() || sd_wrap[0].tag != 0x30) return Status::Malformed("CMS: SignedData shape");
  std::vector<Tlv> sd;
  SG_RETURN_IF_ERROR(d.Children(sd_wrap[0], 2, &sd, 3));
  if (sd.size() < 3 || sd[2].tag != 0x30) return Status::Malformed("CMS: encapContentInfo missing");
  std::vector<Tlv> eci;
  SG_RETURN_IF_ERROR(d.Children(sd[2], 3, &eci, 2));
  if (eci.size() < 2 || eci[1].tag != 0xA0) return Status::NotFound("CMS: detached content");
  std::vector<Tlv> oct;
  SG_RETURN_IF_ERROR(d.Children(eci[1], 4, &oct, 1));
  if (oct.empty()) return Status::Malformed("CMS: empty eContent");
  std::string out;
  SG_RETURN_IF_ERROR(d.Octets(oct[0], 5, &out));
  return out;
}

}  // namespace shelfguard::plist
