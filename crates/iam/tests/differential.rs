//! The engine against an independent evaluator: `@cloud-copilot/iam-simulate`
//! (npm, pinned in `scripts/iam-simulate/`, installed there by
//! `scripts/test.sh`) decides the same request files
//! (`tests/differential/cases.jsonl`, each case citing its AWS page). Every
//! case where the two disagree must be listed in
//! `tests/differential/differences.json` with the reason, and every listed
//! case must still disagree, so the file stays the truth. Under `CI=true`
//! a missing evaluator fails; elsewhere the test is skipped with a note.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use landfall_iam::simulate::{simulate_bytes, OutputFormat};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential")
}

fn harness() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/iam-simulate");
    let installed = root
        .join("node_modules/@cloud-copilot/iam-simulate")
        .is_dir();
    let node = Command::new("node").arg("--version").output().is_ok();
    if installed && node {
        return Some(root.join("harness.mjs"));
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("scripts/iam-simulate/node_modules or node is missing (CI=true): scripts/test.sh runs `npm ci` there");
    }
    eprintln!("note: @cloud-copilot/iam-simulate not installed; skipped (run scripts/test.sh)");
    None
}

fn ours(file: &serde_json::Value) -> serde_json::Value {
    let out = simulate_bytes("case.json", file.to_string().as_bytes(), OutputFormat::Json);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    report["decision"].clone()
}

#[test]
fn agreement_with_an_independent_evaluator_is_known_and_explained() {
    let Some(harness) = harness() else { return };
    let corpus = std::fs::read_to_string(dir().join("cases.jsonl")).unwrap();
    let cases: Vec<serde_json::Value> = corpus
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut child = Command::new("node")
        .arg(&harness)
        .current_dir(harness.parent().unwrap())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), corpus.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the harness failed");
    let theirs: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(theirs.len(), cases.len());

    let listed: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir().join("differences.json")).unwrap())
            .unwrap();
    let mut disagreements = BTreeMap::new();
    for (case, other) in cases.iter().zip(&theirs) {
        let name = case["name"].as_str().unwrap().to_owned();
        assert!(case["page"]
            .as_str()
            .unwrap()
            .starts_with("https://docs.aws.amazon.com/"));
        let mine = ours(&case["file"]);
        assert!(mine.is_string(), "{name}: the engine refused the case");
        if mine != other["decision"] {
            disagreements.insert(name, (mine, other.clone()));
        }
    }
    let agree = cases.len() - disagreements.len();
    eprintln!(
        "agreement with @cloud-copilot/iam-simulate: {agree} of {} cases",
        cases.len()
    );
    let unexplained: Vec<String> = disagreements
        .iter()
        .filter(|(name, _)| !listed.contains_key(*name))
        .map(|(name, (mine, other))| format!("{name}: landfall says {mine}, iam-simulate {other}"))
        .collect();
    assert!(
        unexplained.is_empty(),
        "explain these in differences.json:\n{}",
        unexplained.join("\n")
    );
    for (name, (mine, other)) in &disagreements {
        let entry = &listed[name];
        assert_eq!(&entry["landfall"], mine, "{name}");
        assert_eq!(&entry["iam_simulate"], &other["decision"], "{name}");
        assert!(
            entry["why"].as_str().is_some_and(|w| w.len() > 40),
            "{name}: say why"
        );
    }
    for name in listed.keys() {
        assert!(
            disagreements.contains_key(name),
            "{name} is listed in differences.json but the two now agree: remove it"
        );
    }
}
