//! The platform as `synth`, `check` and the live commands see it: the one
//! compile pipeline of `landfall_synth::platform` (lockfile, address plan,
//! SCPs, platform layers) plus, when asked, the workload layer. (`synth`
//! compiles the platform layers here and builds the workload layer itself,
//! emitting each stack as it is built.) `plan` and
//! `deploy` use the platform layers only unless given `--workloads` or
//! `--service`; the workload stacks' parameters that read ids and outputs
//! of platform stacks are then resolved by the live engine when each stack
//! deploys.

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

/// Which layers a compile keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layers {
    /// The platform layers only (what `plan` and `audit` read live).
    #[cfg_attr(not(feature = "live"), allow(dead_code))]
    Platform,
    /// The platform layers and the workload layer, all of it or some.
    PlatformAndWorkloads(WorkloadSelection),
}

/// Which of the workload layer's stacks a compile keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkloadSelection {
    /// Only these services' stacks (their account's shared stack and the
    /// data stores they use included); every service when `None`.
    pub services: Option<BTreeSet<String>>,
    /// Only the stacks of these environments; every one when `None`.
    pub environments: Option<BTreeSet<String>>,
}

impl WorkloadSelection {
    /// The whole workload layer.
    pub fn all() -> WorkloadSelection {
        WorkloadSelection::default()
    }

    /// Whether nothing is left out: only then may a plan retire workload
    /// stacks it does not have.
    #[cfg_attr(not(feature = "live"), allow(dead_code))]
    pub fn is_all(&self) -> bool {
        self.services.is_none() && self.environments.is_none()
    }
}

/// Compiles the layers asked for. Problems go to `resolved.diagnostics`;
/// `None` when there is any error.
pub fn compile(
    resolved: &mut Resolved,
    spec_dir: Option<&Path>,
    layers: Layers,
) -> anyhow::Result<Option<Compiled>> {
    let Some(mut compiled) = compile_platform(resolved, spec_dir)? else {
        return Ok(None);
    };
    let Some(model) = resolved.model.as_ref() else {
        return Ok(None);
    };
    let selection = match layers {
        Layers::Platform => return Ok(Some(compiled)),
        Layers::PlatformAndWorkloads(selection) => selection,
    };
    let telemetry = landfall_telemetry::generate(model);
    let options = landfall_workloads::Options {
        services: selection.services,
        environments: selection.environments,
        log_agents: telemetry
            .as_ref()
            .map(|b| std::sync::Arc::new(landfall_telemetry::agent_configs(b))),
        metric_agents: landfall_observability::sidecar_configs(model).map(std::sync::Arc::new),
        host_agents: landfall_observability::host_agent_configs(model).map(std::sync::Arc::new),
        log_aggregator: telemetry
            .as_ref()
            .and_then(landfall_telemetry::aggregator_config)
            .map(std::sync::Arc::new),
        jaeger: telemetry
            .as_ref()
            .and_then(landfall_telemetry::jaeger_config)
            .map(std::sync::Arc::new),
    };
    match landfall_workloads::build(model, &compiled.plan, &compiled.graph, &options) {
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
