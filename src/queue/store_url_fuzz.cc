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
  // A marker password placed in both forms around the fuzzed text: the
  // output holds it no more often than the fuzzed text itself did.
  const std::string secret = "Zq9SecretZq9";
  auto count = [&](const std::string& s) {
    size_t n = 0;
    for (size_t p = s.find(secret); p != std::string::npos; p = s.find(secret, p + 1)) ++n;
    return n;
  };
  size_t own = count(in);
  if (count(RedactStoreUrl("host=/s " + in + " password=" + secret)) > own) std::abort();
  if (count(RedactStoreUrl("postgresql://u:" + secret + "@h/" + in)) > own) std::abort();
  return 0;
}
