#!/bin/sh
# Print the IOASID_EXPORT functions declared in the public headers, one a
# line, sorted: what lib/libioasid.map must list (check-exports.sh checks).
set -eu
cd "$(dirname "$0")/.."
grep -hv '^[[:space:]]*#' include/ioasid/*.h | tr '\n' ' ' | sed 's/;/;\n/g' | grep 'IOASID_EXPORT' |
	grep -v '#define' | sed -n 's/.*[ *]\(ioasid_[a-z0-9_]*\)[[:space:]]*(.*/\1/p' | sort -u
