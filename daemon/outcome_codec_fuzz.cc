// Fuzzes the scan service's outcome decoder (outcome_codec.h) with arbitrary
// bytes: the bytes come from the process that parsed a hostile package.
// Nothing may crash or allocate past the input; whatever decodes must
// re-encode to exactly the input (the encoding is canonical).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "outcome_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto o = shelfguard::daemon::DecodeOutcome(in);
  if (o.ok() && shelfguard::daemon::EncodeOutcome(*o) != in) std::abort();
  return 0;
}
