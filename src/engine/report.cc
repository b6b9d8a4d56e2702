#include "shelfguard/report.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <sstream>

namespace shelfguard {

// Insertion order keeps the report readable: identity first, findings last.
using json = nlohmann::ordered_json;

void ComputeVerdict(Report* report) {
  Severity worst = Severity::kPass;
  for (const auto& f : report->findings) {
    if (!f.suppression) worst = std::max(worst, f.severity);
  }
  report->verdict = worst;
}

namespace {

// Strings from packages may hold invalid UTF-8 (MUTF-8 surrogates, GBK
// names, garbage); each invalid byte becomes U+FFFD. Follows the well-formed
// byte sequences of Unicode 15 table 3-7: no overlongs, no surrogates, no
// code points above U+10FFFF, and no NUL.
std::string Utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  while (i < s.size()) {
    unsigned char c = byte(i);
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0x01 && c <= 0x7F) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    }
    bool ok = len > 0 && len <= s.size() - i;
    if (ok && len > 1) ok = byte(i + 1) >= lo && byte(i + 1) <= hi;
    for (size_t k = 2; ok && k < len; ++k) ok = (byte(i + k) & 0xC0) == 0x80;
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    }
  }
  return out;
}

json EvidenceJson(const Evidence& e) {
  json j{{"kind", Utf8(e.kind)}, {"location", Utf8(e.location)}, {"value", Utf8(e.value)},
         {"referenced", e.referenced}};
  if (!e.sdk.empty()) j["sdk"] = Utf8(e.sdk);
  return j;
}

json OptBool(const std::optional<bool>& b) { return b ? json(*b) : json(nullptr); }
json OptInt(const std::optional<int>& i) { return i ? json(*i) : json(nullptr); }

json Utf8List(const std::vector<std::string>& v) {
  json a = json::array();
  for (const auto& s : v) a.push_back(Utf8(s));
  return a;
}
// A string map as a JSON object, keys and values made valid UTF-8.
json Utf8Map(const std::map<std::string, std::string>& m) {
  json o = json::object();
  for (const auto& [k, v] : m) o[Utf8(k)] = Utf8(v);
  return o;
}

// A finding's evidence, grouped per SDK (in the order the SDKs first
// appear) so that every SDK shows, not only the first one's items; each
// group shows up to three items and says how many more there are.
void PrintEvidence(std::ostringstream& o, const Facts& f, const std::vector<Evidence>& evidence) {
  constexpr size_t kShown = 3;
  std::vector<std::string> groups;
  for (const auto& e : evidence) {
    if (std::find(groups.begin(), groups.end(), e.sdk) == groups.end()) groups.push_back(e.sdk);
  }
  const char* indent = "               ";
  for (const std::string& g : groups) {
    std::string item_indent = indent;
    if (!g.empty()) {
      std::string name = g;
      for (const auto& s : f.sdks) {
        if (s.id == g && !s.name.empty()) name = s.name;
      }
      o << indent << "- " << Utf8(name) << "\n";
      item_indent += "    ";
    }
    size_t n = 0, total = 0;
    for (const auto& e : evidence) {
      if (e.sdk != g) continue;
      if (++total > kShown) continue;
      ++n;
      o << item_indent << "- " << e.kind << " " << Utf8(e.value)
        << (e.location.empty() ? "" : " @ " + Utf8(e.location)) << "\n";
    }
    if (total > n) o << item_indent << "(+" << total - n << " more)\n";
  }
}

}  // namespace

std::string ReportToJson(const Report& r, bool pretty) {
  const Facts& f = r.facts;
  json j;
  j["file"] = Utf8(f.file);
  j["sha256"] = f.sha256;
  j["size"] = f.size;
  json pkg{{"platform", PlatformName(f.package.platform)},
           {"id", Utf8(f.package.id)},
           {"label", Utf8(f.package.label)},
           {"version_code", Utf8(f.package.version_code)},
           {"version_name", Utf8(f.package.version_name)},
           {"min_sdk", OptInt(f.package.min_sdk)},
           {"target_sdk", OptInt(f.package.target_sdk)}};
  if (f.package.platform == Platform::kIos) {
    pkg["min_os"] = Utf8(f.package.min_os);
    pkg["device_families"] = f.package.device_families;
  }
  j["package"] = pkg;
  json perms = json::array();
  for (const auto& p : f.permissions) {
    perms.push_back({{"name", Utf8(p.name)}, {"dangerous", p.dangerous},
                     {"max_sdk", OptInt(p.max_sdk)}, {"sdk23", p.sdk23}});
  }
  j["permissions"] = perms;
  j["defined_permissions"] = Utf8List(f.defined_permissions);
  j["app_flags"] = {{"debuggable", OptBool(f.app_flags.debuggable)},
                    {"allow_backup", OptBool(f.app_flags.allow_backup)},
                    {"uses_cleartext_traffic", OptBool(f.app_flags.uses_cleartext_traffic)},
                    {"network_security_config", Utf8(f.app_flags.network_security_config)},
                    {"cleartext_permitted_by_nsc", f.app_flags.cleartext_permitted_by_nsc}};
  json comps = json::array();
  for (const auto& c : f.components) {
    comps.push_back({{"kind", c.kind}, {"name", Utf8(c.name)}, {"exported", c.exported},
                     {"exported_explicit", c.exported_explicit},
                     {"has_intent_filter", c.has_intent_filter},
                     {"permission", Utf8(c.permission)}, {"enabled", c.enabled}});
  }
  j["components"] = comps;
  if (f.package.platform == Platform::kIos) {
    const IosFacts& i = f.ios;
    json ent = json::object();
    for (const auto& [k, v] : i.entitlements) {
      json parsed = json::parse(v, nullptr, false);
      ent[Utf8(k)] = parsed.is_discarded() ? json(Utf8(v)) : parsed;
    }
    auto list = Utf8List;
    j["ios"] = {{"usage_descriptions", Utf8Map(i.usage_descriptions)},
                {"ats", {{"arbitrary_loads", i.ats_arbitrary_loads},
                         {"exception_domains", list(i.ats_exception_domains)}}},
                {"url_schemes", list(i.url_schemes)},
                {"queried_schemes", list(i.queried_schemes)},
                {"entitlements", ent},
                {"team_id", Utf8(i.team_id)},
                {"executable", Utf8(i.executable)},
                {"architectures", list(i.architectures)},
                {"frameworks", list(i.frameworks)},
                {"dylibs", list(i.dylibs)},
                {"extensions", list(i.extensions)},
                {"encrypted", i.encrypted}};
  }
  if (f.package.platform == Platform::kHarmony) {
    const HarmonyFacts& h = f.harmony;
    auto list = Utf8List;
    json modules = json::array();
    for (const auto& m : h.modules) {
      modules.push_back({{"name", Utf8(m.name)}, {"type", Utf8(m.type)},
                         {"location", Utf8(m.location)}, {"device_types", list(m.device_types)},
                         {"abilities", list(m.abilities)},
                         {"extension_abilities", list(m.extension_abilities)}});
    }
    j["harmony"] = {{"model", h.model},
                    {"bundle_type", Utf8(h.bundle_type)},
                    {"vendor", Utf8(h.vendor)},
                    {"min_api_version", Utf8(h.min_api_version)},
                    {"target_api_version", Utf8(h.target_api_version)},
                    {"api_release_type", Utf8(h.api_release_type)},
                    {"compile_sdk", Utf8(h.compile_sdk)},
                    {"debug", h.debug},
                    {"modules", modules},
                    {"permission_reasons", Utf8Map(h.permission_reasons)},
                    {"module_references", list(h.module_references)},
                    {"abc_versions", list(h.abc_versions)}};
  }
  if (f.package.platform == Platform::kMiniProgram) {
    const MiniProgramFacts& m = f.mini_program;
    auto list = Utf8List;
    j["mini_program"] = {{"appid", Utf8(m.appid)},
                         {"kind", m.kind},
                         {"encrypted", m.encrypted},
                         {"decrypted", m.decrypted},
                         {"appid_source", m.appid_source},
                         {"pages", list(m.pages)},
                         {"subpackages", list(m.subpackages)},
                         {"plugins", list(m.plugins)},
                         {"permission_scopes", list(m.permission_scopes)},
                         {"required_private_infos", list(m.required_private_infos)},
                         {"navigate_appids", list(m.navigate_appids)},
                         {"apis", list(m.apis)},
                         {"components", list(m.components)}};
  }
  json code = json::array();
  for (const auto& c : f.code) {
    json u{{"kind", c.kind}, {"location", Utf8(c.location)}, {"extra", c.extra}};
    if (!c.arch.empty()) u["arch"] = c.arch;
    if (c.kind == "dex") {
      u["classes"] = c.classes;
      u["strings"] = c.strings;
      u["methods"] = c.methods;
    } else {
      u["symbols"] = c.symbols;
      u["needed"] = Utf8List(c.needed);
    }
    if (!c.note.empty()) u["note"] = Utf8(c.note);
    code.push_back(u);
  }
  j["code"] = code;
  json sdks = json::array();
  for (const auto& s : f.sdks) {
    json ev = json::array();
    for (const auto& e : s.evidence) ev.push_back(EvidenceJson(e));
    sdks.push_back({{"id", s.id}, {"name", Utf8(s.name)}, {"vendor", Utf8(s.vendor)},
                    {"category", s.category}, {"confidence", s.confidence}, {"evidence", ev}});
  }
  j["sdks"] = sdks;
  j["packer"] = {{"packed", f.packer.packed}, {"names", f.packer.names},
                {"not_analysed", Utf8List(f.packer.not_analysed)}};
  json nums = json::array();
  for (const auto& n : f.displayed_numbers) {
    nums.push_back({{"kind", n.kind}, {"text", Utf8(n.text)}, {"raw", Utf8(n.raw)},
                    {"location", Utf8(n.location)}, {"well_formed", n.well_formed},
                    {"problem", Utf8(n.problem)}});
  }
  j["displayed_numbers"] = nums;
  json findings = json::array();
  for (const auto& fd : r.findings) {
    json ev = json::array();
    for (const auto& e : fd.evidence) ev.push_back(EvidenceJson(e));
    // rule_id / message_en are the names the daemon's messages use too;
    // rule / message are kept as deprecated aliases for existing readers
    // (docs/report-format.md).
    json jf{{"rule_id", fd.rule_id},
            {"severity", SeverityName(fd.severity)},
            {"message_en", Utf8(fd.message_en)},
            {"message_zh", Utf8(fd.message_zh)},
            {"evidence", ev},
            {"basis", Utf8(fd.basis)},
            {"rule", fd.rule_id},
            {"message", Utf8(fd.message_en)}};
    if (fd.suppression) {
      const Suppression& sp = *fd.suppression;
      jf["suppression"] = {{"reason", Utf8(sp.reason)}, {"author", Utf8(sp.author)},
                           {"expires", Utf8(sp.expires)}, {"entry", Utf8(sp.entry)}};
    }
    findings.push_back(std::move(jf));
  }
  j["findings"] = findings;
  if (r.filing) {
    const FilingRecord& fr = *r.filing;
    j["filing"] = {{"source", fr.source}, {"filing_number", Utf8(fr.filing_number)},
                   {"app_name", Utf8(fr.app_name)}, {"provider_name", Utf8(fr.provider_name)},
                   {"credit_code", Utf8(fr.credit_code)}, {"status", Utf8(fr.status)},
                   {"category", Utf8(fr.category)}, {"version", Utf8(fr.version)}};
  } else {
    j["filing"] = nullptr;
  }
  j["verdict"] = f.analysed ? SeverityName(r.verdict) : "error";
  j["scope"] = f.scope;
  json skipped = json::array();
  for (const auto& n : r.not_assessed) skipped.push_back({{"rule_id", n.rule_id}, {"reason", n.reason}});
  j["not_assessed"] = skipped;
  json anomalies = json::array();
  for (const auto& a : f.anomalies) {
    anomalies.push_back({{"code", a.code}, {"location", Utf8(a.location)}, {"detail", Utf8(a.detail)}});
  }
  j["anomalies"] = anomalies;
  json errors = json::array();
  for (const auto& e : f.errors) errors.push_back({{"code", e.code}, {"message", Utf8(e.message)}});
  j["errors"] = errors;
  j["analysed"] = f.analysed;
  j["tool_version"] = r.tool_version;
  j["signatures_version"] = r.signatures_version;
  j["registry_version"] = r.registry_version;
  j["scanned_at"] = r.scanned_at;
  // `replace` is a second guard: a string that bypassed Utf8() cannot throw.
  return j.dump(pretty ? 2 : -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ReportToText(const Report& r, bool color) {
  const Facts& f = r.facts;
  auto c = [color](const char* code) { return color ? std::string(code) : std::string(); };
  const std::string bold = c("\033[1m"), reset = c("\033[0m"), red = c("\033[31m"),
                    yellow = c("\033[33m"), green = c("\033[32m");
  std::ostringstream o;
  std::string verdict = f.analysed ? SeverityName(r.verdict) : "error";
  const std::string& vc = (verdict == "pass" || verdict == "info") ? green
                          : verdict == "review"                    ? yellow
                                                                   : red;
  o << bold << Utf8(f.file) << reset << "  " << vc << "[" << verdict << "]" << reset << "\n";
  o << "  sha256      " << f.sha256 << "  (" << f.size << " bytes)\n";
  if (f.scope == "manifest") {
    o << "  scope       manifest only (no code analysis, no rules assessed)\n";
  } else if (f.scope != "full") {
    o << "  scope       " << f.scope << " only (no manifest, resources or assets)\n";
  }
  // Rules that were not assessed, by reason, so a missing finding does not
  // read as a pass (e.g. without a registry the registry rules were skipped).
  for (const char* reason : {"no-registry", "scope", "no-filing"}) {
    if (f.scope == "manifest" && std::string_view(reason) == "scope") continue;
    std::vector<std::string> ids;
    for (const auto& n : r.not_assessed) {
      if (n.reason == reason) ids.push_back(n.rule_id);
    }
    if (ids.empty()) continue;
    std::string_view why = std::string_view(reason) == "no-registry"
                               ? "skipped: no registry (--registry) or filing (--filing) given"
                           : std::string_view(reason) == "scope"
                               ? "not assessable: the input has none of their facts"
                               : "skipped: the registry has no filing for the package";
    o << "  not assessed " << ids.size() << " rule" << (ids.size() == 1 ? "" : "s") << " " << why
      << ": ";
    for (size_t i = 0; i < ids.size(); ++i) o << (i ? ", " : "") << ids[i];
    o << "\n";
  }
  const auto& p = f.package;
  if (p.platform != Platform::kUnknown) {
    o << "  platform    " << PlatformName(p.platform) << "\n";
    o << "  package     " << Utf8(p.id) << "\n";
    if (!p.label.empty()) o << "  label       " << Utf8(p.label) << "\n";
    o << "  version     " << Utf8(p.version_name) << " (" << Utf8(p.version_code) << ")\n";
    if (p.platform == Platform::kAndroid) {
      o << "  sdk         min " << (p.min_sdk ? std::to_string(*p.min_sdk) : "-") << ", target "
        << (p.target_sdk ? std::to_string(*p.target_sdk) : "-") << "\n";
    } else if (!p.min_os.empty()) {
      o << "  min os      " << Utf8(p.min_os) << "\n";
    }
  }
  if (!f.permissions.empty()) {
    o << "  permissions (" << f.permissions.size() << ")\n";
    for (const auto& pm : f.permissions) {
      o << "    " << Utf8(pm.name) << (pm.dangerous ? "  [runtime]" : "")
        << (pm.max_sdk ? "  maxSdk=" + std::to_string(*pm.max_sdk) : "") << "\n";
    }
  }
  if (!f.ios.usage_descriptions.empty()) {
    o << "  usage descriptions (" << f.ios.usage_descriptions.size() << ")\n";
    for (const auto& [k, v] : f.ios.usage_descriptions) o << "    " << k << ": " << Utf8(v) << "\n";
  }
  if (p.platform == Platform::kAndroid) {
    auto b = [](const std::optional<bool>& v) { return v ? (*v ? "true" : "false") : "unset"; };
    o << "  flags       debuggable=" << b(f.app_flags.debuggable)
      << " allowBackup=" << b(f.app_flags.allow_backup)
      << " usesCleartextTraffic=" << b(f.app_flags.uses_cleartext_traffic);
    if (!f.app_flags.network_security_config.empty())
      o << " networkSecurityConfig=" << Utf8(f.app_flags.network_security_config);
    o << "\n";
    size_t exported = 0;
    for (const auto& cp : f.components) exported += cp.exported ? 1 : 0;
    o << "  components  " << f.components.size() << " (" << exported << " exported)\n";
  }
  if (!f.sdks.empty()) {
    o << "  sdks (" << f.sdks.size() << ")\n";
    for (const auto& s : f.sdks) {
      o << "    " << Utf8(s.name) << "  [" << s.category << ", " << s.confidence << "]";
      if (!s.evidence.empty()) {
        o << "  e.g. " << s.evidence[0].kind << " " << Utf8(s.evidence[0].value);
        if (!s.evidence[0].location.empty()) o << " in " << Utf8(s.evidence[0].location);
      }
      o << "\n";
    }
  }
  if (f.packer.packed) {
    o << "  " << yellow << "packed" << reset << "      ";
    for (size_t i = 0; i < f.packer.names.size(); ++i) o << (i ? ", " : "") << f.packer.names[i];
    o << "\n";
  }
  if (!f.displayed_numbers.empty()) {
    o << "  displayed numbers\n";
    for (const auto& n : f.displayed_numbers) {
      o << "    " << n.kind << " " << Utf8(n.text) << "  (" << Utf8(n.location) << ")"
        << (n.well_formed ? "" : "  malformed: " + Utf8(n.problem)) << "\n";
    }
  }
  if (!r.findings.empty()) {
    o << "  findings (" << r.findings.size() << ")\n";
    for (const auto& fd : r.findings) {
      const std::string& sc = fd.severity >= Severity::kViolation ? red
                              : fd.severity == Severity::kReview  ? yellow
                                                                  : std::string();
      o << "    " << sc << SeverityName(fd.severity) << reset << "  " << fd.rule_id << "  "
        << Utf8(fd.message_en) << "\n";
      if (fd.suppression) {
        o << "               suppressed until " << Utf8(fd.suppression->expires) << ": "
          << Utf8(fd.suppression->reason) << "\n";
      }
      if (!fd.message_zh.empty()) o << "               " << Utf8(fd.message_zh) << "\n";
      PrintEvidence(o, f, fd.evidence);
    }
  }
  if (!f.anomalies.empty()) {
    o << "  anomalies (" << f.anomalies.size() << ")\n";
    for (size_t i = 0; i < f.anomalies.size() && i < 10; ++i) {
      o << "    " << f.anomalies[i].code << "  " << Utf8(f.anomalies[i].location) << "  "
        << Utf8(f.anomalies[i].detail) << "\n";
    }
  }
  for (const auto& e : f.errors) o << "  " << red << "error" << reset << "  " << e.code << ": " << Utf8(e.message) << "\n";
  return o.str();
}

}  // namespace shelfguard
