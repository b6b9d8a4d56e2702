#include "wxapkg/wxapkg_analyzer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "assets/asset_analyzer.h"
#include "wxapkg/wxapkg_parser.h"

namespace shelfguard {
namespace {

using json = nlohmann::json;

constexpr uint64_t kMaxConfigBytes = 4u << 20;
constexpr uint64_t kMaxTextFileBytes = 8u << 20;
constexpr uint64_t kMaxTextTotalBytes = 128u << 20;
constexpr size_t kMaxListItems = 5000;
constexpr size_t kMaxEvidencePerFeature = 5;

// Evidence of a feature seen in the package (named fields: Evidence grows).
Evidence Seen(std::string kind, std::string location, std::string value, bool referenced) {
  Evidence e;
  e.kind = std::move(kind);
  e.location = std::move(location);
  e.value = std::move(value);
  e.referenced = referenced;
  return e;
}

bool EndsWith(std::string_view s, std::string_view suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

// A platform feature a rule asks about, found by what the code calls or
// the templates use. Compiled WXML names tags as _n("tag") / _n('tag');
// source WXML as <tag.
struct Feature {
  const char* id;
  const char* name;
  const char* category;
  std::vector<std::string_view> needles;
  const char* kind;  // "api" | "component"
};

const std::vector<Feature>& Features() {
  static const std::vector<Feature> k = {
      {"wechat-mp-ads", "WeChat mini-program ads (流量主)", "ads",
       {"createRewardedVideoAd", "createInterstitialAd", "createBannerAd", "createCustomAd",
        "createGridAd"},
       "api"},
      {"wechat-mp-ads", "WeChat mini-program ads (流量主)", "ads",
       {"_n(\"ad\")", "_n('ad')", "_n(\"ad-custom\")", "_n('ad-custom')", "<ad ", "<ad>",
        "<ad-custom", "<ad\n", "<ad\t"},
       "component"},
      {"wechat-mp-payment", "WeChat Pay in mini-programs (wx.requestPayment)", "payment",
       {"requestPayment", "requestVirtualPayment", "requestCommonPayment"}, "api"},
      {"wechat-mp-face", "WeChat face verification (wx.startFacialRecognitionVerify)", "face",
       {"startFacialRecognitionVerify", "checkIsSupportFacialRecognition"}, "api"},
      {"wechat-mp-live", "WeChat live player / pusher", "live-streaming",
       {"createLivePlayerContext", "createLivePusherContext"}, "api"},
      {"wechat-mp-live", "WeChat live player / pusher", "live-streaming",
       {"_n(\"live-player\")", "_n('live-player')", "_n(\"live-pusher\")", "_n('live-pusher')",
        "<live-player", "<live-pusher"},
       "component"},
  };
  return k;
}

// Camera + OCR together are the photo-search pattern (拍照搜题).
constexpr std::string_view kCameraNeedles[] = {"createCameraContext", "_n(\"camera\")",
                                               "_n('camera')", "<camera", "chooseMedia",
                                               "chooseImage"};
constexpr std::string_view kOcrNeedles[] = {"ocr-plugin", "ocrPlugin", "/ocr", "OCR", "ocr/",
                                            "recognizeText", "printedText"};

std::vector<std::string> StrList(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (out.size() >= kMaxListItems) break;
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

void AddUnique(std::vector<std::string>* v, std::string s) {
  if (s.empty() || v->size() >= kMaxListItems) return;
  if (std::find(v->begin(), v->end(), s) == v->end()) v->push_back(std::move(s));
}

class WxapkgAnalyzer : public Analyzer {
 public:
  const char* name() const override { return "wxapkg"; }
  void Analyze(ScanContext* ctx) override;

 private:
  void ReadConfig(const json& j, const std::string& loc);
  void AddScope(const std::string& name);
  void ScanCode(std::string_view name, std::string_view text);
  void Finish();

  ScanContext* ctx_ = nullptr;
  Facts* facts_ = nullptr;
  // Per feature id: the evidence seen.
  std::map<std::string, std::vector<Evidence>> hits_;
  std::vector<Evidence> camera_, ocr_;
};

bool IsSensitiveScopeName(std::string_view n) {
  static const std::set<std::string_view> k = {
      "scope.userLocation", "scope.userLocationBackground", "scope.userFuzzyLocation",
      "scope.record", "scope.camera", "scope.bluetooth", "scope.writePhotosAlbum",
      "scope.addPhoneContact", "scope.addPhoneCalendar", "scope.werun", "scope.address",
      "scope.invoiceTitle", "scope.invoice", "scope.userInfo",
      "getLocation", "getFuzzyLocation", "onLocationChange", "startLocationUpdate",
      "startLocationUpdateBackground", "chooseLocation", "choosePoi", "chooseAddress"};
  return k.count(n) > 0;
}

void WxapkgAnalyzer::AddScope(const std::string& name) {
  for (const Permission& p : facts_->permissions) {
    if (p.name == name) return;
  }
  Permission p;
  p.name = name;
  p.dangerous = IsSensitiveScopeName(name);
  facts_->permissions.push_back(std::move(p));
}

// app-config.json (main package) and game.json (mini-game) share the keys
// read here (app.json as compiled).
void WxapkgAnalyzer::ReadConfig(const json& j, const std::string& loc) {
  MiniProgramFacts& mp = facts_->mini_program;
  for (auto& p : StrList(j, "pages")) AddUnique(&mp.pages, p);
  for (const char* key : {"subPackages", "subpackages"}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_array()) continue;
    for (const auto& sp : *it) {
      if (!sp.is_object()) continue;
      auto root = sp.find("root");
      if (root != sp.end() && root->is_string()) AddUnique(&mp.subpackages, root->get<std::string>());
      auto pl = sp.find("plugins");
      if (pl != sp.end() && pl->is_object()) {
        for (auto p = pl->begin(); p != pl->end(); ++p) {
          if (p.value().is_object() && p.value().contains("provider") && p.value()["provider"].is_string())
            AddUnique(&mp.plugins, p.key() + ": " + p.value()["provider"].get<std::string>());
        }
      }
    }
  }
  auto pl = j.find("plugins");
  if (pl != j.end() && pl->is_object()) {
    for (auto p = pl->begin(); p != pl->end(); ++p) {
      std::string provider;
      if (p.value().is_object() && p.value().contains("provider") && p.value()["provider"].is_string())
        provider = p.value()["provider"].get<std::string>();
      AddUnique(&mp.plugins, provider.empty() ? p.key() : p.key() + ": " + provider);
    }
  }
  auto perm = j.find("permission");
  if (perm != j.end() && perm->is_object()) {
    for (auto p = perm->begin(); p != perm->end(); ++p) {
      AddUnique(&mp.permission_scopes, p.key());
      AddScope(p.key());
    }
  }
  for (auto& s : StrList(j, "requiredPrivateInfos")) {
    AddUnique(&mp.required_private_infos, s);
    AddScope(s);
  }
  for (auto& s : StrList(j, "navigateToMiniProgramAppIdList")) AddUnique(&mp.navigate_appids, s);
  for (const char* key : {"appid", "appId", "extAppid"}) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string() && wxapkg::IsAppid(it->get<std::string>()) &&
        mp.appid.empty()) {
      mp.appid = it->get<std::string>();
      mp.appid_source = "app-config";
    }
  }
  (void)loc;
}

void WxapkgAnalyzer::ScanCode(std::string_view name, std::string_view text) {
  auto record = [&](const std::string& id, const char* kind, std::string_view needle) {
    auto& v = hits_[id];
    if (v.size() < kMaxEvidencePerFeature)
      v.push_back(Seen(kind, std::string(name), std::string(needle), true));
  };
  MiniProgramFacts& mp = facts_->mini_program;
  for (const Feature& f : Features()) {
    for (std::string_view n : f.needles) {
      if (text.find(n) == std::string_view::npos) continue;
      record(f.id, f.kind, n);
      std::string what = std::string(f.kind) == "api" ? "wx." + std::string(n) : std::string(n);
      AddUnique(std::string(f.kind) == "api" ? &mp.apis : &mp.components, what);
    }
  }
  if (text.find("navigateToMiniProgram") != std::string_view::npos)
    AddUnique(&mp.apis, "wx.navigateToMiniProgram");
  for (std::string_view n : kCameraNeedles) {
    if (text.find(n) != std::string_view::npos && camera_.size() < kMaxEvidencePerFeature)
      camera_.push_back(Seen("api", std::string(name), std::string(n), true));
  }
  for (std::string_view n : kOcrNeedles) {
    if (text.find(n) != std::string_view::npos && ocr_.size() < kMaxEvidencePerFeature)
      ocr_.push_back(Seen("string", std::string(name), std::string(n), true));
  }
}

void WxapkgAnalyzer::Finish() {
  for (const Feature& f : Features()) {
    auto it = hits_.find(f.id);
    if (it == hits_.end() || it->second.empty()) continue;
    bool already = std::any_of(facts_->sdks.begin(), facts_->sdks.end(),
                               [&](const SdkHit& h) { return h.id == f.id; });
    if (already) continue;
    SdkHit h{f.id, f.name, "Tencent", f.category, "referenced", std::move(it->second)};
    facts_->sdks.push_back(std::move(h));
  }
  if (!camera_.empty() && !ocr_.empty()) {
    SdkHit h{"wechat-mp-camera-ocr", "Camera + OCR in a mini-program (photo search)", "Tencent",
             "photo-search", "present", {}};
    h.evidence = camera_;
    h.evidence.insert(h.evidence.end(), ocr_.begin(), ocr_.end());
    facts_->sdks.push_back(std::move(h));
  }
}

void WxapkgAnalyzer::Analyze(ScanContext* ctx) {
  ctx_ = ctx;
  facts_ = &ctx->facts();
  std::string_view bytes = ctx->bare_bytes();
  if (bytes.empty()) return;
  auto parsed = wxapkg::Parse(bytes, &ctx->budget());
  if (!parsed.ok()) {
    ctx->AddError(parsed.status().code(), facts_->file + ": " + parsed.status().message());
    return;
  }
  const wxapkg::Package& pkg = *parsed;
  for (const Anomaly& a : pkg.anomalies) ctx->AddAnomaly(a.code, a.location, a.detail);
  MiniProgramFacts& mp = facts_->mini_program;

  std::vector<std::string_view> paths;
  for (const auto& e : pkg.entries) paths.push_back(e.name);
  ctx->Table(EvidenceKind::kAsset, "package", paths);

  const bool game = pkg.Find("/game.js") != nullptr;
  const bool app = pkg.Find("/app-config.json") != nullptr || pkg.Find("/app-service.js") != nullptr;
  const bool base_library = !game && !app && pkg.Find("/WAService.js") != nullptr;
  mp.kind = game ? "game" : app ? "app" : base_library ? "base-library"
            : pkg.Find("/plugin.json") != nullptr ? "plugin" : "subpackage";
  for (const char* cfg : {"/app-config.json", "/game.json", "/app.json"}) {
    const wxapkg::Entry* e = pkg.Find(cfg);
    if (e == nullptr) continue;
    if (e->size > kMaxConfigBytes) {
      ctx->AddAnomaly("wxapkg-config-too-large", cfg, std::to_string(e->size) + " bytes");
      continue;
    }
    json j = json::parse(pkg.Content(*e), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      ctx->AddAnomaly("wxapkg-config-malformed", cfg, "not a JSON object");
      continue;
    }
    ReadConfig(j, cfg);
  }
  if (base_library) {
    // The WeChat base library defines every wx.* API; its strings say
    // nothing about what an app uses.
    ctx->AddAnomaly("wxapkg-base-library", facts_->file,
                    "package holds the WeChat base library (WAService.js), not an app's code");
  }
  uint64_t total = 0;
  for (const auto& e : pkg.entries) {
    if (ctx->budget().Expired()) {
      ctx->AddError(ctx->budget().CheckDeadline());
      break;
    }
    std::string_view n = e.name;
    bool code = EndsWith(n, ".js") || EndsWith(n, ".html") || EndsWith(n, ".wxml");
    bool text = code || EndsWith(n, ".json") || EndsWith(n, ".txt");
    if (!text || total >= kMaxTextTotalBytes) continue;
    std::string_view content = pkg.Content(e).substr(0, kMaxTextFileBytes);
    total += content.size();
    if (code && !base_library) ScanCode(n, content);
    std::vector<std::string> hosts = ExtractHosts(content, 2000);
    std::vector<std::string_view> hv(hosts.begin(), hosts.end());
    ctx->Table(EvidenceKind::kHost, n, hv);
    if (EndsWith(n, ".html")) {
      ctx->Text(n, HtmlToText(content));
    } else {
      ctx->Text(n, content);
    }
  }
  Finish();
  if (game) {
    // A mini-game is a game whatever it links: the game rule applies to it.
    facts_->sdks.push_back(SdkHit{"wechat-minigame", "WeChat mini-game (小游戏)", "Tencent",
                                  "game-engine", "present",
                                  {Seen("asset", "/game.js", "mini-game entry", false)}});
  }
  if (mp.appid.empty()) {
    // Plugins live under __plugin__/<appid>/: those are the plugins' appids.
    for (const auto& e : pkg.entries) {
      if (e.name.rfind("/__plugin__/", 0) == 0) {
        std::string id = wxapkg::AppidFromPath(e.name.substr(12, 18));
        if (!id.empty()) AddUnique(&mp.plugins, "__plugin__: " + id);
      }
    }
  }
  if (!mp.appid.empty()) facts_->package.id = mp.appid;
}

}  // namespace

std::unique_ptr<Analyzer> NewWxapkgAnalyzer() { return std::make_unique<WxapkgAnalyzer>(); }

bool IsSensitiveMiniProgramScope(std::string_view name) { return IsSensitiveScopeName(name); }

}  // namespace shelfguard
