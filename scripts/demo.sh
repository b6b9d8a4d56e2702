#!/usr/bin/env bash
# The main job on embedded defaults: scans the bundled sample packages.
set -uo pipefail
cd "$(dirname "$0")/.."
./build/shelfguard scan samples/ ; rc=$?
echo "shelfguard scan exited with $rc (0 pass, 1 findings at or above --fail-on, 2 not analysed)"
