// ReportFromJson: the inverse of ReportToJson (src/engine/report.cc) for the
// fields reports print. Input may come from a database another process
// wrote, so every key's type is checked and a wrong one is an error.
#include "report/report_entry.h"

#include <ctime>
#include <exception>
#include <unordered_set>

#include <nlohmann/json.hpp>

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

}  // namespace

Result<Report> ReportFromJson(std::string_view text, bool light) {
  if (text.size() > kMaxReportJsonBytes) {
    return Status::OverLimit("report JSON of " + std::to_string(text.size()) + " bytes (limit " +
                             std::to_string(kMaxReportJsonBytes) + ")");
  }
  json j;
  json::parser_callback_t drop = [](int depth, json::parse_event_t ev, json& parsed) {
    return !(depth == 1 && ev == json::parse_event_t::key && parsed.is_string() &&
             LightDropped().count(parsed.get_ref<const std::string&>()) > 0);
  };
  j = json::parse(text.begin(), text.end(), light ? drop : nullptr, /*allow_exceptions=*/false);
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
      rd.Str(x, "rule", &fd.rule_id, "findings[].");
      rd.Str(x, "severity", &sev, "findings[].");
      fd.severity = SeverityOr(sev, Severity::kReview);
      rd.Str(x, "message", &fd.message_en, "findings[].");
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
  std::string verdict;
  rd.Str(j, "verdict", &verdict, "");
  if (!rd.ok()) return Status::Malformed("report: " + error);
  // The stored verdict is what the scan decided (suppressions included);
  // "error" goes with analysed == false.
  r.verdict = SeverityOr(verdict, Severity::kPass);
  return r;
}

std::string IsoTime(int64_t epoch_ms) {
  std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string NowIso() { return IsoTime(static_cast<int64_t>(std::time(nullptr)) * 1000); }

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
