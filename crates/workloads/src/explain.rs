//! `landfall show service NAME`: what a service gets and why.

use std::fmt::Write as _;

use landfall_model::Model;
use landfall_netplan::AddressPlan;
use landfall_spec::types::Engine;
use landfall_spec::types::TierKind;
use serde::Serialize;
use serde_json::Value;

use crate::base::exposure;
use crate::ctx::{priorities, Ctx};
use crate::policy::task_policy;
use crate::sizing::{size, HEADROOM_PERCENT, TARGET_UTILISATION_PERCENT};
use crate::store::{port, MSK_IAM_PORT};

/// What a service gets in each environment and why: the facts behind
/// `landfall show service NAME` (text) and its `--format json`.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceExplanation {
    pub service: String,
    pub domain: String,
    pub repository: String,
    pub compute: Compute,
    pub environments: Vec<EnvironmentExplanation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Compute {
    pub cpu: u32,
    pub memory: u32,
    pub port: u16,
    pub health_check_path: String,
    /// `metal` (latency-sensitive: EC2 metal capacity) or `fargate`.
    pub capacity: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentExplanation {
    pub environment: String,
    /// `None` when the domain has no account or VPC in the environment.
    pub placement: Option<Placement>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Placement {
    pub account: String,
    pub region: String,
    pub vpc: String,
    pub vpc_cidr: String,
    /// The same stacks in the environment's other regions.
    pub other_regions: Vec<OtherRegion>,
    /// Application subnets shared to the account.
    pub subnets: Vec<Subnet>,
    pub tasks: Tasks,
    pub warnings: Vec<String>,
    pub scaling: String,
    pub ingress: String,
    pub security_group_rules: Vec<Rule>,
    pub task_role: String,
    pub grants: Vec<Grant>,
    pub deploy: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Subnet {
    pub name: String,
    pub cidr: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OtherRegion {
    pub region: String,
    pub vpc: String,
    pub vpc_cidr: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tasks {
    pub min: u32,
    pub desired: u32,
    pub max: u32,
    pub peak_rps: Option<u32>,
    pub rps_per_task: Option<u32>,
    pub needed_at_peak: Option<u32>,
    pub with_headroom: Option<u32>,
    pub production: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// `in` or `out`.
    pub direction: &'static str,
    pub port: u16,
    pub peer: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    pub why: String,
}

/// The facts about a service, or `None` when there is no such service.
pub fn explain(model: &Model, plan: &AddressPlan, name: &str) -> Option<ServiceExplanation> {
    let service = model.services.iter().find(|s| s.name == name)?;
    let empty = landfall_graph::Graph::default();
    let ctx = Ctx::new(model, plan, &empty);
    let domain = model.domain(service.domain);
    let environments = service
        .environments
        .iter()
        .map(|env| EnvironmentExplanation {
            environment: model.environment(*env).name.clone(),
            placement: crate::placement(model, service.domain, *env)
                .map(|place| placement(model, plan, &ctx, service, &place)),
        })
        .collect();
    Some(ServiceExplanation {
        service: service.name.clone(),
        domain: domain.name.clone(),
        repository: service.repository.clone(),
        compute: Compute {
            cpu: service.cpu,
            memory: service.memory,
            port: service.port,
            health_check_path: service.health_check_path.clone(),
            capacity: if service.latency_sensitive {
                "metal"
            } else {
                "fargate"
            },
        },
        environments,
    })
}

fn placement(
    model: &Model,
    plan: &AddressPlan,
    ctx: &Ctx<'_>,
    service: &landfall_model::Service,
    place: &crate::Placement<'_>,
) -> Placement {
    let domain = model.domain(service.domain);
    let other_regions = crate::placements_of(model, service.domain, place.env.id)
        .iter()
        .filter(|p| !p.primary)
        .map(|other| OtherRegion {
            region: other.region.name.clone(),
            vpc: other.vpc.name.clone(),
            vpc_cidr: plan.vpc_cidr(other.vpc.id).to_string(),
        })
        .collect();
    let subnets = ctx
        .subnets(place, TierKind::Application)
        .iter()
        .map(|s| Subnet {
            name: s.name.clone(),
            cidr: plan.subnet_cidr(s.id).to_string(),
        })
        .collect();
    let s = size(service, place.env);
    let mut warnings = Vec::new();
    if let (true, Some(head)) = (place.env.production, s.with_headroom) {
        if s.min < head {
            warnings.push(format!(
                "min {} is below the {head} tasks the peak needs with headroom: the peak is met only after scaling out (towards max {}); raise `scaling.min_tasks` to {head} to hold it from the start",
                s.min, s.max
            ));
        }
    }
    let scaling = match s.requests_per_task_per_minute {
        Some(t) => format!("ALBRequestCountPerTarget at {t} per task per minute ({TARGET_UTILISATION_PERCENT}% of a task's capacity)"),
        None => "average CPU at 60%".to_owned(),
    };
    let (lb, public) = exposure(ctx, place, service);
    let priority = || {
        priorities(model, place)
            .get(service.name.as_str())
            .copied()
            .unwrap_or(0)
    };
    let ingress = match (lb, public) {
        (_, true) => format!(
            "public: CloudFront with the WAF web ACL → VPC origin → internal load balancer, header {}: {} (rule priority {})",
            crate::service::ROUTING_HEADER,
            service.name,
            priority()
        ),
        (true, false) => format!(
            "internal load balancer of {}-{}, header {}: {} (rule priority {})",
            domain.name,
            place.env.name,
            crate::service::ROUTING_HEADER,
            service.name,
            priority()
        ),
        _ => "none (a worker)".into(),
    };
    let mut rules = Vec::new();
    if lb {
        rules.push(Rule {
            direction: "in",
            port: service.port,
            peer: "its load balancer".to_owned(),
        });
    }
    for c in ctx.vpc_cidrs(place, TierKind::Endpoints) {
        rules.push(Rule {
            direction: "out",
            port: 443,
            peer: format!("{c} (interface endpoints)"),
        });
    }
    for id in &service.data_stores {
        let store = model.data_store(*id);
        if let (Some(p), false) = (
            port(&store.engine),
            matches!(store.engine, Engine::Msk { .. }),
        ) {
            rules.push(Rule {
                direction: "out",
                port: p,
                peer: format!(
                    "data store {} (its security group, which admits this service)",
                    store.name
                ),
            });
        }
    }
    for t in service.produces.iter().chain(&service.consumes) {
        let topic = model.topic(*t);
        rules.push(Rule {
            direction: "out",
            port: MSK_IAM_PORT,
            peer: format!(
                "the brokers of {} (topic {})",
                model.data_store(topic.cluster).name,
                topic.name
            ),
        });
    }
    if let Some(store) = crate::logs::agent_cluster(model, service, place.env.id) {
        rules.push(Rule {
            direction: "out",
            port: crate::logs::MSK_SCRAM_PORT,
            peer: format!("the brokers of {} (its log agent, SASL/SCRAM)", store.name),
        });
    }
    for callee in &service.calls {
        let callee = model.service(*callee);
        rules.push(Rule {
            direction: "out",
            port: crate::tls::HTTPS_PORT,
            peer: format!(
                "the load balancer of {} (calls {})",
                model.domain(callee.domain).name,
                callee.name
            ),
        });
    }
    let policy = task_policy(model, place, service);
    let grants = policy
        .grants
        .iter()
        .map(|g| {
            let vars = readable_names(place, &g.resources);
            Grant {
                actions: g.actions.iter().map(|a| a.to_string()).collect(),
                resources: g
                    .resources
                    .iter()
                    .map(|r| match crate::policy::instantiate(r, &vars) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    })
                    .collect(),
                why: g.why.to_string(),
            }
        })
        .collect();
    Placement {
        account: place.account.name.clone(),
        region: place.region.name.clone(),
        vpc: place.vpc.name.clone(),
        vpc_cidr: plan.vpc_cidr(place.vpc.id).to_string(),
        other_regions,
        subnets,
        tasks: Tasks {
            min: s.min,
            desired: s.desired,
            max: s.max,
            peak_rps: service.tasks.peak_rps,
            rps_per_task: service.tasks.rps_per_task,
            needed_at_peak: s.needed_at_peak,
            with_headroom: s.with_headroom,
            production: place.env.production,
        },
        warnings,
        scaling,
        ingress,
        security_group_rules: rules,
        task_role: format!("task-{}", service.name),
        grants,
        deploy: format!(
            "GitHub Actions of {} (environment {}) → OIDC → {} (shared services) → {} in {}",
            service.repository,
            place.env.name,
            landfall_graph::environment_deploy_role_name(&service.name, &place.env.name),
            crate::ctx::account_unique_name("deploy", &service.name, place),
            place.account.name
        ),
    }
}

/// A text explanation of a service in every environment it runs in, or
/// `None` when there is no such service.
pub fn service(model: &Model, plan: &AddressPlan, name: &str) -> Option<String> {
    explain(model, plan, name).map(|facts| render_text(&facts))
}

/// The explanation for people.
pub fn render_text(facts: &ServiceExplanation) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "service {} (domain {}, repository {})",
        facts.service, facts.domain, facts.repository
    );
    let c = &facts.compute;
    let _ = writeln!(
        out,
        "  compute: {} CPU units, {} MiB, port {}, health check {}; {}",
        c.cpu,
        c.memory,
        c.port,
        c.health_check_path,
        if c.capacity == "metal" {
            "latency-sensitive: EC2 capacity on metal instances from the ECS-optimized AMI, in the account's own cluster placement groups"
        } else {
            "Fargate"
        }
    );
    for env in &facts.environments {
        let Some(p) = &env.placement else {
            let _ = writeln!(
                out,
                "\n[{}] no account or VPC for the domain",
                env.environment
            );
            continue;
        };
        let _ = writeln!(
            out,
            "\n[{}] account {}, region {}, VPC {} ({})",
            env.environment, p.account, p.region, p.vpc, p.vpc_cidr
        );
        for other in &p.other_regions {
            let _ = writeln!(
                out,
                "  also in region {} (VPC {}, {}): the same stacks with its own stores, load balancer and roles ending in `-{}`; each region is sized for the whole peak",
                other.region, other.vpc, other.vpc_cidr, other.region
            );
        }
        let subnets: Vec<String> = p
            .subnets
            .iter()
            .map(|s| format!("{} {}", s.name, s.cidr))
            .collect();
        let _ = writeln!(
            out,
            "  subnets (shared to the account through RAM): {}",
            subnets.join(", ")
        );
        let t = &p.tasks;
        let _ = write!(
            out,
            "  tasks: min {}, desired {}, max {}",
            t.min, t.desired, t.max
        );
        match (
            t.peak_rps,
            t.rps_per_task,
            t.needed_at_peak,
            t.with_headroom,
        ) {
            (Some(peak), Some(per), Some(needed), Some(head)) => {
                let _ = writeln!(
                    out,
                    " — peak {peak} req/s ÷ {per} per task = {needed} tasks, +{HEADROOM_PERCENT}% headroom = {head}{}",
                    if t.production { "" } else { " (production figure; this environment runs 1 to 2)" }
                );
            }
            _ => {
                let _ = writeln!(out, " — declared bounds (no throughput declared)");
            }
        }
        for warning in &p.warnings {
            let _ = writeln!(out, "  warning: {warning}");
        }
        let _ = writeln!(out, "  scaling: {}", p.scaling);
        let _ = writeln!(out, "  ingress: {}", p.ingress);
        let _ = writeln!(out, "  security group rules:");
        for rule in &p.security_group_rules {
            let pad = if rule.direction == "in" { " " } else { "" };
            let _ = writeln!(
                out,
                "    {}{pad} tcp {} {} {}",
                rule.direction,
                rule.port,
                if rule.direction == "in" { "from" } else { "to" },
                rule.peer
            );
        }
        let _ = writeln!(
            out,
            "  task role {} (boundary landfall-workload-boundary):",
            p.task_role
        );
        if p.grants.is_empty() {
            let _ = writeln!(
                out,
                "    no permissions: it declares no dependency that needs IAM"
            );
        }
        for g in &p.grants {
            let _ = writeln!(
                out,
                "    {} on {} — {}",
                g.actions.join(", "),
                g.resources.join(", "),
                g.why
            );
        }
        let _ = writeln!(out, "  deploy: {}", p.deploy);
    }
    out
}

/// Names for the placeholders of a grant's resources, so an explanation
/// reads as the ARNs AWS will see: the partition and region of the place,
/// the account by name (its id exists only once the account does), and each
/// imported value as what it is and which stack exports it.
fn readable_names(
    place: &crate::Placement<'_>,
    resources: &[Value],
) -> std::collections::BTreeMap<String, String> {
    let mut vars = std::collections::BTreeMap::new();
    vars.insert("AWS::Partition".to_owned(), "aws".to_owned());
    vars.insert("AWS::Region".to_owned(), place.region.name.clone());
    vars.insert(
        "AWS::AccountId".to_owned(),
        format!("<account id of {}>", place.account.name),
    );
    let mut imports = Vec::new();
    for resource in resources {
        collect_imports(resource, &mut imports);
    }
    for name in imports {
        let readable = match name.rsplit_once(':') {
            Some((stack, output)) => format!("<{output} of stack {stack}>"),
            None => format!("<value exported as {name}>"),
        };
        vars.insert(format!("import:{name}"), readable);
    }
    vars
}

fn collect_imports(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("Fn::ImportValue", Value::String(name)) => out.push(name.clone()),
                    _ => collect_imports(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_imports(item, out)),
        _ => {}
    }
}
