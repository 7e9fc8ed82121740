//! The remediation service's DynamoDB journal against moto server: the
//! journal contract every journal keeps (the checks SQLite passes,
//! `crates/heal/tests/support/conformance.rs`), and two instances on one
//! table fed the same signals at once.
//!
//! Each check gets a table of its own, so nothing is reset between them.
//! Skipped without a moto server (see `emulator.rs`), failed with `CI=true`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "../../heal/tests/support/conformance.rs"]
mod conformance;
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use landfall_heal::journal::{ActionRecord, DecisionRecord, Journal, Recorded, Result};
use landfall_heal::Signal;
use landfall_live::heal_journal::{create_table, DynamoJournal};
use landfall_live::{ConnectOptions, Session};
use support::endpoint_or_skip;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A DynamoDB client of moto's management account.
fn client(runtime: &tokio::runtime::Runtime, url: &str) -> aws_sdk_dynamodb::Client {
    runtime.block_on(async {
        Session::connect(ConnectOptions {
            endpoint_url: Some(url.to_owned()),
            profile: None,
            home_region: "eu-west-1".into(),
            max_attempts: 2,
        })
        .await
        .management()
        .await
        .unwrap()
        .dynamodb()
    })
}

/// A new table for one check.
fn fresh_table(
    runtime: &tokio::runtime::Runtime,
    client: &aws_sdk_dynamodb::Client,
    test: &str,
) -> String {
    static TABLES: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "heal-journal-{test}-{}-{}",
        std::process::id(),
        TABLES.fetch_add(1, Ordering::SeqCst)
    );
    runtime.block_on(create_table(client, &name)).unwrap();
    name
}

#[test]
fn dynamodb_keeps_the_journal_contract() {
    let Some(url) = endpoint_or_skip("dynamodb_keeps_the_journal_contract") else {
        return;
    };
    let runtime = runtime();
    let client = client(&runtime, &url);
    conformance::all(&|| {
        let table = fresh_table(&runtime, &client, "contract");
        Arc::new(DynamoJournal::new(
            runtime.handle().clone(),
            client.clone(),
            &table,
        )) as Arc<dyn Journal>
    });
}

/// Two instances, each with its own client, on one table: each of 200
/// signals (each sent to both) decided once, each target acted on once.
#[test]
fn two_instances_on_one_dynamodb_table_decide_each_signal_once() {
    let Some(url) = endpoint_or_skip("two_instances_on_one_dynamodb_table_decide_each_signal_once")
    else {
        return;
    };
    let runtime = runtime();
    let first = client(&runtime, &url);
    let table = fresh_table(&runtime, &first, "pair");
    let second = client(&runtime, &url);
    let lock = Arc::new(Mutex::new(()));
    let journal = |client: aws_sdk_dynamodb::Client| {
        Arc::new(OneCallAtATime {
            inner: DynamoJournal::new(runtime.handle().clone(), client, &table),
            lock: Arc::clone(&lock),
        }) as Arc<dyn Journal>
    };
    conformance::two_instances_decide_each_signal_once([journal(first), journal(second)], 200);
}

/// The journal with its calls taken one at a time across instances: moto
/// server cannot run a transaction while other requests write the table
/// (its `TransactWriteItems` copies the whole table first and, when a
/// condition fails, puts that copy back, undoing what other requests wrote
/// meanwhile; or the copy fails with a 500). DynamoDB isolates
/// transactions; here the instances still interleave between calls, which
/// is where the races the leases and target versions settle are (a target
/// read by both before either recorded its intent).
struct OneCallAtATime {
    inner: DynamoJournal,
    lock: Arc<Mutex<()>>,
}

impl OneCallAtATime {
    fn one<T>(&self, call: impl FnOnce(&DynamoJournal) -> T) -> T {
        let _turn = self
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        call(&self.inner)
    }
}

impl Journal for OneCallAtATime {
    fn record_signals(&self, signals: &[Signal], at: u64) -> Result<usize> {
        self.one(|j| j.record_signals(signals, at))
    }
    fn undecided(&self, limit: usize) -> Result<Vec<(Signal, u64)>> {
        self.one(|j| j.undecided(limit))
    }
    fn claim_undecided(
        &self,
        limit: usize,
        instance: &str,
        until: u64,
        now: u64,
    ) -> Result<Vec<(Signal, u64)>> {
        self.one(|j| j.claim_undecided(limit, instance, until, now))
    }
    fn target_version(&self, target: &str) -> Result<u64> {
        self.one(|j| j.target_version(target))
    }
    fn record_decision(&self, d: &DecisionRecord, rule: &str, seen: u64) -> Result<Recorded> {
        self.one(|j| j.record_decision(d, rule, seen))
    }
    fn finish_action(&self, id: &str, ok: bool, result: &str, at: u64) -> Result<()> {
        self.one(|j| j.finish_action(id, ok, result, at))
    }
    fn hold_action(&self, id: &str, why: &str, at: u64) -> Result<()> {
        self.one(|j| j.hold_action(id, why, at))
    }
    fn set_member(&self, switch: &str, member: &str, open: bool) -> Result<()> {
        self.one(|j| j.set_member(switch, member, open))
    }
    fn unfinished_actions(&self) -> Result<Vec<ActionRecord>> {
        self.one(|j| j.unfinished_actions())
    }
    fn last_action(&self, rule: &str, target: &str) -> Result<Option<u64>> {
        self.one(|j| j.last_action(rule, target))
    }
    fn in_flight(&self, target: &str) -> Result<bool> {
        self.one(|j| j.in_flight(target))
    }
    fn actions_since(&self, rule: &str, since: u64) -> Result<u32> {
        self.one(|j| j.actions_since(rule, since))
    }
    fn targets_since(&self, rule: &str, since: u64) -> Result<u32> {
        self.one(|j| j.targets_since(rule, since))
    }
    fn breaker(&self, rule: &str, target: &str) -> Result<(u32, bool)> {
        self.one(|j| j.breaker(rule, target))
    }
    fn set_breaker(&self, rule: &str, target: &str, count: u32, open: bool) -> Result<()> {
        self.one(|j| j.set_breaker(rule, target, count, open))
    }
    fn transition(&self, id: &str, from: &str, to: &str) -> Result<bool> {
        self.one(|j| j.transition(id, from, to))
    }
    fn approved_actions(&self) -> Result<Vec<ActionRecord>> {
        self.one(|j| j.approved_actions())
    }
    fn set_paused(&self, switch: &str, paused: bool) -> Result<()> {
        self.one(|j| j.set_paused(switch, paused))
    }
    fn paused(&self, switch: &str) -> Result<bool> {
        self.one(|j| j.paused(switch))
    }
    fn history(&self, limit: usize) -> Result<Vec<DecisionRecord>> {
        self.one(|j| j.history(limit))
    }
}
