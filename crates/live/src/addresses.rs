//! Planned addresses against the live ones: a VPC or subnet the plan puts
//! where a live one of another name already is (or a live one the plan
//! would renumber) makes the deploy fail halfway with
//! `InvalidSubnet.Conflict` or `InvalidVpc.Range`, so the plan refuses up
//! front and names both owners.

use std::net::Ipv4Addr;

use serde::Serialize;

use crate::aws::Clients;
use crate::desired::DesiredVpc;
use crate::error::LiveError;

/// A VPC as EC2 reports it, with its subnets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveVpc {
    pub id: String,
    pub cidr: String,
    /// The `Name` tag.
    pub name: Option<String>,
    /// The stack that created it (`aws:cloudformation:stack-name`).
    pub stack: Option<String>,
    pub subnets: Vec<LiveSubnet>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSubnet {
    pub id: String,
    pub cidr: String,
    pub name: Option<String>,
    pub stack: Option<String>,
}

/// One planned VPC or subnet whose addresses a live one holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub account: String,
    pub region: String,
    pub message: String,
}

/// Reads the VPCs and subnets of one account and region.
pub async fn read(clients: &Clients) -> Result<Vec<LiveVpc>, LiveError> {
    let ec2 = clients.ec2();
    let vpcs = ec2
        .describe_vpcs()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| LiveError::api("ec2:DescribeVpcs", &e))?;
    let subnets = ec2
        .describe_subnets()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| LiveError::api("ec2:DescribeSubnets", &e))?;
    let tag = |tags: &[aws_sdk_ec2::types::Tag], key: &str| {
        tags.iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value())
            .map(str::to_owned)
    };
    let mut out: Vec<LiveVpc> = vpcs
        .iter()
        .map(|v| LiveVpc {
            id: v.vpc_id().unwrap_or_default().to_owned(),
            cidr: v.cidr_block().unwrap_or_default().to_owned(),
            name: tag(v.tags(), "Name"),
            stack: tag(v.tags(), "aws:cloudformation:stack-name"),
            subnets: Vec::new(),
        })
        .collect();
    for s in &subnets {
        let Some(vpc) = out.iter_mut().find(|v| Some(v.id.as_str()) == s.vpc_id()) else {
            continue;
        };
        vpc.subnets.push(LiveSubnet {
            id: s.subnet_id().unwrap_or_default().to_owned(),
            cidr: s.cidr_block().unwrap_or_default().to_owned(),
            name: tag(s.tags(), "Name"),
            stack: tag(s.tags(), "aws:cloudformation:stack-name"),
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    for v in &mut out {
        v.subnets.sort_by(|a, b| a.id.cmp(&b.id));
    }
    Ok(out)
}

/// `a.b.c.d/n` as (first, last) address; `None` when it is not one.
fn range(cidr: &str) -> Option<(u32, u32)> {
    let (ip, len) = cidr.split_once('/')?;
    let ip: Ipv4Addr = ip.parse().ok()?;
    let len: u32 = len.parse().ok()?;
    if len > 32 {
        return None;
    }
    let size = 1u64 << (32 - len);
    let first = u32::from(ip) & !(u32::try_from(size - 1).unwrap_or(u32::MAX));
    let last = u32::try_from(u64::from(first) + size - 1).unwrap_or(u32::MAX);
    Some((first, last))
}

fn overlap(a: &str, b: &str) -> bool {
    match (range(a), range(b)) {
        (Some((a0, a1)), Some((b0, b1))) => a0 <= b1 && b0 <= a1,
        _ => false,
    }
}

fn owner(id: &str, name: Option<&str>, stack: Option<&str>) -> String {
    let mut s = format!("`{id}`");
    if let Some(n) = name {
        s.push_str(&format!(" (`{n}`"));
        if let Some(st) = stack {
            s.push_str(&format!(", stack `{st}`"));
        }
        s.push(')');
    } else if let Some(st) = stack {
        s.push_str(&format!(" (stack `{st}`)"));
    }
    s
}

/// The planned VPCs of one account and region against the live ones there.
pub fn conflicts(planned: &[&DesiredVpc], live: &[LiveVpc]) -> Vec<Conflict> {
    let mut out = Vec::new();
    for vpc in planned {
        let mut push = |message: String| {
            out.push(Conflict {
                account: vpc.account.clone(),
                region: vpc.region.clone(),
                message,
            });
        };
        let same = live.iter().find(|l| l.name.as_deref() == Some(&vpc.name));
        for l in live {
            if l.name.as_deref() == Some(&vpc.name) {
                if l.cidr != vpc.cidr {
                    push(format!(
                        "VPC `{}` is planned at {} but is live at {} as {}: a VPC's address range cannot move; restore the `landfall.lock` it was deployed with",
                        vpc.name,
                        vpc.cidr,
                        l.cidr,
                        owner(&l.id, None, l.stack.as_deref())
                    ));
                }
            } else if overlap(&l.cidr, &vpc.cidr) {
                push(format!(
                    "VPC `{}` is planned at {}, which overlaps live VPC {} at {}",
                    vpc.name,
                    vpc.cidr,
                    owner(&l.id, l.name.as_deref(), l.stack.as_deref()),
                    l.cidr
                ));
            }
        }
        let Some(same) = same else {
            continue;
        };
        for (name, cidr, _) in &vpc.subnets {
            for s in &same.subnets {
                if s.name.as_deref() == Some(name.as_str()) {
                    if s.cidr != *cidr {
                        push(format!(
                            "subnet `{name}` in VPC `{}` is planned at {cidr} but is live at {} as {}: it would be replaced; restore the `landfall.lock` it was deployed with",
                            vpc.name,
                            s.cidr,
                            owner(&s.id, None, s.stack.as_deref())
                        ));
                    }
                } else if overlap(&s.cidr, cidr) {
                    push(format!(
                        "subnet `{name}` in VPC `{}` is planned at {cidr}, which live subnet {} holds ({}): its deploy would fail with InvalidSubnet.Conflict; restore the `landfall.lock` the live subnets were planned with, or retire the live subnet first",
                        vpc.name,
                        owner(&s.id, s.name.as_deref(), s.stack.as_deref()),
                        s.cidr
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned() -> DesiredVpc {
        DesiredVpc {
            name: "dev-euc1".into(),
            account: "network".into(),
            region: "eu-central-1".into(),
            cidr: "10.0.0.0/16".into(),
            subnets: vec![(
                "lending-dev-euc1-app-a".into(),
                "10.0.8.0/22".into(),
                "eu-central-1a".into(),
            )],
        }
    }

    fn live_subnet(name: &str, cidr: &str) -> LiveVpc {
        LiveVpc {
            id: "vpc-1".into(),
            cidr: "10.0.0.0/16".into(),
            name: Some("dev-euc1".into()),
            stack: Some("emuco-network".into()),
            subnets: vec![LiveSubnet {
                id: "subnet-9".into(),
                cidr: cidr.into(),
                name: Some(name.into()),
                stack: Some("emuco-network".into()),
            }],
        }
    }

    #[test]
    fn a_planned_subnet_on_a_live_subnet_of_another_name_is_a_conflict_naming_both() {
        let p = planned();
        let found = conflicts(&[&p], &[live_subnet("risk-dev-euc1-app-a", "10.0.8.0/22")]);
        assert_eq!(found.len(), 1, "{found:?}");
        let m = &found[0].message;
        assert!(m.contains("`lending-dev-euc1-app-a`"), "{m}");
        assert!(
            m.contains("`subnet-9` (`risk-dev-euc1-app-a`, stack `emuco-network`)"),
            "{m}"
        );
        assert!(m.contains("InvalidSubnet.Conflict"), "{m}");
    }

    #[test]
    fn the_same_subnet_at_the_same_address_is_no_conflict_and_a_moved_one_is() {
        let p = planned();
        assert!(conflicts(
            &[&p],
            &[live_subnet("lending-dev-euc1-app-a", "10.0.8.0/22")]
        )
        .is_empty());
        assert!(conflicts(&[&p], &[live_subnet("other", "10.0.12.0/22")]).is_empty());
        let moved = conflicts(
            &[&p],
            &[live_subnet("lending-dev-euc1-app-a", "10.0.4.0/22")],
        );
        assert_eq!(moved.len(), 1);
        assert!(moved[0].message.contains("would be replaced"));
    }

    #[test]
    fn overlapping_vpcs_of_other_names_conflict() {
        let p = planned();
        let mut l = live_subnet("x", "10.9.0.0/24");
        l.name = Some("old".into());
        l.cidr = "10.0.128.0/17".into();
        let found = conflicts(&[&p], &[l]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0]
            .message
            .contains("overlaps live VPC `vpc-1` (`old`"));
        assert!(!overlap("10.0.0.0/16", "10.1.0.0/16"));
        assert!(overlap("10.0.0.0/8", "10.200.0.0/16"));
    }
}
