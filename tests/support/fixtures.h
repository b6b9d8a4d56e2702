// Building fixture packages at test time with the writers in tests/fixtures/.
//
//   std::string apk = shelfguard::testing::BuildApk(R"({"package": "com.x", ...})");
//   std::string zip = shelfguard::testing::BuildZip(R"({"entries": [...]})");
//
// The spec (JSON text, format in tests/fixtures/README.md) is written next to
// its output under $SG_BINARY_DIR/fixtures/ and the writer is run once per
// distinct spec: outputs are cached by a hash of the spec text and the
// writer's own source, so editing either rebuilds. Writers publish their
// output atomically, so tests running in parallel may share the cache.
//
// On failure the functions return "" and, unless `error` is given, record a
// non-fatal gtest failure carrying the writer's output. Header-only so module
// tests (which link only their module and gtest) can use it.
#ifndef SHELFGUARD_TESTS_SUPPORT_FIXTURES_H_
#define SHELFGUARD_TESTS_SUPPORT_FIXTURES_H_

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "support/corpus.h"

namespace shelfguard::testing {

namespace fixtures_internal {

inline uint64_t Fnv1a(const std::string& s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs tests/fixtures/<tool> SPEC OUT unless OUT is cached.
inline std::string Build(const std::string& tool, const std::string& ext,
                         const std::string& spec_json, std::string* error) {
  const std::string script = SourceDir() + "/tests/fixtures/" + tool;
  const std::string script_text = ReadText(script);
  auto fail = [&](const std::string& msg) -> std::string {
    if (error != nullptr) {
      *error = msg;
    } else {
      ADD_FAILURE() << tool << ": " << msg;
    }
    return "";
  };
  if (script_text.empty()) return fail("cannot read " + script);
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(Fnv1a(spec_json, Fnv1a(script_text))));
  const std::string dir = BinaryDir() + "/fixtures";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string base = dir + "/" + hex;
  const std::string out = base + ext;
  if (std::filesystem::exists(out, ec)) return out;
  const std::string spec_path = base + ".json";
  const std::string tmp_spec = spec_path + ".tmp" + std::to_string(getpid());
  {
    std::ofstream f(tmp_spec, std::ios::binary);
    f << spec_json;
    if (!f) return fail("cannot write " + tmp_spec);
  }
  std::filesystem::rename(tmp_spec, spec_path, ec);
  const std::string log = base + ".log" + std::to_string(getpid());
  // Built under a private name and renamed into place: tests run in
  // parallel processes, and one must never open another's half-written file.
  const std::string tmp_out = base + ".tmp" + std::to_string(getpid()) + ext;
  const std::string cmd = "python3 " + Quote(script) + " " + Quote(spec_path) + " " +
                          Quote(tmp_out) + " >" + Quote(log) + " 2>&1";
  int rc = std::system(cmd.c_str());
  std::string output = ReadText(log);
  std::filesystem::remove(log, ec);
  // Published with link(), which never replaces: when two processes build the
  // same spec at once, the first one's file stays and the other's is dropped.
  // A rename would swap the bytes under a test that already read or hashed
  // them (the builds are not byte-identical: signing and zip times differ).
  if (rc == 0) std::filesystem::create_hard_link(tmp_out, out, ec);
  std::filesystem::remove(tmp_out, ec);
  if (rc != 0 || !std::filesystem::exists(out, ec)) {
    return fail("building " + out + " from " + spec_path + " failed (status " +
                std::to_string(rc) + "):\n" + output);
  }
  return out;
}

}  // namespace fixtures_internal

// A real, signed APK built by tests/fixtures/mkapk.py from `spec_json`.
inline std::string BuildApk(const std::string& spec_json, std::string* error = nullptr) {
  return fixtures_internal::Build("mkapk.py", ".apk", spec_json, error);
}

// A (possibly malformed) zip built by tests/fixtures/mkzip.py from `spec_json`.
inline std::string BuildZip(const std::string& spec_json, std::string* error = nullptr) {
  return fixtures_internal::Build("mkzip.py", ".zip", spec_json, error);
}

// The whole file as bytes ("" when unreadable).
inline std::string ReadFileBytes(const std::string& path) {
  return fixtures_internal::ReadText(path);
}

// `s` quoted for a POSIX shell command line.
inline std::string ShellQuote(const std::string& s) { return fixtures_internal::Quote(s); }

// How a command ended and what it printed.
struct CommandRun {
  int exit_code = -1;      // the exit status, or 128 + the signal
  bool signalled = false;  // killed by a signal
  std::string out, err;
};

// Runs `command` with /bin/sh, stdin from /dev/null, stdout and stderr
// captured (through files in BinaryDir(), removed afterwards). The one
// command runner of the tests: the command carries its own `timeout`.
inline CommandRun RunCommand(const std::string& command) {
  static std::atomic<int> counter{0};
  std::string base = BinaryDir() + "/run." + std::to_string(getpid()) + "." + std::to_string(counter++);
  std::string cmd = command + " >" + ShellQuote(base + ".out") + " 2>" + ShellQuote(base + ".err") + " </dev/null";
  int st = std::system(cmd.c_str());
  CommandRun r;
  r.signalled = WIFSIGNALED(st);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = ReadFileBytes(base + ".out");
  r.err = ReadFileBytes(base + ".err");
  std::filesystem::remove(base + ".out");
  std::filesystem::remove(base + ".err");
  return r;
}

// A fixture for suites whose input is built at test time by a tool that is
// a test dependency (smali, gcc, clang: scripts/install-deps.sh): `Build`
// runs once per process, and a build that failed ("") fails every test of
// the suite instead of skipping it.
template <std::string (*Build)()>
class BuiltInputTest : public ::testing::Test {
 protected:
  static const std::string& Built() {
    static const std::string* bytes = new std::string(Build());
    return *bytes;
  }
  void SetUp() override {
    ASSERT_FALSE(Built().empty())
        << "the suite's input could not be built: is its tool installed (install-deps.sh)?";
  }
};

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_FIXTURES_H_
