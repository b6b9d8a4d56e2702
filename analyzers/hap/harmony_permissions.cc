#include "hap/harmony_permissions.h"

namespace shelfguard {

const std::vector<HarmonyPermission>& HarmonySensitivePermissions() {
  // Source: the OpenHarmony / HarmonyOS application permission lists
  // (user_grant permissions, "permissions-for-all-user"), API 9-20, and the
  // FA-model (API 6-8) names still found in old config.json files.
  static const std::vector<HarmonyPermission> kList = {
      {"ohos.permission.LOCATION", "location"},
      {"ohos.permission.APPROXIMATELY_LOCATION", "location"},
      {"ohos.permission.LOCATION_IN_BACKGROUND", "location"},
      {"ohos.permission.MEDIA_LOCATION", "location"},
      {"ohos.permission.CAMERA", "camera"},
      {"ohos.permission.MICROPHONE", "microphone"},
      {"ohos.permission.READ_CONTACTS", "contacts"},
      {"ohos.permission.WRITE_CONTACTS", "contacts"},
      {"ohos.permission.READ_CALENDAR", "calendar"},
      {"ohos.permission.WRITE_CALENDAR", "calendar"},
      {"ohos.permission.READ_WHOLE_CALENDAR", "calendar"},
      {"ohos.permission.WRITE_WHOLE_CALENDAR", "calendar"},
      {"ohos.permission.ACCESS_BIOMETRIC", "biometrics"},
      {"ohos.permission.READ_HEALTH_DATA", "body sensors"},
      {"ohos.permission.ACTIVITY_MOTION", "body sensors"},
      {"ohos.permission.READ_CALL_LOG", "call log"},
      {"ohos.permission.WRITE_CALL_LOG", "call log"},
      {"ohos.permission.READ_CELL_MESSAGES", "SMS"},
      {"ohos.permission.READ_MESSAGES", "SMS"},
      {"ohos.permission.RECEIVE_SMS", "SMS"},
      {"ohos.permission.RECEIVE_MMS", "SMS"},
      {"ohos.permission.RECEIVE_WAP_MESSAGES", "SMS"},
      {"ohos.permission.SEND_MESSAGES", "SMS"},
      {"ohos.permission.MANAGE_VOICEMAIL", "phone"},
      {"ohos.permission.ANSWER_CALL", "phone"},
      {"ohos.permission.GET_TELEPHONY_STATE", "phone"},
      {"ohos.permission.READ_MEDIA", "storage"},
      {"ohos.permission.WRITE_MEDIA", "storage"},
      {"ohos.permission.READ_IMAGEVIDEO", "storage"},
      {"ohos.permission.WRITE_IMAGEVIDEO", "storage"},
      {"ohos.permission.READ_AUDIO", "storage"},
      {"ohos.permission.WRITE_AUDIO", "storage"},
      {"ohos.permission.READ_DOCUMENT", "storage"},
      {"ohos.permission.WRITE_DOCUMENT", "storage"},
      {"ohos.permission.READ_USER_STORAGE", "storage"},
      {"ohos.permission.WRITE_USER_STORAGE", "storage"},
      {"ohos.permission.DISTRIBUTED_DATASYNC", "distributed data"},
      {"ohos.permission.ACCESS_BLUETOOTH", "bluetooth"},
      {"ohos.permission.ACCESS_NEARLINK", "bluetooth"},
      {"ohos.permission.APP_TRACKING_CONSENT", "device identifiers"},
      {"ohos.permission.READ_PASTEBOARD", "clipboard"},
      {"ohos.permission.GET_INSTALLED_BUNDLE_LIST", "installed apps"},
      {"ohos.permission.CUSTOM_SCREEN_CAPTURE", "screen"},
      {"ohos.permission.ACCESS_FACE_AUTH", "biometrics"},
      {"ohos.permission.READ_WRITE_DOWNLOAD_DIRECTORY", "storage"},
      {"ohos.permission.READ_WRITE_DOCUMENTS_DIRECTORY", "storage"},
      {"ohos.permission.READ_WRITE_DESKTOP_DIRECTORY", "storage"},
  };
  return kList;
}

std::string_view HarmonySensitiveGroup(std::string_view name) {
  for (const HarmonyPermission& p : HarmonySensitivePermissions()) {
    if (p.name == name) return p.group;
  }
  return {};
}

}  // namespace shelfguard
