//! The same spec gives byte-identical output, run after run.

#![allow(clippy::expect_used, reason = "tests fail loudly on broken fixtures")]

mod common;

#[test]
fn two_runs_of_the_reference_are_byte_identical() {
    let first = common::emit(&common::synthesize_files(common::reference_files(), None));
    let second = common::emit(&common::synthesize_files(common::reference_files(), None));
    assert_eq!(first.files.len(), second.files.len());
    for (a, b) in first.files.iter().zip(&second.files) {
        assert_eq!(a.path, b.path);
        assert!(a.contents == b.contents, "{} differs between runs", a.path);
    }
}

#[test]
fn written_output_matches_the_emitted_files_and_drops_stale_templates() {
    let emitted = common::emit(&common::synthesize_files(common::small_files(), None));
    let dir = std::env::temp_dir().join(format!("landfall-synth-write-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let stale = dir.join("templates/network/old-stack.json");
    std::fs::create_dir_all(stale.parent().expect("a parent")).expect("temp dir");
    std::fs::write(&stale, "{}").expect("stale file");
    let keep = dir.join("notes.txt");
    std::fs::write(&keep, "mine").expect("user file");
    landfall_synth::cloudformation::write(&emitted, &dir).expect("written");
    for file in &emitted.files {
        let on_disk = std::fs::read_to_string(dir.join(&file.path)).expect("written file");
        assert_eq!(on_disk, file.contents, "{}", file.path);
    }
    assert!(
        !stale.exists(),
        "a template of an earlier run was left behind"
    );
    assert!(keep.exists(), "a file outside the templates was removed");
    let _ = std::fs::remove_dir_all(&dir);
}
