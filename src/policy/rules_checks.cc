// PRIV-*, CONTENT-*, CATEGORY-* and SEC-* rules (../shared/docs/rules.md):
// what the app asks for, contains and how it is built.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "policy/rules_internal.h"

namespace shelfguard::policy::internal {

// ---------------------------------------------------------------- privacy

void PrivUndisclosedPermission(const RuleInput& in, std::vector<Finding>* out) {
  const Declared& d = in.filing->declared;
  std::vector<std::string> extra;
  Finding f = Make("PRIV-UNDISCLOSED-PERMISSION", "", "");
  for (const auto& p : in.facts->permissions) {
    if (IsDangerous(p) && !Contains(d.permissions, p.name)) {
      extra.push_back(p.name);
      AddEvidence(&f, Evidence{"permission", PermissionLocation(p), p.name, false});
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
        AddEvidence(&f, Evidence{"permission", PermissionLocation(p), p.name, false});
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
  auto f = SdkPresenceFinding(in, "PRIV-TRACKING-SDK", {"analytics"},
                              {"analytics/tracking SDKs to list in the published SDK disclosure: ", ""},
                              {"需在第三方 SDK 信息公示中列明的统计/追踪 SDK：", ""});
  if (f) out->push_back(std::move(*f));
}

// ---------------------------------------------------------------- content

void ContentAdSdk(const RuleInput& in, std::vector<Finding>* out) {
  auto f = SdkPresenceFinding(in, "CONTENT-AD-SDK", {"ads"}, {"advertising SDK present: ", ""},
                              {"含有广告 SDK：", "（教育应用不得出现广告）"});
  if (f) out->push_back(std::move(*f));
}

void ContentGame(const RuleInput& in, std::vector<Finding>* out) {
  auto f = SdkPresenceFinding(in, "CONTENT-GAME", {"game-engine", "game-sdk"},
                              {"game engine or game SDK present: ", ""},
                              {"含有游戏引擎或游戏 SDK：", "（教育应用不得出现游戏链接）"});
  if (f) out->push_back(std::move(*f));
}

namespace {
// An SDK-presence rule for apps filed with `filed` (lower-cased) == `value`
// in the filing field `field`; that field joins the finding's evidence.
void SdkPresenceWhenFiled(const RuleInput& in, const char* field, const std::string& filed, std::string_view value,
                          std::string_view id, std::initializer_list<std::string_view> cats, AroundNames en,
                          AroundNames zh, std::vector<Finding>* out) {
  if (Lower(filed) != value) return;
  auto f = SdkPresenceFinding(in, id, cats, en, zh);
  if (!f) return;
  AddEvidence(&*f, RegistryField(in.filing, field, filed));
  out->push_back(std::move(*f));
}
}  // namespace

void ContentPaymentRequiredUse(const RuleInput& in, std::vector<Finding>* out) {
  SdkPresenceWhenFiled(in, "use", in.filing->use, "required", "CONTENT-PAYMENT-REQUIRED-USE", {"payment"},
                       {"payment SDK (", ") in an app filed as required-use"},
                       {"备案为要求使用的应用含有支付 SDK（", "），不得收取任何费用"}, out);
}

void ContentPhotoSearch(const RuleInput& in, std::vector<Finding>* out) {
  auto f = SdkPresenceFinding(in, "CONTENT-PHOTO-SEARCH", {"photo-search"},
                              {"photo-search-homework (拍照搜题) capability: ", ""}, {"含有拍照搜题功能：", ""});
  if (f) out->push_back(std::move(*f));
}

void ContentLiveSubject(const RuleInput& in, std::vector<Finding>* out) {
  SdkPresenceWhenFiled(in, "category", in.filing->category, "subject", "CONTENT-LIVE-SUBJECT", {"live-streaming"},
                       {"live-streaming SDK (", ") in a subject-training app"}, {"学科类培训应用含有直播 SDK（", "）"},
                       out);
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

}  // namespace shelfguard::policy::internal
