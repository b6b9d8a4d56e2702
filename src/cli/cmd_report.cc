// `shelfguard report`: a sweep report from shelfguardd's stored results
// (docs/reports.md).
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "report/notice_list.h"
#include "report/sarif.h"
#include "report/sweep.h"

namespace shelfguard::cli {
namespace {

struct ReportOptions {
  report::SweepOptions sweep;
  std::string format;
  std::string output;
};

int Fail(const std::string& msg) {
  std::fprintf(stderr, "shelfguard report: %s\n", msg.c_str());
  return 2;
}

// Writes `text` to `path` ("-": standard output).
Status WriteOutput(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return Status::Ok();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::IoError(path + ": cannot write the report");
  return Status::Ok();
}

int RunReport(const ReportOptions& o) {
  auto sweep = report::LoadSweep(o.sweep);
  if (!sweep.ok()) return Fail(sweep.status().message());
  Status st;
  if (o.format == "html") {
    st = WriteOutput(o.output, report::SweepHtml(*sweep));
  } else if (o.format == "json") {
    st = WriteOutput(o.output, report::SweepJson(*sweep));
  } else if (o.format == "csv") {
    st = WriteOutput(o.output, report::ToCsv(sweep->latest));
  } else if (o.format == "sarif") {
    st = WriteOutput(o.output, report::ToSarif(sweep->latest, {}));
  } else if (o.output == "-") {
    return Fail("--format xlsx needs --output FILE");
  } else {
    st = report::WriteXlsx(sweep->latest, o.output, report::SweepTables(*sweep));
  }
  if (!st.ok()) return Fail(st.message());
  std::fprintf(stderr, "shelfguard report: read %lld results (%zu apps; %lld earlier results for comparison%s), wrote %s\n",
               static_cast<long long>(sweep->results_read), sweep->latest.size(),
               static_cast<long long>(sweep->baseline_read),
               sweep->unreadable ? (", " + std::to_string(sweep->unreadable) + " unreadable skipped").c_str() : "",
               o.output.c_str());
  return 0;
}

}  // namespace

void SetupReport(CLI::App* root) {
  CLI::App* cmd = AddCommand(root, "report", "write a sweep report from shelfguardd's stored results");
  cmd->footer(
      "Reads the daemon's database read-only and writes totals by verdict, violations by rule,\n"
      "provider, source and day (charts in html), the top providers and apps, and the violations\n"
      "new and fixed since each app's previous result from the same source (docs/reports.md).");
  auto o = std::make_shared<ReportOptions>();
  CLI::Option* state = cmd->add_option("--state", o->sweep.state_dir, "the daemon's state directory (its queue.db)")
                           ->type_name("DIR");
  CLI::Option* db = cmd->add_option("--db", o->sweep.db_path, "the daemon's database file")->type_name("FILE");
  state->excludes(db);
  db->excludes(state);
  cmd->add_option("--since", o->sweep.since, "first day (UTC, inclusive)")->type_name("YYYY-MM-DD");
  cmd->add_option("--until", o->sweep.until, "last day (UTC, inclusive)")->type_name("YYYY-MM-DD");
  cmd->add_option("--source", o->sweep.source, "only this job source (feed:NAME, dir:NAME, spool, submit) or NAME")
      ->type_name("NAME");
  cmd->add_option("--top", o->sweep.top, "rows in the top providers / apps tables (default 20)")
      ->type_name("N")
      ->check(CLI::Range(1, 100000).description(""));
  cmd->add_option("--format", o->format, "output format")
      ->type_name("html|csv|xlsx|sarif|json")
      ->required()
      ->check(CLI::IsMember({"html", "csv", "xlsx", "sarif", "json"}));
  cmd->add_option("-o,--output,--out", o->output, "file to write ('-': standard output, not for xlsx)")
      ->required()
      ->type_name("FILE");
  SetRunner(cmd, [o] {
    if (o->sweep.state_dir.empty() && o->sweep.db_path.empty()) return Fail("give --state DIR or --db FILE");
    return RunReport(*o);
  });
}

}  // namespace shelfguard::cli
