// The JSON writer of the report (ReportToJson, src/engine/report.cc) and
// the UTF-8 repair it shares with the text report: internal to
// src/engine.
#ifndef SHELFGUARD_ENGINE_JSON_WRITER_H_
#define SHELFGUARD_ENGINE_JSON_WRITER_H_

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shelfguard::report_json {

using json = nlohmann::ordered_json;

// Length of the well-formed UTF-8 sequence at s[i] (Unicode 15 table 3-7: no
// overlongs, no surrogates, no code points above U+10FFFF), 0 when the bytes
// there are not one. NUL counts as well-formed here; Utf8() refuses it.
size_t SequenceLength(std::string_view s, size_t i);

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Strings from packages may hold invalid UTF-8 (MUTF-8 surrogates, GBK
// names, garbage); each invalid byte, and NUL, becomes U+FFFD.
std::string Utf8(std::string_view s);

// JSON text written as it goes, byte for byte what
// nlohmann::ordered_json::dump(pretty ? 2 : -1, ' ', false, replace) prints
// for the same tree (key order as written; ", " / ": " and two-space
// indents when pretty; "{}" and "[]" when empty; only '"', '\\' and control
// characters escaped, as \b \t \n \f \r or lowercase \u00xx). The report used
// to be built as an nlohmann tree first: that tree, its copies of vectors
// of values and its ordered-map inserts cost more than the text.
class JsonWriter {
 public:
  explicit JsonWriter(bool pretty) : pretty_(pretty) { out_.reserve(2048); }

  std::string Take() { return std::move(out_); }

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  // An object member's name, already valid UTF-8; its value comes next.
  void Key(std::string_view k) {
    Separator();
    out_ += '"';
    Escape(k);
    out_ += pretty_ ? "\": " : "\":";
    after_key_ = true;
  }

  // A string from a package: made valid UTF-8 as Utf8() does.
  void Text(std::string_view s) {
    BeforeValue();
    out_ += '"';
    for (size_t i = 0; i < s.size();) {
      const size_t len = s[i] == '\0' ? 0 : SequenceLength(s, i);
      if (len == 0) {
        out_ += kReplacement;
        ++i;
        continue;
      }
      // A run of well-formed bytes, escaped in one go.
      size_t end = i + len;
      while (end < s.size() && s[end] != '\0') {
        size_t n = SequenceLength(s, end);
        if (n == 0) break;
        end += n;
      }
      Escape(s.substr(i, end - i));
      i = end;
    }
    out_ += '"';
  }
  // A string the tool itself made (rule ids, kinds, versions). nlohmann
  // replaced invalid bytes in these by its own rule; such a string, which
  // should never occur, is left to it so that the bytes stay the same.
  void Raw(std::string_view s) {
    BeforeValue();
    for (size_t i = 0; i < s.size();) {
      const size_t len = SequenceLength(s, i);
      if (len == 0) {
        out_ += nlohmann::json(std::string(s)).dump(-1, ' ', false,
                                                    nlohmann::json::error_handler_t::replace);
        return;
      }
      i += len;
    }
    out_ += '"';
    Escape(s);
    out_ += '"';
  }
  void Bool(bool b) {
    BeforeValue();
    out_ += b ? "true" : "false";
  }
  void Null() {
    BeforeValue();
    out_ += "null";
  }
  template <typename Int>
  void Number(Int v) {
    BeforeValue();
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, end);
  }
  void OptInt(const std::optional<int>& v) { v ? Number(*v) : Null(); }
  void OptBool(const std::optional<bool>& v) { v ? Bool(*v) : Null(); }
  void TextList(const std::vector<std::string>& v) {
    BeginArray();
    for (const auto& s : v) Text(s);
    EndArray();
  }
  void RawList(const std::vector<std::string>& v) {
    BeginArray();
    for (const auto& s : v) Raw(s);
    EndArray();
  }
  // A parsed JSON value (an entitlement), as its own dump() prints it.
  void Value(const json& v) {
    switch (v.type()) {
      case json::value_t::object:
        BeginObject();
        for (const auto& [k, e] : v.items()) {
          KeyRaw(k);
          Value(e);
        }
        EndObject();
        return;
      case json::value_t::array:
        BeginArray();
        for (const auto& e : v) Value(e);
        EndArray();
        return;
      case json::value_t::string:
        Raw(v.get_ref<const std::string&>());
        return;
      default:  // numbers, booleans, null: the same text at any indent
        BeforeValue();
        out_ += v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return;
    }
  }

  // Shorthands for an object member.
  void Text(std::string_view k, std::string_view s) {
    Key(k);
    Text(s);
  }
  void Raw(std::string_view k, std::string_view s) {
    Key(k);
    Raw(s);
  }
  void Bool(std::string_view k, bool b) {
    Key(k);
    Bool(b);
  }
  void Number(std::string_view k, uint64_t v) {
    Key(k);
    Number(v);
  }
  void OptInt(std::string_view k, const std::optional<int>& v) {
    Key(k);
    OptInt(v);
  }
  void OptBool(std::string_view k, const std::optional<bool>& v) {
    Key(k);
    OptBool(v);
  }
  void TextList(std::string_view k, const std::vector<std::string>& v) {
    Key(k);
    TextList(v);
  }
  void RawList(std::string_view k, const std::vector<std::string>& v) {
    Key(k);
    RawList(v);
  }
  void BeginObject(std::string_view k) {
    Key(k);
    BeginObject();
  }
  void BeginArray(std::string_view k) {
    Key(k);
    BeginArray();
  }

 private:
  // A member name that may not be valid UTF-8 (from a parsed value, where
  // it always is, but the fallback keeps the bytes nlohmann's).
  void KeyRaw(std::string_view k) {
    Separator();
    after_key_ = true;  // Raw() writes no separator of its own
    Raw(k);
    out_ += pretty_ ? ": " : ":";
    after_key_ = true;
  }
  void Open(char c) {
    BeforeValue();
    out_ += c;
    counts_.push_back(0);
  }
  void Close(char c) {
    const uint32_t n = counts_.back();
    counts_.pop_back();
    if (pretty_ && n > 0) Newline();
    out_ += c;
  }
  // Before an array element or member name: the comma, and in pretty
  // output the line break and indent.
  void Separator() {
    if (counts_.empty()) return;
    if (counts_.back()++ > 0) out_ += ',';
    if (pretty_) Newline();
  }
  void BeforeValue() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    Separator();
  }
  void Newline() {
    out_ += '\n';
    out_.append(2 * counts_.size(), ' ');
  }
  // Appends valid UTF-8 `s` with '"', '\\' and the control characters
  // escaped; every other byte as it is.
  void Escape(std::string_view s) {
    size_t run = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(s.substr(run, i - run));
      run = i + 1;
      // JSON's two-character escapes, the character after the backslash
      // at the position of its byte in kFrom; any other control character
      // as \u00xx.
      static constexpr std::string_view kFrom("\"\\\b\t\n\f\r", 7), kTo("\"\\btnfr", 7);
      static constexpr char kHex[] = "0123456789abcdef";
      const size_t k = kFrom.find(static_cast<char>(c));
      if (k != std::string_view::npos) {
        const char e[2] = {'\\', kTo[k]};
        out_.append(e, sizeof e);
      } else {
        const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out_.append(u, sizeof u);
      }
    }
    out_.append(s.substr(run));
  }

  const bool pretty_;
  std::string out_;
  std::vector<uint32_t> counts_;  // per open container: members or elements so far
  bool after_key_ = false;
};

// The members of a string-keyed map with the keys made valid UTF-8, in map
// order. Two keys can become one text (each invalid byte is U+FFFD): as
// object[key] = value did, the name keeps its first place and takes the
// last value.
template <typename V>
std::vector<std::pair<std::string, const V*>> Utf8Members(const std::map<std::string, V>& m) {
  std::vector<std::pair<std::string, const V*>> out;
  out.reserve(m.size());
  bool changed = false;
  for (const auto& [k, v] : m) {
    out.emplace_back(Utf8(k), &v);
    changed = changed || out.back().first != k;
  }
  if (!changed) return out;  // distinct valid keys stay distinct
  std::vector<std::pair<std::string, const V*>> merged;
  std::map<std::string, size_t> place;
  for (auto& member : out) {
    auto [it, fresh] = place.emplace(member.first, merged.size());
    if (fresh) {
      merged.push_back(std::move(member));
    } else {
      merged[it->second].second = member.second;
    }
  }
  return merged;
}

}  // namespace shelfguard::report_json

#endif  // SHELFGUARD_ENGINE_JSON_WRITER_H_
