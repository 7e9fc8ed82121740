//! The service over HTTP, in process on loopback: what it refuses, that a
//! batch is journaled before the answer, that duplicates and re-sends are
//! one signal and at most one action, and that a restart keeps cool-downs.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use landfall_heal::journal::Journal;
use landfall_heal::server::{self, Executor, Service};
use landfall_heal::{Engine, SqliteJournal};
use landfall_testkit::services::http;

const TOKEN: &str = "test-token-0123456789";

/// Records every action it is asked to run.
#[derive(Clone, Default)]
struct Recording(Arc<Mutex<Vec<(String, String, String)>>>);

impl Executor for Recording {
    fn execute(&self, kind: &str, target: &str, id: &str) -> Result<String, String> {
        self.0
            .lock()
            .unwrap()
            .push((kind.to_owned(), target.to_owned(), id.to_owned()));
        Ok(format!("{kind} on {target}"))
    }
}

struct Running {
    port: u16,
    actions: Recording,
    journal: Arc<SqliteJournal>,
    runtime: tokio::runtime::Runtime,
}

fn start(path: &std::path::Path) -> Running {
    let journal = Arc::new(SqliteJournal::open(path).unwrap());
    let actions = Recording::default();
    let engine = Engine {
        journal: Arc::clone(&journal),
        rulebook: support::live_rulebook(),
        dry_run: false,
    };
    let service = Service::new(engine, actions.clone(), TOKEN.to_owned());
    let runtime = support::runtime();
    let port = server::start_on_loopback(&runtime, service, true).unwrap();
    Running {
        port,
        actions,
        journal,
        runtime,
    }
}

fn journal_path(name: &str) -> PathBuf {
    support::temp_dir(name).join("journal.sqlite")
}

/// A webhook body for one alert of a reference service.
fn payload(fingerprint: &str, status: &str, starts_at: &str) -> String {
    serde_json::json!({
        "receiver": "remediation", "status": status, "version": "4",
        "groupKey": "{}:{alertname=\"EcsServiceBelowDesiredCount\"}", "truncatedAlerts": 0,
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am",
        "alerts": [{
            "status": status,
            "labels": {
                "alertname": "EcsServiceBelowDesiredCount", "domain": "trading", "service": "order-gateway",
                "environment": "prod", "region": "eu-central-1", "severity": "page"
            },
            "annotations": {}, "startsAt": starts_at,
            "endsAt": if status == "firing" { "0001-01-01T00:00:00Z" } else { starts_at },
            "generatorURL": "", "fingerprint": fingerprint
        }]
    })
    .to_string()
}

fn post(port: u16, body: &str, headers: &[(&str, &str)]) -> (u16, String) {
    http("POST", port, "/alertmanager", headers, body.as_bytes()).unwrap()
}

fn authorized() -> Vec<(&'static str, &'static str)> {
    vec![
        ("Authorization", "Bearer test-token-0123456789"),
        ("Content-Type", "application/json"),
    ]
}

fn wait_until(what: &str, f: impl Fn() -> bool) {
    for _ in 0..100 {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn bad_requests_get_a_clear_4xx_and_journal_nothing() {
    let path = journal_path("bad");
    let s = start(&path);
    let good = payload("aaaa", "firing", &support::now_rfc3339(-60));
    let json = [("Content-Type", "application/json")];
    assert_eq!(post(s.port, &good, &json).0, 401, "no token");
    assert_eq!(
        post(
            s.port,
            &good,
            &[
                ("Authorization", "Bearer wrong-token-000000000"),
                ("Content-Type", "application/json")
            ]
        )
        .0,
        401
    );
    assert_eq!(
        post(
            s.port,
            &good,
            &[
                ("Authorization", "Bearer test-token-0123456789"),
                ("Content-Type", "text/plain")
            ]
        )
        .0,
        415
    );
    let (status, body) = post(s.port, "{not json", &authorized());
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("not an Alertmanager webhook payload"),
        "{body}"
    );
    let unknown_field = good.replacen("\"receiver\"", "\"surprise\": 1, \"receiver\"", 1);
    assert_eq!(post(s.port, &unknown_field, &authorized()).0, 400);
    let old_version = good.replace("\"version\":\"4\"", "\"version\":\"3\"");
    let (status, body) = post(s.port, &old_version, &authorized());
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("version `3`"), "{body}");
    let huge = format!(
        "{{\"pad\": \"{}\"}}",
        "x".repeat(server::MAX_BODY_BYTES + 10)
    );
    assert_eq!(post(s.port, &huge, &authorized()).0, 413);
    // Still up, nothing journaled.
    assert_eq!(http("GET", s.port, "/healthz", &[], b"").unwrap().0, 200);
    assert!(s.journal.undecided(10).unwrap().is_empty());
    assert!(s.journal.history(10).unwrap().is_empty());
    let (_, metrics) = http("GET", s.port, "/metrics", &[], b"").unwrap();
    // The oversized body is refused by the body limit before the handler
    // counts it; the other six are counted.
    assert!(
        metrics.contains("landfall_heal_requests_rejected_total 6"),
        "{metrics}"
    );
    drop(s.runtime);
}

#[test]
fn duplicates_and_resends_are_one_signal_and_one_action() {
    let path = journal_path("dup");
    let s = start(&path);
    let body = payload("f00d", "firing", &support::now_rfc3339(-30));
    for _ in 0..5 {
        // An HA pair and repeat intervals: the same episode over and over.
        let (status, answer) = post(s.port, &body, &authorized());
        assert_eq!(status, 200, "{answer}");
    }
    wait_until("the action", || !s.actions.0.lock().unwrap().is_empty());
    std::thread::sleep(Duration::from_millis(300));
    let actions = s.actions.0.lock().unwrap().clone();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0].0, "ecs-force-new-deployment");
    assert_eq!(actions[0].1, "service/order-gateway/prod/eu-central-1");
    let (_, metrics) = http("GET", s.port, "/metrics", &[], b"").unwrap();
    assert!(
        metrics.contains("landfall_heal_signals_total 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("landfall_heal_signals_duplicate_total 4\n"),
        "{metrics}"
    );
    // A new episode of the same alert within the cool-down: no second action.
    let (status, _) = post(
        s.port,
        &payload("f00d", "firing", &support::now_rfc3339(-5)),
        &authorized(),
    );
    assert_eq!(status, 200);
    wait_until("the decision", || s.journal.history(10).unwrap().len() == 2);
    let latest = &s.journal.history(1).unwrap()[0];
    assert_eq!(latest.outcome, "suppressed");
    assert!(latest.reason.starts_with("cool-down"), "{latest:?}");
    assert_eq!(s.actions.0.lock().unwrap().len(), 1);
    drop(s.runtime);
}

#[test]
fn a_restart_keeps_the_cool_down_and_unknown_targets_are_refused() {
    let path = journal_path("restart");
    {
        let s = start(&path);
        assert_eq!(
            post(
                s.port,
                &payload("beef", "firing", &support::now_rfc3339(-20)),
                &authorized()
            )
            .0,
            200
        );
        wait_until("the action", || s.actions.0.lock().unwrap().len() == 1);
        drop(s.runtime);
    }
    let s = start(&path);
    assert_eq!(
        post(
            s.port,
            &payload("beef", "firing", &support::now_rfc3339(-2)),
            &authorized()
        )
        .0,
        200
    );
    wait_until("the decision", || s.journal.history(10).unwrap().len() == 2);
    assert!(
        s.actions.0.lock().unwrap().is_empty(),
        "a restart reset the cool-down"
    );
    assert!(s.journal.history(1).unwrap()[0]
        .reason
        .starts_with("cool-down"));
    // A service the model does not declare.
    let unknown = payload("cafe", "firing", &support::now_rfc3339(-2))
        .replace("order-gateway", "nonexistent-svc");
    assert_eq!(post(s.port, &unknown, &authorized()).0, 200);
    wait_until("the refusal", || s.journal.history(10).unwrap().len() == 3);
    let refused = &s.journal.history(1).unwrap()[0];
    assert_eq!(refused.outcome, "refused");
    assert!(
        refused.reason.contains("no service `nonexistent-svc`"),
        "{refused:?}"
    );
    // A stale alert (firing for two hours).
    assert_eq!(
        post(
            s.port,
            &payload("dead", "firing", &support::now_rfc3339(-7_200)),
            &authorized()
        )
        .0,
        200
    );
    wait_until("the stale refusal", || {
        s.journal.history(10).unwrap().len() == 4
    });
    assert!(s.journal.history(1).unwrap()[0].reason.starts_with("stale"));
    assert!(s.actions.0.lock().unwrap().is_empty());
    drop(s.runtime);
}

#[test]
fn the_kill_switch_and_the_breaker_stop_actions() {
    let path = journal_path("switch");
    let s = start(&path);
    s.journal.set_paused("all", true).unwrap();
    assert_eq!(
        post(
            s.port,
            &payload("0001", "firing", &support::now_rfc3339(-2)),
            &authorized()
        )
        .0,
        200
    );
    wait_until("the decision", || s.journal.history(10).unwrap().len() == 1);
    assert!(s.journal.history(1).unwrap()[0]
        .reason
        .starts_with("paused"));
    assert!(s.actions.0.lock().unwrap().is_empty());
    s.journal.set_paused("all", false).unwrap();
    // Three actions without a recovery open the breaker (cool-down aside:
    // a breaker counted elsewhere is read from the journal).
    s.journal
        .set_breaker(
            "EcsServiceBelowDesiredCount",
            "service/order-gateway/prod/eu-central-1",
            3,
            false,
        )
        .unwrap();
    assert_eq!(
        post(
            s.port,
            &payload("0002", "firing", &support::now_rfc3339(-2)),
            &authorized()
        )
        .0,
        200
    );
    wait_until("the decision", || s.journal.history(10).unwrap().len() == 2);
    assert!(s.journal.history(1).unwrap()[0]
        .reason
        .starts_with("breaker open"));
    assert!(s.actions.0.lock().unwrap().is_empty());
    // A resolution does not close an open breaker: a human resets it.
    assert_eq!(
        post(
            s.port,
            &payload("0002", "resolved", &support::now_rfc3339(-2)),
            &authorized()
        )
        .0,
        200
    );
    wait_until("the recovery", || s.journal.history(10).unwrap().len() == 3);
    let recovered = &s.journal.history(1).unwrap()[0];
    assert_eq!(recovered.outcome, "recovered");
    assert!(recovered.reason.contains("stays open"), "{recovered:?}");
    drop(s.runtime);
}

/// Refuses every action, as AWS or the action's own limit would (a
/// service at its declared maximum).
#[derive(Clone, Default)]
struct Refusing(Arc<Mutex<usize>>);

impl Executor for Refusing {
    fn execute(&self, _kind: &str, _target: &str, _id: &str) -> Result<String, String> {
        *self.0.lock().unwrap() += 1;
        Err("`order-gateway` not scaled out: 12 tasks desired, the declared maximum is 12".into())
    }
}

/// A failed action leaves the problem to a human: it is journaled as
/// failed and paged through Alertmanager's v2 API (a stand-in that keeps
/// the request), once.
#[test]
fn a_failed_action_is_journaled_and_paged() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let am_port = listener.local_addr().unwrap().port();
    let received = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).unwrap();
            request.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&request).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .unwrap()
                    .parse()
                    .unwrap();
                if body.len() >= length {
                    stream
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                        .unwrap();
                    return text;
                }
            }
            assert!(n > 0, "the request ended early");
        }
    });
    let path = journal_path("failed");
    let journal = Arc::new(SqliteJournal::open(&path).unwrap());
    let refusing = Refusing::default();
    let engine = Engine {
        journal: Arc::clone(&journal),
        rulebook: support::live_rulebook(),
        dry_run: false,
    };
    let pager = landfall_heal::pager::Pager::new(&format!("http://127.0.0.1:{am_port}")).unwrap();
    let service = Service::with_pager(engine, refusing.clone(), TOKEN.to_owned(), pager);
    let runtime = support::runtime();
    let port = server::start_on_loopback(&runtime, service, true).unwrap();
    let (status, answer) = post(
        port,
        &payload("fa11", "firing", &support::now_rfc3339(-30)),
        &authorized(),
    );
    assert_eq!(status, 200, "{answer}");
    let request = received.join().unwrap();
    assert!(request.starts_with("POST /api/v2/alerts "), "{request}");
    let body: serde_json::Value =
        serde_json::from_str(request.split_once("\r\n\r\n").unwrap().1).unwrap();
    let alert = &body[0];
    assert_eq!(alert["labels"]["alertname"], "RemediationHeldBack");
    assert_eq!(alert["labels"]["reason"], "action-failed");
    assert_eq!(alert["labels"]["rule"], "EcsServiceBelowDesiredCount");
    let summary = alert["annotations"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("service/order-gateway/prod/eu-central-1")
            && summary.contains("the declared maximum is 12"),
        "{summary}"
    );
    assert_eq!(*refusing.0.lock().unwrap(), 1);
    // Journaled before the page: the decision to act, and the result.
    let decided = journal.history(10).unwrap();
    assert_eq!(decided.len(), 1, "{decided:?}");
    assert_eq!(decided[0].outcome, "act");
    assert!(journal.unfinished_actions().unwrap().is_empty());
    assert!(!journal
        .in_flight("service/order-gateway/prod/eu-central-1")
        .unwrap());
    drop(runtime);
}
