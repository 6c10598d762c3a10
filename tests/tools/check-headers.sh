#!/bin/sh
# Every public header compiles on its own, as C11 and as C++11.
set -eu
top_srcdir=${top_srcdir:-${srcdir:-.}}
CC=${CC:-cc}
CXX=${CXX:-c++}
rc=0
n=0
for h in "$top_srcdir"/include/ioasid/*.h; do
	name=ioasid/$(basename "$h")
	if ! printf '#include <%s>\nint main(void) { return 0; }\n' "$name" |
		$CC -x c -std=c11 -Wall -Wextra -Werror \
			-fsyntax-only -I"$top_srcdir/include" - 2>/tmp/check-headers.$$; then
		echo "check-headers: $name does not compile alone as C:"; cat /tmp/check-headers.$$; rc=1
	fi
	if ! printf '#include <%s>\nint main() { return 0; }\n' "$name" |
		$CXX -x c++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only -I"$top_srcdir/include" - \
			2>/tmp/check-headers.$$; then
		echo "check-headers: $name does not compile alone as C++:"; cat /tmp/check-headers.$$; rc=1
	fi
	n=$((n + 1))
done
rm -f /tmp/check-headers.$$
[ $rc -eq 0 ] && echo "check-headers: $n headers compile alone as C and C++: ok"
exit $rc
