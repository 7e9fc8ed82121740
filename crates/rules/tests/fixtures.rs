//! The fixture corpus: every file under `tests/fixtures/` is scanned on its
//! own with the reference platform's settings and its findings are compared
//! with a reviewed snapshot. Files named `*.pass.*` must have no finding;
//! `*.fail.*` files must have some; together they give every rule a
//! violating and a compliant case.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use landfall_rules::{check, LoadOptions, Report, ResourceView, Settings, ViewBuilder, RULES};

fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    for dir in ["cloudformation", "terraform"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    files.sort();
    files
}

fn settings() -> Settings {
    let resolved = landfall_model::reference();
    Settings::from_model(
        resolved
            .model
            .as_ref()
            .expect("the reference platform resolves"),
    )
}

fn scan(path: &Path, settings: &Settings) -> (ResourceView, Report) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let name = path.strip_prefix(&root).unwrap().display().to_string();
    let text = std::fs::read_to_string(path).unwrap();
    let mut builder = ViewBuilder::new(LoadOptions::default());
    assert!(builder.add_text(&name, &text), "{name} is not recognized");
    let view = builder.finish();
    assert!(
        !view.diagnostics.iter().any(|d| d.is_error()),
        "{name}: {:?}",
        view.diagnostics
    );
    let report = check(&view, &settings.clone());
    (view, report)
}

fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&format!(
            "{} {} {}:{} {} `{}`: {}{}\n",
            f.rule,
            f.severity.name(),
            f.file,
            f.line,
            f.name,
            f.resource,
            f.message,
            f.suppressed
                .as_ref()
                .map(|r| format!(" [suppressed: {r}]"))
                .unwrap_or_default()
        ));
    }
    if out.is_empty() {
        out.push_str("no findings\n");
    }
    out
}

#[test]
fn fixtures_match_their_snapshots() {
    let settings = settings();
    for path in fixture_files() {
        let (_, report) = scan(&path, &settings);
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let kind = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        if name.contains(".pass.") {
            assert_eq!(
                report.active().count(),
                0,
                "{kind}/{name}:\n{}",
                render(&report)
            );
        }
        if name.contains(".fail.") {
            assert!(report.active().count() > 0, "{kind}/{name} has no finding");
        }
        insta::with_settings!({ snapshot_suffix => "", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(format!("{kind}__{name}"), render(&report));
        });
    }
}

#[test]
fn every_rule_has_a_violating_and_a_compliant_fixture() {
    let settings = settings();
    let mut violated = BTreeSet::new();
    let mut compliant_kinds = BTreeSet::new();
    for path in fixture_files() {
        let (view, report) = scan(&path, &settings);
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.contains(".pass.") {
            for r in &view.resources {
                compliant_kinds.insert(r.kind.clone());
            }
        } else {
            for f in report.active() {
                violated.insert(f.rule);
            }
        }
    }
    for r in RULES {
        let meta = r.rule.meta();
        if meta.kinds.is_empty() && r.code != "LF090" {
            continue; // prevention only
        }
        assert!(
            violated.contains(r.code),
            "{} {} has no violating fixture",
            r.code,
            meta.name
        );
        // For these the compliant case is the alternative without the
        // resource: `iam.pass.yaml` uses a role trusted through OIDC.
        let absence_is_compliant = ["LF401", "LF402", "LF403"].contains(&r.code);
        if !meta.kinds.is_empty() && !absence_is_compliant {
            assert!(
                meta.kinds
                    .iter()
                    .any(|k| *k == "*" || compliant_kinds.contains(*k)),
                "{} {} has no compliant fixture",
                r.code,
                meta.name
            );
        }
    }
}

#[test]
fn environment_flag_overrides_what_templates_say() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cloudformation/network.fail.yaml");
    let view = ResourceView::load(
        &[path],
        &LoadOptions {
            environment: Some("prod".to_owned()),
            ..LoadOptions::default()
        },
    );
    let report = check(&view, &settings());
    assert!(report
        .active()
        .all(|f| f.rule != "LF504" && f.rule != "LF505"));
    assert!(report.active().any(|f| f.rule == "LF501"));
}

#[test]
fn a_directory_is_scanned_recursively_and_each_file_once() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let view = ResourceView::load(&[root], &LoadOptions::default());
    assert_eq!(view.files.len(), fixture_files().len());
    assert!(!view.diagnostics.iter().any(|d| d.is_error()));
    let report = check(&view, &settings());
    let per_file: usize = fixture_files()
        .iter()
        .map(|p| scan(p, &settings()).1.findings.len())
        .sum();
    assert_eq!(report.findings.len(), per_file);
}
