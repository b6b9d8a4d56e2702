// HarmonyOS and WeChat mini-program packages end to end: every corpus file
// of ../shared/corpus/hap and wxapkg scans without a crash and with its
// identity; encrypted mini-programs are reported as such and their
// decrypted twin is analysed; fixtures built by tests/support writers make
// the rules fire (ads, filing numbers, personal information).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>

#include "policy/assess.h"
#include "shelfguard/engine.h"
#include "support/corpus.h"
#include "support/identity_expect.h"
#include "support/package_writers.h"
#include "support/zip_entries.h"

namespace shelfguard {
namespace {

namespace fs = std::filesystem;
using testing::AbcString;

std::shared_ptr<const Engine> MakeEngine(const std::string& wx_appid = "") {
  EngineOptions o;
  o.wx_appid = wx_appid;
  auto e = Engine::Create(o);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? *e : nullptr;
}

Report Assess(Facts f) {
  AssessOptions o;
  o.today = "2026-11-30";
  auto a = Assessor::Create(o);
  EXPECT_TRUE(a.ok());
  return (*a)->Assess(std::move(f));
}

bool HasSdk(const Facts& f, const std::string& id) {
  return std::any_of(f.sdks.begin(), f.sdks.end(), [&](const SdkHit& h) { return h.id == id; });
}
bool HasFinding(const Report& r, const std::string& id) {
  return std::any_of(r.findings.begin(), r.findings.end(),
                     [&](const Finding& x) { return x.rule_id == id; });
}
bool HasError(const Facts& f, const std::string& code) {
  return std::any_of(f.errors.begin(), f.errors.end(),
                     [&](const ErrorItem& e) { return e.code == code; });
}
const Permission* FindPermission(const Facts& f, const std::string& name) {
  for (const auto& p : f.permissions)
    if (p.name == name) return &p;
  return nullptr;
}

std::string ModuleJson(const std::string& bundle, const std::string& type) {
  return R"({"app":{"bundleName":")" + bundle +
         R"(","versionCode":1000002,"versionName":"1.0.2","minAPIVersion":50005017,
  "targetAPIVersion":50005017,"vendor":"edu","bundleType":"app","debug":false,"label":"$string:app_name"},
  "module":{"name":"entry","type":")" + type + R"(","deviceTypes":["phone","tablet"],
  "abilities":[{"name":"EntryAbility","exported":true,"skills":[{"actions":["ohos.want.action.home"]}]}],
  "extensionAbilities":[{"name":"Backup","type":"backup","exported":false}],
  "requestPermissions":[{"name":"ohos.permission.CAMERA","reason":"$string:camera_reason"},
                        {"name":"ohos.permission.INTERNET"}]}})";
}

// A stage-model HAP with an Ads Kit module reference in its bytecode and a
// 教APP备 number in its resources.
std::string EducationHap(const std::string& bundle = "com.example.eduhap") {
  std::string abc = testing::BuildAbc(
      {AbcString("@ohos:router"), AbcString("@hms:core.ads"),
       AbcString("@normalized:N&&&entry/src/main/ets/pages/Index&"),
       AbcString("https://api.example-edu.cn/v1/lessons")});
  std::string index = testing::BuildResourceIndex({"示例课堂", "备案号：教APP备1100123号",
                                                   "京ICP备12345678号-1A"});
  return testing::ZipBytes({{"module.json", ModuleJson(bundle, "entry")},
                            {"ets/modules.abc", abc},
                            {"resources.index", index},
                            {"resources/rawfile/about.html",
                             "<p>关于我们</p><p>客服电话 400-000-0000</p>"}});
}

std::string MiniProgram() {
  std::string config = R"({"pages":["pages/index/index","pages/pay/pay"],
    "subPackages":[{"root":"packageA/","pages":["packageA/pages/x"]}],
    "plugins":{"live-player-plugin":{"version":"1.0.0","provider":"wx2b03c6e691cd7370"}},
    "permission":{"scope.userLocation":{"desc":"定位最近的校区"}},
    "requiredPrivateInfos":["getLocation"],
    "navigateToMiniProgramAppIdList":["wx98bb879bbb53ad81"]})";
  std::string padding(2000, ' ');  // past the 1,023-byte encrypted head
  return testing::BuildWxapkg(
      {{"/app-config.json", config + padding},
       {"/pages/index/index.wxml", "<view>首页</view><ad unit-id=\"adunit-123\"></ad>"},
       {"/app-service.js",
        "Page({pay(){wx.requestPayment({timeStamp:'1',nonceStr:'a',package:'p',signType:'MD5',paySign:'s'})}});"},
       {"/pages/about/about.wxml", "<text>教APP备1100123号</text>"}});
}

std::string WriteTemp(const std::string& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string TempDir(const std::string& what) {
  return (fs::temp_directory_path() / ("sg_hmp_" + std::to_string(::getpid()) + "_" + what)).string();
}

TEST(HarmonyFixture, HapIdentityPermissionsAdKitAndFilingNumber) {
  auto engine = MakeEngine();
  ASSERT_NE(engine, nullptr);
  Facts f = engine->ScanBytes("edu.hap", EducationHap());
  ASSERT_TRUE(f.analysed);
  EXPECT_EQ(f.package.platform, Platform::kHarmony);
  testing::ExpectIdentity(f.package, {{"id", "com.example.eduhap"}, {"version_code", "1000002"},
                                      {"version_name", "1.0.2"}, {"target_sdk", "17"}});
  EXPECT_EQ(f.harmony.min_api_version, "5.0.5(17)");
  EXPECT_EQ(f.harmony.model, "stage");
  ASSERT_EQ(f.harmony.modules.size(), 1u);
  EXPECT_EQ(f.harmony.modules[0].extension_abilities.at(0), "Backup (backup)");
  const Permission* cam = FindPermission(f, "ohos.permission.CAMERA");
  ASSERT_NE(cam, nullptr);
  EXPECT_TRUE(cam->dangerous);
  EXPECT_FALSE(FindPermission(f, "ohos.permission.INTERNET")->dangerous);
  EXPECT_EQ(f.harmony.permission_reasons["ohos.permission.CAMERA"], "$string:camera_reason");
  EXPECT_TRUE(HasSdk(f, "harmony-ads-kit"));
  ASSERT_FALSE(f.displayed_numbers.empty());
  bool moe = false;
  for (const auto& n : f.displayed_numbers) moe = moe || n.text == "教APP备1100123号";
  EXPECT_TRUE(moe);
  Report r = Assess(f);
  EXPECT_TRUE(HasFinding(r, "CONTENT-AD-SDK"));
  EXPECT_FALSE(HasFinding(r, "FILING-NOT-DISPLAYED"));
}

// Issue 17 item 1: the HarmonyOS editions of the big Chinese ad SDKs, found
// by the ohpm packages their module references name (Pangle/穿山甲
// @csj/openadsdk, 优量汇 @gdt/gdt-union-sdk, Kuaishou ksadsdk, GroMore's
// @csj/adapter_*), each merged into the SDK's one entry; lookalike package
// names are not them.
TEST(HarmonyFixture, ChineseAdSdksByTheirOhpmPackages) {
  auto engine = MakeEngine();
  ASSERT_NE(engine, nullptr);
  auto hap = [&](const std::vector<std::string>& refs) {
    std::vector<std::string> records;
    for (const std::string& r : refs) records.push_back(AbcString(r));
    return engine->ScanBytes("ads.hap", testing::ZipBytes({{"module.json", ModuleJson("com.example.adhap", "entry")},
                                                           {"ets/modules.abc", testing::BuildAbc(records)}}));
  };
  Facts f = hap({"@normalized:N&&&@csj/openadsdk/Index&7.5.3",
                 "@normalized:N&&&@gdt/gdt-union-sdk/src/main/ets/Index&1.2.0",
                 "@normalized:N&&&ksadsdk/Index&3.0.6",
                 "@normalized:N&&&@csj/adapter_gdt/Index&1.2.0-2"});
  ASSERT_TRUE(f.analysed);
  for (const auto& entry : std::vector<std::pair<std::string, std::string>>{
           {"pangle", "@csj/openadsdk"}, {"gdt", "@gdt/gdt-union-sdk"},
           {"kuaishou-ads", "ksadsdk"}, {"gromore", "@csj/adapter_gdt"}}) {
    // Named copies, not a structured binding: clang 14 cannot capture those.
    const std::string& id = entry.first;
    const std::string& package = entry.second;
    const SdkHit* h = nullptr;
    for (const SdkHit& x : f.sdks)
      if (x.id == id) h = &x;
    ASSERT_NE(h, nullptr) << id;
    EXPECT_EQ(h->category, "ads");
    EXPECT_EQ(h->confidence, "referenced") << id;
    bool ev = std::any_of(h->evidence.begin(), h->evidence.end(), [&](const Evidence& e) {
      return e.kind == "harmony-module" && e.value == package;
    });
    EXPECT_TRUE(ev) << id << " has no harmony-module evidence " << package;
  }
  EXPECT_TRUE(HasFinding(Assess(f), "CONTENT-AD-SDK"));

  Facts near = hap({"@normalized:N&&&@csj/openadsdkx/Index&1.0.0",
                    "@normalized:N&&&ksadsdk2/Index&1.0.0",
                    "@normalized:N&&&@gdtx/gdt-union-sdk/Index&1.0.0"});
  for (const char* id : {"pangle", "gdt", "kuaishou-ads", "gromore"})
    EXPECT_FALSE(HasSdk(near, id)) << id;
  EXPECT_FALSE(HasFinding(Assess(near), "CONTENT-AD-SDK"));
}

TEST(HarmonyFixture, AppContainerMergesModulesAndBoundsNesting) {
  auto engine = MakeEngine();
  std::string pack = R"({"summary":{"app":{"bundleName":"com.example.eduhap","version":{"code":1000002,"name":"1.0.2"}}}})";
  std::string app = testing::ZipBytes({{"pack.info", pack}, {"entry-default.hap", EducationHap()}});
  Facts f = engine->ScanBytes("edu.app", app);
  ASSERT_TRUE(f.analysed);
  EXPECT_EQ(f.package.platform, Platform::kHarmony);
  EXPECT_EQ(f.package.id, "com.example.eduhap");
  EXPECT_TRUE(HasSdk(f, "harmony-ads-kit"));
  ASSERT_EQ(f.harmony.modules.size(), 1u);
  EXPECT_EQ(f.harmony.modules[0].location, "entry-default.hap/module.json");
  EXPECT_FALSE(f.displayed_numbers.empty());
  // .app in .app in ... deeper than max_depth: analysed as far as allowed.
  std::string nested = app;
  for (int i = 0; i < 6; ++i) nested = testing::ZipBytes({{"pack.info", pack}, {"inner.app", nested}});
  Facts g = engine->ScanBytes("deep.app", nested);
  EXPECT_EQ(g.package.id, "com.example.eduhap");  // from pack.info
  bool deep = std::any_of(g.anomalies.begin(), g.anomalies.end(),
                          [](const Anomaly& a) { return a.code == "hap-nested-too-deep"; });
  EXPECT_TRUE(deep);
}

TEST(HarmonyFixture, MalformedModuleJsonIsReportedNotFatal) {
  auto engine = MakeEngine();
  Facts f = engine->ScanBytes(
      "bad.hap", testing::ZipBytes({{"module.json", "{\"app\":[1,2"}, {"resources.index", "x"}}));
  EXPECT_EQ(f.package.platform, Platform::kHarmony);
  bool malformed = std::any_of(f.anomalies.begin(), f.anomalies.end(),
                               [](const Anomaly& a) { return a.code == "hap-config-malformed"; });
  EXPECT_TRUE(malformed);
  EXPECT_TRUE(HasError(f, "hap-no-module"));
}

TEST(MiniProgramFixture, AdComponentPaymentScopesAndFilingNumber) {
  auto engine = MakeEngine();
  Facts f = engine->ScanBytes("mp.wxapkg", MiniProgram());
  ASSERT_TRUE(f.analysed);
  EXPECT_EQ(f.package.platform, Platform::kMiniProgram);
  EXPECT_EQ(f.mini_program.kind, "app");
  EXPECT_EQ(f.mini_program.pages.size(), 2u);
  EXPECT_EQ(f.mini_program.subpackages.at(0), "packageA/");
  EXPECT_EQ(f.mini_program.plugins.at(0), "live-player-plugin: wx2b03c6e691cd7370");
  EXPECT_EQ(f.mini_program.navigate_appids.at(0), "wx98bb879bbb53ad81");
  ASSERT_NE(FindPermission(f, "scope.userLocation"), nullptr);
  EXPECT_TRUE(FindPermission(f, "scope.userLocation")->dangerous);
  EXPECT_TRUE(HasSdk(f, "wechat-mp-ads"));
  EXPECT_TRUE(HasSdk(f, "wechat-mp-payment"));
  EXPECT_FALSE(HasSdk(f, "wechat-mp-face"));
  for (const auto& s : f.sdks) {
    if (s.id == "wechat-mp-ads") {
      EXPECT_EQ(s.evidence.at(0).location, "/pages/index/index.wxml");
    }
  }
  Report r = Assess(f);
  EXPECT_TRUE(HasFinding(r, "CONTENT-AD-SDK"));
  EXPECT_FALSE(HasFinding(r, "FILING-NOT-DISPLAYED"));
}

// Issue 17 item 2: a mini-program's permissions are cited where they are
// declared (its app.json, compiled into /app-config.json), never an Android
// manifest; jumps to other mini-programs are reported with each target appid,
// and a jump whose call names a game is a game link (CONTENT-GAME).
TEST(MiniProgramFixture, PermissionEvidenceIsTheAppConfigAndJumpsNameTheirTargets) {
  const std::string config = R"({"appid":"wx5f3c1a2b4d6e8f90","pages":["pages/index/index"],
    "permission":{"scope.userLocation":{"desc":"定位最近的校区"}},
    "navigateToMiniProgramAppIdList":["wx98bb879bbb53ad81"]})";
  const std::string js =
      "Page({help(){wx.navigateToMiniProgram({appId:'wxaaaabbbbccccdddd',path:'pages/help/index'})},"
      "play(){wx.navigateToMiniProgram({appId:\"wx1111222233334444\",path:\"pages/game/index?from=edu\"})},"
      "other(t){wx.navigateToMiniProgram({appId:t.appid,path:'x'})},"
      "fake(){wx.navigateToMiniProgram({appId:'wx1111222233334444ff'})}});";
  Facts f = MakeEngine()->ScanBytes(
      "jump.wxapkg", testing::BuildWxapkg({{"/app-config.json", config}, {"/app-service.js", js}}));
  ASSERT_TRUE(f.analysed);
  EXPECT_EQ(f.package.id, "wx5f3c1a2b4d6e8f90");
  const auto& ids = f.mini_program.navigate_appids;
  for (const char* id : {"wx98bb879bbb53ad81", "wxaaaabbbbccccdddd", "wx1111222233334444"})
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << id;
  EXPECT_EQ(ids.size(), 3u) << "a variable appId and a longer hex run are no targets";

  const SdkHit* jump = nullptr;
  const SdkHit* game = nullptr;
  for (const SdkHit& h : f.sdks) {
    if (h.id == "wechat-mp-jump") jump = &h;
    if (h.id == "wechat-mp-game-link") game = &h;
  }
  ASSERT_NE(jump, nullptr);
  EXPECT_EQ(jump->category, "other");
  ASSERT_EQ(jump->evidence.size(), 3u);
  EXPECT_EQ(jump->evidence[0].value, "wx98bb879bbb53ad81");
  EXPECT_EQ(jump->evidence[0].location, "/app-config.json");
  EXPECT_EQ(jump->evidence[1].location, "/app-service.js");
  ASSERT_NE(game, nullptr);
  EXPECT_EQ(game->category, "game-sdk");
  ASSERT_EQ(game->evidence.size(), 1u) << "only the call whose path names a game";
  EXPECT_EQ(game->evidence[0].value, "wx1111222233334444");
  EXPECT_EQ(game->evidence[0].kind, "mini-program-jump");

  AssessOptions o;
  o.today = "2026-11-30";
  o.registry_path = testing::SourceDir() + "/samples/registry.json";
  auto a = Assessor::Create(o);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  Report r = (*a)->Assess(f);
  bool cited = false;
  for (const Finding& x : r.findings) {
    for (const Evidence& e : x.evidence) {
      EXPECT_NE(e.location, "AndroidManifest.xml") << x.rule_id << " cites " << e.value;
      if (x.rule_id == "PRIV-UNDISCLOSED-PERMISSION" && e.value == "scope.userLocation")
        cited = e.location == "/app-config.json";
    }
  }
  EXPECT_TRUE(cited) << "the undeclared scope is cited in /app-config.json";
  bool game_finding = false;
  for (const Finding& x : r.findings) {
    if (x.rule_id != "CONTENT-GAME") continue;
    for (const Evidence& e : x.evidence) game_finding = game_finding || e.value == "wx1111222233334444";
  }
  EXPECT_TRUE(game_finding);

  // Jumps alone (MiniProgram(): a declared target, no game) are no game link.
  Facts plain = MakeEngine()->ScanBytes("mp.wxapkg", MiniProgram());
  EXPECT_TRUE(HasSdk(plain, "wechat-mp-jump"));
  EXPECT_FALSE(HasSdk(plain, "wechat-mp-game-link"));
  EXPECT_FALSE(HasFinding(Assess(plain), "CONTENT-GAME"));
}

TEST(MiniProgramFixture, EncryptedNeedsItsAppid) {
  const std::string appid = "wx0123456789abcdef";
  std::string enc = testing::EncryptWxapkg(MiniProgram(), appid);
  auto engine = MakeEngine();
  Facts no = engine->ScanBytes("__APP__.wxapkg", enc);
  EXPECT_FALSE(no.analysed);
  EXPECT_TRUE(HasError(no, "encrypted"));
  EXPECT_TRUE(no.mini_program.encrypted);
  // The appid in the directory name.
  std::string dir = TempDir("enc") + "/" + appid;
  std::string path = WriteTemp(dir, "__APP__.wxapkg", enc);
  Facts named = engine->ScanFile(path);
  ASSERT_TRUE(named.analysed);
  EXPECT_TRUE(named.mini_program.decrypted);
  EXPECT_EQ(named.package.id, appid);
  EXPECT_EQ(named.mini_program.appid_source, "file-name");
  EXPECT_TRUE(HasSdk(named, "wechat-mp-ads"));
  // The option; a wrong one is an error, not garbage facts.
  Facts opt = MakeEngine(appid)->ScanBytes("__APP__.wxapkg", enc);
  EXPECT_TRUE(opt.analysed);
  EXPECT_EQ(opt.mini_program.appid_source, "option");
  Facts wrong = MakeEngine("wx0000000000000000")->ScanBytes("__APP__.wxapkg", enc);
  EXPECT_FALSE(wrong.analysed);
  EXPECT_TRUE(HasError(wrong, "encrypted"));
  fs::remove_all(TempDir("enc"));
}

// Scans every file of the corpus folder `sub` in name order (at least
// `min_files` of them): each must be a package of `platform`, and `check`
// runs on its path and facts, traced with the path.
void CheckCorpus(const std::string& sub, size_t min_files, Platform platform,
                 const std::function<void(const std::string& path, const Facts& f)>& check) {
  std::vector<std::string> paths;
  for (const auto& e : fs::directory_iterator(testing::CorpusDir() + "/" + sub))
    if (e.is_regular_file()) paths.push_back(e.path().string());
  std::sort(paths.begin(), paths.end());
  ASSERT_GE(paths.size(), min_files);
  auto engine = MakeEngine();
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    Facts f = engine->ScanFile(path);
    EXPECT_EQ(f.package.platform, platform);
    check(path, f);
  }
}

TEST(HarmonyCorpus, EveryPackageIsIdentified) {
  SG_REQUIRE_CORPUS();
  CheckCorpus("hap", 16, Platform::kHarmony, [](const std::string&, const Facts& f) {
    EXPECT_TRUE(f.analysed);
    EXPECT_FALSE(f.package.id.empty());
    EXPECT_FALSE(f.package.version_name.empty());
    EXPECT_TRUE(f.package.min_sdk.has_value());
    EXPECT_FALSE(f.harmony.modules.empty());
    EXPECT_TRUE(f.errors.empty()) << f.errors[0].code << ": " << f.errors[0].message;
    // Every HAP carries Ark bytecode or (FA Java) DEX.
    EXPECT_FALSE(f.code.empty());
  });
}

TEST(HarmonyCorpus, KnownFacts) {
  SG_REQUIRE_CORPUS();
  auto engine = MakeEngine();
  const std::string dir = testing::CorpusDir() + "/hap/";
  Facts muyuan = engine->ScanFile(dir + "xiaohu95271__muyuan__entry-default-signed.hap");
  EXPECT_EQ(muyuan.package.id, "com.gyhgt.tools");
  EXPECT_EQ(muyuan.harmony.min_api_version, "6.0.0(20)");
  EXPECT_EQ(muyuan.harmony.target_api_version, "6.1.0(23)");
  EXPECT_EQ(muyuan.package.target_sdk, 23);
  EXPECT_TRUE(muyuan.harmony.debug);
  Facts fa = engine->ScanFile(dir + "tuxiaobei-scu__Draw-and-guess__entry-debug-rich-unsigned.hap");
  EXPECT_EQ(fa.harmony.model, "fa");
  EXPECT_EQ(fa.package.id, "com.tuxiaobei.drawandguess");
  EXPECT_NE(FindPermission(fa, "ohos.permission.DISTRIBUTED_DATASYNC"), nullptr);
  bool dex = std::any_of(fa.code.begin(), fa.code.end(), [](const CodeUnit& c) { return c.kind == "dex"; });
  EXPECT_TRUE(dex);
  Facts ndk = engine->ScanFile(dir + "hkartrace__ArkUI_NDK__entry-default-signed.hap");
  bool elf = std::any_of(ndk.code.begin(), ndk.code.end(),
                         [](const CodeUnit& c) { return c.kind == "elf" && c.location == "libs/arm64-v8a/libentry.so"; });
  EXPECT_TRUE(elf);
  Facts app = engine->ScanFile(dir + "Nathaniel-hl__LeDong-Health__WUTSport-default-unsigned.app");
  EXPECT_EQ(app.package.id, "com.example.wutsport");
  ASSERT_FALSE(app.harmony.modules.empty());
  EXPECT_EQ(app.harmony.modules[0].location, "entry-default.hap/module.json");
}

TEST(MiniProgramCorpus, EveryPackageScansAndEncryptedOnesSaySo) {
  SG_REQUIRE_CORPUS();
  CheckCorpus("wxapkg", 8, Platform::kMiniProgram, [](const std::string& path, const Facts& f) {
    std::ifstream in(path, std::ios::binary);
    char magic[6] = {};
    in.read(magic, 6);
    if (std::string(magic, 6) == "V1MMWX") {
      EXPECT_TRUE(f.mini_program.encrypted);
      EXPECT_TRUE(HasError(f, "encrypted"));
      EXPECT_FALSE(f.analysed);
    } else {
      EXPECT_TRUE(f.analysed);
      EXPECT_FALSE(f.mini_program.kind.empty());
      EXPECT_TRUE(f.errors.empty());
    }
  });
}

TEST(MiniProgramCorpus, DecryptedTwinMatches) {
  SG_REQUIRE_CORPUS();
  const std::string dir = testing::CorpusDir() + "/wxapkg/";
  // The appid was found by trying the candidates in the twin: only this one
  // decrypts the head to a wxapkg header.
  auto engine = MakeEngine("wx6e24c691f9a50e44");
  Facts enc = engine->ScanFile(dir + "WankkoRee__PartyHistoryofLearning__applet14___APP__.wxapkg");
  Facts dec = engine->ScanFile(dir + "WankkoRee__PartyHistoryofLearning__applet14___APP__.dec.wxapkg");
  ASSERT_TRUE(enc.analysed);
  ASSERT_TRUE(dec.analysed);
  EXPECT_TRUE(enc.mini_program.decrypted);
  EXPECT_EQ(enc.package.id, "wx6e24c691f9a50e44");
  EXPECT_EQ(enc.mini_program.pages, dec.mini_program.pages);
  EXPECT_FALSE(enc.mini_program.pages.empty());
  EXPECT_EQ(enc.mini_program.subpackages, dec.mini_program.subpackages);
  EXPECT_EQ(enc.sdks.size(), dec.sdks.size());
  // The mini-game.
  Facts game = MakeEngine()->ScanFile(dir + "Xia2627__wxapkg-convertor__tiaoyitiao.wxapkg");
  EXPECT_EQ(game.mini_program.kind, "game");
  EXPECT_TRUE(HasSdk(game, "wechat-minigame"));
  EXPECT_TRUE(HasSdk(game, "wechat-mp-ads"));
  EXPECT_EQ(game.mini_program.navigate_appids.at(0), "wx98bb879bbb53ad81");
  // The base library is not an app: no API it defines is taken as used.
  Facts lib = MakeEngine()->ScanFile(dir + "ZaratustraN__wxapp-parser__test.wxapkg");
  EXPECT_EQ(lib.mini_program.kind, "base-library");
  EXPECT_FALSE(HasSdk(lib, "wechat-mp-payment"));
}

}  // namespace
}  // namespace shelfguard
