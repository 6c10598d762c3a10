#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ioasidctl's command line: usage errors and exit codes, both option forms,
# list/info/version on the sim (tables and JSON), unavailable backends and
# devices, malformed scenario files (exit 2, naming the file and the JSON
# path), ${VAR}, failed expectations, --table, --dump, the monitor, and
# --connect to a running VMM (tests/cli/inspect-vmm.c).
#
# Works from make check and make distcheck (VPATH): top_srcdir and
# top_builddir come from the environment; IOASIDCTL may name another binary.
set -u

top_srcdir=${top_srcdir:-${srcdir:-.}}
top_builddir=${top_builddir:-.}
IOASIDCTL=${IOASIDCTL:-$top_builddir/cli/ioasidctl}
PYTHON=${PYTHON:-python3}
scen=$top_srcdir/tests/scenarios

if [ ! -x "$IOASIDCTL" ]; then
	echo "test-cli.sh: $IOASIDCTL is not built" >&2
	exit 99
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail=0
n=0

# The normal timeout of one ioasidctl run: every run here ends in a second
# or two, so a run still going after a minute hangs (or does quadratic or
# sleeping work, as a scenario file once could make it do) and fails. No
# check measures speed.
hang=60

# check DESC WANT_RC [--out PATTERN] [--err PATTERN] [--no-out] -- ARGS...
# Runs ioasidctl ARGS with stdout in $tmp/out, stderr in $tmp/err; a run
# still going after $hang seconds is killed and fails.
check() {
	desc=$1
	want=$2
	shift 2
	out_pat=
	err_pat=
	no_out=0
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		case $1 in
		--out) out_pat=$2; shift 2 ;;
		--err) err_pat=$2; shift 2 ;;
		--no-out) no_out=1; shift ;;
		*) echo "check: bad option $1" >&2; exit 99 ;;
		esac
	done
	shift
	n=$((n + 1))
	rc=0
	timeout -s KILL "$hang" "$IOASIDCTL" "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null || rc=$?
	problem=
	if [ "$rc" -eq 137 ]; then
		problem="still running after $hang s (killed)"
	elif [ "$rc" -ne "$want" ]; then
		problem="exit $rc, want $want"
	elif [ -n "$out_pat" ] && ! grep -q -e "$out_pat" "$tmp/out"; then
		problem="stdout lacks /$out_pat/"
	elif [ -n "$err_pat" ] && ! grep -q -e "$err_pat" "$tmp/err"; then
		problem="stderr lacks /$err_pat/"
	elif [ $no_out -eq 1 ] && [ -s "$tmp/out" ]; then
		problem="stdout is not empty"
	fi
	if [ -n "$problem" ]; then
		echo "FAIL: $desc: ioasidctl $*: $problem"
		echo "--- stdout:"; head -n 20 "$tmp/out"
		echo "--- stderr:"; head -n 20 "$tmp/err"
		fail=$((fail + 1))
		return 1
	fi
	echo "ok: $desc"
	return 0
}

# steps_file FILE N HEAD STEP [TAIL]: a scenario FILE whose steps are the
# JSON fragment HEAD, N times STEP (its %d is 0, 1, ...) and TAIL.
steps_file() {
	awk -v n="$2" -v head="$3" -v step="$4" -v tail="${5:-}" 'BEGIN {
		printf "{\"steps\": [%s", head;
		sep = head == "" ? "" : ",\n";
		for (i = 0; i < n; i++) {
			printf "%s", sep;
			printf step, i;
			sep = ",\n";
		}
		if (tail != "")
			printf "%s%s", sep, tail;
		printf "]}\n" }' > "$1"
}

# json_ok DESC FILE: FILE is one JSON document
json_ok() {
	n=$((n + 1))
	if [ "$PYTHON" = no ] || ! command -v "$PYTHON" > /dev/null 2>&1; then
		echo "skip: $1 (no python3)"
		return 0
	fi
	if ! "$PYTHON" -m json.tool "$2" > /dev/null 2> "$tmp/pyerr"; then
		echo "FAIL: $1: not valid JSON:"; cat "$tmp/pyerr"; head -n 20 "$2"
		fail=$((fail + 1))
		return 1
	fi
	echo "ok: $1"
}

# same DESC FILE1 FILE2
same() {
	n=$((n + 1))
	if ! cmp -s "$2" "$3"; then
		echo "FAIL: $1:"; diff -u "$2" "$3"
		fail=$((fail + 1))
		return 1
	fi
	echo "ok: $1"
}

# ---- usage errors: exit 2 -------------------------------------------------
check "no command" 2 --err "no command" --
check "unknown command" 2 --err "unknown command 'frobnicate'" -- frobnicate
check "unknown global option" 2 --err "unknown option '--frob'" -- --frob list
check "unknown short option" 2 --err "unknown option '-x'" -- -x list
check "--backend without a value (end of line)" 2 --err "needs a value" -- --backend
check "--backend without a value (next is an option)" 2 --err "needs a value" -- --backend --json list
check "--backend= empty" 2 --err "non-empty" -- --backend= list
check "--json takes no value" 2 --err "takes no value" -- --json=yes list
check "global option after the command" 2 --err "global option: put it before the command" -- --backend sim list --json
check "backend option after the command" 2 --err "global option" -- list --backend sim
check "info without DEV" 2 --err "missing DEV" -- --backend sim info
check "info with two DEVs" 2 --err "one DEV" -- --backend sim info sim0 sim1
long=$(printf '%0300d' 0)
check "info with an over-long device name" 2 --err "device name '0000.*' is too long" -- --backend sim info "$long"
check "run without FILE" 2 --err "missing the scenario FILE" -- --backend sim run
check "run with an unknown option" 2 --err "unknown option '--frob'" -- --backend sim run --frob x.json
check "list with an argument" 2 --err "unexpected argument" -- --backend sim list extra
check "version with an argument" 2 --err "unexpected argument" -- version extra
check "malformed backend spec" 2 --err "unknown backend" -- --backend bogus list
check "--profile with a non-sim backend" 2 --err "needs the sim backend" -- --backend vfio --profile vtd list
check "--table with --json" 2 --err "exclude each other" -- --json --backend sim run --table "$scen/copy.json"
check "monitor --count 0" 2 --err "positive integer" -- --backend sim monitor --count 0
check "monitor --timeout x" 2 --err "number of seconds" -- --backend sim monitor --timeout x

# ---- help and version ----------------------------------------------------
check "--help" 0 --out "Usage: ioasidctl" -- --help
check "help command" 0 --out "Usage: ioasidctl" -- help
check "run --help" 0 --out "Usage: ioasidctl .* run FILE" -- run --help
check "--version" 0 --out "^ioasidctl [0-9]" -- --version && cp "$tmp/out" "$tmp/v1"
check "version" 0 --out "libioasid [0-9]" -- version && cp "$tmp/out" "$tmp/v2"
same "version = --version" "$tmp/v1" "$tmp/v2"
check "--json version" 0 --out '"libioasid"' -- --json version && json_ok "--json version is JSON" "$tmp/out"

# ---- both option forms ---------------------------------------------------
check "--backend sim list" 0 --out "^NAME  *BDF  *IOMMU  *DRIVER  *GROUP" -- --backend sim list && cp "$tmp/out" "$tmp/l1"
check "--backend=sim list" 0 -- --backend=sim list && cp "$tmp/out" "$tmp/l2"
same "--backend VAL = --backend=VAL" "$tmp/l1" "$tmp/l2"
check "--profile smmuv3 info" 0 --out "smmuv3 (version" -- --profile smmuv3 info sim0 && cp "$tmp/out" "$tmp/p1"
check "--profile=smmuv3 info" 0 -- --profile=smmuv3 info sim0 && cp "$tmp/out" "$tmp/p2"
same "--profile VAL = --profile=VAL" "$tmp/p1" "$tmp/p2"
check "--backend sim:smmuv3 = --profile smmuv3" 0 -- --backend sim:smmuv3 info sim0 && cp "$tmp/out" "$tmp/p3"
same "--backend sim:smmuv3 = --profile smmuv3" "$tmp/p1" "$tmp/p3"
check "run FILE --dump = run --dump FILE" 0 -- --backend sim run --dump "$scen/copy.json" && cp "$tmp/out" "$tmp/d1"
check "run FILE --dump" 0 -- --backend sim run "$scen/copy.json" --dump && cp "$tmp/out" "$tmp/d2"
same "run option before or after FILE" "$tmp/d1" "$tmp/d2"

# ---- list and info on the sim ---------------------------------------------
check "list shows the vtd devices" 0 --out "^sim0  *0000:01:00.0  *vtd  *sim" -- --backend sim list
check "list --json" 0 --out '"devices"' -- --json --backend sim list && json_ok "list --json is JSON" "$tmp/out"
for p in vtd qemu-vtd smmuv3 amd virtio-iommu generic; do
	check "info sim0 on $p" 0 --out "^page sizes  " -- --profile "$p" info sim0
	check "info --json sim0 on $p" 0 -- --json --profile "$p" info sim0 &&
		json_ok "info --json on $p is JSON" "$tmp/out"
done
check "info decodes VT-d registers" 0 --out "^  ecap_reg  *0x" -- --backend sim info sim0
check "info shows reserved regions with their type" 0 --out "0xfee00000-0xfeefffff msi" -- --backend sim info sim0
check "info shows PASID width" 0 --out "^PASID width  *20 bits" -- --backend sim info sim0

# ---- unavailable backend or device: exit 3 --------------------------------
check "iommufd backend (not implemented): list" 3 --err "iommufd" -- --backend iommufd list
check "iommufd backend (not implemented): info" 3 --err "iommufd" -- --backend iommufd info /dev/vfio/devices/vfio0
check "iommufd backend (not implemented): run" 3 --err "iommufd" -- --backend iommufd run "$scen/copy.json"
check "unknown sim profile" 3 --err "nosuchprofile" -- --profile nosuchprofile list
check "info on a device the sim lacks" 3 --err "nosuchdev" -- --backend sim info nosuchdev
check "a profile path that is a directory" 3 --err "is a directory, not a file" -- --profile "$tmp" list
# the same on open and on the first call: /dev/zero opened, and every ioctl
# then answered ENOTTY (exit 1, or 0 for an empty list)
if [ -e /sys/dev/char ]; then
	check "iommufd:/dev/zero is not the iommu device: list" 3 \
		--err "iommufd: /dev/zero is .*zero, not the iommu device" -- --backend iommufd:/dev/zero list
	check "iommufd:/dev/zero is not the iommu device: run" 3 --no-out \
		--err "not the iommu device" -- --backend iommufd:/dev/zero run "$scen/copy.json"
fi

# ---- a bare host: no kernel backend, the host's devices all the same -----
# A sysfs tree as the kernel lays it out (IOASIDCTL_SYSFS_ROOT stands for
# /sys): two devices in IOMMU groups (one bound to vfio-pci with a cdev),
# one outside any group, which is not listed.
sys=$tmp/sys
fake_pci() { # BDF GROUP DRIVER IOMMU [VFIO]
	d=$sys/devices/pci0000:00/$1
	mkdir -p "$d" "$sys/bus/pci/devices"
	ln -s "../../../devices/pci0000:00/$1" "$sys/bus/pci/devices/$1"
	[ -n "$2" ] && ln -s "../../../kernel/iommu_groups/$2" "$d/iommu_group"
	[ -n "$3" ] && ln -s "../../../bus/pci/drivers/$3" "$d/driver"
	[ -n "$4" ] && ln -s "../../virtual/iommu/$4" "$d/iommu"
	[ -n "${5:-}" ] && mkdir -p "$d/vfio-dev/$5"
	return 0
}
fake_pci 0000:00:02.0 7 vfio-pci dmar0 vfio0
fake_pci 0000:00:1f.2 12 ahci dmar1
fake_pci 0000:00:00.0 "" "" ""
nokernel=iommufd:$tmp/no-iommu
export IOASIDCTL_SYSFS_ROOT=$sys
check "bare host: list shows the host's devices" 3 \
	--out "^0000:00:1f.2  *0000:00:1f.2  *vtd  *ahci  *12" \
	--err "no kernel backend is usable (backend $nokernel: .*no-iommu.*); try the simulated IOMMU: ioasidctl --backend sim list" \
	-- --backend "$nokernel" list
grep -qF "0000:00:00.0" "$tmp/out" && { echo "FAIL: bare host: a device outside any group is listed"; fail=$((fail + 1)); }
[ "$(wc -l < "$tmp/err")" -eq 1 ] || { echo "FAIL: bare host: the note is not one line:"; cat "$tmp/err"; fail=$((fail + 1)); }
check "bare host: list --json" 3 --out '"unusable": "backend iommufd:' -- --json --backend "$nokernel" list &&
	json_ok "bare host: list --json is JSON" "$tmp/out"
grep -q '"backend": null' "$tmp/out" || { echo "FAIL: bare host: --json backend is not null"; fail=$((fail + 1)); }
check "bare host: info by short BDF" 3 --out "^  driver  *vfio-pci" \
	--err "try the simulated IOMMU: ioasidctl --backend sim info sim0" -- --backend "$nokernel" info 00:02.0
grep -q "^  group  *7" "$tmp/out" || { echo "FAIL: bare host: info lacks the group"; fail=$((fail + 1)); }
check "bare host: info --json" 3 --out '"bdf": "0000:00:1f.2"' -- --json --backend "$nokernel" info 0000:00:1f.2 &&
	json_ok "bare host: info --json is JSON" "$tmp/out"
check "bare host: info on a device not in a group" 3 --no-out \
	--err "info: 0000:00:00.0: not among the 2 PCI devices of this host in an IOMMU group" \
	-- --backend "$nokernel" info 0000:00:00.0
export IOASIDCTL_SYSFS_ROOT=$tmp/empty-sys
check "bare host: no device in a group" 3 --out "^NAME" --err "no PCI device of this host is in an IOMMU group" \
	-- --backend "$nokernel" list
check "bare host: the sim is not a bare host" 3 --no-out -- --profile nosuchprofile list
unset IOASIDCTL_SYSFS_ROOT

# ---- malformed scenario files: exit 2 before anything runs ---------------
# bad NAME PATTERN JSON: the file is refused with a message matching PATTERN
bad() {
	printf '%s\n' "$3" > "$tmp/$1.json"
	check "malformed: $1" 2 --no-out --err "$2" -- --backend sim run "$tmp/$1.json"
}
bad not-json "$tmp/not-json.json:1:[0-9]*: not valid JSON" '{"steps": [}'
bad not-object "not-object.json: \[1,2\] is not a scenario" '[1,2]'
bad no-steps "no-steps.json: steps: missing" '{"backend": "sim"}'
bad viommu-hex "viommu-hex.json: steps\[1\].request: \"0100000g\" is not a string of hex byte pairs" \
	'{"steps": [{"op": "virtio_iommu_new", "as": "V"}, {"op": "virtio_iommu_request", "virtio_iommu": "V", "request": "0100000g"}]}'
bad viommu-field "viommu-field.json: steps\[1\].request: missing \"endpoint\"" \
	'{"steps": [{"op": "virtio_iommu_new", "as": "V"}, {"op": "virtio_iommu_request", "virtio_iommu": "V", "request": {"type": "attach", "domain": 1}}]}'
bad steps-type "steps-type.json: steps: \"x\" is not a list" '{"steps": "x"}'
bad top-key "top-key.json: stepz: unknown key" '{"steps": [], "stepz": 1}'
bad step-type "step-type.json: steps\[0\]: 5: a step is an object" '{"steps": [5]}'
bad no-op "no-op.json: steps\[0\].op: missing" '{"steps": [{"as": "A"}]}'
bad unknown-op "unknown-op.json: steps\[0\].op: unknown op \"mapp\"" '{"steps": [{"op": "mapp"}]}'
bad unknown-key "unknown-key.json: steps\[1\].iovaa: unknown argument of op map" \
	'{"steps": [{"op": "ioas_alloc", "as": "A"}, {"op": "map", "ioas": "A", "iovaa": 1, "length": 4096}]}'
bad missing-arg "missing-arg.json: steps\[1\].length: missing" \
	'{"steps": [{"op": "ioas_alloc", "as": "A"}, {"op": "unmap", "ioas": "A", "iova": 0}]}'
bad wrong-type "wrong-type.json: steps\[1\].memfd: \"yes\" is not true or false" \
	'{"steps": [{"op": "ioas_alloc", "as": "A"}, {"op": "buffer", "size": 4096, "memfd": "yes"}]}'
bad bad-number "bad-number.json: steps\[1\].iova: \"0xzz\" is not a number" \
	'{"steps": [{"op": "ioas_alloc", "as": "A"}, {"op": "map", "ioas": "A", "iova": "0xzz", "length": 4096}]}'
bad negative "negative.json: steps\[1\].length: -4096 is not a number" \
	'{"steps": [{"op": "ioas_alloc", "as": "A"}, {"op": "map", "ioas": "A", "length": -4096}]}'
bad float "float.json: steps\[1\].length: 4096.5 is not a number" \
	'{"steps": [{"op": "ioas_alloc", "as": "A"}, {"op": "map", "ioas": "A", "length": 4096.5}]}'
bad too-big "too-big.json:1:[0-9]*: not valid JSON: too big integer.*0x" \
	'{"steps": [{"op": "ioas_alloc", "as": "A"}, {"op": "unmap", "ioas": "A", "iova": 0, "length": 18446744073709551615}]}'
bad u32-range "u32-range.json: steps\[0\].max_pasids: 4294967296 is larger than 0xffffffff" \
	'{"steps": [{"op": "set_alloc", "as": "S", "max_pasids": 4294967296}]}'
bad label-reused "label-reused.json: steps\[1\].as: label \"A\" is already defined by steps\[0\]" \
	'{"steps": [{"op": "ioas_alloc", "as": "A"}, {"op": "ioas_alloc", "as": "A"}]}'
bad label-unknown "label-unknown.json: steps\[0\].ioas: unknown label \"A\"" \
	'{"steps": [{"op": "map", "ioas": "A", "length": 4096}]}'
bad label-later "label-later.json: steps\[0\].ioas: unknown label \"A\"" \
	'{"steps": [{"op": "map", "ioas": "A", "length": 4096}, {"op": "ioas_alloc", "as": "A"}]}'
bad label-kind "label-kind.json: steps\[1\].ioas: label \"S\" is of kind set" \
	'{"steps": [{"op": "set_alloc", "as": "S"}, {"op": "map", "ioas": "S", "length": 4096}]}'
bad label-syntax "label-syntax.json: steps\[0\].as: \"1A\" is not a label" '{"steps": [{"op": "ioas_alloc", "as": "1A"}]}'
bad as-not-allowed "as-not-allowed.json: steps\[1\].as: op unmap makes nothing to label" \
	'{"steps": [{"op": "ioas_alloc", "as": "A"}, {"op": "unmap", "ioas": "A", "iova": 0, "length": 1, "as": "U"}]}'
bad bad-expect "bad-expect.json: steps\[0\].expect: \"EFOO\" is not \"ok\" or an errno name" \
	'{"steps": [{"op": "ioas_alloc", "as": "A", "expect": "EFOO"}]}'
bad bad-expect-value "bad-expect-value.json: steps\[0\].expect_value: \"0x0\" is not an object" \
	'{"steps": [{"op": "ioas_alloc", "as": "A", "expect_value": "0x0"}]}'
bad bad-perm "bad-perm.json: steps\[1\].perm: \"rx\" is not" \
	'{"steps": [{"op": "ioas_alloc", "as": "A"}, {"op": "map", "ioas": "A", "length": 4096, "perm": "rx"}]}'
bad bad-range "bad-range.json: steps\[1\].ranges\[1\]: {\"start\":1}: a range needs" \
	'{"steps": [{"op": "ioas_alloc", "as": "A"}, {"op": "allow_iovas", "ioas": "A", "ranges": [[1, 2], {"start": 1}]}]}'
bad past-buffer "past-buffer.json: steps\[2\].length: 0x2000 bytes from offset 0x1000 run past the end of buffer B" \
	'{"steps": [{"op": "buffer", "as": "B", "size": 8192}, {"op": "ioas_alloc", "as": "A"}, {"op": "map", "ioas": "A", "buffer": "B", "offset": 4096, "length": 8192}]}'
bad buffer-align "buffer-align.json: steps\[0\].align: 0x3000 is not a power of two" \
	'{"steps": [{"op": "buffer", "as": "B", "size": 4096, "align": 12288}]}'
bad option-name "option-name.json: steps\[1\].name: \"huge\" is not an option" \
	'{"steps": [{"op": "ioas_alloc", "as": "A"}, {"op": "option", "ioas": "A", "name": "huge"}]}'
bad unset-var "unset-var.json: steps\[0\].dev: environment variable IOASID_TEST_UNSET_VAR is not set" \
	'{"steps": [{"op": "dev_bind", "dev": "${IOASID_TEST_UNSET_VAR}", "as": "D"}]}'
bad bad-var "bad-var.json: steps\[0\].dev: \"\${oops\": bad variable reference" \
	'{"steps": [{"op": "dev_bind", "dev": "${oops", "as": "D"}]}'
bad duplicate-key "duplicate-key.json:1:[0-9]*: not valid JSON: duplicate object key" \
	'{"steps": [{"op": "ioas_alloc", "op": "ioas_alloc"}]}'
bad later-error "later-error.json: steps\[2\].op: unknown op" \
	'{"steps": [{"op": "ioas_alloc", "as": "A"}, {"op": "dev_add", "name": "x"}, {"op": "nope"}]}'
check "malformed: missing file" 2 --no-out --err "nosuchfile.json" -- --backend sim run "$tmp/nosuchfile.json"
# the vIOMMU ops (ops-viommu.c): a vIOMMU label, then the malformed step (steps[4])
vhead='{"op": "ioas_alloc", "as": "A"}, {"op": "dev_bind", "dev": "sim0", "as": "D"}, {"op": "hwpt_alloc", "dev": "D", "ioas": "A", "flags": ["nest_parent"], "as": "P"}, {"op": "viommu_alloc", "dev": "D", "hwpt": "P", "type": "selftest", "as": "V"}'
bad vinv-kind "vinv-kind.json: steps\[4\].entries\[0\]: 5 is neither a hex string nor" \
	"{\"steps\": [$vhead, {\"op\": \"viommu_invalidate\", \"viommu\": \"V\", \"data_type\": \"selftest\", \"entries\": [5]}]}"
bad vinv-hex "vinv-hex.json: steps\[4\].entries\[1\]: \"0g\" is not a non-empty string of hex byte pairs" \
	"{\"steps\": [$vhead, {\"op\": \"viommu_invalidate\", \"viommu\": \"V\", \"data_type\": \"selftest\", \"entries\": [\"00\", \"0g\"]}]}"
bad vinv-words "vinv-words.json: steps\[4\].entries\[0\]: give one of \"u32\" and \"u64\"" \
	"{\"steps\": [$vhead, {\"op\": \"viommu_invalidate\", \"viommu\": \"V\", \"data_type\": \"selftest\", \"entries\": [{\"u32\": [1], \"u64\": [1]}]}]}"
bad vinv-u32 "vinv-u32.json: steps\[4\].entries\[0\].u32\[1\]: 4294967296 is larger than 0xffffffff" \
	"{\"steps\": [$vhead, {\"op\": \"viommu_invalidate\", \"viommu\": \"V\", \"data_type\": \"selftest\", \"entries\": [{\"u32\": [0, 4294967296]}]}]}"
bad vinv-len "vinv-len.json: steps\[4\].entry_len: 2 bytes: an entry is 4 bytes long" \
	"{\"steps\": [$vhead, {\"op\": \"viommu_invalidate\", \"viommu\": \"V\", \"data_type\": \"selftest\", \"entries\": [\"00112233\"], \"entry_len\": 2}]}"
bad vnest-s1 "vnest-s1.json: steps\[4\].s1: VT-d stage-1 data is for a nested HWPT over \"hwpt\"" \
	"{\"steps\": [$vhead, {\"op\": \"hwpt_alloc\", \"dev\": \"D\", \"viommu\": \"V\", \"s1\": {\"pgtbl_addr\": 0}}]}"
bad vnest-two "vnest-two.json: steps\[4\].viommu: give one of \"ioas\", \"hwpt\" and \"viommu\"" \
	"{\"steps\": [$vhead, {\"op\": \"hwpt_alloc\", \"dev\": \"D\", \"viommu\": \"V\", \"hwpt\": \"P\", \"data\": \"00\"}]}"
bad s1-data "s1-data.json: steps\[4\].data: give either \"s1\" or \"data\", not both" \
	"{\"steps\": [$vhead, {\"op\": \"hwpt_alloc\", \"dev\": \"D\", \"hwpt\": \"P\", \"s1\": {\"pgtbl_addr\": 0}, \"data\": \"00\"}]}"
bad vf-token "vf-token.json: steps\[0\].vf_token: \"bd8d9d2b-5a5f4f5a-a211-f591514ba1f3\" is not a UUID" \
	'{"steps": [{"op": "dev_bind", "dev": "sim0", "vf_token": "bd8d9d2b-5a5f4f5a-a211-f591514ba1f3"}]}'
printf '%s\n' '{"steps": [{"op": "dev_bind", "dev": "sim0", "as": "D"}, {"op": "dev_hw_info", "dev": "D", "data_type": "intel_vtd"}, {"op": "dev_bind", "dev": "sim1", "vf_token": "bd8d9d2b-5a5f-4f5a-a211-f591514ba1f3"}]}' > "$tmp/hwinfo-sim.json"
check "GET_HW_INFO with a data type on the sim: EOPNOTSUPP naming the feature" 0 \
	--out '"op":"dev_hw_info","result":"EOPNOTSUPP","value":{},"message":"IOMMU_GET_HW_INFO with a requested data type (INPUT_TYPE): the sim backend' \
	-- --backend sim run "$tmp/hwinfo-sim.json"
check "a VF token on the sim: EOPNOTSUPP naming the feature" 0 \
	--out '"op":"dev_bind","result":"EOPNOTSUPP","value":{},"message":"binding with a VF token (VFIO_DEVICE_BIND_FLAG_TOKEN) needs the iommufd backend' \
	-- --backend sim run "$tmp/hwinfo-sim.json"
# the sim models vIOMMUs for its smmuv3 and amd profiles only: on a VT-d
# profile (the default) its EOPNOTSUPP and message
printf '%s\n' "{\"steps\": [$vhead, {\"op\": \"viommu_info\", \"viommu\": \"V\", \"expect\": \"ENOENT\"}]}" > "$tmp/vsim.json"
check "vIOMMU ops on a VT-d sim: its EOPNOTSUPP with its message" 0 \
	--out '"op":"viommu_alloc","result":"EOPNOTSUPP","value":{},"message":"IOMMU_VIOMMU_ALLOC: profile vtd is a vtd IOMMU, whose Linux driver has no vIOMMU' \
	-- --backend sim run "$tmp/vsim.json"
# nothing ran: the dev_add of later-error.json would otherwise be visible
check "malformed file ran nothing" 2 --no-out -- --backend sim run "$tmp/later-error.json"

# ---- ${VAR}, expectations, backends from the file -------------------------
printf '%s\n' '{"backend": "sim", "profile": "${IOASID_TEST_PROFILE}", "steps": [
  {"op": "dev_bind", "dev": "${IOASID_TEST_DEV}", "as": "D", "expect": "ok"},
  {"op": "dev_info", "dev": "D"}]}' > "$tmp/vars.json"
printf '%s\n' '{"backend": "sim", "description": "uses ${NOT_SET_AT_ALL}", "steps": [
  {"op": "ioas_alloc", "as": "A", "comment": "not ${NOT_SET_AT_ALL} either", "expect": "ok"}]}' > "$tmp/comment-var.json"
check "\${VAR} in comments and descriptions is left alone" 0 -- run "$tmp/comment-var.json"
IOASID_TEST_DEV=sim2 IOASID_TEST_PROFILE=smmuv3 \
	check "\${VAR} in strings" 0 --out '"page_sizes":\["64K","512M"\]' -- run "$tmp/vars.json"
IOASID_TEST_DEV=sim0 IOASID_TEST_PROFILE=smmuv3 \
	check "--profile overrides the file's profile" 0 --out '"vendor":"amd"' -- --profile amd run "$tmp/vars.json"

# a profile file named by the scenario is found next to the scenario
mkdir -p "$tmp/sub"
printf '%s\n' '{"version": 1, "name": "tiny", "base": "generic", "devices": [{"name": "gpu0", "page_sizes": ["4K"]}]}' > "$tmp/sub/tiny.json"
printf '%s\n' '{"backend": "sim", "profile": "tiny.json", "steps": [{"op": "dev_bind", "dev": "gpu0", "as": "G", "expect": "ok"}]}' > "$tmp/sub/uses-tiny.json"
check "a relative profile file is taken from the scenario's directory" 0 -- run "$tmp/sub/uses-tiny.json"
check "--profile FILE" 0 --out "^gpu0  *0000:01:00.0  *generic" -- --profile "$tmp/sub/tiny.json" list
printf '%s\n' '{"version": 1, "bogus": 1}' > "$tmp/sub/bad-profile.json"
check "a malformed profile file is a usage error" 2 --err "bogus" -- --profile "$tmp/sub/bad-profile.json" list
check "a missing profile file is unavailable" 3 --err "nosuch.json" -- --profile "$tmp/sub/nosuch.json" list

printf '%s\n' '{"backend": "iommufd", "profile": "vtd", "steps": [{"op": "ioas_alloc", "as": "A", "expect": "ok"}]}' > "$tmp/iommufd.json"
check "the file's backend is used" 3 --err "iommufd" -- run "$tmp/iommufd.json"
check "--backend sim overrides the file's backend" 0 --out '"result":"ok"' -- --backend sim run "$tmp/iommufd.json"

printf '%s\n' '{"backend": "sim", "steps": [
  {"op": "ioas_alloc", "as": "A"},
  {"op": "map", "ioas": "A", "iova": 4096, "length": 4096, "expect": "EEXIST"},
  {"op": "map", "ioas": "A", "iova": 4096, "length": 4096, "expect": "EEXIST"},
  {"op": "lookup", "ioas": "A", "iova": 4096}]}' > "$tmp/expect.json"
check "a failed expectation exits 1" 1 --out '"step":1,"op":"map","result":"ok","expected":"EEXIST"' -- run "$tmp/expect.json"
check "... after running every step" 1 --out '"step":3,"op":"lookup","result":"ok"' -- run "$tmp/expect.json"
check "... a met one has no \"expected\"" 1 --out '"step":2,"op":"map","result":"EEXIST","value":{},"message"' -- run "$tmp/expect.json"
check "--table marks the mismatch" 1 --out "EEXIST MISMATCH" -- run --table "$tmp/expect.json"
check "--dump ends with the state" 0 --out '^{"schema":"ioasid/1"' -- --backend sim run --dump "$scen/pinned.json"
tail -n 1 "$tmp/out" > "$tmp/dump.json"
json_ok "--dump line is JSON" "$tmp/dump.json"
check "--table prints steps and mappings" 0 --out "^IOAS gpa: 3 areas" -- --backend sim run "$top_srcdir/examples/quickstart.json" --table
check "--table mapping rows" 0 --out "^  0x100000000  0x1001fffff  0x200000  rw    ram_high+0x0$" -- --backend sim run "$top_srcdir/examples/quickstart.json" --table

# ---- a scenario file is untrusted input: bounded time and memory ----------
# 240000 labels, each looked up once: loading is O(n log n), so the file
# loads in seconds; with a lookup that scans every label it took minutes
# (80000 labels: 10 s on an idle machine, 56 s on a busy one) and the
# normal timeout killed it. The last step is malformed, so the run ends
# with exit 2 after every label was defined and checked.
steps_file "$tmp/labels.json" 240000 '' '{"op": "ioas_alloc", "as": "L%d"}' \
	'{"op": "ioas_stats", "ioas": "L0"}, {"op": "ioas_stats", "ioas": "L239999"}, {"op": "ioas_stats", "ioas": "L240000"}'
check "240000 labels load in seconds" 2 --no-out \
	--err 'labels.json: steps\[240002\].ioas: unknown label "L240000"' -- --backend sim run "$tmp/labels.json"
rm -f "$tmp/labels.json"

# Memory: 1 GiB in all, refused when the file is loaded (this 94-byte file
# used to reserve and write 2 GiB).
printf '%s\n' '{"steps":[{"op":"buffer","as":"B","size":"0x80000000"},{"op":"write","buffer":"B","byte":1}]}' > "$tmp/mem-2g.json"
check "a 2 GiB buffer is refused at load" 2 --no-out \
	--err 'mem-2g.json: steps\[0\].size: 0x80000000 bytes of memory: a scenario allocates at most 0x40000000 bytes (1 GiB) in all' \
	-- --backend sim run "$tmp/mem-2g.json"
printf '%s\n' '{"steps": [{"op": "buffer", "as": "B1", "size": "0x18000000"}, {"op": "buffer", "as": "B2", "size": "0x18000000"},
  {"op": "ioas_alloc", "as": "A"}, {"op": "map", "ioas": "A", "length": "0x18000000"}]}' > "$tmp/mem-sum.json"
check "memory adds up over buffers and maps" 2 --no-out \
	--err 'mem-sum.json: steps\[3\].length: 0x18000000 bytes of memory: .* (0x30000000 before this step)' \
	-- --backend sim run "$tmp/mem-sum.json"
printf '%s\n' '{"steps": [{"op": "buffer", "as": "B", "size": 1}, {"op": "ioas_alloc", "as": "A"},
  {"op": "map", "ioas": "A", "length": "0x3ffff001"}]}' > "$tmp/mem-pages.json"
check "memory is counted in whole pages" 2 --no-out \
	--err 'mem-pages.json: steps\[2\].length: 0x3ffff001 bytes of memory: .* (0x1000 before this step)' \
	-- --backend sim run "$tmp/mem-pages.json"
steps_file "$tmp/mem-dma.json" 17 '{"op": "dev_bind", "dev": "sim0", "as": "D"}' \
	'{"op": "dma_read", "dev": "D", "iova": 0, "length": "0x4000000"}'
check "the fresh memory of DMAs counts" 2 --no-out \
	--err 'mem-dma.json: steps\[17\].length: 0x4000000 bytes of memory: .* (0x40000000 before this step)' \
	-- --backend sim run "$tmp/mem-dma.json"
# Bytes moved: 4 GiB in all (this file used to write 200 GiB).
steps_file "$tmp/moved.json" 200 '{"op": "buffer", "as": "B", "size": "0x40000000"}' \
	'{"op": "write", "buffer": "B", "byte": %d}'
check "bytes moved are bounded" 2 --no-out \
	--err 'moved.json: steps\[5\].length: 0x40000000 bytes moved: the write, read, dma_read and dma_write steps of a scenario move at most 0x100000000 bytes (4 GiB) in all (0x100000000 before this step)' \
	-- --backend sim run "$tmp/moved.json"
# The file itself: 16 MiB.
{ printf '{"steps": [], "description": "'; head -c 17000000 /dev/zero | tr '\0' x; printf '"}\n'; } > "$tmp/big-file.json"
check "a file over 16 MiB is refused" 2 --no-out \
	--err 'big-file.json: more than 0x1000000 bytes: a scenario file is at most 16 MiB' \
	-- --backend sim run "$tmp/big-file.json"
rm -f "$tmp/big-file.json"
# Time: no step sleeps. Only a later step answers a page request, so each of
# these waits (10 s apiece, 200 s in all, before) answers ETIMEDOUT at once.
steps_file "$tmp/waits.json" 20 '{"op": "set_alloc", "as": "S", "max_ioas": 1},
  {"op": "fault_queue_alloc", "set": "S", "as": "Q"}, {"op": "set_ioas_alloc", "set": "S", "as": "A"},
  {"op": "dev_bind", "dev": "sim0", "as": "D"},
  {"op": "attach", "dev": "D", "ioas": "A", "set": "S", "queue": "Q", "expect": "ok"},
  {"op": "dma_read", "dev": "D", "iova": "0x200000", "length": 16, "as": "P", "expect": "EAGAIN"}' \
	'{"op": "dma_wait", "dma": "P", "timeout_ns": 10000000000, "expect": "ETIMEDOUT"}' \
	'{"op": "fault_read", "queue": "Q"}, {"op": "fault_respond", "queue": "Q", "cookie": "last", "code": "invalid"},
  {"op": "dma_wait", "dma": "P", "timeout_ns": 10000000000, "expect": "EFAULT"}'
check "dma_wait never sleeps" 0 \
	--out '"step":6,"op":"dma_wait","result":"ETIMEDOUT","value":{},"message":"DMA P still waits for a page response (0x0 of 0x10 bytes done); nothing answers it while a step runs, so dma_wait does not sleep"' \
	-- --backend sim run "$tmp/waits.json"
check "... and still collects what was answered" 0 --out '"step":28,"op":"dma_wait","result":"EFAULT"' \
	-- --backend sim run "$tmp/waits.json"
# Scenario time ends at INT64_MAX ns: an advance past it was answered ok
# and did not happen.
printf '%s\n' '{"steps": [{"op": "clock_advance", "ns": "0x7fffffffffffffff", "expect": "ok"},
  {"op": "clock_advance", "ns": 0}, {"op": "clock_advance", "ns": 1, "expect": "ok"}]}' > "$tmp/clock.json"
check "clock_advance past INT64_MAX is refused at load" 2 --no-out \
	--err 'clock.json: steps\[2\].ns: 0x1 ns: the clock_advance steps of a scenario add at most 0x7fffffffffffffff ns (INT64_MAX) in all (0x7fffffffffffffff before this step)' \
	-- --backend sim run "$tmp/clock.json"
printf '%s\n' '{"steps": [{"op": "clock_advance", "ns": "0x7ffffffffffffffe"}, {"op": "clock_advance", "ns": 1}]}' > "$tmp/clock-end.json"
check "clock_advance up to INT64_MAX" 0 --out '"step":1,"op":"clock_advance","result":"ok","value":{"expired":0,"now":9223372036854775807}' \
	-- --backend sim run "$tmp/clock-end.json"
check "a directory is not a scenario file" 2 --no-out --err "sub: cannot read: Is a directory" -- --backend sim run "$tmp/sub"

# ---- outputs do not depend on where the scenario's memory is --------------
# Below 128 TiB, mmap can put a buffer aligned to 64 TiB only at
# 0x400000000000, and one aligned to 32 TiB only at 0x200000000000 or (where
# it goes, top-down) 0x600000000000: the file's IOVAs are those addresses,
# so on some run each of them is also an address inside buffer P. IOVAs and
# lengths must read as themselves on every run; only process addresses
# ("va" in messages, "uva" in the dump) are named by their buffer.
printf '%s\n' '{"backend": "sim", "steps": [
  {"op": "buffer", "as": "P", "size": "0x1000", "align": "${IOASID_TEST_ALIGN}"},
  {"op": "buffer", "as": "B", "size": "0x2000"},
  {"op": "ioas_alloc", "as": "A"},
  {"op": "dev_bind", "dev": "sim0", "as": "D"},
  {"op": "attach", "dev": "D", "ioas": "A", "expect": "ok"},
  {"op": "map", "ioas": "A", "iova": "0x400000000000", "buffer": "B", "expect": "ok"},
  {"op": "map", "ioas": "A", "iova": "0x600000000000", "buffer": "B", "expect": "ok"},
  {"op": "map", "ioas": "A", "iova": "0x200000000000", "buffer": "B", "expect": "ok"},
  {"op": "map", "ioas": "A", "iova": "0x400000001000", "buffer": "B", "expect": "EEXIST"},
  {"op": "map", "ioas": "A", "iova": "0x300000", "buffer": "B", "offset": "0x800", "length": "0x1000", "expect": "EINVAL"},
  {"op": "lookup", "ioas": "A", "iova": "0x600000001000"},
  {"op": "unmap", "ioas": "A", "iova": "0x600000000800", "length": "0x1000", "expect": "ENOENT"},
  {"op": "mappings", "ioas": "A"}]}' > "$tmp/place.json"
for mode in json --table --dump; do
	m=$mode
	[ "$m" = json ] && m=
	for a in 0x1000 0x200000000000 0x400000000000; do
		# shellcheck disable=SC2086
		# (--table shows the step's arguments: the alignment itself differs)
		IOASID_TEST_ALIGN=$a check "memory aligned to $a, ${mode}" 0 -- run $m "$tmp/place.json" &&
			grep -v ' align=' "$tmp/out" > "$tmp/place-$a$m.out"
	done
	same "the same output wherever the memory is (64 TiB vs 4 KiB alignment, $mode)" \
		"$tmp/place-0x1000$m.out" "$tmp/place-0x400000000000$m.out"
	same "the same output wherever the memory is (32 TiB vs 4 KiB alignment, $mode)" \
		"$tmp/place-0x1000$m.out" "$tmp/place-0x200000000000$m.out"
done
for a in 0x200000000000 0x400000000000; do
	IOASID_TEST_ALIGN=$a check "IOVAs inside a buffer read as IOVAs ($a)" 0 \
		--out '"message":"\[0x400000001000, 0x400000002fff\] overlaps the mapping \[0x400000000000, 0x400000001fff\] of IOAS A"' \
		-- run "$tmp/place.json"
	IOASID_TEST_ALIGN=$a check "an IOVA value inside a buffer reads as the IOVA ($a)" 0 \
		--out '"op":"lookup","result":"ok","value":{"iova":"0x600000000000","last":"0x600000001fff"' \
		-- run "$tmp/place.json"
	IOASID_TEST_ALIGN=$a check "a message's IOVAs inside a buffer read as IOVAs ($a)" 0 \
		--out 'the mapping \[0x600000000000, 0x600000001fff\] of IOAS A straddles the start of \[0x600000000800, 0x6000000017ff\]' \
		-- run "$tmp/place.json"
done
IOASID_TEST_ALIGN=0x1000 check "a process address in a message is named by its buffer" 0 \
	--out '"message":"length 0x1000 or the in-page offset of va B+0x800 is not aligned' -- run "$tmp/place.json"
IOASID_TEST_ALIGN=0x1000 check "a process address in the dump is named by its buffer" 0 \
	--out '"iova":"0x400000000000","last":"0x400000001fff","length":"0x2000","uva":"B+0x0"' -- run --dump "$tmp/place.json"
check "the null address in the dump reads as itself" 0 \
	--out '"cached_addr":"ram+0x8000","current_addr":"0x0"' -- run --dump "$scen/dma-errors.json"

# ---- monitor ----------------------------------------------------------------
cat > "$tmp/monitor.expected" <<'EOF'
{"event":"present","source":"sim","name":"sim0","bdf":"0000:01:00.0"}
{"event":"present","source":"sim","name":"sim1","bdf":"0000:02:00.0"}
{"event":"present","source":"sim","name":"sim2","bdf":"0000:03:00.0"}
{"event":"add","source":"sim","name":"nvme0","bdf":"0000:05:00.0"}
{"event":"add","source":"sim","name":"nic0","bdf":"0000:04:00.0"}
{"event":"remove","source":"sim","name":"nic0","bdf":"0000:04:00.0"}
{"event":"remove","source":"sim","name":"nvme0","bdf":"0000:05:00.0"}
EOF
if check "monitor --script" 0 -- --json --backend sim monitor --script "$scen/hotplug.json"; then
	same "monitor --script events" "$tmp/monitor.expected" "$tmp/out"
fi
if check "monitor --script --count 4" 0 -- --json --backend sim monitor --count=4 --script "$scen/hotplug.json"; then
	head -n 4 "$tmp/monitor.expected" > "$tmp/monitor4.expected"
	same "monitor --count stops after 4 events" "$tmp/monitor4.expected" "$tmp/out"
fi
check "monitor table output" 0 --out "^add  *sim  *nvme0  *bdf 0000:05:00.0$" -- --backend sim monitor --script "$scen/hotplug.json"
check "monitor --timeout on the sim" 0 --out "^present  *sim  *sim2" -- --backend sim monitor --timeout 0.2
check "monitor --script on a real backend" 2 --err "sim only" -- --backend vfio monitor --script "$scen/hotplug.json"
check "monitor --script with a malformed file" 2 --err "not-json.json" -- --backend sim monitor --script "$tmp/not-json.json"

# SIGTERM and SIGINT end the monitor with 0
for sig in TERM INT; do
	n=$((n + 1))
	# a file of its own: a stale "sim2" must not make us signal too early
	out=$tmp/sig-$sig.out
	: > "$out"
	"$IOASIDCTL" --backend sim monitor > "$out" 2>&1 &
	pid=$!
	i=0
	# wait until it has printed its devices (it is waiting then)
	while [ $i -lt 100 ] && ! grep -q sim2 "$out"; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -"$sig" "$pid"
	rc=0
	wait "$pid" || rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL: monitor on SIG$sig exited $rc, want 0:"; cat "$out"
		fail=$((fail + 1))
	else
		echo "ok: monitor ends with 0 on SIG$sig"
	fi
done

# --connect: a running VMM (tests/cli/inspect-vmm.c) inspected over its socket
check "--connect with --backend" 2 --err "do not apply" -- --connect "$tmp/x.sock" --backend sim list
check "--connect with an unknown command" 2 --err "unknown command 'info'" -- --connect "$tmp/x.sock" info sim0
check "--connect mappings without IOAS" 2 --err "which IOAS" -- --connect "$tmp/x.sock" mappings
check "--connect with no endpoint" 3 --err "x.sock" -- --connect "$tmp/x.sock" list
check "--connect watch with --count 0" 2 --err "--count '0'" -- --connect "$tmp/x.sock" watch --count 0
vmm=$top_builddir/tests/cli/inspect-vmm
sock=$tmp/vmm.sock
mkfifo "$tmp/vmm.in"
"$vmm" "$sock" < "$tmp/vmm.in" > "$tmp/vmm.out" 2>&1 &
vmm_pid=$!
exec 3> "$tmp/vmm.in"
i=0
while [ $i -lt 100 ] && ! grep -q ready "$tmp/vmm.out"; do
	sleep 0.1
	i=$((i + 1))
done
check "--connect list" 0 --out "^ *1  *ioas  *nr_areas=300[01] " -- --connect "$sock" list
check "--connect list --json" 0 --out '"schema":"ioasid/1"' -- --json --connect "$sock" list
check "--connect dump ID" 0 --out '"name": "sim0"' -- --connect "$sock" dump 2
check "--connect dump an unknown ID" 1 --err '"id" 99 names no object' -- --connect "$sock" dump 99
check "--connect dump a bad ID" 2 --err "not an id" -- --connect "$sock" dump x
check "--connect mappings: every page" 0 --out "^ *0x186e000  *0x1000 " -- --connect "$sock" mappings 1
n=$((n + 1))
lines=$("$IOASIDCTL" --connect "$sock" mappings 1 | grep -c '^ *0x[0-9a-f]*  *0x1000  *0x[0-9a-f]*  *rw*$')
if [ "$lines" -ge 3000 ]; then
	echo "ok: --connect mappings pages through all 3000 areas"
else
	echo "FAIL: --connect mappings printed $lines areas, want 3000 or 3001"
	fail=$((fail + 1))
fi
check "--connect mappings of a device" 1 --err "names no IOAS" -- --connect "$sock" mappings 2
check "--connect watch" 0 --out "^unmap  *ioas 1 iova 0x40000000 length 0x1000$" -- --connect "$sock" watch --count 4
check "--connect watch --json --events" 0 --out '"event":"map".*"perm":"r"' -- --json --connect "$sock" watch --events map --count 2
check "--connect watch --timeout" 0 -- --connect "$sock" watch --events attach --timeout 0.2
check "--connect watch with an unknown event" 1 --err '"boom"' -- --connect "$sock" watch --events map,boom
exec 3>&-
wait "$vmm_pid" || { echo "FAIL: inspect-vmm exited $?:"; cat "$tmp/vmm.out"; fail=$((fail + 1)); }
n=$((n + 1))
if [ -e "$sock" ]; then
	echo "FAIL: the socket is still there after the endpoint stopped"
	fail=$((fail + 1))
else
	echo "ok: the endpoint removed its socket"
fi

echo "$n checks, $fail failed"
[ $fail -eq 0 ]
