#!/usr/bin/env python3
"""Layering check: fails when a module includes a header it must not.

The rules are the module map of docs/architecture.md, written as what each
module's sources (not its *_test.cc / *_fuzz.cc) may include with
#include "...": the first path component names the module ("elf/elf_parser.h"
-> analyzers/elf, "queue/store.h" -> src/queue, "daemon/config.h" -> daemon),
"shelfguard/x.h" is the public API in include/shelfguard/, and a bare name
("config.h") is a header of the same directory.

usage: check_layering.py [SOURCE_DIR]      exit 1 and one line per violation
       check_layering.py --self-test       the checker catches planted violations
"""
import os
import re
import sys

# Public headers by layer. The contract an analyzer is written against:
# bounds-checked reading, limits, errors, archives, the facts it fills and the
# Analyzer interface. engine.h / report.h are the programs' API, above every
# analyzer.
BASE_API = {"status.h", "limits.h", "byte_reader.h", "utf8.h", "process_setup.h"}
ANALYZER_API = BASE_API | {"archive.h", "facts.h", "analyzer.h"}
ALL_API = "*"

# Includes a rule would forbid but the code does on purpose today; each one
# a named header, not a module: the shared CLI11 help layout both programs
# print with.
EXCEPTIONS = {("daemon", "cli/help_format.h")}

SRC_MODULES = ["archive", "cli", "core", "engine", "ids", "net", "policy", "queue", "registry",
               "report", "signatures", "sqlite"]


def analyzer_modules(root):
    d = os.path.join(root, "analyzers")
    return sorted(m for m in os.listdir(d) if os.path.isdir(os.path.join(d, m)))


def rules(root):
    """module dir -> (allowed module prefixes, allowed shelfguard/ headers)."""
    analyzers = set(analyzer_modules(root))
    r = {
        "src/core": ({"core"}, BASE_API),
        "src/archive": ({"archive"}, BASE_API | {"archive.h"}),
        "src/ids": ({"ids"}, BASE_API),
        "src/net": ({"net"}, BASE_API),
        "src/sqlite": ({"sqlite"}, BASE_API),
        # code is the bottom analyzer module: reference finding only.
        "analyzers/code": ({"code"}, BASE_API),
        "analyzers/axml": ({"axml"}, ANALYZER_API),
        "src/signatures": ({"signatures", "core", "net"}, ANALYZER_API | {"engine.h"}),
        "src/engine": (analyzers | {"engine", "signatures"}, ALL_API),
        "src/registry": ({"registry", "ids", "net", "sqlite"}, ANALYZER_API | {"engine.h"}),
        "src/policy": ({"policy", "ids", "registry"}, ALL_API),
        "src/queue": ({"queue", "sqlite"}, ALL_API),
        "src/report": ({"report", "policy"}, ALL_API),
        # The two programs' faces: the daemon and the CLI sit side by side on
        # top; neither reaches into an analyzer, and the daemon not into the CLI.
        # The daemon uses src/report for suppressions, as `scan` does.
        "daemon": ({"daemon", "net", "policy", "queue", "registry", "report", "signatures", "ids"}, ALL_API),
        "src/cli": ({"cli", "daemon", "ids", "net", "policy", "queue", "registry", "report",
                     "signatures", "engine"}, ALL_API),
        "include/shelfguard": (set(), ALL_API),
    }
    # Every other analyzer: the analyzer API, other analyzers (each links the
    # ones it includes), and the identifier checks.
    for m in analyzers:
        r.setdefault("analyzers/" + m, (analyzers | {"ids"}, ANALYZER_API))
    # src/core is the base every module stands on (limits, the data
    # directory, bounded reads of small files); only the public API must not
    # reach into src/.
    for m, (mods, api) in r.items():
        if m != "include/shelfguard":
            mods.add("core")
    return r


def module_of(prefix, root):
    if prefix in ("daemon",):
        return "daemon"
    if prefix in SRC_MODULES:
        return "src/" + prefix
    if prefix in analyzer_modules(root):
        return "analyzers/" + prefix
    return None


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def violations(root, sources=None):
    """Yields "file:line: message" for each include a rule forbids.
    `sources` maps module dir -> {file name: text} (tests); else the tree."""
    out = []
    for mod, (allowed, api) in sorted(rules(root).items()):
        files = sources.get(mod, {}) if sources is not None else None
        if files is None:
            d = os.path.join(root, mod)
            if not os.path.isdir(d):
                continue
            files = {}
            for f in sorted(os.listdir(d)):
                if not f.endswith((".cc", ".h")) or f.endswith(("_test.cc", "_fuzz.cc")):
                    continue
                with open(os.path.join(d, f), encoding="utf-8", errors="replace") as fh:
                    files[f] = fh.read()
        own = mod.split("/")[-1]
        for name, text in files.items():
            for n, line in enumerate(text.splitlines(), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                path = m.group(1)
                where = "%s/%s:%d" % (mod, name, n)
                if "/" not in path:
                    # A bare name is a header of the same directory; *.pb.h
                    # are generated there by protoc from the module's protos.
                    if path.endswith(".pb.h"):
                        continue
                    if not os.path.exists(os.path.join(root, mod, path)) and sources is None:
                        out.append("%s: \"%s\" is not a header of %s" % (where, path, mod))
                    continue
                prefix, rest = path.split("/", 1)
                if prefix == "shelfguard":
                    if api != ALL_API and rest not in api:
                        out.append("%s: %s may not include shelfguard/%s" % (where, mod, rest))
                    continue
                if prefix == own or prefix in allowed or (mod, path) in EXCEPTIONS:
                    continue
                target = module_of(prefix, root)
                out.append("%s: %s may not include %s (%s)" %
                           (where, mod, path, target or "not a module"))
    return out


def self_test(root):
    planted = {
        "analyzers/elf": {"x.cc": '#include "daemon/daemon.h"\n#include "shelfguard/engine.h"\n'},
        "src/core": {"y.cc": '#include "shelfguard/archive.h"\n#include "queue/message.h"\n'},
        "analyzers/code": {"z.cc": '#include "elf/elf_parser.h"\n'},
        "daemon": {"w.cc": '#include "cli/commands.h"\n#include "elf/elf_parser.h"\n'},
        "src/engine": {"ok.cc": '#include "elf/elf_parser.h"\n#include "shelfguard/report.h"\n'},
    }
    found = violations(root, planted)
    expect = ["analyzers/elf/x.cc:1", "analyzers/elf/x.cc:2", "src/core/y.cc:1", "src/core/y.cc:2",
              "analyzers/code/z.cc:1", "daemon/w.cc:1", "daemon/w.cc:2"]
    ok = True
    for e in expect:
        if not any(v.startswith(e + ":") for v in found):
            print("self-test: planted violation not caught: " + e)
            ok = False
    if any(v.startswith("src/engine/ok.cc") for v in found):
        print("self-test: allowed include reported: " + str(found))
        ok = False
    print("layering self-test: %d planted violations, %d caught" % (len(expect), len(found)))
    return ok


def main():
    args = sys.argv[1:]
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if args and args[0] == "--self-test":
        return 0 if self_test(args[1] if len(args) > 1 else here) else 1
    root = args[0] if args else here
    found = violations(root)
    for v in found:
        print(v)
    print("layering: %d violation(s) in %d modules" % (len(found), len(rules(root))))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
