//! Replays every fuzz target's corpus (`fuzz/corpus/<target>/`: hand-written seeds and the
//! inputs fuzzing runs kept, crashes found included once fixed) through its check, on stable
//! Rust, so that CI proves each target still builds and every input ever found still passes.

use std::path::Path;

#[test]
fn every_target_passes_its_whole_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut replayed = Vec::new();
    for &(target, check) in alarmlake_fuzz::TARGETS {
        let folder = root.join(target);
        let mut inputs: Vec<_> = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        inputs.sort();
        assert!(
            inputs.len() >= 3,
            "{target}: a corpus of {} inputs is no corpus",
            inputs.len()
        );
        for input in &inputs {
            let data = std::fs::read(input).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(
                outcome.is_ok(),
                "{target} fails on {} (run it again with `cargo fuzz run {target} {}`)",
                input.display(),
                input.display()
            );
        }
        replayed.push(format!("{target}: {}", inputs.len()));
    }
    eprintln!("replayed {}", replayed.join(", "));
}
