#include "queue/message.h"

#include <ctime>

#include <nlohmann/json.hpp>

#include "shelfguard/engine.h"

namespace shelfguard::queue {
namespace {

// ordered: messages keep the field order written below (id, type, ... first).
using json = nlohmann::ordered_json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json EvidenceJson(const std::vector<Evidence>& ev) {
  json a = json::array();
  for (const auto& e : ev) {
    json j = {{"kind", e.kind}, {"location", e.location}, {"value", e.value},
              {"referenced", e.referenced}};
    if (!e.sdk.empty()) j["sdk"] = e.sdk;  // as in the report (docs/report-format.md)
    a.push_back(std::move(j));
  }
  return a;
}

json PackageJson(const ScanOutcome& o) {
  return {{"file", o.file},
          {"sha256", o.sha256},
          {"size", o.size},
          {"platform", PlatformName(o.package.platform)},
          {"id", o.package.id},
          {"label", o.package.label},
          {"version_name", o.package.version_name},
          {"version_code", o.package.version_code}};
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string ToIso8601(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

ScanOutcome OutcomeFromReport(const Report& r) {
  ScanOutcome o;
  o.analysed = r.facts.analysed;
  o.file = r.facts.file;
  o.sha256 = r.facts.sha256;
  o.size = r.facts.size;
  o.verdict = r.facts.analysed ? SeverityName(r.verdict) : "error";
  if (!r.facts.analysed) {
    o.error = r.facts.errors.empty() ? "not analysed"
                                     : r.facts.errors[0].code + ": " + r.facts.errors[0].message;
  }
  o.package = r.facts.package;
  o.findings = r.findings;
  o.report = ReportToJson(r, false);
  return o;
}

ScanOutcome ErrorOutcome(const std::string& file, const std::string& sha256, uint64_t size,
                         const std::string& code, const std::string& message) {
  Report r;
  r.facts.file = file;
  r.facts.sha256 = sha256;
  r.facts.size = size;
  r.facts.errors.push_back({code, message});
  ComputeVerdict(&r);
  return OutcomeFromReport(r);
}

std::string SerializeOutcome(const ScanOutcome& o) {
  json f = json::array();
  for (const auto& x : o.findings) {
    f.push_back({{"rule_id", x.rule_id},
                 {"severity", SeverityName(x.severity)},
                 {"message_en", x.message_en},
                 {"message_zh", x.message_zh},
                 {"basis", x.basis},
                 {"evidence", EvidenceJson(x.evidence)}});
  }
  json j = {{"analysed", o.analysed}, {"verdict", o.verdict}, {"error", o.error},
            {"package", PackageJson(o)}, {"findings", f},     {"report", o.report}};
  return Dump(j);
}

Result<ScanOutcome> ParseOutcome(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Malformed("scan outcome is not JSON");
  ScanOutcome o;
  try {
    o.analysed = j.value("analysed", false);
    o.verdict = Str(j, "verdict");
    o.error = Str(j, "error");
    o.report = Str(j, "report");
    const json& p = j.at("package");
    o.file = Str(p, "file");
    o.sha256 = Str(p, "sha256");
    o.size = p.value("size", uint64_t{0});
    std::string plat = Str(p, "platform");
    // Every platform PlatformName() prints reads back as itself.
    o.package.platform = Platform::kUnknown;
    for (Platform p : {Platform::kAndroid, Platform::kIos, Platform::kHarmony, Platform::kMiniProgram}) {
      if (plat == PlatformName(p)) o.package.platform = p;
    }
    o.package.id = Str(p, "id");
    o.package.label = Str(p, "label");
    o.package.version_name = Str(p, "version_name");
    o.package.version_code = Str(p, "version_code");
    for (const auto& x : j.at("findings")) {
      Finding f;
      f.rule_id = Str(x, "rule_id");
      f.severity = ParseSeverity(Str(x, "severity")).value_or(Severity::kInfo);
      f.message_en = Str(x, "message_en");
      f.message_zh = Str(x, "message_zh");
      f.basis = Str(x, "basis");
      for (const auto& e : x.at("evidence")) {
        f.evidence.push_back({Str(e, "kind"), Str(e, "location"), Str(e, "value"),
                              e.value("referenced", false), Str(e, "sdk")});
      }
      o.findings.push_back(std::move(f));
    }
  } catch (const json::exception& e) {
    return Status::Malformed(std::string("scan outcome: ") + e.what());
  }
  return o;
}

std::string MessageId(const std::string& package_sha256, const Finding& f) {
  std::string key = package_sha256 + "\n" + f.rule_id + "\n";
  for (const auto& e : f.evidence) key += e.kind + "\t" + e.location + "\t" + e.value + "\n";
  return Sha256Hex(key);
}

std::string FindingMessage(const ScanOutcome& o, const Finding& f, const MessageContext& ctx,
                           const char* type) {
  json j = {{"id", MessageId(o.sha256, f)},
            {"type", type},
            {"job_id", ctx.job_id},
            {"source", ctx.source},
            {"package", PackageJson(o)},
            {"verdict", o.verdict},
            {"rule_id", f.rule_id},
            {"severity", SeverityName(f.severity)},
            {"message_en", f.message_en},
            {"message_zh", f.message_zh},
            {"basis", f.basis},
            {"evidence", EvidenceJson(f.evidence)},
            {"signatures_version", ctx.signatures_version},
            {"registry_version", ctx.registry_version},
            {"scanned_at", ToIso8601(ctx.scanned_ms)}};
  return Dump(j);
}

std::vector<OutboxMessage> OutboxMessages(const ScanOutcome& o, const MessageContext& ctx,
                                          Severity min_severity) {
  std::vector<OutboxMessage> out;
  for (const auto& f : o.findings) {
    if (f.severity < min_severity || f.severity == Severity::kPass) continue;
    out.push_back({MessageId(o.sha256, f), FindingMessage(o, f, ctx, "violation"), 0});
  }
  return out;
}

}  // namespace shelfguard::queue
