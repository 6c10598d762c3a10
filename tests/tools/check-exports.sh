#!/bin/sh
# The shared library exports exactly the symbols of lib/libioasid.map, and
# every IOASID_EXPORT function of the public headers is among them.
set -eu
top_srcdir=${top_srcdir:-${srcdir:-.}}
top_builddir=${top_builddir:-.}
so=$(ls "$top_builddir"/lib/.libs/libioasid.so.* 2>/dev/null | head -n 1)
[ -n "$so" ] || { echo "check-exports: no lib/.libs/libioasid.so.* built"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ { sub(/@.*/, "", $3); print $3 }' |
	grep -v '^LIBIOASID_' | sort -u > "$tmp/exported"
sed -n 's/^[[:space:]]*\(ioasid_[a-z0-9_]*\);.*/\1/p' "$top_srcdir/lib/libioasid.map" |
	sort -u > "$tmp/map"
grep -hv '^[[:space:]]*#' "$top_srcdir"/include/ioasid/*.h | tr '\n' ' ' | sed 's/;/;\n/g' |
	grep 'IOASID_EXPORT' | grep -v '#define' |
	sed -n 's/.*[ *]\(ioasid_[a-z0-9_]*\)[[:space:]]*(.*/\1/p' | sort -u > "$tmp/headers"
rc=0
if ! diff -u "$tmp/map" "$tmp/exported" > "$tmp/d1"; then
	echo "check-exports: the library's exports differ from lib/libioasid.map:"
	cat "$tmp/d1"
	rc=1
fi
if ! diff -u "$tmp/headers" "$tmp/map" > "$tmp/d2"; then
	echo "check-exports: IOASID_EXPORT declarations differ from lib/libioasid.map:"
	cat "$tmp/d2"
	rc=1
fi
soname=$(objdump -p "$so" | awk '/SONAME/ { print $2 }')
case "$soname" in
libioasid.so.[0-9]*) ;;
*) echo "check-exports: unexpected SONAME '$soname'"; rc=1 ;;
esac
[ $rc -eq 0 ] && echo "check-exports: $(wc -l < "$tmp/exported") symbols, SONAME $soname: ok"
exit $rc
