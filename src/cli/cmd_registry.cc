// `shelfguard registry`: import, sync, show and validate filing records.
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <utility>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "ids/identifiers.h"
#include "net/http.h"
#include "policy/rules.h"
#include "registry/export.h"
#include "registry/registry.h"
#include "registry/sync.h"
#include "report/suppressions.h"

namespace shelfguard::cli {
namespace {

const char kDescription[] =
    "Maintains the local filing registry (a SQLite database) that 'scan --registry'\n"
    "checks packages against. Formats: docs/registry-format.md.";

const char kFooter[] =
    "--db default: $XDG_DATA_HOME/shelfguard/registry.db, else\n"
    "              ~/.local/share/shelfguard/registry.db\n"
    "\n"
    "exit codes: 0 success; 1 bad records were found (import/sync/validate: the\n"
    "            good ones were loaded) or show found nothing; 2 the command failed\n";

struct Args {
  std::string file, db, ca, format = "text";
  long timeout_s = 120;
};

// The database path: --db, else the default (its directory created 0700).
bool ResolveDb(const char* sub, Args* args, bool create_dir) {
  if (!args->db.empty()) return true;
  args->db = DefaultDatabasePath();
  if (create_dir) {
    std::filesystem::path dir = std::filesystem::path(args->db).parent_path();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || ::chmod(dir.c_str(), 0700) != 0) {
      std::fprintf(stderr, "shelfguard registry %s: cannot create %s: %s\n", sub, dir.c_str(),
                   ec ? ec.message().c_str() : std::strerror(errno));
      return false;
    }
  }
  return true;
}

// One line per rejected record: its index in the export (filings[3]), its
// filing number and app ids, and every reason. A line number alone does not
// tell records apart in a minified one-line export.
void PrintRejected(FILE* out, const std::vector<RejectedRecord>& rejected, uint64_t bad) {
  for (const RejectedRecord& r : rejected) std::fprintf(out, "rejected %s\n", r.ToString().c_str());
  if (bad > rejected.size()) {
    std::fprintf(out, "... %llu more rejected records not shown\n",
                 static_cast<unsigned long long>(bad - rejected.size()));
  }
}

void PrintProblems(const std::vector<ImportProblem>& problems, uint64_t bad, uint64_t total,
                   const std::vector<RejectedRecord>& rejected) {
  for (const ImportProblem& p : problems) std::fprintf(stderr, "%s\n", p.ToString().c_str());
  if (total > problems.size()) {
    std::fprintf(stderr, "... %llu more problems not shown\n",
                 static_cast<unsigned long long>(total - problems.size()));
  }
  PrintRejected(stderr, rejected, bad);
  if (bad > 0) {
    std::fprintf(stderr, "%llu bad record(s) rejected\n", static_cast<unsigned long long>(bad));
  }
}

int Import(Args& args) {
  if (!ResolveDb("import", &args, true)) return 2;
  Result<ImportSummary> r = ImportExport(args.file, args.db);
  if (!r.ok()) {
    std::fprintf(stderr, "shelfguard registry import: %s\n", r.status().ToString().c_str());
    return 2;
  }
  PrintProblems(r->problems, r->bad_records, r->problem_count, r->rejected);
  std::printf("imported %llu filings and %llu blacklist entries into %s (version %s)\n",
              static_cast<unsigned long long>(r->filings),
              static_cast<unsigned long long>(r->blacklist), args.db.c_str(), r->version.c_str());
  return r->bad_records > 0 ? 1 : 0;
}

int Sync(Args& args) {
  if (!ResolveDb("sync", &args, true)) return 2;
  net::HttpOptions http;
  http.ca_file = args.ca;
  http.total_timeout_ms = args.timeout_s * 1000;
  http.max_bytes = 1ull << 30;  // the export size cap (ExportLimits::max_bytes)
  Result<SyncResult> r = SyncRegistry(args.file, args.db, http);
  if (!r.ok()) {
    std::fprintf(stderr, "shelfguard registry sync: %s\n", r.status().ToString().c_str());
    return 2;
  }
  if (!r->updated) {
    std::printf("%s is current (HTTP %ld)\n", args.db.c_str(), r->http_status);
    return 0;
  }
  PrintProblems(r->summary.problems, r->summary.bad_records, r->summary.problem_count,
                r->summary.rejected);
  std::printf("synced %llu filings and %llu blacklist entries into %s (version %s)\n",
              static_cast<unsigned long long>(r->summary.filings),
              static_cast<unsigned long long>(r->summary.blacklist), args.db.c_str(),
              r->summary.version.c_str());
  return r->summary.bad_records > 0 ? 1 : 0;
}

void PrintFilingText(const Filing& f) {
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& e : v) s += (s.empty() ? "" : ", ") + e;
    return s.empty() ? std::string("-") : s;
  };
  auto yn = [](bool b) { return b ? "yes" : "no"; };
  std::printf("filing_number:    %s\n", f.filing_number.c_str());
  std::printf("app_name:         %s\n", f.app_name.c_str());
  std::printf("provider:         %s (credit code %s, province %s)\n", f.provider.name.c_str(),
              f.provider.credit_code.c_str(), f.provider.province.c_str());
  std::printf("android_packages: %s\n", list(f.android_packages).c_str());
  std::printf("ios_bundle_ids:   %s\n", list(f.ios_bundle_ids).c_str());
  if (!f.harmony_bundle_names.empty()) {
    std::printf("harmony_bundle_names: %s\n", list(f.harmony_bundle_names).c_str());
  }
  if (!f.mini_program_appids.empty()) {
    std::printf("mini_program_appids:  %s\n", list(f.mini_program_appids).c_str());
  }
  std::printf("icp_number:       %s\n", f.icp_number.empty() ? "-" : f.icp_number.c_str());
  std::printf("app_icp_number:   %s\n", f.app_icp_number.empty() ? "-" : f.app_icp_number.c_str());
  std::printf("mlps:             %s (level %d)\n",
              f.mlps.filing_number.empty() ? "-" : f.mlps.filing_number.c_str(), f.mlps.level);
  std::printf("category:         %s\n", f.category.c_str());
  std::printf("audience:         %s\n", list(f.audience).c_str());
  std::printf("use:              %s\n", f.use.c_str());
  std::printf("licence_number:   %s\n", f.licence_number ? f.licence_number->c_str() : "-");
  std::printf("declared:         permissions: %s\n", list(f.declared.permissions).c_str());
  std::printf("                  ios_usage_keys: %s\n", list(f.declared.ios_usage_keys).c_str());
  std::printf("                  personal_info: %s\n", list(f.declared.personal_info).c_str());
  std::printf("                  sdks: %s\n", list(f.declared.sdks).c_str());
  std::printf("                  biometric: %s (reviewed: %s), payment: %s, live_streaming: %s\n",
              yn(f.declared.biometric), yn(f.declared.biometric_reviewed), yn(f.declared.payment),
              yn(f.declared.live_streaming));
  std::printf("version:          %s\n", f.version.empty() ? "-" : f.version.c_str());
  std::printf("status:           %s%s%s\n", f.status.c_str(),
              f.status_since.empty() ? "" : " since ", f.status_since.c_str());
}

// "in force until 2027-03-01" / "expired on 2027-03-01" / "not yet in force"
// on `today`, so a reader of `registry show` need not do the date sums.
std::string BanText(const BlacklistEntry& b, const std::string& today) {
  policy::BanStatus ban = policy::BlacklistStatus(b, today);
  std::string_view state = ban.state;
  if (state == policy::BanStatus::kExpired) return "expired on " + ban.until;
  if (state == policy::BanStatus::kNotYet) return "not yet in force (from " + b.since + ")";
  return ban.until.empty() ? "in force" : "in force until " + ban.until;
}

nlohmann::json BlacklistJson(const BlacklistEntry& b, const std::string& today) {
  nlohmann::json j = nlohmann::json::parse(BlacklistToJson(b, false), nullptr, false);
  policy::BanStatus ban = policy::BlacklistStatus(b, today);
  j["state"] = ban.state;
  j["effective_until"] = ban.until;
  j["as_of"] = today;
  return j;
}

int Show(Args& args) {
  const std::string today = report::Today();
  if (!ResolveDb("show", &args, false)) return 2;
  Result<std::unique_ptr<Registry>> reg = Registry::Open(args.db);
  if (!reg.ok()) {
    std::fprintf(stderr, "shelfguard registry show: %s\n", reg.status().ToString().c_str());
    return 2;
  }
  const std::string id = ids::NormalizeNumber(args.file);
  std::vector<Filing> found;
  if (auto f = (*reg)->FindByFilingNumber(id)) found.push_back(std::move(*f));
  if (found.empty()) found = (*reg)->FindByCreditCode(id);
  // An app id: each platform's list in turn (a HarmonyOS bundle name or an
  // appid is filed in its own list).
  for (Platform p : {Platform::kAndroid, Platform::kIos, Platform::kHarmony, Platform::kMiniProgram}) {
    if (!found.empty()) break;
    if (auto f = (*reg)->FindByPackage(p, args.file)) found.push_back(std::move(*f));
  }
  // A blacklisted provider may have no filings left.
  std::optional<BlacklistEntry> only_blacklist;
  if (found.empty()) only_blacklist = (*reg)->FindBlacklist(id);

  if (args.format == "json") {
    nlohmann::json out;
    out["query"] = args.file;
    out["registry_version"] = (*reg)->version();
    out["matches"] = nlohmann::json::array();
    for (const Filing& f : found) {
      nlohmann::json m;
      m["filing"] = nlohmann::json::parse(FilingToJson(f, false), nullptr, false);
      m["warnings"] = FilingWarnings(f);
      auto bl = (*reg)->FindBlacklist(f.provider.credit_code);
      m["blacklist"] = bl ? BlacklistJson(*bl, today) : nlohmann::json(nullptr);
      out["matches"].push_back(std::move(m));
    }
    out["blacklist"] =
        only_blacklist ? BlacklistJson(*only_blacklist, today) : nlohmann::json(nullptr);
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    for (size_t i = 0; i < found.size(); ++i) {
      if (i > 0) std::printf("\n");
      PrintFilingText(found[i]);
      if (auto bl = (*reg)->FindBlacklist(found[i].provider.credit_code)) {
        std::printf("blacklist:        since %s%s%s: %s (%s on %s)\n", bl->since.c_str(),
                    bl->until.empty() ? "" : " until ", bl->until.c_str(), bl->reason.c_str(),
                    BanText(*bl, today).c_str(), today.c_str());
      }
      for (const std::string& w : FilingWarnings(found[i])) {
        std::printf("warning:          %s\n", w.c_str());
      }
    }
    if (only_blacklist) {
      std::printf("provider %s has no filings; blacklisted since %s%s%s: %s (%s on %s)\n",
                  only_blacklist->credit_code.c_str(), only_blacklist->since.c_str(),
                  only_blacklist->until.empty() ? "" : " until ", only_blacklist->until.c_str(),
                  only_blacklist->reason.c_str(), BanText(*only_blacklist, today).c_str(),
                  today.c_str());
    }
    if (found.empty() && !only_blacklist) {
      std::fprintf(stderr, "shelfguard registry show: no filing for '%s' in %s\n",
                   args.file.c_str(), args.db.c_str());
    }
  }
  return found.empty() && !only_blacklist ? 1 : 0;
}

int Validate(Args& args) {
  // Streamed: only the problems are kept, whatever the size of the export.
  class CountOnly : public ExportSink {
   public:
    Status AddFiling(Filing&&, uint64_t) override { return Status::Ok(); }
    Status AddBlacklist(BlacklistEntry&&, uint64_t) override { return Status::Ok(); }
  } sink;
  Result<ExportReport> r = StreamExportFile(args.file, ExportLimits(), &sink);
  if (!r.ok()) {
    std::fprintf(stderr, "shelfguard registry validate: %s\n", r.status().ToString().c_str());
    return 2;
  }
  for (const ImportProblem& p : r->problems) std::printf("%s\n", p.ToString().c_str());
  if (r->problem_count > r->problems.size()) {
    std::printf("... %llu more problems not shown\n",
                static_cast<unsigned long long>(r->problem_count - r->problems.size()));
  }
  PrintRejected(stdout, r->rejected, r->bad_records);
  std::printf("%s: %llu valid filings, %llu valid blacklist entries, %llu bad records\n",
              args.file.c_str(), static_cast<unsigned long long>(r->filings),
              static_cast<unsigned long long>(r->blacklist),
              static_cast<unsigned long long>(r->bad_records));
  return r->bad_records > 0 ? 1 : 0;
}

}  // namespace

void SetupRegistry(CLI::App* root) {
  CLI::App* cmd = AddCommand(root, "registry", "import, sync, show or validate filing records");
  cmd->footer(std::string(kDescription) + "\n\n" + kFooter);
  cmd->require_subcommand(1);
  // One subcommand: its FILE/URL/ID argument, --db unless `with_db` is false.
  auto add = [cmd](const char* name, const char* help, const char* arg_type, const char* arg_help,
                   int (*run)(Args&), bool with_db = true) {
    CLI::App* sub = AddCommand(cmd, name, help);
    auto args = std::make_shared<Args>();
    sub->add_option("file", args->file, arg_help)->required()->type_name(arg_type);
    if (with_db) {
      sub->add_option("--db", args->db, "registry database (show: also an export file)")
          ->type_name("PATH");
    }
    sub->footer(kFooter);
    SetRunner(sub, [args, run] { return run(*args); });
    return std::make_pair(sub, args);
  };
  add("import",
      "load a registry export (.json or .csv), replacing the database atomically; bad records "
      "are listed and skipped (exit 1)",
      "FILE", "registry export (.json or .csv)", Import);
  auto [sync, sync_args] = add("sync",
                               "fetch the export over HTTP(S) (conditional GET: If-None-Match / "
                               "If-Modified-Since), validate it and swap it in; on any failure the "
                               "old database keeps serving",
                               "URL", "http or https URL of the export", Sync);
  sync->add_option("--ca", sync_args->ca, "extra CA bundle for https")->type_name("FILE");
  sync->add_option("--timeout", sync_args->timeout_s, "whole-transfer timeout in seconds (default 120)")
      ->type_name("SECONDS")
      ->check(CLI::Range(1L, 86400L).description(""));
  auto [show, show_args] = add("show",
                               "look up a filing by Android package, iOS bundle id, filing number "
                               "(教APP备...) or provider credit code; exit 1 when not found",
                               "ID", "package, bundle id, filing number or credit code", Show);
  AddFormatOption(show, &show_args->format);
  add("validate", "check an export and print every bad record (exit 1 if any)", "FILE",
      "registry export (.json or .csv)", Validate, false);
}

}  // namespace shelfguard::cli
