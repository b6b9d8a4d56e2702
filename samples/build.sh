#!/usr/bin/env bash
# Regenerates samples/packages/*.apk|*.ipa from samples/specs/*.json with the
# fixture writers (tests/fixtures/mkapk.py, mkipa.py; their tools are
# installed by scripts/install-deps.sh --test). Specs named *-ios.json build
# IPAs, the others APKs. Usage: samples/build.sh [SPEC.json...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="$here/../tests/fixtures"
mkdir -p "$here/packages"
specs=("$@")
if [ ${#specs[@]} -eq 0 ]; then specs=("$here"/specs/*.json); fi
for spec in "${specs[@]}"; do
  name="$(basename "$spec" .json)"
  if [[ "$name" == *-ios ]]; then
    out="$here/packages/$name.ipa"
    python3 "$fixtures/mkipa.py" "$spec" "$out"
  else
    out="$here/packages/$name.apk"
    python3 "$fixtures/mkapk.py" "$spec" "$out"
  fi
  echo "built $(basename "$out") ($(stat -c %s "$out") bytes)"
done
