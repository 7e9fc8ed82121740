//! The reference platform's generated pipelines, checked by actionlint and
//! zizmor (both installed by scripts/test.sh; missing is a failure under
//! CI=true).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::path::{Path, PathBuf};
use std::process::Command;

use landfall_testkit::services::require;

fn reference_files() -> Vec<landfall_pipelines::RepositoryFile> {
    let resolved = landfall_model::reference();
    let model = resolved
        .model
        .as_ref()
        .expect("the reference platform is valid");
    landfall_pipelines::generate(model)
}

fn write_all(name: &str) -> (PathBuf, Vec<PathBuf>) {
    let dir =
        std::env::temp_dir().join(format!("landfall-pipelines-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut workflows = Vec::new();
    for file in reference_files() {
        let path = dir.join(&file.repository).join(&file.path);
        assert!(!path.exists(), "{} is written twice", path.display());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &file.contents).unwrap();
        if file.path.starts_with(".github/workflows/") {
            workflows.push(path);
        }
    }
    (dir, workflows)
}

fn run(program: &Path, args: &[&str], files: &[PathBuf], cwd: &Path) -> (bool, String) {
    let output = Command::new(program)
        .args(args)
        .args(files)
        .current_dir(cwd)
        .output()
        .expect("the linter runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn every_generated_workflow_passes_actionlint() {
    let Some(actionlint) = require("actionlint") else {
        return;
    };
    let (dir, workflows) = write_all("actionlint");
    assert!(workflows.len() >= 100, "{} workflows", workflows.len());
    let (ok, text) = run(&actionlint, &["-no-color"], &workflows, &dir);
    assert!(ok, "actionlint found problems:\n{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_generated_workflow_passes_zizmor() {
    let Some(zizmor) = require("zizmor") else {
        return;
    };
    let (dir, workflows) = write_all("zizmor");
    // The repository's own Action is audited with them.
    let mut inputs = workflows;
    inputs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../action.yml"));
    // Offline: the audits that need GitHub's API (impostor commits, known
    // vulnerable actions) cannot run here; every other audit does, with the
    // pedantic persona (every finding, at every severity and confidence).
    let (ok, text) = run(
        &zizmor,
        &["--offline", "--no-progress", "--persona", "pedantic"],
        &inputs,
        &dir,
    );
    assert!(ok, "zizmor found problems:\n{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
