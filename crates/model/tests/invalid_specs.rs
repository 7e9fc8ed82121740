//! Every error class of the spec, one broken spec per class.
//!
//! A case is a folder under `fixtures/specs/invalid/`: its YAML files replace
//! or add to the files of the valid `fixtures/specs/small` spec (a file
//! `remove.txt` lists base files to drop), and `expected.txt` holds the exact
//! diagnostics, one `file:line:column: severity[code]: message` line each,
//! followed by its help. Run with `LANDFALL_BLESS=1` to rewrite the expected
//! files after a deliberate change, then review the diff.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test harness")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_tree(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if path.is_dir() {
            read_tree(&path, &format!("{name}/"), out);
        } else if name.ends_with(".yaml") {
            out.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// Compact, exact rendering of every diagnostic.
fn render(resolved: &landfall_model::Resolved) -> String {
    let mut out = String::new();
    for diagnostic in resolved.diagnostics.iter() {
        let json = landfall_diagnostics::JsonDiagnostic::new(diagnostic, &resolved.loaded.sources);
        let place = match (&json.file, json.line, json.column) {
            (Some(file), Some(line), Some(column)) => format!("{file}:{line}:{column}"),
            (Some(file), _, _) => file.clone(),
            _ => "<spec>".to_owned(),
        };
        let severity = if diagnostic.is_error() {
            "error"
        } else {
            "warning"
        };
        let _ = writeln!(out, "{place}: {severity}[{}]: {}", json.code, json.message);
        if let Some(label) = json.label.filter(|l| !l.is_empty()) {
            let _ = writeln!(out, "  label: {label}");
        }
        if let Some(help) = json.help {
            let _ = writeln!(out, "  help: {help}");
        }
    }
    out
}

fn run_case(case: &Path) -> (String, PathBuf) {
    let mut files = BTreeMap::new();
    read_tree(&repo_root().join("fixtures/specs/small"), "", &mut files);
    if let Ok(remove) = std::fs::read_to_string(case.join("remove.txt")) {
        for name in remove.lines().map(str::trim).filter(|l| !l.is_empty()) {
            assert!(
                files.remove(name).is_some(),
                "{}: remove.txt names unknown file {name}",
                case.display()
            );
        }
    }
    read_tree(case, "", &mut files);
    let (loaded, diagnostics) = landfall_spec::load_files(files);
    let resolved = landfall_model::resolve(loaded, diagnostics);
    if resolved.diagnostics.has_errors() {
        assert!(
            resolved.model.is_none(),
            "{}: a model was built despite errors",
            case.display()
        );
    }
    (render(&resolved), case.join("expected.txt"))
}

/// Runs every case folder under `fixtures/specs/<folder>`: `expect` checks
/// what a case must produce (it returns why not), then the output must equal
/// the case's `expected.txt` (rewritten with `LANDFALL_BLESS=1`). Returns the
/// number of cases.
fn run_cases(folder: &str, expect: impl Fn(&str) -> Result<(), String>) -> usize {
    let dir = repo_root().join("fixtures/specs").join(folder);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let bless = std::env::var_os("LANDFALL_BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let (actual, expected_path) = run_case(case);
        if let Err(why) = expect(&actual) {
            panic!("{}: {why}:\n{actual}", case.display());
        }
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "== {}\n-- expected\n{expected}-- actual\n{actual}",
                case.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    cases.len()
}

#[test]
fn every_invalid_spec_reports_exactly_its_expected_diagnostics() {
    let cases = run_cases("invalid", |actual| {
        if actual.contains("error[") {
            Ok(())
        } else {
            Err("the broken spec produced no error".to_owned())
        }
    });
    assert!(
        cases >= 25,
        "expected a case per error class, found {cases}"
    );
}

/// Specs that are valid but deserve a warning: under `fixtures/specs/warnings/`,
/// same layout; each yields a model and at least one warning.
#[test]
fn every_questionable_spec_reports_exactly_its_expected_warnings() {
    let cases = run_cases("warnings", |actual| {
        if actual.contains("warning[") && !actual.contains("error[") {
            Ok(())
        } else {
            Err("expected warnings and no error".to_owned())
        }
    });
    assert!(cases > 0, "no cases under fixtures/specs/warnings");
}

#[test]
fn the_small_fixture_is_valid() {
    let mut files = BTreeMap::new();
    read_tree(&repo_root().join("fixtures/specs/small"), "", &mut files);
    let (loaded, diagnostics) = landfall_spec::load_files(files);
    let resolved = landfall_model::resolve(loaded, diagnostics);
    assert_eq!(render(&resolved), "");
    let model = resolved.model.unwrap();
    assert_eq!(model.accounts.len(), 9);
    assert_eq!(model.network.vpcs.len(), 3);
}
