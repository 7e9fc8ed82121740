#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use landfall_deployability::{Finding, Input};
use landfall_graph::{Graph, Stack};
use landfall_model::{Model, Resolved};
use landfall_netplan::AddressPlan;
use landfall_rules::ScpSet;

/// A compiled platform: every layer, workloads included.
pub struct Platform {
    pub model: Model,
    pub plan: AddressPlan,
    pub scps: ScpSet,
    pub graph: Graph,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn compile(mut resolved: Resolved, lockfile: Option<(String, String)>) -> Platform {
    let compiled = landfall_synth::platform::compile(&mut resolved, lockfile, Default::default())
        .unwrap_or_else(|| panic!("{:?}", resolved.diagnostics));
    let model = resolved.model.expect("the spec resolves");
    let mut graph = compiled.graph;
    let stacks =
        landfall_workloads::build(&model, &compiled.plan, &graph, &workload_options(&model))
            .unwrap_or_else(|p| panic!("{p:?}"));
    graph.stacks.extend(stacks);
    Platform {
        model,
        plan: compiled.plan,
        scps: compiled.scps,
        graph,
    }
}

/// The small platform of `fixtures/specs/small`.
pub fn small() -> Platform {
    compile(
        landfall_model::load_dir(&root().join("fixtures/specs/small")).expect("fixture"),
        None,
    )
}

/// The reference platform, with its lockfile.
pub fn reference() -> Platform {
    let lockfile = landfall_synth::platform::lockfile_text(None).expect("lockfile");
    compile(landfall_model::reference(), lockfile)
}

impl Platform {
    pub fn input(&self) -> Input<'_> {
        Input {
            model: &self.model,
            plan: &self.plan,
            scps: &self.scps,
            graph: &self.graph,
        }
    }

    pub fn stack_mut(&mut self, name: &str) -> &mut Stack {
        self.graph
            .stacks
            .iter_mut()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no stack `{name}`"))
    }

    pub fn stack_names(&self, prefix: &str) -> Vec<String> {
        self.graph
            .stacks
            .iter()
            .filter(|s| s.name.starts_with(prefix))
            .map(|s| s.name.clone())
            .collect()
    }
}

/// Findings of one code, as `(stack, resource)`.
pub fn of_code<'f>(findings: &'f [Finding], code: &str) -> Vec<&'f Finding> {
    findings.iter().filter(|f| f.code == code).collect()
}

/// Counts per code, for reports.
pub fn counts(findings: &[Finding]) -> std::collections::BTreeMap<&'static str, usize> {
    let mut out = std::collections::BTreeMap::new();
    for f in findings {
        *out.entry(f.code).or_insert(0) += 1;
    }
    out
}

/// The workload layer with every service's log agent, as `landfall synth`
/// builds it.
fn workload_options(model: &Model) -> landfall_workloads::Options {
    landfall_workloads::Options {
        services: None,
        environments: None,
        log_agents: landfall_telemetry::generate(model)
            .map(|b| std::sync::Arc::new(landfall_telemetry::agent_configs(&b))),
        metric_agents: landfall_observability::sidecar_configs(model).map(std::sync::Arc::new),
        host_agents: landfall_observability::host_agent_configs(model).map(std::sync::Arc::new),
        log_aggregator: landfall_telemetry::generate(model)
            .and_then(|b| landfall_telemetry::aggregator_config(&b))
            .map(std::sync::Arc::new),
        jaeger: landfall_telemetry::generate(model)
            .and_then(|b| landfall_telemetry::jaeger_config(&b))
            .map(std::sync::Arc::new),
    }
}
