//! The workload layer: every service and data store of the model, in the
//! account of its domain, on the subnets shared to that account.
//!
//! [`build`] turns the [`Model`], its [`AddressPlan`] and the graph of the
//! platform layers (to find the network resources the workload accounts
//! use) into [resource graph](landfall_graph) stacks of layer
//! [`Layer::Workloads`](landfall_graph::Layer::Workloads). Per domain,
//! environment and region of the environment (each region a cell of its own:
//! its own stores, load balancer and CloudFront distribution, tasks sized
//! for the whole peak so either region can take all traffic); in regions
//! after the environment's first, stack names carry the region
//! (`<org>-workloads-<domain>-<env>-<region>...`) and IAM role names end in
//! `-<region>`:
//!
//! | stack | what |
//! |---|---|
//! | `<org>-workloads-<domain>-<env>` | the account's data KMS key, the ECS cluster, the EC2 capacity providers of latency-sensitive services (metal instances from the ECS-optimized AMI, in cluster placement groups of the account's own) with the metrics daemon on each instance ([`host_agent`]), the internal load balancer with its HTTPS listener (a certificate from the platform's private CA; for public services also the public origin certificate and the origin's name) |
//! | `<org>-workloads-<domain>-<env>-names` | in the VPC owner's account: the load balancer's name in the VPC's monitoring zone (`landfall_model::monitoring::load_balancer_host`), which Zabbix probes ([`names`]) |
//! | `<org>-workloads-<domain>-<env>-edge` | the CloudFront WAF web ACL (in `us-east-1`, where CloudFront's web ACLs live) and the domain's public zone for its origin names, when the domain has public services there; one per environment, used by every region's distributions |
//! | `<org>-workloads-dns` | in the account holding `network.dns`'s zone: the delegation of every domain's public zone ([`tls`]) |
//! | `<org>-workloads-<domain>-<env>-store-<store>` | one data store: Aurora cluster (with its analytics readers behind their own endpoint), Valkey replication group with its IAM-authenticated users, Memcached cluster, DynamoDB table or MSK cluster with its topics (`AWS::MSK::Topic`); the log cluster also with the log agents' SASL/SCRAM secret, its key and association ([`logs`]) |
//! | `<org>-workloads-<domain>-<env>-log-aggregators` | with the log cluster, in the observability account: the Vector aggregators that empty its topics into the data lake and the VPC's OpenSearch domain ([`aggregator`]) |
//! | `<org>-workloads-<domain>-<env>-traces` | beside the aggregators, in the observability account: Jaeger (collector and query) behind an internal Network Load Balancer, spans in the VPC's OpenSearch domain ([`traces`]) |
//! | `<org>-workloads-<domain>-<env>-traces-names` | in the VPC owner's account: Jaeger's collector and query names in the VPC's monitoring zone |
//! | `<org>-workloads-<domain>-<env>-service-<service>` | one service: task and execution roles, log group, task definition (on Fargate with the log sidecars: FireLens router and Vector agent; everywhere with the metrics agent), security group and the rules of its declared dependencies, target group and listener rule, ECS service, autoscaling, CloudFront distribution when public, its deploy role |
//!
//! Logical ids and stack names derive from model names only, so adding a
//! service or a store adds stacks and changes nothing else.
//!
//! Values only known once other stacks are deployed (shared subnet ids,
//! the VPC id, placement group names, the CloudFront web ACL) are stack
//! parameters resolved by the deployer
//! ([`ParameterValue::ResourceId`](landfall_graph::ParameterValue::ResourceId),
//! [`ParameterValue::StackOutput`](landfall_graph::ParameterValue::StackOutput)).
//! Within one account and region, stacks import each other's exports.

pub mod aggregator;
pub mod alarms;
pub mod explain;
pub mod logs;
pub mod pentest;
pub mod policy;
pub mod quotas;
pub mod sizing;

mod base;
mod ctx;
pub mod host_agent;
mod names;
mod scanner;
mod service;
pub mod store;
pub mod tls;
pub mod traces;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub use base::{
    metal_user_data, HOST_AZ_FILE, HOST_FACTS_DIR, METAL_INSTANCE_TYPE, METAL_INSTANCE_VCPUS,
};
pub use ctx::{account_unique_name, placement, placements_of, stack_name, Placement};
use landfall_graph::{Graph, Stack};
use landfall_model::Model;
use landfall_netplan::AddressPlan;
use rayon::prelude::*;
pub use service::ROUTING_HEADER;

pub use landfall_graph::Problem;

/// What to build.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only these services (by name), with the account stacks and data
    /// stores they use; every service when `None`.
    pub services: Option<BTreeSet<String>>,
    /// Only the stacks of these environments (by name); every environment
    /// when `None`. A deploy goes through the environments one at a time
    /// with it.
    pub environments: Option<BTreeSet<String>>,
    /// The Vector configuration of each service's log agent, by service
    /// name (`landfall_telemetry`'s `vector/services/<service>.yaml`).
    /// With them, every Fargate task ships its logs to the log cluster
    /// through the log sidecars ([`logs`]) when the spec's agents sign in
    /// with SASL/SCRAM; without them tasks log to CloudWatch Logs only.
    pub log_agents: Option<Arc<BTreeMap<String, String>>>,
    /// The Telegraf configuration of each service's metrics agent,
    /// by service name (`landfall_observability::telegraf::sidecar_configs`).
    /// With them, every task in a VPC with monitoring servers runs the
    /// metrics agent, writing to its VPC's vminsert.
    pub metric_agents: Option<Arc<BTreeMap<String, String>>>,
    /// The Telegraf host daemon's configuration of each domain with metal
    /// services, by domain name (`landfall_observability::host_agent_configs`).
    /// With them, every metal cluster in a VPC with monitoring servers runs
    /// the daemon on each of its container instances ([`base`]).
    pub host_agents: Option<Arc<BTreeMap<String, String>>>,
    /// The Vector aggregators' configuration (`landfall_telemetry`'s
    /// `vector/aggregator.yaml`). With it, every VPC of the log archive's
    /// region whose environment has the SASL/SCRAM log cluster gets the
    /// aggregators that empty its topics into the data lake and the VPC's
    /// OpenSearch domain ([`aggregator`]).
    pub log_aggregator: Option<Arc<String>>,
    /// Jaeger's configuration (`landfall_telemetry`'s `jaeger/jaeger.yaml`).
    /// With it, every VPC that gets the log aggregators also gets Jaeger,
    /// storing spans in the VPC's OpenSearch domain ([`traces`]).
    pub jaeger: Option<Arc<String>>,
}

/// Builds the workload stacks. `base` is the graph of the platform layers
/// (`landfall_synth::synthesize`), where the shared subnets, VPCs and
/// placement groups are found.
pub fn build(
    model: &Model,
    plan: &AddressPlan,
    base: &Graph,
    options: &Options,
) -> Result<Vec<Stack>, Vec<Problem>> {
    build_each(model, plan, base, options, |stacks| stacks)
        .map(|parts| parts.into_iter().flatten().collect())
}

/// [`build`], handing each placement's stacks (one domain in one
/// environment and region) to `each` as soon as they are built, on the thread that
/// built them, so a caller can emit and drop them instead of holding the
/// whole layer. Results come back in model order; `each` also sees the
/// stacks of a run that ends in problems.
pub fn build_each<R: Send>(
    model: &Model,
    plan: &AddressPlan,
    base: &Graph,
    options: &Options,
    each: impl Fn(Vec<Stack>) -> R + Sync,
) -> Result<Vec<R>, Vec<Problem>> {
    // Quotas first: a domain whose load balancer cannot take its services
    // would fail at deploy time after the stacks before it were created.
    let mut problems = quotas::problems(model, &model.limits);
    if let Some(only) = &options.services {
        for name in only {
            if !model.services.iter().any(|s| &s.name == name) {
                let mut names: Vec<&str> = model.services.iter().map(|s| s.name.as_str()).collect();
                names.sort_by_key(|n| strsim_distance(n, name));
                problems.push(Problem {
                    code: "workloads::unknown-service",
                    message: format!("there is no service `{name}`"),
                    help: match names.first() {
                        Some(n) => format!("did you mean `{n}`?"),
                        None => "the spec declares no services".into(),
                    },
                    at: None,
                });
            }
        }
    }
    if let Some(only) = &options.environments {
        for name in only {
            if !model.environments.iter().any(|e| &e.name == name) {
                let mut names: Vec<&str> =
                    model.environments.iter().map(|e| e.name.as_str()).collect();
                names.sort_by_key(|n| strsim_distance(n, name));
                problems.push(Problem {
                    code: "workloads::unknown-environment",
                    message: format!("there is no environment `{name}`"),
                    help: match names.first() {
                        Some(n) => format!("did you mean `{n}`?"),
                        None => "the spec declares no environments".into(),
                    },
                    at: None,
                });
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut ctx = ctx::Ctx::new(model, plan, base);
    ctx.log_agents = options.log_agents.as_deref();
    ctx.metric_agents = options.metric_agents.as_deref();
    ctx.host_agents = options.host_agents.as_deref();
    ctx.log_aggregator = options.log_aggregator.as_deref().map(String::as_str);
    ctx.jaeger = options.jaeger.as_deref().map(String::as_str);
    let selected = |name: &str| options.services.as_ref().is_none_or(|s| s.contains(name));
    let env_selected = |env: landfall_model::EnvId| {
        options
            .environments
            .as_ref()
            .is_none_or(|only| only.contains(&model.environment(env).name))
    };
    let jobs: Vec<_> = model
        .domains
        .iter()
        .flat_map(|d| d.environments.iter().map(move |&env| (d, env)))
        .filter(|&(_, env)| env_selected(env))
        .collect();
    // Each domain and environment builds on its own; in parallel, with the
    // results kept in model order.
    type Built<'m, R> = (
        Vec<R>,
        Vec<String>,
        Vec<Problem>,
        Vec<(Placement<'m>, String)>,
    );
    let built: Vec<Built<'_, R>> = jobs
        .par_iter()
        .map(|&(domain, env)| {
            let mut problems = Vec::new();
            // The account's shared stack is built from every service it
            // serves, whatever the selection: built from some, it would
            // take the others' load balancer, capacity and image
            // parameters away when deployed.
            let all_services: Vec<_> = model
                .services
                .iter()
                .filter(|s| s.domain == domain.id && s.environments.contains(&env))
                .collect();
            let services: Vec<_> = all_services
                .iter()
                .copied()
                .filter(|s| selected(&s.name))
                .collect();
            // The stores the selected services reach: their own, the
            // clusters of the topics they produce and consume, and the log
            // cluster their agents write to.
            let used: BTreeSet<_> = services
                .iter()
                .flat_map(|s| {
                    let topics = s
                        .produces
                        .iter()
                        .chain(&s.consumes)
                        .map(|t| model.topic(*t).cluster);
                    let log_cluster = ctx
                        .log_agents
                        .and_then(|_| logs::agent_cluster(model, s, env))
                        .map(|store| store.id);
                    s.data_stores
                        .iter()
                        .copied()
                        .chain(topics)
                        .chain(log_cluster)
                })
                .collect();
            let stores: Vec<_> = model
                .data_stores
                .iter()
                .filter(|d| d.domain == domain.id && d.environments.contains(&env))
                .filter(|d| options.services.is_none() || used.contains(&d.id))
                .collect();
            let mut edges = Vec::new();
            if services.is_empty() && stores.is_empty() {
                return (Vec::new(), Vec::new(), problems, edges);
            }
            // Every region of the environment runs the same services, each
            // region on its own (its own stores; CloudFront per region).
            let mut results = Vec::new();
            let mut names = Vec::new();
            for place in ctx.placements(domain.id, env, &mut problems) {
                let mut stacks = Vec::new();
                let account_stack = base::build(&ctx, &place, &all_services, &mut problems);
                if let Some(names) = base::names(&ctx, &place, &account_stack) {
                    stacks.push(names);
                }
                stacks.push(account_stack);
                if let Some(edge) = base::edge(&ctx, &place, &all_services) {
                    stacks.push(edge);
                }
                for store in &stores {
                    stacks.push(store::build(&ctx, &place, store, &mut problems));
                    if let Some(stack) = aggregator::build(&ctx, &place, store, &mut problems) {
                        stacks.push(stack);
                    }
                    if let Some(stack) = traces::build(&ctx, &place, store, &mut problems) {
                        if let Some(names) = traces::names(&ctx, &place, &stack) {
                            stacks.push(names);
                        }
                        stacks.push(stack);
                    }
                }
                for service in &services {
                    stacks.push(service::build(&ctx, &place, service, &mut problems));
                }
                for stack in &mut stacks {
                    scanner::admit(&ctx, &place, stack);
                    check_stack(stack, &mut problems);
                }
                check_imports(&stacks, &mut problems);
                names.extend(stacks.iter().map(|s| s.name.clone()));
                if let Some(edge) = stacks.iter().find(|s| s.name.ends_with("-edge")) {
                    edges.push((place, edge.name.clone()));
                }
                results.push(each(stacks));
            }
            (results, names, problems, edges)
        })
        .collect();
    let mut out = Vec::with_capacity(built.len() + 1);
    let mut names = BTreeSet::new();
    let mut zones = Vec::new();
    for (r, stack_names, p, edges) in built {
        out.extend(r);
        problems.extend(p);
        zones.extend(edges);
        for name in stack_names {
            if !landfall_graph::valid_stack_name(&name) || !names.insert(name.clone()) {
                problems.push(internal(&name, "duplicate or invalid stack name"));
            }
        }
    }
    // The domains' public zones, delegated from the platform's zone: one
    // stack for every domain, so only a build of them all has it (from
    // some, its update would take the others' delegations away).
    let complete = options.services.is_none() && options.environments.is_none();
    if let (Some(dns), false, true) = (&model.network.dns, zones.is_empty(), complete) {
        let stack = tls::delegation(model, &model.organization.slug, dns, &zones);
        check_stack(&stack, &mut problems);
        if !names.insert(stack.name.clone()) {
            problems.push(internal(&stack.name, "duplicate or invalid stack name"));
        }
        out.push(each(vec![stack]));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Every `Fn::ImportValue` names an export of the placement's own stacks:
/// exports are per account and region, and one placement is one account in
/// one region.
fn check_imports(stacks: &[Stack], problems: &mut Vec<Problem>) {
    fn visit<'v>(value: &'v serde_json::Value, out: &mut Vec<&'v str>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(name)) = map.get("Fn::ImportValue") {
                    out.push(name);
                }
                for v in map.values() {
                    visit(v, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| visit(v, out)),
            _ => {}
        }
    }
    let exports: BTreeSet<&str> = stacks
        .iter()
        .flat_map(|s| s.outputs.iter().filter_map(|o| o.export.as_deref()))
        .collect();
    for stack in stacks {
        let mut imports = Vec::new();
        for r in &stack.resources {
            for v in r.properties.values() {
                visit(v, &mut imports);
            }
        }
        for name in imports {
            if !exports.contains(name) {
                problems.push(internal(
                    &stack.name,
                    &format!("imports `{name}`, which no stack of its account and region exports"),
                ));
            }
        }
    }
}

fn internal(stack: &str, message: &str) -> Problem {
    Problem {
        code: "workloads::internal",
        message: format!("stack `{stack}`: {message}"),
        help: "this is a bug in Landfall; please report it with the spec".into(),
        at: None,
    }
}

/// A defensive look at the graph invariants of one stack on its own:
/// unique, valid logical ids and references that resolve inside the stack
/// (dependencies on platform stacks live in `base`).
fn check_stack(stack: &Stack, problems: &mut Vec<Problem>) {
    {
        let mut broken = Vec::new();
        // A parameter read from another stack needs that stack deployed
        // first: the deployer resolves it just before this stack's wave.
        for p in &stack.parameters {
            let read = match &p.value {
                landfall_graph::ParameterValue::ResourceId { stack, .. }
                | landfall_graph::ParameterValue::StackOutput { stack, .. } => stack,
                _ => continue,
            };
            if !stack.depends_on.contains(read) {
                broken.push(format!(
                    "parameter `{}` reads stack `{read}`, which it does not depend on",
                    p.name
                ));
            }
        }
        let mut ids = BTreeSet::new();
        for r in &stack.resources {
            if !ids.insert(r.logical_id.as_str())
                || !landfall_graph::valid_logical_id(&r.logical_id)
            {
                broken.push(format!(
                    "duplicate or invalid logical id `{}`",
                    r.logical_id
                ));
            }
        }
        let params: BTreeSet<&str> = stack.parameters.iter().map(|p| p.name.as_str()).collect();
        let mut check = |value: &serde_json::Value| {
            landfall_graph::intrinsic::visit_references(value, &mut |r| {
                let known = ids.contains(r.target)
                    || (r.attribute.is_none() && params.contains(r.target))
                    || r.target.starts_with("AWS::");
                if !known {
                    broken.push(format!(
                        "a reference to `{}`, which is not in the stack",
                        r.target
                    ));
                }
            });
        };
        for r in &stack.resources {
            for v in r.properties.values() {
                check(v);
            }
        }
        for o in &stack.outputs {
            check(&o.value);
        }
        for message in broken {
            problems.push(internal(&stack.name, &message));
        }
    }
}

fn strsim_distance(a: &str, b: &str) -> usize {
    // Levenshtein distance, small and dependency-free.
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(cur)
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use landfall_graph::{Layer, Output, Parameter, ParameterValue, Resource, Target};
    use serde_json::json;

    fn stack(name: &str) -> Stack {
        Stack {
            name: name.into(),
            layer: Layer::Workloads,
            description: String::new(),
            target: Target::Account {
                account: "a".into(),
                region: "eu-central-1".into(),
            },
            parameters: Vec::new(),
            conditions: Default::default(),
            resources: Vec::new(),
            outputs: Vec::new(),
            depends_on: Vec::new(),
            inputs: Vec::new(),
            capacity: Vec::new(),
        }
    }

    #[test]
    fn a_parameter_read_from_a_stack_needs_a_dependency_on_it() {
        let mut s = stack("reader");
        s.parameters.push(Parameter {
            name: "Group".into(),
            description: String::new(),
            value: ParameterValue::ResourceId {
                stack: "other".into(),
                logical_id: "SecurityGroup".into(),
            },
        });
        let mut problems = Vec::new();
        check_stack(&s, &mut problems);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].message.contains("does not depend on"),
            "{}",
            problems[0].message
        );
        s.depends_on.push("other".into());
        let mut problems = Vec::new();
        check_stack(&s, &mut problems);
        assert!(problems.is_empty());
    }

    #[test]
    fn imports_must_name_an_export_of_the_placement() {
        let mut exporter = stack("base");
        exporter.outputs.push(Output {
            name: "Key".into(),
            description: None,
            value: json!("k"),
            export: Some("base:Key".into()),
        });
        let mut reader = stack("svc");
        let mut r = Resource::new("Thing", "AWS::SNS::Topic");
        r.properties.insert(
            "KmsMasterKeyId".into(),
            json!({ "Fn::ImportValue": "base:Key" }),
        );
        reader.resources.push(r);
        let mut problems = Vec::new();
        check_imports(&[exporter.clone(), reader.clone()], &mut problems);
        assert!(problems.is_empty());
        reader.resources[0].properties.insert(
            "KmsMasterKeyId".into(),
            json!({ "Fn::ImportValue": "elsewhere:Key" }),
        );
        check_imports(&[exporter, reader], &mut problems);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("elsewhere:Key"));
    }
}
