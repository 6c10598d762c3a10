#!/bin/sh
# Every public header compiles on its own, as C11 and as C++11, with
# -pedantic and every warning an error; and the documented initializers of
# the size-prefixed structs (IOASID_OPTS_INIT, IOASID_INV_REQ_INIT) work in
# both languages without a warning.
set -eu
top_srcdir=${top_srcdir:-${srcdir:-.}}
CC=${CC:-cc}
CXX=${CXX:-c++}
CFLAGS_STRICT="-std=c11 -pedantic -Wall -Wextra -Werror"
CXXFLAGS_STRICT="-std=c++11 -pedantic -Wall -Wextra -Werror"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0
n=0
for h in "$top_srcdir"/include/ioasid/*.h; do
	name=ioasid/$(basename "$h")
	if ! printf '#include <%s>\nint main(void) { return 0; }\n' "$name" |
		$CC -x c $CFLAGS_STRICT -fsyntax-only -I"$top_srcdir/include" - 2>"$tmp/err"; then
		echo "check-headers: $name does not compile alone as C:"; cat "$tmp/err"; rc=1
	fi
	if ! printf '#include <%s>\nint main() { return 0; }\n' "$name" |
		$CXX -x c++ $CXXFLAGS_STRICT -fsyntax-only -I"$top_srcdir/include" - 2>"$tmp/err"; then
		echo "check-headers: $name does not compile alone as C++:"; cat "$tmp/err"; rc=1
	fi
	n=$((n + 1))
done

# Every struct whose first member is `size_t sz;` gets its initializer tried.
structs=$(awk '/^struct ioasid_[a-z0-9_]+ \{/ { s = $2; getline; if ($0 ~ /^\tsize_t sz;/) print s }' \
	"$top_srcdir"/include/ioasid/*.h | sort -u)
{
	echo '#include <ioasid/ioasid.h>'
	echo 'int main(void)'
	echo '{'
	i=0
	for s in $structs; do
		echo "	struct $s o$i = IOASID_OPTS_INIT($s);"
		echo "	if (o$i.sz != sizeof(struct $s)) return 1;"
		i=$((i + 1))
	done
	echo '	struct ioasid_inv_req r = IOASID_INV_REQ_INIT;'
	echo '	return r.size == sizeof(r) && r.version == IOASID_INV_REQ_VERSION ? 0 : 1;'
	echo '}'
} > "$tmp/init.c"
[ -n "$structs" ] || { echo "check-headers: found no size-prefixed struct"; rc=1; }
for lang in c c++; do
	if [ $lang = c ]; then cc=$CC; fl=$CFLAGS_STRICT; else cc=$CXX; fl=$CXXFLAGS_STRICT; fi
	if ! $cc -x $lang $fl -I"$top_srcdir/include" "$tmp/init.c" -o "$tmp/init" 2>"$tmp/err"; then
		echo "check-headers: the initializers do not compile as $lang:"; cat "$tmp/err"; rc=1
	elif ! "$tmp/init"; then
		echo "check-headers: an initializer set the wrong size or version ($lang)"; rc=1
	fi
done
[ $rc -eq 0 ] && echo "check-headers: $n headers compile alone as C11 and C++11 (-pedantic);" \
	"initializers of $(echo $structs | wc -w) option structs and the invalidation request work in both"
exit $rc
