// ReportFromJson: the inverse of ReportToJson (src/engine/report.cc) for the
// fields reports print. Input may come from a database another process
// wrote, so every key's type is checked and a wrong one is an error.
#include "report/report_entry.h"

#include <ctime>
#include <optional>
#include <exception>
#include <unordered_set>

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

  void Str(const json& o, const char* key, std::string* out, const std::string& path) {
    const json* v = Get(o, key);
    if (v == nullptr || v->is_null()) return;
    if (!v->is_string()) return Fail(path + key, "a string");
    *out = v->get<std::string>();
  }
  void Bool(const json& o, const char* key, bool* out, const std::string& path) {
    const json* v = Get(o, key);
    if (v == nullptr || v->is_null()) return;
    if (!v->is_boolean()) return Fail(path + key, "true or false");
    *out = v->get<bool>();
  }
  void OptInt(const json& o, const char* key, std::optional<int>* out, const std::string& path) {
    const json* v = Get(o, key);
    if (v == nullptr || v->is_null()) return;
    if (!v->is_number_integer()) return Fail(path + key, "an integer");
    *out = v->get<int>();
  }
  void U64(const json& o, const char* key, uint64_t* out, const std::string& path) {
    const json* v = Get(o, key);
    if (v == nullptr || v->is_null()) return;
    if (!v->is_number_unsigned() && !v->is_number_integer()) return Fail(path + key, "a number");
    *out = v->get<uint64_t>();
  }
  void StrList(const json& o, const char* key, std::vector<std::string>* out, const std::string& path) {
    const json* v = Array(o, key, path);
    if (v == nullptr) return;
    for (const auto& s : *v) {
      if (!s.is_string()) return Fail(path + key + "[]", "a string");
      out->push_back(s.get<std::string>());
    }
  }
  // The array at `key`, nullptr when absent/null or of the wrong type.
  const json* Array(const json& o, const char* key, const std::string& path) {
    const json* v = Get(o, key);
    if (v == nullptr || v->is_null()) return nullptr;
    if (!v->is_array()) {
      Fail(path + key, "an array");
      return nullptr;
    }
    return v;
  }
  // The object at `key` (same rules as Array).
  const json* Object(const json& o, const char* key, const std::string& path) {
    const json* v = Get(o, key);
    if (v == nullptr || v->is_null()) return nullptr;
    if (!v->is_object()) {
      Fail(path + key, "an object");
      return nullptr;
    }
    return v;
  }
  bool ok() const { return error_->empty(); }
  void Fail(const std::string& key, const char* want) {
    if (error_->empty()) *error_ = "key '" + key + "' must be " + want;
  }

 private:
  const json* Get(const json& o, const char* key) {
    if (!ok() || !o.is_object()) return nullptr;
    auto it = o.find(key);
    return it == o.end() ? nullptr : &*it;
  }
  std::string* error_;
};

std::vector<Evidence> ReadEvidence(Reader& rd, const json* arr, const std::string& path) {
  std::vector<Evidence> out;
  if (arr == nullptr) return out;
  for (const auto& e : *arr) {
    if (!e.is_object()) {
      rd.Fail(path + "[]", "an object");
      break;
    }
    Evidence ev;
    rd.Str(e, "kind", &ev.kind, path + "[].");
    rd.Str(e, "location", &ev.location, path + "[].");
    rd.Str(e, "value", &ev.value, path + "[].");
    rd.Bool(e, "referenced", &ev.referenced, path + "[].");
    rd.Str(e, "sdk", &ev.sdk, path + "[].");
    out.push_back(std::move(ev));
  }
  return out;
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
  rd.Str(j, "file", &f.file, "");
  rd.Str(j, "sha256", &f.sha256, "");
  rd.U64(j, "size", &f.size, "");
  if (const json* p = rd.Object(j, "package", "")) {
    std::string platform;
    rd.Str(*p, "platform", &platform, "package.");
    f.package.platform = platform == "android" ? Platform::kAndroid
                         : platform == "ios"   ? Platform::kIos
                                               : Platform::kUnknown;
    rd.Str(*p, "id", &f.package.id, "package.");
    rd.Str(*p, "label", &f.package.label, "package.");
    rd.Str(*p, "version_code", &f.package.version_code, "package.");
    rd.Str(*p, "version_name", &f.package.version_name, "package.");
    rd.OptInt(*p, "min_sdk", &f.package.min_sdk, "package.");
    rd.OptInt(*p, "target_sdk", &f.package.target_sdk, "package.");
    rd.Str(*p, "min_os", &f.package.min_os, "package.");
    rd.StrList(*p, "device_families", &f.package.device_families, "package.");
  }
  if (const json* a = rd.Array(j, "permissions", "")) {
    for (const auto& p : *a) {
      Permission pm;
      rd.Str(p, "name", &pm.name, "permissions[].");
      rd.Bool(p, "dangerous", &pm.dangerous, "permissions[].");
      rd.OptInt(p, "max_sdk", &pm.max_sdk, "permissions[].");
      rd.Bool(p, "sdk23", &pm.sdk23, "permissions[].");
      f.permissions.push_back(std::move(pm));
    }
  }
  rd.StrList(j, "defined_permissions", &f.defined_permissions, "");
  if (const json* a = rd.Array(j, "components", "")) {
    for (const auto& c : *a) {
      Component cp;
      rd.Str(c, "kind", &cp.kind, "components[].");
      rd.Str(c, "name", &cp.name, "components[].");
      rd.Bool(c, "exported", &cp.exported, "components[].");
      rd.Str(c, "permission", &cp.permission, "components[].");
      f.components.push_back(std::move(cp));
    }
  }
  if (const json* a = rd.Array(j, "sdks", "")) {
    for (const auto& s : *a) {
      SdkHit h;
      rd.Str(s, "id", &h.id, "sdks[].");
      rd.Str(s, "name", &h.name, "sdks[].");
      rd.Str(s, "vendor", &h.vendor, "sdks[].");
      rd.Str(s, "category", &h.category, "sdks[].");
      rd.Str(s, "confidence", &h.confidence, "sdks[].");
      h.evidence = ReadEvidence(rd, rd.Array(s, "evidence", "sdks[]."), "sdks[].evidence");
      f.sdks.push_back(std::move(h));
    }
  }
  if (const json* p = rd.Object(j, "packer", "")) {
    rd.Bool(*p, "packed", &f.packer.packed, "packer.");
    rd.StrList(*p, "names", &f.packer.names, "packer.");
    rd.StrList(*p, "not_analysed", &f.packer.not_analysed, "packer.");
  }
  if (const json* a = rd.Array(j, "displayed_numbers", "")) {
    for (const auto& n : *a) {
      DisplayedNumber d;
      rd.Str(n, "kind", &d.kind, "displayed_numbers[].");
      rd.Str(n, "text", &d.text, "displayed_numbers[].");
      rd.Str(n, "raw", &d.raw, "displayed_numbers[].");
      rd.Str(n, "location", &d.location, "displayed_numbers[].");
      rd.Bool(n, "well_formed", &d.well_formed, "displayed_numbers[].");
      rd.Str(n, "problem", &d.problem, "displayed_numbers[].");
      f.displayed_numbers.push_back(std::move(d));
    }
  }
  if (const json* a = rd.Array(j, "findings", "")) {
    for (const auto& x : *a) {
      Finding fd;
      std::string sev;
      // rule_id / message_en since the provenance change; rule / message
      // in reports stored before it (and kept as aliases).
      rd.Str(x, "rule", &fd.rule_id, "findings[].");
      rd.Str(x, "rule_id", &fd.rule_id, "findings[].");
      rd.Str(x, "severity", &sev, "findings[].");
      fd.severity = SeverityOr(sev, Severity::kReview);
      rd.Str(x, "message", &fd.message_en, "findings[].");
      rd.Str(x, "message_en", &fd.message_en, "findings[].");
      rd.Str(x, "message_zh", &fd.message_zh, "findings[].");
      fd.evidence = ReadEvidence(rd, rd.Array(x, "evidence", "findings[]."), "findings[].evidence");
      rd.Str(x, "basis", &fd.basis, "findings[].");
      if (const json* s = rd.Object(x, "suppression", "findings[].")) {
        Suppression sp;
        rd.Str(*s, "reason", &sp.reason, "findings[].suppression.");
        rd.Str(*s, "author", &sp.author, "findings[].suppression.");
        rd.Str(*s, "expires", &sp.expires, "findings[].suppression.");
        rd.Str(*s, "entry", &sp.entry, "findings[].suppression.");
        fd.suppression = std::move(sp);
      }
      r.findings.push_back(std::move(fd));
    }
  }
  if (const json* p = rd.Object(j, "filing", "")) {
    FilingRecord fr;
    rd.Str(*p, "source", &fr.source, "filing.");
    rd.Str(*p, "filing_number", &fr.filing_number, "filing.");
    rd.Str(*p, "app_name", &fr.app_name, "filing.");
    rd.Str(*p, "provider_name", &fr.provider_name, "filing.");
    rd.Str(*p, "credit_code", &fr.credit_code, "filing.");
    rd.Str(*p, "status", &fr.status, "filing.");
    rd.Str(*p, "category", &fr.category, "filing.");
    rd.Str(*p, "version", &fr.version, "filing.");
    r.filing = std::move(fr);
  }
  rd.Str(j, "scope", &f.scope, "");
  if (const json* a = rd.Array(j, "errors", "")) {
    for (const auto& e : *a) {
      ErrorItem it;
      rd.Str(e, "code", &it.code, "errors[].");
      rd.Str(e, "message", &it.message, "errors[].");
      f.errors.push_back(std::move(it));
    }
  }
  rd.Bool(j, "analysed", &f.analysed, "");
  if (const json* a = rd.Array(j, "not_assessed", "")) {
    for (const auto& n : *a) {
      NotAssessed na;
      rd.Str(n, "rule_id", &na.rule_id, "not_assessed[].");
      rd.Str(n, "reason", &na.reason, "not_assessed[].");
      r.not_assessed.push_back(std::move(na));
    }
  }
  rd.Str(j, "tool_version", &r.tool_version, "");
  rd.Str(j, "signatures_version", &r.signatures_version, "");
  rd.Str(j, "registry_version", &r.registry_version, "");
  rd.Str(j, "scanned_at", &r.scanned_at, "");
  std::string verdict;
  rd.Str(j, "verdict", &verdict, "");
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
