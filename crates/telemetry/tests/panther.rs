//! The Panther detections of the platform's guardrails, run through
//! `panther-analysis-tool test` (Panther's own runner, offline): every
//! detection's unit tests pass, and a detection that stops matching fails.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::path::{Path, PathBuf};
use std::process::Command;

use landfall_telemetry::Bundle;

fn reference_bundle() -> (Bundle, Vec<String>) {
    let resolved = landfall_model::reference();
    let model = resolved.model.as_ref().expect("valid");
    (
        landfall_telemetry::generate(model).expect("observability"),
        model.guardrails.denied_instance_families.clone(),
    )
}

fn write_rules(bundle: &Bundle, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landfall-panther-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for file in bundle
        .files
        .iter()
        .filter(|f| f.path.starts_with("panther/"))
    {
        let path = dir.join(&file.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &file.contents).unwrap();
    }
    dir.join("panther")
}

fn run(tool: &Path, dir: &Path) -> (bool, String) {
    let out = Command::new(tool)
        .args(["test", "--path"])
        .arg(dir)
        .current_dir(dir)
        .output()
        .expect("panther_analysis_tool runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Without a terminal it still colours `[PASS]`: read it without.
    let plain = without_colours(&text);
    (out.status.success(), plain)
}

fn without_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-letter
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn every_guardrail_detection_passes_its_tests_in_panther_analysis_tool() {
    let Some(tool) = landfall_testkit::services::require("panther_analysis_tool") else {
        return;
    };
    let (bundle, families) = reference_bundle();
    let dir = write_rules(&bundle, "pass");
    let (ok, text) = run(&tool, &dir);
    assert!(ok, "{text}");
    let detections = landfall_telemetry::panther::detections(&families);
    assert_eq!(detections.len(), 7);
    for d in &detections {
        assert!(text.contains(d.id), "{} not tested: {text}", d.id);
        for (name, _, _) in &d.tests {
            assert!(
                text.contains(&format!("[PASS] {name}")),
                "{}: `{name}`: {text}",
                d.id
            );
        }
    }
    assert!(!text.contains("[FAIL]"), "{text}");
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

#[test]
fn a_detection_that_stops_matching_fails_its_tests() {
    let Some(tool) = landfall_testkit::services::require("panther_analysis_tool") else {
        return;
    };
    let (mut bundle, _) = reference_bundle();
    let rule = bundle
        .files
        .iter_mut()
        .find(|f| f.path == "panther/rules/landfall_cloudtrail_stopped.py")
        .unwrap();
    rule.contents = rule.contents.replace("\"StopLogging\", ", "");
    let dir = write_rules(&bundle, "fail");
    let (ok, text) = run(&tool, &dir);
    assert!(!ok, "{text}");
    assert!(text.contains("[FAIL] logging stopped"), "{text}");
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

#[test]
fn the_denied_family_detection_lists_the_spec_families() {
    let (bundle, families) = reference_bundle();
    let rule = bundle
        .file("panther/rules/landfall_denied_instance_family.py")
        .unwrap();
    assert!(!families.is_empty());
    for family in &families {
        assert!(
            rule.contents.contains(&format!("\"{family}\"")),
            "{family}: {}",
            rule.contents
        );
    }
}
