// Internal to src/signatures: matching the plain patterns of the base without
// RE2. Nearly every pattern is a literal or a glob with one or two '*': class
// prefixes, library and framework file names, asset paths, symbols, hosts and
// meta-data names. An RE2::Set per evidence kind matched them with one DFA
// run per item (about 400 ns a call, 58,000 calls for the asset and symbol
// tables of the corpus alone) and took most of an engine's start-up to
// compile. These indexes answer exactly what the patterns' RE2 forms
// (PatternToRegex) answer, which signatures_test checks on random patterns
// and items; patterns they cannot take stay with RE2.
#ifndef SHELFGUARD_SRC_SIGNATURES_LITERAL_INDEX_H_
#define SHELFGUARD_SRC_SIGNATURES_LITERAL_INDEX_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "signatures/signature_db.h"

namespace shelfguard::sigs {

// Literals, each with the patterns that have it; Match appends the patterns
// of every literal that is a prefix of the item. With `rest_without_newline`,
// a literal counts only when the rest of the item after it holds no '\n'
// (the RE2 form's trailing ".*" does not match a newline).
class PrefixIndex {
 public:
  void Add(std::string_view literal, int pattern);
  void Build();  // after the last Add
  bool empty() const { return literals_.empty(); }
  void Match(std::string_view item, std::vector<int>* hits, bool rest_without_newline = true) const;

 private:
  struct Literal {
    std::string text;
    int parent = -1;            // the longest other literal that is a prefix of this one
    std::vector<int> patterns;  // every pattern with this literal
  };
  std::vector<Literal> literals_;  // sorted by text, unique
  // The first eight bytes of each literal as one big-endian number, zero-
  // padded: keys order as the texts do, except that equal keys leave it to
  // the rest, so the search compares whole texts only where keys tie.
  std::vector<uint64_t> keys_;
  // Bit (b0 | b1 << 8) is set when some literal starts with bytes b0 b1:
  // most items start otherwise and are answered by one load.
  std::vector<uint64_t> first_two_;
  size_t shortest_ = 0;
};

// Every plain pattern of one evidence kind, whatever its group; Match appends
// the indexes of the patterns an item matches (in no particular order).
class LiteralIndex {
 public:
  // Takes `pattern` (index `index`) of `group` when it can match it exactly
  // as its RE2 form does; false leaves the pattern to RE2.
  bool Add(PatternGroup group, std::string_view pattern, int index);
  void Build();  // after the last Add
  bool empty() const { return !any_; }
  void Match(std::string_view item, std::vector<int>* hits) const;

 private:
  // Looked up by string_view, without building a std::string per item.
  struct ViewHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Exact = std::unordered_map<std::string, std::vector<int>, ViewHash, std::equal_to<>>;
  // Globs ('*' as many bytes as it likes, none of them `stop`), found through
  // the literal before their first '*' and then checked whole.
  struct Globs {
    struct Glob {
      std::string pattern;
      int index;
    };
    explicit Globs(char stop_byte) : stop(stop_byte) {}
    char stop;
    PrefixIndex heads;  // pattern = position in `all`
    std::vector<Glob> all;
    void Add(std::string_view pattern, int index);
    void Match(std::string_view subject, std::vector<int>* hits, std::vector<int>* scratch) const;
  };

  bool any_ = false;
  bool paths_ = false;  // any group but the class prefixes
  PrefixIndex classes_;          // classes, components, Objective-C classes
  Exact lib_names_;              // native libraries: the file name
  Globs lib_globs_{'/'};
  Exact framework_parts_;        // frameworks: one path component
  Globs framework_globs_{'/'};
  Exact asset_paths_;            // assets: the whole path
  PrefixIndex asset_dirs_;       // assets ending in '/': the path and below
  Globs asset_globs_{'/'};
  Exact symbols_;                // symbols, with or without a leading '_'
  Globs symbol_globs_{'\n'};
  Exact hosts_;                  // hosts, Latin-1 case-folded: the host or a parent domain
  Exact meta_data_;              // meta-data names: the whole name
};

// True when `subject` matches `pattern` whole, each '*' standing for any run
// of bytes other than `stop`. Exposed for tests.
bool GlobMatches(std::string_view subject, std::string_view pattern, char stop);

}  // namespace shelfguard::sigs

#endif  // SHELFGUARD_SRC_SIGNATURES_LITERAL_INDEX_H_
