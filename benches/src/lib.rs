//! Load generator, benchmark harness and micro benchmarks (the decode benchmark lives in `benches/decode.rs`).
