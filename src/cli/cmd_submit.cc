// `shelfguard submit`: one package to a running shelfguardd (REQ to the
// submit socket), its verdict and findings printed (docs/daemon.md).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "core/bounded_file.h"
#include "shelfguard/report.h"

namespace shelfguard::cli {
namespace {

using json = nlohmann::json;

// A random request id (128 bits, hex) that makes a submission resumable.
std::string NewRequestId() {
  unsigned char b[16] = {};
  int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  bool ok = fd >= 0 && ::read(fd, b, sizeof b) == static_cast<ssize_t>(sizeof b);
  if (fd >= 0) ::close(fd);
  if (!ok) {
    // No /dev/urandom: time and pid still make a collision unlikely.
    auto t = std::chrono::steady_clock::now().time_since_epoch().count();
    std::memcpy(b, &t, sizeof t);
    pid_t pid = ::getpid();
    std::memcpy(b + 8, &pid, sizeof pid);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char c : b) {
    id += kHex[c >> 4];
    id += kHex[c & 15];
  }
  return id;
}

// Submits and waits for the verdict, surviving a daemon restart: after
// `resume_ms` without a reply (or a "stopping" reply) it asks again by
// request id on a new socket, which attaches to the same job or returns its
// stored result; a daemon that never queued the request ("unknown-request")
// gets the whole submission again. Gives up at o.timeout_ms. *parsed is the
// reply parsed (discarded when it is not JSON), so that it is parsed once.
bool SubmitResumable(const ClientOptions& o, const std::vector<std::string>& frames, const std::string& rid,
                     int64_t resume_ms, std::string* reply, json* parsed, std::string* error) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(o.timeout_ms);
  const std::vector<std::string> resume = {Dump({{"type", "submit"}, {"request_id", rid}, {"resume", true}})};
  bool whole = true;
  while (!StopRequested()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    ClientOptions round = o;
    round.timeout_ms = std::min<int64_t>(resume_ms, left.count());
    std::string err;
    if (!RequestReply(round, whole ? frames : resume, reply, &err)) {
      if (err.rfind("no reply", 0) != 0) {
        *error = err;  // not a timeout: CURVE or ZeroMQ setup failed
        return false;
      }
      whole = false;  // ask again by id: the daemon may have restarted
      continue;
    }
    json& r = *parsed = json::parse(*reply, nullptr, false);
    std::string code = r.is_object() ? r.value("code", "") : "";
    if (code == "unknown-request") {
      whole = true;
    } else if (code == "stopping") {
      whole = false;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(500, left.count())));
    } else {
      return true;
    }
  }
  *error = "no verdict from " + o.endpoint + " within " + std::to_string(o.timeout_ms) +
           " ms (is shelfguardd running?)";
  return false;
}

struct SubmitOptions {
  ClientOptions client{"tcp://127.0.0.1:7710", "", "", "", 300000};
  bool by_path = false;
  std::string format = "text";
  int64_t resume_ms = 5000;
  Severity fail_on = Severity::kViolation;
  std::string target, sha256;
};

int RunSubmit(SubmitOptions& so) {
  ClientOptions& o = so.client;
  if (!ApplyConfigOrSay("submit", &o, Socket::kSubmit)) return 2;
  const bool as_json = so.format == "json", by_path = so.by_path;
  const int64_t resume_ms = so.resume_ms;
  const Severity fail_on = so.fail_on;
  const std::string &target = so.target, &sha256 = so.sha256;
  std::string rid = NewRequestId();
  json req = {{"type", "submit"}, {"request_id", rid}};
  std::vector<std::string> frames;
  if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) {
    req["url"] = target;
    if (!sha256.empty()) req["sha256"] = sha256;
    frames.push_back(Dump(req));
  } else {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(target, ec)) {
      std::fprintf(stderr, "shelfguard submit: %s: not a file\n", target.c_str());
      return 2;
    }
    req["name"] = std::filesystem::path(target).filename().string();
    if (by_path) {
      req["path"] = std::filesystem::absolute(target).lexically_normal().string();
      frames.push_back(Dump(req));
    } else {
      // One read into a buffer of the file's size (a stream copied it twice);
      // the cap is the largest submit.max_bytes a daemon accepts.
      auto bytes = ReadFileBounded(target, uint64_t{1} << 34, "package");
      if (!bytes.ok()) {
        std::fprintf(stderr, "shelfguard submit: %s\n", bytes.status().message().c_str());
        return 2;
      }
      frames.push_back(Dump(req));
      frames.push_back(std::move(bytes).value());
    }
  }
  InstallStopHandlers();
  std::string reply, error;
  json r;
  if (!SubmitResumable(o, frames, rid, resume_ms, &reply, &r, &error)) {
    std::fprintf(stderr, "shelfguard submit: %s\n", error.c_str());
    return 2;
  }
  if (r.is_discarded() || !r.is_object()) {
    std::fprintf(stderr, "shelfguard submit: malformed reply from the daemon\n");
    return 2;
  }
  if (as_json) {
    // The reply as the daemon wrote it: re-serialising the parsed object
    // would sort every key and bury "ok"/"verdict" among the report's.
    std::printf("%s\n", reply.c_str());
  }
  if (!r.value("ok", false)) {
    std::fprintf(stderr, "shelfguard submit: %s: %s\n", target.c_str(), r.value("error", "failed").c_str());
    return 2;
  }
  std::string verdict = r.value("verdict", "error");
  if (!as_json) {
    std::printf("%s: %s (job %lld, sha256 %s)\n", target.c_str(), verdict.c_str(),
                static_cast<long long>(r.value("job_id", int64_t{0})), r.value("sha256", "").c_str());
    if (r.contains("findings")) {
      for (const auto& f : r["findings"]) {
        std::printf("  [%s] %s: %s\n", f.value("severity", "").c_str(), f.value("rule_id", "").c_str(),
                    f.value("message_en", "").c_str());
        if (f.contains("evidence")) {
          for (const auto& e : f["evidence"]) {
            std::printf("      %s %s %s\n", e.value("kind", "").c_str(), e.value("location", "").c_str(),
                        e.value("value", "").c_str());
          }
        }
      }
    }
    if (verdict == "error") std::printf("  error: %s\n", r.value("error", "").c_str());
  }
  if (verdict == "error") return 2;
  auto sev = ParseSeverity(verdict);
  return fail_on != Severity::kPass && sev && *sev >= fail_on ? 1 : 0;
}

}  // namespace

void SetupSubmit(CLI::App* root) {
  CLI::App* cmd = AddCommand(root, "submit", "submit a package to a running shelfguardd for a verdict");
  cmd->footer(std::string(
      "Submits one package to a running shelfguardd and prints its verdict and findings.\n"
      "A FILE is sent as bytes (up to the daemon's submit.max_bytes) unless --by-path;\n"
      "an http(s) URL is downloaded by the daemon.") + "\n\n" +
      "exit codes: 0 below --fail-on; 1 a finding reached it; 2 not analysed, no reply,\n"
      "            or a usage error\n"
      "aliases: --json = --format json\n");
  auto o = std::make_shared<SubmitOptions>();
  cmd->add_option("target", o->target, "package file or http(s) URL")->type_name("FILE|URL")->required();
  AddClientCommon(cmd, &o->client);
  cmd->add_flag("--by-path", o->by_path,
                "send the file's absolute path instead of its bytes (the daemon must be able to "
                "read it)");
  cmd->add_option("--sha256", o->sha256, "for a URL: the expected SHA-256 of the download")
      ->type_name("HEX");
  AddFormatOption(cmd, &o->format, " (json: the daemon's reply)");
  cmd->add_option("--resume-after", o->resume_ms,
                  "with no reply after MS (default 5000), ask again by request id: a restarted "
                  "daemon answers for the same job")
      ->type_name("MS")
      ->check(CLI::Range(int64_t{100}, int64_t{86400000}).description(""));
  AddFailOnOption(cmd, &o->fail_on);
  SetRunner(cmd, [o] { return RunSubmit(*o); });
}

}  // namespace shelfguard::cli
