// The JSON form of registry exports: streamed with nlohmann's SAX interface,
// one filing read as a document (scan --filing), and a filing written back.
#include <iterator>
#include <optional>
#include <string>
#include <variant>

#include "registry/export_internal.h"

namespace shelfguard::export_detail {

// ---- JSON -------------------------------------------------------------------

class JsonFields {
 public:
  JsonFields(const json& obj, std::string prefix, RecordCheck* rc)
      : obj_(obj), prefix_(std::move(prefix)), rc_(rc) {}

  std::string Str(const char* key) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return "";
    if (!it->is_string()) {
      rc_->Fail(prefix_ + key, "must be a string");
      return "";
    }
    std::string v = it->get<std::string>();
    if (!rc_->CheckText(prefix_ + key, v)) return "";
    return v;
  }
  std::optional<std::string> OptStr(const char* key) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return std::nullopt;
    return Str(key);
  }
  std::vector<std::string> List(const char* key) {
    std::vector<std::string> out;
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return out;
    if (!it->is_array()) {
      rc_->Fail(prefix_ + key, "must be an array of strings");
      return out;
    }
    if (it->size() > rc_->limits().max_list_items) {
      rc_->Fail(prefix_ + key, "more than " + std::to_string(rc_->limits().max_list_items) + " items");
      return out;
    }
    for (size_t i = 0; i < it->size(); ++i) {
      const json& e = (*it)[i];
      std::string field = prefix_ + key + "[" + std::to_string(i) + "]";
      if (!e.is_string()) {
        rc_->Fail(field, "must be a string");
        continue;
      }
      std::string v = e.get<std::string>();
      if (rc_->CheckText(field, v)) out.push_back(std::move(v));
    }
    return out;
  }
  bool Bool(const char* key) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return false;
    if (!it->is_boolean()) {
      rc_->Fail(prefix_ + key, "must be true or false");
      return false;
    }
    return it->get<bool>();
  }
  int Int(const char* key) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return 0;
    if (!it->is_number_integer() || it->get<int64_t>() < -1000000 || it->get<int64_t>() > 1000000) {
      rc_->Fail(prefix_ + key, "must be a small integer");
      return 0;
    }
    return static_cast<int>(it->get<int64_t>());
  }
  // Reads `key` into `slot` by the slot's type.
  void Read(const char* key, const FilingSlot& slot) {
    if (auto* s = std::get_if<std::string*>(&slot)) {
      **s = Str(key);
    } else if (auto* o = std::get_if<std::optional<std::string>*>(&slot)) {
      **o = OptStr(key);
    } else if (auto* l = std::get_if<std::vector<std::string>*>(&slot)) {
      **l = List(key);
    } else if (auto* b = std::get_if<bool*>(&slot)) {
      **b = Bool(key);
    } else {
      *std::get<int*>(slot) = Int(key);
    }
  }
  // A nested object (or an empty one when absent / wrong type).
  const json& Obj(const char* key) {
    static const json kEmpty = json::object();
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return kEmpty;
    if (!it->is_object()) {
      rc_->Fail(prefix_ + key, "must be an object");
      return kEmpty;
    }
    return *it;
  }

 private:
  const json& obj_;
  std::string prefix_;
  RecordCheck* rc_;
};

std::optional<Filing> FilingFromJsonValue(const json& j, RecordCheck* rc) {
  if (!j.is_object()) {
    rc->Fail("filing", "must be a JSON object");
    return std::nullopt;
  }
  Filing f;
  JsonFields top(j, "", rc);
  // The nested object being read (a table's fields of one object are
  // consecutive, so each is looked up, and reported, once).
  std::optional<JsonFields> part;
  std::string_view part_name;
  for (const FilingField& field : kFilingFields) {
    JsonFields* in = &top;
    if (*field.object != '\0') {
      if (!part || part_name != field.object) {
        part_name = field.object;
        part.emplace(top.Obj(field.object), std::string(field.object) + ".", rc);
      }
      in = &*part;
    }
    in->Read(field.key, field.slot(f));
  }
  ValidateFiling(&f, rc);
  if (!rc->ok()) return std::nullopt;
  return f;
}

// ---- JSON (streamed with nlohmann's SAX interface) ---------------------------

// nlohmann::json values keep no source positions, so the input is fed to the
// lexer through this iterator, which counts line breaks as characters are
// consumed. When the SAX handler sees a record's '{', the lexer has read
// exactly up to it, so the count gives the record's first line.
struct LineCounter {
  uint64_t newlines = 0;
  char last = 0;  // the last character read (numbers read one past their end)
};

class CountingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  CountingIterator(const char* p, LineCounter* lines) : p_(p), lines_(lines) {}
  reference operator*() const { return *p_; }
  CountingIterator& operator++() {
    lines_->last = *p_;
    if (*p_ == '\n') ++lines_->newlines;
    ++p_;
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const CountingIterator& o) const { return p_ == o.p_; }
  bool operator!=(const CountingIterator& o) const { return p_ != o.p_; }

 private:
  const char* p_;
  LineCounter* lines_;
};

// Builds each filing / blacklist entry directly from the SAX events, field by
// field, with the checks and messages of the schema (docs/registry-format.md):
// no document is ever built, so memory stays at one record whatever the size
// of the export. Unknown keys and their values are skipped.
class ExportSax : public nlohmann::json_sax<json> {
 public:
  ExportSax(std::string_view text, RecordStream* stream, const LineCounter* lines)
      : text_(text), stream_(stream), lines_(lines) {}

  // Set when the parse stopped (syntax error, wrong structure, sink error).
  const Status& status() const { return status_; }
  // After a complete parse: the checks that need the whole top-level object.
  Status Finish() const {
    if (!format_ok_) return FormatError();
    if (!filings_seen_) {
      return Status::Malformed(stream_->label() + ": \"filings\" must be an array");
    }
    return Status::Ok();
  }

  bool null() override { return Scalar(Kind::kNull, nullptr, 0, false); }
  bool boolean(bool v) override { return Scalar(Kind::kBool, nullptr, 0, v); }
  bool number_integer(number_integer_t v) override {
    return Scalar(v >= -kMaxInt && v <= kMaxInt ? Kind::kInt : Kind::kNumber, nullptr, v, false);
  }
  bool number_unsigned(number_unsigned_t v) override {
    return Scalar(v <= static_cast<uint64_t>(kMaxInt) ? Kind::kInt : Kind::kNumber, nullptr,
                  static_cast<int64_t>(std::min<uint64_t>(v, kMaxInt)), false);
  }
  bool number_float(number_float_t, const string_t&) override {
    return Scalar(Kind::kNumber, nullptr, 0, false);
  }
  bool string(string_t& v) override { return Scalar(Kind::kString, &v, 0, false); }
  bool binary(binary_t&) override { return Scalar(Kind::kNumber, nullptr, 0, false); }
  bool key(string_t& k) override {
    if (skip_ > 0) return true;
    key_.swap(k);
    target_ = Resolve(ctx(), key_);
    return true;
  }
  bool start_object(std::size_t) override { return Start(/*object=*/true); }
  bool start_array(std::size_t) override { return Start(/*object=*/false); }
  bool end_object() override { return End(); }
  bool end_array() override { return End(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    status_ = Status::Malformed(stream_->label() + ": not valid JSON at line " +
                                std::to_string(LineOfOffset(text_, position > 0 ? position - 1 : 0)) +
                                ": " + e.what());
    return false;
  }

 private:
  static constexpr int64_t kMaxInt = 1000000;  // "a small integer" (mlps.level)
  enum class Ctx { kRoot, kTop, kFilings, kBlacklists, kFiling, kProvider, kMlps, kDeclared,
                   kEntry, kList };
  enum class Kind { kNull, kBool, kInt, kNumber, kString, kObject, kArray };
  // What the value of the current key is read into.
  struct Target {
    enum Type { kIgnore, kStr, kOptStr, kList, kBool, kInt, kObject } type = kIgnore;
    std::string* str = nullptr;
    std::optional<std::string>* opt = nullptr;
    std::vector<std::string>* list = nullptr;
    bool* flag = nullptr;
    int* num = nullptr;
    Ctx object = Ctx::kRoot;  // for kObject: the context it opens
  };

  Ctx ctx() const { return stack_.empty() ? Ctx::kRoot : stack_.back(); }

  const char* Prefix(Ctx c) const {
    switch (c) {
      case Ctx::kProvider: return "provider.";
      case Ctx::kMlps: return "mlps.";
      case Ctx::kDeclared: return "declared.";
      default: return "";
    }
  }
  std::string Field() const { return Prefix(ctx()) + key_; }
  // The FilingField::object a context reads.
  static const char* ObjectName(Ctx c) {
    switch (c) {
      case Ctx::kProvider: return "provider";
      case Ctx::kMlps: return "mlps";
      case Ctx::kDeclared: return "declared";
      default: return "";
    }
  }

  Target Resolve(Ctx c, const std::string& k) {
    Target t;
    auto str = [&](std::string* s) { t.type = Target::kStr; t.str = s; };
    auto list = [&](std::vector<std::string>* l) { t.type = Target::kList; t.list = l; };
    auto flag = [&](bool* b) { t.type = Target::kBool; t.flag = b; };
    auto object = [&](Ctx o) { t.type = Target::kObject; t.object = o; };
    switch (c) {
      case Ctx::kFiling:
        if (k == "provider" || k == "mlps" || k == "declared") {
          object(k == "provider" ? Ctx::kProvider : k == "mlps" ? Ctx::kMlps : Ctx::kDeclared);
          break;
        }
        [[fallthrough]];
      case Ctx::kProvider:
      case Ctx::kMlps:
      case Ctx::kDeclared: {
        std::string_view in = ObjectName(c);
        for (const FilingField& field : kFilingFields) {
          if (in != field.object || k != field.key) continue;
          FilingSlot slot = field.slot(filing_);
          if (auto* s = std::get_if<std::string*>(&slot)) {
            str(*s);
          } else if (auto* o = std::get_if<std::optional<std::string>*>(&slot)) {
            t.type = Target::kOptStr;
            t.opt = *o;
          } else if (auto* l = std::get_if<std::vector<std::string>*>(&slot)) {
            list(*l);
          } else if (auto* b = std::get_if<bool*>(&slot)) {
            flag(*b);
          } else {
            t.type = Target::kInt;
            t.num = std::get<int*>(slot);
          }
          break;
        }
        break;
      }
      case Ctx::kEntry:
        if (k == "credit_code") str(&entry_.credit_code);
        else if (k == "since") str(&entry_.since);
        else if (k == "until") str(&entry_.until);
        else if (k == "reason") str(&entry_.reason);
        break;
      default:
        break;
    }
    return t;
  }

  // The line where the value just read starts (a number's lexer has read one
  // character past it).
  uint64_t Line(Kind k) const {
    uint64_t n = lines_->newlines;
    if ((k == Kind::kInt || k == Kind::kNumber) && lines_->last == '\n' && n > 0) --n;
    return n + 1;
  }

  // RecordCheck::CheckText, naming the field only when there is a problem
  // (most values are fine, and the name costs an allocation).
  template <typename NameFn>
  bool TextOk(const std::string& v, NameFn name) {
    bool clean = v.size() <= stream_->limits().max_string_bytes;
    for (size_t j = 0; clean && j < v.size(); ++j) {
      unsigned char c = static_cast<unsigned char>(v[j]);
      clean = c >= 0x20 && c != 0x7f;
    }
    return clean || check_->CheckText(name(), v);
  }

  bool Stop(Status st) {
    status_ = std::move(st);
    return false;
  }
  Status FormatError() const {
    return Status::Malformed(stream_->label() + ": \"format\" must be \"" + std::string(kFormat) +
                             "\"");
  }

  // A value of the top-level object.
  bool TopValue(Kind k, const std::string* s) {
    if (key_ == "format") {
      if (k != Kind::kString || *s != kFormat) return Stop(FormatError());
      format_ok_ = true;
    } else if (key_ == "filings") {
      if (k != Kind::kArray) {
        return Stop(Status::Malformed(stream_->label() + ": \"filings\" must be an array"));
      }
      filings_seen_ = true;
      stack_.push_back(Ctx::kFilings);
      return true;
    } else if (key_ == "blacklist") {
      if (k == Kind::kArray) {
        stack_.push_back(Ctx::kBlacklists);
        return true;
      }
      if (k != Kind::kNull) {
        return Stop(Status::Malformed(stream_->label() + ": \"blacklist\" must be an array"));
      }
    }
    if (k == Kind::kObject || k == Kind::kArray) skip_ = 1;
    return true;
  }

  // An element of "filings" or "blacklist": a record.
  bool RecordStart(Kind k, bool filing) {
    if (Status st = stream_->CountRecord(filing ? "filings" : "blacklist"); !st.ok()) {
      return Stop(std::move(st));
    }
    line_ = Line(k);
    check_.emplace(stream_->label(), line_, stream_->limits());
    if (k != Kind::kObject) {
      check_->Fail(filing ? "filing" : "blacklist", "must be a JSON object");
      if (Status st = stream_->Reject(&*check_); !st.ok()) return Stop(std::move(st));
      if (k == Kind::kArray) skip_ = 1;
      return true;
    }
    if (filing) {
      filing_ = Filing();
      stack_.push_back(Ctx::kFiling);
    } else {
      entry_ = BlacklistEntry();
      stack_.push_back(Ctx::kEntry);
    }
    return true;
  }

  // An element of a list of strings.
  bool ListElement(Kind k, std::string* s) {
    size_t i = list_count_++;
    if (i >= stream_->limits().max_list_items) {  // reported once, at the end
      if (k == Kind::kObject || k == Kind::kArray) skip_ = 1;
      return true;
    }
    auto field = [&] { return list_field_ + "[" + std::to_string(i) + "]"; };
    if (k != Kind::kString) {
      check_->Fail(field(), "must be a string");
      if (k == Kind::kObject || k == Kind::kArray) skip_ = 1;
    } else if (TextOk(*s, field)) {
      list_->push_back(std::move(*s));
    }
    return true;
  }

  // A value of a field of a record (or of provider / mlps / declared).
  bool FieldValue(Kind k, std::string* s, int64_t i, bool b) {
    bool nested = k == Kind::kObject || k == Kind::kArray;
    const Target& t = target_;
    switch (t.type) {
      case Target::kIgnore:
        break;
      case Target::kStr:
      case Target::kOptStr:
        if (k == Kind::kNull) {
          if (t.type == Target::kOptStr) {
            t.opt->reset();
          } else {
            t.str->clear();
          }
        } else if (k == Kind::kString && TextOk(*s, [&] { return Field(); })) {
          if (t.type == Target::kOptStr) {
            *t.opt = std::move(*s);
          } else {
            *t.str = std::move(*s);
          }
        } else {
          if (k != Kind::kString) check_->Fail(Field(), "must be a string");
          if (t.type == Target::kOptStr) {
            *t.opt = std::string();
          } else {
            t.str->clear();
          }
        }
        break;
      case Target::kList:
        t.list->clear();
        if (k == Kind::kArray) {
          list_ = t.list;
          list_field_ = Field();
          list_count_ = 0;
          list_first_problem_ = check_->problems().size();
          stack_.push_back(Ctx::kList);
          return true;
        }
        if (k != Kind::kNull) check_->Fail(Field(), "must be an array of strings");
        break;
      case Target::kBool:
        if (k == Kind::kBool) {
          *t.flag = b;
        } else {
          *t.flag = false;
          if (k != Kind::kNull) check_->Fail(Field(), "must be true or false");
        }
        break;
      case Target::kInt:
        if (k == Kind::kInt) {
          *t.num = static_cast<int>(i);
        } else {
          *t.num = 0;
          if (k != Kind::kNull) check_->Fail(Field(), "must be a small integer");
        }
        break;
      case Target::kObject:
        if (k == Kind::kObject) {
          stack_.push_back(t.object);
          return true;
        }
        if (k != Kind::kNull) check_->Fail(Field(), "must be an object");
        break;
    }
    if (nested) skip_ = 1;
    return true;
  }

  bool Value(Kind k, std::string* s, int64_t i, bool b) {
    switch (ctx()) {
      case Ctx::kRoot:
        if (k != Kind::kObject) {
          return Stop(Status::Malformed(stream_->label() + ": the export must be a JSON object"));
        }
        stack_.push_back(Ctx::kTop);
        return true;
      case Ctx::kTop:
        return TopValue(k, s);
      case Ctx::kFilings:
        return RecordStart(k, /*filing=*/true);
      case Ctx::kBlacklists:
        return RecordStart(k, /*filing=*/false);
      case Ctx::kList:
        return ListElement(k, s);
      default:
        return FieldValue(k, s, i, b);
    }
  }

  bool Scalar(Kind k, std::string* s, int64_t i, bool b) {
    if (skip_ > 0) return true;
    return Value(k, s, i, b);
  }
  bool Start(bool object) {
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    return Value(object ? Kind::kObject : Kind::kArray, nullptr, 0, false);
  }

  bool End() {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    if (stack_.empty()) return true;
    Ctx done = stack_.back();
    stack_.pop_back();
    Status st;
    switch (done) {
      case Ctx::kList: {
        size_t max = stream_->limits().max_list_items;
        if (list_count_ > max) {
          // As for an oversized list read whole: one problem, no per-item ones.
          check_->problems().resize(list_first_problem_);
          check_->Fail(list_field_, "more than " + std::to_string(max) + " items");
          list_->clear();
        }
        break;
      }
      case Ctx::kFiling:
        ValidateFiling(&filing_, &*check_);
        st = stream_->AcceptFiling(std::move(filing_), line_, &*check_);
        break;
      case Ctx::kEntry:
        ValidateBlacklist(&entry_, &*check_);
        st = stream_->AcceptBlacklist(std::move(entry_), line_, &*check_);
        break;
      default:
        break;
    }
    if (!st.ok()) return Stop(std::move(st));
    return true;
  }

  std::string_view text_;
  RecordStream* stream_;
  const LineCounter* lines_;
  Status status_;
  std::vector<Ctx> stack_;
  int skip_ = 0;  // > 0: inside a value being skipped (its nesting depth)
  std::string key_;
  Target target_;
  bool format_ok_ = false;
  bool filings_seen_ = false;
  // The record being read.
  uint64_t line_ = 0;
  std::optional<RecordCheck> check_;
  Filing filing_;
  BlacklistEntry entry_;
  // The list being read.
  std::vector<std::string>* list_ = nullptr;
  std::string list_field_;
  size_t list_count_ = 0;
  size_t list_first_problem_ = 0;
};

Status StreamJson(std::string_view text, RecordStream* stream) {
  LineCounter lines;
  ExportSax sax(text, stream, &lines);
  CountingIterator first(text.data(), &lines);
  CountingIterator last(text.data() + text.size(), &lines);
  bool ok = json::sax_parse(first, last, &sax);
  if (!sax.status().ok()) return sax.status();
  if (!ok) return Status::Malformed(stream->label() + ": not valid JSON");
  return sax.Finish();
}

json FilingJsonValue(const Filing& f) {
  json j;
  // slot() takes a member's address for reading and writing; here it is
  // only read.
  Filing& from = const_cast<Filing&>(f);
  for (const FilingField& field : kFilingFields) {
    json& in = *field.object != '\0' ? j[field.object] : j;
    FilingSlot slot = field.slot(from);
    if (auto* o = std::get_if<std::optional<std::string>*>(&slot)) {
      in[field.key] = **o ? json(***o) : json(nullptr);
    } else if (auto* l = std::get_if<std::vector<std::string>*>(&slot)) {
      if (!field.omit_when_empty || !(*l)->empty()) in[field.key] = **l;
    } else if (auto* s = std::get_if<std::string*>(&slot)) {
      in[field.key] = **s;
    } else if (auto* b = std::get_if<bool*>(&slot)) {
      in[field.key] = **b;
    } else {
      in[field.key] = *std::get<int*>(slot);
    }
  }
  return j;
}

}  // namespace shelfguard::export_detail
