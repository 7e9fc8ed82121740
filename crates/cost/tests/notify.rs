//! `landfall cost notify` with the file sink: a crossing in either direction
//! sends, a re-run does not, `--always` does; the mail has the owner as
//! recipient and text, HTML and CSV parts; chat summaries stay within the
//! platform's limits whatever the names.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use landfall_cost::attribution::AccountMap;
use landfall_cost::date::Date;
use landfall_cost::export::discover;
use landfall_cost::notify::{
    self, chat_summary, decide, Email, FileSink, Notify, Recipients, Standing, Thresholds,
    CHAT_LIMITS,
};
use landfall_cost::report::{self, Report, ReportInput};
use landfall_cost::store::Store;

fn golden(dir: &Path) -> (Store, Report) {
    let mut map = AccountMap::new(["web", "trading"].map(String::from));
    for (account, domain, environment) in [
        ("trading-prod", "trading", "prod"),
        ("trading-dev", "trading", "dev"),
        ("web-prod", "web", "prod"),
        ("web-staging", "web", "staging"),
    ] {
        map.owned(account, domain, environment);
    }
    map.shared("shared-services");
    map.shared("networking");
    let mut store = Store::open(&dir.join("cost.sqlite")).unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exports/cur2");
    store.ingest(&discover(&from).unwrap(), &map).unwrap();
    let report = report::build(&ReportInput {
        rows: store.daily().unwrap(),
        periods: store.periods().unwrap(),
        budgets: BTreeMap::from([("web".to_string(), 58_000.0)]),
        currency: "USD".into(),
        as_of: Date::parse("2025-10-15"),
        domain: Some("web".into()),
    })
    .unwrap();
    (store, report)
}

fn recipients() -> BTreeMap<String, Recipients> {
    BTreeMap::from([(
        "web".to_string(),
        Recipients {
            emails: vec!["web-team@meridian-markets.example".into()],
            chat: Some("#web-oncall".into()),
        },
    )])
}

/// The parts of a raw mail: (content type line, decoded body), leaves first.
fn parts(raw: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for chunk in raw.split("\r\n--landfall-") {
        let Some((head, body)) = chunk.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(content_type) = head.lines().find(|l| l.starts_with("Content-Type: ")) else {
            continue;
        };
        if content_type.contains("multipart/") || !head.contains("base64") {
            continue;
        }
        let encoded: String = body.split_whitespace().collect();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .unwrap();
        out.push((
            content_type.to_string(),
            String::from_utf8(decoded).unwrap(),
        ));
    }
    out
}

fn files(dir: &Path, extension: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(extension))
        .collect();
    names.sort();
    names
}

#[test]
fn a_crossing_sends_once_in_either_direction() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, report) = golden(dir.path());
    let web = &report.domains[0];
    // web: forecast 18,265.90 against 19,593.78 last month, -6.8 %.
    assert!(web.forecast.month_end < web.last_month_full);
    let sink_dir = dir.path().join("sent");
    let mut sink = FileSink::new(&sink_dir).unwrap();
    let mut chat = FileSink::new(&dir.path().join("chat")).unwrap();
    let mut run = |percent: f64, always: bool, store: &mut Store| {
        let mut options = Notify {
            thresholds: Thresholds {
                difference_percent: percent,
                difference_amount: 1e9,
            },
            from: "finops@meridian-markets.example".into(),
            always,
            mail: &mut sink,
            chat: Some(&mut chat),
        };
        notify::notify(&report, &recipients(), store, &mut options).unwrap()
    };

    // 5 %: web falls below its threshold; never notified before, so it goes out.
    let first = run(5.0, false, &mut store);
    assert_eq!(first[0].decision.previous, Standing::Within);
    assert_eq!(first[0].decision.now, Standing::Below);
    assert!(first[0].decision.send && first[0].chat_posted, "{first:?}");
    assert_eq!(files(&sink_dir, ".eml").len(), 1);
    // The same again: already notified.
    let again = run(5.0, false, &mut store);
    assert!(!again[0].decision.send, "{again:?}");
    assert!(again[0].decision.reason.contains("already notified"));
    assert_eq!(files(&sink_dir, ".eml").len(), 1);
    // 10 %: back within, the other direction: sent.
    let back = run(10.0, false, &mut store);
    assert_eq!(
        (
            back[0].decision.previous,
            back[0].decision.now,
            back[0].decision.send
        ),
        (Standing::Below, Standing::Within, true)
    );
    assert_eq!(files(&sink_dir, ".eml").len(), 2);
    // Nothing new, but asked for.
    assert!(!run(10.0, false, &mut store)[0].decision.send);
    assert!(run(10.0, true, &mut store)[0].decision.send);
    assert_eq!(files(&sink_dir, ".eml").len(), 3);
    assert_eq!(files(&dir.path().join("chat"), ".chat.json").len(), 3);

    // The first mail: to the owner, text + HTML + CSV.
    let first_mail = std::fs::read_to_string(sink_dir.join(&files(&sink_dir, ".eml")[0])).unwrap();
    assert!(first_mail.contains("\r\nTo: web-team@meridian-markets.example\r\n"));
    assert!(first_mail.starts_with("From: finops@meridian-markets.example\r\n"));
    assert!(first_mail.contains("Content-Type: multipart/mixed; boundary="));
    let parts = parts(&first_mail);
    let kinds: Vec<&str> = parts.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Type: text/html; charset=UTF-8",
            "Content-Type: text/csv; charset=UTF-8; name=\"web-2025-10-contributions.csv\""
        ]
    );
    assert!(parts[0]
        .1
        .contains("the forecast went from within to below the thresholds"));
    assert!(parts[0]
        .1
        .contains("# Spend of web — 2025-10 (as of 2025-10-15)"));
    assert!(parts[1].1.contains("<svg") && parts[1].1.starts_with("<!DOCTYPE html>"));
    let csv = &parts[2].1;
    assert!(csv.starts_with("comparison,contributor,change,before,after,difference\n"));
    // The CSV's rows by service add up to the difference.
    let by_service: f64 = csv
        .lines()
        .filter(|l| l.starts_with("vs last month by service,"))
        .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert!((by_service - web.vs_last_month_by_service.difference).abs() < 0.005);
}

#[test]
fn decisions_follow_the_standing() {
    let never = decide("d", None, Standing::Within, false);
    assert!(!never.send && never.reason == "within the thresholds: nothing to report");
    assert!(decide("d", None, Standing::Above, false).send);
    assert!(decide("d", Some(Standing::Above), Standing::Below, false).send);
    assert!(!decide("d", Some(Standing::Below), Standing::Below, false).send);
    assert!(decide("d", Some(Standing::Below), Standing::Below, true).send);
}

#[test]
fn bad_addresses_are_refused() {
    let mail = |to: &str| Email {
        from: "finops@example.com".into(),
        to: vec![to.into()],
        subject: "s".into(),
        text: "t".into(),
        html: "h".into(),
        attachments: vec![],
    };
    assert!(mail("owner@example.com").mime().is_ok());
    for bad in [
        "owner@example.com\r\nBcc: x@y.z",
        "two words@example.com",
        "no-at-sign",
        "a@b@c",
    ] {
        let error = mail(bad).mime().unwrap_err();
        assert!(error.contains("is not a mail address"), "{error}");
    }
    // Many recipients: one a line, each line within SES's 1,000 characters.
    let mut many = mail("x@y.z");
    many.to = (0..200).map(|i| format!("owner{i}@example.com")).collect();
    let raw = many.mime().unwrap();
    assert!(raw.split("\r\n").all(|l| l.len() <= notify::SES_MAX_LINE));
    assert!(raw.contains("owner0@example.com,\r\n owner1@example.com"));
    // A subject too long for one line is refused, not sent broken.
    let mut long = mail("x@y.z");
    long.subject = "s".repeat(2_000);
    assert!(long.mime().unwrap_err().contains("over SES's 1000"));
    let mut none = mail("x@y.z");
    none.to.clear();
    assert!(none.mime().is_err());
}

#[test]
fn chat_summaries_stay_within_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut report) = golden(dir.path());
    let long = "x".repeat(5_000);
    report.domains[0].domain = format!("web{long}");
    for c in &mut report.domains[0].vs_last_month_by_service.contributions {
        c.name = format!("{}{long}", c.name);
    }
    let decision = decide("web", None, Standing::Above, false);
    let emails: Vec<String> = (0..500).map(|i| format!("owner{i}@example.com")).collect();
    let message = chat_summary(
        &report,
        &report.domains[0],
        Some("#web-oncall"),
        &decision,
        &emails,
    );
    let blocks = message["blocks"].as_array().unwrap();
    assert!(blocks.len() <= CHAT_LIMITS.blocks);
    let header = blocks[0]["text"]["text"].as_str().unwrap();
    assert!(
        header.chars().count() <= CHAT_LIMITS.header_text,
        "{}",
        header.len()
    );
    for block in &blocks[1..] {
        let text = block["text"]["text"]
            .as_str()
            .or_else(|| block["elements"][0]["text"].as_str())
            .unwrap();
        assert!(text.chars().count() <= CHAT_LIMITS.section_text);
    }
    assert!(message["text"].as_str().unwrap().chars().count() <= CHAT_LIMITS.section_text);
    assert_eq!(message["channel"], "#web-oncall");
}
