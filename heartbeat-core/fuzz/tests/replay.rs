//! Replays every seed corpus (`corpus/<target>/`) through its target's
//! body, as `cargo fuzz run <target> -- -runs=0` would, on the stable
//! toolchain and without libFuzzer: what CI runs.

use std::path::Path;

use heartbeat_core_fuzz::TARGETS;

#[test]
fn every_corpus_input_runs_through_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (name, body) in TARGETS {
        let dir = root.join(name);
        let mut inputs = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            body(&std::fs::read(&path).unwrap());
            inputs += 1;
        }
        assert!(inputs > 0, "{name}: empty corpus");
        println!("{name}: {inputs} inputs replayed");
    }
}
