// Loader, validator and compiler of the signature database
// (docs/signature-format.md).
#include "signatures/signature_db.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "core/data_dir.h"
#include "signatures/matcher.h"

namespace shelfguard {
namespace {

using nlohmann::json;

// A signature file larger than this is refused: the database is hand-written
// data, and the loader must not be made to allocate without bound.
constexpr uint64_t kMaxFileBytes = 8ull << 20;
constexpr size_t kMaxPatternBytes = 512;

const char* const kGroupNames[kPatternGroupCount] = {
    "classes", "components", "native_libs", "assets",  "hosts",
    "strings", "objc_classes", "frameworks", "symbols", "harmony_modules", "maven",
    "meta_data"};

bool GroupFromName(std::string_view name, PatternGroup* g) {
  for (size_t i = 0; i < kPatternGroupCount; ++i) {
    if (name == kGroupNames[i]) {
      *g = static_cast<PatternGroup>(i);
      return true;
    }
  }
  return false;
}

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  if (!((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= '0' && id[0] <= '9'))) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Reads {"group": ["pattern", ...], ...} into `out`; problems name `where`.
void ReadGroups(const json& obj, const char* where, const std::string& file,
                const std::string& id,
                std::array<std::vector<std::string>, kPatternGroupCount>* out,
                std::vector<SignatureProblem>* problems) {
  if (!obj.is_object()) {
    problems->push_back({file, id, std::string("'") + where + "' must be an object"});
    return;
  }
  for (const auto& [key, val] : obj.items()) {
    PatternGroup g;
    if (!GroupFromName(key, &g)) {
      problems->push_back({file, id, std::string("unknown pattern group '") + key + "' in '" +
                                         where + "'"});
      continue;
    }
    if (!val.is_array()) {
      problems->push_back({file, id, std::string("'") + where + "." + key + "' must be an array"});
      continue;
    }
    for (const auto& p : val) {
      if (!p.is_string()) {
        problems->push_back({file, id, std::string("'") + where + "." + key +
                                           "' holds a non-string pattern"});
        continue;
      }
      const std::string& s = p.get_ref<const std::string&>();
      if (s.empty() || s.size() > kMaxPatternBytes) {
        problems->push_back({file, id, std::string("empty or over-long pattern in '") + where +
                                           "." + key + "'"});
        continue;
      }
      if (std::any_of(s.begin(), s.end(), [](char c) { return c >= 0 && c < 0x20; })) {
        problems->push_back({file, id, "pattern '" + s + "' has a control character"});
        continue;
      }
      if (s.rfind("re:", 0) == 0) {
        RE2::Options o;
        o.set_log_errors(false);
        RE2 re(s.substr(3), o);
        if (!re.ok()) {
          problems->push_back({file, id, "bad regular expression '" + s + "' in '" + where + "." +
                                             key + "': " + re.error()});
          continue;
        }
      }
      (*out)[static_cast<size_t>(g)].push_back(s);
    }
  }
}

std::string Fnv64Hex(std::string_view data, uint64_t h) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

struct FileText {
  std::string name;  // base name
  std::string text;
};

// Lists and reads every *.json of `dir`, sorted by name.
std::vector<FileText> ReadDir(const std::string& dir, std::vector<SignatureProblem>* problems) {
  std::vector<FileText> files;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    problems->push_back({dir, "", "not a directory"});
    return files;
  }
  std::vector<std::filesystem::path> paths;
  for (const auto& de : std::filesystem::directory_iterator(dir, ec)) {
    if (de.path().extension() == ".json" && de.is_regular_file(ec)) paths.push_back(de.path());
  }
  if (ec) problems->push_back({dir, "", "cannot list: " + ec.message()});
  std::sort(paths.begin(), paths.end());
  if (paths.empty() && !ec) problems->push_back({dir, "", "no *.json signature files"});
  for (const auto& p : paths) {
    std::string name = p.filename().string();
    uint64_t size = std::filesystem::file_size(p, ec);
    if (ec || size > kMaxFileBytes) {
      problems->push_back({name, "", ec ? "cannot stat: " + ec.message()
                                        : "file is over " + std::to_string(kMaxFileBytes) +
                                              " bytes"});
      continue;
    }
    // Read in one call of the size just found (a character iterator cost
    // a millisecond of every start); a file that changed size since the
    // stat is a read error.
    std::ifstream in(p, std::ios::binary);
    std::string text(static_cast<size_t>(size), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (!in || static_cast<uint64_t>(in.gcount()) != size || in.peek() != std::ifstream::traits_type::eof()) {
      problems->push_back({name, "", "read error"});
      continue;
    }
    files.push_back({std::move(name), std::move(text)});
  }
  return files;
}

// Parses and cross-checks all files; `version` gets the content hash.
std::vector<SdkSignature> ParseAll(const std::vector<FileText>& files,
                                   std::vector<SignatureProblem>* problems, std::string* version) {
  // The files are parsed on up to four threads (most of the engine's
  // start-up is this JSON), then merged in name order, so entries, problems
  // and the version hash are exactly those of a parse one after another.
  struct Parsed {
    std::vector<SdkSignature> entries;
    std::vector<SignatureProblem> problems;
  };
  std::vector<Parsed> parsed(files.size());
  std::atomic<size_t> next{0};
  auto parse = [&]() {
    for (size_t i; (i = next.fetch_add(1)) < files.size();) {
      try {
        parsed[i].entries = ParseSignatureFile(files[i].name, files[i].text, &parsed[i].problems);
      } catch (const std::exception& e) {  // bad_alloc: said, never thrown across a thread
        parsed[i].entries.clear();
        parsed[i].problems.push_back({files[i].name, "", std::string("cannot parse: ") + e.what()});
      }
    }
  };
  std::vector<std::thread> pool;
  const size_t threads =
      std::min<size_t>({4, files.size(), std::max(1u, std::thread::hardware_concurrency())});
  for (size_t t = 1; t < threads; ++t) {
    try {
      pool.emplace_back(parse);
    } catch (const std::system_error&) {
      break;  // no thread to be had: this one parses them all
    }
  }
  std::vector<SdkSignature> all;
  std::map<std::string, std::string> seen;  // id -> file
  uint64_t h = 1469598103934665603ull;
  std::string hash;
  for (const auto& f : files) {  // while the others parse
    hash = Fnv64Hex(f.name + '\0' + f.text, h);
    h = std::strtoull(hash.c_str(), nullptr, 16);
  }
  parse();
  for (auto& t : pool) t.join();
  for (size_t i = 0; i < files.size(); ++i) {
    const FileText& f = files[i];
    problems->insert(problems->end(), parsed[i].problems.begin(), parsed[i].problems.end());
    for (auto& e : parsed[i].entries) {
      auto [it, inserted] = seen.emplace(e.id, f.name);
      if (!inserted) {
        problems->push_back({f.name, e.id, "duplicate id (first defined in " + it->second + ")"});
        continue;
      }
      all.push_back(std::move(e));
    }
  }
  if (version != nullptr) *version = std::to_string(all.size()) + " sdks " + hash.substr(0, 12);
  return all;
}

class Factory : public EvidenceSinkFactory {
 public:
  explicit Factory(std::shared_ptr<const SignatureDb> db) : db_(std::move(db)) {}
  std::unique_ptr<EvidenceSink> NewSink() const override { return db_->NewSink(); }
  std::string version() const override { return db_->version(); }

 private:
  std::shared_ptr<const SignatureDb> db_;
};

}  // namespace

const char* PatternGroupName(PatternGroup g) {
  size_t i = static_cast<size_t>(g);
  return i < kPatternGroupCount ? kGroupNames[i] : "unknown";
}

const std::vector<std::string>& KnownCategories() {
  // Order is the report order of facts.sdks.
  static const std::vector<std::string> kCategories = {
      "ads",       "game-engine", "game-sdk", "payment", "face",   "live-streaming",
      "photo-search", "analytics", "push",    "social",  "packer", "other"};
  return kCategories;
}

bool IsKnownCategory(std::string_view category) {
  const auto& c = KnownCategories();
  return std::find(c.begin(), c.end(), category) != c.end();
}

std::string SignatureProblem::ToString() const {
  std::string s = file;
  if (!entry.empty()) s += ": entry '" + entry + "'";
  return s + ": " + message;
}

std::vector<SdkSignature> ParseSignatureFile(std::string_view file_name, std::string_view text,
                                             std::vector<SignatureProblem>* problems) {
  std::vector<SdkSignature> out;
  std::string file(file_name);
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false,
                         /*ignore_comments=*/false);
  if (doc.is_discarded()) {
    problems->push_back({file, "", "not valid JSON"});
    return out;
  }
  if (!doc.is_object()) {
    problems->push_back({file, "", "top level must be an object"});
    return out;
  }
  auto fmt = doc.find("format");
  if (fmt == doc.end() || !fmt->is_string() || *fmt != kSignatureFormat) {
    problems->push_back({file, "", std::string("\"format\" must be \"") + kSignatureFormat + "\""});
    return out;
  }
  auto ver = doc.find("version");
  if (ver == doc.end() || !ver->is_string() || ver->get_ref<const std::string&>().empty()) {
    problems->push_back({file, "", "\"version\" must be a non-empty string"});
  }
  for (const auto& [key, val] : doc.items()) {
    if (key != "format" && key != "version" && key != "description" && key != "sdks")
      problems->push_back({file, "", "unknown top-level key '" + key + "'"});
  }
  auto sdks = doc.find("sdks");
  if (sdks == doc.end() || !sdks->is_array()) {
    problems->push_back({file, "", "\"sdks\" must be an array"});
    return out;
  }
  size_t index = 0;
  for (const auto& e : *sdks) {
    ++index;
    std::string where = "#" + std::to_string(index);
    if (!e.is_object()) {
      problems->push_back({file, where, "entry must be an object"});
      continue;
    }
    SdkSignature sig;
    sig.file = file;
    size_t before = problems->size();
    auto str = [&](const char* key, std::string* dst, bool required) {
      auto it = e.find(key);
      if (it == e.end()) {
        if (required) problems->push_back({file, sig.id.empty() ? where : sig.id,
                                           std::string("missing \"") + key + "\""});
        return;
      }
      if (!it->is_string() || (required && it->get_ref<const std::string&>().empty())) {
        problems->push_back({file, sig.id.empty() ? where : sig.id,
                             std::string("\"") + key + "\" must be a non-empty string"});
        return;
      }
      *dst = it->get<std::string>();
    };
    str("id", &sig.id, true);
    if (!sig.id.empty() && !ValidId(sig.id)) {
      problems->push_back({file, sig.id, "id must be lower-case [a-z0-9._-], at most 64 chars"});
    }
    const std::string& eid = sig.id.empty() ? where : sig.id;
    str("name", &sig.name, true);
    str("vendor", &sig.vendor, true);
    str("category", &sig.category, true);
    str("source", &sig.source, true);
    str("description", &sig.description, false);
    if (!sig.category.empty() && !IsKnownCategory(sig.category))
      problems->push_back({file, eid, "unknown category '" + sig.category + "'"});
    for (const auto& [key, val] : e.items()) {
      static const std::set<std::string> kKeys = {
          "id",       "name",     "vendor",    "category", "source", "description",
          "patterns", "requires", "not_alone", "exclude",  "packer"};
      if (kKeys.count(key) == 0) problems->push_back({file, eid, "unknown key '" + key + "'"});
    }
    auto pats = e.find("patterns");
    if (pats == e.end()) {
      problems->push_back({file, eid, "missing \"patterns\""});
    } else {
      ReadGroups(*pats, "patterns", file, eid, &sig.patterns, problems);
    }
    if (auto it = e.find("exclude"); it != e.end())
      ReadGroups(*it, "exclude", file, eid, &sig.exclude, problems);
    if (auto it = e.find("not_alone"); it != e.end())
      ReadGroups(*it, "not_alone", file, eid, &sig.not_alone, problems);
    size_t n = 0;
    for (const auto& g : sig.patterns) n += g.size();
    if (n == 0 && pats != e.end())
      problems->push_back({file, eid, "\"patterns\" has no pattern"});
    if (auto it = e.find("requires"); it != e.end()) {
      if (!it->is_array()) {
        problems->push_back({file, eid, "\"requires\" must be an array of pattern groups"});
      } else {
        for (const auto& r : *it) {
          PatternGroup g;
          if (!r.is_string() || !GroupFromName(r.get_ref<const std::string&>(), &g)) {
            problems->push_back({file, eid, "\"requires\" names an unknown pattern group"});
            continue;
          }
          if (sig.patterns[static_cast<size_t>(g)].empty()) {
            problems->push_back({file, eid, std::string("\"requires\" names '") +
                                                PatternGroupName(g) + "' but it has no patterns"});
          }
          sig.requires_any.push_back(g);
        }
      }
    }
    if (auto it = e.find("packer"); it != e.end()) {
      if (!it->is_object() || !it->contains("note") || !(*it)["note"].is_string()) {
        problems->push_back({file, eid, "\"packer\" must be {\"note\": \"...\"}"});
      } else {
        sig.packer_note = (*it)["note"].get<std::string>();
      }
      if (sig.category != "packer")
        problems->push_back({file, eid, "\"packer\" is only allowed for category packer"});
    }
    if (problems->size() == before) out.push_back(std::move(sig));
  }
  return out;
}

std::vector<SignatureProblem> CheckSignatureDir(const std::string& dir, size_t* entry_count) {
  std::vector<SignatureProblem> problems;
  auto files = ReadDir(dir, &problems);
  std::string version;
  auto entries = ParseAll(files, &problems, &version);
  if (entry_count != nullptr) *entry_count = entries.size();
  // Compile too: catches patterns RE2 accepts alone but not in a set, and
  // set-wide memory limits.
  if (problems.empty()) {
    sigs::CompiledDb db(std::move(entries), version);
    Status st = db.Compile();
    if (!st.ok()) problems.push_back({dir, "", st.message()});
  }
  return problems;
}

Result<std::shared_ptr<const SignatureDb>> CompileSignatures(std::vector<SdkSignature> entries,
                                                             std::string version) {
  auto db = std::make_shared<sigs::CompiledDb>(std::move(entries), std::move(version));
  Status st = db->Compile();
  if (!st.ok()) return st;
  return std::shared_ptr<const SignatureDb>(std::move(db));
}

Result<std::shared_ptr<const SignatureDb>> LoadSignatureDb(const std::string& dir) {
  std::vector<SignatureProblem> problems;
  auto files = ReadDir(dir, &problems);
  std::string version;
  auto entries = ParseAll(files, &problems, &version);
  if (!problems.empty()) {
    std::string msg = "signature database " + dir + ": " + problems.front().ToString();
    if (problems.size() > 1)
      msg += " (and " + std::to_string(problems.size() - 1) + " more problems; run "
             "'shelfguard signatures check')";
    return Status::Invalid(msg);
  }
  return CompileSignatures(std::move(entries), std::move(version));
}

std::unique_ptr<EvidenceSinkFactory> NewSinkFactory(std::shared_ptr<const SignatureDb> db) {
  return std::make_unique<Factory>(std::move(db));
}

std::string DefaultSignaturesDir() {
  const char* env = std::getenv("SHELFGUARD_SIGNATURES");
  if (env != nullptr && *env != '\0') return env;
  // Installed: <prefix>/share/shelfguard/signatures; in a build tree, the
  // source tree's (core/data_dir.h).
  return DataDir() + "/signatures";
}

Result<std::unique_ptr<EvidenceSinkFactory>> LoadSignatures(const std::string& dir) {
  auto db = LoadSignatureDb(dir);
  if (!db.ok()) return db.status();
  return NewSinkFactory(std::move(db).value());
}

}  // namespace shelfguard
