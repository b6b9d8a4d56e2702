// Internal to src/signatures: the compiled form of the database (per evidence
// kind, a LiteralIndex of the plain patterns and one RE2::Set for the others)
// and the per-scan sink that resolves hits into facts.
#ifndef SHELFGUARD_SRC_SIGNATURES_MATCHER_H_
#define SHELFGUARD_SRC_SIGNATURES_MATCHER_H_

#include <re2/set.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "signatures/literal_index.h"
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

struct KindMatcher {
  LiteralIndex literals;  // the plain patterns
  std::unique_ptr<RE2::Set> set;  // the other patterns; null when there are none
  std::vector<int> set_patterns;  // RE2::Set index -> index into `patterns`
  std::vector<CompiledPattern> patterns;
  bool empty() const { return set == nullptr && literals.empty(); }
};

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
