#include "registry/export.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "ids/identifiers.h"
#include "shelfguard/engine.h"

namespace shelfguard {
namespace {

using nlohmann::json;

constexpr std::string_view kFormat = "shelfguard-registry/1";
constexpr const char* kCategories[] = {"subject", "non-subject", "management", "other"};
constexpr const char* kAudiences[] = {"preschool", "compulsory", "high-school",
                                      "higher",    "vocational", "continuing"};
constexpr const char* kUses[] = {"required", "recommended", "self-developed"};
constexpr const char* kStatuses[] = {"active", "grey", "suspended", "revoked", "black"};

template <size_t N>
bool OneOf(std::string_view v, const char* const (&set)[N]) {
  for (const char* s : set) {
    if (v == s) return true;
  }
  return false;
}

template <size_t N>
std::string Choices(const char* const (&set)[N]) {
  std::string out;
  for (const char* s : set) {
    if (!out.empty()) out += "|";
    out += s;
  }
  return out;
}

// Collects the problems of one record; the record is rejected if any.
class RecordCheck {
 public:
  RecordCheck(const std::string& file, uint64_t line, const ExportLimits& limits)
      : file_(file), line_(line), limits_(limits) {}

  void Fail(std::string field, std::string message) {
    problems_.push_back({file_, line_, std::move(field), std::move(message)});
  }
  bool ok() const { return problems_.empty(); }
  std::vector<ImportProblem>& problems() { return problems_; }
  const ExportLimits& limits() const { return limits_; }

  // A text field: no control characters, bounded length.
  bool CheckText(const std::string& field, const std::string& v) {
    if (v.size() > limits_.max_string_bytes) {
      Fail(field, "longer than " + std::to_string(limits_.max_string_bytes) + " bytes");
      return false;
    }
    for (unsigned char c : v) {
      if (c < 0x20 || c == 0x7f) {
        Fail(field, "contains a control character");
        return false;
      }
    }
    return true;
  }

 private:
  const std::string& file_;
  uint64_t line_;
  const ExportLimits& limits_;
  std::vector<ImportProblem> problems_;
};

// ---- Source-neutral field setters (JSON and CSV both end here) ------------

void ValidateFiling(Filing* f, RecordCheck* rc) {
  using ids::NormalizeNumber;
  f->filing_number = NormalizeNumber(f->filing_number);
  if (f->filing_number.empty()) {
    rc->Fail("filing_number", "missing");
  } else if (ids::Check c = ids::ValidateMoeFiling(f->filing_number); !c.ok) {
    rc->Fail("filing_number", c.problem);
  }
  if (f->app_name.empty()) rc->Fail("app_name", "missing");
  if (f->provider.name.empty()) rc->Fail("provider.name", "missing");
  f->provider.credit_code = NormalizeNumber(f->provider.credit_code);
  if (f->provider.credit_code.empty()) {
    rc->Fail("provider.credit_code", "missing");
  } else if (ids::Check c = ids::ValidateCreditCode(f->provider.credit_code); !c.ok) {
    rc->Fail("provider.credit_code", c.problem);
  }
  if (f->provider.province.empty() && f->filing_number.size() >= 2 &&
      ids::ValidateMoeFiling(f->filing_number).ok) {
    // Derive from the filing number (教APP备 is 9 bytes in UTF-8).
    f->provider.province = f->filing_number.substr(std::string_view("教APP备").size(), 2);
  } else if (!f->provider.province.empty() && !ids::IsProvinceCode(f->provider.province)) {
    rc->Fail("provider.province", "\"" + f->provider.province + "\" is not a GB/T 2260 province code");
  }
  if (f->android_packages.empty() && f->ios_bundle_ids.empty()) {
    rc->Fail("android_packages", "no android_packages and no ios_bundle_ids");
  }
  for (size_t i = 0; i < f->android_packages.size(); ++i) {
    if (!IsValidAndroidPackage(f->android_packages[i])) {
      rc->Fail("android_packages[" + std::to_string(i) + "]",
               "\"" + f->android_packages[i] + "\" is not a valid Android package name");
    }
  }
  for (size_t i = 0; i < f->ios_bundle_ids.size(); ++i) {
    if (!IsValidBundleId(f->ios_bundle_ids[i])) {
      rc->Fail("ios_bundle_ids[" + std::to_string(i) + "]",
               "\"" + f->ios_bundle_ids[i] + "\" is not a valid bundle identifier");
    }
  }
  f->icp_number = NormalizeNumber(f->icp_number);
  if (!f->icp_number.empty()) {
    if (ids::Check c = ids::ValidateIcp(f->icp_number); !c.ok) rc->Fail("icp_number", c.problem);
  }
  f->app_icp_number = NormalizeNumber(f->app_icp_number);
  if (!f->app_icp_number.empty()) {
    if (ids::Check c = ids::ValidateIcp(f->app_icp_number); !c.ok) {
      rc->Fail("app_icp_number", c.problem);
    } else if (!ids::IsAppIcp(f->app_icp_number)) {
      rc->Fail("app_icp_number", "not an App filing number (must end in -<n>A)");
    }
  }
  if (f->mlps.level < 0 || f->mlps.level > 5) {
    rc->Fail("mlps.level", "must be 0 (unknown) to 5, found " + std::to_string(f->mlps.level));
  }
  if (!f->category.empty() && !OneOf(f->category, kCategories)) {
    rc->Fail("category", "\"" + f->category + "\" is not one of " + Choices(kCategories));
  }
  for (size_t i = 0; i < f->audience.size(); ++i) {
    if (!OneOf(f->audience[i], kAudiences)) {
      rc->Fail("audience[" + std::to_string(i) + "]",
               "\"" + f->audience[i] + "\" is not one of " + Choices(kAudiences));
    }
  }
  if (!f->use.empty() && !OneOf(f->use, kUses)) {
    rc->Fail("use", "\"" + f->use + "\" is not one of " + Choices(kUses));
  }
  if (f->status.empty()) f->status = "active";
  if (!OneOf(f->status, kStatuses)) {
    rc->Fail("status", "\"" + f->status + "\" is not one of " + Choices(kStatuses));
  }
  if (!f->status_since.empty() && !IsValidDate(f->status_since)) {
    rc->Fail("status_since", "\"" + f->status_since + "\" is not a YYYY-MM-DD date");
  }
  if (f->licence_number && f->licence_number->empty()) f->licence_number.reset();
}

void ValidateBlacklist(BlacklistEntry* b, RecordCheck* rc) {
  b->credit_code = ids::NormalizeNumber(b->credit_code);
  if (b->credit_code.empty()) {
    rc->Fail("credit_code", "missing");
  } else if (ids::Check c = ids::ValidateCreditCode(b->credit_code); !c.ok) {
    rc->Fail("credit_code", c.problem);
  }
  if (b->since.empty()) {
    rc->Fail("since", "missing");
  } else if (!IsValidDate(b->since)) {
    rc->Fail("since", "\"" + b->since + "\" is not a YYYY-MM-DD date");
  }
  if (!b->until.empty() && !IsValidDate(b->until)) {
    rc->Fail("until", "\"" + b->until + "\" is not a YYYY-MM-DD date");
  } else if (!b->until.empty() && b->until < b->since) {
    rc->Fail("until", "is before since");
  }
}

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
  f.filing_number = top.Str("filing_number");
  f.app_name = top.Str("app_name");
  {
    JsonFields p(top.Obj("provider"), "provider.", rc);
    f.provider.name = p.Str("name");
    f.provider.credit_code = p.Str("credit_code");
    f.provider.province = p.Str("province");
  }
  f.android_packages = top.List("android_packages");
  f.ios_bundle_ids = top.List("ios_bundle_ids");
  f.icp_number = top.Str("icp_number");
  f.app_icp_number = top.Str("app_icp_number");
  {
    JsonFields m(top.Obj("mlps"), "mlps.", rc);
    f.mlps.filing_number = m.Str("filing_number");
    f.mlps.level = m.Int("level");
  }
  f.category = top.Str("category");
  f.audience = top.List("audience");
  f.use = top.Str("use");
  f.licence_number = top.OptStr("licence_number");
  {
    JsonFields d(top.Obj("declared"), "declared.", rc);
    f.declared.permissions = d.List("permissions");
    f.declared.ios_usage_keys = d.List("ios_usage_keys");
    f.declared.personal_info = d.List("personal_info");
    f.declared.sdks = d.List("sdks");
    f.declared.biometric = d.Bool("biometric");
    f.declared.biometric_reviewed = d.Bool("biometric_reviewed");
    f.declared.payment = d.Bool("payment");
    f.declared.live_streaming = d.Bool("live_streaming");
  }
  f.version = top.Str("version");
  f.status = top.Str("status");
  f.status_since = top.Str("status_since");
  ValidateFiling(&f, rc);
  if (!rc->ok()) return std::nullopt;
  return f;
}

uint64_t LineOfOffset(std::string_view t, size_t off) {
  off = std::min(off, t.size());
  return 1 + static_cast<uint64_t>(std::count(t.begin(), t.begin() + off, '\n'));
}

void AddProblems(ExportReport* out, std::vector<ImportProblem>& ps, const ExportLimits& limits) {
  out->problem_count += ps.size();
  for (ImportProblem& p : ps) {
    if (out->problems.size() < limits.max_problems) out->problems.push_back(std::move(p));
  }
}

// Where validated records go, for both JSON and CSV: counts records against
// the cap, rejects a later duplicate of a filing number or (platform, package
// id) -- one package belongs to one filing -- and hands the rest to the sink.
// Bad records are counted and their problems kept (capped).
class RecordStream {
 public:
  RecordStream(const std::string& label, const ExportLimits& limits, ExportSink* sink,
               ExportReport* report, size_t expected_records)
      : label_(label), limits_(limits), sink_(sink), report_(report) {
    expected_records = std::min<size_t>(expected_records, limits.max_records);
    numbers_.reserve(expected_records);
    packages_.reserve(expected_records * 2);
  }

  const std::string& label() const { return label_; }
  const ExportLimits& limits() const { return limits_; }

  // Counts one record (valid or not) against max_records.
  Status CountRecord() {
    if (++records_ > limits_.max_records) {
      return Status::OverLimit(label_ + ": more than " + std::to_string(limits_.max_records) +
                               " records");
    }
    return Status::Ok();
  }

  void Reject(RecordCheck* rc) {
    ++report_->bad_records;
    AddProblems(report_, rc->problems(), limits_);
  }

  // `f` has been validated into `rc`; rejects it if rc holds problems or it
  // repeats an earlier filing's number or ids.
  Status AcceptFiling(Filing&& f, uint64_t line, RecordCheck* rc) {
    if (!rc->ok()) {
      Reject(rc);
      return Status::Ok();
    }
    auto n = numbers_.find(f.filing_number);
    if (n != numbers_.end()) {
      rc->Fail("filing_number", f.filing_number + " duplicates the record at line " +
                                    std::to_string(kept_[n->second].line));
    }
    CheckIds(f.android_packages, 'a', "android_packages", rc);
    CheckIds(f.ios_bundle_ids, 'i', "ios_bundle_ids", rc);
    if (!rc->ok()) {
      Reject(rc);
      return Status::Ok();
    }
    uint32_t idx = static_cast<uint32_t>(kept_.size());
    kept_.push_back({f.filing_number, line});
    numbers_.emplace(f.filing_number, idx);
    for (const std::string& p : f.android_packages) packages_.emplace(Key('a', p), idx);
    for (const std::string& p : f.ios_bundle_ids) packages_.emplace(Key('i', p), idx);
    ++report_->filings;
    return sink_->AddFiling(std::move(f), line);
  }

  Status AcceptBlacklist(BlacklistEntry&& b, uint64_t line, RecordCheck* rc) {
    if (!rc->ok()) {
      Reject(rc);
      return Status::Ok();
    }
    ++report_->blacklist;
    return sink_->AddBlacklist(std::move(b), line);
  }

 private:
  struct Kept {
    std::string number;
    uint64_t line;
  };
  static std::string Key(char platform, const std::string& id) {
    std::string k;
    k.reserve(id.size() + 2);
    k.push_back(platform);
    k.push_back(':');
    k += id;
    return k;
  }
  void CheckIds(const std::vector<std::string>& ids, char platform, const char* field,
                RecordCheck* rc) {
    for (size_t k = 0; k < ids.size(); ++k) {
      auto p = packages_.find(Key(platform, ids[k]));
      if (p != packages_.end()) {
        const Kept& owner = kept_[p->second];
        rc->Fail(std::string(field) + "[" + std::to_string(k) + "]",
                 ids[k] + " is already filed by " + owner.number + " (line " +
                     std::to_string(owner.line) + ")");
      }
    }
  }

  const std::string& label_;
  const ExportLimits& limits_;
  ExportSink* sink_;
  ExportReport* report_;
  uint64_t records_ = 0;
  std::vector<Kept> kept_;
  std::unordered_map<std::string, uint32_t> numbers_;
  std::unordered_map<std::string, uint32_t> packages_;
};

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

  Target Resolve(Ctx c, const std::string& k) {
    Target t;
    auto str = [&](std::string* s) { t.type = Target::kStr; t.str = s; };
    auto list = [&](std::vector<std::string>* l) { t.type = Target::kList; t.list = l; };
    auto flag = [&](bool* b) { t.type = Target::kBool; t.flag = b; };
    auto object = [&](Ctx o) { t.type = Target::kObject; t.object = o; };
    Filing& f = filing_;
    switch (c) {
      case Ctx::kFiling:
        if (k == "filing_number") str(&f.filing_number);
        else if (k == "app_name") str(&f.app_name);
        else if (k == "provider") object(Ctx::kProvider);
        else if (k == "android_packages") list(&f.android_packages);
        else if (k == "ios_bundle_ids") list(&f.ios_bundle_ids);
        else if (k == "icp_number") str(&f.icp_number);
        else if (k == "app_icp_number") str(&f.app_icp_number);
        else if (k == "mlps") object(Ctx::kMlps);
        else if (k == "category") str(&f.category);
        else if (k == "audience") list(&f.audience);
        else if (k == "use") str(&f.use);
        else if (k == "licence_number") { t.type = Target::kOptStr; t.opt = &f.licence_number; }
        else if (k == "declared") object(Ctx::kDeclared);
        else if (k == "version") str(&f.version);
        else if (k == "status") str(&f.status);
        else if (k == "status_since") str(&f.status_since);
        break;
      case Ctx::kProvider:
        if (k == "name") str(&f.provider.name);
        else if (k == "credit_code") str(&f.provider.credit_code);
        else if (k == "province") str(&f.provider.province);
        break;
      case Ctx::kMlps:
        if (k == "filing_number") str(&f.mlps.filing_number);
        else if (k == "level") { t.type = Target::kInt; t.num = &f.mlps.level; }
        break;
      case Ctx::kDeclared:
        if (k == "permissions") list(&f.declared.permissions);
        else if (k == "ios_usage_keys") list(&f.declared.ios_usage_keys);
        else if (k == "personal_info") list(&f.declared.personal_info);
        else if (k == "sdks") list(&f.declared.sdks);
        else if (k == "biometric") flag(&f.declared.biometric);
        else if (k == "biometric_reviewed") flag(&f.declared.biometric_reviewed);
        else if (k == "payment") flag(&f.declared.payment);
        else if (k == "live_streaming") flag(&f.declared.live_streaming);
        break;
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
    if (Status st = stream_->CountRecord(); !st.ok()) return Stop(std::move(st));
    line_ = Line(k);
    check_.emplace(stream_->label(), line_, stream_->limits());
    if (k != Kind::kObject) {
      check_->Fail(filing ? "filing" : "blacklist", "must be a JSON object");
      stream_->Reject(&*check_);
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

// ---- CSV (RFC 4180) ---------------------------------------------------------

struct CsvRow {
  uint64_t line = 0;  // physical line where the row starts
  std::vector<std::string> fields;
};

// Reads one row starting at *pos; false at the end of input. Quoted fields may
// hold commas, "" and line breaks.
bool NextCsvRow(std::string_view t, size_t* pos, uint64_t* line, CsvRow* row, std::string* err) {
  if (*pos >= t.size()) return false;
  row->line = *line;
  row->fields.clear();
  std::string field;
  bool quoted = false, was_quoted = false;
  size_t i = *pos;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < t.size() && t[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++*line;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      row->fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < t.size() && t[i + 1] == '\n') ++i;
      ++*line;
      ++i;
      break;
    } else {
      field.push_back(c);
    }
  }
  if (quoted) {
    *err = "unterminated quoted field";
    *pos = t.size();
    row->fields.push_back(std::move(field));
    return true;
  }
  row->fields.push_back(std::move(field));
  *pos = i;
  return true;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(';', start);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(start, end - start);
    size_t b = item.find_first_not_of(" \t");
    size_t e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    start = end + 1;
  }
  return out;
}

Status StreamCsv(std::string_view text, RecordStream* out) {
  const std::string& label = out->label();
  const ExportLimits& limits = out->limits();
  size_t pos = 0;
  uint64_t line = 1;
  CsvRow header;
  std::string err;
  // Skip blank lines before the header.
  while (NextCsvRow(text, &pos, &line, &header, &err)) {
    if (!(header.fields.size() == 1 && header.fields[0].empty())) break;
  }
  if (header.fields.empty() || (header.fields.size() == 1 && header.fields[0].empty())) {
    return Status::Malformed(label + ": empty CSV (no header row)");
  }
  if (!err.empty()) return Status::Malformed(label + ":" + std::to_string(header.line) + ": " + err);
  std::unordered_map<std::string, size_t> col;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    std::string name = header.fields[i];
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    col.emplace(name, i);
  }
  if (!col.count("filing_number") && !col.count("provider_credit_code")) {
    return Status::Malformed(label + ": the CSV header has neither filing_number nor "
                             "provider_credit_code (see docs/registry-format.md)");
  }
  CsvRow row;
  while (NextCsvRow(text, &pos, &line, &row, &err)) {
    if (row.fields.size() == 1 && row.fields[0].empty()) continue;  // blank line
    SG_RETURN_IF_ERROR(out->CountRecord());
    RecordCheck rc(label, row.line, limits);
    if (!err.empty()) {
      rc.Fail("row", err);
      err.clear();
    }
    if (row.fields.size() > header.fields.size()) {
      rc.Fail("row", "has " + std::to_string(row.fields.size()) + " fields, the header has " +
                         std::to_string(header.fields.size()));
    }
    auto get = [&](const char* name) -> std::string {
      auto it = col.find(name);
      if (it == col.end() || it->second >= row.fields.size()) return "";
      const std::string& v = row.fields[it->second];
      return rc.CheckText(name, v) ? v : "";
    };
    auto list = [&](const char* name) {
      std::vector<std::string> v = SplitList(get(name));
      if (v.size() > limits.max_list_items) {
        rc.Fail(name, "more than " + std::to_string(limits.max_list_items) + " items");
        v.clear();
      }
      return v;
    };
    auto boolean = [&](const char* name) {
      std::string v = get(name);
      std::transform(v.begin(), v.end(), v.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (v.empty() || v == "false" || v == "0" || v == "no") return false;
      if (v == "true" || v == "1" || v == "yes") return true;
      rc.Fail(name, "\"" + v + "\" is not true/false");
      return false;
    };
    std::string record = get("record");
    if (record == "blacklist") {
      BlacklistEntry b;
      b.credit_code = get("provider_credit_code");
      b.since = get("blacklist_since");
      b.until = get("blacklist_until");
      b.reason = get("blacklist_reason");
      ValidateBlacklist(&b, &rc);
      SG_RETURN_IF_ERROR(out->AcceptBlacklist(std::move(b), row.line, &rc));
      continue;
    }
    if (!record.empty() && record != "filing") rc.Fail("record", "must be filing or blacklist");
    Filing f;
    f.filing_number = get("filing_number");
    f.app_name = get("app_name");
    f.provider.name = get("provider_name");
    f.provider.credit_code = get("provider_credit_code");
    f.provider.province = get("provider_province");
    f.android_packages = list("android_packages");
    f.ios_bundle_ids = list("ios_bundle_ids");
    f.icp_number = get("icp_number");
    f.app_icp_number = get("app_icp_number");
    f.mlps.filing_number = get("mlps_filing_number");
    std::string level = get("mlps_level");
    if (!level.empty()) {
      if (level.size() == 1 && level[0] >= '0' && level[0] <= '9') {
        f.mlps.level = level[0] - '0';
      } else {
        rc.Fail("mlps_level", "\"" + level + "\" is not a level 0-5");
      }
    }
    f.category = get("category");
    f.audience = list("audience");
    f.use = get("use");
    std::string licence = get("licence_number");
    if (!licence.empty()) f.licence_number = licence;
    f.declared.permissions = list("declared_permissions");
    f.declared.ios_usage_keys = list("declared_ios_usage_keys");
    f.declared.personal_info = list("declared_personal_info");
    f.declared.sdks = list("declared_sdks");
    f.declared.biometric = boolean("declared_biometric");
    f.declared.biometric_reviewed = boolean("declared_biometric_reviewed");
    f.declared.payment = boolean("declared_payment");
    f.declared.live_streaming = boolean("declared_live_streaming");
    f.version = get("version");
    f.status = get("status");
    f.status_since = get("status_since");
    ValidateFiling(&f, &rc);
    // CSV field names are the column names.
    for (ImportProblem& p : rc.problems()) {
      if (p.field == "provider.name") p.field = "provider_name";
      else if (p.field == "provider.credit_code") p.field = "provider_credit_code";
      else if (p.field == "provider.province") p.field = "provider_province";
      else if (p.field == "mlps.level") p.field = "mlps_level";
    }
    SG_RETURN_IF_ERROR(out->AcceptFiling(std::move(f), row.line, &rc));
  }
  return Status::Ok();
}

json FilingJsonValue(const Filing& f) {
  json j;
  j["filing_number"] = f.filing_number;
  j["app_name"] = f.app_name;
  j["provider"] = {{"name", f.provider.name},
                   {"credit_code", f.provider.credit_code},
                   {"province", f.provider.province}};
  j["android_packages"] = f.android_packages;
  j["ios_bundle_ids"] = f.ios_bundle_ids;
  j["icp_number"] = f.icp_number;
  j["app_icp_number"] = f.app_icp_number;
  j["mlps"] = {{"filing_number", f.mlps.filing_number}, {"level", f.mlps.level}};
  j["category"] = f.category;
  j["audience"] = f.audience;
  j["use"] = f.use;
  j["licence_number"] = f.licence_number ? json(*f.licence_number) : json(nullptr);
  j["declared"] = {{"permissions", f.declared.permissions},
                   {"ios_usage_keys", f.declared.ios_usage_keys},
                   {"personal_info", f.declared.personal_info},
                   {"sdks", f.declared.sdks},
                   {"biometric", f.declared.biometric},
                   {"biometric_reviewed", f.declared.biometric_reviewed},
                   {"payment", f.declared.payment},
                   {"live_streaming", f.declared.live_streaming}};
  j["version"] = f.version;
  j["status"] = f.status;
  j["status_since"] = f.status_since;
  return j;
}

}  // namespace

std::string ImportProblem::ToString() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line);
  s += ": ";
  if (!field.empty()) s += field + ": ";
  return s + message;
}

bool IsValidAndroidPackage(std::string_view id) {
  // Java identifiers joined by '.', at least two segments (PackageParser's
  // validateName requires a dot for packages).
  if (id.empty() || id.size() > 255) return false;
  size_t segments = 0;
  size_t i = 0;
  while (i <= id.size()) {
    size_t end = id.find('.', i);
    if (end == std::string_view::npos) end = id.size();
    std::string_view seg = id.substr(i, end - i);
    if (seg.empty()) return false;
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (!alpha(seg[0])) return false;
    for (char c : seg) {
      if (!alpha(c) && !(c >= '0' && c <= '9') && c != '_') return false;
    }
    ++segments;
    i = end + 1;
  }
  return segments >= 2;
}

bool IsValidBundleId(std::string_view id) {
  // CFBundleIdentifier: alphanumerics, '-' and '.'.
  if (id.empty() || id.size() > 255 || id.front() == '.' || id.back() == '.') return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.';
    if (!ok) return false;
  }
  return id.find("..") == std::string_view::npos;
}

bool IsValidDate(std::string_view d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (d[i] < '0' || d[i] > '9') return false;
  }
  int y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
  int m = (d[5] - '0') * 10 + (d[6] - '0');
  int day = (d[8] - '0') * 10 + (d[9] - '0');
  if (y < 1990 || m < 1 || m > 12 || day < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int max = kDays[m - 1];
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) max = 29;
  return day <= max;
}

Result<ExportReport> StreamExportBytes(std::string_view bytes, const std::string& label,
                                       const ExportLimits& limits, ExportSink* sink) {
  if (bytes.size() > limits.max_bytes) {
    return Status::OverLimit(label + ": " + std::to_string(bytes.size()) +
                             " bytes, over the cap of " + std::to_string(limits.max_bytes));
  }
  ExportReport report;
  report.sha256 = Sha256Hex(bytes);
  std::string_view t = bytes;
  if (t.substr(0, 3) == "\xEF\xBB\xBF") t.remove_prefix(3);  // UTF-8 BOM
  size_t first = t.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return Status::Malformed(label + ": empty export");
  Status st;
  try {
    // A filing takes some 700 bytes of JSON; the estimate only sizes the
    // duplicate index, and is capped by max_records.
    RecordStream stream(label, limits, sink, &report, t.size() / 1024);
    if (t[first] == '{') {
      report.format = "json";
      st = StreamJson(t, &stream);
    } else {
      report.format = "csv";
      st = StreamCsv(t, &stream);
    }
  } catch (const std::exception& e) {  // bad_alloc, json errors: never cross modules
    return Status::Malformed(label + ": " + e.what());
  }
  if (!st.ok()) return st;
  return report;
}

Result<ExportReport> StreamExportFile(const std::string& path, const ExportLimits& limits,
                                      ExportSink* sink, const std::string& label) {
  const std::string& name = label.empty() ? path : label;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("cannot open " + path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::IoError("cannot read " + path + " (not a regular file)");
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > limits.max_bytes) {
    ::close(fd);
    return Status::OverLimit(path + ": " + std::to_string(size) + " bytes, over the cap of " +
                             std::to_string(limits.max_bytes));
  }
  if (size == 0) {
    ::close(fd);
    return StreamExportBytes("", name, limits, sink);
  }
  // Read into an uninitialised buffer (no zero-fill of a large export). Not
  // mmap: a file truncated by someone else while it is parsed would SIGBUS.
  std::unique_ptr<char[]> data;
  try {
    data = std::make_unique_for_overwrite<char[]>(size);
  } catch (const std::exception& e) {
    ::close(fd);
    return Status::OverLimit(path + ": " + e.what());
  }
  uint64_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd, data.get() + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<uint64_t>(n);
  }
  ::close(fd);
  if (got != size) return Status::IoError("cannot read " + path + " (short read)");
  return StreamExportBytes(std::string_view(data.get(), size), name, limits, sink);
}

namespace {

// Keeps every record in memory (ParseExport*: validate, tests, small exports).
class CollectingSink : public ExportSink {
 public:
  explicit CollectingSink(ParsedExport* out) : out_(out) {}
  Status AddFiling(Filing&& f, uint64_t line) override {
    out_->filings.push_back(std::move(f));
    out_->filing_lines.push_back(line);
    return Status::Ok();
  }
  Status AddBlacklist(BlacklistEntry&& b, uint64_t) override {
    out_->blacklist.push_back(std::move(b));
    return Status::Ok();
  }

 private:
  ParsedExport* out_;
};

Result<ParsedExport> Collected(Result<ExportReport> r, ParsedExport&& out) {
  if (!r.ok()) return r.status();
  out.problems = std::move(r->problems);
  out.bad_records = r->bad_records;
  out.problem_count = r->problem_count;
  out.sha256 = std::move(r->sha256);
  out.format = std::move(r->format);
  return std::move(out);
}

}  // namespace

Result<ParsedExport> ParseExportBytes(std::string_view bytes, const std::string& label,
                                      const ExportLimits& limits) {
  ParsedExport out;
  CollectingSink sink(&out);
  return Collected(StreamExportBytes(bytes, label, limits, &sink), std::move(out));
}

Result<ParsedExport> ParseExportFile(const std::string& path, const ExportLimits& limits) {
  ParsedExport out;
  CollectingSink sink(&out);
  return Collected(StreamExportFile(path, limits, &sink), std::move(out));
}

Result<Filing> ParseFilingJson(std::string_view text, const std::string& label) {
  ExportLimits limits;
  if (text.size() > (16u << 20)) return Status::OverLimit(label + ": over 16 MiB");
  json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) return Status::Malformed(label + ": not valid JSON");
  size_t first = text.find('{');
  RecordCheck rc(label, first == std::string_view::npos ? 0 : LineOfOffset(text, first), limits);
  std::optional<Filing> f;
  try {
    f = FilingFromJsonValue(doc, &rc);
  } catch (const std::exception& e) {
    return Status::Malformed(label + ": " + e.what());
  }
  if (!f) {
    std::string msg;
    for (const ImportProblem& p : rc.problems()) {
      if (!msg.empty()) msg += "; ";
      msg += p.ToString();
    }
    return Status::Invalid(msg);
  }
  return *f;
}

std::string FilingToJson(const Filing& f, bool pretty) {
  return FilingJsonValue(f).dump(pretty ? 2 : -1, ' ', false, json::error_handler_t::replace);
}

std::string BlacklistToJson(const BlacklistEntry& b, bool pretty) {
  json j = {{"credit_code", b.credit_code}, {"since", b.since}, {"until", b.until},
            {"reason", b.reason}};
  return j.dump(pretty ? 2 : -1, ' ', false, json::error_handler_t::replace);
}

std::vector<std::string> FilingWarnings(const Filing& f) {
  std::vector<std::string> w;
  if (ids::Check c = ids::ValidateMoeFiling(f.filing_number); !c.ok) {
    w.push_back("filing_number: " + c.problem);
  }
  if (ids::Check c = ids::ValidateCreditCode(f.provider.credit_code); !c.ok) {
    w.push_back("provider.credit_code: " + c.problem);
  }
  const std::string& prov = f.provider.province;
  constexpr size_t kPrefix = std::string_view("教APP备").size();
  if (f.filing_number.size() >= kPrefix + 2 && !prov.empty() &&
      f.filing_number.compare(kPrefix, 2, prov) != 0) {
    w.push_back("filing_number: province prefix " + f.filing_number.substr(kPrefix, 2) +
                " differs from the provider's province " + prov);
  }
  if (f.provider.credit_code.size() == 18 && !prov.empty() &&
      f.provider.credit_code.compare(2, 6, "100000") != 0 &&
      f.provider.credit_code.compare(2, 2, prov) != 0) {
    w.push_back("provider.credit_code: registered in region " + f.provider.credit_code.substr(2, 6) +
                ", not in the provider's province " + prov);
  }
  if (f.icp_number.empty()) {
    w.push_back("icp_number: missing (FILING-ICP-MISSING)");
  } else if (ids::Check c = ids::ValidateIcp(f.icp_number); !c.ok) {
    w.push_back("icp_number: " + c.problem);
  }
  if (f.app_icp_number.empty()) {
    w.push_back("app_icp_number: missing");
  } else if (!ids::IsAppIcp(f.app_icp_number)) {
    w.push_back("app_icp_number: not a valid App filing number (-<n>A)");
  }
  if (f.mlps.filing_number.empty()) w.push_back("mlps.filing_number: missing (FILING-MLPS-MISSING)");
  if (f.category == "subject" && !f.licence_number) {
    w.push_back("licence_number: subject training without a licence (CATEGORY-SUBJECT-UNLICENSED)");
  }
  for (const std::string& a : f.audience) {
    if (a == "preschool" && (f.category == "subject" || f.category == "non-subject")) {
      w.push_back("audience: training for preschool children (CATEGORY-PRESCHOOL)");
    }
  }
  if (f.status != "active") w.push_back("status: " + f.status + " since " + f.status_since);
  return w;
}

}  // namespace shelfguard
