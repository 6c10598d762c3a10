#!/bin/sh
# The Rust -sys crate's bindings (bindings/rust/libioasid-sys/src/bindings.rs)
# are what bindgen makes of the public headers now: regenerated with the
# pinned options of bindings/rust/regen.sh and compared. Skipped (77) where
# Debian's bindgen or rustfmt is missing (tools/setup.sh installs them).
set -eu
top_srcdir=${top_srcdir:-${srcdir:-.}}
exec "$top_srcdir/bindings/rust/regen.sh" --check
