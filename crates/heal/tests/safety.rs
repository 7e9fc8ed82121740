//! The safety limits under the failure modes that make remediation worse
//! than none: a storm across many services, a flapping alert.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use landfall_heal::engine::parse_time;
use landfall_heal::journal::Journal;
use landfall_heal::signal::Status;
use landfall_heal::{Engine, Outcome, Signal, SqliteJournal};

const START: &str = "2026-12-06T01:00:00Z";

fn engine() -> Engine<SqliteJournal> {
    Engine {
        journal: Arc::new(SqliteJournal::in_memory().unwrap()),
        rulebook: support::live_rulebook(),
        dry_run: false,
    }
}

fn signal(n: usize, service: &str, env: &str, status: Status, starts_at: &str) -> Signal {
    let labels = BTreeMap::from([
        (
            "alertname".to_owned(),
            "EcsServiceBelowDesiredCount".to_owned(),
        ),
        ("service".to_owned(), service.to_owned()),
        ("environment".to_owned(), env.to_owned()),
        ("region".to_owned(), "eu-central-1".to_owned()),
    ]);
    Signal {
        id: format!("am:{n:x}:{starts_at}:{status:?}"),
        alertname: "EcsServiceBelowDesiredCount".to_owned(),
        status,
        labels,
        starts_at: starts_at.to_owned(),
    }
}

/// Three hundred alerts from thirty services within a minute (a bad
/// deploy of a shared dependency, an AZ going away): a systemic problem.
/// At most `systemic_targets - 1` targets are acted on before the rule
/// stops acting; every signal is decided and journaled.
#[test]
fn a_storm_across_many_services_is_systemic_and_acts_on_few() {
    let engine = engine();
    let rule = engine
        .rulebook
        .rule("EcsServiceBelowDesiredCount")
        .unwrap()
        .clone();
    let services: Vec<(String, String)> = engine
        .rulebook
        .services
        .iter()
        .filter(|(_, env)| env == "prod")
        .take(30)
        .cloned()
        .collect();
    assert_eq!(services.len(), 30);
    let start = parse_time(START).unwrap();
    let mut outcomes: BTreeMap<&'static str, usize> = BTreeMap::new();
    for n in 0..300 {
        let (service, env) = &services[n % 30];
        let now = start + (n as u64 * 60) / 300;
        let d = engine
            .decide(&signal(n, service, env, Status::Firing, START), now)
            .unwrap();
        *outcomes.entry(d.outcome.as_str()).or_default() += 1;
        if d.outcome == Outcome::Suppressed {
            assert!(
                d.reason.starts_with("systemic")
                    || d.reason.starts_with("cool-down")
                    || d.reason.starts_with("an action"),
                "{d:?}"
            );
        }
    }
    let acted = outcomes.get("act").copied().unwrap_or(0);
    assert!(
        acted >= 1 && acted < rule.systemic_targets as usize,
        "{outcomes:?}"
    );
    assert_eq!(outcomes.values().sum::<usize>(), 300);
    assert_eq!(engine.journal.history(1_000).unwrap().len(), 300);
    assert!(engine.journal.history(1).unwrap()[0]
        .reason
        .starts_with("systemic"));
}

/// An alert that fires and resolves every two minutes for twenty: each
/// resolution is a verified recovery (the breaker stays closed), and the
/// cool-down paces the actions: one at the start, the next only once the
/// cool-down has passed.
#[test]
fn a_flapping_alert_acts_once_per_cool_down() {
    let engine = engine();
    let rule = engine
        .rulebook
        .rule("EcsServiceBelowDesiredCount")
        .unwrap()
        .clone();
    let (service, env) = engine
        .rulebook
        .services
        .iter()
        .find(|(_, e)| e == "prod")
        .cloned()
        .unwrap();
    let base = parse_time(START).unwrap();
    let mut acted = Vec::new();
    for episode in 0..10u64 {
        let starts = base + episode * 120;
        let starts_at = format!("2026-12-06T01:{:02}:00Z", episode * 2);
        assert_eq!(parse_time(&starts_at), Some(starts));
        let fire = engine
            .decide(
                &signal(7, &service, &env, Status::Firing, &starts_at),
                starts + 30,
            )
            .unwrap();
        if fire.outcome == Outcome::Act {
            acted.push(starts + 30);
            // The action completes.
            engine
                .journal
                .finish_action(fire.action_id.as_deref().unwrap(), true, "ok", starts + 31)
                .unwrap();
        } else {
            assert!(fire.reason.starts_with("cool-down"), "{fire:?}");
        }
        let resolve = engine
            .decide(
                &signal(7, &service, &env, Status::Resolved, &starts_at),
                starts + 60,
            )
            .unwrap();
        assert_eq!(resolve.outcome, Outcome::Recovered);
    }
    assert_eq!(acted.len(), 2, "{acted:?}");
    assert!(acted[1] - acted[0] >= rule.cooldown_seconds, "{acted:?}");
    assert!(
        acted[1] - acted[0] < rule.cooldown_seconds + 120,
        "acts again as soon as it may"
    );
    let target = format!("service/{service}/{env}/eu-central-1");
    assert_eq!(
        engine.journal.breaker(&rule.alert, &target).unwrap(),
        (0, false)
    );
}

/// Reads back what AWS says, as an executor would after a crash.
struct ReadsBack;

impl landfall_heal::server::Executor for ReadsBack {
    fn execute(&self, _kind: &str, _target: &str, _action_id: &str) -> Result<String, String> {
        panic!("reconciliation never runs an action again")
    }

    fn reconcile(
        &self,
        kind: &str,
        _target: &str,
        _action_id: &str,
        started_at: u64,
    ) -> landfall_heal::server::Reconciled {
        use landfall_heal::server::Reconciled;
        assert_eq!(started_at, 1_000, "the intent's time is handed over");
        match kind {
            "ecs-force-new-deployment" => Reconciled::Done("deployment ecs-svc/1".into()),
            "ssm-runbook" => Reconciled::NotDone("no command of this action".into()),
            _ => Reconciled::Unknown("a reboot leaves no record".into()),
        }
    }
}

/// A crash between an action's intent and its result: on the next start
/// each intent is settled from what AWS says, never by running it again;
/// what AWS cannot tell keeps its target blocked.
#[test]
fn intents_left_by_a_crash_are_read_back_not_run_again() {
    let dir = support::temp_dir("reconcile");
    let journal = SqliteJournal::open(&dir.join("journal.sqlite")).unwrap();
    for (n, (kind, target)) in [
        (
            "ecs-force-new-deployment",
            "service/order-gateway/prod/eu-central-1",
        ),
        ("ssm-runbook", "host/trading/prod/ip-10-1-2-3"),
        ("ec2-reboot", "host/trading/prod/ip-10-1-2-4"),
    ]
    .iter()
    .enumerate()
    {
        let decision = landfall_heal::journal::DecisionRecord {
            signal_id: format!("s{n}"),
            alert: "A".into(),
            target: Some((*target).into()),
            outcome: "act".into(),
            reason: "test".into(),
            action_id: Some(format!("a{n}")),
            action_kind: Some((*kind).into()),
            at: 1_000,
        };
        assert_eq!(
            journal.record_decision(&decision, "A", 0).unwrap(),
            landfall_heal::journal::Recorded::Yes
        );
    }
    assert_eq!(journal.unfinished_actions().unwrap().len(), 3);
    let left = landfall_heal::server::reconcile(&journal, &ReadsBack, 2_000).unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        left[0].contains("a2") && left[0].contains("waits for a human"),
        "{left:?}"
    );
    let unfinished = journal.unfinished_actions().unwrap();
    assert_eq!(unfinished.len(), 1);
    assert_eq!(unfinished[0].kind, "ec2-reboot");
    assert!(journal.in_flight("host/trading/prod/ip-10-1-2-4").unwrap());
    assert!(!journal
        .in_flight("service/order-gateway/prod/eu-central-1")
        .unwrap());
    assert!(!journal.in_flight("host/trading/prod/ip-10-1-2-3").unwrap());
}
