// One function per rule of ../shared/docs/rules.md (rules_filing.cc,
// rules_checks.cc; declared in rules_internal.h), listed in RuleList() here.
// Each appends at most one Finding (with all its evidence) so a report has
// one line per rule; the evidence lists every item that triggered it.
#include "policy/rules.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>

#include "ids/identifiers.h"
#include "policy/rules_internal.h"

namespace shelfguard::policy {
namespace internal {

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

std::string Join(const std::vector<std::string>& v, std::string_view sep, size_t max) {
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

std::optional<Finding> SdkPresenceFinding(const RuleInput& in, std::string_view id,
                                          std::initializer_list<std::string_view> cats, AroundNames en,
                                          AroundNames zh) {
  auto sdks = SdksOf(*in.facts, cats);
  if (sdks.empty()) return std::nullopt;
  const std::string names = SdkNames(sdks);
  Finding f = Make(id, en.before + names + en.after, zh.before + names + zh.after);
  AddSdkEvidence(&f, sdks);
  return f;
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

bool CollectsPersonalData(const RuleInput& in) {
  for (const auto& p : in.facts->permissions)
    if (IsDangerous(p)) return true;
  if (!in.facts->ios.usage_descriptions.empty()) return true;
  return in.filing != nullptr && !in.filing->declared.personal_info.empty();
}

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

}  // namespace internal

// ---------------------------------------------------------------- the list

const std::vector<Rule>& RuleList() {
  using namespace internal;  // NOLINT(build/namespaces): the rule functions
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
