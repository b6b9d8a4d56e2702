// Internal to src/signatures: the compiled form of the database (per evidence
// kind, an index of literal prefixes and one RE2::Set for the other patterns)
// and the per-scan sink that resolves hits into facts.
#ifndef SHELFGUARD_SRC_SIGNATURES_MATCHER_H_
#define SHELFGUARD_SRC_SIGNATURES_MATCHER_H_

#include <re2/set.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signatures/signature_db.h"

namespace shelfguard::sigs {

inline constexpr size_t kEvidenceKindCount = static_cast<size_t>(EvidenceKind::kCount);

// What a matching pattern means for its SDK.
enum class Role : uint8_t { kMatch, kNotAlone, kExclude };

// One pattern compiled into a kind's set: index in the set -> meaning.
struct CompiledPattern {
  uint32_t sdk = 0;       // index into SignatureDb::entries()
  PatternGroup group = PatternGroup::kClasses;
  Role role = Role::kMatch;
  const char* label = "";  // Evidence::kind reported for a hit ("class", "native-lib", ...)
  bool weak = false;       // string / host evidence
};

// The literal prefixes of one kind (class, component and Objective-C class
// patterns without '*' or "re:", more than nine in ten of the base): item
// matches pattern p when it starts with p's literal and the rest holds no
// '\n', exactly what the pattern's RE2 form `QuoteMeta(literal).*` matches
// anchored at both ends. Built once; Match is a binary search and a short
// walk, where the RE2::Set ran a DFA per item; and the sets left to RE2 are
// small enough to compile in a few milliseconds at engine start.
class PrefixIndex {
 public:
  void Add(std::string_view literal, int pattern);
  void Build();  // after the last Add
  bool empty() const { return literals_.empty(); }
  // Appends to `hits` the patterns whose literal is a prefix of `item`.
  void Match(std::string_view item, std::vector<int>* hits) const;

 private:
  struct Literal {
    std::string text;
    int parent = -1;            // the longest other literal that is a prefix of this one
    std::vector<int> patterns;  // every pattern with this literal
  };
  std::vector<Literal> literals_;  // sorted by text, unique
  // Bit (b0 | b1 << 8) is set when some literal starts with bytes b0 b1:
  // most items start otherwise and are answered by one load.
  std::vector<uint64_t> first_two_;
  size_t shortest_ = 0;
};

struct KindMatcher {
  PrefixIndex prefixes;
  std::unique_ptr<RE2::Set> set;  // the other patterns; null when there are none
  std::vector<int> set_patterns;  // RE2::Set index -> index into `patterns`
  std::vector<CompiledPattern> patterns;
  bool empty() const { return set == nullptr && prefixes.empty(); }
};

// The literal a pattern of `group` is a plain prefix of, or nullopt when the
// pattern needs RE2 (a '*' glob, "re:", or a group matched otherwise).
std::optional<std::string_view> LiteralPrefix(PatternGroup group, std::string_view pattern);

// Translates one pattern of `group` into an RE2 expression matched against
// the whole item (RE2::ANCHOR_BOTH), for a table of `kind`. Exposed for tests.
std::string PatternToRegex(PatternGroup group, EvidenceKind kind, const std::string& pattern);

class CompiledDb : public SignatureDb {
 public:
  CompiledDb(std::vector<SdkSignature> entries, std::string version)
      : entries_(std::move(entries)), version_(std::move(version)) {}
  // Builds the per-kind sets; errors name the entry and pattern.
  Status Compile();

  const std::vector<SdkSignature>& entries() const override { return entries_; }
  const std::string& version() const override { return version_; }
  std::unique_ptr<EvidenceSink> NewSink() const override;

  const KindMatcher& matcher(EvidenceKind k) const { return kinds_[static_cast<size_t>(k)]; }
  // Category rank for stable output order.
  int category_rank(uint32_t sdk) const { return category_rank_[sdk]; }

 private:
  Status CompileKind(size_t k);  // one kind's set; touches only kinds_[k]

  std::vector<SdkSignature> entries_;
  std::string version_;
  std::array<KindMatcher, kEvidenceKindCount> kinds_;
  std::vector<int> category_rank_;
};

// Bounds on what one scan keeps per SDK.
inline constexpr size_t kMaxEvidencePerSdk = 6;
// Items longer than this are matched on their first kMaxItemBytes only.
inline constexpr size_t kMaxItemBytes = 16 * 1024;

}  // namespace shelfguard::sigs

#endif  // SHELFGUARD_SRC_SIGNATURES_MATCHER_H_
