//! `landfall cost notify` through SES v2 against moto server: the golden
//! CUR 2.0 export's report for `web` goes out as one raw mail, and moto's
//! captured copy (`/moto-api/data.json`, `ses.RawMessage`) has the sender,
//! the owner as recipient, and the text, HTML and CSV parts.
//!
//! SES v2 `SendEmail` takes attachments as raw MIME content:
//! https://docs.aws.amazon.com/ses/latest/dg/send-email-raw.html
//! and sends only from a verified identity:
//! https://docs.aws.amazon.com/ses/latest/dg/creating-identities.html
//!
//! Skipped without a moto server (see `emulator.rs`), failed with `CI=true`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;

use landfall_cost::attribution::AccountMap;
use landfall_cost::date::Date;
use landfall_cost::export::discover;
use landfall_cost::notify::{self, Notify, Recipients, Thresholds};
use landfall_cost::report::{self, ReportInput};
use landfall_cost::store::Store;
use landfall_live::mail::SesMail;
use landfall_live::ConnectOptions;
use support::{endpoint_or_skip, host_port, workspace_root};

/// `GET path` on moto, the body as JSON.
fn moto_json(url: &str, path: &str) -> serde_json::Value {
    let (host, port) = host_port(url).unwrap();
    let mut stream = TcpStream::connect((host.as_str(), port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.contains(" 200 "), "{head}");
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let size = usize::from_str_radix(size.trim(), 16).unwrap();
            if size == 0 {
                break;
            }
            out.push_str(&after[..size]);
            rest = &after[size + 2..];
        }
        out
    } else {
        body.to_string()
    };
    serde_json::from_str(&body).unwrap()
}

#[test]
fn the_report_is_mailed_through_ses_with_its_parts() {
    let Some(url) = endpoint_or_skip("the_report_is_mailed_through_ses") else {
        return;
    };
    let dir = tempfile_dir();
    let mut map = AccountMap::new(["web"].map(String::from));
    map.owned("web-prod", "web", "prod");
    map.owned("web-staging", "web", "staging");
    map.shared("shared-services");
    map.shared("networking");
    let mut store = Store::open(&dir.join("cost.sqlite")).unwrap();
    let export = workspace_root().join("crates/cost/tests/fixtures/exports/cur2");
    store.ingest(&discover(&export).unwrap(), &map).unwrap();
    let report = report::build(&ReportInput {
        rows: store.daily().unwrap(),
        periods: store.periods().unwrap(),
        currency: "USD".into(),
        as_of: Date::parse("2025-10-15"),
        domain: Some("web".into()),
        ..ReportInput::default()
    })
    .unwrap();

    // A sender (and its domain) unique to this run: earlier runs, and
    // identities verified before, do not count.
    let from = format!(
        "finops@billing-{}.meridian-markets.example",
        std::process::id()
    );
    let owner = "web-team@meridian-markets.example".to_string();
    let mut ses = SesMail::connect(ConnectOptions {
        endpoint_url: Some(url.clone()),
        home_region: "us-east-1".into(),
        ..ConnectOptions::default()
    })
    .unwrap();
    // Unverified: SES refuses the mail, and nothing is recorded as notified.
    let mut options = Notify {
        thresholds: Thresholds {
            difference_percent: 5.0,
            difference_amount: 1e9,
        },
        from: from.clone(),
        always: false,
        mail: &mut ses,
        chat: None,
    };
    let recipients = BTreeMap::from([(
        "web".to_string(),
        Recipients {
            emails: vec![owner.clone()],
            chat: None,
        },
    )]);
    let refused = notify::notify(&report, &recipients, &mut store, &mut options).unwrap_err();
    assert!(refused.contains("SES SendEmail"), "{refused}");
    assert_eq!(store.last_notified("web").unwrap(), None);

    let client = ses.client().clone();
    ses.block_on(client.create_email_identity().email_identity(&from).send())
        .unwrap();
    let mut options = Notify {
        thresholds: Thresholds {
            difference_percent: 5.0,
            difference_amount: 1e9,
        },
        from: from.clone(),
        always: false,
        mail: &mut ses,
        chat: None,
    };
    let sent = notify::notify(&report, &recipients, &mut store, &mut options).unwrap();
    let id = sent[0].message_id.clone().expect("sent");
    assert!(!id.is_empty());
    assert_eq!(
        store.last_notified("web").unwrap().as_deref(),
        Some("below")
    );
    // A re-run sends nothing.
    let again = notify::notify(&report, &recipients, &mut store, &mut options).unwrap();
    assert_eq!(again[0].message_id, None);

    let data = moto_json(&url, "/moto-api/data.json");
    let mails: Vec<&serde_json::Value> = data["ses"]["RawMessage"]
        .as_array()
        .expect("moto keeps raw messages")
        .iter()
        .filter(|m| m["source"] == from.as_str())
        .collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = mails[0];
    assert_eq!(mail["id"], id.as_str());
    let destinations: Vec<&str> = mail["destinations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(destinations.contains(&owner.as_str()), "{destinations:?}");
    let raw = mail["raw_data"].as_str().unwrap();
    for header in [
        format!("From: {from}\r\n"),
        format!("To: {owner}\r\n"),
        "Content-Type: multipart/mixed;".to_string(),
        "Content-Type: multipart/alternative;".to_string(),
        "Content-Type: text/plain; charset=UTF-8".to_string(),
        "Content-Type: text/html; charset=UTF-8".to_string(),
        "Content-Disposition: attachment; filename=\"web-2025-10-contributions.csv\"".to_string(),
    ] {
        assert!(raw.contains(&header), "`{header}` not in\n{raw}");
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("landfall-mail-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
