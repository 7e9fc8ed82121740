//! Every generated dashboard type-checked against Grafana's own published
//! schema types (`@grafana/schema` of the pinned Grafana version, with
//! `tsc --strict`): a field Grafana does not know, or one of the wrong type,
//! fails. `scripts/test.sh` installs the two npm packages locally
//! (`scripts/grafana-schema/`); under `CI=true` their absence fails.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

fn tsc() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/grafana-schema");
    let tsc = root.join("node_modules/.bin/tsc");
    if tsc.is_file() && root.join("node_modules/@grafana/schema").is_dir() {
        return Some(tsc);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("scripts/grafana-schema/node_modules is missing (CI=true): scripts/test.sh runs `npm ci` there");
    }
    eprintln!("note: @grafana/schema not installed; skipped (run scripts/test.sh)");
    None
}

/// Writes each dashboard as a typed TypeScript constant and runs tsc.
fn type_check(tsc: &Path, dir: &Path, dashboards: &[(String, String)]) -> std::process::Output {
    let modules = tsc.parent().unwrap().parent().unwrap();
    for (i, (_, json)) in dashboards.iter().enumerate() {
        std::fs::write(
            dir.join(format!("d{i}.ts")),
            format!("import type {{ Dashboard }} from '@grafana/schema';\nexport const dashboard: Dashboard = {json};\n"),
        )
        .unwrap();
    }
    let config = serde_json::json!({
        "compilerOptions": {
            "strict": true, "noEmit": true, "skipLibCheck": true,
            "module": "commonjs", "moduleResolution": "node", "target": "es2020",
            "types": [], "baseUrl": ".",
            "paths": { "@grafana/schema": [modules.join("@grafana/schema")] },
        },
        "include": ["*.ts"],
    });
    std::fs::write(dir.join("tsconfig.json"), config.to_string()).unwrap();
    Command::new("node")
        .arg(tsc)
        .args(["-p", "."])
        .current_dir(dir)
        .output()
        .expect("node runs tsc")
}

fn dashboards() -> Vec<(String, String)> {
    support::reference_bundle()
        .files
        .into_iter()
        .filter(|f| f.path.starts_with("grafana/dashboards/"))
        .map(|f| (f.path, f.contents))
        .collect()
}

#[test]
fn every_dashboard_matches_grafanas_schema_types() {
    let Some(tsc) = tsc() else { return };
    let dashboards = dashboards();
    assert!(
        dashboards.len() > 100,
        "overview, domains, services, stores: {}",
        dashboards.len()
    );
    let dir = support::temp_dir("grafana-schema");
    let out = type_check(&tsc, &dir, &dashboards);
    assert!(
        out.status.success(),
        "tsc rejected generated dashboards:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_dashboard_grafana_would_not_read_fails_the_check() {
    let Some(tsc) = tsc() else { return };
    let mut dashboards = dashboards();
    dashboards.truncate(1);
    dashboards[0].1 =
        dashboards[0]
            .1
            .replacen("\"schemaVersion\": 39", "\"schemaVersion\": \"39\"", 1);
    assert!(dashboards[0].1.contains("\"39\""));
    let dir = support::temp_dir("grafana-schema-broken");
    let out = type_check(&tsc, &dir, &dashboards);
    assert!(!out.status.success(), "a string schemaVersion passed");
    assert!(String::from_utf8_lossy(&out.stdout).contains("not assignable to type 'number'"));
    let _ = std::fs::remove_dir_all(&dir);
}
