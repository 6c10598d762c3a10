// Find libioasid to link against, in this order:
//  1. IOASID_LIB_DIR: a directory holding libioasid.so (make check-rust
//     passes the in-tree build's lib/.libs, also for a VPATH build);
//  2. the in-tree build next to these sources (../../../lib/.libs);
//  3. pkg-config libioasid (an installed library).
// The directory found is passed on to dependent crates as DEP_IOASID_LIB_DIR
// (empty when pkg-config found a system library), for their rpath.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn has_lib(dir: &Path) -> bool {
    dir.join("libioasid.so").exists()
}

fn from_pkg_config() -> Option<Vec<String>> {
    let out = Command::new("pkg-config").args(["--libs", "libioasid"]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    )
}

fn main() {
    println!("cargo:rerun-if-env-changed=IOASID_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let in_tree = manifest.join("../../../lib/.libs");

    let dir = match env::var_os("IOASID_LIB_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            if !has_lib(&d) {
                panic!("IOASID_LIB_DIR={}: no libioasid.so there", d.display());
            }
            Some(d)
        }
        None if has_lib(&in_tree) => Some(in_tree.canonicalize().unwrap()),
        None => None,
    };
    if let Some(dir) = dir {
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-link-lib=dylib=ioasid");
        println!("cargo:lib_dir={}", dir.display());
        println!("cargo:rerun-if-changed={}", dir.join("libioasid.so").display());
        return;
    }
    let flags = from_pkg_config().unwrap_or_else(|| {
        panic!(
            "libioasid not found: build it in this tree (make), set IOASID_LIB_DIR, \
             or install it where pkg-config finds libioasid.pc"
        )
    });
    for f in flags {
        if let Some(d) = f.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={}", d);
        } else if let Some(l) = f.strip_prefix("-l") {
            println!("cargo:rustc-link-lib=dylib={}", l);
        }
    }
    println!("cargo:lib_dir=");
}
