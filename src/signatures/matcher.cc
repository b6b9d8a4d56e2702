// Compiling patterns, per evidence kind, into a LiteralIndex of the plain ones
// and one RE2::Set for the rest, and the per-scan EvidenceSink that matches
// tables and resolves hits into facts.sdks and facts.packer.
#include "signatures/matcher.h"

#include <re2/re2.h>

#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>
#include <string_view>

namespace shelfguard::sigs {
namespace {

constexpr int64_t kSetMaxMem = 48ll << 20;
constexpr size_t kMaxPerLabel = 3;

// Quotes `s` for RE2, turning each '*' into `star`.
std::string Glob(std::string_view s, std::string_view star) {
  std::string out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t p = s.find('*', start);
    std::string_view lit = s.substr(start, p == std::string_view::npos ? s.npos : p - start);
    out += RE2::QuoteMeta(re2::StringPiece(lit.data(), lit.size()));
    if (p == std::string_view::npos) break;
    out += star;
    start = p + 1;
  }
  return out;
}

// Which pattern groups apply to a table kind, and the evidence label a hit
// gets. Native libraries, frameworks and asset paths are all package paths,
// so their patterns also run over the asset table (every entry of the
// package): detection does not depend on which analyzer saw the file.
struct Applies {
  PatternGroup group;
  const char* label;
};
std::vector<Applies> GroupsFor(EvidenceKind kind) {
  using G = PatternGroup;
  switch (kind) {
    case EvidenceKind::kClass: return {{G::kClasses, "class"}};
    case EvidenceKind::kComponent:
      return {{G::kClasses, "component"}, {G::kComponents, "component"}};
    case EvidenceKind::kNativeLib: return {{G::kNativeLibs, "native-lib"}};
    case EvidenceKind::kAsset:
      return {{G::kAssets, "asset"}, {G::kNativeLibs, "native-lib"}, {G::kFrameworks, "framework"}};
    case EvidenceKind::kHost: return {{G::kHosts, "host"}};
    // A class name in a string constant (reflection, dynamic loading) is
    // weaker evidence than the class itself.
    case EvidenceKind::kString: return {{G::kStrings, "string"}, {G::kClasses, "string"}};
    case EvidenceKind::kObjcClass: return {{G::kObjcClasses, "objc-class"}};
    case EvidenceKind::kFramework: return {{G::kFrameworks, "framework"}};
    case EvidenceKind::kSymbol: return {{G::kSymbols, "symbol"}};
    case EvidenceKind::kHarmonyModule: return {{G::kHarmonyModules, "harmony-module"}};
    case EvidenceKind::kMaven: return {{G::kMaven, "maven"}};
    case EvidenceKind::kMetaData: return {{G::kMetaData, "meta-data"}};
    default: return {};
  }
}

bool IsWeakLabel(std::string_view label) { return label == "string" || label == "host"; }

}  // namespace

std::string PatternToRegex(PatternGroup group, EvidenceKind kind, const std::string& pattern) {
  using G = PatternGroup;
  const bool raw = pattern.rfind("re:", 0) == 0;
  const std::string body = raw ? "(?:" + pattern.substr(3) + ")" : std::string();
  switch (group) {
    case G::kClasses:
    case G::kComponents:
    case G::kObjcClasses:
      // Prefixes: "com.qq.e." is the package and its sub-packages.
      return raw ? body : Glob(pattern, ".*") + ".*";
    case G::kNativeLibs:
      // File names, matched on the last path component.
      return "(?:.*/)?" + (raw ? body : Glob(pattern, "[^/]*"));
    case G::kFrameworks:
      // A bundle name, anywhere in a path, and anything inside it.
      return "(?:.*/)?" + (raw ? body : Glob(pattern, "[^/]*")) + "(?:/.*)?";
    case G::kAssets: {
      if (raw) return body;
      std::string re = Glob(pattern, "[^/]*");
      if (!pattern.empty() && pattern.back() == '/') re += ".*";
      return re;
    }
    case G::kHosts:
      return "(?i)(?:.*\\.)?" + (raw ? body : Glob(pattern, "[^.]*"));
    case G::kStrings:
      return raw ? body : ".*" + Glob(pattern, ".*") + ".*";
    case G::kSymbols:
      // Mach-O symbols carry a leading underscore.
      return raw ? body : "_?" + Glob(pattern, ".*");
    case G::kHarmonyModules:
      // The package itself or a module inside it: "@hms.core.ads" matches
      // "@hms.core.ads.interstitial", "@ohos/axios" matches "@ohos/axios/index".
      return raw ? body : Glob(pattern, ".*") + "(?:[./].*)?";
    case G::kMaven:
      // "group:artifact" exactly; a bare group also covers its sub-groups.
      if (raw) return body;
      if (pattern.find(':') != std::string::npos) return Glob(pattern, "[^:]*");
      return Glob(pattern, "[^:]*") + "(?:\\.[^:]*)?:.*";
    case G::kMetaData:
      // A meta-data name exactly, case and all: the platform and the SDKs
      // read it by its exact name.
      return raw ? body : Glob(pattern, ".*");
    default:
      return "(?!)";
  }
  (void)kind;
}

Status CompiledDb::CompileKind(size_t k) {
  auto kind = static_cast<EvidenceKind>(k);
  KindMatcher& km = kinds_[k];
  RE2::Options opt;
  opt.set_log_errors(false);
  opt.set_max_mem(kSetMaxMem);
  // Class names, paths and symbols are bytes, not necessarily UTF-8.
  opt.set_encoding(RE2::Options::EncodingLatin1);
  auto set = std::make_unique<RE2::Set>(opt, RE2::ANCHOR_BOTH);
  for (const Applies& ap : GroupsFor(kind)) {
    size_t g = static_cast<size_t>(ap.group);
    for (uint32_t s = 0; s < entries_.size(); ++s) {
      const SdkSignature& e = entries_[s];
      const std::pair<const std::vector<std::string>*, Role> lists[] = {
          {&e.patterns[g], Role::kMatch},
          {&e.not_alone[g], Role::kNotAlone},
          {&e.exclude[g], Role::kExclude}};
      for (const auto& [list, role] : lists) {
        for (const std::string& p : *list) {
          const int index = static_cast<int>(km.patterns.size());
          if (!km.literals.Add(ap.group, p, index)) {
            std::string err;
            if (set->Add(PatternToRegex(ap.group, kind, p), &err) < 0) {
              return Status::Invalid(e.file + ": entry '" + e.id + "': bad pattern '" + p +
                                     "' in " + PatternGroupName(ap.group) + ": " + err);
            }
            km.set_patterns.push_back(index);
          }
          km.patterns.push_back({s, ap.group, role, ap.label, IsWeakLabel(ap.label)});
        }
      }
    }
  }
  km.literals.Build();
  if (km.set_patterns.empty()) return Status::Ok();
  if (!set->Compile()) {
    return Status::Invalid("cannot compile the patterns of evidence kind " + std::to_string(k) +
                           " (RE2 memory budget exceeded)");
  }
  km.set = std::move(set);
  return Status::Ok();
}

Status CompiledDb::Compile() {
  category_rank_.clear();
  const auto& cats = KnownCategories();
  for (const auto& e : entries_) {
    auto it = std::find(cats.begin(), cats.end(), e.category);
    category_rank_.push_back(static_cast<int>(it - cats.begin()));
  }
  // The kinds are independent, and compiling their sets is most of an
  // engine's start-up: one thread per core (up to four) shares them out.
  // Each kind writes only its own matcher; the first error in kind order is
  // reported, as a serial build would. Where no thread can be started (a
  // process or thread limit), this thread compiles them all.
  std::array<Status, kEvidenceKindCount> results;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t k = next++; k < kEvidenceKindCount; k = next++) results[k] = CompileKind(k);
  };
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> helpers;
  for (unsigned t = 1; t < std::min<unsigned>(cores, 4); ++t) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;
    }
  }
  work();
  for (auto& t : helpers) t.join();
  for (const Status& st : results) {
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

namespace {

class Sink : public EvidenceSink {
 public:
  explicit Sink(const CompiledDb* db) : db_(db), acc_(db->entries().size()) {}

  void OnTable(EvidenceKind kind, std::string_view location,
               const std::vector<std::string_view>& items,
               const std::vector<bool>* referenced) override {
    if (static_cast<size_t>(kind) >= kEvidenceKindCount) return;
    const KindMatcher& km = db_->matcher(kind);
    if (km.empty()) return;
    const bool have_refs = referenced != nullptr && referenced->size() == items.size();
    std::vector<int> hits, set_hits;
    RE2::Set::ErrorInfo info;
    for (size_t i = 0; i < items.size(); ++i) {
      std::string_view item = items[i].substr(0, kMaxItemBytes);
      hits.clear();
      km.literals.Match(item, &hits);
      const size_t from_literals = hits.size();
      // Most items match nothing. Asked for the matching patterns, RE2::Set
      // allocates a set as large as the pattern list on every call; asked
      // only whether anything matches, it allocates nothing. So: ask first,
      // and collect the patterns only for the few items that match.
      if (km.set != nullptr) {
        const re2::StringPiece piece(item.data(), item.size());
        if (km.set->Match(piece, nullptr, &info)) {
          set_hits.clear();
          if (km.set->Match(piece, &set_hits, &info)) {
            for (int h : set_hits) hits.push_back(km.set_patterns[static_cast<size_t>(h)]);
          } else if (info.kind != RE2::Set::kNoError) {
            incomplete_ = true;
          }
        } else if (info.kind != RE2::Set::kNoError) {
          incomplete_ = true;
        }
      }
      if (hits.empty()) continue;
      // Pattern order (group, then entry, then list), whichever matcher found
      // them, so the outcome does not depend on how a pattern was compiled;
      // a symbol glob can match with and without the leading '_'.
      if (from_literals > 0 && hits.size() > 1) {
        std::sort(hits.begin(), hits.end());
        hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
      }
      Record(km, location, item, have_refs && (*referenced)[i], hits);
    }
  }

  void Finish(Facts* facts) override;

 private:
  struct Held {
    int rank;       // 0 referenced strong, 1 strong, 2 weak; +3 when supporting
    uint64_t seq;
    Evidence ev;
  };
  struct Acc {
    uint64_t primary = 0, strong = 0, supporting = 0;
    bool referenced = false;
    uint32_t groups = 0;  // bit per PatternGroup with a primary hit
    std::vector<Held> held;
  };

  void Record(const KindMatcher& km, std::string_view location, std::string_view item,
              bool referenced, const std::vector<int>& hits) {
    // Exclusions first: an excluded item says nothing about that SDK.
    excluded_.clear();
    for (int h : hits) {
      const CompiledPattern& cp = km.patterns[h];
      if (cp.role == Role::kExclude) excluded_.push_back(cp.sdk);
    }
    done_.clear();
    for (int h : hits) {
      const CompiledPattern& cp = km.patterns[h];
      if (cp.role == Role::kExclude) continue;
      if (std::find(excluded_.begin(), excluded_.end(), cp.sdk) != excluded_.end()) continue;
      if (std::find(done_.begin(), done_.end(), cp.sdk) != done_.end()) continue;
      // An item matching both a pattern and a not_alone pattern of the SDK is
      // only supporting evidence.
      bool supporting = false;
      for (int h2 : hits) {
        const CompiledPattern& o = km.patterns[h2];
        if (o.sdk == cp.sdk && o.role == Role::kNotAlone) supporting = true;
      }
      done_.push_back(cp.sdk);
      Acc& a = acc_[cp.sdk];
      if (supporting) {
        ++a.supporting;
      } else {
        ++a.primary;
        a.groups |= 1u << static_cast<unsigned>(cp.group);
        if (!cp.weak) {
          ++a.strong;
          if (referenced) a.referenced = true;
        }
      }
      int rank = (cp.weak ? 2 : (referenced ? 0 : 1)) + (supporting ? 3 : 0);
      // A weak pattern (a name inside a string) says nothing about the SDK's
      // code being referenced, even when code references that string.
      Keep(&a, rank, cp.label, location, item, referenced && !cp.weak);
    }
  }

  // Keeps a bounded, diverse sample: at most kMaxPerLabel per evidence kind
  // and kMaxEvidencePerSdk in all, preferring stronger evidence.
  void Keep(Acc* a, int rank, const char* label, std::string_view location,
            std::string_view value, bool referenced) {
    size_t same = 0;
    Held* worst_same = nullptr;
    Held* worst = nullptr;
    for (Held& h : a->held) {
      if (h.ev.kind == label && h.ev.value == value) {
        if (rank < h.rank) h.rank = rank;
        h.ev.referenced = h.ev.referenced || referenced;
        return;
      }
      if (h.ev.kind == label) {
        ++same;
        if (worst_same == nullptr || h.rank > worst_same->rank) worst_same = &h;
      }
      if (worst == nullptr || h.rank > worst->rank) worst = &h;
    }
    Held n{rank, seq_++, Evidence{label, std::string(location), std::string(value), referenced}};
    if (same >= kMaxPerLabel) {
      if (rank < worst_same->rank) *worst_same = std::move(n);
      return;
    }
    if (a->held.size() < kMaxEvidencePerSdk) {
      a->held.push_back(std::move(n));
      return;
    }
    if (worst != nullptr && rank <= worst->rank) *worst = std::move(n);
  }

  const CompiledDb* db_;
  std::vector<Acc> acc_;
  std::vector<uint32_t> excluded_, done_;
  uint64_t seq_ = 0;
  bool incomplete_ = false;
};

void Sink::Finish(Facts* facts) {
  const auto& entries = db_->entries();
  std::vector<uint32_t> found;
  for (uint32_t s = 0; s < acc_.size(); ++s) {
    const Acc& a = acc_[s];
    if (a.primary == 0) continue;  // nothing, or only not_alone evidence
    const SdkSignature& sig = entries[s];
    if (!sig.requires_any.empty()) {
      bool ok = false;
      for (PatternGroup g : sig.requires_any) ok = ok || (a.groups & (1u << static_cast<unsigned>(g)));
      if (!ok) continue;
    }
    found.push_back(s);
  }
  std::sort(found.begin(), found.end(), [&](uint32_t x, uint32_t y) {
    int rx = db_->category_rank(x), ry = db_->category_rank(y);
    return rx != ry ? rx < ry : entries[x].id < entries[y].id;
  });
  for (uint32_t s : found) {
    const SdkSignature& sig = entries[s];
    Acc& a = acc_[s];
    bool already = std::any_of(facts->sdks.begin(), facts->sdks.end(),
                               [&](const SdkHit& h) { return h.id == sig.id; });
    if (already) continue;
    SdkHit hit;
    hit.id = sig.id;
    hit.name = sig.name;
    hit.vendor = sig.vendor;
    hit.category = sig.category;
    hit.confidence = a.strong == 0 ? "weak" : (a.referenced ? "referenced" : "present");
    std::stable_sort(a.held.begin(), a.held.end(), [](const Held& x, const Held& y) {
      return x.rank != y.rank ? x.rank < y.rank : x.seq < y.seq;
    });
    for (Held& h : a.held) hit.evidence.push_back(std::move(h.ev));
    if (sig.category == "packer" && a.strong > 0) {
      PackerInfo& p = facts->packer;
      p.packed = true;
      if (std::find(p.names.begin(), p.names.end(), sig.name) == p.names.end()) {
        p.names.push_back(sig.name);
        std::string note = sig.name + ": " +
                           (sig.packer_note.empty()
                                ? "the DEX code is a packer stub; the app's own code is "
                                  "encrypted and was not analysed"
                                : sig.packer_note);
        std::string payload;
        for (const Evidence& ev : hit.evidence) {
          if (ev.kind == "asset") payload += (payload.empty() ? "" : ", ") + ev.value;
        }
        if (!payload.empty()) note += " (encrypted payload: " + payload + ")";
        p.not_analysed.push_back(std::move(note));
      }
    }
    facts->sdks.push_back(std::move(hit));
  }
  // A FairPlay-encrypted iOS executable hides its code the same way a packer
  // does; say so once, whoever noticed the encryption.
  if (facts->ios.encrypted) {
    static const char kFairPlay[] = "Apple FairPlay encryption";
    PackerInfo& p = facts->packer;
    p.packed = true;
    if (std::find(p.names.begin(), p.names.end(), kFairPlay) == p.names.end()) {
      p.names.push_back(kFairPlay);
      p.not_analysed.push_back(std::string(kFairPlay) +
                               ": the main executable is encrypted (cryptid != 0); its classes, "
                               "symbols and strings were not analysed, so SDKs linked into it "
                               "are not reported");
    }
  }
  if (incomplete_) {
    facts->anomalies.push_back({"signature-match-incomplete", "",
                                "the signature matcher ran out of memory on some items; SDK "
                                "detection may be incomplete"});
  }
}

}  // namespace

std::unique_ptr<EvidenceSink> CompiledDb::NewSink() const { return std::make_unique<Sink>(this); }

}  // namespace shelfguard::sigs
