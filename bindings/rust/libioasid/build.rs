// Tests and examples run from the build tree: give them an rpath to the
// libioasid that libioasid-sys linked (DEP_IOASID_LIB_DIR; empty when it
// came from pkg-config, where the system's loader path finds it).
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_IOASID_LIB_DIR");
    if let Ok(dir) = std::env::var("DEP_IOASID_LIB_DIR") {
        if !dir.is_empty() {
            // Applies to this package's linked targets: its tests and
            // examples (a library is not linked).
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir);
        }
    }
}
