//! A plan as `terraform show -json` writes it (the whole document on one
//! line) is located finding by finding as precisely as the pretty-printed
//! one. How long each takes is measured in `benches/scan.rs`
//! (`single-line plan` beside `pretty-printed plan`), not here.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

#[path = "support/plans.rs"]
mod plans;
use landfall_rules::{check, LoadOptions, Settings, ViewBuilder};
use plans::volume_plan;

/// The findings' (line, column)s.
fn positions(text: &str) -> Vec<(usize, usize)> {
    let mut builder = ViewBuilder::new(LoadOptions::default());
    assert!(builder.add_text("plan.json", text));
    let view = builder.finish();
    let report = check(&view, &Settings::default());
    report.findings.iter().map(|f| (f.line, f.column)).collect()
}

#[test]
fn a_single_line_plan_locates_every_finding_at_its_own_column() {
    let count = 2_000;
    let pretty_positions = positions(&volume_plan(count, true));
    let single_positions = positions(&volume_plan(count, false));
    assert_eq!(pretty_positions.len(), count);
    assert_eq!(single_positions.len(), count);
    assert!(single_positions.iter().all(|&(line, _)| line == 1));
    // Columns grow along the line: each finding has its own.
    assert!(single_positions.windows(2).all(|w| w[0].1 < w[1].1));
    // Pretty-printed, each finding is on a line of its own.
    assert!(pretty_positions.windows(2).all(|w| w[0].0 < w[1].0));
}
