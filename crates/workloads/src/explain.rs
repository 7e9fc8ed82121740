//! `landfall show service NAME`: what a service gets and why.

use std::fmt::Write as _;

use landfall_model::Model;
use landfall_netplan::AddressPlan;
use landfall_spec::types::Engine;
use landfall_spec::types::TierKind;
use serde_json::Value;

use crate::base::exposure;
use crate::ctx::{priorities, Ctx};
use crate::policy::task_policy;
use crate::sizing::{size, HEADROOM_PERCENT, TARGET_UTILISATION_PERCENT};
use crate::store::{port, MSK_IAM_PORT};

/// A text explanation of a service in every environment it runs in, or
/// `None` when there is no such service.
pub fn service(model: &Model, plan: &AddressPlan, name: &str) -> Option<String> {
    let service = model.services.iter().find(|s| s.name == name)?;
    let empty = landfall_graph::Graph::default();
    let ctx = Ctx::new(model, plan, &empty);
    let mut out = String::new();
    let domain = model.domain(service.domain);
    let _ = writeln!(
        out,
        "service {} (domain {}, repository {})",
        service.name, domain.name, service.repository
    );
    let _ = writeln!(
        out,
        "  compute: {} CPU units, {} MiB, port {}, health check {}; {}",
        service.cpu,
        service.memory,
        service.port,
        service.health_check_path,
        if service.latency_sensitive {
            "latency-sensitive: EC2 capacity on metal instances from the ECS-optimized AMI, in the account's own cluster placement groups"
        } else {
            "Fargate"
        }
    );
    for env in &service.environments {
        let Some(place) = crate::placement(model, service.domain, *env) else {
            let _ = writeln!(
                out,
                "\n[{}] no account or VPC for the domain",
                model.environment(*env).name
            );
            continue;
        };
        let _ = writeln!(
            out,
            "\n[{}] account {}, region {}, VPC {} ({})",
            place.env.name,
            place.account.name,
            place.region.name,
            place.vpc.name,
            plan.vpc_cidr(place.vpc.id)
        );
        for other in crate::placements_of(model, service.domain, *env)
            .iter()
            .filter(|p| !p.primary)
        {
            let _ = writeln!(
                out,
                "  also in region {} (VPC {}, {}): the same stacks with its own stores, load balancer and roles ending in `-{}`; each region is sized for the whole peak",
                other.region.name,
                other.vpc.name,
                plan.vpc_cidr(other.vpc.id),
                other.region.name
            );
        }
        let subnets: Vec<String> = ctx
            .subnets(&place, TierKind::Application)
            .iter()
            .map(|s| format!("{} {}", s.name, plan.subnet_cidr(s.id)))
            .collect();
        let _ = writeln!(
            out,
            "  subnets (shared to the account through RAM): {}",
            subnets.join(", ")
        );
        let s = size(service, place.env);
        let _ = write!(
            out,
            "  tasks: min {}, desired {}, max {}",
            s.min, s.desired, s.max
        );
        match (
            service.tasks.peak_rps,
            service.tasks.rps_per_task,
            s.needed_at_peak,
            s.with_headroom,
        ) {
            (Some(peak), Some(per), Some(needed), Some(head)) => {
                let _ = writeln!(
                    out,
                    " — peak {peak} req/s ÷ {per} per task = {needed} tasks, +{HEADROOM_PERCENT}% headroom = {head}{}",
                    if place.env.production { "" } else { " (production figure; this environment runs 1 to 2)" }
                );
                if place.env.production && s.min < head {
                    let _ = writeln!(
                        out,
                        "  warning: min {} is below the {head} tasks the peak needs with headroom: the peak is met only after scaling out (towards max {}); raise `scaling.min_tasks` to {head} to hold it from the start",
                        s.min, s.max
                    );
                }
            }
            _ => {
                let _ = writeln!(out, " — declared bounds (no throughput declared)");
            }
        }
        match s.requests_per_task_per_minute {
            Some(t) => {
                let _ = writeln!(out, "  scaling: ALBRequestCountPerTarget at {t} per task per minute ({TARGET_UTILISATION_PERCENT}% of a task's capacity)");
            }
            None => {
                let _ = writeln!(out, "  scaling: average CPU at 60%");
            }
        }
        let (lb, public) = exposure(&ctx, &place, service);
        let _ = writeln!(
            out,
            "  ingress: {}",
            match (lb, public) {
                (_, true) => format!(
                    "public: CloudFront with the WAF web ACL → VPC origin → internal load balancer, header {}: {} (rule priority {})",
                    crate::service::ROUTING_HEADER,
                    service.name,
                    priorities(model, &place).get(service.name.as_str()).copied().unwrap_or(0)
                ),
                (true, false) => format!(
                    "internal load balancer of {}-{}, header {}: {} (rule priority {})",
                    domain.name,
                    place.env.name,
                    crate::service::ROUTING_HEADER,
                    service.name,
                    priorities(model, &place).get(service.name.as_str()).copied().unwrap_or(0)
                ),
                _ => "none (a worker)".into(),
            }
        );
        let _ = writeln!(out, "  security group rules:");
        if lb {
            let _ = writeln!(out, "    in  tcp {} from its load balancer", service.port);
        }
        for c in ctx.vpc_cidrs(&place, TierKind::Endpoints) {
            let _ = writeln!(out, "    out tcp 443 to {c} (interface endpoints)");
        }
        for id in &service.data_stores {
            let store = model.data_store(*id);
            if let (Some(p), false) = (
                port(&store.engine),
                matches!(store.engine, Engine::Msk { .. }),
            ) {
                let _ = writeln!(out, "    out tcp {p} to data store {} (its security group, which admits this service)", store.name);
            }
        }
        for t in service.produces.iter().chain(&service.consumes) {
            let topic = model.topic(*t);
            let _ = writeln!(
                out,
                "    out tcp {MSK_IAM_PORT} to the brokers of {} (topic {})",
                model.data_store(topic.cluster).name,
                topic.name
            );
        }
        for callee in &service.calls {
            let callee = model.service(*callee);
            let _ = writeln!(
                out,
                "    out tcp 80 to the load balancer of {} (calls {})",
                model.domain(callee.domain).name,
                callee.name
            );
        }
        let policy = task_policy(model, &place, service);
        let _ = writeln!(
            out,
            "  task role task-{} (boundary landfall-workload-boundary):",
            service.name
        );
        if policy.grants.is_empty() {
            let _ = writeln!(
                out,
                "    no permissions: it declares no dependency that needs IAM"
            );
        }
        for g in &policy.grants {
            let vars = readable_names(&place, &g.resources);
            let resources: Vec<String> = g
                .resources
                .iter()
                .map(|r| match crate::policy::instantiate(r, &vars) {
                    Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect();
            let _ = writeln!(
                out,
                "    {} on {} — {}",
                g.actions.join(", "),
                resources.join(", "),
                g.why
            );
        }
        let _ = writeln!(
            out,
            "  deploy: GitHub Actions of {} → OIDC → deploy-{} (shared services) → deploy-{} in {}",
            service.repository, service.name, service.name, place.account.name
        );
    }
    Some(out)
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
