// The iOS analyzer: IPA layout, Info.plist, .strings, embedded.mobileprovision,
// the main executable and embedded frameworks (Mach-O), turned into facts,
// evidence tables and texts.
#include "ios/ios_analyzer.h"

#include <algorithm>
#include <set>

#include "ios/ipa_layout.h"
#include "macho/macho_parser.h"
#include "plist/plist_reader.h"

namespace shelfguard {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxInfoPlistBytes = plist::kMaxPlistBytes;
constexpr uint64_t kMaxProfileBytes = 2u << 20;
constexpr size_t kMaxFrameworkBinaries = 64;
constexpr uint64_t kMaxFrameworkBytes = 512ull << 20;  // all embedded binaries together
constexpr size_t kMaxStringsFiles = 4000;
constexpr uint64_t kMaxTextFileBytes = 1u << 20;
constexpr uint64_t kMaxTextTotalBytes = 32u << 20;
constexpr size_t kMaxTextsPerBinary = 200000;

bool EndsWith(std::string_view s, std::string_view suf) {
  return s.size() >= suf.size() && s.substr(s.size() - suf.size()) == suf;
}
bool StartsWith(std::string_view s, std::string_view pre) {
  return s.size() >= pre.size() && s.substr(0, pre.size()) == pre;
}
std::string Lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

std::string Str(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer() || it->is_number_unsigned()) return std::to_string(it->get<uint64_t>());
  if (it->is_number_float()) return plist::ToJsonText(*it);
  return "";
}

// Privacy keys that do not follow the NS*UsageDescription spelling, plus
// dictionary-valued purpose strings (docs/ios.md lists the full set).
bool IsUsageKey(std::string_view k) {
  if (EndsWith(k, "UsageDescription")) return true;
  return k == "NSLocationTemporaryUsageDescriptionDictionary" || k == "NSSensorKitUsageDetail" ||
         k == "NSHealthRequiredReadAuthorizationTypeIdentifiers";
}

std::string DeviceFamily(int64_t v) {
  switch (v) {
    case 1: return "iphone";
    case 2: return "ipad";
    case 3: return "tv";
    case 4: return "watch";
    case 6: return "mac";
    case 7: return "vision";
    default: return "family-" + std::to_string(v);
  }
}

// Host names in a code string: URL authorities and bare dotted names.
void ExtractHosts(std::string_view s, std::set<std::string>* out) {
  static const char* kNotTld[] = {"png", "jpg", "jpeg", "gif", "plist", "json", "js", "html", "htm",
                                  "css", "txt", "xml", "m", "h", "mm", "c", "cc", "cpp", "swift",
                                  "framework", "dylib", "nib", "storyboard", "strings", "app",
                                  "bundle", "db", "sqlite", "mp3", "mp4", "wav", "zip", "a", "o",
                                  "so", "ttf", "otf", "pdf", "car", "lproj", "appex", "caf", "aac"};
  auto valid_host = [&](std::string_view h) -> bool {
    if (h.size() < 4 || h.size() > 253 || h.find('.') == std::string_view::npos) return false;
    for (char c : h) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) return false;
    }
    if (h.front() == '.' || h.back() == '.' || h.find("..") != std::string_view::npos) return false;
    std::string tld = Lower(h.substr(h.rfind('.') + 1));
    if (tld.size() < 2 || tld.size() > 12) return false;
    for (char c : tld) {
      if (!std::isalpha(static_cast<unsigned char>(c))) return false;
    }
    for (const char* bad : kNotTld) {
      if (tld == bad) return false;
    }
    return true;
  };
  size_t p = s.find("://");
  while (p != std::string_view::npos) {
    size_t start = p + 3, end = start;
    while (end < s.size() && s[end] != '/' && s[end] != ':' && s[end] != '?' && s[end] != '#' &&
           s[end] != '"' && s[end] != '\'' && !std::isspace(static_cast<unsigned char>(s[end])))
      ++end;
    std::string_view host = s.substr(start, end - start);
    if (size_t at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
    if (valid_host(host)) out->insert(Lower(host));
    p = s.find("://", end);
  }
  if (s.find('/') == std::string_view::npos && valid_host(s) &&
      std::count(s.begin(), s.end(), '.') >= 1 && std::islower(static_cast<unsigned char>(s[0])))
    out->insert(Lower(s));
}

// A parser's anomalies, located in the file `where`: the parser's location
// names the structure inside it.
void AddAnomalies(ScanContext* ctx, std::string_view where, const std::vector<Anomaly>& v) {
  for (const Anomaly& a : v) ctx->AddAnomaly(a.code, std::string(where) + " " + a.location, a.detail);
}

class IosAnalyzer : public Analyzer {
 public:
  const char* name() const override { return "ios"; }
  void Analyze(ScanContext* ctx) override;

 private:
  void InfoPlist(ScanContext* ctx, const ios::IpaLayout& l, const json& info);
  void Texts(ScanContext* ctx, std::string_view location, const json& v, int depth);
  void Profile(ScanContext* ctx, const ios::BundleEntry& e);
  void Entitlements(ScanContext* ctx, std::string_view location, std::string_view xml,
                    bool overwrite);
  // Returns the parsed file's deep slice's cryptid (0 when absent).
  uint32_t MachO(ScanContext* ctx, const std::string& location, const std::string& bytes,
                 bool main_binary);
  void StringsFile(ScanContext* ctx, const ios::BundleEntry& e);

  Archive* archive_ = nullptr;
};

void IosAnalyzer::Texts(ScanContext* ctx, std::string_view location, const json& v, int depth) {
  if (depth > 8) return;
  if (v.is_string()) {
    ctx->Text(location, v.get_ref<const std::string&>());
  } else if (v.is_array()) {
    for (const auto& x : v) Texts(ctx, location, x, depth + 1);
  } else if (v.is_object()) {
    for (const auto& [k, x] : v.items()) Texts(ctx, std::string(location) + "/" + k, x, depth + 1);
  }
}

void IosAnalyzer::InfoPlist(ScanContext* ctx, const ios::IpaLayout& l, const json& info) {
  Facts& f = ctx->facts();
  PackageIdentity& p = f.package;
  p.platform = Platform::kIos;
  p.id = Str(info, "CFBundleIdentifier");
  p.label = Str(info, "CFBundleDisplayName");
  if (p.label.empty()) p.label = Str(info, "CFBundleName");
  p.version_name = Str(info, "CFBundleShortVersionString");
  p.version_code = Str(info, "CFBundleVersion");
  p.min_os = Str(info, "MinimumOSVersion");
  if (p.min_os.empty()) p.min_os = Str(info, "LSMinimumSystemVersion");
  if (auto it = info.find("UIDeviceFamily"); it != info.end()) {
    json fams = it->is_array() ? *it : json::array({*it});
    for (const auto& v : fams) {
      if (v.is_number_integer()) {
        p.device_families.push_back(DeviceFamily(v.get<int64_t>()));
      } else if (v.is_string()) {
        try {
          p.device_families.push_back(DeviceFamily(std::stoll(v.get<std::string>())));
        } catch (...) {
          p.device_families.push_back(v.get<std::string>());
        }
      }
    }
  }
  IosFacts& io = f.ios;
  for (const auto& [k, v] : info.items()) {
    if (!IsUsageKey(k)) continue;
    io.usage_descriptions[k] = v.is_string() ? v.get<std::string>() : plist::ToJsonText(v);
  }
  if (auto ats = info.find("NSAppTransportSecurity"); ats != info.end() && ats->is_object()) {
    auto arb = ats->find("NSAllowsArbitraryLoads");
    io.ats_arbitrary_loads = arb != ats->end() && arb->is_boolean() && arb->get<bool>();
    if (auto dom = ats->find("NSExceptionDomains"); dom != ats->end() && dom->is_object()) {
      for (const auto& [d, cfg] : dom->items()) io.ats_exception_domains.push_back(d);
    }
  }
  if (auto types = info.find("CFBundleURLTypes"); types != info.end() && types->is_array()) {
    for (const auto& t : *types) {
      if (!t.is_object()) continue;
      auto schemes = t.find("CFBundleURLSchemes");
      if (schemes == t.end() || !schemes->is_array()) continue;
      for (const auto& s : *schemes) {
        if (s.is_string()) io.url_schemes.push_back(s.get<std::string>());
      }
    }
  }
  if (auto q = info.find("LSApplicationQueriesSchemes"); q != info.end() && q->is_array()) {
    for (const auto& s : *q) {
      if (s.is_string()) io.queried_schemes.push_back(s.get<std::string>());
    }
  }
  std::string loc = l.root_display + "Info.plist:";
  for (const auto& [k, v] : info.items()) Texts(ctx, loc + k, v, 0);
}

void IosAnalyzer::Entitlements(ScanContext* ctx, std::string_view location, std::string_view xml,
                               bool overwrite) {
  auto parsed = plist::ParsePlist(xml, &ctx->budget());
  if (!parsed.ok() || !parsed->root.is_object()) {
    ctx->AddAnomaly("ios-bad-entitlements", std::string(location),
                    parsed.ok() ? "entitlements are not a dictionary" : parsed.status().message());
    return;
  }
  AddAnomalies(ctx, location, parsed->anomalies);
  const json& ent = parsed->root;
  auto& m = ctx->facts().ios.entitlements;
  for (const auto& [k, v] : ent.items()) {
    if (overwrite || !m.count(k)) m[k] = plist::ToJsonText(v);
  }
  if (ctx->facts().ios.team_id.empty()) {
    auto it = ent.find("com.apple.developer.team-identifier");
    if (it != ent.end() && it->is_string()) ctx->facts().ios.team_id = it->get<std::string>();
  }
}

void IosAnalyzer::Profile(ScanContext* ctx, const ios::BundleEntry& e) {
  auto bytes = archive_->Read(*e.entry, kMaxProfileBytes);
  if (!bytes.ok()) {
    ctx->AddAnomaly("ios-bad-provisioning", e.display, bytes.status().message());
    return;
  }
  std::string body;
  auto inner = plist::UnwrapCms(*bytes);
  if (inner.ok()) {
    body = std::move(inner).value();
  } else {
    // Fall back to the plain-text plist Apple embeds unencrypted in the envelope.
    size_t a = bytes->find("<?xml"), b = bytes->find("</plist>");
    if (a == std::string::npos || b == std::string::npos || b < a) {
      ctx->AddAnomaly("ios-bad-provisioning", e.display,
                      "CMS envelope: " + inner.status().message());
      return;
    }
    ctx->AddAnomaly("ios-bad-provisioning", e.display,
                    "CMS envelope does not parse (" + inner.status().message() +
                        "); plist located by scanning");
    body = bytes->substr(a, b + 8 - a);
  }
  auto parsed = plist::ParsePlist(body, &ctx->budget());
  if (!parsed.ok() || !parsed->root.is_object()) {
    ctx->AddAnomaly("ios-bad-provisioning", e.display,
                    parsed.ok() ? "profile is not a dictionary" : parsed.status().message());
    return;
  }
  AddAnomalies(ctx, e.display, parsed->anomalies);
  const json* prof = &parsed->root;
  IosFacts& io = ctx->facts().ios;
  if (auto t = prof->find("TeamIdentifier"); t != prof->end() && t->is_array() && !t->empty() &&
                                             (*t)[0].is_string()) {
    io.team_id = (*t)[0].get<std::string>();
  }
  if (auto ent = prof->find("Entitlements"); ent != prof->end() && ent->is_object()) {
    for (const auto& [k, v] : ent->items()) {
      // The binary's signature is what the app runs with; the profile fills gaps.
      if (!io.entitlements.count(k)) io.entitlements[k] = plist::ToJsonText(v);
    }
  }
}

uint32_t IosAnalyzer::MachO(ScanContext* ctx, const std::string& location, const std::string& bytes,
                            bool main_binary) {
  Facts& f = ctx->facts();
  CodeUnit cu;
  cu.kind = "macho";
  cu.location = location;
  cu.extra = !main_binary;
  auto parsed = macho::Parse(bytes, &ctx->budget());
  if (!parsed.ok()) {
    cu.note = "not analysed: " + parsed.status().message();
    ctx->AddAnomaly("macho-malformed", location, parsed.status().message());
    f.code.push_back(std::move(cu));
    return 0;
  }
  const macho::File& file = *parsed;
  std::vector<std::string> archs;
  uint32_t cryptid = 0;
  for (const auto& s : file.slices) {
    archs.push_back(s.arch);
    if (s.cryptid != 0) cryptid = s.cryptid;
    AddAnomalies(ctx, location + " (" + s.arch + ")", s.anomalies);
  }
  AddAnomalies(ctx, location, file.anomalies);
  for (size_t i = 0; i < archs.size(); ++i) cu.arch += (i ? "," : "") + archs[i];
  if (main_binary) f.ios.architectures = archs;
  if (file.deep_slice < 0) {
    cu.note = "no analysable architecture";
    f.code.push_back(std::move(cu));
    return cryptid;
  }
  const macho::Slice& s = file.slices[file.deep_slice];
  for (const auto& d : s.dylibs) cu.needed.push_back(d.path);
  cu.classes = s.objc_classes.size();
  cu.strings = s.cstrings.size();
  cu.methods = s.selectors.size();
  cu.symbols = s.imported_symbols.size() + s.exported_symbols.size();
  if (cryptid != 0) {
    cu.note = "encrypted (cryptid=" + std::to_string(cryptid) + "): code and strings not analysed";
  } else if (!s.anomalies.empty()) {
    cu.note = "partially parsed";
  } else if (!s.disassembled) {
    cu.note = "code references not resolved for " + s.arch;
  }
  if (main_binary && f.package.min_os.empty()) f.package.min_os = s.min_os;
  if (!s.entitlements.empty()) Entitlements(ctx, location, s.entitlements, main_binary);
  if (main_binary && !s.team_id.empty() && f.ios.team_id.empty()) f.ios.team_id = s.team_id;

  ctx->Table(EvidenceKind::kObjcClass, location, s.objc_classes,
             s.disassembled ? &s.objc_class_referenced : nullptr);
  std::vector<std::string_view> dylibs;
  for (const auto& d : s.dylibs) dylibs.push_back(d.path);
  ctx->Table(EvidenceKind::kFramework, location, dylibs);
  std::vector<std::string_view> syms = s.imported_symbols;
  syms.insert(syms.end(), s.exported_symbols.begin(), s.exported_symbols.end());
  ctx->Table(EvidenceKind::kSymbol, location, syms);
  std::vector<std::string_view> strs;
  std::vector<bool> refs;
  strs.reserve(s.selectors.size() + s.cstrings.size());
  for (const auto& x : s.selectors) {
    strs.push_back(x.text);
    refs.push_back(x.referenced);
  }
  std::set<std::string> hosts;
  for (const auto& x : s.cstrings) {
    strs.push_back(x.text);
    refs.push_back(x.referenced);
    ExtractHosts(x.text, &hosts);
  }
  ctx->Table(EvidenceKind::kString, location, strs, s.disassembled ? &refs : nullptr);
  std::vector<std::string_view> host_views(hosts.begin(), hosts.end());
  ctx->Table(EvidenceKind::kHost, location, host_views);
  size_t texts = 0;
  for (const auto& x : s.cstrings) {
    if (++texts > kMaxTextsPerBinary) break;
    ctx->Text(location, x.text);
  }
  f.code.push_back(std::move(cu));
  return cryptid;
}

void IosAnalyzer::StringsFile(ScanContext* ctx, const ios::BundleEntry& e) {
  auto bytes = archive_->Read(*e.entry, plist::kMaxStringsBytes);
  if (!bytes.ok()) {
    ctx->AddAnomaly("strings-unreadable", e.display, bytes.status().message());
    return;
  }
  auto parsed = plist::ParseStrings(*bytes, &ctx->budget());
  if (!parsed.ok()) {
    ctx->AddAnomaly("strings-malformed", e.display, parsed.status().message());
    return;
  }
  AddAnomalies(ctx, e.display, parsed->anomalies);
  for (const auto& kv : parsed->entries) ctx->Text(e.display + ":" + kv.key, kv.value);
}

void IosAnalyzer::Analyze(ScanContext* ctx) {
  archive_ = ctx->archive();
  Facts& f = ctx->facts();
  f.package.platform = Platform::kIos;
  if (archive_ == nullptr) {
    ctx->AddError("ipa-not-an-archive", "iOS analysis needs an IPA (zip) container");
    return;
  }
  auto layout_r = ios::FindAppBundle(*archive_);
  if (!layout_r.ok()) {
    ctx->AddError(layout_r.status());
    return;
  }
  const ios::IpaLayout& l = *layout_r;
  for (const auto& a : l.anomalies) f.anomalies.push_back(a);

  // Index the bundle once.
  const ios::BundleEntry* info_e = nullptr;
  const ios::BundleEntry* profile_e = nullptr;
  std::vector<const ios::BundleEntry*> strings_files, text_files;
  std::set<std::string> frameworks, dylibs, extensions;
  for (const auto& e : l.entries) {
    const std::string& rel = e.rel;
    if (rel == "Info.plist") info_e = &e;
    if (rel == "embedded.mobileprovision") profile_e = &e;
    if (e.entry->directory) continue;
    std::string low = Lower(rel);
    if (EndsWith(low, ".strings")) strings_files.push_back(&e);
    if (EndsWith(low, ".html") || EndsWith(low, ".htm") || EndsWith(low, ".js") ||
        EndsWith(low, ".json") || EndsWith(low, ".txt"))
      text_files.push_back(&e);
  }
  for (const auto& e : l.entries) {
    const std::string& rel = e.rel;
    if (StartsWith(rel, "Frameworks/")) {
      std::string_view rest = std::string_view(rel).substr(11);
      size_t slash = rest.find('/');
      std::string_view first = rest.substr(0, slash);
      if (EndsWith(first, ".framework")) {
        frameworks.insert(std::string(first));
      } else if (slash == std::string_view::npos && EndsWith(first, ".dylib")) {
        dylibs.insert(std::string(first));
      }
    } else if (StartsWith(rel, "PlugIns/")) {
      std::string_view rest = std::string_view(rel).substr(8);
      std::string_view first = rest.substr(0, rest.find('/'));
      if (EndsWith(first, ".appex")) extensions.insert(std::string(first));
    }
  }
  f.ios.frameworks.assign(frameworks.begin(), frameworks.end());
  f.ios.dylibs.assign(dylibs.begin(), dylibs.end());
  f.ios.extensions.assign(extensions.begin(), extensions.end());

  json info = json::object();
  if (info_e == nullptr) {
    ctx->AddError("ipa-no-info-plist", l.root_display + "Info.plist is missing");
  } else {
    auto bytes = archive_->Read(*info_e->entry, kMaxInfoPlistBytes);
    auto parsed = bytes.ok() ? plist::ParsePlist(*bytes, &ctx->budget())
                             : Result<plist::Plist>(bytes.status());
    if (!parsed.ok() || !parsed->root.is_object()) {
      ctx->AddError("ipa-bad-info-plist",
                    info_e->display + ": " +
                        (parsed.ok() ? "not a dictionary" : parsed.status().message()));
    } else {
      AddAnomalies(ctx, info_e->display, parsed->anomalies);
      info = std::move(parsed->root);
      InfoPlist(ctx, l, info);
    }
  }

  // The main executable.
  std::string exe = Str(info, "CFBundleExecutable");
  if (exe.empty()) exe = l.app_name;
  f.ios.executable = exe;
  const ios::BundleEntry* exe_e = nullptr;
  for (const auto& e : l.entries) {
    if (e.rel == exe && !e.entry->directory) exe_e = &e;
  }
  uint32_t cryptid = 0;
  if (exe_e == nullptr || exe_e->entry->size == 0) {
    ctx->AddError("ipa-no-executable",
                  l.root_display + exe +
                      (exe_e == nullptr ? ": main executable (CFBundleExecutable) is missing"
                                        : ": main executable is empty"));
  } else {
    auto bytes = archive_->Read(*exe_e->entry);
    if (!bytes.ok()) {
      ctx->AddError(bytes.status().code(), exe_e->display + ": " + bytes.status().message());
    } else {
      cryptid = MachO(ctx, exe_e->display, *bytes, true);
    }
  }
  if (cryptid != 0) {
    f.ios.encrypted = true;
    f.packer.packed = true;
    if (std::find(f.packer.names.begin(), f.packer.names.end(), "FairPlay") == f.packer.names.end())
      f.packer.names.push_back("FairPlay");
    f.packer.not_analysed.push_back(
        f.ios.executable + ": FairPlay-encrypted (cryptid=" + std::to_string(cryptid) +
        "); its code, C strings, Objective-C metadata and code references were not analysed "
        "(load commands, symbols and linked libraries were)");
  }

  if (profile_e != nullptr && !profile_e->entry->directory) Profile(ctx, *profile_e);

  // Embedded frameworks and dylibs, bounded.
  std::vector<std::string_view> fw_items;
  for (const auto& n : frameworks) fw_items.push_back(n);
  for (const auto& n : dylibs) fw_items.push_back(n);
  ctx->Table(EvidenceKind::kFramework, l.root_display + "Frameworks/", fw_items);
  size_t analysed = 0;
  uint64_t bytes_read = 0;
  for (const auto& e : l.entries) {
    if (e.entry->directory || !StartsWith(e.rel, "Frameworks/")) continue;
    std::string_view rest = std::string_view(e.rel).substr(11);
    bool is_bin = false;
    size_t slash = rest.find('/');
    if (slash != std::string_view::npos && EndsWith(rest.substr(0, slash), ".framework")) {
      std::string_view name = rest.substr(0, slash - 10);
      is_bin = rest.substr(slash + 1) == name;
    } else if (slash == std::string_view::npos && EndsWith(rest, ".dylib")) {
      // Apple's Swift runtime copies are not third-party code.
      is_bin = !StartsWith(rest, "libswift");
    }
    if (!is_bin || e.entry->size == 0) continue;
    if (analysed >= kMaxFrameworkBinaries || bytes_read + e.entry->size > kMaxFrameworkBytes) {
      ctx->AddAnomaly("ios-framework-skipped", e.display,
                      "over the embedded-binary caps; names only");
      continue;
    }
    if (ctx->budget().Expired()) break;
    auto bytes = archive_->Read(*e.entry);
    if (!bytes.ok()) {
      ctx->AddAnomaly("ios-framework-unreadable", e.display, bytes.status().message());
      continue;
    }
    ++analysed;
    bytes_read += bytes->size();
    MachO(ctx, e.display, *bytes, false);
  }

  // Texts for the filing-number finder.
  size_t nstrings = 0;
  for (const auto* e : strings_files) {
    if (++nstrings > kMaxStringsFiles || ctx->budget().Expired()) break;
    StringsFile(ctx, *e);
  }
  // A manifest-only scan reads identity only (its --help says so): no
  // HTML/JS/JSON/text assets.
  if (f.scope == "manifest") text_files.clear();
  uint64_t text_total = 0;
  for (const auto* e : text_files) {
    if (text_total >= kMaxTextTotalBytes || ctx->budget().Expired()) break;
    auto bytes = archive_->Read(*e->entry, kMaxTextFileBytes);
    if (!bytes.ok()) continue;
    text_total += bytes->size();
    ctx->Text(e->display, *bytes);
  }
}

}  // namespace

std::unique_ptr<Analyzer> NewIosAnalyzer() { return std::make_unique<IosAnalyzer>(); }

}  // namespace shelfguard
