//! Deployability: what real AWS decides at deploy time, checked offline.
//!
//! Schema validation (cfn-lint) and the emulator accept output that real AWS
//! rejects when it deploys: an SCP that denies the platform's own deploy
//! role, a dynamic reference to a parameter nothing creates, a task that
//! cannot reach ECR, an engine feature the engine does not have. Each
//! family of such problems is one module, all reading the compiled
//! platform ([`Input`]) and returning [`Finding`]s located at the spec
//! value behind the resource:
//!
//! | module | question |
//! |---|---|
//! | [`permissions`] | may the principal that deploys each stack perform every action its resources' handlers need? |
//! | [`reachability`] | can every task reach what it must (ECR, logs, secrets, its dependencies), and nothing else? |
//! | [`existence`] | is everything a stack reads created by an earlier wave, or a declared external input? |
//! | [`constraints`] | AWS's documented deploy-time rules that no schema expresses, as a table |
//!
//! **Invariant:** no I/O and no AWS calls; the live preflight
//! (`landfall plan`) asks AWS what only AWS knows (quotas, trusted access).

pub mod constraints;
pub mod existence;
pub mod handlers;
pub mod permissions;
mod placement;
pub mod reachability;

use landfall_diagnostics::Diagnostic;
use landfall_graph::Graph;
use landfall_model::Model;
use landfall_netplan::AddressPlan;
use landfall_rules::ScpSet;
use landfall_spec::{LoadedSpec, Pointer};

/// The compiled platform, as every check reads it.
pub struct Input<'a> {
    pub model: &'a Model,
    pub plan: &'a AddressPlan,
    pub scps: &'a ScpSet,
    /// Every layer, the workload layer included when it was built.
    pub graph: &'a Graph,
}

/// One thing real AWS would refuse (or that would deploy broken).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// `deploy::<family>` code, stable.
    pub code: &'static str,
    /// The stack the problem is in.
    pub stack: String,
    /// The resource's logical id, when the problem is one resource's.
    pub resource: Option<String>,
    pub message: String,
    /// What would be right, and the AWS page that says so.
    pub help: String,
    /// The spec value behind it, when there is one.
    pub at: Option<Pointer>,
}

/// Checks whose rule AWS's documentation leaves in real doubt: their
/// findings are warnings that say so, and do not fail `landfall check`.
/// Each entry gives the reason and the pages that disagree.
pub const DOUBTFUL: &[(&str, &str)] = &[(
    "deploy::vpc-origin-account",
    "AWS's documentation leaves this in doubt: the VPC origins page asks for the origin in the distribution's account, while CloudFront's resource-sharing page describes VPC origins with shared VPCs (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html, https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/sharing-resources.html); see docs/deployability.md",
)];

impl Finding {
    /// Whether AWS's documentation says for certain that the deploy fails
    /// (see [`DOUBTFUL`]).
    pub fn is_certain(&self) -> bool {
        !DOUBTFUL.iter().any(|(code, _)| *code == self.code)
    }

    /// What would be right, and for a [`DOUBTFUL`] check why it is in doubt.
    pub fn full_help(&self) -> String {
        match DOUBTFUL.iter().find(|(code, _)| *code == self.code) {
            Some((_, why)) => format!("{} ({why})", self.help),
            None => self.help.clone(),
        }
    }

    /// The finding as a diagnostic located in the spec: an error, or a
    /// warning with the doubt explained for a [`DOUBTFUL`] check.
    pub fn to_diagnostic(&self, spec: &LoadedSpec) -> Diagnostic {
        let span = self.at.as_ref().and_then(|at| spec.span(at));
        let message = match &self.resource {
            Some(r) => format!("stack `{}`, resource `{r}`: {}", self.stack, self.message),
            None => format!("stack `{}`: {}", self.stack, self.message),
        };
        let help = self.full_help();
        let d = if !self.is_certain() {
            Diagnostic::warning(self.code, message)
        } else {
            Diagnostic::error(self.code, message)
        };
        let mut d = d.with_optional_label(span, "declared here").with_help(help);
        if let (None, Some(at)) = (span, &self.at) {
            d = d.in_file(at.file);
        }
        d
    }
}

/// Every check over the platform, findings sorted (deterministic output).
pub fn check(input: &Input) -> Vec<Finding> {
    let mut findings = permissions::check(input);
    findings.extend(reachability::check(input));
    findings.extend(existence::check(input));
    findings.extend(constraints::check(input));
    for finding in &mut findings {
        if finding.at.is_none() {
            finding.at = spec_origin(input, &finding.stack);
        }
    }
    findings.sort();
    findings.dedup();
    findings
}

/// Where in the spec a stack comes from, for findings on resources that
/// keep no origin of their own: the service or data store a workload stack
/// deploys, else the domain or account it deploys to.
fn spec_origin(input: &Input, stack: &str) -> Option<Pointer> {
    let model = input.model;
    let ends = |kind: &str, name: &str| {
        stack
            .strip_suffix(name)
            .and_then(|head| head.strip_suffix(kind))
            .is_some_and(|head| head.ends_with('-'))
    };
    if let Some(s) = model.services.iter().find(|s| ends("service-", &s.name)) {
        return Some(s.origin.clone());
    }
    if let Some(d) = model.data_stores.iter().find(|d| ends("store-", &d.name)) {
        return Some(d.origin.clone());
    }
    let account = match &input.graph.stack(stack)?.target {
        landfall_graph::Target::Account { account, .. } => account,
        landfall_graph::Target::StackSet(_) => return None,
    };
    let account = model.accounts.iter().find(|a| &a.name == account)?;
    match account.domain {
        Some(d) => Some(model.domain(d).origin.clone()),
        None => Some(account.origin.clone()),
    }
}
