#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Write debian/libioasid0.symbols from lib/libioasid.map: every symbol of a
# version node LIBIOASID_X.Y, tagged @LIBIOASID_X.Y, with X.Y.0 as the
# first version that has it (dpkg-gensymbols(1)). The SONAME comes from
# configure.ac's libtool version (current - age).
#   tools/update-symbols.sh          rewrite debian/libioasid0.symbols
#   tools/update-symbols.sh --print  print it instead (the check compares)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
lt=$(sed -n 's/.*LIBIOASID_LT_VERSION\], \[\([0-9]*:[0-9]*:[0-9]*\)\].*/\1/p' "$top/configure.ac")
[ -n "$lt" ] || { echo "update-symbols: no LIBIOASID_LT_VERSION in configure.ac" >&2; exit 1; }
major=$(echo "$lt" | awk -F: '{ print $1 - $3 }')
gen() {
	echo "libioasid.so.$major libioasid0 #MINVER#"
	echo "* Build-Depends-Package: libioasid-dev"
	# the map: "NODE {" opens a node, "name;" lines in it are its symbols
	sed -e 's,/\*.*\*/,,' -e 's,//.*,,' "$top/lib/libioasid.map" | awk '
		/^\/\*/ { incomment = 1 }
		incomment { if ($0 ~ /\*\//) incomment = 0; next }
		/^[A-Z][A-Z0-9_.]* *\{/ { node = $1; sub(/\{/, "", node); ver = node;
			sub(/^LIBIOASID_/, "", ver); if (ver !~ /\.[0-9]+\.[0-9]+$/) ver = ver ".0";
			print " " node "@" node " " ver; next }
		/^[ \t]*(global|local):/ { next }
		/^[ \t]*[a-z_][a-z0-9_]*;/ { s = $1; sub(/;.*/, "", s); print " " s "@" node " " ver }
	' | sort
}
if [ "${1:-}" = --print ]; then
	gen
else
	gen > "$top/debian/libioasid0.symbols"
	echo "update-symbols: debian/libioasid0.symbols: $(grep -c '^ ' "$top/debian/libioasid0.symbols") symbols"
fi
