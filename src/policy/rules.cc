// One function per rule of ../shared/docs/rules.md, listed in RuleList().
// Each appends at most one Finding (with all its evidence) so a report has
// one line per rule; the evidence lists every item that triggered it.
#include "policy/rules.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>

#include "ids/identifiers.h"

namespace shelfguard::policy {
namespace {

constexpr size_t kMaxEvidence = 20;          // per finding
constexpr size_t kMaxEvidencePerSdk = 3;

// ---------------------------------------------------------------- helpers

const Rule* FindRule(std::string_view id) {
  for (const Rule& r : RuleList())
    if (id == r.id) return &r;
  return nullptr;
}

// A finding pre-filled with the rule's id, severity and basis.
Finding Make(std::string_view id, std::string en, std::string zh) {
  const Rule* r = FindRule(id);
  Finding f;
  f.rule_id = std::string(id);
  f.severity = r != nullptr ? r->severity : Severity::kReview;
  f.basis = r != nullptr ? r->basis : "";
  f.message_en = std::move(en);
  f.message_zh = std::move(zh);
  return f;
}

void AddEvidence(Finding* f, Evidence e) {
  if (f->evidence.size() < kMaxEvidence) f->evidence.push_back(std::move(e));
}

Evidence RegistryField(const Filing* filing, std::string_view field, std::string value) {
  std::string loc = "registry";
  if (filing != nullptr && !filing->filing_number.empty()) loc += ":" + filing->filing_number;
  loc += "." + std::string(field);
  return Evidence{"registry", loc, std::move(value), false};
}

std::string Join(const std::vector<std::string>& v, std::string_view sep, size_t max = 8) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < max; ++i) {
    if (i > 0) s += sep;
    s += v[i];
  }
  if (v.size() > max) s += std::string(sep) + "…(+" + std::to_string(v.size() - max) + ")";
  return s;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string Lower(std::string_view s) {
  std::string r(s);
  for (char& c : r)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return r;
}

bool IsAndroid(const Facts& f) { return f.package.platform == Platform::kAndroid; }

// SDK hits of a category that are more than weak (string-only) evidence.
std::vector<const SdkHit*> SdksOf(const Facts& f, std::initializer_list<std::string_view> cats) {
  std::vector<const SdkHit*> out;
  for (const auto& s : f.sdks) {
    if (s.confidence == "weak") continue;
    for (auto c : cats)
      if (s.category == c) out.push_back(&s);
  }
  return out;
}

std::string SdkNames(const std::vector<const SdkHit*>& sdks) {
  std::vector<std::string> n;
  for (const auto* s : sdks) n.push_back(s->name.empty() ? s->id : s->name);
  return Join(n, ", ");
}

void AddSdkEvidence(Finding* f, const std::vector<const SdkHit*>& sdks) {
  for (const auto* s : sdks) {
    size_t n = 0;
    for (const auto& e : s->evidence) {
      if (n++ >= kMaxEvidencePerSdk) break;
      Evidence ev = e;
      ev.sdk = s->id;
      AddEvidence(f, std::move(ev));
    }
    if (s->evidence.empty()) AddEvidence(f, Evidence{"sdk", "", s->id, false, s->id});
  }
}

// Android "dangerous" (runtime) permissions, for analyzers that did not set
// Permission::dangerous (AOSP core/res/AndroidManifest.xml protectionLevel).
bool IsDangerousName(std::string_view n) {
  static const std::set<std::string, std::less<>> k = {
      "android.permission.READ_CALENDAR", "android.permission.WRITE_CALENDAR",
      "android.permission.CAMERA", "android.permission.READ_CONTACTS",
      "android.permission.WRITE_CONTACTS", "android.permission.GET_ACCOUNTS",
      "android.permission.ACCESS_FINE_LOCATION", "android.permission.ACCESS_COARSE_LOCATION",
      "android.permission.ACCESS_BACKGROUND_LOCATION", "android.permission.ACCESS_MEDIA_LOCATION",
      "android.permission.RECORD_AUDIO", "android.permission.READ_PHONE_STATE",
      "android.permission.READ_PHONE_NUMBERS", "android.permission.CALL_PHONE",
      "android.permission.ANSWER_PHONE_CALLS", "android.permission.READ_CALL_LOG",
      "android.permission.WRITE_CALL_LOG", "android.permission.ADD_VOICEMAIL",
      "android.permission.USE_SIP", "android.permission.PROCESS_OUTGOING_CALLS",
      "android.permission.BODY_SENSORS", "android.permission.BODY_SENSORS_BACKGROUND",
      "android.permission.ACTIVITY_RECOGNITION", "android.permission.SEND_SMS",
      "android.permission.RECEIVE_SMS", "android.permission.READ_SMS",
      "android.permission.RECEIVE_WAP_PUSH", "android.permission.RECEIVE_MMS",
      "android.permission.READ_EXTERNAL_STORAGE", "android.permission.WRITE_EXTERNAL_STORAGE",
      "android.permission.READ_MEDIA_IMAGES", "android.permission.READ_MEDIA_VIDEO",
      "android.permission.READ_MEDIA_AUDIO", "android.permission.READ_MEDIA_VISUAL_USER_SELECTED",
      "android.permission.NEARBY_WIFI_DEVICES", "android.permission.BLUETOOTH_SCAN",
      "android.permission.BLUETOOTH_CONNECT", "android.permission.BLUETOOTH_ADVERTISE",
      "android.permission.UWB_RANGING", "android.permission.POST_NOTIFICATIONS"};
  return k.count(n) > 0;
}

bool IsDangerous(const Permission& p) { return p.dangerous || IsDangerousName(p.name); }

bool CollectsPersonalData(const RuleInput& in) {
  for (const auto& p : in.facts->permissions)
    if (IsDangerous(p)) return true;
  if (!in.facts->ios.usage_descriptions.empty()) return true;
  return in.filing != nullptr && !in.filing->declared.personal_info.empty();
}

std::string Norm(std::string_view s) { return ids::NormalizeNumber(s); }

// Numeric-aware version comparison ("1.10.0" > "1.9"): <0, 0, >0.
int CompareVersions(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    uint64_t x = 0, y = 0;
    bool nx = false, ny = false;
    while (i < a.size() && a[i] >= '0' && a[i] <= '9' && x < (1ull << 50)) x = x * 10 + (a[i++] - '0'), nx = true;
    while (j < b.size() && b[j] >= '0' && b[j] <= '9' && y < (1ull << 50)) y = y * 10 + (b[j++] - '0'), ny = true;
    if (nx || ny) {
      if (x != y) return x < y ? -1 : 1;
      continue;
    }
    char c = i < a.size() ? a[i++] : '\0';
    char d = j < b.size() ? b[j++] : '\0';
    if (c != d) return c < d ? -1 : 1;
  }
  return 0;
}

// ---------------------------------------------------------------- identity

void FilingUnfiled(const RuleInput& in, std::vector<Finding>* out) {
  if (in.filing != nullptr || !in.rejected.empty()) return;
  const auto& pkg = in.facts->package;
  if (pkg.id.empty()) return;  // not identified: SEC-MALFORMED says why
  const char* field = pkg.platform == Platform::kIos           ? "ios_bundle_ids"
                      : pkg.platform == Platform::kHarmony     ? "harmony_bundle_names"
                      : pkg.platform == Platform::kMiniProgram ? "mini_program_appids"
                                                               : "android_packages";
  Finding f = Make("FILING-UNFILED",
                   in.self_check
                       ? "the filing to be submitted does not list " + pkg.id + " (" + field + ")"
                       : "no education-app filing for " + pkg.id + " in the registry",
                   in.self_check ? "待提交的备案未包含该应用标识 " + pkg.id
                                 : "备案库中没有 " + pkg.id + " 的教育移动应用备案（应备未备）");
  AddEvidence(&f, Evidence{"registry", std::string("registry.") + field, pkg.id, false});
  out->push_back(std::move(f));
}

// The registry holds a record for the package that was refused at load (a
// wrong check character, a bad date ...): the app may well be filed, so
// this asks for a review of the record instead of blocking it as unfiled.
void FilingRecordRejected(const RuleInput& in, std::vector<Finding>* out) {
  if (in.filing != nullptr || in.rejected.empty()) return;
  const auto& pkg = in.facts->package;
  const RejectedRecord& first = in.rejected.front();
  std::string number = first.filing_number.empty() ? "" : " " + first.filing_number;
  Finding f = Make("FILING-RECORD-REJECTED",
                   "the registry's record for " + pkg.id + " (" + first.Where() + number +
                       ") was rejected when the registry was loaded: " + first.reason +
                       "; the filing could not be checked",
                   "备案库中 " + pkg.id + " 的备案记录（" + first.Where() + number +
                       "）在加载备案库时被拒绝，无法核对备案；拒绝原因见证据");
  for (const RejectedRecord& r : in.rejected) {
    AddEvidence(&f, Evidence{"registry", "registry:" + r.Where(), r.Identity() + ": " + r.reason,
                             false});
  }
  out->push_back(std::move(f));
}

void FilingRevoked(const RuleInput& in, std::vector<Finding>* out) {
  const std::string st = Lower(in.filing->status);
  if (st != "revoked" && st != "suspended" && st != "black") return;
  static const std::map<std::string, std::string> kZh = {
      {"revoked", "已撤销"}, {"suspended", "已暂停"}, {"black", "已列入黑名单"}};
  std::string since = in.filing->status_since.empty() ? "" : " since " + in.filing->status_since;
  Finding f = Make("FILING-REVOKED",
                   "filing " + in.filing->filing_number + " is " + st + since,
                   "备案 " + in.filing->filing_number + " " + kZh.at(st) +
                       (in.filing->status_since.empty() ? "" : "（自 " + in.filing->status_since + "）"));
  AddEvidence(&f, RegistryField(in.filing, "status", st));
  if (!in.filing->status_since.empty())
    AddEvidence(&f, RegistryField(in.filing, "status_since", in.filing->status_since));
  out->push_back(std::move(f));
}

void FilingProviderBanned(const RuleInput& in, std::vector<Finding>* out) {
  if (!in.blacklist) return;
  const BlacklistEntry& b = *in.blacklist;
  if (b.credit_code != in.filing->provider.credit_code || b.credit_code.empty()) return;
  BanStatus ban = BlacklistStatus(b, in.today);
  if (std::string_view(ban.state) != BanStatus::kInForce) return;
  const std::string& until = ban.until;
  Finding f = Make("FILING-PROVIDER-BANNED",
                   "provider " + in.filing->provider.name + " (" + b.credit_code +
                       ") is black-listed since " + (b.since.empty() ? "?" : b.since) +
                       (until.empty() ? "" : " until " + until),
                   "提供者 " + in.filing->provider.name + "（" + b.credit_code + "）自 " +
                       (b.since.empty() ? "?" : b.since) + " 起列入黑名单" +
                       (until.empty() ? "" : "，至 " + until));
  AddEvidence(&f, Evidence{"registry", "registry.blacklist", b.credit_code, false});
  AddEvidence(&f, Evidence{"registry", "registry.blacklist.since", b.since, false});
  if (!until.empty()) AddEvidence(&f, Evidence{"registry", "registry.blacklist.until", until, false});
  if (!b.reason.empty()) AddEvidence(&f, Evidence{"registry", "registry.blacklist.reason", b.reason, false});
  out->push_back(std::move(f));
}

std::vector<const DisplayedNumber*> Displayed(const Facts& f, std::string_view kind) {
  std::vector<const DisplayedNumber*> v;
  for (const auto& n : f.displayed_numbers)
    if (n.kind == kind) v.push_back(&n);
  return v;
}

Evidence NumberEvidence(const DisplayedNumber& n) {
  return Evidence{"string", n.location, n.raw.empty() ? n.text : n.raw, false};
}

void FilingNotDisplayed(const RuleInput& in, std::vector<Finding>* out) {
  if (!Displayed(*in.facts, "moe-filing").empty()) return;
  std::string note_en, note_zh;
  if (in.facts->packer.packed || in.facts->ios.encrypted) {
    note_en = " (the code is packed/encrypted: its strings were not searched)";
    note_zh = "（代码已加固/加密，其中字符串未能检索）";
  }
  Finding f = Make("FILING-NOT-DISPLAYED",
                   "no 教APP备 filing number is shown anywhere in the app" + note_en,
                   "应用内未显示教育移动应用备案号（教APP备）" + note_zh);
  if (in.filing != nullptr)
    AddEvidence(&f, RegistryField(in.filing, "filing_number", in.filing->filing_number));
  out->push_back(std::move(f));
}

void FilingMismatch(const RuleInput& in, std::vector<Finding>* out) {
  Finding f = Make("FILING-MISMATCH", "", "");
  std::vector<std::string> wrong;
  const std::string expected = in.filing != nullptr ? Norm(in.filing->filing_number) : "";
  std::set<std::string> seen;
  for (const auto* n : Displayed(*in.facts, "moe-filing")) {
    const std::string shown = Norm(n->text);
    if (!seen.insert(shown).second) continue;
    auto owner = in.number_owners.find(shown);
    const bool other_owner =
        owner != in.number_owners.end() &&
        (in.filing == nullptr || Norm(owner->second.filing_number) != expected);
    const bool differs = in.filing != nullptr && shown != expected;
    if (!other_owner && !differs) continue;
    std::string what = shown;
    if (other_owner) what += " (filed for " + owner->second.app_name + ")";
    wrong.push_back(what);
    AddEvidence(&f, NumberEvidence(*n));
    if (other_owner)
      AddEvidence(&f, Evidence{"registry", "registry:" + owner->second.filing_number + ".app_name",
                               owner->second.app_name, false});
  }
  if (wrong.empty()) return;
  if (in.filing != nullptr) {
    AddEvidence(&f, RegistryField(in.filing, "filing_number", in.filing->filing_number));
    f.message_en = "the app shows " + Join(wrong, ", ") + " but its filing is " + in.filing->filing_number;
    f.message_zh = "应用显示的备案号 " + Join(wrong, "、") + " 与备案库登记的 " +
                   in.filing->filing_number + " 不符";
  } else {
    f.message_en = "the app shows a filing number that belongs to another app: " + Join(wrong, ", ");
    f.message_zh = "应用显示的备案号属于其他应用：" + Join(wrong, "、");
  }
  out->push_back(std::move(f));
}

void FilingMalformed(const RuleInput& in, std::vector<Finding>* out) {
  Finding f = Make("FILING-MALFORMED", "", "");
  std::vector<std::string> bad;
  for (const auto* n : Displayed(*in.facts, "moe-filing")) {
    if (n->well_formed) continue;
    bad.push_back(n->text + (n->problem.empty() ? "" : ": " + n->problem));
    AddEvidence(&f, NumberEvidence(*n));
  }
  if (bad.empty()) return;
  f.message_en = "displayed filing number is malformed: " + Join(bad, "; ");
  f.message_zh = "显示的备案号格式不正确（应为 教APP备+7位数字+号，前两位为省级行政区划代码）：" +
                 Join(bad, "；");
  out->push_back(std::move(f));
}

void FilingIcpMissing(const RuleInput& in, std::vector<Finding>* out) {
  std::vector<std::string> en, zh;
  Finding f = Make("FILING-ICP-MISSING", "", "");
  if (in.filing != nullptr && in.filing->icp_number.empty() && in.filing->app_icp_number.empty()) {
    en.push_back("the registry has no ICP filing for the provider");
    zh.push_back("备案库中没有提供者的 ICP 备案");
    AddEvidence(&f, RegistryField(in.filing, "icp_number", ""));
  }
  bool shown = false;
  for (const auto* n : Displayed(*in.facts, "app-icp")) shown = shown || n->well_formed;
  if (!shown) {
    en.push_back("the app displays no App ICP filing number (<province>ICP备…号-nA)");
    zh.push_back("应用内未显示 App ICP 备案号（…号-nA）");
    for (const auto* n : Displayed(*in.facts, "icp")) AddEvidence(&f, NumberEvidence(*n));
    if (in.filing != nullptr && !in.filing->app_icp_number.empty())
      AddEvidence(&f, RegistryField(in.filing, "app_icp_number", in.filing->app_icp_number));
  }
  if (en.empty()) return;
  f.message_en = Join(en, "; ");
  f.message_zh = Join(zh, "；");
  out->push_back(std::move(f));
}

void FilingMlpsMissing(const RuleInput& in, std::vector<Finding>* out) {
  if (!in.filing->mlps.filing_number.empty()) return;
  Finding f = Make("FILING-MLPS-MISSING",
                   "the filing has no graded-protection (MLPS) filing for the business system",
                   "备案中没有业务系统的网络安全等级保护（等保）备案");
  AddEvidence(&f, RegistryField(in.filing, "mlps.filing_number", ""));
  out->push_back(std::move(f));
}

void FilingStale(const RuleInput& in, std::vector<Finding>* out) {
  const Facts& facts = *in.facts;
  const Filing& fl = *in.filing;
  Finding f = Make("FILING-STALE", "", "");
  std::vector<std::string> en, zh;
  const std::string& version = facts.package.version_name;
  if (!fl.version.empty() && !version.empty() && CompareVersions(version, fl.version) > 0) {
    en.push_back("version " + version + " is newer than the filed " + fl.version);
    zh.push_back("版本 " + version + " 新于备案版本 " + fl.version);
    AddEvidence(&f, Evidence{"manifest", IsAndroid(facts) ? "AndroidManifest.xml" : "Info.plist",
                             version, false});
    AddEvidence(&f, RegistryField(&fl, "version", fl.version));
  }
  // Permissions: only when the filing lists any (an empty list is a filing
  // that never declared them, which PRIV-UNDISCLOSED-PERMISSION reports).
  if (!fl.declared.permissions.empty()) {
    std::vector<std::string> extra;
    for (const auto& p : facts.permissions) {
      if (IsDangerous(p) && !Contains(fl.declared.permissions, p.name)) {
        extra.push_back(p.name);
        AddEvidence(&f, Evidence{"permission", "AndroidManifest.xml", p.name, false});
      }
    }
    if (!extra.empty()) {
      en.push_back("permissions not in the filing: " + Join(extra, ", "));
      zh.push_back("备案未包含的权限：" + Join(extra, "、"));
    }
  }
  if (!fl.declared.sdks.empty()) {
    std::vector<std::string> extra;
    for (const auto& s : facts.sdks) {
      if (s.confidence == "weak") continue;
      bool listed = false;
      for (const auto& d : fl.declared.sdks)
        listed = listed || Lower(d) == Lower(s.id) || Lower(d) == Lower(s.name);
      if (!listed) {
        extra.push_back(s.name.empty() ? s.id : s.name);
        AddEvidence(&f, Evidence{"sdk", s.evidence.empty() ? "" : s.evidence[0].location, s.id, false});
      }
    }
    if (!extra.empty()) {
      en.push_back("SDKs not in the filing: " + Join(extra, ", "));
      zh.push_back("备案未包含的 SDK：" + Join(extra, "、"));
    }
  }
  if (en.empty()) return;
  f.message_en = "the filing was not updated: " + Join(en, "; ");
  f.message_zh = "备案信息未及时变更：" + Join(zh, "；");
  out->push_back(std::move(f));
}

// ---------------------------------------------------------------- privacy

void PrivUndisclosedPermission(const RuleInput& in, std::vector<Finding>* out) {
  const Declared& d = in.filing->declared;
  std::vector<std::string> extra;
  Finding f = Make("PRIV-UNDISCLOSED-PERMISSION", "", "");
  for (const auto& p : in.facts->permissions) {
    if (IsDangerous(p) && !Contains(d.permissions, p.name)) {
      extra.push_back(p.name);
      AddEvidence(&f, Evidence{"permission", "AndroidManifest.xml", p.name, false});
    }
  }
  for (const auto& [key, text] : in.facts->ios.usage_descriptions) {
    if (!Contains(d.ios_usage_keys, key)) {
      extra.push_back(key);
      AddEvidence(&f, Evidence{"plist-key", "Info.plist", key + ": " + text, false});
    }
  }
  if (extra.empty()) return;
  f.message_en = "personal-information access not declared in the filing: " + Join(extra, ", ");
  f.message_zh = "备案未声明的个人信息权限：" + Join(extra, "、");
  out->push_back(std::move(f));
}

void PrivUnnecessary(const RuleInput& in, std::vector<Finding>* out) {
  struct Kind { const char* suffix; const char* en; const char* zh; };
  static const Kind kAndroid[] = {
      {"ACCESS_FINE_LOCATION", "location", "位置"}, {"ACCESS_COARSE_LOCATION", "location", "位置"},
      {"ACCESS_BACKGROUND_LOCATION", "location", "位置"},
      {"READ_CONTACTS", "contacts", "通讯录"}, {"WRITE_CONTACTS", "contacts", "通讯录"},
      {"GET_ACCOUNTS", "contacts", "通讯录"},
      {"SEND_SMS", "SMS", "短信"}, {"RECEIVE_SMS", "SMS", "短信"}, {"READ_SMS", "SMS", "短信"},
      {"RECEIVE_MMS", "SMS", "短信"}, {"RECEIVE_WAP_PUSH", "SMS", "短信"},
      {"READ_CALL_LOG", "call log", "通话记录"}, {"WRITE_CALL_LOG", "call log", "通话记录"},
      {"PROCESS_OUTGOING_CALLS", "call log", "通话记录"},
      {"READ_PHONE_STATE", "phone state", "电话状态"}, {"READ_PHONE_NUMBERS", "phone state", "电话状态"},
      {"READ_CALENDAR", "calendar", "日历"}, {"WRITE_CALENDAR", "calendar", "日历"},
      {"BODY_SENSORS", "body sensors", "身体传感器"},
      {"BODY_SENSORS_BACKGROUND", "body sensors", "身体传感器"}};
  static const Kind kIos[] = {
      {"NSLocationWhenInUseUsageDescription", "location", "位置"},
      {"NSLocationAlwaysUsageDescription", "location", "位置"},
      {"NSLocationAlwaysAndWhenInUseUsageDescription", "location", "位置"},
      {"NSLocationUsageDescription", "location", "位置"},
      {"NSContactsUsageDescription", "contacts", "通讯录"},
      {"NSCalendarsUsageDescription", "calendar", "日历"},
      {"NSCalendarsFullAccessUsageDescription", "calendar", "日历"},
      {"NSCalendarsWriteOnlyAccessUsageDescription", "calendar", "日历"},
      {"NSHealthShareUsageDescription", "body sensors", "身体传感器"},
      {"NSHealthUpdateUsageDescription", "body sensors", "身体传感器"},
      {"NSMotionUsageDescription", "body sensors", "身体传感器"}};
  Finding f = Make("PRIV-UNNECESSARY", "", "");
  std::vector<std::string> en, zh;
  auto add_kind = [&](const Kind& k) {
    if (!Contains(en, k.en)) {
      en.push_back(k.en);
      zh.push_back(k.zh);
    }
  };
  for (const auto& p : in.facts->permissions) {
    for (const Kind& k : kAndroid) {
      if (p.name == std::string("android.permission.") + k.suffix) {
        add_kind(k);
        AddEvidence(&f, Evidence{"permission", "AndroidManifest.xml", p.name, false});
      }
    }
  }
  for (const auto& [key, text] : in.facts->ios.usage_descriptions) {
    for (const Kind& k : kIos) {
      if (key == k.suffix) {
        add_kind(k);
        AddEvidence(&f, Evidence{"plist-key", "Info.plist", key, false});
      }
    }
  }
  if (en.empty()) return;
  f.message_en = "collects personal information beyond what a learning/education app needs: " +
                 Join(en, ", ");
  f.message_zh = "收集超出学习教育类应用必要范围的个人信息：" + Join(zh, "、");
  out->push_back(std::move(f));
}

void PrivBiometric(const RuleInput& in, std::vector<Finding>* out) {
  const Declared& d = in.filing->declared;
  if (d.biometric && d.biometric_reviewed) return;
  auto face = SdksOf(*in.facts, {"face"});
  auto faceid = in.facts->ios.usage_descriptions.find("NSFaceIDUsageDescription");
  const bool has_faceid = faceid != in.facts->ios.usage_descriptions.end();
  if (face.empty() && !has_faceid) return;
  std::vector<std::string> what;
  if (!face.empty()) what.push_back(SdkNames(face));
  if (has_faceid) what.push_back("NSFaceIDUsageDescription");
  Finding f = Make("PRIV-BIOMETRIC",
                   d.biometric ? "biometric collection (" + Join(what, ", ") +
                                     ") is declared but its separate review has not passed"
                               : "face/biometric capability (" + Join(what, ", ") +
                                     ") without a declared biometric collection",
                   d.biometric ? "已声明采集生物特征信息（" + Join(what, "、") + "），但未通过单独审核"
                               : "存在人脸/生物特征识别能力（" + Join(what, "、") + "），备案未声明采集生物特征信息");
  AddSdkEvidence(&f, face);
  if (has_faceid) AddEvidence(&f, Evidence{"plist-key", "Info.plist", faceid->first, false});
  AddEvidence(&f, RegistryField(in.filing, "declared.biometric", d.biometric ? "true" : "false"));
  out->push_back(std::move(f));
}

void PrivTrackingSdk(const RuleInput& in, std::vector<Finding>* out) {
  auto sdks = SdksOf(*in.facts, {"analytics"});
  if (sdks.empty()) return;
  Finding f = Make("PRIV-TRACKING-SDK",
                   "analytics/tracking SDKs to list in the published SDK disclosure: " + SdkNames(sdks),
                   "需在第三方 SDK 信息公示中列明的统计/追踪 SDK：" + SdkNames(sdks));
  AddSdkEvidence(&f, sdks);
  out->push_back(std::move(f));
}

// ---------------------------------------------------------------- content

void ContentAdSdk(const RuleInput& in, std::vector<Finding>* out) {
  auto sdks = SdksOf(*in.facts, {"ads"});
  if (sdks.empty()) return;
  Finding f = Make("CONTENT-AD-SDK", "advertising SDK present: " + SdkNames(sdks),
                   "含有广告 SDK：" + SdkNames(sdks) + "（教育应用不得出现广告）");
  AddSdkEvidence(&f, sdks);
  out->push_back(std::move(f));
}

void ContentGame(const RuleInput& in, std::vector<Finding>* out) {
  auto sdks = SdksOf(*in.facts, {"game-engine", "game-sdk"});
  if (sdks.empty()) return;
  Finding f = Make("CONTENT-GAME", "game engine or game SDK present: " + SdkNames(sdks),
                   "含有游戏引擎或游戏 SDK：" + SdkNames(sdks) + "（教育应用不得出现游戏链接）");
  AddSdkEvidence(&f, sdks);
  out->push_back(std::move(f));
}

void ContentPaymentRequiredUse(const RuleInput& in, std::vector<Finding>* out) {
  if (Lower(in.filing->use) != "required") return;
  auto sdks = SdksOf(*in.facts, {"payment"});
  if (sdks.empty()) return;
  Finding f = Make("CONTENT-PAYMENT-REQUIRED-USE",
                   "payment SDK (" + SdkNames(sdks) + ") in an app filed as required-use",
                   "备案为要求使用的应用含有支付 SDK（" + SdkNames(sdks) + "），不得收取任何费用");
  AddSdkEvidence(&f, sdks);
  AddEvidence(&f, RegistryField(in.filing, "use", in.filing->use));
  out->push_back(std::move(f));
}

void ContentPhotoSearch(const RuleInput& in, std::vector<Finding>* out) {
  auto sdks = SdksOf(*in.facts, {"photo-search"});
  if (sdks.empty()) return;
  Finding f = Make("CONTENT-PHOTO-SEARCH",
                   "photo-search-homework (拍照搜题) capability: " + SdkNames(sdks),
                   "含有拍照搜题功能：" + SdkNames(sdks));
  AddSdkEvidence(&f, sdks);
  out->push_back(std::move(f));
}

void ContentLiveSubject(const RuleInput& in, std::vector<Finding>* out) {
  if (Lower(in.filing->category) != "subject") return;
  auto sdks = SdksOf(*in.facts, {"live-streaming"});
  if (sdks.empty()) return;
  Finding f = Make("CONTENT-LIVE-SUBJECT",
                   "live-streaming SDK (" + SdkNames(sdks) + ") in a subject-training app",
                   "学科类培训应用含有直播 SDK（" + SdkNames(sdks) + "）");
  AddSdkEvidence(&f, sdks);
  AddEvidence(&f, RegistryField(in.filing, "category", in.filing->category));
  out->push_back(std::move(f));
}

// ---------------------------------------------------------------- category

void CategoryPreschool(const RuleInput& in, std::vector<Finding>* out) {
  const std::string cat = Lower(in.filing->category);
  if (cat != "subject" && cat != "non-subject") return;  // training categories
  if (!Contains(in.filing->audience, "preschool")) return;
  Finding f = Make("CATEGORY-PRESCHOOL", "filed as " + cat + " training for preschool children",
                   "备案为面向学龄前儿童的培训类应用（" + cat + "），应停止");
  AddEvidence(&f, RegistryField(in.filing, "category", in.filing->category));
  AddEvidence(&f, RegistryField(in.filing, "audience", Join(in.filing->audience, ",")));
  out->push_back(std::move(f));
}

void CategorySubjectUnlicensed(const RuleInput& in, std::vector<Finding>* out) {
  if (Lower(in.filing->category) != "subject") return;
  if (in.filing->licence_number && !in.filing->licence_number->empty()) return;
  Finding f = Make("CATEGORY-SUBJECT-UNLICENSED", "filed as subject training without a licence number",
                   "备案为学科类培训但没有办学许可证号");
  AddEvidence(&f, RegistryField(in.filing, "category", in.filing->category));
  AddEvidence(&f, RegistryField(in.filing, "licence_number", ""));
  out->push_back(std::move(f));
}

// ---------------------------------------------------------------- security

void SecDebuggable(const RuleInput& in, std::vector<Finding>* out) {
  if (!IsAndroid(*in.facts) || !in.facts->app_flags.debuggable.value_or(false)) return;
  Finding f = Make("SEC-DEBUGGABLE", "android:debuggable=\"true\" in a release package",
                   "发布包设置了 android:debuggable=\"true\"（高危漏洞）");
  AddEvidence(&f, Evidence{"manifest", "AndroidManifest.xml", "application@android:debuggable=true", false});
  out->push_back(std::move(f));
}

void SecCleartext(const RuleInput& in, std::vector<Finding>* out) {
  const Facts& facts = *in.facts;
  Finding f = Make("SEC-CLEARTEXT", "", "");
  std::vector<std::string> en, zh;
  if (IsAndroid(facts)) {
    const AppFlags& a = facts.app_flags;
    if (!a.network_security_config.empty()) {
      // API 24+: the network security config decides; the attribute is ignored.
      if (a.cleartext_permitted_by_nsc) {
        en.push_back("network security config permits cleartext");
        zh.push_back("网络安全配置允许明文");
        AddEvidence(&f, Evidence{"manifest", a.network_security_config, "cleartextTrafficPermitted=true", false});
      }
    } else if (a.uses_cleartext_traffic.value_or(false)) {
      en.push_back("android:usesCleartextTraffic=\"true\"");
      zh.push_back("清单声明 android:usesCleartextTraffic=\"true\"");
      AddEvidence(&f, Evidence{"manifest", "AndroidManifest.xml", "application@android:usesCleartextTraffic=true", false});
    } else if (!a.uses_cleartext_traffic && facts.package.target_sdk && *facts.package.target_sdk < 28) {
      en.push_back("targetSdkVersion " + std::to_string(*facts.package.target_sdk) +
                   " < 28 permits cleartext by default");
      zh.push_back("targetSdkVersion " + std::to_string(*facts.package.target_sdk) +
                   " 低于 28，默认允许明文");
      AddEvidence(&f, Evidence{"manifest", "AndroidManifest.xml",
                               "targetSdkVersion=" + std::to_string(*facts.package.target_sdk), false});
    }
  }
  if (facts.ios.ats_arbitrary_loads) {
    en.push_back("NSAppTransportSecurity/NSAllowsArbitraryLoads is true");
    zh.push_back("NSAppTransportSecurity/NSAllowsArbitraryLoads 为 true");
    AddEvidence(&f, Evidence{"plist-key", "Info.plist", "NSAllowsArbitraryLoads=true", false});
  }
  if (en.empty()) return;
  f.message_en = "cleartext (HTTP) traffic allowed: " + Join(en, "; ");
  f.message_zh = "允许明文（HTTP）传输：" + Join(zh, "；");
  out->push_back(std::move(f));
}

void SecAllowBackup(const RuleInput& in, std::vector<Finding>* out) {
  if (!IsAndroid(*in.facts)) return;
  if (in.facts->app_flags.allow_backup.has_value() && !*in.facts->app_flags.allow_backup) return;
  if (!CollectsPersonalData(in)) return;
  const bool explicit_true = in.facts->app_flags.allow_backup.has_value();
  Finding f = Make("SEC-ALLOW-BACKUP",
                   std::string("allowBackup is ") + (explicit_true ? "true" : "not set (default true)") +
                       " while personal data is collected",
                   "收集个人信息的应用未禁用 allowBackup（数据可被备份导出）");
  AddEvidence(&f, Evidence{"manifest", "AndroidManifest.xml",
                           explicit_true ? "application@android:allowBackup=true"
                                         : "application@android:allowBackup absent",
                           false});
  out->push_back(std::move(f));
}

// Component kinds in Chinese, for message_zh (class names stay as they are).
std::string ComponentKindZh(const std::string& kind) {
  if (kind == "activity" || kind == "activity-alias") return "活动";
  if (kind == "service") return "服务";
  if (kind == "receiver") return "广播接收器";
  if (kind == "provider") return "内容提供器";
  return "组件";
}

void SecExported(const RuleInput& in, std::vector<Finding>* out) {
  Finding f = Make("SEC-EXPORTED", "", "");
  std::vector<std::string> names, names_zh;
  for (const auto& c : in.facts->components) {
    if (!c.exported || !c.enabled || !c.permission.empty()) continue;
    // Activities with intent filters are the app's entry points (launcher,
    // deep links) and are meant to be public.
    if ((c.kind == "activity" || c.kind == "activity-alias") && c.has_intent_filter) continue;
    names.push_back(c.kind + " " + c.name);
    names_zh.push_back(ComponentKindZh(c.kind) + " " + c.name);
    AddEvidence(&f, Evidence{"component", "AndroidManifest.xml", c.kind + ":" + c.name, false});
  }
  if (names.empty()) return;
  f.message_en = "exported components without a permission guard: " + Join(names, ", ");
  f.message_zh = "导出的组件没有权限保护：" + Join(names_zh, "、");
  out->push_back(std::move(f));
}

void SecPacked(const RuleInput& in, std::vector<Finding>* out) {
  const Facts& facts = *in.facts;
  if (!facts.packer.packed && !facts.ios.encrypted) return;
  std::vector<std::string> what = facts.packer.names;
  std::vector<std::string> what_zh = facts.packer.names;  // packer names are bilingual already
  if (facts.ios.encrypted) {
    what.push_back("FairPlay encryption");
    what_zh.push_back("FairPlay 加密");
  }
  if (what.empty()) {
    what.push_back("unknown packer");
    what_zh.push_back("未知加固");
  }
  Finding f = Make("SEC-PACKED",
                   "code is packed/encrypted (" + Join(what, ", ") + "): analysis incomplete" +
                       (facts.packer.not_analysed.empty() ? "" : ": " + Join(facts.packer.not_analysed, "; ")),
                   "代码已加固/加密（" + Join(what_zh, "、") + "），分析不完整，需人工复核");
  for (const auto& s : facts.sdks) {
    if (s.category == "packer") AddSdkEvidence(&f, {&s});
  }
  for (const auto& n : facts.packer.not_analysed) AddEvidence(&f, Evidence{"note", "", n, false});
  if (facts.ios.encrypted) AddEvidence(&f, Evidence{"macho", facts.ios.executable, "cryptid != 0", false});
  out->push_back(std::move(f));
}

void SecMalformed(const RuleInput& in, std::vector<Finding>* out) {
  const Facts& facts = *in.facts;
  // Oddities that are a normal packaging choice, not malformation.
  // A duplicate <uses-permission> is accepted by Android (aapt warns) and
  // skips nothing: it is reported as an anomaly, not as malformation.
  static const std::set<std::string, std::less<>> kBenign = {"nested-package", "asset-text-cap",
                                                             "permission-duplicate"};
  // The encrypted payload of a recognised packer (its evidence names the
  // files) is SEC-PACKED's subject: it does not parse as code by design.
  std::set<std::string, std::less<>> payload;
  if (facts.packer.packed) {
    for (const auto& s : facts.sdks) {
      if (s.category != "packer") continue;
      for (const auto& e : s.evidence) {
        if (e.kind == "asset") payload.insert(e.value);
      }
    }
  }
  Finding f = Make("SEC-MALFORMED", "", "");
  std::vector<std::string> what;
  for (const auto& e : facts.errors) {
    what.push_back(e.code);
    AddEvidence(&f, Evidence{"error", e.code, e.message, false});
  }
  const bool skipped = !facts.errors.empty() || !facts.analysed;
  for (const auto& a : facts.anomalies) {
    if (kBenign.count(a.code) > 0 || payload.count(a.location) > 0) continue;
    if (!Contains(what, a.code)) what.push_back(a.code);
    AddEvidence(&f, Evidence{"anomaly", a.location, a.code + (a.detail.empty() ? "" : ": " + a.detail), false});
  }
  if (!facts.analysed && what.empty()) what.push_back("not analysed");
  if (what.empty()) return;
  if (!facts.analysed) {
    f.message_en = "package could not be analysed (" + Join(what, ", ") +
                   "); the evidence says why";
    f.message_zh = "安装包无法分析（" + Join(what, "、") + "），原因见证据";
  } else if (skipped) {
    f.message_en = "package partly malformed or over a limit (" + Join(what, ", ") +
                   "); the evidence lists what was not analysed";
    f.message_zh = "安装包部分损坏或超出限制（" + Join(what, "、") + "），未分析的部分见证据";
  } else {
    f.message_en = "package structure is malformed in places (" + Join(what, ", ") +
                   "); the evidence lists where";
    f.message_zh = "安装包结构有异常（" + Join(what, "、") + "），位置见证据";
  }
  out->push_back(std::move(f));
}

}  // namespace

// ---------------------------------------------------------------- the list

const std::vector<Rule>& RuleList() {
  using S = Severity;
  using N = Needs;
  using R = Reads;
  static const std::vector<Rule>* kRules = new std::vector<Rule>{
      {"FILING-UNFILED", S::kBlock, N::kSource, false,
       "001 art. 16 (filing as a listing condition); 002 §5 (应备未备)", FilingUnfiled},
      {"FILING-RECORD-REJECTED", S::kReview, N::kSource, false,
       "— (registry record refused at load)", FilingRecordRejected},
      {"FILING-REVOKED", S::kBlock, N::kFiling, false, "001 art. 24; 002 §5", FilingRevoked},
      {"FILING-PROVIDER-BANNED", S::kBlock, N::kFiling, false, "001 art. 24; 000 退出机制",
       FilingProviderBanned},
      {"FILING-NOT-DISPLAYED", S::kViolation, N::kFacts, false, "001 art. 14; 000 提供者备案",
       FilingNotDisplayed},
      {"FILING-MISMATCH", S::kBlock, N::kSource, false, "001 art. 14-15", FilingMismatch},
      {"FILING-MALFORMED", S::kViolation, N::kFacts, false, "001 art. 14", FilingMalformed},
      {"FILING-ICP-MISSING", S::kViolation, N::kFacts, false,
       "001 art. 9; MIIT 2023 App filing notice", FilingIcpMissing},
      {"FILING-MLPS-MISSING", S::kViolation, N::kFiling, false, "001 art. 9; 004 §三.5",
       FilingMlpsMissing},
      {"FILING-STALE", S::kViolation, N::kFiling, false, "001 art. 15", FilingStale},
      {"PRIV-UNDISCLOSED-PERMISSION", S::kViolation, N::kFiling, false,
       "003 (规范数据管理); 164号文 超范围收集", PrivUndisclosedPermission},
      {"PRIV-UNNECESSARY", S::kReview, N::kFacts, false, "2021 必要个人信息范围规定",
       PrivUnnecessary},
      {"PRIV-BIOMETRIC", S::kViolation, N::kFiling, false, "000 选用制度; 004 §三.3", PrivBiometric},
      {"PRIV-TRACKING-SDK", S::kInfo, N::kFacts, false, "164号文 SDK 信息公示", PrivTrackingSdk,
       R::kCode},
      {"CONTENT-AD-SDK", S::kViolation, N::kFacts, false,
       "000 选用制度 (不得出现游戏链接和广告); 002 §3; 003", ContentAdSdk, R::kCode},
      {"CONTENT-GAME", S::kViolation, N::kFacts, false,
       "000 选用制度 (不得出现游戏链接和广告); 002 §3; 003", ContentGame, R::kCode},
      {"CONTENT-PAYMENT-REQUIRED-USE", S::kViolation, N::kFiling, false,
       "000 选用制度 (不得收取任何费用); 003", ContentPaymentRequiredUse},
      {"CONTENT-PHOTO-SEARCH", S::kBlock, N::kFacts, false, "002 §3(二)2; MoE 2021-12-13",
       ContentPhotoSearch, R::kCode},
      {"CONTENT-LIVE-SUBJECT", S::kViolation, N::kFiling, false, "002 §3(二)2", ContentLiveSubject},
      {"CATEGORY-PRESCHOOL", S::kBlock, N::kFiling, false, "002 §3(二)1", CategoryPreschool},
      {"CATEGORY-SUBJECT-UNLICENSED", S::kBlock, N::kFiling, false, "002 §3(一)",
       CategorySubjectUnlicensed},
      {"SEC-DEBUGGABLE", S::kViolation, N::kFacts, false, "003 Q15 (high-risk vulnerabilities)",
       SecDebuggable},
      {"SEC-CLEARTEXT", S::kReview, N::kFacts, false, "003 Q15", SecCleartext},
      {"SEC-ALLOW-BACKUP", S::kInfo, N::kFacts, false, "003 Q15", SecAllowBackup},
      {"SEC-EXPORTED", S::kReview, N::kFacts, false, "003 Q15", SecExported},
      {"SEC-PACKED", S::kReview, N::kFacts, false, "— (analysis incomplete)", SecPacked,
       R::kCode},
      {"SEC-MALFORMED", S::kReview, N::kFacts, true, "— (analysis incomplete)", SecMalformed,
       R::kCode},
  };
  return *kRules;
}

std::vector<Finding> RunRules(const RuleInput& in, std::vector<NotAssessed>* not_assessed) {
  std::vector<Finding> out;
  if (in.facts == nullptr) return out;
  const Facts& facts = *in.facts;
  auto skip = [&](const Rule& r, const char* reason) {
    if (not_assessed != nullptr) not_assessed->push_back({r.id, reason});
  };
  for (const Rule& r : RuleList()) {
    if (!facts.analysed && !r.runs_unanalysed) {
      skip(r, "not-analysed");
      continue;
    }
    // A bare code file has no manifest, resources or assets: absence of a
    // displayed number or a flag there means nothing.
    if (facts.analysed && facts.scope == "code" && r.reads != Reads::kCode) {
      skip(r, "scope");
      continue;
    }
    if (r.needs == Needs::kSource && !in.have_source) {
      skip(r, "no-registry");
      continue;
    }
    if (r.needs == Needs::kFiling && in.filing == nullptr) {
      skip(r, in.have_source ? "no-filing" : "no-registry");
      continue;
    }
    r.fn(in, &out);
  }
  SortFindings(&out);
  return out;
}

void SortFindings(std::vector<Finding>* findings) {
  std::stable_sort(findings->begin(), findings->end(), [](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    return a.rule_id < b.rule_id;
  });
}

BanStatus BlacklistStatus(const BlacklistEntry& b, std::string_view today) {
  BanStatus out;
  out.until = b.until;
  bool dates_ok = IsIsoDate(b.since);
  if (out.until.empty() && dates_ok) out.until = AddMonths(b.since, 6).value_or("");
  // A blacklisting with unreadable dates is taken as current: the registry
  // says the provider is listed and nothing says it ended.
  if (dates_ok && b.since > today) {
    out.state = BanStatus::kNotYet;
  } else if (IsIsoDate(out.until) && today >= out.until) {
    out.state = BanStatus::kExpired;  // six months (or `until`) passed
  } else {
    out.state = BanStatus::kInForce;
  }
  return out;
}

namespace {
bool ParseDate(std::string_view s, int* y, int* m, int* d) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  *y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  *m = (s[5] - '0') * 10 + (s[6] - '0');
  *d = (s[8] - '0') * 10 + (s[9] - '0');
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (*m < 1 || *m > 12 || *d < 1) return false;
  bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
  int dim = kDays[*m - 1] + (*m == 2 && leap ? 1 : 0);
  return *d <= dim;
}
}  // namespace

bool IsIsoDate(std::string_view s) {
  int y, m, d;
  return ParseDate(s, &y, &m, &d);
}

std::optional<std::string> AddMonths(std::string_view date, int months) {
  int y, m, d;
  if (!ParseDate(date, &y, &m, &d)) return std::nullopt;
  int total = y * 12 + (m - 1) + months;
  if (total < 0 || total >= 10000 * 12) return std::nullopt;
  y = total / 12;
  m = total % 12 + 1;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int dim = kDays[m - 1] + (m == 2 && leap ? 1 : 0);
  d = std::min(d, dim);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return std::string(buf);
}

}  // namespace shelfguard::policy
