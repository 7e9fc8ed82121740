//! Routes per environment and tier, from the environment's egress policy.
//!
//! - edge tiers: `0.0.0.0/0` to the internet gateway (public load balancers);
//! - application tiers: to the firewall endpoint of their own AZ when egress
//!   is inspected, to the NAT gateway when it is open, nowhere when blocked;
//! - firewall tiers (inspected egress): inspected traffic continues to the
//!   NAT gateway, which reaches the internet gateway itself: a NAT gateway in
//!   regional availability mode spans the VPC's AZs and needs no public
//!   subnet (<https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateways-regional.html>);
//! - data and endpoint tiers: local routes only, whatever the policy.

use ipnet::Ipv4Net;
use landfall_model::Model;
use landfall_spec::types::{EgressMode, TierKind};

use crate::{AddressPlan, EgressPlan, Route, RouteTarget, TierRoutes};

pub(crate) fn routes(model: &Model, plan: &mut AddressPlan) {
    let default = Ipv4Net::default();
    plan.egress = model
        .environments
        .iter()
        .map(|env| {
            let mode = env.egress.mode;
            let tiers: Vec<TierRoutes> = model
                .network
                .tiers
                .iter()
                .filter(|t| t.environments.contains(&env.id))
                .map(|tier| {
                    let target = match (tier.kind, mode) {
                        (TierKind::Edge, _) => Some(RouteTarget::InternetGateway),
                        (TierKind::Firewall, EgressMode::Inspected) => {
                            Some(RouteTarget::NatGateway)
                        }
                        (TierKind::Application, EgressMode::Inspected) => {
                            Some(RouteTarget::FirewallEndpoint)
                        }
                        (TierKind::Application, EgressMode::Open) => Some(RouteTarget::NatGateway),
                        _ => None,
                    };
                    TierRoutes {
                        tier: tier.id,
                        routes: target
                            .map(|target| Route {
                                destination: default,
                                target,
                            })
                            .into_iter()
                            .collect(),
                    }
                })
                .collect();
            let has_edge = tiers.iter().any(|t| {
                t.routes
                    .iter()
                    .any(|r| r.target == RouteTarget::InternetGateway)
            });
            EgressPlan {
                environment: env.id,
                mode,
                internet_gateway: has_edge || mode != EgressMode::Blocked,
                nat_gateway: mode != EgressMode::Blocked,
                firewall: mode == EgressMode::Inspected,
                allow_domains: env.egress.allow_domains.clone(),
                allow_cidrs: env.egress.allow_cidrs.clone(),
                tiers,
            }
        })
        .collect();
}
