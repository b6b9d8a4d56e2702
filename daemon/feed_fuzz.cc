// Fuzzes a feed listing as the daemon reads it (sources.cc): the body parsed
// as JSON, every element of "packages" through ParseFeedEntry (feed.h), and
// the redaction applied to error texts. A feed server is hostile input:
// nothing may throw, crash or recurse without bound; an accepted entry must
// carry an http(s) URL and, when given, a 64-hex digest within the size cap.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "feed.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shelfguard::daemon;
  const std::string body(reinterpret_cast<const char*>(data), size);
  constexpr uint64_t kMaxPackage = 1u << 30;
  (void)RedactText(body.substr(0, 4096));
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("packages") || !doc["packages"].is_array()) {
    return 0;
  }
  const nlohmann::json& pkgs = doc["packages"];
  for (size_t i = 0; i < pkgs.size() && i < 1000; ++i) {
    FeedEntry fe;
    if (!ParseFeedEntry(pkgs[i], "https://feeds.example.com/a/f.json", kMaxPackage, &fe).empty()) continue;
    if (fe.url.rfind("http://", 0) != 0 && fe.url.rfind("https://", 0) != 0) std::abort();
    if (!fe.sha256.empty() && !IsHex64(fe.sha256)) std::abort();
    if (fe.size > kMaxPackage) std::abort();
    (void)RedactUrl(fe.url);
  }
  return 0;
}
