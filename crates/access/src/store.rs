//! Where grants are kept, written only over the version read.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use crate::grant::Grant;

#[derive(Debug, thiserror::Error)]
#[error("the grant store: {0}")]
pub struct StoreError(pub String);

/// Durable grants. Writes are conditional: [`GrantStore::insert`] only
/// when the id is new, [`GrantStore::replace`] only over the version the
/// caller read, so of two writers acting on one read exactly one succeeds.
pub trait GrantStore: Send + Sync {
    /// Adds a new grant; `false` when its id exists.
    fn insert(&self, grant: &Grant) -> Result<bool, StoreError>;
    fn get(&self, id: &str) -> Result<Option<Grant>, StoreError>;
    /// Every grant, oldest request first.
    fn list(&self) -> Result<Vec<Grant>, StoreError>;
    /// Writes `grant` if the stored one is still at `grant.version - 1`;
    /// `false` when another write came first.
    fn replace(&self, grant: &Grant) -> Result<bool, StoreError>;
}

/// Grants in an SQLite file (WAL; other processes may use it at once).
pub struct SqliteStore {
    connection: Mutex<Connection>,
}

fn sql(e: rusqlite::Error) -> StoreError {
    StoreError(e.to_string())
}

fn json(e: serde_json::Error) -> StoreError {
    StoreError(format!("a grant record does not read: {e}"))
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError(format!("cannot create {}: {e}", parent.display())))?;
        }
        let connection = Connection::open(path)
            .map_err(|e| StoreError(format!("cannot open {}: {e}", path.display())))?;
        connection
            .busy_timeout(Duration::from_secs(10))
            .map_err(sql)?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        connection
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS grants (
                    id TEXT PRIMARY KEY,
                    requested_at INTEGER NOT NULL,
                    version INTEGER NOT NULL,
                    record TEXT NOT NULL
                )",
            )
            .map_err(sql)?;
        Ok(SqliteStore {
            connection: Mutex::new(connection),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let connection = self
            .connection
            .lock()
            .map_err(|_| StoreError("the store's connection was poisoned".into()))?;
        f(&connection)
    }
}

impl GrantStore for SqliteStore {
    fn insert(&self, grant: &Grant) -> Result<bool, StoreError> {
        let record = serde_json::to_string(grant).map_err(json)?;
        self.with(|c| {
            let n = c
                .execute(
                    "INSERT INTO grants (id, requested_at, version, record) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO NOTHING",
                    params![
                        grant.id,
                        grant.requested_at as i64,
                        grant.version as i64,
                        record
                    ],
                )
                .map_err(sql)?;
            Ok(n == 1)
        })
    }

    fn get(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        let record: Option<String> = self.with(|c| {
            c.query_row("SELECT record FROM grants WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql)
        })?;
        record
            .map(|r| serde_json::from_str(&r).map_err(json))
            .transpose()
    }

    fn list(&self) -> Result<Vec<Grant>, StoreError> {
        let records: Vec<String> = self.with(|c| {
            let mut statement = c
                .prepare("SELECT record FROM grants ORDER BY requested_at, id")
                .map_err(sql)?;
            let rows = statement.query_map([], |r| r.get(0)).map_err(sql)?;
            rows.collect::<Result<_, _>>().map_err(sql)
        })?;
        records
            .iter()
            .map(|r| serde_json::from_str(r).map_err(json))
            .collect()
    }

    fn replace(&self, grant: &Grant) -> Result<bool, StoreError> {
        let record = serde_json::to_string(grant).map_err(json)?;
        let previous = grant.version.saturating_sub(1);
        self.with(|c| {
            let n = c
                .execute(
                    "UPDATE grants SET version = ?1, record = ?2 WHERE id = ?3 AND version = ?4",
                    params![grant.version as i64, record, grant.id, previous as i64],
                )
                .map_err(sql)?;
            Ok(n == 1)
        })
    }
}
