#include "aab/aab_analyzer.h"

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "aapt2_resources.pb.h"
#include "android/dangerous_permissions.h"
#include "app_dependencies.pb.h"
#include "bundle_config.pb.h"
#include "core/decimal.h"

namespace shelfguard {
namespace {

namespace pb = aab::pb;

// android: attribute resource ids (frameworks/base/core/res/res/values/public.xml).
constexpr uint32_t kAttrLabel = 0x01010001;
constexpr uint32_t kAttrName = 0x01010003;
constexpr uint32_t kAttrPermission = 0x01010006;
constexpr uint32_t kAttrEnabled = 0x0101000e;
constexpr uint32_t kAttrDebuggable = 0x0101000f;
constexpr uint32_t kAttrExported = 0x01010010;
constexpr uint32_t kAttrMinSdk = 0x0101020c;
constexpr uint32_t kAttrVersionCode = 0x0101021b;
constexpr uint32_t kAttrVersionName = 0x0101021c;
constexpr uint32_t kAttrTargetSdk = 0x01010270;
constexpr uint32_t kAttrMaxSdk = 0x01010271;
constexpr uint32_t kAttrAllowBackup = 0x01010280;
constexpr uint32_t kAttrCleartext = 0x010104ec;

constexpr uint64_t kMaxManifestBytes = 8u << 20;
constexpr uint64_t kMaxResourcesBytes = 64u << 20;
constexpr uint64_t kMaxDependenciesBytes = 16u << 20;
constexpr uint64_t kMaxMapBytes = 128u << 20;
constexpr size_t kMaxMapClasses = 2000000;
constexpr int kMaxXmlDepth = 64;
// Protobuf nesting is bounded by the library (100); message size by ours.
constexpr const char* kDependencies = "BUNDLE-METADATA/com.android.tools.build.libraries/dependencies.pb";
constexpr const char* kProguardMap = "BUNDLE-METADATA/com.android.tools.build.obfuscation/proguard.map";

bool EndsWith(std::string_view s, std::string_view suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

template <typename Msg>
bool ParseMessage(std::string_view bytes, Msg* msg) {
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) return false;
  return msg->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

const pb::XmlAttribute* FindAttr(const pb::XmlElement& e, uint32_t id) {
  for (const auto& a : e.attribute())
    if (a.resource_id() == id) return &a;
  return nullptr;
}
const pb::XmlAttribute* FindPlainAttr(const pb::XmlElement& e, std::string_view name) {
  for (const auto& a : e.attribute())
    if (a.namespace_uri().empty() && a.name() == name) return &a;
  return nullptr;
}

std::optional<int64_t> IntOf(const pb::XmlAttribute* a) {
  if (a == nullptr) return std::nullopt;
  if (a->has_compiled_item() && a->compiled_item().has_prim()) {
    const auto& p = a->compiled_item().prim();
    if (p.has_int_decimal_value()) return p.int_decimal_value();
    if (p.has_int_hexadecimal_value()) return p.int_hexadecimal_value();
  }
  // Some tools write numbers as strings; the platform parses them.
  if (auto v = ParseDecimal(a->value(), 10)) return static_cast<int64_t>(*v);
  return std::nullopt;
}

std::optional<bool> BoolOf(const pb::XmlAttribute* a) {
  if (a == nullptr) return std::nullopt;
  if (a->has_compiled_item() && a->compiled_item().has_prim() &&
      a->compiled_item().prim().has_boolean_value())
    return a->compiled_item().prim().boolean_value();
  if (a->value() == "true") return true;
  if (a->value() == "false") return false;
  return std::nullopt;
}

class AabAnalyzer : public Analyzer {
 public:
  const char* name() const override { return "aab"; }
  void Analyze(ScanContext* ctx) override;

 private:
  bool Read(const ArchiveEntry& e, uint64_t max, std::string* out);
  void LoadResources(const std::string& module, const pb::ResourceTable& table);
  std::string StringOf(const pb::XmlAttribute* a);
  void ReadManifest(const pb::XmlElement& root, const std::string& module, bool base);
  void ReadApplication(const pb::XmlElement& app, bool base);
  void ReadDependencies();
  void ReadProguardMap();

  ScanContext* ctx_ = nullptr;
  Facts* facts_ = nullptr;
  bool stop_ = false;
  // Resource id -> string value in the default configuration (base module).
  std::map<uint32_t, std::string> strings_;
  std::vector<std::string> component_names_;
  // <meta-data android:name> of <application> and its components: SDK keys
  // (UMENG_APPKEY, ...), as in an APK's manifest.
  std::vector<std::string> meta_data_names_;
};

bool AabAnalyzer::Read(const ArchiveEntry& e, uint64_t max, std::string* out) {
  if (e.size > max) {
    ctx_->AddAnomaly("aab-entry-too-large", e.name, std::to_string(e.size) + " bytes");
    return false;
  }
  auto b = ctx_->archive()->Read(e, max + 1);
  if (!b.ok()) {
    if (b.status().code() == "over-limit" || b.status().code() == "timeout") {
      ctx_->AddError(b.status());
      stop_ = true;
    } else {
      ctx_->AddAnomaly("aab-entry-unreadable", e.name, b.status().message());
    }
    return false;
  }
  if (b->size() > max) {
    ctx_->AddAnomaly("aab-entry-too-large", e.name, "inflates past " + std::to_string(max));
    return false;
  }
  *out = std::move(b).value();
  return true;
}

void AabAnalyzer::LoadResources(const std::string& module, const pb::ResourceTable& table) {
  for (const auto& pkg : table.package()) {
    uint32_t pid = pkg.package_id().id();
    for (const auto& type : pkg.type()) {
      uint32_t tid = type.type_id().id();
      for (const auto& entry : type.entry()) {
        uint32_t id = (pid << 24) | ((tid & 0xff) << 16) | (entry.entry_id().id() & 0xffff);
        for (const auto& cv : entry.config_value()) {
          if (!cv.value().has_item()) continue;
          const pb::Item& item = cv.value().item();
          std::string text = item.has_str() ? item.str().value()
                             : item.has_raw_str() ? item.raw_str().value()
                             : item.has_styled_str() ? item.styled_str().value() : std::string();
          if (text.empty()) continue;
          ctx_->Text(module + "/resources.pb:" + type.name() + "/" + entry.name(), text);
          // The default configuration is the empty one.
          if (module == "base" && cv.config().ByteSizeLong() == 0) strings_.emplace(id, text);
        }
      }
    }
  }
}

std::string AabAnalyzer::StringOf(const pb::XmlAttribute* a) {
  if (a == nullptr) return "";
  if (a->has_compiled_item() && a->compiled_item().has_ref()) {
    auto it = strings_.find(a->compiled_item().ref().id());
    if (it != strings_.end()) return it->second;
  }
  if (a->has_compiled_item() && a->compiled_item().has_str()) return a->compiled_item().str().value();
  return a->value();
}

void AabAnalyzer::ReadApplication(const pb::XmlElement& app, bool base) {
  if (base) {
    if (const auto* l = FindAttr(app, kAttrLabel)) facts_->package.label = StringOf(l);
    facts_->app_flags.debuggable = BoolOf(FindAttr(app, kAttrDebuggable));
    facts_->app_flags.allow_backup = BoolOf(FindAttr(app, kAttrAllowBackup));
    facts_->app_flags.uses_cleartext_traffic = BoolOf(FindAttr(app, kAttrCleartext));
  }
  static const std::set<std::string> kKinds = {"activity", "activity-alias", "service", "receiver",
                                               "provider"};
  auto meta_data = [&](const pb::XmlElement& e) {
    if (e.name() != "meta-data") return;
    std::string name = StringOf(FindAttr(e, kAttrName));
    if (!name.empty()) meta_data_names_.push_back(std::move(name));
  };
  for (const auto& child : app.child()) {
    if (child.has_element()) meta_data(child.element());
    if (!child.has_element() || !kKinds.count(child.element().name())) continue;
    const pb::XmlElement& e = child.element();
    for (const auto& g : e.child())
      if (g.has_element()) meta_data(g.element());
    Component c;
    c.kind = e.name();
    c.name = StringOf(FindAttr(e, kAttrName));
    if (!c.name.empty() && c.name[0] == '.') c.name = facts_->package.id + c.name;
    for (const auto& g : e.child())
      c.has_intent_filter = c.has_intent_filter || (g.has_element() && g.element().name() == "intent-filter");
    auto ex = BoolOf(FindAttr(e, kAttrExported));
    c.exported_explicit = ex.has_value();
    c.exported = ex.value_or(c.has_intent_filter);
    c.enabled = BoolOf(FindAttr(e, kAttrEnabled)).value_or(true);
    c.permission = StringOf(FindAttr(e, kAttrPermission));
    component_names_.push_back(c.name);
    facts_->components.push_back(std::move(c));
  }
}

void AabAnalyzer::ReadManifest(const pb::XmlElement& root, const std::string& module, bool base) {
  if (root.name() != "manifest") {
    ctx_->AddAnomaly("aab-manifest-root", module + "/manifest/AndroidManifest.xml",
                     "root element is <" + root.name() + ">");
    return;
  }
  if (base) {
    if (const auto* p = FindPlainAttr(root, "package")) facts_->package.id = p->value();
    if (auto v = IntOf(FindAttr(root, kAttrVersionCode))) facts_->package.version_code = std::to_string(*v);
    facts_->package.version_name = StringOf(FindAttr(root, kAttrVersionName));
  }
  for (const auto& child : root.child()) {
    if (!child.has_element()) continue;
    const pb::XmlElement& e = child.element();
    const std::string& n = e.name();
    if (n == "uses-sdk" && base) {
      if (auto v = IntOf(FindAttr(e, kAttrMinSdk))) facts_->package.min_sdk = static_cast<int>(*v);
      if (auto v = IntOf(FindAttr(e, kAttrTargetSdk))) facts_->package.target_sdk = static_cast<int>(*v);
    } else if (n == "uses-permission" || n == "uses-permission-sdk-23" || n == "uses-permission-sdk-m") {
      std::string name = StringOf(FindAttr(e, kAttrName));
      if (name.empty()) continue;
      bool dup = std::any_of(facts_->permissions.begin(), facts_->permissions.end(),
                             [&](const Permission& p) { return p.name == name; });
      if (dup) continue;
      Permission p;
      p.name = name;
      p.dangerous = IsDangerousPermission(name);
      p.sdk23 = n != "uses-permission";
      if (auto m = IntOf(FindAttr(e, kAttrMaxSdk))) p.max_sdk = static_cast<int>(*m);
      facts_->permissions.push_back(std::move(p));
    } else if (n == "permission") {
      std::string name = StringOf(FindAttr(e, kAttrName));
      if (!name.empty()) facts_->defined_permissions.push_back(name);
    } else if (n == "application") {
      ReadApplication(e, base);
    }
  }
  if (base && facts_->package.min_sdk && !facts_->package.target_sdk)
    facts_->package.target_sdk = facts_->package.min_sdk;
}

void AabAnalyzer::ReadDependencies() {
  const ArchiveEntry* e = ctx_->archive()->Find(kDependencies);
  if (e == nullptr) return;
  std::string bytes;
  if (!Read(*e, kMaxDependenciesBytes, &bytes)) return;
  bool ok = false;
  std::vector<std::string> libs = ParseBundleDependencies(bytes, &ok);
  if (!ok) {
    ctx_->AddAnomaly("aab-dependencies-malformed", kDependencies, "not an AppDependencies message");
    return;
  }
  std::vector<std::string_view> items(libs.begin(), libs.end());
  ctx_->Table(EvidenceKind::kMaven, kDependencies, items);
}

// R8/ProGuard mapping: "original.Class -> obfuscated:" lines name the
// classes as written; members are indented.
void AabAnalyzer::ReadProguardMap() {
  const ArchiveEntry* e = ctx_->archive()->Find(kProguardMap);
  if (e == nullptr) return;
  std::string bytes;
  if (!Read(*e, kMaxMapBytes, &bytes)) return;
  std::vector<std::string_view> classes;
  std::string_view text = bytes;
  size_t pos = 0;
  while (pos < text.size() && classes.size() < kMaxMapClasses) {
    size_t eol = text.find('\n', pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? text.npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    if (line.empty() || line[0] == ' ' || line[0] == '#') continue;
    size_t arrow = line.find(" -> ");
    if (arrow == std::string_view::npos || line.back() != ':') continue;
    classes.push_back(line.substr(0, arrow));
  }
  ctx_->Table(EvidenceKind::kClass, kProguardMap, classes);
}

void AabAnalyzer::Analyze(ScanContext* ctx) {
  ctx_ = ctx;
  facts_ = &ctx->facts();
  Archive* archive = ctx->archive();
  if (archive == nullptr) return;
  if (const ArchiveEntry* e = archive->Find("BundleConfig.pb")) {
    std::string bytes;
    pb::BundleConfig cfg;
    if (Read(*e, kMaxManifestBytes, &bytes) && !ParseMessage(bytes, &cfg))
      ctx->AddAnomaly("aab-bundle-config-malformed", "BundleConfig.pb", "not a BundleConfig message");
  } else {
    ctx->AddAnomaly("aab-no-bundle-config", "BundleConfig.pb", "bundle without BundleConfig.pb");
  }
  // Modules: every <module>/manifest/AndroidManifest.xml, base first.
  std::vector<std::string> modules;
  for (const ArchiveEntry& e : archive->entries()) {
    const std::string suffix = "/manifest/AndroidManifest.xml";
    if (e.directory || e.duplicate || !EndsWith(e.name, suffix)) continue;
    std::string m = e.name.substr(0, e.name.size() - suffix.size());
    if (m.empty() || m.find('/') != std::string::npos) continue;
    modules.push_back(m);
  }
  std::stable_partition(modules.begin(), modules.end(), [](const std::string& m) { return m == "base"; });
  for (const std::string& m : modules) {
    if (stop_) return;
    const bool base = m == "base";
    if (const ArchiveEntry* r = archive->Find(m + "/resources.pb")) {
      std::string bytes;
      if (Read(*r, kMaxResourcesBytes, &bytes)) {
        pb::ResourceTable table;
        if (ParseMessage(bytes, &table)) {
          LoadResources(m, table);
        } else {
          ctx->AddAnomaly("aab-resources-malformed", r->name, "not a ResourceTable message");
        }
      }
    }
    const ArchiveEntry* me = archive->Find(m + "/manifest/AndroidManifest.xml");
    std::string bytes;
    if (me == nullptr || !Read(*me, kMaxManifestBytes, &bytes)) continue;
    pb::XmlNode node;
    if (!ParseMessage(bytes, &node) || !node.has_element()) {
      ctx->AddAnomaly("aab-manifest-malformed", me->name, "not a proto XML document");
      if (base) ctx->AddError("aab-manifest-malformed", me->name + ": the base manifest does not parse");
      continue;
    }
    ReadManifest(node.element(), m, base);
  }
  if (facts_->package.id.empty()) ctx->AddError("aab-no-package", "bundle without a base module package name");
  std::vector<std::string_view> comps(component_names_.begin(), component_names_.end());
  ctx->Table(EvidenceKind::kComponent, "manifest", comps);
  std::vector<std::string_view> meta(meta_data_names_.begin(), meta_data_names_.end());
  ctx->Table(EvidenceKind::kMetaData, "manifest", meta);
  if (stop_) return;
  ReadDependencies();
  if (stop_) return;
  ReadProguardMap();
}

}  // namespace

std::unique_ptr<Analyzer> NewAabAnalyzer() { return std::make_unique<AabAnalyzer>(); }

bool LooksLikeAab(const Archive& a) { return a.Find("base/manifest/AndroidManifest.xml") != nullptr; }

std::vector<std::string> ParseBundleDependencies(std::string_view bytes, bool* ok) {
  std::vector<std::string> out;
  *ok = false;
  // Older AGP versions write the message length-delimited
  // (writeDelimitedTo), newer ones plain: a leading varint that covers
  // exactly the rest of the file means the former.
  pb::AppDependencies deps;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(std::min<size_t>(bytes.size(), INT32_MAX)));
  uint32_t len = 0;
  bool delimited = in.ReadVarint32(&len) && in.CurrentPosition() > 0 &&
                   len == bytes.size() - static_cast<size_t>(in.CurrentPosition());
  if (delimited) {
    if (!deps.ParseFromArray(bytes.data() + in.CurrentPosition(), static_cast<int>(len))) return out;
  } else if (!ParseMessage(bytes, &deps)) {
    return out;
  }
  *ok = true;
  std::set<std::string> seen;
  for (const auto& lib : deps.library()) {
    if (!lib.has_maven_library()) continue;
    std::string c = lib.maven_library().group_id() + ":" + lib.maven_library().artifact_id();
    if (seen.insert(c).second) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace shelfguard
