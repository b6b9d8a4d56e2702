// `shelfguard signatures list|check`: print or validate the SDK signature
// database (signatures/*.json, docs/signature-format.md).
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "signatures/signature_db.h"

namespace shelfguard::cli {
namespace {

const char kSignaturesHelp[] =
    "usage: shelfguard signatures list [--category C] [--format text|json] [--dir DIR]\n"
    "       shelfguard signatures check [DIR]\n"
    "\n"
    "list   prints every SDK / packer signature: id, category, name, vendor and the\n"
    "       number of patterns (json: the full entries, with their patterns and source)\n"
    "check  validates the signature files (schema, duplicate ids, bad regular\n"
    "       expressions, unknown categories or pattern groups, missing source) and\n"
    "       exits 1 on any problem, naming the file and the entry\n"
    "\n"
    "DIR defaults to $SHELFGUARD_SIGNATURES or the built-in signatures directory.\n"
    "exit codes: 0 ok; 1 check found problems; 2 usage error or unloadable database\n";

nlohmann::json EntryJson(const SdkSignature& e) {
  nlohmann::json j;
  j["id"] = e.id;
  j["name"] = e.name;
  j["vendor"] = e.vendor;
  j["category"] = e.category;
  j["source"] = e.source;
  j["file"] = e.file;
  if (!e.description.empty()) j["description"] = e.description;
  auto groups = [](const std::array<std::vector<std::string>, kPatternGroupCount>& g) {
    nlohmann::json o = nlohmann::json::object();
    for (size_t i = 0; i < kPatternGroupCount; ++i) {
      if (!g[i].empty()) o[PatternGroupName(static_cast<PatternGroup>(i))] = g[i];
    }
    return o;
  };
  j["patterns"] = groups(e.patterns);
  if (!e.requires_any.empty()) {
    j["requires"] = nlohmann::json::array();
    for (PatternGroup g : e.requires_any) j["requires"].push_back(PatternGroupName(g));
  }
  auto na = groups(e.not_alone);
  if (!na.empty()) j["not_alone"] = na;
  auto ex = groups(e.exclude);
  if (!ex.empty()) j["exclude"] = ex;
  if (!e.packer_note.empty()) j["packer"] = {{"note", e.packer_note}};
  return j;
}

int List(int argc, char** argv) {
  std::string category, format = "text", dir = DefaultSignaturesDir();
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string* dst) {
      if (i + 1 >= argc) return false;
      *dst = argv[++i];
      return true;
    };
    bool ok = true;
    if (a == "--category") {
      ok = value(&category);
    } else if (a == "--format") {
      ok = value(&format) && (format == "text" || format == "json");
    } else if (a == "--dir" || a == "--signatures") {
      ok = value(&dir);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "shelfguard signatures list: bad argument '%s'\n%s", argv[i],
                   kSignaturesHelp);
      return 2;
    }
  }
  if (!category.empty() && !IsKnownCategory(category)) {
    std::fprintf(stderr, "shelfguard signatures list: unknown category '%s'; one of:",
                 category.c_str());
    for (const auto& c : KnownCategories()) std::fprintf(stderr, " %s", c.c_str());
    std::fprintf(stderr, "\n");
    return 2;
  }
  auto db = LoadSignatureDb(dir);
  if (!db.ok()) {
    std::fprintf(stderr, "shelfguard signatures list: %s\n", db.status().ToString().c_str());
    return 2;
  }
  if (format == "json") {
    nlohmann::json out;
    out["version"] = (*db)->version();
    out["sdks"] = nlohmann::json::array();
    for (const auto& e : (*db)->entries()) {
      if (category.empty() || e.category == category) out["sdks"].push_back(EntryJson(e));
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  size_t n = 0;
  for (const auto& e : (*db)->entries()) {
    if (!category.empty() && e.category != category) continue;
    size_t patterns = 0;
    for (const auto& g : e.patterns) patterns += g.size();
    std::printf("%-26s %-14s %-3zu %s (%s)\n", e.id.c_str(), e.category.c_str(), patterns,
                e.name.c_str(), e.vendor.c_str());
    ++n;
  }
  std::printf("%zu signatures (database %s)\n", n, (*db)->version().c_str());
  return 0;
}

int Check(int argc, char** argv) {
  std::string dir = DefaultSignaturesDir();
  if (argc > 3) {
    std::fprintf(stderr, "%s", kSignaturesHelp);
    return 2;
  }
  if (argc == 3) dir = argv[2];
  size_t count = 0;
  auto problems = CheckSignatureDir(dir, &count);
  for (const auto& p : problems) std::fprintf(stderr, "%s\n", p.ToString().c_str());
  if (!problems.empty()) {
    std::fprintf(stderr, "%s: %zu problem(s)\n", dir.c_str(), problems.size());
    return 1;
  }
  std::printf("%s: ok, %zu signatures\n", dir.c_str(), count);
  return 0;
}

}  // namespace

int RunSignatures(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "%s", kSignaturesHelp);
    return 2;
  }
  std::string_view sub = argv[1];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(kSignaturesHelp, stdout);
    return 0;
  }
  if (sub == "list") return List(argc, argv);
  if (sub == "check") return Check(argc, argv);
  std::fprintf(stderr, "shelfguard signatures: unknown subcommand '%s'\n%s", argv[1],
               kSignaturesHelp);
  return 2;
}

}  // namespace shelfguard::cli
