#!/bin/sh
# Install what building and testing libioasid needs on Debian, if missing
# (the next-to-last lines: the Rust crates, bindings/rust, offline from
# Debian's packaged crates; the API reference, the Debian packages and the
# bash completion; the last two: the VM tests' kernel build and QEMU,
# tests/vm/, and their arm64 guest under QEMU's SMMUv3: the cross compiler
# and the arm64 jansson and libnl for the cross-built static programs,
# through Debian multiarch, which this script turns on for arm64).
# Run as root. Idempotent: installs nothing when everything is there.
set -eu
PKGS="build-essential autoconf automake libtool pkg-config g++ clang clang-format
libjansson-dev libnl-3-dev check valgrind python3 python3-jsonschema
libclang-rt-14-dev xz-utils
rustc cargo bindgen rustfmt libclang1-14 librust-libc-dev
doxygen debhelper lintian bash-completion
bc bison flex libelf-dev libssl-dev cpio qemu-system-x86 busybox-static
qemu-system-arm gcc-aarch64-linux-gnu libjansson-dev:arm64 libnl-3-dev:arm64"
dpkg --print-foreign-architectures | grep -qx arm64 || {
	echo "setup: dpkg --add-architecture arm64 (tests/vm's arm64 guest)"
	dpkg --add-architecture arm64
}
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
else
	echo "setup: all build and test dependencies are installed"
fi
