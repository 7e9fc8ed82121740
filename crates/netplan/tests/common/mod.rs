//! Helpers shared by the planner's tests: specs in memory, planning with a
//! lockfile text, and diagnostics rendered with their locations.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers"
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use landfall_netplan::{Lockfile, PlanOptions, Planned, LOCKFILE_NAME};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The YAML files of `fixtures/specs/small`, by relative name.
pub fn small() -> BTreeMap<String, String> {
    fn read(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for entry in entries {
            let path = entry.path();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if path.is_dir() {
                read(&path, &format!("{name}/"), out);
            } else if name.ends_with(".yaml") {
                out.insert(name, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    read(&repo_root().join("fixtures/specs/small"), "", &mut out);
    out
}

/// Replaces `from` (which must occur) by `to` in one file.
pub fn edit(files: &mut BTreeMap<String, String>, file: &str, from: &str, to: &str) {
    let text = files.get_mut(file).unwrap();
    assert!(text.contains(from), "`{from}` not in {file}");
    *text = text.replacen(from, to, 1);
}

pub struct Outcome {
    pub resolved: landfall_model::Resolved,
    pub planned: Planned,
}

impl Outcome {
    /// `file:line:column: code: message` per diagnostic, then its labels and help.
    pub fn rendered(&self) -> String {
        let sources = &self.resolved.loaded.sources;
        let mut out = String::new();
        for d in &self.planned.diagnostics {
            let json = landfall_diagnostics::JsonDiagnostic::new(d, sources);
            let place = match (&json.file, json.line, json.column) {
                (Some(file), Some(line), Some(column)) => format!("{file}:{line}:{column}"),
                _ => "-".to_owned(),
            };
            let _ = writeln!(out, "{place}: {}: {}", d.code, d.message);
            for label in &d.labels {
                let at = sources.location(label.span);
                let _ = writeln!(
                    out,
                    "  {}:{}:{}: {}",
                    at.file, at.line, at.column, label.message
                );
            }
            if let Some(help) = &d.help {
                let _ = writeln!(out, "  help: {help}");
            }
        }
        out
    }

    pub fn codes(&self) -> Vec<&'static str> {
        self.planned.diagnostics.iter().map(|d| d.code).collect()
    }

    pub fn lock_text(&self) -> String {
        self.planned.plan.as_ref().unwrap().lockfile.to_toml()
    }
}

/// Loads, resolves and plans in-memory files with an optional lockfile text.
pub fn plan_with(
    files: &BTreeMap<String, String>,
    lock: Option<&str>,
    options: PlanOptions,
    tweak: impl FnOnce(&mut landfall_model::Model),
) -> Outcome {
    let (loaded, diagnostics) = landfall_spec::load_files(files.clone());
    let mut resolved = landfall_model::resolve(loaded, diagnostics);
    let messages: Vec<String> = resolved
        .diagnostics
        .iter()
        .map(|d| d.message.clone())
        .collect();
    assert!(!resolved.diagnostics.has_errors(), "{messages:#?}");
    let lock = lock.map(|text| {
        let file = resolved.loaded.sources.add(LOCKFILE_NAME, text);
        Lockfile::parse(text, file).unwrap()
    });
    let mut model = resolved.model.take().unwrap();
    tweak(&mut model);
    let planned = landfall_netplan::plan(&model, &resolved.loaded, lock.as_ref(), options);
    resolved.model = Some(model);
    Outcome { resolved, planned }
}

pub fn plan(files: &BTreeMap<String, String>, lock: Option<&str>) -> Outcome {
    plan_with(files, lock, PlanOptions::default(), |_| {})
}
