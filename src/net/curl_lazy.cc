#include "net/curl_lazy.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

namespace shelfguard::net::curl {
namespace {

struct Loader {
  Api api{};
  bool ok = false;
  std::string why;
};

template <typename F>
bool Resolve(void* lib, const char* name, F* out, std::string* why) {
  void* p = dlsym(lib, name);
  if (p == nullptr) {
    *why = std::string("libcurl.so.4 has no ") + name;
    return false;
  }
  *out = reinterpret_cast<F>(p);
  return true;
}

Loader LoadOnce() {
  Loader l;
  // RTLD_LOCAL: its symbols serve this table only; the handle is kept for
  // the life of the process (libcurl is never unloaded).
  void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* e = dlerror();
    l.why = std::string("cannot load libcurl.so.4: ") + (e != nullptr ? e : "unknown error");
    return l;
  }
  decltype(&::curl_version_info) version_info = nullptr;
  Api& a = l.api;
  bool ok = Resolve(lib, "curl_version_info", &version_info, &l.why);
#define SG_CURL_RESOLVE(name) ok = ok && Resolve(lib, "curl_" #name, &a.name, &l.why);
  SG_CURL_FUNCTIONS(SG_CURL_RESOLVE)
#undef SG_CURL_RESOLVE
  if (!ok) return l;
  const curl_version_info_data* v = version_info(CURLVERSION_NOW);
  if (v == nullptr || v->version_num < 0x075500) {
    l.why = std::string("libcurl ") + (v != nullptr && v->version != nullptr ? v->version : "?") +
            " is too old: 7.85.0 or later is needed";
    return l;
  }
  l.ok = true;
  return l;
}

const Loader& Get() {
  static const Loader loader = LoadOnce();  // thread-safe initialisation
  return loader;
}

}  // namespace

const Api* Load(std::string* why) {
  const Loader& l = Get();
  if (!l.ok && why != nullptr) *why = l.why;
  return l.ok ? &l.api : nullptr;
}

const Api& Loaded() {
  const Loader& l = Get();
  if (!l.ok) std::abort();  // a caller skipped Load(): a bug, not an input
  return l.api;
}

}  // namespace shelfguard::net::curl
