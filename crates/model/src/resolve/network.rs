//! Network layout: tiers, one VPC per environment and region in the
//! networking account, the subnets of each VPC, who they are shared with, and
//! each environment's egress. Address allocation is the planner's job.

use std::collections::BTreeMap;
use std::str::FromStr;

use ipnet::Ipv4Net;
use landfall_spec::types::{AccountClass, EgressMode, Ingress, TierKind};
use landfall_spec::{Pointer, Spec};

use super::organization::Org;
use super::{item, Names, Resolver};
use crate::limits::Limits;
use crate::model::*;

pub(crate) fn resolve(
    r: &mut Resolver<'_>,
    spec: &Spec,
    org: &mut Org,
    limits: &Limits,
) -> Option<NetworkLayout> {
    let network = spec.network.as_ref()?;
    let at = &network.at;

    let address_space = parse_cidr(r, &network.address_space, &at.child("address_space"));
    if let Some(space) = address_space {
        if !is_private(space) {
            r.warning(
                "spec::public-address-space",
                format!("`{space}` is not a private (RFC 1918) range"),
                &at.child("address_space"),
                "public addresses",
                "VPCs normally use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
            );
        }
    }
    let vpc_prefix = network.vpc_prefix_length;
    let max_subnet_prefix = u8::try_from(limits.subnet_max_prefix_length).unwrap_or(28);
    let min_vpc_prefix = u8::try_from(limits.vpc_min_prefix_length).unwrap_or(16);
    if vpc_prefix < min_vpc_prefix || vpc_prefix > max_subnet_prefix {
        r.error(
            "limits::vpc-size",
            format!("a VPC cannot be a /{vpc_prefix}"),
            &at.child("vpc_prefix_length"),
            format!("AWS allows /{min_vpc_prefix} to /{max_subnet_prefix}"),
            format!("use a prefix length from {min_vpc_prefix} to {max_subnet_prefix}"),
        );
    }
    if let Some(space) = address_space {
        if vpc_prefix < space.prefix_len() {
            r.error(
                "spec::vpc-larger-than-space",
                format!("a /{vpc_prefix} VPC does not fit in the address space `{space}`"),
                &at.child("vpc_prefix_length"),
                "larger than the whole address space",
                format!("use a prefix length of at least {}", space.prefix_len()),
            );
        }
    }

    // Tiers.
    let mut tiers = Vec::new();
    let mut tier_names: Names<TierId> = Names::new("subnet tier");
    let tier_origins: Vec<Pointer> = (0..network.tiers.len())
        .map(|i| item(at, "tiers", i).child("name"))
        .collect();
    for (i, tier) in network.tiers.iter().enumerate() {
        let tier_at = item(at, "tiers", i);
        if !r.check_name("tier", &tier.name, 16, &tier_at.child("name")) {
            continue;
        }
        let id = TierId::from_index(tiers.len());
        let first_at = |existing: TierId| tier_origins[existing.index()].clone();
        if !r.define(
            &mut tier_names,
            &tier.name,
            id,
            &tier_at.child("name"),
            &first_at,
        ) {
            continue;
        }
        if tier.prefix_length <= vpc_prefix || tier.prefix_length > max_subnet_prefix {
            r.error(
                "limits::subnet-size",
                format!(
                    "a /{} subnet does not fit a /{vpc_prefix} VPC",
                    tier.prefix_length
                ),
                &tier_at.child("prefix_length"),
                format!("expected /{} to /{max_subnet_prefix}", vpc_prefix + 1),
                format!(
                    "use a prefix length from {} to {max_subnet_prefix}",
                    vpc_prefix + 1
                ),
            );
        }
        let environments = match &tier.environments {
            None => org.environments.iter().map(|e| e.id).collect(),
            Some(list) => list
                .iter()
                .enumerate()
                .filter_map(|(j, name)| {
                    r.lookup(&org.env_names, name, &item(&tier_at, "environments", j))
                })
                .collect(),
        };
        if tier.per_domain && tier.kind != TierKind::Application && tier.kind != TierKind::Data {
            r.error(
                "spec::per-domain-tier",
                format!("a `{}` tier cannot be per domain", kind_name(tier.kind)),
                &tier_at.child("per_domain"),
                "only application and data tiers belong to domains",
                "remove `per_domain`, or make this an application or data tier",
            );
        }
        tiers.push(Tier {
            id,
            name: tier.name.clone(),
            kind: tier.kind,
            prefix_length: tier.prefix_length,
            per_domain: tier.per_domain,
            environments,
            origin: tier_at,
        });
    }
    for kind in [TierKind::Application, TierKind::Data, TierKind::Endpoints] {
        if !tiers.iter().any(|t| t.kind == kind) {
            r.error_at_key(
                "spec::missing-tier",
                format!("no `{}` tier is defined", kind_name(kind)),
                &at.child("tiers"),
                "missing tier",
                format!("add a tier with `kind: {}`", kind_name(kind)),
            );
        }
    }

    egress(r, network, org, &tiers);
    public_services_need_edge(r, spec, org, &tiers);

    // VPCs and subnets.
    let networking = org
        .accounts
        .iter()
        .find(|a| a.class == AccountClass::Networking)
        .map(|a| a.id);
    let mut vpcs = Vec::new();
    let mut subnets = Vec::new();
    let public_domains = domains_with_public_services(spec, org);
    let scanner = network.scanner.as_ref().and_then(|s| {
        let at = at.child("scanner");
        match &s.account {
            Some(name) => r.lookup(&org.account_names, name, &at.child("account")),
            None => org
                .accounts
                .iter()
                .find(|a| a.class == AccountClass::SecurityTooling)
                .map(|a| a.id),
        }
    });
    // Each VPC's log cluster is reachable only inside that VPC (no peering,
    // no transit gateway), so the log search domain of each VPC sits in its
    // data subnets, in the observability account.
    let observability = spec
        .observability
        .as_ref()
        .and_then(|_| {
            org.accounts
                .iter()
                .find(|a| a.class == AccountClass::Observability)
        })
        .map(|a| a.id);
    // The monitoring servers (VictoriaMetrics, vmalert, Alertmanager) run
    // in the observability account on the shared data subnets as well.
    let monitoring = observability.filter(|_| {
        spec.observability
            .as_ref()
            .is_some_and(|o| o.metrics.backend == crate::monitoring::VICTORIA_METRICS)
    });
    let participants = Participants {
        log_search: observability,
        monitoring,
    };
    let remediation = remediation_account(spec, org);
    let mut remediation_vpc = None;
    let mut remediation_vpcs = Vec::new();
    for env in &org.environments {
        for region_id in &env.regions {
            let region = &org.regions[region_id.index()];
            let vpc_id = VpcId::from_index(vpcs.len());
            let remediation_here =
                remediation.filter(|_| remediation_env(org, *region_id) == Some(env.id));
            if remediation_here.is_some() {
                remediation_vpcs.push(vpc_id);
                if *region_id == org.info.home_region {
                    remediation_vpc = Some(vpc_id);
                }
            }
            let vpc_name = format!("{}-{}", env.name, region.name);
            vpcs.push(Vpc {
                id: vpc_id,
                name: vpc_name.clone(),
                region: region.id,
                environment: env.id,
                account: networking.unwrap_or(AccountId(0)),
            });
            let env_accounts: Vec<&Account> = org
                .accounts
                .iter()
                .filter(|a| a.environment == Some(env.id))
                .collect();
            for tier in tiers.iter().filter(|t| t.environments.contains(&env.id)) {
                let owners: Vec<Option<DomainId>> = if tier.per_domain {
                    org.domains
                        .iter()
                        .filter(|d| d.environments.contains(&env.id))
                        .map(|d| Some(d.id))
                        .collect()
                } else {
                    vec![None]
                };
                for owner in owners {
                    for (az, az_name) in region.azs.iter().enumerate() {
                        let letter = az_name.chars().last().unwrap_or('a');
                        let name = match owner {
                            Some(d) => format!(
                                "{vpc_name}-{}-{}-{letter}",
                                tier.name,
                                org.domains[d.index()].name
                            ),
                            None => format!("{vpc_name}-{}-{letter}", tier.name),
                        };
                        let shared_with = sharing(
                            tier,
                            owner,
                            &env_accounts,
                            &public_domains,
                            participants,
                            scanner.into_iter().chain(remediation_here),
                        );
                        subnets.push(Subnet {
                            id: SubnetId::from_index(subnets.len()),
                            name,
                            vpc: vpc_id,
                            tier: tier.id,
                            az,
                            domain: owner,
                            shared_with,
                        });
                    }
                }
            }
        }
    }
    check_sharing_limits(r, at, &vpcs, &subnets, org, limits);
    check_nat_addresses(r, at, &vpcs, org, limits);
    let dns = network
        .dns
        .as_ref()
        .and_then(|dns| resolve_dns(r, dns, &at.child("dns"), org));

    Some(NetworkLayout {
        address_space: address_space.unwrap_or_default(),
        vpc_prefix_length: vpc_prefix,
        plan_for: network.plan_for.clone(),
        tiers,
        vpcs,
        subnets,
        dns,
        scanner,
        log_search: observability,
        remediation_vpc,
        remediation_vpcs,
        origin: at.clone(),
    })
}

/// The account the remediation services' tasks run in when the spec lets
/// machines act on alerts: the one holding the alert path (observability,
/// else security tooling, else management); [`remediation_env`] says in
/// which VPC of each region.
fn remediation_account(spec: &Spec, org: &Org) -> Option<AccountId> {
    spec.observability.as_ref()?.remediation.as_ref()?;
    Some(
        [
            AccountClass::Observability,
            AccountClass::SecurityTooling,
            AccountClass::Management,
        ]
        .iter()
        .find_map(|class| org.accounts.iter().find(|a| a.class == *class))?
        .id,
    )
}

/// The environment whose VPC in `region` runs that region's remediation
/// service: the first production environment there, or the first there.
fn remediation_env(org: &Org, region: RegionId) -> Option<EnvId> {
    let there = || {
        org.environments
            .iter()
            .filter(|e| e.regions.contains(&region))
    };
    Some(
        there()
            .find(|e| e.production)
            .or_else(|| there().next())?
            .id,
    )
}

/// Each VPC with egress has a NAT gateway with one Elastic IP address per
/// AZ, all in the networking account: per region they must fit its Elastic
/// IP quota (L-0263D0A3, 5 by default), or the network stack fails halfway.
fn check_nat_addresses(
    r: &mut Resolver<'_>,
    at: &Pointer,
    vpcs: &[Vpc],
    org: &Org,
    limits: &Limits,
) {
    let mut needed: BTreeMap<(AccountId, RegionId), (u64, Vec<&str>)> = BTreeMap::new();
    for vpc in vpcs {
        if org.environments[vpc.environment.index()].egress.mode == EgressMode::Blocked {
            continue;
        }
        let azs = org.regions[vpc.region.index()].azs.len() as u64;
        let entry = needed.entry((vpc.account, vpc.region)).or_default();
        entry.0 += azs;
        entry.1.push(&vpc.name);
    }
    for ((account, region), (count, names)) in needed {
        if count <= limits.elastic_ips_per_region {
            continue;
        }
        let account = &org.accounts[account.index()].name;
        let region = &org.regions[region.index()].name;
        r.error_at_key(
            "limits::elastic-ips",
            format!(
                "the NAT gateways of {} need {count} Elastic IP addresses in `{account}` {region}, over the quota of {}",
                names.join(", "),
                limits.elastic_ips_per_region
            ),
            &at.child("egress"),
            "one address per AZ of every VPC with egress",
            format!(
                "request `EC2-VPC Elastic IPs` (L-0263D0A3) of at least {count} for `{account}` in {region}, then set `limits: elastic_ips_per_region` to what was granted"
            ),
        );
    }
}

/// `network.dns`: a zone name Route 53 accepts, a hosted zone id of the
/// form Route 53 gives, and an account that exists.
fn resolve_dns(
    r: &mut Resolver<'_>,
    dns: &landfall_spec::types::Dns,
    at: &Pointer,
    org: &Org,
) -> Option<PublicDns> {
    let mut ok = true;
    if !crate::aws::is_dns_name(&dns.public_zone) {
        r.error(
            "spec::invalid-zone-name",
            format!("`{}` is not a DNS zone name", dns.public_zone),
            &at.child("public_zone"),
            "not a zone name",
            "write lowercase labels of letters, digits and hyphens separated by dots, for example `markets.example.com`",
        );
        ok = false;
    }
    if !crate::aws::is_hosted_zone_id(&dns.hosted_zone_id) {
        r.error(
            "spec::invalid-hosted-zone-id",
            format!("`{}` is not a Route 53 hosted zone id", dns.hosted_zone_id),
            &at.child("hosted_zone_id"),
            "not a hosted zone id",
            "write the id Route 53 shows for the zone: `Z` followed by capitals and digits, without `/hostedzone/`",
        );
        ok = false;
    }
    let account = match &dns.account {
        Some(name) => r.lookup(&org.account_names, name, &at.child("account")),
        None => org
            .accounts
            .iter()
            .find(|a| a.class == AccountClass::Networking)
            .map(|a| a.id),
    };
    let account = account?;
    ok.then(|| PublicDns {
        zone: dns.public_zone.clone(),
        hosted_zone_id: dns.hosted_zone_id.clone(),
        account,
        origin: at.clone(),
    })
}

/// Core accounts that take part in every VPC's data subnets.
#[derive(Clone, Copy)]
struct Participants {
    /// The log search account, in the shared data subnets.
    log_search: Option<AccountId>,
    /// The monitoring servers' account, in the shared data subnets.
    monitoring: Option<AccountId>,
}

/// Which accounts a subnet is shared with: a domain's subnets with its own
/// account only; shared data subnets with every workload account of the
/// environment (and the log search and monitoring account); edge subnets
/// with the accounts that run public services; endpoint subnets with the
/// scanners' and the remediation service's accounts; firewall subnets stay
/// in the networking account.
fn sharing(
    tier: &Tier,
    owner: Option<DomainId>,
    env_accounts: &[&Account],
    public_domains: &[DomainId],
    participants: Participants,
    endpoint_users: impl Iterator<Item = AccountId>,
) -> Vec<AccountId> {
    let workload = env_accounts
        .iter()
        .filter(|a| a.class == AccountClass::Workload);
    match (tier.kind, owner) {
        (_, Some(domain)) => workload
            .filter(|a| a.domain == Some(domain))
            .map(|a| a.id)
            .collect(),
        (TierKind::Application, None) => workload.map(|a| a.id).collect(),
        (TierKind::Data, None) => {
            let mut accounts: Vec<AccountId> = workload
                .map(|a| a.id)
                .chain(participants.log_search)
                .chain(participants.monitoring)
                .collect();
            accounts.dedup();
            accounts
        }
        (TierKind::Edge, None) => workload
            .filter(|a| a.domain.is_some_and(|d| public_domains.contains(&d)))
            .map(|a| a.id)
            .collect(),
        // The scanners' interfaces live in the endpoints subnets, and so do
        // the remediation service's tasks in its VPC.
        (TierKind::Endpoints, None) => {
            let mut accounts: Vec<AccountId> = endpoint_users.collect();
            accounts.sort();
            accounts.dedup();
            accounts
        }
        (TierKind::Firewall, None) => Vec::new(),
    }
}

fn domains_with_public_services(spec: &Spec, org: &Org) -> Vec<DomainId> {
    let mut out: Vec<DomainId> = spec
        .services
        .iter()
        .filter(|s| s.ingress == Ingress::Public)
        .filter_map(|s| org.domain_names.get(&s.domain))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn egress(
    r: &mut Resolver<'_>,
    network: &landfall_spec::Located<landfall_spec::types::Network>,
    org: &mut Org,
    tiers: &[Tier],
) {
    let at = &network.at;
    let mut seen: BTreeMap<EnvId, Pointer> = BTreeMap::new();
    for (i, policy) in network.egress.iter().enumerate() {
        let policy_at = item(at, "egress", i);
        let Some(env_id) = r.lookup(
            &org.env_names,
            &policy.environment,
            &policy_at.child("environment"),
        ) else {
            continue;
        };
        if let Some(first) = seen.get(&env_id).cloned() {
            let span = r.span(&first);
            r.error(
                "spec::duplicate-egress",
                format!(
                    "environment `{}` has two egress policies",
                    policy.environment
                ),
                &policy_at.child("environment"),
                "second policy",
                "keep one egress policy per environment",
            );
            let _ = span;
            continue;
        }
        seen.insert(env_id, policy_at.child("environment"));
        let env = &org.environments[env_id.index()];
        match policy.mode {
            EgressMode::Open if env.production => r.error(
                "spec::open-egress-in-production",
                format!(
                    "production environment `{}` cannot have open egress",
                    env.name
                ),
                &policy_at.child("mode"),
                "unrestricted internet access",
                "use `mode: inspected` with an allowlist of the domains production needs",
            ),
            EgressMode::Inspected => {
                let has_firewall = tiers
                    .iter()
                    .any(|t| t.kind == TierKind::Firewall && t.environments.contains(&env_id));
                if !has_firewall {
                    r.error(
                        "spec::inspected-egress-without-firewall",
                        format!(
                            "egress of `{}` is inspected, but it has no firewall tier",
                            env.name
                        ),
                        &policy_at.child("mode"),
                        "needs firewall subnets",
                        format!(
                            "add `{}` to the environments of a tier with `kind: firewall`",
                            env.name
                        ),
                    );
                }
                if policy.allow_domains.is_empty() && policy.allow_cidrs.is_empty() {
                    r.warning(
                        "spec::empty-allowlist",
                        format!(
                            "egress of `{}` is inspected with an empty allowlist",
                            env.name
                        ),
                        &policy_at.child("mode"),
                        "nothing can leave",
                        "list `allow_domains`, or use `mode: blocked` to say so",
                    );
                }
            }
            EgressMode::Blocked | EgressMode::Open => {
                if !policy.allow_domains.is_empty() || !policy.allow_cidrs.is_empty() {
                    r.warning(
                        "spec::unused-allowlist",
                        format!(
                            "the allowlist of `{}` has no effect when egress is not inspected",
                            env.name
                        ),
                        &policy_at.child("mode"),
                        "allowlists apply to inspected egress",
                        "remove the allowlist, or use `mode: inspected`",
                    );
                }
            }
        }
        for (j, domain) in policy.allow_domains.iter().enumerate() {
            let name = domain.trim_start_matches('.');
            let valid = name.contains('.')
                && name.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !valid {
                r.error(
                    "spec::invalid-domain-name",
                    format!("`{domain}` is not a domain name"),
                    &item(&policy_at, "allow_domains", j),
                    "expected a name such as `api.example.com` or `.example.com`",
                    "a leading `.` allows every subdomain",
                );
            }
        }
        let cidrs = policy
            .allow_cidrs
            .iter()
            .enumerate()
            .filter_map(|(j, cidr)| parse_cidr(r, cidr, &item(&policy_at, "allow_cidrs", j)))
            .collect();
        let env = &mut org.environments[env_id.index()];
        env.egress = Egress {
            mode: policy.mode,
            allow_domains: policy.allow_domains.clone(),
            allow_cidrs: cidrs,
        };
    }
    for env in &org.environments {
        if !seen.contains_key(&env.id) {
            r.error_at_key(
                "spec::missing-egress",
                format!("environment `{}` has no egress policy", env.name),
                &at.child("egress"),
                "every environment needs one",
                format!("add `- {{ environment: {}, mode: blocked }}` (or `inspected` with an allowlist)", env.name),
            );
        }
    }
}

fn public_services_need_edge(r: &mut Resolver<'_>, spec: &Spec, org: &Org, tiers: &[Tier]) {
    for service in spec
        .services
        .iter()
        .filter(|s| s.ingress == Ingress::Public)
    {
        let Some(domain) = org.domain_names.get(&service.domain) else {
            continue;
        };
        let envs: Vec<EnvId> = match &service.environments {
            Some(names) => names.iter().filter_map(|n| org.env_names.get(n)).collect(),
            None => org.domains[domain.index()].environments.clone(),
        };
        let has_edge = |env: &EnvId| {
            tiers
                .iter()
                .any(|t| t.kind == TierKind::Edge && t.environments.contains(env))
        };
        if !envs.is_empty() && !envs.iter().any(has_edge) {
            let names: Vec<String> = envs
                .iter()
                .map(|e| format!("`{}`", org.environments[e.index()].name))
                .collect();
            r.error(
                "spec::public-service-without-edge",
                format!(
                    "service `{}` is public, but none of its environments has an edge tier",
                    service.name
                ),
                &service.at.child("ingress"),
                "public ingress needs edge subnets",
                format!(
                    "add one of {} to a tier with `kind: edge`, or make the service `internal`",
                    names.join(", ")
                ),
            );
        }
    }
}

fn check_sharing_limits(
    r: &mut Resolver<'_>,
    at: &Pointer,
    vpcs: &[Vpc],
    subnets: &[Subnet],
    org: &Org,
    limits: &Limits,
) {
    for vpc in vpcs {
        let in_vpc: Vec<&Subnet> = subnets.iter().filter(|s| s.vpc == vpc.id).collect();
        if in_vpc.len() as u64 > limits.subnets_per_vpc {
            r.error_at_key(
                "limits::subnets-per-vpc",
                format!("VPC `{}` needs {} subnets; AWS allows {} per VPC", vpc.name, in_vpc.len(), limits.subnets_per_vpc),
                &at.child("tiers"),
                "these tiers make too many subnets",
                format!(
                    "remove {} subnets (fewer per-domain tiers or AZs), or raise `subnets_per_vpc` in `limits` if AWS raised it",
                    in_vpc.len() as u64 - limits.subnets_per_vpc
                ),
            );
        }
        let mut participants: Vec<AccountId> = in_vpc
            .iter()
            .flat_map(|s| s.shared_with.iter().copied())
            .collect();
        participants.sort();
        participants.dedup();
        if participants.len() as u64 > limits.participant_accounts_per_shared_vpc {
            r.error_at_key(
                "limits::participants-per-vpc",
                format!(
                    "VPC `{}` is shared with {} accounts; AWS allows {}",
                    vpc.name,
                    participants.len(),
                    limits.participant_accounts_per_shared_vpc
                ),
                &at.child("tiers"),
                "too many participant accounts",
                "split the environment's domains over more VPCs, or raise the limit with AWS",
            );
        }
    }
    let mut per_account: BTreeMap<AccountId, u64> = BTreeMap::new();
    for subnet in subnets {
        for account in &subnet.shared_with {
            *per_account.entry(*account).or_default() += 1;
        }
    }
    for (account, count) in per_account {
        if count > limits.subnets_shared_per_account {
            let name = org.accounts[account.index()].name.clone();
            r.error_at_key(
                "limits::subnets-shared-per-account",
                format!(
                    "account `{name}` would be shared {count} subnets; AWS allows {}",
                    limits.subnets_shared_per_account
                ),
                &at.child("tiers"),
                "too many subnets for one account",
                "share fewer tiers with workload accounts",
            );
        }
    }
}

pub(crate) fn parse_cidr(r: &mut Resolver<'_>, text: &str, at: &Pointer) -> Option<Ipv4Net> {
    match Ipv4Net::from_str(text) {
        Ok(net) if net.trunc() == net => Some(net),
        Ok(net) => {
            r.error(
                "spec::cidr-host-bits",
                format!("`{text}` has host bits set"),
                at,
                "not a network address",
                format!("did you mean `{}`?", net.trunc()),
            );
            None
        }
        Err(_) => {
            r.error(
                "spec::invalid-cidr",
                format!("`{text}` is not an IPv4 CIDR block"),
                at,
                "expected an address and prefix length",
                "for example `10.0.0.0/8`",
            );
            None
        }
    }
}

fn is_private(net: Ipv4Net) -> bool {
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
        .iter()
        .filter_map(|s| Ipv4Net::from_str(s).ok())
        .any(|private| private.contains(&net))
}

pub(crate) fn kind_name(kind: TierKind) -> &'static str {
    match kind {
        TierKind::Edge => "edge",
        TierKind::Firewall => "firewall",
        TierKind::Application => "application",
        TierKind::Data => "data",
        TierKind::Endpoints => "endpoints",
    }
}
