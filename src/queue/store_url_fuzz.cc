// Fuzzes the store URL redaction (pg_store.h) that stands between a config
// value and every log line and status reply: nothing may crash, and a
// password given as `password=SECRET` or `user:SECRET@` must never survive.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "queue/pg_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using shelfguard::queue::RedactStoreUrl;
  std::string in(reinterpret_cast<const char*>(data), size);
  (void)shelfguard::queue::IsPostgresUrl(in);
  std::string out = RedactStoreUrl(in);
  if (out.size() > in.size() * 4 + 16) std::abort();  // bounded growth
  // A marker password placed in both forms around the fuzzed text.
  const std::string secret = "Zq9SecretZq9";
  if (RedactStoreUrl("host=/s " + in + " password=" + secret).find(secret) != std::string::npos) std::abort();
  if (RedactStoreUrl("postgresql://u:" + secret + "@h/" + in).find(secret) != std::string::npos) std::abort();
  return 0;
}
