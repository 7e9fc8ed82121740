//! What every builder reads: the model, the address plan, where the network
//! layer put each subnet, VPC and placement group, and naming.

use std::collections::BTreeMap;

use landfall_graph::{
    logical_id, Graph, Layer, Output, Parameter, ParameterValue, Resource, Stack, Target,
};
use landfall_model::{Account, DomainId, EnvId, Environment, Model, Region, Subnet, Vpc};
use landfall_netplan::AddressPlan;
use landfall_spec::types::{AccountClass, TierKind};
use serde_json::{json, Map, Value};

use crate::Problem;

/// Path of workload roles: the account's deploy role may create roles there
/// only under the workload boundary.
pub const ROLE_PATH: &str = "/workload/";
/// The permissions boundary every workload role carries (baseline layer).
pub const BOUNDARY: &str = "landfall/landfall-workload-boundary";
/// The baseline's managed policy that lets an instance's Session Manager
/// agent use the session key and write session logs to the log archive.
pub const SESSION_INSTANCE_POLICY: &str = "landfall/landfall-session-manager-instance";
/// Path of the CI/CD deploy roles in the shared-services account.
pub const DEPLOY_PRINCIPAL_PATH: &str = "/landfall/deploy/";
/// Where CloudFront web ACLs must be created.
pub const CLOUDFRONT_REGION: &str = "us-east-1";

/// Where a domain runs in one environment and region.
#[derive(Debug, Clone, Copy)]
pub struct Placement<'a> {
    pub domain: &'a landfall_model::Domain,
    pub env: &'a Environment,
    pub account: &'a Account,
    /// One of the environment's regions.
    pub region: &'a Region,
    /// Whether `region` is the environment's first: its stacks keep the
    /// names they had before other regions were added.
    pub primary: bool,
    pub vpc: &'a Vpc,
}

/// The placement of a domain in an environment's primary region, if it has
/// an account and a VPC there.
pub fn placement(model: &Model, domain: DomainId, env: EnvId) -> Option<Placement<'_>> {
    placements_of(model, domain, env).into_iter().next()
}

/// The placements of a domain in an environment, one per region of the
/// environment that has a VPC, primary first.
pub fn placements_of(model: &Model, domain: DomainId, env: EnvId) -> Vec<Placement<'_>> {
    let environment = model.environment(env);
    let Some(account) = model.workload_account(domain, env) else {
        return Vec::new();
    };
    environment
        .regions
        .iter()
        .enumerate()
        .filter_map(|(i, &region)| {
            let vpc = model
                .network
                .vpcs
                .iter()
                .find(|v| v.environment == env && v.region == region)?;
            Some(Placement {
                domain: model.domain(domain),
                env: environment,
                account,
                region: model.region(region),
                primary: i == 0,
                vpc,
            })
        })
        .collect()
}

/// A role name unique in the account across the regions the placement's
/// environment runs in ([`landfall_graph::regional_name`]).
pub fn account_unique_name(prefix: &str, name: &str, place: &Placement<'_>) -> String {
    landfall_graph::regional_name(
        prefix,
        name,
        (!place.primary).then_some(place.region.name.as_str()),
    )
}

/// `<org>-workloads-<domain>-<env>[-rest]` in the environment's primary
/// region, `<org>-workloads-<domain>-<env>-<region>[-rest]` in others.
pub fn stack_name(slug: &str, place: &Placement<'_>, rest: &str) -> String {
    let prefix = landfall_graph::workload_stack_prefix(slug);
    let base = if place.primary {
        format!("{prefix}{}-{}", place.domain.name, place.env.name)
    } else {
        format!(
            "{prefix}{}-{}-{}",
            place.domain.name, place.env.name, place.region.name
        )
    };
    if rest.is_empty() {
        base
    } else {
        format!("{base}-{rest}")
    }
}

/// Every placement of the model, found once: (domain, environment, region)
/// indexes → placement.
fn placements(model: &Model) -> BTreeMap<(usize, usize, usize), Placement<'_>> {
    let mut accounts = BTreeMap::new();
    for a in &model.accounts {
        if let (Some(d), Some(e)) = (a.domain, a.environment) {
            accounts.entry((d.index(), e.index())).or_insert(a);
        }
    }
    let mut vpcs = BTreeMap::new();
    for v in &model.network.vpcs {
        vpcs.entry((v.environment.index(), v.region.index()))
            .or_insert(v);
    }
    let mut out = BTreeMap::new();
    for domain in &model.domains {
        for env in &model.environments {
            let Some(account) = accounts.get(&(domain.id.index(), env.id.index())) else {
                continue;
            };
            for (i, region) in env.regions.iter().enumerate() {
                let Some(vpc) = vpcs.get(&(env.id.index(), region.index())) else {
                    continue;
                };
                out.insert(
                    (domain.id.index(), env.id.index(), region.index()),
                    Placement {
                        domain,
                        env,
                        account,
                        region: model.region(*region),
                        primary: i == 0,
                        vpc,
                    },
                );
            }
        }
    }
    out
}

pub(crate) struct Ctx<'a> {
    pub model: &'a Model,
    pub plan: &'a AddressPlan,
    pub slug: &'a str,
    pub shared: Option<&'a Account>,
    /// Network-layer resources by (kind, key): subnets and VPCs by CIDR,
    /// placement groups by name → (stack, logical id).
    pub network: BTreeMap<(&'static str, String), (String, String)>,
    by_vpc: BTreeMap<(usize, u8), Vec<&'a Subnet>>,
    /// Listener rule priorities per placement (domain, environment index).
    priorities: BTreeMap<(usize, usize), BTreeMap<&'a str, u64>>,
    /// Callers of each service (by index).
    pub callers: Vec<Vec<&'a landfall_model::Service>>,
    placements: BTreeMap<(usize, usize, usize), Placement<'a>>,
    /// [`crate::store::msk_clients`], found once.
    msk_clients: BTreeMap<(usize, usize), std::collections::BTreeSet<usize>>,
    /// Each Fargate service's log agent configuration, when the caller
    /// generated them ([`crate::Options::log_agents`]).
    pub log_agents: Option<&'a BTreeMap<String, String>>,
    /// Each service's metrics agent configuration
    /// ([`crate::Options::metric_agents`]).
    pub metric_agents: Option<&'a BTreeMap<String, String>>,
    /// Each metal domain's host daemon configuration
    /// ([`crate::Options::host_agents`]).
    pub host_agents: Option<&'a BTreeMap<String, String>>,
    /// The Vector aggregators' configuration ([`crate::Options::log_aggregator`]).
    pub log_aggregator: Option<&'a str>,
    /// Jaeger's configuration ([`crate::Options::jaeger`]).
    pub jaeger: Option<&'a str>,
}

fn kind_rank(kind: TierKind) -> u8 {
    match kind {
        TierKind::Edge => 0,
        TierKind::Firewall => 1,
        TierKind::Application => 2,
        TierKind::Data => 3,
        TierKind::Endpoints => 4,
    }
}

impl<'a> Ctx<'a> {
    pub fn new(model: &'a Model, plan: &'a AddressPlan, base: &'a Graph) -> Self {
        let mut network = BTreeMap::new();
        for stack in base.stacks.iter().filter(|s| s.layer == Layer::Network) {
            for r in &stack.resources {
                let key = match r.kind.as_str() {
                    "AWS::EC2::Subnet" => r
                        .properties
                        .get("CidrBlock")
                        .and_then(Value::as_str)
                        .map(|c| ("subnet", c.to_owned())),
                    "AWS::EC2::VPC" => r
                        .properties
                        .get("CidrBlock")
                        .and_then(Value::as_str)
                        .map(|c| ("vpc", c.to_owned())),
                    "AWS::EC2::PlacementGroup" => r
                        .properties
                        .get("Tags")
                        .and_then(Value::as_array)
                        .and_then(|t| t.iter().find(|t| t["Key"] == "Name"))
                        .and_then(|t| t["Value"].as_str())
                        .map(|n| ("placement-group", n.to_owned())),
                    _ => None,
                };
                if let Some(key) = key {
                    network.insert(key, (stack.name.clone(), r.logical_id.clone()));
                }
            }
        }
        let mut by_vpc: BTreeMap<(usize, u8), Vec<&Subnet>> = BTreeMap::new();
        for s in &model.network.subnets {
            by_vpc
                .entry((s.vpc.index(), kind_rank(model.tier(s.tier).kind)))
                .or_default()
                .push(s);
        }
        for list in by_vpc.values_mut() {
            list.sort_by(|a, b| (a.az, &a.name).cmp(&(b.az, &b.name)));
        }
        let mut callers = vec![Vec::new(); model.services.len()];
        for s in &model.services {
            for callee in &s.calls {
                if let Some(list) = callers.get_mut(callee.index()) {
                    list.push(s);
                }
            }
        }
        let placements = placements(model);
        let priorities = placements
            .iter()
            .filter(|(_, place)| place.primary)
            .map(|(&(d, e, _), place)| ((d, e), priorities(model, place)))
            .collect();
        Self {
            model,
            plan,
            slug: &model.organization.slug,
            shared: model.core_account(AccountClass::SharedServices),
            network,
            by_vpc,
            priorities,
            callers,
            placements,
            msk_clients: crate::store::msk_clients(model),
            log_agents: None,
            metric_agents: None,
            host_agents: None,
            log_aggregator: None,
            jaeger: None,
        }
    }

    /// Where another domain runs beside a placement: same environment and
    /// region (precomputed).
    pub fn peer(&self, place: &Placement<'_>, domain: DomainId) -> Option<Placement<'a>> {
        self.placements
            .get(&(
                domain.index(),
                place.env.id.index(),
                place.region.id.index(),
            ))
            .copied()
    }

    /// The placement of a domain in an environment's primary region.
    pub fn primary(&self, domain: DomainId, env: EnvId) -> Option<Placement<'a>> {
        let region = self.model.environment(env).regions.first()?;
        self.placements
            .get(&(domain.index(), env.index(), region.index()))
            .copied()
    }

    /// The placements of a domain in an environment, primary first; a
    /// problem when there is none.
    pub fn placements(
        &self,
        domain: DomainId,
        env: EnvId,
        problems: &mut Vec<Problem>,
    ) -> Vec<Placement<'a>> {
        let environment = self.model.environment(env);
        let p: Vec<_> = environment
            .regions
            .iter()
            .filter_map(|r| {
                self.placements
                    .get(&(domain.index(), env.index(), r.index()))
                    .copied()
            })
            .collect();
        if p.is_empty() {
            let d = self.model.domain(domain);
            problems.push(Problem {
                code: "workloads::no-placement",
                message: format!(
                    "domain `{}` has no account or VPC in environment `{}`",
                    d.name,
                    self.model.environment(env).name
                ),
                help: "give the environment a region with a VPC, or remove the environment from the domain".into(),
                at: Some(d.origin.clone()),
            });
        }
        p
    }

    /// The name of one of the placement's stacks ([`stack_name`]).
    pub fn stack_name(&self, place: &Placement<'_>, rest: &str) -> String {
        stack_name(self.slug, place, rest)
    }

    /// Subnets of a tier kind in the placement's VPC that are shared with
    /// its account, in AZ order.
    pub fn subnets(&self, place: &Placement<'_>, kind: TierKind) -> Vec<&'a Subnet> {
        self.in_vpc(place, kind)
            .iter()
            .copied()
            .filter(|s| {
                s.shared_with.contains(&place.account.id) || s.domain == Some(place.domain.id)
            })
            .collect()
    }

    /// Subnets of a tier kind in the placement's VPC, in AZ order (indexed).
    fn in_vpc(&self, place: &Placement<'_>, kind: TierKind) -> &[&'a Subnet] {
        self.by_vpc
            .get(&(place.vpc.id.index(), kind_rank(kind)))
            .map_or(&[][..], Vec::as_slice)
    }

    /// Domains (by index) whose services use an MSK store's topics in an
    /// environment.
    pub fn msk_clients(
        &self,
        store: &landfall_model::DataStore,
        env: EnvId,
    ) -> impl Iterator<Item = usize> + '_ {
        self.msk_clients
            .get(&(store.id.index(), env.index()))
            .into_iter()
            .flatten()
            .copied()
    }

    /// The listener rule priority of an exposed service.
    pub fn priority(&self, place: &Placement<'_>, service: &str) -> u64 {
        let key = (place.domain.id.index(), place.env.id.index());
        self.priorities
            .get(&key)
            .and_then(|m| m.get(service))
            .copied()
            .unwrap_or(1)
    }

    /// CIDRs of the application subnets a domain's tasks run in.
    pub fn app_cidrs(&self, place: &Placement<'_>) -> Vec<String> {
        self.subnets(place, TierKind::Application)
            .iter()
            .map(|s| self.plan.subnet_cidr(s.id).to_string())
            .collect()
    }

    /// CIDRs of every subnet of a tier kind in the placement's VPC, shared
    /// with the account or not (interface endpoints serve the whole VPC).
    /// Egress to the VPC's vminsert on its port, whose load balancer is in
    /// the shared data subnets (none without monitoring servers), for the
    /// metrics agent named `who`.
    pub fn vminsert_egress(&self, place: &Placement<'_>, who: &str) -> Vec<Value> {
        let port = landfall_model::monitoring::VMINSERT_PORT;
        landfall_model::monitoring::server_subnets(self.model, place.vpc)
            .into_iter()
            .map(|subnet| {
                serde_json::json!({
                    "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                    "CidrIp": self.plan.subnet_cidr(subnet.id).to_string(),
                    "Description": format!("load balancer of vminsert ({who})")
                })
            })
            .collect()
    }

    pub fn vpc_cidrs(&self, place: &Placement<'_>, kind: TierKind) -> Vec<String> {
        self.in_vpc(place, kind)
            .iter()
            .map(|s| self.plan.subnet_cidr(s.id).to_string())
            .collect()
    }

    pub fn az_letter(&self, place: &Placement<'_>, az: usize) -> String {
        place
            .region
            .azs
            .get(az)
            .and_then(|n| n.chars().last())
            .map(String::from)
            .unwrap_or_else(|| az.to_string())
    }
}

/// A stack under construction.
pub(crate) struct Builder {
    pub stack: Stack,
}

impl Builder {
    pub fn new(name: String, description: String, account: &str, region: &str) -> Self {
        Self {
            stack: Stack {
                name,
                layer: Layer::Workloads,
                description,
                target: Target::Account {
                    account: account.to_owned(),
                    region: region.to_owned(),
                },
                parameters: Vec::new(),
                conditions: Map::new(),
                resources: Vec::new(),
                outputs: Vec::new(),
                depends_on: Vec::new(),
                inputs: Vec::new(),
                capacity: Vec::new(),
            },
        }
    }

    pub fn add(&mut self, logical_id: &str, kind: &str, properties: Value) -> &mut Resource {
        let mut r = Resource::new(logical_id, kind);
        if let Value::Object(map) = properties {
            r.properties = map;
        }
        self.stack.resources.push(r);
        let last = self.stack.resources.len() - 1;
        &mut self.stack.resources[last]
    }

    pub fn param(&mut self, name: &str, description: &str, value: ParameterValue) -> String {
        if !self.stack.parameters.iter().any(|p| p.name == name) {
            self.stack.parameters.push(Parameter {
                name: name.to_owned(),
                description: description.to_owned(),
                value,
            });
        }
        name.to_owned()
    }

    pub fn output(&mut self, name: &str, value: Value, export: bool) {
        let export = export.then(|| export_name(&self.stack.name, name));
        self.stack.outputs.push(Output {
            name: name.to_owned(),
            description: None,
            value,
            export,
        });
    }

    pub fn depends_on(&mut self, stack: String) {
        if !self.stack.depends_on.contains(&stack) {
            self.stack.depends_on.push(stack);
        }
    }

    /// A parameter holding the id of a network-layer resource, found by key.
    pub fn network_param(
        &mut self,
        ctx: &Ctx<'_>,
        name: &str,
        key: (&'static str, String),
        problems: &mut Vec<Problem>,
    ) -> String {
        match ctx.network.get(&key) {
            Some((stack, id)) => {
                let description = format!("Id of `{id}` in stack `{stack}`");
                self.depends_on(stack.clone());
                self.param(
                    name,
                    &description,
                    ParameterValue::ResourceId {
                        stack: stack.clone(),
                        logical_id: id.clone(),
                    },
                )
            }
            None => {
                problems.push(Problem {
                    code: "workloads::network-missing",
                    message: format!("the network layer has no {} `{}`", key.0, key.1),
                    help: "synthesize the network layer with the same address plan".into(),
                    at: None,
                });
                self.param(name, "missing", ParameterValue::Literal(String::new()))
            }
        }
    }

    /// Parameters for subnets, returning `Ref`s in AZ order.
    pub fn subnet_refs(
        &mut self,
        ctx: &Ctx<'_>,
        place: &Placement<'_>,
        subnets: &[&Subnet],
        problems: &mut Vec<Problem>,
    ) -> Vec<Value> {
        subnets
            .iter()
            .map(|s| {
                let tier = &ctx.model.tier(s.tier).name;
                let name = logical_id(&["Subnet", tier, &ctx.az_letter(place, s.az)]);
                let cidr = ctx.plan.subnet_cidr(s.id).to_string();
                json!({ "Ref": self.network_param(ctx, &name, ("subnet", cidr), problems) })
            })
            .collect()
    }

    pub fn vpc_ref(
        &mut self,
        ctx: &Ctx<'_>,
        place: &Placement<'_>,
        problems: &mut Vec<Problem>,
    ) -> Value {
        let cidr = ctx.plan.vpc_cidr(place.vpc.id).to_string();
        json!({ "Ref": self.network_param(ctx, "VpcId", ("vpc", cidr), problems) })
    }

    /// The id of another account (by name) as a parameter.
    pub fn account_param(&mut self, account: &str) -> String {
        self.param(
            &logical_id(&["Account", account, "Id"]),
            &format!("Id of the `{account}` account"),
            ParameterValue::AccountId(account.to_owned()),
        )
    }
}

/// The export name of a stack's output: `<stack>:<output>`.
pub fn export_name(stack: &str, output: &str) -> String {
    format!("{stack}:{output}")
}

/// `Fn::ImportValue` of another stack's export.
pub fn import(stack: &str, output: &str) -> Value {
    json!({ "Fn::ImportValue": export_name(stack, output) })
}

/// CloudFormation tags from pairs.
pub fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v }))
            .collect(),
    )
}

/// The trust policy of a task or execution role: ECS tasks of this account
/// only (`aws:SourceAccount` against the confused deputy).
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html>
pub fn ecs_tasks_trust() -> Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": "ecs-tasks.amazonaws.com" },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } }
        }]
    })
}

/// The standard tags of a workload resource.
pub fn std_tags(place: &Placement<'_>, extra: &[(&str, &str)]) -> Value {
    let mut pairs = vec![
        ("landfall:domain", place.domain.name.as_str()),
        ("landfall:environment", place.env.name.as_str()),
    ];
    pairs.extend_from_slice(extra);
    tags(&pairs)
}

/// A stable number in `1..=modulus` from a name (FNV-1a), for listener rule
/// priorities: they must be unique per listener and must not change when
/// other services come and go.
pub fn stable_slot(name: &str, modulus: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % modulus + 1
}

/// Listener rule priorities of the exposed services of a domain in an
/// environment: a stable slot per name, probing forward on a clash (in name
/// order), so priorities never depend on which other services exist unless
/// two names clash.
pub fn priorities<'m>(model: &'m Model, place: &Placement<'_>) -> BTreeMap<&'m str, u64> {
    const SLOTS: u64 = 49_999;
    let mut names: Vec<&str> = model
        .services
        .iter()
        .filter(|s| s.domain == place.domain.id && s.environments.contains(&place.env.id))
        .filter(|s| s.ingress != landfall_spec::types::Ingress::None)
        .map(|s| s.name.as_str())
        .collect();
    names.sort_unstable();
    let mut taken = std::collections::BTreeSet::new();
    let mut out = BTreeMap::new();
    for name in names {
        let mut slot = stable_slot(name, SLOTS);
        while !taken.insert(slot) {
            slot = slot % SLOTS + 1;
        }
        out.insert(name, slot);
    }
    out
}
