#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ioasidctl's bash completion (cli/ioasidctl.bash-completion): sourced into
# bash, asked what it offers after a few command lines, and checked against
# what `ioasidctl --help` lists (so a new command or global option that the
# completion lacks fails here).
set -u
top_srcdir=${top_srcdir:-${srcdir:-.}}
top_builddir=${top_builddir:-.}
IOASIDCTL=${IOASIDCTL:-$top_builddir/cli/ioasidctl}
[ -x "$IOASIDCTL" ] || { echo "test-completion: $IOASIDCTL is not built"; exit 99; }
# shellcheck source=/dev/null
. "$top_srcdir/cli/ioasidctl.bash-completion" || { echo "test-completion: cannot source it"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0

# offers WANT... -- WORDS...: completing the last of WORDS offers each WANT
offers() {
	local want=() w
	while [ "$1" != -- ]; do want+=("$1"); shift; done
	shift
	COMP_WORDS=("$IOASIDCTL" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_ioasidctl
	n=$((n + 1))
	for w in "${want[@]}"; do
		if ! printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -e "$w"; then
			echo "FAIL: ioasidctl $*<TAB> does not offer '$w' (offers: ${COMPREPLY[*]})"
			fail=$((fail + 1))
			return 1
		fi
	done
	echo "ok: ioasidctl $*<TAB> offers ${want[*]}"
}

# every command and global option of --help
help=$("$IOASIDCTL" --help)
cmds=$(printf '%s\n' "$help" | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
opts=$(printf '%s\n' "$help" | sed -n '/^Global options/,/^$/s/^  \(--[a-z]*\).*/\1/p')
[ -n "$cmds" ] && [ -n "$opts" ] || { echo "FAIL: cannot read --help"; exit 1; }
# shellcheck disable=SC2086
offers $cmds -- ""
# shellcheck disable=SC2086
offers $opts -- "--"
offers list -- li
offers --backend -- --b
offers --profile -- --json --pro
offers sim auto iommufd vfio sim:smmuv3 -- --backend ""
offers smmuv3 virtio-iommu -- --profile ""
offers info -- --profile smmuv3 i
offers --dump --table -- run --
offers --count --timeout --script -- monitor --
# after --connect SOCKET, the inspection commands and their options
offers list dump mappings watch -- --connect /tmp/x.sock ""
offers --events --count --timeout -- --connect /tmp/x.sock watch --
offers fault -- --connect=/tmp/x.sock watch --events f
offers --maps -- --json --connect /tmp/x.sock dump --
# devices come from `ioasidctl list` on the backend the line chooses
offers sim0 -- --backend sim info ""
offers sim0 -- --profile=smmuv3 info s
# as bash splits the words at "=" (COMP_WORDBREAKS)
offers sim0 -- --profile = smmuv3 info s
offers sim:vtd -- --backend = ""
offers list -- --backend = sim l
# scenario files for run
mkdir "$tmp/d" && touch "$tmp/d/a.json" "$tmp/d/b.txt"
offers "$tmp/d/a.json" -- run "$tmp/d/"
if printf '%s\n' "${COMPREPLY[@]}" | grep -q 'b\.txt'; then
	echo "FAIL: run offers a file that is not .json"
	fail=$((fail + 1))
fi
echo "$n checks, $fail failed"
[ $fail -eq 0 ]
