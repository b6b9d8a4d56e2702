#!/usr/bin/env python3
"""Tracker detection for one APK the way εxodus does it: sdk_bench's reference (a).

sdk_bench times this script, one process per APK pinned to one core, against
shelfguard's one-thread scan (bench/README.md, "SDK detection"). It repeats
the steps of εxodus's static analysis (exodus-core), as that project documents
them, written anew here:

1. every archive entry whose name matches the regex `classes.*\\.dex` is
   extracted with Python's zipfile into a temporary directory;
2. one shell pipeline turns the DEX files into a class list:
   `dexdump DIR/classes*.dex`, then perl keeps, from every output line (not
   only the class descriptors), the first slash-separated name that follows
   a run of capitals, then `sort | uniq`;
3. every tracker's `code_signature` (class-name regexes joined by `|`, with
   `.` left as "any character", so it also matches the slash form) is
   compiled with `re.compile`;
4. for every tracker whose code_signature is longer than 3 characters, the
   class list is searched in order until the first class the signature
   finds; that tracker is then reported.

usage: exodus_style.py TRACKERS_JSON APK
Prints one line per tracker found, "id<TAB>name", in id order; exit 0, or
2 with a message naming the file when the list or the APK cannot be read.
"""

import json
import re
import subprocess
import sys
import tempfile
import zipfile

# εxodus's pattern for the entries it extracts, searched anywhere in the name.
DEX_ENTRY = re.compile(r"classes.*\.dex")

# The class-list pipeline; {dir} is the extraction directory. The shell glob
# picks only the top-level classes*.dex, as in εxodus.
CLASS_LIST_PIPELINE = (
    "dexdump {dir}/classes*.dex 2>/dev/null"
    " | perl -n -e '/[A-Z]+((?:\\w+\\/)+\\w+)/ && print \"$1\\n\"'"
    " | sort | uniq"
)


def load_trackers(path):
    """The (id, name, code_signature) triples of the pinned εxodus list."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    trackers = data.get("trackers") if isinstance(data, dict) else None
    if not isinstance(trackers, dict):
        raise ValueError("no 'trackers' object")
    out = []
    for key, t in trackers.items():
        if not isinstance(t, dict):
            continue
        sig = t.get("code_signature")
        if not isinstance(sig, str):
            continue
        out.append((t.get("id", key), str(t.get("name", key)), sig))
    return out


def class_list(apk_path):
    """Every name the pipeline prints for the APK's DEX files, sorted, unique."""
    with tempfile.TemporaryDirectory(prefix="exodus_style_") as tmp:
        with zipfile.ZipFile(apk_path) as archive:
            for info in archive.infolist():
                if DEX_ENTRY.search(info.filename):
                    archive.extract(info, tmp)
        done = subprocess.run(CLASS_LIST_PIPELINE.format(dir=tmp), shell=True,
                              stdout=subprocess.PIPE, check=False)
    return done.stdout.decode("utf-8", errors="replace").splitlines()


def detect(trackers, classes):
    """The trackers whose signature finds at least one class, in id order."""
    found = []
    for tracker_id, name, sig in trackers:
        if len(sig) <= 3:
            continue
        pattern = re.compile(sig)
        for cls in classes:
            if pattern.search(cls):
                found.append((tracker_id, name))
                break
    found.sort(key=lambda t: (str(type(t[0])), t[0]))
    return found


def main(argv):
    if len(argv) != 3:
        print("usage: exodus_style.py TRACKERS_JSON APK", file=sys.stderr)
        return 2
    try:
        trackers = load_trackers(argv[1])
    except (OSError, ValueError) as e:
        print(f"{argv[1]}: cannot read the tracker list: {e}", file=sys.stderr)
        return 2
    try:
        classes = class_list(argv[2])
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile) as e:
        print(f"{argv[2]}: cannot read the APK: {e}", file=sys.stderr)
        return 2
    for tracker_id, name in detect(trackers, classes):
        print(f"{tracker_id}\t{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
