// The control-socket clients of a running shelfguardd (REQ to the control
// socket, docs/daemon.md): `status`, and `ping`, `reload` and `version`.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/daemon_client.h"

namespace shelfguard::cli {
namespace {

using json = nlohmann::json;

struct ControlOptions {
  ClientOptions client{"tcp://127.0.0.1:7711", "", "", "", 5000};
  std::string format = "text";
};

// One request on the control socket; the parsed reply, or null after a
// message on stderr.
json ControlRequest(const char* cmd, ControlOptions& co) {
  ClientOptions& o = co.client;
  std::string reply, error = ApplyConfig(&o, Socket::kControl);
  if (error.empty() && !RequestReply(o, {Dump({{"cmd", cmd}})}, &reply, &error)) {
    if (StopRequested()) error = "interrupted";
  }
  if (!error.empty()) {
    std::fprintf(stderr, "shelfguard %s: %s\n", cmd, error.c_str());
    return json();
  }
  json r = json::parse(reply, nullptr, false);
  if (r.is_discarded() || !r.is_object()) {
    std::fprintf(stderr, "shelfguard %s: malformed reply from %s\n", cmd, o.endpoint.c_str());
    return json();
  }
  if (!r.value("ok", false)) {
    std::fprintf(stderr, "shelfguard %s: the daemon refused: %s\n", cmd,
                 r.value("error", std::string("no reason given")).c_str());
    return json();
  }
  return r;
}

int RunStatus(ControlOptions& co) {
  ClientOptions& o = co.client;
  const bool as_json = co.format == "json";
  if (!ApplyConfigOrSay("status", &o, Socket::kControl)) return 2;
  std::string reply, error;
  if (!RequestReply(o, {Dump({{"cmd", "status"}})}, &reply, &error)) {
    std::fprintf(stderr, "shelfguard status: %s\n", error.c_str());
    return 2;
  }
  json r = json::parse(reply, nullptr, false);
  if (r.is_discarded() || !r.value("ok", false)) {
    std::fprintf(stderr, "shelfguard status: bad reply: %s\n", reply.c_str());
    return 2;
  }
  if (as_json) {
    std::printf("%s\n", Dump(r).c_str());
    return 0;
  }
  auto g = [&](const char* a, const char* b) { return r[a].value(b, json()).dump(); };
  std::printf("shelfguardd %s (pid %s), up %s s, workers %s (%s busy)\n",
              r["daemon"].value("version", "").c_str(), g("daemon", "pid").c_str(),
              g("daemon", "uptime_s").c_str(), g("daemon", "workers").c_str(), g("daemon", "busy_workers").c_str());
  std::printf("versions: signatures %s, registry %s\n", r["versions"].value("signatures", "").c_str(),
              r["versions"].value("registry", "").c_str());
  if (const json up = r.value("signatures", json::object()).value("update", json::object());
      !up.value("url", "").empty()) {
    std::printf("signature updates: %s every %s s; installed bundle %s; last attempt %s: %s%s%s\n",
                up.value("url", "").c_str(), up["interval_s"].dump().c_str(), up["installed_version"].dump().c_str(),
                up.value("last_attempt", "").empty() ? "(none yet)" : up.value("last_attempt", "").c_str(),
                up.value("last_result", "").c_str(), up.value("last_error", "").empty() ? "" : "; last error: ",
                up.value("last_error", "").c_str());
  }
  if (const json sp = r.value("suppressions", json::object()); !sp.value("file", "").empty()) {
    std::printf("suppressions: %s (%s entries)\n", sp.value("file", "").c_str(), sp["entries"].dump().c_str());
  }
  std::printf("queue: depth %s (queued %s, running %s), done %s, failed %s\n", g("queue", "depth").c_str(),
              g("queue", "queued").c_str(), g("queue", "running").c_str(), g("queue", "done").c_str(),
              g("queue", "failed").c_str());
  std::printf("outbox: pending %s, in flight %s, acknowledged %s; live watchers: %s\n", g("outbox", "pending").c_str(),
              g("outbox", "inflight").c_str(), g("outbox", "acked").c_str(),
              r.value("publish", json::object()).value("watching", false) ? "yes" : "none");
  std::printf("throughput: %s scanned, %s in the last minute, %.2f/s average; verdicts %s\n",
              g("throughput", "scanned").c_str(), g("throughput", "last_minute").c_str(),
              r["throughput"].value("per_second", 0.0), g("throughput", "verdicts").c_str());
  if (const json st = r.value("store", json::object()); st.contains("nodes")) {
    std::printf("store: %s %s, this node %s; %lld of %zu nodes alive\n", st.value("engine", "").c_str(),
                st.value("where", "").c_str(), st.value("node_id", "").c_str(),
                static_cast<long long>(st.value("nodes_alive", int64_t{0})), st["nodes"].size());
    for (const auto& n : st["nodes"]) {
      std::printf("  node %s (%s pid %s) %s, last heartbeat %s, workers %s, running %s, scanned %s last minute, "
                  "%s last hour\n",
                  n.value("node_id", "").c_str(), n.value("host", "").c_str(), n["pid"].dump().c_str(),
                  n.value("alive", false) ? "alive" : "silent", n.value("last_heartbeat", "").c_str(),
                  n["workers"].dump().c_str(), n["running"].dump().c_str(), n["scanned_last_minute"].dump().c_str(),
                  n["scanned_last_hour"].dump().c_str());
    }
  } else if (st.contains("error")) {
    std::printf("store: %s %s: %s\n", st.value("engine", "").c_str(), st.value("where", "").c_str(),
                st.value("error", "").c_str());
  }
  std::printf("errors: scan %s, failed jobs %s, feed %s\n", g("errors", "scan").c_str(),
              g("errors", "failed_jobs").c_str(), g("errors", "feed").c_str());
  for (const auto& e : r["errors"].value("recent", json::array())) std::printf("  %s\n", e.get<std::string>().c_str());
  for (const auto& f : r.value("feeds", json::array())) {
    std::printf("feed %s: %s packages, last poll %s, HTTP %s (%lld not modified), errors poll/entry/download "
                "%s/%s/%s%s%s\n",
                f.value("name", "").c_str(), f["packages"].dump().c_str(), f.value("last_poll", "").c_str(),
                f["http_status"].dump().c_str(), static_cast<long long>(f.value("not_modified", int64_t{0})),
                f["poll_errors"].dump().c_str(), f["entry_errors"].dump().c_str(),
                f["download_errors"].dump().c_str(), f.value("last_error", "").empty() ? "" : "; last: ",
                f.value("last_error", "").c_str());
  }
  return 0;
}

// ping / reload / version: one control request, its reply printed.
int RunControlVerb(const char* cmd, ControlOptions& co) {
  json r = ControlRequest(cmd, co);
  if (std::string(cmd) == "version" && co.format != "json") std::printf("%s\n", VersionText().c_str());
  if (r.is_null()) return 2;
  if (co.format == "json") {
    std::printf("%s\n", Dump(r).c_str());
    return 0;
  }
  if (std::string(cmd) == "ping") std::printf("shelfguardd at %s is alive\n", co.client.endpoint.c_str());
  // The reply's fields, flattened one level: "versions.signatures: ...".
  for (const auto& [k, v] : r.items()) {
    if (k == "ok") continue;
    if (v.is_object()) {
      for (const auto& [k2, v2] : v.items()) {
        std::printf("%s.%s: %s\n", k.c_str(), k2.c_str(),
                    v2.is_string() ? v2.get<std::string>().c_str() : Dump(v2).c_str());
      }
    } else {
      std::printf("%s: %s\n", k.c_str(), v.is_string() ? v.get<std::string>().c_str() : Dump(v).c_str());
    }
  }
  return 0;
}

}  // namespace

void SetupStatus(CLI::App* root) {
  CLI::App* cmd = AddCommand(root, "status", "show a running shelfguardd's queue and throughput");
  cmd->footer(
      "Shows a running shelfguardd's queue depth, throughput, errors, feeds and versions.\n\n"
      "aliases: --json = --format json\n");
  auto o = std::make_shared<ControlOptions>();
  AddClientCommon(cmd, &o->client);
  AddFormatOption(cmd, &o->format, " (json: the daemon's reply)");
  SetRunner(cmd, [o] { return RunStatus(*o); });
}

void SetupControl(CLI::App* root) {
  struct Verb {
    const char* name;
    const char* help;
  };
  static const Verb kVerbs[] = {
      {"ping", "ask a running shelfguardd whether it answers (exit 0 yes, 2 no)"},
      {"reload", "make a running shelfguardd reload its config, signatures and registry (as SIGHUP)"},
      {"version", "print this client's version and the daemon's engine, signatures and registry versions"},
  };
  for (const Verb& v : kVerbs) {
    CLI::App* cmd = AddCommand(root, v.name, v.help);
    cmd->footer("exit codes: 0 the daemon answered ok; 2 no answer, a refusal, or a usage error\n"
                "aliases: --json = --format json\n");
    auto o = std::make_shared<ControlOptions>();
    AddClientCommon(cmd, &o->client);
    AddFormatOption(cmd, &o->format, " (json: the daemon's reply)");
    const char* name = v.name;
    SetRunner(cmd, [o, name] { return RunControlVerb(name, *o); });
  }
}

}  // namespace shelfguard::cli
