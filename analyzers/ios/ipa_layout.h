// IPA layout: where the app bundle is inside the zip.
//
// The main bundle is the shallowest `<...>/Payload/<Name>.app/`; Payload may
// sit under another folder (re-zipped IPAs). `__MACOSX/` resource-fork
// debris and `._*` AppleDouble files are skipped. Names that are not UTF-8
// (GBK / GB18030 from Chinese toolchains) are decoded for display and
// reported as anomalies; lookups always use the raw stored name.
#ifndef SHELFGUARD_ANALYZERS_IOS_IPA_LAYOUT_H_
#define SHELFGUARD_ANALYZERS_IOS_IPA_LAYOUT_H_

#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/archive.h"
#include "shelfguard/facts.h"
#include "shelfguard/status.h"

namespace shelfguard::ios {

struct BundleEntry {
  const ArchiveEntry* entry = nullptr;
  std::string rel;      // path inside the bundle, decoded to UTF-8
  std::string display;  // full path, decoded to UTF-8 (for locations)
};

struct IpaLayout {
  std::string root;          // raw prefix ending in ".app/", e.g. "Payload/X.app/"
  std::string root_display;  // the same, decoded
  std::string app_name;      // "X" (without .app)
  bool nested_payload = false;  // Payload/ not at the zip root
  std::vector<BundleEntry> entries;  // entries of the main bundle (files and dirs)
  size_t macosx_debris = 0;
  std::vector<Anomaly> anomalies;
};

bool IsUtf8(std::string_view s);
// Best-effort decoding of a non-UTF-8 name (GB18030, a superset of GBK);
// bytes that do not decode become U+FFFD.
std::string DecodeName(std::string_view raw);

// Fails with code "ipa-no-app-bundle" when no Payload/*.app/ exists.
Result<IpaLayout> FindAppBundle(const Archive& archive);

}  // namespace shelfguard::ios

#endif  // SHELFGUARD_ANALYZERS_IOS_IPA_LAYOUT_H_
