// libcurl, loaded when the first HTTP request or URL needs it instead of
// when a program starts. libcurl and the ~30 libraries it depends on (TLS,
// Kerberos, LDAP, SSH, IDN, ...) were a third of every shelfguard start
// (about 3.5 ms of the dynamic loader's work for a `shelfguard scan` that
// never opens a URL, and for the daemon without feeds). The functions keep
// libcurl's names under shelfguard::net::curl and its types and behaviour;
// every entry point calls Load() first and fails cleanly when the library
// is missing.
#ifndef SHELFGUARD_NET_CURL_LAZY_H_
#define SHELFGUARD_NET_CURL_LAZY_H_

#include <curl/curl.h>

#include <string>

namespace shelfguard::net::curl {

// The libcurl functions the project calls, without their curl_ prefix.
#define SG_CURL_FUNCTIONS(X)                                                                     \
  X(global_init) X(easy_init) X(easy_cleanup) X(easy_setopt) X(easy_getinfo) X(easy_perform)     \
  X(easy_strerror) X(free) X(slist_append) X(slist_free_all) X(url) X(url_cleanup) X(url_set)    \
  X(url_get)

// The library's functions, resolved once: `easy_init` is curl_easy_init.
struct Api {
#define SG_CURL_MEMBER(name) decltype(&::curl_##name) name;
  SG_CURL_FUNCTIONS(SG_CURL_MEMBER)
#undef SG_CURL_MEMBER
};

// Loads libcurl.so.4 (the soname built against) on the first call and
// checks its version (>= 7.85.0, for CURLOPT_PROTOCOLS_STR). nullptr, with
// *why saying what failed, when it cannot be used; thread-safe.
const Api* Load(std::string* why = nullptr);

// The functions below may only be called after Load() succeeded.
const Api& Loaded();

inline CURL* easy_init() { return Loaded().easy_init(); }
inline void easy_cleanup(CURL* c) { Loaded().easy_cleanup(c); }
template <typename T>
CURLcode easy_setopt(CURL* c, CURLoption option, T value) {
  return Loaded().easy_setopt(c, option, value);
}
template <typename T>
CURLcode easy_getinfo(CURL* c, CURLINFO info, T* out) {
  return Loaded().easy_getinfo(c, info, out);
}
inline CURLcode easy_perform(CURL* c) { return Loaded().easy_perform(c); }
inline const char* easy_strerror(CURLcode rc) { return Loaded().easy_strerror(rc); }
inline void free(void* p) { Loaded().free(p); }
inline curl_slist* slist_append(curl_slist* l, const char* s) { return Loaded().slist_append(l, s); }
inline void slist_free_all(curl_slist* l) { Loaded().slist_free_all(l); }
inline CURLU* url() { return Loaded().url(); }
inline void url_cleanup(CURLU* u) { Loaded().url_cleanup(u); }
inline CURLUcode url_set(CURLU* u, CURLUPart part, const char* content, unsigned flags) {
  return Loaded().url_set(u, part, content, flags);
}
inline CURLUcode url_get(CURLU* u, CURLUPart part, char** out, unsigned flags) {
  return Loaded().url_get(u, part, out, flags);
}

}  // namespace shelfguard::net::curl

#endif  // SHELFGUARD_NET_CURL_LAZY_H_
