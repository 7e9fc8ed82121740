//! The address plan: a CIDR for every VPC and subnet of the [`Model`], who
//! each subnet is shared with through RAM, the placement groups of
//! latency-sensitive services, and the routes each tier gets for its
//! environment's egress. Allocations are recorded in `landfall.lock`
//! ([`Lockfile`]) and never move unless the user asks.
//!
//! The planner does no I/O: [`plan`] takes the model, the loaded spec (only
//! to locate diagnostics) and the parsed lockfile if there is one, and
//! returns the plan (with the lockfile to write) plus every diagnostic.
//!
//! # The allocation scheme
//!
//! Addresses are carved hierarchically, in fixed slots sized for the growth
//! the spec's `network.plan_for` declares, so that adding an environment, a
//! region, a domain or an account never moves an existing range:
//!
//! 1. **VPC blocks.** The address space is cut into blocks of
//!    `vpc_prefix_length`. The VPC of environment slot `e` in region slot `r`
//!    takes block `e × plan_for.regions + r`, so the plan needs
//!    `plan_for.environments × plan_for.regions` blocks. Environment and
//!    region slots are handed out first come, first served, and recorded.
//! 2. **Tier reservations.** Every VPC has the same layout: each tier reserves
//!    one subnet per AZ slot (the most AZs any region uses), times
//!    `plan_for.domains` domain slots for per-domain tiers, whether or not the
//!    tier is used in that VPC's environment. The first plan places tiers
//!    largest subnets first (so no address is lost to alignment); later tiers
//!    go into the first free aligned gap. Offsets are recorded.
//! 3. **Subnets.** A subnet is the `slot`-th subnet of its tier's reservation,
//!    where `slot` is its AZ index, or `domain slot × AZ slots + AZ index` for
//!    per-domain tiers. Domain slots are handed out first come, first served —
//!    not by the order domains are listed — and a removed domain keeps its slot
//!    until `--prune`, so its addresses are never handed to another domain by
//!    accident.
//!
//! The lockfile records the grid, every slot, every tier offset and every
//! resulting CIDR. A later plan reuses them. Where the spec changed so that
//! recorded allocations would move (a tier's prefix length, `plan_for`, the
//! address space), the planner reports a located error instead, unless
//! [`PlanOptions::update`] is set, in which case it re-plans what changed and
//! the caller reports the moves ([`Lockfile::changes_from`]).
//!
//! ```
//! let resolved = landfall_model::reference();
//! let model = resolved.model.as_ref().unwrap();
//! let planned = landfall_netplan::plan(model, &resolved.loaded, None, Default::default());
//! let plan = planned.plan.unwrap();
//! let vpc = &model.network.vpcs[0];
//! assert!(plan.vpc_cidr(vpc.id).contains(&plan.subnet_cidr(model.network.subnets[0].id)));
//! ```

mod check;
mod egress;
pub mod lock;
mod planner;
pub mod render;
mod sharing;

use std::collections::BTreeMap;

use ipnet::Ipv4Net;
use landfall_diagnostics::Diagnostic;
use landfall_model::{AccountId, DomainId, EnvId, Model, ServiceId, SubnetId, TierId, VpcId};
use landfall_spec::types::EgressMode;
use landfall_spec::LoadedSpec;
use serde::Serialize;

pub use lock::{Grid, LockChanges, Lockfile, Section, TierLock, LOCKFILE_NAME};

/// How to treat a lockfile that disagrees with the spec.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Re-plan allocations the spec no longer agrees with (they move),
    /// instead of reporting an error.
    pub update: bool,
    /// Forget slots and allocations of environments, regions, domains, tiers,
    /// VPCs and subnets the spec no longer has, so they can be reused.
    pub prune: bool,
}

/// The outcome of planning: the plan when there is no error, and every
/// diagnostic.
#[derive(Debug, Clone)]
pub struct Planned {
    pub plan: Option<AddressPlan>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Planned {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Every address of the platform, and what a resource-graph stage needs to
/// emit the network: sharing, placement groups and routes.
#[derive(Debug, Clone, Serialize)]
pub struct AddressPlan {
    pub address_space: Ipv4Net,
    pub vpc_prefix_length: u8,
    /// The grid the plan was made with.
    #[serde(skip)]
    pub grid: Grid,
    /// Each model tier's place in every VPC, by [`TierId`].
    pub tiers: Vec<TierReservation>,
    /// By [`VpcId`].
    pub vpcs: Vec<VpcPlan>,
    /// By [`SubnetId`].
    pub subnets: Vec<SubnetPlan>,
    /// Slot of each domain in per-domain tiers.
    pub domain_slots: BTreeMap<DomainId, u32>,
    /// RAM resource shares: one per VPC and participant account.
    pub shares: Vec<ResourceShare>,
    pub placement_groups: Vec<PlacementGroup>,
    /// By [`EnvId`].
    pub egress: Vec<EgressPlan>,
    /// By [`VpcId`].
    pub capacity: Vec<VpcCapacity>,
    /// The lockfile that records this plan.
    #[serde(skip)]
    pub lockfile: Lockfile,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct TierReservation {
    pub tier: TierId,
    /// Addresses from the start of every VPC.
    pub offset: u64,
    pub slots: u32,
    pub prefix_length: u8,
}

impl TierReservation {
    pub fn size(&self) -> u64 {
        u64::from(self.slots) << (32 - u32::from(self.prefix_length.min(32)))
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct VpcPlan {
    pub vpc: VpcId,
    pub cidr: Ipv4Net,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct SubnetPlan {
    pub subnet: SubnetId,
    pub cidr: Ipv4Net,
    /// Addresses left after AWS's reserved ones.
    pub usable: u64,
}

/// A RAM resource share from the VPC's owner to one participant account.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceShare {
    /// For example `prod-eu-central-1-trading-prod`.
    pub name: String,
    pub vpc: VpcId,
    /// The networking account that owns the VPC.
    pub owner: AccountId,
    pub account: AccountId,
    pub subnets: Vec<SubnetId>,
    /// Indexes into [`AddressPlan::placement_groups`].
    pub placement_groups: Vec<usize>,
}

/// A cluster placement group for a domain's latency-sensitive services in
/// one AZ of a VPC, owned by the networking account and shared the same way
/// as the domain's subnets.
#[derive(Debug, Clone, Serialize)]
pub struct PlacementGroup {
    /// For example `prod-eu-central-1-matching-a`.
    pub name: String,
    pub vpc: VpcId,
    pub domain: DomainId,
    pub az: usize,
    pub services: Vec<ServiceId>,
    pub shared_with: Vec<AccountId>,
}

/// Where a tier's internet-bound traffic goes, per environment.
#[derive(Debug, Clone, Serialize)]
pub struct EgressPlan {
    pub environment: EnvId,
    pub mode: EgressMode,
    /// Whether each VPC of the environment needs an internet gateway.
    pub internet_gateway: bool,
    /// Whether each VPC needs a NAT gateway (regional availability mode: it
    /// spans the VPC's AZs and needs no public subnet).
    pub nat_gateway: bool,
    /// Whether each VPC runs AWS Network Firewall in its firewall tier, with
    /// the allowlist below.
    pub firewall: bool,
    pub allow_domains: Vec<String>,
    pub allow_cidrs: Vec<Ipv4Net>,
    /// Routes per tier used in the environment (tiers absent get local
    /// routes only).
    pub tiers: Vec<TierRoutes>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TierRoutes {
    pub tier: TierId,
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Route {
    pub destination: Ipv4Net,
    pub target: RouteTarget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteTarget {
    /// The VPC's internet gateway.
    InternetGateway,
    /// The VPC's NAT gateway.
    NatGateway,
    /// The Network Firewall endpoint in the subnet's own AZ.
    FirewallEndpoint,
}

/// Addresses and room left in one VPC.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct VpcCapacity {
    pub vpc: VpcId,
    pub size: u64,
    /// Addresses of the subnets that exist.
    pub allocated: u64,
    /// Addresses held by tier reservations (existing subnets included).
    pub reserved: u64,
    /// Addresses outside every reservation.
    pub free: u64,
    pub subnets: usize,
    /// Subnets this VPC would have with every domain slot in use.
    pub subnets_at_capacity: usize,
    pub participants: usize,
    /// More participant accounts AWS allows.
    pub more_accounts: u64,
    /// Free domain slots (the same in every VPC).
    pub more_domains: u64,
    /// Services of the average size that still fit the application subnets.
    pub more_services: u64,
}

impl AddressPlan {
    pub fn vpc_cidr(&self, vpc: VpcId) -> Ipv4Net {
        self.vpcs
            .get(vpc.index())
            .map(|v| v.cidr)
            .unwrap_or_default()
    }

    pub fn subnet_cidr(&self, subnet: SubnetId) -> Ipv4Net {
        self.subnets
            .get(subnet.index())
            .map(|s| s.cidr)
            .unwrap_or_default()
    }

    /// The egress plan of an environment.
    pub fn egress(&self, environment: EnvId) -> Option<&EgressPlan> {
        self.egress.iter().find(|e| e.environment == environment)
    }

    /// The non-local routes of a tier's route table in an environment.
    pub fn routes(&self, environment: EnvId, tier: TierId) -> &[Route] {
        self.egress(environment)
            .and_then(|e| e.tiers.iter().find(|t| t.tier == tier))
            .map(|t| t.routes.as_slice())
            .unwrap_or(&[])
    }

    /// The RAM shares to one participant account.
    pub fn shares_with(&self, account: AccountId) -> impl Iterator<Item = &ResourceShare> {
        self.shares.iter().filter(move |s| s.account == account)
    }
}

/// Plans every address of the model.
///
/// `spec` is only used to locate diagnostics at the spec's lines; `lock` is
/// the parsed `landfall.lock`, when there is one.
pub fn plan(
    model: &Model,
    spec: &LoadedSpec,
    lock: Option<&Lockfile>,
    options: PlanOptions,
) -> Planned {
    let mut planned = planner::plan(model, spec, lock, options);
    // Say how much an explicit update would move, next to each error that
    // `--update` resolves.
    if let (Some(lock), false) = (lock, options.update) {
        let resolvable = planned
            .diagnostics
            .iter()
            .any(|d| d.is_error() && planner::UPDATE_RESOLVES.contains(&d.code));
        if resolvable {
            let updated = planner::plan(
                model,
                spec,
                Some(lock),
                PlanOptions {
                    update: true,
                    ..options
                },
            );
            let note = match &updated.plan {
                Some(plan) => {
                    let changes = plan.lockfile.changes_from(lock);
                    format!(
                        "that moves {} of the {} recorded VPCs and subnets",
                        changes.moved.len(),
                        lock.vpcs.len() + lock.subnets.len()
                    )
                }
                None => match updated.diagnostics.iter().find(|d| d.is_error()) {
                    Some(error) => format!("it would fail too: {}", error.message),
                    None => "it would fail too".to_owned(),
                },
            };
            for diagnostic in planned
                .diagnostics
                .iter_mut()
                .filter(|d| planner::UPDATE_RESOLVES.contains(&d.code))
            {
                let help = diagnostic.help.take().unwrap_or_default();
                diagnostic.help = Some(format!("{help} ({note})"));
            }
        }
    }
    planned
}

/// Usable addresses of a subnet of `prefix_length`, after the reserved ones.
pub fn usable_addresses(prefix_length: u8, reserved: u64) -> u64 {
    (1u64 << (32 - u32::from(prefix_length.min(32)))).saturating_sub(reserved)
}
