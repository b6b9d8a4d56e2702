// Fixture writer for Android binary formats: builds valid AXML documents and
// resources.arsc tables from readable descriptions, so tests can start from a
// known-good input, corrupt it, and assert what survived.
//
// Depends only on the standard library (the module tests that use it link
// nothing but their own module).
#ifndef SHELFGUARD_TESTS_SUPPORT_ANDROID_WRITER_H_
#define SHELFGUARD_TESTS_SUPPORT_ANDROID_WRITER_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace shelfguard::testing {

inline constexpr const char* kAndroidNs = "http://schemas.android.com/apk/res/android";

// Res_value data types used by fixtures (same numbers as ResourceTypes.h).
enum : uint8_t {
  kWType = 0x00,  // placeholder so the enum is never empty
  kWReference = 0x01,
  kWString = 0x03,
  kWFloat = 0x04,
  kWDimension = 0x05,
  kWIntDec = 0x10,
  kWIntHex = 0x11,
  kWBool = 0x12,
  kWColor = 0x1c,
};

// Little-endian helpers for building and corrupting fixtures.
void PutU16(std::string* s, size_t off, uint16_t v);
void PutU32(std::string* s, size_t off, uint32_t v);
uint32_t GetU32(const std::string& s, size_t off);
void AppendU8(std::string* s, uint8_t v);
void AppendU16(std::string* s, uint16_t v);
void AppendU32(std::string* s, uint32_t v);

// A ResStringPool chunk holding `strings`, UTF-8 or UTF-16.
std::string BuildStringPool(const std::vector<std::string>& strings, bool utf8);

struct XmlAttr {
  std::string ns;            // namespace URI, "" for none
  std::string name;          // may be "" (obfuscated) when res_id != 0
  uint32_t res_id = 0;       // resource map entry, 0 for none
  uint8_t type = kWString;
  uint32_t data = 0;         // for non-string types
  std::string str;           // for kWString (also stored as rawValue)
  bool raw = true;           // write rawValue for strings (else -1)

  static XmlAttr Str(std::string name, uint32_t id, std::string v);
  static XmlAttr Int(std::string name, uint32_t id, int32_t v);
  static XmlAttr Bool(std::string name, uint32_t id, bool v);
  static XmlAttr Ref(std::string name, uint32_t id, uint32_t ref);
  static XmlAttr Plain(std::string name, std::string v);  // no namespace, no id
};

struct XmlElem {
  std::string name;
  std::vector<XmlAttr> attrs;
  std::vector<XmlElem> children;
  std::string text;  // CDATA child before the element children

  XmlElem& Add(XmlElem child) {
    children.push_back(std::move(child));
    return children.back();
  }
};

// Where the parts of a built AXML document are, for targeted corruption.
struct AxmlLayout {
  size_t string_pool = 0;       // offset of the ResStringPool chunk
  size_t resource_map = 0;      // offset of the resource map chunk
  size_t first_element = 0;     // offset of the first START_ELEMENT chunk
  std::vector<size_t> elements; // offsets of every START_ELEMENT chunk
};

// A complete AXML document for `root` with the android namespace declared.
std::string BuildAxml(const XmlElem& root, bool utf8 = false, AxmlLayout* layout = nullptr);

// resources.arsc descriptions.
struct ArscValue {
  uint8_t type = kWString;
  uint32_t data = 0;
  std::string str;  // kWString: stored in the global pool
  std::string ref;  // kWReference to "type/key" of this table (data ignored)
};

struct ArscResource {
  std::string type;  // "string", "drawable", "xml", "array", ...
  std::string key;
  // Configuration qualifiers -> value: "" default, "zh-rCN", "en", "fr",
  // "hdpi", "v21" (combined with '-', e.g. "zh-rCN-v21").
  std::vector<std::pair<std::string, ArscValue>> values;
  // Non-empty: a complex (bag) entry in the default configuration.
  std::vector<std::pair<uint32_t, ArscValue>> bag;
};

struct ArscSpec {
  uint32_t package_id = 0x7f;
  std::string package_name = "com.example.app";
  std::vector<ArscResource> resources;
  bool utf8 = true;  // global pool encoding (type/key pools follow it)
};

// Resource id the writer assigns to `type`/`key` (types numbered from 1 in
// order of first appearance, entries in order within their type); 0 if
// absent.
uint32_t ArscIdOf(const ArscSpec& spec, const std::string& type, const std::string& key);

std::string BuildArsc(const ArscSpec& spec);

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_ANDROID_WRITER_H_
