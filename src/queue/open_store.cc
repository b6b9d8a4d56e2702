#include "queue/sqlite_store.h"

namespace shelfguard::queue {

Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& o) {
  if (o.url.empty()) return Store::Open(o.sqlite_path, o.full_sync);
  return Status::Unsupported("store.url: a PostgreSQL store is not built into this shelfguardd");
}

}  // namespace shelfguard::queue
