//! Scan targets (`landfall scan targets`): from the live accounts, every
//! endpoint a vulnerability scanner should look at, with the account,
//! domain and environment that own it.
//!
//! - Internet-facing: CloudFront distributions (their domain and aliases),
//!   internet-facing load balancers (by DNS name: their addresses change),
//!   and any other network interface with a public IP.
//! - Internal, per VPC: internal load balancers (DNS name) and the private
//!   addresses of every other network interface that runs the platform's
//!   code or data (instances, tasks, databases).
//!
//! Left out: the network interfaces of load balancers (listed by name),
//! NAT gateways (outbound only) and interface VPC endpoints (AWS's
//! services, which AWS's penetration testing policy does not open to
//! tests). Accounts are read as the audit reads them (`landfall-audit`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::aws::{Clients, Session, AUDIT_ROLES};
use crate::deploy::bounded;
use crate::error::{sdk_message, LiveError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exposure {
    Public,
    Internal,
}

impl Exposure {
    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::Public => "public",
            Exposure::Internal => "internal",
        }
    }
}

/// One endpoint to scan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ScanTarget {
    pub exposure: Exposure,
    /// An IP address or a DNS name.
    pub address: String,
    /// `cloudfront`, `load-balancer`, `network-interface`.
    pub kind: &'static str,
    pub account: String,
    pub account_id: String,
    /// `global` for CloudFront.
    pub region: String,
    pub domain: Option<String>,
    pub environment: Option<String>,
    pub vpc: Option<String>,
    /// The resource: distribution id, load balancer ARN, interface id.
    pub resource: String,
}

/// Where an account belongs: (domain, environment) by account name.
pub type Owners = BTreeMap<String, (Option<String>, Option<String>)>;

/// What `read` found, and what it could not read.
#[derive(Debug, Default, Serialize)]
pub struct Targets {
    pub targets: Vec<ScanTarget>,
    pub errors: Vec<String>,
}

/// Reads every active account of the organization (those of `environment`
/// only, when given) in `regions`.
pub async fn read(
    session: &Session,
    owners: &Owners,
    regions: &[String],
    environment: Option<&str>,
    concurrency: usize,
) -> Result<Targets, LiveError> {
    let mgmt = session.management().await?;
    let org = session.organization(&mgmt).await?;
    let accounts: Vec<(String, String)> = org
        .accounts
        .iter()
        .filter(|a| a.active)
        .filter(|a| {
            environment.is_none() || owners.get(&a.name).and_then(|o| o.1.as_deref()) == environment
        })
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    let mut jobs = Vec::new();
    for (id, name) in &accounts {
        for region in regions {
            jobs.push((id.clone(), name.clone(), region.clone(), false));
        }
        // CloudFront is global: once per account.
        jobs.push((id.clone(), name.clone(), "us-east-1".to_owned(), true));
    }
    let management_id = org.management_account_id.clone();
    let found = bounded(concurrency.max(1), jobs, |(id, name, region, global)| {
        let session = session.clone();
        let mgmt = mgmt.clone();
        let management_id = management_id.clone();
        async move {
            let clients = if id == management_id {
                mgmt.in_region(&region)
            } else {
                match session.member(&mgmt, &id, &region, &AUDIT_ROLES).await {
                    Ok(c) => c,
                    Err(e) => return (name, id, region, Err(vec![e.to_string()])),
                }
            };
            let read = if global {
                cloudfront(&clients).await
            } else {
                regional(&clients).await
            };
            (name, id, region, Ok(read))
        }
    })
    .await;
    let mut out = Targets::default();
    for (account, account_id, region, result) in found {
        let (found, errors) = match result {
            Ok(read) => read,
            Err(errors) => (Vec::new(), errors),
        };
        out.errors.extend(
            errors
                .into_iter()
                .map(|e| format!("{account} ({account_id}) {region}: {e}")),
        );
        let (domain, environment) = owners.get(&account).cloned().unwrap_or_default();
        for f in found {
            out.targets.push(ScanTarget {
                exposure: f.exposure,
                address: f.address,
                kind: f.kind,
                account: account.clone(),
                account_id: account_id.clone(),
                region: if f.kind == "cloudfront" {
                    "global".to_owned()
                } else {
                    region.clone()
                },
                domain: domain.clone(),
                environment: environment.clone(),
                vpc: f.vpc,
                resource: f.resource,
            });
        }
    }
    out.targets.sort();
    out.targets.dedup();
    out.errors.sort();
    out.errors.dedup();
    Ok(out)
}

/// A target before its owner is known.
struct Found {
    exposure: Exposure,
    address: String,
    kind: &'static str,
    vpc: Option<String>,
    resource: String,
}

async fn cloudfront(clients: &Clients) -> (Vec<Found>, Vec<String>) {
    let listed = clients
        .cloudfront()
        .list_distributions()
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    let pages = match listed {
        Ok(pages) => pages,
        Err(e) => {
            return (
                Vec::new(),
                vec![format!("cloudfront:ListDistributions: {}", sdk_message(&e))],
            )
        }
    };
    let mut out = Vec::new();
    for d in pages
        .iter()
        .filter_map(|p| p.distribution_list())
        .flat_map(|l| l.items())
    {
        let aliases = d.aliases().map(|a| a.items()).unwrap_or_default();
        for address in std::iter::once(d.domain_name()).chain(aliases.iter().map(String::as_str)) {
            out.push(Found {
                exposure: Exposure::Public,
                address: address.to_owned(),
                kind: "cloudfront",
                vpc: None,
                resource: d.id().to_owned(),
            });
        }
    }
    (out, Vec::new())
}

async fn regional(clients: &Clients) -> (Vec<Found>, Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let balancers = clients
        .elasticloadbalancingv2()
        .describe_load_balancers()
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    match balancers {
        Ok(pages) => {
            for lb in pages.iter().flat_map(|p| p.load_balancers()) {
                let public = lb.scheme().is_some_and(|s| s.as_str() == "internet-facing");
                out.push(Found {
                    exposure: if public {
                        Exposure::Public
                    } else {
                        Exposure::Internal
                    },
                    address: lb.dns_name().unwrap_or_default().to_owned(),
                    kind: "load-balancer",
                    vpc: lb.vpc_id().map(str::to_owned),
                    resource: lb.load_balancer_arn().unwrap_or_default().to_owned(),
                });
            }
        }
        Err(e) => errors.push(format!(
            "elasticloadbalancing:DescribeLoadBalancers: {}",
            sdk_message(&e)
        )),
    }
    // The interfaces of endpoints and NAT gateways, by id as well as by
    // their interface type (which not every API reports).
    let mut not_ours = std::collections::BTreeSet::new();
    match clients
        .ec2()
        .describe_vpc_endpoints()
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(pages) => not_ours.extend(
            pages
                .iter()
                .flat_map(|p| p.vpc_endpoints())
                .flat_map(|e| e.network_interface_ids().iter().cloned()),
        ),
        Err(e) => errors.push(format!("ec2:DescribeVpcEndpoints: {}", sdk_message(&e))),
    }
    match clients
        .ec2()
        .describe_nat_gateways()
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(pages) => not_ours.extend(
            pages
                .iter()
                .flat_map(|p| p.nat_gateways())
                .flat_map(|n| n.nat_gateway_addresses())
                .filter_map(|a| a.network_interface_id().map(str::to_owned)),
        ),
        Err(e) => errors.push(format!("ec2:DescribeNatGateways: {}", sdk_message(&e))),
    }
    let interfaces = clients
        .ec2()
        .describe_network_interfaces()
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    match interfaces {
        Ok(pages) => {
            for eni in pages.iter().flat_map(|p| p.network_interfaces()) {
                let id = eni.network_interface_id().unwrap_or_default().to_owned();
                if !scanned(eni) || not_ours.contains(&id) {
                    continue;
                }
                let vpc = eni.vpc_id().map(str::to_owned);
                // The primary address's association is given on the
                // interface too (the same address: deduplicated later).
                let publics = eni
                    .association()
                    .and_then(|a| a.public_ip())
                    .into_iter()
                    .chain(
                        eni.private_ip_addresses()
                            .iter()
                            .filter_map(|ip| ip.association().and_then(|a| a.public_ip())),
                    );
                for public in publics {
                    out.push(Found {
                        exposure: Exposure::Public,
                        address: public.to_owned(),
                        kind: "network-interface",
                        vpc: vpc.clone(),
                        resource: id.clone(),
                    });
                }
                for ip in eni.private_ip_addresses() {
                    if let Some(private) = ip.private_ip_address() {
                        out.push(Found {
                            exposure: Exposure::Internal,
                            address: private.to_owned(),
                            kind: "network-interface",
                            vpc: vpc.clone(),
                            resource: id.clone(),
                        });
                    }
                }
            }
        }
        Err(e) => errors.push(format!(
            "ec2:DescribeNetworkInterfaces: {}",
            sdk_message(&e)
        )),
    }
    (out, errors)
}

/// Whether an interface is scanned by its address: not a load balancer's
/// (scanned by name), a NAT gateway's or an interface endpoint's.
fn scanned(eni: &aws_sdk_ec2::types::NetworkInterface) -> bool {
    use aws_sdk_ec2::types::NetworkInterfaceType as T;
    let not_ours = matches!(
        eni.interface_type(),
        Some(
            T::NatGateway
                | T::VpcEndpoint
                | T::GatewayLoadBalancerEndpoint
                | T::NetworkLoadBalancer
        )
    );
    let balancer = eni.requester_id() == Some("amazon-elb")
        || eni.description().is_some_and(|d| d.starts_with("ELB "));
    !not_ours && !balancer
}

/// `address,exposure,kind,account,account_id,region,domain,environment,vpc,resource`.
pub fn render_csv(targets: &[ScanTarget]) -> String {
    let mut out = String::from(
        "address,exposure,kind,account,account_id,region,domain,environment,vpc,resource\n",
    );
    for t in targets {
        let cells = [
            t.address.as_str(),
            t.exposure.as_str(),
            t.kind,
            &t.account,
            &t.account_id,
            &t.region,
            t.domain.as_deref().unwrap_or(""),
            t.environment.as_deref().unwrap_or(""),
            t.vpc.as_deref().unwrap_or(""),
            &t.resource,
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// What Nessus takes as a scan's targets: one host (address or name) a
/// line, each once, public ones first.
/// <https://docs.tenable.com/nessus/Content/ScanTargets.htm>
pub fn render_nessus(targets: &[ScanTarget]) -> String {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = String::new();
    for t in targets {
        if seen.insert(t.address.as_str()) {
            out.push_str(&t.address);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(exposure: Exposure, address: &str) -> ScanTarget {
        ScanTarget {
            exposure,
            address: address.into(),
            kind: "network-interface",
            account: "payments-prod".into(),
            account_id: "111111111111".into(),
            region: "eu-west-1".into(),
            domain: Some("payments".into()),
            environment: Some("prod".into()),
            vpc: Some("vpc-1".into()),
            resource: "eni-1".into(),
        }
    }

    #[test]
    fn csv_quotes_what_needs_it_and_nessus_lists_each_host_once() {
        let mut quoted = target(Exposure::Internal, "10.0.0.5");
        quoted.resource = "a,b".into();
        let targets = vec![
            target(Exposure::Public, "203.0.113.9"),
            quoted,
            target(Exposure::Internal, "203.0.113.9"),
        ];
        let csv = render_csv(&targets);
        assert_eq!(
            csv.lines().nth(2),
            Some("10.0.0.5,internal,network-interface,payments-prod,111111111111,eu-west-1,payments,prod,vpc-1,\"a,b\"")
        );
        assert_eq!(render_nessus(&targets), "203.0.113.9\n10.0.0.5\n");
    }
}
