//! Checks of the plan against what lives in it and AWS's limits, and the
//! capacity left per VPC.

use std::collections::{BTreeMap, BTreeSet};

use landfall_diagnostics::Diagnostic;
use landfall_model::{AccountId, DomainId, EnvId, Model};
use landfall_spec::types::TierKind;

use crate::planner::Ctx;
use crate::{usable_addresses, AddressPlan, VpcCapacity};

/// Addresses a domain's services need in an environment: one per task
/// (awsvpc networking), twice the most tasks to leave room for a rolling
/// deployment at ECS's default `maximumPercent` of 200.
fn demand(model: &Model) -> BTreeMap<(EnvId, DomainId), u64> {
    let mut out: BTreeMap<(EnvId, DomainId), u64> = BTreeMap::new();
    for service in &model.services {
        for env in &service.environments {
            *out.entry((*env, service.domain)).or_default() += 2 * u64::from(service.tasks.max);
        }
    }
    out
}

/// The longest prefix whose subnets hold `needed` usable addresses.
fn prefix_for(needed: u64, reserved: u64) -> u8 {
    let total = (needed + reserved).next_power_of_two();
    u8::try_from(32 - total.trailing_zeros().min(32)).unwrap_or(0)
}

pub(crate) fn check(cx: &mut Ctx<'_>, plan: &AddressPlan) {
    let model = cx.model;
    let net = &model.network;
    let limits = &model.limits;
    let reserved = limits.subnet_reserved_addresses;
    let max_subnet = u8::try_from(limits.subnet_max_prefix_length.min(32)).unwrap_or(28);
    let demand = demand(model);

    for tier in &net.tiers {
        let prefix_at = tier.origin.child("prefix_length");
        if tier.prefix_length <= net.vpc_prefix_length || tier.prefix_length > max_subnet {
            let span = cx.span(&prefix_at);
            cx.push(
                Diagnostic::error(
                    "net::subnet-size",
                    format!(
                        "a /{} subnet cannot be planned in a /{} VPC",
                        tier.prefix_length, net.vpc_prefix_length
                    ),
                )
                .with_optional_label(
                    span,
                    format!("AWS allows /{} to /{max_subnet}", net.vpc_prefix_length + 1),
                )
                .with_help(format!(
                    "use a prefix length from {} to {max_subnet}",
                    net.vpc_prefix_length + 1
                )),
            );
            continue;
        }
        let usable = usable_addresses(tier.prefix_length, reserved);
        match tier.kind {
            // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#subnets-load-balancer
            TierKind::Edge if tier.prefix_length > 27 => {
                let span = cx.span(&prefix_at);
                cx.push(
                    Diagnostic::error(
                        "net::subnet-too-small",
                        format!("edge subnets of `{}` are /{}, too small for a load balancer", tier.name, tier.prefix_length),
                    )
                    .with_optional_label(span, format!("{usable} usable addresses"))
                    .with_help("load balancer subnets need at least a /27 with 8 free addresses: use `prefix_length: 27` or shorter"),
                );
            }
            TierKind::Application => {
                // The environment and domain that need the most addresses per AZ.
                let mut worst: Option<(u64, EnvId, Option<DomainId>, u64, usize)> = None;
                for env in &tier.environments {
                    let azs = model
                        .environment(*env)
                        .regions
                        .iter()
                        .map(|r| model.region(*r).azs.len())
                        .min()
                        .unwrap_or(1)
                        .max(1);
                    let owners: Vec<(Option<DomainId>, u64)> = if tier.per_domain {
                        model
                            .domains
                            .iter()
                            .map(|d| (Some(d.id), demand.get(&(*env, d.id)).copied().unwrap_or(0)))
                            .collect()
                    } else {
                        vec![(
                            None,
                            demand
                                .iter()
                                .filter(|((e, _), _)| e == env)
                                .map(|(_, n)| *n)
                                .sum(),
                        )]
                    };
                    for (owner, total) in owners {
                        let per_az = total.div_ceil(azs as u64);
                        if worst.is_none_or(|(w, ..)| per_az > w) {
                            worst = Some((per_az, *env, owner, total, azs));
                        }
                    }
                }
                if let Some((per_az, env, owner, total, azs)) = worst {
                    if per_az > usable {
                        let whose = match owner {
                            Some(d) => format!("domain `{}`", model.domain(d).name),
                            None => "the services".to_owned(),
                        };
                        let prefix = prefix_for(per_az, reserved);
                        let span = cx.span(&prefix_at);
                        cx.push(
                            Diagnostic::error(
                                "net::subnet-too-small",
                                format!(
                                    "`{}` subnets hold {usable} usable addresses, but {whose} needs {per_az} per AZ in `{}`",
                                    tier.name,
                                    model.environment(env).name
                                ),
                            )
                            .with_optional_label(
                                span,
                                format!("{} addresses short per AZ", per_az - usable),
                            )
                            .with_help(format!(
                                "use `prefix_length: {prefix}` ({} usable); the services scale to {} tasks, doubled for rolling deployments = {total} addresses over {azs} AZs",
                                usable_addresses(prefix, reserved),
                                total / 2
                            )),
                        );
                    }
                }
            }
            _ => {}
        }
    }

    // AWS limits on the plan as it is, and on the plan at full growth.
    let tiers_at = net.origin.child("tiers");
    let plan_for_at = net.origin.child("plan_for").child("domains");
    let mut per_account: BTreeMap<AccountId, u64> = BTreeMap::new();
    for share in &plan.shares {
        *per_account.entry(share.account).or_default() += share.subnets.len() as u64;
    }
    for vpc in &net.vpcs {
        let count = net.subnets.iter().filter(|s| s.vpc == vpc.id).count() as u64;
        if count > limits.subnets_per_vpc {
            let span = cx.key_span(&tiers_at);
            cx.push(
                Diagnostic::error(
                    "net::subnets-per-vpc",
                    format!("VPC `{}` has {count} subnets; AWS allows {}", vpc.name, limits.subnets_per_vpc),
                )
                .with_optional_label(span, format!("{} subnets too many", count - limits.subnets_per_vpc))
                .with_help("use fewer per-domain tiers or AZs, or raise `subnets_per_vpc` in `limits` if AWS raised it"),
            );
        }
        let at_capacity = subnets_at_capacity(model, plan, vpc.id) as u64;
        if at_capacity > limits.subnets_per_vpc && count <= limits.subnets_per_vpc {
            let span = cx.span(&plan_for_at);
            cx.push(
                Diagnostic::warning(
                    "net::growth-exceeds-limit",
                    format!(
                        "with all {} domain slots in use, VPC `{}` would have {at_capacity} subnets; AWS allows {}",
                        plan.grid.domain_slots, vpc.name, limits.subnets_per_vpc
                    ),
                )
                .with_optional_label(span, format!("{} subnets over the limit at full growth", at_capacity - limits.subnets_per_vpc))
                .with_help("lower `plan_for.domains`, or ask AWS to raise subnets per VPC before the domains arrive"),
            );
        }
        let participants: BTreeSet<AccountId> = plan
            .shares
            .iter()
            .filter(|s| s.vpc == vpc.id)
            .map(|s| s.account)
            .collect();
        if participants.len() as u64 > limits.participant_accounts_per_shared_vpc {
            let span = cx.key_span(&tiers_at);
            cx.push(
                Diagnostic::error(
                    "net::participants-per-vpc",
                    format!(
                        "VPC `{}` is shared with {} accounts; AWS allows {}",
                        vpc.name,
                        participants.len(),
                        limits.participant_accounts_per_shared_vpc
                    ),
                )
                .with_optional_label(span, format!("{} participants too many", participants.len() as u64 - limits.participant_accounts_per_shared_vpc))
                .with_help("split the environment's domains over more VPCs, or raise `participant_accounts_per_shared_vpc` in `limits` if AWS raised it"),
            );
        }
    }
    for (account, count) in per_account {
        if count > limits.subnets_shared_per_account {
            let span = cx.key_span(&tiers_at);
            cx.push(
                Diagnostic::error(
                    "net::subnets-shared-per-account",
                    format!(
                        "account `{}` is shared {count} subnets; AWS allows {}",
                        model.account(account).name,
                        limits.subnets_shared_per_account
                    ),
                )
                .with_optional_label(span, format!("{} subnets too many", count - limits.subnets_shared_per_account))
                .with_help("share fewer tiers with workload accounts, or raise `subnets_shared_per_account` in `limits` if AWS raised it"),
            );
        }
    }
    nat_return_routes(cx, plan);
}

/// The NAT gateway's route table holds a return route through the firewall
/// for every inspected subnet of its VPC (see the network layer), plus its
/// default route: with AWS's 50 routes per table that is 16 domains of three
/// AZs with one inspected tier.
/// <https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html>
fn nat_return_routes(cx: &mut Ctx<'_>, plan: &AddressPlan) {
    let model = cx.model;
    let limit = model.limits.routes_per_route_table;
    for vpc in &model.network.vpcs {
        let env = vpc.environment;
        if !plan.egress(env).is_some_and(|e| e.nat_gateway) {
            continue;
        }
        let returns = model
            .network
            .subnets
            .iter()
            .filter(|s| s.vpc == vpc.id)
            .filter(|s| {
                plan.routes(env, s.tier)
                    .iter()
                    .any(|r| r.target == crate::RouteTarget::FirewallEndpoint)
            })
            .count() as u64;
        let routes = returns + 1;
        if routes <= limit {
            continue;
        }
        let environment = model.environment(env);
        let span = cx.key_span(&environment.origin);
        cx.push(
            Diagnostic::error(
                "net::routes-per-route-table",
                format!(
                    "the NAT gateway's route table of `{}` needs {routes} routes (a return route through the firewall per inspected subnet); AWS allows {limit}",
                    vpc.name
                ),
            )
            .with_optional_label(span, "its egress is inspected")
            .with_help("inspect fewer tiers, or raise `routes_per_route_table` in `limits` once AWS raised the quota (up to 1,000)"),
        );
    }
}

/// Subnets a VPC would have with every domain slot in use.
fn subnets_at_capacity(model: &Model, plan: &AddressPlan, vpc: landfall_model::VpcId) -> usize {
    let vpc = model.vpc(vpc);
    let azs = model.region(vpc.region).azs.len();
    model
        .network
        .tiers
        .iter()
        .filter(|t| t.environments.contains(&vpc.environment))
        .map(|t| {
            if t.per_domain {
                azs * plan.grid.domain_slots as usize
            } else {
                azs
            }
        })
        .sum()
}

pub(crate) fn capacity(model: &Model, plan: &mut AddressPlan) {
    let limits = &model.limits;
    let demand = demand(model);
    let more_domains =
        u64::from(plan.grid.domain_slots).saturating_sub(plan.lockfile.domains.len() as u64);
    let reserved: u64 = plan.tiers.iter().map(|t| t.size()).sum();
    let mut out = Vec::with_capacity(model.network.vpcs.len());
    for vpc in &model.network.vpcs {
        let size = 1u64 << (32 - u32::from(plan.vpc_prefix_length.min(32)));
        let in_vpc: Vec<_> = model
            .network
            .subnets
            .iter()
            .filter(|s| s.vpc == vpc.id)
            .collect();
        let allocated: u64 = in_vpc
            .iter()
            .filter_map(|s| plan.subnets.get(s.id.index()))
            .map(|s| 1u64 << (32 - u32::from(s.cidr.prefix_len())))
            .sum();
        let participants: BTreeSet<AccountId> = plan
            .shares
            .iter()
            .filter(|s| s.vpc == vpc.id)
            .map(|s| s.account)
            .collect();
        // Application addresses left for services, at the average size.
        let app_usable: u64 = in_vpc
            .iter()
            .filter(|s| model.tier(s.tier).kind == TierKind::Application)
            .filter_map(|s| plan.subnets.get(s.id.index()))
            .map(|s| s.usable)
            .sum();
        let env_demand: u64 = demand
            .iter()
            .filter(|((e, _), _)| *e == vpc.environment)
            .map(|(_, n)| *n)
            .sum();
        let env_services = model
            .services
            .iter()
            .filter(|s| s.environments.contains(&vpc.environment))
            .count() as u64;
        let average = env_demand.checked_div(env_services).unwrap_or(4).max(1);
        out.push(VpcCapacity {
            vpc: vpc.id,
            size,
            allocated,
            reserved,
            free: size.saturating_sub(reserved),
            subnets: in_vpc.len(),
            subnets_at_capacity: subnets_at_capacity(model, plan, vpc.id),
            participants: participants.len(),
            more_accounts: limits
                .participant_accounts_per_shared_vpc
                .saturating_sub(participants.len() as u64),
            more_domains,
            more_services: app_usable.saturating_sub(env_demand) / average,
        });
    }
    plan.capacity = out;
}
