//! `landfall cost` end to end: backtest keys, ingest of the golden exports
//! with the reference platform's accounts, a report, and refused input.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn landfall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_landfall"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("LANDFALL_SPEC")
        .output()
        .expect("landfall runs")
}

fn exports(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../cost/tests/fixtures/exports")
        .join(name)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn backtest_json_has_the_scoring_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("series.csv");
    // Two years of a steady weekly pattern: forecasts are exact.
    let mut csv = String::from("series,ds,usage,fee,total\n");
    let start = landfall_cost::date::Date::parse("2023-10-01").unwrap();
    for i in 0..761 {
        let day = start.add_days(i);
        let usage = if day.weekday() >= 5 { 50.0 } else { 100.0 };
        csv.push_str(&format!("a,{day},{usage},0,{usage}\n"));
    }
    std::fs::write(&file, csv).unwrap();
    let output = landfall(&[
        "cost",
        "backtest",
        "--series",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for key in [
        "month_end_mape",
        "next_month_mape",
        "coverage80_month_end",
        "coverage80_next_month",
    ] {
        for cutoff in ["0", "10", "20"] {
            let value = json[key][cutoff]
                .as_f64()
                .unwrap_or_else(|| panic!("{key}.{cutoff} in {json}"));
            assert!((0.0..=1.0).contains(&value), "{key}.{cutoff} = {value}");
        }
    }
    assert!(
        json["month_end_mape"]["0"].as_f64().unwrap() < 1e-9,
        "{json}"
    );
    assert_eq!(json["cases"], 6);

    let missing = landfall(&["cost", "backtest", "--series", "no-such-file.csv"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("no-such-file.csv"));
}

#[test]
fn ingest_then_report_on_the_reference_platform() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("cost.sqlite");
    let store = store.to_str().unwrap();
    let cur2 = exports("cur2");
    let output = landfall(&[
        "cost",
        "ingest",
        "--from",
        cur2.to_str().unwrap(),
        "--store",
        store,
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    assert!(out.contains("2025-09 Cur2: 1386 lines, final"), "{out}");
    assert!(out.contains("2025-10 Cur2: 926 lines, estimated"), "{out}");
    assert!(out.contains("unallocated: legacy-billing"), "{out}");

    let reports = dir.path().join("reports");
    let output = landfall(&[
        "cost",
        "report",
        "--store",
        store,
        "--as-of",
        "2025-10-15",
        "--format",
        "json",
        "--out",
        reports.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let trading: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("trading.json")).unwrap())
            .unwrap();
    let domain = &trading["domains"][0];
    assert_eq!(domain["domain"], "trading");
    // The reference platform's budget for trading (reference/billing.yaml).
    assert_eq!(domain["budget"]["monthly"], 72000.0);
    assert_eq!(domain["data_state"], "estimated");

    let markdown = landfall(&[
        "cost",
        "report",
        "--store",
        store,
        "--domain",
        "web",
        "--as-of",
        "2025-10-15",
    ]);
    assert!(markdown.status.success());
    assert!(text(&markdown.stdout).contains("# Spend of web — 2025-10 (as of 2025-10-15)"));

    let unknown = landfall(&["cost", "report", "--store", store, "--domain", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("no domain `nope`"));

    // The forecast: trading, then each of its environments with spend (the
    // shared accounts' lines tagged `user:landfall:domain=trading` as `shared`).
    let forecast = landfall(&[
        "cost",
        "forecast",
        "--store",
        store,
        "--domain",
        "trading",
        "--as-of",
        "2025-10-15",
        "--format",
        "json",
    ]);
    assert!(forecast.status.success(), "{}", text(&forecast.stderr));
    let json: serde_json::Value = serde_json::from_slice(&forecast.stdout).unwrap();
    let lines = json["lines"].as_array().unwrap();
    let names: Vec<(&str, Option<&str>)> = lines
        .iter()
        .map(|l| (l["domain"].as_str().unwrap(), l["environment"].as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("trading", None),
            ("trading", Some("dev")),
            ("trading", Some("prod")),
            ("trading", Some("shared"))
        ]
    );
    assert_eq!(json["next_month"], "2025-11");
    assert_eq!(
        lines[0]["month_end"], domain["forecast"]["month_end"],
        "the report's forecaster"
    );
    let bad_date = landfall(&[
        "cost",
        "forecast",
        "--store",
        store,
        "--as-of",
        "2025-13-01",
    ]);
    assert_eq!(bad_date.status.code(), Some(2));
    assert!(text(&bad_date.stderr).contains("--as-of `2025-13-01` is not a date"));
}

#[test]
fn a_bad_export_is_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("cost.sqlite");
    let output = landfall(&[
        "cost",
        "ingest",
        "--from",
        dir.path().to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = text(&output.stderr);
    assert!(
        err.contains("no `data` directory") && err.contains("nothing was stored"),
        "{err}"
    );
}

/// The example reports in docs/ are what `landfall cost report` gives on the
/// golden CUR 2.0 export (`LANDFALL_BLESS=1` rewrites them).
#[test]
fn the_docs_examples_are_current() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("cost.sqlite");
    let store = store.to_str().unwrap();
    let cur2 = exports("cur2");
    let ingest = landfall(&[
        "cost",
        "ingest",
        "--from",
        cur2.to_str().unwrap(),
        "--store",
        store,
    ]);
    assert!(ingest.status.success(), "{}", text(&ingest.stderr));
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    for (format, file) in [
        ("markdown", "cost-report-example.md"),
        ("html", "cost-report-example.html"),
    ] {
        let output = landfall(&[
            "cost",
            "report",
            "--store",
            store,
            "--domain",
            "web",
            "--as-of",
            "2025-10-15",
            "--format",
            format,
        ]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let path = docs.join(file);
        if std::env::var("LANDFALL_BLESS").is_ok_and(|v| v == "1") {
            std::fs::write(&path, &output.stdout).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text(&output.stdout),
            "docs/{file} differs from `landfall cost report --format {format}`: rerun with LANDFALL_BLESS=1"
        );
    }
}

/// `cost notify` with the file sink on the reference platform's thresholds
/// (12 % or USD 5,000 against last month): the domains that cross are
/// written once, a re-run writes nothing, `--always` writes anyway.
#[test]
fn notify_writes_each_crossing_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("cost.sqlite");
    let store = store.to_str().unwrap();
    let cur2 = exports("cur2");
    let ingest = landfall(&[
        "cost",
        "ingest",
        "--from",
        cur2.to_str().unwrap(),
        "--store",
        store,
    ]);
    assert!(ingest.status.success(), "{}", text(&ingest.stderr));
    let outbox = dir.path().join("outbox");
    let notify = |extra: &[&str]| {
        let mut args = vec![
            "cost",
            "notify",
            "--store",
            store,
            "--as-of",
            "2025-10-15",
            "--from",
            "finops@meridian-markets.example",
            "--to-dir",
            outbox.to_str().unwrap(),
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let output = landfall(&args);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        json.as_array()
            .unwrap()
            .iter()
            .filter(|o| o["send"] == true)
            .map(|o| {
                (
                    o["domain"].as_str().unwrap().to_string(),
                    o["to"][0].as_str().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let files = || {
        let mut names: Vec<String> = std::fs::read_dir(&outbox)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    // market-data's forecast is far above its September (the golden export).
    assert_eq!(
        notify(&[]),
        [(
            "market-data".to_string(),
            "market-data-team@meridian-markets.example".to_string()
        )]
    );
    assert_eq!(
        files(),
        [
            "01-market-data-team-meridian-markets-example.eml",
            "02-market-data-oncall.chat.json"
        ]
    );
    assert!(notify(&[]).is_empty(), "a re-run sends nothing new");
    assert_eq!(files().len(), 2);
    assert_eq!(
        notify(&["--always", "--domain", "web"]),
        [(
            "web".to_string(),
            "web-team@meridian-markets.example".to_string()
        )]
    );
    assert_eq!(files().len(), 4);
    let chat: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(outbox.join("04-web-oncall.chat.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(chat["channel"], "#web-oncall");
    assert_eq!(chat["blocks"][0]["text"]["text"], "Spend of web — 2025-10");
}

/// Ingest records the spec snapshot; a service added to the spec after it
/// is a launch in `cost forecast` (each environment and region it runs in,
/// priced from the committed price list: Fargate in eu-central-1 and
/// eu-west-1), and the report lists it; without changes nothing is added.
#[test]
fn a_service_added_after_the_ingest_is_a_launch_in_the_forecast() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec");
    landfall_spec::write_reference(&spec).unwrap();
    let spec = spec.to_str().unwrap().to_string();
    let store = dir.path().join("cost.sqlite");
    let store = store.to_str().unwrap();
    let cur2 = exports("cur2");
    let ingest = landfall(&[
        "cost",
        "ingest",
        "--from",
        cur2.to_str().unwrap(),
        "--store",
        store,
        "--spec",
        &spec,
    ]);
    assert!(ingest.status.success(), "{}", text(&ingest.stderr));
    assert!(
        text(&ingest.stderr).contains("recorded the spec snapshot"),
        "{}",
        text(&ingest.stderr)
    );
    let forecast = || {
        let output = landfall(&[
            "cost",
            "forecast",
            "--store",
            store,
            "--spec",
            &spec,
            "--as-of",
            "2025-10-15",
            "--domain",
            "web",
            "--format",
            "json",
        ]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let unchanged = forecast();
    assert_eq!(unchanged["launches"]["count"], 0, "{unchanged:#}");
    assert!(unchanged["launches"]["since"].is_string());
    assert!(unchanged["lines"][0].get("launches").is_none());

    std::fs::write(
        Path::new(&spec).join("services/web/quote-widget-api.yaml"),
        "service:\n  name: quote-widget-api\n  domain: web\n  compute:\n    cpu: 512\n    memory: 1024\n    port: 8080\n  scaling:\n    min_tasks: 2\n    max_tasks: 4\n  ingress: internal\n",
    )
    .unwrap();
    let launched = forecast();
    // dev and staging in eu-central-1, prod in both regions.
    assert_eq!(launched["launches"]["count"], 4, "{launched:#}");
    let web = &launched["lines"][0];
    assert_eq!(web["domain"], "web");
    assert!(web["environment"].is_null());
    let items = web["launches"]["items"].as_array().unwrap();
    let monthly = |environment: &str, region: &str| {
        let item = items
            .iter()
            .find(|i| i["environment"] == environment && i["region"] == region)
            .unwrap_or_else(|| panic!("{environment} {region} in {items:#?}"));
        assert_eq!(item["name"], "quote-widget-api");
        assert_eq!(item["change"], "new");
        item["monthly"].as_f64().unwrap()
    };
    // Two tasks of 0.5 vCPU and 1 GB, 730 hours, at the committed rows:
    // eu-central-1 0.04656 and 0.00511, eu-west-1 0.04048 and 0.004445.
    assert_eq!(monthly("prod", "eu-central-1"), 41.45);
    assert_eq!(monthly("prod", "eu-west-1"), 36.04);
    // One task outside production.
    assert_eq!(monthly("dev", "eu-central-1"), 20.72);
    assert_eq!(monthly("staging", "eu-central-1"), 20.72);
    // October 15: 16 of 31 days left.
    let total: f64 = 41.45 + 36.04 + 20.72 + 20.72;
    assert_eq!(web["launches"]["next_month"], 118.93);
    let month_end = web["launches"]["month_end"].as_f64().unwrap();
    assert!(
        (month_end - total * 16.0 / 31.0).abs() < 0.03,
        "{month_end}"
    );
    let before = unchanged["lines"][0]["month_end"].as_f64().unwrap();
    let after = web["month_end"].as_f64().unwrap();
    assert!(
        (after - before - month_end).abs() < 0.006,
        "{before} {after}"
    );
    let prod = launched["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["environment"] == "prod")
        .unwrap();
    assert_eq!(prod["launches"]["next_month"], 77.49);

    let markdown = landfall(&[
        "cost",
        "report",
        "--store",
        store,
        "--spec",
        &spec,
        "--as-of",
        "2025-10-15",
        "--domain",
        "web",
    ]);
    assert!(markdown.status.success(), "{}", text(&markdown.stderr));
    let markdown = text(&markdown.stdout);
    assert!(
        markdown.contains("## Launches the spec knows about (since the spec snapshot of"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| new | prod | eu-west-1 | service `quote-widget-api` | USD 36.04 |"),
        "{markdown}"
    );
    let plain = landfall(&[
        "cost",
        "forecast",
        "--store",
        store,
        "--spec",
        &spec,
        "--as-of",
        "2025-10-15",
        "--domain",
        "web",
    ]);
    let plain = text(&plain.stdout);
    assert!(plain.contains("of which launches (4)"), "{plain}");
    assert!(
        plain.contains("new web/prod eu-west-1 service `quote-widget-api`: +36.04 a month"),
        "{plain}"
    );
}
