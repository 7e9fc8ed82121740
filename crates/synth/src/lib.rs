//! From the resolved model to deployable infrastructure code.
//!
//! [`synthesize`] builds the [resource graph](landfall_graph) of the whole
//! platform from the [`Model`], its [`AddressPlan`] and its service control
//! policies ([`ScpSet`], compiled by the guardrail registry,
//! `landfall-rules`), one module per layer:
//!
//! | layer | module | deployed as |
//! |---|---|---|
//! | organization | [`layers::organization`] | stacks in the management account |
//! | security | [`layers::security`] | log archive, security tooling and organization trail stacks |
//! | security | [`layers::identity`] | Identity Center permission sets and assignments (management account) |
//! | baseline | [`layers::baseline`] | StackSets over every member OU, and Config rules per account class |
//! | network | [`layers::network`] | stacks per VPC in the networking account |
//! | shared services | [`layers::shared`] | stacks in the shared-services account |
//! | organization | [`layers::platform_ci`] | the platform repository's plan and deploy roles (management account) |
//! | observability | [`layers::log_search`] | an OpenSearch domain per VPC (observability account) |
//! | observability | [`layers::monitoring`] | VictoriaMetrics, vmalert and Alertmanager per VPC (observability account), their names (networking account) |
//! | observability | [`layers::zabbix`] | The Zabbix server on Fargate with its Aurora PostgreSQL database and endpoint service (home region); a proxy on each VPC's monitoring hosts, reaching it through an interface endpoint |
//! | observability | [`layers::grafana`] | Grafana on Fargate with its Aurora PostgreSQL database and CloudWatch role, home region (observability account) |
//!
//! Each layer fills *units* (everything it deploys to one target, written as
//! one stack); [`split`] cuts units into stacks within CloudFormation's
//! limits, deterministically and stably (see that module's docs).
//! [`cloudformation::emit`] turns the graph into JSON templates and
//! `manifest.json`.
//!
//! ```
//! let resolved = landfall_model::reference();
//! let model = resolved.model.as_ref().unwrap();
//! let plan = landfall_netplan::plan(model, &resolved.loaded, None, Default::default()).plan.unwrap();
//! let scps = landfall_rules::compile_scps(model).unwrap();
//! let graph = landfall_synth::synthesize(model, &plan, &scps).unwrap();
//! let output = landfall_synth::cloudformation::emit(&graph, &model.limits, None).unwrap();
//! assert!(output.files.iter().any(|f| f.path == "manifest.json"));
//! ```

pub mod cloudformation;
pub mod deployers;
pub mod layers;
pub mod output;
pub mod platform;
mod split;
mod unit;

use std::collections::{BTreeMap, BTreeSet};

use landfall_graph::{Graph, Layer, ParameterValue};
use landfall_model::{Account, Model};
use landfall_netplan::AddressPlan;
use landfall_rules::ScpSet;
use landfall_spec::types::AccountClass;

use crate::unit::Unit;

pub use landfall_graph::Problem;

/// What every layer reads: the model, the address plan, and the names that
/// recur (the core accounts, the home region, parameter names).
pub(crate) struct Ctx<'a> {
    pub model: &'a Model,
    pub plan: &'a AddressPlan,
    pub slug: &'a str,
    pub home: &'a str,
    /// Allowed regions, home region first.
    pub regions: Vec<&'a str>,
    pub management: &'a str,
    pub log_archive: Option<&'a Account>,
    pub security: Option<&'a Account>,
    pub shared: Option<&'a Account>,
}

/// Parameter names used across layers.
pub(crate) mod params {
    pub const ORGANIZATION_ID: &str = "OrganizationId";
    pub const ROOT_ID: &str = "OrganizationRootId";
    pub const LOG_ARCHIVE: &str = "LogArchiveAccountId";
    pub const SECURITY: &str = "SecurityAccountId";
    pub const SHARED: &str = "SharedServicesAccountId";
    pub const MANAGEMENT: &str = "ManagementAccountId";
}

impl<'a> Ctx<'a> {
    fn new(model: &'a Model, plan: &'a AddressPlan) -> Self {
        let home = model.region(model.organization.home_region).name.as_str();
        let mut regions: Vec<&str> = vec![home];
        for r in &model.guardrails.allowed_regions {
            let name = model.region(*r).name.as_str();
            if !regions.contains(&name) {
                regions.push(name);
            }
        }
        for r in &model.regions {
            if !regions.contains(&r.name.as_str()) && model.guardrails.allowed_regions.is_empty() {
                regions.push(r.name.as_str());
            }
        }
        Self {
            model,
            plan,
            slug: &model.organization.slug,
            home,
            regions,
            management: model
                .core_account(AccountClass::Management)
                .map_or("management", |a| a.name.as_str()),
            log_archive: model.core_account(AccountClass::LogArchive),
            security: model.core_account(AccountClass::SecurityTooling),
            shared: model.core_account(AccountClass::SharedServices),
        }
    }

    /// The account that holds a core role, or the management account when
    /// the platform has none of that class.
    pub fn account_or_management(&self, account: Option<&'a Account>) -> &'a str {
        account.map_or(self.management, |a| a.name.as_str())
    }

    /// Declares the parameter holding the id of a core account.
    pub fn core_account_param(
        &self,
        unit: &mut Unit,
        name: &str,
        account: Option<&Account>,
    ) -> String {
        let account = account.map_or(self.management, |a| a.name.as_str());
        unit.parameter(
            name,
            &format!("Id of the `{account}` account"),
            ParameterValue::AccountId(account.to_owned()),
        )
    }

    pub fn organization_id_param(&self, unit: &mut Unit) -> String {
        unit.parameter(
            params::ORGANIZATION_ID,
            "The organization's id (o-...)",
            ParameterValue::OrganizationId,
        )
    }

    /// The name of a central log bucket in the log archive account, with
    /// `account` the `Fn::Sub` expression of that account's id.
    pub fn log_bucket(&self, purpose: &str, account: &str) -> String {
        format!("{}-{purpose}-${{{account}}}-{}", self.slug, self.home)
    }

    pub fn stack_name(&self, layer: &str, rest: &str) -> String {
        if rest.is_empty() {
            format!("{}-{layer}", self.slug)
        } else {
            format!("{}-{layer}-{rest}", self.slug)
        }
    }
}

/// Builds the resource graph of the whole platform.
///
/// Fails with every problem found: names that would give two resources one
/// logical id, a policy over AWS's size limit, or a graph invariant broken.
pub fn synthesize(model: &Model, plan: &AddressPlan, scps: &ScpSet) -> Result<Graph, Vec<Problem>> {
    let ctx = Ctx::new(model, plan);
    let mut graph = Graph {
        organization: ctx.slug.to_owned(),
        home_region: ctx.home.to_owned(),
        stacks: Vec::new(),
        organization_actions: Vec::new(),
    };
    let mut problems = Vec::new();
    let mut units = Vec::new();
    units.extend(layers::organization::build(&ctx, scps, &mut problems));
    units.extend(layers::identity::build(&ctx));
    units.extend(layers::security::build(&ctx));
    units.extend(layers::billing::build(&ctx));
    units.extend(layers::baseline::build(&ctx));
    units.extend(layers::network::build(&ctx));
    units.extend(layers::shared::build(&ctx));
    units.extend(layers::platform_ci::build(&ctx));
    units.extend(layers::pki::build(&ctx));
    units.extend(layers::alerting::build(&ctx));
    units.extend(layers::oam::build(&ctx));
    units.extend(layers::monitoring::build(&ctx));
    units.extend(layers::grafana::build(&ctx));
    units.extend(layers::zabbix::build(&ctx));
    units.extend(layers::access::build(&ctx));
    units.extend(layers::log_search::build(&ctx, &mut problems));
    graph.organization_actions = layers::organization::actions(&ctx);
    graph
        .organization_actions
        .extend(layers::access::organization_actions(&ctx));
    graph
        .organization_actions
        .extend(layers::billing::organization_actions(&ctx));

    // Per unit: its last stacks (those no other stack of the unit depends
    // on; they depend on the rest, so depending on the unit means depending
    // on them) and its stacks by first partition key.
    let mut last_of_unit: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut by_key: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut wanted: Vec<(Vec<String>, Vec<UnitKey>)> = Vec::new();
    for mut unit in units {
        problems.append(&mut unit.problems);
        let split = split::split(unit, &model.limits);
        let inner: BTreeSet<&str> = split
            .stacks
            .iter()
            .flat_map(|s| s.depends_on.iter().map(String::as_str))
            .collect();
        let last: Vec<String> = split
            .stacks
            .iter()
            .filter(|s| !inner.contains(s.name.as_str()))
            .map(|s| s.name.clone())
            .collect();
        last_of_unit.insert(split.name.clone(), last);
        for (stack, key) in split.stacks.iter().zip(&split.keys) {
            if let Some(first) = key.first() {
                by_key
                    .entry((split.name.clone(), first.clone()))
                    .or_default()
                    .push(stack.name.clone());
            }
        }
        for (stack, key) in split.stacks.into_iter().zip(split.keys) {
            let parts: Vec<UnitKey> = split
                .part_depends_on
                .iter()
                .filter(|(own, _, _)| key.first() == Some(own))
                .map(|(_, unit, other)| (unit.clone(), other.clone()))
                .collect();
            wanted.push((split.unit_depends_on.clone(), parts));
            graph.stacks.push(stack);
        }
    }
    for (stack, (units, parts)) in graph.stacks.iter_mut().zip(wanted) {
        let mut seen: BTreeSet<String> = stack.depends_on.iter().cloned().collect();
        let names = units
            .iter()
            .flat_map(|u| last_of_unit.get(u).into_iter().flatten())
            .chain(
                parts
                    .into_iter()
                    .flat_map(|k| by_key.get(&k).into_iter().flatten()),
            );
        for name in names {
            if seen.insert(name.clone()) {
                stack.depends_on.push(name.clone());
            }
        }
    }
    point_resource_ids_at_their_stacks(&mut graph);
    // Layer order: a stack depends on nothing of a later layer.
    graph.stacks.sort_by_key(|s| layer_rank(s.layer));
    for error in graph.check() {
        problems.push(Problem {
            code: "synth::internal",
            message: error.to_string(),
            help: "this is a bug in Landfall; please report it with the spec".into(),
            at: None,
        });
    }
    if problems.is_empty() {
        Ok(graph)
    } else {
        Err(problems)
    }
}

/// A parameter reading a resource of another unit names the stack that
/// holds it when the unit is cut by its first key (`<unit>-core`); if that
/// part was cut further (`<unit>-core-data`), the parameter is pointed at
/// the stack that holds the resource, which the reader then depends on.
fn point_resource_ids_at_their_stacks(graph: &mut Graph) {
    let mut holders: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in &graph.stacks {
        for r in &s.resources {
            holders
                .entry(r.logical_id.as_str())
                .or_default()
                .push(s.name.as_str());
        }
    }
    let mut moves: Vec<(usize, usize, String)> = Vec::new();
    for (i, stack) in graph.stacks.iter().enumerate() {
        for (j, p) in stack.parameters.iter().enumerate() {
            let ParameterValue::ResourceId {
                stack: named,
                logical_id,
            } = &p.value
            else {
                continue;
            };
            let held_by = holders.get(logical_id.as_str());
            if held_by.is_some_and(|h| h.contains(&named.as_str())) {
                continue;
            }
            let prefix = format!("{named}-");
            if let Some(holder) = held_by
                .into_iter()
                .flatten()
                .find(|s| s.starts_with(&prefix))
            {
                moves.push((i, j, (*holder).to_owned()));
            }
        }
    }
    for (i, j, holder) in moves {
        let stack = &mut graph.stacks[i];
        if let ParameterValue::ResourceId { stack: named, .. } = &mut stack.parameters[j].value {
            *named = holder.clone();
        }
        if !stack.depends_on.contains(&holder) {
            stack.depends_on.push(holder);
        }
    }
}

/// A unit's name and a first partition key: the stacks cut from that part.
type UnitKey = (String, String);

fn layer_rank(layer: Layer) -> usize {
    Layer::ALL.iter().position(|l| *l == layer).unwrap_or(0)
}
