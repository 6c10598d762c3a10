//! Raw bindings to libioasid, the C API of `include/ioasid/ioasid.h` as
//! bindgen generates it (`bindings/rust/regen.sh`; `make check-rust` fails
//! when they drift from the headers). Every function is `unsafe` and follows
//! the C conventions: 0 or a negative errno, messages through
//! [`ioasid_ctx_errmsg`] and [`ioasid_last_errmsg`]. The headers are the
//! reference; the `libioasid` crate is the safe interface.
//!
//! Function-like macros (`IOASID_OPTS_INIT`, the `UINT64_C` flag constants
//! of caps.h) are not generated; the safe crate defines what it needs.
#![allow(non_camel_case_types, non_upper_case_globals, non_snake_case)]
#![allow(clippy::all)]

include!("bindings.rs");
