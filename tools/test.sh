#!/bin/sh
# The README's test command: install what is missing, build from scratch
# with warnings as errors, and pass every test:
#   check-format.sh      C lines changed since HEAD~1 (or $FORMAT_BASE) as
#                        .clang-format says (needs git, so not in make check)
#   make check           unit suites, exports, headers, doc references, JSON
#                        schema, CLI, scenarios, benchmark smoke runs
#   make check-rust      the Rust crates (bindings/rust) with Debian's rustc and
#                        cargo, offline: bindings vs headers, cargo test, example
#   make check-valgrind  memcheck over the unit tests and ioasidctl, with a
#                        planted-leak self-test
#   make check-tsan      the concurrency suites under ThreadSanitizer
#   make check-asan      make check again, built with ASan + UBSan: the first
#                        report fails it (a second build of the dist tree)
#   make check-vm        iommufd and VFIO backends against a real kernel in
#                        QEMU (builds the kernel once, ~10 min, then cached)
#   make distcheck       the release tarball builds and passes on its own
#   build-deb.sh         the Debian packages build (nocheck: make check ran),
#                        pass lintian, install, run and are removed
#   make fuzz            libFuzzer targets, FUZZ_TIME seconds each
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
stage() { printf '\n==== %s (%s)\n' "$1" "$(date +%T)"; }

stage setup
if [ "$(id -u)" = 0 ]; then ./tools/setup.sh; else echo "not root: skipping apt-get"; fi
stage bootstrap
./autogen.sh
stage configure
./configure --enable-werror --enable-api-doc
stage build
make -j"$jobs"
stage "format check"
./tests/tools/check-format.sh
stage "make check"
make -j"$jobs" check || { cat test-suite.log 2>/dev/null; exit 1; }
grep -h "Checks:" tests/unit/check-all.log || true
stage "make check-rust"
make check-rust CARGO=/usr/bin/cargo RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
stage "make check-valgrind"
make check-valgrind
stage "make check-tsan"
make check-tsan
stage "make check-asan"
make -j"$jobs" check-asan
stage "make check-vm"
make check-vm
stage "make distcheck"
make -j"$jobs" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror
stage "Debian packages"
DEB_BUILD_OPTIONS=nocheck ./tools/build-deb.sh --install-test
stage "make fuzz"
make fuzz FUZZ_TIME="${FUZZ_TIME:-60}"
stage done
