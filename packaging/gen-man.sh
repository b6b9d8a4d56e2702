#!/usr/bin/env bash
# Writes man pages for shelfguard, each of its commands and subcommands
# (shelfguard-scan.1, shelfguard-registry-import.1, ...) and shelfguardd into
# OUTDIR, with help2man from the programs' own --help, so the pages say what
# the built programs accept. Commands are discovered from the "commands:" /
# "SUBCOMMANDS:" lists of the help texts, not listed here.
#
# usage: gen-man.sh BINDIR OUTDIR VERSION
set -euo pipefail
bindir=$1 out=$2 version=$3
mkdir -p "$out"
rm -f "$out"/*.1 "$out"/*.1.gz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# "name<TAB>description" for each entry under a commands heading: entries are
# indented by exactly two spaces, continuation lines deeper (both the
# hand-written help and CLI11's).
list_commands() {
  "$@" --help 2>/dev/null | awk '
    /^[A-Za-z ]*[Cc][Oo][Mm][Mm][Aa][Nn][Dd][Ss]:[[:space:]]*$/ { in_list = 1; next }
    in_list && /^  [a-z][a-z0-9-]*([[:space:]]|$)/ {
      line = substr($0, 3); name = $1; desc = ""
      if (match(line, /   +[^ ]/)) desc = substr(line, RSTART + RLENGTH - 1)
      sub(/[,;:]$/, "", desc)  # the first line of a wrapped description
      printf "%s\t%s\n", name, desc; next }
    in_list && !/^[[:space:]]*$/ && !/^[[:space:]]/ { in_list = 0 }'
}

# Pages made: "page<TAB>description" lines, then SEE ALSO for all of them.
pages=()
add_page() { pages+=("$1"$'\t'"$2"); }

add_page shelfguard "check education app packages against the filing rules"
add_page shelfguardd "scanning daemon: feeds, spool, submissions, violation delivery"
# Command paths "scan", "registry import", ... discovered one level deep.
declare -a cmd_paths=()
while IFS=$'\t' read -r name desc; do
  [[ -n $name ]] || continue
  "$bindir/shelfguard" "$name" --help >/dev/null 2>&1 || continue
  cmd_paths+=("$name")
  add_page "shelfguard-$name" "${desc:-shelfguard $name}"
  while IFS=$'\t' read -r sub sdesc; do
    [[ -n $sub ]] || continue
    "$bindir/shelfguard" "$name" "$sub" --help >/dev/null 2>&1 || continue
    # A parser that ignores the subcommand prints its parent's help again.
    if cmp -s <("$bindir/shelfguard" "$name" "$sub" --help 2>&1) <("$bindir/shelfguard" "$name" --help 2>&1); then
      continue
    fi
    cmd_paths+=("$name $sub")
    add_page "shelfguard-$name-$sub" "${sdesc:-shelfguard $name $sub}"
  done < <(list_commands "$bindir/shelfguard" "$name")
done < <(list_commands "$bindir/shelfguard")

{
  echo "[SEE ALSO]"
  for p in "${pages[@]}"; do echo ".BR ${p%%$'\t'*} (1),"; done
  echo "docs/daemon.md and docs/report-format.md in the source, and"
  echo ".I /usr/share/shelfguard/signatures"
  echo "for the signature database."
} >"$work/see-also.h2m"

# help2man names the page after the program it runs: a one-line wrapper
# named shelfguard-scan runs "shelfguard scan".
make_page() {  # page description program [args...]
  local page=$1 desc=$2
  shift 2
  local exe="$work/$page"
  printf '#!/bin/sh\nexec %q %s "$@"\n' "$1" "${*:2}" >"$exe"
  chmod +x "$exe"
  help2man --no-info --no-discard-stderr --section=1 --manual="shelfguard manual" \
    --source="shelfguard $version" --version-string="$version" --name="$desc" \
    --include="$work/see-also.h2m" --output="$out/$page.1" "$exe"
  gzip -9nf "$out/$page.1"  # Debian ships man pages compressed
}

desc_of() { local p; for p in "${pages[@]}"; do [[ ${p%%$'\t'*} == "$1" ]] && echo "${p#*$'\t'}"; done; }
make_page shelfguard "$(desc_of shelfguard)" "$bindir/shelfguard"
make_page shelfguardd "$(desc_of shelfguardd)" "$bindir/shelfguardd"
for c in "${cmd_paths[@]}"; do
  page="shelfguard-${c// /-}"
  # shellcheck disable=SC2086  # c is "command [subcommand]", split on purpose
  make_page "$page" "$(desc_of "$page")" "$bindir/shelfguard" $c
done
echo "gen-man: ${#pages[@]} pages in $out"
