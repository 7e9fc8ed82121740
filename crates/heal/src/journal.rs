//! The journal: every signal, decision and action, durable before anything
//! is acknowledged or done. The state the safety limits read (cool-downs,
//! breakers, budgets, switches) is derived from it, so it survives restarts.
//!
//! [`Journal`] is the store trait; [`SqliteJournal`] is the embedded
//! implementation (one file, WAL, `synchronous=FULL`: a commit is on disk
//! when it returns). `landfall-live` has the DynamoDB one, for instances
//! running active/active on one journal.
//!
//! Two instances never decide the same signal: a worker decides only the
//! signals it leased ([`Journal::claim_undecided`]), and recording a
//! decision fails when the signal was decided already. Decisions about one
//! target are serialized by the target's version: an action is recorded
//! only if the version is still the one read before the safety limits
//! were evaluated ([`Recorded::TargetChanged`] otherwise, and the engine
//! evaluates again, now seeing the other intent).

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use crate::signal::{Signal, Status};

#[derive(Debug)]
pub struct JournalError(pub String);

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "journal: {}", self.0)
    }
}

impl std::error::Error for JournalError {}

impl From<rusqlite::Error> for JournalError {
    fn from(e: rusqlite::Error) -> Self {
        Self(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, JournalError>;

/// One decision, as recorded and as `landfall heal history` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionRecord {
    pub signal_id: String,
    pub alert: String,
    pub target: Option<String>,
    pub outcome: String,
    pub reason: String,
    pub action_id: Option<String>,
    pub action_kind: Option<String>,
    pub at: u64,
}

/// An action whose intent is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionRecord {
    pub id: String,
    pub rule: String,
    pub target: String,
    pub kind: String,
    pub state: String,
    pub result: Option<String>,
    /// When its intent was recorded (Unix seconds).
    pub started_at: u64,
}

/// What became of a decision given to [`Journal::record_decision`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Recorded, with its action.
    Yes,
    /// The signal was decided already (by another instance): nothing written.
    AlreadyDecided,
    /// An action on the target was recorded since its version was read:
    /// nothing written; the limits must be evaluated again.
    TargetChanged,
}

/// Where the remediation service keeps its state.
pub trait Journal: Send + Sync {
    /// Records the signals not seen before, in one durable transaction;
    /// returns how many were new.
    fn record_signals(&self, signals: &[Signal], received_at: u64) -> Result<usize>;
    /// Signals not decided yet, oldest first, with when they arrived.
    fn undecided(&self, limit: usize) -> Result<Vec<(Signal, u64)>>;
    /// Leases up to `limit` undecided signals, oldest first, to `instance`
    /// until `until` and returns them: those nobody leased, whose lease
    /// ended by `now`, or that `instance` holds already.
    fn claim_undecided(
        &self,
        limit: usize,
        instance: &str,
        until: u64,
        now: u64,
    ) -> Result<Vec<(Signal, u64)>>;
    /// The target's version: it moves on with every action recorded on it
    /// (and every approved action that starts).
    fn target_version(&self, target: &str) -> Result<u64>;
    /// Records a decision and marks its signal decided; a decision with an
    /// action also records the action (an `act` one as its intent) and
    /// moves the target's version on, in the same transaction, provided
    /// the version is still `seen_version`.
    fn record_decision(
        &self,
        decision: &DecisionRecord,
        rule: &str,
        seen_version: u64,
    ) -> Result<Recorded>;
    /// Records an action's result.
    fn finish_action(&self, id: &str, ok: bool, result: &str, at: u64) -> Result<()>;
    /// Records that an action was held back just before its call (state
    /// `held`, with why): nothing was done, so it no longer counts toward
    /// the rule's cool-down on the target or its budget, which are as if
    /// it had never been decided.
    fn hold_action(&self, id: &str, why: &str, at: u64) -> Result<()>;
    /// Intents without a result (after a crash: reconcile, never re-run).
    fn unfinished_actions(&self) -> Result<Vec<ActionRecord>>;
    /// When the rule last acted on the target (dry runs included: a dry run
    /// is what would have happened, and must pace like it).
    fn last_action(&self, rule: &str, target: &str) -> Result<Option<u64>>;
    /// Whether an action on the target has no result yet.
    fn in_flight(&self, target: &str) -> Result<bool>;
    /// Actions of the rule since a time.
    fn actions_since(&self, rule: &str, since: u64) -> Result<u32>;
    /// Distinct targets the rule had firing signals for since a time.
    fn targets_since(&self, rule: &str, since: u64) -> Result<u32>;
    /// (actions since the last verified recovery, breaker open).
    fn breaker(&self, rule: &str, target: &str) -> Result<(u32, bool)>;
    fn set_breaker(&self, rule: &str, target: &str, count: u32, open: bool) -> Result<()>;
    /// Moves an action from one state to another (`awaiting-approval` to
    /// `approved` or `denied`); `false` when it was not in `from`.
    fn transition(&self, id: &str, from: &str, to: &str) -> Result<bool>;
    /// Actions a human approved and nobody ran yet.
    fn approved_actions(&self) -> Result<Vec<ActionRecord>>;
    /// Kill switches: `all`, or an action kind. Turning one off also
    /// forgets its members (a human's word overrides them).
    fn set_paused(&self, switch: &str, paused: bool) -> Result<()>;
    /// Whether the switch is on: paused, or one of its members open.
    fn paused(&self, switch: &str) -> Result<bool>;
    /// Opens or closes one member of a switch (an AWS Health issue, by its
    /// event ARN, of the switch of its service and region): the switch is
    /// on while any member is open, so overlapping issues hold until the
    /// last closes. A member closed once stays closed: an opening
    /// delivered again after its closing changes nothing.
    fn set_member(&self, switch: &str, member: &str, open: bool) -> Result<()>;
    /// The most recent decisions, newest first.
    fn history(&self, limit: usize) -> Result<Vec<DecisionRecord>>;
}

/// Closes the rule's open breaker on the target once a human looked, and
/// journals who did and why: a decision `reset` in the history, written
/// before the breaker closes, so the journal never says less than what
/// happened. `false` when the breaker was not open: nothing is written.
///
/// Made of the store's own operations, so it works alike on every store:
/// a decision needs no recorded signal, and the reset names no target of
/// its own (the target is in the reason), since decisions with a target
/// count toward the systemic window.
pub fn reset_breaker<J: Journal + ?Sized>(
    journal: &J,
    rule: &str,
    target: &str,
    by: &str,
    why: &str,
    at: u64,
) -> Result<bool> {
    let (_, open) = journal.breaker(rule, target)?;
    if !open {
        return Ok(false);
    }
    let reset = DecisionRecord {
        signal_id: format!("reset/{rule}/{target}/{at}"),
        alert: rule.to_owned(),
        target: None,
        outcome: "reset".to_owned(),
        reason: format!("breaker of `{rule}` on `{target}` reset by {by}: {why}"),
        action_id: None,
        action_kind: None,
        at,
    };
    // `AlreadyDecided`: the same reset in the same second, journaled once.
    journal.record_decision(&reset, rule, 0)?;
    journal.set_breaker(rule, target, 0, false)?;
    Ok(true)
}

/// The embedded journal.
pub struct SqliteJournal {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS signals (
    id TEXT PRIMARY KEY,
    alert TEXT NOT NULL,
    status TEXT NOT NULL,
    labels TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    decided INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until INTEGER
);
CREATE INDEX IF NOT EXISTS signals_undecided ON signals (decided, received_at);
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    signal_id TEXT NOT NULL,
    alert TEXT NOT NULL,
    target TEXT,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL,
    action_id TEXT,
    action_kind TEXT,
    at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_alert ON decisions (alert, at);
CREATE TABLE IF NOT EXISTS actions (
    id TEXT PRIMARY KEY,
    rule TEXT NOT NULL,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    result TEXT
);
CREATE INDEX IF NOT EXISTS actions_rule_target ON actions (rule, target, started_at);
CREATE TABLE IF NOT EXISTS breakers (
    rule TEXT NOT NULL, target TEXT NOT NULL, count INTEGER NOT NULL, open INTEGER NOT NULL,
    PRIMARY KEY (rule, target)
);
CREATE TABLE IF NOT EXISTS switches (name TEXT PRIMARY KEY, paused INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS switch_members (
    name TEXT NOT NULL, member TEXT NOT NULL, open INTEGER NOT NULL,
    PRIMARY KEY (name, member)
);
CREATE TABLE IF NOT EXISTS targets (target TEXT PRIMARY KEY, version INTEGER NOT NULL);
";

/// Columns added to `signals` after its first version, for journals
/// written before them.
const SIGNAL_COLUMNS_ADDED: [(&str, &str); 2] =
    [("lease_owner", "TEXT"), ("lease_until", "INTEGER")];

impl SqliteJournal {
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    /// A journal in memory (tests, `landfall heal test`).
    pub fn in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "busy_timeout", 5_000)?;
        // Write transactions take the write lock when they begin
        // (`IMMEDIATE`): one that read first and then upgraded could fail at
        // once with SQLITE_BUSY when another connection (another instance
        // on the same file) wrote meanwhile, instead of waiting its turn.
        conn.execute_batch(SCHEMA)?;
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('signals')")?
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        for (name, kind) in SIGNAL_COLUMNS_ADDED {
            if !columns.iter().any(|c| c == name) {
                conn.execute_batch(&format!("ALTER TABLE signals ADD COLUMN {name} {kind}"))?;
            }
        }
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// Actions in one state, oldest first.
    fn actions_in_state(&self, state: &str) -> Result<Vec<ActionRecord>> {
        let conn = self.conn()?;
        let mut q = conn.prepare_cached(
            "SELECT id, rule, target, kind, state, result, started_at FROM actions WHERE state = ?1 ORDER BY started_at",
        )?;
        let rows = q.query_map(params![state], |r| {
            Ok(ActionRecord {
                id: r.get(0)?,
                rule: r.get(1)?,
                target: r.get(2)?,
                kind: r.get(3)?,
                state: r.get(4)?,
                result: r.get(5)?,
                started_at: r.get::<_, i64>(6)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>> {
        self.conn
            .lock()
            .map_err(|_| JournalError("a writer panicked".to_owned()))
    }
}

/// A signal from `id, alert, status, labels, starts_at, received_at`.
fn signal_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Signal, u64)> {
    let labels: String = r.get(3)?;
    let status: String = r.get(2)?;
    Ok((
        Signal {
            id: r.get(0)?,
            alertname: r.get(1)?,
            status: if status == "resolved" {
                Status::Resolved
            } else {
                Status::Firing
            },
            labels: serde_json::from_str(&labels).unwrap_or_default(),
            starts_at: r.get(4)?,
        },
        r.get::<_, i64>(5)? as u64,
    ))
}

/// Leases up to `limit` undecided signals (see `Journal::claim_undecided`).
fn lease(
    conn: &mut Connection,
    limit: usize,
    instance: &str,
    until: u64,
    now: u64,
) -> Result<Vec<(Signal, u64)>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let claimed: Vec<(Signal, u64)> = {
        let mut q = tx.prepare_cached(
            "SELECT id, alert, status, labels, starts_at, received_at FROM signals
             WHERE decided = 0 AND (lease_until IS NULL OR lease_until <= ?2 OR lease_owner = ?3)
             ORDER BY received_at, rowid LIMIT ?1",
        )?;
        let rows = q.query_map(params![limit as i64, now as i64, instance], signal_row)?;
        rows.collect::<std::result::Result<_, _>>()?
    };
    {
        let mut lease = tx.prepare_cached(
            "UPDATE signals SET lease_owner = ?2, lease_until = ?3 WHERE id = ?1",
        )?;
        for (signal, _) in &claimed {
            lease.execute(params![signal.id, instance, until as i64])?;
        }
    }
    tx.commit()?;
    Ok(claimed)
}

/// Moves a target's version on (inside the caller's transaction).
const BUMP_TARGET: &str = "INSERT INTO targets (target, version) VALUES (?1, 1)
     ON CONFLICT (target) DO UPDATE SET version = version + 1";

fn status_text(s: Status) -> &'static str {
    match s {
        Status::Firing => "firing",
        Status::Resolved => "resolved",
    }
}

impl Journal for SqliteJournal {
    fn record_signals(&self, signals: &[Signal], received_at: u64) -> Result<usize> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut new = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO signals (id, alert, status, labels, starts_at, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for s in signals {
                let labels = serde_json::to_string(&s.labels).unwrap_or_default();
                new += insert.execute(params![
                    s.id,
                    s.alertname,
                    status_text(s.status),
                    labels,
                    s.starts_at,
                    received_at as i64
                ])?;
            }
        }
        tx.commit()?;
        Ok(new)
    }

    fn undecided(&self, limit: usize) -> Result<Vec<(Signal, u64)>> {
        let conn = self.conn()?;
        let mut q = conn.prepare_cached(
            "SELECT id, alert, status, labels, starts_at, received_at FROM signals WHERE decided = 0 ORDER BY received_at, rowid LIMIT ?1",
        )?;
        let rows = q.query_map(params![limit as i64], signal_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn claim_undecided(
        &self,
        limit: usize,
        instance: &str,
        until: u64,
        now: u64,
    ) -> Result<Vec<(Signal, u64)>> {
        let mut conn = self.conn()?;
        // A lease needs no fsync of its own: one lost with the machine only
        // lets another instance take the signal, and a decision's condition
        // keeps it from being decided twice. With one, every pass of the
        // worker would cost a second fsync.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let claimed = lease(&mut conn, limit, instance, until, now);
        conn.pragma_update(None, "synchronous", "FULL")?;
        claimed
    }

    fn target_version(&self, target: &str) -> Result<u64> {
        let conn = self.conn()?;
        let version: Option<i64> = conn
            .prepare_cached("SELECT version FROM targets WHERE target = ?1")?
            .query_row(params![target], |r| r.get(0))
            .optional()?;
        Ok(version.map_or(0, |v| v as u64))
    }

    fn record_decision(
        &self,
        d: &DecisionRecord,
        rule: &str,
        seen_version: u64,
    ) -> Result<Recorded> {
        let mut conn = self.conn()?;
        // Dropped without a commit, the transaction rolls back.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let marked = tx
            .prepare_cached("UPDATE signals SET decided = 1 WHERE id = ?1 AND decided = 0")?
            .execute(params![d.signal_id])?;
        if marked == 0 {
            let journaled = tx
                .prepare_cached("SELECT 1 FROM signals WHERE id = ?1")?
                .exists(params![d.signal_id])?;
            if journaled {
                return Ok(Recorded::AlreadyDecided);
            }
        }
        tx.prepare_cached(
            "INSERT INTO decisions (signal_id, alert, target, outcome, reason, action_id, action_kind, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            d.signal_id,
            d.alert,
            d.target,
            d.outcome,
            d.reason,
            d.action_id,
            d.action_kind,
            d.at as i64
        ])?;
        if let (Some(id), Some(target), Some(kind)) = (&d.action_id, &d.target, &d.action_kind) {
            let version: Option<i64> = tx
                .prepare_cached("SELECT version FROM targets WHERE target = ?1")?
                .query_row(params![target], |r| r.get(0))
                .optional()?;
            if version.map_or(0, |v| v as u64) != seen_version {
                return Ok(Recorded::TargetChanged);
            }
            tx.prepare_cached(BUMP_TARGET)?.execute(params![target])?;
            let state = if d.outcome == "act" {
                "intent"
            } else {
                d.outcome.as_str()
            };
            tx.prepare_cached(
                "INSERT OR IGNORE INTO actions (id, rule, target, kind, state, started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![id, rule, target, kind, state, d.at as i64])?;
        }
        tx.commit()?;
        Ok(Recorded::Yes)
    }

    fn finish_action(&self, id: &str, ok: bool, result: &str, at: u64) -> Result<()> {
        let conn = self.conn()?;
        conn.prepare_cached(
            "UPDATE actions SET state = ?2, result = ?3, finished_at = ?4 WHERE id = ?1",
        )?
        .execute(params![
            id,
            if ok { "done" } else { "failed" },
            result,
            at as i64
        ])?;
        Ok(())
    }

    fn hold_action(&self, id: &str, why: &str, at: u64) -> Result<()> {
        let conn = self.conn()?;
        conn.prepare_cached(
            "UPDATE actions SET state = 'held', result = ?2, finished_at = ?3 WHERE id = ?1",
        )?
        .execute(params![id, why, at as i64])?;
        Ok(())
    }

    fn unfinished_actions(&self) -> Result<Vec<ActionRecord>> {
        self.actions_in_state("intent")
    }

    fn last_action(&self, rule: &str, target: &str) -> Result<Option<u64>> {
        let conn = self.conn()?;
        let at: Option<i64> = conn
            .prepare_cached(
                "SELECT MAX(started_at) FROM actions WHERE rule = ?1 AND target = ?2 AND state NOT IN ('awaiting-approval', 'denied', 'held')",
            )?
            .query_row(params![rule, target], |r| r.get(0))
            .optional()?
            .flatten();
        Ok(at.map(|a| a as u64))
    }

    fn in_flight(&self, target: &str) -> Result<bool> {
        let conn = self.conn()?;
        let n: i64 = conn
            .prepare_cached("SELECT COUNT(*) FROM actions WHERE target = ?1 AND state = 'intent'")?
            .query_row(params![target], |r| r.get(0))?;
        Ok(n > 0)
    }

    fn actions_since(&self, rule: &str, since: u64) -> Result<u32> {
        let conn = self.conn()?;
        let n: i64 = conn
            .prepare_cached(
                "SELECT COUNT(*) FROM actions WHERE rule = ?1 AND started_at >= ?2 AND state NOT IN ('awaiting-approval', 'denied', 'held')",
            )?
            .query_row(params![rule, since as i64], |r| r.get(0))?;
        Ok(n as u32)
    }

    fn targets_since(&self, rule: &str, since: u64) -> Result<u32> {
        let conn = self.conn()?;
        let n: i64 = conn
            .prepare_cached(
                "SELECT COUNT(DISTINCT target) FROM decisions WHERE alert = ?1 AND at >= ?2 AND target IS NOT NULL AND outcome != 'recovered'",
            )?
            .query_row(params![rule, since as i64], |r| r.get(0))?;
        Ok(n as u32)
    }

    fn breaker(&self, rule: &str, target: &str) -> Result<(u32, bool)> {
        let conn = self.conn()?;
        let row: Option<(i64, i64)> = conn
            .prepare_cached("SELECT count, open FROM breakers WHERE rule = ?1 AND target = ?2")?
            .query_row(params![rule, target], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.map_or((0, false), |(c, o)| (c as u32, o != 0)))
    }

    fn set_breaker(&self, rule: &str, target: &str, count: u32, open: bool) -> Result<()> {
        let conn = self.conn()?;
        conn.prepare_cached(
            "INSERT INTO breakers (rule, target, count, open) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (rule, target) DO UPDATE SET count = excluded.count, open = excluded.open",
        )?
        .execute(params![rule, target, count as i64, open as i64])?;
        Ok(())
    }

    fn transition(&self, id: &str, from: &str, to: &str) -> Result<bool> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx
            .prepare_cached("UPDATE actions SET state = ?3 WHERE id = ?1 AND state = ?2")?
            .execute(params![id, from, to])?;
        if n == 1 && to == "intent" {
            // A new intent: decisions about the target read before it must
            // not record theirs.
            let target: String = tx
                .prepare_cached("SELECT target FROM actions WHERE id = ?1")?
                .query_row(params![id], |r| r.get(0))?;
            tx.prepare_cached(BUMP_TARGET)?.execute(params![target])?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    fn approved_actions(&self) -> Result<Vec<ActionRecord>> {
        self.actions_in_state("approved")
    }

    fn set_paused(&self, switch: &str, paused: bool) -> Result<()> {
        let conn = self.conn()?;
        conn.prepare_cached(
            "INSERT INTO switches (name, paused) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET paused = excluded.paused",
        )?
        .execute(params![switch, paused as i64])?;
        if !paused {
            conn.prepare_cached("DELETE FROM switch_members WHERE name = ?1")?
                .execute(params![switch])?;
        }
        Ok(())
    }

    fn paused(&self, switch: &str) -> Result<bool> {
        let conn = self.conn()?;
        let p: i64 = conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM switches WHERE name = ?1 AND paused != 0)
                     OR EXISTS (SELECT 1 FROM switch_members WHERE name = ?1 AND open != 0)",
            )?
            .query_row(params![switch], |r| r.get(0))?;
        Ok(p != 0)
    }

    fn set_member(&self, switch: &str, member: &str, open: bool) -> Result<()> {
        let conn = self.conn()?;
        let sql = if open {
            // A closed member stays closed.
            "INSERT OR IGNORE INTO switch_members (name, member, open) VALUES (?1, ?2, 1)"
        } else {
            "INSERT OR REPLACE INTO switch_members (name, member, open) VALUES (?1, ?2, 0)"
        };
        conn.prepare_cached(sql)?.execute(params![switch, member])?;
        Ok(())
    }

    fn history(&self, limit: usize) -> Result<Vec<DecisionRecord>> {
        let conn = self.conn()?;
        let mut q = conn.prepare_cached(
            "SELECT signal_id, alert, target, outcome, reason, action_id, action_kind, at FROM decisions ORDER BY seq DESC LIMIT ?1",
        )?;
        let rows = q.query_map(params![limit as i64], |r| {
            Ok(DecisionRecord {
                signal_id: r.get(0)?,
                alert: r.get(1)?,
                target: r.get(2)?,
                outcome: r.get(3)?,
                reason: r.get(4)?,
                action_id: r.get(5)?,
                action_kind: r.get(6)?,
                at: r.get::<_, i64>(7)? as u64,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}
