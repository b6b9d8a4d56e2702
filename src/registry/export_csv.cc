// The CSV form of registry exports (RFC 4180, one row per record).
#include <algorithm>
#include <cctype>
#include <string>
#include <unordered_map>
#include <variant>

#include "registry/export_internal.h"

namespace shelfguard::export_detail {
namespace {

// ---- CSV (RFC 4180) ---------------------------------------------------------

struct CsvRow {
  uint64_t line = 0;  // physical line where the row starts
  std::vector<std::string> fields;
};

// Reads one row starting at *pos; false at the end of input. Quoted fields may
// hold commas, "" and line breaks.
bool NextCsvRow(std::string_view t, size_t* pos, uint64_t* line, CsvRow* row, std::string* err) {
  if (*pos >= t.size()) return false;
  row->line = *line;
  row->fields.clear();
  std::string field;
  bool quoted = false, was_quoted = false;
  size_t i = *pos;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < t.size() && t[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++*line;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      row->fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < t.size() && t[i + 1] == '\n') ++i;
      ++*line;
      ++i;
      break;
    } else {
      field.push_back(c);
    }
  }
  if (quoted) {
    *err = "unterminated quoted field";
    *pos = t.size();
    row->fields.push_back(std::move(field));
    return true;
  }
  row->fields.push_back(std::move(field));
  *pos = i;
  return true;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(';', start);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(start, end - start);
    size_t b = item.find_first_not_of(" \t");
    size_t e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    start = end + 1;
  }
  return out;
}

}  // namespace

Status StreamCsv(std::string_view text, RecordStream* out) {
  const std::string& label = out->label();
  const ExportLimits& limits = out->limits();
  size_t pos = 0;
  uint64_t line = 1;
  CsvRow header;
  std::string err;
  // Skip blank lines before the header.
  while (NextCsvRow(text, &pos, &line, &header, &err)) {
    if (!(header.fields.size() == 1 && header.fields[0].empty())) break;
  }
  if (header.fields.empty() || (header.fields.size() == 1 && header.fields[0].empty())) {
    return Status::Malformed(label + ": empty CSV (no header row)");
  }
  if (!err.empty()) return Status::Malformed(label + ":" + std::to_string(header.line) + ": " + err);
  std::unordered_map<std::string, size_t> col;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    std::string name = header.fields[i];
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    col.emplace(name, i);
  }
  if (!col.count("filing_number") && !col.count("provider_credit_code")) {
    return Status::Malformed(label + ": the CSV header has neither filing_number nor "
                             "provider_credit_code (see docs/registry-format.md)");
  }
  CsvRow row;
  while (NextCsvRow(text, &pos, &line, &row, &err)) {
    if (row.fields.size() == 1 && row.fields[0].empty()) continue;  // blank line
    SG_RETURN_IF_ERROR(out->CountRecord("rows"));
    RecordCheck rc(label, row.line, limits);
    if (!err.empty()) {
      rc.Fail("row", err);
      err.clear();
    }
    if (row.fields.size() > header.fields.size()) {
      rc.Fail("row", "has " + std::to_string(row.fields.size()) + " fields, the header has " +
                         std::to_string(header.fields.size()));
    }
    auto get = [&](const char* name) -> std::string {
      auto it = col.find(name);
      if (it == col.end() || it->second >= row.fields.size()) return "";
      const std::string& v = row.fields[it->second];
      return rc.CheckText(name, v) ? v : "";
    };
    auto list = [&](const char* name) {
      std::vector<std::string> v = SplitList(get(name));
      if (v.size() > limits.max_list_items) {
        rc.Fail(name, "more than " + std::to_string(limits.max_list_items) + " items");
        v.clear();
      }
      return v;
    };
    auto boolean = [&](const char* name) {
      std::string v = get(name);
      std::transform(v.begin(), v.end(), v.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (v.empty() || v == "false" || v == "0" || v == "no") return false;
      if (v == "true" || v == "1" || v == "yes") return true;
      rc.Fail(name, "\"" + v + "\" is not true/false");
      return false;
    };
    std::string record = get("record");
    if (record == "blacklist") {
      BlacklistEntry b;
      b.credit_code = get("provider_credit_code");
      b.since = get("blacklist_since");
      b.until = get("blacklist_until");
      b.reason = get("blacklist_reason");
      ValidateBlacklist(&b, &rc);
      SG_RETURN_IF_ERROR(out->AcceptBlacklist(std::move(b), row.line, &rc));
      continue;
    }
    if (!record.empty() && record != "filing") rc.Fail("record", "must be filing or blacklist");
    Filing f;
    for (const FilingField& field : kFilingFields) {
      FilingSlot slot = field.slot(f);
      if (auto* s = std::get_if<std::string*>(&slot)) {
        **s = get(field.column);
      } else if (auto* o = std::get_if<std::optional<std::string>*>(&slot)) {
        if (std::string v = get(field.column); !v.empty()) **o = std::move(v);  // empty: none
      } else if (auto* l = std::get_if<std::vector<std::string>*>(&slot)) {
        **l = list(field.column);
      } else if (auto* b = std::get_if<bool*>(&slot)) {
        **b = boolean(field.column);
      } else if (std::string v = get(field.column); !v.empty()) {  // the one number: mlps_level
        if (v.size() == 1 && v[0] >= '0' && v[0] <= '9') {
          *std::get<int*>(slot) = v[0] - '0';
        } else {
          rc.Fail(field.column, "\"" + v + "\" is not a level 0-5");
        }
      }
    }
    ValidateFiling(&f, &rc);
    // CSV field names are the column names.
    for (ImportProblem& p : rc.problems()) {
      for (const FilingField& field : kFilingFields) {
        if (*field.object != '\0' && p.field == std::string(field.object) + "." + field.key) p.field = field.column;
      }
    }
    SG_RETURN_IF_ERROR(out->AcceptFiling(std::move(f), row.line, &rc));
  }
  return Status::Ok();
}

}  // namespace shelfguard::export_detail
