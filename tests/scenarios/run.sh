#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run every scenario (tests/scenarios/*.json) and every example
# (examples/*.json) on the sim and compare ioasidctl's JSON Lines with the
# stored output: tests/scenarios/NAME.expected, tests/scenarios/examples/NAME.expected.
# The scenarios of tests/scenarios/fake/ run on the iommufd backend over the
# stateful fake kernel instead (ioasidctl-fake: tests/fake-kernel/fk-cli.c;
# its devices are /dev/null, /dev/zero, /dev/full), for what the sim does not
# have (the vIOMMU objects until issue #13); their output is
# tests/scenarios/fake/NAME.expected.
# Every scenario states its expectations, so each run must also exit 0.
#
#   tests/scenarios/run.sh [--update] [FILE.json...]
#
# --update rewrites the .expected files from the current output (review the
# diff before committing it). Works from make check and make distcheck
# (VPATH): top_srcdir / top_builddir come from the environment, and
# IOASIDCTL may name another binary.
set -u

top_srcdir=${top_srcdir:-${srcdir:-.}}
top_builddir=${top_builddir:-.}
IOASIDCTL=${IOASIDCTL:-$top_builddir/cli/ioasidctl}
IOASIDCTL_FAKE=${IOASIDCTL_FAKE:-$top_builddir/tests/scenarios/ioasidctl-fake}
PYTHON=${PYTHON:-python3}
dir=$top_srcdir/tests/scenarios

update=0
if [ "${1:-}" = "--update" ]; then
	update=1
	shift
fi
if [ ! -x "$IOASIDCTL" ]; then
	echo "run.sh: $IOASIDCTL is not built" >&2
	exit 99 # a hard error for the automake test driver
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ $# -eq 0 ]; then
	set -- "$dir"/*.json "$dir"/fake/*.json "$top_srcdir"/examples/*.json
fi

fail=0
n=0
for f in "$@"; do
	[ -e "$f" ] || continue
	name=$(basename "$f" .json)
	prog=$IOASIDCTL
	backend=sim
	case $(basename "$(dirname "$f")") in
	examples) expected=$dir/examples/$name.expected ;;
	fake)
		expected=$dir/fake/$name.expected
		prog=$IOASIDCTL_FAKE
		backend=iommufd:/dev/null
		;;
	*) expected=$dir/$name.expected ;;
	esac
	n=$((n + 1))
	if [ ! -x "$prog" ]; then
		echo "FAIL: $name: $prog is not built"
		fail=$((fail + 1))
		continue
	fi
	rc=0
	FK_CLI_NESTING=1 "$prog" --backend "$backend" run "$f" > "$tmp/out" 2> "$tmp/err" || rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL: $name: ioasidctl exited $rc (want 0); stderr:"
		cat "$tmp/err"
		grep '"expected"' "$tmp/out"
		fail=$((fail + 1))
		continue
	fi
	# every line must be a JSON object with the four fixed keys
	if [ "$PYTHON" != no ] && command -v "$PYTHON" > /dev/null 2>&1; then
		if ! "$PYTHON" -c '
import json, sys
for n, line in enumerate(sys.stdin):
    o = json.loads(line)
    assert o["step"] == n and "op" in o and "result" in o and "value" in o, line
' < "$tmp/out" 2> "$tmp/pyerr"; then
			echo "FAIL: $name: output is not well-formed JSON Lines:"
			cat "$tmp/pyerr"
			fail=$((fail + 1))
			continue
		fi
	fi
	if [ $update -eq 1 ]; then
		mkdir -p "$(dirname "$expected")"
		cp "$tmp/out" "$expected"
		echo "updated: $expected"
		continue
	fi
	if [ ! -e "$expected" ]; then
		echo "FAIL: $name: no $expected (run tests/scenarios/run.sh --update)"
		fail=$((fail + 1))
		continue
	fi
	if ! diff -u "$expected" "$tmp/out" > "$tmp/diff"; then
		echo "FAIL: $name: output differs from $expected:"
		cat "$tmp/diff"
		fail=$((fail + 1))
		continue
	fi
	echo "ok: $name"
done

if [ $n -eq 0 ]; then
	echo "run.sh: no scenario found under $dir" >&2
	exit 99
fi
echo "$n scenario(s), $fail failed"
[ $fail -eq 0 ]
