#!/usr/bin/env bash
# Installs what shelfguard needs on Debian 12 (run as root). With --test, also
# the tools the tests and fixture writers use (aapt, dexdump, smali, clang ...).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
runtime=(cmake make g++ pkg-config libzip-dev libdeflate-dev zlib1g-dev libcapstone-dev libre2-dev nlohmann-json3-dev
         libzmq3-dev cppzmq-dev libcurl4-openssl-dev libplist-dev libsqlite3-dev libssl-dev
         libtomlplusplus-dev libcli11-dev libsodium-dev libxlsxwriter-dev libprotobuf-dev
         protobuf-compiler libpq-dev python3 ca-certificates)
testing=(libgtest-dev clang clang-14 lld-14 llvm-14 libclang-rt-14-dev aapt dexdump
         android-framework-res libsmali-java zipalign apksigner libplist-utils openssl
         default-jre-headless zip unzip gcc binutils minisign python3-jsonschema
         python3-openpyxl help2man chromium fonts-wqy-microhei dpkg-dev fakeroot systemd strace
         postgresql)
pkgs=("${runtime[@]}")
if [[ "${1:-}" == "--test" ]]; then pkgs+=("${testing[@]}"); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
