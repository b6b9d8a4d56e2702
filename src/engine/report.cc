#include "shelfguard/report.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

#include "engine/json_writer.h"

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

using report_json::JsonWriter;
using report_json::Utf8;
using report_json::Utf8Members;

void WriteEvidence(JsonWriter& w, const std::vector<Evidence>& evidence) {
  w.BeginArray();
  for (const Evidence& e : evidence) {
    w.BeginObject();
    w.Text("kind", e.kind);
    w.Text("location", e.location);
    w.Text("value", e.value);
    w.Bool("referenced", e.referenced);
    if (!e.sdk.empty()) w.Text("sdk", e.sdk);
    w.EndObject();
  }
  w.EndArray();
}

void WriteTextMap(JsonWriter& w, std::string_view key, const std::map<std::string, std::string>& m) {
  w.BeginObject(key);
  for (const auto& [k, v] : Utf8Members(m)) w.Text(k, *v);
  w.EndObject();
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
  JsonWriter w(pretty);
  w.BeginObject();
  w.Text("file", f.file);
  w.Raw("sha256", f.sha256);
  w.Number("size", f.size);
  w.BeginObject("package");
  w.Raw("platform", PlatformName(f.package.platform));
  w.Text("id", f.package.id);
  w.Text("label", f.package.label);
  w.Text("version_code", f.package.version_code);
  w.Text("version_name", f.package.version_name);
  w.OptInt("min_sdk", f.package.min_sdk);
  w.OptInt("target_sdk", f.package.target_sdk);
  if (f.package.platform == Platform::kIos) {
    w.Text("min_os", f.package.min_os);
    w.RawList("device_families", f.package.device_families);
  }
  w.EndObject();
  w.BeginArray("permissions");
  for (const auto& p : f.permissions) {
    w.BeginObject();
    w.Text("name", p.name);
    w.Bool("dangerous", p.dangerous);
    w.OptInt("max_sdk", p.max_sdk);
    w.Bool("sdk23", p.sdk23);
    w.EndObject();
  }
  w.EndArray();
  w.TextList("defined_permissions", f.defined_permissions);
  w.BeginObject("app_flags");
  w.OptBool("debuggable", f.app_flags.debuggable);
  w.OptBool("allow_backup", f.app_flags.allow_backup);
  w.OptBool("uses_cleartext_traffic", f.app_flags.uses_cleartext_traffic);
  w.Text("network_security_config", f.app_flags.network_security_config);
  w.Bool("cleartext_permitted_by_nsc", f.app_flags.cleartext_permitted_by_nsc);
  w.EndObject();
  w.BeginArray("components");
  for (const auto& c : f.components) {
    w.BeginObject();
    w.Raw("kind", c.kind);
    w.Text("name", c.name);
    w.Bool("exported", c.exported);
    w.Bool("exported_explicit", c.exported_explicit);
    w.Bool("has_intent_filter", c.has_intent_filter);
    w.Text("permission", c.permission);
    w.Bool("enabled", c.enabled);
    w.EndObject();
  }
  w.EndArray();
  if (f.package.platform == Platform::kIos) {
    const IosFacts& i = f.ios;
    w.BeginObject("ios");
    WriteTextMap(w, "usage_descriptions", i.usage_descriptions);
    w.BeginObject("ats");
    w.Bool("arbitrary_loads", i.ats_arbitrary_loads);
    w.TextList("exception_domains", i.ats_exception_domains);
    w.EndObject();
    w.TextList("url_schemes", i.url_schemes);
    w.TextList("queried_schemes", i.queried_schemes);
    // Entitlement values are JSON texts; one that does not parse is shown
    // as a string.
    w.BeginObject("entitlements");
    for (const auto& [k, v] : Utf8Members(i.entitlements)) {
      w.Key(k);
      json parsed = json::parse(*v, nullptr, false);
      if (parsed.is_discarded()) {
        w.Text(*v);
      } else {
        w.Value(parsed);
      }
    }
    w.EndObject();
    w.Text("team_id", i.team_id);
    w.Text("executable", i.executable);
    w.TextList("architectures", i.architectures);
    w.TextList("frameworks", i.frameworks);
    w.TextList("dylibs", i.dylibs);
    w.TextList("extensions", i.extensions);
    w.Bool("encrypted", i.encrypted);
    w.EndObject();
  }
  if (f.package.platform == Platform::kHarmony) {
    const HarmonyFacts& h = f.harmony;
    w.BeginObject("harmony");
    w.Raw("model", h.model);
    w.Text("bundle_type", h.bundle_type);
    w.Text("vendor", h.vendor);
    w.Text("min_api_version", h.min_api_version);
    w.Text("target_api_version", h.target_api_version);
    w.Text("api_release_type", h.api_release_type);
    w.Text("compile_sdk", h.compile_sdk);
    w.Bool("debug", h.debug);
    w.BeginArray("modules");
    for (const auto& m : h.modules) {
      w.BeginObject();
      w.Text("name", m.name);
      w.Text("type", m.type);
      w.Text("location", m.location);
      w.TextList("device_types", m.device_types);
      w.TextList("abilities", m.abilities);
      w.TextList("extension_abilities", m.extension_abilities);
      w.EndObject();
    }
    w.EndArray();
    WriteTextMap(w, "permission_reasons", h.permission_reasons);
    w.TextList("module_references", h.module_references);
    w.TextList("abc_versions", h.abc_versions);
    w.EndObject();
  }
  if (f.package.platform == Platform::kMiniProgram) {
    const MiniProgramFacts& m = f.mini_program;
    w.BeginObject("mini_program");
    w.Text("appid", m.appid);
    w.Raw("kind", m.kind);
    w.Bool("encrypted", m.encrypted);
    w.Bool("decrypted", m.decrypted);
    w.Raw("appid_source", m.appid_source);
    w.TextList("pages", m.pages);
    w.TextList("subpackages", m.subpackages);
    w.TextList("plugins", m.plugins);
    w.TextList("permission_scopes", m.permission_scopes);
    w.TextList("required_private_infos", m.required_private_infos);
    w.TextList("navigate_appids", m.navigate_appids);
    w.TextList("apis", m.apis);
    w.TextList("components", m.components);
    w.EndObject();
  }
  w.BeginArray("code");
  for (const auto& c : f.code) {
    w.BeginObject();
    w.Raw("kind", c.kind);
    w.Text("location", c.location);
    w.Bool("extra", c.extra);
    if (!c.arch.empty()) w.Raw("arch", c.arch);
    if (c.kind == "dex") {
      w.Number("classes", c.classes);
      w.Number("strings", c.strings);
      w.Number("methods", c.methods);
    } else {
      w.Number("symbols", c.symbols);
      w.TextList("needed", c.needed);
    }
    if (!c.note.empty()) w.Text("note", c.note);
    w.EndObject();
  }
  w.EndArray();
  w.BeginArray("sdks");
  for (const auto& s : f.sdks) {
    w.BeginObject();
    w.Raw("id", s.id);
    w.Text("name", s.name);
    w.Text("vendor", s.vendor);
    w.Raw("category", s.category);
    w.Raw("confidence", s.confidence);
    w.Key("evidence");
    WriteEvidence(w, s.evidence);
    w.EndObject();
  }
  w.EndArray();
  w.BeginObject("packer");
  w.Bool("packed", f.packer.packed);
  w.RawList("names", f.packer.names);
  w.TextList("not_analysed", f.packer.not_analysed);
  w.EndObject();
  w.BeginArray("displayed_numbers");
  for (const auto& n : f.displayed_numbers) {
    w.BeginObject();
    w.Raw("kind", n.kind);
    w.Text("text", n.text);
    w.Text("raw", n.raw);
    w.Text("location", n.location);
    w.Bool("well_formed", n.well_formed);
    w.Text("problem", n.problem);
    w.EndObject();
  }
  w.EndArray();
  w.BeginArray("findings");
  for (const auto& fd : r.findings) {
    // rule_id / message_en are the names the daemon's messages use too;
    // rule / message are kept as deprecated aliases for existing readers
    // (docs/report-format.md).
    w.BeginObject();
    w.Raw("rule_id", fd.rule_id);
    w.Raw("severity", SeverityName(fd.severity));
    w.Text("message_en", fd.message_en);
    w.Text("message_zh", fd.message_zh);
    w.Key("evidence");
    WriteEvidence(w, fd.evidence);
    w.Text("basis", fd.basis);
    w.Raw("rule", fd.rule_id);
    w.Text("message", fd.message_en);
    if (fd.suppression) {
      const Suppression& sp = *fd.suppression;
      w.BeginObject("suppression");
      w.Text("reason", sp.reason);
      w.Text("author", sp.author);
      w.Text("expires", sp.expires);
      w.Text("entry", sp.entry);
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
  if (r.filing) {
    const FilingRecord& fr = *r.filing;
    w.BeginObject("filing");
    w.Raw("source", fr.source);
    w.Text("filing_number", fr.filing_number);
    w.Text("app_name", fr.app_name);
    w.Text("provider_name", fr.provider_name);
    w.Text("credit_code", fr.credit_code);
    w.Text("status", fr.status);
    w.Text("category", fr.category);
    w.Text("version", fr.version);
    w.EndObject();
  } else {
    w.Key("filing");
    w.Null();
  }
  w.Raw("verdict", f.analysed ? SeverityName(r.verdict) : "error");
  w.Raw("scope", f.scope);
  w.BeginArray("not_assessed");
  for (const auto& n : r.not_assessed) {
    w.BeginObject();
    w.Raw("rule_id", n.rule_id);
    w.Raw("reason", n.reason);
    w.EndObject();
  }
  w.EndArray();
  w.BeginArray("anomalies");
  for (const auto& a : f.anomalies) {
    w.BeginObject();
    w.Raw("code", a.code);
    w.Text("location", a.location);
    w.Text("detail", a.detail);
    w.EndObject();
  }
  w.EndArray();
  w.BeginArray("errors");
  for (const auto& e : f.errors) {
    w.BeginObject();
    w.Raw("code", e.code);
    w.Text("message", e.message);
    w.EndObject();
  }
  w.EndArray();
  w.Bool("analysed", f.analysed);
  w.Raw("tool_version", r.tool_version);
  w.Raw("signatures_version", r.signatures_version);
  w.Raw("registry_version", r.registry_version);
  w.Raw("scanned_at", r.scanned_at);
  w.EndObject();
  return w.Take();
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
