//! AWS's and the community's own validators on the small fixture's
//! workload layer: cfn-lint on the CloudFormation form (the repository's
//! `.cfnlintrc`), checkov on the Terraform form (`checkov.yaml`). They come
//! from `scripts/requirements-test.txt` (`.venv`); without them the tests
//! are skipped with a note, except under `CI=true`, where they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// The same fixtures as the workload layer's tests: one copy.
#[path = "../../workloads/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn tool(name: &str) -> Option<PathBuf> {
    let venv = common::root().join(".venv/bin").join(name);
    if venv.is_file() {
        return Some(venv);
    }
    let found = Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    found.then(|| PathBuf::from(name))
}

fn require(name: &str) -> Option<PathBuf> {
    match tool(name) {
        Some(p) => Some(p),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{name} is missing: install scripts/requirements-test.txt into .venv")
        }
        None => {
            eprintln!("note: {name} not installed; skipped (run scripts/test.sh to install it)");
            None
        }
    }
}

fn synthesize(dir: &Path) {
    let p = common::small();
    let graph = p.graph(p.workloads_with_agents());
    let cfn = landfall_synth::cloudformation::emit(&graph, &p.model.limits, None).unwrap();
    landfall_synth::cloudformation::write(&cfn, dir).unwrap();
    let tf = landfall_terraform::emit(&graph, &Default::default()).unwrap();
    // Through the same staged writer as `landfall synth`.
    let staged = landfall_synth::output::Staged::new(dir).unwrap();
    for f in &tf.files {
        staged.put(f.path.clone(), &f.contents);
    }
    staged.commit(false, true).unwrap();
}

#[test]
fn cfn_lint_finds_nothing() {
    let Some(cfn_lint) = require("cfn-lint") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("landfall-cfn-lint-{}", std::process::id()));
    synthesize(&dir);
    let templates: Vec<PathBuf> = std::fs::read_dir(dir.join("templates/workloads"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let out = Command::new(cfn_lint)
        .current_dir(common::root())
        .arg("--format")
        .arg("parseable")
        .arg("--")
        .args(&templates)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.trim().is_empty(),
        "cfn-lint:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn checkov_finds_nothing() {
    let Some(checkov) = require("checkov") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("landfall-checkov-{}", std::process::id()));
    synthesize(&dir);
    let out = Command::new(checkov)
        .arg("--config-file")
        .arg(common::root().join("crates/terraform/checkov.yaml"))
        .arg("-d")
        .arg(dir.join("terraform"))
        .arg("-o")
        .arg("json")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "checkov gave no JSON:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let reports = match report {
        serde_json::Value::Array(items) => items,
        other => vec![other],
    };
    let mut failed = Vec::new();
    let mut passed = 0;
    for r in &reports {
        let results = &r["results"];
        passed += results["passed_checks"].as_array().map_or(0, Vec::len);
        for f in results["failed_checks"].as_array().into_iter().flatten() {
            failed.push(format!(
                "{} {} {}",
                f["check_id"], f["resource"], f["file_path"]
            ));
        }
        let errors = results["parsing_errors"].as_array().map_or(0, Vec::len);
        assert_eq!(
            errors, 0,
            "checkov could not parse some modules: {}",
            results["parsing_errors"]
        );
    }
    assert!(passed > 0, "checkov checked nothing");
    assert!(failed.is_empty(), "checkov:\n{}", failed.join("\n"));
}
