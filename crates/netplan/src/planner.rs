//! Allocation: slots, tier reservations, VPC and subnet CIDRs, and the
//! lockfile that records them. See the crate docs for the scheme.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use landfall_diagnostics::{Diagnostic, Span};
use landfall_model::{Model, Tier};
use landfall_spec::{LoadedSpec, Pointer};

use crate::lock::{Grid, Lockfile, Section, TierLock, LOCKFILE_NAME};
use crate::{
    usable_addresses, AddressPlan, PlanOptions, Planned, SubnetPlan, TierReservation, VpcPlan,
};

/// Error codes an explicit `--update` resolves.
pub(crate) const UPDATE_RESOLVES: &[&str] =
    &["net::lock-mismatch", "net::tier-changed", "net::lock-moved"];

pub(crate) struct Ctx<'a> {
    pub model: &'a Model,
    pub spec: &'a LoadedSpec,
    pub lock: Option<&'a Lockfile>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Ctx<'_> {
    /// The span of a spec value, falling back to its key, then to its parent.
    pub fn span(&self, at: &Pointer) -> Option<Span> {
        let mut at = at.clone();
        loop {
            if let Some(span) = self.spec.span(&at).or_else(|| self.spec.key_span(&at)) {
                return Some(span);
            }
            let cut = at.path.rfind('/')?;
            at.path.truncate(cut);
        }
    }

    /// The span of the key of a spec value (for sections and lists).
    pub fn key_span(&self, at: &Pointer) -> Option<Span> {
        self.spec.key_span(at).or_else(|| self.span(at))
    }

    pub fn lock_span(&self, section: Section, name: &str) -> Option<Span> {
        self.lock.and_then(|l| l.span(section, name))
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

fn net_at(start: u64, prefix: u8) -> Ipv4Net {
    let address = Ipv4Addr::from(u32::try_from(start).unwrap_or(u32::MAX));
    Ipv4Net::new(address, prefix).unwrap_or_default()
}

fn align_up(value: u64, align: u64) -> u64 {
    if align == 0 {
        return value;
    }
    value.div_ceil(align) * align
}

fn size_of(prefix: u8) -> u64 {
    1u64 << (32 - u32::from(prefix.min(32)))
}

pub(crate) fn plan(
    model: &Model,
    spec: &LoadedSpec,
    lock: Option<&Lockfile>,
    options: PlanOptions,
) -> Planned {
    let mut cx = Ctx {
        model,
        spec,
        lock,
        diagnostics: Vec::new(),
    };
    let plan = allocate(&mut cx, options);
    let plan = plan.filter(|_| !cx.has_errors());
    let plan = plan.map(|mut plan| {
        crate::sharing::share(model, &mut plan);
        crate::egress::routes(model, &mut plan);
        crate::check::check(&mut cx, &plan);
        crate::check::capacity(model, &mut plan);
        plan
    });
    let plan = plan.filter(|_| !cx.has_errors());
    Planned {
        plan,
        diagnostics: cx.diagnostics,
    }
}

fn allocate(cx: &mut Ctx<'_>, options: PlanOptions) -> Option<AddressPlan> {
    let model = cx.model;
    let net = &model.network;
    let at = net.origin.clone();
    let limits = &model.limits;
    let space = net.address_space;
    let vpc_prefix = net.vpc_prefix_length;
    let locked = cx.lock.filter(|_| !options.update);

    let min_vpc = u8::try_from(limits.vpc_min_prefix_length).unwrap_or(16);
    let max_subnet = u8::try_from(limits.subnet_max_prefix_length.min(32)).unwrap_or(28);
    if vpc_prefix < min_vpc || vpc_prefix > max_subnet || vpc_prefix < space.prefix_len() {
        let span = cx.span(&at.child("vpc_prefix_length"));
        cx.push(
            Diagnostic::error(
                "net::vpc-size",
                format!("a /{vpc_prefix} VPC cannot be planned in `{space}`"),
            )
            .with_optional_label(span, format!("AWS allows /{min_vpc} to /{max_subnet}"))
            .with_help(format!(
                "use a prefix length from {} to {max_subnet}",
                min_vpc.max(space.prefix_len())
            )),
        );
        return None;
    }

    let az_count = model.regions.iter().map(|r| r.azs.len()).max().unwrap_or(0);
    let az_count = u32::try_from(az_count).unwrap_or(u32::MAX);
    let spec_grid = Grid {
        environments: net.plan_for.environments,
        regions: net.plan_for.regions,
        az_slots: az_count,
        domain_slots: net.plan_for.domains,
    };
    let plan_for = at.child("plan_for");

    // The lockfile's frame must be the spec's, or recorded addresses would move.
    if let Some(lock) = locked {
        let mismatch = |cx: &mut Ctx<'_>,
                        spec_at: Pointer,
                        what: &str,
                        now: String,
                        then: String,
                        section: Section,
                        key: &str,
                        help: String| {
            let span = cx.span(&spec_at);
            let lock_span = cx.lock_span(section, key);
            cx.push(
                Diagnostic::error(
                    "net::lock-mismatch",
                    format!("{what} is {now}, but `{LOCKFILE_NAME}` was planned with {then}"),
                )
                .with_optional_label(span, "recorded allocations would move")
                .with_optional_label(lock_span, format!("planned with {then}"))
                .with_help(help),
            );
        };
        if lock.address_space != space {
            mismatch(
                cx,
                at.child("address_space"),
                "the address space",
                format!("`{space}`"),
                format!("`{}`", lock.address_space),
                Section::Header,
                "address_space",
                format!(
                    "restore `address_space: {}` to keep every VPC where it is, or re-plan with `landfall net --update`",
                    lock.address_space
                ),
            );
        }
        if lock.vpc_prefix_length != vpc_prefix {
            mismatch(
                cx,
                at.child("vpc_prefix_length"),
                "`vpc_prefix_length`",
                vpc_prefix.to_string(),
                lock.vpc_prefix_length.to_string(),
                Section::Header,
                "vpc_prefix_length",
                format!(
                    "restore `vpc_prefix_length: {}`, or re-plan with `landfall net --update`",
                    lock.vpc_prefix_length
                ),
            );
        }
        for (field, now, then, moves) in [
            (
                "environments",
                spec_grid.environments,
                lock.grid.environments,
                "VPCs",
            ),
            ("regions", spec_grid.regions, lock.grid.regions, "VPCs"),
            (
                "domains",
                spec_grid.domain_slots,
                lock.grid.domain_slots,
                "tiers after the per-domain ones",
            ),
        ] {
            if now != then {
                let key = if field == "domains" {
                    "domain_slots"
                } else {
                    field
                };
                mismatch(
                    cx,
                    plan_for.child(field),
                    &format!("`plan_for.{field}`"),
                    now.to_string(),
                    then.to_string(),
                    Section::Grid,
                    key,
                    format!(
                        "restore `{field}: {then}` to keep every address where it is, or re-plan with `landfall net --update` ({moves} move)"
                    ),
                );
            }
        }
        if az_count > lock.grid.az_slots {
            let span = cx.span(&model.organization.origin.child("azs_per_region"));
            let lock_span = cx.lock_span(Section::Grid, "az_slots");
            cx.push(
                Diagnostic::error(
                    "net::lock-mismatch",
                    format!(
                        "regions use {az_count} availability zones, but `{LOCKFILE_NAME}` reserved {}",
                        lock.grid.az_slots
                    ),
                )
                .with_optional_label(span, "more zones than reserved")
                .with_optional_label(lock_span, "AZ slots reserved here")
                .with_help(format!(
                    "use at most {} zones per region, or re-plan with `landfall net --update` (per-domain subnets move)",
                    lock.grid.az_slots
                )),
            );
        }
        if cx.has_errors() {
            return None;
        }
    }
    let grid = match locked {
        Some(lock) => lock.grid,
        None => spec_grid,
    };

    // Level 1: VPC blocks.
    let blocks = 1u64 << u32::from(vpc_prefix - space.prefix_len()).min(32);
    let needed = u64::from(grid.environments) * u64::from(grid.regions);
    if needed > blocks {
        let span = cx.span(&at.child("address_space"));
        let factor = needed.div_ceil(blocks).next_power_of_two();
        let bigger = space
            .prefix_len()
            .saturating_sub(u8::try_from(factor.trailing_zeros()).unwrap_or(32));
        cx.push(
            Diagnostic::error(
                "net::space-exhausted",
                format!(
                    "address space `{space}` holds {blocks} /{vpc_prefix} VPCs, but the plan reserves {needed} ({} environments × {} regions)",
                    grid.environments, grid.regions
                ),
            )
            .with_optional_label(span, format!("{} /{vpc_prefix} blocks short", needed - blocks))
            .with_help(format!(
                "use a /{bigger} address space, lower `plan_for.environments` or `plan_for.regions`, or use a longer `vpc_prefix_length`"
            )),
        );
        return None;
    }

    // Slots: first come, first served, never reused until pruned.
    let env_names: Vec<(String, Pointer)> = model
        .environments
        .iter()
        .map(|e| (e.name.clone(), e.origin.child("name")))
        .collect();
    let region_names: Vec<(String, Pointer)> = model
        .regions
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                model
                    .organization
                    .origin
                    .child("regions")
                    .child(r.id.index()),
            )
        })
        .collect();
    let domain_names: Vec<(String, Pointer)> = model
        .domains
        .iter()
        .map(|d| (d.name.clone(), d.origin.child("name")))
        .collect();
    let env_slots = assign_slots(
        cx,
        SlotKind::Environment,
        &env_names,
        grid.environments,
        options.prune,
    );
    let region_slots = assign_slots(
        cx,
        SlotKind::Region,
        &region_names,
        grid.regions,
        options.prune,
    );
    let domain_slot_names = assign_slots(
        cx,
        SlotKind::Domain,
        &domain_names,
        grid.domain_slots,
        options.prune,
    );

    // Level 2: tier reservations, the same in every VPC.
    let vpc_size = size_of(vpc_prefix);
    let expected = |tier: &Tier| TierLock {
        prefix_length: tier.prefix_length,
        per_domain: tier.per_domain,
        offset: 0,
        slots: grid.az_slots.saturating_mul(if tier.per_domain {
            grid.domain_slots
        } else {
            1
        }),
    };
    let mut reservations: BTreeMap<String, TierLock> = BTreeMap::new();
    if let Some(lock) = cx.lock {
        for (name, reservation) in &lock.tiers {
            if options.prune && !net.tiers.iter().any(|t| &t.name == name) {
                continue;
            }
            if reservation.end() > vpc_size
                || reservation.offset % reservation.subnet_size().max(1) != 0
            {
                let span = cx.lock_span(Section::Tiers, name);
                cx.push(
                    Diagnostic::error(
                        "net::lock-invalid",
                        format!(
                            "tier `{name}` is recorded at offset {} with {} /{} subnets, which is not an aligned range inside a /{vpc_prefix} VPC",
                            reservation.offset, reservation.slots, reservation.prefix_length
                        ),
                    )
                    .with_optional_label(span, "not a valid reservation")
                    .with_help("restore the entry from version control, or delete it to plan the tier anew"),
                );
                continue;
            }
            if let Some((other, _)) = reservations
                .iter()
                .find(|(_, r)| r.offset < reservation.end() && reservation.offset < r.end())
            {
                let other = other.clone();
                let span = cx.lock_span(Section::Tiers, name);
                let other_span = cx.lock_span(Section::Tiers, &other);
                cx.push(
                    Diagnostic::error(
                        "net::lock-overlap",
                        format!("the reservations of tiers `{other}` and `{name}` overlap"),
                    )
                    .with_optional_label(span, "overlaps")
                    .with_optional_label(other_span, "this reservation")
                    .with_help(
                        "restore the entries from version control; pinned ranges must not overlap",
                    ),
                );
                continue;
            }
            reservations.insert(name.clone(), *reservation);
        }
    }
    let mut to_place: Vec<&Tier> = Vec::new();
    for tier in &net.tiers {
        let want = expected(tier);
        match reservations.get(&tier.name) {
            Some(have)
                if have.prefix_length == want.prefix_length
                    && have.per_domain == want.per_domain
                    && have.slots == want.slots => {}
            Some(have) if locked.is_some() => {
                let have = *have;
                let (field, then, now) = if have.prefix_length != want.prefix_length {
                    (
                        "prefix_length",
                        format!("/{}", have.prefix_length),
                        format!("/{}", want.prefix_length),
                    )
                } else if have.per_domain != want.per_domain {
                    (
                        "per_domain",
                        format!("`per_domain: {}`", have.per_domain),
                        format!("`per_domain: {}`", want.per_domain),
                    )
                } else {
                    (
                        "prefix_length",
                        format!("{} slots", have.slots),
                        format!("{} slots", want.slots),
                    )
                };
                let restore = if field == "per_domain" {
                    format!("`per_domain: {}`", have.per_domain)
                } else {
                    format!("`prefix_length: {}`", have.prefix_length)
                };
                let span = cx.span(&tier.origin.child(field));
                let lock_span = cx.lock_span(Section::Tiers, &tier.name);
                let existing = count_existing(cx.lock, &tier.name);
                cx.push(
                    Diagnostic::error(
                        "net::tier-changed",
                        format!(
                            "tier `{}` was planned with {then}, but the spec now asks for {now}",
                            tier.name
                        ),
                    )
                    .with_optional_label(
                        span,
                        format!("{existing} recorded subnets of this tier would move"),
                    )
                    .with_optional_label(lock_span, "recorded here")
                    .with_help(format!(
                        "restore {restore} to keep its subnets, or re-plan the tier with `landfall net --update`"
                    )),
                );
            }
            Some(_) => {
                reservations.remove(&tier.name);
                to_place.push(tier);
            }
            None => to_place.push(tier),
        }
    }
    if cx.has_errors() {
        return None;
    }
    to_place.sort_by_key(|t| (t.prefix_length, t.id));
    for tier in to_place {
        let mut want = expected(tier);
        let align = want.subnet_size();
        let mut offset = 0;
        loop {
            if offset + want.size() > vpc_size {
                tier_exhausted(cx, tier, &want, &reservations, vpc_prefix, grid);
                break;
            }
            let candidate = TierLock { offset, ..want };
            match reservations
                .values()
                .filter(|r| r.offset < candidate.end() && candidate.offset < r.end())
                .map(TierLock::end)
                .max()
            {
                Some(end) => offset = align_up(end, align),
                None => {
                    want.offset = offset;
                    reservations.insert(tier.name.clone(), want);
                    break;
                }
            }
        }
    }
    if cx.has_errors() {
        return None;
    }

    // Level 1 again: every VPC at its grid block.
    let space_start = u64::from(u32::from(space.network()));
    let mut vpcs = Vec::with_capacity(net.vpcs.len());
    for vpc in &net.vpcs {
        let env = model.environment(vpc.environment);
        let region = model.region(vpc.region);
        let (Some(e), Some(r)) = (env_slots.get(&env.name), region_slots.get(&region.name)) else {
            return None;
        };
        let index = u64::from(*e) * u64::from(grid.regions) + u64::from(*r);
        let cidr = net_at(space_start + index * vpc_size, vpc_prefix);
        check_pin(cx, locked, Section::Vpcs, &vpc.name, cidr);
        vpcs.push(VpcPlan { vpc: vpc.id, cidr });
    }

    // Level 3: subnets at their slot in their tier's reservation.
    let mut subnets = Vec::with_capacity(net.subnets.len());
    let reserved = model.limits.subnet_reserved_addresses;
    for subnet in &net.subnets {
        let tier = model.tier(subnet.tier);
        let reservation = reservations.get(&tier.name)?;
        let az = u64::try_from(subnet.az).unwrap_or(u64::MAX);
        let slot = match subnet.domain {
            Some(domain) => {
                let d = domain_slot_names.get(&model.domain(domain).name)?;
                u64::from(*d) * u64::from(grid.az_slots) + az
            }
            None => az,
        };
        let vpc_start = vpcs
            .get(subnet.vpc.index())
            .map(|v| u64::from(u32::from(v.cidr.network())))
            .unwrap_or_default();
        let start = vpc_start + reservation.offset + slot * reservation.subnet_size();
        let cidr = net_at(start, reservation.prefix_length);
        check_pin(cx, locked, Section::Subnets, &subnet.name, cidr);
        subnets.push(SubnetPlan {
            subnet: subnet.id,
            cidr,
            usable: usable_addresses(reservation.prefix_length, reserved),
        });
    }

    // The lockfile: what it had (unless pruned) plus this plan.
    let mut lockfile = Lockfile {
        address_space: space,
        vpc_prefix_length: vpc_prefix,
        grid,
        environments: env_slots,
        regions: region_slots,
        domains: domain_slot_names,
        tiers: reservations.clone(),
        ..Lockfile::default()
    };
    if let (Some(lock), false) = (cx.lock, options.prune) {
        lockfile.vpcs = lock.vpcs.clone();
        lockfile.subnets = lock.subnets.clone();
    }
    for (vpc, planned) in net.vpcs.iter().zip(&vpcs) {
        lockfile.vpcs.insert(vpc.name.clone(), planned.cidr);
    }
    for (subnet, planned) in net.subnets.iter().zip(&subnets) {
        lockfile.subnets.insert(subnet.name.clone(), planned.cidr);
    }
    check_overlaps(cx, &lockfile.vpcs, Section::Vpcs, "VPCs");
    check_overlaps(cx, &lockfile.subnets, Section::Subnets, "subnets");

    let tiers = net
        .tiers
        .iter()
        .filter_map(|tier| {
            reservations.get(&tier.name).map(|r| TierReservation {
                tier: tier.id,
                offset: r.offset,
                slots: r.slots,
                prefix_length: r.prefix_length,
            })
        })
        .collect();
    let domain_slots = model
        .domains
        .iter()
        .filter_map(|d| lockfile.domains.get(&d.name).map(|slot| (d.id, *slot)))
        .collect();
    Some(AddressPlan {
        address_space: space,
        vpc_prefix_length: vpc_prefix,
        grid,
        tiers,
        vpcs,
        subnets,
        domain_slots,
        shares: Vec::new(),
        placement_groups: Vec::new(),
        egress: Vec::new(),
        capacity: Vec::new(),
        lockfile,
    })
}

fn count_existing(lock: Option<&Lockfile>, tier: &str) -> usize {
    let marker = format!("-{tier}-");
    lock.map(|l| l.subnets.keys().filter(|k| k.contains(&marker)).count())
        .unwrap_or(0)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SlotKind {
    Environment,
    Region,
    Domain,
}

impl SlotKind {
    fn noun(self) -> &'static str {
        match self {
            SlotKind::Environment => "environment",
            SlotKind::Region => "region",
            SlotKind::Domain => "domain",
        }
    }

    fn plan_for(self) -> &'static str {
        match self {
            SlotKind::Environment => "environments",
            SlotKind::Region => "regions",
            SlotKind::Domain => "domains",
        }
    }

    fn section(self) -> Section {
        match self {
            SlotKind::Environment => Section::Environments,
            SlotKind::Region => Section::Regions,
            SlotKind::Domain => Section::Domains,
        }
    }

    fn code(self) -> &'static str {
        match self {
            SlotKind::Environment => "net::environment-slots-exhausted",
            SlotKind::Region => "net::region-slots-exhausted",
            SlotKind::Domain => "net::domain-slots-exhausted",
        }
    }
}

/// Hands out slots: recorded ones kept (unless pruned), new names get the
/// lowest slot nobody holds.
fn assign_slots(
    cx: &mut Ctx<'_>,
    kind: SlotKind,
    names: &[(String, Pointer)],
    capacity: u32,
    prune: bool,
) -> BTreeMap<String, u32> {
    let section = kind.section();
    let mut slots: BTreeMap<String, u32> = BTreeMap::new();
    let mut holders: BTreeMap<u32, String> = BTreeMap::new();
    if let Some(lock) = cx.lock {
        let recorded = match kind {
            SlotKind::Environment => &lock.environments,
            SlotKind::Region => &lock.regions,
            SlotKind::Domain => &lock.domains,
        };
        for (name, slot) in recorded {
            if prune && !names.iter().any(|(n, _)| n == name) {
                continue;
            }
            if let Some(first) = holders.get(slot).cloned() {
                let span = cx.lock_span(section, name);
                let first_span = cx.lock_span(section, &first);
                cx.push(
                    Diagnostic::error(
                        "net::lock-overlap",
                        format!(
                            "{}s `{first}` and `{name}` both hold slot {slot}",
                            kind.noun()
                        ),
                    )
                    .with_optional_label(span, "second holder")
                    .with_optional_label(first_span, "first holder")
                    .with_help(format!(
                        "give `{name}` a slot no other {} holds, or restore the lockfile from version control",
                        kind.noun()
                    )),
                );
                continue;
            }
            holders.insert(*slot, name.clone());
            slots.insert(name.clone(), *slot);
        }
    }
    let stale = slots
        .keys()
        .filter(|name| !names.iter().any(|(n, _)| n == *name))
        .count();
    let mut next = 0u32;
    for (name, at) in names {
        if let Some(slot) = slots.get(name) {
            if *slot >= capacity {
                let span = cx.lock_span(section, name);
                cx.push(
                    Diagnostic::error(
                        kind.code(),
                        format!(
                            "{} `{name}` holds slot {slot}, but `plan_for.{}` reserves slots 0 to {}",
                            kind.noun(),
                            kind.plan_for(),
                            capacity.saturating_sub(1)
                        ),
                    )
                    .with_optional_label(span, "outside the reserved slots")
                    .with_help(format!(
                        "raise `plan_for.{}` to at least {}",
                        kind.plan_for(),
                        u64::from(*slot) + 1
                    )),
                );
            }
            continue;
        }
        while holders.contains_key(&next) {
            next += 1;
        }
        if next >= capacity {
            let needed = names.len() + stale;
            let held = if stale > 0 {
                format!(
                    " ({stale} held by removed {}s until `--update --prune`)",
                    kind.noun()
                )
            } else {
                String::new()
            };
            let span = cx.span(at);
            cx.push(
                Diagnostic::error(
                    kind.code(),
                    format!(
                        "{} `{name}` needs an address slot, but all {capacity} reserved by `plan_for.{}` are taken{held}",
                        kind.noun(),
                        kind.plan_for()
                    ),
                )
                .with_optional_label(span, {
                    let more = needed.saturating_sub(capacity as usize);
                    format!("{more} more slot{} needed", if more == 1 { "" } else { "s" })
                })
                .with_help(format!(
                    "raise `plan_for.{}` to {needed} and re-plan with `landfall net --update`{}",
                    kind.plan_for(),
                    if stale > 0 {
                        ", or free removed ones with `landfall net --update --prune`"
                    } else {
                        ""
                    }
                )),
            );
            continue;
        }
        holders.insert(next, name.clone());
        slots.insert(name.clone(), next);
    }
    slots
}

fn tier_exhausted(
    cx: &mut Ctx<'_>,
    tier: &Tier,
    want: &TierLock,
    reservations: &BTreeMap<String, TierLock>,
    vpc_prefix: u8,
    grid: Grid,
) {
    let vpc_size = size_of(vpc_prefix);
    let used: u64 = reservations.values().map(TierLock::size).sum();
    let free = vpc_size.saturating_sub(used);
    // What the tiers still to be placed after this one will need.
    let others: u64 = cx
        .model
        .network
        .tiers
        .iter()
        .filter(|t| t.id != tier.id && !reservations.contains_key(&t.name))
        .map(|t| {
            let slots = u64::from(grid.az_slots)
                * if t.per_domain {
                    u64::from(grid.domain_slots)
                } else {
                    1
                };
            slots * size_of(t.prefix_length)
        })
        .sum();
    let short = want.size().saturating_sub(free).max(1);
    let short_blocks = short.div_ceil(want.subnet_size());
    let help = if tier.per_domain {
        let per_domain = want.subnet_size() * u64::from(grid.az_slots.max(1));
        format!(
            "at most {} domains fit beside the other tiers: lower `plan_for.domains` to that, or use a longer `prefix_length` for `{}`",
            free.saturating_sub(others) / per_domain.max(1),
            tier.name
        )
    } else {
        format!(
            "use a longer `prefix_length` for `{}`, or make other tiers' subnets smaller",
            tier.name
        )
    };
    let span = cx.span(&tier.origin.child("prefix_length"));
    cx.push(
        Diagnostic::error(
            "net::vpc-space-exhausted",
            format!(
                "tier `{}` needs {} addresses in every /{vpc_prefix} VPC ({} /{} subnets), but only {} are left",
                tier.name,
                crate::render::group(want.size()),
                want.slots,
                want.prefix_length,
                crate::render::group(free)
            ),
        )
        .with_optional_label(
            span,
            format!(
                "{} addresses short ({short_blocks} more /{} subnets)",
                crate::render::group(short),
                want.prefix_length
            ),
        )
        .with_help(help),
    );
}

/// A pinned (recorded) CIDR that differs from the plan.
fn check_pin(
    cx: &mut Ctx<'_>,
    locked: Option<&Lockfile>,
    section: Section,
    name: &str,
    planned: Ipv4Net,
) {
    let Some(pinned) = locked.and_then(|l| match section {
        Section::Vpcs => l.vpcs.get(name),
        _ => l.subnets.get(name),
    }) else {
        return;
    };
    if *pinned == planned {
        return;
    }
    let what = if section == Section::Vpcs {
        "VPC"
    } else {
        "subnet"
    };
    let span = cx.lock_span(section, name);
    cx.push(
        Diagnostic::error(
            "net::lock-moved",
            format!("`{LOCKFILE_NAME}` pins {what} `{name}` at `{pinned}`, but its slots put it at `{planned}`"),
        )
        .with_optional_label(span, "pinned here")
        .with_help(format!(
            "restore `{name} = \"{planned}\"` (the slots and tier offsets in the lockfile decide every CIDR), or accept the plan with `landfall net --update`"
        )),
    );
}

fn check_overlaps(
    cx: &mut Ctx<'_>,
    entries: &BTreeMap<String, Ipv4Net>,
    section: Section,
    what: &str,
) {
    let mut sorted: Vec<(&String, &Ipv4Net)> = entries.iter().collect();
    sorted.sort_by_key(|(name, net)| (u32::from(net.network()), net.prefix_len(), (*name).clone()));
    let mut reported = BTreeSet::new();
    let mut widest: Option<(&String, &Ipv4Net)> = None;
    for (name, net) in sorted {
        if let Some((other, other_net)) = widest {
            if other_net.contains(&net.network()) {
                if reported.insert((other.clone(), name.clone())) {
                    let span = cx.lock_span(section, name);
                    let other_span = cx.lock_span(section, other);
                    cx.push(
                        Diagnostic::error(
                            "net::overlap",
                            format!("{what} `{other}` (`{other_net}`) and `{name}` (`{net}`) overlap"),
                        )
                        .with_optional_label(span, "overlaps")
                        .with_optional_label(other_span, "this range")
                        .with_help(format!(
                            "pinned ranges must not overlap: restore `{LOCKFILE_NAME}` from version control, or drop stale entries with `landfall net --update --prune`"
                        )),
                    );
                }
                if u32::from(net.broadcast()) <= u32::from(other_net.broadcast()) {
                    continue;
                }
            }
        }
        widest = Some((name, net));
    }
}
