// SARIF writer. References: OASIS SARIF v2.1.0 §3.13 (run), §3.19 (tool
// component), §3.49 (reportingDescriptor), §3.27 (result), §3.24 (artifact,
// parentIndex for an entry inside a package), §3.33 (logicalLocation),
// §3.27.17 (partialFingerprints), §3.35 (suppression).
#include "report/sarif.h"

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "policy/rules.h"
#include "shelfguard/engine.h"

namespace shelfguard::report {
namespace {

using json = nlohmann::ordered_json;

constexpr size_t kMaxLocationsPerResult = 10;

// A URI reference for a file path (RFC 3986): unreserved characters and
// '/' stay, everything else (spaces, CJK bytes, '#', '%') is percent-encoded;
// an absolute path becomes a file:// URI.
std::string PathUri(const std::string& path) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out = !path.empty() && path[0] == '/' ? "file://" : "";
  for (unsigned char c : path) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    if (keep) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out.empty() ? "unknown" : out;
}

json EvidenceArray(const std::vector<Evidence>& ev) {
  json a = json::array();
  for (const auto& e : ev) {
    json j{{"kind", e.kind}, {"location", e.location}, {"value", e.value}, {"referenced", e.referenced}};
    if (!e.sdk.empty()) j["sdk"] = e.sdk;
    a.push_back(std::move(j));
  }
  return a;
}

json Descriptor(const std::string& id, Severity severity, const std::string& basis,
                const std::string& fallback_en, const std::string& fallback_zh) {
  const policy::RuleText* t = policy::FindRuleText(id);
  std::string title_en = t ? t->title_en : fallback_en;
  std::string title_zh = t ? t->title_zh : fallback_zh;
  std::string check_en = t ? t->check_en : fallback_en;
  std::string check_zh = t ? t->check_zh : fallback_zh;
  std::string help = check_en + "\n" + check_zh + "\nBasis / 依据: " + basis;
  return json{{"id", id},
              {"shortDescription", {{"text", title_en + " / " + title_zh}}},
              {"fullDescription", {{"text", check_en + " / " + check_zh}}},
              {"help", {{"text", help}}},
              {"defaultConfiguration", {{"level", SarifLevel(severity)}}},
              {"properties",
               {{"severity", SeverityName(severity)},
                {"title_en", title_en},
                {"title_zh", title_zh},
                {"description_en", check_en},
                {"description_zh", check_zh},
                {"basis", basis}}}};
}

// Stable across runs of the same package line: the rule, the app and what
// the evidence names (not the package hash, not where in the package, which
// move between builds).
std::string Fingerprint(const Report& r, const Finding& f) {
  std::set<std::string> values;
  for (const auto& e : f.evidence) values.insert(e.kind + "\x1f" + e.sdk + "\x1f" + e.value);
  std::string key = f.rule_id + "\x1e" + PlatformName(r.facts.package.platform) + "\x1e" +
                    r.facts.package.id + "\x1e";
  for (const auto& v : values) key += v + "\x1d";
  if (r.facts.package.id.empty()) key += r.facts.sha256;  // unidentified: the bytes are all we have
  return Sha256Hex(key);
}

}  // namespace

const char* SarifLevel(Severity s) {
  switch (s) {
    case Severity::kBlock:
    case Severity::kViolation: return "error";
    case Severity::kReview: return "warning";
    case Severity::kInfo:
    case Severity::kPass: return "note";
  }
  return "note";
}

std::string ToSarif(const std::vector<ReportEntry>& entries, const SarifOptions& options) {
  // Rules: the whole catalogue, then any other id a result uses (e.g. the
  // manifest-only notice), so every ruleIndex resolves.
  json rules = json::array();
  std::map<std::string, size_t> rule_index;
  for (const auto& rule : policy::RuleList()) {
    rule_index[rule.id] = rules.size();
    rules.push_back(Descriptor(rule.id, rule.severity, rule.basis, rule.id, rule.id));
  }
  for (const auto& e : entries) {
    for (const auto& f : e.report.findings) {
      if (rule_index.count(f.rule_id) > 0) continue;
      rule_index[f.rule_id] = rules.size();
      rules.push_back(Descriptor(f.rule_id, f.severity, f.basis, f.message_en, f.message_zh));
    }
  }

  json artifacts = json::array();
  json results = json::array();
  json notifications = json::array();
  std::set<std::string> sig_versions, reg_versions;
  bool all_analysed = true;
  for (const auto& e : entries) {
    const Report& r = e.report;
    const Facts& facts = r.facts;
    if (!e.signatures_version.empty()) sig_versions.insert(e.signatures_version);
    if (!e.registry_version.empty()) reg_versions.insert(e.registry_version);
    const size_t pkg_index = artifacts.size();
    const std::string pkg_uri = PathUri(facts.file);
    json art{{"location", {{"uri", pkg_uri}}},
             {"length", facts.size},
             {"roles", json::array({"analysisTarget"})},
             {"properties",
              {{"platform", PlatformName(facts.package.platform)},
               {"package", facts.package.id},
               {"label", facts.package.label},
               {"version_name", facts.package.version_name},
               {"version_code", facts.package.version_code},
               {"verdict", VerdictName(r)},
               {"source", e.source},
               {"scanned_at", e.scanned_at}}}};
    if (facts.sha256.size() == 64) art["hashes"] = {{"sha-256", facts.sha256}};
    artifacts.push_back(std::move(art));
    if (!facts.analysed) {
      all_analysed = false;
      std::string why;
      for (const auto& err : facts.errors) why += (why.empty() ? "" : "; ") + err.code + ": " + err.message;
      notifications.push_back({{"level", "error"},
                               {"message", {{"text", facts.file + " was not analysed: " + why}}},
                               {"locations", json::array({{{"physicalLocation",
                                   {{"artifactLocation", {{"uri", pkg_uri}, {"index", pkg_index}}}}}}})}});
    }
    // Entries inside this package, each an artifact whose parent is the package.
    std::map<std::string, size_t> entry_index;
    for (const auto& f : r.findings) {
      json locations = json::array();
      std::set<std::string> seen;
      for (const auto& ev : f.evidence) {
        if (locations.size() >= kMaxLocationsPerResult) break;
        json loc;
        if (!ev.location.empty() && ev.kind != "registry") {
          auto it = entry_index.find(ev.location);
          if (it == entry_index.end()) {
            it = entry_index.emplace(ev.location, artifacts.size()).first;
            artifacts.push_back({{"location", {{"uri", PathUri(ev.location)}}}, {"parentIndex", pkg_index}});
          }
          loc["physicalLocation"] = {{"artifactLocation", {{"uri", PathUri(ev.location)}, {"index", it->second}}}};
        }
        if (ev.kind == "class" || ev.kind == "objc-class" || ev.kind == "package" || ev.kind == "symbol" ||
            ev.kind == "component") {
          const char* kind = ev.kind == "package" ? "namespace" : ev.kind == "symbol" ? "function" : "type";
          loc["logicalLocations"] = json::array({{{"fullyQualifiedName", ev.value}, {"kind", kind}}});
        }
        if (loc.empty()) continue;
        std::string key = loc.dump();
        if (!seen.insert(key).second) continue;
        locations.push_back(std::move(loc));
      }
      if (locations.empty()) {
        locations.push_back({{"physicalLocation", {{"artifactLocation", {{"uri", pkg_uri}, {"index", pkg_index}}}}}});
      }
      json res{{"ruleId", f.rule_id},
               {"ruleIndex", rule_index[f.rule_id]},
               {"level", SarifLevel(f.severity)},
               {"message", {{"text", f.message_en.empty() ? f.rule_id : f.message_en}}},
               {"locations", locations},
               {"partialFingerprints", {{"shelfguardFinding/v1", Fingerprint(r, f)}}},
               {"properties",
                {{"severity", SeverityName(f.severity)},
                 {"message_zh", f.message_zh},
                 {"basis", f.basis},
                 {"package", facts.package.id},
                 {"package_file", facts.file},
                 {"sha256", facts.sha256},
                 {"evidence", EvidenceArray(f.evidence)}}}};
      if (f.suppression) {
        res["suppressions"] = json::array({{{"kind", "external"},
                                            {"status", "accepted"},
                                            {"justification", f.suppression->reason},
                                            {"properties",
                                             {{"author", f.suppression->author},
                                              {"expires", f.suppression->expires},
                                              {"entry", f.suppression->entry}}}}});
      }
      results.push_back(std::move(res));
    }
  }
  json config_notes = json::array();
  for (const auto& w : options.warnings) {
    config_notes.push_back({{"level", "warning"}, {"message", {{"text", w}}}});
  }
  json invocation{{"executionSuccessful", all_analysed},
                  {"properties",
                   {{"signatures_versions", json(std::vector<std::string>(sig_versions.begin(), sig_versions.end()))},
                    {"registry_versions", json(std::vector<std::string>(reg_versions.begin(), reg_versions.end()))}}}};
  if (!notifications.empty()) invocation["toolExecutionNotifications"] = notifications;
  if (!config_notes.empty()) invocation["toolConfigurationNotifications"] = config_notes;

  json driver{{"name", "shelfguard"},
              {"version", SHELFGUARD_VERSION},
              {"semanticVersion", SHELFGUARD_VERSION},
              {"informationUri", options.information_uri},
              {"rules", rules}};
  json log{{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
           {"version", "2.1.0"},
           {"runs", json::array({{{"tool", {{"driver", driver}}},
                                  {"invocations", json::array({invocation})},
                                  {"artifacts", artifacts},
                                  {"results", results}}})}};
  return log.dump(options.pretty ? 2 : -1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace shelfguard::report
