//! The deploy journal: one JSON line per change applied or failed, written
//! and flushed as it happens, so a deploy that is killed or interrupted
//! (Ctrl-C) leaves a record of what it did.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::json;

pub struct Journal {
    pub path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

impl Journal {
    /// Creates the journal file (and its directory); appends when it exists.
    pub fn create(path: &Path) -> std::io::Result<Journal> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Journal {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    /// The default place: `.landfall/deploy-<unix seconds>.jsonl` under `dir`.
    pub fn default_path(dir: &Path) -> PathBuf {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        dir.join(".landfall").join(format!("deploy-{secs}.jsonl"))
    }

    /// Appends one event (`applied`, `failed`, `stack`); a journal that
    /// cannot be written does not stop the deploy.
    pub fn record(&self, event: &str, detail: serde_json::Value) {
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let line = json!({ "at": at, "event": event, "detail": detail });
        if let Ok(mut file) = self.file.lock() {
            let _ = writeln!(file, "{line}");
            let _ = file.flush();
        }
    }

    /// The events recorded so far, one per line.
    pub fn read(path: &Path) -> std::io::Result<Vec<serde_json::Value>> {
        Ok(std::fs::read_to_string(path)?
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    }
}
