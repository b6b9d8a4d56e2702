// Compiled as C++23 (CMakeLists.txt sets it for this file alone): C++23's
// std::string::resize_and_overwrite is the standard way to grow a string
// without writing to it, and the rest of the project stays on C++20.
#include "core/uninit_string.h"

namespace shelfguard {

void ResizeUninitialized(std::string* s, size_t n) {
#if defined(__cpp_lib_string_resize_and_overwrite)
  s->resize_and_overwrite(n, [](char*, size_t size) { return size; });
#else
  s->resize(n);  // a compiler without it: correct, only slower
#endif
}

}  // namespace shelfguard
