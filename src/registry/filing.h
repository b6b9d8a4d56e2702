// The filing registry's data model (one filing record and a blacklist entry),
// as imported from the registry export (docs/registry-format.md).
#ifndef SHELFGUARD_SRC_REGISTRY_FILING_H_
#define SHELFGUARD_SRC_REGISTRY_FILING_H_

#include <optional>
#include <string>
#include <vector>

namespace shelfguard {

struct Provider {
  std::string name;
  std::string credit_code;  // 18-character unified social credit code (GB 32100-2015)
  std::string province;     // GB/T 2260 two-digit code, e.g. "11"
};

struct Mlps {               // graded protection (等保) filing
  std::string filing_number;
  int level = 0;            // 0 = unknown
};

struct Declared {
  std::vector<std::string> permissions;     // Android permission names
  std::vector<std::string> ios_usage_keys;  // NS*UsageDescription keys
  std::vector<std::string> personal_info;   // e.g. phone, name, location
  std::vector<std::string> sdks;            // SDK ids disclosed (optional)
  bool biometric = false;
  bool biometric_reviewed = false;          // the separate biometric review passed
  bool payment = false;
  bool live_streaming = false;
};

struct Filing {
  std::string filing_number;  // 教APP备1100123号
  std::string app_name;
  Provider provider;
  std::vector<std::string> android_packages;
  std::vector<std::string> ios_bundle_ids;
  std::vector<std::string> harmony_bundle_names;  // HarmonyOS app.bundleName
  std::vector<std::string> mini_program_appids;   // WeChat mini-program appids (wx + 16 hex)
  std::string icp_number;       // 京ICP备12345678号-1
  std::string app_icp_number;   // 京ICP备12345678号-3A
  Mlps mlps;
  std::string category;         // subject | non-subject | management | other
  std::vector<std::string> audience;  // preschool compulsory high-school higher vocational continuing
  std::string use;              // required | recommended | self-developed
  std::optional<std::string> licence_number;
  Declared declared;
  std::string version;          // latest filed version name (optional)
  std::string status = "active";  // active | grey | suspended | revoked | black
  std::string status_since;       // YYYY-MM-DD
};

struct BlacklistEntry {
  std::string credit_code;
  std::string since;   // YYYY-MM-DD
  std::string until;   // optional; default since + 6 months
  std::string reason;
};

}  // namespace shelfguard

#endif  // SHELFGUARD_SRC_REGISTRY_FILING_H_
