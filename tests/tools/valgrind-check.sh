#!/bin/sh
# The memcheck run: first prove that valgrind here does catch a planted
# leak, then run every unit test in-process (CK_FORK=no), ioasidctl over
# every scenario and example, and the conformance suite, each of which must
# show 0 errors and 0 leaks.
set -eu
top_srcdir=${top_srcdir:-${srcdir:-.}}
top_builddir=${top_builddir:-.}
VALGRIND=${VALGRIND:-valgrind}
VG="$VALGRIND -q --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible
 --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=97
 --suppressions=$top_srcdir/tests/tools/valgrind.supp"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# 1. the canary must turn the run red
if $VG "$top_builddir/tests/unit/leak-canary" > "$log" 2>&1; then
	echo "valgrind-check: the planted leak went unnoticed:"; cat "$log"; exit 1
fi
grep -q "definitely lost" "$log" || { echo "valgrind-check: no leak report for the canary:"; cat "$log"; exit 1; }
echo "valgrind-check: planted leak detected: ok"

# 2. the unit tests
CK_FORK=no CK_DEFAULT_TIMEOUT=600 $VG "$top_builddir/tests/unit/check-all" > "$log" 2>&1 || {
	echo "valgrind-check: unit tests under memcheck failed:"; cat "$log"; exit 1; }
tail -n 1 "$log"
echo "valgrind-check: unit tests: 0 errors, 0 leaks: ok"

# 3. ioasidctl over the scenarios and examples
ctl="$top_builddir/cli/ioasidctl"
# cli/ioasidctl is a libtool wrapper script: run valgrind on the real binary
VGCTL="$VG"
[ -n "${LIBTOOL:-}" ] && VGCTL="$LIBTOOL --mode=execute $VG"
if [ -x "$ctl" ]; then
	n=0
	for f in "$top_srcdir"/tests/scenarios/*.json "$top_srcdir"/examples/*.json; do
		[ -e "$f" ] || continue
		rc=0
		$VGCTL "$ctl" --backend sim run "$f" --dump > /dev/null 2> "$log" || rc=$?
		# 1 = a failed expectation (some examples show refusals); 97 = memcheck
		if [ $rc -eq 97 ] || grep -q "==[0-9]*==" "$log"; then
			echo "valgrind-check: ioasidctl run $f:"; cat "$log"; exit 1
		fi
		n=$((n + 1))
	done
	for args in "--backend sim list" "--backend sim info sim0" "--backend sim --json info sim0" \
		"--backend sim:smmuv3 info sim0"; do
		# shellcheck disable=SC2086
		$VGCTL "$ctl" $args > /dev/null 2> "$log" || {
			echo "valgrind-check: ioasidctl $args:"; cat "$log"; exit 1; }
		n=$((n + 1))
	done
	echo "valgrind-check: ioasidctl: $n runs, 0 errors, 0 leaks: ok"
fi

# 4. the conformance suite (docs/conformance.md): each case runs in a forked
# child, which memcheck follows; a child's error exit fails its case
conf="$top_builddir/tests/conformance/conformance"
if [ -x "$conf" ]; then
	VGCONF="$VG"
	[ -n "${LIBTOOL:-}" ] && VGCONF="$LIBTOOL --mode=execute $VG"
	# shellcheck disable=SC2086
	top_srcdir=$top_srcdir $VGCONF "$conf" > "$log" 2>&1 || {
		echo "valgrind-check: conformance suite under memcheck:"; cat "$log"; exit 1; }
	if grep -q "==[0-9]*==" "$log"; then
		echo "valgrind-check: conformance suite under memcheck:"; cat "$log"; exit 1
	fi
	tail -n 1 "$log"
	echo "valgrind-check: conformance suite: 0 errors, 0 leaks: ok"
fi
