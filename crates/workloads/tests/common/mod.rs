#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use landfall_graph::{Graph, Stack};
use landfall_model::Model;
use landfall_netplan::AddressPlan;

/// The reference platform and its workload layer as `landfall synth`
/// builds it ([`Platform::workloads_with_agents`]), built once per test
/// binary.
pub fn reference_with_agents() -> &'static (Platform, Vec<Stack>) {
    static REFERENCE: std::sync::OnceLock<(Platform, Vec<Stack>)> = std::sync::OnceLock::new();
    REFERENCE.get_or_init(|| {
        let p = reference();
        let stacks = p.workloads_with_agents();
        (p, stacks)
    })
}

pub struct Platform {
    pub model: Model,
    pub plan: AddressPlan,
    pub base: Graph,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn finish(resolved: landfall_model::Resolved) -> Platform {
    let model = resolved.model.expect("the spec resolves");
    let plan = landfall_netplan::plan(&model, &resolved.loaded, None, Default::default())
        .plan
        .expect("the address plan");
    let scps = landfall_rules::compile_scps(&model).expect("SCPs");
    let base = landfall_synth::synthesize(&model, &plan, &scps).expect("platform layers");
    Platform { model, plan, base }
}

pub fn small() -> Platform {
    finish(landfall_model::load_dir(&root().join("fixtures/specs/small")).expect("fixture"))
}

pub fn reference() -> Platform {
    finish(landfall_model::reference())
}

pub fn spec(files: Vec<(String, String)>) -> Platform {
    let dir = std::env::temp_dir().join(format!(
        "landfall-workloads-{}-{}",
        std::process::id(),
        files.len()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    for (name, text) in &files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let p = finish(landfall_model::load_dir(&dir).expect("synthetic spec"));
    let _ = std::fs::remove_dir_all(&dir);
    p
}

impl Platform {
    pub fn workloads(&self) -> Vec<Stack> {
        landfall_workloads::build(&self.model, &self.plan, &self.base, &Default::default())
            .unwrap_or_else(|p| {
                panic!(
                    "{}",
                    p.iter()
                        .map(|p| p.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            })
    }

    /// The workload layer with a log agent and a metrics agent
    /// configuration for every service (stand-in texts; `landfall synth`
    /// passes the telemetry and observability crates'), as `landfall synth`
    /// builds it.
    pub fn workloads_with_agents(&self) -> Vec<Stack> {
        let options = landfall_workloads::Options {
            services: None,
            environments: None,
            log_agents: Some(std::sync::Arc::new(log_agent_configs(&self.model))),
            metric_agents: Some(std::sync::Arc::new(metric_agent_configs(&self.model))),
            host_agents: Some(std::sync::Arc::new(host_agent_configs(&self.model))),
            log_aggregator: Some(std::sync::Arc::new(
                "# the log aggregators\nsources: {}\n".to_owned(),
            )),
            jaeger: Some(std::sync::Arc::new("# jaeger\nextensions: {}\n".to_owned())),
        };
        landfall_workloads::build(&self.model, &self.plan, &self.base, &options).unwrap_or_else(
            |p| {
                panic!(
                    "{}",
                    p.iter()
                        .map(|p| p.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            },
        )
    }

    pub fn graph(&self, stacks: Vec<Stack>) -> Graph {
        Graph {
            organization: self.base.organization.clone(),
            home_region: self.base.home_region.clone(),
            stacks,
            organization_actions: Vec::new(),
        }
    }
}

/// A stand-in host daemon configuration per domain with metal services.
pub fn host_agent_configs(model: &Model) -> std::collections::BTreeMap<String, String> {
    model
        .services
        .iter()
        .filter(|s| s.latency_sensitive)
        .map(|s| {
            let domain = &model.domain(s.domain).name;
            (domain.clone(), format!("# the host daemon of {domain}\n"))
        })
        .collect()
}

/// A stand-in Telegraf configuration per service.
pub fn metric_agent_configs(model: &Model) -> std::collections::BTreeMap<String, String> {
    model
        .services
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                format!("# the metrics agent of {}\n", s.name),
            )
        })
        .collect()
}

pub fn log_agent_configs(model: &Model) -> std::collections::BTreeMap<String, String> {
    model
        .services
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                format!("# the log agent of {}\nsources: {{}}\n", s.name),
            )
        })
        .collect()
}
