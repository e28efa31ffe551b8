//! The web app in `web-dist/` is embedded into the binary (src/http/web.rs); files added to or
//! removed from it must rebuild the daemon, not only edits to files it already had.

fn main() {
    println!("cargo:rerun-if-changed=web-dist");
}
