//! The plan for people and programs: a text table with a capacity summary,
//! JSON, and an SVG picture of the address space and every VPC's layout.

use std::fmt::Write as _;

use landfall_model::Model;
use landfall_spec::types::{EgressMode, TierKind};
use serde_json::{json, Value};

use crate::{AddressPlan, RouteTarget};

/// `65536` as `65,536`.
pub(crate) fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn az_letter(model: &Model, region: landfall_model::RegionId, az: usize) -> String {
    model
        .region(region)
        .azs
        .get(az)
        .and_then(|name| name.chars().last())
        .map(String::from)
        .unwrap_or_else(|| az.to_string())
}

fn mode_name(mode: EgressMode) -> &'static str {
    match mode {
        EgressMode::Blocked => "blocked",
        EgressMode::Inspected => "inspected",
        EgressMode::Open => "open",
    }
}

fn target_name(target: RouteTarget) -> &'static str {
    match target {
        RouteTarget::InternetGateway => "internet gateway",
        RouteTarget::NatGateway => "NAT gateway",
        RouteTarget::FirewallEndpoint => "firewall endpoint (same AZ)",
    }
}

fn kind_name(kind: TierKind) -> &'static str {
    match kind {
        TierKind::Edge => "edge",
        TierKind::Firewall => "firewall",
        TierKind::Application => "application",
        TierKind::Data => "data",
        TierKind::Endpoints => "endpoints",
    }
}

/// The plan as tables: VPCs, every subnet, capacity, egress and sharing.
pub fn text(model: &Model, plan: &AddressPlan) -> String {
    let mut out = String::new();
    let net = &model.network;
    let _ = writeln!(
        out,
        "address space {}: {} VPC blocks of /{} reserved ({} environments × {} regions), {} AZ slots and {} domain slots per VPC\n",
        plan.address_space,
        plan.grid.environments * plan.grid.regions,
        plan.vpc_prefix_length,
        plan.grid.environments,
        plan.grid.regions,
        plan.grid.az_slots,
        plan.grid.domain_slots
    );
    let vpc_width = net
        .vpcs
        .iter()
        .map(|v| v.name.len())
        .max()
        .unwrap_or(3)
        .max(3);
    let _ = writeln!(
        out,
        "{:<vpc_width$}  {:<18}  {:<14}  OWNER",
        "VPC", "CIDR", "ENVIRONMENT"
    );
    for (vpc, planned) in net.vpcs.iter().zip(&plan.vpcs) {
        let _ = writeln!(
            out,
            "{:<vpc_width$}  {:<18}  {:<14}  {}",
            vpc.name,
            planned.cidr.to_string(),
            model.environment(vpc.environment).name,
            model.account(vpc.account).name
        );
    }
    out.push('\n');
    let tier_width = net
        .subnets
        .iter()
        .map(|s| {
            model.tier(s.tier).name.len()
                + s.domain
                    .map(|d| model.domain(d).name.len() + 1)
                    .unwrap_or(0)
        })
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        out,
        "{:<vpc_width$}  {:<tier_width$}  AZ  {:<18}  {:>6}  SHARED WITH",
        "VPC", "TIER", "CIDR", "USABLE"
    );
    for (subnet, planned) in net.subnets.iter().zip(&plan.subnets) {
        let vpc = model.vpc(subnet.vpc);
        let tier = match subnet.domain {
            Some(d) => format!("{}/{}", model.tier(subnet.tier).name, model.domain(d).name),
            None => model.tier(subnet.tier).name.clone(),
        };
        let shared: Vec<&str> = subnet
            .shared_with
            .iter()
            .map(|a| model.account(*a).name.as_str())
            .collect();
        let shared = if shared.is_empty() {
            "-".to_owned()
        } else if shared.len() > 4 {
            format!("{} workload accounts", shared.len())
        } else {
            shared.join(", ")
        };
        let _ = writeln!(
            out,
            "{:<vpc_width$}  {tier:<tier_width$}  {:<2}  {:<18}  {:>6}  {shared}",
            vpc.name,
            az_letter(model, vpc.region, subnet.az),
            planned.cidr.to_string(),
            group(planned.usable)
        );
    }

    out.push_str("\ncapacity (addresses per VPC; room left before anything moves)\n");
    let _ = writeln!(
        out,
        "{:<vpc_width$}  {:>9}  {:>9}  {:>9}  {:>15}  {:>12}  {:>13}  {:>12}  {:>13}",
        "VPC",
        "USED",
        "RESERVED",
        "FREE",
        "SUBNETS (FULL)",
        "PARTICIPANTS",
        "MORE ACCOUNTS",
        "MORE DOMAINS",
        "MORE SERVICES"
    );
    for capacity in &plan.capacity {
        let vpc = model.vpc(capacity.vpc);
        let _ = writeln!(
            out,
            "{:<vpc_width$}  {:>9}  {:>9}  {:>9}  {:>15}  {:>12}  {:>13}  {:>12}  {:>13}",
            vpc.name,
            group(capacity.allocated),
            group(capacity.reserved),
            group(capacity.free),
            format!(
                "{}/{} ({})",
                capacity.subnets, model.limits.subnets_per_vpc, capacity.subnets_at_capacity
            ),
            format!(
                "{}/{}",
                capacity.participants, model.limits.participant_accounts_per_shared_vpc
            ),
            capacity.more_accounts,
            capacity.more_domains,
            group(capacity.more_services)
        );
    }
    out.push_str(
        "USED: addresses in subnets; RESERVED: held by tier reservations for plan_for growth; \
         FREE: outside every reservation; SUBNETS (FULL): with every domain slot in use;\n\
         MORE SERVICES: services of this environment's average size that still fit the application subnets\n",
    );

    out.push_str("\negress (routes besides the local one, in every VPC of the environment)\n");
    for egress in &plan.egress {
        let env = model.environment(egress.environment);
        let allow = if egress.firewall {
            format!(
                ", allowlist of {} domain names and {} CIDR blocks",
                egress.allow_domains.len(),
                egress.allow_cidrs.len()
            )
        } else {
            String::new()
        };
        let _ = writeln!(out, "  {} ({}{allow})", env.name, mode_name(egress.mode));
        let mut local = Vec::new();
        for tier in &egress.tiers {
            let name = &model.tier(tier.tier).name;
            if tier.routes.is_empty() {
                local.push(name.as_str());
            }
            for route in &tier.routes {
                let _ = writeln!(
                    out,
                    "    {name:<12} {} -> {}",
                    route.destination,
                    target_name(route.target)
                );
            }
        }
        if !local.is_empty() {
            let _ = writeln!(out, "    {:<12} local only", local.join(", "));
        }
    }
    let shared_subnets: usize = plan.shares.iter().map(|s| s.subnets.len()).sum();
    let _ = writeln!(
        out,
        "\nsharing: {} RAM resource shares carry {shared_subnets} subnet shares and {} placement groups (cluster, for latency-sensitive services)",
        plan.shares.len(),
        plan.placement_groups.len()
    );
    out
}

/// The plan as JSON: `vpcs`, `subnets`, `tiers`, `shares`,
/// `placement_groups`, `egress` and `capacity`, all by name.
pub fn json(model: &Model, plan: &AddressPlan) -> Value {
    let account = |a: &landfall_model::AccountId| model.account(*a).name.clone();
    let vpcs: Vec<Value> = model
        .network
        .vpcs
        .iter()
        .zip(&plan.vpcs)
        .zip(&plan.capacity)
        .map(|((vpc, planned), capacity)| {
            json!({
                "name": vpc.name,
                "cidr": planned.cidr.to_string(),
                "environment": model.environment(vpc.environment).name,
                "region": model.region(vpc.region).name,
                "account": account(&vpc.account),
                "addresses": capacity.size,
                "allocated": capacity.allocated,
                "reserved": capacity.reserved,
                "free": capacity.free,
            })
        })
        .collect();
    let subnets: Vec<Value> = model
        .network
        .subnets
        .iter()
        .zip(&plan.subnets)
        .map(|(subnet, planned)| {
            let vpc = model.vpc(subnet.vpc);
            json!({
                "name": subnet.name,
                "vpc": vpc.name,
                "cidr": planned.cidr.to_string(),
                "az": model.region(vpc.region).azs.get(subnet.az).cloned().unwrap_or_default(),
                "tier": model.tier(subnet.tier).name,
                "kind": kind_name(model.tier(subnet.tier).kind),
                "domain": subnet.domain.map(|d| model.domain(d).name.clone()),
                "usable": planned.usable,
                "shared_with": subnet.shared_with.iter().map(account).collect::<Vec<_>>(),
            })
        })
        .collect();
    let tiers: Vec<Value> = plan
        .tiers
        .iter()
        .map(|t| {
            let tier = model.tier(t.tier);
            json!({
                "name": tier.name,
                "kind": kind_name(tier.kind),
                "prefix_length": t.prefix_length,
                "per_domain": tier.per_domain,
                "offset": t.offset,
                "slots": t.slots,
                "addresses": t.size(),
            })
        })
        .collect();
    let shares: Vec<Value> = plan
        .shares
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "vpc": model.vpc(s.vpc).name,
                "owner": account(&s.owner),
                "account": account(&s.account),
                "subnets": s.subnets.iter().map(|id| model.network.subnets[id.index()].name.clone()).collect::<Vec<_>>(),
                "placement_groups": s.placement_groups.iter().filter_map(|i| plan.placement_groups.get(*i)).map(|g| g.name.clone()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let groups: Vec<Value> = plan
        .placement_groups
        .iter()
        .map(|g| {
            let vpc = model.vpc(g.vpc);
            json!({
                "name": g.name,
                "strategy": "cluster",
                "vpc": vpc.name,
                "az": model.region(vpc.region).azs.get(g.az).cloned().unwrap_or_default(),
                "domain": model.domain(g.domain).name,
                "services": g.services.iter().map(|s| model.service(*s).name.clone()).collect::<Vec<_>>(),
                "shared_with": g.shared_with.iter().map(account).collect::<Vec<_>>(),
            })
        })
        .collect();
    let egress: Vec<Value> = plan
        .egress
        .iter()
        .map(|e| {
            json!({
                "environment": model.environment(e.environment).name,
                "mode": mode_name(e.mode),
                "internet_gateway": e.internet_gateway,
                "nat_gateway": e.nat_gateway,
                "firewall": e.firewall,
                "allow_domains": e.allow_domains,
                "allow_cidrs": e.allow_cidrs.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "routes": e.tiers.iter().map(|t| json!({
                    "tier": model.tier(t.tier).name,
                    "routes": t.routes.iter().map(|r| json!({
                        "destination": r.destination.to_string(),
                        "target": r.target,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let capacity: Vec<Value> = plan
        .capacity
        .iter()
        .map(|c| {
            json!({
                "vpc": model.vpc(c.vpc).name,
                "addresses": c.size,
                "allocated": c.allocated,
                "reserved": c.reserved,
                "free": c.free,
                "subnets": c.subnets,
                "subnets_at_full_growth": c.subnets_at_capacity,
                "participants": c.participants,
                "more_accounts": c.more_accounts,
                "more_domains": c.more_domains,
                "more_services": c.more_services,
            })
        })
        .collect();
    json!({
        "address_space": plan.address_space.to_string(),
        "vpc_prefix_length": plan.vpc_prefix_length,
        "grid": {
            "environments": plan.grid.environments,
            "regions": plan.grid.regions,
            "az_slots": plan.grid.az_slots,
            "domain_slots": plan.grid.domain_slots,
        },
        "vpcs": vpcs,
        "tiers": tiers,
        "subnets": subnets,
        "shares": shares,
        "placement_groups": groups,
        "egress": egress,
        "capacity": capacity,
    })
}

const TIER_COLORS: [&str; 8] = [
    "#2f6fb0", "#d9822b", "#3b9a57", "#8e5bb5", "#c2453d", "#2a9d9d", "#8c6d3f", "#5a6b7b",
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A picture of the plan: the VPC grid in the address space, then one bar
/// per VPC drawn to scale with each tier's reservation and its subnets.
pub fn svg(model: &Model, plan: &AddressPlan) -> String {
    const WIDTH: f64 = 1200.0;
    const LEFT: f64 = 40.0;
    const BAR: f64 = WIDTH - 2.0 * LEFT;
    let net = &model.network;
    let tier_color = |index: usize| TIER_COLORS[index % TIER_COLORS.len()];
    let mut body = String::new();
    let mut y = 40.0;
    let _ = writeln!(
        body,
        r#"<text x="{LEFT}" y="{y}" class="title">Address plan of {} — {}</text>"#,
        escape(&model.organization.name),
        plan.address_space
    );
    y += 22.0;
    let blocks = 1u64
        << u32::from(
            plan.vpc_prefix_length
                .saturating_sub(plan.address_space.prefix_len()),
        )
        .min(32);
    let _ = writeln!(
        body,
        r#"<text x="{LEFT}" y="{y}" class="note">{} of {} /{} blocks reserved: one per environment slot × region slot (plan_for); every VPC has the same tier layout</text>"#,
        plan.grid.environments * plan.grid.regions,
        group(blocks),
        plan.vpc_prefix_length
    );
    y += 20.0;

    // The VPC grid: environment slots down, region slots across.
    let cell_w = (BAR / f64::from(plan.grid.regions.max(1))).min(260.0);
    let cell_h = 34.0;
    let env_by_slot = |slot: u32| {
        plan.lockfile
            .environments
            .iter()
            .find(|(_, s)| **s == slot)
            .map(|(n, _)| n.clone())
    };
    let region_by_slot = |slot: u32| {
        plan.lockfile
            .regions
            .iter()
            .find(|(_, s)| **s == slot)
            .map(|(n, _)| n.clone())
    };
    for r in 0..plan.grid.regions {
        let x = LEFT + 90.0 + f64::from(r) * cell_w;
        let label = region_by_slot(r).unwrap_or_else(|| format!("region slot {r}"));
        let _ = writeln!(
            body,
            r#"<text x="{}" y="{}" class="head">{}</text>"#,
            x + 4.0,
            y + 12.0,
            escape(&label)
        );
    }
    y += 18.0;
    let vpc_size = 1u64 << (32 - u32::from(plan.vpc_prefix_length.min(32)));
    let space_start = u64::from(u32::from(plan.address_space.network()));
    for e in 0..plan.grid.environments {
        let label = env_by_slot(e).unwrap_or_else(|| format!("env slot {e}"));
        let _ = writeln!(
            body,
            r#"<text x="{LEFT}" y="{}" class="head">{}</text>"#,
            y + cell_h / 2.0 + 4.0,
            escape(&label)
        );
        for r in 0..plan.grid.regions {
            let x = LEFT + 90.0 + f64::from(r) * cell_w;
            let index = u64::from(e) * u64::from(plan.grid.regions) + u64::from(r);
            let start = space_start + index * vpc_size;
            let cidr = ipnet::Ipv4Net::new(
                std::net::Ipv4Addr::from(u32::try_from(start).unwrap_or(0)),
                plan.vpc_prefix_length,
            )
            .unwrap_or_default();
            let vpc = plan.vpcs.iter().find(|v| v.cidr == cidr);
            let (fill, text) = match vpc {
                Some(v) => ("#dbe8f5", format!("{}  {}", model.vpc(v.vpc).name, cidr)),
                None => ("#f4f4f4", format!("free  {cidr}")),
            };
            let _ = writeln!(
                body,
                r##"<rect x="{x}" y="{y}" width="{}" height="{cell_h}" fill="{fill}" stroke="#9aa5b1"/><text x="{}" y="{}" class="{}">{}</text>"##,
                cell_w - 4.0,
                x + 6.0,
                y + cell_h / 2.0 + 4.0,
                if vpc.is_some() { "cell" } else { "free" },
                escape(&text)
            );
        }
        y += cell_h + 4.0;
    }
    y += 26.0;

    // Legend.
    let mut x = LEFT;
    for reservation in &plan.tiers {
        let tier = model.tier(reservation.tier);
        let label = format!(
            "{} /{}{}",
            tier.name,
            reservation.prefix_length,
            if tier.per_domain { " per domain" } else { "" }
        );
        let _ = writeln!(
            body,
            r#"<rect x="{x}" y="{}" width="14" height="14" fill="{}"/><text x="{}" y="{}" class="note">{}</text>"#,
            y - 11.0,
            tier_color(reservation.tier.index()),
            x + 18.0,
            y,
            escape(&label)
        );
        x += 30.0 + 7.0 * label.len() as f64;
    }
    let _ = writeln!(
        body,
        r##"<rect x="{x}" y="{}" width="14" height="14" fill="url(#reserved)" stroke="#9aa5b1"/><text x="{}" y="{}" class="note">reserved for growth</text>"##,
        y - 11.0,
        x + 18.0,
        y
    );
    x += 160.0;
    let _ = writeln!(
        body,
        r##"<rect x="{x}" y="{}" width="14" height="14" fill="#ffffff" stroke="#9aa5b1"/><text x="{}" y="{}" class="note">free</text>"##,
        y - 11.0,
        x + 18.0,
        y
    );
    y += 26.0;

    // One bar per VPC, to scale.
    let scale = |addresses: u64| BAR * addresses as f64 / vpc_size as f64;
    for ((vpc, planned), capacity) in net.vpcs.iter().zip(&plan.vpcs).zip(&plan.capacity) {
        let _ = writeln!(
            body,
            r#"<text x="{LEFT}" y="{y}" class="head">{}  {}</text><text x="{}" y="{y}" class="note" text-anchor="end">{} subnets · {} of {} addresses in subnets · {} free · {} more domains fit</text>"#,
            escape(&vpc.name),
            planned.cidr,
            LEFT + BAR,
            capacity.subnets,
            group(capacity.allocated),
            group(capacity.size),
            group(capacity.free),
            capacity.more_domains
        );
        y += 8.0;
        let bar_h = 34.0;
        let _ = writeln!(
            body,
            r##"<rect x="{LEFT}" y="{y}" width="{BAR}" height="{bar_h}" fill="#ffffff" stroke="#9aa5b1"/>"##
        );
        for reservation in &plan.tiers {
            let _ = writeln!(
                body,
                r##"<rect x="{:.2}" y="{y}" width="{:.2}" height="{bar_h}" fill="url(#reserved)" stroke="{}" stroke-width="0.6"/>"##,
                LEFT + scale(reservation.offset),
                scale(reservation.size()),
                tier_color(reservation.tier.index())
            );
        }
        let vpc_start = u64::from(u32::from(planned.cidr.network()));
        for (subnet, sp) in net.subnets.iter().zip(&plan.subnets) {
            if subnet.vpc != vpc.id {
                continue;
            }
            let offset = u64::from(u32::from(sp.cidr.network())).saturating_sub(vpc_start);
            let size = 1u64 << (32 - u32::from(sp.cidr.prefix_len()));
            let shade = subnet
                .domain
                .and_then(|d| plan.domain_slots.get(&d))
                .map(|slot| if slot % 2 == 0 { 1.0 } else { 0.72 })
                .unwrap_or(1.0);
            let _ = writeln!(
                body,
                r##"<rect x="{:.2}" y="{y}" width="{:.2}" height="{bar_h}" fill="{}" fill-opacity="{shade}" stroke="#ffffff" stroke-width="0.4"><title>{} {}</title></rect>"##,
                LEFT + scale(offset),
                scale(size).max(0.8),
                tier_color(subnet.tier.index()),
                escape(&subnet.name),
                sp.cidr
            );
        }
        y += bar_h + 14.0;
        // Tier labels under the bar, left to right without overlapping (a
        // leader line ties each to its reservation); domain names below.
        let mut reservations: Vec<_> = plan.tiers.iter().collect();
        reservations.sort_by_key(|r| r.offset);
        let labels: Vec<(f64, String)> = reservations
            .iter()
            .map(|r| {
                let start = vpc_start + r.offset;
                let address = std::net::Ipv4Addr::from(u32::try_from(start).unwrap_or(0));
                (
                    LEFT + scale(r.offset),
                    format!("{} {address}", model.tier(r.tier).name),
                )
            })
            .collect();
        let width = |label: &str| 6.5 * label.len() as f64 + 10.0;
        // Left to right without overlap, then pulled back inside the bar.
        let mut positions: Vec<f64> = Vec::with_capacity(labels.len());
        let mut next_free = LEFT;
        for (x, label) in &labels {
            let at = x.max(next_free);
            next_free = at + width(label);
            positions.push(at);
        }
        let mut limit = LEFT + BAR;
        for i in (0..positions.len()).rev() {
            let w = width(&labels[i].1);
            positions[i] = positions[i].min(limit - w);
            limit = positions[i];
        }
        for ((reservation, (x, label)), label_x) in reservations.iter().zip(&labels).zip(&positions)
        {
            let tier = model.tier(reservation.tier);
            let used = tier.environments.contains(&vpc.environment);
            let class = if used { "tier" } else { "free" };
            let _ = writeln!(
                body,
                r##"<line x1="{x:.2}" y1="{}" x2="{label_x:.2}" y2="{}" stroke="#9aa5b1" stroke-width="0.8"/><text x="{label_x:.2}" y="{}" class="{class}">{}</text>"##,
                y - 14.0,
                y - 6.0,
                y + 4.0,
                escape(label),
            );
            if tier.per_domain && used {
                let per_domain =
                    scale(reservation.size()) / f64::from(plan.grid.domain_slots.max(1));
                for (domain, slot) in &plan.domain_slots {
                    if !model
                        .domain(*domain)
                        .environments
                        .contains(&vpc.environment)
                    {
                        continue;
                    }
                    let dx = x + per_domain * (f64::from(*slot) + 0.3);
                    let dy = y + 16.0;
                    let _ = writeln!(
                        body,
                        r#"<text x="{dx:.2}" y="{dy}" class="domain" transform="rotate(50 {dx:.2} {dy})">{}</text>"#,
                        escape(&model.domain(*domain).name)
                    );
                }
            }
        }
        y += 70.0;
    }
    let height = y + 10.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif">"#
    );
    svg.push_str(
        r##"<defs><pattern id="reserved" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f3f5f7"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c9d1d9" stroke-width="2"/></pattern>
<style>.title{font-size:20px;font-weight:bold;fill:#1f2933}.head{font-size:13px;font-weight:bold;fill:#1f2933}.note{font-size:12px;fill:#52606d}.cell{font-size:12px;fill:#1f2933}.free{font-size:11px;fill:#9aa5b1}.tier{font-size:11px;fill:#1f2933}.domain{font-size:9px;fill:#3e4c59}</style></defs>
<rect width="100%" height="100%" fill="#ffffff"/>
"##,
    );
    svg.push_str(&body);
    svg.push_str("</svg>\n");
    svg
}
