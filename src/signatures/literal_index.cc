// Matching the plain patterns of the signature base without RE2 (see the
// header for why), each group the way its RE2 form (PatternToRegex) does.
#include "signatures/literal_index.h"

#include <algorithm>

namespace shelfguard::sigs {

namespace {

bool HasNewline(std::string_view s) { return s.find('\n') != std::string_view::npos; }

// PrefixIndex's key of `s`: its first eight bytes, big-endian, zero-padded.
// When two keys differ, so do the texts, the same way: at the first byte
// that differs both are real bytes, or the shorter text has ended and is a
// prefix of the other (a zero pad below a real byte).
uint64_t PrefixKey(std::string_view s) {
  uint64_t k = 0;
  const size_t n = std::min<size_t>(s.size(), 8);
  for (size_t i = 0; i < n; ++i) k |= uint64_t{static_cast<uint8_t>(s[i])} << (56 - 8 * i);
  return k;
}

// RE2's case folding of a Latin-1 byte ((?i) with EncodingLatin1): the ASCII
// letters and the Latin-1 letters U+00C0..U+00DE (but U+00D7) fold to their
// lower-case partners; no other byte has a partner inside Latin-1.
char FoldLatin1(char c) {
  const auto u = static_cast<uint8_t>(c);
  if ((u >= 'A' && u <= 'Z') || (u >= 0xc0 && u <= 0xde && u != 0xd7)) {
    return static_cast<char>(u + 0x20);
  }
  return c;
}

std::string Folded(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = FoldLatin1(c);
  return out;
}

template <typename Map>
void Lookup(const Map& map, std::string_view key, std::vector<int>* hits) {
  if (map.empty()) return;
  auto it = map.find(key);
  if (it != map.end()) hits->insert(hits->end(), it->second.begin(), it->second.end());
}

}  // namespace

bool GlobMatches(std::string_view subject, std::string_view pattern, char stop) {
  const size_t star = pattern.find('*');
  if (star == std::string_view::npos) return subject == pattern;
  // One star, the shape of nearly every glob in the base ("libfoo*.so"): the
  // head and the tail at the two ends, and no stop byte between them.
  if (pattern.find('*', star + 1) == std::string_view::npos) {
    const std::string_view head = pattern.substr(0, star), tail = pattern.substr(star + 1);
    if (subject.size() < head.size() + tail.size()) return false;
    if (subject.substr(0, head.size()) != head) return false;
    if (subject.substr(subject.size() - tail.size()) != tail) return false;
    const std::string_view middle =
        subject.substr(head.size(), subject.size() - head.size() - tail.size());
    return middle.find(stop) == std::string_view::npos;
  }
  // Several stars: the pattern as a small automaton. reach[j]: pattern[0, j)
  // matches the subject read so far.
  std::vector<char> reach(pattern.size() + 1, 0), next(pattern.size() + 1, 0);
  reach[0] = 1;
  for (size_t j = 0; j < pattern.size() && pattern[j] == '*'; ++j) reach[j + 1] = 1;
  for (char c : subject) {
    std::fill(next.begin(), next.end(), 0);
    bool any = false;
    for (size_t j = 0; j < pattern.size(); ++j) {
      if (!reach[j] && !(pattern[j] == '*' && reach[j + 1])) continue;
      if (pattern[j] == '*') {
        // The star takes c and stays, whether it was entered before or here.
        if (c != stop && (reach[j] || reach[j + 1])) next[j + 1] = 1;
      } else if (reach[j] && pattern[j] == c) {
        next[j + 1] = 1;
      }
    }
    // A star may also take nothing: close over the stars after each state.
    for (size_t j = 0; j < pattern.size(); ++j) {
      if (next[j] && pattern[j] == '*') next[j + 1] = 1;
      any = any || next[j];
    }
    any = any || next[pattern.size()];
    reach.swap(next);
    if (!any) return false;
  }
  return reach[pattern.size()] != 0;
}

void PrefixIndex::Add(std::string_view literal, int pattern) {
  literals_.push_back({std::string(literal), -1, {pattern}});
}

void PrefixIndex::Build() {
  std::stable_sort(literals_.begin(), literals_.end(),
                   [](const Literal& a, const Literal& b) { return a.text < b.text; });
  // Merge equal literals, keeping their patterns in the order they were added.
  std::vector<Literal> merged;
  for (Literal& l : literals_) {
    if (!merged.empty() && merged.back().text == l.text) {
      merged.back().patterns.insert(merged.back().patterns.end(), l.patterns.begin(),
                                    l.patterns.end());
    } else {
      merged.push_back(std::move(l));
    }
  }
  literals_ = std::move(merged);
  keys_.clear();
  for (const Literal& l : literals_) keys_.push_back(PrefixKey(l.text));
  // In sorted order the literals that are prefixes of the current one are a
  // chain on a stack: pop what is not a prefix, the top is the parent.
  std::vector<int> chain;
  shortest_ = literals_.empty() ? 0 : literals_.front().text.size();
  first_two_.assign(65536 / 64, 0);
  for (size_t i = 0; i < literals_.size(); ++i) {
    const std::string& t = literals_[i].text;
    while (!chain.empty() && t.compare(0, literals_[chain.back()].text.size(),
                                       literals_[chain.back()].text) != 0) {
      chain.pop_back();
    }
    literals_[i].parent = chain.empty() ? -1 : chain.back();
    chain.push_back(static_cast<int>(i));
    shortest_ = std::min(shortest_, t.size());
    if (t.size() >= 2) {
      const unsigned key = static_cast<uint8_t>(t[0]) | (static_cast<uint8_t>(t[1]) << 8);
      first_two_[key / 64] |= uint64_t{1} << (key % 64);
    }
  }
}

void PrefixIndex::Match(std::string_view item, std::vector<int>* hits,
                        bool rest_without_newline) const {
  if (literals_.empty() || item.size() < shortest_) return;
  if (shortest_ >= 2) {
    const unsigned key = static_cast<uint8_t>(item[0]) | (static_cast<uint8_t>(item[1]) << 8);
    if ((first_two_[key / 64] >> (key % 64) & 1) == 0) return;
  }
  // The greatest literal <= item. Every literal that is a prefix of the item
  // sorts at or before it, and every literal between the longest such prefix
  // and the item starts with that prefix, so all of them lie on this
  // literal's parent chain.
  // First on the keys (one integer compare each), then on the texts among
  // the literals whose key ties the item's.
  const uint64_t key = PrefixKey(item);
  const auto lo = std::lower_bound(keys_.begin(), keys_.end(), key);
  const auto hi = std::upper_bound(lo, keys_.end(), key);
  const auto first = literals_.begin() + (lo - keys_.begin());
  const auto it = std::upper_bound(first, literals_.begin() + (hi - keys_.begin()), item,
                                   [](std::string_view v, const Literal& l) { return v < l.text; });
  if (it == literals_.begin()) return;
  int i = static_cast<int>(it - literals_.begin()) - 1;
  const std::string& near = literals_[i].text;
  size_t common = 0;
  const size_t most = std::min(near.size(), item.size());
  while (common < most && near[common] == item[common]) ++common;
  while (i >= 0 && literals_[i].text.size() > common) i = literals_[i].parent;
  if (i < 0) return;
  // The RE2 form's ".*" stops at a newline: the rest after the literal must
  // hold none.
  const size_t last_nl = rest_without_newline ? item.rfind('\n') : std::string_view::npos;
  for (; i >= 0; i = literals_[i].parent) {
    const Literal& l = literals_[i];
    if (last_nl != std::string_view::npos && last_nl >= l.text.size()) continue;
    hits->insert(hits->end(), l.patterns.begin(), l.patterns.end());
  }
}

void LiteralIndex::Globs::Add(std::string_view pattern, int index) {
  heads.Add(pattern.substr(0, pattern.find('*')), static_cast<int>(all.size()));
  all.push_back({std::string(pattern), index});
}

void LiteralIndex::Globs::Match(std::string_view subject, std::vector<int>* hits,
                                std::vector<int>* scratch) const {
  if (all.empty()) return;
  scratch->clear();
  heads.Match(subject, scratch, /*rest_without_newline=*/false);
  for (int g : *scratch) {
    const Glob& glob = all[static_cast<size_t>(g)];
    if (GlobMatches(subject, glob.pattern, stop)) hits->push_back(glob.index);
  }
}

bool LiteralIndex::Add(PatternGroup group, std::string_view p, int index) {
  using G = PatternGroup;
  // "re:" patterns are regular expressions; a pattern holding a newline would
  // meet the RE2 forms' ".*", which stops at one.
  if (p.rfind("re:", 0) == 0 || HasNewline(p)) return false;
  const bool glob = p.find('*') != std::string_view::npos;
  // A glob goes to its group's globs, a literal to its exact table.
  auto file = [&](Globs* globs, Exact* exact) {
    if (glob) {
      globs->Add(p, index);
    } else {
      (*exact)[std::string(p)].push_back(index);
    }
  };
  switch (group) {
    case G::kClasses:
    case G::kComponents:
    case G::kObjcClasses:  // QuoteMeta(p) ".*"
      if (glob) return false;
      classes_.Add(p, index);
      break;
    case G::kNativeLibs:  // (?:.*/)? p, '*' = [^/]*: the file name
      if (p.find('/') != std::string_view::npos) return false;
      file(&lib_globs_, &lib_names_);
      break;
    case G::kFrameworks:  // (?:.*/)? p (?:/.*)?, '*' = [^/]*: one path component
      if (p.find('/') != std::string_view::npos) return false;
      file(&framework_globs_, &framework_parts_);
      break;
    case G::kAssets:  // p, '*' = [^/]*, and ".*" after a trailing '/'
      if (!p.empty() && p.back() == '/') {
        if (glob) return false;
        asset_dirs_.Add(p, index);
      } else {
        file(&asset_globs_, &asset_paths_);
      }
      break;
    case G::kSymbols:  // _? p, '*' = .*
      file(&symbol_globs_, &symbols_);
      break;
    case G::kHosts:  // (?i) (?:.*\.)? p, '*' = [^.]*
      if (glob) return false;
      hosts_[Folded(p)].push_back(index);
      break;
    case G::kMetaData:  // p, '*' = .*
      if (glob) return false;
      meta_data_[std::string(p)].push_back(index);
      break;
    default:
      return false;
  }
  any_ = true;
  return true;
}

void LiteralIndex::Build() {
  paths_ = !lib_names_.empty() || !lib_globs_.all.empty() || !framework_parts_.empty() ||
           !framework_globs_.all.empty() || !asset_paths_.empty() || !asset_dirs_.empty() ||
           !asset_globs_.all.empty() || !symbols_.empty() || !symbol_globs_.all.empty() ||
           !hosts_.empty() || !meta_data_.empty();
  for (PrefixIndex* p : {&classes_, &asset_dirs_, &lib_globs_.heads, &framework_globs_.heads,
                         &asset_globs_.heads, &symbol_globs_.heads}) {
    p->Build();
  }
}

void LiteralIndex::Match(std::string_view item, std::vector<int>* hits) const {
  if (!any_) return;
  classes_.Match(item, hits);
  if (!paths_) return;  // a class-name table: nothing else applies
  std::vector<int> scratch;
  const size_t first_nl = item.find('\n');
  const size_t last_nl = item.rfind('\n');
  // Native libraries: the file name after the last '/', with no newline
  // before it (the optional "(?:.*/)" takes it all or nothing).
  if (!lib_names_.empty() || !lib_globs_.all.empty()) {
    const size_t slash = item.rfind('/');
    const size_t start = slash == std::string_view::npos ? 0 : slash + 1;
    if (first_nl == std::string_view::npos || first_nl >= start) {
      const std::string_view name = item.substr(start);
      Lookup(lib_names_, name, hits);
      lib_globs_.Match(name, hits, &scratch);
    }
  }
  // Frameworks: any whole path component, with no newline before it nor
  // after the '/' that ends it.
  if (!framework_parts_.empty() || !framework_globs_.all.empty()) {
    size_t begin = 0;
    while (begin <= item.size()) {
      size_t end = item.find('/', begin);
      if (end == std::string_view::npos) end = item.size();
      if (first_nl != std::string_view::npos && first_nl < begin) break;  // so is every later one
      if (last_nl == std::string_view::npos || last_nl < end) {
        const std::string_view part = item.substr(begin, end - begin);
        Lookup(framework_parts_, part, hits);
        framework_globs_.Match(part, hits, &scratch);
      }
      begin = end + 1;
    }
  }
  // Assets: the whole path; a directory pattern, the path and below.
  Lookup(asset_paths_, item, hits);
  asset_dirs_.Match(item, hits);
  asset_globs_.Match(item, hits, &scratch);
  // Symbols, with or without one leading '_'.
  if (!symbols_.empty() || !symbol_globs_.all.empty()) {
    Lookup(symbols_, item, hits);
    symbol_globs_.Match(item, hits, &scratch);
    if (!item.empty() && item.front() == '_') {
      Lookup(symbols_, item.substr(1), hits);
      symbol_globs_.Match(item.substr(1), hits, &scratch);
    }
  }
  // Hosts: the host itself or the part after any '.' with no newline before
  // it, compared case-folded.
  if (!hosts_.empty()) {
    const std::string folded = Folded(item);
    const std::string_view f = folded;
    Lookup(hosts_, f, hits);
    for (size_t dot = f.find('.'); dot != std::string_view::npos; dot = f.find('.', dot + 1)) {
      if (first_nl != std::string_view::npos && first_nl < dot) break;
      Lookup(hosts_, f.substr(dot + 1), hits);
    }
  }
  Lookup(meta_data_, item, hits);
}

}  // namespace shelfguard::sigs
