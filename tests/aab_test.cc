// Android App Bundles: the corpus bundles' identity and permissions as
// `bundletool dump manifest` prints them (values checked by hand with
// `protoc --decode=shelfguard.aab.pb.XmlNode` over each manifest), and a
// bundle written here with the generated protobuf classes whose
// dependencies.pb lists an ad SDK, on which CONTENT-AD-SDK fires.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "aab/aab_analyzer.h"
#include "aapt2_resources.pb.h"
#include "app_dependencies.pb.h"
#include "policy/assess.h"
#include "shelfguard/engine.h"
#include "support/corpus.h"
#include "support/fixtures.h"
#include "support/identity_expect.h"
#include "support/zip_entries.h"

namespace shelfguard {
namespace {

namespace pb = aab::pb;
constexpr char kAndroidNs[] = "http://schemas.android.com/apk/res/android";

void Attr(pb::XmlElement* e, const std::string& name, uint32_t id, const std::string& value,
          std::optional<int> prim = std::nullopt) {
  pb::XmlAttribute* a = e->add_attribute();
  a->set_name(name);
  a->set_value(value);
  if (id != 0) {
    a->set_namespace_uri(kAndroidNs);
    a->set_resource_id(id);
  }
  if (prim) a->mutable_compiled_item()->mutable_prim()->set_int_decimal_value(*prim);
}

pb::XmlElement* Child(pb::XmlElement* e, const std::string& name) {
  pb::XmlElement* c = e->add_child()->mutable_element();
  c->set_name(name);
  return c;
}

std::string Manifest(const std::string& package, bool with_label_ref) {
  pb::XmlNode root;
  pb::XmlElement* m = root.mutable_element();
  m->set_name("manifest");
  Attr(m, "package", 0, package);
  Attr(m, "versionCode", 0x0101021b, "42", 42);
  Attr(m, "versionName", 0x0101021c, "4.2.0");
  pb::XmlElement* sdk = Child(m, "uses-sdk");
  Attr(sdk, "minSdkVersion", 0x0101020c, "21", 21);
  Attr(sdk, "targetSdkVersion", 0x01010270, "34", 34);
  Attr(Child(m, "uses-permission"), "name", 0x01010003, "android.permission.CAMERA");
  Attr(Child(m, "uses-permission"), "name", 0x01010003, "android.permission.INTERNET");
  pb::XmlElement* app = Child(m, "application");
  if (with_label_ref) {
    pb::XmlAttribute* l = app->add_attribute();
    l->set_namespace_uri(kAndroidNs);
    l->set_name("label");
    l->set_resource_id(0x01010001);
    l->set_value("@string/app_name");
    l->mutable_compiled_item()->mutable_ref()->set_id(0x7f010000);
  }
  pb::XmlElement* act = Child(app, "activity");
  Attr(act, "name", 0x01010003, ".MainActivity");
  Child(act, "intent-filter");
  return root.SerializeAsString();
}

std::string Resources() {
  pb::ResourceTable t;
  pb::Package* p = t.add_package();
  p->mutable_package_id()->set_id(0x7f);
  p->set_package_name("com.example.eduaab");
  pb::Type* ty = p->add_type();
  ty->mutable_type_id()->set_id(1);
  ty->set_name("string");
  auto add = [&](uint32_t id, const std::string& name, const std::string& v, const std::string& locale) {
    pb::Entry* e = ty->add_entry();
    e->mutable_entry_id()->set_id(id);
    e->set_name(name);
    pb::ConfigValue* cv = e->add_config_value();
    if (!locale.empty()) cv->mutable_config()->set_locale(locale);
    cv->mutable_value()->mutable_item()->mutable_str()->set_value(v);
  };
  add(0, "app_name", "示例学堂", "");
  add(1, "about", "备案号：教APP备1100123号", "");
  return t.SerializeAsString();
}

std::string Dependencies(bool delimited) {
  pb::AppDependencies d;
  auto lib = [&](const std::string& g, const std::string& a) {
    pb::MavenLibrary* m = d.add_library()->mutable_maven_library();
    m->set_group_id(g);
    m->set_artifact_id(a);
    m->set_version("1.0.0");
  };
  lib("androidx.core", "core");
  lib("com.pangle.cn", "ads-sdk-pro");
  std::string body = d.SerializeAsString();
  if (!delimited) return body;
  std::string out;
  size_t n = body.size();
  do {
    uint8_t b = n & 0x7f;
    n >>= 7;
    out.push_back(static_cast<char>(n != 0 ? (b | 0x80) : b));
  } while (n != 0);
  return out + body;
}

std::string Bundle(bool delimited) {
  return testing::ZipBytes(
      {{"BundleConfig.pb", std::string("\x0a\x07\x12\x05" "1.8.0", 9)},
       {"base/manifest/AndroidManifest.xml", Manifest("com.example.eduaab", true)},
       {"base/resources.pb", Resources()},
       {"BUNDLE-METADATA/com.android.tools.build.libraries/dependencies.pb", Dependencies(delimited)},
       {"feature/manifest/AndroidManifest.xml", Manifest("com.example.eduaab", false)}});
}

std::shared_ptr<const Engine> MakeEngine() {
  auto e = Engine::Create(EngineOptions{});
  EXPECT_TRUE(e.ok());
  return *e;
}

bool HasSdk(const Facts& f, const std::string& id) {
  return std::any_of(f.sdks.begin(), f.sdks.end(), [&](const SdkHit& h) { return h.id == id; });
}

TEST(AabFixture, IdentityPermissionsDependenciesAndRules) {
  for (bool delimited : {true, false}) {
    SCOPED_TRACE(delimited ? "delimited dependencies.pb" : "plain dependencies.pb");
    Facts f = MakeEngine()->ScanBytes("edu.aab", Bundle(delimited));
    ASSERT_TRUE(f.analysed);
    EXPECT_EQ(f.package.platform, Platform::kAndroid);
    testing::ExpectIdentity(f.package, {{"id", "com.example.eduaab"}, {"label", "示例学堂"},
                                        {"version_code", "42"}, {"version_name", "4.2.0"}, {"min_sdk", "21"},
                                        {"target_sdk", "34"}});
    ASSERT_EQ(f.permissions.size(), 2u);  // the feature module's duplicates merged
    EXPECT_TRUE(f.permissions[0].dangerous);
    ASSERT_FALSE(f.components.empty());
    EXPECT_EQ(f.components[0].name, "com.example.eduaab.MainActivity");
    EXPECT_TRUE(f.components[0].exported);  // intent filter, no android:exported
    EXPECT_TRUE(HasSdk(f, "pangle"));
    bool moe = std::any_of(f.displayed_numbers.begin(), f.displayed_numbers.end(),
                           [](const DisplayedNumber& n) { return n.text == "教APP备1100123号"; });
    EXPECT_TRUE(moe);
    AssessOptions o;
    o.today = "2026-11-30";
    auto a = Assessor::Create(o);
    ASSERT_TRUE(a.ok());
    Report r = (*a)->Assess(f);
    bool ad = std::any_of(r.findings.begin(), r.findings.end(),
                          [](const Finding& x) { return x.rule_id == "CONTENT-AD-SDK"; });
    EXPECT_TRUE(ad);
  }
}

// Issue 17 item 3: a module's lib/, assets/ and manifest <meta-data> are read
// as those of the APK bundletool makes from it. The library is a real ELF
// (compiled by mkapk.py and taken out of its APK) under base/lib/; a feature
// module holds an SDK's native library and asset; texts in the ELF and in
// base/assets/ reach the filing-number finder with the bundle path as their
// location.
TEST(AabFixture, ModuleLibrariesAssetsAndMetaDataAreReadAsInAnApk) {
  const std::string apk = testing::BuildApk(R"({"package": "com.example.sgelf",
      "native_libs": [{"path": "lib/arm64-v8a/libsgbundle.so", "symbols": ["sg_init"],
                       "strings": ["about: 教APP备1100456号"]}]})");
  ASSERT_FALSE(apk.empty());
  Budget budget{Limits{}};
  auto a = Archive::OpenFile(apk, &budget);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto elf = (*a)->Read("lib/arm64-v8a/libsgbundle.so");
  ASSERT_TRUE(elf.ok()) << elf.status().ToString();

  pb::XmlNode root;
  ASSERT_TRUE(root.ParseFromString(Manifest("com.example.eduaab", true)));
  for (auto& c : *root.mutable_element()->mutable_child()) {
    if (c.element().name() != "application") continue;
    Attr(Child(c.mutable_element(), "meta-data"), "name", 0x01010003, "UMENG_APPKEY");
  }
  const std::string bundle = testing::ZipBytes(
      {{"BundleConfig.pb", std::string("\x0a\x07\x12\x05" "1.8.0", 9)},
       {"base/manifest/AndroidManifest.xml", root.SerializeAsString()},
       {"base/resources.pb", Resources()},
       {"base/lib/arm64-v8a/libsgbundle.so", *elf},
       {"base/assets/about.html", "<p>京ICP备12345678号-1</p>"},
       {"base/dex/classes.dex", "not a dex"},
       {"feature/manifest/AndroidManifest.xml", Manifest("com.example.eduaab", false)},
       {"feature/lib/armeabi-v7a/libliteavsdk.so", "\x7f" "ELF but truncated"},
       {"feature/assets/bdxadsdk.jar", "jar"}});
  Facts f = MakeEngine()->ScanBytes("modules.aab", bundle);
  ASSERT_TRUE(f.analysed);

  const CodeUnit* unit = nullptr;
  for (const CodeUnit& u : f.code)
    if (u.kind == "elf" && u.location == "base/lib/arm64-v8a/libsgbundle.so") unit = &u;
  ASSERT_NE(unit, nullptr) << "base/lib/<abi>/*.so not analysed";
  EXPECT_EQ(unit->arch, "arm64");  // the ELF machine
  EXPECT_GE(unit->symbols, 1u);
  EXPECT_TRUE(unit->note.empty()) << unit->note;
  bool feature_lib = std::any_of(f.code.begin(), f.code.end(), [](const CodeUnit& u) {
    return u.location == "feature/lib/armeabi-v7a/libliteavsdk.so" && u.arch == "armeabi-v7a";
  });
  EXPECT_TRUE(feature_lib) << "a feature module's library is analysed too";

  auto number_at = [&](const std::string& text, const std::string& location) {
    return std::any_of(f.displayed_numbers.begin(), f.displayed_numbers.end(),
                       [&](const DisplayedNumber& n) {
                         return n.text == text && n.location.rfind(location, 0) == 0;
                       });
  };
  EXPECT_TRUE(number_at("教APP备1100456号", "base/lib/arm64-v8a/libsgbundle.so"));
  EXPECT_TRUE(number_at("京ICP备12345678号-1", "base/assets/about.html"));

  EXPECT_TRUE(HasSdk(f, "tencent-trtc"));   // native library of the feature module
  EXPECT_TRUE(HasSdk(f, "baidu-mobads"));   // assets/bdxadsdk.jar of the feature module
  EXPECT_TRUE(HasSdk(f, "umeng"));          // <meta-data UMENG_APPKEY>
  for (const SdkHit& h : f.sdks) {
    if (h.id != "baidu-mobads") continue;
    ASSERT_FALSE(h.evidence.empty());
    EXPECT_EQ(h.evidence.front().value, "assets/bdxadsdk.jar");
  }
  // Bundle-only entries are not APK paths: base/dex/ is no asset.
  EXPECT_EQ(BundleApkPath("base/dex/classes.dex"), "");
  EXPECT_EQ(BundleApkPath("BUNDLE-METADATA/x/lib/a.so"), "");
  EXPECT_EQ(BundleApkPath("base/root/META-INF/x.kotlin_module"), "META-INF/x.kotlin_module");
  EXPECT_EQ(BundleApkPath("base/lib/x86/libc.so"), "lib/x86/libc.so");
}

TEST(AabFixture, CorruptProtobufIsReported) {
  std::string bad = testing::ZipBytes(
      {{"BundleConfig.pb", "\xff\xff\xff"}, {"base/manifest/AndroidManifest.xml", "\x0a\xff\xff\xff\x0f"},
       {"BUNDLE-METADATA/com.android.tools.build.libraries/dependencies.pb", "\x05\x0a"}});
  Facts f = MakeEngine()->ScanBytes("bad.aab", bad);
  EXPECT_FALSE(f.analysed);
  EXPECT_EQ(f.package.platform, Platform::kAndroid);
  EXPECT_FALSE(f.errors.empty());
  bool ok = true;
  EXPECT_TRUE(ParseBundleDependencies("\x05\x0a", &ok).empty());
  EXPECT_FALSE(ok);
}

TEST(AabCorpus, IdentityAsBundletoolShowsIt) {
  SG_REQUIRE_CORPUS();
  struct Want {
    const char* file;
    const char* id;
    const char* version_code;
    const char* version_name;
    int min_sdk, target_sdk;
    // Every uses-permission in declaration order, as protoc shows the
    // manifest and bundletool prints it.
    std::vector<std::string> permissions;
  };
  const Want wants[] = {
      {"343757500__MyAdView__app-release.aab", "com.lv.myadview", "1", "1.0", 19, 29,
       {"android.permission.INTERNET", "android.permission.ACCESS_NETWORK_STATE",
        "android.permission.ACCESS_WIFI_STATE", "android.permission.READ_PHONE_STATE",
        "android.permission.READ_EXTERNAL_STORAGE", "android.permission.WRITE_EXTERNAL_STORAGE",
        "android.permission.WAKE_LOCK"}},
      {"AD95__MCQMax__app-release.aab", "com.ad95.mcqmax", "1", "1.0", 19, 29,
       {"android.permission.INTERNET", "android.permission.ACCESS_NETWORK_STATE"}},
      {"google__bundletool__install-time-permanent-modules.aab",
       "com.google.android.samples.dynamicfeatures.ondemand", "1", "1.0", 24, 28, {}},
      // Two modules; the runtime module's nine permissions are all in base,
      // so the merged list is base's twelve.
      {"google__bundletool__watch-face-from-tool.aab", "com.watchfacestudio.testinstall", "10000001",
       "1.0.0", 30, 30,
       {"android.permission.WAKE_LOCK",
        "com.samsung.android.watch.watchface.hideinformation.setting.READ_HIDE_INFORMATION",
        "com.google.android.wearable.permission.RECEIVE_COMPLICATION_DATA",
        "com.android.alarm.permission.SET_ALARM", "android.permission.VIBRATE",
        "android.permission.BODY_SENSORS", "android.permission.SCHEDULE_EXACT_ALARM",
        "com.samsung.android.watch.watchface.companionhelper.READ_DATABASE",
        "com.samsung.android.watch.watchface.companionhelper.WRITE_DATABASE",
        "com.google.android.wearable.healthservices.permission.PASSIVE_DATA_BINDING",
        "com.google.android.wearable.permission.BIND_WATCH_FACE_CONTROL",
        "android.permission.REORDER_TASKS"}},
  };
  auto engine = MakeEngine();
  for (const Want& w : wants) {
    SCOPED_TRACE(w.file);
    Facts f = engine->ScanFile(testing::CorpusDir() + "/aab/" + w.file);
    ASSERT_TRUE(f.analysed);
    EXPECT_EQ(f.package.id, w.id);
    EXPECT_EQ(f.package.version_code, w.version_code);
    EXPECT_EQ(f.package.version_name, w.version_name);
    EXPECT_EQ(f.package.min_sdk, w.min_sdk);
    EXPECT_EQ(f.package.target_sdk, w.target_sdk);
    std::vector<std::string> got;
    for (const Permission& p : f.permissions) got.push_back(p.name);
    EXPECT_EQ(got, w.permissions);
    bool malformed = std::any_of(f.anomalies.begin(), f.anomalies.end(), [](const Anomaly& a) {
      return a.code.rfind("aab-", 0) == 0 && a.code.find("malformed") != std::string::npos;
    });
    EXPECT_FALSE(malformed);
  }
  // Every file of the folder (bundles and split-APK sets) scans with an id.
  for (const auto& e : std::filesystem::directory_iterator(testing::CorpusDir() + "/aab")) {
    SCOPED_TRACE(e.path().string());
    Facts f = engine->ScanFile(e.path().string());
    EXPECT_TRUE(f.analysed);
    EXPECT_FALSE(f.package.id.empty());
  }
}

}  // namespace
}  // namespace shelfguard
