#include "support/android_writer.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace shelfguard::testing {

void PutU16(std::string* s, size_t off, uint16_t v) {
  (*s)[off] = static_cast<char>(v & 0xff);
  (*s)[off + 1] = static_cast<char>(v >> 8);
}
void PutU32(std::string* s, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*s)[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t GetU32(const std::string& s, size_t off) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(s[off + i])} << (8 * i);
  return v;
}
void AppendU8(std::string* s, uint8_t v) { s->push_back(static_cast<char>(v)); }
void AppendU16(std::string* s, uint16_t v) {
  AppendU8(s, v & 0xff);
  AppendU8(s, v >> 8);
}
void AppendU32(std::string* s, uint32_t v) {
  AppendU16(s, v & 0xffff);
  AppendU16(s, v >> 16);
}

namespace {

void Pad4(std::string* s) {
  while (s->size() % 4 != 0) s->push_back('\0');
}

// UTF-8 -> UTF-16 code units (input assumed valid UTF-8).
std::u16string ToUtf16(const std::string& in) {
  std::u16string out;
  for (size_t i = 0; i < in.size();) {
    uint8_t c = static_cast<uint8_t>(in[i]);
    uint32_t cp;
    int n;
    if (c < 0x80) { cp = c; n = 1; }
    else if ((c >> 5) == 6) { cp = c & 0x1f; n = 2; }
    else if ((c >> 4) == 14) { cp = c & 0x0f; n = 3; }
    else { cp = c & 0x07; n = 4; }
    for (int k = 1; k < n && i + k < in.size(); ++k) cp = (cp << 6) | (in[i + k] & 0x3f);
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xd800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

void AppendLen8(std::string* s, size_t n) {
  if (n > 0x7f) {
    AppendU8(s, static_cast<uint8_t>(0x80 | (n >> 8)));
    AppendU8(s, static_cast<uint8_t>(n & 0xff));
  } else {
    AppendU8(s, static_cast<uint8_t>(n));
  }
}

// Chunk with type/header size; size patched by Finish.
struct Chunk {
  std::string b;
  Chunk(uint16_t type, uint16_t header_size) {
    AppendU16(&b, type);
    AppendU16(&b, header_size);
    AppendU32(&b, 0);
  }
  std::string Finish() {
    PutU32(&b, 4, static_cast<uint32_t>(b.size()));
    return b;
  }
};

class AxmlBuilder {
 public:
  explicit AxmlBuilder(bool utf8) : utf8_(utf8) {}

  void CollectIds(const XmlElem& e) {
    for (const auto& a : e.attrs) {
      if (a.res_id == 0) continue;
      std::pair<std::string, uint32_t> k{a.name, a.res_id};
      if (id_index_.count(k)) continue;
      id_index_[k] = static_cast<uint32_t>(strings_.size());
      strings_.push_back(a.name);
      ids_.push_back(a.res_id);
    }
    for (const auto& c : e.children) CollectIds(c);
  }

  uint32_t Str(const std::string& s) {
    // Indices below ids_.size() belong to attribute names with ids; other
    // strings are interned after them.
    auto it = plain_.find(s);
    if (it != plain_.end()) return it->second;
    uint32_t idx = static_cast<uint32_t>(strings_.size());
    strings_.push_back(s);
    plain_[s] = idx;
    return idx;
  }

  uint32_t AttrName(const XmlAttr& a) {
    if (a.res_id != 0) return id_index_.at({a.name, a.res_id});
    return Str(a.name);
  }

  void Element(const XmlElem& e, std::string* body, AxmlLayout* layout) {
    Chunk start(0x0102, 16);
    AppendU32(&start.b, 1);           // line
    AppendU32(&start.b, 0xffffffff);  // comment
    AppendU32(&start.b, 0xffffffff);  // ns
    AppendU32(&start.b, Str(e.name));
    AppendU16(&start.b, 20);          // attributeStart
    AppendU16(&start.b, 20);          // attributeSize
    AppendU16(&start.b, static_cast<uint16_t>(e.attrs.size()));
    AppendU16(&start.b, 0);
    AppendU16(&start.b, 0);
    AppendU16(&start.b, 0);
    for (const auto& a : e.attrs) {
      AppendU32(&start.b, a.ns.empty() ? 0xffffffff : Str(a.ns));
      AppendU32(&start.b, AttrName(a));
      uint32_t raw = 0xffffffff, data = a.data;
      if (a.type == kWString) {
        data = Str(a.str);
        if (a.raw) raw = data;
      }
      AppendU32(&start.b, raw);
      AppendU16(&start.b, 8);
      AppendU8(&start.b, 0);
      AppendU8(&start.b, a.type);
      AppendU32(&start.b, data);
    }
    if (layout != nullptr) layout->elements.push_back(body->size());
    *body += start.Finish();
    if (!e.text.empty()) {
      Chunk cdata(0x0104, 16);
      AppendU32(&cdata.b, 1);
      AppendU32(&cdata.b, 0xffffffff);
      AppendU32(&cdata.b, Str(e.text));
      AppendU16(&cdata.b, 8);
      AppendU8(&cdata.b, 0);
      AppendU8(&cdata.b, 0);
      AppendU32(&cdata.b, 0);
      *body += cdata.Finish();
    }
    for (const auto& c : e.children) Element(c, body, layout);
    Chunk end(0x0103, 16);
    AppendU32(&end.b, 1);
    AppendU32(&end.b, 0xffffffff);
    AppendU32(&end.b, 0xffffffff);
    AppendU32(&end.b, Str(e.name));
    *body += end.Finish();
  }

  std::string Build(const XmlElem& root, AxmlLayout* layout) {
    CollectIds(root);
    uint32_t prefix = Str("android"), uri = Str(kAndroidNs);
    // START_NAMESPACE (0x0100) and END_NAMESPACE (0x0101) around the root:
    // line 1, no comment, the android prefix and URI.
    auto ns_chunk = [&](uint16_t type) {
      Chunk ns(type, 16);
      for (uint32_t v : {1u, 0xffffffffu, prefix, uri}) AppendU32(&ns.b, v);
      return ns.Finish();
    };
    std::string body = ns_chunk(0x0100);
    AxmlLayout local;
    Element(root, &body, &local);
    body += ns_chunk(0x0101);

    std::string pool = BuildStringPool(strings_, utf8_);
    Chunk map(0x0180, 8);
    for (uint32_t id : ids_) AppendU32(&map.b, id);
    std::string map_bytes = map.Finish();

    Chunk doc(0x0003, 8);
    if (layout != nullptr) {
      *layout = AxmlLayout{};
      layout->string_pool = 8;
      layout->resource_map = 8 + pool.size();
      size_t base = layout->resource_map + map_bytes.size();
      for (size_t off : local.elements) layout->elements.push_back(base + off);
      layout->first_element = layout->elements.empty() ? 0 : layout->elements[0];
    }
    doc.b += pool;
    doc.b += map_bytes;
    doc.b += body;
    return doc.Finish();
  }

 private:
  bool utf8_;
  std::vector<std::string> strings_;
  std::vector<uint32_t> ids_;
  std::map<std::pair<std::string, uint32_t>, uint32_t> id_index_;
  std::map<std::string, uint32_t> plain_;
};

// Parses "zh-rCN-hdpi-v21" style qualifiers into a 64-byte ResTable_config.
std::string BuildConfig(const std::string& q) {
  std::string c(64, '\0');
  PutU32(&c, 0, 64);
  size_t start = 0;
  while (start < q.size()) {
    size_t dash = q.find('-', start);
    std::string part = q.substr(start, dash == std::string::npos ? std::string::npos : dash - start);
    start = dash == std::string::npos ? q.size() : dash + 1;
    if (part == "hdpi") PutU16(&c, 14, 240);
    else if (part == "xhdpi") PutU16(&c, 14, 320);
    else if (part == "mdpi") PutU16(&c, 14, 160);
    else if (part == "port") c[12] = 1;
    else if (part == "land") c[12] = 2;
    else if (part == "night") c[29] = 0x20;
    else if (part.size() > 1 && part[0] == 'v' && isdigit(static_cast<unsigned char>(part[1])))
      PutU16(&c, 24, static_cast<uint16_t>(std::stoi(part.substr(1))));
    else if (part.size() == 3 && part[0] == 'r') { c[10] = part[1]; c[11] = part[2]; }
    else if (part.size() == 2) { c[8] = part[0]; c[9] = part[1]; }
  }
  return c;
}

}  // namespace

std::string BuildStringPool(const std::vector<std::string>& strings, bool utf8) {
  std::string data;
  std::vector<uint32_t> offsets;
  for (const auto& s : strings) {
    offsets.push_back(static_cast<uint32_t>(data.size()));
    if (utf8) {
      AppendLen8(&data, ToUtf16(s).size());
      AppendLen8(&data, s.size());
      data += s;
      data.push_back('\0');
    } else {
      std::u16string u = ToUtf16(s);
      if (u.size() > 0x7fff) {
        AppendU16(&data, static_cast<uint16_t>(0x8000 | (u.size() >> 16)));
        AppendU16(&data, static_cast<uint16_t>(u.size() & 0xffff));
      } else {
        AppendU16(&data, static_cast<uint16_t>(u.size()));
      }
      for (char16_t ch : u) AppendU16(&data, ch);
      AppendU16(&data, 0);
    }
  }
  Pad4(&data);
  Chunk c(0x0001, 28);
  AppendU32(&c.b, static_cast<uint32_t>(strings.size()));
  AppendU32(&c.b, 0);                      // styleCount
  AppendU32(&c.b, utf8 ? (1u << 8) : 0);   // flags
  AppendU32(&c.b, static_cast<uint32_t>(28 + 4 * strings.size()));  // stringsStart
  AppendU32(&c.b, 0);                      // stylesStart
  for (uint32_t o : offsets) AppendU32(&c.b, o);
  c.b += data;
  return c.Finish();
}

XmlAttr XmlAttr::Str(std::string name, uint32_t id, std::string v) {
  XmlAttr a;
  a.ns = kAndroidNs;
  a.name = std::move(name);
  a.res_id = id;
  a.type = kWString;
  a.str = std::move(v);
  return a;
}
XmlAttr XmlAttr::Int(std::string name, uint32_t id, int32_t v) {
  XmlAttr a = Str(std::move(name), id, "");
  a.type = kWIntDec;
  a.data = static_cast<uint32_t>(v);
  return a;
}
XmlAttr XmlAttr::Bool(std::string name, uint32_t id, bool v) {
  XmlAttr a = Str(std::move(name), id, "");
  a.type = kWBool;
  a.data = v ? 0xffffffffu : 0;
  return a;
}
XmlAttr XmlAttr::Ref(std::string name, uint32_t id, uint32_t ref) {
  XmlAttr a = Str(std::move(name), id, "");
  a.type = kWReference;
  a.data = ref;
  return a;
}
XmlAttr XmlAttr::Plain(std::string name, std::string v) {
  XmlAttr a;
  a.name = std::move(name);
  a.str = std::move(v);
  return a;
}

std::string BuildAxml(const XmlElem& root, bool utf8, AxmlLayout* layout) {
  AxmlBuilder b(utf8);
  return b.Build(root, layout);
}

namespace {

struct TypeInfo {
  std::string name;
  std::vector<const ArscResource*> entries;
};

std::vector<TypeInfo> GroupTypes(const ArscSpec& spec) {
  std::vector<TypeInfo> types;
  for (const auto& r : spec.resources) {
    auto it = std::find_if(types.begin(), types.end(), [&](const TypeInfo& t) { return t.name == r.type; });
    if (it == types.end()) {
      types.push_back({r.type, {}});
      it = types.end() - 1;
    }
    it->entries.push_back(&r);
  }
  return types;
}

}  // namespace

uint32_t ArscIdOf(const ArscSpec& spec, const std::string& type, const std::string& key) {
  auto types = GroupTypes(spec);
  for (size_t t = 0; t < types.size(); ++t) {
    if (types[t].name != type) continue;
    for (size_t e = 0; e < types[t].entries.size(); ++e) {
      if (types[t].entries[e]->key == key)
        return (spec.package_id << 24) | (static_cast<uint32_t>(t + 1) << 16) | static_cast<uint32_t>(e);
    }
  }
  return 0;
}

std::string BuildArsc(const ArscSpec& spec) {
  auto types = GroupTypes(spec);
  std::vector<std::string> global, type_names, key_names;
  std::map<std::string, uint32_t> global_index, key_index;
  auto intern = [](std::vector<std::string>* v, std::map<std::string, uint32_t>* m, const std::string& s) {
    auto it = m->find(s);
    if (it != m->end()) return it->second;
    uint32_t i = static_cast<uint32_t>(v->size());
    v->push_back(s);
    (*m)[s] = i;
    return i;
  };
  auto resolve = [&](const ArscValue& v) -> std::pair<uint8_t, uint32_t> {
    if (!v.ref.empty()) {
      size_t slash = v.ref.find('/');
      return {kWReference, ArscIdOf(spec, v.ref.substr(0, slash), v.ref.substr(slash + 1))};
    }
    if (v.type == kWString) return {kWString, intern(&global, &global_index, v.str)};
    return {v.type, v.data};
  };
  for (const auto& t : types) type_names.push_back(t.name);

  std::string body;  // type specs and types
  for (size_t ti = 0; ti < types.size(); ++ti) {
    const auto& t = types[ti];
    uint8_t type_id = static_cast<uint8_t>(ti + 1);
    Chunk specc(0x0202, 16);
    AppendU8(&specc.b, type_id);
    AppendU8(&specc.b, 0);
    AppendU16(&specc.b, 0);
    AppendU32(&specc.b, static_cast<uint32_t>(t.entries.size()));
    for (size_t i = 0; i < t.entries.size(); ++i) AppendU32(&specc.b, 0);
    body += specc.Finish();
    // Every configuration used by this type, default first.
    std::vector<std::string> configs;
    for (const auto* r : t.entries) {
      if (!r->bag.empty() && std::find(configs.begin(), configs.end(), "") == configs.end())
        configs.push_back("");
      for (const auto& [q, v] : r->values)
        if (std::find(configs.begin(), configs.end(), q) == configs.end()) configs.push_back(q);
    }
    std::sort(configs.begin(), configs.end());
    for (const auto& q : configs) {
      std::string entries;
      std::vector<uint32_t> offsets;
      for (const auto* r : t.entries) {
        uint32_t key = intern(&key_names, &key_index, r->key);
        const ArscValue* val = nullptr;
        for (const auto& [cq, v] : r->values)
          if (cq == q) val = &v;
        if (q.empty() && !r->bag.empty()) {
          offsets.push_back(static_cast<uint32_t>(entries.size()));
          AppendU16(&entries, 16);
          AppendU16(&entries, 1);  // FLAG_COMPLEX
          AppendU32(&entries, key);
          AppendU32(&entries, 0);  // parent
          AppendU32(&entries, static_cast<uint32_t>(r->bag.size()));
          for (const auto& [name, bv] : r->bag) {
            auto [ty, d] = resolve(bv);
            AppendU32(&entries, name);
            AppendU16(&entries, 8);
            AppendU8(&entries, 0);
            AppendU8(&entries, ty);
            AppendU32(&entries, d);
          }
          continue;
        }
        if (val == nullptr) {
          offsets.push_back(0xffffffff);
          continue;
        }
        offsets.push_back(static_cast<uint32_t>(entries.size()));
        auto [ty, d] = resolve(*val);
        AppendU16(&entries, 8);
        AppendU16(&entries, 0);
        AppendU32(&entries, key);
        AppendU16(&entries, 8);
        AppendU8(&entries, 0);
        AppendU8(&entries, ty);
        AppendU32(&entries, d);
      }
      const uint16_t header = 20 + 64;
      Chunk tc(0x0201, header);
      AppendU8(&tc.b, type_id);
      AppendU8(&tc.b, 0);
      AppendU16(&tc.b, 0);
      AppendU32(&tc.b, static_cast<uint32_t>(offsets.size()));
      AppendU32(&tc.b, static_cast<uint32_t>(header + 4 * offsets.size()));
      tc.b += BuildConfig(q);
      for (uint32_t o : offsets) AppendU32(&tc.b, o);
      tc.b += entries;
      body += tc.Finish();
    }
  }
  // Keys are interned in entry order even when some have no values.
  for (const auto& r : spec.resources) intern(&key_names, &key_index, r.key);

  std::string type_pool = BuildStringPool(type_names, false);
  std::string key_pool = BuildStringPool(key_names, spec.utf8);
  Chunk pkg(0x0200, 288);
  AppendU32(&pkg.b, spec.package_id);
  std::u16string name = ToUtf16(spec.package_name);
  for (int i = 0; i < 128; ++i) AppendU16(&pkg.b, i < static_cast<int>(name.size()) ? name[i] : 0);
  AppendU32(&pkg.b, 288);                                            // typeStrings
  AppendU32(&pkg.b, static_cast<uint32_t>(type_names.size()));       // lastPublicType
  AppendU32(&pkg.b, static_cast<uint32_t>(288 + type_pool.size()));  // keyStrings
  AppendU32(&pkg.b, static_cast<uint32_t>(key_names.size()));        // lastPublicKey
  AppendU32(&pkg.b, 0);                                              // typeIdOffset
  pkg.b += type_pool;
  pkg.b += key_pool;
  pkg.b += body;

  Chunk table(0x0002, 12);
  AppendU32(&table.b, 1);
  table.b += BuildStringPool(global, spec.utf8);
  table.b += pkg.Finish();
  return table.Finish();
}

}  // namespace shelfguard::testing
