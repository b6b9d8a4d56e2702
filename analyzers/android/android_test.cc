#include "android/android_analyzer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "android/dangerous_permissions.h"
#include "axml/axml_parser.h"
#include "shelfguard/archive.h"

// Module tests link only their module (CMakeLists.txt); the fixture writer
// depends only on the standard library and is compiled in here.
#include "support/android_writer.h"
#include "support/identity_expect.h"
#include "support/zip_entries.h"

namespace shelfguard {
namespace {

using testing::ArscIdOf;
using testing::ArscSpec;
using testing::ArscValue;
using testing::BuildArsc;
using testing::BuildAxml;
using testing::ZipBytes;
using testing::XmlAttr;
using testing::XmlElem;

class FakeEvidence : public EvidenceSink {
 public:
  void OnTable(EvidenceKind kind, std::string_view location,
               const std::vector<std::string_view>& items, const std::vector<bool>*) override {
    for (auto i : items) tables[kind].push_back(std::string(i));
    locations.push_back(std::string(location));
  }
  void Finish(Facts*) override {}
  std::map<EvidenceKind, std::vector<std::string>> tables;
  std::vector<std::string> locations;
};

class FakeText : public TextSink {
 public:
  void OnText(std::string_view location, std::string_view text) override {
    texts.push_back({std::string(location), std::string(text)});
  }
  void Finish(Facts*) override {}
  std::vector<std::pair<std::string, std::string>> texts;
};

ArscValue S(std::string s) {
  ArscValue v;
  v.str = std::move(s);
  return v;
}

ArscSpec Resources() {
  ArscSpec spec;
  spec.resources = {
      {"string", "app_name", {{"", S("小学语文")}, {"en", S("Chinese Primer")}}, {}},
      {"string", "version", {{"", S("2.5.0")}}, {}},
      {"string", "filing", {{"zh-rCN", S("备案号：京ICP备12345678号-1A")}}, {}},
      {"xml", "network_security_config", {{"", S("res/xml/network_security_config.xml")}}, {}},
      {"bool", "backup", {{"", ArscValue{testing::kWBool, 0, "", ""}}}, {}},
  };
  return spec;
}

XmlElem MakeComponent(std::string kind, std::string name, std::vector<XmlAttr> extra = {},
                  bool intent_filter = false) {
  XmlElem c{std::move(kind), {XmlAttr::Str("name", attr::kName, std::move(name))}, {}, ""};
  for (auto& a : extra) c.attrs.push_back(std::move(a));
  if (intent_filter) {
    XmlElem f{"intent-filter", {}, {}, ""};
    f.Add({"action", {XmlAttr::Str("name", attr::kName, "android.intent.action.MAIN")}, {}, ""});
    c.Add(f);
  }
  return c;
}

XmlElem Manifest(int target_sdk, const ArscSpec& res) {
  XmlElem m{"manifest", {XmlAttr::Int("versionCode", attr::kVersionCode, 250),
                         XmlAttr::Ref("versionName", attr::kVersionName, ArscIdOf(res, "string", "version")),
                         XmlAttr::Plain("package", "cn.edu.primer")}, {}, ""};
  m.Add({"uses-sdk", {XmlAttr::Int("minSdkVersion", attr::kMinSdkVersion, 21),
                      XmlAttr::Int("targetSdkVersion", attr::kTargetSdkVersion, target_sdk)}, {}, ""});
  m.Add({"uses-permission", {XmlAttr::Str("name", attr::kName, "android.permission.CAMERA")}, {}, ""});
  m.Add({"uses-permission", {XmlAttr::Str("name", attr::kName, "android.permission.INTERNET")}, {}, ""});
  m.Add({"uses-permission", {XmlAttr::Str("name", attr::kName, "android.permission.READ_EXTERNAL_STORAGE"),
                             XmlAttr::Int("maxSdkVersion", attr::kMaxSdkVersion, 32)}, {}, ""});
  m.Add({"uses-permission", {XmlAttr::Str("name", attr::kName, "android.permission.CAMERA")}, {}, ""});
  m.Add({"uses-permission-sdk-23", {XmlAttr::Str("name", attr::kName, "android.permission.READ_CONTACTS")}, {}, ""});
  m.Add({"permission", {XmlAttr::Str("name", attr::kName, "cn.edu.primer.PUSH")}, {}, ""});
  XmlElem app{"application", {XmlAttr::Ref("label", attr::kLabel, ArscIdOf(res, "string", "app_name")),
                              XmlAttr::Bool("debuggable", attr::kDebuggable, true),
                              XmlAttr::Ref("allowBackup", attr::kAllowBackup, ArscIdOf(res, "bool", "backup")),
                              XmlAttr::Bool("usesCleartextTraffic", attr::kUsesCleartextTraffic, false),
                              XmlAttr::Ref("networkSecurityConfig", attr::kNetworkSecurityConfig,
                                           ArscIdOf(res, "xml", "network_security_config"))}, {}, ""};
  app.Add(MakeComponent("activity", ".MainActivity", {}, true));
  app.Add(MakeComponent("activity", "Settings"));
  app.Add(MakeComponent("activity-alias", "cn.edu.primer.Alias", {XmlAttr::Bool("exported", attr::kExported, false)}, true));
  app.Add(MakeComponent("service", "com.push.PushService", {XmlAttr::Str("permission", attr::kPermission, "cn.edu.primer.PUSH"),
                                                        XmlAttr::Bool("enabled", attr::kEnabled, false)}, true));
  app.Add(MakeComponent("receiver", ".BootReceiver", {XmlAttr::Bool("exported", attr::kExported, true)}));
  app.Add(MakeComponent("provider", ".Files", {XmlAttr::Str("readPermission", attr::kReadPermission, "cn.edu.R")}));
  // A meta-data element: not a component.
  app.Add({"meta-data", {XmlAttr::Str("name", attr::kName, "x")}, {}, ""});
  m.Add(app);
  return m;
}

std::string Nsc(bool cleartext) {
  XmlElem cfg{"network-security-config", {}, {}, ""};
  XmlElem dom{"domain-config", {}, {}, ""};
  XmlAttr a;
  a.name = "cleartextTrafficPermitted";
  a.type = testing::kWBool;
  a.data = cleartext ? 0xffffffffu : 0;
  dom.attrs.push_back(a);
  dom.Add({"domain", {}, {}, "example.cn"});
  cfg.Add(dom);
  return BuildAxml(cfg, true);
}

struct Scan {
  Facts facts;
  FakeEvidence evidence;
  FakeText text;
};

std::unique_ptr<Scan> RunAnalyzer(std::vector<std::pair<std::string, std::string>> entries,
                          Limits limits = Limits()) {
  auto s = std::make_unique<Scan>();
  Budget budget(limits);
  auto archive = Archive::OpenMemory(ZipBytes(entries), "test.apk", &budget, 0);
  EXPECT_TRUE(archive.ok()) << archive.status().ToString();
  if (!archive.ok()) return s;
  ScanContext ctx(&s->facts, &budget, archive->get(), &s->evidence, &s->text);
  NewAndroidManifestAnalyzer()->Analyze(&ctx);
  return s;
}

const Component* FindComponent(const Facts& f, const std::string& name) {
  for (const auto& c : f.components)
    if (c.name == name) return &c;
  return nullptr;
}

bool HasAnomaly(const Facts& f, std::string_view code) {
  return std::any_of(f.anomalies.begin(), f.anomalies.end(), [&](const Anomaly& a) { return a.code == code; });
}

TEST(AndroidAnalyzerTest, ReadsIdentityPermissionsFlagsAndComponents) {
  ArscSpec res = Resources();
  auto s = RunAnalyzer({{"AndroidManifest.xml", BuildAxml(Manifest(30, res))},
                {"resources.arsc", BuildArsc(res)},
                {"res/xml/network_security_config.xml", Nsc(true)}});
  const Facts& f = s->facts;
  EXPECT_TRUE(f.errors.empty()) << f.errors[0].code << " " << f.errors[0].message;
  EXPECT_EQ(f.package.platform, Platform::kAndroid);
  testing::ExpectIdentity(f.package, {{"id", "cn.edu.primer"}, {"label", "小学语文"}, {"version_code", "250"},
                                      {"version_name", "2.5.0"}, {"min_sdk", "21"}, {"target_sdk", "30"}});

  ASSERT_EQ(f.permissions.size(), 4u);  // the duplicate CAMERA is dropped
  EXPECT_EQ(f.permissions[0].name, "android.permission.CAMERA");
  EXPECT_TRUE(f.permissions[0].dangerous);
  EXPECT_FALSE(f.permissions[1].dangerous);  // INTERNET
  EXPECT_EQ(f.permissions[2].max_sdk, 32);
  EXPECT_FALSE(f.permissions[1].max_sdk.has_value());
  EXPECT_TRUE(f.permissions[3].sdk23);
  EXPECT_TRUE(f.permissions[3].dangerous);
  EXPECT_TRUE(HasAnomaly(f, "permission-duplicate"));
  EXPECT_EQ(f.defined_permissions, std::vector<std::string>{"cn.edu.primer.PUSH"});

  EXPECT_EQ(f.app_flags.debuggable, true);
  EXPECT_EQ(f.app_flags.allow_backup, false);  // resolved through @bool/backup
  EXPECT_EQ(f.app_flags.uses_cleartext_traffic, false);
  EXPECT_EQ(f.app_flags.network_security_config, "res/xml/network_security_config.xml");
  EXPECT_TRUE(f.app_flags.cleartext_permitted_by_nsc);

  ASSERT_EQ(f.components.size(), 6u);
  const Component* main = FindComponent(f, "cn.edu.primer.MainActivity");
  ASSERT_NE(main, nullptr);
  EXPECT_TRUE(main->exported);  // implied by the intent filter, target 30
  EXPECT_FALSE(main->exported_explicit);
  EXPECT_TRUE(main->has_intent_filter);
  const Component* settings = FindComponent(f, "cn.edu.primer.Settings");
  ASSERT_NE(settings, nullptr);
  EXPECT_FALSE(settings->exported);
  const Component* alias = FindComponent(f, "cn.edu.primer.Alias");
  ASSERT_NE(alias, nullptr);
  EXPECT_EQ(alias->kind, "activity-alias");
  EXPECT_FALSE(alias->exported);
  EXPECT_TRUE(alias->exported_explicit);
  const Component* push = FindComponent(f, "com.push.PushService");
  ASSERT_NE(push, nullptr);
  EXPECT_EQ(push->permission, "cn.edu.primer.PUSH");
  EXPECT_FALSE(push->enabled);
  EXPECT_TRUE(FindComponent(f, "cn.edu.primer.BootReceiver")->exported);
  const Component* files = FindComponent(f, "cn.edu.primer.Files");
  ASSERT_NE(files, nullptr);
  EXPECT_FALSE(files->exported);  // provider, target 30
  EXPECT_EQ(files->permission, "read:cn.edu.R");

  // Sinks: component names and every resource string with its config.
  ASSERT_EQ(s->evidence.tables[EvidenceKind::kComponent].size(), 6u);
  EXPECT_EQ(s->evidence.tables[EvidenceKind::kComponent][0], "cn.edu.primer.MainActivity");
  auto has_text = [&](const std::string& loc, const std::string& text) {
    return std::find(s->text.texts.begin(), s->text.texts.end(), std::make_pair(loc, text)) !=
           s->text.texts.end();
  };
  EXPECT_TRUE(has_text("resources.arsc:string/filing[zh-rCN]", "备案号：京ICP备12345678号-1A"));
  EXPECT_TRUE(has_text("resources.arsc:string/app_name", "小学语文"));
  EXPECT_TRUE(has_text("resources.arsc:string/app_name[en]", "Chinese Primer"));
}

TEST(AndroidAnalyzerTest, Target31WithoutExportedIsNotExportedAndNoted) {
  ArscSpec res = Resources();
  auto s = RunAnalyzer({{"AndroidManifest.xml", BuildAxml(Manifest(31, res))},
                {"resources.arsc", BuildArsc(res)},
                {"res/xml/network_security_config.xml", Nsc(false)}});
  const Component* main = FindComponent(s->facts, "cn.edu.primer.MainActivity");
  ASSERT_NE(main, nullptr);
  EXPECT_FALSE(main->exported);
  EXPECT_TRUE(HasAnomaly(s->facts, "component-exported-missing"));
  EXPECT_FALSE(s->facts.app_flags.cleartext_permitted_by_nsc);
}

TEST(AndroidAnalyzerTest, OldTargetExportsProvidersByDefault) {
  ArscSpec res = Resources();
  auto s = RunAnalyzer({{"AndroidManifest.xml", BuildAxml(Manifest(16, res))}, {"resources.arsc", BuildArsc(res)}});
  EXPECT_TRUE(FindComponent(s->facts, "cn.edu.primer.Files")->exported);
  // The NSC file is absent: path kept, anomaly recorded.
  EXPECT_EQ(s->facts.app_flags.network_security_config, "res/xml/network_security_config.xml");
  EXPECT_TRUE(HasAnomaly(s->facts, "nsc-missing"));
}

TEST(AndroidAnalyzerTest, MissingSdkDefaultsLikeThePlatform) {
  XmlElem m{"manifest", {XmlAttr::Plain("package", "a.b")}, {}, ""};
  auto s = RunAnalyzer({{"AndroidManifest.xml", BuildAxml(m)}});
  EXPECT_EQ(s->facts.package.min_sdk, 1);
  EXPECT_EQ(s->facts.package.target_sdk, 1);
  XmlElem m2{"manifest", {XmlAttr::Plain("package", "a.b")}, {}, ""};
  m2.Add({"uses-sdk", {XmlAttr::Int("minSdkVersion", attr::kMinSdkVersion, 19)}, {}, ""});
  auto s2 = RunAnalyzer({{"AndroidManifest.xml", BuildAxml(m2)}});
  EXPECT_EQ(s2->facts.package.min_sdk, 19);
  EXPECT_EQ(s2->facts.package.target_sdk, 19);
}

TEST(AndroidAnalyzerTest, UnresolvedReferencesWithoutArscAreAnomalies) {
  ArscSpec res = Resources();
  auto s = RunAnalyzer({{"AndroidManifest.xml", BuildAxml(Manifest(30, res))}});
  EXPECT_EQ(s->facts.package.id, "cn.edu.primer");
  EXPECT_EQ(s->facts.package.label, "");
  EXPECT_EQ(s->facts.package.version_name, "");
  EXPECT_TRUE(HasAnomaly(s->facts, "manifest-unresolved"));
  EXPECT_TRUE(s->facts.errors.empty());
}

TEST(AndroidAnalyzerTest, MissingManifestIsAnError) {
  auto s = RunAnalyzer({{"classes.dex", "dex\n035"}});
  ASSERT_EQ(s->facts.errors.size(), 1u);
  EXPECT_EQ(s->facts.errors[0].code, "manifest-missing");
  EXPECT_TRUE(s->facts.package.id.empty());
}

TEST(AndroidAnalyzerTest, GarbageManifestIsAnAxmlError) {
  auto s = RunAnalyzer({{"AndroidManifest.xml", "<?xml version='1.0'?><manifest package='x'/>"}});
  ASSERT_EQ(s->facts.errors.size(), 1u);
  EXPECT_EQ(s->facts.errors[0].code, "axml-malformed");
  EXPECT_TRUE(s->facts.package.id.empty());
}

TEST(AndroidAnalyzerTest, TruncatedManifestKeepsWhatParsed) {
  ArscSpec res = Resources();
  testing::AxmlLayout layout;
  std::string m = BuildAxml(Manifest(30, res), false, &layout);
  m.resize(layout.elements[4] + 3);  // cut inside the 3rd uses-permission
  auto s = RunAnalyzer({{"AndroidManifest.xml", m}, {"resources.arsc", BuildArsc(res)}});
  EXPECT_EQ(s->facts.package.id, "cn.edu.primer");
  EXPECT_EQ(s->facts.package.target_sdk, 30);
  EXPECT_EQ(s->facts.permissions.size(), 2u);
  EXPECT_TRUE(HasAnomaly(s->facts, "axml-truncated"));
  EXPECT_TRUE(s->facts.components.empty());
}

TEST(AndroidAnalyzerTest, CorruptArscIsAnAnomalyNotAnError) {
  ArscSpec res = Resources();
  auto s = RunAnalyzer({{"AndroidManifest.xml", BuildAxml(Manifest(30, res))}, {"resources.arsc", "garbage!"}});
  EXPECT_TRUE(HasAnomaly(s->facts, "arsc-malformed"));
  EXPECT_TRUE(s->facts.errors.empty());
  EXPECT_EQ(s->facts.permissions.size(), 4u);
}

TEST(AndroidAnalyzerTest, BareDexWithAppendedZipIsJanusAnomaly) {
  XmlElem m{"manifest", {XmlAttr::Plain("package", "a.b")}, {}, ""};
  std::string polyglot = std::string("dex\n035\0", 8) + std::string(100, '\0') +
                         ZipBytes({{"AndroidManifest.xml", BuildAxml(m)}});
  for (bool janus : {true, false}) {
    Facts facts;
    Budget budget{Limits()};
    ScanContext ctx(&facts, &budget, nullptr, nullptr, nullptr);
    std::string bytes = janus ? polyglot : std::string("dex\n035\0", 8) + std::string(100, '\0');
    ctx.set_bare_bytes(bytes);
    NewAndroidManifestAnalyzer()->Analyze(&ctx);
    EXPECT_EQ(HasAnomaly(facts, "janus-dex-zip"), janus);
    EXPECT_TRUE(facts.errors.empty());
  }
}

TEST(AndroidAnalyzerTest, DangerousPermissionTable) {
  for (const char* p : {"android.permission.CAMERA", "android.permission.RECORD_AUDIO",
                        "android.permission.READ_CONTACTS", "android.permission.ACCESS_FINE_LOCATION",
                        "android.permission.READ_PHONE_STATE", "android.permission.READ_SMS",
                        "android.permission.BODY_SENSORS", "android.permission.READ_CALENDAR",
                        "android.permission.READ_EXTERNAL_STORAGE", "android.permission.POST_NOTIFICATIONS",
                        "android.permission.READ_MEDIA_IMAGES", "android.permission.NEARBY_WIFI_DEVICES",
                        "android.permission.ACTIVITY_RECOGNITION", "android.permission.BLUETOOTH_SCAN",
                        "android.permission.health.READ_HEART_RATE"}) {
    EXPECT_TRUE(IsDangerousPermission(p)) << p;
  }
  for (const char* p : {"android.permission.INTERNET", "android.permission.WAKE_LOCK",
                        "android.permission.SYSTEM_ALERT_WINDOW", "CAMERA", "android.permission.health.",
                        "android.permission.CAMERA2"}) {
    EXPECT_FALSE(IsDangerousPermission(p)) << p;
  }
}

}  // namespace
}  // namespace shelfguard
