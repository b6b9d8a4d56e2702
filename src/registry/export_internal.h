// Internals of the registry export reader shared by its parts (not a public
// API): the per-record check, the source-neutral validation both the JSON
// and the CSV reader end in, and the stream that counts, de-duplicates and
// hands valid records to the sink.
//   export_validate.cc  validation of one record (ValidateFiling/Blacklist)
//   export_json.cc      the JSON form (SAX streaming, one filing, writing)
//   export_csv.cc       the CSV form (RFC 4180 streaming)
//   export.cc           the public entry points of registry/export.h
#ifndef SHELFGUARD_SRC_REGISTRY_EXPORT_INTERNAL_H_
#define SHELFGUARD_SRC_REGISTRY_EXPORT_INTERNAL_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "registry/export.h"

namespace shelfguard::export_detail {

using nlohmann::json;

inline constexpr std::string_view kFormat = "shelfguard-registry/1";
inline constexpr const char* kCategories[] = {"subject", "non-subject", "management", "other"};
inline constexpr const char* kAudiences[] = {"preschool", "compulsory", "high-school",
                                             "higher",    "vocational", "continuing"};
inline constexpr const char* kUses[] = {"required", "recommended", "self-developed"};
inline constexpr const char* kStatuses[] = {"active", "grey", "suspended", "revoked", "black"};

// Where one field of a Filing is read from and written to.
using FilingSlot =
    std::variant<std::string*, std::optional<std::string>*, std::vector<std::string>*, bool*, int*>;

// A field of a Filing as the export formats name it: the JSON `key` inside
// `object` ("" for the record itself, else "provider", "mlps" or
// "declared") and the CSV `column` (docs/registry-format.md).
struct FilingField {
  const char* object;
  const char* key;
  const char* column;
  FilingSlot (*slot)(Filing&);
  // The JSON writer leaves an empty list out (the lists added after the
  // first version of the format) instead of writing [].
  bool omit_when_empty = false;
};

#define SG_FILING_SLOT(member) [](Filing& f) -> FilingSlot { return &f.member; }
// Every field of a filing record, in the order the readers check them: the
// one list that the JSON reader (whole and streamed), the JSON writer and
// the CSV reader map.
inline const FilingField kFilingFields[] = {
    {"", "filing_number", "filing_number", SG_FILING_SLOT(filing_number)},
    {"", "app_name", "app_name", SG_FILING_SLOT(app_name)},
    {"provider", "name", "provider_name", SG_FILING_SLOT(provider.name)},
    {"provider", "credit_code", "provider_credit_code", SG_FILING_SLOT(provider.credit_code)},
    {"provider", "province", "provider_province", SG_FILING_SLOT(provider.province)},
    {"", "android_packages", "android_packages", SG_FILING_SLOT(android_packages)},
    {"", "ios_bundle_ids", "ios_bundle_ids", SG_FILING_SLOT(ios_bundle_ids)},
    {"", "harmony_bundle_names", "harmony_bundle_names", SG_FILING_SLOT(harmony_bundle_names), true},
    {"", "mini_program_appids", "mini_program_appids", SG_FILING_SLOT(mini_program_appids), true},
    {"", "icp_number", "icp_number", SG_FILING_SLOT(icp_number)},
    {"", "app_icp_number", "app_icp_number", SG_FILING_SLOT(app_icp_number)},
    {"mlps", "filing_number", "mlps_filing_number", SG_FILING_SLOT(mlps.filing_number)},
    {"mlps", "level", "mlps_level", SG_FILING_SLOT(mlps.level)},
    {"", "category", "category", SG_FILING_SLOT(category)},
    {"", "audience", "audience", SG_FILING_SLOT(audience)},
    {"", "use", "use", SG_FILING_SLOT(use)},
    {"", "licence_number", "licence_number", SG_FILING_SLOT(licence_number)},
    {"declared", "permissions", "declared_permissions", SG_FILING_SLOT(declared.permissions)},
    {"declared", "ios_usage_keys", "declared_ios_usage_keys", SG_FILING_SLOT(declared.ios_usage_keys)},
    {"declared", "personal_info", "declared_personal_info", SG_FILING_SLOT(declared.personal_info)},
    {"declared", "sdks", "declared_sdks", SG_FILING_SLOT(declared.sdks)},
    {"declared", "biometric", "declared_biometric", SG_FILING_SLOT(declared.biometric)},
    {"declared", "biometric_reviewed", "declared_biometric_reviewed", SG_FILING_SLOT(declared.biometric_reviewed)},
    {"declared", "payment", "declared_payment", SG_FILING_SLOT(declared.payment)},
    {"declared", "live_streaming", "declared_live_streaming", SG_FILING_SLOT(declared.live_streaming)},
    {"", "version", "version", SG_FILING_SLOT(version)},
    {"", "status", "status", SG_FILING_SLOT(status)},
    {"", "status_since", "status_since", SG_FILING_SLOT(status_since)},
};
#undef SG_FILING_SLOT

template <size_t N>
bool OneOf(std::string_view v, const char* const (&set)[N]) {
  for (const char* s : set) {
    if (v == s) return true;
  }
  return false;
}

template <size_t N>
std::string Choices(const char* const (&set)[N]) {
  std::string out;
  for (const char* s : set) {
    if (!out.empty()) out += "|";
    out += s;
  }
  return out;
}

// Collects the problems of one record; the record is rejected if any.
class RecordCheck {
 public:
  RecordCheck(const std::string& file, uint64_t line, const ExportLimits& limits)
      : file_(file), line_(line), limits_(limits) {}

  void Fail(std::string field, std::string message) {
    problems_.push_back({file_, line_, std::move(field), std::move(message)});
  }
  bool ok() const { return problems_.empty(); }
  uint64_t line() const { return line_; }
  std::vector<ImportProblem>& problems() { return problems_; }
  const ExportLimits& limits() const { return limits_; }

  // A text field: no control characters, bounded length.
  bool CheckText(const std::string& field, const std::string& v) {
    if (v.size() > limits_.max_string_bytes) {
      Fail(field, "longer than " + std::to_string(limits_.max_string_bytes) + " bytes");
      return false;
    }
    for (unsigned char c : v) {
      if (c < 0x20 || c == 0x7f) {
        Fail(field, "contains a control character");
        return false;
      }
    }
    return true;
  }

 private:
  const std::string& file_;
  uint64_t line_;
  const ExportLimits& limits_;
  std::vector<ImportProblem> problems_;
};

void ValidateFiling(Filing* f, RecordCheck* rc);
void ValidateBlacklist(BlacklistEntry* b, RecordCheck* rc);

uint64_t LineOfOffset(std::string_view t, size_t off);
void AddProblems(ExportReport* out, std::vector<ImportProblem>& ps, const ExportLimits& limits);

// Where validated records go, for both JSON and CSV: counts records against
// the cap, rejects a later duplicate of a filing number or (platform, package
// id) -- one package belongs to one filing -- and hands the rest to the sink.
// Bad records are counted and their problems kept (capped).
class RecordStream {
 public:
  RecordStream(const std::string& label, const ExportLimits& limits, ExportSink* sink,
               ExportReport* report, size_t expected_records)
      : label_(label), limits_(limits), sink_(sink), report_(report) {
    expected_records = std::min<size_t>(expected_records, limits.max_records);
    numbers_.reserve(expected_records);
    packages_.reserve(expected_records * 2);
  }

  const std::string& label() const { return label_; }
  const ExportLimits& limits() const { return limits_; }

  // Counts one record (valid or not) against max_records; `list` names
  // where it stands ("filings", "blacklist", "rows"), to identify it if it
  // is rejected.
  Status CountRecord(const char* list) {
    if (++records_ > limits_.max_records) {
      return Status::OverLimit(label_ + ": more than " + std::to_string(limits_.max_records) +
                               " records");
    }
    uint64_t& next = list[0] == 'f' ? next_filing_ : list[0] == 'b' ? next_blacklist_ : next_row_;
    list_ = list;
    index_ = next++;
    return Status::Ok();
  }

  // Rejects the current record; `who` carries its identifiers as read.
  Status Reject(RecordCheck* rc, RejectedRecord who = {}) {
    ++report_->bad_records;
    who.file = label_;
    who.list = list_;
    who.index = index_;
    who.line = rc->line();
    for (const ImportProblem& p : rc->problems()) {
      if (!who.reason.empty()) who.reason += "; ";
      who.reason += p.field.empty() ? p.message : p.field + ": " + p.message;
    }
    AddProblems(report_, rc->problems(), limits_);
    Status st = sink_->AddRejected(who);
    if (report_->rejected.size() < limits_.max_problems) report_->rejected.push_back(std::move(who));
    return st;
  }

  // `f` has been validated into `rc`; rejects it if rc holds problems or it
  // repeats an earlier filing's number or ids.
  Status AcceptFiling(Filing&& f, uint64_t line, RecordCheck* rc) {
    if (!rc->ok()) return Reject(rc, Identify(f));
    auto n = numbers_.find(f.filing_number);
    if (n != numbers_.end()) {
      rc->Fail("filing_number", f.filing_number + " duplicates the record at line " +
                                    std::to_string(kept_[n->second].line));
    }
    CheckIds(f.android_packages, 'a', "android_packages", rc);
    CheckIds(f.ios_bundle_ids, 'i', "ios_bundle_ids", rc);
    CheckIds(f.harmony_bundle_names, 'h', "harmony_bundle_names", rc);
    CheckIds(f.mini_program_appids, 'm', "mini_program_appids", rc);
    if (!rc->ok()) return Reject(rc, Identify(f));
    uint32_t idx = static_cast<uint32_t>(kept_.size());
    kept_.push_back({f.filing_number, line});
    numbers_.emplace(f.filing_number, idx);
    for (const std::string& p : f.android_packages) packages_.emplace(Key('a', p), idx);
    for (const std::string& p : f.ios_bundle_ids) packages_.emplace(Key('i', p), idx);
    for (const std::string& p : f.harmony_bundle_names) packages_.emplace(Key('h', p), idx);
    for (const std::string& p : f.mini_program_appids) packages_.emplace(Key('m', p), idx);
    ++report_->filings;
    return sink_->AddFiling(std::move(f), line);
  }

  Status AcceptBlacklist(BlacklistEntry&& b, uint64_t line, RecordCheck* rc) {
    if (!rc->ok()) {
      RejectedRecord who;
      who.credit_code = b.credit_code;
      return Reject(rc, std::move(who));
    }
    ++report_->blacklist;
    return sink_->AddBlacklist(std::move(b), line);
  }

 private:
  static RejectedRecord Identify(const Filing& f) {
    RejectedRecord who;
    who.filing_number = f.filing_number;
    who.credit_code = f.provider.credit_code;
    who.android_packages = f.android_packages;
    who.ios_bundle_ids = f.ios_bundle_ids;
    who.harmony_bundle_names = f.harmony_bundle_names;
    who.mini_program_appids = f.mini_program_appids;
    return who;
  }
  struct Kept {
    std::string number;
    uint64_t line;
  };
  static std::string Key(char platform, const std::string& id) {
    std::string k;
    k.reserve(id.size() + 2);
    k.push_back(platform);
    k.push_back(':');
    k += id;
    return k;
  }
  void CheckIds(const std::vector<std::string>& ids, char platform, const char* field,
                RecordCheck* rc) {
    for (size_t k = 0; k < ids.size(); ++k) {
      auto p = packages_.find(Key(platform, ids[k]));
      if (p != packages_.end()) {
        const Kept& owner = kept_[p->second];
        rc->Fail(std::string(field) + "[" + std::to_string(k) + "]",
                 ids[k] + " is already filed by " + owner.number + " (line " +
                     std::to_string(owner.line) + ")");
      }
    }
  }

  const std::string& label_;
  const ExportLimits& limits_;
  ExportSink* sink_;
  ExportReport* report_;
  uint64_t records_ = 0;
  uint64_t next_filing_ = 0, next_blacklist_ = 0, next_row_ = 0;
  const char* list_ = "rows";
  uint64_t index_ = 0;
  std::vector<Kept> kept_;
  std::unordered_map<std::string, uint32_t> numbers_;
  std::unordered_map<std::string, uint32_t> packages_;
};

// JSON (export_json.cc): streams a whole export; reads / writes one filing.
Status StreamJson(std::string_view text, RecordStream* stream);
std::optional<Filing> FilingFromJsonValue(const json& j, RecordCheck* rc);
json FilingJsonValue(const Filing& f);

// CSV (export_csv.cc): streams a whole export.
Status StreamCsv(std::string_view text, RecordStream* out);

}  // namespace shelfguard::export_detail

#endif  // SHELFGUARD_SRC_REGISTRY_EXPORT_INTERNAL_H_
