#!/bin/sh
# make check smoke-runs every benchmark at a tiny size and checks that the
# last line of its --json output is one JSON object with the figures the
# benchmark promises. Not a timing test: no figure is compared to a target.
set -eu
top_builddir=${top_builddir:-.}
PYTHON=${PYTHON:-python3}
rc=0
check() { # name args keys...
	name=$1; args=$2; shift 2
	prog="$top_builddir/tests/bench/$name"
	# shellcheck disable=SC2086
	if ! out=$("$prog" $args --json 2>&1); then
		echo "bench-smoke: $name $args failed:"; echo "$out"; rc=1; return
	fi
	if ! printf '%s\n' "$out" | tail -n 1 | $PYTHON -c '
import json, sys
obj = json.loads(sys.stdin.read())
missing = [k for k in sys.argv[1:] if k not in obj]
bad = [k for k, v in obj.items() if not isinstance(v, (int, float, str))]
if missing or bad:
    sys.exit("missing keys %s, non-scalar %s" % (missing, bad))
' "$@"; then
		echo "bench-smoke: $name: bad --json line:"; printf '%s\n' "$out" | tail -n 1; rc=1; return
	fi
	echo "bench-smoke: $name: ok"
}
check ioas "--size 2000 --auto 200" map_ns unmap_ns lookup_ns automap_ns bytes_per_mapping \
	fill_ns churn_ns chase_ns unmap_chase_hops_ratio fill_vs_tsearch_ratio baseline_fill_ns baseline_churn_ns \
	baseline_map_ns baseline_unmap_ns baseline_lookup_ns baseline_automap_ns \
	lookup_vs_tsearch_unmap_ratio lookup_vs_tsearch_fill_ratio
[ -x "$top_builddir/tests/bench/pasid" ] &&
	check pasid "--size 1000 --iters 1000" alloc_free_ns raw_alloc_free_ns baseline_alloc_free_ns
check fault "--iters 200 --reps 1" roundtrip_ns pingpong_ns roundtrip_ratio faults_per_s \
	roundtrip_same_core_ns pingpong_same_core_ns roundtrip_same_core_ratio roundtrip_cross_core_ns \
	pingpong_cross_core_ns roundtrip_cross_core_ratio polled_same_core_ns spin_pingpong_same_core_ns \
	polled_same_core_ratio blocking_same_core_ns epoll_pingpong_same_core_ns blocking_same_core_ratio \
	batch64_same_core_faults_per_s polled_cross_core_ns spin_pingpong_cross_core_ns polled_cross_core_ratio \
	blocking_cross_core_ns epoll_pingpong_cross_core_ns blocking_cross_core_ratio batch64_cross_core_faults_per_s
check inspect "--size 500 --rounds 1" map_ns unmap_ns map_stuck_ns unmap_stuck_ns \
	map_overhead_pct unmap_overhead_pct events_dropped
check trace "--iters 2000" map_off_ns map_on_ns on_off_ratio hook_loop_ns empty_loop_ns branch_ns \
	branch_share_pct
check translate "--quick" hit_per_s baseline_hashmap_hit_per_s walk_ns chase_ns walk_ratio \
	walk_arm_s1_ns chase_arm_s1_ns walk_ratio_arm_s1 walk_arm_s2_ns walk_ratio_arm_s2 \
	walk_amd_v1_ns walk_ratio_amd_v1 \
	nested_walk_ns inval_page_ns inval_pasid_ns inval_all_ns dma_4k_ns memcpy_4k_ns dma_ratio_4k \
	dma_2m_ns memcpy_2m_ns dma_ratio_2m nested_walk_smmuv3_ns nested_ratio_smmuv3_vs_vtd \
	nested_walk_amd_ns nested_ratio_amd_vs_vtd dma_ratio_4k_smmuv3 dma_ratio_4k_smmuv3_vs_vtd \
	dma_ratio_2m_smmuv3 dma_ratio_4k_amd dma_ratio_4k_amd_vs_vtd dma_ratio_2m_amd
check virtio_iommu "--quick" request_per_s request_ns api_ns request_overhead_ratio
check bigmap "--quick" touch_ns_per_gib touch_measured_mib m64_map_ns m64_unmap_ns m64_map_ns_per_gib \
	m64_touch_ns m64_touch_scaled m64_map_vs_touch_ratio
exit $rc
