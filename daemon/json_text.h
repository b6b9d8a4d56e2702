// Whether bytes are one JSON text (RFC 8259), without building anything.
// The submit reply splices the scan service's report text into the reply
// as it is (daemon_impl.h, SubmitReply); the service parses hostile
// packages, so the text is checked first. nlohmann::json::accept did that
// at ~265 MB/s, a quarter of a millisecond of every 5 MB submission's round
// trip (issue 18); this check reads each byte once.
//
// It accepts what nlohmann::json::accept accepts (strict UTF-8 in strings,
// paired \u surrogates, numbers that are finite as a double), except where
// nlohmann reads less than it is given: it takes a NUL byte for the end of
// the input (accepting "{}\0junk") and skips a leading byte order mark.
// Both are refused here: spliced into a reply they would break it.
// json_text_fuzz.cc checks the agreement on arbitrary bytes.
#ifndef SHELFGUARD_DAEMON_JSON_TEXT_H_
#define SHELFGUARD_DAEMON_JSON_TEXT_H_

#include <string_view>

namespace shelfguard::daemon {

bool IsJsonText(std::string_view text);

}  // namespace shelfguard::daemon

#endif  // SHELFGUARD_DAEMON_JSON_TEXT_H_
