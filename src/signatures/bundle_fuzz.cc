// libFuzzer target for signed bundles: the input is a bundle zip verified
// against a fixed key (seeds in tests/fuzz_seeds/bundle/ are bundles signed
// with it, so mutations reach the manifest and digest checks), and the same
// bytes as a manifest, a key file and a signature file.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "signatures/bundle.h"
#include "signatures/minisign.h"

namespace {

// The key of the seeds: Ed25519 from 32 bytes of 0x5e, key id 8 bytes of 0x5e.
shelfguard::minisign::PublicKey FuzzKey() {
  shelfguard::minisign::PublicKey pk;
  if (sodium_init() < 0) __builtin_trap();
  uint8_t seed[32], sk[64];
  std::memset(seed, 0x5e, sizeof seed);
  crypto_sign_seed_keypair(pk.key.data(), sk, seed);
  pk.key_id.fill(0x5e);
  return pk;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const shelfguard::minisign::PublicKey key = FuzzKey();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  shelfguard::BundleLimits limits;
  limits.max_bundle_bytes = 1u << 20;
  limits.max_files = 16;
  limits.max_file_bytes = 256u << 10;
  limits.max_total_bytes = 1u << 20;
  auto v = shelfguard::VerifyBundle(in, key, limits);
  if (v.ok() && v->contents.size() != v->manifest.files.size()) __builtin_trap();
  auto m = shelfguard::ParseBundleManifest(in, limits);
  if (m.ok()) {
    auto again = shelfguard::ParseBundleManifest(shelfguard::BundleManifestJson(*m), limits);
    if (!again.ok() || again->files.size() != m->files.size()) __builtin_trap();
  }
  shelfguard::minisign::ParsePublicKey(in).status().IgnoreError();
  shelfguard::minisign::ParseSecretKey(in).status().IgnoreError();
  shelfguard::minisign::Verify(key, "message", in).IgnoreError();
  return 0;
}
