//! The platform as `synth` and `check` see it: the one compile pipeline of
//! `landfall_synth::platform` (lockfile, address plan, SCPs, platform
//! layers) plus the workload layer. Live commands use the pipeline without
//! workloads, whose stacks need parameters resolved after the platform
//! layers are deployed.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;
use landfall_model::Resolved;
use landfall_netplan::PlanOptions;
use landfall_synth::platform::Compiled;

/// Compiles the platform layers (no workloads), with the spec's lockfile.
pub fn compile_platform(
    resolved: &mut Resolved,
    spec_dir: Option<&Path>,
) -> anyhow::Result<Option<Compiled>> {
    let lockfile = landfall_synth::platform::lockfile_text(spec_dir)
        .context("cannot read the spec's lockfile")?;
    Ok(landfall_synth::platform::compile(
        resolved,
        lockfile,
        PlanOptions::default(),
    ))
}

/// Compiles every layer; `services` keeps only those services' workload
/// stacks (and drops the platform layers). Problems go to
/// `resolved.diagnostics`; `None` when there is any error.
pub fn compile(
    resolved: &mut Resolved,
    spec_dir: Option<&Path>,
    services: Option<BTreeSet<String>>,
) -> anyhow::Result<Option<Compiled>> {
    let Some(mut compiled) = compile_platform(resolved, spec_dir)? else {
        return Ok(None);
    };
    let Some(model) = resolved.model.as_ref() else {
        return Ok(None);
    };
    let only_some = services.is_some();
    let options = landfall_workloads::Options { services };
    match landfall_workloads::build(model, &compiled.plan, &compiled.graph, &options) {
        Ok(stacks) if only_some => compiled.graph.stacks = stacks,
        Ok(stacks) => compiled.graph.stacks.extend(stacks),
        Err(problems) => {
            report(resolved, &problems);
            return Ok(None);
        }
    }
    Ok(Some(compiled))
}

/// Adds the workload layer's problems to the diagnostics.
pub fn report(resolved: &mut Resolved, problems: &[landfall_workloads::Problem]) {
    let diagnostics: Vec<_> = problems
        .iter()
        .map(|p| p.to_diagnostic(&resolved.loaded))
        .collect();
    resolved.diagnostics.extend(diagnostics);
}
