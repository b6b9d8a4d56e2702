// The ELF analyzer: every native library under lib/ of an APK (libs/ of a
// HAP, <module>/lib/ of an App Bundle). All paths go
// into one kNativeLib table (so a packer's stub library is seen even when it
// does not parse); each *.so is parsed (elf_parser.h) into a CodeUnit and
// symbol / string / host tables, with "referenced" from the code walk where
// the architecture supports it (ARM64, ARM32/Thumb, x86-64).
#include "elf/elf_analyzer.h"

#include <cstring>
#include <string>
#include <vector>

#include "code/host_names.h"
#include "elf/elf_parser.h"

namespace shelfguard {
namespace {

bool HasSuffix(std::string_view s, std::string_view suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

class ElfAnalyzer : public ArchiveAnalyzer {
 public:
  using ArchiveAnalyzer::ArchiveAnalyzer;
  const char* name() const override { return "elf"; }

  std::vector<const ArchiveEntry*> WillRead(const Archive& archive) const override {
    std::vector<std::string_view> libs;
    return Select(archive, &libs);
  }

  void AnalyzeArchive(ScanContext* ctx, Archive& archive) override {
    std::vector<std::string_view> libs;
    const std::vector<const ArchiveEntry*> to_parse = Select(archive, &libs);
    ctx->Table(EvidenceKind::kNativeLib, "lib", libs);
    for (const ArchiveEntry* e : to_parse) {
      if (ctx->budget().Expired()) {
        ctx->AddError(ctx->budget().CheckDeadline());
        return;
      }
      auto bytes = archive.Read(*e);
      if (!bytes.ok()) {
        ctx->AddError("elf-unreadable", e->name + ": " + bytes.status().ToString());
        ctx->facts().code.push_back({"elf", e->name, false, AbiOf(e->name), 0, 0, 0, 0, {},
                                     "not analysed: " + bytes.status().code()});
        continue;
      }
      AnalyzeElf(ctx, *bytes, e->name);
    }
  }

 private:
  // Every path under lib/ (or libs/, or a bundle module's lib/) into *libs,
  // and returns the ELF files among them to parse, in directory order.
  std::vector<const ArchiveEntry*> Select(const Archive& archive,
                                          std::vector<std::string_view>* libs) const {
    std::vector<const ArchiveEntry*> to_parse;
    for (const ArchiveEntry& e : archive.entries()) {
      // HarmonyOS HAPs keep theirs under libs/<abi>/, bundles under
      // <module>/lib/<abi>/.
      const std::string_view rel = ApkPath(e.name);
      if (e.directory || (rel.compare(0, 4, "lib/") != 0 && rel.compare(0, 5, "libs/") != 0))
        continue;
      libs->push_back(e.name);
      // lib/<abi>/*.so is what the package manager extracts and
      // System.loadLibrary can load; other files there (packer payloads such
      // as Legu's mix.dex) are left to the DEX analyzer.
      if (!e.duplicate && HasSuffix(rel, ".so")) to_parse.push_back(&e);
    }
    return to_parse;
  }

  std::string AbiOf(std::string_view path) const {
    // lib/<abi>/libx.so
    path = ApkPath(path);
    size_t a = path.find('/');
    size_t b = path.find('/', a + 1);
    return b == std::string_view::npos ? std::string() : std::string(path.substr(a + 1, b - a - 1));
  }

  void AnalyzeElf(ScanContext* ctx, std::string_view bytes, const std::string& path) {
    CodeUnit unit;
    unit.kind = "elf";
    unit.location = path;
    auto parsed = elf::ElfFile::Parse(bytes, &ctx->budget());
    if (!parsed.ok()) {
      // Packers ship deliberately broken or encrypted libraries: an anomaly
      // of the package, not a failure of the scan.
      ctx->AddAnomaly("elf-malformed", path, parsed.status().message());
      unit.arch = AbiOf(path);
      unit.note = "not analysed: " + parsed.status().message();
      ctx->facts().code.push_back(std::move(unit));
      return;
    }
    const elf::ElfFile& f = **parsed;
    for (const Anomaly& a : f.anomalies()) ctx->AddAnomaly(a.code, path, a.detail);
    elf::CodeRefs refs = elf::FindCodeReferences(f, &ctx->budget());
    unit.arch = f.arch();
    unit.symbols = f.dynamic_symbols().size();
    for (std::string_view n : f.needed()) unit.needed.emplace_back(n);
    if (!f.anomalies().empty()) unit.note = "partly malformed: " + f.anomalies().front().code;
    if (!refs.note.empty()) unit.note += (unit.note.empty() ? "" : "; ") + refs.note;

    items_.clear();
    std::vector<bool> ref;
    for (size_t i = 0; i < f.dynamic_symbols().size(); ++i) {
      const elf::Symbol& s = f.dynamic_symbols()[i];
      if (s.name.empty()) continue;
      items_.push_back(s.name);
      ref.push_back(refs.analysed && refs.symbol_referenced[i]);
    }
    ctx->Table(EvidenceKind::kSymbol, path, items_, refs.analysed ? &ref : nullptr);

    items_.clear();
    ref.clear();
    hosts_.Clear();
    for (size_t i = 0; i < f.strings().size(); ++i) {
      std::string_view s = f.strings()[i].text;
      bool r = refs.analysed && refs.string_referenced[i];
      items_.push_back(s);
      ref.push_back(r);
      hosts_.Add(s, r);
      // The filing-number finder only needs texts that can hold a number.
      if (HasDigit(s)) ctx->Text(path, s);
    }
    ctx->Table(EvidenceKind::kString, path, items_, refs.analysed ? &ref : nullptr);
    ctx->Table(EvidenceKind::kHost, path, hosts_.hosts(),
               refs.analysed ? &hosts_.referenced() : nullptr);
    ctx->facts().code.push_back(std::move(unit));
  }

  std::vector<std::string_view> items_;
  HostTable hosts_;
};

}  // namespace

std::unique_ptr<Analyzer> NewElfAnalyzer(bool bundle_modules) {
  return std::make_unique<ElfAnalyzer>(bundle_modules);
}

}  // namespace shelfguard
