#!/usr/bin/env bash
# Regenerates the archive fuzzer seeds from mkzip.py specs (small files).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mk="$here/../../fixtures/mkzip.py"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
seed() { echo "$2" > "$tmp/$1.json"; python3 "$mk" "$tmp/$1.json" "$here/$1.zip"; }
seed valid '{"entries": [{"name": "AndroidManifest.xml", "text": "manifest"}, {"name": "a.txt", "text": "stored", "method": 0}]}'
seed janus '{"prefix": {"text": "dex\n035\u0000"}, "entries": [{"name": "classes.dex", "text": "d"}]}'
seed relative '{"prefix": {"text": "MZ"}, "prefix_offsets": "relative", "entries": [{"name": "a", "text": "b"}]}'
seed duplicate '{"entries": [{"name": "a", "text": "1"}, {"name": "a", "text": "2"}]}'
seed names '{"entries": [{"name": "a\r", "text": "1"}, {"name": "a\u0000b", "text": "2"}]}'
seed method '{"entries": [{"name": "w", "text": "weird", "method": 21, "data_method": 8}, {"name": "m", "text": "mm", "lh_method": 0}]}'
seed bomb '{"entries": [{"name": "b", "repeat": 0, "count": 100000, "declared_size": 10}]}'
seed overlap '{"entries": [{"name": "x", "text": "xxxx"}, {"name": "y", "local": false, "offset_of": "x"}]}'
seed truncated_cd '{"entries": [{"name": "a", "text": "1"}, {"name": "b", "text": "2"}], "truncate_cd": 50}'
seed count '{"entries": [{"name": "a", "text": "1"}], "eocd": {"entries": 65535, "cd_offset": 4294967295}}'
seed comment '{"entries": [{"name": "a", "text": "1"}], "comment": {"text": "PK\u0005\u0006 comment"}}'
