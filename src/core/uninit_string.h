// Growing a std::string for bytes that are written into it at once (a file
// read, an inflated entry) without zero-filling it first: std::string::resize
// writes every new byte, a whole extra pass over memory for the tens of MB of
// a package and its DEX files.
#ifndef SHELFGUARD_CORE_UNINIT_STRING_H_
#define SHELFGUARD_CORE_UNINIT_STRING_H_

#include <cstddef>
#include <string>

namespace shelfguard {

// Resizes *s to `n` bytes; bytes past the old size are left as they are in
// memory, for the caller to overwrite before anything reads them (on failure
// it must shrink the string back or discard it).
void ResizeUninitialized(std::string* s, size_t n);

}  // namespace shelfguard

#endif  // SHELFGUARD_CORE_UNINIT_STRING_H_
