#include "wxapkg/wxapkg_analyzer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>
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
// Jumps to other mini-programs: the call sites looked at per file, the
// targets kept, and how far after the call its argument object is searched
// for the target appid and for a game.
constexpr size_t kMaxJumpCallsPerFile = 256;
constexpr size_t kMaxJumpTargets = 64;
constexpr size_t kJumpWindow = 512;

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// The first appid ("wx" + 16 lower-case hex digits, not part of a longer
// word) in `w`, or "".
std::string FirstAppid(std::string_view w) {
  for (size_t p = w.find("wx"); p != std::string_view::npos; p = w.find("wx", p + 1)) {
    if (p + 18 > w.size()) break;
    if (p > 0 && (std::isalnum(static_cast<unsigned char>(w[p - 1])) || w[p - 1] == '_')) continue;
    bool hex = true;
    for (size_t i = p + 2; i < p + 18 && hex; ++i) hex = IsHex(w[i]);
    if (!hex) continue;
    if (p + 18 < w.size() && std::isalnum(static_cast<unsigned char>(w[p + 18]))) continue;
    return std::string(w.substr(p, 18));
  }
  return "";
}

// Whether a jump's argument object says its target is a game: a path or
// extra data naming a game ("game", 游戏, also as the \u escapes compiled
// code uses). The package cannot say more about another mini-program.
bool NamesAGame(std::string_view w) {
  std::string lower(w);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view n : {"game", "游戏", "\\u6e38\\u620f"})
    if (lower.find(n) != std::string::npos) return true;
  return false;
}

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

constexpr std::string_view kJumpNeedle = "navigateToMiniProgram";

// Every needle of the analyzer (features, the jump call, camera, OCR) found
// in one pass over a text. Searching each needle separately cost ~40 passes
// over every JS file, and needles that start with a common byte ('c' of
// create...) stopped at each one (bench/README.md, package_scan_bench). Here
// a table of the needles' first two bytes picks the few positions worth
// comparing. Needles are at least two bytes long.
class NeedleScanner {
 public:
  NeedleScanner() : pairs_(65536 / 64, 0) {
    for (const Feature& f : Features())
      for (std::string_view n : f.needles) Add(n);
    Add(kJumpNeedle);
    for (std::string_view n : kCameraNeedles) Add(n);
    for (std::string_view n : kOcrNeedles) Add(n);
  }
  // The needles of `text`, by the index of Add order (Index()).
  std::vector<bool> Scan(std::string_view text) const {
    std::vector<bool> found(needles_.size(), false);
    size_t left = needles_.size();
    for (size_t i = 0; i + 1 < text.size() && left > 0; ++i) {
      const uint16_t pair = Pair(text[i], text[i + 1]);
      if ((pairs_[pair >> 6] & (uint64_t{1} << (pair & 63))) == 0) continue;
      for (uint32_t idx : by_pair_.at(pair)) {
        if (found[idx] || text.compare(i, needles_[idx].size(), needles_[idx]) != 0) continue;
        found[idx] = true;
        --left;
      }
    }
    return found;
  }
  size_t Index(std::string_view needle) const {
    return std::find(needles_.begin(), needles_.end(), needle) - needles_.begin();
  }

 private:
  static uint16_t Pair(char a, char b) {
    return static_cast<uint16_t>(static_cast<uint8_t>(a) | (static_cast<uint8_t>(b) << 8));
  }
  void Add(std::string_view n) {
    if (n.size() < 2 || Index(n) < needles_.size()) return;
    const uint16_t pair = Pair(n[0], n[1]);
    pairs_[pair >> 6] |= uint64_t{1} << (pair & 63);
    by_pair_[pair].push_back(static_cast<uint32_t>(needles_.size()));
    needles_.push_back(n);
  }
  std::vector<std::string_view> needles_;
  std::vector<uint64_t> pairs_;
  std::map<uint16_t, std::vector<uint32_t>> by_pair_;
};

const NeedleScanner& Needles() {
  static const NeedleScanner k;
  return k;
}

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
  void AddScope(const std::string& name, const std::string& loc);
  void ScanCode(std::string_view name, std::string_view text);
  void Finish();

  ScanContext* ctx_ = nullptr;
  Facts* facts_ = nullptr;
  // Per feature id: the evidence seen.
  std::map<std::string, std::vector<Evidence>> hits_;
  std::vector<Evidence> camera_, ocr_;
  // Jump targets (appid -> where seen, whether the call names a game), in
  // the order found.
  struct Jump {
    std::string appid, location;
    bool game = false;
  };
  std::vector<Jump> jumps_;
  void AddJump(const std::string& appid, std::string_view location, bool game);
};

void WxapkgAnalyzer::AddJump(const std::string& appid, std::string_view location, bool game) {
  for (Jump& j : jumps_) {
    if (j.appid != appid) continue;
    if (game && !j.game) {
      j.game = true;
      j.location = std::string(location);
    }
    return;
  }
  if (jumps_.size() < kMaxJumpTargets) jumps_.push_back({appid, std::string(location), game});
}

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

void WxapkgAnalyzer::AddScope(const std::string& name, const std::string& loc) {
  for (const Permission& p : facts_->permissions) {
    if (p.name == name) return;
  }
  Permission p;
  p.name = name;
  p.dangerous = IsSensitiveScopeName(name);
  p.location = loc;  // the compiled app.json, never an Android manifest
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
      AddScope(p.key(), loc);
    }
  }
  for (auto& s : StrList(j, "requiredPrivateInfos")) {
    AddUnique(&mp.required_private_infos, s);
    AddScope(s, loc);
  }
  for (auto& s : StrList(j, "navigateToMiniProgramAppIdList")) {
    AddUnique(&mp.navigate_appids, s);
    if (wxapkg::IsAppid(s)) AddJump(s, loc, false);
  }
  for (const char* key : {"appid", "appId", "extAppid"}) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string() && wxapkg::IsAppid(it->get<std::string>()) &&
        mp.appid.empty()) {
      mp.appid = it->get<std::string>();
      mp.appid_source = "app-config";
    }
  }
}

void WxapkgAnalyzer::ScanCode(std::string_view name, std::string_view text) {
  auto record = [&](const std::string& id, const char* kind, std::string_view needle) {
    auto& v = hits_[id];
    if (v.size() < kMaxEvidencePerFeature)
      v.push_back(Seen(kind, std::string(name), std::string(needle), true));
  };
  MiniProgramFacts& mp = facts_->mini_program;
  const NeedleScanner& needles = Needles();
  const std::vector<bool> found = needles.Scan(text);
  auto has = [&](std::string_view n) {
    const size_t i = needles.Index(n);
    return i < found.size() && found[i];
  };
  for (const Feature& f : Features()) {
    for (std::string_view n : f.needles) {
      if (!has(n)) continue;
      record(f.id, f.kind, n);
      std::string what = std::string(f.kind) == "api" ? "wx." + std::string(n) : std::string(n);
      AddUnique(std::string(f.kind) == "api" ? &mp.apis : &mp.components, what);
    }
  }
  // wx.navigateToMiniProgram({appId: "wx...", path: ...}): the target's
  // appid is a literal in the argument object right after the call.
  // The window ends where the next call starts, so one call's game path is
  // not taken for its neighbour's.
  constexpr std::string_view kJump = kJumpNeedle;
  size_t calls = 0;
  for (size_t at = has(kJump) ? text.find(kJump) : std::string_view::npos;
       at != std::string_view::npos;) {
    if (++calls > kMaxJumpCallsPerFile) break;
    AddUnique(&mp.apis, "wx.navigateToMiniProgram");
    const size_t next = text.find(kJump, at + kJump.size());
    std::string_view w = text.substr(at, std::min(kJumpWindow, next - at));
    at = next;
    const size_t key = w.find("appId");
    if (key == std::string_view::npos) continue;
    std::string appid = FirstAppid(w.substr(key));
    if (appid.empty()) continue;
    AddUnique(&mp.navigate_appids, appid);
    AddJump(appid, name, NamesAGame(w));
  }
  for (std::string_view n : kCameraNeedles) {
    if (has(n) && camera_.size() < kMaxEvidencePerFeature)
      camera_.push_back(Seen("api", std::string(name), std::string(n), true));
  }
  for (std::string_view n : kOcrNeedles) {
    if (has(n) && ocr_.size() < kMaxEvidencePerFeature)
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
  // Jumps to other mini-programs: facts (category other) with each target
  // appid as evidence; those whose call names a game are game links, which
  // CONTENT-GAME reports.
  if (!jumps_.empty()) {
    SdkHit all{"wechat-mp-jump", "Jump to another mini-program (navigateToMiniProgram)", "Tencent",
               "other", "referenced", {}};
    SdkHit games{"wechat-mp-game-link", "Jump to a game mini-program (game link)", "Tencent",
                 "game-sdk", "referenced", {}};
    for (const Jump& j : jumps_) {
      if (all.evidence.size() < kMaxEvidencePerFeature)
        all.evidence.push_back(Seen("mini-program-jump", j.location, j.appid, true));
      if (j.game && games.evidence.size() < kMaxEvidencePerFeature)
        games.evidence.push_back(Seen("mini-program-jump", j.location, j.appid, true));
    }
    facts_->sdks.push_back(std::move(all));
    if (!games.evidence.empty()) facts_->sdks.push_back(std::move(games));
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
