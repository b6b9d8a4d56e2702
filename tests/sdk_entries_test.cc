// Every entry of the shipped signature database, tested through a real scan:
// for each pattern of each entry, a package is built in memory (an APK whose
// manifest, classes.dex and zip entries hold one item made from that pattern)
// and scanned by one engine; the entry must be found with strong confidence
// ("present", or "referenced"). Then a near miss made from the same pattern
// (a sibling package, a lookalike library or asset name) must not produce
// the entry. Table-driven from signatures/*.json, so a new entry is tested
// the moment it is added.
//
// Groups a package of this kind cannot hold are counted and skipped:
// Objective-C classes and native symbols (the iOS and ELF tests cover how
// those are read), raw "re:" patterns, and weak groups (hosts, strings),
// which never establish an SDK on their own.
#include <fnmatch.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "axml/axml_parser.h"
#include "shelfguard/engine.h"
#include "signatures/signature_db.h"
#include "support/android_writer.h"
#include "support/corpus.h"
#include "support/zip_entries.h"

namespace shelfguard {
namespace {

using testing::XmlAttr;
using testing::XmlElem;

void PutLe32(std::string* s, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*s)[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// A minimal DEX defining `classes` (dotted names): header, string_ids,
// type_ids and class_defs without code. Enough for the DEX analyzer's class
// table, which is what class patterns are matched against.
std::string MinimalDex(const std::vector<std::string>& classes) {
  std::vector<std::string> descs;
  for (const std::string& c : classes) {
    std::string d = "L" + c + ";";
    std::replace(d.begin(), d.end(), '.', '/');
    descs.push_back(d);
  }
  std::sort(descs.begin(), descs.end());
  descs.erase(std::unique(descs.begin(), descs.end()), descs.end());
  const uint32_t n = static_cast<uint32_t>(descs.size());
  const uint32_t string_ids = 0x70, type_ids = string_ids + 4 * n, class_defs = type_ids + 4 * n;
  const uint32_t data = class_defs + 32 * n;
  std::string dex(data, '\0');
  std::string strings;
  for (uint32_t i = 0; i < n; ++i) {
    PutLe32(&dex, string_ids + 4 * i, data + static_cast<uint32_t>(strings.size()));
    // uleb128 length (names here are < 128 UTF-16 units... or longer).
    uint32_t len = static_cast<uint32_t>(descs[i].size());
    do {
      uint8_t b = len & 0x7f;
      len >>= 7;
      strings.push_back(static_cast<char>(b | (len ? 0x80 : 0)));
    } while (len != 0);
    strings += descs[i];
    strings.push_back('\0');
    PutLe32(&dex, type_ids + 4 * i, i);
    PutLe32(&dex, class_defs + 32 * i, i);           // class_idx
    PutLe32(&dex, class_defs + 32 * i + 4, 1);       // public
    PutLe32(&dex, class_defs + 32 * i + 8, 0xffffffffu);   // no superclass
    PutLe32(&dex, class_defs + 32 * i + 16, 0xffffffffu);  // no source file
  }
  dex += strings;
  std::memcpy(dex.data(), "dex\n035\0", 8);
  PutLe32(&dex, 32, static_cast<uint32_t>(dex.size()));
  PutLe32(&dex, 36, 0x70);
  PutLe32(&dex, 40, 0x12345678);
  PutLe32(&dex, 56, n);
  PutLe32(&dex, 60, string_ids);
  PutLe32(&dex, 64, n);
  PutLe32(&dex, 68, type_ids);
  PutLe32(&dex, 96, n);
  PutLe32(&dex, 100, class_defs);
  PutLe32(&dex, 104, static_cast<uint32_t>(dex.size()) - data);
  PutLe32(&dex, 108, data);
  return dex;
}

// What one probe package holds.
struct Probe {
  std::vector<std::string> classes, components, paths, meta_data;
  bool empty() const {
    return classes.empty() && components.empty() && paths.empty() && meta_data.empty();
  }
};

std::string Apk(const Probe& p) {
  XmlElem m{"manifest", {XmlAttr::Plain("package", "cn.sg.probe")}, {}, ""};
  XmlElem app{"application", {}, {}, ""};
  for (const std::string& c : p.components)
    app.Add({"activity", {XmlAttr::Str("name", attr::kName, c)}, {}, ""});
  for (const std::string& k : p.meta_data) {
    app.Add({"meta-data", {XmlAttr::Str("name", attr::kName, k)}, {}, ""});
  }
  m.Add(app);
  std::vector<std::pair<std::string, std::string>> entries = {
      {"AndroidManifest.xml", testing::BuildAxml(m)}};
  entries.push_back({"classes.dex", MinimalDex(p.classes.empty()
                                                   ? std::vector<std::string>{"cn.sg.probe.Main"}
                                                   : p.classes)});
  for (const std::string& path : p.paths) entries.push_back({path, "sg probe"});
  return testing::ZipBytes(entries);
}

// A concrete item for a glob: every '*' becomes `fill`.
std::string Fill(const std::string& pattern, const std::string& fill) {
  std::string out;
  for (char c : pattern) {
    if (c == '*') {
      out += fill;
    } else {
      out += c;
    }
  }
  return out;
}

// The item made from `pattern` of `group`, or a near miss of it (a sibling
// package, a lookalike file name). Empty when the group cannot be probed.
std::string Item(PatternGroup g, const std::string& pattern, bool near_miss) {
  using G = PatternGroup;
  if (pattern.rfind("re:", 0) == 0) return "";
  std::string p = Fill(pattern, "Sg1");
  switch (g) {
    case G::kClasses:
    case G::kComponents:
      if (p.back() == '.') {
        // com.qq.e. -> com.qq.e.SgProbe; near miss: the sibling com.qq.ex.
        return near_miss ? p.substr(0, p.size() - 1) + "x.SgProbe" : p + "SgProbe";
      }
      // A class-name prefix: itself (and an inner class); near miss: the
      // same name with its last character changed.
      if (!near_miss) return p;
      return p.substr(0, p.size() - 1) + (p.back() == 'q' ? 'z' : 'q');
    case G::kMetaData:
      // The key itself; near miss: its last character changed
      // (UMENG_APPKEY -> UMENG_APPKEq), which no SDK reads.
      if (!near_miss) return p;
      return p.substr(0, p.size() - 1) + (p.back() == 'q' ? 'z' : 'q');
    case G::kNativeLibs:
    case G::kFrameworks: {
      // The file name with a letter inserted after its first three
      // characters: libjiagu.so -> libqjiagu.so.
      std::string name = p;
      if (near_miss) name = name.substr(0, 3) + "q" + name.substr(3);
      return g == G::kNativeLibs ? "lib/arm64-v8a/" + name : "Frameworks/" + name + "/probe";
    }
    case G::kAssets: {
      // Near miss: a lookalike name in the same folder, assets/gdt_plugin/
      // -> assets/qgdt_plugin/, assets/nesec* -> assets/qnesec*.
      std::string path = p.back() == '/' ? p + "probe.bin" : p;
      if (!near_miss) return path;
      size_t dir_end = p.back() == '/' ? p.rfind('/', p.size() - 2) : p.rfind('/');
      size_t at = dir_end == std::string::npos ? 0 : dir_end + 1;
      return path.substr(0, at) + "q" + path.substr(at);
    }
    default:
      return "";
  }
}

void AddItem(PatternGroup g, const std::string& item, Probe* probe) {
  switch (g) {
    case PatternGroup::kClasses: probe->classes.push_back(item); break;
    case PatternGroup::kComponents: probe->components.push_back(item); break;
    case PatternGroup::kMetaData: probe->meta_data.push_back(item); break;
    default: probe->paths.push_back(item); break;
  }
}

// Whether `item` (of group `g`) is matched by another pattern of the entry:
// then it is no near miss of the probed pattern (nested prefixes such as
// com.janrain.android. and com.janrain.android.capture. in one entry).
bool MatchedByOther(const SdkSignature& e, PatternGroup g, const std::string& pattern,
                    const std::string& item) {
  for (const std::string& q : e.patterns[static_cast<size_t>(g)]) {
    if (q == pattern || q.rfind("re:", 0) == 0) continue;
    switch (g) {
      case PatternGroup::kClasses:
      case PatternGroup::kComponents:
        if (fnmatch((q + "*").c_str(), item.c_str(), 0) == 0) return true;
        break;
      case PatternGroup::kMetaData:
        if (fnmatch(q.c_str(), item.c_str(), 0) == 0) return true;
        break;
      case PatternGroup::kNativeLibs: {
        std::string base = item.substr(item.rfind('/') + 1);
        if (fnmatch(q.c_str(), base.c_str(), 0) == 0) return true;
        break;
      }
      case PatternGroup::kAssets: {
        std::string glob = q.back() == '/' ? q + "*" : q;
        if (fnmatch(glob.c_str(), item.c_str(), q.back() == '/' ? 0 : FNM_PATHNAME) == 0)
          return true;
        break;
      }
      default:
        break;
    }
  }
  return false;
}

const SdkHit* FindHit(const Facts& f, const std::string& id) {
  for (const SdkHit& h : f.sdks)
    if (h.id == id) return &h;
  return nullptr;
}

TEST(SdkEntries, EveryPatternOfEveryEntryIsFoundAndItsNearMissIsNot) {
  const std::string dir = testing::SourceDir() + "/signatures";
  auto db = LoadSignatureDb(dir);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EngineOptions opt;
  opt.signatures_dir = dir;
  auto engine = Engine::Create(opt);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();

  size_t probed = 0, near_misses = 0, shadowed = 0, skipped = 0, entries_probed = 0;
  for (const SdkSignature& e : (*db)->entries()) {
    bool any = false;
    for (size_t gi = 0; gi < kPatternGroupCount; ++gi) {
      const auto g = static_cast<PatternGroup>(gi);
      for (const std::string& pattern : e.patterns[gi]) {
        const std::string item = Item(g, pattern, false);
        if (item.empty()) {
          ++skipped;
          continue;
        }
        Probe probe;
        AddItem(g, item, &probe);
        // `requires`: the SDK needs a hit in one of those groups, so a probe
        // of another group also carries the first required pattern's item.
        if (!e.requires_any.empty() &&
            std::find(e.requires_any.begin(), e.requires_any.end(), g) == e.requires_any.end()) {
          for (PatternGroup rg : e.requires_any) {
            const auto& rp = e.patterns[static_cast<size_t>(rg)];
            if (rp.empty()) continue;
            std::string helper = Item(rg, rp.front(), false);
            if (helper.empty()) continue;
            AddItem(rg, helper, &probe);
            break;
          }
        }
        Facts f = (*engine)->ScanBytes(e.id + ".apk", Apk(probe));
        const SdkHit* hit = FindHit(f, e.id);
        ++probed;
        any = true;
        if (hit == nullptr) {
          ADD_FAILURE() << e.file << ": entry '" << e.id << "': " << PatternGroupName(g)
                        << " pattern '" << pattern << "' did not find the entry from '" << item
                        << "'";
          continue;
        }
        EXPECT_TRUE(hit->confidence == "present" || hit->confidence == "referenced")
            << e.id << " from '" << item << "': confidence " << hit->confidence;
        EXPECT_EQ(hit->category, e.category);

        const std::string miss = Item(g, pattern, true);
        if (MatchedByOther(e, g, pattern, miss)) {
          ++shadowed;
          continue;
        }
        Probe near;
        AddItem(g, miss, &near);
        Facts nf = (*engine)->ScanBytes(e.id + "-near.apk", Apk(near));
        ++near_misses;
        EXPECT_EQ(FindHit(nf, e.id), nullptr)
            << e.file << ": entry '" << e.id << "' is found from the near miss '" << miss
            << "' of its " << PatternGroupName(g) << " pattern '" << pattern
            << "' (too broad a pattern?)";
      }
    }
    if (any) ++entries_probed;
  }
  std::printf("sdk entries: %zu of %zu entries probed through %zu packages, %zu near misses; "
              "%zu near misses another pattern of the entry matches; %zu patterns not probeable "
              "here (objc_classes, symbols, hosts, strings, re:)\n",
              entries_probed, (*db)->entries().size(), probed, near_misses, shadowed, skipped);
  // Every entry with an Android-side pattern was probed.
  size_t android_side = 0;
  for (const SdkSignature& e : (*db)->entries()) {
    bool has = false;
    for (PatternGroup g : {PatternGroup::kClasses, PatternGroup::kComponents,
                           PatternGroup::kNativeLibs, PatternGroup::kAssets,
                           PatternGroup::kFrameworks, PatternGroup::kMetaData}) {
      for (const std::string& p : e.patterns[static_cast<size_t>(g)])
        has = has || p.rfind("re:", 0) != 0;
    }
    if (has) ++android_side;
  }
  EXPECT_EQ(entries_probed, android_side);
  EXPECT_GE((*db)->entries().size(), 650u);
}

}  // namespace
}  // namespace shelfguard
