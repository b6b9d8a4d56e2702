#!/usr/bin/env bash
# Builds the .deb from a release build, installs it into a fresh root and runs
# the installed programs with the source and build trees out of reach.
#
#   bash scripts/test-package.sh [BUILD_DIR]        (default: build)
#
# Checks: Depends names the package of every shared library the programs load;
# /etc/shelfguard/shelfguard.toml is a conffile; the unit, man pages,
# completion and signatures are in the package. Then, in a mount namespace
# with a tmpfs over the source tree (and the build tree): the installed
# `shelfguard signatures check` uses <root>/usr/share/shelfguard/signatures,
# `shelfguard scan` of a sample (run by <root>/usr/libexec/shelfguard-tool,
# which the installed shelfguard execs) prints what the build tree's printed,
# `shelfguardd --check` accepts the installed config, and `shelfguardd --once`
# with that config runs as an unprivileged user on a read-only file system
# with only its state directory writable (as ProtectSystem=strict,
# PrivateTmp= and ProtectHome= leave it), using only system calls that the
# unit's SystemCallFilter allows. `systemd-analyze verify` checks the unit.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
start=$SECONDS
fail() { echo "test-package: FAIL: $*" >&2; exit 1; }
[[ $EUID -eq 0 ]] || fail "run as root (dpkg --root, mount namespaces, a service user)"
step() { echo "-- $* ($((SECONDS - start)) s)"; }

work=$(mktemp -d /tmp/sg-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

step "building the .deb"
cmake --build "$build" --target shelfguard shelfguardd man >/dev/null
(cd "$build" && cpack -G DEB -B "$work/cpack" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/cpack/shelfguard_*.deb)
echo "$(basename "$deb"): $(du -k "$deb" | cut -f1) KiB"

step "checking the package's control data"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
[[ -n $(dpkg-deb -f "$deb" Maintainer) ]] || fail "no Maintainer"
[[ -n $(dpkg-deb -f "$deb" Description) ]] || fail "no Description"
# Every shared library the programs link directly (DT_NEEDED) must come from a
# package in Depends (the libraries those load come with their own Depends).
dep_names=$(tr ',' '\n' <<<"$depends" | awk '{ print $1 }')
libs=$(for bin in "$build/shelfguard" "$build/shelfguard-tool" "$build/shelfguardd"; do
  needed=$(readelf -d "$bin" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p')
  [[ -n $needed ]] || fail "readelf found no DT_NEEDED in $bin"
  ldd "$bin" | awk -v needed="$needed" 'BEGIN { split(needed, n, "\n"); for (i in n) want[n[i]] = 1 }
                                        $2 == "=>" && ($1 in want) { print $3 }'
done | sort -u)
for lib in $libs; do
  pkg=""
  for p in "$lib" "/usr$lib" "$(readlink -f "$lib")" "${lib#/usr}"; do
    pkg=$(dpkg-query -S "$p" 2>/dev/null | head -n1 | cut -d: -f1) && [[ -n $pkg ]] && break
  done
  [[ -n $pkg ]] || fail "no package owns $lib"
  grep -qxF "$pkg" <<<"$dep_names" || fail "Depends lacks $pkg (for $lib)"
done
# libcurl is loaded with dlopen (src/net/curl_lazy.cc), so no DT_NEEDED names it.
grep -qxF libcurl4 <<<"$dep_names" || fail "Depends lacks libcurl4 (loaded with dlopen by the HTTP code)"
[[ $(dpkg-deb -I "$deb" conffiles) == "/etc/shelfguard/shelfguard.toml" ]] || fail "conffiles: $(dpkg-deb -I "$deb" conffiles)"
contents=$(dpkg-deb -c "$deb" | awk '{ print $6 }')
for f in ./usr/bin/shelfguard ./usr/libexec/shelfguard-tool ./usr/bin/shelfguardd ./etc/shelfguard/shelfguard.toml \
         ./usr/lib/systemd/system/shelfguardd.service \
         ./usr/share/bash-completion/completions/shelfguard ./usr/share/bash-completion/completions/shelfguardd \
         ./usr/share/man/man1/shelfguard.1.gz ./usr/share/man/man1/shelfguardd.1.gz \
         ./usr/share/man/man1/shelfguard-scan.1.gz; do
  grep -qxF "$f" <<<"$contents" || fail "$f is not in the package"
done
nsig=$(grep -c '^\./usr/share/shelfguard/signatures/.' <<<"$contents" || true)
(( nsig > 0 )) || fail "no signatures in the package"

step "installing into a fresh root with dpkg --root"
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
# The fresh root has no libraries registered, hence --force-depends (Depends
# was checked above against this system); maintainer scripts run from the
# host with DPKG_ROOT set.
dpkg --root="$root" --force-script-chrootless --force-depends --log=/dev/null -i "$deb" >"$work/dpkg.log" 2>&1 ||
  { cat "$work/dpkg.log"; fail "dpkg -i"; }
dpkg --root="$root" -s shelfguard | grep -q '^Status: install ok installed' || fail "not installed"
dpkg --root="$root" -s shelfguard | grep -q '/etc/shelfguard/shelfguard.toml' || fail "conffile not registered"

step "reference output from the build tree"
mkdir -p "$work/pkgs"
cp "$src/samples/packages/banned.apk" "$work/pkgs/sample.apk"
(cd / && env -u SHELFGUARD_DATA_DIR -u SHELFGUARD_SIGNATURES "$build/shelfguard" scan --no-progress "$work/pkgs/sample.apk") >"$work/expected.txt" || true
grep -qE '^  sdks \([1-9]' "$work/expected.txt" || fail "the build tree's scan found no SDK: $(cat "$work/expected.txt")"
# `signatures check` of the installed copy must say what the build tree's
# says of the source tree, with the installed directory named.
env -u SHELFGUARD_DATA_DIR -u SHELFGUARD_SIGNATURES "$build/shelfguard" signatures check 2>&1 |
  sed "s|$src/signatures|SIGDIR|g" >"$work/expected-check.txt"
grep -q SIGDIR "$work/expected-check.txt" || fail "the build tree's signatures check does not name $src/signatures"

# The service's view: the installed config with the state directory and a
# swept directory moved into $work and the sockets on ephemeral loopback
# ports (the host's /var/lib and ports 7710-7713 are not ours to use).
state=$work/state
mkdir -p "$state" && chown nobody:nogroup "$state" && chmod 700 "$state"
sed -e "s|^state_dir = .*|state_dir = \"$state\"|" \
    -e "s|tcp://127.0.0.1:77[0-9][0-9]|tcp://127.0.0.1:*|" \
    "$root/etc/shelfguard/shelfguard.toml" >"$work/service.toml"
printf '\n[[directories]]\nname = "pkgs"\npath = "%s/pkgs"\ninterval_s = 300\n' "$work" >>"$work/service.toml"
[[ $(grep -c 'tcp://127.0.0.1:\*' "$work/service.toml") == 4 ]] || fail "could not move the sockets in the test config"
chmod 644 "$work/service.toml"

# The unit's system-call filter, with its groups (@name) expanded as systemd
# lists them.
syscalls_of() {
  local item
  for item in $(systemd-analyze syscall-filter "$1" | awk 'NR > 1 && /^ +[-@a-z_0-9]+$/ { print $1 }'); do
    if [[ $item == @* ]]; then syscalls_of "$item"; else echo "$item"; fi
  done
}
allowed=$work/allowed-syscalls
comm -23 <(syscalls_of @system-service | LC_ALL=C sort -u) <(syscalls_of @privileged | LC_ALL=C sort -u) >"$allowed"
[[ -s $allowed ]] || fail "systemd-analyze syscall-filter gave nothing"

cat >"$work/installed-checks.sh" <<CHECKS
set -euo pipefail
fail() { echo "test-package: FAIL: \$*" >&2; exit 1; }
cd /
unset SHELFGUARD_DATA_DIR SHELFGUARD_SIGNATURES SG_SOURCE_DIR SG_BINARY_DIR
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
bin=$root/usr/bin
out=\$(\$bin/shelfguard signatures check 2>&1) || fail "signatures check: \$out"
echo "installed: \$out"
diff -u $work/expected-check.txt <(sed "s|$root/usr/share/shelfguard/signatures|SIGDIR|g" <<<"\$out") ||
  fail "the installed signatures check differs from the build tree's"
rc=0; \$bin/shelfguard scan --no-progress $work/pkgs/sample.apk >$work/installed.txt || rc=\$?
diff -u $work/expected.txt $work/installed.txt || fail "the installed scan differs from the build tree's (rc \$rc)"
\$bin/shelfguardd --config $root/etc/shelfguard/shelfguard.toml --check || fail "shelfguardd --check on the installed config"
\$bin/shelfguardd --config $work/service.toml --check >/dev/null || fail "shelfguardd --check on the service test config"
CHECKS

cat >"$work/service-run.sh" <<'RUN'
set -euo pipefail
state=$1 config=$2 daemon=$3
# What ProtectSystem=strict and ProtectHome= leave the daemon: every mount
# read-only but its state directory, /home and /root empty. (/tmp is
# read-only too, stricter than PrivateTmp=.)
mount --bind "$state" "$state"
mount -t tmpfs tmpfs /home
mount -t tmpfs tmpfs /root
findmnt -rn -o TARGET | sort -r | while read -r m; do
  [[ $m == "$state" ]] || mount -o remount,bind,ro "$m" 2>/dev/null || true
done
if touch "$state/../probe" 2>/dev/null; then echo "the file system is still writable" >&2; exit 1; fi
cd /
strace -f -qq -e signal=none -o "$state/strace.log" -u nobody \
  env -i PATH=/usr/bin:/bin "$daemon" --config "$config" --once
RUN

hide=()
if unshare -m true 2>/dev/null; then
  hide=("$src")
  [[ $build == "$src"/* ]] || hide+=("$build")
  echo "hiding ${hide[*]} behind a tmpfs in a private mount namespace"
else
  echo "note: unshare -m is not permitted here: the installed programs run with the trees in place (cwd /)"
fi
hide_cmds=""
for d in "${hide[@]}"; do hide_cmds+="mount -t tmpfs -o ro,size=1m tmpfs '$d' && "; done

step "running the installed programs"
if (( ${#hide[@]} )); then
  unshare -m --propagation private bash -c "${hide_cmds} [[ ! -e '$src/CMakeLists.txt' ]] && bash '$work/installed-checks.sh'" ||
    fail "installed programs"
else
  bash "$work/installed-checks.sh" || fail "installed programs"
fi

step "running shelfguardd --once as the service would"
if (( ${#hide[@]} )) && command -v strace >/dev/null; then
  unshare -m --propagation private bash -c "${hide_cmds} bash '$work/service-run.sh' '$state' '$work/service.toml' '$root/usr/bin/shelfguardd'" >"$work/daemon.out" 2>"$work/daemon.err" ||
    { cat "$work/daemon.out" "$work/daemon.err"; fail "shelfguardd --once under the service's restrictions"; }
  used=$(awk '{ sub(/^[0-9]+ +/, ""); if (match($0, /^[a-z_0-9]+\(/)) print substr($0, 1, RLENGTH - 1) }' "$state/strace.log" | LC_ALL=C sort -u)
  denied=$(comm -23 <(echo "$used") "$allowed" | tr '\n' ' ')
  [[ -z ${denied// /} ]] || fail "system calls outside SystemCallFilter=@system-service ~@privileged: $denied"
  echo "system calls used: $(echo "$used" | wc -l), all allowed by the unit's filter"
  families=$(grep -oE 'socket\(AF_[A-Z0-9]+' "$state/strace.log" | sed 's/socket(//' | sort -u | tr '\n' ' ')
  for f in $families; do
    grep -q "^RestrictAddressFamilies=.*\b$f\b" "$root/usr/lib/systemd/system/shelfguardd.service" ||
      fail "socket family $f is outside the unit's RestrictAddressFamilies="
  done
  echo "socket families used: ${families:-none}"
else
  echo "note: no mount namespace or strace: shelfguardd --once runs as nobody without the file-system restrictions"
  (cd / && setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs \
     "$root/usr/bin/shelfguardd" --config "$work/service.toml" --once) >"$work/daemon.out" 2>"$work/daemon.err" ||
    { cat "$work/daemon.out" "$work/daemon.err"; fail "shelfguardd --once as nobody"; }
fi
# The daemon's scan of the sample (its JSON log on stderr) has the verdict
# the build tree's `scan` printed.
verdict=$(sed -nE '1s/.*\[([a-z]+)\]$/\1/p' "$work/expected.txt")
grep '"event":"scan.done"' "$work/daemon.err" | grep '"package":"sample.apk"' | grep -q "\"verdict\":\"$verdict\"" ||
  { cat "$work/daemon.out" "$work/daemon.err"; fail "no scan.done of sample.apk with verdict '$verdict' in the daemon's log"; }
[[ -f $state/queue.db ]] || fail "no queue database in the state directory"

step "systemd-analyze verify"
unit=$root/usr/lib/systemd/system/shelfguardd.service
grep -q "^ExecStart=/usr/bin/shelfguardd --config /etc/shelfguard/shelfguard.toml$" "$unit" || fail "ExecStart: $(grep ^ExecStart= "$unit")"
if command -v systemd-analyze >/dev/null; then
  # The unit names /usr/bin/shelfguardd: verify a copy naming the fresh root's
  # programs (a bare root has no sysinit.target or /bin/kill to verify
  # against). verify exits 0 even on unknown keys and bad values; any
  # message is a failure.
  mkdir -p "$work/unit"
  sed "s|/usr/bin/shelfguardd|$root/usr/bin/shelfguardd|g; s|/etc/shelfguard/|$root/etc/shelfguard/|g" \
    "$unit" >"$work/unit/shelfguardd.service"
  systemd-analyze verify --man=no "$work/unit/shelfguardd.service" >"$work/verify.log" 2>&1 || true
  [[ ! -s $work/verify.log ]] || { cat "$work/verify.log"; fail "systemd-analyze verify reported problems"; }
  systemd-analyze security --offline=true --threshold=30 "$work/unit/shelfguardd.service" >"$work/security.log" 2>&1 ||
    { tail -n 20 "$work/security.log"; fail "systemd-analyze security: exposure above 3.0"; }
  tail -n 1 "$work/security.log"
fi
step "package test passed"
