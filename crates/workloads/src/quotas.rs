//! The AWS quotas the workload layer can exceed, counted from the model:
//! listener rules and target groups of a domain's load balancer, services in
//! an ECS cluster, tasks in a service, network interfaces of an account.
//!
//! Each count is per place (domain account, environment, region): each
//! region is a cell of its own with the same stacks, so one count stands for
//! every region of the environment.

use landfall_model::{Limits, Model};
use landfall_spec::types::Ingress;
use serde::Serialize;

use crate::sizing::size;

/// The use of one quota at one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotaUse {
    /// The key of the limit in the limits table.
    pub key: &'static str,
    pub used: u64,
    pub limit: u64,
    /// Where: an account (`trading-prod`) or a service in an environment.
    pub at: String,
    /// The spec value the count comes from (the domain or the service).
    #[serde(skip)]
    pub origin: landfall_spec::Pointer,
}

impl QuotaUse {
    pub fn exceeded(&self) -> bool {
        self.used > self.limit
    }
}

/// The use of every quota of this module at every place, in model order.
pub fn counts(model: &Model, limits: &Limits) -> Vec<QuotaUse> {
    // Services by (domain, environment), in one pass: a 10,000-service
    // model has thousands of domains.
    let mut placed: std::collections::BTreeMap<(usize, usize), Vec<&landfall_model::Service>> =
        std::collections::BTreeMap::new();
    for service in &model.services {
        for env in &service.environments {
            placed
                .entry((service.domain.index(), env.index()))
                .or_default()
                .push(service);
        }
    }
    let accounts: std::collections::BTreeMap<(usize, usize), &str> = model
        .accounts
        .iter()
        .filter_map(|a| Some(((a.domain?.index(), a.environment?.index()), a.name.as_str())))
        .collect();
    let mut out = Vec::new();
    for domain in &model.domains {
        for &env_id in &domain.environments {
            let env = model.environment(env_id);
            let key = (domain.id.index(), env_id.index());
            let Some(account) = accounts.get(&key) else {
                continue;
            };
            let services = placed.get(&key).map_or(&[][..], Vec::as_slice);
            let behind_lb = services
                .iter()
                .filter(|s| s.ingress != Ingress::None)
                .count() as u64;
            let tasks: u64 = services.iter().map(|s| u64::from(size(s, env).max)).sum();
            let mut place = |key: &'static str, used: u64, limit: u64| {
                out.push(QuotaUse {
                    key,
                    used,
                    limit,
                    at: (*account).to_owned(),
                    origin: domain.origin.clone(),
                });
            };
            place(
                "alb_rules_per_load_balancer",
                behind_lb,
                limits.alb_rules_per_load_balancer,
            );
            place(
                "alb_target_groups_per_load_balancer",
                behind_lb,
                limits.alb_target_groups_per_load_balancer,
            );
            place(
                "ecs_services_per_cluster",
                services.len() as u64,
                limits.ecs_services_per_cluster,
            );
            place(
                "network_interfaces_per_region",
                tasks,
                limits.network_interfaces_per_region,
            );
            for service in services {
                out.push(QuotaUse {
                    key: "ecs_tasks_per_service",
                    used: u64::from(size(service, env).max),
                    limit: limits.ecs_tasks_per_service,
                    at: format!("{} in {}", service.name, env.name),
                    origin: service.origin.clone(),
                });
            }
        }
    }
    out
}

/// The highest use of each quota, for `landfall limits`.
pub fn highest(model: &Model, limits: &Limits) -> Vec<QuotaUse> {
    let mut best: Vec<QuotaUse> = Vec::new();
    for count in counts(model, limits) {
        match best.iter_mut().find(|q| q.key == count.key) {
            Some(q) if count.used > q.used => *q = count,
            Some(_) => {}
            None => best.push(count),
        }
    }
    best
}

/// Every place where a quota is exceeded, located at the domain or service
/// it comes from: what is over, by how much, and the two ways out.
pub fn problems(model: &Model, limits: &Limits) -> Vec<landfall_graph::Problem> {
    counts(model, limits)
        .into_iter()
        .filter(QuotaUse::exceeded)
        .map(|q| landfall_graph::Problem {
            code: "workloads::quota-exceeded",
            message: format!(
                "{} needs {} of `{}`; AWS allows {}",
                q.at, q.used, q.key, q.limit
            ),
            help: format!(
                "split the domain so each account stays within {}, or raise the quota with AWS and set `limits: {{ {}: {} }}` in the spec",
                q.limit, q.key, q.used
            ),
            at: Some(q.origin),
        })
        .collect()
}
