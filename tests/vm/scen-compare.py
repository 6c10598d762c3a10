#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Compare one scenario's JSON Lines from two backends step by step.

    scen-compare.py NAME SIM.jsonl IOMMUFD.jsonl [LABEL]

LABEL names the first file's side in the differences (default sim:qemu-vtd).

Each line is {"step", "op", "result", "value", "message"?}. Steps must
agree on op, result (the errno name) and value; messages are not compared
(the kernel backend's name the ioctl). The device's name (sim0 on the sim,
/dev/vfio/devices/vfioN in the VM, /dev/null on the fake kernel) may differ; so may what dev_list finds
and, in a dump, anything but the sets, address spaces, PASID width and
pinned pages (the backend's own description).
Exit 0 when every step agrees, 1 otherwise (the differences are printed).
"""
import json
import re
import sys

DEV = re.compile(r"^(sim0|/dev/null|/dev/zero|iommufd-selftest(:pasid)?|/dev/vfio/devices/vfio[0-9]+)$")


def norm(v):
    if isinstance(v, str):
        return "<dev>" if DEV.match(v) else v
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    return v


# ops whose value describes the environment, not the operation: compare
# their result, and of a dump only the parts the operations made
ENV_OPS = {"dev_list"}
DUMP_KEYS = ("pasid_width", "pinned", "sets", "ioas")


def key(step):
    op, val = step.get("op"), step.get("value")
    if op in ENV_OPS:
        val = None
    elif op == "dump" and isinstance(val, dict):
        val = {k: val.get(k) for k in DUMP_KEYS}
    return (op, step.get("result"), norm(val))


def load(path):
    steps = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if "step" in obj:
                steps.append(obj)
    return steps


def main():
    name, a, b = sys.argv[1:4]
    label = sys.argv[4] if len(sys.argv) > 4 else "sim:qemu-vtd"
    sa, sb = load(a), load(b)
    bad = 0
    if not sb:
        print(f"scenario {name}: no output from the iommufd run")
        return 1
    for x, y in zip(sa, sb):
        kx, ky = key(x), key(y)
        if kx != ky:
            bad += 1
            print(f"scenario {name} step {x.get('step')} {x.get('op')}:")
            print(f"    {label:14} {x.get('result')} {json.dumps(x.get('value'))}"
                  f"  {x.get('message', '')}")
            print(f"    {'iommufd':14} {y.get('result')} {json.dumps(y.get('value'))}"
                  f"  {y.get('message', '')}")
    if len(sa) != len(sb):
        bad += 1
        print(f"scenario {name}: {len(sa)} steps on the sim, {len(sb)} on iommufd")
    print(f"scenario {name}: {len(sa)} steps, {'all agree' if not bad else f'{bad} differ'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
