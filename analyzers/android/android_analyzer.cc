// The AndroidManifest.xml + resources.arsc analyzer: package identity, SDK
// levels, permissions, application flags and components, with resource
// references resolved through resources.arsc.
//
// Semantics follow what the platform (PackageParser) and `aapt dump badging`
// do: android: attributes are found by resource id, never by name; only
// direct children of <manifest> (depth 2) and of <application> (depth 3)
// count, as in both.
#include "android/android_analyzer.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "android/dangerous_permissions.h"
#include "arsc/arsc_parser.h"
#include "axml/axml_parser.h"

namespace shelfguard {
namespace {

constexpr const char* kManifestName = "AndroidManifest.xml";
constexpr const char* kArscName = "resources.arsc";
// A network security config is a small XML file; more is hostile.
constexpr uint64_t kMaxNscBytes = 4u << 20;
// Default SDK levels when <uses-sdk> omits them (PackageParser: minSdk 1,
// targetSdk = minSdk).
constexpr int kDefaultMinSdk = 1;
// SDK_INT value the platform uses for a preview codename (CUR_DEVELOPMENT).
constexpr int kCurDevelopment = 10000;

class AndroidManifestAnalyzer : public Analyzer {
 public:
  const char* name() const override { return "android"; }
  void Analyze(ScanContext* ctx) override;

 private:
  void LoadResources();
  std::optional<std::string> StringOf(const AxmlAttribute* a, const char* what);
  std::optional<int64_t> IntOf(const AxmlAttribute* a);
  std::optional<bool> BoolOf(const AxmlAttribute* a);
  // The attribute's typed value, a resource reference resolved through
  // resources.arsc when there is one; nullopt when it does not resolve.
  std::optional<ResValue> ValueOf(const AxmlAttribute& a);
  void ReadSdk(const AxmlNode& n);
  void ReadPermission(const AxmlNode& n, bool sdk23);
  void ReadApplication(const AxmlDocument& doc, size_t app_index);
  void ReadNetworkSecurityConfig(const AxmlAttribute* a);
  std::string QualifyClass(const std::string& cls) const;

  ScanContext* ctx_ = nullptr;
  Facts* facts_ = nullptr;
  std::optional<ArscTable> arsc_;
  std::optional<int> min_sdk_, target_sdk_;
  // <meta-data android:name> anywhere under <application>: SDKs are
  // configured through keys of their own (UMENG_APPKEY, JPUSH_APPKEY), which
  // stay readable when a packer hides every class.
  std::vector<std::string> meta_data_names_;
};

// "package" on <manifest> has no namespace; aapt finds it by name.
const AxmlAttribute* FindPlain(const AxmlNode& n, std::string_view name) {
  for (const auto& a : n.attrs) {
    if (a.ns.empty() && a.name == name) return &a;
  }
  return nullptr;
}

void AndroidManifestAnalyzer::LoadResources() {
  Archive* archive = ctx_->archive();
  const ArchiveEntry* e = archive->Find(kArscName);
  if (e == nullptr) return;
  auto bytes = archive->Read(*e);
  if (!bytes.ok()) {
    ctx_->AddAnomaly("arsc-unreadable", kArscName, bytes.status().ToString());
    if (bytes.status().code() == "over-limit" || bytes.status().code() == "timeout")
      ctx_->AddError(bytes.status());
    return;
  }
  auto table = ParseArsc(*bytes, &ctx_->budget());
  if (!table.ok()) {
    ctx_->AddAnomaly("arsc-malformed", kArscName, table.status().ToString());
    if (table.status().code() == "over-limit" || table.status().code() == "timeout")
      ctx_->AddError(table.status());
    return;
  }
  for (const auto& an : table->anomalies) ctx_->AddAnomaly(an.code, an.location, an.detail);
  arsc_ = std::move(table).value();
}

std::optional<std::string> AndroidManifestAnalyzer::StringOf(const AxmlAttribute* a,
                                                             const char* what) {
  if (a == nullptr) return std::nullopt;
  if (a->type == kTypeString || (a->type == kTypeNull && a->has_raw)) return std::string(a->string_value);
  if (IsReferenceType(a->type)) {
    if (!arsc_) {
      ctx_->AddAnomaly("manifest-unresolved", kManifestName,
                       std::string(what) + ": reference " + FormatAttribute(*a) +
                           " but no resources.arsc");
      return std::nullopt;
    }
    auto s = arsc_->ValueToString(ResValue{a->type, a->data});
    if (!s.ok()) {
      ctx_->AddAnomaly("manifest-unresolved", kManifestName,
                       std::string(what) + ": " + FormatAttribute(*a) + ": " + s.status().message());
      return std::nullopt;
    }
    return *s;
  }
  return FormatAttribute(*a);
}

std::optional<ResValue> AndroidManifestAnalyzer::ValueOf(const AxmlAttribute& a) {
  ResValue v{a.type, a.data};
  if (!IsReferenceType(v.type) || !arsc_) return v;
  auto r = arsc_->ResolveValue(v);
  if (!r.ok()) return std::nullopt;
  return *r;
}

std::optional<int64_t> AndroidManifestAnalyzer::IntOf(const AxmlAttribute* a) {
  if (a == nullptr) return std::nullopt;
  auto resolved = ValueOf(*a);
  if (!resolved) return std::nullopt;
  const ResValue& v = *resolved;
  if (IsIntType(v.type)) return static_cast<int32_t>(v.data);
  if (v.type == kTypeString) {
    // Some tools write numbers as strings; the platform parses them.
    const std::string_view s = a->string_value;
    if (s.empty() || s.size() > 10) return std::nullopt;
    int64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    return n;
  }
  return std::nullopt;
}

std::optional<bool> AndroidManifestAnalyzer::BoolOf(const AxmlAttribute* a) {
  if (a == nullptr) return std::nullopt;
  auto resolved = ValueOf(*a);
  if (!resolved) return std::nullopt;
  const ResValue& v = *resolved;
  if (IsIntType(v.type)) return v.data != 0;
  if (v.type == kTypeString) {
    if (a->string_value == "true") return true;
    if (a->string_value == "false") return false;
  }
  return std::nullopt;
}

void AndroidManifestAnalyzer::ReadSdk(const AxmlNode& n) {
  auto level = [&](uint32_t id, const char* what) -> std::optional<int> {
    const AxmlAttribute* a = n.FindById(id);
    if (a == nullptr) return std::nullopt;
    if (auto v = IntOf(a)) return static_cast<int>(*v);
    // A codename ("VanillaIceCream") marks a preview SDK; the platform
    // treats it as CUR_DEVELOPMENT.
    auto s = StringOf(a, what);
    if (s && !s->empty()) {
      ctx_->AddAnomaly("sdk-codename", kManifestName, std::string(what) + "='" + *s + "'");
      return kCurDevelopment;
    }
    return std::nullopt;
  };
  if (auto v = level(attr::kMinSdkVersion, "minSdkVersion")) min_sdk_ = v;
  if (auto v = level(attr::kTargetSdkVersion, "targetSdkVersion")) target_sdk_ = v;
}

void AndroidManifestAnalyzer::ReadPermission(const AxmlNode& n, bool sdk23) {
  auto name = StringOf(n.FindById(attr::kName), "uses-permission name");
  if (!name || name->empty()) {
    ctx_->AddAnomaly("permission-no-name", kManifestName,
                     std::string(n.name) + " at line " + std::to_string(n.line) + " has no android:name");
    return;
  }
  for (const auto& p : facts_->permissions) {
    if (p.name == *name) {
      ctx_->AddAnomaly("permission-duplicate", kManifestName, *name);
      return;
    }
  }
  Permission p;
  p.name = *name;
  p.dangerous = IsDangerousPermission(p.name);
  p.sdk23 = sdk23;
  if (auto m = IntOf(n.FindById(attr::kMaxSdkVersion))) p.max_sdk = static_cast<int>(*m);
  facts_->permissions.push_back(std::move(p));
}

std::string AndroidManifestAnalyzer::QualifyClass(const std::string& cls) const {
  // PackageParser.buildClassName: ".Foo" and "Foo" are relative to the package.
  const std::string& pkg = facts_->package.id;
  if (cls.empty() || pkg.empty()) return cls;
  if (cls[0] == '.') return pkg + cls;
  if (cls.find('.') == std::string::npos) return pkg + "." + cls;
  return cls;
}

void AndroidManifestAnalyzer::ReadNetworkSecurityConfig(const AxmlAttribute* a) {
  auto path = StringOf(a, "networkSecurityConfig");
  if (!path) return;
  facts_->app_flags.network_security_config = *path;
  Archive* archive = ctx_->archive();
  const ArchiveEntry* e = archive->Find(*path);
  if (e == nullptr) {
    ctx_->AddAnomaly("nsc-missing", *path, "network security config not in the package");
    return;
  }
  auto bytes = archive->Read(*e, kMaxNscBytes);
  if (!bytes.ok()) {
    ctx_->AddAnomaly("nsc-unreadable", *path, bytes.status().ToString());
    return;
  }
  auto doc = ParseAxml(*bytes, &ctx_->budget());
  if (!doc.ok()) {
    ctx_->AddAnomaly("nsc-malformed", *path, doc.status().ToString());
    return;
  }
  // <base-config>, <domain-config> and <debug-overrides> all carry
  // cleartextTrafficPermitted (no namespace); any "true" permits cleartext
  // somewhere.
  for (const auto& n : doc->nodes) {
    for (const auto& at : n.attrs) {
      if (at.name != "cleartextTrafficPermitted") continue;
      bool on = IsIntType(at.type) ? at.data != 0 : at.string_value == "true";
      if (on) facts_->app_flags.cleartext_permitted_by_nsc = true;
    }
  }
}

void AndroidManifestAnalyzer::ReadApplication(const AxmlDocument& doc, size_t app_index) {
  const AxmlNode& app = doc.nodes[app_index];
  if (auto label = StringOf(app.FindById(attr::kLabel), "application label")) {
    facts_->package.label = *label;
  }
  AppFlags& f = facts_->app_flags;
  f.debuggable = BoolOf(app.FindById(attr::kDebuggable));
  f.allow_backup = BoolOf(app.FindById(attr::kAllowBackup));
  f.uses_cleartext_traffic = BoolOf(app.FindById(attr::kUsesCleartextTraffic));
  if (const AxmlAttribute* nsc = app.FindById(attr::kNetworkSecurityConfig)) {
    ReadNetworkSecurityConfig(nsc);
  }
  std::string app_permission = StringOf(app.FindById(attr::kPermission), "permission").value_or("");
  int target = facts_->package.target_sdk.value_or(kDefaultMinSdk);

  static const std::set<std::string, std::less<>> kKinds = {"activity", "activity-alias", "service",
                                               "receiver", "provider"};
  for (size_t i = app_index + 1; i < doc.nodes.size() && doc.nodes[i].depth > app.depth; ++i) {
    const AxmlNode& n = doc.nodes[i];
    if (n.name != "meta-data") continue;
    auto name = StringOf(n.FindById(attr::kName), "meta-data name");
    if (name && !name->empty()) meta_data_names_.push_back(std::move(*name));
  }
  for (size_t i = app_index + 1; i < doc.nodes.size() && doc.nodes[i].depth > app.depth; ++i) {
    const AxmlNode& n = doc.nodes[i];
    if (n.depth != app.depth + 1 || kKinds.count(n.name) == 0) continue;
    Component c;
    c.kind = n.name;
    c.name = QualifyClass(StringOf(n.FindById(attr::kName), "component name").value_or(""));
    if (c.name.empty()) {
      ctx_->AddAnomaly("component-no-name", kManifestName,
                       std::string(n.name) + " at line " + std::to_string(n.line) + " has no android:name");
    }
    for (size_t j = i + 1; j < doc.nodes.size() && doc.nodes[j].depth > n.depth; ++j) {
      if (doc.nodes[j].depth == n.depth + 1 && doc.nodes[j].name == "intent-filter") {
        c.has_intent_filter = true;
        break;
      }
    }
    std::optional<bool> exported = BoolOf(n.FindById(attr::kExported));
    c.exported_explicit = exported.has_value();
    if (exported) {
      c.exported = *exported;
    } else if (c.kind == "provider") {
      // Providers were exported by default up to API 16.
      c.exported = target <= 16;
    } else if (c.has_intent_filter) {
      // An intent filter implied exported before API 31; from 31 on the
      // attribute is mandatory and the package does not install.
      c.exported = target < 31;
      if (target >= 31) {
        ctx_->AddAnomaly("component-exported-missing", kManifestName,
                         c.name + ": intent-filter without android:exported (targetSdk " +
                             std::to_string(target) + ")");
      }
    }
    c.permission = StringOf(n.FindById(attr::kPermission), "permission").value_or("");
    if (c.kind == "provider") {
      std::string rp = StringOf(n.FindById(attr::kReadPermission), "readPermission").value_or("");
      std::string wp = StringOf(n.FindById(attr::kWritePermission), "writePermission").value_or("");
      if (c.permission.empty() && (!rp.empty() || !wp.empty())) {
        c.permission = rp.empty() ? "write:" + wp : wp.empty() ? "read:" + rp : "read:" + rp + ";write:" + wp;
      }
    } else if (c.permission.empty()) {
      // Activities, services and receivers inherit <application android:permission>.
      c.permission = app_permission;
    }
    c.enabled = BoolOf(n.FindById(attr::kEnabled)).value_or(true);
    facts_->components.push_back(std::move(c));
  }
}

void AndroidManifestAnalyzer::Analyze(ScanContext* ctx) {
  ctx_ = ctx;
  facts_ = &ctx->facts();
  Archive* archive = ctx->archive();
  if (archive == nullptr) {
    // A bare DEX has no manifest. But a DEX that ends in a zip holding
    // AndroidManifest.xml is the Janus polyglot (CVE-2017-13156): Android
    // installs the zip and runs the DEX. Say so, since its manifest was not
    // read.
    std::string_view b = ctx->bare_bytes();
    std::string_view tail = b.size() > (1u << 17) ? b.substr(b.size() - (1u << 17)) : b;
    if (tail.find(std::string_view("PK\x05\x06", 4)) != std::string_view::npos &&
        b.find(kManifestName) != std::string_view::npos) {
      ctx->AddAnomaly("janus-dex-zip", "",
                      "DEX file followed by a zip with AndroidManifest.xml (Janus, CVE-2017-13156); "
                      "the manifest was not analysed");
    }
    return;
  }
  const ArchiveEntry* entry = archive->Find(kManifestName);
  if (entry == nullptr) {
    ctx->AddError("manifest-missing", "no AndroidManifest.xml in the package");
    return;
  }
  auto bytes = archive->Read(*entry);
  if (!bytes.ok()) {
    ctx->AddError(bytes.status().code(), "AndroidManifest.xml: " + bytes.status().message());
    return;
  }
  auto parsed = ParseAxml(*bytes, &ctx->budget());
  if (!parsed.ok()) {
    const Status& st = parsed.status();
    ctx->AddError(st.code() == "malformed" ? "axml-malformed" : st.code(),
                  "AndroidManifest.xml: " + st.message());
    return;
  }
  const AxmlDocument& doc = *parsed;
  for (const auto& an : doc.anomalies) ctx->AddAnomaly(an.code, an.location, an.detail);
  if (doc.nodes.empty()) {
    ctx->AddError("axml-malformed", "AndroidManifest.xml: no elements");
    return;
  }
  const AxmlNode& root = doc.nodes[0];
  if (root.name != "manifest") {
    ctx->AddAnomaly("manifest-bad-root", kManifestName, "root element is '" + std::string(root.name) + "'");
  }
  LoadResources();

  PackageIdentity& id = facts_->package;
  id.platform = Platform::kAndroid;
  if (const AxmlAttribute* p = FindPlain(root, "package")) id.id.assign(p->string_value);
  if (id.id.empty()) ctx->AddError("manifest-no-package", "AndroidManifest.xml: no package name");
  if (auto vc = IntOf(root.FindById(attr::kVersionCode))) {
    id.version_code = std::to_string(static_cast<uint32_t>(*vc));
  }
  if (auto vn = StringOf(root.FindById(attr::kVersionName), "versionName")) id.version_name = *vn;

  // First pass over the children of <manifest>: SDK first, since component
  // defaults depend on targetSdk.
  bool seen_sdk = false;
  for (const auto& n : doc.nodes) {
    if (n.depth != 2 || n.name != "uses-sdk") continue;
    if (seen_sdk) {
      ctx->AddAnomaly("manifest-multiple-uses-sdk", kManifestName, "only the first is used");
      continue;
    }
    seen_sdk = true;
    ReadSdk(n);
  }
  id.min_sdk = min_sdk_.value_or(kDefaultMinSdk);
  id.target_sdk = target_sdk_ ? *target_sdk_ : *id.min_sdk;

  bool seen_app = false;
  for (size_t i = 0; i < doc.nodes.size(); ++i) {
    const AxmlNode& n = doc.nodes[i];
    if (n.depth != 2) continue;
    if (n.name == "uses-permission") {
      ReadPermission(n, false);
    } else if (n.name == "uses-permission-sdk-23" || n.name == "uses-permission-sdk-m") {
      ReadPermission(n, true);
    } else if (n.name == "permission") {
      if (auto name = StringOf(n.FindById(attr::kName), "permission name"); name && !name->empty())
        facts_->defined_permissions.push_back(*name);
    } else if (n.name == "application") {
      if (seen_app) {
        ctx->AddAnomaly("manifest-multiple-application", kManifestName, "only the first is used");
        continue;
      }
      seen_app = true;
      ReadApplication(doc, i);
    }
  }

  std::vector<std::string_view> names;
  names.reserve(facts_->components.size());
  for (const auto& c : facts_->components)
    if (!c.name.empty()) names.push_back(c.name);
  ctx->Table(EvidenceKind::kComponent, kManifestName, names);
  names.assign(meta_data_names_.begin(), meta_data_names_.end());
  ctx->Table(EvidenceKind::kMetaData, kManifestName, names);

  if (arsc_) {
    std::string location;
    arsc_->ForEachString([&](const ArscStringValue& v) {
      location.assign("resources.arsc:").append(v.name);
      if (!v.config.empty()) location.append(1, '[').append(v.config).append(1, ']');
      ctx->Text(location, v.value);
    });
  }
}

}  // namespace

std::unique_ptr<Analyzer> NewAndroidManifestAnalyzer() {
  return std::make_unique<AndroidManifestAnalyzer>();
}

}  // namespace shelfguard
