// Fuzzes the report reader (stored results come from a database another
// process wrote) and every renderer on what it accepts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "report/html.h"
#include "report/notice_list.h"
#include "report/report_entry.h"
#include "report/sarif.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool light : {false, true}) {
    auto r = shelfguard::report::ReportFromJson(text, light);
    if (!r.ok()) continue;
    std::vector<shelfguard::report::ReportEntry> entries{{*r, "fuzz", "2026-01-01T00:00:00Z", "s", "r"}};
    (void)shelfguard::report::ToSarif(entries, {});
    (void)shelfguard::report::ToCsv(entries);
    (void)shelfguard::report::PackageHtml(entries);
  }
  return 0;
}
