// `registry sync`: keeps a registry database current from an HTTP(S) export.
//
// Conditional GET with the ETag / Last-Modified stored in the database's meta
// table (for the same URL); the new export is downloaded to a private temp
// file, parsed and validated, written to a temp database and renamed over the
// old one. On any failure (transport, HTTP status, truncated or invalid body,
// no valid filings) the old database is left untouched and keeps serving.
#ifndef SHELFGUARD_SRC_REGISTRY_SYNC_H_
#define SHELFGUARD_SRC_REGISTRY_SYNC_H_

#include <string>

#include "net/http.h"
#include "registry/registry.h"
#include "shelfguard/status.h"

namespace shelfguard {

struct SyncResult {
  bool updated = false;     // false: 304, the database is current
  long http_status = 0;
  ImportSummary summary;    // when updated
};

Result<SyncResult> SyncRegistry(const std::string& url, const std::string& db_path,
                                net::HttpOptions http);

}  // namespace shelfguard

#endif  // SHELFGUARD_SRC_REGISTRY_SYNC_H_
