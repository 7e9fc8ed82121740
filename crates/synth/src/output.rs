//! An output directory written all at once or not at all.
//!
//! `landfall synth` emits files while stacks are still being built (holding
//! every template of a 10,000-service platform in memory would take
//! gigabytes), yet a run that ends in an error must leave the directory as
//! it was.
//! Changed files go to a staging directory inside it and are moved into
//! place by [`Staged::commit`]; unchanged files are never touched, so their
//! times say what changed.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const STAGING: &str = ".landfall-staging";

pub struct Staged {
    out: PathBuf,
    staging: PathBuf,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Every path of this run's output (relative to `out`).
    keep: BTreeSet<String>,
    /// Paths whose new contents wait in the staging directory.
    staged: Vec<String>,
    /// Of those, the ones no earlier run wrote.
    new: BTreeSet<String>,
    /// The first error; later files are not written.
    error: Option<io::Error>,
}

impl Staged {
    pub fn new(out: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(out)?;
        let staging = out.join(STAGING);
        if staging.exists() {
            // Left by an interrupted run.
            std::fs::remove_dir_all(&staging)?;
        }
        std::fs::create_dir_all(&staging)?;
        Ok(Self {
            out: out.to_owned(),
            staging,
            state: Mutex::new(State::default()),
        })
    }

    /// Records one file of the output, staging it if it changed. Callable
    /// from any thread; an I/O error is kept for [`Staged::commit`].
    pub fn put(&self, path: String, contents: &str) {
        if self.lock().error.is_some() {
            return;
        }
        let old = std::fs::read(self.out.join(&path));
        let unchanged = old.as_ref().is_ok_and(|old| old == contents.as_bytes());
        let new = old.is_err();
        let written = if unchanged {
            Ok(())
        } else {
            let staged = self.staging.join(&path);
            staged
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&staged, contents))
        };
        let mut state = self.lock();
        match written {
            Ok(()) if !unchanged => {
                state.staged.push(path.clone());
                if new {
                    state.new.insert(path.clone());
                }
            }
            Ok(()) => {}
            Err(e) => {
                state.error.get_or_insert(e);
            }
        }
        state.keep.insert(path);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data; go on with it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Moves the staged files into place and removes the files of earlier
    /// runs this one no longer has, under `templates/` when `templates` and
    /// under `terraform/` when `terraform`.
    pub fn commit(self, templates: bool, terraform: bool) -> io::Result<Changes> {
        self.commit_with(templates, terraform, &[])
    }

    /// [`Staged::commit`], also removing the files below each of `trees`
    /// (`observability`, `pipelines`) that this run did not write (those
    /// trees have files at every depth).
    pub fn commit_with(
        self,
        templates: bool,
        terraform: bool,
        trees: &[&str],
    ) -> io::Result<Changes> {
        let state = std::mem::take(&mut *self.lock());
        if let Some(error) = state.error {
            self.abandon();
            return Err(error);
        }
        for path in &state.staged {
            let target = self.out.join(path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::rename(self.staging.join(path), target)?;
        }
        std::fs::remove_dir_all(&self.staging)?;
        let mut removed = Vec::new();
        if templates {
            remove_stale(
                &self.out,
                "templates",
                1,
                ".json",
                &state.keep,
                &mut removed,
            )?;
        }
        if terraform {
            remove_stale(
                &self.out,
                "terraform",
                2,
                ".tf.json",
                &state.keep,
                &mut removed,
            )?;
        }
        for tree in trees {
            remove_stale_tree(&self.out.join(tree), tree, &state.keep, &mut removed)?;
        }
        let (mut added, mut changed): (Vec<String>, Vec<String>) = state
            .staged
            .into_iter()
            .partition(|path| state.new.contains(path));
        added.sort();
        changed.sort();
        removed.sort();
        Ok(Changes {
            added,
            changed,
            removed,
        })
    }

    /// Leaves the output directory as it was before this run.
    pub fn abandon(self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}

/// What a run changed in the output directory, by path relative to it:
/// what `landfall synth` reports as the difference to the last synthesis.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Changes {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// Removes every file below `dir` (named `rel` in `keep`) that is not in
/// `keep`, and directories left empty by that.
fn remove_stale_tree(
    dir: &Path,
    rel: &str,
    keep: &BTreeSet<String>,
    removed: &mut Vec<String>,
) -> io::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = format!("{rel}/{}", entry.file_name().to_string_lossy());
        if entry.file_type()?.is_dir() {
            remove_stale_tree(&entry.path(), &path, keep, removed)?;
            let _ = std::fs::remove_dir(entry.path());
        } else if !keep.contains(&path) {
            std::fs::remove_file(entry.path())?;
            removed.push(path);
        }
    }
    Ok(())
}

/// Removes files ending in `suffix` at `depth` directories below
/// `out/root` that are not in `keep`, and directories left empty by that.
fn remove_stale(
    out: &Path,
    root: &str,
    depth: usize,
    suffix: &str,
    keep: &BTreeSet<String>,
    removed: &mut Vec<String>,
) -> io::Result<()> {
    fn walk(
        dir: &Path,
        rel: &str,
        depth: usize,
        suffix: &str,
        keep: &BTreeSet<String>,
        removed: &mut Vec<String>,
    ) -> io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = format!("{rel}/{name}");
            let kind = entry.file_type()?;
            if depth > 0 && kind.is_dir() {
                walk(&entry.path(), &path, depth - 1, suffix, keep, removed)?;
                // Gone when empty (Terraform's own `.terraform` keeps it).
                let _ = std::fs::remove_dir(entry.path());
            } else if depth == 0
                && kind.is_file()
                && name.ends_with(suffix)
                && !keep.contains(&path)
            {
                std::fs::remove_file(entry.path())?;
                removed.push(path);
            }
        }
        Ok(())
    }
    let dir = out.join(root);
    if dir.is_dir() {
        walk(&dir, root, depth, suffix, keep, removed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_owned()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    stack.push(e.path());
                } else {
                    let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
                    out.push(rel);
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn commit_moves_changed_files_and_removes_stale_ones() {
        let dir = std::env::temp_dir().join(format!("landfall-staged-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("templates/net")).unwrap();
        std::fs::write(dir.join("templates/net/old.json"), "{}").unwrap();
        std::fs::write(dir.join("templates/net/same.json"), "same").unwrap();
        std::fs::create_dir_all(dir.join("terraform/workloads/gone")).unwrap();
        std::fs::write(dir.join("terraform/workloads/gone/main.tf.json"), "{}").unwrap();
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();

        let staged = Staged::new(&dir).unwrap();
        staged.put("templates/net/same.json".into(), "same");
        staged.put("templates/net/new.json".into(), "new");
        staged.put("terraform/workloads/svc/main.tf.json".into(), "tf");
        // Nothing reaches the output before the commit.
        assert!(!dir.join("templates/net/new.json").exists());
        staged.commit(true, true).unwrap();

        assert_eq!(
            tree(&dir),
            [
                "notes.txt",
                "templates/net/new.json",
                "templates/net/same.json",
                "terraform/workloads/svc/main.tf.json"
            ]
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("templates/net/new.json")).unwrap(),
            "new"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn abandon_leaves_the_directory_as_it_was() {
        let dir = std::env::temp_dir().join(format!("landfall-abandon-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("templates/net")).unwrap();
        std::fs::write(dir.join("templates/net/a.json"), "old").unwrap();
        let staged = Staged::new(&dir).unwrap();
        staged.put("templates/net/a.json".into(), "new");
        staged.put("templates/net/b.json".into(), "new");
        staged.abandon();
        assert_eq!(tree(&dir), ["templates/net/a.json"]);
        assert_eq!(
            std::fs::read_to_string(dir.join("templates/net/a.json")).unwrap(),
            "old"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
