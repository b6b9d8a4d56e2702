// `shelfguard signatures pack|verify|update`: signed signature bundles
// (src/signatures/bundle.h, docs/signature-format.md "Signed bundles and
// updates"). Every failure exits 2 with the reason on stderr.
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "cli/commands.h"
#include "signatures/bundle.h"
#include "signatures/minisign.h"
#include "signatures/signature_db.h"

namespace shelfguard::cli {
namespace {

const char kBundleFooter[] =
    "Keys: minisign -G -W -p KEY.pub -s KEY.key (unencrypted secret key; keep it offline).\n"
    "exit codes: 0 ok (update: installed or not modified); 2 usage error, or the bundle was\n"
    "refused (the reason is printed; update leaves the installed set as it was)\n";

// ---- signed bundles: pack, verify, update (docs/signature-format.md) ----

struct BundleOptions {
  std::string dir, secret_key, public_key, out, bundle, url;
  uint64_t version = 0;
};

int Refused(const char* command, const Status& st) {
  std::fprintf(stderr, "shelfguard signatures %s: %s\n", command, st.ToString().c_str());
  return 2;
}

std::string VersionName(uint64_t v) { return v == 0 ? "none" : std::to_string(v); }

int Pack(const BundleOptions& o) {
  if (o.version == 0) return Refused("pack", Status::Invalid("--version must be at least 1"));
  auto key = minisign::ReadSecretKeyFile(o.secret_key);
  if (!key.ok()) return Refused("pack", key.status());
  auto m = PackBundle(o.dir, o.version, *key, o.out);
  if (!m.ok()) return Refused("pack", m.status());
  std::printf("%s: version %llu, %zu files, signed by key %s\n", o.out.c_str(),
              static_cast<unsigned long long>(m->version), m->files.size(),
              minisign::KeyIdHex(key->key_id).c_str());
  return 0;
}

int Verify(const BundleOptions& o) {
  auto key = minisign::ReadPublicKeyFile(o.public_key);
  if (!key.ok()) return Refused("verify", key.status());
  auto v = VerifyBundleFile(o.bundle, *key);
  if (!v.ok()) return Refused("verify", v.status());
  std::printf("%s: ok, version %llu, created %s, signed by key %s\n", o.bundle.c_str(),
              static_cast<unsigned long long>(v->manifest.version),
              v->manifest.created_at.c_str(), minisign::KeyIdHex(key->key_id).c_str());
  for (const auto& f : v->manifest.files) {
    std::printf("  %-28s %10llu  %s\n", f.name.c_str(), static_cast<unsigned long long>(f.size),
                f.sha256.c_str());
  }
  return 0;
}

int Update(const BundleOptions& o) {
  auto key = minisign::ReadPublicKeyFile(o.public_key);
  if (!key.ok()) return Refused("update", key.status());
  UpdateOptions u;
  u.url = o.url;
  u.dir = o.dir.empty() ? DefaultSignaturesDir() : o.dir;
  u.key = *key;
  auto r = UpdateSignatureBundle(u);
  if (!r.ok()) return Refused("update", r.status());
  if (r->not_modified) {
    std::printf("signatures not modified: version %s in %s\n", VersionName(r->old_version).c_str(),
                u.dir.c_str());
  } else {
    std::printf("signatures updated: %s -> %s (%zu files, database %s) in %s\n",
                VersionName(r->old_version).c_str(), VersionName(r->new_version).c_str(),
                r->files, r->database_version.c_str(), u.dir.c_str());
  }
  return 0;
}

// A `signatures` subcommand with the bundle footer, running `run`.
CLI::App* AddBundleCommand(CLI::App* parent, const std::string& name, const std::string& help, Runner run) {
  CLI::App* cmd = AddCommand(parent, name, help);
  cmd->footer(kBundleFooter);
  SetRunner(cmd, std::move(run));
  return cmd;
}

// What verify and update both take: the bundle they check (`arg`, a file or
// a URL, required) and the minisign public key they check it with.
void AddCheckedBundleOptions(CLI::App* cmd, const std::string& arg, std::string* where, const std::string& help,
                             const std::string& type, std::string* public_key) {
  cmd->add_option(arg, *where, help)->type_name(type)->required();
  cmd->add_option("--public-key", *public_key, "minisign public key")->type_name("KEY.pub")->required();
}

}  // namespace

// Called by SetupSignatures (cmd_signatures.cc) with the `signatures` command.
void AddSignatureBundleCommands(CLI::App* cmd) {
  auto b = std::make_shared<BundleOptions>();
  CLI::App* pack = AddBundleCommand(cmd, "pack",
                                    "pack DIR's signature files into a signed bundle (zip with "
                                    "manifest.json and its minisign signature)",
                                    [b] { return Pack(*b); });
  // --version here is the bundle's version, not "print the program version".
  pack->set_version_flag("");
  pack->add_option("--dir,--signatures", b->dir, "signature directory to pack")
      ->type_name("DIR")
      ->required();
  pack->add_option("--version", b->version, "bundle version, a whole number above the last one")
      ->type_name("N")
      ->required();
  pack->add_option("--secret-key", b->secret_key, "minisign secret key (minisign -G -W)")
      ->type_name("FILE")
      ->required();
  pack->add_option("-o,--output,--out", b->out, "bundle to write")->type_name("BUNDLE.zip")
      ->required();

  CLI::App* verify = AddBundleCommand(cmd, "verify",
                                      "verify a bundle's signature and every file's digest; print its "
                                      "version and files",
                                      [b] { return Verify(*b); });
  AddCheckedBundleOptions(verify, "bundle", &b->bundle, "bundle file", "BUNDLE.zip", &b->public_key);

  CLI::App* update = AddBundleCommand(cmd, "update",
                                      "download a bundle (conditional GET), verify it, refuse a version "
                                      "not newer than the installed one and swap it in atomically",
                                      [b] { return Update(*b); });
  AddCheckedBundleOptions(update, "url", &b->url, "bundle URL (http or https)", "URL", &b->public_key);
  update->add_option("--dir,--signatures", b->dir,
                     "installed signature directory (default: $SHELFGUARD_SIGNATURES or built-in)")
      ->type_name("DIR");
}

}  // namespace shelfguard::cli
