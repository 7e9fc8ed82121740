//! `landfall.lock` in live commands: a deploy uses exactly the addresses the
//! lockfile records, and the lockfile records every address a deploy used.
//!
//! The first deploy of a platform writes it (nothing live can disagree with
//! a fresh plan yet). Once any stack of the platform exists, `plan` and
//! `deploy` refuse to run without it: a fresh plan may give an address a
//! live VPC or subnet holds to something else (a domain removed and another
//! added takes the removed one's slot). When the plan records allocations
//! the lockfile does not have yet (a new domain, region or environment), the
//! deploy writes them before it creates anything that uses them.

use std::path::{Path, PathBuf};

use landfall_diagnostics::SourceSet;
use landfall_netplan::{LockChanges, Lockfile, LOCKFILE_NAME};

/// The lockfile beside a spec directory and the one the desired state was
/// planned with.
#[derive(Debug, Clone)]
pub struct LockfileUse {
    pub path: PathBuf,
    /// The lockfile of the address plan the desired state was built from.
    pub planned: Lockfile,
}

/// How the planned lockfile compares with the one on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockStatus {
    /// The lockfile records every planned allocation.
    Current,
    /// There is no lockfile.
    Missing,
    /// The plan records allocations the lockfile does not have (or the
    /// lockfile could not be read back, which the compile already reported).
    Adds(Vec<String>),
}

impl LockfileUse {
    /// The lockfile beside `spec_dir`, with the plan's.
    pub fn beside(spec_dir: &Path, planned: &Lockfile) -> std::io::Result<LockfileUse> {
        let use_ = LockfileUse {
            path: spec_dir.join(LOCKFILE_NAME),
            planned: planned.clone(),
        };
        use_.recorded()?;
        Ok(use_)
    }

    /// The lockfile's text as it is on disk now; `None` when there is none.
    pub fn recorded(&self) -> std::io::Result<Option<String>> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// How the planned lockfile compares with the one on disk now (an
    /// unreadable lockfile counts as missing).
    pub fn status(&self) -> LockStatus {
        let Ok(Some(text)) = self.recorded() else {
            return LockStatus::Missing;
        };
        let text = &text;
        let mut sources = SourceSet::default();
        let file = sources.add(self.path.display().to_string(), text.as_str());
        let changes = match Lockfile::parse(text, file) {
            Ok(old) => self.planned.changes_from(&old),
            Err(_) => self.planned.changes_from(&Lockfile::default()),
        };
        let LockChanges { added, moved, .. } = changes;
        let mut names: Vec<String> = added;
        names.extend(moved.into_iter().map(|(name, _, _)| name));
        if names.is_empty() {
            LockStatus::Current
        } else {
            LockStatus::Adds(names)
        }
    }

    /// Writes the planned lockfile where it belongs.
    pub fn write(&self) -> std::io::Result<()> {
        std::fs::write(&self.path, self.planned.to_toml())
    }
}
