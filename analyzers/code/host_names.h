// Host names embedded in code strings (DEX string constants, ELF .rodata),
// for EvidenceKind::kHost tables (HostTable), and which of those strings can
// hold a filing number (HasDigit). Lives in the code module, beside the walks
// that say which strings code uses, so the DEX, ELF and Mach-O analyzers
// share one reading; header-only.
#ifndef SHELFGUARD_ANALYZERS_CODE_HOST_NAMES_H_
#define SHELFGUARD_ANALYZERS_CODE_HOST_NAMES_H_

#include <cstddef>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace shelfguard {

namespace host_internal {

inline bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

inline constexpr std::string_view kCommonTlds[] = {
    "com", "cn", "net", "org", "io", "co", "me", "info", "biz", "cc", "tv", "top", "xyz",
    "mobi", "app", "dev", "cloud", "tech", "site", "online", "vip", "ink", "ltd", "group",
    "hk", "tw", "jp", "kr", "sg", "uk", "de", "fr", "ru", "in", "us", "edu", "gov"};

constexpr size_t LongestCommonTld() {
  size_t n = 0;
  for (std::string_view t : kCommonTlds) n = t.size() > n ? t.size() : n;
  return n;
}

// True when `label` (the last label of a dotted name) is a TLD common enough
// that a bare dotted string ending in it is most likely a host, not a Java
// package ("com.qq.e.ads") or a file name ("libfoo.so").
inline bool IsCommonTld(std::string_view label) {
  for (std::string_view t : kCommonTlds) {
    if (label.size() != t.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < t.size() && eq; ++i) eq = (label[i] | 0x20) == t[i];
    if (eq) return true;
  }
  return false;
}

}  // namespace host_internal

// Length of the host at the start of `s` (after "scheme://"): stops at the
// first character that cannot be in a host name (':', '/', '?', ...). A
// userinfo part ("user@host") is not skipped: such URLs are rare in code and
// the prefix then holds no '.', so nothing is reported. 0 when the prefix is
// not a dotted name.
inline size_t HostLength(std::string_view s) {
  size_t n = 0;
  bool dot = false;
  while (n < s.size() && n < 253 && host_internal::IsHostChar(s[n])) {
    dot |= s[n] == '.';
    ++n;
  }
  if (!dot || n < 3 || s[0] == '.' || s[0] == '-' || s[n - 1] == '.') return 0;
  return n;
}

// A whole string that is a dotted host name ("api.example.com").
inline bool LooksLikeBareHost(std::string_view s) {
  if (s.size() < 4 || s.size() > 253) return false;
  // The last label first: it must be a common TLD, which nearly every other
  // string of code (identifiers, descriptors, messages; millions per DEX)
  // fails within its last few bytes, before a pass over the whole string.
  constexpr size_t kLongest = host_internal::LongestCommonTld();
  const size_t lim = s.size() < kLongest + 1 ? s.size() : kLongest + 1;
  size_t k = 1;  // s[s.size() - k] is the last '.' when found
  while (k <= lim && s[s.size() - k] != '.') ++k;
  if (k > lim) return false;
  std::string_view tld = s.substr(s.size() - k + 1);
  for (char c : tld) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  }
  if (!host_internal::IsCommonTld(tld)) return false;
  if (HostLength(s) != s.size()) return false;
  // Reversed-domain Java names ("com.tencent.mm.opensdk") start with a TLD;
  // hosts do not.
  size_t first = s.find('.');
  if (host_internal::IsCommonTld(s.substr(0, first))) return false;
  for (char c : s) {
    if (c == '_') return false;  // not valid in host names; common in identifiers
  }
  return true;
}

// Host names in a string constant: the host of every "scheme://host" URL,
// or the whole string when it is a bare dotted host name with a common TLD.
// Calls `fn(std::string_view host)` for each; views point into `s`.
template <typename Fn>
void ForEachHost(std::string_view s, Fn fn) {
  if (s.size() < 4 || s.size() > 8192) return;
  size_t pos = s.find("://");
  if (pos == std::string_view::npos) {
    if (LooksLikeBareHost(s)) fn(s);
    return;
  }
  while (pos != std::string_view::npos) {
    std::string_view rest = s.substr(pos + 3);
    size_t n = HostLength(rest);
    if (n > 0) fn(rest.substr(0, n));
    pos = s.find("://", pos + 3);
  }
}

// True when `s` holds an ASCII digit: only such strings of code can hold a
// filing number, so only they go to the filing-number finder.
inline bool HasDigit(std::string_view s) {
  for (char c : s) {
    if (c >= '0' && c <= '9') return true;
  }
  return false;
}

// The hosts of many strings (ForEachHost), each listed once in first-seen
// order and referenced when any string naming it is: an EvidenceKind::kHost
// table. Views point into the strings. Clear() keeps the capacity, so one
// table serves file after file.
class HostTable {
 public:
  void Clear() {
    hosts_.clear();
    referenced_.clear();
    index_.clear();
  }
  void Add(std::string_view s, bool referenced) {
    ForEachHost(s, [&](std::string_view h) {
      auto [it, added] = index_.try_emplace(h, hosts_.size());
      if (added) {
        hosts_.push_back(h);
        referenced_.push_back(referenced);
      } else if (referenced) {
        referenced_[it->second] = true;
      }
    });
  }
  const std::vector<std::string_view>& hosts() const { return hosts_; }
  const std::vector<bool>& referenced() const { return referenced_; }

 private:
  std::vector<std::string_view> hosts_;
  std::vector<bool> referenced_;
  std::unordered_map<std::string_view, size_t> index_;
};

}  // namespace shelfguard

#endif  // SHELFGUARD_ANALYZERS_CODE_HOST_NAMES_H_
