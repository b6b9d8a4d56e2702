// AXML: Android's compiled ("binary") XML, as found in AndroidManifest.xml and
// res/**/*.xml inside an APK, plus the pieces of the resource chunk format
// shared with resources.arsc (chunk headers, ResStringPool, Res_value).
//
// Layout (AOSP libs/androidfw/include/androidfw/ResourceTypes.h):
//   ResXMLTree_header (ResChunk_header type 0x0003)
//     ResStringPool    (0x0001)  all names, namespaces and raw values
//     ResXMLTree_resourceMap (0x0180)  uint32 resource ids; entry i is the
//                      id of the attribute whose name is string i
//     nodes: START_NAMESPACE 0x0100, END_NAMESPACE 0x0101,
//            START_ELEMENT 0x0102, END_ELEMENT 0x0103, CDATA 0x0104
//
// Every offset and count in the input is untrusted. The parser is best
// effort: it keeps what parsed, records oddities as anomalies, and fails only
// when nothing usable (no valid XML header / string pool) could be read.
#ifndef SHELFGUARD_ANALYZERS_AXML_AXML_PARSER_H_
#define SHELFGUARD_ANALYZERS_AXML_AXML_PARSER_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/facts.h"
#include "shelfguard/limits.h"
#include "shelfguard/status.h"

namespace shelfguard {

// ResChunk_header types (ResourceTypes.h).
enum ResChunkType : uint16_t {
  kResNullType = 0x0000,
  kResStringPoolType = 0x0001,
  kResTableType = 0x0002,
  kResXmlType = 0x0003,
  kResXmlStartNamespaceType = 0x0100,
  kResXmlEndNamespaceType = 0x0101,
  kResXmlStartElementType = 0x0102,
  kResXmlEndElementType = 0x0103,
  kResXmlCdataType = 0x0104,
  kResXmlResourceMapType = 0x0180,
  kResTablePackageType = 0x0200,
  kResTableTypeType = 0x0201,
  kResTableTypeSpecType = 0x0202,
  kResTableLibraryType = 0x0203,
  kResTableOverlayableType = 0x0204,
  kResTableOverlayablePolicyType = 0x0205,
  kResTableStagedAliasType = 0x0206,
};

// Res_value::dataType (ResourceTypes.h).
enum ResValueType : uint8_t {
  kTypeNull = 0x00,
  kTypeReference = 0x01,
  kTypeAttribute = 0x02,
  kTypeString = 0x03,
  kTypeFloat = 0x04,
  kTypeDimension = 0x05,
  kTypeFraction = 0x06,
  kTypeDynamicReference = 0x07,
  kTypeDynamicAttribute = 0x08,
  kTypeIntDec = 0x10,
  kTypeIntHex = 0x11,
  kTypeIntBoolean = 0x12,
  kTypeIntColorArgb8 = 0x1c,
  kTypeIntColorRgb8 = 0x1d,
  kTypeIntColorArgb4 = 0x1e,
  kTypeIntColorRgb4 = 0x1f,
};
constexpr bool IsIntType(uint8_t t) { return t >= kTypeIntDec && t <= kTypeIntColorRgb4; }
constexpr bool IsReferenceType(uint8_t t) {
  return t == kTypeReference || t == kTypeDynamicReference;
}

// android.R.attr ids (frameworks/base/core/res/res/values/public.xml). The
// platform and aapt identify android: attributes by these ids, not by name.
namespace attr {
constexpr uint32_t kLabel = 0x01010001;
constexpr uint32_t kIcon = 0x01010002;
constexpr uint32_t kName = 0x01010003;
constexpr uint32_t kPermission = 0x01010006;
constexpr uint32_t kReadPermission = 0x01010007;
constexpr uint32_t kWritePermission = 0x01010008;
constexpr uint32_t kProtectionLevel = 0x01010009;
constexpr uint32_t kEnabled = 0x0101000e;
constexpr uint32_t kDebuggable = 0x0101000f;
constexpr uint32_t kExported = 0x01010010;
constexpr uint32_t kAuthorities = 0x01010018;
constexpr uint32_t kMinSdkVersion = 0x0101020c;
constexpr uint32_t kVersionCode = 0x0101021b;
constexpr uint32_t kVersionName = 0x0101021c;
constexpr uint32_t kTargetActivity = 0x01010202;
constexpr uint32_t kTargetSdkVersion = 0x01010270;
constexpr uint32_t kMaxSdkVersion = 0x01010271;
constexpr uint32_t kAllowBackup = 0x01010280;
constexpr uint32_t kUsesCleartextTraffic = 0x010104ec;
constexpr uint32_t kNetworkSecurityConfig = 0x01010527;
}  // namespace attr

// One Res_value.
struct ResValue {
  uint8_t type = kTypeNull;
  uint32_t data = 0;
};

// A decoded ResStringPool, its strings converted to UTF-8 (UTF-16 pools are
// transcoded; unpaired surrogates become U+FFFD); a string whose offset or
// length is out of bounds is kept as "" and counted in `bad_strings`. The
// strings are views into `storage` (UTF-8 pools: the pool's string bytes
// copied once; UTF-16 pools: their UTF-8 transcoding), so that a table of
// tens of thousands of strings costs no allocation per string. The views
// stay valid while `storage` lives, moves included.
struct StringPoolViews {
  std::vector<std::string_view> strings;
  std::unique_ptr<std::string> storage;
  bool utf8 = false;
  uint32_t declared_count = 0;
  uint32_t bad_strings = 0;
};

// Parses one ResStringPool chunk (`chunk` starts at its ResChunk_header and
// is clipped to the chunk's size by the caller or here). `budget` may be null
// (then only the built-in caps apply). Problems that still leave a usable pool
// are appended to `anomalies` with `location` as their location.
Result<StringPoolViews> ParseStringPoolViews(std::string_view chunk, Budget* budget,
                                             std::string_view location,
                                             std::vector<Anomaly>* anomalies);

// The names and strings of elements and attributes are views into their
// AxmlDocument's string pool: valid while the document lives.
struct AxmlAttribute {
  std::string_view ns;       // namespace URI ("" when none)
  std::string_view name;     // name string (may be "" or obfuscated)
  uint32_t resource_id = 0;  // from the resource map, 0 when none
  uint8_t type = kTypeNull;  // Res_value::dataType of the typed value
  uint32_t data = 0;         // Res_value::data
  std::string_view string_value;  // the raw string (rawValue, or the string for kTypeString)
  bool has_raw = false;      // rawValue index was valid
};

struct AxmlNode {
  std::string_view ns;    // element namespace URI
  std::string_view name;  // element name
  int depth = 0;     // 1 for the root element
  uint32_t line = 0; // source line number recorded by aapt
  std::span<const AxmlAttribute> attrs;  // a range of AxmlDocument::attributes
  std::string text;  // concatenated CDATA directly inside this element

  // The attribute with resource id `resource_id`, as the platform finds
  // android: attributes; nullptr when absent.
  const AxmlAttribute* FindById(uint32_t resource_id) const;
  // The first attribute named `name` with no resource id in namespace `ns`
  // ("" for none), as aapt finds "package" on <manifest>; nullptr when absent.
  const AxmlAttribute* FindByName(std::string_view name, std::string_view ns = "") const;
};

// Move-only: its strings are views into `storage`. A layout has hundreds of
// attributes, each of which held copies of its namespace URI, name and
// value before; views cost no allocation.
struct AxmlDocument {
  AxmlDocument() = default;
  AxmlDocument(AxmlDocument&&) = default;
  AxmlDocument& operator=(AxmlDocument&&) = default;
  std::vector<std::string_view> strings;  // the string pool
  std::vector<uint32_t> resource_ids;    // resource map
  std::vector<AxmlNode> nodes;           // start elements, document order
  std::vector<AxmlAttribute> attributes; // every element's, in order (one array, not one per element)
  std::vector<Anomaly> anomalies;        // survivable oddities
  bool truncated = false;                // stopped early (corruption or limit)
  std::vector<std::unique_ptr<std::string>> storage;  // the bytes the views point into
};

// Parses AXML bytes. Fails (Status code "malformed") only when the input has
// no recognisable XML chunk header or string pool. A string pool, resource
// map or element count over max_table_items is cut at the limit and
// recorded ("string-pool-over-limit", "axml-over-limit"). Otherwise returns
// what parsed, with anomalies.
Result<AxmlDocument> ParseAxml(std::string_view data, Budget* budget);

// Renders a typed value as aapt's `dump xmltree` does for display purposes:
// decimal ints, 0x-hex, "true"/"false", "@0x7f010000" references,
// "?0x..." attributes, floats, "12.0dip" dimensions, "#ff00ff00" colours.
// Strings render as `string_value` (pass it in).
std::string FormatResValue(uint8_t type, uint32_t data, std::string_view string_value = "");
inline std::string FormatAttribute(const AxmlAttribute& a) {
  return FormatResValue(a.type, a.data, a.string_value);
}

// A little-endian integer at `p`, for fixed-size records whose bounds the
// caller has checked once (offset tables, attribute records): ByteReader's
// per-field checks showed in profiles there.
// (memcpy, so that it compiles to one load: a byte loop did not.)
template <typename T>
inline T LoadLE(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  if constexpr (std::endian::native == std::endian::big) {
    T le = 0;
    for (size_t i = 0; i < sizeof(T); ++i) le = static_cast<T>((le << 8) | ((v >> (8 * i)) & 0xff));
    v = le;
  }
  return v;
}

// Caps applied regardless of Limits: a manifest larger than these is hostile.
constexpr uint32_t kMaxAxmlNodes = 1u << 20;
constexpr uint32_t kMaxAxmlDepth = 512;
constexpr uint32_t kMaxAxmlAttributes = 4096;  // per element

}  // namespace shelfguard

#endif  // SHELFGUARD_ANALYZERS_AXML_AXML_PARSER_H_
