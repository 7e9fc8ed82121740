//! Loading specs and synthesizing them, for the integration tests.

#![allow(dead_code, clippy::expect_used)]

use std::path::{Path, PathBuf};

use landfall_graph::Graph;
use landfall_model::Model;
use landfall_netplan::{AddressPlan, Lockfile, PlanOptions};
use landfall_spec::LoadedSpec;
use landfall_synth::cloudformation::{self, Emitted};

pub struct Synthesized {
    pub loaded: LoadedSpec,
    pub model: Model,
    pub plan: AddressPlan,
    pub graph: Graph,
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Loads in-memory spec files, plans addresses (following `lock` when given)
/// and synthesizes, panicking with the diagnostics on any problem.
pub fn synthesize_files(files: Vec<(String, String)>, lock: Option<&Lockfile>) -> Synthesized {
    let (loaded, diagnostics) = landfall_spec::load_files(files);
    let resolved = landfall_model::resolve(loaded, diagnostics);
    assert!(
        !resolved.diagnostics.has_errors(),
        "{:?}",
        resolved.diagnostics.iter().collect::<Vec<_>>()
    );
    let model = resolved.model.expect("a valid model");
    let planned = landfall_netplan::plan(&model, &resolved.loaded, lock, PlanOptions::default());
    assert!(!planned.has_errors(), "{:?}", planned.diagnostics);
    let plan = planned.plan.expect("a plan");
    let scps = landfall_rules::compile_scps(&model).unwrap_or_else(|d| panic!("{d:#?}"));
    let graph = landfall_synth::synthesize(&model, &plan, &scps).unwrap_or_else(|problems| {
        panic!("{problems:#?}");
    });
    Synthesized {
        loaded: resolved.loaded,
        model,
        plan,
        graph,
    }
}

pub fn read_dir_files(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("readable fixture directory")
            .filter_map(Result::ok)
            .collect();
        entries.sort_by_key(|e| e.path());
        for entry in entries {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                let name = path
                    .strip_prefix(root)
                    .expect("below the root")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((name, std::fs::read_to_string(&path).expect("utf-8 spec")));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

pub fn small_files() -> Vec<(String, String)> {
    read_dir_files(&repo_root().join("fixtures/specs/small"))
}

/// The reference platform's spec files (without its lockfile).
pub fn reference_files() -> Vec<(String, String)> {
    landfall_spec::REFERENCE_FILES
        .iter()
        .filter(|(name, _)| name.ends_with(".yaml"))
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect()
}

pub fn emit(s: &Synthesized) -> Emitted {
    cloudformation::emit(&s.graph, &s.model.limits, Some(&s.loaded.sources))
        .unwrap_or_else(|problems| panic!("{problems:#?}"))
}

/// The testkit's synthetic platform of about `accounts` accounts.
pub fn synthetic_files(accounts: usize, services: usize) -> Vec<(String, String)> {
    landfall_testkit::synthetic_spec(landfall_testkit::Size::about(accounts, services))
}
