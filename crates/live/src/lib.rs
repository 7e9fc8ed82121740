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

pub mod access;
pub mod addresses;
pub mod audit;
pub mod automation;
pub mod aws;
pub mod billing_export;
pub mod cost_tags;
pub mod credentials;
pub mod deploy;
pub mod desired;
pub mod emulator;
pub mod error;
pub mod events;
pub mod heal_journal;
pub mod identity;
pub mod inspector;
pub mod inventory;
pub mod journal;
pub mod lockfile;
pub mod mail;
pub mod msk;
pub mod org;
pub mod params;
pub mod plan;
pub mod preflight;
pub mod progress;
pub mod protection;
pub mod remediate;
pub mod retire;
pub mod retry;
pub mod schedule;
pub mod stacks;
pub mod targets;
pub mod webhook;

use std::time::Duration;

pub use audit::{AuditFinding, AuditReport};
pub use aws::{ConnectOptions, Session};
pub use deploy::{DeployReport, Engine};
pub use desired::Desired;
pub use emulator::Compat;
pub use error::LiveError;
pub use lockfile::LockfileUse;
pub use plan::{Change, Plan};
pub use progress::Progress;
pub use stacks::Waits;

use landfall_graph::OrganizationAction;
use landfall_model::Model;
use landfall_synth::platform::Compiled;

/// Everything live commands start from, built offline.
pub struct Platform {
    pub desired: Desired,
    /// Services the graph gives trusted access to, plus StackSets'.
    pub trusted_services: Vec<String>,
    /// Organization settings no stack makes (delegated administrators,
    /// RAM sharing, the GuardDuty administrator).
    pub organization_actions: Vec<OrganizationAction>,
    /// The lockfile beside the spec; `None` for the built-in reference
    /// platform, whose lockfile is read-only.
    pub lockfile: Option<LockfileUse>,
}

impl Platform {
    /// The live commands' view of a compiled platform (see
    /// `landfall_synth::platform::compile`).
    pub fn new(model: &Model, compiled: &Compiled, compat: Compat) -> Platform {
        let (plan, scps, graph) = (&compiled.plan, &compiled.scps, &compiled.graph);
        let mut trusted_services = vec![deploy::STACKSETS_SERVICE.to_owned()];
        for action in &graph.organization_actions {
            if let OrganizationAction::EnableTrustedAccess { service_principal } = action {
                if !trusted_services.contains(service_principal) {
                    trusted_services.push(service_principal.clone());
                }
            }
        }
        Platform {
            desired: Desired::new(model, plan, scps, graph, compat),
            trusted_services,
            organization_actions: graph.organization_actions.clone(),
            lockfile: None,
        }
    }
}

/// A spec directory compiled for live commands: the platform and the
/// guardrail rules' settings. Errors are the spec's problems, one per line,
/// as `landfall validate --spec DIR` would report them.
pub fn load_platform(
    dir: &std::path::Path,
    compat: Compat,
) -> Result<(Platform, landfall_rules::Settings), String> {
    let mut resolved = landfall_model::load_dir(dir)
        .map_err(|e| format!("cannot load the spec in `{}`: {e}", dir.display()))?;
    let lockfile = landfall_synth::platform::lockfile_text(Some(dir))
        .map_err(|e| format!("cannot read the lockfile beside `{}`: {e}", dir.display()))?;
    let compiled = landfall_synth::platform::compile(&mut resolved, lockfile, Default::default());
    match (compiled, resolved.model.as_ref()) {
        (Some(compiled), Some(model)) => {
            let mut platform = Platform::new(model, &compiled, compat);
            platform.lockfile = Some(LockfileUse::beside(dir, &compiled.plan.lockfile).map_err(
                |e| format!("cannot read the lockfile beside `{}`: {e}", dir.display()),
            )?);
            Ok((platform, landfall_rules::Settings::from_model(model)))
        }
        _ => {
            let messages: Vec<String> = resolved
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.message.clone())
                .collect();
            Err(format!(
                "the spec in `{}` has errors (run `landfall validate --spec {}`): {}",
                dir.display(),
                dir.display(),
                messages.join("; ")
            ))
        }
    }
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
        max_attempts: 0,
    })
    .await
    .with_progress(Progress::new(options.progress))
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
