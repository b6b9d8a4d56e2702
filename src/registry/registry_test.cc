#include "registry/registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "registry/export.h"

namespace shelfguard {
namespace {

namespace fs = std::filesystem;

std::string SourceDir() {
  const char* s = std::getenv("SG_SOURCE_DIR");
  return s != nullptr ? s : SHELFGUARD_SOURCE_DIR;
}
std::string SampleJson() { return SourceDir() + "/samples/registry.json"; }
std::string SampleCsv() { return SourceDir() + "/samples/registry.csv"; }

constexpr uint64_t kAnyLine = 0;  // import lines count from 1

// Whether `problems` holds one on `field` at `line` (kAnyLine: any) whose
// message contains `words` and, when `file` is given, that names that file.
bool HasProblem(const std::vector<ImportProblem>& problems, uint64_t line, const std::string& field,
                const std::string& words = "", const std::string& file = "") {
  for (const ImportProblem& p : problems) {
    if ((line == kAnyLine || p.line == line) && p.field == field && p.message.find(words) != std::string::npos &&
        (file.empty() || p.file == file)) {
      return true;
    }
  }
  return false;
}

class TempDir {
 public:
  TempDir() {
    static int n = 0;
    path_ = fs::temp_directory_path() /
            ("sg_registry_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& name, const std::string& content = "") const {
    std::string p = (path_ / name).string();
    if (!content.empty()) std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// One valid filing object (JSON) with the given number, package and credit code.
std::string FilingObj(const std::string& number, const std::string& pkg,
                      const std::string& credit = "91110108MA01QG001D") {
  return R"({"filing_number": ")" + number + R"(", "app_name": "测试",
    "provider": {"name": "测试公司", "credit_code": ")" + credit + R"(", "province": "11"},
    "android_packages": [")" + pkg + R"("], "ios_bundle_ids": [")" + pkg + R"("],
    "icp_number": "京ICP备12345678号-1", "app_icp_number": "京ICP备12345678号-2A",
    "mlps": {"filing_number": "11010843101-20101", "level": 3},
    "category": "non-subject", "audience": ["compulsory"], "use": "recommended",
    "licence_number": null, "status": "active", "status_since": "2025-03-01"})";
}

TEST(RegistryTest, OpensSampleJsonAndLooksUpByEveryKey) {
  auto reg = Registry::Open(SampleJson());
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  const Registry& r = **reg;
  EXPECT_TRUE(r.load_problems().empty());
  EXPECT_EQ(r.filing_count(), 9u);
  EXPECT_EQ(r.blacklist_count(), 2u);

  auto f = r.FindByPackage(Platform::kAndroid, "cn.shelfguard.sample.full");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->filing_number, "教APP备1100101号");
  EXPECT_EQ(f->provider.credit_code, "91110108MA01QG001D");
  EXPECT_EQ(f->provider.province, "11");
  EXPECT_EQ(f->icp_number, "京ICP备11010101号-1");
  EXPECT_EQ(f->app_icp_number, "京ICP备11010101号-2A");
  EXPECT_EQ(f->mlps.level, 3);
  EXPECT_EQ(f->category, "non-subject");
  EXPECT_EQ(f->use, "recommended");
  EXPECT_EQ(f->audience, (std::vector<std::string>{"compulsory", "high-school"}));
  EXPECT_EQ(f->declared.permissions.size(), 3u);
  EXPECT_EQ(f->declared.ios_usage_keys,
            (std::vector<std::string>{"NSCameraUsageDescription", "NSMicrophoneUsageDescription"}));
  EXPECT_TRUE(f->declared.payment);
  EXPECT_FALSE(f->licence_number.has_value());

  auto ios = r.FindByPackage(Platform::kIos, "cn.shelfguard.sample.biometric");
  ASSERT_TRUE(ios.has_value());
  EXPECT_TRUE(ios->declared.biometric);
  EXPECT_TRUE(ios->declared.biometric_reviewed);
  EXPECT_FALSE(r.FindByPackage(Platform::kAndroid, "cn.shelfguard.sample.nope").has_value());
  EXPECT_FALSE(r.FindByPackage(Platform::kUnknown, "cn.shelfguard.sample.full").has_value());

  auto by_number = r.FindByFilingNumber("教ＡＰＰ备 3100102 号");  // normalised
  ASSERT_TRUE(by_number.has_value());
  EXPECT_EQ(by_number->status, "revoked");
  EXPECT_EQ(by_number->status_since, "2025-09-15");

  auto by_code = r.FindByCreditCode("91330106MA2BQG004M");
  ASSERT_EQ(by_code.size(), 1u);
  EXPECT_EQ(by_code[0].category, "subject");
  EXPECT_FALSE(by_code[0].licence_number.has_value());

  auto lic = r.FindByPackage(Platform::kAndroid, "cn.shelfguard.sample.licensed");
  ASSERT_TRUE(lic.has_value());
  ASSERT_TRUE(lic->licence_number.has_value());
  EXPECT_TRUE(lic->declared.live_streaming);

  auto bl = r.FindBlacklist("91510107MA6CQG006T");
  ASSERT_TRUE(bl.has_value());
  EXPECT_EQ(bl->since, "2026-09-01");
  EXPECT_FALSE(r.FindBlacklist("91110108MA01QG001D").has_value());
  EXPECT_EQ(r.version().rfind("sha256:", 0), 0u);
}

TEST(RegistryTest, CsvSampleMatchesJsonSample) {
  auto j = Registry::Open(SampleJson());
  auto c = Registry::Open(SampleCsv());
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  for (const ImportProblem& p : (*c)->load_problems()) ADD_FAILURE() << p.ToString();
  EXPECT_EQ((*c)->filing_count(), (*j)->filing_count());
  EXPECT_EQ((*c)->blacklist_count(), (*j)->blacklist_count());
  for (const char* pkg : {"full", "revoked", "preschool", "subject", "required", "banned", "nomlps",
                          "biometric", "licensed"}) {
    std::string id = std::string("cn.shelfguard.sample.") + pkg;
    auto a = (*j)->FindByPackage(Platform::kAndroid, id);
    auto b = (*c)->FindByPackage(Platform::kAndroid, id);
    ASSERT_TRUE(a && b) << id;
    EXPECT_EQ(FilingToJson(*a, false), FilingToJson(*b, false)) << id;
  }
  EXPECT_NE((*j)->version(), (*c)->version());
}

TEST(RegistryTest, BadJsonRecordsReportLineAndFieldAndTheRestLoads) {
  TempDir dir;
  std::string text =
      "{\"format\": \"shelfguard-registry/1\",\n"                                   // 1
      " \"filings\": [\n"                                                           // 2
      "  " + FilingObj("教APP备1100001号", "cn.example.good") + ",\n" +             // 3-9
      "  " + FilingObj("教APP备110001号", "cn.example.sixdigit") + ",\n" +          // 10-16
      "  " + FilingObj("教APP备1100003号", "cn.example.badcode", "91110108MA01QG001X") +
      ",\n" +                                                                       // 17-23
      "  " + FilingObj("教APP备1100004号", "cn.example.good") + ",\n" +             // 24-30 dup pkg
      "  {\"filing_number\": \"教APP备1100005号\", \"app_name\": \"x\",\n"          // 31
      "   \"provider\": {\"name\": \"p\", \"credit_code\": \"91110108MA01QG001D\"},\n"
      "   \"android_packages\": [\"1bad\"], \"audience\": [\"toddlers\"],\n"
      "   \"app_icp_number\": \"京ICP备12345678号-1\"}\n"
      " ],\n"
      " \"blacklist\": [{\"credit_code\": \"91110108MA01QG001D\", \"since\": \"2026-02-30\"}]}\n";
  std::string path = dir.File("bad.json", text);
  auto parsed = ParseExportFile(path);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->filings.size(), 1u);
  EXPECT_EQ(parsed->filings[0].filing_number, "教APP备1100001号");
  EXPECT_EQ(parsed->filing_lines[0], 3u);
  EXPECT_EQ(parsed->bad_records, 5u);
  auto has = [&](uint64_t line, const std::string& field, const std::string& words) {
    return HasProblem(parsed->problems, line, field, words, path);
  };
  // Each FilingObj spans 7 lines.
  EXPECT_TRUE(has(10, "filing_number", "six-digit legacy form"));
  EXPECT_TRUE(has(17, "provider.credit_code", "check character"));
  EXPECT_TRUE(has(24, "android_packages[0]", "already filed by 教APP备1100001号"));
  EXPECT_TRUE(has(31, "android_packages[0]", "not a valid Android package"));
  EXPECT_TRUE(has(31, "audience[0]", "toddlers"));
  EXPECT_TRUE(has(31, "app_icp_number", "-<n>A"));
  EXPECT_TRUE(has(36, "since", "not a YYYY-MM-DD date"));
  for (const ImportProblem& p : parsed->problems) {
    EXPECT_EQ(p.ToString().rfind(path + ":", 0), 0u) << p.ToString();
  }

  // The registry opened from the same file serves the good record.
  auto reg = Registry::Open(path);
  ASSERT_TRUE(reg.ok());
  EXPECT_TRUE((*reg)->FindByPackage(Platform::kAndroid, "cn.example.good").has_value());
  EXPECT_FALSE((*reg)->FindByPackage(Platform::kAndroid, "cn.example.sixdigit").has_value());
  EXPECT_EQ((*reg)->load_problems().size(), parsed->problems.size());
}

TEST(RegistryTest, BadCsvRowsReportRowAndColumn) {
  TempDir dir;
  std::string csv =
      "filing_number,app_name,provider_name,provider_credit_code,android_packages,"
      "ios_bundle_ids,declared_biometric,mlps_level,status\n"
      "教APP备1100001号,好,公司,91110108MA01QG001D,cn.a.one;cn.a.two,cn.a.one,true,3,active\n"
      "教APP备9900002号,坏,公司,91110108MA01QG001D,cn.b.one,,maybe,9,gone\n"
      "\"教APP备1100003号\",\"多行\n名称\",公司,91110108MA01QG001D,cn.c.one,,false,,\n"
      "教APP备1100004号,坏,公司,bad,cn.d.one,,,,\n";
  std::string path = dir.File("r.csv", csv);
  auto parsed = ParseExportFile(path);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->format, "csv");
  ASSERT_EQ(parsed->filings.size(), 1u);
  EXPECT_EQ(parsed->filings[0].android_packages,
            (std::vector<std::string>{"cn.a.one", "cn.a.two"}));
  EXPECT_TRUE(parsed->filings[0].declared.biometric);
  EXPECT_EQ(parsed->filing_lines[0], 2u);
  EXPECT_EQ(parsed->bad_records, 3u);
  auto has = [&](uint64_t line, const std::string& field) { return HasProblem(parsed->problems, line, field); };
  EXPECT_TRUE(has(3, "filing_number"));
  EXPECT_TRUE(has(3, "declared_biometric"));
  EXPECT_TRUE(has(3, "mlps_level"));
  EXPECT_TRUE(has(3, "status"));
  EXPECT_TRUE(has(4, "app_name"));  // a quoted line break: control characters are refused
  EXPECT_TRUE(has(6, "provider_credit_code"));  // the row after the two-line record
}

TEST(RegistryTest, WholeFileFailures) {
  TempDir dir;
  EXPECT_FALSE(ParseExportFile(dir.File("missing.json")).ok());
  auto broken = ParseExportFile(dir.File("broken.json", "{\"format\": \"shelfguard-registry/1\",\n \"filings\": [}"));
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("line 2"), std::string::npos) << broken.status().ToString();
  auto wrong = ParseExportFile(dir.File("wrong.json", "{\"format\": \"other/2\", \"filings\": []}"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("format"), std::string::npos);
  ExportLimits tiny;
  tiny.max_bytes = 10;
  EXPECT_EQ(ParseExportFile(SampleJson(), tiny).status().code(), "over-limit");
  tiny = ExportLimits();
  tiny.max_records = 3;
  EXPECT_EQ(ParseExportFile(SampleJson(), tiny).status().code(), "over-limit");
  // Wrong types inside a record are record problems, not crashes.
  auto types = ParseExportBytes(
      "{\"format\": \"shelfguard-registry/1\", \"filings\": [{\"filing_number\": 5,"
      " \"android_packages\": \"x\", \"mlps\": [], \"declared\": {\"biometric\": \"yes\"}}, 7]}",
      "types.json");
  ASSERT_TRUE(types.ok());
  EXPECT_EQ(types->bad_records, 2u);
  EXPECT_TRUE(types->filings.empty());
}

TEST(RegistryTest, ImportWritesDatabaseThatReopensIdentically) {
  TempDir dir;
  std::string db = dir.File("registry.db");
  auto s = ImportExport(SampleJson(), db);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->filings, 9u);
  EXPECT_EQ(s->blacklist, 2u);
  EXPECT_EQ(s->bad_records, 0u);
  auto from_db = Registry::Open(db);
  auto from_json = Registry::Open(SampleJson());
  ASSERT_TRUE(from_db.ok()) << from_db.status().ToString();
  ASSERT_TRUE(from_json.ok());
  EXPECT_EQ((*from_db)->version(), (*from_json)->version());
  EXPECT_EQ((*from_db)->version(), s->version);
  auto a = (*from_db)->FindByPackage(Platform::kIos, "cn.shelfguard.sample.full");
  auto b = (*from_json)->FindByPackage(Platform::kIos, "cn.shelfguard.sample.full");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(FilingToJson(*a, false), FilingToJson(*b, false));
  EXPECT_EQ((*from_db)->meta().at("format"), "shelfguard-registry-db/2");
  // No temp files left next to the database.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);
  // Re-import of another export replaces it and changes the version.
  auto s2 = ImportExport(SampleCsv(), db);
  ASSERT_TRUE(s2.ok());
  auto again = Registry::Open(db);
  ASSERT_TRUE(again.ok());
  EXPECT_NE((*again)->version(), (*from_db)->version());
  // The old handle still serves its snapshot.
  EXPECT_TRUE((*from_db)->FindByPackage(Platform::kAndroid, "cn.shelfguard.sample.full"));
  // A non-registry SQLite file is refused.
  EXPECT_FALSE(Registry::Open(dir.File("nothing.db", "SQLite format 3")).ok());
}

// Issue 17: HarmonyOS bundle names and mini-program appids are filed in
// their own lists (JSON and CSV), validated, kept by import and looked up
// on their own platform only.
TEST(RegistryTest, HarmonyAndMiniProgramIdsParseValidateAndSurviveImport) {
  TempDir dir;
  auto filing = [](const std::string& number, const std::string& extra) {
    return R"({"filing_number": ")" + number + R"(", "app_name": "鸿蒙课堂",
      "provider": {"name": "测试公司", "credit_code": "91110108MA01QG001D", "province": "11"},
      "android_packages": [], "ios_bundle_ids": [], )" + extra + R"(,
      "icp_number": "京ICP备12345678号-1", "app_icp_number": "京ICP备12345678号-2A",
      "mlps": {"filing_number": "11010843101-20101", "level": 3},
      "category": "non-subject", "audience": ["compulsory"], "use": "recommended",
      "status": "active", "status_since": "2025-03-01"})";
  };
  std::string text =
      "{\"format\": \"shelfguard-registry/1\",\n \"filings\": [\n" +
      filing("教APP备1100001号",
             R"("harmony_bundle_names": ["com.example.eduhap"], "mini_program_appids": ["wx0123456789abcdef"])") +
      ",\n" + filing("教APP备1100002号", R"("harmony_bundle_names": ["nodots"])") + ",\n" +
      filing("教APP备1100003号", R"("mini_program_appids": ["wx0123"])") + ",\n" +
      filing("教APP备1100004号", R"("mini_program_appids": ["wx0123456789abcdef"])") +
      "\n ]}\n";
  std::string path = dir.File("ids.json", text);
  auto parsed = ParseExportFile(path);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->filings.size(), 1u);
  EXPECT_EQ(parsed->filings[0].harmony_bundle_names,
            std::vector<std::string>{"com.example.eduhap"});
  EXPECT_EQ(parsed->filings[0].mini_program_appids,
            std::vector<std::string>{"wx0123456789abcdef"});
  auto has = [&](const std::string& field, const std::string& words) {
    return HasProblem(parsed->problems, kAnyLine, field, words);
  };
  EXPECT_TRUE(has("harmony_bundle_names[0]", "not a valid HarmonyOS bundle name"));
  EXPECT_TRUE(has("mini_program_appids[0]", "16 hex"));
  EXPECT_TRUE(has("mini_program_appids[0]", "already filed by 教APP备1100001号"));

  std::string db = dir.File("ids.db");
  auto s = ImportExport(path, db);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->filings, 1u);
  auto reg = Registry::Open(db);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  auto hap = (*reg)->FindByPackage(Platform::kHarmony, "com.example.eduhap");
  ASSERT_TRUE(hap.has_value());
  EXPECT_EQ(hap->filing_number, "教APP备1100001号");
  EXPECT_EQ(FilingToJson(*hap, false), FilingToJson(parsed->filings[0], false));
  EXPECT_TRUE((*reg)->FindByPackage(Platform::kMiniProgram, "wx0123456789abcdef").has_value());
  // Each id is matched on its own platform only.
  EXPECT_FALSE((*reg)->FindByPackage(Platform::kAndroid, "com.example.eduhap").has_value());
  EXPECT_FALSE((*reg)->FindByPackage(Platform::kHarmony, "wx0123456789abcdef").has_value());

  // The CSV form has the same two columns (lists separated as the others).
  std::string csv =
      "filing_number,app_name,provider_name,provider_credit_code,provider_province,"
      "harmony_bundle_names,mini_program_appids,icp_number,app_icp_number,mlps_filing_number,"
      "mlps_level,category,audience,use,status,status_since\n"
      "教APP备1100001号,鸿蒙课堂,测试公司,91110108MA01QG001D,11,com.example.eduhap,"
      "wx0123456789abcdef,京ICP备12345678号-1,京ICP备12345678号-2A,11010843101-20101,3,"
      "non-subject,compulsory,recommended,active,2025-03-01\n";
  auto from_csv = ParseExportFile(dir.File("ids.csv", csv));
  ASSERT_TRUE(from_csv.ok()) << from_csv.status().ToString();
  ASSERT_EQ(from_csv->filings.size(), 1u) << (from_csv->problems.empty()
                                                  ? std::string()
                                                  : from_csv->problems[0].ToString());
  EXPECT_EQ(from_csv->filings[0].harmony_bundle_names, parsed->filings[0].harmony_bundle_names);
  EXPECT_EQ(from_csv->filings[0].mini_program_appids, parsed->filings[0].mini_program_appids);
}

TEST(RegistryTest, ConcurrentLookupsAreSafe) {
  auto reg = Registry::Open(SampleJson());
  ASSERT_TRUE(reg.ok());
  const Registry* r = reg->get();
  const char* pkgs[] = {"full", "revoked", "preschool", "subject", "required",
                        "banned", "nomlps", "biometric", "licensed"};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3000; ++i) {
        std::string id = std::string("cn.shelfguard.sample.") + pkgs[(i + t) % 9];
        auto f = r->FindByPackage(i % 2 ? Platform::kIos : Platform::kAndroid, id);
        if (!f || f->android_packages.empty() || f->android_packages[0] != id) ++wrong;
        if (i % 10 == 0) {
          if (!r->FindByFilingNumber(f ? f->filing_number : "")) ++wrong;
          if (r->FindByCreditCode(f ? f->provider.credit_code : "").empty()) ++wrong;
          (void)r->FindBlacklist("91510107MA6CQG006T");
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(RegistryTest, LoadFilingJsonSelfCheck) {
  TempDir dir;
  auto ok = LoadFilingJson(dir.File("f.json", FilingObj("教APP备1100001号", "cn.example.app")));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->android_packages[0], "cn.example.app");
  auto bad = LoadFilingJson(
      dir.File("g.json", "\n\n" + FilingObj("教APP备1100001号", "cn.example.app", "91110108MA01QG001E")));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("g.json:3: provider.credit_code"), std::string::npos)
      << bad.status().ToString();
  EXPECT_FALSE(LoadFilingJson(dir.File("h.json", "[1,2")).ok());
  EXPECT_FALSE(LoadFilingJson(dir.File("missing.json")).ok());
}

TEST(RegistryTest, WarningsForSampleFilings) {
  auto reg = Registry::Open(SampleJson());
  ASSERT_TRUE(reg.ok());
  auto has = [](const std::vector<std::string>& w, const std::string& s) {
    for (const auto& x : w) {
      if (x.find(s) != std::string::npos) return true;
    }
    return false;
  };
  auto full = (*reg)->FindByPackage(Platform::kAndroid, "cn.shelfguard.sample.full");
  EXPECT_TRUE(FilingWarnings(*full).empty());
  auto nomlps = (*reg)->FindByPackage(Platform::kAndroid, "cn.shelfguard.sample.nomlps");
  EXPECT_TRUE(has(FilingWarnings(*nomlps), "FILING-MLPS-MISSING"));
  auto subject = (*reg)->FindByPackage(Platform::kAndroid, "cn.shelfguard.sample.subject");
  EXPECT_TRUE(has(FilingWarnings(*subject), "CATEGORY-SUBJECT-UNLICENSED"));
  auto pre = (*reg)->FindByPackage(Platform::kAndroid, "cn.shelfguard.sample.preschool");
  EXPECT_TRUE(has(FilingWarnings(*pre), "CATEGORY-PRESCHOOL"));
}

// The sample registry minified to one line with one wrong credit-code check
// character in the revoked app's filing (index 1): what issue 12 item 2 met.
std::string MinifiedWithOneBadRecord() {
  std::ifstream in(SampleJson(), std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto j = nlohmann::json::parse(text);
  j["filings"][1]["provider"]["credit_code"] = "91310115MA1HQG002J";  // check char is H
  return j.dump();
}

TEST(RegistryTest, RejectedRecordsAreNamedByIndexAndIdentityInLoadReport) {
  TempDir dir;
  std::string bad = dir.File("bad.json", MinifiedWithOneBadRecord());
  auto reg = Registry::Open(bad);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  const RegistryLoadReport& lr = (*reg)->load_report();
  EXPECT_EQ(lr.source, bad);
  EXPECT_EQ(lr.filings, 8u);
  EXPECT_EQ(lr.blacklist, 2u);
  EXPECT_EQ(lr.rejected_count, 1u);
  ASSERT_EQ(lr.rejected.size(), 1u);
  const RejectedRecord& r = lr.rejected[0];
  EXPECT_EQ(r.Where(), "filings[1]");
  EXPECT_EQ(r.line, 1u);  // one-line export: the index is what tells records apart
  EXPECT_EQ(r.filing_number, "教APP备3100102号");
  EXPECT_EQ(r.android_packages, std::vector<std::string>{"cn.shelfguard.sample.revoked"});
  EXPECT_NE(r.reason.find("provider.credit_code"), std::string::npos) << r.reason;
  std::string line = r.ToString();
  EXPECT_NE(line.find("filings[1]"), std::string::npos) << line;
  EXPECT_NE(line.find("android cn.shelfguard.sample.revoked"), std::string::npos) << line;
  EXPECT_NE(lr.Summary().find("1 record rejected"), std::string::npos) << lr.Summary();
  // The package is found among the rejected records, not among the filings.
  EXPECT_FALSE((*reg)->FindByPackage(Platform::kAndroid, "cn.shelfguard.sample.revoked"));
  auto rj = (*reg)->FindRejected(Platform::kIos, "cn.shelfguard.sample.revoked");
  ASSERT_EQ(rj.size(), 1u);
  EXPECT_EQ(rj[0].Where(), "filings[1]");
  EXPECT_TRUE((*reg)->FindRejected(Platform::kAndroid, "cn.shelfguard.sample.full").empty());

  // Strict: refused, and the message names the record.
  auto strict = Registry::Open(bad, RegistryOpenOptions{.strict = true});
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find("filings[1]"), std::string::npos)
      << strict.status().ToString();
  EXPECT_TRUE(Registry::Open(SampleJson(), RegistryOpenOptions{.strict = true}).ok());

  // An imported database keeps the rejected records for scans that use it.
  std::string db = dir.File("reg.db");
  auto imp = ImportExport(bad, db);
  ASSERT_TRUE(imp.ok()) << imp.status().ToString();
  ASSERT_EQ(imp->rejected.size(), 1u);
  EXPECT_EQ(imp->rejected[0].Where(), "filings[1]");
  auto from_db = Registry::Open(db);
  ASSERT_TRUE(from_db.ok()) << from_db.status().ToString();
  EXPECT_EQ((*from_db)->load_report().rejected_count, 1u);
  ASSERT_EQ((*from_db)->load_report().rejected.size(), 1u);
  EXPECT_EQ((*from_db)->load_report().rejected[0].ToString().substr(db.size()),
            r.ToString().substr(bad.size()));
  EXPECT_EQ((*from_db)->FindRejected(Platform::kAndroid, "cn.shelfguard.sample.revoked").size(), 1u);
  EXPECT_FALSE(Registry::Open(db, RegistryOpenOptions{.strict = true}).ok());
}

TEST(RegistryTest, RejectedCsvRowsAndBlacklistEntriesAreIdentified) {
  TempDir dir;
  std::string csv = dir.File("bad.csv",
                             "record,filing_number,app_name,provider_name,provider_credit_code,"
                             "android_packages,blacklist_since\n"
                             "filing,教APP备1100101号,A,P,91110108MA01QG001D,cn.a.b,\n"
                             "filing,教APP备1100102号,B,P,91110108MA01QG001D,cn.a.c;cn.a.d,\n"
                             "blacklist,,,,91110108MA01QG001D,,2025-13-01\n");
  auto parsed = ParseExportFile(csv);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  // Both filings are valid; the blacklist row (data row 2) has a bad date.
  ASSERT_EQ(parsed->rejected.size(), 1u);
  EXPECT_EQ(parsed->rejected[0].Where(), "rows[2]");
  EXPECT_EQ(parsed->rejected[0].line, 4u);
  EXPECT_NE(parsed->rejected[0].Identity().find("credit code 91110108MA01QG001D"),
            std::string::npos)
      << parsed->rejected[0].Identity();
}

}  // namespace
}  // namespace shelfguard
