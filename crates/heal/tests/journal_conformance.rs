//! The journal's contract (`support/conformance.rs`) on the embedded
//! SQLite journal, in memory and on a file shared by two instances; the
//! DynamoDB journal runs the same checks against moto
//! (`crates/live/tests/emulator_heal_journal.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

#[path = "support/conformance.rs"]
mod conformance;
mod support;

use std::sync::Arc;

use landfall_heal::journal::Journal;
use landfall_heal::SqliteJournal;

#[test]
fn sqlite_keeps_the_journal_contract() {
    conformance::all(&|| Arc::new(SqliteJournal::in_memory().unwrap()) as Arc<dyn Journal>);
}

/// Two instances, each with its own connection to one journal file.
#[test]
fn two_instances_on_one_sqlite_file_decide_each_signal_once() {
    let dir = support::temp_dir("two-instances");
    let path = dir.join("journal.sqlite");
    let open = || Arc::new(SqliteJournal::open(&path).unwrap()) as Arc<dyn Journal>;
    conformance::two_instances_decide_each_signal_once([open(), open()], 200);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A journal written before leases and target versions opens, gains
/// them, and keeps its signals.
#[test]
fn a_journal_from_before_leases_is_upgraded_in_place() {
    let dir = support::temp_dir("upgrade");
    let path = dir.join("journal.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE signals (id TEXT PRIMARY KEY, alert TEXT NOT NULL, status TEXT NOT NULL,
                labels TEXT NOT NULL, starts_at TEXT NOT NULL, received_at INTEGER NOT NULL,
                decided INTEGER NOT NULL DEFAULT 0);
             INSERT INTO signals (id, alert, status, labels, starts_at, received_at)
                VALUES ('old', 'A', 'firing', '{}', '2026-12-06T01:00:00Z', 5);",
        )
        .unwrap();
    }
    let journal = SqliteJournal::open(&path).unwrap();
    let claimed = journal.claim_undecided(10, "one", 100, 50).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].0.id, "old");
    assert!(journal
        .claim_undecided(10, "two", 100, 50)
        .unwrap()
        .is_empty());
    drop(journal);
    let _ = std::fs::remove_dir_all(&dir);
}
