#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Does the conformance table cover the kernel's selftest, case for case?

    coverage.py SELFTEST_DIR LISTING

SELFTEST_DIR is tools/testing/selftests/iommu of the kernel source; LISTING
is the output of `conformance --list`. Every TEST_F of iommufd.c, in each
variant of its fixture, and every TEST_FAIL_NTH of iommufd_fail_nth.c must
be a row (fixture, variant, test) of the table, and every row must be one
of them. Prints the counts; exit 1 when something is missing or extra.
"""
import re
import sys


def selftest_cases(d):
    variants, tests = {}, []
    with open(f"{d}/iommufd.c") as f:
        src = f.read()
    for fx, var in re.findall(r"^FIXTURE_VARIANT_ADD\((\w+),\s*(\w+)\)", src, re.M):
        variants.setdefault(fx, []).append(var)
    tests += re.findall(r"^TEST_F(?:_TIMEOUT)?\((\w+),\s*(\w+)", src, re.M)
    with open(f"{d}/iommufd_fail_nth.c") as f:
        tests += re.findall(r"^TEST_FAIL_NTH\((\w+),\s*(\w+)\)", f.read(), re.M)
    cases = set()
    for fx, t in tests:
        for v in variants.get(fx, ["-"]):
            cases.add((fx, v, t))
    return len(tests), cases


def table_rows(listing):
    rows, n = set(), 0
    with open(listing) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            rows.add((cols[1], cols[2], cols[3]))
            n += 1
    return n, rows


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    ntests, cases = selftest_cases(sys.argv[1])
    nrows, rows = table_rows(sys.argv[2])
    missing, extra = sorted(cases - rows), sorted(rows - cases)
    for c in missing:
        print("coverage: not in the table: %s/%s/%s" % c)
    for r in extra:
        print("coverage: not in the selftest: %s/%s/%s" % r)
    print(f"coverage: the selftest has {ntests} tests, {len(cases)} with their variants; "
          f"the table has {nrows} rows for {len(rows)} of them; "
          f"{len(missing)} missing, {len(extra)} extra")
    return 1 if missing or extra else 0


if __name__ == "__main__":
    sys.exit(main())
