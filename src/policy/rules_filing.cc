// FILING-* rules (../shared/docs/rules.md): the registry's filing for the
// app and the filing numbers it displays.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "policy/rules_internal.h"

namespace shelfguard::policy::internal {

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
        AddEvidence(&f, Evidence{"permission", PermissionLocation(p), p.name, false});
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

}  // namespace shelfguard::policy::internal
