#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Record and replay (docs/tracing.md): every example scenario run with
# IOASID_TRACE=FILE leaves a trace that `ioasidctl run` replays with every
# step's result and value agreeing; so does a multithreaded VMM-like
# program (tests/cli/trace-vmm.c), whose automatic IOVAs and DMA results
# depend on the order the library serialized its calls. A trace whose
# recorded value is altered must fail the replay (the check can fail).
set -u
top_srcdir=${top_srcdir:-${srcdir:-.}}
top_builddir=${top_builddir:-.}
IOASIDCTL=${IOASIDCTL:-$top_builddir/cli/ioasidctl}
VMM=${VMM:-$top_builddir/tests/cli/trace-vmm}
FAKE=${FAKE:-$top_builddir/tests/scenarios/ioasidctl-fake}
[ -x "$IOASIDCTL" ] || { echo "test-trace: $IOASIDCTL is not built"; exit 99; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# replay TRACE NAME: ioasidctl run exits 0, every step has an expectation
replay() {
	local trace=$1 name=$2 out rc steps checked
	out=$("$IOASIDCTL" run "$trace" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		bad "$name: replay exited $rc"
		printf '%s\n' "$out" | grep -E '"expected|ioasidctl:' | head -5
		return 1
	fi
	steps=$(printf '%s\n' "$out" | grep -c '"step"')
	# every step but a buffer (and its contents) carries "expect"
	checked=$(grep -c '"expect":' "$trace")
	if [ "$steps" -lt 1 ] || [ "$checked" -lt 1 ]; then
		bad "$name: the trace has $steps steps, $checked with expectations"
		return 1
	fi
	echo "ok: $name: $steps steps replayed, $checked with a recorded result"
}

# steps TRACE: its steps, the memory writes between two calls sorted (the
# buffers are synced in address order, which differs from run to run), the
# description (which counts calls left out) dropped.
steps() {
	awk '!/"op":"write"/ { g++ } /^\{"/ { printf "%06d %s\n", g, $0 }' "$1" | sort | cut -d' ' -f2-
}

# fixpoint TRACE NAME: the replay of a trace with contents, itself traced
# with contents, records the same steps: its memory held, step by step, what
# the recorded run's did. (A write recorded without its length repeated its
# 4 KiB over the rest of the buffer on replay: examples/nested-amd.json's
# guest tables were overwritten, and its page response faulted again.)
fixpoint() {
	local trace=$1 name=$2
	IOASID_TRACE="$trace.again" IOASID_TRACE_CONTENTS=1 "$IOASIDCTL" run "$trace" >/dev/null 2>&1
	if cmp -s <(steps "$trace") <(steps "$trace.again"); then
		echo "ok: $name: its replay records the same trace"
	else
		bad "$name: its replay records another trace"
		diff <(steps "$trace") <(steps "$trace.again") | cut -c1-160 | head -4
	fi
}

# Every example: a trace with contents (the nested examples' stage-1 tables,
# CDs and DTEs live in memory the scenario writes), and one without for those
# that do not read guest memory through a table.
for f in "$top_srcdir"/examples/*.json; do
	b=$(basename "$f" .json)
	if ! IOASID_TRACE="$tmp/$b.trace.json" IOASID_TRACE_CONTENTS=1 \
		"$IOASIDCTL" run "$f" >"$tmp/$b.orig" 2>&1; then
		bad "$b: the traced run failed"; continue
	fi
	replay "$tmp/$b.trace.json" "$b (contents)"
	fixpoint "$tmp/$b.trace.json" "$b (contents)"
	# the guest's tables of the nested examples live in guest memory
	case $b in nested | nested-smmuv3 | nested-amd) continue ;; esac
	IOASID_TRACE="$tmp/$b.bare.json" "$IOASIDCTL" run "$f" >/dev/null 2>&1 ||
		{ bad "$b: the traced run without contents failed"; continue; }
	grep -q '"op":"write"' "$tmp/$b.bare.json" && bad "$b: contents recorded without being asked"
	replay "$tmp/$b.bare.json" "$b"
done

# Calls of the sim's own scenarios the examples do not make: file maps
# (a memfd recorded as a memfd buffer of its size, its contents only when
# asked), hot-plug, the fault records no queue took (fault_unrouted), and
# the A/D bits and dirty pages the IOMMU writes through guest tables
# (first-stage: they must be the replay's IOMMU's writes, not the VMM's).
for b in file-maps hotplug fault-rules dma-errors first-stage; do
	f=$top_srcdir/tests/scenarios/$b.json
	if ! IOASID_TRACE="$tmp/s-$b.trace.json" IOASID_TRACE_CONTENTS=1 \
		"$IOASIDCTL" --backend sim run "$f" >/dev/null 2>&1; then
		bad "$b: the traced run failed"; continue
	fi
	replay "$tmp/s-$b.trace.json" "$b (contents)"
	fixpoint "$tmp/s-$b.trace.json" "$b (contents)"
	# their first-stage tables live in guest memory
	case $b in dma-errors | first-stage) continue ;; esac
	IOASID_TRACE="$tmp/s-$b.bare.json" "$IOASIDCTL" --backend sim run "$f" >/dev/null 2>&1 ||
		{ bad "$b: the traced run without contents failed"; continue; }
	replay "$tmp/s-$b.bare.json" "$b"
done
for want in '"op":"map_file"' '"memfd":true' '"op":"dev_add"' '"op":"dev_remove"' \
	'"op":"fault_unrouted"'; do
	cat "$tmp"/s-*.json | grep -q "$want" || bad "no $want step recorded"
done
grep -q '"op":"write","offset":"0x3000"\|"offset":"0x3000","op":"write"\|"data":"c0ffee' \
	"$tmp/s-file-maps.trace.json" || bad "file-maps: the memfd's contents were not recorded"
grep -q '"op":"write"' "$tmp/s-file-maps.bare.json" && bad "file-maps: contents recorded without being asked"

# A traced run prints what an untraced one prints.
IOASID_TRACE="$tmp/q.json" "$IOASIDCTL" run "$top_srcdir/examples/quickstart.json" >"$tmp/q.traced" 2>&1
"$IOASIDCTL" run "$top_srcdir/examples/quickstart.json" >"$tmp/q.plain" 2>&1
cmp -s "$tmp/q.traced" "$tmp/q.plain" && echo "ok: tracing does not change a run's output" ||
	bad "tracing changed quickstart's output"

# The replay checks values: an IOVA changed in the trace is a mismatch (exit 1).
sed 's/"expect_value":{"iova":"0x200000"}/"expect_value":{"iova":"0x300000"}/' \
	"$tmp/quickstart.bare.json" >"$tmp/tampered.json"
if cmp -s "$tmp/quickstart.bare.json" "$tmp/tampered.json"; then
	bad "tamper: quickstart's trace has no map at 0x200000 to change"
else
	out=$("$IOASIDCTL" run "$tmp/tampered.json" 2>&1)
	rc=$?
	if [ $rc -eq 1 ] && printf '%s\n' "$out" | grep -q '"expected_value":{"iova":"0x300000"}'; then
		echo "ok: a recorded value that differs fails the replay"
		"$IOASIDCTL" run --table "$tmp/tampered.json" 2>&1 | grep -q 'ok VALUE MISMATCH' &&
			echo "ok: --table marks it VALUE MISMATCH" || bad "--table does not mark the value"
	else
		bad "tamper: exit $rc, expected 1 with expected_value"
	fi
fi

# The vIOMMU steps are checked too: the SMMUv3 event record read from the
# vEVENTQ, changed in the trace (F_TRANSLATION 0x10 made 0x11), fails the replay.
sed 's/"events":\[{"data":"10000000/"events":[{"data":"11000000/' \
	"$tmp/nested-smmuv3.trace.json" >"$tmp/tampered-vevent.json"
if cmp -s "$tmp/nested-smmuv3.trace.json" "$tmp/tampered-vevent.json"; then
	bad "tamper: nested-smmuv3's trace has no F_TRANSLATION event to change"
else
	"$IOASIDCTL" run "$tmp/tampered-vevent.json" >/dev/null 2>&1
	rc=$?
	[ $rc -eq 1 ] && echo "ok: a vEVENTQ record that differs fails the replay" ||
		bad "tampered vEVENTQ record: exit $rc, expected 1"
fi

# A multithreaded VMM: the trace replays in the order the library serialized.
if [ -x "$VMM" ]; then
	for run in 1 2 3; do
		if ! IOASID_TRACE="$tmp/mt$run.json" "$VMM" 4 150; then
			bad "trace-vmm run $run failed"; continue
		fi
		replay "$tmp/mt$run.json" "4 threads, run $run"
	done
	# two maps trading their answers (as if the order had been recorded
	# wrong) must fail the replay
	python3 - "$tmp/mt1.json" "$tmp/swapped.json" <<'EOF' || bad "swap: cannot rewrite the trace"
import json, sys
t = json.load(open(sys.argv[1]))
s = t["steps"]
ok = [x for x in s if x["op"] == "map" and x.get("expect") == "ok"]
# automatic maps first (when the threads did interleave, they got different
# IOVAs); else any two maps whose answers differ
auto = [x for x in ok if "iova" not in x] + [x for x in ok if "iova" in x]
for a in auto:
    for b in auto:
        if a["expect_value"] != b["expect_value"]:
            a["expect_value"], b["expect_value"] = b["expect_value"], a["expect_value"]
            json.dump(t, open(sys.argv[2], "w"))
            sys.exit(0)
sys.exit(1)
EOF
	if [ -f "$tmp/swapped.json" ]; then
		"$IOASIDCTL" run "$tmp/swapped.json" >/dev/null 2>&1
		rc=$?
		[ $rc -eq 1 ] && echo "ok: a trace in another order does not replay" ||
			bad "swapped trace replayed with exit $rc"
	fi
else
	echo "skip: $VMM is not built"
fi

# Recorded on the iommufd backend (over the fake kernel, tests/fake-kernel/,
# as make check-vm does on the real one): every scenario the VM runs, traced,
# replays on the sim with the profile the trace wrote from the device's
# capability chain.
if [ -x "$FAKE" ]; then
	n=0
	for f in "$top_srcdir"/tests/scenarios/*.json "$top_srcdir"/tests/vm/scenarios/*.json; do
		[ -f "$f" ] || continue
		grep -Eq '"op": *"(sim_[a-z_]*|dev_add|dev_remove|dma[a-z_]*|stale[a-z_]*|cache_stats)"' "$f" &&
			continue
		b=$(basename "$f" .json)
		sed 's/"sim0"/"${IOASID_DEV}"/g' "$f" >"$tmp/k-$b.json"
		IOASID_TRACE="$tmp/k-$b.trace.json" IOASID_DEV=/dev/null \
			"$FAKE" --backend iommufd:/dev/null run "$tmp/k-$b.json" >/dev/null 2>&1
		[ -f "$tmp/k-$b.trace.json.profile.json" ] || { bad "iommufd $b: no profile beside the trace"; continue; }
		replay "$tmp/k-$b.trace.json" "iommufd (fake kernel) $b" && n=$((n + 1))
	done
	[ $n -gt 10 ] && echo "ok: $n traces recorded on iommufd (fake kernel) replay on the sim" ||
		bad "only $n traces recorded on iommufd replayed"
	grep -q '"model": "vtd"' "$tmp/k-attach.trace.json.profile.json" ||
		bad "the iommufd profile is not VT-d's"
else
	echo "skip: $FAKE is not built"
fi

# A bad trace path fails the open, naming the variable and the file.
out=$(IOASID_TRACE=/nonexistent-dir/t.json "$IOASIDCTL" run "$top_srcdir/examples/quickstart.json" 2>&1)
rc=$?
if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q 'IOASID_TRACE=/nonexistent-dir/t.json'; then
	echo "ok: a bad IOASID_TRACE path is refused: $(printf '%s\n' "$out" | head -1)"
else
	bad "bad IOASID_TRACE path: exit $rc, output: $out"
fi

# A trace that cannot be written does not break the run.
if [ -w /dev/full ]; then
	IOASID_TRACE=/dev/full "$IOASIDCTL" run "$top_srcdir/examples/quickstart.json" >"$tmp/full.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && cmp -s "$tmp/full.out" "$tmp/q.plain" &&
		echo "ok: a trace to /dev/full leaves the run as it was" ||
		bad "trace to /dev/full: exit $rc"
fi

[ $fail -eq 0 ] && echo "test-trace: all passed" || echo "test-trace: $fail failed"
[ $fail -eq 0 ]
