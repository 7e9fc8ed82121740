//! The remediation service's journal on DynamoDB, for instances running
//! active/active behind a load balancer and the event queue: every
//! uniqueness and every race between instances is settled by a DynamoDB
//! condition, so there is no leader.
//!
//! One table (the alerting layer's `landfall-heal-journal`), string keys
//! `pk` and `sk`, one global secondary index `gsi1` (`gsi1pk`, `gsi1sk`,
//! all attributes projected), TTL on `expires_at`:
//!
//! | item | `pk` | `sk` | attributes | `gsi1pk` / `gsi1sk` |
//! |---|---|---|---|---|
//! | signal | `SIGNAL#<id>` | `SIGNAL` | `alert`, `status`, `labels` (JSON), `starts_at`, `received_at`, `expires_at`, while undecided the lease (`lease_owner`, `lease_until`), once decided the decision (`outcome`, `reason`, `target`, `action_id`, `action_kind`, `decided_at`) | `UNDECIDED` / `<received_at>#<id>`, then `DECIDED` / `<decided_at>#<nanos>#<id>` |
//! | action | `ACTION#<id>` | `ACTION` | `rule`, `target`, `kind`, `state`, `started_at`, `result`, `finished_at` | `ACTIONS#<state>` / `<started_at>#<id>` while `intent`, `approved` or `awaiting-approval` |
//! | target | `TARGET#<target>` | `TARGET` | `version` (moves on with every action recorded), `in_flight` (string set of action ids) | |
//! | cool-down | `TARGET#<target>` | `LAST#<rule>` | `at`: the rule's last action on the target; `action`: its id; `prev_at`: the one before (restored when the action is held back) | |
//! | breaker | `TARGET#<target>` | `BREAKER#<rule>` | `count`, `open` | |
//! | rule window | `RULE#<rule>` | `ACT#<at>#<action>` or `SIG#<at>#<signal>` | `target`, `expires_at` (a day) | |
//! | kill switch | `SWITCH#<name>` | `SWITCH` | `paused`, `open` and `closed` (string sets: its members) | |
//!
//! Times in keys are 12-digit Unix seconds, so keys sort as times.
//!
//! - A signal is recorded with `attribute_not_exists(pk)`: a re-send, a
//!   retry, the other Alertmanager of a pair or the other instance all
//!   find it there and it stays one.
//! - A worker leases undecided signals (a conditional update on the
//!   lease) and decides only those. The decision is one
//!   `TransactWriteItems`: the signal's decision (condition: not decided),
//!   the action, the target's version (condition: still the version read
//!   before the safety limits were evaluated), the cool-down and the rule
//!   windows. So a signal is decided once, and a second instance deciding
//!   about the same target either saw the first one's intent or has its
//!   transaction cancelled and evaluates again.
//! - Undecided signals, decisions and open actions are read from the
//!   index, which is eventually consistent: a signal may show a moment
//!   after it is recorded, and one decided a moment ago may still show
//!   (its lease's condition refuses it). Everything the safety limits read
//!   is read from the table, consistently.
//! - Signals expire after [`SIGNAL_RETENTION_SECONDS`] (the table's TTL);
//!   actions, breakers, cool-downs and switches are kept.
//!
//! The undecided signals and the decisions each share one index
//! partition, which takes about 1,000 writes a second: far more than an
//! alert path sends, and the same order as one SQLite journal.
//!
//! `Journal` is synchronous; calls run on the runtime handle given, from
//! threads outside it (the service calls its journal on blocking threads).

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ReturnValue, ScalarAttributeType,
    Select, TimeToLiveSpecification, TransactWriteItem, Update,
};
use landfall_heal::journal::{
    ActionRecord, DecisionRecord, Journal, JournalError, Recorded, Result,
};
use landfall_heal::signal::{Signal, Status};
use landfall_synth::layers::alerting::{
    HEAL_JOURNAL_INDEX, HEAL_JOURNAL_INDEX_KEYS, HEAL_JOURNAL_KEYS, HEAL_JOURNAL_TTL,
};
use tokio::runtime::Handle;

use crate::error::sdk_message;

/// How long a signal is kept (its decision with it): long past any
/// episode an alert can still be part of.
pub const SIGNAL_RETENTION_SECONDS: u64 = 90 * 86_400;
/// How long the per-rule window items are kept: the windows are minutes.
const WINDOW_RETENTION_SECONDS: u64 = 86_400;
/// Requests sent at once when a batch is written item by item.
const PARALLEL_REQUESTS: usize = 32;
/// Action states with an entry in the index (what is listed by state).
const LISTED_STATES: [&str; 3] = ["intent", "approved", "awaiting-approval"];

const PK: &str = HEAL_JOURNAL_KEYS[0];
const SK: &str = HEAL_JOURNAL_KEYS[1];
const GSI_PK: &str = HEAL_JOURNAL_INDEX_KEYS[0];
const GSI_SK: &str = HEAL_JOURNAL_INDEX_KEYS[1];

/// The journal in one DynamoDB table.
pub struct DynamoJournal {
    runtime: Handle,
    client: aws_sdk_dynamodb::Client,
    table: String,
}

type Item = HashMap<String, AttributeValue>;

fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn n(number: u64) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

fn text(item: &Item, name: &str) -> Option<String> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(ToOwned::to_owned)
}

fn number(item: &Item, name: &str) -> Option<u64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

fn error<E>(what: &str, e: &E) -> JournalError
where
    E: std::error::Error + aws_sdk_dynamodb::error::ProvideErrorMetadata + 'static,
{
    JournalError(format!("{what}: {}", sdk_message(e)))
}

fn build_error(e: impl std::fmt::Display) -> JournalError {
    JournalError(format!("cannot build a DynamoDB request: {e}"))
}

/// Counts toward cool-downs and budgets (what SQLite's `state NOT IN
/// ('awaiting-approval', 'denied')` says).
fn counts(state: &str) -> bool {
    !matches!(state, "awaiting-approval" | "denied")
}

/// A sort key that keeps decisions in the order they were taken: the
/// second, then nanoseconds made strictly increasing in this process.
fn decision_order(at: u64, signal: &str) -> String {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let prev = LAST.fetch_max(now, Ordering::SeqCst);
    let nanos = if prev >= now {
        LAST.fetch_add(1, Ordering::SeqCst) + 1
    } else {
        now
    };
    format!("{at:012}#{nanos:020}#{signal}")
}

/// Expression attribute names and values, collected as an expression is
/// written (every name through a placeholder: DynamoDB reserves hundreds
/// of words, `state` and `count` among them).
#[derive(Default)]
struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    fn n(&mut self, name: &str) -> String {
        let placeholder = format!("#{name}");
        self.names.insert(placeholder.clone(), name.to_owned());
        placeholder
    }

    fn v(&mut self, key: &str, value: AttributeValue) -> String {
        let placeholder = format!(":{key}");
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

fn signal_of(item: &Item) -> Option<(Signal, u64)> {
    let id = text(item, PK)?.strip_prefix("SIGNAL#")?.to_owned();
    Some((
        Signal {
            id,
            alertname: text(item, "alert")?,
            status: if text(item, "status").as_deref() == Some("resolved") {
                Status::Resolved
            } else {
                Status::Firing
            },
            labels: serde_json::from_str(&text(item, "labels")?).unwrap_or_default(),
            starts_at: text(item, "starts_at")?,
        },
        number(item, "received_at")?,
    ))
}

fn decision_of(item: &Item) -> Option<DecisionRecord> {
    Some(DecisionRecord {
        signal_id: text(item, PK)?.strip_prefix("SIGNAL#")?.to_owned(),
        alert: text(item, "alert")?,
        target: text(item, "target"),
        outcome: text(item, "outcome")?,
        reason: text(item, "reason")?,
        action_id: text(item, "action_id"),
        action_kind: text(item, "action_kind"),
        at: number(item, "decided_at")?,
    })
}

fn action_of(item: &Item) -> Option<ActionRecord> {
    Some(ActionRecord {
        id: text(item, "id")?,
        rule: text(item, "rule")?,
        target: text(item, "target")?,
        kind: text(item, "kind")?,
        state: text(item, "state")?,
        result: text(item, "result"),
        started_at: number(item, "started_at")?,
    })
}

/// The index entry of an action in `state`, or what removes it.
fn listing(e: &mut Expr, state: &str, started_at: u64, id: &str) -> (Vec<String>, Vec<String>) {
    let (pk, sk) = (e.n(GSI_PK), e.n(GSI_SK));
    if LISTED_STATES.contains(&state) {
        let vpk = e.v("listpk", s(format!("ACTIONS#{state}")));
        let vsk = e.v("listsk", s(format!("{started_at:012}#{id}")));
        (
            vec![format!("{pk} = {vpk}"), format!("{sk} = {vsk}")],
            vec![],
        )
    } else {
        (vec![], vec![pk, sk])
    }
}

fn update_expression(set: &[String], other: &[String], remove: &[String]) -> String {
    let mut parts = Vec::new();
    if !set.is_empty() {
        parts.push(format!("SET {}", set.join(", ")));
    }
    parts.extend(other.iter().cloned());
    if !remove.is_empty() {
        parts.push(format!("REMOVE {}", remove.join(", ")));
    }
    parts.join(" ")
}

impl DynamoJournal {
    /// The journal in `table` (a name, or a table's ARN in another
    /// account), its calls run on `runtime`.
    pub fn new(runtime: Handle, client: aws_sdk_dynamodb::Client, table: &str) -> DynamoJournal {
        DynamoJournal {
            runtime,
            client,
            table: table.to_owned(),
        }
    }

    fn update(
        &self,
        key: Item,
        expression: String,
        condition: Option<String>,
        e: &Expr,
    ) -> Result<Update> {
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .build()
            .map_err(build_error)
    }

    fn put(&self, item: Item, condition: Option<(&str, &Expr)>) -> Result<Put> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some((condition, e)) = condition {
            put = put
                .condition_expression(condition)
                .set_expression_attribute_names(e.names())
                .set_expression_attribute_values(e.values());
        }
        put.build().map_err(build_error)
    }

    /// Runs a transaction; `Ok(false)` when DynamoDB cancelled it (a
    /// condition failed, or another transaction held an item).
    async fn transact(&self, items: Vec<TransactWriteItem>, what: &str) -> Result<bool> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_transaction_canceled_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(error(what, &e)),
        }
    }

    async fn get(&self, key: Item, what: &str) -> Result<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| error(what, &e))?;
        Ok(out.item().cloned())
    }

    /// Items of one index partition in key order (newest first when
    /// `backwards`), up to `limit`, those passing `filter` only.
    async fn index(
        &self,
        partition: &str,
        backwards: bool,
        limit: usize,
        filter: Option<(&str, Expr)>,
    ) -> Result<Vec<Item>> {
        let (filter, mut e) = match filter {
            Some((text, e)) => (Some(text.to_owned()), e),
            None => (None, Expr::default()),
        };
        let condition = format!("{} = {}", e.n(GSI_PK), e.v("partition", s(partition)));
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = i32::try_from(limit.clamp(1, 1_000)).unwrap_or(1_000);
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(HEAL_JOURNAL_INDEX)
                .key_condition_expression(&condition)
                .set_filter_expression(filter.clone())
                .set_expression_attribute_names(e.names())
                .set_expression_attribute_values(e.values())
                .scan_index_forward(!backwards)
                .limit(page)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|err| error(&format!("cannot read `{partition}`"), &err))?;
            items.extend(out.items().iter().cloned());
            start = out.last_evaluated_key().cloned();
            if items.len() >= limit || start.is_none() {
                break;
            }
        }
        items.truncate(limit);
        Ok(items)
    }

    /// A consistent query of one table partition for the sort keys in
    /// `from..=to`.
    fn between(
        &self,
        pk: String,
        from: String,
        to: String,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let mut e = Expr::default();
        let condition = format!(
            "{} = {} AND {} BETWEEN {} AND {}",
            e.n(PK),
            e.v("pk", s(pk)),
            e.n(SK),
            e.v("from", s(from)),
            e.v("to", s(to))
        );
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .consistent_read(true)
    }

    /// Items of one table partition whose sort key lies in `from..=to`.
    async fn range(&self, pk: String, from: String, to: String, what: &str) -> Result<Vec<Item>> {
        let pages = self
            .between(pk, from, to)
            .into_paginator()
            .send()
            .collect::<std::result::Result<Vec<_>, _>>()
            .await
            .map_err(|err| error(what, &err))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.items().iter().cloned())
            .collect())
    }

    async fn count(&self, pk: String, from: String, to: String, what: &str) -> Result<u32> {
        let pages = self
            .between(pk, from, to)
            .select(Select::Count)
            .into_paginator()
            .send()
            .collect::<std::result::Result<Vec<_>, _>>()
            .await
            .map_err(|err| error(what, &err))?;
        Ok(pages
            .iter()
            .map(|p| u32::try_from(p.count()).unwrap_or(0))
            .sum())
    }

    /// Runs `calls` at most [`PARALLEL_REQUESTS`] at a time, in order.
    async fn parallel<T, F>(&self, calls: Vec<F>) -> Result<Vec<T>>
    where
        T: Send + 'static,
        F: std::future::Future<Output = Result<T>> + Send + 'static,
    {
        let mut out = Vec::with_capacity(calls.len());
        let mut calls = calls.into_iter();
        loop {
            let handles: Vec<_> = calls
                .by_ref()
                .take(PARALLEL_REQUESTS)
                .map(tokio::spawn)
                .collect();
            if handles.is_empty() {
                return Ok(out);
            }
            for handle in handles {
                out.push(
                    handle
                        .await
                        .map_err(|e| JournalError(format!("a DynamoDB request failed: {e}")))??,
                );
            }
        }
    }

    async fn record_decision_async(
        &self,
        d: &DecisionRecord,
        rule: &str,
        seen_version: u64,
    ) -> Result<Recorded> {
        let mut transaction = Vec::new();
        // The signal's decision, once.
        let mut e = Expr::default();
        let mut set = vec![
            format!("{} = {}", e.n("outcome"), e.v("outcome", s(&d.outcome))),
            format!("{} = {}", e.n("reason"), e.v("reason", s(&d.reason))),
            format!("{} = {}", e.n("alert"), e.v("alert", s(&d.alert))),
            format!("{} = {}", e.n("decided_at"), e.v("at", n(d.at))),
            format!("{} = {}", e.n(GSI_PK), e.v("decided", s("DECIDED"))),
            format!(
                "{} = {}",
                e.n(GSI_SK),
                e.v("order", s(decision_order(d.at, &d.signal_id)))
            ),
        ];
        for (name, value) in [
            ("target", &d.target),
            ("action_id", &d.action_id),
            ("action_kind", &d.action_kind),
        ] {
            if let Some(value) = value {
                set.push(format!("{} = {}", e.n(name), e.v(name, s(value))));
            }
        }
        let remove = [e.n("lease_owner"), e.n("lease_until")];
        let outcome = e.n("outcome");
        let signal = self.update(
            key(format!("SIGNAL#{}", d.signal_id), "SIGNAL"),
            update_expression(&set, &[], &remove),
            Some(format!("attribute_not_exists({outcome})")),
            &e,
        )?;
        transaction.push(TransactWriteItem::builder().update(signal).build());

        if let (Some(id), Some(target), Some(kind)) = (&d.action_id, &d.target, &d.action_kind) {
            let state = if d.outcome == "act" {
                "intent"
            } else {
                d.outcome.as_str()
            };
            let mut item = key(format!("ACTION#{id}"), "ACTION");
            item.extend([
                ("id".to_owned(), s(id)),
                ("rule".to_owned(), s(rule)),
                ("target".to_owned(), s(target)),
                ("kind".to_owned(), s(kind)),
                ("state".to_owned(), s(state)),
                ("started_at".to_owned(), n(d.at)),
            ]);
            if LISTED_STATES.contains(&state) {
                item.insert(GSI_PK.to_owned(), s(format!("ACTIONS#{state}")));
                item.insert(GSI_SK.to_owned(), s(format!("{:012}#{id}", d.at)));
            }
            let mut new = Expr::default();
            let condition = format!("attribute_not_exists({})", new.n(PK));
            transaction.push(
                TransactWriteItem::builder()
                    .put(self.put(item, Some((&condition, &new)))?)
                    .build(),
            );

            // The target's version: still what the decision read.
            let mut t = Expr::default();
            let version = t.n("version");
            let set = [format!("{version} = {}", t.v("next", n(seen_version + 1)))];
            let add = if state == "intent" {
                vec![format!(
                    "ADD {} {}",
                    t.n("in_flight"),
                    t.v("ids", AttributeValue::Ss(vec![id.clone()]))
                )]
            } else {
                vec![]
            };
            let seen = t.v("seen", n(seen_version));
            let condition = if seen_version == 0 {
                format!("attribute_not_exists({version}) OR {version} = {seen}")
            } else {
                format!("{version} = {seen}")
            };
            let target_update = self.update(
                key(format!("TARGET#{target}"), "TARGET"),
                update_expression(&set, &add, &[]),
                Some(condition),
                &t,
            )?;
            transaction.push(TransactWriteItem::builder().update(target_update).build());

            if counts(state) {
                // The previous time stays beside the new one, for a
                // held-back action to give the cool-down back.
                let mut l = Expr::default();
                let (at, prev, action) = (l.n("at"), l.n("prev_at"), l.n("action"));
                let change = format!(
                    "SET {prev} = if_not_exists({at}, {}), {at} = {}, {action} = {}",
                    l.v("zero", n(0)),
                    l.v("at", n(d.at)),
                    l.v("id", s(id)),
                );
                let last = self.update(
                    key(format!("TARGET#{target}"), &format!("LAST#{rule}")),
                    change,
                    None,
                    &l,
                )?;
                transaction.push(TransactWriteItem::builder().update(last).build());
                transaction.push(
                    TransactWriteItem::builder()
                        .put(self.put(self.window_item(rule, "ACT", d.at, id, target), None)?)
                        .build(),
                );
            }
        }
        if let (Some(target), false) = (&d.target, d.outcome == "recovered") {
            transaction.push(
                TransactWriteItem::builder()
                    .put(self.put(
                        self.window_item(&d.alert, "SIG", d.at, &d.signal_id, target),
                        None,
                    )?)
                    .build(),
            );
        }

        if self
            .transact(
                transaction,
                &format!("cannot record the decision on signal `{}`", d.signal_id),
            )
            .await?
        {
            return Ok(Recorded::Yes);
        }
        // Cancelled: decided by another instance, or a condition on the
        // target (or a concurrent transaction on its items).
        let signal = self
            .get(
                key(format!("SIGNAL#{}", d.signal_id), "SIGNAL"),
                "cannot read a signal back",
            )
            .await?;
        if signal.is_some_and(|item| item.contains_key("outcome")) {
            Ok(Recorded::AlreadyDecided)
        } else {
            Ok(Recorded::TargetChanged)
        }
    }

    fn window_item(&self, rule: &str, kind: &str, at: u64, id: &str, target: &str) -> Item {
        let mut item = key(format!("RULE#{rule}"), &format!("{kind}#{at:012}#{id}"));
        item.insert("target".to_owned(), s(target));
        item.insert(
            HEAL_JOURNAL_TTL.to_owned(),
            n(at + WINDOW_RETENTION_SECONDS),
        );
        item
    }

    /// The write that takes action `id` off its target's in-flight set.
    fn out_of_flight(&self, target: &str, id: &str) -> Result<TransactWriteItem> {
        let mut t = Expr::default();
        let change = format!(
            "DELETE {} {}",
            t.n("in_flight"),
            t.v("ids", AttributeValue::Ss(vec![id.to_owned()]))
        );
        let update = self.update(key(format!("TARGET#{target}"), "TARGET"), change, None, &t)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    async fn action(&self, id: &str) -> Result<Option<ActionRecord>> {
        Ok(self
            .get(
                key(format!("ACTION#{id}"), "ACTION"),
                &format!("cannot read action {id}"),
            )
            .await?
            .as_ref()
            .and_then(action_of))
    }

    async fn transition_async(&self, id: &str, from: &str, to: &str) -> Result<bool> {
        let Some(action) = self.action(id).await? else {
            return Ok(false);
        };
        if action.state != from {
            return Ok(false);
        }
        let mut e = Expr::default();
        let state = e.n("state");
        let (mut set, remove) = listing(&mut e, to, action.started_at, id);
        set.push(format!("{state} = {}", e.v("to", s(to))));
        let condition = format!("{state} = {}", e.v("from", s(from)));
        let moved = self.update(
            key(format!("ACTION#{id}"), "ACTION"),
            update_expression(&set, &[], &remove),
            Some(condition),
            &e,
        )?;
        let mut transaction = vec![TransactWriteItem::builder().update(moved).build()];
        let mut t = Expr::default();
        let ids = AttributeValue::Ss(vec![id.to_owned()]);
        let target_change = if to == "intent" {
            // A new intent: decisions about the target read before it must
            // not record theirs.
            Some(format!(
                "ADD {} {}, {} {}",
                t.n("in_flight"),
                t.v("ids", ids),
                t.n("version"),
                t.v("one", n(1))
            ))
        } else if from == "intent" {
            Some(format!("DELETE {} {}", t.n("in_flight"), t.v("ids", ids)))
        } else {
            None
        };
        if let Some(change) = target_change {
            let update = self.update(
                key(format!("TARGET#{}", action.target), "TARGET"),
                change,
                None,
                &t,
            )?;
            transaction.push(TransactWriteItem::builder().update(update).build());
        }
        if !self
            .transact(transaction, &format!("cannot move action {id} to `{to}`"))
            .await?
        {
            return Ok(false);
        }
        if counts(to) && !counts(from) {
            // Approved: it counts from when it was decided, as in SQLite.
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(self.window_item(
                    &action.rule,
                    "ACT",
                    action.started_at,
                    id,
                    &action.target,
                )))
                .send()
                .await
                .map_err(|err| error("cannot record an approved action", &err))?;
            let mut l = Expr::default();
            let (at, prev, last_action) = (l.n("at"), l.n("prev_at"), l.n("action"));
            let value = l.v("at", n(action.started_at));
            let zero = l.v("zero", n(0));
            let this = l.v("id", s(id));
            let later = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(
                    format!("TARGET#{}", action.target),
                    &format!("LAST#{}", action.rule),
                )))
                .update_expression(format!(
                    "SET {prev} = if_not_exists({at}, {zero}), {at} = {value}, {last_action} = {this}"
                ))
                .condition_expression(format!("attribute_not_exists({at}) OR {at} < {value}"))
                .set_expression_attribute_names(l.names())
                .set_expression_attribute_values(l.values())
                .send()
                .await;
            match later {
                Ok(_) => {}
                // A later action is the last one already.
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
                Err(err) => return Err(error("cannot record an approved action", &err)),
            }
        }
        Ok(true)
    }

    async fn actions_in(&self, state: &str) -> Result<Vec<ActionRecord>> {
        Ok(self
            .index(&format!("ACTIONS#{state}"), false, usize::MAX, None)
            .await?
            .iter()
            .filter_map(action_of)
            .filter(|a| a.state == state)
            .collect())
    }
}

/// Records one signal unless it is there; `true` when it was new.
async fn put_signal(
    client: aws_sdk_dynamodb::Client,
    table: String,
    signal: Signal,
    received_at: u64,
) -> Result<bool> {
    let mut item = key(format!("SIGNAL#{}", signal.id), "SIGNAL");
    item.extend([
        ("alert".to_owned(), s(&signal.alertname)),
        (
            "status".to_owned(),
            s(match signal.status {
                Status::Firing => "firing",
                Status::Resolved => "resolved",
            }),
        ),
        (
            "labels".to_owned(),
            s(serde_json::to_string(&signal.labels).unwrap_or_default()),
        ),
        ("starts_at".to_owned(), s(&signal.starts_at)),
        ("received_at".to_owned(), n(received_at)),
        (
            HEAL_JOURNAL_TTL.to_owned(),
            n(received_at + SIGNAL_RETENTION_SECONDS),
        ),
        (GSI_PK.to_owned(), s("UNDECIDED")),
        (
            GSI_SK.to_owned(),
            s(format!("{received_at:012}#{}", signal.id)),
        ),
    ]);
    let put = client
        .put_item()
        .table_name(&table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .send()
        .await;
    match put {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(error(&format!("cannot record signal `{}`", signal.id), &e)),
    }
}

/// Leases one signal to `instance`; the signal when the lease is had.
async fn lease(
    client: aws_sdk_dynamodb::Client,
    table: String,
    id: String,
    instance: String,
    until: u64,
    now: u64,
) -> Result<Option<(Signal, u64)>> {
    let mut e = Expr::default();
    let (owner, ends) = (e.n("lease_owner"), e.n("lease_until"));
    let (me, until, now) = (
        e.v("me", s(instance)),
        e.v("until", n(until)),
        e.v("now", n(now)),
    );
    let condition = format!(
        "attribute_exists({}) AND attribute_not_exists({}) AND (attribute_not_exists({ends}) OR {ends} <= {now} OR {owner} = {me})",
        e.n(PK),
        e.n("outcome")
    );
    let out = client
        .update_item()
        .table_name(&table)
        .set_key(Some(key(format!("SIGNAL#{id}"), "SIGNAL")))
        .update_expression(format!("SET {owner} = {me}, {ends} = {until}"))
        .condition_expression(condition)
        .set_expression_attribute_names(e.names())
        .set_expression_attribute_values(e.values())
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    match out {
        Ok(out) => Ok(out.attributes().and_then(signal_of)),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
        {
            Ok(None)
        }
        Err(err) => Err(error(&format!("cannot lease signal `{id}`"), &err)),
    }
}

impl Journal for DynamoJournal {
    fn record_signals(&self, signals: &[Signal], received_at: u64) -> Result<usize> {
        let calls: Vec<_> = signals
            .iter()
            .map(|signal| {
                put_signal(
                    self.client.clone(),
                    self.table.clone(),
                    signal.clone(),
                    received_at,
                )
            })
            .collect();
        let new = self.runtime.block_on(self.parallel(calls))?;
        Ok(new.into_iter().filter(|n| *n).count())
    }

    fn undecided(&self, limit: usize) -> Result<Vec<(Signal, u64)>> {
        let items = self
            .runtime
            .block_on(self.index("UNDECIDED", false, limit, None))?;
        Ok(items.iter().filter_map(signal_of).collect())
    }

    fn claim_undecided(
        &self,
        limit: usize,
        instance: &str,
        until: u64,
        now: u64,
    ) -> Result<Vec<(Signal, u64)>> {
        self.runtime.block_on(async {
            let mut e = Expr::default();
            let (owner, ends) = (e.n("lease_owner"), e.n("lease_until"));
            let filter = format!(
                "attribute_not_exists({ends}) OR {ends} <= {} OR {owner} = {}",
                e.v("now", n(now)),
                e.v("me", s(instance))
            );
            let free = self
                .index("UNDECIDED", false, limit, Some((&filter, e)))
                .await?;
            let calls: Vec<_> = free
                .iter()
                .filter_map(|item| text(item, PK)?.strip_prefix("SIGNAL#").map(str::to_owned))
                .map(|id| {
                    lease(
                        self.client.clone(),
                        self.table.clone(),
                        id,
                        instance.to_owned(),
                        until,
                        now,
                    )
                })
                .collect();
            Ok(self.parallel(calls).await?.into_iter().flatten().collect())
        })
    }

    fn target_version(&self, target: &str) -> Result<u64> {
        let item = self.runtime.block_on(self.get(
            key(format!("TARGET#{target}"), "TARGET"),
            &format!("cannot read target `{target}`"),
        ))?;
        Ok(item.and_then(|i| number(&i, "version")).unwrap_or(0))
    }

    fn record_decision(
        &self,
        decision: &DecisionRecord,
        rule: &str,
        seen_version: u64,
    ) -> Result<Recorded> {
        self.runtime
            .block_on(self.record_decision_async(decision, rule, seen_version))
    }

    fn finish_action(&self, id: &str, ok: bool, result: &str, at: u64) -> Result<()> {
        self.runtime.block_on(async {
            let Some(action) = self.action(id).await? else {
                return Ok(());
            };
            let state = if ok { "done" } else { "failed" };
            let mut e = Expr::default();
            let (mut set, remove) = listing(&mut e, state, action.started_at, id);
            set.push(format!("{} = {}", e.n("state"), e.v("state", s(state))));
            set.push(format!("{} = {}", e.n("result"), e.v("result", s(result))));
            set.push(format!("{} = {}", e.n("finished_at"), e.v("at", n(at))));
            let finished = self.update(
                key(format!("ACTION#{id}"), "ACTION"),
                update_expression(&set, &[], &remove),
                None,
                &e,
            )?;
            let mut transaction = vec![TransactWriteItem::builder().update(finished).build()];
            if action.state == "intent" {
                transaction.push(self.out_of_flight(&action.target, id)?);
            }
            if self
                .transact(transaction, &format!("cannot record the result of action {id}"))
                .await?
            {
                Ok(())
            } else {
                Err(JournalError(format!(
                    "the result of action {id} was not recorded: DynamoDB cancelled the transaction (retry)"
                )))
            }
        })
    }

    fn hold_action(&self, id: &str, why: &str, at: u64) -> Result<()> {
        self.runtime.block_on(async {
            let Some(action) = self.action(id).await? else {
                return Ok(());
            };
            // The cool-down as before the action, if no later action of the
            // rule on the target took its place; first, while the action is
            // still in flight, so no other instance decides on the target
            // in between.
            let mut l = Expr::default();
            let (last_at, prev, last_action) = (l.n("at"), l.n("prev_at"), l.n("action"));
            let this = l.v("id", s(id));
            let restored = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(
                    format!("TARGET#{}", action.target),
                    &format!("LAST#{}", action.rule),
                )))
                .update_expression(format!("SET {last_at} = {prev} REMOVE {prev}, {last_action}"))
                .condition_expression(format!("{last_action} = {this} AND attribute_exists({prev})"))
                .set_expression_attribute_names(l.names())
                .set_expression_attribute_values(l.values())
                .send()
                .await;
            match restored {
                Ok(_) => {}
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
                Err(err) => return Err(error("cannot give the cool-down back", &err)),
            }
            let mut e = Expr::default();
            let (mut set, remove) = listing(&mut e, "held", action.started_at, id);
            set.push(format!("{} = {}", e.n("state"), e.v("state", s("held"))));
            set.push(format!("{} = {}", e.n("result"), e.v("result", s(why))));
            set.push(format!("{} = {}", e.n("finished_at"), e.v("at", n(at))));
            let held = self.update(
                key(format!("ACTION#{id}"), "ACTION"),
                update_expression(&set, &[], &remove),
                None,
                &e,
            )?;
            // Out of the rule's budget window.
            let unbudgeted = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(
                    format!("RULE#{}", action.rule),
                    &format!("ACT#{:012}#{id}", action.started_at),
                )))
                .build()
                .map_err(build_error)?;
            let mut transaction = vec![
                TransactWriteItem::builder().update(held).build(),
                TransactWriteItem::builder().delete(unbudgeted).build(),
            ];
            if action.state == "intent" {
                transaction.push(self.out_of_flight(&action.target, id)?);
            }
            if !self
                .transact(transaction, &format!("cannot record that action {id} was held back"))
                .await?
            {
                return Err(JournalError(format!(
                    "that action {id} was held back was not recorded: DynamoDB cancelled the transaction (retry)"
                )));
            }
            Ok(())
        })
    }

    fn unfinished_actions(&self) -> Result<Vec<ActionRecord>> {
        self.runtime.block_on(self.actions_in("intent"))
    }

    fn last_action(&self, rule: &str, target: &str) -> Result<Option<u64>> {
        let item = self.runtime.block_on(self.get(
            key(format!("TARGET#{target}"), &format!("LAST#{rule}")),
            &format!("cannot read the last action on `{target}`"),
        ))?;
        // 0: the only action was held back, so there is none.
        Ok(item.and_then(|i| number(&i, "at")).filter(|at| *at > 0))
    }

    fn in_flight(&self, target: &str) -> Result<bool> {
        let item = self.runtime.block_on(self.get(
            key(format!("TARGET#{target}"), "TARGET"),
            &format!("cannot read target `{target}`"),
        ))?;
        Ok(item
            .and_then(|i| i.get("in_flight").cloned())
            .and_then(|v| v.as_ss().ok().map(|ids| !ids.is_empty()))
            .unwrap_or(false))
    }

    fn actions_since(&self, rule: &str, since: u64) -> Result<u32> {
        self.runtime.block_on(self.count(
            format!("RULE#{rule}"),
            format!("ACT#{since:012}"),
            "ACT#~".to_owned(),
            &format!("cannot count the actions of `{rule}`"),
        ))
    }

    fn targets_since(&self, rule: &str, since: u64) -> Result<u32> {
        let items = self.runtime.block_on(self.range(
            format!("RULE#{rule}"),
            format!("SIG#{since:012}"),
            "SIG#~".to_owned(),
            &format!("cannot read the recent targets of `{rule}`"),
        ))?;
        let targets: BTreeSet<String> = items.iter().filter_map(|i| text(i, "target")).collect();
        Ok(u32::try_from(targets.len()).unwrap_or(u32::MAX))
    }

    fn breaker(&self, rule: &str, target: &str) -> Result<(u32, bool)> {
        let item = self.runtime.block_on(self.get(
            key(format!("TARGET#{target}"), &format!("BREAKER#{rule}")),
            &format!("cannot read the breaker of `{rule}` on `{target}`"),
        ))?;
        Ok(item.map_or((0, false), |i| {
            (
                number(&i, "count")
                    .and_then(|c| u32::try_from(c).ok())
                    .unwrap_or(0),
                i.get("open")
                    .and_then(|v| v.as_bool().ok())
                    .copied()
                    .unwrap_or(false),
            )
        }))
    }

    fn set_breaker(&self, rule: &str, target: &str, count: u32, open: bool) -> Result<()> {
        let mut item = key(format!("TARGET#{target}"), &format!("BREAKER#{rule}"));
        item.insert("count".to_owned(), n(u64::from(count)));
        item.insert("open".to_owned(), AttributeValue::Bool(open));
        self.runtime
            .block_on(
                self.client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .send(),
            )
            .map_err(|e| {
                error(
                    &format!("cannot set the breaker of `{rule}` on `{target}`"),
                    &e,
                )
            })?;
        Ok(())
    }

    fn transition(&self, id: &str, from: &str, to: &str) -> Result<bool> {
        self.runtime.block_on(self.transition_async(id, from, to))
    }

    fn approved_actions(&self) -> Result<Vec<ActionRecord>> {
        self.runtime.block_on(self.actions_in("approved"))
    }

    fn set_paused(&self, switch: &str, paused: bool) -> Result<()> {
        let mut e = Expr::default();
        let mut change = format!(
            "SET {} = {}",
            e.n("paused"),
            e.v("paused", AttributeValue::Bool(paused))
        );
        if !paused {
            change.push_str(&format!(" REMOVE {}, {}", e.n("open"), e.n("closed")));
        }
        self.runtime
            .block_on(
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key(format!("SWITCH#{switch}"), "SWITCH")))
                    .update_expression(change)
                    .set_expression_attribute_names(e.names())
                    .set_expression_attribute_values(e.values())
                    .send(),
            )
            .map_err(|e| error(&format!("cannot set the switch `{switch}`"), &e))?;
        Ok(())
    }

    fn paused(&self, switch: &str) -> Result<bool> {
        let item = self.runtime.block_on(self.get(
            key(format!("SWITCH#{switch}"), "SWITCH"),
            &format!("cannot read the switch `{switch}`"),
        ))?;
        Ok(item.is_some_and(|i| {
            i.get("paused").and_then(|v| v.as_bool().ok()).copied() == Some(true)
                || i.get("open")
                    .and_then(|v| v.as_ss().ok())
                    .is_some_and(|open| !open.is_empty())
        }))
    }

    fn set_member(&self, switch: &str, member: &str, open: bool) -> Result<()> {
        let mut e = Expr::default();
        let (open_set, closed_set) = (e.n("open"), e.n("closed"));
        let one = e.v("member", AttributeValue::Ss(vec![member.to_owned()]));
        let (change, condition) = if open {
            // A closed member stays closed.
            let name = e.v("name", s(member));
            (
                format!("ADD {open_set} {one}"),
                Some(format!(
                    "attribute_not_exists({closed_set}) OR NOT contains({closed_set}, {name})"
                )),
            )
        } else {
            (
                format!("DELETE {open_set} {one} ADD {closed_set} {one}"),
                None,
            )
        };
        let result = self.runtime.block_on(
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(format!("SWITCH#{switch}"), "SWITCH")))
                .update_expression(change)
                .set_condition_expression(condition)
                .set_expression_attribute_names(e.names())
                .set_expression_attribute_values(e.values())
                .send(),
        );
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(error(
                &format!("cannot set `{member}` of the switch `{switch}`"),
                &err,
            )),
        }
    }

    fn history(&self, limit: usize) -> Result<Vec<DecisionRecord>> {
        let items = self
            .runtime
            .block_on(self.index("DECIDED", true, limit, None))?;
        Ok(items.iter().filter_map(decision_of).collect())
    }
}

/// Makes the journal's table as the alerting layer declares it (keys,
/// index, TTL): for an emulator, or a journal outside the platform.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<()> {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(build_error)
    };
    let key_element = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(build_error)
    };
    let index = GlobalSecondaryIndex::builder()
        .index_name(HEAL_JOURNAL_INDEX)
        .key_schema(key_element(GSI_PK, KeyType::Hash)?)
        .key_schema(key_element(GSI_SK, KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(build_error)?;
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute(PK)?)
        .attribute_definitions(attribute(SK)?)
        .attribute_definitions(attribute(GSI_PK)?)
        .attribute_definitions(attribute(GSI_SK)?)
        .key_schema(key_element(PK, KeyType::Hash)?)
        .key_schema(key_element(SK, KeyType::Range)?)
        .global_secondary_indexes(index)
        .send()
        .await
        .map_err(|e| error(&format!("cannot create table `{table}`"), &e))?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(HEAL_JOURNAL_TTL)
                .enabled(true)
                .build()
                .map_err(build_error)?,
        )
        .send()
        .await
        .map_err(|e| error(&format!("cannot set the TTL of table `{table}`"), &e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use landfall_synth::layers::alerting::HEAL_JOURNAL_ITEM_ACTIONS;

    /// Every DynamoDB operation the journal makes on items is one the
    /// platform grants its users (the service's task role, the table's
    /// policy for the management account): a call IAM denies is found here,
    /// not on AWS (the emulator enforces no IAM). Table set-up
    /// (`create_table`) is not the service's.
    #[test]
    fn the_journal_calls_only_what_its_users_are_granted() {
        let source = include_str!("heal_journal.rs");
        let source = &source[..source.find("pub async fn create_table").unwrap()];
        let calls = [
            (".get_item()", "dynamodb:GetItem"),
            (".put_item()", "dynamodb:PutItem"),
            (".update_item()", "dynamodb:UpdateItem"),
            (".delete_item()", "dynamodb:DeleteItem"),
            (".query()", "dynamodb:Query"),
            (".scan()", "dynamodb:Scan"),
            ("Put::builder", "dynamodb:PutItem"),
            ("Update::builder", "dynamodb:UpdateItem"),
            ("Delete::builder", "dynamodb:DeleteItem"),
            ("ConditionCheck::builder", "dynamodb:ConditionCheckItem"),
            (".batch_write_item()", "dynamodb:BatchWriteItem"),
            (".batch_get_item()", "dynamodb:BatchGetItem"),
        ];
        let used: Vec<&str> = calls
            .iter()
            .filter(|(call, _)| source.contains(call))
            .map(|(_, action)| *action)
            .collect();
        assert!(
            used.contains(&"dynamodb:DeleteItem"),
            "the scan finds calls"
        );
        for action in used {
            assert!(
                HEAL_JOURNAL_ITEM_ACTIONS.contains(&action),
                "the journal calls {action}, which its users are not granted"
            );
        }
    }
}
