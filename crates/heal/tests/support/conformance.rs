//! What every `Journal` must do, checked the same way on each
//! implementation: SQLite here (`journal_conformance.rs`), DynamoDB against
//! moto in `crates/live/tests/emulator_heal_journal.rs`, which includes
//! this file.
//!
//! Each check gets a fresh, empty journal from `fresh`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use landfall_heal::journal::{DecisionRecord, Journal, Recorded};
use landfall_heal::server::{self, Executor, Service};
use landfall_heal::signal::Status;
use landfall_heal::{Engine, Rulebook, Signal};

pub type Fresh<'a> = &'a dyn Fn() -> Arc<dyn Journal>;

pub fn signal(id: &str) -> Signal {
    Signal {
        id: id.to_owned(),
        alertname: "EcsServiceBelowDesiredCount".to_owned(),
        status: Status::Firing,
        labels: BTreeMap::from([("service".to_owned(), id.to_owned())]),
        starts_at: "2026-12-06T01:00:00Z".to_owned(),
    }
}

fn decision(signal: &str, target: Option<&str>, outcome: &str, at: u64) -> DecisionRecord {
    let acts = matches!(outcome, "act" | "dry-run" | "awaiting-approval");
    DecisionRecord {
        signal_id: signal.to_owned(),
        alert: "A".to_owned(),
        target: target.map(str::to_owned),
        outcome: outcome.to_owned(),
        reason: format!("{outcome} for the test"),
        action_id: acts.then(|| format!("action-{signal}")),
        action_kind: acts.then(|| "ecs-force-new-deployment".to_owned()),
        at,
    }
}

fn ids(signals: &[(Signal, u64)]) -> Vec<&str> {
    signals.iter().map(|(s, _)| s.id.as_str()).collect()
}

/// Every check, each on a fresh journal.
pub fn all(fresh: Fresh<'_>) {
    signals_are_recorded_once_and_undecided_oldest_first(&*fresh());
    leases_keep_other_instances_off_until_they_end(&*fresh());
    a_signal_is_decided_once(&*fresh());
    an_action_on_a_target_whose_version_moved_is_not_recorded(&*fresh());
    actions_from_intent_to_result(&*fresh());
    a_held_action_gives_the_cool_down_and_budget_back(&*fresh());
    approval_and_what_counts_toward_the_limits(&*fresh());
    windows_count_actions_and_targets_since(&*fresh());
    breakers_and_switches(&*fresh());
    a_switch_is_on_while_any_member_is_open(&*fresh());
    a_human_resets_an_open_breaker_on_the_record(&*fresh());
    history_is_newest_first_and_limited(&*fresh());
}

pub fn signals_are_recorded_once_and_undecided_oldest_first(j: &dyn Journal) {
    assert_eq!(
        j.record_signals(&[signal("b"), signal("c")], 20).unwrap(),
        2
    );
    assert_eq!(j.record_signals(&[signal("a")], 10).unwrap(), 1);
    // A re-send (and a duplicate inside one batch) is recorded once.
    assert_eq!(
        j.record_signals(&[signal("a"), signal("d"), signal("d")], 30)
            .unwrap(),
        1
    );
    let undecided = j.undecided(10).unwrap();
    assert_eq!(ids(&undecided)[..2], ["a", "b"]);
    assert_eq!(undecided.len(), 4);
    assert_eq!(undecided[0].1, 10);
    assert_eq!(undecided[3], (signal("d"), 30));
    assert_eq!(j.undecided(1).unwrap().len(), 1);
}

pub fn leases_keep_other_instances_off_until_they_end(j: &dyn Journal) {
    j.record_signals(&[signal("a"), signal("b"), signal("c")], 10)
        .unwrap();
    let first = j.claim_undecided(2, "one", 160, 100).unwrap();
    assert_eq!(ids(&first), ["a", "b"]);
    // The other instance gets only what nobody holds.
    assert_eq!(ids(&j.claim_undecided(10, "two", 160, 100).unwrap()), ["c"]);
    assert!(j.claim_undecided(10, "three", 160, 150).unwrap().is_empty());
    // The holder may claim again (a second pass before deciding all).
    assert_eq!(
        ids(&j.claim_undecided(10, "one", 170, 150).unwrap()),
        ["a", "b"]
    );
    // A decided signal is nobody's any more.
    assert_eq!(
        j.record_decision(&decision("a", None, "refused", 150), "A", 0)
            .unwrap(),
        Recorded::Yes
    );
    // After the leases end (an instance died), another takes them over.
    assert_eq!(
        ids(&j.claim_undecided(10, "three", 300, 200).unwrap()),
        ["b", "c"]
    );
}

pub fn a_signal_is_decided_once(j: &dyn Journal) {
    j.record_signals(&[signal("a"), signal("b")], 10).unwrap();
    let d = decision("a", Some("service/a"), "suppressed", 100);
    assert_eq!(j.record_decision(&d, "A", 0).unwrap(), Recorded::Yes);
    let again = decision("a", Some("service/a"), "act", 101);
    assert_eq!(
        j.record_decision(&again, "A", 0).unwrap(),
        Recorded::AlreadyDecided
    );
    // Nothing of the second decision was written.
    assert!(!j.in_flight("service/a").unwrap());
    assert_eq!(j.history(10).unwrap(), vec![d]);
    assert_eq!(ids(&j.undecided(10).unwrap()), ["b"]);
}

pub fn an_action_on_a_target_whose_version_moved_is_not_recorded(j: &dyn Journal) {
    j.record_signals(&[signal("a"), signal("b"), signal("c")], 10)
        .unwrap();
    let target = "service/t";
    assert_eq!(j.target_version(target).unwrap(), 0);
    let seen = j.target_version(target).unwrap();
    assert_eq!(
        j.record_decision(&decision("a", Some(target), "act", 100), "A", seen)
            .unwrap(),
        Recorded::Yes
    );
    let moved = j.target_version(target).unwrap();
    assert_ne!(moved, seen);
    // A decision about the target evaluated before that intent.
    assert_eq!(
        j.record_decision(&decision("b", Some(target), "act", 100), "A", seen)
            .unwrap(),
        Recorded::TargetChanged
    );
    assert_eq!(j.unfinished_actions().unwrap().len(), 1);
    assert_eq!(ids(&j.undecided(10).unwrap()), ["b", "c"]);
    // Evaluated again it sees the intent; a decision without an action
    // does not depend on the version.
    assert_eq!(
        j.record_decision(&decision("b", Some(target), "suppressed", 100), "A", seen)
            .unwrap(),
        Recorded::Yes
    );
    assert_eq!(j.target_version(target).unwrap(), moved);
    // Other targets have their own versions.
    assert_eq!(
        j.record_decision(&decision("c", Some("service/u"), "act", 100), "A", 0)
            .unwrap(),
        Recorded::Yes
    );
}

pub fn actions_from_intent_to_result(j: &dyn Journal) {
    j.record_signals(&[signal("a"), signal("b")], 10).unwrap();
    assert_eq!(j.last_action("A", "service/a").unwrap(), None);
    j.record_decision(&decision("a", Some("service/a"), "act", 100), "A", 0)
        .unwrap();
    let unfinished = j.unfinished_actions().unwrap();
    assert_eq!(unfinished.len(), 1);
    let action = &unfinished[0];
    assert_eq!(
        (
            action.id.as_str(),
            action.rule.as_str(),
            action.target.as_str(),
            action.kind.as_str(),
            action.state.as_str(),
            action.result.as_deref(),
            action.started_at
        ),
        (
            "action-a",
            "A",
            "service/a",
            "ecs-force-new-deployment",
            "intent",
            None,
            100
        )
    );
    assert!(j.in_flight("service/a").unwrap());
    assert!(!j.in_flight("service/b").unwrap());
    assert_eq!(j.last_action("A", "service/a").unwrap(), Some(100));
    assert_eq!(j.last_action("B", "service/a").unwrap(), None);
    j.finish_action("action-a", true, "deployment ecs-svc/1", 130)
        .unwrap();
    assert!(j.unfinished_actions().unwrap().is_empty());
    assert!(!j.in_flight("service/a").unwrap());
    assert_eq!(j.last_action("A", "service/a").unwrap(), Some(100));
    // A dry run paces like an action but is never in flight.
    j.record_decision(
        &decision("b", Some("service/a"), "dry-run", 200),
        "A",
        j.target_version("service/a").unwrap(),
    )
    .unwrap();
    assert_eq!(j.last_action("A", "service/a").unwrap(), Some(200));
    assert!(!j.in_flight("service/a").unwrap());
    assert!(j.unfinished_actions().unwrap().is_empty());
}

/// An action held back just before its call (a deploy in progress, the
/// condition gone) did nothing: the rule's cool-down on the target is what
/// it was before (the earlier action's time, or none), it leaves the
/// budget window, and it is no longer in flight.
pub fn a_held_action_gives_the_cool_down_and_budget_back(j: &dyn Journal) {
    j.record_signals(&[signal("a"), signal("b"), signal("c")], 10)
        .unwrap();
    j.record_decision(&decision("a", Some("service/a"), "act", 100), "A", 0)
        .unwrap();
    j.finish_action("action-a", true, "deployment ecs-svc/1", 130)
        .unwrap();
    j.record_decision(
        &decision("b", Some("service/a"), "act", 2_000),
        "A",
        j.target_version("service/a").unwrap(),
    )
    .unwrap();
    assert_eq!(j.last_action("A", "service/a").unwrap(), Some(2_000));
    assert_eq!(j.actions_since("A", 50).unwrap(), 2);
    j.hold_action("action-b", "held back before acting: being deployed", 2_001)
        .unwrap();
    assert_eq!(j.last_action("A", "service/a").unwrap(), Some(100));
    assert_eq!(j.actions_since("A", 50).unwrap(), 1);
    assert!(!j.in_flight("service/a").unwrap());
    assert!(j.unfinished_actions().unwrap().is_empty());
    // The only action on a target held back: as if none had been taken.
    j.record_decision(&decision("c", Some("service/c"), "act", 3_000), "A", 0)
        .unwrap();
    j.hold_action("action-c", "held back before acting: recovered", 3_001)
        .unwrap();
    assert_eq!(j.last_action("A", "service/c").unwrap(), None);
    assert_eq!(j.actions_since("A", 2_500).unwrap(), 0);
}

/// Members of a switch (AWS Health issues of one service and region):
/// on while any is open; a closed one stays closed when its opening comes
/// again; turning the switch off forgets them; a pause is independent.
pub fn a_switch_is_on_while_any_member_is_open(j: &dyn Journal) {
    let switch = "health:ECS:eu-central-1";
    assert!(!j.paused(switch).unwrap());
    j.set_member(switch, "arn:1", true).unwrap();
    j.set_member(switch, "arn:2", true).unwrap();
    j.set_member(switch, "arn:1", false).unwrap();
    assert!(j.paused(switch).unwrap(), "arn:2 is still open");
    assert!(!j.paused("health:ECS:eu-west-1").unwrap());
    j.set_member(switch, "arn:2", false).unwrap();
    assert!(!j.paused(switch).unwrap());
    // Redelivered after its closing: stays closed.
    j.set_member(switch, "arn:1", true).unwrap();
    assert!(!j.paused(switch).unwrap());
    // A human's resume forgets open members.
    j.set_member(switch, "arn:3", true).unwrap();
    assert!(j.paused(switch).unwrap());
    j.set_paused(switch, false).unwrap();
    assert!(!j.paused(switch).unwrap());
    // A pause holds whatever the members say.
    j.set_paused(switch, true).unwrap();
    j.set_member(switch, "arn:4", true).unwrap();
    j.set_member(switch, "arn:4", false).unwrap();
    assert!(j.paused(switch).unwrap());
}

pub fn approval_and_what_counts_toward_the_limits(j: &dyn Journal) {
    j.record_signals(&[signal("a"), signal("b")], 10).unwrap();
    j.record_decision(
        &decision("a", Some("host/a"), "awaiting-approval", 100),
        "A",
        0,
    )
    .unwrap();
    j.record_decision(
        &decision("b", Some("host/b"), "awaiting-approval", 110),
        "A",
        0,
    )
    .unwrap();
    // Waiting for a human is neither an action nor in flight.
    assert_eq!(j.last_action("A", "host/a").unwrap(), None);
    assert_eq!(j.actions_since("A", 0).unwrap(), 0);
    assert!(!j.in_flight("host/a").unwrap());
    assert!(j.approved_actions().unwrap().is_empty());
    assert!(!j.transition("action-a", "approved", "intent").unwrap());
    assert!(!j
        .transition("no-such-action", "awaiting-approval", "approved")
        .unwrap());

    assert!(j
        .transition("action-a", "awaiting-approval", "approved")
        .unwrap());
    assert!(j
        .transition("action-b", "awaiting-approval", "denied")
        .unwrap());
    assert!(!j
        .transition("action-b", "awaiting-approval", "approved")
        .unwrap());
    let approved = j.approved_actions().unwrap();
    assert_eq!(approved.len(), 1);
    assert_eq!(
        (approved[0].id.as_str(), approved[0].state.as_str()),
        ("action-a", "approved")
    );
    assert_eq!(j.last_action("A", "host/a").unwrap(), Some(100));
    assert_eq!(j.last_action("A", "host/b").unwrap(), None);
    assert_eq!(j.actions_since("A", 0).unwrap(), 1);

    // Starting it is a new intent on the target, once.
    let before = j.target_version("host/a").unwrap();
    assert!(j.transition("action-a", "approved", "intent").unwrap());
    assert!(!j.transition("action-a", "approved", "intent").unwrap());
    assert_ne!(j.target_version("host/a").unwrap(), before);
    assert!(j.in_flight("host/a").unwrap());
    assert!(j.approved_actions().unwrap().is_empty());
    assert_eq!(j.unfinished_actions().unwrap().len(), 1);
    j.finish_action("action-a", false, "refused by AWS", 150)
        .unwrap();
    assert!(!j.in_flight("host/a").unwrap());
    assert!(j.unfinished_actions().unwrap().is_empty());
}

pub fn windows_count_actions_and_targets_since(j: &dyn Journal) {
    let names: Vec<String> = (0..6).map(|n| format!("s{n}")).collect();
    let signals: Vec<Signal> = names.iter().map(|n| signal(n)).collect();
    j.record_signals(&signals, 10).unwrap();
    let decide = |s: &str, target: Option<&str>, outcome: &str, at: u64| {
        let version = target.map_or(0, |t| j.target_version(t).unwrap());
        assert_eq!(
            j.record_decision(&decision(s, target, outcome, at), "A", version)
                .unwrap(),
            Recorded::Yes
        );
    };
    decide("s0", Some("service/x"), "act", 100);
    decide("s1", Some("service/y"), "dry-run", 200);
    decide("s2", Some("service/y"), "suppressed", 300);
    decide("s3", Some("service/z"), "recovered", 300);
    decide("s4", None, "refused", 300);
    decide("s5", Some("service/w"), "refused", 400);
    assert_eq!(j.actions_since("A", 0).unwrap(), 2);
    assert_eq!(j.actions_since("A", 100).unwrap(), 2);
    assert_eq!(j.actions_since("A", 101).unwrap(), 1);
    assert_eq!(j.actions_since("A", 201).unwrap(), 0);
    assert_eq!(j.actions_since("B", 0).unwrap(), 0);
    // Distinct targets with a firing signal: x, y, w (a recovery and a
    // signal without a target do not count).
    assert_eq!(j.targets_since("A", 0).unwrap(), 3);
    assert_eq!(j.targets_since("A", 200).unwrap(), 2);
    assert_eq!(j.targets_since("A", 301).unwrap(), 1);
    assert_eq!(j.targets_since("B", 0).unwrap(), 0);
}

pub fn breakers_and_switches(j: &dyn Journal) {
    assert_eq!(j.breaker("A", "service/a").unwrap(), (0, false));
    j.set_breaker("A", "service/a", 2, false).unwrap();
    j.set_breaker("A", "service/b", 3, true).unwrap();
    assert_eq!(j.breaker("A", "service/a").unwrap(), (2, false));
    assert_eq!(j.breaker("A", "service/b").unwrap(), (3, true));
    assert_eq!(j.breaker("B", "service/a").unwrap(), (0, false));
    j.set_breaker("A", "service/b", 0, false).unwrap();
    assert_eq!(j.breaker("A", "service/b").unwrap(), (0, false));

    assert!(!j.paused("all").unwrap());
    j.set_paused("all", true).unwrap();
    j.set_paused("ec2-reboot", true).unwrap();
    assert!(j.paused("all").unwrap());
    assert!(j.paused("ec2-reboot").unwrap());
    assert!(!j.paused("ssm-runbook").unwrap());
    j.set_paused("all", false).unwrap();
    assert!(!j.paused("all").unwrap());
    assert!(j.paused("ec2-reboot").unwrap());
}

pub fn history_is_newest_first_and_limited(j: &dyn Journal) {
    let names: Vec<String> = (0..5).map(|n| format!("h{n}")).collect();
    let signals: Vec<Signal> = names.iter().map(|n| signal(n)).collect();
    j.record_signals(&signals, 10).unwrap();
    let mut written = Vec::new();
    for (n, name) in names.iter().enumerate() {
        // Two decisions in the same second keep the order they were taken in.
        let d = decision(name, Some("service/h"), "suppressed", 100 + (n as u64 / 2));
        j.record_decision(&d, "A", 0).unwrap();
        written.push(d);
    }
    written.reverse();
    assert_eq!(j.history(10).unwrap(), written);
    assert_eq!(j.history(2).unwrap(), written[..2]);
}

/// Counts what it is asked to do, per target.
#[derive(Default)]
pub struct Counts {
    pub by_target: Mutex<BTreeMap<String, usize>>,
    pub calls: AtomicUsize,
}

pub struct Counting(pub Arc<Counts>);

impl Executor for Counting {
    fn execute(&self, _kind: &str, target: &str, _id: &str) -> Result<String, String> {
        self.0.calls.fetch_add(1, Ordering::SeqCst);
        *self
            .0
            .by_target
            .lock()
            .unwrap()
            .entry(target.to_owned())
            .or_default() += 1;
        Ok("done".to_owned())
    }
}

/// Two instances on one journal (each with its own connection), each fed the same `count` signals (an HA
/// Alertmanager pair behind a load balancer sends each alert to both),
/// working at once until nothing is undecided: every signal is decided
/// exactly once, and each target is acted on at most once (all signals
/// fall within one cool-down).
pub fn two_instances_decide_each_signal_once(journals: [Arc<dyn Journal>; 2], count: usize) {
    let resolved = landfall_model::reference();
    let (mut rulebook, _) = Rulebook::from_model(resolved.model.as_ref().unwrap());
    for r in &mut rulebook.rules {
        r.dry_run = false;
    }
    let services: Vec<(String, String)> = rulebook.services.iter().take(4).cloned().collect();
    assert_eq!(services.len(), 4, "the reference platform has services");
    let now = server::now();
    let start = time_text(now - 30);
    let signals: Vec<Signal> = (0..count)
        .map(|n| {
            let (service, env) = &services[n % services.len()];
            Signal {
                // One episode per signal: each is new to the journal.
                id: format!("pair:{n}"),
                alertname: "EcsServiceBelowDesiredCount".to_owned(),
                status: Status::Firing,
                labels: BTreeMap::from([
                    (
                        "alertname".to_owned(),
                        "EcsServiceBelowDesiredCount".to_owned(),
                    ),
                    ("service".to_owned(), service.clone()),
                    ("environment".to_owned(), env.clone()),
                    ("region".to_owned(), "eu-central-1".to_owned()),
                ]),
                starts_at: start.clone(),
            }
        })
        .collect();
    let counts = Arc::new(Counts::default());
    let instances: Vec<_> = journals
        .iter()
        .map(|journal| {
            Service::new(
                Engine {
                    journal: Arc::clone(journal),
                    rulebook: rulebook.clone(),
                    dry_run: false,
                },
                Counting(Arc::clone(&counts)),
                "token-0123456789abcdef".to_owned(),
            )
        })
        .collect();
    let decided = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for service in &instances {
            let (signals, decided) = (&signals, &decided);
            scope.spawn(move || {
                // Both receive every signal, in batches, deciding between them.
                let mut recorded = 0;
                for batch in signals.chunks(25) {
                    recorded += service.engine.journal.record_signals(batch, now).unwrap();
                    decided.fetch_add(server::work_once(service).unwrap(), Ordering::SeqCst);
                }
                assert!(recorded <= signals.len());
                for _ in 0..50 {
                    let n = server::work_once(service).unwrap();
                    decided.fetch_add(n, Ordering::SeqCst);
                    if n == 0 && service.engine.journal.undecided(1).unwrap().is_empty() {
                        break;
                    }
                }
            });
        }
    });
    let journal = &journals[0];
    assert!(journal.undecided(1).unwrap().is_empty());
    let history = journal.history(count * 2).unwrap();
    let mut seen = BTreeSet::new();
    for d in &history {
        assert!(
            seen.insert(d.signal_id.clone()),
            "{} decided twice",
            d.signal_id
        );
    }
    assert_eq!(seen.len(), count, "every signal decided");
    let acted: Vec<&DecisionRecord> = history.iter().filter(|d| d.outcome == "act").collect();
    let mut per_target: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &acted {
        *per_target.entry(d.target.as_deref().unwrap()).or_default() += 1;
    }
    assert_eq!(per_target.len(), services.len(), "{history:#?}");
    assert!(per_target.values().all(|n| *n == 1), "{per_target:?}");
    let executed = counts.by_target.lock().unwrap().clone();
    assert_eq!(executed.len(), services.len());
    assert!(executed.values().all(|n| *n == 1), "{executed:?}");
    // The rest were held back by the in-flight or cool-down limit.
    assert!(history
        .iter()
        .filter(|d| d.outcome != "act")
        .all(|d| d.reason.starts_with("cool-down")
            || d.reason.starts_with("an action on this target")));
    let _ = decided;
}

/// RFC 3339 of Unix seconds (UTC).
pub fn time_text(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

pub fn a_human_resets_an_open_breaker_on_the_record(j: &dyn Journal) {
    use landfall_heal::journal::reset_breaker;
    // A closed breaker has nothing to reset: nothing is journaled.
    assert!(!reset_breaker(j, "A", "service/a", "alice", "looked", 100).unwrap());
    assert!(j.history(10).unwrap().is_empty());
    j.set_breaker("A", "service/a", 3, true).unwrap();
    assert!(reset_breaker(j, "A", "service/a", "alice", "bad deploy rolled back", 200).unwrap());
    assert_eq!(j.breaker("A", "service/a").unwrap(), (0, false));
    let history = j.history(10).unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    let reset = &history[0];
    assert_eq!(
        (reset.alert.as_str(), reset.outcome.as_str()),
        ("A", "reset")
    );
    assert!(reset.reason.contains("`service/a`"), "{reset:?}");
    assert!(
        reset.reason.contains("by alice: bad deploy rolled back"),
        "{reset:?}"
    );
    assert_eq!(reset.at, 200);
    // Not a signal about the target: the systemic window does not count it.
    assert_eq!(j.targets_since("A", 0).unwrap(), 0);
    // Once closed, a second reset writes nothing.
    assert!(!reset_breaker(j, "A", "service/a", "bob", "again", 300).unwrap());
    assert_eq!(j.history(10).unwrap().len(), 1);
}
