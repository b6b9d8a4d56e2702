// What the benches share: where they find their packages (the shared corpus
// $SHELFGUARD_CORPUS, else <source>/../shared/corpus, and its folders), the
// directory of the built programs and a scratch directory.
#ifndef SHELFGUARD_BENCH_BENCH_SUPPORT_H_
#define SHELFGUARD_BENCH_BENCH_SUPPORT_H_

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

namespace shelfguard::bench {

// $SHELFGUARD_CORPUS, else <source>/../shared/corpus.
inline std::string CorpusRoot() {
  const char* env = std::getenv("SHELFGUARD_CORPUS");
  return env != nullptr ? env : std::string(SHELFGUARD_SOURCE_DIR) + "/../shared/corpus";
}

// The regular files of `dir` whose name ends in `ext` (any when empty), in
// name order; none when `dir` cannot be read.
inline std::vector<std::filesystem::path> FilesIn(const std::filesystem::path& dir, const std::string& ext = "") {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec) && (ext.empty() || e.path().extension() == ext)) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The directory of the running bench (where shelfguard and shelfguardd are
// built).
inline std::filesystem::path BinDir() { return std::filesystem::canonical("/proc/self/exe").parent_path(); }

// A new, empty /tmp/<prefix>.XXXXXX; an empty path when it cannot be made.
inline std::filesystem::path NewTempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + ".XXXXXX";
  return mkdtemp(tmpl.data()) != nullptr ? std::filesystem::path(tmpl) : std::filesystem::path();
}

// Says on stderr that `program` found no packages in the corpus folder
// `dir`; returns the exit code for that (2).
inline int NoCorpus(const char* program, const std::filesystem::path& dir) {
  std::fprintf(stderr, "%s: no corpus at %s (set SHELFGUARD_CORPUS)\n", program, dir.c_str());
  return 2;
}

// The files named on the command line, else every file of the corpus
// folders `subdirs`, in name order.
inline std::vector<std::string> ArgsOrCorpus(int argc, char** argv, std::initializer_list<const char*> subdirs) {
  std::vector<std::string> files(argv + 1, argv + argc);
  if (!files.empty()) return files;
  for (const char* sub : subdirs) {
    for (const auto& p : FilesIn(CorpusRoot() + "/" + sub)) files.push_back(p.string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Command-line options of the benches: when argv[*i] is `name` and a value
// follows, *i moves onto the value and it is returned; nullptr otherwise.
inline const char* OptionValue(int argc, char** argv, int* i, const char* name) {
  if (std::string(argv[*i]) != name || *i + 1 >= argc) return nullptr;
  return argv[++*i];
}
// The same for a count: at least 1.
inline bool CountOption(int argc, char** argv, int* i, const char* name, int* out) {
  const char* v = OptionValue(argc, argv, i, name);
  if (v != nullptr) *out = std::max(1, std::atoi(v));
  return v != nullptr;
}

}  // namespace shelfguard::bench

#endif  // SHELFGUARD_BENCH_BENCH_SUPPORT_H_
