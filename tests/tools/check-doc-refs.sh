#!/bin/sh
# Every Markdown file that a document or a comment names must be in the
# tree, and nothing may point outside it (a "shared" folder next to the
# checkout, the build machine's work area): users get the repository and
# nothing else, so such a reference is a dead end for them.
#
# Scans every git-tracked text file; outside a git checkout of this tree
# (make distcheck's unpacked tarball) every source file under top_srcdir.
# A name passes when a file with that path, or with that base name, is in
# the tree. A self-test on a planted tree runs first, so a check that can
# no longer fail does not pass silently.
set -eu
top_srcdir=${top_srcdir:-${srcdir:-.}}
me=check-doc-refs

# The files of the tree ROOT, one path relative to ROOT per line.
list_files() {
	if [ "${CHECK_DOC_REFS_NO_GIT:-}" != 1 ] && command -v git >/dev/null 2>&1 &&
		top=$(git -C "$1" rev-parse --show-toplevel 2>/dev/null) &&
		[ "$(cd "$top" && pwd -P)" = "$(cd "$1" && pwd -P)" ]; then
		git -C "$1" ls-files
		return
	fi
	# No git (or a tarball unpacked inside another checkout): the files
	# on disk, less build products, which name the build directory.
	(cd "$1" && find . \( -name .git -o -name _build -o -name _inst \
		-o -name autom4te.cache -o -name .deps -o -name .libs \) -prune \
		-o -type f -print) | sed 's|^\./||'
}

# Of the files listed on stdin (relative to ROOT), those to read: text
# files, not configure's or libtool's outputs.
text_files() {
	while IFS= read -r f; do
		case "${f##*/}" in
		Makefile | config.status | config.log | config.h | libtool | \
			stamp-h1 | *.log | *.trs | *.o | *.lo | *.la | *.a | *.so*) ;;
		*) printf '%s\0' "$f" ;;
		esac
	done | (cd "$1" && xargs -0 grep -IlZ '' /dev/null 2>/dev/null |
		# libtool's wrapper scripts hold absolute build paths
		xargs -0 awk 'FNR == 1 { seen[++n] = FILENAME }
			FNR <= 5 && /Generated [b]y libtool/ { wrapper[FILENAME] = 1 }
			END { for (i = 1; i <= n; i++)
				if (!(seen[i] in wrapper)) print seen[i] }' /dev/null || true)
}

# Print "file:line: problem" for every bad reference under ROOT; the exit
# status is 1 when there was one.
scan() {
	root=$1
	tmp=$(mktemp -d)
	list_files "$root" > "$tmp/all"
	text_files "$root" < "$tmp/all" > "$tmp/text"
	(cd "$root" && tr '\n' '\0' < "$tmp/text" |
		xargs -0 grep -nIE -e '\.md([^A-Za-z0-9_]|$)' -e '\.\./shared' \
			-e '/wor[k]/' /dev/null || true) > "$tmp/hits"
	# awk prints the problems; the names of the tree come from "all"
	awk -v list="$tmp/all" '
	BEGIN {
		while ((getline l < list) > 0) {
			path[l] = 1
			n = split(l, p, "/")
			base[p[n]] = 1
		}
		bad = 0
	}
	{
		i = index($0, ":"); f = substr($0, 1, i - 1); rest = substr($0, i + 1)
		j = index(rest, ":"); ln = substr(rest, 1, j - 1); text = substr(rest, j + 1)
		where = f ":" ln ": "
		if (text ~ /\.\.\/shared/) {
			print where "points outside the repository (../" "shared)"; bad = 1
		}
		if (text ~ /(^|[^A-Za-z0-9_.-])\/wor[k]\//) {
			print where "names an absolute path of the build machine (/" "work/)"; bad = 1
		}
		s = text
		while (match(s, /[A-Za-z0-9_.\/+-]+/)) {
			tok = substr(s, RSTART, RLENGTH)
			s = substr(s, RSTART + RLENGTH)
			sub(/\.+$/, "", tok)
			if (tok !~ /\.md$/ || tok ~ /^\/\//)
				continue	# not a Markdown name, or a URL path
			if (substr(tok, 1, length(tok) - 3) !~ /[A-Za-z0-9]/)
				continue	# a bare extension, as in a glob
			t = tok
			while (substr(t, 1, 2) == "./")
				t = substr(t, 3)
			n = split(t, p, "/")
			if ((t in path) || (p[n] in base))
				continue
			print where "names " tok ", which is not in the tree"; bad = 1
		}
	}
	END { exit bad }' "$tmp/hits" && rc=0 || rc=1
	rm -rf "$tmp"
	return $rc
}

# The self-test: a tree with one good and three bad references must give
# exactly the three, and pass once they are gone. The names are built at
# run time so that this file does not itself contain them.
self_test() {
	t=$(mktemp -d)
	md=md
	mkdir -p "$t/docs" "$t/src"
	printf '# good\n' > "$t/docs/good.$md"
	printf 'see docs/good.%s and other/good.%s.\n' "$md" "$md" > "$t/src/ok.c"
	printf 'see missing-x.%s\n' "$md" > "$t/src/bad.c"
	printf 'see %s/shared/notes\n' .. >> "$t/src/bad.c"
	printf 'see /%s/notes\n' work >> "$t/src/bad.c"
	out=$(CHECK_DOC_REFS_NO_GIT=1 scan "$t") && st=0 || st=$?
	n=$(printf '%s\n' "$out" | grep -c '^src/bad\.c:[123]: ' || true)
	if [ "$st" -ne 1 ] || [ "$n" -ne 3 ] || printf '%s\n' "$out" | grep -q ok.c; then
		echo "$me: self-test: expected 3 problems in src/bad.c only, got (status $st):"
		printf '%s\n' "$out"
		rm -rf "$t"
		return 1
	fi
	rm "$t/src/bad.c"
	if ! out=$(CHECK_DOC_REFS_NO_GIT=1 scan "$t"); then
		echo "$me: self-test: a clean tree failed:"
		printf '%s\n' "$out"
		rm -rf "$t"
		return 1
	fi
	rm -rf "$t"
}

self_test
if out=$(scan "$top_srcdir"); then
	echo "$me: every Markdown name resolves, nothing points outside the tree: ok"
else
	echo "$me: references to files the repository does not have:"
	printf '%s\n' "$out"
	exit 1
fi
