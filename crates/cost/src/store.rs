//! The local store: daily aggregates per billing period, account, domain,
//! environment, service and charge category, billed and amortized.
//!
//! SQLite (compiled in, one file, no server), as `landfall heal`'s journal:
//! a month of a large organization is a few hundred thousand aggregate rows,
//! and replacing a billing period must be one transaction so a failed ingest
//! leaves the store as it was.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::attribution::{AccountMap, UNALLOCATED};
use crate::date::{Date, Month};
use crate::error::CostError;
use crate::export::Delivery;
use crate::lines::{ChargeCategory, ExportFormat, Line};
use crate::scan::aggregate_file;

pub struct Store {
    connection: Connection,
}

/// One row of the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyCost {
    pub period: String,
    pub day: Date,
    pub account_id: String,
    pub account_name: String,
    pub domain: String,
    pub environment: String,
    pub service: String,
    pub charge_category: String,
    pub billed: f64,
    pub effective: f64,
}

/// What the store knows of a billing period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period {
    pub period: String,
    pub payer: String,
    /// `estimated` until the invoice id appears, then `final`.
    pub state: String,
    pub execution_id: String,
    pub billed: f64,
    pub effective: f64,
}

/// How much a final month moved when it was delivered again.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Restatement {
    pub period: String,
    pub execution_id: String,
    pub billed_before: f64,
    pub billed_after: f64,
    pub effective_before: f64,
    pub effective_after: f64,
}

/// What one ingest did, per period.
#[derive(Debug, Clone, Serialize)]
pub struct Ingested {
    pub period: String,
    pub format: ExportFormat,
    pub lines: usize,
    pub state: String,
    pub billed: f64,
    pub effective: f64,
    /// The period was in the store before and was replaced.
    pub replaced: bool,
    pub restatement: Option<Restatement>,
    /// Billed cost no domain could be found for, by account.
    pub unallocated: BTreeMap<String, f64>,
}

/// Day, account id, account name, domain, environment, service, charge category.
pub type Key = (Date, String, String, String, String, String, ChargeCategory);

/// Lines summed per store key, each attributed to its domain.
#[derive(Debug, Clone, Default)]
pub struct Attributed {
    /// Billed and effective cost per key.
    pub rows: BTreeMap<Key, (f64, f64)>,
    /// Billed cost no domain could be found for, by account name (or id).
    pub unallocated: BTreeMap<String, f64>,
}

impl Attributed {
    pub fn add(&mut self, line: &Line, accounts: &AccountMap) {
        let allocation = accounts.allocate(line);
        if allocation.domain == UNALLOCATED {
            let name = if line.account_name.is_empty() {
                line.account_id.clone()
            } else {
                line.account_name.clone()
            };
            *self.unallocated.entry(name).or_default() += line.billed;
        }
        let key = (
            line.day,
            line.account_id.clone(),
            line.account_name.clone(),
            allocation.domain,
            allocation.environment,
            line.service.clone(),
            line.charge,
        );
        let entry = self.rows.entry(key).or_default();
        entry.0 += line.billed;
        entry.1 += line.effective;
    }

    /// Adds another file's sums to these.
    pub fn merge(&mut self, other: Attributed) {
        for (key, (billed, effective)) in other.rows {
            let entry = self.rows.entry(key).or_default();
            entry.0 += billed;
            entry.1 += effective;
        }
        for (account, billed) in other.unallocated {
            *self.unallocated.entry(account).or_default() += billed;
        }
    }
}

/// One period read and aggregated, not yet stored.
struct Aggregated {
    delivery_period: Month,
    payer: String,
    execution_id: String,
    format: ExportFormat,
    lines: usize,
    is_final: bool,
    attributed: Attributed,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, CostError> {
        let connection = Connection::open(path).map_err(|e| sql(path, e))?;
        connection
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 CREATE TABLE IF NOT EXISTS periods (
                   period TEXT PRIMARY KEY, payer TEXT NOT NULL, state TEXT NOT NULL,
                   execution_id TEXT NOT NULL, billed REAL NOT NULL, effective REAL NOT NULL);
                 CREATE TABLE IF NOT EXISTS daily (
                   period TEXT NOT NULL, day TEXT NOT NULL, account_id TEXT NOT NULL, account_name TEXT NOT NULL,
                   domain TEXT NOT NULL, environment TEXT NOT NULL, service TEXT NOT NULL,
                   charge_category TEXT NOT NULL, billed REAL NOT NULL, effective REAL NOT NULL,
                   PRIMARY KEY (period, day, account_id, domain, environment, service, charge_category));
                 CREATE INDEX IF NOT EXISTS daily_by_domain ON daily (domain, day);
                 CREATE TABLE IF NOT EXISTS restatements (
                   period TEXT NOT NULL, execution_id TEXT NOT NULL,
                   billed_before REAL NOT NULL, billed_after REAL NOT NULL,
                   effective_before REAL NOT NULL, effective_after REAL NOT NULL);
                 CREATE TABLE IF NOT EXISTS notifications (
                   domain TEXT PRIMARY KEY, standing TEXT NOT NULL, as_of TEXT NOT NULL);",
            )
            .map_err(|e| sql(path, e))?;
        Ok(Store { connection })
    }

    /// Reads every delivery, then replaces their periods in one transaction:
    /// any bad file, and nothing is stored.
    pub fn ingest(
        &mut self,
        deliveries: &[Delivery],
        accounts: &AccountMap,
    ) -> Result<Vec<Ingested>, CostError> {
        let stored_payer: Option<String> = self
            .connection
            .query_row("SELECT value FROM meta WHERE key = 'payer'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(store_error)?;
        let mut aggregated = Vec::new();
        for delivery in deliveries {
            let one = aggregate(delivery, accounts)?;
            let expected = stored_payer
                .as_deref()
                .or(aggregated.first().map(|a: &Aggregated| a.payer.as_str()));
            if let Some(expected) = expected.filter(|e| *e != one.payer) {
                return Err(CostError::Invalid(format!(
                    "{}: billing period {} is from payer account {}, but this store holds payer {expected}'s bills (one store per organization)",
                    delivery.manifest_path.display(),
                    delivery.period,
                    one.payer
                )));
            }
            aggregated.push(one);
        }

        let transaction = self.connection.transaction().map_err(store_error)?;
        let mut report = Vec::new();
        for one in aggregated {
            let period = one.delivery_period.to_string();
            let previous: Option<Period> = transaction
                .query_row(
                    "SELECT period, payer, state, execution_id, billed, effective FROM periods WHERE period = ?1",
                    [&period],
                    |r| {
                        Ok(Period {
                            period: r.get(0)?,
                            payer: r.get(1)?,
                            state: r.get(2)?,
                            execution_id: r.get(3)?,
                            billed: r.get(4)?,
                            effective: r.get(5)?,
                        })
                    },
                )
                .optional()
                .map_err(store_error)?;
            let billed: f64 = one.attributed.rows.values().map(|v| v.0).sum();
            let effective: f64 = one.attributed.rows.values().map(|v| v.1).sum();
            let restatement = previous
                .as_ref()
                .filter(|p| p.state == "final")
                .filter(|p| {
                    (p.billed - billed).abs() >= 0.005 || (p.effective - effective).abs() >= 0.005
                })
                .map(|p| Restatement {
                    period: period.clone(),
                    execution_id: one.execution_id.clone(),
                    billed_before: p.billed,
                    billed_after: billed,
                    effective_before: p.effective,
                    effective_after: effective,
                });
            if let Some(r) = &restatement {
                transaction
                    .execute(
                        "INSERT INTO restatements VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![
                            r.period,
                            r.execution_id,
                            r.billed_before,
                            r.billed_after,
                            r.effective_before,
                            r.effective_after
                        ],
                    )
                    .map_err(store_error)?;
            }
            transaction
                .execute("DELETE FROM daily WHERE period = ?1", [&period])
                .map_err(store_error)?;
            {
                let mut insert = transaction
                    .prepare("INSERT INTO daily VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
                    .map_err(store_error)?;
                for (
                    (day, account_id, account_name, domain, environment, service, charge),
                    (b, e),
                ) in &one.attributed.rows
                {
                    insert
                        .execute(params![
                            period,
                            day.to_string(),
                            account_id,
                            account_name,
                            domain,
                            environment,
                            service,
                            charge.as_str(),
                            b,
                            e
                        ])
                        .map_err(store_error)?;
                }
            }
            let state = if one.is_final { "final" } else { "estimated" };
            transaction
                .execute(
                    "INSERT OR REPLACE INTO periods VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        period,
                        one.payer,
                        state,
                        one.execution_id,
                        billed,
                        effective
                    ],
                )
                .map_err(store_error)?;
            transaction
                .execute(
                    "INSERT OR REPLACE INTO meta VALUES ('payer', ?1)",
                    [&one.payer],
                )
                .map_err(store_error)?;
            report.push(Ingested {
                period,
                format: one.format,
                lines: one.lines,
                state: state.to_string(),
                billed,
                effective,
                replaced: previous.is_some(),
                restatement,
                unallocated: one.attributed.unallocated,
            });
        }
        transaction.commit().map_err(store_error)?;
        Ok(report)
    }

    pub fn periods(&self) -> Result<Vec<Period>, CostError> {
        let mut statement = self
            .connection
            .prepare("SELECT period, payer, state, execution_id, billed, effective FROM periods ORDER BY period")
            .map_err(store_error)?;
        let rows = statement
            .query_map([], |r| {
                Ok(Period {
                    period: r.get(0)?,
                    payer: r.get(1)?,
                    state: r.get(2)?,
                    execution_id: r.get(3)?,
                    billed: r.get(4)?,
                    effective: r.get(5)?,
                })
            })
            .map_err(store_error)?;
        rows.collect::<Result<_, _>>().map_err(store_error)
    }

    pub fn restatements(&self) -> Result<Vec<Restatement>, CostError> {
        let mut statement = self
            .connection
            .prepare("SELECT period, execution_id, billed_before, billed_after, effective_before, effective_after FROM restatements ORDER BY rowid")
            .map_err(store_error)?;
        let rows = statement
            .query_map([], |r| {
                Ok(Restatement {
                    period: r.get(0)?,
                    execution_id: r.get(1)?,
                    billed_before: r.get(2)?,
                    billed_after: r.get(3)?,
                    effective_before: r.get(4)?,
                    effective_after: r.get(5)?,
                })
            })
            .map_err(store_error)?;
        rows.collect::<Result<_, _>>().map_err(store_error)
    }

    /// Every daily row, in key order.
    /// The standing last notified for `domain` (`landfall cost notify`).
    pub fn last_notified(&self, domain: &str) -> Result<Option<String>, CostError> {
        self.connection
            .query_row(
                "SELECT standing FROM notifications WHERE domain = ?1",
                params![domain],
                |r| r.get(0),
            )
            .optional()
            .map_err(store_error)
    }

    /// Records that `domain` was notified standing `standing` as of `as_of`.
    pub fn record_notified(
        &mut self,
        domain: &str,
        standing: &str,
        as_of: &str,
    ) -> Result<(), CostError> {
        self.connection
            .execute(
                "INSERT INTO notifications (domain, standing, as_of) VALUES (?1, ?2, ?3)
                 ON CONFLICT (domain) DO UPDATE SET standing = ?2, as_of = ?3",
                params![domain, standing, as_of],
            )
            .map(|_| ())
            .map_err(store_error)
    }

    pub fn daily(&self) -> Result<Vec<DailyCost>, CostError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT period, day, account_id, account_name, domain, environment, service, charge_category, billed, effective
                 FROM daily ORDER BY day, domain, environment, account_id, service, charge_category",
            )
            .map_err(store_error)?;
        let rows = statement
            .query_map([], |r| {
                let day: String = r.get(1)?;
                Ok(DailyCost {
                    period: r.get(0)?,
                    day: Date::parse(&day).unwrap_or(Date::EPOCH),
                    account_id: r.get(2)?,
                    account_name: r.get(3)?,
                    domain: r.get(4)?,
                    environment: r.get(5)?,
                    service: r.get(6)?,
                    charge_category: r.get(7)?,
                    billed: r.get(8)?,
                    effective: r.get(9)?,
                })
            })
            .map_err(store_error)?;
        rows.collect::<Result<_, _>>().map_err(store_error)
    }
}

fn aggregate(delivery: &Delivery, accounts: &AccountMap) -> Result<Aggregated, CostError> {
    let payer = delivery
        .manifest
        .payer()
        .map(str::to_string)
        .ok_or_else(|| {
            CostError::Invalid(format!(
                "{}: exportArn `{}` names no account",
                delivery.manifest_path.display(),
                delivery.manifest.export_arn
            ))
        })?;
    let mut out = Aggregated {
        delivery_period: delivery.period,
        payer,
        execution_id: delivery.manifest.execution_id.clone(),
        format: ExportFormat::Cur2,
        lines: 0,
        is_final: true,
        attributed: Attributed::default(),
    };
    for (k, path) in delivery.data_files.iter().enumerate() {
        let file = aggregate_file(path, &out.payer, delivery.period, accounts)?;
        if k > 0 && file.format != out.format {
            return Err(CostError::Invalid(format!(
                "{}: a {:?} file in a {:?} delivery",
                path.display(),
                file.format,
                out.format
            )));
        }
        out.format = file.format;
        out.is_final &= file.is_final;
        out.lines += file.lines;
        out.attributed.merge(file.attributed);
    }
    Ok(out)
}

fn sql(path: &Path, error: rusqlite::Error) -> CostError {
    CostError::Invalid(format!("{}: {error}", path.display()))
}

fn store_error(error: rusqlite::Error) -> CostError {
    CostError::Invalid(format!("cost store: {error}"))
}

// The spec snapshot: what the model ran at each ingest (the inventory of
// `crate::inventory`, as JSON), so `cost forecast` can tell launches from
// spend already in the bills. Kept apart from the billing tables: its own
// table, created on first use.
impl Store {
    fn snapshot_table(&self) -> Result<(), CostError> {
        self.connection
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS spec_snapshots (
                   taken TEXT NOT NULL, items TEXT NOT NULL)",
            )
            .map_err(store_error)
    }

    /// Snapshots kept: launches compare with the last one only; a few more
    /// say what the spec was at the ingests before.
    pub const SPEC_SNAPSHOTS_KEPT: usize = 10;

    /// Records the model's inventory as of `taken` (UTC, `YYYY-MM-DDTHH:MM:SSZ`)
    /// and drops all but the last [`Self::SPEC_SNAPSHOTS_KEPT`].
    pub fn record_spec_snapshot(
        &mut self,
        taken: &str,
        items: &[crate::inventory::Item],
    ) -> Result<(), CostError> {
        self.snapshot_table()?;
        let json = serde_json::to_string(items)
            .map_err(|e| CostError::Invalid(format!("cost store: spec snapshot: {e}")))?;
        let transaction = self.connection.transaction().map_err(store_error)?;
        transaction
            .execute(
                "INSERT INTO spec_snapshots (taken, items) VALUES (?1, ?2)",
                params![taken, json],
            )
            .map_err(store_error)?;
        transaction
            .execute(
                "DELETE FROM spec_snapshots WHERE rowid NOT IN
                   (SELECT rowid FROM spec_snapshots ORDER BY rowid DESC LIMIT ?1)",
                params![Self::SPEC_SNAPSHOTS_KEPT as i64],
            )
            .map_err(store_error)?;
        transaction.commit().map_err(store_error)
    }

    /// The last spec snapshot recorded, if any.
    pub fn last_spec_snapshot(&self) -> Result<Option<crate::launches::Snapshot>, CostError> {
        self.snapshot_table()?;
        let row: Option<(String, String)> = self
            .connection
            .query_row(
                "SELECT taken, items FROM spec_snapshots ORDER BY rowid DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(store_error)?;
        row.map(|(taken, items)| {
            let items = serde_json::from_str(&items).map_err(|e| {
                CostError::Invalid(format!(
                    "cost store: the spec snapshot of {taken} is not readable ({e}); run `landfall cost ingest` again to record a new one"
                ))
            })?;
            Ok(crate::launches::Snapshot { taken, items })
        })
        .transpose()
    }
}
