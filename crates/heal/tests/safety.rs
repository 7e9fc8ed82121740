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

/// A change freeze (`observability.remediation.change_freezes`) holds
/// every action in its environments while it lasts, and only there; the
/// decision says which freeze and why.
#[test]
fn a_change_freeze_holds_actions_in_its_environments_while_it_lasts() {
    let mut engine = engine();
    let from = parse_time(START).unwrap() as i64;
    engine.rulebook.freezes.push(landfall_model::ChangeFreeze {
        from,
        until: from + 3_600,
        until_text: "2026-12-06T02:00:00Z".to_owned(),
        environments: vec!["prod".to_owned()],
        reason: "year-end close".to_owned(),
    });
    let in_env = |env: &str| {
        engine
            .rulebook
            .services
            .iter()
            .find(|(_, e)| e == env)
            .cloned()
            .unwrap()
    };
    let (prod, _) = in_env("prod");
    let (staging, _) = in_env("staging");
    let now = from as u64 + 60;
    let frozen = engine
        .decide(&signal(1, &prod, "prod", Status::Firing, START), now)
        .unwrap();
    assert_eq!(frozen.outcome, Outcome::Suppressed, "{frozen:?}");
    assert_eq!(
        frozen.reason,
        "change freeze until 2026-12-06T02:00:00Z: year-end close"
    );
    assert_eq!(frozen.action_id, None, "nothing is to run");
    let elsewhere = engine
        .decide(&signal(2, &staging, "staging", Status::Firing, START), now)
        .unwrap();
    assert_eq!(elsewhere.outcome, Outcome::Act, "{elsewhere:?}");
    // Once it ends, a new episode in production is acted on.
    let later = "2026-12-06T02:00:30Z";
    let after = engine
        .decide(
            &signal(3, &prod, "prod", Status::Firing, later),
            parse_time(later).unwrap() + 10,
        )
        .unwrap();
    assert_eq!(after.outcome, Outcome::Act, "{after:?}");
}

/// An AWS Health event as EventBridge delivers it: an issue of `service`
/// in `region`, `open` or `closed`.
fn health_issue(
    id: &str,
    service: &str,
    region: &str,
    status: &str,
    time: &str,
    scope: &str,
) -> Signal {
    health_issue_named(id, "ABC", service, region, status, time, scope)
}

/// An AWS Health issue event whose event ARN ends in `name`.
fn health_issue_named(
    id: &str,
    name: &str,
    service: &str,
    region: &str,
    status: &str,
    time: &str,
    scope: &str,
) -> Signal {
    let body = serde_json::json!({
        "version": "0",
        "id": id,
        "detail-type": "AWS Health Event",
        "source": "aws.health",
        "account": "123456789012",
        "time": time,
        "region": region,
        "resources": [],
        "detail": {
            "eventArn": format!("arn:aws:health:{region}::event/{service}/AWS_{service}_OPERATIONAL_ISSUE/AWS_{service}_OPERATIONAL_ISSUE_{name}"),
            "service": service,
            "eventTypeCode": format!("AWS_{service}_OPERATIONAL_ISSUE"),
            "eventTypeCategory": "issue",
            "statusCode": status,
            "eventRegion": region,
            "eventScopeCode": scope
        }
    });
    Signal::from_event(body.to_string().as_bytes())
        .unwrap()
        .unwrap()
}

/// An open AWS Health issue of ECS in a region is systemic for every ECS
/// action there: acting on none, with a reason that pages; actions that do
/// not depend on ECS, and ECS actions in other regions, go on. The issue
/// closing lets them act again, and a restart forgets none of it.
#[test]
fn an_open_aws_health_issue_holds_the_actions_depending_on_it_until_it_closes() {
    let path = support::temp_dir("health-issue").join("journal.db");
    let journal = Arc::new(SqliteJournal::open(&path).unwrap());
    let engine = Engine {
        journal: Arc::clone(&journal),
        rulebook: support::live_rulebook(),
        dry_run: false,
    };
    let (service, env) = engine
        .rulebook
        .services
        .iter()
        .find(|(_, e)| e == "prod")
        .cloned()
        .unwrap();
    let now = parse_time(START).unwrap() + 60;
    // Neither an account's own event (some of its resources) nor an alarm
    // named like a Health event opens anything.
    let own = engine
        .decide(
            &health_issue(
                "h-0",
                "ECS",
                "eu-central-1",
                "open",
                START,
                "ACCOUNT_SPECIFIC",
            ),
            now,
        )
        .unwrap();
    assert!(!own.reason.contains("AWS Health issue open"), "{own:?}");
    let alarm = serde_json::json!({
        "version": "0", "id": "al-1", "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch", "account": "123456789012", "time": START,
        "region": "eu-central-1", "resources": [],
        "detail": {
            "alarmName": "landfall/AwsHealth:X/aws_service=ECS/health_category=issue/health_scope=PUBLIC/health_status=open",
            "state": { "value": "ALARM", "timestamp": START },
            "previousState": { "value": "OK", "timestamp": START }
        }
    });
    let forged = Signal::from_event(alarm.to_string().as_bytes())
        .unwrap()
        .unwrap();
    assert!(forged.alertname.starts_with("AwsHealth:"), "{forged:?}");
    engine.decide(&forged, now).unwrap();
    assert!(!engine
        .journal
        .paused(&landfall_heal::engine::health_switch("ECS", "eu-central-1"))
        .unwrap());
    let opened = engine
        .decide(
            &health_issue("h-1", "ECS", "eu-central-1", "open", START, "PUBLIC"),
            now,
        )
        .unwrap();
    assert!(
        opened.reason.contains("open for ECS in eu-central-1"),
        "{opened:?}"
    );
    assert_eq!(opened.action_id, None);

    // Restarted on the same journal: the issue is still open.
    drop(engine);
    let engine = Engine {
        journal: Arc::new(SqliteJournal::open(&path).unwrap()),
        rulebook: support::live_rulebook(),
        dry_run: false,
    };
    let held = engine
        .decide(&signal(1, &service, &env, Status::Firing, START), now)
        .unwrap();
    assert_eq!(held.outcome, Outcome::Suppressed, "{held:?}");
    assert_eq!(
        held.reason,
        "systemic: an AWS Health issue is open for ECS in eu-central-1; acting on none until it closes"
    );
    // The same alert in another region is not held.
    let mut other = signal(2, &service, &env, Status::Firing, START);
    other.labels.insert("region".into(), "eu-west-1".into());
    let elsewhere = engine.decide(&other, now).unwrap();
    assert_eq!(elsewhere.outcome, Outcome::Act, "{elsewhere:?}");
    // A host's disk cleanup depends on EC2 and SSM, not ECS.
    let disk = Signal {
        id: "am:disk".into(),
        alertname: "MetalHostDiskAlmostFull".into(),
        status: Status::Firing,
        labels: BTreeMap::from([
            ("alertname".into(), "MetalHostDiskAlmostFull".into()),
            ("domain".into(), "trading".into()),
            ("environment".into(), "prod".into()),
            ("host".into(), "ip-10-1-2-3".into()),
            ("region".into(), "eu-central-1".into()),
        ]),
        starts_at: START.into(),
    };
    assert_eq!(engine.decide(&disk, now).unwrap().outcome, Outcome::Act);

    let closed = engine
        .decide(
            &health_issue("h-2", "ECS", "eu-central-1", "closed", START, "PUBLIC"),
            now + 60,
        )
        .unwrap();
    assert!(closed.reason.contains("closed"), "{closed:?}");
    let again = engine
        .decide(
            &signal(3, &service, &env, Status::Firing, "2026-12-06T01:02:00Z"),
            now + 120,
        )
        .unwrap();
    assert_eq!(again.outcome, Outcome::Act, "{again:?}");
}

/// Holds back what it is told to: the re-check just before acting, as the
/// AWS executor answers it for a service being deployed.
struct Deploying {
    held_target: String,
    calls: std::sync::Mutex<Vec<String>>,
}

impl landfall_heal::server::Executor for Deploying {
    fn execute(&self, kind: &str, target: &str, _action_id: &str) -> Result<String, String> {
        self.calls.lock().unwrap().push(format!("{kind} {target}"));
        Ok("done".into())
    }

    fn hold(&self, _alert: &str, _kind: &str, target: &str) -> Option<String> {
        (target == self.held_target).then(|| {
            "`order-gateway` is being deployed: deployment ecs-svc/7 started 120 s ago and is in progress".to_owned()
        })
    }
}

/// A deploy in progress: the action decided on a service being deployed is
/// held back just before the call (no AWS call is made), journaled with
/// why, counted as held, and not counted toward the breaker, the cool-down
/// or the budget; another service's action runs.
#[test]
fn an_action_on_a_service_being_deployed_is_held_back_before_the_call() {
    use landfall_heal::server::{work_once, Service};
    let engine = engine();
    let mut services = engine
        .rulebook
        .services
        .iter()
        .filter(|(_, e)| e == "prod")
        .cloned();
    let (deploying, env) = services.next().unwrap();
    let (steady, _) = services.next().unwrap();
    let held_target = format!("service/{deploying}/{env}/eu-central-1");
    let journal = Arc::clone(&engine.journal);
    let service = Service::new(
        engine,
        Deploying {
            held_target: held_target.clone(),
            calls: std::sync::Mutex::new(Vec::new()),
        },
        "token".into(),
    );
    let starts_at = support::now_rfc3339(-30);
    journal
        .record_signals(
            &[
                signal(1, &deploying, &env, Status::Firing, &starts_at),
                signal(2, &steady, &env, Status::Firing, &starts_at),
            ],
            landfall_heal::server::now(),
        )
        .unwrap();
    assert_eq!(work_once(&service).unwrap(), 2);
    assert_eq!(
        *service.executor.calls.lock().unwrap(),
        vec![format!(
            "ecs-force-new-deployment service/{steady}/{env}/eu-central-1"
        )],
        "only the steady service is acted on"
    );
    assert_eq!(
        journal
            .breaker("EcsServiceBelowDesiredCount", &held_target)
            .unwrap(),
        (0, false),
        "a held action is no action for the breaker"
    );
    assert!(
        !journal.in_flight(&held_target).unwrap(),
        "its intent is settled"
    );
    assert_eq!(
        service
            .metrics
            .actions_held
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    // Nothing was done, so nothing paces the next one: when the deploy is
    // over and the alert fires again, the service is acted on at once
    // rather than after the rule's cool-down.
    assert_eq!(
        journal
            .last_action("EcsServiceBelowDesiredCount", &held_target)
            .unwrap(),
        None
    );
    let again = service
        .engine
        .decide(
            &signal(3, &deploying, &env, Status::Firing, &starts_at),
            landfall_heal::server::now(),
        )
        .unwrap();
    assert_eq!(again.outcome, Outcome::Act, "{again:?}");
}

/// An approved action passes the gates again when it is about to run: a
/// kill switch turned on after the approval holds it (no AWS call), and
/// one that runs counts toward the breaker like a decided one.
#[test]
fn an_approved_action_is_gated_again_and_counts_toward_the_breaker() {
    use landfall_heal::server::{work_once, Service};
    let engine = engine();
    let journal = Arc::clone(&engine.journal);
    let service = Service::new(
        engine,
        Deploying {
            held_target: String::new(),
            calls: std::sync::Mutex::new(Vec::new()),
        },
        "token".into(),
    );
    let reboot = |n: usize, host: &str| Signal {
        id: format!("am:reboot-{n}"),
        alertname: "SsmAgentDisconnected".into(),
        status: Status::Firing,
        labels: BTreeMap::from([
            ("alertname".into(), "SsmAgentDisconnected".into()),
            ("domain".into(), "trading".into()),
            ("environment".into(), "prod".into()),
            ("host".into(), host.into()),
        ]),
        starts_at: support::now_rfc3339(-30),
    };
    let now = landfall_heal::server::now();
    let first = service
        .engine
        .decide(&reboot(1, "ip-10-1-2-3"), now)
        .unwrap();
    let second = service
        .engine
        .decide(&reboot(2, "ip-10-1-2-4"), now)
        .unwrap();
    assert_eq!(first.outcome, Outcome::AwaitingApproval, "{first:?}");
    assert_eq!(second.outcome, Outcome::AwaitingApproval, "{second:?}");

    // Approved, then reboots are switched off before it runs.
    let id = first.action_id.unwrap();
    assert!(journal
        .transition(&id, "awaiting-approval", "approved")
        .unwrap());
    journal.set_paused("ec2-reboot", true).unwrap();
    work_once(&service).unwrap();
    assert!(service.executor.calls.lock().unwrap().is_empty());
    assert!(journal.approved_actions().unwrap().is_empty());
    assert!(!journal.in_flight("host/trading/prod/ip-10-1-2-3").unwrap());
    assert_eq!(
        journal
            .breaker("SsmAgentDisconnected", "host/trading/prod/ip-10-1-2-3")
            .unwrap(),
        (0, false)
    );

    // Switched on again, the other approval runs once and counts.
    journal.set_paused("ec2-reboot", false).unwrap();
    let id = second.action_id.unwrap();
    assert!(journal
        .transition(&id, "awaiting-approval", "approved")
        .unwrap());
    work_once(&service).unwrap();
    assert_eq!(
        *service.executor.calls.lock().unwrap(),
        vec!["ec2-reboot host/trading/prod/ip-10-1-2-4".to_owned()]
    );
    assert_eq!(
        journal
            .breaker("SsmAgentDisconnected", "host/trading/prod/ip-10-1-2-4")
            .unwrap(),
        (1, false)
    );
}

/// A service acting in one region (`heal serve --regions`, as each
/// region's service on ECS runs: its interface endpoints serve that region
/// only) refuses another region's target without touching its breaker or
/// cool-down, and acts on its own region's as before. A region the spec
/// does not declare is refused when the service starts.
#[test]
fn a_service_acting_in_one_region_leaves_other_regions_targets_to_theirs() {
    let mut engine = engine();
    assert!(support::live_rulebook()
        .acting_in(&["mars-north-1".to_owned()])
        .unwrap_err()
        .contains("no region `mars-north-1`"));
    engine.rulebook = engine
        .rulebook
        .acting_in(&["eu-central-1".to_owned()])
        .unwrap();
    let (service, env) = engine
        .rulebook
        .services
        .iter()
        .find(|(_, e)| e == "prod")
        .cloned()
        .unwrap();
    let now = parse_time(START).unwrap() + 60;
    let mut west = signal(1, &service, &env, Status::Firing, START);
    west.labels
        .insert("region".to_owned(), "eu-west-1".to_owned());
    let d = engine.decide(&west, now).unwrap();
    assert_eq!(d.outcome, Outcome::Refused, "{d:?}");
    assert!(
        d.reason.contains("is in eu-west-1") && d.reason.contains("acts in eu-central-1 only"),
        "{d:?}"
    );
    assert_eq!(d.action_id, None);
    // It names no target, so it counts toward none of this service's
    // windows (many of them do not make a storm here).
    assert_eq!(d.target, None);
    assert_eq!(
        engine
            .journal
            .targets_since("EcsServiceBelowDesiredCount", 0)
            .unwrap(),
        0
    );
    let target = format!("service/{service}/{env}/eu-west-1");
    assert!(d.reason.contains(&target), "{d:?}");
    assert_eq!(
        engine
            .journal
            .breaker("EcsServiceBelowDesiredCount", &target)
            .unwrap(),
        (0, false)
    );
    assert_eq!(
        engine
            .journal
            .last_action("EcsServiceBelowDesiredCount", &target)
            .unwrap(),
        None
    );
    // The same service in the service's own region is acted on.
    let d = engine
        .decide(&signal(2, &service, &env, Status::Firing, START), now)
        .unwrap();
    assert_eq!(d.outcome, Outcome::Act, "{d:?}");
    assert!(d.target.unwrap().ends_with("/eu-central-1"));
}

/// Two AWS Health issues of one service in one region overlap: the first
/// closing does not let actions run while the second is open, and the
/// first's opening delivered again after its closing reopens nothing.
#[test]
fn overlapping_aws_health_issues_hold_until_the_last_one_closes() {
    let engine = engine();
    let (service, env) = engine
        .rulebook
        .services
        .iter()
        .find(|(_, e)| e == "prod")
        .cloned()
        .unwrap();
    let now = parse_time(START).unwrap() + 60;
    let health = |id: &str, name: &str, status: &str| {
        health_issue_named(id, name, "ECS", "eu-central-1", status, START, "PUBLIC")
    };
    let mut n = 0;
    let mut act = |engine: &Engine<SqliteJournal>| {
        n += 1;
        let starts = format!("2026-12-06T01:0{n}:00Z");
        engine
            .decide(
                &signal(100 + n, &service, &env, Status::Firing, &starts),
                now + 600,
            )
            .unwrap()
    };
    engine.decide(&health("h-1", "ONE", "open"), now).unwrap();
    engine.decide(&health("h-2", "TWO", "open"), now).unwrap();
    let closed = engine.decide(&health("h-3", "ONE", "closed"), now).unwrap();
    assert!(
        closed.reason.contains("another is still open"),
        "{closed:?}"
    );
    let held = act(&engine);
    assert_eq!(held.outcome, Outcome::Suppressed, "{held:?}");
    assert!(
        held.reason.starts_with("systemic: an AWS Health issue"),
        "{held:?}"
    );
    engine.decide(&health("h-4", "ONE", "open"), now).unwrap();
    engine.decide(&health("h-5", "TWO", "closed"), now).unwrap();
    let acted = act(&engine);
    assert_eq!(acted.outcome, Outcome::Act, "{acted:?}");
}
