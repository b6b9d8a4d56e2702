// `shelfguard signatures list|check`: print or validate the SDK signature
// database (signatures/*.json, docs/signature-format.md).
#include <cstdio>
#include <nlohmann/json.hpp>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "signatures/signature_db.h"

namespace shelfguard::cli {
namespace {

const char kSignaturesFooter[] =
    "DIR defaults to $SHELFGUARD_SIGNATURES or the built-in signatures directory.\n"
    "aliases: --dir = --signatures; --json = --format json\n"
    "exit codes: 0 ok; 1 check found problems; 2 usage error or unloadable database\n";

struct SignaturesOptions {
  std::string category, format = "text", dir, check_dir;
};

// `--signatures DIR` (alias `--dir`), the spelling `scan` uses too.
void AddDirOption(CLI::App* cmd, std::string* dir) {
  cmd->add_option("--signatures,--dir", *dir,
                  "signature database directory (default: $SHELFGUARD_SIGNATURES or built-in)")
      ->type_name("DIR");
}

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

int List(const SignaturesOptions& o) {
  const std::string& category = o.category;
  const std::string& format = o.format;
  const std::string dir = o.dir.empty() ? DefaultSignaturesDir() : o.dir;
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

int Check(const SignaturesOptions& o) {
  if (!o.dir.empty() && !o.check_dir.empty() && o.dir != o.check_dir) {
    std::fprintf(stderr, "shelfguard signatures check: give DIR or --signatures DIR, not both\n");
    return 2;
  }
  const std::string dir = !o.check_dir.empty() ? o.check_dir
                          : !o.dir.empty()     ? o.dir
                                               : DefaultSignaturesDir();
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

void AddSignatureBundleCommands(CLI::App* cmd);  // pack, verify, update: cmd_signature_bundle.cc

void SetupSignatures(CLI::App* root) {
  CLI::App* cmd = AddCommand(root, "signatures",
                             "list, check, pack, verify or update the SDK signature database");
  cmd->require_subcommand(1);
  cmd->footer(kSignaturesFooter);
  auto o = std::make_shared<SignaturesOptions>();

  CLI::App* list = AddCommand(cmd, "list",
                              "print every SDK / packer signature: id, category, name, vendor and "
                              "the number of patterns (json: the full entries, with their patterns "
                              "and source)");
  list->add_option("--category", o->category, "only this category (ads, analytics, ...)")
      ->type_name("C");
  AddFormatOption(list, &o->format);
  AddDirOption(list, &o->dir);
  list->footer(kSignaturesFooter);
  SetRunner(list, [o] { return List(*o); });

  CLI::App* check = AddCommand(cmd, "check",
                               "validate the signature files (schema, duplicate ids, bad regular "
                               "expressions, unknown categories or pattern groups, missing source); "
                               "exit 1 on any problem, naming the file and the entry");
  check->add_option("dir", o->check_dir, "signature database directory")->type_name("DIR");
  AddDirOption(check, &o->dir);
  check->footer(kSignaturesFooter);
  SetRunner(check, [o] { return Check(*o); });
  AddSignatureBundleCommands(cmd);
}

}  // namespace shelfguard::cli
