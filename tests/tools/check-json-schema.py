#!/usr/bin/python3
# Validate real libioasid dumps against docs/ioasid-schema.json with
# python3-jsonschema, and check that deliberately broken dumps are rejected
# (a schema that accepts anything would pass the first half).
import copy
import glob
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

top_srcdir = os.environ.get("top_srcdir", ".")
top_builddir = os.environ.get("top_builddir", ".")

with open(os.path.join(top_srcdir, "docs", "ioasid-schema.json")) as f:
    schema = json.load(f)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

failed = 0
with tempfile.TemporaryDirectory() as d:
    subprocess.run([os.path.join(top_builddir, "tests", "unit", "dump-json"), d], check=True)
    files = sorted(glob.glob(os.path.join(d, "*.json")))
    if len(files) < 12:
        sys.exit("check-json-schema: only %d dumps written" % len(files))
    docs = {}
    for path in files:
        with open(path) as f:
            doc = json.load(f)
        docs[os.path.basename(path)] = doc
        e = jsonschema.exceptions.best_match(validator.iter_errors(doc))
        if e is not None:
            while e.context:  # descend into oneOf to the most relevant cause
                e = jsonschema.exceptions.best_match(e.context)
            print("check-json-schema: %s: %s at /%s" % (os.path.basename(path), e.message[:300],
                                                        "/".join(map(str, e.absolute_path))))
            failed += 1

    ctx = docs["vtd-ctx.json"]
    if not ctx["ioas"] or not ctx["ioas"][0]["mappings"] or not ctx["devices"]:
        sys.exit("check-json-schema: the vtd dump lacks mappings or devices")

    def broken(name, mutate):
        global failed
        doc = copy.deepcopy(ctx)
        mutate(doc)
        if validator.is_valid(doc):
            print("check-json-schema: broken dump '%s' was accepted" % name)
            failed += 1

    broken("no schema", lambda d: d.pop("schema"))
    broken("wrong schema", lambda d: d.__setitem__("schema", "ioasid/2"))
    broken("iova as a number", lambda d: d["ioas"][0]["mappings"][0].__setitem__("iova", 4096))
    broken("bad perm", lambda d: d["ioas"][0]["mappings"][0].__setitem__("perm", "x"))
    broken("pasid width 21", lambda d: d.__setitem__("pasid_width", 21))
    broken("device without caps", lambda d: d["devices"][0].pop("caps"))
    broken("unknown backend", lambda d: d.__setitem__("backend", "kvm"))
    broken("cap without id", lambda d: d["devices"][0]["caps"][0].pop("id"))

    # the brief form of a chain (IOASID_JSON_BRIEF)
    brief = docs["vtd-brief-sim0.json"]
    if "page_sizes" not in brief["caps"] or brief["caps"].get("vendor") != "vtd":
        sys.exit("check-json-schema: the vtd brief dump lacks page_sizes or vendor")
    for name, mutate in [("brief width as a string", lambda d: d["caps"].__setitem__("input_bits", "48")),
                         ("brief unknown vendor", lambda d: d["caps"].__setitem__("vendor", "x86"))]:
        doc = copy.deepcopy(brief)
        mutate(doc)
        if validator.is_valid(doc):
            print("check-json-schema: broken dump '%s' was accepted" % name)
            failed += 1

print("check-json-schema: %d dumps validated, 10 broken dumps rejected: %s"
      % (len(files), "FAILED" if failed else "ok"))
sys.exit(1 if failed else 0)
