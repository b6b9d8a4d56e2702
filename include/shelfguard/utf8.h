// UTF-8 encoding of decoded code points (UTF-16 string pools, plists,
// .strings files).
#ifndef SHELFGUARD_UTF8_H_
#define SHELFGUARD_UTF8_H_

#include <cstdint>
#include <string>

namespace shelfguard {

// Appends code point `cp` as UTF-8. Values that are not Unicode scalar
// values (surrogates, past U+10FFFF) become U+FFFD, so the output is always
// valid UTF-8 whatever the input claimed.
void AppendUtf8(uint32_t cp, std::string* out);

}  // namespace shelfguard

#endif  // SHELFGUARD_UTF8_H_
