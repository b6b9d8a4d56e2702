// Validation of one export record, whatever form it was read from.
#include <algorithm>
#include <cctype>
#include <string>

#include "ids/identifiers.h"
#include "registry/export_internal.h"

namespace shelfguard {

bool IsMiniProgramAppid(std::string_view id) {
  return id.size() == 18 && id.substr(0, 2) == "wx" &&
         std::all_of(id.begin() + 2, id.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

bool IsHarmonyBundleName(std::string_view id) {
  return id.size() >= 7 && id.size() <= 128 && ids::IsValidAndroidPackage(id);
}

namespace export_detail {

// ---- Source-neutral field setters (JSON and CSV both end here) ------------

void ValidateFiling(Filing* f, RecordCheck* rc) {
  using ids::NormalizeNumber;
  f->filing_number = NormalizeNumber(f->filing_number);
  if (f->filing_number.empty()) {
    rc->Fail("filing_number", "missing");
  } else if (ids::Check c = ids::ValidateMoeFiling(f->filing_number); !c.ok) {
    rc->Fail("filing_number", c.problem);
  }
  if (f->app_name.empty()) rc->Fail("app_name", "missing");
  if (f->provider.name.empty()) rc->Fail("provider.name", "missing");
  f->provider.credit_code = NormalizeNumber(f->provider.credit_code);
  if (f->provider.credit_code.empty()) {
    rc->Fail("provider.credit_code", "missing");
  } else if (ids::Check c = ids::ValidateCreditCode(f->provider.credit_code); !c.ok) {
    rc->Fail("provider.credit_code", c.problem);
  }
  if (f->provider.province.empty() && f->filing_number.size() >= 2 &&
      ids::ValidateMoeFiling(f->filing_number).ok) {
    // Derive from the filing number (教APP备 is 9 bytes in UTF-8).
    f->provider.province = f->filing_number.substr(std::string_view("教APP备").size(), 2);
  } else if (!f->provider.province.empty() && !ids::IsProvinceCode(f->provider.province)) {
    rc->Fail("provider.province", "\"" + f->provider.province + "\" is not a GB/T 2260 province code");
  }
  if (f->android_packages.empty() && f->ios_bundle_ids.empty() &&
      f->harmony_bundle_names.empty() && f->mini_program_appids.empty()) {
    rc->Fail("android_packages",
             "no android_packages, ios_bundle_ids, harmony_bundle_names or mini_program_appids");
  }
  for (size_t i = 0; i < f->android_packages.size(); ++i) {
    if (!ids::IsValidAndroidPackage(f->android_packages[i])) {
      rc->Fail("android_packages[" + std::to_string(i) + "]",
               "\"" + f->android_packages[i] + "\" is not a valid Android package name");
    }
  }
  for (size_t i = 0; i < f->ios_bundle_ids.size(); ++i) {
    if (!ids::IsValidBundleId(f->ios_bundle_ids[i])) {
      rc->Fail("ios_bundle_ids[" + std::to_string(i) + "]",
               "\"" + f->ios_bundle_ids[i] + "\" is not a valid bundle identifier");
    }
  }
  for (size_t i = 0; i < f->harmony_bundle_names.size(); ++i) {
    if (!IsHarmonyBundleName(f->harmony_bundle_names[i])) {
      rc->Fail("harmony_bundle_names[" + std::to_string(i) + "]",
               "\"" + f->harmony_bundle_names[i] + "\" is not a valid HarmonyOS bundle name");
    }
  }
  for (size_t i = 0; i < f->mini_program_appids.size(); ++i) {
    if (!IsMiniProgramAppid(f->mini_program_appids[i])) {
      rc->Fail("mini_program_appids[" + std::to_string(i) + "]",
               "\"" + f->mini_program_appids[i] + "\" is not wx followed by 16 hex digits");
    }
  }
  f->icp_number = NormalizeNumber(f->icp_number);
  if (!f->icp_number.empty()) {
    if (ids::Check c = ids::ValidateIcp(f->icp_number); !c.ok) rc->Fail("icp_number", c.problem);
  }
  f->app_icp_number = NormalizeNumber(f->app_icp_number);
  if (!f->app_icp_number.empty()) {
    if (ids::Check c = ids::ValidateIcp(f->app_icp_number); !c.ok) {
      rc->Fail("app_icp_number", c.problem);
    } else if (!ids::IsAppIcp(f->app_icp_number)) {
      rc->Fail("app_icp_number", "not an App filing number (must end in -<n>A)");
    }
  }
  if (f->mlps.level < 0 || f->mlps.level > 5) {
    rc->Fail("mlps.level", "must be 0 (unknown) to 5, found " + std::to_string(f->mlps.level));
  }
  if (!f->category.empty() && !OneOf(f->category, kCategories)) {
    rc->Fail("category", "\"" + f->category + "\" is not one of " + Choices(kCategories));
  }
  for (size_t i = 0; i < f->audience.size(); ++i) {
    if (!OneOf(f->audience[i], kAudiences)) {
      rc->Fail("audience[" + std::to_string(i) + "]",
               "\"" + f->audience[i] + "\" is not one of " + Choices(kAudiences));
    }
  }
  if (!f->use.empty() && !OneOf(f->use, kUses)) {
    rc->Fail("use", "\"" + f->use + "\" is not one of " + Choices(kUses));
  }
  if (f->status.empty()) f->status = "active";
  if (!OneOf(f->status, kStatuses)) {
    rc->Fail("status", "\"" + f->status + "\" is not one of " + Choices(kStatuses));
  }
  if (!f->status_since.empty() && !ids::IsValidDate(f->status_since)) {
    rc->Fail("status_since", "\"" + f->status_since + "\" is not a YYYY-MM-DD date");
  }
  if (f->licence_number && f->licence_number->empty()) f->licence_number.reset();
}

void ValidateBlacklist(BlacklistEntry* b, RecordCheck* rc) {
  b->credit_code = ids::NormalizeNumber(b->credit_code);
  if (b->credit_code.empty()) {
    rc->Fail("credit_code", "missing");
  } else if (ids::Check c = ids::ValidateCreditCode(b->credit_code); !c.ok) {
    rc->Fail("credit_code", c.problem);
  }
  if (b->since.empty()) {
    rc->Fail("since", "missing");
  } else if (!ids::IsValidDate(b->since)) {
    rc->Fail("since", "\"" + b->since + "\" is not a YYYY-MM-DD date");
  }
  if (!b->until.empty() && !ids::IsValidDate(b->until)) {
    rc->Fail("until", "\"" + b->until + "\" is not a YYYY-MM-DD date");
  } else if (!b->until.empty() && b->until < b->since) {
    rc->Fail("until", "is before since");
  }
}

uint64_t LineOfOffset(std::string_view t, size_t off) {
  off = std::min(off, t.size());
  return 1 + static_cast<uint64_t>(std::count(t.begin(), t.begin() + off, '\n'));
}

void AddProblems(ExportReport* out, std::vector<ImportProblem>& ps, const ExportLimits& limits) {
  out->problem_count += ps.size();
  for (ImportProblem& p : ps) {
    if (out->problems.size() < limits.max_problems) out->problems.push_back(std::move(p));
  }
}

}  // namespace export_detail

std::string ImportProblem::ToString() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line);
  s += ": ";
  if (!field.empty()) s += field + ": ";
  return s + message;
}

std::string RejectedRecord::Where() const {
  return (list.empty() ? std::string("rows") : list) + "[" + std::to_string(index) + "]";
}

std::string RejectedRecord::Identity() const {
  std::string s;
  auto add = [&s](std::string_view part) {
    if (!s.empty()) s += ' ';
    s += part;
  };
  if (!filing_number.empty()) add(filing_number);
  for (const std::string& a : android_packages) add("android " + a);
  for (const std::string& i : ios_bundle_ids) add("ios " + i);
  for (const std::string& h : harmony_bundle_names) add("harmony " + h);
  for (const std::string& m : mini_program_appids) add("mini-program " + m);
  // A blacklist entry has only its provider's code to go by.
  if (s.empty() && !credit_code.empty()) add("credit code " + credit_code);
  return s.empty() ? "(no identity)" : s;
}

std::string RejectedRecord::ToString() const {
  std::string s = file + ": " + Where();
  if (line > 0) s += " (line " + std::to_string(line) + ")";
  return s + " " + Identity() + ": " + reason;
}

}  // namespace shelfguard
