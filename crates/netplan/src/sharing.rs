//! The sharing plan: RAM resource shares from the networking account to each
//! participant account, with the subnets and placement groups they carry.

use std::collections::BTreeMap;

use landfall_model::{AccountId, Model, SubnetId};

use crate::{AddressPlan, PlacementGroup, ResourceShare};

pub(crate) fn share(model: &Model, plan: &mut AddressPlan) {
    plan.placement_groups = placement_groups(model);
    let mut shares: BTreeMap<(usize, AccountId), (Vec<SubnetId>, Vec<usize>)> = BTreeMap::new();
    for subnet in &model.network.subnets {
        for account in &subnet.shared_with {
            shares
                .entry((subnet.vpc.index(), *account))
                .or_default()
                .0
                .push(subnet.id);
        }
    }
    for (i, group) in plan.placement_groups.iter().enumerate() {
        for account in &group.shared_with {
            shares
                .entry((group.vpc.index(), *account))
                .or_default()
                .1
                .push(i);
        }
    }
    plan.shares = shares
        .into_iter()
        .filter_map(|((vpc, account), (subnets, placement_groups))| {
            let vpc = model.network.vpcs.get(vpc)?;
            Some(ResourceShare {
                name: format!("{}-{}", vpc.name, model.account(account).name),
                vpc: vpc.id,
                owner: vpc.account,
                account,
                subnets,
                placement_groups,
            })
        })
        .collect();
}

/// One cluster placement group per VPC, AZ and domain that runs
/// latency-sensitive services in the VPC's environment.
fn placement_groups(model: &Model) -> Vec<PlacementGroup> {
    let mut groups = Vec::new();
    for vpc in &model.network.vpcs {
        let region = model.region(vpc.region);
        for domain in &model.domains {
            let services: Vec<_> = model
                .services
                .iter()
                .filter(|s| {
                    s.domain == domain.id
                        && s.latency_sensitive
                        && s.environments.contains(&vpc.environment)
                })
                .map(|s| s.id)
                .collect();
            if services.is_empty() {
                continue;
            }
            let shared_with: Vec<AccountId> = model
                .workload_account(domain.id, vpc.environment)
                .map(|a| a.id)
                .into_iter()
                .collect();
            for (az, az_name) in region.azs.iter().enumerate() {
                let letter = az_name.chars().last().unwrap_or('a');
                groups.push(PlacementGroup {
                    name: format!("{}-{}-{letter}", vpc.name, domain.name),
                    vpc: vpc.id,
                    domain: domain.id,
                    az,
                    services: services.clone(),
                    shared_with: shared_with.clone(),
                });
            }
        }
    }
    groups
}
