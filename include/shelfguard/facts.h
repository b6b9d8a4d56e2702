// Facts: what static analysis established about one package. Analyzers fill
// these; the policy engine reads them (never raw bytes); the report prints
// them. Plain data, no behaviour.
#ifndef SHELFGUARD_FACTS_H_
#define SHELFGUARD_FACTS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace shelfguard {

enum class Platform { kUnknown, kAndroid, kIos, kHarmony, kMiniProgram };
// "unknown" | "android" | "ios" | "harmony" | "mini-program"
const char* PlatformName(Platform p);

struct PackageIdentity {
  Platform platform = Platform::kUnknown;
  std::string id;            // Android package / iOS CFBundleIdentifier
  std::string label;         // resolved application label / display name
  std::string version_code;  // versionCode / CFBundleVersion, as a string
  std::string version_name;  // versionName / CFBundleShortVersionString
  std::optional<int> min_sdk;     // Android only
  std::optional<int> target_sdk;  // Android only
  std::string min_os;                       // iOS MinimumOSVersion
  std::vector<std::string> device_families; // iOS: "iphone", "ipad", ...
};

struct Permission {
  std::string name;
  bool dangerous = false;          // Android runtime permission
  std::optional<int> max_sdk;      // android:maxSdkVersion
  bool sdk23 = false;              // declared with <uses-permission-sdk-23>
  // Where it is declared, as a path in the package: "" means
  // AndroidManifest.xml; a HAP's module.json / config.json, a mini-program's
  // /app-config.json (its app.json) otherwise.
  std::string location{};
};

struct AppFlags {
  std::optional<bool> debuggable;
  std::optional<bool> allow_backup;            // absent means platform default (true)
  std::optional<bool> uses_cleartext_traffic;
  std::string network_security_config;         // resolved resource path, if any
  bool cleartext_permitted_by_nsc = false;     // NSC XML permits cleartext somewhere
};

struct Component {
  std::string kind;        // activity | activity-alias | service | receiver | provider
  std::string name;        // fully qualified class name
  bool exported = false;   // effective exported state
  bool exported_explicit = false;  // android:exported was present
  bool has_intent_filter = false;
  std::string permission;  // android:permission guard (provider: read/write too)
  bool enabled = true;
};

// One piece of evidence behind an SDK or packer: where it was seen.
struct Evidence {
  std::string kind;      // class | package | native-lib | asset | component | host | string |
                         // objc-class | framework | dylib | symbol | selector
  std::string location;  // file inside the package (classes2.dex, lib/arm64-v8a/x.so)
  std::string value;     // the class/library/host/... that matched
  bool referenced = false;  // code references it (call, load, instantiation)
  // On a finding's evidence: the id of the SDK (SdkHit::id) the item belongs
  // to, or "" when the evidence is not about an SDK.
  std::string sdk{};
};

struct SdkHit {
  std::string id, name, vendor, category;
  std::string confidence;  // "referenced" | "present" | "weak"
  std::vector<Evidence> evidence;
};

struct PackerInfo {
  bool packed = false;
  std::vector<std::string> names;          // e.g. "Tencent Legu"
  std::vector<std::string> not_analysed;   // what could not be analysed and why
};

struct CodeUnit {
  std::string kind;      // dex | elf | macho
  std::string location;  // path inside the package
  bool extra = false;    // DEX outside classes*.dex, nested archives, ...
  std::string arch;      // abi / cpu
  uint64_t classes = 0, strings = 0, methods = 0, symbols = 0;
  std::vector<std::string> needed;  // DT_NEEDED / LC_LOAD_DYLIB
  std::string note;                 // e.g. "truncated", "encrypted (cryptid=1)"
};

// A filing-like number the app shows to its users.
struct DisplayedNumber {
  std::string kind;        // moe-filing | icp | app-icp | psb (公网安备)
  std::string text;        // normalised number as shown
  std::string raw;         // the text as found (trimmed)
  std::string location;    // file (and string index / offset) where found
  bool well_formed = true;
  std::string problem;     // why it is malformed, if it is
};

struct IosFacts {
  std::map<std::string, std::string> usage_descriptions;  // NS*UsageDescription -> text
  bool ats_arbitrary_loads = false;
  std::vector<std::string> ats_exception_domains;
  std::vector<std::string> url_schemes, queried_schemes;
  std::map<std::string, std::string> entitlements;  // key -> JSON-encoded value
  std::string team_id;
  std::vector<std::string> frameworks, dylibs, extensions;
  std::string executable;
  std::vector<std::string> architectures;
  bool encrypted = false;  // FairPlay cryptid != 0 on the main binary
};

// HarmonyOS / OpenHarmony packages (.hap, .hsp, .app): docs/harmony.md.
struct HarmonyModule {
  std::string name;          // module name (module.json module.name / config.json distro)
  std::string type;          // entry | feature | shared | har
  std::string location;      // file inside the package ("entry-default.hap/module.json")
  std::vector<std::string> device_types;
  std::vector<std::string> abilities;            // name (type) of each ability
  std::vector<std::string> extension_abilities;  // name (type) of each extension ability
};
struct HarmonyFacts {
  std::string model;            // "stage" (module.json) | "fa" (config.json)
  std::string bundle_type;      // app | atomicService | shared | appService
  std::string vendor;
  std::string min_api_version;     // e.g. "20" or "5.0.5(17)" for 50005017
  std::string target_api_version;
  std::string api_release_type;    // Release | Beta1 ...
  std::string compile_sdk;         // compileSdkType compileSdkVersion
  bool debug = false;
  std::vector<HarmonyModule> modules;
  std::map<std::string, std::string> permission_reasons;  // permission -> reason as declared
  std::vector<std::string> module_references;  // @ohos:, @normalized:, @package:, @hms: ... (capped)
  std::vector<std::string> abc_versions;       // "abc-path: 13.0.1.0"
};

// WeChat mini-programs / mini-games (.wxapkg): docs/mini-programs.md.
struct MiniProgramFacts {
  std::string appid;
  std::string kind;       // app | game | subpackage | plugin
  bool encrypted = false;  // PC-WeChat V1MMWX container
  bool decrypted = false;  // ... and it was decrypted with a known appid
  std::string appid_source;  // option | file-name | app-config | ext
  std::vector<std::string> pages, subpackages;
  std::vector<std::string> plugins;               // "alias: provider appid"
  std::vector<std::string> permission_scopes;     // app.json permission keys (scope.userLocation)
  std::vector<std::string> required_private_infos;
  std::vector<std::string> navigate_appids;       // navigateToMiniProgramAppIdList + code jumps
  std::vector<std::string> apis;                  // notable wx.* APIs used (requestPayment ...)
  std::vector<std::string> components;            // notable components (ad, live-player ...)
};

struct Anomaly {  // something odd but survivable in the container or a structure
  std::string code;     // e.g. zip-duplicate-entry, axml-bad-chunk
  std::string location;
  std::string detail;
};

struct ErrorItem {
  std::string code;
  std::string message;
};

struct Facts {
  std::string file;
  std::string sha256;
  uint64_t size = 0;
  PackageIdentity package;
  std::vector<Permission> permissions;
  std::vector<std::string> defined_permissions;
  AppFlags app_flags;
  std::vector<Component> components;
  IosFacts ios;
  HarmonyFacts harmony;
  MiniProgramFacts mini_program;
  std::vector<CodeUnit> code;
  std::vector<SdkHit> sdks;
  PackerInfo packer;
  std::vector<DisplayedNumber> displayed_numbers;
  std::vector<Anomaly> anomalies;
  std::vector<ErrorItem> errors;
  // "full"; "manifest" for a manifest-only scan (EngineOptions); "code" for
  // a bare code file (a .dex alone): no manifest, resources or assets, so
  // the rules that read those are not assessed (Report::not_assessed).
  std::string scope = "full";
  // The signature database the SDK facts were matched with (Engine).
  std::string signatures_version;
  // True when the package could be opened and identified. An unanalysable
  // file (not a zip, over a limit) has analysed == false and errors set.
  bool analysed = false;
};

}  // namespace shelfguard

#endif  // SHELFGUARD_FACTS_H_
