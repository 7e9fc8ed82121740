//! Inputs large enough to expose quadratic work: a plan as `terraform show
//! -json` writes it (the whole document on one line) must cost about what
//! the same plan costs pretty-printed.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::time::{Duration, Instant};

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

/// The fastest of three scans, and the findings' (line, column)s.
fn time_scan(text: &str) -> (Duration, Vec<(usize, usize)>) {
    let mut best = Duration::MAX;
    let mut positions = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let mut builder = ViewBuilder::new(LoadOptions::default());
        assert!(builder.add_text("plan.json", text));
        let view = builder.finish();
        let report = check(&view, &Settings::default());
        best = best.min(start.elapsed());
        positions = report.findings.iter().map(|f| (f.line, f.column)).collect();
    }
    (best, positions)
}

#[test]
fn a_single_line_plan_costs_about_what_the_pretty_printed_one_does() {
    let count = 20_000;
    let (pretty, pretty_positions) = time_scan(&volume_plan(count, true));
    let (single, single_positions) = time_scan(&volume_plan(count, false));
    assert_eq!(pretty_positions.len(), count);
    assert_eq!(single_positions.len(), count);
    assert!(single_positions.iter().all(|&(line, _)| line == 1));
    // Columns grow along the line: each finding has its own.
    assert!(single_positions.windows(2).all(|w| w[0].1 < w[1].1));
    assert!(
        single <= pretty * 2 + Duration::from_millis(500),
        "single line {single:?}, pretty-printed {pretty:?}"
    );
}
