//! Criterion micro benchmarks (`benches/decode.rs`, `benches/encode.rs`) and, beside them, the
//! scripts that run the whole-program benchmarks and record their figures in `RESULTS.md`.
//! The load generator and the benchmark harness are the `alarmlake-loadtest` crate; this
//! package holds no code of its own, only the benchmark targets Cargo needs a package for.
