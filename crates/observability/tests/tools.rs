//! The reference platform's monitoring configuration, checked by the real
//! tools of the pinned profile: promtool (rule syntax and every generated
//! unit test), vmalert's dry run (MetricsQL), amtool (configuration and the
//! route of every domain at every severity). Under `CI=true` a missing tool
//! fails the test; `scripts/test.sh` installs them (Debian `prometheus`,
//! `prometheus-alertmanager`, `victoria-metrics`).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::{reference_bundle, require, temp_dir, write_bundle};

fn files_under(dir: &std::path::Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn rules_pass_promtool_check_and_every_generated_unit_test() {
    let Some(promtool) = require("promtool") else {
        return;
    };
    let bundle = reference_bundle();
    let dir = temp_dir("promtool");
    write_bundle(&bundle, &dir);
    let rules: Vec<PathBuf> = files_under(&dir.join("rules"), ".yml")
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains("/tests/"))
        .collect();
    assert!(
        rules.len() > 100,
        "one file per service, domain and the platform: {}",
        rules.len()
    );
    let check = Command::new(&promtool)
        .arg("check")
        .arg("rules")
        .args(&rules)
        .output()
        .expect("promtool runs");
    assert!(
        check.status.success(),
        "promtool check rules failed:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let tests = files_under(&dir.join("rules/tests"), ".test.yml");
    assert_eq!(
        tests.len(),
        rules.len() - 1,
        "every rule file but the recordings has tests"
    );
    // Two promtool processes (the machine has two cores).
    let halves: Vec<Vec<PathBuf>> = tests
        .chunks(tests.len().div_ceil(2))
        .map(<[PathBuf]>::to_vec)
        .collect();
    let runs: Vec<_> = halves
        .iter()
        .map(|files| {
            Command::new(&promtool)
                .arg("test")
                .arg("rules")
                .args(files)
                .current_dir(&dir)
                .output()
                .expect("promtool runs")
        })
        .collect();
    for run in runs {
        let out = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success(),
            "promtool test rules failed:\n{}{}",
            out.lines()
                .filter(|l| !l.contains("SUCCESS") && !l.starts_with("Unit Testing"))
                .collect::<Vec<_>>()
                .join("\n"),
            String::from_utf8_lossy(&run.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A generated test must be able to fail: a rule whose threshold is
/// loosened past the test's broken series makes promtool report it.
#[test]
fn a_broken_rule_fails_its_generated_test() {
    let Some(promtool) = require("promtool") else {
        return;
    };
    let bundle = reference_bundle();
    let dir = temp_dir("promtool-broken");
    write_bundle(&bundle, &dir);
    let file = dir.join("rules/platform.yml");
    let text = std::fs::read_to_string(&file).expect("platform rules");
    assert!(
        text.contains("> 85"),
        "the disk alert's threshold is in the file"
    );
    std::fs::write(&file, text.replace("> 85", "> 99")).expect("write");
    let run = Command::new(&promtool)
        .args(["test", "rules", "rules/tests/platform.test.yml"])
        .current_dir(&dir)
        .output()
        .expect("promtool runs");
    let out =
        String::from_utf8_lossy(&run.stdout).into_owned() + &String::from_utf8_lossy(&run.stderr);
    assert!(
        !run.status.success(),
        "the loosened rule still passed:\n{out}"
    );
    assert!(out.contains("MetalHostDiskAlmostFull"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rules_pass_vmalert_dry_run() {
    let Some(vmalert) = require("vmalert") else {
        return;
    };
    let bundle = reference_bundle();
    let dir = temp_dir("vmalert");
    write_bundle(&bundle, &dir);
    let run = Command::new(vmalert)
        .arg("-dryRun")
        .arg(format!("-rule={}/rules/*.yml", dir.display()))
        .arg(format!("-rule={}/rules/domains/*.yml", dir.display()))
        .arg(format!("-rule={}/rules/services/*/*.yml", dir.display()))
        .output()
        .expect("vmalert runs");
    assert!(
        run.status.success(),
        "vmalert -dryRun failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn alertmanager_config_passes_amtool_and_routes_every_domain_as_planned() {
    let Some(amtool) = require("amtool") else {
        return;
    };
    let bundle = reference_bundle();
    let dir = temp_dir("amtool");
    write_bundle(&bundle, &dir);
    let config = dir.join("alertmanager/alertmanager.yml");
    let check = Command::new(&amtool)
        .arg("check-config")
        .arg(&config)
        .output()
        .expect("amtool runs");
    assert!(
        check.status.success(),
        "amtool check-config failed:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let cases: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("alertmanager/routing-tests.json"))
            .expect("routing tests"),
    )
    .expect("json");
    let cases = cases["cases"].as_array().expect("cases");
    let domains = bundle
        .plan
        .teams
        .iter()
        .filter(|t| t.domain.is_some())
        .count();
    let remediation = bundle
        .plan
        .remediation
        .as_ref()
        .map_or(0, |r| r.alerts.len());
    assert_eq!(
        cases.len(),
        domains * 2 + remediation,
        "every domain at both severities, every remediation alert"
    );
    for case in cases {
        let labels: Vec<String> = case["labels"]
            .as_object()
            .expect("labels")
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect();
        let receivers: Vec<&str> = case["receivers"]
            .as_array()
            .expect("receivers")
            .iter()
            .filter_map(|r| r.as_str())
            .collect();
        // What the plan promises, independently of how it was computed.
        assert!(
            !receivers.contains(&"unrouted"),
            "{labels:?} reaches no team: {receivers:?}"
        );
        let domain = case["labels"]["domain"].as_str();
        let severity = case["labels"]["severity"].as_str();
        if let (Some(domain), Some("page")) = (domain, severity) {
            let team = bundle.plan.team_of_domain(domain).expect("team");
            assert!(
                receivers.contains(&team.page_receiver().as_str()),
                "{labels:?}: {receivers:?}"
            );
        }
        let route = Command::new(&amtool)
            .args(["config", "routes", "test"])
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--verify.receivers={}", receivers.join(",")))
            .args(&labels)
            .output()
            .expect("amtool runs");
        assert!(
            route.status.success(),
            "amtool routes {labels:?} to {} (planned: {receivers:?})",
            String::from_utf8_lossy(&route.stdout).trim()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
