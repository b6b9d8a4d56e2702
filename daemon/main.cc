// shelfguardd: the shelfguard scanning daemon (docs/daemon.md).
#include <signal.h>
#include <sys/stat.h>
#include <zmq.h>

#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "cli/help_format.h"
#include "config.h"
#include "shelfguard/about.h"
#include "shelfguard/process_setup.h"
#include "daemon.h"
#include "log.h"
#include "scan_child.h"

namespace {

const char kDescription[] =
    "Scans education app packages from platform feeds, a spool directory, swept\n"
    "directories and on-demand submissions; queues violations for consumers over\n"
    "ZeroMQ with at-least-once delivery (docs/daemon.md).";

const char kFooter[] =
    "signals: SIGHUP reloads the config, signatures and registry without dropping\n"
    "jobs (also: shelfguard reload); SIGTERM/SIGINT finish the scans in progress and\n"
    "exit (queued jobs stay queued for the next start).\n"
    "exit codes: 0 clean stop (or --check: the config is valid); 2 a bad config, a\n"
    "usage error, or the daemon could not start\n"
    "\n"
    "config keys (section.key, default, meaning):\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace shelfguard::daemon;
  shelfguard::PrepareScanningProcess();
  std::string config_path;
  bool once = false, check = false, print_config = false, gen_keys = false;
  // Internal: the per-worker scan service (scan_child.h).
  if ((argc == 5 || argc == 7 || argc == 9) && std::string(argv[1]) == "--scan-service" &&
      std::string(argv[3]) == "--config") {
    bool snap = argc >= 7 && std::string(argv[5]) == "--snapshot";
    bool region = argc == 9 && std::string(argv[7]) == "--region";
    return ScanServiceMain(std::atoi(argv[2]), argv[4], snap ? argv[6] : "", region ? std::atoi(argv[8]) : -1);
  }
  CLI::App app(kDescription, "shelfguardd");
  shelfguard::cli::UseHelpFormat(&app);
  app.set_help_flag("-h,--help", "print this help and exit");
  app.set_version_flag("--version",
                       std::string("shelfguardd ") + SHELFGUARD_VERSION + "\ndocumentation: " +
                           shelfguard::kDocumentationUri,
                       "print the version and exit");
  app.footer(std::string(kFooter) + ConfigHelp());
  app.add_option("-c,--config", config_path, "TOML configuration (see --print-config)")
      ->type_name("FILE");
  app.add_flag("--once", once, "one sweep of every source, drain, print a summary, exit");
  app.add_flag("--check", check, "validate the configuration and exit (0 ok, 2 bad)");
  app.add_flag("--print-config", print_config, "print a commented config with every key's default");
  app.add_flag("--gen-curve-keys", gen_keys, "print a new CURVE key pair (public, secret; Z85)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "shelfguardd: %s (see --help)\n", e.what());
    return 2;
  }
  if (print_config) {
    std::fputs(SampleConfig().c_str(), stdout);
    return 0;
  }
  if (gen_keys) {
    char pub[41], sec[41];
    if (zmq_curve_keypair(pub, sec) != 0) {
      std::fprintf(stderr, "shelfguardd: CURVE is not available in this libzmq\n");
      return 2;
    }
    std::printf("public %s\nsecret %s\n", pub, sec);
    return 0;
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "shelfguardd: --config FILE is required (see --help)\n");
    return 2;
  }
  auto config = LoadConfig(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "shelfguardd: config %s: %s\n", config_path.c_str(),
                 config.status().message().c_str());
    return 2;
  }
  if (check) {
    // The registry is loaded as start would: rejected records are listed
    // (stderr) and, with scan.registry_strict, make the config invalid.
    auto reg = CheckRegistry(*config);
    if (!reg.ok()) {
      std::fprintf(stderr, "shelfguardd: config %s: %s\n", config_path.c_str(),
                   reg.status().message().c_str());
      return 2;
    }
    if (!reg->empty()) std::fprintf(stderr, "shelfguardd: %s", reg->c_str());
    shelfguard::Status sup = CheckSuppressions(*config);
    if (!sup.ok()) {
      std::fprintf(stderr, "shelfguardd: config %s: %s\n", config_path.c_str(), sup.message().c_str());
      return 2;
    }
    std::printf("shelfguardd: config %s is valid\n", config_path.c_str());
    return 0;
  }
  SetLogLevel(config->log_level);
  // Everything the daemon creates (database, spool, ipc sockets) is owner-only.
  ::umask(077);
  // Signals are taken synchronously by one thread; all threads inherit the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR2);  // internal: wakes the signal thread at exit
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto daemon = Daemon::Create(*config, once);
  if (!daemon.ok()) {
    std::fprintf(stderr, "shelfguardd: %s\n", daemon.status().message().c_str());
    Log(LogLevel::kError, "daemon.start_failed", {{"error", daemon.status().ToString()}});
    return 2;
  }
  Daemon* d = daemon->get();
  std::thread signals([d, &set] {
    while (!d->Finished()) {
      struct timespec ts = {0, 200 * 1000 * 1000};
      int sig = sigtimedwait(&set, nullptr, &ts);
      if (sig == SIGHUP) {
        Log(LogLevel::kInfo, "signal", {{"signal", "SIGHUP"}});
        d->RequestReload();  // builds the new engine here, off the workers
      } else if (sig == SIGTERM || sig == SIGINT) {
        Log(LogLevel::kInfo, "signal", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
        d->RequestStop();
      }
    }
  });
  int rc = d->Run();
  pthread_kill(signals.native_handle(), SIGUSR2);  // exit now, not at its next timeout
  signals.join();
  return rc;
}
