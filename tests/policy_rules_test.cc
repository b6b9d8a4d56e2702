// Every rule of the catalogue (../shared/docs/rules.md), a positive and a
// negative case each, on synthetic facts and filings. The negative case is
// the compliant baseline or a near miss (the closest thing that must not
// trigger), so a rule that fires unconditionally or never fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <string>

#include "policy/rules.h"

namespace shelfguard::policy {
namespace {

Facts CleanFacts() {
  Facts f;
  f.analysed = true;
  f.file = "app.apk";
  f.package.platform = Platform::kAndroid;
  f.package.id = "cn.example.edu";
  f.package.version_name = "2.1.0";
  f.package.target_sdk = 33;
  f.permissions.push_back({"android.permission.INTERNET", false, std::nullopt, false});
  f.permissions.push_back({"android.permission.CAMERA", true, std::nullopt, false});
  f.app_flags.debuggable = false;
  f.app_flags.allow_backup = false;
  f.app_flags.uses_cleartext_traffic = false;
  f.components.push_back({"activity", "cn.example.edu.Main", true, true, true, "", true});
  f.components.push_back({"service", "cn.example.edu.Sync", false, true, false, "", true});
  f.displayed_numbers.push_back({"moe-filing", "教APP备1100123号", "教APP备1100123号",
                                 "res/layout/about.xml", true, ""});
  f.displayed_numbers.push_back({"app-icp", "京ICP备12345678号-3A", "京ICP备12345678号-3A",
                                 "res/layout/about.xml", true, ""});
  return f;
}

Filing CleanFiling() {
  Filing fl;
  fl.filing_number = "教APP备1100123号";
  fl.app_name = "示例学习";
  fl.provider = {"示例教育科技有限公司", "91110108MA01ABCD1X", "11"};
  fl.android_packages = {"cn.example.edu"};
  fl.icp_number = "京ICP备12345678号-1";
  fl.app_icp_number = "京ICP备12345678号-3A";
  fl.mlps = {"11010843001-23001", 2};
  fl.category = "non-subject";
  fl.audience = {"compulsory"};
  fl.use = "recommended";
  fl.declared.permissions = {"android.permission.INTERNET", "android.permission.CAMERA"};
  fl.declared.personal_info = {"phone"};
  fl.version = "2.1.0";
  fl.status = "active";
  fl.status_since = "2024-01-10";
  return fl;
}

SdkHit Sdk(const std::string& id, const std::string& category, const std::string& confidence = "referenced") {
  SdkHit h;
  h.id = id;
  h.name = id + " SDK";
  h.vendor = "vendor";
  h.category = category;
  h.confidence = confidence;
  h.evidence.push_back({"class", "classes.dex", "com." + id + ".Main", true});
  return h;
}

class RulesTest : public ::testing::Test {
 protected:
  std::vector<Finding> Run(bool with_filing = true) {
    RuleInput in;
    in.facts = &facts;
    in.filing = with_filing ? &filing : nullptr;
    in.have_source = have_source;
    in.blacklist = blacklist;
    in.number_owners = owners;
    in.today = today;
    return RunRules(in);
  }
  bool Fires(const std::string& id, bool with_filing = true) {
    last = Run(with_filing);
    return std::any_of(last.begin(), last.end(), [&](const Finding& f) { return f.rule_id == id; });
  }
  const Finding* Get(const std::string& id) const {
    for (const auto& f : last)
      if (f.rule_id == id) return &f;
    return nullptr;
  }

  Facts facts = CleanFacts();
  Filing filing = CleanFiling();
  bool have_source = true;
  std::optional<BlacklistEntry> blacklist;
  std::map<std::string, Filing> owners;
  std::string today = "2026-01-15";
  std::vector<Finding> last;
};

TEST_F(RulesTest, CompliantBaselineHasNoFindings) {
  auto f = Run();
  for (const auto& x : f) ADD_FAILURE() << x.rule_id << ": " << x.message_en;
}

TEST(RuleList, CoversTheWholeCatalogueOnceWithBasisAndMessages) {
  const std::set<std::string> catalogue = {
      "FILING-UNFILED", "FILING-REVOKED", "FILING-PROVIDER-BANNED", "FILING-NOT-DISPLAYED",
      "FILING-MISMATCH", "FILING-MALFORMED", "FILING-ICP-MISSING", "FILING-MLPS-MISSING",
      "FILING-STALE", "PRIV-UNDISCLOSED-PERMISSION", "PRIV-UNNECESSARY", "PRIV-BIOMETRIC",
      "PRIV-TRACKING-SDK", "CONTENT-AD-SDK", "CONTENT-GAME", "CONTENT-PAYMENT-REQUIRED-USE",
      "CONTENT-PHOTO-SEARCH", "CONTENT-LIVE-SUBJECT", "CATEGORY-PRESCHOOL",
      "CATEGORY-SUBJECT-UNLICENSED", "SEC-DEBUGGABLE", "SEC-CLEARTEXT", "SEC-ALLOW-BACKUP",
      "SEC-EXPORTED", "SEC-PACKED", "SEC-MALFORMED",
      "FILING-RECORD-REJECTED"};  // not in rules.md: a registry record refused at load
  std::set<std::string> listed;
  for (const auto& r : RuleList()) {
    EXPECT_TRUE(listed.insert(r.id).second) << "duplicate " << r.id;
    EXPECT_NE(r.basis, nullptr);
  }
  EXPECT_EQ(listed, catalogue);
}

// ------------------------------------------------------------- FILING-*

TEST_F(RulesTest, UnfiledPositive) {
  EXPECT_TRUE(Fires("FILING-UNFILED", /*with_filing=*/false));
  const Finding* f = Get("FILING-UNFILED");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kBlock);
  EXPECT_NE(f->message_en.find("cn.example.edu"), std::string::npos);
  EXPECT_FALSE(f->message_zh.empty());
  EXPECT_FALSE(f->basis.empty());
  ASSERT_FALSE(f->evidence.empty());
  EXPECT_EQ(f->evidence[0].value, "cn.example.edu");
}
TEST_F(RulesTest, UnfiledNegative) {
  EXPECT_FALSE(Fires("FILING-UNFILED"));
  have_source = false;  // no registry: "not checked", not "unfiled"
  EXPECT_FALSE(Fires("FILING-UNFILED", false));
}

TEST_F(RulesTest, RevokedPositive) {
  for (const char* st : {"revoked", "suspended", "black"}) {
    filing.status = st;
    EXPECT_TRUE(Fires("FILING-REVOKED")) << st;
    EXPECT_EQ(Get("FILING-REVOKED")->severity, Severity::kBlock);
  }
}
TEST_F(RulesTest, RevokedNegative) {
  EXPECT_FALSE(Fires("FILING-REVOKED"));
  filing.status = "grey";
  EXPECT_FALSE(Fires("FILING-REVOKED"));
}

TEST_F(RulesTest, ProviderBannedPositiveWithinSixMonths) {
  blacklist = BlacklistEntry{"91110108MA01ABCD1X", "2025-08-01", "", "ads in a required-use app"};
  EXPECT_TRUE(Fires("FILING-PROVIDER-BANNED"));
  const Finding* f = Get("FILING-PROVIDER-BANNED");
  EXPECT_NE(f->message_en.find("2026-02-01"), std::string::npos) << f->message_en;  // since + 6 months
}
TEST_F(RulesTest, ProviderBannedNegativeAfterSixMonthsOrOtherProvider) {
  blacklist = BlacklistEntry{"91110108MA01ABCD1X", "2025-07-15", "", ""};
  EXPECT_FALSE(Fires("FILING-PROVIDER-BANNED"));  // 2025-07-15 + 6 months == today
  blacklist = BlacklistEntry{"91110108MA01ABCD1X", "2025-12-01", "2026-01-01", ""};
  EXPECT_FALSE(Fires("FILING-PROVIDER-BANNED"));  // explicit until passed
  blacklist = BlacklistEntry{"91310000MA1FL0000X", "2025-12-01", "", ""};
  EXPECT_FALSE(Fires("FILING-PROVIDER-BANNED"));  // another provider
  blacklist = BlacklistEntry{"91110108MA01ABCD1X", "2026-03-01", "", ""};
  EXPECT_FALSE(Fires("FILING-PROVIDER-BANNED"));  // not yet in force
}

TEST_F(RulesTest, NotDisplayedPositive) {
  facts.displayed_numbers.erase(facts.displayed_numbers.begin());  // drop the 教APP备
  EXPECT_TRUE(Fires("FILING-NOT-DISPLAYED"));
  EXPECT_EQ(Get("FILING-NOT-DISPLAYED")->severity, Severity::kViolation);
  // Facts-only: also without any registry.
  have_source = false;
  EXPECT_TRUE(Fires("FILING-NOT-DISPLAYED", false));
}
TEST_F(RulesTest, NotDisplayedNegative) {
  EXPECT_FALSE(Fires("FILING-NOT-DISPLAYED"));
  // A malformed number is still a displayed number (FILING-MALFORMED reports it).
  facts.displayed_numbers[0] = {"moe-filing", "教APP备110012号", "", "x", false, "six digits"};
  EXPECT_FALSE(Fires("FILING-NOT-DISPLAYED"));
}

TEST_F(RulesTest, MismatchPositiveDifferentNumber) {
  facts.displayed_numbers[0].text = "教APP备3100456号";
  EXPECT_TRUE(Fires("FILING-MISMATCH"));
  const Finding* f = Get("FILING-MISMATCH");
  EXPECT_EQ(f->severity, Severity::kBlock);
  EXPECT_NE(f->message_en.find("教APP备3100456号"), std::string::npos);
  EXPECT_NE(f->message_en.find("教APP备1100123号"), std::string::npos);
}
TEST_F(RulesTest, MismatchPositiveNumberOfAnotherAppWhileUnfiled) {
  Filing other = CleanFiling();
  other.filing_number = "教APP备1100999号";
  other.app_name = "别的应用";
  facts.displayed_numbers[0].text = "教APP备1100999号";
  owners.emplace("教APP备1100999号", other);
  EXPECT_TRUE(Fires("FILING-MISMATCH", /*with_filing=*/false));
  EXPECT_NE(Get("FILING-MISMATCH")->message_en.find("别的应用"), std::string::npos);
}
TEST_F(RulesTest, MismatchNegative) {
  owners.emplace("教APP备1100123号", filing);  // the number's owner is this filing
  EXPECT_FALSE(Fires("FILING-MISMATCH"));
  // Full-width / spaced display of the right number is the same number.
  facts.displayed_numbers[0].text = "教ＡＰＰ备 1100123号";
  EXPECT_FALSE(Fires("FILING-MISMATCH"));
}

TEST_F(RulesTest, MalformedPositive) {
  facts.displayed_numbers.push_back(
      {"moe-filing", "教APP备110012号", "教APP备110012号", "assets/a.html", false, "six-digit legacy form"});
  EXPECT_TRUE(Fires("FILING-MALFORMED"));
  const Finding* f = Get("FILING-MALFORMED");
  EXPECT_EQ(f->severity, Severity::kViolation);
  ASSERT_EQ(f->evidence.size(), 1u);
  EXPECT_EQ(f->evidence[0].location, "assets/a.html");
}
TEST_F(RulesTest, MalformedNegative) {
  // A malformed ICP number is not a malformed 教APP备 number.
  facts.displayed_numbers.push_back({"icp", "京ICP备1234号", "", "x", false, "digits"});
  EXPECT_FALSE(Fires("FILING-MALFORMED"));
}

TEST_F(RulesTest, IcpMissingPositiveNotDisplayed) {
  facts.displayed_numbers.pop_back();  // no App-ICP shown
  EXPECT_TRUE(Fires("FILING-ICP-MISSING"));
}
TEST_F(RulesTest, IcpMissingPositiveRegistryHasNone) {
  filing.icp_number.clear();
  filing.app_icp_number.clear();
  EXPECT_TRUE(Fires("FILING-ICP-MISSING"));
  EXPECT_NE(Get("FILING-ICP-MISSING")->message_en.find("registry"), std::string::npos);
}
TEST_F(RulesTest, IcpMissingNegative) {
  EXPECT_FALSE(Fires("FILING-ICP-MISSING"));
  filing.icp_number.clear();  // the App-ICP alone is an ICP filing
  EXPECT_FALSE(Fires("FILING-ICP-MISSING"));
}

TEST_F(RulesTest, MlpsMissingPositive) {
  filing.mlps = {};
  EXPECT_TRUE(Fires("FILING-MLPS-MISSING"));
}
TEST_F(RulesTest, MlpsMissingNegative) {
  EXPECT_FALSE(Fires("FILING-MLPS-MISSING"));
  filing.mlps = {};
  have_source = false;
  EXPECT_FALSE(Fires("FILING-MLPS-MISSING", false));  // no filing: not checked
}

TEST_F(RulesTest, StalePositiveVersionSdkPermission) {
  facts.package.version_name = "2.10.0";
  EXPECT_TRUE(Fires("FILING-STALE"));
  facts.package.version_name = "2.1.0";
  filing.declared.sdks = {"wechat"};
  facts.sdks.push_back(Sdk("umeng", "analytics"));
  EXPECT_TRUE(Fires("FILING-STALE"));
  filing.declared.sdks.clear();
  facts.permissions.push_back({"android.permission.RECORD_AUDIO", true, std::nullopt, false});
  EXPECT_TRUE(Fires("FILING-STALE"));
}
TEST_F(RulesTest, StaleNegative) {
  EXPECT_FALSE(Fires("FILING-STALE"));
  facts.package.version_name = "2.0.9";  // older than filed: not a change to file
  filing.declared.sdks = {"Umeng"};
  facts.sdks.push_back(Sdk("umeng", "analytics"));  // declared (case-insensitive id)
  EXPECT_FALSE(Fires("FILING-STALE"));
}

// ------------------------------------------------------------- PRIV-*

TEST_F(RulesTest, UndisclosedPermissionPositive) {
  facts.permissions.push_back({"android.permission.ACCESS_FINE_LOCATION", false, std::nullopt, false});
  EXPECT_TRUE(Fires("PRIV-UNDISCLOSED-PERMISSION"));  // dangerous by name even if unflagged
  const Finding* f = Get("PRIV-UNDISCLOSED-PERMISSION");
  ASSERT_EQ(f->evidence.size(), 1u);
  EXPECT_EQ(f->evidence[0].value, "android.permission.ACCESS_FINE_LOCATION");
}
TEST_F(RulesTest, UndisclosedPermissionPositiveIosKey) {
  facts.package.platform = Platform::kIos;
  facts.ios.usage_descriptions["NSMicrophoneUsageDescription"] = "跟读";
  EXPECT_TRUE(Fires("PRIV-UNDISCLOSED-PERMISSION"));
}
TEST_F(RulesTest, UndisclosedPermissionNegative) {
  facts.permissions.push_back({"android.permission.ACCESS_NETWORK_STATE", false, std::nullopt, false});
  EXPECT_FALSE(Fires("PRIV-UNDISCLOSED-PERMISSION"));  // normal permission
}

TEST_F(RulesTest, UnnecessaryPositive) {
  facts.permissions.push_back({"android.permission.READ_CONTACTS", true, std::nullopt, false});
  facts.permissions.push_back({"android.permission.READ_PHONE_STATE", true, std::nullopt, false});
  filing.declared.permissions.push_back("android.permission.READ_CONTACTS");
  EXPECT_TRUE(Fires("PRIV-UNNECESSARY"));  // declared or not, a person reviews it
  const Finding* f = Get("PRIV-UNNECESSARY");
  EXPECT_EQ(f->severity, Severity::kReview);
  EXPECT_NE(f->message_en.find("contacts"), std::string::npos);
  EXPECT_NE(f->message_en.find("phone state"), std::string::npos);
}
TEST_F(RulesTest, UnnecessaryNegative) {
  facts.permissions.push_back({"android.permission.RECORD_AUDIO", true, std::nullopt, false});
  EXPECT_FALSE(Fires("PRIV-UNNECESSARY"));  // microphone is not in the list
}

TEST_F(RulesTest, BiometricPositive) {
  facts.sdks.push_back(Sdk("megvii-faceid", "face"));
  EXPECT_TRUE(Fires("PRIV-BIOMETRIC"));
  filing.declared.biometric = true;  // declared, review not passed
  EXPECT_TRUE(Fires("PRIV-BIOMETRIC"));
  EXPECT_NE(Get("PRIV-BIOMETRIC")->message_en.find("review"), std::string::npos);
}
TEST_F(RulesTest, BiometricPositiveFaceIdKey) {
  facts.package.platform = Platform::kIos;
  facts.ios.usage_descriptions["NSFaceIDUsageDescription"] = "登录";
  EXPECT_TRUE(Fires("PRIV-BIOMETRIC"));
}
TEST_F(RulesTest, BiometricNegative) {
  facts.sdks.push_back(Sdk("megvii-faceid", "face"));
  filing.declared.biometric = true;
  filing.declared.biometric_reviewed = true;
  EXPECT_FALSE(Fires("PRIV-BIOMETRIC"));
  filing.declared.biometric = false;
  facts.sdks.back().confidence = "weak";  // a stray string is not a capability
  EXPECT_FALSE(Fires("PRIV-BIOMETRIC"));
}

TEST_F(RulesTest, TrackingSdkPositive) {
  facts.sdks.push_back(Sdk("umeng", "analytics"));
  EXPECT_TRUE(Fires("PRIV-TRACKING-SDK"));
  EXPECT_EQ(Get("PRIV-TRACKING-SDK")->severity, Severity::kInfo);
  EXPECT_EQ(Get("PRIV-TRACKING-SDK")->evidence[0].location, "classes.dex");
}
TEST_F(RulesTest, TrackingSdkNegative) {
  facts.sdks.push_back(Sdk("jpush", "push"));
  EXPECT_FALSE(Fires("PRIV-TRACKING-SDK"));
}

// ------------------------------------------------------------- CONTENT-*

TEST_F(RulesTest, AdSdkPositive) {
  facts.sdks.push_back(Sdk("pangle", "ads", "present"));
  have_source = false;  // facts-only
  EXPECT_TRUE(Fires("CONTENT-AD-SDK", false));
  EXPECT_NE(Get("CONTENT-AD-SDK")->message_en.find("pangle"), std::string::npos);
}
TEST_F(RulesTest, AdSdkNegative) {
  facts.sdks.push_back(Sdk("pangle", "ads", "weak"));
  facts.sdks.push_back(Sdk("wechat", "social"));
  EXPECT_FALSE(Fires("CONTENT-AD-SDK"));
}

TEST_F(RulesTest, GamePositive) {
  facts.sdks.push_back(Sdk("unity", "game-engine"));
  EXPECT_TRUE(Fires("CONTENT-GAME"));
  facts.sdks.back().category = "game-sdk";
  EXPECT_TRUE(Fires("CONTENT-GAME"));
}
TEST_F(RulesTest, GameNegative) {
  facts.sdks.push_back(Sdk("exoplayer", "other"));
  EXPECT_FALSE(Fires("CONTENT-GAME"));
}

TEST_F(RulesTest, PaymentRequiredUsePositive) {
  filing.use = "required";
  facts.sdks.push_back(Sdk("alipay", "payment"));
  EXPECT_TRUE(Fires("CONTENT-PAYMENT-REQUIRED-USE"));
}
TEST_F(RulesTest, PaymentRequiredUseNegative) {
  facts.sdks.push_back(Sdk("alipay", "payment"));
  EXPECT_FALSE(Fires("CONTENT-PAYMENT-REQUIRED-USE"));  // recommended app may charge
  filing.use = "required";
  facts.sdks.clear();
  EXPECT_FALSE(Fires("CONTENT-PAYMENT-REQUIRED-USE"));
}

TEST_F(RulesTest, PhotoSearchPositive) {
  facts.sdks.push_back(Sdk("photo-search", "photo-search"));
  EXPECT_TRUE(Fires("CONTENT-PHOTO-SEARCH"));
  EXPECT_EQ(Get("CONTENT-PHOTO-SEARCH")->severity, Severity::kBlock);
}
TEST_F(RulesTest, PhotoSearchNegative) {
  facts.sdks.push_back(Sdk("camera-x", "other"));
  EXPECT_FALSE(Fires("CONTENT-PHOTO-SEARCH"));
}

TEST_F(RulesTest, LiveSubjectPositive) {
  filing.category = "subject";
  filing.licence_number = "教民1101080000001号";
  facts.sdks.push_back(Sdk("agora", "live-streaming"));
  EXPECT_TRUE(Fires("CONTENT-LIVE-SUBJECT"));
}
TEST_F(RulesTest, LiveSubjectNegative) {
  facts.sdks.push_back(Sdk("agora", "live-streaming"));
  EXPECT_FALSE(Fires("CONTENT-LIVE-SUBJECT"));  // non-subject app
}

// ------------------------------------------------------------- CATEGORY-*

TEST_F(RulesTest, PreschoolPositive) {
  filing.audience = {"preschool", "compulsory"};
  EXPECT_TRUE(Fires("CATEGORY-PRESCHOOL"));
  EXPECT_EQ(Get("CATEGORY-PRESCHOOL")->severity, Severity::kBlock);
}
TEST_F(RulesTest, PreschoolNegative) {
  filing.audience = {"preschool"};
  filing.category = "management";  // a kindergarten management app is not training
  EXPECT_FALSE(Fires("CATEGORY-PRESCHOOL"));
}

TEST_F(RulesTest, SubjectUnlicensedPositive) {
  filing.category = "subject";
  EXPECT_TRUE(Fires("CATEGORY-SUBJECT-UNLICENSED"));
  filing.licence_number = "";
  EXPECT_TRUE(Fires("CATEGORY-SUBJECT-UNLICENSED"));
}
TEST_F(RulesTest, SubjectUnlicensedNegative) {
  filing.category = "subject";
  filing.licence_number = "教民1101080000001号";
  EXPECT_FALSE(Fires("CATEGORY-SUBJECT-UNLICENSED"));
}

// ------------------------------------------------------------- SEC-*

TEST_F(RulesTest, DebuggablePositive) {
  facts.app_flags.debuggable = true;
  EXPECT_TRUE(Fires("SEC-DEBUGGABLE"));
}
TEST_F(RulesTest, DebuggableNegative) {
  facts.app_flags.debuggable.reset();
  EXPECT_FALSE(Fires("SEC-DEBUGGABLE"));
}

TEST_F(RulesTest, CleartextPositive) {
  facts.app_flags.uses_cleartext_traffic = true;
  EXPECT_TRUE(Fires("SEC-CLEARTEXT"));
  facts.app_flags.uses_cleartext_traffic.reset();
  facts.package.target_sdk = 26;  // platform default before API 28
  EXPECT_TRUE(Fires("SEC-CLEARTEXT"));
  facts.package.target_sdk = 33;
  facts.app_flags.network_security_config = "res/xml/network_security_config.xml";
  facts.app_flags.cleartext_permitted_by_nsc = true;
  EXPECT_TRUE(Fires("SEC-CLEARTEXT"));
}
TEST_F(RulesTest, CleartextPositiveIos) {
  facts.package.platform = Platform::kIos;
  facts.ios.ats_arbitrary_loads = true;
  EXPECT_TRUE(Fires("SEC-CLEARTEXT"));
}
TEST_F(RulesTest, CleartextNegative) {
  EXPECT_FALSE(Fires("SEC-CLEARTEXT"));
  // The NSC decides over the attribute when present.
  facts.app_flags.uses_cleartext_traffic = true;
  facts.app_flags.network_security_config = "res/xml/nsc.xml";
  facts.app_flags.cleartext_permitted_by_nsc = false;
  EXPECT_FALSE(Fires("SEC-CLEARTEXT"));
}

TEST_F(RulesTest, AllowBackupPositive) {
  facts.app_flags.allow_backup.reset();  // default true
  EXPECT_TRUE(Fires("SEC-ALLOW-BACKUP"));
  EXPECT_EQ(Get("SEC-ALLOW-BACKUP")->severity, Severity::kInfo);
}
TEST_F(RulesTest, AllowBackupNegative) {
  EXPECT_FALSE(Fires("SEC-ALLOW-BACKUP"));  // disabled
  facts.app_flags.allow_backup = true;
  facts.permissions.resize(1);  // INTERNET only
  filing.declared.personal_info.clear();
  EXPECT_FALSE(Fires("SEC-ALLOW-BACKUP"));  // no personal data collected
}

TEST_F(RulesTest, ExportedPositive) {
  facts.components.push_back({"provider", "cn.example.edu.Files", true, true, false, "", true});
  facts.components.push_back({"activity", "cn.example.edu.Debug", true, true, false, "", true});
  EXPECT_TRUE(Fires("SEC-EXPORTED"));
  EXPECT_EQ(Get("SEC-EXPORTED")->evidence.size(), 2u);
}
TEST_F(RulesTest, ExportedNegative) {
  facts.components.push_back({"receiver", "cn.example.edu.R", true, true, true, "cn.example.edu.PERM", true});
  facts.components.push_back({"service", "cn.example.edu.Off", true, true, false, "", false});
  EXPECT_FALSE(Fires("SEC-EXPORTED"));  // guarded, disabled, launcher activity
}

TEST_F(RulesTest, PackedPositive) {
  facts.packer.packed = true;
  facts.packer.names = {"Tencent Legu"};
  facts.packer.not_analysed = {"classes.dex is a loader stub"};
  EXPECT_TRUE(Fires("SEC-PACKED"));
  EXPECT_NE(Get("SEC-PACKED")->message_en.find("Tencent Legu"), std::string::npos);
  facts.packer = {};
  facts.ios.encrypted = true;
  EXPECT_TRUE(Fires("SEC-PACKED"));
}
TEST_F(RulesTest, PackedNegative) { EXPECT_FALSE(Fires("SEC-PACKED")); }

TEST_F(RulesTest, MalformedPackagePositive) {
  facts.anomalies.push_back({"zip-overlapping-entries", "classes.dex", "overlaps x"});
  EXPECT_TRUE(Fires("SEC-MALFORMED"));
  // Unanalysable: only SEC-MALFORMED runs.
  facts = Facts();
  facts.errors.push_back({"not-a-package", "not an APK or IPA"});
  auto f = Run(false);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule_id, "SEC-MALFORMED");
}
TEST_F(RulesTest, MalformedPackageNegative) {
  facts.anomalies.push_back({"nested-package", "base.apk", "bundle"});
  EXPECT_FALSE(Fires("SEC-MALFORMED"));
}

// Issue 12 item 12: a duplicate <uses-permission> skips nothing, and a
// packer's encrypted payload is SEC-PACKED's, not also SEC-MALFORMED's.
TEST_F(RulesTest, MalformedIgnoresDuplicatePermissionAndPackerPayload) {
  facts.anomalies.push_back({"permission-duplicate", "AndroidManifest.xml", "android.permission.CAMERA"});
  EXPECT_FALSE(Fires("SEC-MALFORMED"));
  facts.packer.packed = true;
  facts.packer.names = {"Tencent Legu"};
  facts.sdks.push_back({"legu", "Tencent Legu", "Tencent", "packer", "present",
                        {{"asset", "lib/armeabi/mixz.dex", "lib/armeabi/mixz.dex", false}}});
  facts.anomalies.push_back({"dex-malformed", "lib/armeabi/mixz.dex", "dex: bad magic"});
  EXPECT_TRUE(Fires("SEC-PACKED"));
  EXPECT_FALSE(Fires("SEC-MALFORMED"));
  // Another malformed file still counts, and the message does not claim
  // that something was skipped when only the structure is odd.
  facts.anomalies.push_back({"zip-overlapping-entries", "classes.dex", "overlaps x"});
  ASSERT_TRUE(Fires("SEC-MALFORMED"));
  const Finding* m = Get("SEC-MALFORMED");
  EXPECT_EQ(m->message_en.find("not analysed"), std::string::npos) << m->message_en;
  for (const auto& e : m->evidence) EXPECT_NE(e.location, "lib/armeabi/mixz.dex");
}

// Issue 12 item 12: message_zh holds no English sentences (identifiers such
// as class names, permission names and keys stay as they are).
TEST_F(RulesTest, ChineseMessagesHaveNoEnglishSentences) {
  facts.app_flags.uses_cleartext_traffic.reset();
  facts.package.target_sdk = 27;
  facts.ios.ats_arbitrary_loads = true;
  facts.components.push_back({"receiver", "com.app.Push", true, true, false, "", true});
  facts.components.push_back({"provider", "com.app.Files", true, true, false, "", true});
  facts.packer.packed = true;
  facts.ios.encrypted = true;
  facts.anomalies.push_back({"zip-overlapping-entries", "classes.dex", "overlaps x"});
  facts.errors.push_back({"dex-malformed", "classes2.dex: bad magic"});
  auto findings = Run(false);
  const std::regex english(R"(\b[A-Za-z][a-z]{2,} [a-z]{3,}\b)");
  size_t checked = 0;
  for (const auto& f : findings) {
    ++checked;
    EXPECT_FALSE(std::regex_search(f.message_zh, english)) << f.rule_id << ": " << f.message_zh;
  }
  EXPECT_GE(checked, 4u);
}

// ------------------------------------------------------------- engine

TEST_F(RulesTest, FindingsSortedBySeverityThenId) {
  facts.app_flags.debuggable = true;                       // violation
  facts.app_flags.uses_cleartext_traffic = true;           // review
  facts.sdks.push_back(Sdk("photo-search", "photo-search"));  // block
  facts.sdks.push_back(Sdk("pangle", "ads"));              // violation
  auto f = Run();
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0].rule_id, "CONTENT-PHOTO-SEARCH");
  EXPECT_EQ(f[1].rule_id, "CONTENT-AD-SDK");
  EXPECT_EQ(f[2].rule_id, "SEC-DEBUGGABLE");
  EXPECT_EQ(f[3].rule_id, "SEC-CLEARTEXT");
}

TEST_F(RulesTest, WithoutSourceFilingRulesAreSkipped) {
  filing.mlps = {};
  filing.status = "revoked";
  have_source = false;
  auto f = Run(false);
  EXPECT_TRUE(f.empty()) << f[0].rule_id;
}

TEST(Dates, AddMonthsClampsAndValidates) {
  EXPECT_EQ(AddMonths("2025-08-31", 6).value_or(""), "2026-02-28");
  EXPECT_EQ(AddMonths("2023-08-31", 6).value_or(""), "2024-02-29");
  EXPECT_EQ(AddMonths("2025-12-01", 1).value_or(""), "2026-01-01");
  EXPECT_FALSE(AddMonths("2025-02-30", 6).has_value());
  EXPECT_FALSE(AddMonths("2025/01/01", 6).has_value());
  EXPECT_FALSE(IsIsoDate("2025-13-01"));
  EXPECT_TRUE(IsIsoDate("2024-02-29"));
}

}  // namespace
}  // namespace shelfguard::policy

namespace shelfguard::policy {
namespace {

// Issue 12 item 12: `registry show` says whether a ban is in force; the
// rule and the command share this.
TEST(BlacklistStatusTest, InForceExpiredNotYet) {
  BlacklistEntry b{"91110108MA01QG001D", "2026-09-01", "", "test"};
  BanStatus s = BlacklistStatus(b, "2026-10-01");
  EXPECT_STREQ(s.state, BanStatus::kInForce);
  EXPECT_EQ(s.until, "2027-03-01");  // six months by default
  EXPECT_STREQ(BlacklistStatus(b, "2027-03-01").state, BanStatus::kExpired);
  EXPECT_STREQ(BlacklistStatus(b, "2026-08-31").state, BanStatus::kNotYet);
  b.until = "2026-09-15";
  EXPECT_STREQ(BlacklistStatus(b, "2026-10-01").state, BanStatus::kExpired);
  EXPECT_EQ(BlacklistStatus(b, "2026-10-01").until, "2026-09-15");
  b.since = "garbage";
  b.until = "";
  EXPECT_STREQ(BlacklistStatus(b, "2026-10-01").state, BanStatus::kInForce);
}

}  // namespace
}  // namespace shelfguard::policy
