// SDK and packer identification on real packages from ../shared/corpus. The
// expectations come from inspecting each package by hand (unzip -l, dexdump,
// strings), not from shelfguard's own output:
//   togetherad__app-release.apk   com/qq/e/** (73+88 classes), com/baidu/mobads/**,
//                                 assets/gdt_plugin/gdtadv2.jar, assets/bdxadsdk.jar
//   exodus__blooddonation.apk     com/google/android/gms/ads/{internal,mediation,...}/**
//   weardrawers.apk               only com/google/android/gms/ads/identifier/** (6 classes)
//   cocos2048__HelloCpp-debug.apk lib/armeabi/libcocos2dcpp.so, org/cocos2dx/lib/**
//   game2048 / minimalpoem *_legu_*  com/tencent/StubShell/**, lib/armeabi/libshella-*.so,
//                                 lib/armeabi/mix.dex; the unpacked siblings have none
//   apktool issue1244 / unknown_compression: assets/bin/Data/* and no lib/ at all
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "shelfguard/engine.h"
#include "support/corpus.h"

namespace shelfguard {
namespace {

class SdkCorpus : public ::testing::Test {
 protected:
  void SetUp() override {
    SG_REQUIRE_CORPUS();
    EngineOptions o;
    o.signatures_dir = testing::SourceDir() + "/signatures";
    auto e = Engine::Create(o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = *e;
  }

  Facts Scan(const std::string& name) {
    Facts f = engine_->ScanFile(testing::CorpusDir() + "/apk/" + name);
    EXPECT_TRUE(f.analysed) << name;
    return f;
  }

  // The DEX analyzer must have run: without code units no class evidence
  // exists and every expectation below would be vacuous.
  static void ExpectCode(const Facts& f) {
    bool dex = std::any_of(f.code.begin(), f.code.end(),
                           [](const CodeUnit& c) { return c.kind == "dex"; });
    ASSERT_TRUE(dex) << f.file << ": no DEX code unit in the facts (is the DEX analyzer in?)";
  }

  Facts ScanCode(const std::string& name) {
    Facts f = Scan(name);
    ExpectCode(f);
    return f;
  }

  static const SdkHit* Find(const Facts& f, const std::string& id) {
    for (const auto& s : f.sdks)
      if (s.id == id) return &s;
    return nullptr;
  }

  static bool EvidenceStartsWith(const SdkHit& h, const std::string& kind,
                                 const std::string& prefix) {
    return std::any_of(h.evidence.begin(), h.evidence.end(), [&](const Evidence& e) {
      return e.kind == kind && e.value.rfind(prefix, 0) == 0;
    });
  }

  // The hit of `id`, of `category` and on more than weak evidence; nullptr
  // (then a failure) when there is none.
  static const SdkHit* ExpectStrongHit(const Facts& f, const std::string& id, const char* category) {
    const SdkHit* h = Find(f, id);
    EXPECT_NE(h, nullptr) << id;
    if (h == nullptr) return nullptr;
    EXPECT_EQ(h->category, category) << id;
    EXPECT_NE(h->confidence, "weak") << id;
    return h;
  }

  // Neither the SDK `id` nor any SDK of its `category` was found.
  static void ExpectNone(const Facts& f, const char* id, const char* category) {
    EXPECT_EQ(Find(f, id), nullptr);
    for (const auto& s : f.sdks) EXPECT_NE(s.category, category) << s.id;
  }

  std::shared_ptr<const Engine> engine_;
};

TEST_F(SdkCorpus, TogetherAdHasGdtAndBaidu) {
  Facts f = ScanCode("togetherad__app-release.apk");
  const SdkHit* gdt = ExpectStrongHit(f, "gdt", "ads");
  ASSERT_NE(gdt, nullptr);
  EXPECT_TRUE(EvidenceStartsWith(*gdt, "class", "com.qq.e."));
  const SdkHit* baidu = Find(f, "baidu-mobads");
  ASSERT_NE(baidu, nullptr);
  EXPECT_TRUE(EvidenceStartsWith(*baidu, "class", "com.baidu.mobad"));
  EXPECT_FALSE(f.packer.packed);
  EXPECT_EQ(Find(f, "unity"), nullptr);
}

TEST_F(SdkCorpus, BloodDonationHasAdMob) {
  Facts f = ScanCode("exodus__blooddonation.apk");
  const SdkHit* admob = ExpectStrongHit(f, "admob", "ads");
  ASSERT_NE(admob, nullptr);
  // Verified by hand: com/google/ads/mediation/** and com/google/android/gms/ads/internal/**.
  EXPECT_TRUE(EvidenceStartsWith(*admob, "class", "com.google.ads.") ||
              EvidenceStartsWith(*admob, "class", "com.google.android.gms.ads."));
  EXPECT_FALSE(EvidenceStartsWith(*admob, "class", "com.google.android.gms.ads.identifier."));
}

TEST_F(SdkCorpus, AdvertisingIdOnlyAppIsNotAdMob) {
  Facts f = ScanCode("androguard__com.example.android.wearable.wear.weardrawers.apk");
  EXPECT_NE(Find(f, "google-advertising-id"), nullptr);
  ExpectNone(f, "admob", "ads");
}

TEST_F(SdkCorpus, Cocos2048IsCocos) {
  Facts f = ScanCode("cocos2048__HelloCpp-debug.apk");
  const SdkHit* cocos = Find(f, "cocos");
  ASSERT_NE(cocos, nullptr);
  EXPECT_EQ(cocos->category, "game-engine");
  EXPECT_TRUE(EvidenceStartsWith(*cocos, "native-lib", "lib/armeabi/libcocos2dcpp.so"));
  EXPECT_EQ(Find(f, "unity"), nullptr);
}

TEST_F(SdkCorpus, LeguPackedBuildsAgainstUnpackedSiblings) {
  for (const std::string app : {"game2048", "minimalpoem"}) {
    SCOPED_TRACE(app);
    Facts packed = Scan(app + "__app-release_legu_signed_zipalign.apk");
    Facts plain = Scan(app + "__app-release.apk");
    ExpectCode(packed);
    ExpectCode(plain);
    EXPECT_TRUE(packed.packer.packed);
    EXPECT_NE(std::find(packed.packer.names.begin(), packed.packer.names.end(),
                        "Tencent Legu (腾讯乐固)"),
              packed.packer.names.end());
    ASSERT_FALSE(packed.packer.not_analysed.empty());
    EXPECT_NE(packed.packer.not_analysed[0].find("mix"), std::string::npos)
        << packed.packer.not_analysed[0];
    const SdkHit* legu = Find(packed, "tencent-legu");
    ASSERT_NE(legu, nullptr);
    EXPECT_TRUE(EvidenceStartsWith(*legu, "class", "com.tencent.StubShell."));
    // The stub ships Bugly (com.tencent.bugly.legu, libBugly.so).
    EXPECT_NE(Find(packed, "bugly"), nullptr);

    EXPECT_FALSE(plain.packer.packed);
    EXPECT_TRUE(plain.packer.names.empty());
    EXPECT_EQ(Find(plain, "tencent-legu"), nullptr);
  }
}

TEST_F(SdkCorpus, UnityFolderOnlyFixturesAreNotUnity) {
  for (const char* name : {"apktool__issue1244.apk", "apktool__unknown_compression.apk"}) {
    SCOPED_TRACE(name);
    ExpectNone(Scan(name), "unity", "game-engine");
  }
}

TEST_F(SdkCorpus, MiiAdDemoHasGdt) {
  Facts f = ScanCode("miiad__adsdk_06131732.apk");
  const SdkHit* gdt = Find(f, "gdt");
  ASSERT_NE(gdt, nullptr);
  EXPECT_NE(Find(f, "tencent-x5"), nullptr);
}

}  // namespace
}  // namespace shelfguard
