// The platform's runtime ("dangerous") permissions: those with
// protectionLevel="dangerous" in frameworks/base/core/res/AndroidManifest.xml,
// which an app must request from the user at run time (API 23+).
#ifndef SHELFGUARD_ANALYZERS_ANDROID_DANGEROUS_PERMISSIONS_H_
#define SHELFGUARD_ANALYZERS_ANDROID_DANGEROUS_PERMISSIONS_H_

#include <string_view>
#include <vector>

namespace shelfguard {

// True for a runtime permission of the platform (exact, fully qualified
// name, e.g. "android.permission.CAMERA"). Health Connect permissions
// ("android.permission.health.*") are runtime permissions too.
bool IsDangerousPermission(std::string_view name);

// The table, for documentation and tests.
const std::vector<std::string_view>& DangerousPermissions();

}  // namespace shelfguard

#endif  // SHELFGUARD_ANALYZERS_ANDROID_DANGEROUS_PERMISSIONS_H_
