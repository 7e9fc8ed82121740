//! Retirements: stacks, StackSets and StackSet instances of the platform
//! that exist live but that the spec no longer has (a domain, service or
//! data store removed, an account left out). A plan lists them; a deploy
//! deletes them only when asked (`--delete-retired`), dependents first:
//! account stacks from the highest deploy wave down (each stack carries the
//! wave it was deployed in as its `landfall:wave` tag), then StackSet
//! instances, then StackSets (the baseline roles the deploy itself uses go
//! last).
//!
//! A retired stack that reads an output of a stack the deploy keeps goes
//! *before* the updates: the update may take away what it reads (an
//! endpoint service whose endpoints still exist cannot be deleted), and
//! CloudFormation would leave that resource behind or fail. Which outputs
//! it read is seen live: its parameter values among the kept stacks'
//! output values (the deploy passes outputs as parameters, so no record of
//! the old graph is needed). One that a kept stack reads goes after them
//! (the update lets go of it first), and so does whatever it reads.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_cloudformation::types::{
    AccountFilterType, DeploymentTargets, StackSetStatus, StackStatus,
};
use serde::Serialize;

use crate::aws::Clients;
use crate::desired::{Desired, StackTarget};
use crate::emulator::Compat;
use crate::error::LiveError;
use crate::org::OrgState;
use crate::progress::TaskHandle;
use crate::protection;
use crate::stacks::{self, TemplateStore, Waits};

/// The tag that records the deploy wave a stack was created or updated in.
pub const WAVE_TAG: &str = "landfall:wave";

/// Something live the spec no longer has.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "retire", rename_all = "kebab-case")]
pub enum Retirement {
    Stack {
        name: String,
        account: String,
        account_id: String,
        region: String,
        /// The wave it was deployed in; `None` when it carries no wave tag.
        wave: Option<usize>,
        /// The stacks the plan keeps whose outputs it reads, when it is
        /// deleted before the updates.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        reads: Vec<String>,
        /// The retired stacks deleted before the updates whose outputs it
        /// reads (so it goes before them).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        goes_with: Vec<String>,
    },
    StackInstances {
        name: String,
        account: String,
        account_id: String,
        regions: Vec<String>,
    },
    StackSet {
        name: String,
    },
}

impl Retirement {
    pub fn describe(&self) -> String {
        match self {
            Retirement::Stack {
                name,
                account,
                region,
                ..
            } => format!("retire stack `{name}` in `{account}` {region}"),
            Retirement::StackInstances {
                name,
                account,
                regions,
                ..
            } => format!(
                "retire the instance(s) of StackSet `{name}` in `{account}` {}",
                regions.join(", ")
            ),
            Retirement::StackSet { name } => {
                format!("retire StackSet `{name}` and all its instances")
            }
        }
    }
}

impl Retirement {
    /// Whether it is deleted before the stack updates of the deploy.
    pub fn before_updates(&self) -> bool {
        matches!(self, Retirement::Stack { reads, goes_with, .. }
            if !reads.is_empty() || !goes_with.is_empty())
    }

    /// The kept stacks whose outputs it reads (what an update may take
    /// away from under it).
    pub fn reads_kept(&self) -> &[String] {
        match self {
            Retirement::Stack { reads, .. } => reads,
            _ => &[],
        }
    }

    /// Why it goes before the updates, for the plan.
    pub fn why_first(&self) -> Option<String> {
        let names = |list: &[String]| {
            list.iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Retirement::Stack { reads, .. } if !reads.is_empty() => Some(format!(
                "before the updates: it reads outputs of {}, which the deploy keeps",
                names(reads)
            )),
            Retirement::Stack { goes_with, .. } if !goes_with.is_empty() => Some(format!(
                "before the updates: it reads outputs of {}, retired before them",
                names(goes_with)
            )),
            _ => None,
        }
    }
}

/// A stack as `DescribeStacks` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSummary {
    pub name: String,
    pub status: String,
    pub wave: Option<usize>,
    /// Its parameters' values.
    pub parameters: Vec<String>,
    /// Its outputs' values.
    pub outputs: Vec<String>,
}

/// Every stack of one account and region that is not deleted.
pub async fn list_stacks(clients: &Clients) -> Result<Vec<StackSummary>, LiveError> {
    let stacks = clients
        .cloudformation()
        .describe_stacks()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| LiveError::api("cloudformation:DescribeStacks", &e))?;
    Ok(stacks
        .iter()
        .filter(|s| s.stack_status() != Some(&StackStatus::DeleteComplete))
        .map(|s| StackSummary {
            name: s.stack_name().unwrap_or_default().to_owned(),
            status: s
                .stack_status()
                .map(|st| st.as_str().to_owned())
                .unwrap_or_default(),
            wave: s
                .tags()
                .iter()
                .find(|t| t.key() == Some(WAVE_TAG))
                .and_then(|t| t.value())
                .and_then(|v| v.parse().ok()),
            parameters: s
                .parameters()
                .iter()
                .filter_map(|p| p.parameter_value().map(str::to_owned))
                .collect(),
            outputs: s
                .outputs()
                .iter()
                .filter_map(|o| o.output_value().map(str::to_owned))
                .collect(),
        })
        .collect())
}

/// The names of the active StackSets the management account administers.
pub async fn list_stack_sets(mgmt: &Clients) -> Result<Vec<String>, LiveError> {
    let sets = mgmt
        .cloudformation()
        .list_stack_sets()
        .status(StackSetStatus::Active)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| LiveError::api("cloudformation:ListStackSets", &e))?;
    let mut names: Vec<String> = sets
        .iter()
        .filter_map(|s| s.stack_set_name().map(str::to_owned))
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// What was read of the platform's stacks.
#[derive(Debug, Clone, Default)]
pub struct LiveStacks {
    /// (account name, account id, region) → the stacks there.
    pub stacks: BTreeMap<(String, String, String), Vec<StackSummary>>,
    /// Active StackSets by name, with their instances (account id, region).
    pub sets: BTreeMap<String, BTreeSet<(String, String)>>,
}

impl LiveStacks {
    /// Whether any stack or StackSet of the platform exists.
    pub fn any_of(&self, slug: &str) -> bool {
        let prefix = format!("{slug}-");
        self.stacks
            .values()
            .flatten()
            .any(|s| s.name.starts_with(&prefix))
            || self.sets.keys().any(|n| n.starts_with(&prefix))
    }
}

/// The retirements: live stacks named with the platform's prefix that the
/// desired state does not place where they are, in deletion order.
pub fn plan_retirements(desired: &Desired, org: &OrgState, live: &LiveStacks) -> Vec<Retirement> {
    let prefix = format!("{}-", desired.slug);
    // Workload stacks are the spec's to retire only when the plan holds the
    // whole workload layer: a platform-only or per-service plan leaves out
    // stacks the spec still has.
    let workloads = landfall_graph::workload_stack_prefix(&desired.slug);
    let in_scope = |name: &str| {
        name.starts_with(&prefix) && (desired.workloads_in_full || !name.starts_with(&workloads))
    };
    let mut wanted: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    let mut sets: BTreeMap<&str, BTreeSet<(String, String)>> = BTreeMap::new();
    for s in &desired.stacks {
        match &s.target {
            StackTarget::Account { account, region } => {
                wanted.insert((s.name.as_str(), account.as_str(), region.as_str()));
            }
            StackTarget::StackSet {
                ous,
                accounts,
                regions,
            } => {
                let instances = desired
                    .stack_set_accounts(ous, accounts)
                    .into_iter()
                    .filter_map(|a| org.account_id(&a.name))
                    .flat_map(|id| regions.iter().map(move |r| (id.to_owned(), r.clone())))
                    .collect();
                sets.insert(s.name.as_str(), instances);
            }
        }
    }
    // Output value → the kept stacks that output it; the kept stacks'
    // parameter values. Short values and account ids (which many stacks
    // output and pass on) say nothing of which stack was read.
    let mut kept_outputs: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut kept_parameters: BTreeSet<&str> = BTreeSet::new();
    for ((account, _, region), list) in &live.stacks {
        for s in list {
            if wanted.contains(&(s.name.as_str(), account.as_str(), region.as_str())) {
                for value in s.outputs.iter().filter(|v| telling(v)) {
                    kept_outputs
                        .entry(value.as_str())
                        .or_default()
                        .insert(s.name.as_str());
                }
                kept_parameters.extend(s.parameters.iter().map(String::as_str));
            }
        }
    }
    let mut stacks = Vec::new();
    let mut retired: Vec<&StackSummary> = Vec::new();
    for ((account, id, region), list) in &live.stacks {
        for s in list {
            if in_scope(&s.name)
                && !wanted.contains(&(s.name.as_str(), account.as_str(), region.as_str()))
            {
                let reads: BTreeSet<&str> = s
                    .parameters
                    .iter()
                    .filter_map(|v| kept_outputs.get(v.as_str()))
                    .flatten()
                    .copied()
                    .collect();
                stacks.push(Retirement::Stack {
                    name: s.name.clone(),
                    account: account.clone(),
                    account_id: id.clone(),
                    region: region.clone(),
                    wave: s.wave,
                    reads: reads.into_iter().map(str::to_owned).collect(),
                    goes_with: Vec::new(),
                });
                retired.push(s);
            }
        }
    }
    order_around_the_updates(&mut stacks, &retired, &kept_parameters);
    // Highest wave first; stacks without a wave tag before all of them.
    stacks.sort_by_key(|r| match r {
        Retirement::Stack {
            wave,
            name,
            account,
            region,
            ..
        } => (
            std::cmp::Reverse(wave.unwrap_or(usize::MAX)),
            name.clone(),
            account.clone(),
            region.clone(),
        ),
        _ => (
            std::cmp::Reverse(0),
            String::new(),
            String::new(),
            String::new(),
        ),
    });
    let mut out = stacks;
    let name_of = |id: &str| {
        org.account_by_id(id)
            .map_or_else(|| id.to_owned(), |a| a.name.clone())
    };
    for (name, instances) in &live.sets {
        let Some(wanted) = sets.get(name.as_str()) else {
            continue;
        };
        let mut extra: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (id, region) in instances {
            if !wanted.contains(&(id.clone(), region.clone())) {
                extra.entry(id.as_str()).or_default().push(region.clone());
            }
        }
        for (id, regions) in extra {
            out.push(Retirement::StackInstances {
                name: name.clone(),
                account: name_of(id),
                account_id: id.to_owned(),
                regions,
            });
        }
    }
    for name in live.sets.keys() {
        if in_scope(name) && !sets.contains_key(name.as_str()) {
            out.push(Retirement::StackSet { name: name.clone() });
        }
    }
    out
}

/// Whether an output value can tell which stack another one read: not
/// short, not an account id.
fn telling(value: &str) -> bool {
    value.len() >= 8 && !(value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()))
}

/// Which retirements go before the updates. Those a kept stack reads go
/// after them (the update lets go of their outputs first), and so does
/// every retired stack one of those reads (dependents are deleted first).
/// Of the others, those reading a kept stack go before, and so does every
/// retired stack reading one that goes before. `stacks` holds only
/// [`Retirement::Stack`]s, each beside its summary.
fn order_around_the_updates(
    stacks: &mut [Retirement],
    summaries: &[&StackSummary],
    kept_parameters: &BTreeSet<&str>,
) {
    let n = summaries.len();
    // reads[i]: the retired stacks whose outputs stack i reads.
    let reads: Vec<Vec<usize>> = summaries
        .iter()
        .map(|s| {
            (0..n)
                .filter(|&j| {
                    s.parameters
                        .iter()
                        .any(|p| telling(p) && summaries[j].outputs.contains(p))
                })
                .collect()
        })
        .collect();
    let mut after: Vec<bool> = summaries
        .iter()
        .map(|s| {
            s.outputs
                .iter()
                .any(|o| telling(o) && kept_parameters.contains(o.as_str()))
        })
        .collect();
    // After flows to what an "after" stack reads.
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..n {
            if after[i] {
                for &j in &reads[i] {
                    if !after[j] {
                        after[j] = true;
                        changed = true;
                    }
                }
            }
        }
    }
    for (i, r) in stacks.iter_mut().enumerate() {
        if let Retirement::Stack { reads, .. } = r {
            if after[i] {
                reads.clear();
            }
        }
    }
    // Before flows to the stacks that read a "before" one.
    let mut changed = true;
    while changed {
        changed = false;
        let first: Vec<bool> = stacks.iter().map(Retirement::before_updates).collect();
        let names: Vec<String> = stacks
            .iter()
            .map(|r| match r {
                Retirement::Stack { name, .. } => name.clone(),
                _ => String::new(),
            })
            .collect();
        for (i, r) in stacks.iter_mut().enumerate() {
            if after[i] || first[i] {
                continue;
            }
            if let Retirement::Stack { goes_with, .. } = r {
                for &j in reads[i].iter().filter(|&&j| first[j]) {
                    goes_with.push(names[j].clone());
                    changed = true;
                }
            }
        }
    }
}

/// Service-managed StackSets reach accounts through OUs: the OUs that hold
/// `account_ids`, narrowed to exactly those accounts.
pub fn instance_targets(org: &OrgState, account_ids: &[String]) -> DeploymentTargets {
    let mut ous: Vec<String> = Vec::new();
    for id in account_ids {
        let parent = org
            .account_by_id(id)
            .and_then(|a| org.ous.get(&a.parent))
            .cloned()
            .unwrap_or_else(|| org.root_id.clone());
        if !ous.contains(&parent) {
            ous.push(parent);
        }
    }
    DeploymentTargets::builder()
        .set_organizational_unit_ids(Some(ous))
        .set_accounts(Some(account_ids.to_vec()))
        .account_filter_type(AccountFilterType::Intersection)
        .build()
}

/// Deletes one stack and waits until it is gone; the deletion protection
/// of its load balancers is turned off first ([`crate::protection`]).
/// Returns what was done before the deletion.
pub async fn delete_stack(
    clients: &Clients,
    name: &str,
    store: Option<&TemplateStore>,
    waits: Waits,
    task: &TaskHandle,
) -> Result<Vec<String>, LiveError> {
    let mut before = Vec::new();
    // Load balancers a deletion would fail on, when the stack can still be
    // updated to let them go (a stack whose creation rolled back holds
    // none; one in `DELETE_FAILED` can only be deleted again).
    let mut stuck = Vec::new();
    if let Some(live) = stacks::read_stack(clients, name).await? {
        let protected = live
            .template
            .as_ref()
            .map(protection::protected_load_balancers)
            .unwrap_or_default();
        if !protected.is_empty() && stacks::updatable(&live.status) {
            before = stacks::lift_protection(clients, name, &live, &protected, store, waits, task)
                .await?;
        } else if live.status == "DELETE_FAILED" {
            stuck = protected;
        }
    }
    clients
        .cloudformation()
        .delete_stack()
        .stack_name(name)
        .client_request_token(stacks::request_token("retire", name))
        .send()
        .await
        .map_err(|e| LiveError::api(format!("cloudformation:DeleteStack `{name}`"), &e))?;
    let status = stacks::wait_stack(clients, name, waits, task).await?;
    if status == "DELETE_COMPLETE" {
        return Ok(before);
    }
    let mut reasons = stacks::failure_events(clients, name, None).await;
    if !stuck.is_empty() {
        reasons.push(format!(
            "a stack in DELETE_FAILED cannot be updated, so the deletion protection of its load balancer(s) {} was not turned off: turn it off (`aws elbv2 modify-load-balancer-attributes --attributes Key=deletion_protection.enabled,Value=false`) and deploy again",
            stuck.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    Err(LiveError::Api {
        operation: format!("cloudformation:DeleteStack `{name}`"),
        message: format!("the stack is {status}: {}", reasons.join("; ")),
    })
}

/// Deletes a StackSet's instances in `account_ids` × `regions`.
#[allow(clippy::too_many_arguments)]
pub async fn delete_instances(
    mgmt: &Clients,
    org: &OrgState,
    name: &str,
    account_ids: &[String],
    regions: &[String],
    compat: Compat,
    waits: Waits,
    task: &TaskHandle,
) -> Result<(), LiveError> {
    stacks::wait_running_operations(mgmt, name, waits, task).await?;
    let request = mgmt
        .cloudformation()
        .delete_stack_instances()
        .stack_set_name(name);
    // moto reads only the self-managed `Accounts` list (AWS refuses it for
    // service-managed StackSets, which take deployment targets).
    let request = match compat {
        Compat::Aws => request.deployment_targets(instance_targets(org, account_ids)),
        Compat::Moto => request.set_accounts(Some(account_ids.to_vec())),
    };
    let out = request
        .set_regions(Some(regions.to_vec()))
        .operation_preferences(stacks::operation_preferences())
        .retain_stacks(false)
        .send()
        .await
        .map_err(|e| LiveError::api(format!("cloudformation:DeleteStackInstances `{name}`"), &e))?;
    if let Some(op) = out.operation_id() {
        stacks::wait_operation(mgmt, name, op, waits, task).await?;
    }
    Ok(())
}

/// Deletes every instance of a StackSet, then the StackSet.
pub async fn delete_stack_set(
    mgmt: &Clients,
    org: &OrgState,
    name: &str,
    compat: Compat,
    waits: Waits,
    task: &TaskHandle,
) -> Result<(), LiveError> {
    let instances = stacks::stack_set_instances(mgmt, name).await?;
    let mut accounts: Vec<String> = instances.iter().map(|i| i.0.clone()).collect();
    let mut regions: Vec<String> = instances.iter().map(|i| i.1.clone()).collect();
    accounts.sort();
    accounts.dedup();
    regions.sort();
    regions.dedup();
    if !accounts.is_empty() {
        delete_instances(mgmt, org, name, &accounts, &regions, compat, waits, task).await?;
    }
    mgmt.cloudformation()
        .delete_stack_set()
        .stack_set_name(name)
        .send()
        .await
        .map_err(|e| LiveError::api(format!("cloudformation:DeleteStackSet `{name}`"), &e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::DesiredStack;
    use crate::org::LiveAccount;
    use landfall_graph::Layer;

    fn desired() -> Desired {
        let stack = |name: &str, target: StackTarget| DesiredStack {
            name: name.into(),
            layer: Layer::Network,
            target,
            template: serde_json::json!({}),
            parameters: Vec::new(),
            wave: 0,
            resources: Vec::new(),
            depends_on: Vec::new(),
            service_role: None,
            inputs: Vec::new(),
            capacity: Vec::new(),
        };
        Desired {
            slug: "emuco".into(),
            home_region: "eu-central-1".into(),
            regions: vec!["eu-central-1".into()],
            management: "management".into(),
            ous: Vec::new(),
            accounts: vec![crate::desired::DesiredAccount {
                name: "payments-dev".into(),
                email: "p@x.example".into(),
                ou: "Root/Workloads".into(),
                environment: None,
            }],
            scps: Vec::new(),
            stacks: vec![
                stack(
                    "emuco-network",
                    StackTarget::Account {
                        account: "network".into(),
                        region: "eu-central-1".into(),
                    },
                ),
                stack(
                    "emuco-baseline",
                    StackTarget::StackSet {
                        ous: vec!["Root/Workloads".into()],
                        accounts: Vec::new(),
                        regions: vec!["eu-central-1".into()],
                    },
                ),
            ],
            vpcs: Vec::new(),
            concurrent_account_creations: 5,
            accounts_quota: 10,
            template_inline_max_bytes: 51_200,
            left_out: Vec::new(),
            compat: Compat::Aws,
            identity: Default::default(),
            workloads_in_full: false,
        }
    }

    fn summary(name: &str, wave: Option<usize>) -> StackSummary {
        StackSummary {
            name: name.into(),
            status: "CREATE_COMPLETE".into(),
            wave,
            parameters: Vec::new(),
            outputs: Vec::new(),
        }
    }

    #[test]
    fn live_stacks_the_spec_no_longer_has_retire_dependents_first() {
        let d = desired();
        let account = |name: &str, id: &str| LiveAccount {
            id: id.into(),
            name: name.into(),
            email: format!("{name}@x.example"),
            active: true,
            parent: "Root/Workloads".into(),
        };
        let org = OrgState {
            accounts: vec![account("payments-dev", "111"), account("risk-dev", "222")],
            ..OrgState::default()
        };
        let key = |a: &str, id: &str| (a.to_owned(), id.to_owned(), "eu-central-1".to_owned());
        let live = LiveStacks {
            stacks: BTreeMap::from([
                (
                    key("network", "333"),
                    vec![
                        summary("emuco-network", Some(3)),
                        summary("emuco-risk-shared", Some(3)),
                        // Not the platform's: never retired.
                        summary("someone-else", None),
                    ],
                ),
                (
                    key("risk-dev", "222"),
                    vec![
                        summary("emuco-risk-dev-svc", Some(5)),
                        summary("emuco-old", None),
                    ],
                ),
            ]),
            sets: BTreeMap::from([
                (
                    "emuco-baseline".to_owned(),
                    BTreeSet::from([
                        ("111".to_owned(), "eu-central-1".to_owned()),
                        ("222".to_owned(), "eu-central-1".to_owned()),
                    ]),
                ),
                ("emuco-gone".to_owned(), BTreeSet::new()),
                ("other-set".to_owned(), BTreeSet::new()),
            ]),
        };
        let described: Vec<String> = plan_retirements(&d, &org, &live)
            .iter()
            .map(Retirement::describe)
            .collect();
        assert_eq!(
            described,
            vec![
                "retire stack `emuco-old` in `risk-dev` eu-central-1",
                "retire stack `emuco-risk-dev-svc` in `risk-dev` eu-central-1",
                "retire stack `emuco-risk-shared` in `network` eu-central-1",
                "retire the instance(s) of StackSet `emuco-baseline` in `risk-dev` eu-central-1",
                "retire StackSet `emuco-gone` and all its instances",
            ]
        );
        assert!(live.any_of("emuco") && !live.any_of("nothing"));
    }

    /// `landfall deploy --delete-retired` without `--workloads` (or with
    /// `--service`) once deleted every workload stack the plan did not
    /// hold: services and data stores the spec still has.
    #[test]
    fn a_plan_without_the_whole_workload_layer_retires_no_workload_stack() {
        let mut d = desired();
        let org = OrgState {
            accounts: vec![LiveAccount {
                id: "111".into(),
                name: "payments-dev".into(),
                email: "p@x.example".into(),
                active: true,
                parent: "Root/Workloads".into(),
            }],
            ..OrgState::default()
        };
        let live = LiveStacks {
            stacks: BTreeMap::from([(
                (
                    "payments-dev".to_owned(),
                    "111".to_owned(),
                    "eu-central-1".to_owned(),
                ),
                vec![
                    summary("emuco-workloads-payments-dev", Some(6)),
                    summary("emuco-workloads-payments-dev-service-api", Some(7)),
                    summary("emuco-old", Some(2)),
                ],
            )]),
            sets: BTreeMap::new(),
        };
        let retired = |d: &Desired| -> Vec<String> {
            plan_retirements(d, &org, &live)
                .iter()
                .map(Retirement::describe)
                .collect()
        };
        assert_eq!(
            retired(&d),
            vec!["retire stack `emuco-old` in `payments-dev` eu-central-1"]
        );
        // The whole workload layer planned, and these stacks not in it: the
        // spec no longer has them.
        d.workloads_in_full = true;
        assert_eq!(
            retired(&d),
            vec![
                "retire stack `emuco-workloads-payments-dev-service-api` in `payments-dev` eu-central-1",
                "retire stack `emuco-workloads-payments-dev` in `payments-dev` eu-central-1",
                "retire stack `emuco-old` in `payments-dev` eu-central-1",
            ]
        );
    }

    /// Taking the remediation service's endpoint service away: the alerting
    /// stack's update deletes it, which fails while the VPCs' endpoints
    /// (the link stacks, retired) exist
    /// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpcEndpointServiceConfigurations.html:
    /// "you must first reject any VPC endpoint connections"). The link
    /// stacks read the alerting stack's output, so they go before the
    /// updates, and so does a retired stack that reads one of them; a
    /// retired stack reading nothing kept goes after, and so does one a
    /// kept stack still reads (a security group the update stops using:
    /// deleting it first would fail while it is in use). An account id
    /// passed on, which many stacks output, is no sign of reading.
    #[test]
    fn retired_stacks_reading_a_kept_stacks_outputs_go_before_the_updates() {
        let d = desired();
        let org = OrgState {
            accounts: vec![LiveAccount {
                id: "111".into(),
                name: "payments-dev".into(),
                email: "p@x.example".into(),
                active: true,
                parent: "Root/Workloads".into(),
            }],
            ..OrgState::default()
        };
        let with = |name: &str, wave: usize, parameters: &[&str], outputs: &[&str]| StackSummary {
            parameters: parameters.iter().map(|p| (*p).to_owned()).collect(),
            outputs: outputs.iter().map(|o| (*o).to_owned()).collect(),
            ..summary(name, Some(wave))
        };
        let live = LiveStacks {
            stacks: BTreeMap::from([
                (
                    (
                        "network".to_owned(),
                        "333".to_owned(),
                        "eu-central-1".to_owned(),
                    ),
                    vec![with(
                        "emuco-network",
                        3,
                        &["sg-0123456789abcdef"],
                        &[
                            "com.amazonaws.vpce.eu-central-1.vpce-svc-0abc",
                            "111111111111",
                        ],
                    )],
                ),
                (
                    (
                        "payments-dev".to_owned(),
                        "111".to_owned(),
                        "eu-central-1".to_owned(),
                    ),
                    vec![
                        with(
                            "emuco-remediation-link-payments-dev",
                            7,
                            &["com.amazonaws.vpce.eu-central-1.vpce-svc-0abc", "vpc-1"],
                            &["vpce-0123456789"],
                        ),
                        with("emuco-link-user", 8, &["vpce-0123456789"], &[]),
                        with("emuco-old", 2, &["111111111111"], &[]),
                        // Reads the kept network stack, but the network
                        // stack still reads its group.
                        with(
                            "emuco-group",
                            4,
                            &["com.amazonaws.vpce.eu-central-1.vpce-svc-0abc"],
                            &["sg-0123456789abcdef"],
                        ),
                    ],
                ),
            ]),
            sets: BTreeMap::new(),
        };
        let retired = plan_retirements(&d, &org, &live);
        let first: Vec<(String, Option<String>)> = retired
            .iter()
            .filter(|r| r.before_updates())
            .map(|r| (r.describe(), r.why_first()))
            .collect();
        assert_eq!(
            first,
            vec![
                (
                    "retire stack `emuco-link-user` in `payments-dev` eu-central-1".to_owned(),
                    Some(
                        "before the updates: it reads outputs of `emuco-remediation-link-payments-dev`, retired before them"
                            .to_owned()
                    )
                ),
                (
                    "retire stack `emuco-remediation-link-payments-dev` in `payments-dev` eu-central-1"
                        .to_owned(),
                    Some(
                        "before the updates: it reads outputs of `emuco-network`, which the deploy keeps"
                            .to_owned()
                    )
                ),
            ]
        );
        for after in ["emuco-old", "emuco-group"] {
            assert!(
                retired
                    .iter()
                    .any(|r| r.describe().contains(&format!("`{after}`")) && !r.before_updates()),
                "{after}"
            );
        }
    }
}
