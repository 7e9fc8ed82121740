//! Live operations: plan, deploy and audit a Landfall platform in AWS.
//!
//! The only crate that talks to the network. It reads the resolved
//! [`Model`](landfall_model::Model), its address plan and the synthesized
//! resource graph into a [`Desired`] state, compares it with what the AWS
//! APIs report, and applies the difference through Organizations and
//! CloudFormation (stacks and service-managed StackSets). The audit runs the
//! guardrail rules of `landfall-rules` over a live inventory.
//!
//! Everything goes through the official AWS SDK for Rust: the standard
//! credential chain and profiles on the management account, an endpoint
//! override for emulators (moto server in the tests), and role assumption
//! into member accounts.

pub mod audit;
pub mod aws;
pub mod deploy;
pub mod desired;
pub mod emulator;
pub mod error;
pub mod inventory;
pub mod org;
pub mod plan;
pub mod progress;
pub mod stacks;

use std::time::Duration;

pub use audit::{AuditFinding, AuditReport};
pub use aws::{ConnectOptions, Session};
pub use deploy::{DeployReport, Engine};
pub use desired::Desired;
pub use emulator::Compat;
pub use error::LiveError;
pub use plan::{Change, Plan};
pub use progress::Progress;
pub use stacks::Waits;

use landfall_graph::OrganizationAction;
use landfall_model::Model;
use landfall_netplan::AddressPlan;

/// Everything live commands start from, built offline.
pub struct Platform {
    pub desired: Desired,
    /// Services the graph gives trusted access to, plus StackSets'.
    pub trusted_services: Vec<String>,
}

impl Platform {
    /// Synthesizes the platform; fails with the synthesis problems as text.
    pub fn new(model: &Model, plan: &AddressPlan, compat: Compat) -> Result<Platform, Vec<String>> {
        let scps = landfall_rules::compile_scps(model)
            .map_err(|d| d.iter().map(|d| d.message.clone()).collect::<Vec<_>>())?;
        let graph = landfall_synth::synthesize(model, plan, &scps)
            .map_err(|problems| problems.iter().map(ToString::to_string).collect::<Vec<_>>())?;
        let mut trusted_services = vec![deploy::STACKSETS_SERVICE.to_owned()];
        for action in &graph.organization_actions {
            if let OrganizationAction::EnableTrustedAccess { service_principal } = action {
                if !trusted_services.contains(service_principal) {
                    trusted_services.push(service_principal.clone());
                }
            }
        }
        Ok(Platform {
            desired: Desired::new(model, plan, &scps, &graph, compat),
            trusted_services,
        })
    }
}

/// A spec directory compiled for live commands: the platform and the
/// guardrail rules' settings. Errors are the spec's problems, one per line,
/// as `landfall validate --spec DIR` would report them.
pub fn load_platform(
    dir: &std::path::Path,
    compat: Compat,
) -> Result<(Platform, landfall_rules::Settings), String> {
    use landfall_netplan::{Lockfile, PlanOptions, LOCKFILE_NAME};
    let mut resolved = landfall_model::load_dir(dir)
        .map_err(|e| format!("cannot load the spec in `{}`: {e}", dir.display()))?;
    let lock_path = dir.join(LOCKFILE_NAME);
    let lock = match std::fs::read_to_string(&lock_path) {
        Ok(text) => {
            let file = resolved
                .loaded
                .sources
                .add(lock_path.display().to_string(), text.as_str());
            match Lockfile::parse(&text, file) {
                Ok(lock) => Some(lock),
                Err(diagnostics) => {
                    resolved.diagnostics.extend(diagnostics);
                    None
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read `{}`: {e}", lock_path.display())),
    };
    let problems = |messages: Vec<String>| {
        format!(
            "the spec in `{}` has errors (run `landfall validate --spec {}`): {}",
            dir.display(),
            dir.display(),
            messages.join("; ")
        )
    };
    let Some(model) = resolved
        .model
        .as_ref()
        .filter(|_| !resolved.diagnostics.has_errors())
    else {
        return Err(problems(
            resolved
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.message.clone())
                .collect(),
        ));
    };
    let planned = landfall_netplan::plan(
        model,
        &resolved.loaded,
        lock.as_ref(),
        PlanOptions::default(),
    );
    let Some(plan) = planned
        .plan
        .filter(|_| !planned.diagnostics.iter().any(|d| d.is_error()))
    else {
        return Err(problems(
            planned
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.message.clone())
                .collect(),
        ));
    };
    let platform = Platform::new(model, &plan, compat).map_err(|p| p.join("; "))?;
    Ok((platform, landfall_rules::Settings::from_model(model)))
}

/// Runtime settings of a live command.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub endpoint_url: Option<String>,
    pub profile: Option<String>,
    /// Progress lines on stderr.
    pub progress: bool,
    /// Parallel account-region inventories in an audit.
    pub concurrency: usize,
}

impl LiveOptions {
    /// Emulators answer at once; AWS needs patience.
    pub fn waits(&self) -> Waits {
        if self.endpoint_url.is_some() {
            Waits {
                poll: Duration::from_millis(100),
                stack_timeout: Duration::from_secs(120),
            }
        } else {
            Waits {
                poll: Duration::from_secs(5),
                stack_timeout: Duration::from_secs(3600),
            }
        }
    }

    /// Which engine the templates will meet: an endpoint pointing at a
    /// loopback address is taken for moto server.
    pub fn compat(&self) -> Compat {
        match &self.endpoint_url {
            Some(url) if is_loopback(url) => Compat::Moto,
            _ => Compat::Aws,
        }
    }
}

fn is_loopback(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    host == "localhost" || host.starts_with("127.") || url.contains("[::1]")
}

/// A current-thread runtime for the CLI's live commands.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Connects with the options, in the desired platform's home region.
pub async fn connect(options: &LiveOptions, desired: &Desired) -> Session {
    Session::connect(ConnectOptions {
        endpoint_url: options.endpoint_url.clone(),
        profile: options.profile.clone(),
        home_region: desired.home_region.clone(),
        max_attempts: 8,
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_endpoints_are_taken_for_the_emulator() {
        assert!(is_loopback("http://127.0.0.1:5000"));
        assert!(is_loopback("http://localhost:5000/"));
        assert!(is_loopback("http://[::1]:5000"));
        assert!(!is_loopback(
            "https://vpce-123.cloudformation.eu-central-1.vpce.amazonaws.com"
        ));
    }
}
