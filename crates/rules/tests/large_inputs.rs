//! A plan as `terraform show -json` writes it (the whole document on one
//! line) is located finding by finding as precisely as the pretty-printed
//! one. How long each takes is measured in `benches/scan.rs`
//! (`single-line plan` beside `pretty-printed plan`), not here.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use landfall_rules::{check, LoadOptions, Settings, ViewBuilder};

/// A plan of `count` unencrypted EBS volumes: one finding each.
fn volume_plan(count: usize, pretty: bool) -> String {
    let resources: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            serde_json::json!({
                "address": format!("aws_ebs_volume.data[{i}]"),
                "mode": "managed",
                "type": "aws_ebs_volume",
                "name": "data",
                "index": i,
                "values": {"availability_zone": "eu-west-1a", "encrypted": false, "size": 20},
            })
        })
        .collect();
    let plan = serde_json::json!({
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": resources}},
    });
    if pretty {
        serde_json::to_string_pretty(&plan).unwrap()
    } else {
        serde_json::to_string(&plan).unwrap()
    }
}

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
