#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# debian/libioasid0.symbols says what lib/libioasid.map says, and the built
# library exports exactly those versioned symbols. On a mismatch: run
# tools/update-symbols.sh (after appending to lib/libioasid.map).
set -eu
top_srcdir=${top_srcdir:-${srcdir:-.}}
top_builddir=${top_builddir:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0
sh "$top_srcdir/tools/update-symbols.sh" --print > "$tmp/want"
if ! diff -u "$top_srcdir/debian/libioasid0.symbols" "$tmp/want" > "$tmp/d1"; then
	echo "check-symbols: debian/libioasid0.symbols differs from lib/libioasid.map" \
		"(+ is what the map says; run tools/update-symbols.sh):"
	cat "$tmp/d1"
	rc=1
fi
so=$(ls "$top_builddir"/lib/.libs/libioasid.so.[0-9]* 2> /dev/null | head -n 1)
[ -n "$so" ] || { echo "check-symbols: no lib/.libs/libioasid.so.* built"; exit 1; }
soname=$(objdump -p "$so" | awk '/SONAME/ { print $2 }')
head -n 1 "$tmp/want" | grep -q "^$soname " ||
	{ echo "check-symbols: SONAME $soname, the symbols file says $(head -n 1 "$tmp/want")"; rc=1; }
# "name@@NODE" / "name@NODE" of every defined dynamic symbol, as dpkg-gensymbols sees them
objdump -T "$so" | awk '$2 ~ /g/ && $4 != "*UND*" && $(NF-1) ~ /^LIBIOASID_/ {
	print $NF "@" $(NF-1) }' | sed 's/@(\(.*\))$/@\1/' | sort -u > "$tmp/built"
grep '^ ' "$tmp/want" | awk '{ print $1 }' | sort -u > "$tmp/listed"
if ! diff -u "$tmp/listed" "$tmp/built" > "$tmp/d2"; then
	echo "check-symbols: the library's versioned exports differ from the symbols file" \
		"(+ exported, - listed):"
	cat "$tmp/d2"
	rc=1
fi
[ $rc -eq 0 ] && echo "check-symbols: $(wc -l < "$tmp/built") versioned symbols of $soname match debian/libioasid0.symbols: ok"
exit $rc
