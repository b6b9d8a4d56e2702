// The Assessor on the sample registry: look-ups by package id, blacklist by
// date, number owners, verdicts, options, and concurrent use.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "policy/assess.h"
#include "support/corpus.h"
#include "support/fixtures.h"

namespace shelfguard {
namespace {

std::string Registry() { return testing::SourceDir() + "/samples/registry.json"; }

Facts AppFacts(const std::string& id, const std::string& shown) {
  Facts f;
  f.analysed = true;
  f.package.platform = Platform::kAndroid;
  f.package.id = id;
  f.package.version_name = "1.0.0";
  f.app_flags.allow_backup = false;
  if (!shown.empty()) f.displayed_numbers.push_back({"moe-filing", shown, shown, "res/values/strings.xml", true, ""});
  return f;
}

bool Has(const Report& r, const std::string& id) {
  for (const auto& f : r.findings)
    if (f.rule_id == id) return true;
  return false;
}

std::unique_ptr<Assessor> Make(const std::string& today) {
  AssessOptions o;
  o.registry_path = Registry();
  o.today = today;
  auto a = Assessor::Create(o);
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return a.ok() ? std::move(a).value() : nullptr;
}

TEST(Assessor, FindsFilingByPackageAndComputesVerdict) {
  auto a = Make("2026-10-01");
  ASSERT_NE(a, nullptr);
  Report r = a->Assess(AppFacts("cn.shelfguard.sample.revoked", "教APP备3100102号"));
  EXPECT_TRUE(Has(r, "FILING-REVOKED"));
  EXPECT_FALSE(Has(r, "FILING-UNFILED"));
  EXPECT_EQ(r.verdict, Severity::kBlock);
  EXPECT_EQ(r.findings.front().severity, Severity::kBlock);

  Report u = a->Assess(AppFacts("cn.shelfguard.sample.nowhere", "教APP备1100101号"));
  EXPECT_TRUE(Has(u, "FILING-UNFILED"));
  EXPECT_TRUE(Has(u, "FILING-MISMATCH"));  // shows another app's number
  EXPECT_NE(a->registry_version(), "none");
}

// Issue 17: a HAP is matched against harmony_bundle_names and a
// mini-program against mini_program_appids, never the Android list, and
// FILING-UNFILED names the list it looked in.
TEST(Assessor, HarmonyAndMiniProgramMatchTheirOwnLists) {
  auto a = Make("2026-10-01");
  ASSERT_NE(a, nullptr);
  auto as = [](Platform p, const std::string& id) {
    Facts f = AppFacts(id, "教APP备1100101号");
    f.package.platform = p;
    return f;
  };
  auto unfiled_field = [](const Report& r) {
    for (const auto& f : r.findings) {
      if (f.rule_id == "FILING-UNFILED" && !f.evidence.empty()) return f.evidence[0].location;
    }
    return std::string();
  };
  Report hap = a->Assess(as(Platform::kHarmony, "cn.shelfguard.sample.fullhm"));
  EXPECT_FALSE(Has(hap, "FILING-UNFILED"));
  Report mp = a->Assess(as(Platform::kMiniProgram, "wx5f3c1a2b4d6e8f90"));
  EXPECT_FALSE(Has(mp, "FILING-UNFILED"));

  Report other_hap = a->Assess(as(Platform::kHarmony, "cn.shelfguard.sample.otherhm"));
  EXPECT_TRUE(Has(other_hap, "FILING-UNFILED"));
  EXPECT_EQ(unfiled_field(other_hap), "registry.harmony_bundle_names");
  // The Android package of the same filing is not a filed HarmonyOS bundle.
  Report android_name = a->Assess(as(Platform::kHarmony, "cn.shelfguard.sample.full"));
  EXPECT_TRUE(Has(android_name, "FILING-UNFILED"));
  Report other_mp = a->Assess(as(Platform::kMiniProgram, "wx00000000000000ff"));
  EXPECT_TRUE(Has(other_mp, "FILING-UNFILED"));
  EXPECT_EQ(unfiled_field(other_mp), "registry.mini_program_appids");
  // And a HarmonyOS name is not a filed Android package.
  EXPECT_TRUE(Has(a->Assess(AppFacts("cn.shelfguard.sample.fullhm", "")), "FILING-UNFILED"));
}

TEST(Assessor, BlacklistDependsOnToday) {
  auto in_force = Make("2026-10-01");
  auto before = Make("2026-08-31");
  auto after = Make("2027-03-01");
  ASSERT_TRUE(in_force && before && after);
  Facts f = AppFacts("cn.shelfguard.sample.banned", "教APP备5100106号");
  EXPECT_TRUE(Has(in_force->Assess(f), "FILING-PROVIDER-BANNED"));
  EXPECT_FALSE(Has(before->Assess(f), "FILING-PROVIDER-BANNED"));
  EXPECT_FALSE(Has(after->Assess(f), "FILING-PROVIDER-BANNED"));
}

TEST(Assessor, NoSourceRunsFactsRulesOnly) {
  auto a = Assessor::Create(AssessOptions{});
  ASSERT_TRUE(a.ok());
  Report r = (*a)->Assess(AppFacts("cn.shelfguard.sample.nowhere", ""));
  EXPECT_FALSE(Has(r, "FILING-UNFILED"));
  EXPECT_TRUE(Has(r, "FILING-NOT-DISPLAYED"));
  EXPECT_EQ((*a)->registry_version(), "none");
}

TEST(Assessor, RejectsBadOptionsNamingTheProblem) {
  // The control: these options with nothing wrong are accepted, so each
  // refusal below is the one bad field's doing.
  AssessOptions good;
  good.today = "2026-10-01";
  good.registry_path = Registry();
  auto ok = Assessor::Create(good);
  ASSERT_TRUE(ok.ok()) << ok.status().message();

  // Not a date, or no such day: refused as an argument, naming the value.
  for (const char* bad : {"01/10/2026", "2026-02-30", "2026-13-01", "2026-1-01", "2026-10-01x"}) {
    AssessOptions o = good;
    o.today = bad;
    auto r = Assessor::Create(o);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), "invalid-argument") << bad;
    EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().message();
  }
  // A leap day is a date.
  AssessOptions leap = good;
  leap.today = "2028-02-29";
  EXPECT_TRUE(Assessor::Create(leap).ok());

  AssessOptions no_registry = good;
  no_registry.registry_path = "/nonexistent/registry.json";
  auto r1 = Assessor::Create(no_registry);
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.status().code(), "not-found");
  EXPECT_NE(r1.status().message().find("/nonexistent/registry.json"), std::string::npos) << r1.status().message();

  AssessOptions no_filing = good;
  no_filing.filing_path = "/nonexistent/filing.json";
  auto r2 = Assessor::Create(no_filing);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.status().message().find("/nonexistent/filing.json"), std::string::npos) << r2.status().message();

  // A registry with a rejected record: loaded (and reported) normally,
  // refused when strict, the refusal naming the count.
  nlohmann::json reg = nlohmann::json::parse(testing::ReadFileBytes(Registry()));
  reg["filings"].push_back({{"filing_number", "not a filing number"}, {"app_name", "x"}});
  std::string path = ::testing::TempDir() + "/assess_rejected_" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream out(path);
    out << reg.dump();
  }
  AssessOptions lax = good;
  lax.registry_path = path;
  auto r3 = Assessor::Create(lax);
  ASSERT_TRUE(r3.ok()) << r3.status().message();
  ASSERT_NE((*r3)->registry_load_report(), nullptr);
  EXPECT_EQ((*r3)->registry_load_report()->rejected_count, 1u);
  AssessOptions strict = lax;
  strict.registry_strict = true;
  auto r4 = Assessor::Create(strict);
  ASSERT_FALSE(r4.ok());
  EXPECT_EQ(r4.status().code(), "invalid-argument");
  EXPECT_NE(r4.status().message().find("1 record rejected"), std::string::npos) << r4.status().message();
  std::remove(path.c_str());
}

TEST(Assessor, UnanalysedPackageGetsOnlyMalformed) {
  auto a = Make("2026-10-01");
  ASSERT_NE(a, nullptr);
  Facts f;
  f.errors.push_back({"not-a-package", "x: not an APK or IPA"});
  Report r = a->Assess(f);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].rule_id, "SEC-MALFORMED");
}

TEST(Assessor, ConcurrentAssessGivesTheSameResults) {
  auto a = Make("2026-10-01");
  ASSERT_NE(a, nullptr);
  const std::vector<std::string> ids = {"cn.shelfguard.sample.full", "cn.shelfguard.sample.banned",
                                        "cn.shelfguard.sample.subject", "cn.x.unfiled"};
  std::vector<std::vector<std::string>> expected;
  for (const auto& id : ids) {
    std::vector<std::string> v;
    for (const auto& f : a->Assess(AppFacts(id, "教APP备1100101号")).findings) v.push_back(f.rule_id);
    expected.push_back(v);
  }
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        size_t k = static_cast<size_t>(i + t) % ids.size();
        std::vector<std::string> v;
        for (const auto& f : a->Assess(AppFacts(ids[k], "教APP备1100101号")).findings) v.push_back(f.rule_id);
        if (v != expected[k]) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// Issue 12 item 2: one wrong check character in the revoked app's record
// must not turn the app into an unfiled one (block); it gets a review
// finding naming the rejected record, and strict mode refuses the registry.
TEST(Assessor, RejectedRecordIsReviewNotUnfiled) {
  std::ifstream in(Registry(), std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto j = nlohmann::json::parse(text);
  j["filings"][1]["provider"]["credit_code"] = "91310115MA1HQG002J";
  std::string bad = ::testing::TempDir() + "sg_assess_rejected_" + std::to_string(::getpid()) +
                    ".json";
  std::ofstream(bad, std::ios::binary) << j.dump();
  AssessOptions o;
  o.registry_path = bad;
  o.today = "2026-10-01";
  auto a = Assessor::Create(o);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  const RegistryLoadReport* lr = (*a)->registry_load_report();
  ASSERT_NE(lr, nullptr);
  EXPECT_EQ(lr->rejected_count, 1u);
  Report r = (*a)->Assess(AppFacts("cn.shelfguard.sample.revoked", "教APP备3100102号"));
  EXPECT_FALSE(Has(r, "FILING-UNFILED"));
  ASSERT_TRUE(Has(r, "FILING-RECORD-REJECTED"));
  EXPECT_LT(r.verdict, Severity::kBlock);  // was block (FILING-UNFILED)
  for (const auto& f : r.findings) {
    if (f.rule_id != "FILING-RECORD-REJECTED") continue;
    EXPECT_EQ(f.severity, Severity::kReview);
    EXPECT_NE(f.message_en.find("filings[1]"), std::string::npos) << f.message_en;
    EXPECT_NE(f.message_en.find("credit_code"), std::string::npos) << f.message_en;
    ASSERT_FALSE(f.evidence.empty());
    EXPECT_EQ(f.evidence[0].location, "registry:filings[1]");
  }
  // An id found nowhere is still unfiled.
  EXPECT_TRUE(Has((*a)->Assess(AppFacts("cn.shelfguard.sample.nowhere", "")), "FILING-UNFILED"));
  o.registry_strict = true;
  auto strict = Assessor::Create(o);
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find("filings[1]"), std::string::npos);
  std::remove(bad.c_str());
}

// Issue 12 item 8: rules are assessed only where their facts can exist, and
// the report says which were not and why.
TEST(Assessor, BareDexAssessesCodeRulesOnlyAndSaysWhichWereNot) {
  auto a = Assessor::Create(AssessOptions{});
  ASSERT_TRUE(a.ok());
  Facts f;
  f.analysed = true;
  f.scope = "code";
  f.package.platform = Platform::kAndroid;
  f.sdks.push_back({"pangle", "Pangle", "ByteDance", "ads", "referenced",
                    {{"class", "classes.dex", "com.bytedance.sdk.openadsdk.TTAdSdk", true}}});
  Report r = (*a)->Assess(f);
  EXPECT_FALSE(Has(r, "FILING-NOT-DISPLAYED"));  // a .dex has no resources to show it
  EXPECT_FALSE(Has(r, "FILING-ICP-MISSING"));
  EXPECT_TRUE(Has(r, "CONTENT-AD-SDK"));         // code facts are there
  auto reason = [&](const std::string& id) {
    for (const auto& n : r.not_assessed)
      if (n.rule_id == id) return n.reason;
    return std::string();
  };
  EXPECT_EQ(reason("FILING-NOT-DISPLAYED"), "scope");
  EXPECT_EQ(reason("SEC-DEBUGGABLE"), "scope");
  EXPECT_EQ(reason("CONTENT-AD-SDK"), "");
  std::string json = ReportToJson(r);
  EXPECT_NE(json.find(R"("not_assessed":[{"rule_id":"FILING-UNFILED","reason":"scope"})"),
            std::string::npos)
      << json;
  EXPECT_NE(ReportToText(r, false).find("not assessable"), std::string::npos);
}

TEST(Assessor, WithoutRegistryTheRegistryRulesAreSaidSkipped) {
  auto a = Assessor::Create(AssessOptions{});
  ASSERT_TRUE(a.ok());
  Report r = (*a)->Assess(AppFacts("cn.shelfguard.sample.nowhere", ""));
  std::set<std::string> no_registry;
  for (const auto& n : r.not_assessed)
    if (n.reason == "no-registry") no_registry.insert(n.rule_id);
  EXPECT_TRUE(no_registry.count("FILING-UNFILED"));
  EXPECT_TRUE(no_registry.count("FILING-REVOKED"));
  EXPECT_TRUE(no_registry.count("FILING-RECORD-REJECTED"));
  EXPECT_FALSE(no_registry.count("SEC-DEBUGGABLE"));
  std::string text = ReportToText(r, false);
  EXPECT_NE(text.find("skipped: no registry"), std::string::npos) << text;
  // With a registry and a filing nothing is skipped for want of one.
  auto with = Make("2026-10-01");
  Report f = with->Assess(AppFacts("cn.shelfguard.sample.full", "教APP备1100101号"));
  for (const auto& n : f.not_assessed) ADD_FAILURE() << n.rule_id << " " << n.reason;
}

TEST(Assessor, ReportCarriesVersionsAndScanTime) {
  auto a = Make("2026-10-01");
  Facts facts = AppFacts("cn.shelfguard.sample.full", "");
  facts.signatures_version = "sig-test-1";
  Report r = a->Assess(facts);
  EXPECT_EQ(r.tool_version, SHELFGUARD_VERSION);
  EXPECT_EQ(r.signatures_version, "sig-test-1");
  EXPECT_EQ(r.registry_version, a->registry_version());
  EXPECT_NE(r.registry_version, "none");
  ASSERT_EQ(r.scanned_at.size(), 20u) << r.scanned_at;  // 2026-11-30T16:21:49Z
  EXPECT_EQ(r.scanned_at[10], 'T');
  EXPECT_EQ(r.scanned_at.back(), 'Z');
  auto j = nlohmann::json::parse(ReportToJson(r));
  EXPECT_EQ(j["tool_version"], SHELFGUARD_VERSION);
  EXPECT_EQ(j["signatures_version"], "sig-test-1");
  EXPECT_EQ(j["registry_version"], r.registry_version);
  EXPECT_EQ(j["scanned_at"], r.scanned_at);
}

// Evidence names its SDK in a field of its own (not glued into `value`);
// findings use the daemon's field names; the text report shows every SDK.
TEST(Assessor, FindingEvidenceNamesItsSdkAndTextGroupsPerSdk) {
  auto a = Assessor::Create(AssessOptions{});
  ASSERT_TRUE(a.ok());
  Facts f = AppFacts("cn.shelfguard.sample.nowhere", "");
  for (const char* sdk : {"gdt", "pangle", "baidu-mobads"}) {
    SdkHit h{sdk, std::string("Name-") + sdk, "Vendor", "ads", "referenced", {}};
    for (int i = 0; i < 4; ++i) {
      h.evidence.push_back({"class", "classes.dex", std::string(sdk) + ".C" + std::to_string(i), true});
    }
    f.sdks.push_back(h);
  }
  Report r = (*a)->Assess(f);
  auto j = nlohmann::json::parse(ReportToJson(r));
  bool seen = false;
  for (const auto& fd : j["findings"]) {
    ASSERT_TRUE(fd.contains("rule_id"));
    ASSERT_TRUE(fd.contains("message_en"));
    if (fd["rule_id"] != "CONTENT-AD-SDK") continue;
    seen = true;
    for (const auto& e : fd["evidence"]) {
      ASSERT_TRUE(e.contains("sdk")) << e.dump();
      std::string v = e["value"];
      EXPECT_EQ(v.find(':'), std::string::npos) << v;  // no "Name: " prefix
      EXPECT_EQ(v.rfind(e["sdk"].get<std::string>() + ".C", 0), 0u) << v;
    }
  }
  EXPECT_TRUE(seen);
  std::string text = ReportToText(r, false);
  // In the findings section (the sdks section lists every name anyway).
  size_t at = text.find("CONTENT-AD-SDK");
  ASSERT_NE(at, std::string::npos) << text;
  std::string finding = text.substr(at);
  for (const char* name : {"Name-gdt", "Name-pangle", "Name-baidu-mobads"}) {
    EXPECT_NE(finding.find(std::string("- ") + name), std::string::npos) << name << "\n" << text;
  }
  EXPECT_NE(finding.find("baidu-mobads.C0"), std::string::npos) << text;
}

}  // namespace
}  // namespace shelfguard
