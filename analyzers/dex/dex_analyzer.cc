// The DEX analyzer: finds every DEX in the package, parses it (dex_parser.h)
// and turns it into a CodeUnit fact plus class / host / string evidence
// tables and code-string texts.
//
// Where DEX files are looked for:
//   * classes.dex, classes2.dex, ... at the root of the APK (what ART loads);
//   * anywhere else: entries named *.dex / *.odex, and entries under assets/,
//     res/raw/ and lib/ whose first bytes are the DEX magic (packers and
//     plugin frameworks hide code there under other names);
//   * inside nested zip/jar/apk archives (named so, or sniffed by magic under
//     the same folders), up to Limits::max_depth.
// All but the first kind are reported with CodeUnit.extra = true.
#include "dex/dex_analyzer.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "code/host_names.h"
#include "dex/dex_parser.h"

namespace shelfguard {
namespace {

// Sniffing first bytes costs one entry open each; cap it for packages with
// tens of thousands of assets.
constexpr size_t kMaxSniffedEntries = 4096;

bool HasSuffix(std::string_view s, std::string_view suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}
bool HasPrefix(std::string_view s, std::string_view pre) {
  return s.size() >= pre.size() && s.compare(0, pre.size(), pre) == 0;
}

// classes.dex, classes2.dex, classes3.dex ... (ART's multidex naming; "classes1.dex"
// is not loaded). Returns the index (1 for classes.dex) or 0.
int RootClassesDexIndex(std::string_view name) {
  if (!HasPrefix(name, "classes") || !HasSuffix(name, ".dex")) return 0;
  std::string_view digits = name.substr(7, name.size() - 11);
  if (digits.empty()) return 1;
  if (digits.size() > 4 || digits[0] == '0' || digits == "1") return 0;
  int n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + (c - '0');
  }
  return n;
}

// Extensions that never hold code: not worth opening to sniff.
bool IsMediaName(std::string_view n) {
  static constexpr std::string_view kExt[] = {
      ".png", ".jpg", ".jpeg", ".webp", ".gif", ".mp3", ".ogg", ".wav", ".mp4", ".ttf",
      ".otf", ".json", ".xml", ".html", ".js", ".css", ".txt", ".so", ".atlas", ".plist",
      ".fnt", ".svg", ".m4a", ".aac", ".properties", ".csv", ".md"};
  for (std::string_view e : kExt) {
    if (HasSuffix(n, e)) return true;
  }
  return false;
}

bool IsArchiveName(std::string_view n) {
  return HasSuffix(n, ".jar") || HasSuffix(n, ".zip") || HasSuffix(n, ".apk");
}

class DexAnalyzer : public Analyzer {
 public:
  const char* name() const override { return "dex"; }

  void Analyze(ScanContext* ctx) override {
    if (ctx->archive() == nullptr) {
      if (ctx->bare_bytes().empty()) return;
      std::string loc = ctx->facts().file;
      size_t slash = loc.find_last_of('/');
      if (slash != std::string::npos) loc = loc.substr(slash + 1);
      if (loc.empty()) loc = "classes.dex";
      AnalyzeDex(ctx, ctx->bare_bytes(), loc, /*extra=*/false, /*primary=*/true);
      return;
    }
    ScanArchive(ctx, ctx->archive(), "", /*nested=*/false);
  }

  std::vector<const ArchiveEntry*> WillRead(const Archive& archive) const override {
    return PrimaryDex(archive);
  }

 private:
  // classes.dex, classes2.dex, ... at the root, in the order Android loads them.
  static std::vector<const ArchiveEntry*> PrimaryDex(const Archive& archive) {
    std::vector<std::pair<int, const ArchiveEntry*>> primary;
    for (const ArchiveEntry& e : archive.entries()) {
      if (e.directory || e.duplicate) continue;
      if (int idx = RootClassesDexIndex(e.name); idx > 0) primary.emplace_back(idx, &e);
    }
    std::sort(primary.begin(), primary.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<const ArchiveEntry*> out;
    for (const auto& [idx, e] : primary) out.push_back(e);
    return out;
  }

  void ScanArchive(ScanContext* ctx, Archive* archive, const std::string& prefix, bool nested) {
    std::vector<const ArchiveEntry*> extra, archives;
    for (const ArchiveEntry& e : archive->entries()) {
      if (e.directory || e.duplicate) continue;
      std::string_view n = e.name;
      if (!nested && RootClassesDexIndex(n) > 0) continue;  // read through PrimaryDex
      if (HasSuffix(n, ".dex") || HasSuffix(n, ".odex")) {
        extra.push_back(&e);
      } else if (IsArchiveName(n)) {
        archives.push_back(&e);
      } else if ((HasPrefix(n, "assets/") || HasPrefix(n, "res/raw/") || HasPrefix(n, "lib/")) &&
                 !IsMediaName(n) && sniffed_ < kMaxSniffedEntries && e.size >= 0x70) {
        ++sniffed_;
        auto head = archive->Read(e, 4);
        if (!head.ok()) continue;
        if (head->size() == 4 && std::memcmp(head->data(), "dex\n", 4) == 0) {
          extra.push_back(&e);
        } else if (head->size() == 4 && std::memcmp(head->data(), "PK\3\4", 4) == 0) {
          archives.push_back(&e);
        }
      }
    }
    if (!nested) {
      for (const ArchiveEntry* e : PrimaryDex(*archive)) ReadAndAnalyze(ctx, archive, *e, prefix, false);
    }
    for (const ArchiveEntry* e : extra) ReadAndAnalyze(ctx, archive, *e, prefix, true);
    for (const ArchiveEntry* e : archives) {
      if (ctx->budget().Expired()) return;
      uint32_t depth = archive->depth() + 1;
      if (!ctx->budget().CheckDepth(depth).ok()) {
        ctx->AddAnomaly("dex-nested-too-deep", prefix + e->name,
                        "nested archive over max_depth; its code is not analysed");
        continue;
      }
      auto bytes = archive->Read(*e);
      if (!bytes.ok()) {
        ctx->AddError(bytes.status());
        continue;
      }
      if (bytes->size() < 4 || std::memcmp(bytes->data(), "PK\3\4", 4) != 0) continue;
      auto inner = Archive::OpenMemory(std::move(bytes).value(), prefix + e->name,
                                       &ctx->budget(), depth);
      if (!inner.ok()) {
        ctx->AddAnomaly("dex-nested-unreadable", prefix + e->name, inner.status().ToString());
        continue;
      }
      ScanArchive(ctx, inner->get(), prefix + e->name + "!/", /*nested=*/true);
    }
  }

  void ReadAndAnalyze(ScanContext* ctx, Archive* archive, const ArchiveEntry& e,
                      const std::string& prefix, bool extra) {
    if (ctx->budget().Expired()) return;
    std::string loc = prefix + e.name;
    auto bytes = archive->Read(e);
    if (!bytes.ok()) {
      ctx->AddError("dex-unreadable", loc + ": " + bytes.status().ToString());
      ctx->facts().code.push_back({"dex", loc, extra || !prefix.empty(), "", 0, 0, 0, 0, {},
                                   "not analysed: " + bytes.status().code()});
      return;
    }
    AnalyzeDex(ctx, *bytes, loc, extra || !prefix.empty(), !extra && prefix.empty());
  }

  void AnalyzeDex(ScanContext* ctx, std::string_view bytes, const std::string& loc, bool extra,
                  bool primary) {
    CodeUnit unit;
    unit.kind = "dex";
    unit.location = loc;
    unit.extra = extra;
    auto parsed = dex::DexFile::Parse(bytes, &ctx->budget());
    if (!parsed.ok()) {
      // A root classes*.dex that is not DEX is an error (ART would refuse
      // the app); a file elsewhere named .dex may be a packer's encrypted
      // payload, which is worth noting but not fatal.
      std::string msg = loc + ": " + parsed.status().message();
      if (primary) {
        ctx->AddError("dex-malformed", msg);
      } else {
        ctx->AddAnomaly("dex-malformed", loc, parsed.status().message());
      }
      unit.note = "not analysed: " + parsed.status().message();
      ctx->facts().code.push_back(std::move(unit));
      return;
    }
    const dex::DexFile& f = **parsed;
    for (const Anomaly& a : f.anomalies()) ctx->AddAnomaly(a.code, loc, a.detail);
    unit.classes = f.classes().size();
    unit.strings = f.strings().size();
    unit.methods = f.methods().size();
    unit.arch = "dex" + std::to_string(f.version());
    if (!f.anomalies().empty()) unit.note = "partly malformed: " + f.anomalies().front().code;
    if (!f.code_complete() && unit.note.empty()) unit.note = "code partly walked";

    // Classes: every class defined, dotted, in one buffer (no per-name
    // allocation); referenced = code of another package uses it.
    {
      size_t total = 0;
      for (const dex::ClassDef& c : f.classes()) total += f.TypeDescriptor(c.class_idx).size();
      names_.clear();
      names_.reserve(total);
      std::vector<size_t> ends;
      ends.reserve(f.classes().size());
      std::vector<bool> ref;
      ref.reserve(f.classes().size());
      for (const dex::ClassDef& c : f.classes()) {
        dex::DexFile::AppendDottedName(f.TypeDescriptor(c.class_idx), &names_);
        ends.push_back(names_.size());
        bool r = c.class_idx < f.type_flags().size() &&
                 (f.type_flags()[c.class_idx] & dex::kRefOutside) != 0;
        ref.push_back(r);
      }
      items_.clear();
      size_t start = 0;
      for (size_t end : ends) {
        items_.emplace_back(names_.data() + start, end - start);
        start = end;
      }
      ctx->Table(EvidenceKind::kClass, loc, items_, &ref);
    }

    // String constants: strings that are not only structure (descriptors,
    // member names, shorties), plus any that code loads.
    {
      items_.clear();
      std::vector<bool> ref;
      hosts_.Clear();
      const auto& flags = f.string_flags();
      for (size_t i = 0; i < f.strings().size(); ++i) {
        uint8_t fl = flags[i];
        bool loaded = (fl & dex::kLoadedByCode) != 0;
        if ((fl & dex::kStructural) != 0 && !loaded) continue;
        std::string_view s = f.strings()[i];
        if (s.empty()) continue;
        items_.push_back(s);
        ref.push_back(loaded);
        // A host name is dotted (host_names.h); a filing number has digits.
        if ((fl & dex::kHasDot) != 0) hosts_.Add(s, loaded);
        if ((fl & dex::kHasDigit) != 0) ctx->Text(loc, s);
      }
      ctx->Table(EvidenceKind::kString, loc, items_, &ref);
      ctx->Table(EvidenceKind::kHost, loc, hosts_.hosts(), &hosts_.referenced());
    }
    ctx->facts().code.push_back(std::move(unit));
  }

  size_t sniffed_ = 0;
  // Scratch reused across DEX files to avoid re-allocating per file.
  std::string names_;
  std::vector<std::string_view> items_;
  HostTable hosts_;
};

}  // namespace

std::unique_ptr<Analyzer> NewDexAnalyzer() { return std::make_unique<DexAnalyzer>(); }

}  // namespace shelfguard
