#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install (or with -u remove) the Doxygen reference of docs/api: the HTML
# pages into HTMLDIR, and into MAN3DIR the section-3 pages of the public
# names only -- one per header (renamed ioasid-NAME.h.3, so that "dev.h"
# clashes with no other package) and per struct, and a link page per
# function, macro, enum and typedef. Doxygen also writes pages for struct
# members ("flags.3"): those are not installed.
#   tools/install-api-doc.sh [-u] APIDIR HTMLDIR MAN3DIR
set -eu
remove=0
if [ "$1" = -u ]; then
	remove=1
	shift
fi
api=$1 html=$2 man3=$3
[ -d "$api/html" ] && [ -d "$api/man/man3" ] || { echo "install-api-doc: $api is not built" >&2; exit 1; }
dest_name() {
	case $1 in
	*.h.3) echo "ioasid-$1" ;;
	ioasid_*.3 | IOASID_*.3) echo "$1" ;;
	*) ;; # struct members and the directory page
	esac
}
# What Doxygen 1.9.4's pages lack for man(1) and lintian: the NAME line's
# "\- summary" (taken from the page's first line of description), and an
# escape for text lines that start with a quote (roff reads them as requests).
fix_page() {
	awk '{ line[NR] = $0 }
	/^\.SH "Detailed Description"/ && !sum { want = 1; next }
	want && $0 !~ /^\./ && $0 != "" { sum = $0; want = 0 }
	END {
		sub(/[ \t]+$/, "", sum)
		if (sum == "") sum = "libioasid API reference"
		for (i = 1; i <= NR; i++) {
			l = line[i]
			if (line[i - 1] == ".SH NAME" && l !~ /\\-/) l = l " \\- " sum
			else if (l ~ /^\x27/) l = "\\&" l
			print l
		}
	}'
}
if [ $remove -eq 1 ]; then
	rm -rf "$html"
	for f in "$api"/man/man3/*.3; do
		d=$(dest_name "${f##*/}")
		[ -z "$d" ] || rm -f "$man3/$d"
	done
	exit 0
fi
mkdir -p "$html" "$man3"
# the HTML output is one flat directory
for f in "$api"/html/*; do
	[ -f "$f" ] && install -m 644 "$f" "$html/"
done
for f in "$api"/man/man3/*.3; do
	d=$(dest_name "${f##*/}")
	[ -n "$d" ] || continue
	# a link page names its target page: the renamed header page
	sed -e 's,^\.so man3/\([^/]*\.h\.3\)$,.so man3/ioasid-\1,' "$f" | fix_page > "$man3/$d.tmp"
	chmod 644 "$man3/$d.tmp"
	mv "$man3/$d.tmp" "$man3/$d"
done
