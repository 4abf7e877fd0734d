//! Links the `alarmlake` binary as a fixed-address (non-PIE) executable on Linux.
//!
//! *Why:* as a position-independent executable the binary carries about 264,000 relative
//! relocations (6 MB), which the dynamic loader applies at every start, writing to 4 MB of
//! pointer tables (1,100 page faults). That was a fifth of a short `consume`'s fixed cost and
//! most of a `--version`'s (`benches/RESULTS.md`). Linked at a fixed address, the linker has
//! already filled those tables in. Only the executable is affected: the library crates are
//! compiled as usual, and position-independent code links into a fixed-address binary as is.
//! The price is that this binary's own code is not address-randomised (libraries, stack and
//! heap still are); it runs no untrusted code and parses its input in safe Rust.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
