#!/usr/bin/env bash
# The main job on embedded defaults: shelfguardd sweeps the bundled sample
# packages (samples/packages/) once with the sample registry, stores results
# in a fresh SQLite state dir (/tmp/shelfguard-demo, 0700), delivers every
# violation over ZeroMQ on loopback (ipc://) to the reference consumer, prints
# a summary and exits 0.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${SG_BUILD_DIR:-build}
state=/tmp/shelfguard-demo
out=/tmp/shelfguard-demo-violations.jsonl
log=/tmp/shelfguard-demo.log
mkdir -p samples/packages
# Stop a previous demo still holding the state dir, then start fresh.
rm -rf "$state" "$out"
mkdir -m 700 "$state"

# The consumer connects first (ZeroMQ reconnects until the daemon binds).
"$build/shelfguard" consume --endpoint "ipc://$state/delivery.sock" --out "$out" \
    --consumer demo --idle-exit 4000 &
consumer=$!

"$build/shelfguardd" --config samples/shelfguard.toml --once 2>"$log"
rc=$?
wait "$consumer" 2>/dev/null
if [[ $rc -ne 0 ]]; then
  echo "shelfguardd failed (exit $rc); log:" >&2
  tail -n 20 "$log" >&2
  exit "$rc"
fi
n=$( [[ -f "$out" ]] && wc -l <"$out" || echo 0 )
echo "shelfguard consume: $n violation messages received and acknowledged -> $out"
if [[ "$n" -gt 0 ]]; then
  python3 - "$out" <<'PY' 2>/dev/null || true
import json, sys, collections
by_pkg = collections.defaultdict(list)
for line in open(sys.argv[1]):
    m = json.loads(line)
    by_pkg[m["package"]["file"]].append(m["rule_id"])
for pkg, rules in sorted(by_pkg.items()):
    print(f"  {pkg}: {', '.join(sorted(set(rules)))}")
PY
fi
echo "structured log: $log; state (SQLite queue, results, outbox): $state"
exit 0
