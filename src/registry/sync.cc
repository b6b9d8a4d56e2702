#include "registry/sync.h"

#include <unistd.h>

#include <atomic>
#include <ctime>
#include <filesystem>

namespace shelfguard {

Result<SyncResult> SyncRegistry(const std::string& url, const std::string& db_path,
                                net::HttpOptions http) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> old = ReadDatabaseMeta(db_path);
  if (old["sync_url"] == url) {
    http.if_none_match = old["etag"];
    http.if_modified_since = old["last_modified"];
  }
  fs::path target(db_path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  static std::atomic<unsigned> counter{0};
  std::string tmp = (dir / ("." + target.filename().string() + ".download-" +
                            std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                        .string();
  Result<net::HttpResponse> resp = net::Download(url, tmp, http);
  if (!resp.ok()) return resp.status();  // Download removed tmp
  SyncResult out;
  out.http_status = resp->status;
  if (resp->status == 304) {
    ::unlink(tmp.c_str());
    return out;
  }
  if (resp->status != 200) {
    ::unlink(tmp.c_str());
    return Status::IoError("GET " + url + ": HTTP " + std::to_string(resp->status) +
                           "; the registry was not changed");
  }
  // The download is streamed into a temp database (ImportExport), which only
  // replaces db_path when the export is complete, valid and has a filing.
  ImportOptions options;
  options.label = url;
  options.require_filing = true;
  options.meta = {{"source", url}, {"sync_url", url}};
  auto header = [&](const char* name) {
    auto it = resp->headers.find(name);
    return it != resp->headers.end() ? it->second : std::string();
  };
  options.meta["etag"] = header("etag");
  options.meta["last_modified"] = header("last-modified");
  std::time_t now = std::time(nullptr);
  options.meta["synced_at"] = std::to_string(static_cast<long long>(now));
  Result<ImportSummary> imported = ImportExport(tmp, db_path, options);
  ::unlink(tmp.c_str());
  if (!imported.ok()) {
    return Status(imported.status().code(),
                  imported.status().message() + "; the registry was not changed");
  }
  out.updated = true;
  out.summary = std::move(*imported);
  return out;
}

}  // namespace shelfguard
