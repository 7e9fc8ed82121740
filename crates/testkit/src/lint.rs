//! Running an external linter over many files on every core: cfn-lint
//! lints on one core and its start-up dominates a call, so the files go in
//! one batched call per core, side by side.
#![allow(clippy::expect_used, reason = "test support")]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `tool <args> -- <files>` in one call per available core, each over an
/// equal share of `files`; the outputs in the order of the shares.
pub fn batched_on_every_core(tool: &Path, args: &[&OsStr], files: &[PathBuf]) -> Vec<Output> {
    if files.is_empty() {
        return Vec::new();
    }
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    let share = files.len().div_ceil(cores);
    let runs: Vec<std::process::Child> = files
        .chunks(share)
        .map(|chunk| {
            Command::new(tool)
                .args(args)
                .arg("--")
                .args(chunk)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the linter starts")
        })
        .collect();
    runs.into_iter()
        .map(|run| run.wait_with_output().expect("the linter ends"))
        .collect()
}
