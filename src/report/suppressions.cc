#include "report/suppressions.h"

#include <cstdio>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "core/bounded_file.h"
#include "core/time_text.h"
#include "policy/rules.h"

namespace shelfguard::report {
namespace {

bool IsHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

std::string LowerAscii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// The SDK ids a finding's evidence names: Evidence::sdk when the engine set
// it, else the "Name: value" prefix AddSdkEvidence writes, matched against
// the report's SDK list by id or name.
bool FindingNamesSdk(const Report& r, const Finding& f, const std::string& sdk) {
  for (const auto& e : f.evidence)
    if (e.sdk == sdk) return true;
  for (const auto& hit : r.facts.sdks) {
    if (hit.id != sdk) continue;
    for (const auto& e : f.evidence) {
      if (e.kind == "sdk" && e.value == hit.id) return true;
      const std::string& name = hit.name.empty() ? hit.id : hit.name;
      if (e.value.size() > name.size() + 1 && e.value.compare(0, name.size(), name) == 0 &&
          e.value.compare(name.size(), 2, ": ") == 0) {
        return true;
      }
    }
  }
  return false;
}

bool Matches(const SuppressionEntry& s, const Report& r, const Finding& f) {
  if (s.rule != f.rule_id) return false;
  if (!s.package.empty() && s.package != r.facts.package.id) return false;
  if (!s.provider.empty() && (!r.filing || s.provider != r.filing->credit_code)) return false;
  if (!s.sha256.empty() && s.sha256 != LowerAscii(r.facts.sha256)) return false;
  if (!s.sdk.empty() && !FindingNamesSdk(r, f, s.sdk)) return false;
  return true;
}

}  // namespace

Result<Suppressions> Suppressions::Load(const std::string& path) {
  auto text = ReadFileBounded(path, kMaxSuppressionFileBytes, "suppressions file");
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

Result<Suppressions> Suppressions::Parse(std::string_view text, const std::string& name) {
  if (text.size() > kMaxSuppressionFileBytes) {
    return Status::OverLimit(name + ": suppressions file larger than " +
                             std::to_string(kMaxSuppressionFileBytes) + " bytes");
  }
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << name << ": line " << e.source().begin.line << ": not valid TOML: " << e.description();
    return Status::Invalid(os.str());
  } catch (const std::exception& e) {  // toml++ may also throw on allocation
    return Status::Invalid(name + ": not valid TOML: " + e.what());
  }
  for (const auto& [k, v] : root) {
    if (k.str() != "suppress") {
      return Status::Invalid(name + ": line " + std::to_string(v.source().begin.line) + ": unknown key '" +
                             std::string(k.str()) + "' (only [[suppress]] entries are allowed)");
    }
  }
  Suppressions out;
  out.name_ = name;
  const toml::node* node = root.get("suppress");
  if (node == nullptr) return out;  // an empty file suppresses nothing
  const toml::array* arr = node->as_array();
  if (arr == nullptr || !arr->is_array_of_tables()) {
    return Status::Invalid(name + ": 'suppress' must be written as [[suppress]] entries");
  }
  if (arr->size() > kMaxSuppressionEntries) {
    return Status::OverLimit(name + ": " + std::to_string(arr->size()) + " [[suppress]] entries (limit " +
                             std::to_string(kMaxSuppressionEntries) + ")");
  }
  static const std::set<std::string> kKeys = {"rule", "package", "provider", "sdk", "sha256",
                                              "reason", "author", "expires"};
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table& t = *(*arr)[i].as_table();
    SuppressionEntry s;
    s.number = static_cast<int>(i + 1);
    s.line = static_cast<int>(t.source().begin.line);
    const std::string where = name + ": [[suppress]] #" + std::to_string(s.number) + " (line " +
                              std::to_string(s.line) + ")";
    auto bad = [&](const std::string& field, const std::string& why) {
      return Status::Invalid(where + ": field '" + field + "' " + why);
    };
    for (const auto& [k, v] : t) {
      if (kKeys.count(std::string(k.str())) == 0) return bad(std::string(k.str()), "is not a known field");
    }
    auto str = [&](const char* key, std::string* out) -> Status {
      const toml::node* n = t.get(key);
      if (n == nullptr) return Status::Ok();
      auto v = n->value<std::string>();
      if (!v) return bad(key, "must be a string");
      *out = *v;
      if (out->empty()) return bad(key, "must not be empty");
      return Status::Ok();
    };
    for (auto [key, member] : {std::pair{"rule", &s.rule}, {"package", &s.package}, {"provider", &s.provider},
                               {"sdk", &s.sdk}, {"sha256", &s.sha256}, {"reason", &s.reason},
                               {"author", &s.author}}) {
      SG_RETURN_IF_ERROR(str(key, member));
    }
    if (s.rule.empty()) return bad("rule", "is required (a rule id such as CONTENT-AD-SDK)");
    bool known = s.rule == "SCAN-MANIFEST-ONLY";
    for (const auto& r : policy::RuleList()) known = known || s.rule == r.id;
    if (!known) return bad("rule", "names no rule: '" + s.rule + "'");
    if (s.package.empty() && s.provider.empty() && s.sdk.empty() && s.sha256.empty()) {
      return bad("package", "missing: an entry needs one or more of package, provider, sdk, sha256");
    }
    if (!s.sha256.empty() && !IsHex64(s.sha256)) return bad("sha256", "must be 64 hex digits");
    s.sha256 = LowerAscii(s.sha256);
    if (s.reason.empty()) return bad("reason", "is required");
    if (s.author.empty()) return bad("author", "is required");
    const toml::node* ex = t.get("expires");
    if (ex == nullptr) return bad("expires", "is required (a date YYYY-MM-DD)");
    if (auto d = ex->value<toml::date>()) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(d->year), static_cast<int>(d->month),
                    static_cast<int>(d->day));
      s.expires = buf;
    } else if (auto str_date = ex->value<std::string>()) {
      s.expires = *str_date;
    } else {
      return bad("expires", "must be a date YYYY-MM-DD");
    }
    if (!policy::IsIsoDate(s.expires)) return bad("expires", "is not a real date YYYY-MM-DD: '" + s.expires + "'");
    out.entries_.push_back(std::move(s));
  }
  return out;
}

void Suppressions::Apply(Report* report, std::string_view today, std::vector<uint64_t>* hits) const {
  hits->resize(entries_.size(), 0);
  bool changed = false;
  for (auto& f : report->findings) {
    if (f.suppression) continue;
    for (size_t i = 0; i < entries_.size(); ++i) {
      const SuppressionEntry& s = entries_[i];
      if (s.expires < today) continue;  // ISO dates compare as strings
      if (!Matches(s, *report, f)) continue;
      f.suppression = Suppression{s.reason, s.author, s.expires,
                                  name_ + " [[suppress]] #" + std::to_string(s.number)};
      ++(*hits)[i];
      changed = true;
      break;
    }
  }
  if (changed) ComputeVerdict(report);
}

std::vector<std::string> Suppressions::Warnings(const std::vector<uint64_t>& hits, std::string_view today) const {
  std::vector<std::string> out;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const SuppressionEntry& s = entries_[i];
    std::string where = name_ + ": [[suppress]] #" + std::to_string(s.number) + " (line " +
                        std::to_string(s.line) + ", rule " + s.rule + ")";
    if (s.expires < today) {
      out.push_back(where + " expired on " + s.expires + "; its findings count again");
    } else if (i >= hits.size() || hits[i] == 0) {
      out.push_back(where + " matched no finding");
    }
  }
  return out;
}

std::string Today() { return LocalDate(); }

}  // namespace shelfguard::report
