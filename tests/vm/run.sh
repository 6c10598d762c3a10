#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check-vm: libioasid's kernel backends against a real kernel in a VM.
#
#   tests/vm/run.sh [--list] [--keep] [TEST...]
#
# 1. builds (once; cached in /var/cache/ioasid-vmtest) the test kernel with
#    the project's copy of the rig (tests/vm/build-kernel: iommufd, VFIO
#    cdev + type-1, IOMMUFD_TEST, networking for uevents);
# 2. compiles the test programs below against the built library (static
#    libioasid-core, so they are plain ELF files) and the kernel's own uapi
#    headers ($KDIR/headers/include);
# 3. boots the kernel once under QEMU (intel-iommu, edu bound to vfio-pci)
#    and runs every test in that boot (tests/vm/run-in-vm), then the
#    scenario differential (sim:qemu-vtd on the host, iommufd in the VM)
#    when ioasidctl is built, and the trace replay (each scenario recorded
#    with IOASID_TRACE on iommufd in the VM, replayed on the host's sim with
#    the profile the trace wrote; docs/tracing.md);
# 4. (test "iommus") boots it again under each other IOMMU QEMU emulates
#    for x86 guests (VMTEST_EXTRA_IOMMUS, default "amd virtio"): the
#    capability chain of edu against the sim profile that models that
#    IOMMU (qemu-amd, qemu-virtio), real DMA through it, and the scenario
#    differential against that profile.
# 5. (test "arm64") boots an arm64 guest under QEMU's SMMUv3 (virt machine,
#    TCG): the arm64 kernel (build-kernel with VMTEST_ARCH=arm64), the
#    library and the programs cross-built static (tests/vm/cross-core),
#    test-caps against sim:qemu-smmuv3 with DMA through edu, and the
#    scenario differential against that profile.
#
# TEST names: uapi iommufd caps filemap mock viommu conformance vfio liveupdate scenarios trace
# monitor bench iommus arm64
# (default: all).
# Environment: top_srcdir, top_builddir (default: the tree around this
# script), CC (gcc), VMTEST_* (see README of the rig), VM_TIMEOUT (900),
# VMTEST_EXTRA_IOMMUS (amd virtio).
# Exit: 0 all passed, 1 a test failed, 77 the VM cannot run here (no QEMU
# and no apt), 2 usage.
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$HERE/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
CC=${CC:-gcc}
ALL="uapi iommufd caps filemap mock viommu conformance vfio liveupdate scenarios trace monitor bench iommus arm64"
KEEP=0
TESTS=()

for a in "$@"; do
	case $a in
	--list) echo "$ALL"; exit 0 ;;
	--keep) KEEP=1 ;;
	-h | --help) sed -n '3,37p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run.sh: unknown option $a" >&2; exit 2 ;;
	*) case " $ALL " in *" $a "*) TESTS+=("$a") ;; *) echo "run.sh: unknown test $a ($ALL)" >&2; exit 2 ;; esac ;;
	esac
done
[ ${#TESTS[@]} -gt 0 ] || read -r -a TESTS <<<"$ALL"

log() { echo "check-vm: $*" >&2; }
T0=$(date +%s)

# ---- 1. the kernel ------------------------------------------------------------
if ! command -v qemu-system-x86_64 >/dev/null 2>&1 && [ "${VMTEST_NO_APT:-0}" = 1 ]; then
	log "no qemu-system-x86_64 and VMTEST_NO_APT=1: skipping"
	exit 77
fi
KDIR=$("$HERE/build-kernel" --quiet | tail -n1)
[ -f "$KDIR/bzImage" ] || { log "no kernel from build-kernel"; exit 1; }
log "kernel $(cat "$KDIR/version") in $KDIR (built in $(cat "$KDIR/build-seconds") s)"
KSRC=$(cat "$KDIR/source")
T1=$(date +%s)

# ---- 2. the programs ------------------------------------------------------------
LIBCORE=$top_builddir/lib/.libs/libioasid-core.a
[ -f "$LIBCORE" ] || { log "$LIBCORE missing: run make first"; exit 1; }
OUT=$top_builddir/tests/vm-out
mkdir -p "$OUT"
DEPLIBS="$(pkg-config --libs jansson libnl-3.0) -pthread"
CFLAGS_VM="-std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
	-Wno-unused-parameter -pthread -include $top_builddir/config.h
	-I$top_srcdir/include -I$top_srcdir/lib -I$top_srcdir/tests/vm $(pkg-config --cflags jansson libnl-3.0)"
KINC="-isystem $KDIR/headers/include"

build() { # name sources... ; extra flags in $EXTRA
	local name=$1
	shift
	# shellcheck disable=SC2086
	$CC $CFLAGS_VM $KINC ${EXTRA:-} -o "$OUT/$name" "$@" "$LIBCORE" $DEPLIBS
}
want() { case " ${TESTS[*]} " in *" $1 "*) return 0 ;; esac; return 1; }

want uapi && build uapi-layout "$HERE/uapi-layout.c"
if want caps || want iommus; then
	build test-caps "$HERE/test-caps.c"
fi
want iommufd && build test-iommufd "$HERE/test-iommufd.c"
want vfio && build test-vfio "$HERE/test-vfio.c"
if want filemap; then
	if [ -f "$KSRC/drivers/iommu/iommufd/iommufd_test.h" ]; then
		EXTRA="-I$KSRC/drivers/iommu/iommufd" build test-filemap "$HERE/test-filemap.c"
	else
		log "no iommufd_test.h in $KSRC: the filemap test is skipped"
		TESTS=("${TESTS[@]/filemap/}")
	fi
fi
if want liveupdate; then
	build test-liveupdate "$HERE/test-liveupdate.c"
	build live-update "$top_srcdir/examples/live-update.c"
fi
want monitor && build test-monitor "$HERE/test-monitor.c"
if want mock; then
	if [ -f "$KSRC/drivers/iommu/iommufd/iommufd_test.h" ]; then
		EXTRA="-I$KSRC/drivers/iommu/iommufd" build test-mock "$HERE/test-mock.c"
	else
		log "no iommufd_test.h in $KSRC: the mock test is skipped"
		TESTS=("${TESTS[@]/mock/}")
	fi
fi
if want viommu; then
	if [ -f "$KSRC/drivers/iommu/iommufd/iommufd_test.h" ]; then
		EXTRA="-I$KSRC/drivers/iommu/iommufd" build test-viommu "$HERE/test-viommu.c"
	else
		log "no iommufd_test.h in $KSRC: the vIOMMU test is skipped"
		TESTS=("${TESTS[@]/viommu/}")
	fi
fi
# The conformance suite (tests/conformance, docs/conformance.md) with the
# oracle that asks the kernel's mock IOMMU instead of the sim's.
if want conformance; then
	if [ -f "$KSRC/drivers/iommu/iommufd/iommufd_test.h" ]; then
		# shellcheck disable=SC2046
		EXTRA="-I$KSRC/drivers/iommu/iommufd -I$top_srcdir/tests/conformance" \
			build conformance $(ls "$top_srcdir"/tests/conformance/*.c | grep -v oracle-sim.c)
		# the table covers every case of this kernel's selftest (a plain ELF: runs here too)
		"$OUT/conformance" --list >"$OUT/conformance.tsv"
		python3 "$top_srcdir/tests/conformance/coverage.py" \
			"$KSRC/tools/testing/selftests/iommu" "$OUT/conformance.tsv" >&2 || exit 1
	else
		log "no iommufd_test.h in $KSRC: the conformance suite is skipped"
		TESTS=("${TESTS[@]/conformance/}")
	fi
fi
want bench && EXTRA="-O2" build bench-iommufd "$top_srcdir/tests/bench/iommufd-map.c"

# The scenario differential: ioasidctl built from cli/ against the same
# static library (so it is a plain ELF in the VM), and every scenario of
# tests/scenarios that uses only backend-neutral operations, with its
# device name "sim0" standing for ${IOASID_DEV} (sim0 on the host, edu's
# cdev in the VM). tests/vm/scenarios/*.json are written that way already.
CLI=""
SCEN=()
if { want scenarios || want trace || want iommus || want arm64; } && [ -f "$top_srcdir/cli/ioasidctl.c" ]; then
	CLI=$OUT/ioasidctl
	# shellcheck disable=SC2046
	build ioasidctl $(ls "$top_srcdir"/cli/*.c "$top_srcdir"/cli/scenario/*.c) -lm
	# the same program over the stateful fake kernel (tests/fake-kernel/fk-cli.c),
	# run here on the host: the fake must answer every scenario as the kernel did
	# shellcheck disable=SC2046
	EXTRA="-I$top_srcdir/tests/fake-kernel $(pkg-config --cflags check)" build ioasidctl-fake \
		$(ls "$top_srcdir"/cli/*.c "$top_srcdir"/cli/scenario/*.c "$top_srcdir"/tests/fake-kernel/*.c) \
		-lm
	mkdir -p "$OUT/scen"
	for f in "$top_srcdir"/tests/scenarios/*.json "$HERE"/scenarios/*.json; do
		[ -f "$f" ] || continue
		# sim-only operations cannot agree with a kernel backend
		if grep -Eq '"op": *"(sim_[a-z_]*|dev_add|dev_remove|dma[a-z_]*|stale[a-z_]*|cache_stats)"' "$f"; then
			continue
		fi
		b=$(basename "$f" .json)
		sed 's/"sim0"/"${IOASID_DEV}"/g' "$f" >"$OUT/scen/$b.json"
		SCEN+=("$OUT/scen/$b.json")
	done
fi

# The vIOMMU scenarios (tests/vm/scenarios-mock/) need the kernel's mock IOMMU
# and its selftest vIOMMU type: in the VM on the mock devices (${IOASID_DEV}
# "iommufd-selftest", ${IOASID_DEV2} "iommufd-selftest:pasid"), compared with
# the fake kernel, whose vIOMMU objects answer as that test driver (the sim
# has none until issue #13, so no sim side).
MOCKSCEN=()
if [ -n "$CLI" ] && [ -f "$KSRC/drivers/iommu/iommufd/iommufd_test.h" ]; then
	for f in "$HERE"/scenarios-mock/*.json; do
		[ -f "$f" ] || continue
		cp "$f" "$OUT/scen/mock-$(basename "$f")"
		MOCKSCEN+=("$OUT/scen/mock-$(basename "$f")")
	done
fi

# ---- 3. the guest script -----------------------------------------------------------
# While the guest prints marked lines (scenario answers, traces) the kernel
# keeps its messages off the console: the serial console writes a line in
# pieces and a message can land inside one ("@@SCEN virtio hw[ 1.918] vfio-pci
# ... override\npt-errors @@ ..."), which cost a CI run. dmesg still has them.
QUIET='pl=$(cut -f1 /proc/sys/kernel/printk); echo 1 >/proc/sys/kernel/printk'
LOUD='echo "$pl" >/proc/sys/kernel/printk'
GUEST=$OUT/guest.sh
{
	echo '#!/bin/sh'
	echo "OUT=$OUT"
	echo "export CLI=$CLI"
	echo 'fail=0'
	echo 'run() { name=$1; shift; echo "=== $name"; t0=$(cut -d" " -f1 /proc/uptime); "$@"; rc=$?; t1=$(cut -d" " -f1 /proc/uptime); echo "=== $name: exit $rc (${t0}s -> ${t1}s uptime)"; [ $rc = 0 ] || fail=1; }'
	want uapi && echo 'run uapi $OUT/uapi-layout'
	want iommufd && echo 'run iommufd $OUT/test-iommufd'
	want caps && echo 'export VMTEST_SIM_PROFILE=qemu-vtd; run caps $OUT/test-caps'
	want filemap && echo 'run filemap $OUT/test-filemap'
	want mock && echo 'run mock $OUT/test-mock'
	want viommu && echo 'run viommu $OUT/test-viommu'
	want conformance && echo 'run conformance $OUT/conformance --backend iommufd'
	want vfio && echo 'run vfio $OUT/test-vfio'
	want liveupdate && echo 'run liveupdate $OUT/test-liveupdate'
	want liveupdate && echo 'run liveupdate-example $OUT/live-update iommufd $VMTEST_VFIO_CDEV'
	if [ ${#SCEN[@]} -gt 0 ] && want scenarios; then
		echo 'echo "=== scenarios on iommufd (device $VMTEST_VFIO_CDEV)"'
		echo "$QUIET"
		for f in "${SCEN[@]}"; do
			b=$(basename "$f" .json)
			echo "IOASID_DEV=\$VMTEST_VFIO_CDEV \$CLI --backend iommufd run $f 2>/dev/null | sed 's/^/@@SCEN intel $b @@ /'"
		done
		echo "$LOUD"
	fi
	# the same scenarios traced on iommufd; the traces and their profiles go
	# back through the console, to be replayed on the host's sim
	if [ ${#SCEN[@]} -gt 0 ] && want trace; then
		echo 'echo "=== traces on iommufd (device $VMTEST_VFIO_CDEV)"'
		echo "$QUIET"
		for f in "${SCEN[@]}"; do
			b=$(basename "$f" .json)
			echo "IOASID_TRACE=/tmp/tr-$b.json IOASID_DEV=\$VMTEST_VFIO_CDEV \$CLI --backend iommufd run $f >/dev/null 2>&1"
			# (each file ends with a newline: no line runs into the next marker)
			echo "sed 's/^/@@TRACE $b @@ /' /tmp/tr-$b.json; sed 's/^/@@TPROF $b @@ /' /tmp/tr-$b.json.profile.json"
		done
		echo "$LOUD"
	fi
	if [ ${#MOCKSCEN[@]} -gt 0 ]; then
		echo 'echo "=== scenarios on iommufd (the mock devices)"'
		echo "$QUIET"
		for f in "${MOCKSCEN[@]}"; do
			b=$(basename "$f" .json)
			echo "IOASID_DEV=iommufd-selftest IOASID_DEV2=iommufd-selftest:pasid \$CLI --backend iommufd run $f 2>/dev/null | sed 's/^/@@SCEN $b @@ /'"
		done
		echo "$LOUD"
	fi
	if want bench; then
		echo 'run bench $OUT/bench-iommufd --json'
		echo 'run bench-attached $OUT/bench-iommufd --attach $VMTEST_VFIO_CDEV --json'
		echo 'run bench-attached-64k $OUT/bench-iommufd --attach $VMTEST_VFIO_CDEV --pages 16 --iters 500 --json'
	fi
	# monitor unbinds and rebinds edu: last
	want monitor && echo 'run monitor $OUT/test-monitor'
	echo 'exit $fail'
} >"$GUEST"
chmod +x "$GUEST"

VMLOG=$OUT/vm.log
FILES=(--file="$OUT")
log "booting the VM: ${TESTS[*]} (${#SCEN[@]} scenarios)"
set +e
# One guest at a time on this host: two TCG guests on two cores starve each
# other's timers (a guest once panicked at boot so). Builds run in parallel.
exec 9>"${VM_LOCK:-/tmp/ioasid-vm-boot.lock}"
flock 9
VMTEST_KERNEL_DIR=$KDIR "$HERE/run-in-vm" --timeout="${VM_TIMEOUT:-900}" --hugepages=16 \
	"${FILES[@]}" -- "$GUEST" 2>&1 | tee "$VMLOG" | grep -Ev '^@@(SCEN|TRACE|TPROF) '
RC=${PIPESTATUS[0]}
exec 9>&-
set -e
T2=$(date +%s)

# ---- 4. the scenario differential ------------------------------------------------
# guest_lines MARK: the lines the guest printed after "MARK " in $VMLOG, without
# the marker, a CR, or a kernel message the serial console put between a line
# and its newline ("...}[    2.857351] vfio-pci ...": it cost a CI run a step).
guest_lines() {
	grep "^$1 " "$VMLOG" | sed -e "s/^$1 //" -e 's/\[ *[0-9][0-9]*\.[0-9]*\] .*$//' |
		tr -d '\r'
}

# scen_diff TAG PROFILE FAKE: the answers the guest printed under "@@SCEN TAG "
# against sim:PROFILE on the host (and against the fake kernel when FAKE=1).
scen_diff() {
	local tag=$1 profile=$2 fake=$3 f b diffs=0 fakediffs=0
	for f in "${SCEN[@]}"; do
		b=$(basename "$f" .json)
		guest_lines "@@SCEN $tag $b @@" >"$OUT/scen/$b.$tag.iommufd.jsonl" || true
		IOASID_DEV=sim0 "$CLI" --backend "sim:$profile" run "$f" >"$OUT/scen/$b.$tag.sim.jsonl" \
			2>/dev/null || true
		python3 "$HERE/scen-compare.py" "$b ($tag)" "$OUT/scen/$b.$tag.sim.jsonl" \
			"$OUT/scen/$b.$tag.iommufd.jsonl" "sim:$profile" || diffs=$((diffs + 1))
		[ "$fake" = 1 ] || continue
		IOASID_DEV=/dev/null "$OUT/ioasidctl-fake" --backend iommufd:/dev/null run "$f" \
			>"$OUT/scen/$b.fake.jsonl" 2>/dev/null || true
		python3 "$HERE/scen-compare.py" "$b (fake kernel)" "$OUT/scen/$b.fake.jsonl" \
			"$OUT/scen/$b.$tag.iommufd.jsonl" "fake kernel" || fakediffs=$((fakediffs + 1))
	done
	if [ "$diffs" = 0 ]; then
		log "scenarios ($tag): ${#SCEN[@]} agree step for step on sim:$profile and iommufd"
	else
		log "scenarios ($tag): $diffs of ${#SCEN[@]} differ between sim:$profile and iommufd"
		RC=1
	fi
	[ "$fake" = 1 ] || return 0
	if [ "$fakediffs" = 0 ]; then
		log "scenarios: ${#SCEN[@]} agree step for step on the fake kernel and the kernel"
	else
		log "scenarios: $fakediffs of ${#SCEN[@]} differ between the fake kernel and the kernel"
		RC=1
	fi
}
[ ${#SCEN[@]} -eq 0 ] || ! want scenarios || scen_diff intel qemu-vtd 1

if [ ${#MOCKSCEN[@]} -gt 0 ]; then
	MOCKDIFFS=0
	for f in "${MOCKSCEN[@]}"; do
		b=$(basename "$f" .json)
		guest_lines "@@SCEN $b @@" >"$OUT/scen/$b.iommufd.jsonl" || true
		IOASID_DEV=/dev/null IOASID_DEV2=/dev/zero FK_CLI_NESTING=1 "$OUT/ioasidctl-fake" \
			--backend iommufd:/dev/null run "$f" >"$OUT/scen/$b.fake.jsonl" 2>/dev/null || true
		python3 "$HERE/scen-compare.py" "$b (fake kernel vs the mock)" "$OUT/scen/$b.fake.jsonl" \
			"$OUT/scen/$b.iommufd.jsonl" || MOCKDIFFS=$((MOCKDIFFS + 1))
	done
	if [ "$MOCKDIFFS" = 0 ]; then
		log "scenarios: ${#MOCKSCEN[@]} on the mock agree step for step with the fake kernel"
	else
		log "scenarios: $MOCKDIFFS of ${#MOCKSCEN[@]} on the mock differ from the fake kernel"
		RC=1
	fi
fi

# ---- 5. the trace replay: recorded on iommufd in the VM, replayed on the sim ----------
if [ ${#SCEN[@]} -gt 0 ] && want trace; then
	TDIFFS=0
	TSTEPS=0
	mkdir -p "$OUT/trace"
	for f in "${SCEN[@]}"; do
		b=$(basename "$f" .json)
		t=$OUT/trace/tr-$b.json
		guest_lines "@@TRACE $b @@" >"$t" || true
		guest_lines "@@TPROF $b @@" >"$t.profile.json" || true
		if ! "$CLI" run "$t" >"$t.replay.jsonl" 2>"$t.replay.err"; then
			log "trace $b: the replay on the sim differs (or failed):"
			grep -h '"expected' "$t.replay.jsonl" | head -5 >&2
			head -3 "$t.replay.err" >&2
			TDIFFS=$((TDIFFS + 1))
		else
			TSTEPS=$((TSTEPS + $(grep -c '"step"' "$t.replay.jsonl")))
		fi
	done
	if [ "$TDIFFS" = 0 ]; then
		log "trace: ${#SCEN[@]} traces recorded on iommufd replay on the sim, $TSTEPS steps all agreeing"
	else
		log "trace: $TDIFFS of ${#SCEN[@]} traces recorded on iommufd do not replay on the sim"
		RC=1
	fi
fi

# ---- 6. the other IOMMUs: one boot each --------------------------------------------
# The sim profile that models what each QEMU IOMMU shows a guest.
sim_profile() {
	case $1 in
	intel) echo qemu-vtd ;;
	amd) echo qemu-amd ;;
	virtio) echo qemu-virtio ;;
	*) return 1 ;;
	esac
}
if want iommus; then
	for io in ${VMTEST_EXTRA_IOMMUS:-amd virtio}; do
		prof=$(sim_profile "$io") || { log "no sim profile models --iommu=$io"; RC=1; continue; }
		G=$OUT/guest-$io.sh
		{
			echo '#!/bin/sh'
			echo "export CLI=$CLI VMTEST_SIM_PROFILE=$prof"
			echo 'fail=0'
			echo 'run() { name=$1; shift; echo "=== $name"; "$@"; rc=$?; echo "=== $name: exit $rc"; [ $rc = 0 ] || fail=1; }'
			echo "run caps-$io $OUT/test-caps"
			echo "$QUIET"
			for f in "${SCEN[@]}"; do
				b=$(basename "$f" .json)
				echo "IOASID_DEV=\$VMTEST_VFIO_CDEV \$CLI --backend iommufd run $f 2>/dev/null | sed 's/^/@@SCEN $io $b @@ /'"
			done
			echo "$LOUD"
			echo 'exit $fail'
		} >"$G"
		chmod +x "$G"
		log "booting the VM under --iommu=$io: caps against sim:$prof, ${#SCEN[@]} scenarios"
		set +e
		exec 9>"${VM_LOCK:-/tmp/ioasid-vm-boot.lock}"
		flock 9
		VMTEST_KERNEL_DIR=$KDIR "$HERE/run-in-vm" --iommu="$io" --timeout="${VM_TIMEOUT:-900}" \
			"${FILES[@]}" -- "$G" 2>&1 | tee "$OUT/vm-$io.log" | grep -v '^@@SCEN '
		rc=${PIPESTATUS[0]}
		exec 9>&-
		set -e
		[ "$rc" = 0 ] || { log "--iommu=$io: the guest failed (status $rc; log $OUT/vm-$io.log)"; RC=1; }
		if [ ${#SCEN[@]} -gt 0 ]; then
			VMLOG=$OUT/vm-$io.log scen_diff "$io" "$prof" 0
		fi
	done
fi
T3=$(date +%s)

# ---- 7. arm64 under QEMU's SMMUv3 -------------------------------------------------
# The guest is emulated (TCG) whatever the host offers; its programs are
# static arm64 ELF files, so the initramfs needs no arm64 libraries.
arm64_missing() {
	local m=()
	command -v qemu-system-aarch64 >/dev/null 2>&1 || m+=(qemu-system-arm)
	command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || m+=(gcc-aarch64-linux-gnu)
	for l in libjansson.a libnl-3.a; do
		[ -f "/usr/lib/aarch64-linux-gnu/$l" ] || m+=("$l(arm64)")
	done
	echo "${m[*]}"
}
KDIR_ARM=""
if want arm64; then
	miss=$(arm64_missing)
	if [ -n "$miss" ]; then
		log "arm64: missing $miss (tools/setup.sh installs them): FAIL"
		RC=1
	elif ! KDIR_ARM=$(VMTEST_ARCH=arm64 "$HERE/build-kernel" --quiet | tail -n1) ||
		[ ! -f "$KDIR_ARM/Image" ]; then
		log "arm64: no kernel from build-kernel (VMTEST_ARCH=arm64): FAIL"
		RC=1
	elif ! LIBARM=$("$HERE/cross-core" "$OUT/arm64" | tail -n1); then
		log "arm64: cross-building libioasid-core failed: FAIL"
		RC=1
	else
		log "arm64: kernel $(cat "$KDIR_ARM/version") (built in $(cat "$KDIR_ARM/build-seconds") s)"
		T4=$(date +%s)
		ARMCC=aarch64-linux-gnu-gcc
		mkdir -p "$OUT/arm64/bin"
		# shellcheck disable=SC2086
		armbuild() { # name sources...
			local name=$1
			shift
			# (glibc's warnings about getaddrinfo & co. in a static link kept out of the way)
			$ARMCC -static $CFLAGS_VM -isystem "$KDIR_ARM/headers/include" -o "$OUT/arm64/bin/$name" \
				"$@" "$LIBARM" -L/usr/lib/aarch64-linux-gnu -ljansson -lnl-3 -lm -pthread \
				2>"$OUT/arm64/$name.link.log" || { cat "$OUT/arm64/$name.link.log" >&2; return 1; }
		}
		armbuild test-caps "$HERE/test-caps.c"
		ARMCLI=""
		if [ -n "$CLI" ]; then
			ARMCLI=$OUT/arm64/bin/ioasidctl
			# shellcheck disable=SC2046
			armbuild ioasidctl $(ls "$top_srcdir"/cli/*.c "$top_srcdir"/cli/scenario/*.c)
		fi
		G=$OUT/guest-smmuv3.sh
		{
			echo '#!/bin/sh'
			echo "export CLI=$ARMCLI VMTEST_SIM_PROFILE=qemu-smmuv3"
			echo 'fail=0'
			echo 'run() { name=$1; shift; echo "=== $name"; t0=$(cut -d" " -f1 /proc/uptime); "$@"; rc=$?; t1=$(cut -d" " -f1 /proc/uptime); echo "=== $name: exit $rc (${t0}s -> ${t1}s uptime)"; [ $rc = 0 ] || fail=1; }'
			echo "run caps-smmuv3 $OUT/arm64/bin/test-caps"
			if [ -n "$ARMCLI" ]; then
				echo "$QUIET"
				for f in "${SCEN[@]}"; do
					b=$(basename "$f" .json)
					echo "IOASID_DEV=\$VMTEST_VFIO_CDEV \$CLI --backend iommufd run $f 2>/dev/null | sed 's/^/@@SCEN smmuv3 $b @@ /'"
				done
				echo "$LOUD"
			fi
			echo 'exit $fail'
		} >"$G"
		chmod +x "$G"
		T5=$(date +%s)
		log "arm64: programs cross-built in $((T5 - T4)) s; booting the arm64 VM under QEMU's SMMUv3 (TCG): caps against sim:qemu-smmuv3, ${#SCEN[@]} scenarios"
		set +e
		exec 9>"${VM_LOCK:-/tmp/ioasid-vm-boot.lock}"
		flock 9
		VMTEST_KERNEL_DIR=$KDIR_ARM "$HERE/run-in-vm" --iommu=smmuv3 --timeout="${VM_TIMEOUT:-900}" \
			--file="$OUT/arm64/bin" --file="$OUT/scen" -- "$G" 2>&1 | tee "$OUT/vm-smmuv3.log" | grep -v '^@@SCEN '
		rc=${PIPESTATUS[0]}
		exec 9>&-
		set -e
		log "arm64: the VM ran $(($(date +%s) - T5)) s"
		[ "$rc" = 0 ] || { log "arm64: the guest failed (status $rc; log $OUT/vm-smmuv3.log)"; RC=1; }
		if [ -n "$ARMCLI" ] && [ ${#SCEN[@]} -gt 0 ]; then
			VMLOG=$OUT/vm-smmuv3.log scen_diff smmuv3 qemu-smmuv3 0
		fi
	fi
fi
T6=$(date +%s)

log "timings: kernel $((T1 - T0)) s (cached: $(cat "$KDIR/build-seconds") s to build), VM run $((T2 - T1)) s, other IOMMUs $((T3 - T2)) s, arm64 $((T6 - T3)) s${KDIR_ARM:+ (its kernel: $(cat "$KDIR_ARM/build-seconds" 2>/dev/null || echo ?) s to build)}"
[ "$KEEP" = 1 ] || true
if [ "$RC" = 0 ]; then log "PASS"; else log "FAIL (status $RC; log: $VMLOG)"; fi
exit "$RC"
