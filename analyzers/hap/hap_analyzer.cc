#include "hap/hap_analyzer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "assets/asset_analyzer.h"
#include "core/decimal.h"
#include "hap/abc_reader.h"
#include "hap/harmony_permissions.h"
#include "shelfguard/byte_reader.h"

namespace shelfguard {
namespace {

using json = nlohmann::json;

// module.json / config.json / pack.info / pkgContextInfo.json are small
// generated files; more is hostile.
constexpr uint64_t kMaxConfigBytes = 4u << 20;
// Displayed texts under resources/rawfile/ (and FA-model assets/js/):
// per file and in total, like the asset analyzer's caps.
constexpr uint64_t kMaxRawTextFileBytes = 2u << 20;
constexpr uint64_t kMaxRawTextTotalBytes = 32u << 20;
constexpr size_t kMaxRawTextFiles = 2000;
constexpr size_t kMaxResourceStrings = 200000;
// Module references kept in the facts (all of them feed the matcher).
constexpr size_t kMaxFactModuleRefs = 500;
// Abilities, permissions ... read from one module file.
constexpr size_t kMaxDeclarations = 5000;
// Host names taken from one string table.
constexpr size_t kMaxHostsPerTable = 20000;

bool EndsWith(std::string_view s, std::string_view suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}
bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool HasDigit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Previewer builds store Windows paths ("ets\\modules.abc"); HarmonyOS
// tools treat both separators alike, so names are compared with '/'.
std::string NormName(std::string_view n) {
  std::string s(n);
  std::replace(s.begin(), s.end(), '\\', '/');
  return s;
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return "";
}
std::optional<int64_t> Int(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_unsigned()) return static_cast<int64_t>(std::min<uint64_t>(it->get<uint64_t>(), INT64_MAX));
  if (it->is_string()) {
    // 18 digits at most: the value fits int64_t.
    if (auto v = ParseDecimal(it->get_ref<const std::string&>(), 18)) return static_cast<int64_t>(*v);
  }
  return std::nullopt;
}
const json* Obj(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? &*it : nullptr;
}
const json* Arr(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? &*it : nullptr;
}
std::vector<std::string> StrList(const json& j, const char* key) {
  std::vector<std::string> out;
  if (const json* a = Arr(j, key)) {
    for (const auto& v : *a) {
      if (out.size() >= kMaxDeclarations) break;
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return std::string(s);
}

bool IsTextName(std::string_view n) {
  static constexpr std::string_view kExt[] = {".html", ".htm", ".txt", ".json", ".js", ".xml",
                                              ".md", ".css", ".ets", ".properties"};
  for (std::string_view e : kExt) {
    if (EndsWith(n, e)) return true;
  }
  return false;
}

class HapAnalyzer : public Analyzer {
 public:
  const char* name() const override { return "hap"; }
  void Analyze(ScanContext* ctx) override;

 private:
  // Reads an entry; false (with the problem recorded) when it cannot be
  // read. Sets *stop when the scan's budget is exhausted.
  bool ReadEntry(const ArchiveEntry& e, uint64_t max, std::string* out, bool* stop);
  std::optional<json> ReadJson(const ArchiveEntry& e, bool* stop);
  void ReadStageModule(const json& root, const std::string& loc);
  void ReadFaModule(const json& root, const std::string& loc);
  // The abilities of mod[key] (the first kMaxDeclarations objects) as
  // components of `kind`, their names in `names`; `exported_key` is
  // "exported" (stage model, default false) or "visible" (FA model).
  void ReadAbilities(const json& mod, const char* key, const char* kind, const char* exported_key,
                     std::vector<std::string>* names);
  // The permissions mod[key] requests (the first kMaxDeclarations).
  void ReadRequestedPermissions(const json& mod, const char* key, const std::string& loc);
  // root[key] when it is an object; otherwise nullptr and the anomaly
  // hap-<file>-json-no-<key> at `loc`.
  const json* Part(const json& root, const char* key, const char* file, const std::string& loc);
  // The "app" part of a module.json (Stage model) or config.json (FA) when
  // it is the first to give the package identity: its bundle name and
  // vendor are taken here, the rest (named differently in the two models)
  // by the caller. nullptr when absent or when an earlier module gave it.
  const json* IdentityApp(const json& root, const char* model, const char* file, const std::string& loc);
  void ReadPackInfo(const json& root);
  void ReadPkgContext(const json& root, const std::string& loc);
  // Sets the min/target API versions not already set.
  void SetApiVersions(std::optional<int64_t> min, std::optional<int64_t> target);
  void AddPermission(const std::string& raw, const std::string& reason, const std::string& loc);
  void AnalyzeAbc(std::string_view bytes, const std::string& loc);
  void AnalyzeResourceIndex(std::string_view bytes, const std::string& loc);
  void HostTable(const std::string& loc, const std::vector<std::string_view>& strings);
  void ModuleTable(const std::string& loc, const std::vector<std::string>& packages, bool referenced);

  ScanContext* ctx_ = nullptr;
  Facts* facts_ = nullptr;
  std::string prefix_;  // "entry-default.hap/" inside an .app, else ""
};

bool HapAnalyzer::ReadEntry(const ArchiveEntry& e, uint64_t max, std::string* out, bool* stop) {
  auto bytes = ctx_->archive()->Read(e, max);
  if (!bytes.ok()) {
    const Status& st = bytes.status();
    if (st.code() == "over-limit" || st.code() == "timeout") {
      ctx_->AddError(st);
      *stop = true;
    } else {
      ctx_->AddAnomaly("hap-entry-unreadable", prefix_ + NormName(e.name), st.message());
    }
    return false;
  }
  *out = std::move(bytes).value();
  return true;
}

std::optional<json> HapAnalyzer::ReadJson(const ArchiveEntry& e, bool* stop) {
  const std::string loc = prefix_ + NormName(e.name);
  if (e.size > kMaxConfigBytes) {
    ctx_->AddAnomaly("hap-config-too-large", loc,
                     std::to_string(e.size) + " bytes, over " + std::to_string(kMaxConfigBytes));
    return std::nullopt;
  }
  std::string text;
  if (!ReadEntry(e, kMaxConfigBytes + 1, &text, stop)) return std::nullopt;
  if (text.size() > kMaxConfigBytes) {
    ctx_->AddAnomaly("hap-config-too-large", loc, "inflates past " + std::to_string(kMaxConfigBytes));
    return std::nullopt;
  }
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    ctx_->AddAnomaly("hap-config-malformed", loc, "not a JSON object");
    return std::nullopt;
  }
  return j;
}

void HapAnalyzer::SetApiVersions(std::optional<int64_t> min, std::optional<int64_t> target) {
  HarmonyFacts& h = facts_->harmony;
  if (min && h.min_api_version.empty()) {
    h.min_api_version = DecodeHarmonyApiVersion(*min);
    facts_->package.min_sdk = HarmonyApiLevel(*min);
  }
  if (target && h.target_api_version.empty()) {
    h.target_api_version = DecodeHarmonyApiVersion(*target);
    facts_->package.target_sdk = HarmonyApiLevel(*target);
  }
}

void HapAnalyzer::AddPermission(const std::string& raw, const std::string& reason,
                                const std::string& loc) {
  std::string name = Trim(raw);
  if (name.empty()) return;
  if (name != raw) {
    ctx_->AddAnomaly("hap-permission-whitespace", loc, "permission name \"" + raw + "\" has blanks");
  }
  HarmonyFacts& h = facts_->harmony;
  if (!reason.empty() && !h.permission_reasons.count(name)) h.permission_reasons[name] = reason;
  for (const Permission& p : facts_->permissions) {
    if (p.name == name) return;
  }
  Permission p;
  p.name = name;
  p.dangerous = !HarmonySensitiveGroup(name).empty();
  p.location = loc;
  facts_->permissions.push_back(std::move(p));
}

// Identity is taken from the first module read (the entry HAP comes first
// in an .app: see the engine); later modules add declarations.
void HapAnalyzer::ReadAbilities(const json& mod, const char* key, const char* kind,
                                const char* exported_key, std::vector<std::string>* names) {
  const json* a = Arr(mod, key);
  if (a == nullptr) return;
  size_t n = 0;
  for (const auto& ab : *a) {
    if (!ab.is_object() || n++ >= kMaxDeclarations) continue;
    std::string name = Str(ab, "name");
    std::string type = Str(ab, "type");
    names->push_back(type.empty() ? name : name + " (" + type + ")");
    Component c;
    c.kind = type.empty() ? kind : std::string(kind) + ":" + type;
    c.name = name;
    // Absent or not a boolean: not exported, and not said explicitly.
    auto ex = ab.find(exported_key);
    c.exported_explicit = ex != ab.end() && ex->is_boolean();
    c.exported = c.exported_explicit && ex->get<bool>();
    c.has_intent_filter = Arr(ab, "skills") != nullptr;
    c.permission = Str(ab, "permission");
    facts_->components.push_back(std::move(c));
  }
}

void HapAnalyzer::ReadRequestedPermissions(const json& mod, const char* key,
                                           const std::string& loc) {
  const json* perms = Arr(mod, key);
  if (perms == nullptr) return;
  size_t n = 0;
  for (const auto& p : *perms) {
    if (!p.is_object() || n++ >= kMaxDeclarations) continue;
    AddPermission(Str(p, "name"), Str(p, "reason"), loc);
  }
}

const json* HapAnalyzer::Part(const json& root, const char* key, const char* file,
                              const std::string& loc) {
  const json* part = Obj(root, key);
  if (part == nullptr) {
    ctx_->AddAnomaly("hap-" + std::string(file) + "-json-no-" + key, loc,
                     std::string(file) + ".json has no \"" + key + "\" object");
  }
  return part;
}

const json* HapAnalyzer::IdentityApp(const json& root, const char* model, const char* file,
                                     const std::string& loc) {
  HarmonyFacts& h = facts_->harmony;
  if (h.model.empty()) h.model = model;
  const json* app = Part(root, "app", file, loc);
  if (app == nullptr || !facts_->package.id.empty()) return nullptr;
  facts_->package.id = Str(*app, "bundleName");
  h.vendor = Str(*app, "vendor");
  return app;
}

void HapAnalyzer::ReadStageModule(const json& root, const std::string& loc) {
  PackageIdentity& pkg = facts_->package;
  HarmonyFacts& h = facts_->harmony;
  if (const json* app = IdentityApp(root, "stage", "module", loc)) {
    pkg.version_name = Str(*app, "versionName");
    pkg.version_code = Str(*app, "versionCode");
    std::string label = Str(*app, "label");
    if (!label.empty() && label[0] != '$') pkg.label = label;
    h.bundle_type = Str(*app, "bundleType");
    if (h.bundle_type.empty()) h.bundle_type = "app";
    h.api_release_type = Str(*app, "apiReleaseType");
    h.compile_sdk = Trim(Str(*app, "compileSdkType") + " " + Str(*app, "compileSdkVersion"));
    auto dbg = app->find("debug");
    h.debug = dbg != app->end() && dbg->is_boolean() && dbg->get<bool>();
    if (h.debug) facts_->app_flags.debuggable = true;
    SetApiVersions(Int(*app, "minAPIVersion"), Int(*app, "targetAPIVersion"));
  }
  const json* mod = Part(root, "module", "module", loc);
  if (mod == nullptr) return;
  HarmonyModule m;
  m.name = Str(*mod, "name");
  m.type = Str(*mod, "type");
  m.location = loc;
  m.device_types = StrList(*mod, "deviceTypes");
  if (m.type == "shared" && h.bundle_type == "app") h.bundle_type = "shared";
  ReadAbilities(*mod, "abilities", "ability", "exported", &m.abilities);
  ReadAbilities(*mod, "extensionAbilities", "extension-ability", "exported",
                &m.extension_abilities);
  ReadRequestedPermissions(*mod, "requestPermissions", loc);
  for (const auto& d : StrList(*mod, "definePermissions")) facts_->defined_permissions.push_back(d);
  h.modules.push_back(std::move(m));
}

void HapAnalyzer::ReadFaModule(const json& root, const std::string& loc) {
  PackageIdentity& pkg = facts_->package;
  HarmonyFacts& h = facts_->harmony;
  if (const json* app = IdentityApp(root, "fa", "config", loc)) {
    if (const json* v = Obj(*app, "version")) {
      pkg.version_name = Str(*v, "name");
      pkg.version_code = Str(*v, "code");
    }
    h.bundle_type = "app";
    if (const json* api = Obj(*app, "apiVersion")) {
      SetApiVersions(Int(*api, "compatible"), Int(*api, "target"));
      h.api_release_type = Str(*api, "releaseType");
    }
  }
  const json* mod = Part(root, "module", "config", loc);
  if (mod == nullptr) return;
  HarmonyModule m;
  m.location = loc;
  if (const json* distro = Obj(*mod, "distro")) {
    m.name = Str(*distro, "moduleName");
    m.type = Str(*distro, "moduleType");
  }
  if (m.name.empty()) m.name = Str(*mod, "package");
  m.device_types = StrList(*mod, "deviceType");
  ReadAbilities(*mod, "abilities", "ability", "visible", &m.abilities);
  ReadRequestedPermissions(*mod, "reqPermissions", loc);
  if (const json* defs = Arr(*mod, "defPermissions")) {
    for (const auto& d : *defs) {
      if (d.is_object() && facts_->defined_permissions.size() < kMaxDeclarations)
        facts_->defined_permissions.push_back(Str(d, "name"));
    }
  }
  h.modules.push_back(std::move(m));
}

// pack.info: the identity of an .app (and a copy inside each HAP). Used when
// no module file gave one.
void HapAnalyzer::ReadPackInfo(const json& root) {
  const json* summary = Obj(root, "summary");
  const json* app = summary != nullptr ? Obj(*summary, "app") : nullptr;
  if (app == nullptr) return;
  PackageIdentity& pkg = facts_->package;
  if (!pkg.id.empty()) return;
  pkg.id = Str(*app, "bundleName");
  if (const json* v = Obj(*app, "version")) {
    pkg.version_name = Str(*v, "name");
    pkg.version_code = Str(*v, "code");
  }
  HarmonyFacts& h = facts_->harmony;
  if (h.bundle_type.empty()) h.bundle_type = Str(*app, "bundleType");
  if (const json* mods = Arr(*summary, "modules")) {
    for (const auto& m : *mods) {
      const json* api = m.is_object() ? Obj(m, "apiVersion") : nullptr;
      if (api == nullptr) continue;
      SetApiVersions(Int(*api, "compatible"), Int(*api, "target"));
      break;
    }
  }
}

// pkgContextInfo.json / pkgSdkInfo.json: the ohpm packages the build
// resolved ("@ohos/axios": {"version": ...}). Present, not necessarily used.
void HapAnalyzer::ReadPkgContext(const json& root, const std::string& loc) {
  std::vector<std::string> packages;
  for (auto it = root.begin(); it != root.end() && packages.size() < kMaxDeclarations; ++it) {
    if (!it.value().is_object()) continue;
    std::string name = Str(it.value(), "packageName");
    if (name.empty()) name = it.key();
    packages.push_back(name);
  }
  ModuleTable(loc, packages, /*referenced=*/false);
}

void HapAnalyzer::ModuleTable(const std::string& loc, const std::vector<std::string>& packages,
                              bool referenced) {
  if (packages.empty()) return;
  std::vector<std::string_view> items(packages.begin(), packages.end());
  std::vector<bool> ref(items.size(), referenced);
  ctx_->Table(EvidenceKind::kHarmonyModule, loc, items, &ref);
}

void HapAnalyzer::HostTable(const std::string& loc, const std::vector<std::string_view>& strings) {
  // Hosts of the URLs in the strings (a bare host name without a scheme is
  // too ambiguous in bytecode strings).
  std::vector<std::string> hosts;
  std::unordered_set<std::string> seen;
  for (std::string_view s : strings) {
    if (hosts.size() >= kMaxHostsPerTable) break;
    if (s.find("://") == std::string_view::npos) continue;
    for (std::string& h : ExtractHosts(s, 64)) {
      if (hosts.size() < kMaxHostsPerTable && seen.insert(h).second) hosts.push_back(std::move(h));
    }
  }
  std::vector<std::string_view> views(hosts.begin(), hosts.end());
  ctx_->Table(EvidenceKind::kHost, loc, views);
}

void HapAnalyzer::AnalyzeAbc(std::string_view bytes, const std::string& loc) {
  CodeUnit unit;
  unit.kind = "abc";
  unit.location = loc;
  auto parsed = abc::ParseAbc(bytes, &ctx_->budget());
  if (!parsed.ok()) {
    if (parsed.status().code() == "over-limit" || parsed.status().code() == "timeout") {
      ctx_->AddError(parsed.status());
    } else {
      ctx_->AddAnomaly("abc-malformed", loc, parsed.status().message());
    }
    unit.note = "not analysed: " + parsed.status().message();
    facts_->code.push_back(std::move(unit));
    return;
  }
  const abc::AbcFile& f = *parsed;
  unit.arch = "ark " + f.version;
  unit.classes = f.num_classes;
  unit.strings = f.strings.size();
  if (f.size_mismatch) {
    unit.note = "declared size " + std::to_string(f.declared_size) + " differs from " +
                std::to_string(bytes.size()) + " bytes";
    ctx_->AddAnomaly("abc-size-mismatch", loc, unit.note);
  }
  if (f.truncated) unit.note += (unit.note.empty() ? "" : "; ") + std::string("string cap reached");
  for (const Anomaly& a : f.anomalies) ctx_->AddAnomaly(a.code, loc + " " + a.location, a.detail);
  facts_->harmony.abc_versions.push_back(loc + ": " + f.version);
  ctx_->Table(EvidenceKind::kString, loc, f.strings);
  HostTable(loc, f.strings);
  for (std::string_view s : f.strings) {
    if (HasDigit(s)) ctx_->Text(loc, s);
  }
  std::vector<std::string> packages;
  std::set<std::string> seen;
  auto& refs = facts_->harmony.module_references;
  for (std::string_view r : f.module_references) {
    std::string pkg = abc::ModulePackage(r);
    if (pkg.empty() || !seen.insert(pkg).second) continue;
    packages.push_back(pkg);
    if (refs.size() < kMaxFactModuleRefs && std::find(refs.begin(), refs.end(), pkg) == refs.end())
      refs.push_back(pkg);
  }
  ModuleTable(loc, packages, /*referenced=*/true);
  facts_->code.push_back(std::move(unit));
}

void HapAnalyzer::AnalyzeResourceIndex(std::string_view bytes, const std::string& loc) {
  std::vector<std::string_view> strings = ResourceIndexStrings(bytes, kMaxResourceStrings);
  ctx_->Table(EvidenceKind::kString, loc, strings);
  HostTable(loc, strings);
  for (std::string_view s : strings) ctx_->Text(loc, s);
}

void HapAnalyzer::Analyze(ScanContext* ctx) {
  ctx_ = ctx;
  facts_ = &ctx->facts();
  Archive* archive = ctx->archive();
  if (archive == nullptr) return;
  prefix_ = archive->depth() > 0 ? NormName(archive->label()) + "/" : "";

  std::unordered_map<std::string, const ArchiveEntry*> by_name;
  for (const ArchiveEntry& e : archive->entries()) {
    if (e.directory || e.duplicate) continue;
    by_name.emplace(NormName(e.name), &e);
  }
  auto find = [&](const char* n) -> const ArchiveEntry* {
    auto it = by_name.find(n);
    return it == by_name.end() ? nullptr : it->second;
  };
  bool stop = false;
  bool have_module = false;
  if (const ArchiveEntry* e = find("module.json")) {
    if (auto j = ReadJson(*e, &stop)) {
      ReadStageModule(*j, prefix_ + "module.json");
      have_module = true;
    }
  } else if (const ArchiveEntry* e = find("config.json")) {
    if (auto j = ReadJson(*e, &stop)) {
      ReadFaModule(*j, prefix_ + "config.json");
      have_module = true;
    }
  }
  if (stop) return;
  if (const ArchiveEntry* e = find("pack.info")) {
    if (auto j = ReadJson(*e, &stop)) ReadPackInfo(*j);
  }
  if (!have_module && HapContainerEntries(*archive).empty()) {
    ctx->AddError("hap-no-module", (prefix_.empty() ? facts_->file : prefix_) +
                                       ": HarmonyOS package without module.json or config.json");
  }
  for (const char* n : {"pkgContextInfo.json", "pkgSdkInfo.json"}) {
    if (stop) return;
    if (const ArchiveEntry* e = find(n)) {
      if (auto j = ReadJson(*e, &stop)) ReadPkgContext(*j, prefix_ + n);
    }
  }

  uint64_t text_total = 0;
  size_t text_files = 0;
  for (const ArchiveEntry& e : archive->entries()) {
    if (stop) return;
    if (e.directory || e.duplicate) continue;
    if (ctx->budget().Expired()) {
      ctx->AddError(ctx->budget().CheckDeadline());
      return;
    }
    const std::string n = NormName(e.name);
    const std::string loc = prefix_ + n;
    std::string bytes;
    if (EndsWith(n, ".abc")) {
      if (!ReadEntry(e, 0, &bytes, &stop)) continue;
      AnalyzeAbc(bytes, loc);
    } else if (n == "resources.index" || EndsWith(n, "/resources.index")) {
      if (!ReadEntry(e, 0, &bytes, &stop)) continue;
      AnalyzeResourceIndex(bytes, loc);
    } else if ((n.find("resources/rawfile/") != std::string::npos || StartsWith(n, "assets/js/")) &&
               IsTextName(n) && !EndsWith(n, ".map")) {
      if (text_files >= kMaxRawTextFiles || text_total >= kMaxRawTextTotalBytes) continue;
      uint64_t want = std::min(kMaxRawTextFileBytes, kMaxRawTextTotalBytes - text_total);
      if (!ReadEntry(e, want, &bytes, &stop)) continue;
      ++text_files;
      text_total += bytes.size();
      std::string text = DecodeTextFile(bytes);
      std::vector<std::string> hosts = ExtractHosts(text, 2000);
      std::vector<std::string_view> hv(hosts.begin(), hosts.end());
      ctx->Table(EvidenceKind::kHost, loc, hv);
      ctx->Text(loc, EndsWith(n, ".html") || EndsWith(n, ".htm") ? HtmlToText(text) : text);
    }
  }
}

}  // namespace

std::unique_ptr<Analyzer> NewHapAnalyzer() { return std::make_unique<HapAnalyzer>(); }

std::vector<const ArchiveEntry*> HapContainerEntries(const Archive& a) {
  std::vector<const ArchiveEntry*> out;
  if (a.Find("pack.info") == nullptr || a.Find("module.json") != nullptr ||
      a.Find("config.json") != nullptr)
    return out;
  for (const ArchiveEntry& e : a.entries()) {
    if (e.directory || e.duplicate) continue;
    if (e.name.find('/') != std::string::npos || e.name.find('\\') != std::string::npos) continue;
    // An .app inside an .app is not a layout the tools make, but it opens
    // the same way; the engine bounds how deep that goes.
    if (EndsWith(e.name, ".hap") || EndsWith(e.name, ".hsp") || EndsWith(e.name, ".app"))
      out.push_back(&e);
  }
  // The entry module first: it gives the identity (pack.info lists it too).
  std::stable_sort(out.begin(), out.end(), [](const ArchiveEntry* x, const ArchiveEntry* y) {
    bool ex = x->name.rfind("entry", 0) == 0, ey = y->name.rfind("entry", 0) == 0;
    return ex && !ey;
  });
  return out;
}

bool LooksLikeHap(const Archive& a) {
  if (a.Find("AndroidManifest.xml") != nullptr) return false;
  if (a.Find("module.json") != nullptr) return true;
  if (a.Find("config.json") != nullptr) {
    // FA-model HAPs keep their resources under assets/<module>/ or carry
    // pack.info / Ark bytecode; a bare config.json in some zip is not enough.
    for (const ArchiveEntry& e : a.entries()) {
      if (EndsWith(e.name, "resources.index") || EndsWith(e.name, ".abc") || e.name == "pack.info")
        return true;
    }
    return false;
  }
  return !HapContainerEntries(a).empty();
}

std::string DecodeHarmonyApiVersion(int64_t v) {
  if (v < 0) return std::to_string(v);
  if (v < 1000) return std::to_string(v);
  // Newer releases encode major*10^7 + minor*10^5 + patch*10^3 + api level:
  // 50005017 is HarmonyOS 5.0.5 (API 17).
  int64_t api = v % 1000, patch = (v / 1000) % 100, minor = (v / 100000) % 100, major = v / 10000000;
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch) + "(" +
         std::to_string(api) + ")";
}

int HarmonyApiLevel(int64_t v) {
  if (v < 0) return 0;
  if (v < 1000) return static_cast<int>(v);
  return static_cast<int>(v % 1000);
}

std::vector<std::string_view> ResourceIndexStrings(std::string_view bytes, size_t max) {
  std::vector<std::string_view> out;
  ByteReader r(bytes);
  size_t p = 0;
  while (p + 2 < r.size() && out.size() < max) {
    uint16_t len = r.LEAt<uint16_t>(p).value_or(0);
    auto value = r.BytesAt(p + 2, len);
    if (len < 2 || !value) {
      ++p;
      continue;
    }
    std::string_view s = *value;
    bool ok = true;
    size_t i = 0;
    // Well-formed UTF-8 without control characters; a value ends at a NUL,
    // the next record's length or the end of the file.
    while (ok && i < s.size()) {
      uint8_t c = static_cast<uint8_t>(s[i]);
      size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
      if (n == 0 || n > s.size() - i || (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
        ok = false;
        break;
      }
      for (size_t k = 1; k < n; ++k) ok = ok && (static_cast<uint8_t>(s[i + k]) & 0xc0) == 0x80;
      i += n;
    }
    if (!ok) {
      ++p;
      continue;
    }
    out.push_back(s);
    p += 2 + len;
    if (p < r.size() && bytes[p] == '\0') ++p;
  }
  return out;
}

}  // namespace shelfguard
