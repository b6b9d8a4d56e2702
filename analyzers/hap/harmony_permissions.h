// HarmonyOS / OpenHarmony permissions that reach personal information: the
// user_grant permissions of the OpenHarmony permission list (and a few
// system_grant ones whose data is personal, such as biometrics), grouped as
// Android's dangerous permissions are. docs/harmony.md has the table.
#ifndef SHELFGUARD_ANALYZERS_HAP_HARMONY_PERMISSIONS_H_
#define SHELFGUARD_ANALYZERS_HAP_HARMONY_PERMISSIONS_H_

#include <string_view>
#include <vector>

namespace shelfguard {

struct HarmonyPermission {
  std::string_view name;   // "ohos.permission.CAMERA"
  std::string_view group;  // location | camera | microphone | contacts | ...
};

// The group of a sensitive permission, or empty when the permission does
// not reach personal information (exact, fully qualified name).
std::string_view HarmonySensitiveGroup(std::string_view name);

// The table, for documentation and tests.
const std::vector<HarmonyPermission>& HarmonySensitivePermissions();

}  // namespace shelfguard

#endif  // SHELFGUARD_ANALYZERS_HAP_HARMONY_PERMISSIONS_H_
