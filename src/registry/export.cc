#include "registry/export.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>

#include "ids/identifiers.h"
#include "registry/export_internal.h"
#include "shelfguard/engine.h"

namespace shelfguard {

using export_detail::json;
using export_detail::LineOfOffset;
using export_detail::RecordCheck;
using export_detail::RecordStream;
using export_detail::StreamCsv;
using export_detail::StreamJson;
using export_detail::FilingFromJsonValue;
using export_detail::FilingJsonValue;

Result<ExportReport> StreamExportBytes(std::string_view bytes, const std::string& label,
                                       const ExportLimits& limits, ExportSink* sink) {
  if (bytes.size() > limits.max_bytes) {
    return Status::OverLimit(label + ": " + std::to_string(bytes.size()) +
                             " bytes, over the cap of " + std::to_string(limits.max_bytes));
  }
  ExportReport report;
  report.sha256 = Sha256Hex(bytes);
  std::string_view t = bytes;
  if (t.substr(0, 3) == "\xEF\xBB\xBF") t.remove_prefix(3);  // UTF-8 BOM
  size_t first = t.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return Status::Malformed(label + ": empty export");
  Status st;
  try {
    // A filing takes some 700 bytes of JSON; the estimate only sizes the
    // duplicate index, and is capped by max_records.
    RecordStream stream(label, limits, sink, &report, t.size() / 1024);
    if (t[first] == '{') {
      report.format = "json";
      st = StreamJson(t, &stream);
    } else {
      report.format = "csv";
      st = StreamCsv(t, &stream);
    }
  } catch (const std::exception& e) {  // bad_alloc, json errors: never cross modules
    return Status::Malformed(label + ": " + e.what());
  }
  if (!st.ok()) return st;
  return report;
}

Result<ExportReport> StreamExportFile(const std::string& path, const ExportLimits& limits,
                                      ExportSink* sink, const std::string& label) {
  const std::string& name = label.empty() ? path : label;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("cannot open " + path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::IoError("cannot read " + path + " (not a regular file)");
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > limits.max_bytes) {
    ::close(fd);
    return Status::OverLimit(path + ": " + std::to_string(size) + " bytes, over the cap of " +
                             std::to_string(limits.max_bytes));
  }
  if (size == 0) {
    ::close(fd);
    return StreamExportBytes("", name, limits, sink);
  }
  // Read into an uninitialised buffer (no zero-fill of a large export). Not
  // mmap: a file truncated by someone else while it is parsed would SIGBUS.
  std::unique_ptr<char[]> data;
  try {
    data = std::make_unique_for_overwrite<char[]>(size);
  } catch (const std::exception& e) {
    ::close(fd);
    return Status::OverLimit(path + ": " + e.what());
  }
  uint64_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd, data.get() + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<uint64_t>(n);
  }
  ::close(fd);
  if (got != size) return Status::IoError("cannot read " + path + " (short read)");
  return StreamExportBytes(std::string_view(data.get(), size), name, limits, sink);
}

namespace {

// Keeps every record in memory (ParseExport*: validate, tests, small exports).
class CollectingSink : public ExportSink {
 public:
  explicit CollectingSink(ParsedExport* out) : out_(out) {}
  Status AddFiling(Filing&& f, uint64_t line) override {
    out_->filings.push_back(std::move(f));
    out_->filing_lines.push_back(line);
    return Status::Ok();
  }
  Status AddBlacklist(BlacklistEntry&& b, uint64_t) override {
    out_->blacklist.push_back(std::move(b));
    return Status::Ok();
  }

 private:
  ParsedExport* out_;
};

Result<ParsedExport> Collected(Result<ExportReport> r, ParsedExport&& out) {
  if (!r.ok()) return r.status();
  out.problems = std::move(r->problems);
  out.rejected = std::move(r->rejected);
  out.bad_records = r->bad_records;
  out.problem_count = r->problem_count;
  out.sha256 = std::move(r->sha256);
  out.format = std::move(r->format);
  return std::move(out);
}

}  // namespace

Result<ParsedExport> ParseExportBytes(std::string_view bytes, const std::string& label,
                                      const ExportLimits& limits) {
  ParsedExport out;
  CollectingSink sink(&out);
  return Collected(StreamExportBytes(bytes, label, limits, &sink), std::move(out));
}

Result<ParsedExport> ParseExportFile(const std::string& path, const ExportLimits& limits) {
  ParsedExport out;
  CollectingSink sink(&out);
  return Collected(StreamExportFile(path, limits, &sink), std::move(out));
}

Result<Filing> ParseFilingJson(std::string_view text, const std::string& label) {
  ExportLimits limits;
  if (text.size() > (16u << 20)) return Status::OverLimit(label + ": over 16 MiB");
  json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) return Status::Malformed(label + ": not valid JSON");
  size_t first = text.find('{');
  RecordCheck rc(label, first == std::string_view::npos ? 0 : LineOfOffset(text, first), limits);
  std::optional<Filing> f;
  try {
    f = FilingFromJsonValue(doc, &rc);
  } catch (const std::exception& e) {
    return Status::Malformed(label + ": " + e.what());
  }
  if (!f) {
    std::string msg;
    for (const ImportProblem& p : rc.problems()) {
      if (!msg.empty()) msg += "; ";
      msg += p.ToString();
    }
    return Status::Invalid(msg);
  }
  return *f;
}

std::string FilingToJson(const Filing& f, bool pretty) {
  return FilingJsonValue(f).dump(pretty ? 2 : -1, ' ', false, json::error_handler_t::replace);
}

std::string BlacklistToJson(const BlacklistEntry& b, bool pretty) {
  json j = {{"credit_code", b.credit_code}, {"since", b.since}, {"until", b.until},
            {"reason", b.reason}};
  return j.dump(pretty ? 2 : -1, ' ', false, json::error_handler_t::replace);
}

std::vector<std::string> FilingWarnings(const Filing& f) {
  std::vector<std::string> w;
  if (ids::Check c = ids::ValidateMoeFiling(f.filing_number); !c.ok) {
    w.push_back("filing_number: " + c.problem);
  }
  if (ids::Check c = ids::ValidateCreditCode(f.provider.credit_code); !c.ok) {
    w.push_back("provider.credit_code: " + c.problem);
  }
  const std::string& prov = f.provider.province;
  constexpr size_t kPrefix = std::string_view("教APP备").size();
  if (f.filing_number.size() >= kPrefix + 2 && !prov.empty() &&
      f.filing_number.compare(kPrefix, 2, prov) != 0) {
    w.push_back("filing_number: province prefix " + f.filing_number.substr(kPrefix, 2) +
                " differs from the provider's province " + prov);
  }
  if (f.provider.credit_code.size() == 18 && !prov.empty() &&
      f.provider.credit_code.compare(2, 6, "100000") != 0 &&
      f.provider.credit_code.compare(2, 2, prov) != 0) {
    w.push_back("provider.credit_code: registered in region " + f.provider.credit_code.substr(2, 6) +
                ", not in the provider's province " + prov);
  }
  if (f.icp_number.empty()) {
    w.push_back("icp_number: missing (FILING-ICP-MISSING)");
  } else if (ids::Check c = ids::ValidateIcp(f.icp_number); !c.ok) {
    w.push_back("icp_number: " + c.problem);
  }
  if (f.app_icp_number.empty()) {
    w.push_back("app_icp_number: missing");
  } else if (!ids::IsAppIcp(f.app_icp_number)) {
    w.push_back("app_icp_number: not a valid App filing number (-<n>A)");
  }
  if (f.mlps.filing_number.empty()) w.push_back("mlps.filing_number: missing (FILING-MLPS-MISSING)");
  if (f.category == "subject" && !f.licence_number) {
    w.push_back("licence_number: subject training without a licence (CATEGORY-SUBJECT-UNLICENSED)");
  }
  for (const std::string& a : f.audience) {
    if (a == "preschool" && (f.category == "subject" || f.category == "non-subject")) {
      w.push_back("audience: training for preschool children (CATEGORY-PRESCHOOL)");
    }
  }
  if (f.status != "active") w.push_back("status: " + f.status + " since " + f.status_since);
  return w;
}

}  // namespace shelfguard
