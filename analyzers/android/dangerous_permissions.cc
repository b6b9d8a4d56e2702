#include "android/dangerous_permissions.h"

#include <algorithm>

namespace shelfguard {

const std::vector<std::string_view>& DangerousPermissions() {
  // Grouped as in the platform manifest (permission groups are informative
  // only since API 29). Sources: developer.android.com Manifest.permission
  // entries marked "Protection level: dangerous", up to API 35.
  static const std::vector<std::string_view> kList = {
      // Calendar
      "android.permission.READ_CALENDAR", "android.permission.WRITE_CALENDAR",
      // Call log
      "android.permission.READ_CALL_LOG", "android.permission.WRITE_CALL_LOG",
      "android.permission.PROCESS_OUTGOING_CALLS",
      // Camera
      "android.permission.CAMERA",
      // Contacts
      "android.permission.READ_CONTACTS", "android.permission.WRITE_CONTACTS",
      "android.permission.GET_ACCOUNTS",
      // Location
      "android.permission.ACCESS_FINE_LOCATION", "android.permission.ACCESS_COARSE_LOCATION",
      "android.permission.ACCESS_BACKGROUND_LOCATION",
      // Microphone
      "android.permission.RECORD_AUDIO",
      // Phone
      "android.permission.READ_PHONE_STATE", "android.permission.READ_PHONE_NUMBERS",
      "android.permission.CALL_PHONE", "android.permission.ANSWER_PHONE_CALLS",
      "com.android.voicemail.permission.ADD_VOICEMAIL", "android.permission.USE_SIP",
      "android.permission.ACCEPT_HANDOVER",
      // Sensors
      "android.permission.BODY_SENSORS", "android.permission.BODY_SENSORS_BACKGROUND",
      // SMS
      "android.permission.SEND_SMS", "android.permission.RECEIVE_SMS",
      "android.permission.READ_SMS", "android.permission.RECEIVE_WAP_PUSH",
      "android.permission.RECEIVE_MMS", "android.permission.READ_CELL_BROADCASTS",
      // Storage and media
      "android.permission.READ_EXTERNAL_STORAGE", "android.permission.WRITE_EXTERNAL_STORAGE",
      "android.permission.ACCESS_MEDIA_LOCATION", "android.permission.READ_MEDIA_AUDIO",
      "android.permission.READ_MEDIA_VIDEO", "android.permission.READ_MEDIA_IMAGES",
      "android.permission.READ_MEDIA_VISUAL_USER_SELECTED",
      // Physical activity
      "android.permission.ACTIVITY_RECOGNITION",
      // Nearby devices
      "android.permission.BLUETOOTH_SCAN", "android.permission.BLUETOOTH_ADVERTISE",
      "android.permission.BLUETOOTH_CONNECT", "android.permission.NEARBY_WIFI_DEVICES",
      "android.permission.UWB_RANGING", "android.permission.RANGING",
      // Notifications
      "android.permission.POST_NOTIFICATIONS",
  };
  return kList;
}

bool IsDangerousPermission(std::string_view name) {
  constexpr std::string_view kHealth = "android.permission.health.";
  if (name.size() > kHealth.size() && name.substr(0, kHealth.size()) == kHealth) return true;
  const auto& l = DangerousPermissions();
  return std::find(l.begin(), l.end(), name) != l.end();
}

}  // namespace shelfguard
