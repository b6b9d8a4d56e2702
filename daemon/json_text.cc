#include "json_text.h"

#include <nlohmann/json.hpp>

namespace shelfguard::daemon {

bool IsJsonText(std::string_view text) {
  // nlohmann reads less than it is given in two cases, and spliced into a
  // reply either would not be JSON: it takes a NUL byte for the end of the
  // input (accepting "{}\0junk") and skips a leading byte order mark.
  if (text.find('\0') != std::string_view::npos) return false;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") return false;
  return nlohmann::json::accept(text);
}

}  // namespace shelfguard::daemon
