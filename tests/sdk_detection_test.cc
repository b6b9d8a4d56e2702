// SDK / packer identification: the per-scan EvidenceSink fed synthetic
// tables, as the DEX, ELF, iOS, manifest and asset analyzers feed it. Each
// detection condition has a positive and a negative case.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "shelfguard/engine.h"
#include "signatures/signature_db.h"
#include "support/corpus.h"
#include "support/fixtures.h"

namespace shelfguard {
namespace {

using Items = std::vector<std::string_view>;

std::shared_ptr<const SignatureDb> ShippedDb() {
  static std::shared_ptr<const SignatureDb> db = [] {
    auto r = LoadSignatureDb(testing::SourceDir() + "/signatures");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : nullptr;
  }();
  return db;
}

// Runs one scan's sink over `feed` and returns the facts it resolved.
template <typename Feed>
Facts FeedSink(const SignatureDb& db, Feed feed, Facts facts = Facts()) {
  auto sink = db.NewSink();
  feed(sink.get());
  sink->Finish(&facts);
  return facts;
}

const SdkHit* Find(const Facts& f, const std::string& id) {
  for (const auto& s : f.sdks)
    if (s.id == id) return &s;
  return nullptr;
}

bool HasEvidence(const SdkHit& h, const std::string& kind, const std::string& value) {
  return std::any_of(h.evidence.begin(), h.evidence.end(), [&](const Evidence& e) {
    return e.kind == kind && e.value == value;
  });
}

// Expects the hit of `id`, of `category` with `confidence` and with each
// (kind, value) of `evidence`; returns it, or nullptr (then a failure).
const SdkHit* ExpectHit(const Facts& f, const std::string& id, const char* category, const char* confidence,
                        std::initializer_list<std::pair<const char*, const char*>> evidence) {
  const SdkHit* h = Find(f, id);
  EXPECT_NE(h, nullptr) << id;
  if (h == nullptr) return nullptr;
  EXPECT_EQ(h->category, category) << id;
  EXPECT_EQ(h->confidence, confidence) << id;
  for (const auto& [kind, value] : evidence) EXPECT_TRUE(HasEvidence(*h, kind, value)) << id << ": " << value;
  return h;
}

class SdkDetection : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = ShippedDb();
    ASSERT_NE(db_, nullptr);
  }
  std::shared_ptr<const SignatureDb> db_;
};

TEST_F(SdkDetection, UnityFolderWithoutRuntimeIsNotUnity) {
  Items assets = {"AndroidManifest.xml", "assets/bin/Data/sharedassets1.assets.split0",
                  "classes.dex"};
  Facts f = FeedSink(*db_, [&](EvidenceSink* s) { s->OnTable(EvidenceKind::kAsset, "", assets, nullptr); });
  EXPECT_EQ(Find(f, "unity"), nullptr);
  EXPECT_TRUE(f.sdks.empty());
}

TEST_F(SdkDetection, UnityWithRuntimeLibraryIsUnity) {
  Items assets = {"assets/bin/Data/level0", "lib/arm64-v8a/libunity.so", "lib/arm64-v8a/libil2cpp.so"};
  Items libs = {"lib/arm64-v8a/libunity.so", "lib/arm64-v8a/libil2cpp.so"};
  Facts f = FeedSink(*db_, [&](EvidenceSink* s) {
    s->OnTable(EvidenceKind::kAsset, "", assets, nullptr);
    s->OnTable(EvidenceKind::kNativeLib, "lib", libs, nullptr);
  });
  ExpectHit(f, "unity", "game-engine", "present",
            {{"native-lib", "lib/arm64-v8a/libunity.so"}, {"asset", "assets/bin/Data/level0"}});
}

TEST_F(SdkDetection, UnityLibraryFromAssetTableAlone) {
  // The ELF analyzer may not list a library (e.g. a truncated ELF); the path
  // in the package is enough.
  Items assets = {"lib/armeabi-v7a/libunity.so"};
  Facts f = FeedSink(*db_, [&](EvidenceSink* s) { s->OnTable(EvidenceKind::kAsset, "", assets, nullptr); });
  ASSERT_NE(Find(f, "unity"), nullptr);
}

TEST_F(SdkDetection, AdvertisingIdAloneIsNotAdMob) {
  Items classes = {"com.google.android.gms.ads.identifier.AdvertisingIdClient",
                   "com.google.android.gms.ads.identifier.AdvertisingIdClient$Info"};
  Facts f = FeedSink(*db_, [&](EvidenceSink* s) {
    s->OnTable(EvidenceKind::kClass, "classes.dex", classes, nullptr);
  });
  EXPECT_EQ(Find(f, "admob"), nullptr);
  const SdkHit* id = Find(f, "google-advertising-id");
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->category, "other");
}

TEST_F(SdkDetection, AdvertisingIdWithItsAdHostIsNotAdMob) {
  // The advertising-ID library embeds pagead2.googlesyndication.com.
  Items classes = {"com.google.android.gms.ads.identifier.AdvertisingIdClient"};
  Items hosts = {"pagead2.googlesyndication.com"};
  Facts f = FeedSink(*db_, [&](EvidenceSink* s) {
    s->OnTable(EvidenceKind::kClass, "classes.dex", classes, nullptr);
    s->OnTable(EvidenceKind::kHost, "classes.dex", hosts, nullptr);
  });
  EXPECT_EQ(Find(f, "admob"), nullptr);
  Items more = {"com.google.android.gms.ads.AdView"};
  Facts g = FeedSink(*db_, [&](EvidenceSink* s) {
    s->OnTable(EvidenceKind::kClass, "classes.dex", more, nullptr);
    s->OnTable(EvidenceKind::kHost, "classes.dex", hosts, nullptr);
  });
  ASSERT_NE(Find(g, "admob"), nullptr);
  EXPECT_TRUE(HasEvidence(*Find(g, "admob"), "host", "pagead2.googlesyndication.com"));
}

TEST_F(SdkDetection, AdMobClassesAreAdMob) {
  Items classes = {"com.google.android.gms.ads.identifier.AdvertisingIdClient",
                   "com.google.android.gms.ads.AdView",
                   "com.google.android.gms.ads.internal.ClientApi"};
  std::vector<bool> refs = {true, true, false};
  Facts f = FeedSink(*db_, [&](EvidenceSink* s) {
    s->OnTable(EvidenceKind::kClass, "classes.dex", classes, &refs);
  });
  const SdkHit* a = ExpectHit(f, "admob", "ads", "referenced", {{"class", "com.google.android.gms.ads.AdView"}});
  ASSERT_NE(a, nullptr);
  // The excluded identifier class is not AdMob evidence.
  EXPECT_FALSE(HasEvidence(*a, "class", "com.google.android.gms.ads.identifier.AdvertisingIdClient"));
  // Referenced evidence comes first.
  EXPECT_TRUE(a->evidence.front().referenced);
}

TEST_F(SdkDetection, StringOnlyIsWeak) {
  Items strings = {"com.qq.e.comm.managers.GDTADManager", "hello"};
  Facts f = FeedSink(*db_, [&](EvidenceSink* s) {
    s->OnTable(EvidenceKind::kString, "classes.dex", strings, nullptr);
  });
  const SdkHit* g = Find(f, "gdt");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->confidence, "weak");
  EXPECT_TRUE(HasEvidence(*g, "string", "com.qq.e.comm.managers.GDTADManager"));
}

TEST_F(SdkDetection, HostOnlyIsWeakAndClassesMakeItPresent) {
  Items hosts = {"mi.gdt.qq.com"};
  Items classes = {"com.qq.e.ads.splash.SplashAD"};
  Facts weak = FeedSink(*db_, [&](EvidenceSink* s) { s->OnTable(EvidenceKind::kHost, "classes.dex", hosts, nullptr); });
  ASSERT_NE(Find(weak, "gdt"), nullptr);
  EXPECT_EQ(Find(weak, "gdt")->confidence, "weak");
  std::vector<bool> not_ref = {false};
  Facts present = FeedSink(*db_, [&](EvidenceSink* s) {
    s->OnTable(EvidenceKind::kHost, "classes.dex", hosts, nullptr);
    s->OnTable(EvidenceKind::kClass, "classes.dex", classes, &not_ref);
  });
  ASSERT_NE(Find(present, "gdt"), nullptr);
  EXPECT_EQ(Find(present, "gdt")->confidence, "present");
  // Strong evidence sorts before weak.
  EXPECT_EQ(Find(present, "gdt")->evidence.front().kind, "class");
}

TEST_F(SdkDetection, ComponentsMatchClassPrefixes) {
  Items comps = {"com.qq.e.ads.ADActivity", "com.bytedance.sdk.openadsdk.activity.TTDelegateActivity"};
  Facts f = FeedSink(*db_, [&](EvidenceSink* s) { s->OnTable(EvidenceKind::kComponent, "AndroidManifest.xml", comps, nullptr); });
  ASSERT_NE(Find(f, "gdt"), nullptr);
  ASSERT_NE(Find(f, "pangle"), nullptr);
  EXPECT_TRUE(HasEvidence(*Find(f, "gdt"), "component", "com.qq.e.ads.ADActivity"));
  EXPECT_EQ(Find(f, "gdt")->evidence[0].location, "AndroidManifest.xml");
}

TEST_F(SdkDetection, PrefixMustEndAtPackageBoundary) {
  Items classes = {"com.qq.easy.Thing", "com.kwadx.Foo", "com.example.app.MainActivity",
                   "org.cocos2dxfake.Lib"};
  Facts f = FeedSink(*db_, [&](EvidenceSink* s) { s->OnTable(EvidenceKind::kClass, "classes.dex", classes, nullptr); });
  EXPECT_TRUE(f.sdks.empty()) << f.sdks[0].id;
}

TEST_F(SdkDetection, CocosByLibraryGlob) {
  Items libs = {"lib/armeabi/libcocos2dcpp.so"};
  Facts f = FeedSink(*db_, [&](EvidenceSink* s) { s->OnTable(EvidenceKind::kNativeLib, "lib", libs, nullptr); });
  const SdkHit* c = Find(f, "cocos");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->category, "game-engine");
}

TEST_F(SdkDetection, LeguPackerFillsPackerInfo) {
  Items classes = {"com.tencent.StubShell.TxAppEntry", "com.tencent.StubShell.ZipUtil"};
  Items assets = {"lib/armeabi/libshella-2.8.so", "lib/armeabi/mix.dex", "lib/armeabi/mixz.dex",
                  "classes.dex"};
  Facts f = FeedSink(*db_, [&](EvidenceSink* s) {
    s->OnTable(EvidenceKind::kClass, "classes.dex", classes, nullptr);
    s->OnTable(EvidenceKind::kAsset, "", assets, nullptr);
  });
  EXPECT_TRUE(f.packer.packed);
  ASSERT_EQ(f.packer.names.size(), 1u);
  EXPECT_EQ(f.packer.names[0], "Tencent Legu (腾讯乐固)");
  ASSERT_EQ(f.packer.not_analysed.size(), 1u);
  EXPECT_NE(f.packer.not_analysed[0].find("lib/armeabi/mix.dex"), std::string::npos);
  const SdkHit* l = Find(f, "tencent-legu");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->category, "packer");
}

TEST_F(SdkDetection, PackerNameInStringIsNotPacked) {
  Items strings = {"com.tencent.StubShell.TxAppEntry"};
  Facts f = FeedSink(*db_, [&](EvidenceSink* s) { s->OnTable(EvidenceKind::kString, "classes.dex", strings, nullptr); });
  EXPECT_FALSE(f.packer.packed);
  ASSERT_NE(Find(f, "tencent-legu"), nullptr);
  EXPECT_EQ(Find(f, "tencent-legu")->confidence, "weak");
}

TEST_F(SdkDetection, IosTables) {
  Items frameworks = {"@rpath/GDTMobSDK.framework/GDTMobSDK"};
  Items objc = {"BUAdSDKManager", "WXApi", "PayReq", "PayRequestHelper"};
  Items assets = {"Payload/App.app/Frameworks/UnityFramework.framework/UnityFramework"};
  Facts f = FeedSink(*db_, [&](EvidenceSink* s) {
    s->OnTable(EvidenceKind::kFramework, "Payload/App.app/App", frameworks, nullptr);
    s->OnTable(EvidenceKind::kObjcClass, "Payload/App.app/App", objc, nullptr);
    s->OnTable(EvidenceKind::kAsset, "", assets, nullptr);
  });
  EXPECT_NE(Find(f, "gdt"), nullptr);
  EXPECT_NE(Find(f, "pangle"), nullptr);
  EXPECT_NE(Find(f, "wechat-opensdk"), nullptr);
  ASSERT_NE(Find(f, "wechat-pay"), nullptr);
  EXPECT_FALSE(HasEvidence(*Find(f, "wechat-pay"), "objc-class", "PayRequestHelper"));
  ASSERT_NE(Find(f, "unity"), nullptr);
  EXPECT_TRUE(HasEvidence(*Find(f, "unity"), "framework",
                          "Payload/App.app/Frameworks/UnityFramework.framework/UnityFramework"));
}

TEST_F(SdkDetection, FairPlayEncryptionIsReportedAsPacked) {
  Facts in;
  in.ios.encrypted = true;
  Facts f = FeedSink(*db_, [](EvidenceSink*) {}, in);
  EXPECT_TRUE(f.packer.packed);
  ASSERT_EQ(f.packer.names.size(), 1u);
  EXPECT_NE(f.packer.not_analysed[0].find("encrypted"), std::string::npos);
  Facts clean = FeedSink(*db_, [](EvidenceSink*) {});
  EXPECT_FALSE(clean.packer.packed);
}

TEST_F(SdkDetection, EvidenceIsBoundedAndOrderIsStable) {
  std::vector<std::string> storage;
  for (int i = 0; i < 5000; ++i) storage.push_back("com.qq.e.comm.c" + std::to_string(i));
  storage.push_back("com.unity3d.player.UnityPlayerActivity");
  storage.push_back("com.alipay.sdk.app.PayTask");
  Items fwd(storage.begin(), storage.end());
  Items rev(storage.rbegin(), storage.rend());
  Items libs = {"lib/arm64-v8a/libunity.so"};
  auto feed = [&](const Items& classes) {
    return FeedSink(*db_, [&](EvidenceSink* s) {
      s->OnTable(EvidenceKind::kClass, "classes.dex", classes, nullptr);
      s->OnTable(EvidenceKind::kNativeLib, "lib", libs, nullptr);
    });
  };
  Facts a = feed(fwd), b = feed(rev);
  ASSERT_EQ(a.sdks.size(), 3u);
  std::vector<std::string> ids_a, ids_b;
  for (const auto& s : a.sdks) ids_a.push_back(s.id);
  for (const auto& s : b.sdks) ids_b.push_back(s.id);
  EXPECT_EQ(ids_a, ids_b);
  // Category order: ads, game-engine, payment.
  EXPECT_EQ(ids_a, (std::vector<std::string>{"gdt", "unity", "alipay"}));
  for (const auto& s : a.sdks) EXPECT_LE(s.evidence.size(), 6u) << s.id;
}

TEST_F(SdkDetection, ConcurrentScansShareOneDatabase) {
  Items classes = {"com.kwad.sdk.api.KsAdSDK", "cn.jpush.android.api.JPushInterface"};
  std::vector<std::thread> threads;
  std::vector<size_t> counts(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        Facts f = FeedSink(*db_, [&](EvidenceSink* s) { s->OnTable(EvidenceKind::kClass, "classes.dex", classes, nullptr); });
        counts[t] += f.sdks.size();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (size_t c : counts) EXPECT_EQ(c, 400u);
}

// Mechanics of not_alone / requires / exclude on a small in-memory database.
TEST(SdkConditions, NotAloneRequiresExclude) {
  SdkSignature s;
  s.id = "demo";
  s.name = "Demo";
  s.vendor = "Demo";
  s.category = "ads";
  s.source = "test";
  s.patterns[static_cast<size_t>(PatternGroup::kClasses)] = {"com.demo."};
  s.patterns[static_cast<size_t>(PatternGroup::kNativeLibs)] = {"libdemo.so"};
  s.not_alone[static_cast<size_t>(PatternGroup::kClasses)] = {"com.demo.util."};
  s.exclude[static_cast<size_t>(PatternGroup::kClasses)] = {"com.demo.id."};
  SdkSignature r = s;
  r.id = "engine";
  r.category = "game-engine";
  r.patterns[static_cast<size_t>(PatternGroup::kClasses)] = {"org.engine."};
  r.patterns[static_cast<size_t>(PatternGroup::kAssets)] = {"assets/engine/"};
  r.patterns[static_cast<size_t>(PatternGroup::kNativeLibs)] = {"libengine.so"};
  r.not_alone = {};
  r.exclude = {};
  r.requires_any = {PatternGroup::kNativeLibs};
  auto db = CompileSignatures({s, r}, "t");
  ASSERT_TRUE(db.ok()) << db.status().ToString();

  auto scan = [&](Items classes, Items assets) {
    return FeedSink(**db, [&](EvidenceSink* k) {
      k->OnTable(EvidenceKind::kClass, "classes.dex", classes, nullptr);
      k->OnTable(EvidenceKind::kAsset, "", assets, nullptr);
    });
  };
  // not_alone only: nothing.
  EXPECT_EQ(Find(scan({"com.demo.util.Log"}, {}), "demo"), nullptr);
  // excluded only: nothing.
  EXPECT_EQ(Find(scan({"com.demo.id.Client"}, {}), "demo"), nullptr);
  // With another hit, the not_alone item is kept as (supporting) evidence.
  Facts f = scan({"com.demo.util.Log", "com.demo.Ad", "com.demo.id.Client"}, {});
  ASSERT_NE(Find(f, "demo"), nullptr);
  EXPECT_TRUE(HasEvidence(*Find(f, "demo"), "class", "com.demo.util.Log"));
  EXPECT_FALSE(HasEvidence(*Find(f, "demo"), "class", "com.demo.id.Client"));
  EXPECT_EQ(Find(f, "demo")->evidence.front().value, "com.demo.Ad");
  // requires: classes and assets without the library are not the engine.
  EXPECT_EQ(Find(scan({"org.engine.Main"}, {"assets/engine/x"}), "engine"), nullptr);
  EXPECT_NE(Find(scan({"org.engine.Main"}, {"lib/x86/libengine.so"}), "engine"), nullptr);
}

// Issue 14 item 3: a packed app whose classes are all hidden still names its
// SDKs through the keys they read from the manifest. A real APK (aapt,
// mkapk.py) without code: only <meta-data> under <application> and under a
// component. A channel key alone (UMENG_CHANNEL, also written by channel
// packaging tools) and a lookalike key must not name the SDK.
TEST(SdkEngine, ManifestMetaDataKeysNameSdksWithoutAnyCode) {
  const std::string apk = testing::BuildApk(R"({"package": "cn.sg.metadata",
      "application": {"meta_data": [{"name": "UMENG_APPKEY", "value": "5f0000000000000000000001"},
                                    {"name": "JPUSH_APPKEY", "value": "0123456789abcdef01234567"},
                                    {"name": "com.google.android.gms.ads.APPLICATION_ID",
                                     "value": "ca-app-pub-0000000000000000~0000000000"}]},
      "components": [{"kind": "service", "name": "cn.sg.metadata.Sync",
                      "meta_data": [{"name": "com.baidu.lbsapi.API_KEY", "value": "k"}]}]})");
  ASSERT_FALSE(apk.empty());
  const std::string near = testing::BuildApk(R"({"package": "cn.sg.metadata.near",
      "application": {"meta_data": [{"name": "UMENG_CHANNEL", "value": "huawei"},
                                    {"name": "JPUSH_APPKEq", "value": "x"},
                                    {"name": "umeng_appkey", "value": "x"}]}})");
  ASSERT_FALSE(near.empty());
  EngineOptions o;
  o.signatures_dir = testing::SourceDir() + "/signatures";
  auto e = Engine::Create(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();

  Facts f = (*e)->ScanFile(apk);
  for (const auto& [id, key] : std::vector<std::pair<std::string, std::string>>{
           {"umeng", "UMENG_APPKEY"},
           {"jpush", "JPUSH_APPKEY"},
           {"admob", "com.google.android.gms.ads.APPLICATION_ID"},
           {"baidu-location", "com.baidu.lbsapi.API_KEY"}}) {
    const SdkHit* h = Find(f, id);
    ASSERT_NE(h, nullptr) << id;
    EXPECT_EQ(h->confidence, "present") << id;
    EXPECT_TRUE(HasEvidence(*h, "meta-data", key)) << id;
    ASSERT_FALSE(h->evidence.empty());
    EXPECT_EQ(h->evidence.front().location, "AndroidManifest.xml") << id;
  }
  EXPECT_EQ(Find(f, "talkingdata"), nullptr);

  Facts n = (*e)->ScanFile(near);
  EXPECT_EQ(Find(n, "umeng"), nullptr) << "UMENG_CHANNEL alone is supporting evidence only";
  EXPECT_EQ(Find(n, "jpush"), nullptr);
}

TEST(SdkEngine, EngineLoadsTheShippedDatabase) {
  EngineOptions o;
  o.signatures_dir = testing::SourceDir() + "/signatures";
  auto e = Engine::Create(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_NE((*e)->signatures_version().find("sdks"), std::string::npos);
  o.signatures_dir = testing::SourceDir() + "/no-such-dir";
  EXPECT_FALSE(Engine::Create(o).ok());
}

}  // namespace
}  // namespace shelfguard
