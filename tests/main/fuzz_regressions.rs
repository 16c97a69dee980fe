//! Minimized fuzz inputs as regression tests.
//!
//! Every file under `tests/data/fuzz/<target>/` goes through the same checks
//! as the fuzz target `<target>` (`fuzz/src/lib.rs`, included below), so an
//! input that once made a target fail keeps failing here until the bug is
//! fixed. The committed seed corpus (`fuzz/corpus/<target>/`) runs too.
//! Each input runs on a thread with the stack libFuzzer's main thread has
//! (8 MiB), so a result here is the result the fuzzer saw.

use std::path::{Path, PathBuf};

#[path = "../../fuzz/src/lib.rs"]
mod checks;

/// Runs every input under `dir/<target>/` (relative to the package root);
/// returns how many ran and the ones that failed.
fn run_inputs(dir: &str) -> (usize, Vec<String>) {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut failed = Vec::new();
    // A directory named after no target would be skipped silently.
    for entry in std::fs::read_dir(&base).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && !checks::TARGETS.contains(&name.as_str()) {
            failed.push(format!("{dir}/{name}: no fuzz target of that name"));
        }
    }
    let mut ran = 0;
    for target in checks::TARGETS {
        let mut files: Vec<PathBuf> = std::fs::read_dir(base.join(target))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for path in files {
            let data = std::fs::read(&path).unwrap();
            let file = path.file_name().unwrap_or_default().to_string_lossy();
            let shown = format!("{dir}/{target}/{file}");
            let name = target.to_string();
            let outcome = std::thread::Builder::new()
                .name(shown.clone())
                .stack_size(8 << 20)
                .spawn(move || checks::run(&name, &data))
                .unwrap()
                .join();
            ran += 1;
            if !matches!(outcome, Ok(true)) {
                failed.push(shown);
            }
        }
    }
    (ran, failed)
}

#[test]
fn minimized_fuzz_inputs_pass_their_checks() {
    let (_, failed) = run_inputs("tests/data/fuzz");
    assert!(
        failed.is_empty(),
        "fuzz inputs that still fail (see tests/data/fuzz/README.md):\n{}",
        failed.join("\n")
    );
}

#[test]
fn fuzz_seed_corpus_passes_its_checks() {
    let (ran, failed) = run_inputs("fuzz/corpus");
    assert!(ran > 0, "no seed inputs found under fuzz/corpus");
    assert!(
        failed.is_empty(),
        "seed inputs that fail:\n{}",
        failed.join("\n")
    );
}
