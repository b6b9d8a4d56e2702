#include "registry/export.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "ids/identifiers.h"

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

std::string Sha256Hex(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), out, &n, EVP_sha256(), nullptr) != 1) return "";
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 15]);
  }
  return hex;
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

std::optional<BlacklistEntry> BlacklistFromJsonValue(const json& j, RecordCheck* rc) {
  if (!j.is_object()) {
    rc->Fail("blacklist", "must be a JSON object");
    return std::nullopt;
  }
  BlacklistEntry b;
  JsonFields f(j, "", rc);
  b.credit_code = f.Str("credit_code");
  b.since = f.Str("since");
  b.until = f.Str("until");
  b.reason = f.Str("reason");
  ValidateBlacklist(&b, rc);
  if (!rc->ok()) return std::nullopt;
  return b;
}

// Finds where each element of the top-level arrays "filings" and "blacklist"
// starts, as byte offsets. nlohmann::json keeps no positions, so this is a
// small tokenizer over the (already syntax-checked) text: it tracks strings,
// escapes and nesting depth only.
void ElementOffsets(std::string_view t, std::vector<size_t>* filings,
                    std::vector<size_t>* blacklist) {
  int depth = 0;
  std::string last_key;
  std::string current;  // string being read
  bool in_string = false, escape = false;
  size_t string_depth = 0;
  std::vector<size_t>* target = nullptr;  // array being listed (depth 2)
  bool expect_value = false;              // at depth 2: next token starts an element
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (in_string) {
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = false;
        if (string_depth == 1) last_key = current;
      } else if (string_depth == 1) {
        current.push_back(c);
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (depth == 2 && target != nullptr && expect_value && c != ']') {
      target->push_back(i);
      expect_value = false;
    }
    switch (c) {
      case '"':
        in_string = true;
        string_depth = depth;
        current.clear();
        break;
      case '{':
      case '[':
        ++depth;
        if (depth == 2 && c == '[') {
          target = last_key == "filings" ? filings : last_key == "blacklist" ? blacklist : nullptr;
          expect_value = true;
        }
        break;
      case '}':
      case ']':
        --depth;
        if (depth < 2) target = nullptr;
        break;
      case ',':
        if (depth == 2) expect_value = true;
        break;
      default:
        break;
    }
  }
}

// Line numbers (1-based) for sorted byte offsets.
std::vector<uint64_t> OffsetsToLines(std::string_view t, const std::vector<size_t>& offs) {
  std::vector<uint64_t> lines;
  lines.reserve(offs.size());
  uint64_t line = 1;
  size_t pos = 0;
  for (size_t off : offs) {
    line += static_cast<uint64_t>(std::count(t.begin() + pos, t.begin() + off, '\n'));
    pos = off;
    lines.push_back(line);
  }
  return lines;
}

uint64_t LineOfOffset(std::string_view t, size_t off) {
  off = std::min(off, t.size());
  return 1 + static_cast<uint64_t>(std::count(t.begin(), t.begin() + off, '\n'));
}

void AddProblems(ParsedExport* out, std::vector<ImportProblem>& ps, const ExportLimits& limits) {
  out->problem_count += ps.size();
  for (ImportProblem& p : ps) {
    if (out->problems.size() < limits.max_problems) out->problems.push_back(std::move(p));
  }
}

Status ParseJson(std::string_view text, const std::string& label, const ExportLimits& limits,
                 ParsedExport* out) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    // Re-parse with exceptions caught here to name the position.
    std::string where;
    try {
      (void)json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
      where = " at line " + std::to_string(LineOfOffset(text, e.byte > 0 ? e.byte - 1 : 0)) +
              ": " + e.what();
    } catch (...) {
    }
    return Status::Malformed(label + ": not valid JSON" + where);
  }
  if (!doc.is_object()) return Status::Malformed(label + ": the export must be a JSON object");
  auto fmt = doc.find("format");
  if (fmt == doc.end() || !fmt->is_string() || fmt->get<std::string>() != kFormat) {
    return Status::Malformed(label + ": \"format\" must be \"" + std::string(kFormat) + "\"");
  }
  auto fil = doc.find("filings");
  if (fil == doc.end() || !fil->is_array()) {
    return Status::Malformed(label + ": \"filings\" must be an array");
  }
  auto bl = doc.find("blacklist");
  if (bl != doc.end() && !bl->is_null() && !bl->is_array()) {
    return Status::Malformed(label + ": \"blacklist\" must be an array");
  }
  uint64_t records = fil->size() + (bl != doc.end() && bl->is_array() ? bl->size() : 0);
  if (records > limits.max_records) {
    return Status::OverLimit(label + ": " + std::to_string(records) + " records, over the cap of " +
                             std::to_string(limits.max_records));
  }
  std::vector<size_t> foffs, boffs;
  ElementOffsets(text, &foffs, &boffs);
  std::vector<uint64_t> flines = OffsetsToLines(text, foffs);
  std::vector<uint64_t> blines = OffsetsToLines(text, boffs);
  out->filings.reserve(fil->size());
  out->filing_lines.reserve(fil->size());
  for (size_t i = 0; i < fil->size(); ++i) {
    uint64_t line = i < flines.size() ? flines[i] : 0;
    RecordCheck rc(label, line, limits);
    std::optional<Filing> f = FilingFromJsonValue((*fil)[i], &rc);
    if (f) {
      out->filings.push_back(std::move(*f));
      out->filing_lines.push_back(line);
    } else {
      ++out->bad_records;
      AddProblems(out, rc.problems(), limits);
    }
  }
  if (bl != doc.end() && bl->is_array()) {
    for (size_t i = 0; i < bl->size(); ++i) {
      uint64_t line = i < blines.size() ? blines[i] : 0;
      RecordCheck rc(label, line, limits);
      std::optional<BlacklistEntry> b = BlacklistFromJsonValue((*bl)[i], &rc);
      if (b) {
        out->blacklist.push_back(std::move(*b));
      } else {
        ++out->bad_records;
        AddProblems(out, rc.problems(), limits);
      }
    }
  }
  return Status::Ok();
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

Status ParseCsv(std::string_view text, const std::string& label, const ExportLimits& limits,
                ParsedExport* out) {
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
  uint64_t records = 0;
  while (NextCsvRow(text, &pos, &line, &row, &err)) {
    if (row.fields.size() == 1 && row.fields[0].empty()) continue;  // blank line
    if (++records > limits.max_records) {
      return Status::OverLimit(label + ": more than " + std::to_string(limits.max_records) +
                               " records");
    }
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
      if (rc.ok()) {
        out->blacklist.push_back(std::move(b));
      } else {
        ++out->bad_records;
        AddProblems(out, rc.problems(), limits);
      }
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
    if (rc.ok()) {
      out->filings.push_back(std::move(f));
      out->filing_lines.push_back(row.line);
    } else {
      ++out->bad_records;
      AddProblems(out, rc.problems(), limits);
    }
  }
  return Status::Ok();
}

// Rejects later duplicates of a filing number or of a (platform, package id):
// one package belongs to one filing.
void RejectDuplicates(const std::string& label, const ExportLimits& limits, ParsedExport* out) {
  std::unordered_map<std::string, size_t> numbers, packages;
  numbers.reserve(out->filings.size());
  packages.reserve(out->filings.size() * 2);
  std::vector<Filing> kept;
  std::vector<uint64_t> kept_lines;
  kept.reserve(out->filings.size());
  kept_lines.reserve(out->filings.size());
  for (size_t i = 0; i < out->filings.size(); ++i) {
    Filing& f = out->filings[i];
    uint64_t line = out->filing_lines[i];
    RecordCheck rc(label, line, limits);
    auto n = numbers.find(f.filing_number);
    if (n != numbers.end()) {
      rc.Fail("filing_number", f.filing_number + " duplicates the record at line " +
                                   std::to_string(kept_lines[n->second]));
    }
    auto check_ids = [&](const std::vector<std::string>& ids, const char* platform,
                         const char* field) {
      for (size_t k = 0; k < ids.size(); ++k) {
        auto p = packages.find(std::string(platform) + ":" + ids[k]);
        if (p != packages.end()) {
          rc.Fail(std::string(field) + "[" + std::to_string(k) + "]",
                  ids[k] + " is already filed by " + kept[p->second].filing_number +
                      " (line " + std::to_string(kept_lines[p->second]) + ")");
        }
      }
    };
    check_ids(f.android_packages, "a", "android_packages");
    check_ids(f.ios_bundle_ids, "i", "ios_bundle_ids");
    if (!rc.ok()) {
      ++out->bad_records;
      AddProblems(out, rc.problems(), limits);
      continue;
    }
    size_t idx = kept.size();
    numbers.emplace(f.filing_number, idx);
    for (const std::string& p : f.android_packages) packages.emplace("a:" + p, idx);
    for (const std::string& p : f.ios_bundle_ids) packages.emplace("i:" + p, idx);
    kept.push_back(std::move(f));
    kept_lines.push_back(line);
  }
  out->filings = std::move(kept);
  out->filing_lines = std::move(kept_lines);
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

Result<ParsedExport> ParseExportBytes(std::string_view bytes, const std::string& label,
                                      const ExportLimits& limits) {
  if (bytes.size() > limits.max_bytes) {
    return Status::OverLimit(label + ": " + std::to_string(bytes.size()) +
                             " bytes, over the cap of " + std::to_string(limits.max_bytes));
  }
  ParsedExport out;
  out.sha256 = Sha256Hex(bytes);
  std::string_view t = bytes;
  if (t.substr(0, 3) == "\xEF\xBB\xBF") t.remove_prefix(3);  // UTF-8 BOM
  size_t first = t.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return Status::Malformed(label + ": empty export");
  Status st;
  try {
    if (t[first] == '{') {
      out.format = "json";
      st = ParseJson(t, label, limits, &out);
    } else {
      out.format = "csv";
      st = ParseCsv(t, label, limits, &out);
    }
  } catch (const std::exception& e) {  // bad_alloc, json type errors: never cross modules
    return Status::Malformed(label + ": " + e.what());
  }
  if (!st.ok()) return st;
  RejectDuplicates(label, limits, &out);
  return out;
}

Result<ParsedExport> ParseExportFile(const std::string& path, const ExportLimits& limits) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open " + path);
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0) return Status::IoError("cannot read " + path);
  if (static_cast<uint64_t>(size) > limits.max_bytes) {
    return Status::OverLimit(path + ": " + std::to_string(size) + " bytes, over the cap of " +
                             std::to_string(limits.max_bytes));
  }
  in.seekg(0);
  std::string data(static_cast<size_t>(size), '\0');
  if (!in.read(data.data(), size)) return Status::IoError("cannot read " + path);
  return ParseExportBytes(data, path, limits);
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
