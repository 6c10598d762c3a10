#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the Debian packages from a configured tree's release files (make
# distdir: what the tarball holds, debian/ included), check them with
# lintian (no error may remain) and, with --install-test and as root,
# install them, run the installed ioasidctl and its bash completion, and
# remove them again.
#   tools/build-deb.sh [--install-test] [OUTDIR]   (default OUTDIR: deb.d)
# DEB_BUILD_OPTIONS passes through; CI sets nocheck (make check ran already).
set -eu
install_test=0
if [ "${1:-}" = --install-test ]; then
	install_test=1
	shift
fi
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-deb.d}" && cd "${1:-deb.d}" && pwd)
[ -f "$top/Makefile" ] || { echo "build-deb: configure the tree first" >&2; exit 1; }
ver=$(sed -n 's/^PACKAGE_VERSION = //p' "$top/Makefile")
deb_ver=$(cd "$top" && dpkg-parsechangelog -S Version)
[ "$ver" = "$deb_ver" ] || {
	echo "build-deb: debian/changelog says $deb_ver, configure.ac says $ver: add a changelog entry" >&2
	exit 1
}
src=$out/libioasid-$ver
rm -rf "$out"/libioasid-* "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
make -C "$top" -s distdir distdir="$src"
cd "$src"
jobs=$(nproc 2> /dev/null || echo 2)
DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-} parallel=$jobs" dpkg-buildpackage -us -uc -b
cd "$out"
changes=$(ls libioasid_"$ver"_*.changes)
echo "build-deb: lintian $changes"
lintian --fail-on error --display-info "$changes"
ls -l ./*.deb
if [ $install_test -eq 1 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "build-deb: not root: skipping the install test"
		exit 0
	fi
	arch=$(dpkg --print-architecture)
	pkgs="libioasid0 ioasidctl libioasid-dev libioasid-doc"
	trap 'dpkg -r $pkgs > /dev/null 2>&1 || true' EXIT
	dpkg -i ./libioasid0_"$ver"_"$arch".deb ./ioasidctl_"$ver"_"$arch".deb \
		./libioasid-dev_"$ver"_"$arch".deb ./libioasid-doc_"$ver"_all.deb
	echo "build-deb: the installed ioasidctl:"
	(cd / && /usr/bin/ioasidctl --profile vtd info sim0) | head -n 12
	/usr/bin/ioasidctl --backend sim run /usr/share/libioasid/examples/quickstart.json > /dev/null
	echo "build-deb: pkg-config: $(pkg-config --modversion libioasid)," \
		"examples in $(pkg-config --variable=exampledir libioasid)"
	test -f "$(pkg-config --variable=schemadir libioasid)/ioasid-schema.json"
	man -w ioasid_ioas_map > /dev/null
	bash -c '. /usr/share/bash-completion/completions/ioasidctl &&
		COMP_WORDS=(ioasidctl l) COMP_CWORD=1 && _ioasidctl && [ "${COMPREPLY[*]}" = list ]'
	dpkg -r $pkgs
	trap - EXIT
	echo "build-deb: installed, ran, removed: ok"
fi
