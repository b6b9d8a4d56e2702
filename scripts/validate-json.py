#!/usr/bin/env python3
"""Validates JSON documents against a JSON Schema (draft 2020-12).

Usage: validate-json.py SCHEMA FILE...
Each FILE is JSON Lines (one document per non-empty line) or, when it does
not parse that way, one JSON document. Prints one line per invalid document
(file:line: path: problem, at most 20) and a summary; exits 1 when any
document is invalid, 2 on a usage or schema error. Used by the tests that
validate every report over the corpus and the daemon's messages
(docs/schemas/README.md).
"""
import json
import sys

try:
    import jsonschema
except ImportError:  # python3-jsonschema (scripts/install-deps.sh)
    print("validate-json.py: python3-jsonschema is not installed", file=sys.stderr)
    sys.exit(2)


def documents(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = [(n, l) for n, l in enumerate(text.splitlines(), 1) if l.strip()]
    try:
        return [(n, json.loads(l)) for n, l in lines]
    except json.JSONDecodeError:
        return [(1, json.loads(text))]


def sibling_registry(schema_path, schema):
    """The *.schema.json files beside SCHEMA, by their $id, so that one schema
    can $ref another (daemon-delivery's batch holds daemon-message items)."""
    import glob
    import os
    siblings = {}
    for path in glob.glob(os.path.join(os.path.dirname(schema_path) or ".", "*.schema.json")):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        if "$id" in doc:
            siblings[doc["$id"]] = doc
    try:
        from referencing import Registry, Resource
    except ImportError:  # jsonschema before 4.18 (Debian 12): the RefResolver store
        return {"resolver": jsonschema.RefResolver.from_schema(schema, store=siblings)}
    return {"registry": Registry().with_resources(
        [(i, Resource.from_contents(d)) for i, d in siblings.items()])}


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, **sibling_registry(argv[1], schema))
    total = bad = shown = 0
    for path in argv[2:]:
        for line, doc in documents(path):
            total += 1
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
            if not errors:
                continue
            bad += 1
            for e in errors[:3]:
                if shown < 20:
                    where = "/".join(str(p) for p in e.absolute_path) or "(top)"
                    print(f"{path}:{line}: {where}: {e.message[:300]}")
                    shown += 1
    print(f"{total - bad} valid, {bad} invalid ({argv[1]})")
    return 1 if bad or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
