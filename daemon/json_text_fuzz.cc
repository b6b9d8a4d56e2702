// Differential fuzzer of IsJsonText (json_text.h) against
// nlohmann::json::accept, which it replaces in the submit reply: on any
// bytes both must agree, except where nlohmann reads less than the bytes
// given: it takes a NUL byte for the end of the input (so "{}\0junk" is
// accepted) and skips a leading byte order mark. IsJsonText refuses both
// (spliced into a reply they would not be JSON); it must agree with
// nlohmann on the part before the NUL.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "json_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  bool mine = shelfguard::daemon::IsJsonText(in);
  if (size_t nul = in.find('\0'); nul != std::string::npos) {
    if (mine) std::abort();
    in.resize(nul);
    mine = shelfguard::daemon::IsJsonText(in);
  }
  if (std::string_view(in).substr(0, 3) == "\xEF\xBB\xBF") {
    if (mine) std::abort();
    return 0;
  }
  if (mine != nlohmann::json::accept(in)) std::abort();
  return 0;
}
