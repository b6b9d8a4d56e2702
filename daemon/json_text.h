// Whether bytes are one JSON text (RFC 8259). The submit reply splices the
// scan service's report text into the reply as it is (daemon_impl.h,
// SubmitReply); the service parses hostile packages, so the text is checked
// first: nlohmann::json::accept (strict UTF-8 in strings, paired \u
// surrogates, finite numbers, no recursion), except where nlohmann reads less
// than it is given: it takes a NUL byte for the end of the input (accepting
// "{}\0junk") and skips a leading byte order mark. Both are refused here.
// json_text_fuzz.cc checks the agreement on arbitrary bytes.
#ifndef SHELFGUARD_DAEMON_JSON_TEXT_H_
#define SHELFGUARD_DAEMON_JSON_TEXT_H_

#include <string_view>

namespace shelfguard::daemon {

bool IsJsonText(std::string_view text);

}  // namespace shelfguard::daemon

#endif  // SHELFGUARD_DAEMON_JSON_TEXT_H_
