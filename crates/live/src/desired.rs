//! What the platform should look like in AWS, from the model, the address
//! plan and the synthesized resource graph.
//!
//! This is the live crate's one seam with the rest of Landfall: everything
//! after it (plans, deploys, drift) reads only these types.

use std::collections::BTreeSet;

use landfall_graph::{Graph, Layer, ParameterValue, Target};
use landfall_model::{Model, OuKind};
use landfall_netplan::AddressPlan;
use landfall_spec::types::AccountClass;
use serde_json::Value;

use landfall_rules::ScpSet;

use crate::emulator::Compat;

/// The platform as it should be.
#[derive(Debug, Clone)]
pub struct Desired {
    pub slug: String,
    pub home_region: String,
    /// Allowed regions, home first.
    pub regions: Vec<String>,
    /// Name of the management account in the model.
    pub management: String,
    /// Organizational units below the root, parents before children.
    pub ous: Vec<DesiredOu>,
    /// Member accounts.
    pub accounts: Vec<DesiredAccount>,
    pub scps: Vec<DesiredScp>,
    /// Stacks and StackSets in deploy order (wave by wave).
    pub stacks: Vec<DesiredStack>,
    pub vpcs: Vec<DesiredVpc>,
    /// Most accounts created at once (the limits table).
    pub concurrent_account_creations: usize,
    /// Accounts the organization may hold, management included (the
    /// limits table, as the spec states the organization's quota).
    pub accounts_quota: usize,
    /// Largest template body sent inline; larger ones go through S3.
    pub template_inline_max_bytes: usize,
    /// Resources left out of templates, with why (emulator compatibility,
    /// management account protection).
    pub left_out: Vec<LeftOut>,
    /// The engine the templates were adapted for.
    pub compat: Compat,
    /// Identity Center's permission sets and assignments, for the audit.
    pub identity: crate::identity::DesiredIdentity,
    /// Whether the stacks hold the whole workload layer. Only then is a
    /// live workload stack they do not have one the spec no longer has; a
    /// plan of the platform layers alone, or of some services, leaves the
    /// others' stacks alone ([`crate::retire::plan_retirements`]).
    pub workloads_in_full: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredOu {
    pub name: String,
    /// `Root/Workloads/Trading`.
    pub path: String,
    /// Path of the parent; `Root` for top-level OUs.
    pub parent: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredAccount {
    pub name: String,
    pub email: String,
    /// Path of the OU the account belongs in.
    pub ou: String,
    pub environment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredScp {
    /// The policy's name in AWS: `<slug>-<name>`.
    pub name: String,
    pub description: String,
    /// Minified JSON document.
    pub content: String,
    /// OU paths (`Root` for the root).
    pub targets: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StackTarget {
    Account {
        account: String,
        region: String,
    },
    StackSet {
        ous: Vec<String>,
        /// When not empty, only these accounts (by name) of those OUs.
        accounts: Vec<String>,
        regions: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct DesiredStack {
    pub name: String,
    pub layer: Layer,
    pub target: StackTarget,
    pub template: Value,
    pub parameters: Vec<(String, ParameterValue)>,
    pub wave: usize,
    /// Logical ids and types of the resources in the template.
    pub resources: Vec<(String, String)>,
    /// Stacks deployed before this one (the graph's dependencies).
    pub depends_on: Vec<String>,
    /// The role CloudFormation runs the stack as, by path and name in its
    /// account ([`landfall_synth::deployers`]); `None`: the deployer's own
    /// credentials.
    pub service_role: Option<String>,
    /// What the stack reads that no stack creates ([`landfall_graph::ExternalInput`]).
    pub inputs: Vec<landfall_graph::ExternalInput>,
    /// Instances it may launch ([`landfall_graph::Capacity`]).
    pub capacity: Vec<landfall_graph::Capacity>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredVpc {
    pub name: String,
    pub account: String,
    pub region: String,
    pub cidr: String,
    /// (name, cidr, availability zone).
    pub subnets: Vec<(String, String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    pub stack: String,
    pub logical_id: String,
    pub kind: String,
    pub why: String,
}

impl Desired {
    /// Builds the desired state. `graph` is the synthesized platform (its
    /// organization layer is applied through the Organizations API instead
    /// of CloudFormation, so accounts are created within the concurrency
    /// limit and their creation is followed).
    pub fn new(
        model: &Model,
        plan: &AddressPlan,
        scps: &ScpSet,
        graph: &Graph,
        compat: Compat,
    ) -> Desired {
        let slug = model.organization.slug.clone();
        let home_region = model.region(model.organization.home_region).name.clone();
        let mut regions = vec![home_region.clone()];
        let allowed: Vec<_> = if model.guardrails.allowed_regions.is_empty() {
            model.regions.iter().map(|r| r.id).collect()
        } else {
            model.guardrails.allowed_regions.clone()
        };
        for r in allowed {
            let name = &model.region(r).name;
            if !regions.contains(name) {
                regions.push(name.clone());
            }
        }
        let management = model
            .core_account(AccountClass::Management)
            .map_or_else(|| "management".to_owned(), |a| a.name.clone());

        let mut ous: Vec<DesiredOu> = model
            .organizational_units
            .iter()
            .filter(|ou| ou.kind != OuKind::Root)
            .map(|ou| DesiredOu {
                name: ou.name.clone(),
                path: ou.path.clone(),
                parent: ou
                    .parent
                    .map_or_else(|| "Root".to_owned(), |p| model.ou(p).path.clone()),
            })
            .collect();
        ous.sort_by_key(|o| o.path.matches('/').count());
        let root_path = model
            .organizational_units
            .iter()
            .find(|o| o.kind == OuKind::Root)
            .map_or_else(|| "Root".to_owned(), |o| o.path.clone());
        let normalize = |path: &str| -> String {
            match path.strip_prefix(&root_path) {
                Some(rest) => format!("Root{rest}"),
                None => path.to_owned(),
            }
        };
        for ou in &mut ous {
            ou.path = normalize(&ou.path);
            ou.parent = normalize(&ou.parent);
        }

        let accounts = model
            .member_accounts()
            .map(|a| DesiredAccount {
                name: a.name.clone(),
                email: a.email.clone(),
                ou: normalize(&model.ou(a.ou).path),
                environment: a.environment.map(|e| model.environment(e).name.clone()),
            })
            .collect();

        let scps = scps
            .policies
            .iter()
            .map(|scp| DesiredScp {
                name: scp.name.clone(),
                description: scp.description.clone(),
                content: scp.content.clone(),
                targets: scp
                    .targets
                    .iter()
                    .map(|ou| normalize(&model.ou(*ou).path))
                    .collect(),
            })
            .collect();

        let mut left_out = Vec::new();
        let mut service_roles = landfall_synth::deployers::service_roles(model, graph);
        let waves = graph
            .deploy_waves()
            .unwrap_or_else(|_| vec![graph.stacks.iter().map(|s| s.name.as_str()).collect()]);
        let mut stacks = Vec::new();
        for (wave, names) in waves.iter().enumerate() {
            for name in names {
                let Some(stack) = graph.stack(name) else {
                    continue;
                };
                if stack.layer == Layer::Organization {
                    // Applied through the Organizations API.
                    continue;
                }
                let target = match &stack.target {
                    // Stacks of the management account (the organization
                    // trail, the Security Hub administrator) deploy there
                    // like any other: a platform must not miss a part.
                    Target::Account { account, region } => StackTarget::Account {
                        account: account.clone(),
                        region: region.clone(),
                    },
                    Target::StackSet(set) => StackTarget::StackSet {
                        ous: set
                            .organizational_units
                            .iter()
                            .map(|p| normalize(p))
                            .collect(),
                        accounts: set.accounts.clone(),
                        regions: set.regions.clone(),
                    },
                };
                let mut template = landfall_synth::cloudformation::template(stack, None);
                let removed = compat.adapt(&mut template);
                for (logical_id, kind) in removed {
                    left_out.push(LeftOut {
                        stack: stack.name.clone(),
                        logical_id,
                        kind,
                        why: compat.reason().to_owned(),
                    });
                }
                let resources: Vec<(String, String)> = template
                    .get("Resources")
                    .and_then(Value::as_object)
                    .map(|r| {
                        r.iter()
                            .map(|(id, v)| {
                                let kind = v.get("Type").and_then(Value::as_str).unwrap_or("");
                                (id.clone(), kind.to_owned())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if resources.is_empty() {
                    continue;
                }
                // Parameters no longer referenced are dropped with their resources.
                prune_parameters(&mut template);
                let declared = template.get("Parameters").and_then(Value::as_object);
                let parameters = stack
                    .parameters
                    .iter()
                    .filter(|p| declared.is_some_and(|d| d.contains_key(&p.name)))
                    .map(|p| (p.name.clone(), p.value.clone()))
                    .collect();
                stacks.push(DesiredStack {
                    name: stack.name.clone(),
                    layer: stack.layer,
                    target,
                    template,
                    parameters,
                    wave,
                    resources,
                    depends_on: stack.depends_on.clone(),
                    service_role: service_roles.remove(&stack.name),
                    inputs: stack.inputs.clone(),
                    capacity: stack.capacity.clone(),
                });
            }
        }

        let vpcs = plan
            .vpcs
            .iter()
            .map(|vp| {
                let vpc = model.vpc(vp.vpc);
                let region = model.region(vpc.region);
                DesiredVpc {
                    name: vpc.name.clone(),
                    account: model.account(vpc.account).name.clone(),
                    region: region.name.clone(),
                    cidr: vp.cidr.to_string(),
                    subnets: plan
                        .subnets
                        .iter()
                        .filter(|s| model.network.subnets[s.subnet.index()].vpc == vp.vpc)
                        .map(|s| {
                            let subnet = &model.network.subnets[s.subnet.index()];
                            let az = region.azs.get(subnet.az).cloned().unwrap_or_default();
                            (subnet.name.clone(), s.cidr.to_string(), az)
                        })
                        .collect(),
                }
            })
            .collect();

        Desired {
            slug,
            home_region,
            regions,
            management,
            ous,
            accounts,
            scps,
            stacks,
            vpcs,
            concurrent_account_creations: usize::try_from(
                model.limits.concurrent_account_creations,
            )
            .unwrap_or(1)
            .max(1),
            accounts_quota: usize::try_from(model.limits.accounts_per_organization)
                .unwrap_or(usize::MAX),
            template_inline_max_bytes: usize::try_from(model.limits.template_inline_max_bytes)
                .unwrap_or(usize::MAX),
            left_out,
            compat,
            identity: crate::identity::DesiredIdentity::of(model),
            workloads_in_full: false,
        }
    }

    pub fn account(&self, name: &str) -> Option<&DesiredAccount> {
        self.accounts.iter().find(|a| a.name == name)
    }

    /// Accounts under an OU path (the OU itself and every OU below it).
    pub fn accounts_under<'a>(
        &'a self,
        ou: &'a str,
    ) -> impl Iterator<Item = &'a DesiredAccount> + 'a {
        self.accounts
            .iter()
            .filter(move |a| ou == "Root" || a.ou == ou || a.ou.starts_with(&format!("{ou}/")))
    }

    /// The accounts a StackSet target reaches: under its OUs, filtered by
    /// name when `only` is not empty; each once.
    pub fn stack_set_accounts<'a>(
        &'a self,
        ous: &'a [String],
        only: &'a [String],
    ) -> Vec<&'a DesiredAccount> {
        let mut out: Vec<&DesiredAccount> = Vec::new();
        for ou in ous {
            for a in self.accounts_under(ou) {
                if (only.is_empty() || only.contains(&a.name))
                    && !out.iter().any(|o| o.name == a.name)
                {
                    out.push(a);
                }
            }
        }
        out
    }

    /// Every OU path named anywhere (for lookups).
    pub fn ou_paths(&self) -> BTreeSet<&str> {
        self.ous.iter().map(|o| o.path.as_str()).collect()
    }
}

/// Removes template parameters nothing refers to any more.
fn prune_parameters(template: &mut Value) {
    let Some(obj) = template.as_object_mut() else {
        return;
    };
    let Some(Value::Object(params)) = obj.remove("Parameters") else {
        return;
    };
    let body = Value::Object(obj.clone()).to_string();
    let kept: serde_json::Map<String, Value> = params
        .into_iter()
        .filter(|(name, _)| {
            body.contains(&format!("\"{name}\"")) || body.contains(&format!("${{{name}}}"))
        })
        .collect();
    if !kept.is_empty() {
        obj.insert("Parameters".into(), Value::Object(kept));
    }
}
