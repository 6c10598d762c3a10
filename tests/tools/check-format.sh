#!/bin/sh
# The C lines changed since a base commit must be formatted as .clang-format
# says. Only changed lines are judged: the code was written by hand before
# the settings existed, and reformatting it wholesale would bury history.
#
#   FORMAT_BASE=<commit>   compare against it (default HEAD~1); the working
#                          tree is what is judged, so uncommitted edits count
#
# Renames are followed, so a moved file is judged only on what changed in
# it. Without a git checkout of this tree (a release tarball) or without
# clang-format, it says so and passes: it is a developer's and CI's check,
# not a build requirement. Fix what it reports with
#   git diff -U0 "$FORMAT_BASE" -- '*.c' '*.h' | clang-format-diff -p1 -i
set -eu
me=check-format
top=$(cd "$(dirname "$0")/../.." && pwd -P)

if ! command -v git >/dev/null 2>&1 ||
	! gtop=$(git -C "$top" rev-parse --show-toplevel 2>/dev/null) ||
	[ "$(cd "$gtop" && pwd -P)" != "$top" ]; then
	echo "$me: $top is not a git checkout: skipped"
	exit 0
fi
cd "$top"

cf=$(command -v clang-format || command -v clang-format-14 || true)
cfd=$(command -v clang-format-diff || command -v clang-format-diff-14 || true)
if [ -z "$cf" ] || [ -z "$cfd" ] || ! command -v python3 >/dev/null 2>&1; then
	echo "$me: clang-format (with clang-format-diff and python3) is not installed: skipped"
	exit 0
fi

base=${FORMAT_BASE:-}
if [ -z "$base" ]; then
	if ! git rev-parse -q --verify 'HEAD~1^{commit}' >/dev/null; then
		echo "$me: no HEAD~1 to compare with (set FORMAT_BASE): skipped"
		exit 0
	fi
	base=HEAD~1
fi
if ! git rev-parse -q --verify "$base^{commit}" >/dev/null; then
	echo "$me: FORMAT_BASE '$base' is not a commit"
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git diff -U0 -M --no-color --no-ext-diff --diff-filter=d "$base" -- '*.c' '*.h' > "$tmp/changes"
n=$(grep -c '^+[^+]' "$tmp/changes" || true)
"$cfd" -p1 -style=file -binary "$cf" < "$tmp/changes" > "$tmp/wanted"
if [ -s "$tmp/wanted" ]; then
	echo "$me: changed lines since $base are not formatted as .clang-format says;"
	echo "$me: clang-format would make them:"
	cat "$tmp/wanted"
	exit 1
fi
echo "$me: $n changed C line(s) since $base ($(git rev-parse --short "$base")): formatted"
