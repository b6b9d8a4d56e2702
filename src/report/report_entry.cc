// ReportFromJson: the inverse of ReportToJson (src/engine/report.cc) for the
// fields reports print. Input may come from a database another process
// wrote, so every key's type is checked and a wrong one is an error.
#include "report/report_entry.h"

#include <ctime>
#include <optional>
#include <exception>
#include <functional>
#include <unordered_set>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/time_text.h"

namespace shelfguard::report {
namespace {

using json = nlohmann::json;

// Reads typed values out of one JSON object; the first wrong type is kept
// as the error (with the key's path) and later reads are no-ops.
class Reader {
 public:
  explicit Reader(std::string* error) : error_(error) {}

  void Read(const json& o, const char* key, std::string* out, const std::string& path) {
    Scalar(o, key, out, path, &json::is_string, "a string");
  }
  void Read(const json& o, const char* key, bool* out, const std::string& path) {
    Scalar(o, key, out, path, &json::is_boolean, "true or false");
  }
  void Read(const json& o, const char* key, std::optional<int>* out, const std::string& path) {
    int v = 0;
    if (Scalar(o, key, &v, path, &json::is_number_integer, "an integer")) *out = v;
  }
  void Read(const json& o, const char* key, uint64_t* out, const std::string& path) {
    // is_number_integer: signed or unsigned.
    Scalar(o, key, out, path, &json::is_number_integer, "a number");
  }
  void Read(const json& o, const char* key, std::vector<std::string>* out, const std::string& path) {
    const json* v = Array(o, key, path);
    if (v == nullptr) return;
    for (const auto& s : *v) {
      if (!s.is_string()) return Fail(path + key + "[]", "a string");
      out->push_back(s.get<std::string>());
    }
  }
  // The array at `key`, nullptr when absent/null or of the wrong type.
  const json* Array(const json& o, const char* key, const std::string& path) {
    return Typed(o, key, path, &json::is_array, "an array");
  }
  // The object at `key` (same rules as Array).
  const json* Object(const json& o, const char* key, const std::string& path) {
    return Typed(o, key, path, &json::is_object, "an object");
  }
  bool ok() const { return error_->empty(); }
  void Fail(const std::string& key, const char* want) {
    if (error_->empty()) *error_ = "key '" + key + "' must be " + want;
  }

 private:
  using Is = bool (json::*)() const noexcept;

  // The value at `key` when it is of the type `is` tests; nullptr when it
  // is absent or null, and when it is of another type (then the error,
  // "must be <want>").
  const json* Typed(const json& o, const char* key, const std::string& path, Is is, const char* want) {
    const json* v = Get(o, key);
    if (v == nullptr || v->is_null()) return nullptr;
    if (!(v->*is)()) {
      Fail(path + key, want);
      return nullptr;
    }
    return v;
  }
  template <typename T>
  bool Scalar(const json& o, const char* key, T* out, const std::string& path, Is is, const char* want) {
    const json* v = Typed(o, key, path, is, want);
    if (v != nullptr) *out = v->get<T>();
    return v != nullptr;
  }
  const json* Get(const json& o, const char* key) {
    if (!ok() || !o.is_object()) return nullptr;
    auto it = o.find(key);
    return it == o.end() ? nullptr : &*it;
  }
  std::string* error_;
};

// One plain key of a record type T: its JSON name and the member it fills.
// Each record type's keys are one table below, read in table order (the
// first wrong type is the error reported).
template <typename T>
struct Field {
  const char* key;
  std::variant<std::string T::*, bool T::*, std::optional<int> T::*, uint64_t T::*,
               std::vector<std::string> T::*>
      member;
};

template <typename T, size_t N>
void ReadFields(Reader& rd, const json& o, const Field<T> (&fields)[N], T* out, const std::string& path) {
  for (const Field<T>& f : fields) {
    std::visit([&](auto member) { rd.Read(o, f.key, &(out->*member), path); }, f.member);
  }
}

// The records of the array `arr` (nullptr: none), each read by `fields`
// and then by `more` (the keys that are not plain values). `objects_only`:
// an element that is not an object is an error; otherwise it reads as an
// empty record (as it always has for these arrays).
template <typename T, size_t N>
std::vector<T> ReadRecords(Reader& rd, const json* arr, const Field<T> (&fields)[N], const std::string& path,
                           const std::function<void(const json&, T*)>& more = nullptr,
                           bool objects_only = false) {
  std::vector<T> out;
  if (arr == nullptr) return out;
  for (const auto& e : *arr) {
    if (objects_only && !e.is_object()) {
      rd.Fail(path + "[]", "an object");
      break;
    }
    T& record = out.emplace_back();
    ReadFields(rd, e, fields, &record, path + "[].");
    if (more) more(e, &record);
  }
  return out;
}

// The key of almost every field is its member's name.
#define SG_FIELD(T, member) \
  Field<T> { #member, &T::member }

const Field<Evidence> kEvidenceFields[] = {SG_FIELD(Evidence, kind), SG_FIELD(Evidence, location),
                                           SG_FIELD(Evidence, value), SG_FIELD(Evidence, referenced),
                                           SG_FIELD(Evidence, sdk)};
const Field<PackageIdentity> kPackageFields[] = {
    SG_FIELD(PackageIdentity, id),           SG_FIELD(PackageIdentity, label),
    SG_FIELD(PackageIdentity, version_code), SG_FIELD(PackageIdentity, version_name),
    SG_FIELD(PackageIdentity, min_sdk),      SG_FIELD(PackageIdentity, target_sdk),
    SG_FIELD(PackageIdentity, min_os),       SG_FIELD(PackageIdentity, device_families)};
const Field<Permission> kPermissionFields[] = {SG_FIELD(Permission, name), SG_FIELD(Permission, dangerous),
                                               SG_FIELD(Permission, max_sdk), SG_FIELD(Permission, sdk23)};
const Field<Component> kComponentFields[] = {SG_FIELD(Component, kind), SG_FIELD(Component, name),
                                             SG_FIELD(Component, exported), SG_FIELD(Component, permission)};
const Field<SdkHit> kSdkFields[] = {SG_FIELD(SdkHit, id), SG_FIELD(SdkHit, name), SG_FIELD(SdkHit, vendor),
                                    SG_FIELD(SdkHit, category), SG_FIELD(SdkHit, confidence)};
const Field<PackerInfo> kPackerFields[] = {SG_FIELD(PackerInfo, packed), SG_FIELD(PackerInfo, names),
                                           SG_FIELD(PackerInfo, not_analysed)};
const Field<DisplayedNumber> kDisplayedNumberFields[] = {
    SG_FIELD(DisplayedNumber, kind),        SG_FIELD(DisplayedNumber, text),
    SG_FIELD(DisplayedNumber, raw),         SG_FIELD(DisplayedNumber, location),
    SG_FIELD(DisplayedNumber, well_formed), SG_FIELD(DisplayedNumber, problem)};
// rule_id / message_en since the provenance change; rule / message in
// reports stored before it (and kept as aliases).
const Field<Finding> kFindingFields[] = {{"rule", &Finding::rule_id},       SG_FIELD(Finding, rule_id),
                                         {"message", &Finding::message_en}, SG_FIELD(Finding, message_en),
                                         SG_FIELD(Finding, message_zh),     SG_FIELD(Finding, basis)};
const Field<Suppression> kSuppressionFields[] = {SG_FIELD(Suppression, reason), SG_FIELD(Suppression, author),
                                                 SG_FIELD(Suppression, expires),
                                                 SG_FIELD(Suppression, entry)};
const Field<FilingRecord> kFilingFields[] = {
    SG_FIELD(FilingRecord, source),      SG_FIELD(FilingRecord, filing_number),
    SG_FIELD(FilingRecord, app_name),    SG_FIELD(FilingRecord, provider_name),
    SG_FIELD(FilingRecord, credit_code), SG_FIELD(FilingRecord, status),
    SG_FIELD(FilingRecord, category),    SG_FIELD(FilingRecord, version)};
const Field<ErrorItem> kErrorFields[] = {SG_FIELD(ErrorItem, code), SG_FIELD(ErrorItem, message)};
const Field<NotAssessed> kNotAssessedFields[] = {SG_FIELD(NotAssessed, rule_id),
                                                 SG_FIELD(NotAssessed, reason)};
const Field<Facts> kFactsFields[] = {SG_FIELD(Facts, file),  SG_FIELD(Facts, sha256),
                                     SG_FIELD(Facts, size),  SG_FIELD(Facts, defined_permissions),
                                     SG_FIELD(Facts, scope), SG_FIELD(Facts, analysed)};
const Field<Report> kReportFields[] = {SG_FIELD(Report, tool_version), SG_FIELD(Report, signatures_version),
                                       SG_FIELD(Report, registry_version), SG_FIELD(Report, scanned_at)};
#undef SG_FIELD

std::vector<Evidence> ReadEvidence(Reader& rd, const json& owner, const std::string& path) {
  return ReadRecords<Evidence>(rd, rd.Array(owner, "evidence", path + "[]."), kEvidenceFields, path + "[].evidence",
                     nullptr, /*objects_only=*/true);
}

Severity SeverityOr(const std::string& s, Severity fallback) {
  auto v = ParseSeverity(s);
  return v ? *v : fallback;
}

// Top-level keys a light read drops while parsing (they are never built).
const std::unordered_set<std::string>& LightDropped() {
  static const auto* k = new std::unordered_set<std::string>{
      "permissions", "defined_permissions", "app_flags", "components", "ios",    "code",
      "sdks",        "packer",              "anomalies", "harmony",    "mini_program"};
  return *k;
}

// The end of the JSON string starting at text[i] == '"', or npos.
size_t StringEnd(std::string_view text, size_t i) {
  for (++i; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// The end of the JSON value starting at text[i], found by counting
// brackets outside strings (no recursion, no allocation), or npos. The
// value is not validated here: what is kept is parsed properly afterwards.
size_t ValueEnd(std::string_view text, size_t i) {
  size_t depth = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      i = StringEnd(text, i);
      if (i == std::string_view::npos) return i;
      if (depth == 0) return i;
      continue;
    }
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return i;  // end of the enclosing object: a scalar ended
      if (--depth == 0) return i + 1;
    } else if (c == ',' && depth == 0) {
      return i;
    }
    ++i;
  }
  return depth == 0 ? i : std::string_view::npos;
}

size_t SkipSpace(std::string_view t, size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t')) ++i;
  return i;
}

// For a light read: the top-level object with the dropped keys' values cut
// out, so the bulk of a stored report (components, SDK evidence ...) is
// stepped over at memchr-like speed instead of being parsed. nullopt when
// the text is not shaped like an object; the full parse then says why.
std::optional<std::string> WithoutDroppedKeys(std::string_view t) {
  size_t i = SkipSpace(t, 0);
  if (i >= t.size() || t[i] != '{') return std::nullopt;
  std::string out = "{";
  i = SkipSpace(t, i + 1);
  while (i < t.size() && t[i] != '}') {
    if (t[i] != '"') return std::nullopt;
    size_t key_end = StringEnd(t, i);
    if (key_end == std::string_view::npos) return std::nullopt;
    std::string_view key = t.substr(i + 1, key_end - i - 2);
    i = SkipSpace(t, key_end);
    if (i >= t.size() || t[i] != ':') return std::nullopt;
    size_t v = SkipSpace(t, i + 1);
    size_t v_end = ValueEnd(t, v);
    if (v_end == std::string_view::npos || v_end == v) return std::nullopt;
    if (LightDropped().count(std::string(key)) == 0) {
      if (out.size() > 1) out += ',';
      out.append(t.data() + (key_end - key.size() - 2), key.size() + 2);
      out += ':';
      out.append(t.substr(v, v_end - v));
    }
    i = SkipSpace(t, v_end);
    if (i < t.size() && t[i] == ',') i = SkipSpace(t, i + 1);
  }
  if (i >= t.size()) return std::nullopt;
  return out + "}";
}

}  // namespace

Result<Report> ReportFromJson(std::string_view text, bool light) {
  if (text.size() > kMaxReportJsonBytes) {
    return Status::OverLimit("report JSON of " + std::to_string(text.size()) + " bytes (limit " +
                             std::to_string(kMaxReportJsonBytes) + ")");
  }
  std::optional<std::string> reduced;
  if (light) reduced = WithoutDroppedKeys(text);
  std::string_view input = reduced ? std::string_view(*reduced) : text;
  json j = json::parse(input.begin(), input.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Malformed("report is not valid JSON");
  if (!j.is_object()) return Status::Malformed("report is not a JSON object");

  std::string error;
  Reader rd(&error);
  Report r;
  Facts& f = r.facts;
  ReadFields(rd, j, kFactsFields, &f, "");
  if (const json* p = rd.Object(j, "package", "")) {
    std::string platform;
    rd.Read(*p, "platform", &platform, "package.");
    f.package.platform = platform == "android" ? Platform::kAndroid
                         : platform == "ios"   ? Platform::kIos
                                               : Platform::kUnknown;
    ReadFields(rd, *p, kPackageFields, &f.package, "package.");
  }
  f.permissions = ReadRecords(rd, rd.Array(j, "permissions", ""), kPermissionFields, "permissions");
  f.components = ReadRecords(rd, rd.Array(j, "components", ""), kComponentFields, "components");
  f.sdks = ReadRecords<SdkHit>(rd, rd.Array(j, "sdks", ""), kSdkFields, "sdks", [&](const json& s, SdkHit* h) {
    h->evidence = ReadEvidence(rd, s, "sdks");
  });
  if (const json* p = rd.Object(j, "packer", "")) ReadFields(rd, *p, kPackerFields, &f.packer, "packer.");
  f.displayed_numbers =
      ReadRecords(rd, rd.Array(j, "displayed_numbers", ""), kDisplayedNumberFields, "displayed_numbers");
  r.findings = ReadRecords<Finding>(rd, rd.Array(j, "findings", ""), kFindingFields, "findings",
                                    [&](const json& x, Finding* fd) {
                                      std::string sev;
                                      rd.Read(x, "severity", &sev, "findings[].");
                                      fd->severity = SeverityOr(sev, Severity::kReview);
                                      fd->evidence = ReadEvidence(rd, x, "findings");
                                      if (const json* s = rd.Object(x, "suppression", "findings[].")) {
                                        ReadFields(rd, *s, kSuppressionFields, &fd->suppression.emplace(),
                                                   "findings[].suppression.");
                                      }
                                    });
  if (const json* p = rd.Object(j, "filing", "")) ReadFields(rd, *p, kFilingFields, &r.filing.emplace(), "filing.");
  f.errors = ReadRecords(rd, rd.Array(j, "errors", ""), kErrorFields, "errors");
  r.not_assessed = ReadRecords(rd, rd.Array(j, "not_assessed", ""), kNotAssessedFields, "not_assessed");
  ReadFields(rd, j, kReportFields, &r, "");
  std::string verdict;
  rd.Read(j, "verdict", &verdict, "");
  if (!rd.ok()) return Status::Malformed("report: " + error);
  // The stored verdict is what the scan decided (suppressions included);
  // "error" goes with analysed == false.
  r.verdict = SeverityOr(verdict, Severity::kPass);
  return r;
}

std::string IsoTime(int64_t epoch_ms) { return UtcTimestamp(static_cast<std::time_t>(epoch_ms / 1000)); }

std::string NowIso() { return UtcNow(); }

bool IsViolation(const Finding& f) { return f.severity >= Severity::kViolation; }

std::string EvidenceSummary(const Finding& f, size_t max_items) {
  std::string s;
  size_t n = 0;
  for (const auto& e : f.evidence) {
    if (n == max_items) break;
    if (n++ > 0) s += "; ";
    s += e.kind + " " + e.value;
    if (!e.location.empty()) s += " @ " + e.location;
  }
  if (f.evidence.size() > max_items) s += "; +" + std::to_string(f.evidence.size() - max_items) + " more";
  return s;
}

std::string VerdictName(const Report& r) { return r.facts.analysed ? SeverityName(r.verdict) : "error"; }

}  // namespace shelfguard::report
