//! cfn-lint (AWS's resource schemas) over the reference platform's whole
//! output: zero findings beyond the checks `.cfnlintrc` ignores, each with
//! its reason. Uses `$CFN_LINT`, `.venv/bin/cfn-lint` at the repository root,
//! or `cfn-lint` on the PATH; without one the test is skipped, except with
//! `CI=true`, where a missing cfn-lint fails it.

#![allow(clippy::expect_used, reason = "tests fail loudly on broken fixtures")]

mod common;

use std::path::PathBuf;
use std::process::Command;

fn cfn_lint() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CFN_LINT") {
        return Some(PathBuf::from(path));
    }
    let venv = common::repo_root().join(".venv/bin/cfn-lint");
    if venv.is_file() {
        return Some(venv);
    }
    Command::new("cfn-lint")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("cfn-lint"))
}

#[test]
fn reference_output_passes_cfn_lint() {
    let Some(lint) = cfn_lint() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "cfn-lint is not installed (CI=true): run scripts/test.sh, which installs it into .venv"
        );
        eprintln!("skipped: cfn-lint is not installed");
        return;
    };
    let synthesized = common::synthesize_files(common::reference_files(), None);
    let emitted = common::emit(&synthesized);
    let dir = std::env::temp_dir().join(format!("landfall-cfn-lint-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    landfall_synth::cloudformation::write(&emitted, &dir).expect("output written");
    let templates: Vec<PathBuf> = emitted
        .files
        .iter()
        .filter(|f| f.path.starts_with("templates/"))
        .map(|f| dir.join(&f.path))
        .collect();
    let config = common::repo_root().join(".cfnlintrc");
    let outputs = landfall_testkit::lint::batched_on_every_core(
        &lint,
        &["--config-file".as_ref(), config.as_os_str()],
        &templates,
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!outputs.is_empty());
    for output in outputs {
        assert!(
            output.status.success(),
            "cfn-lint found problems:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
