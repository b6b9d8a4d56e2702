#include "queue/pg_store.h"
#include "queue/sqlite_store.h"

namespace shelfguard::queue {

Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& o) {
  if (o.url.empty()) return Store::Open(o.sqlite_path, o.full_sync);
  auto pg = PgStore::Open(o);
  if (!pg.ok()) return pg.status();
  return std::unique_ptr<Store>(std::move(pg).value());
}

}  // namespace shelfguard::queue
