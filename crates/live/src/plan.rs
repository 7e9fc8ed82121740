//! What would change: the difference between the desired platform and the
//! live one, computed without changing anything.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::desired::{Desired, StackTarget};
use crate::org::{same_policy, OrgState};
use crate::params::{Planned, PlannedParameters, Unresolved};
use crate::stacks::{LiveStack, LiveStackSet, StackStatusKind};

/// One change, in the order it is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum Change {
    CreateOrganization,
    EnableTrustedAccess {
        service: String,
    },
    EnableScps,
    CreateOu {
        path: String,
    },
    CreateAccount {
        name: String,
        email: String,
        ou: String,
    },
    /// An account creation a previous run started; waited for, not repeated.
    AwaitAccount {
        name: String,
    },
    MoveAccount {
        name: String,
        from: String,
        to: String,
    },
    CreateScp {
        name: String,
    },
    UpdateScp {
        name: String,
    },
    AttachScp {
        name: String,
        target: String,
    },
    CreateStack {
        name: String,
        account: String,
        region: String,
    },
    UpdateStack {
        name: String,
        account: String,
        region: String,
    },
    /// A stack a previous run left in progress: waited for.
    AwaitStack {
        name: String,
        account: String,
        region: String,
    },
    CreateStackSet {
        name: String,
    },
    UpdateStackSet {
        name: String,
    },
    AddStackInstances {
        name: String,
        accounts: Vec<String>,
        regions: Vec<String>,
    },
}

impl Change {
    pub fn describe(&self) -> String {
        match self {
            Change::CreateOrganization => "create the organization (all features)".into(),
            Change::EnableTrustedAccess { service } => {
                format!("enable trusted access for `{service}`")
            }
            Change::EnableScps => "enable service control policies on the root".into(),
            Change::CreateOu { path } => format!("create OU `{path}`"),
            Change::CreateAccount { name, email, ou } => {
                format!("create account `{name}` <{email}> in `{ou}`")
            }
            Change::AwaitAccount { name } => {
                format!("wait for account `{name}` (creation in progress)")
            }
            Change::MoveAccount { name, from, to } => {
                format!("move account `{name}` from `{from}` to `{to}`")
            }
            Change::CreateScp { name } => format!("create SCP `{name}`"),
            Change::UpdateScp { name } => format!("update SCP `{name}` (content differs)"),
            Change::AttachScp { name, target } => format!("attach SCP `{name}` to `{target}`"),
            Change::CreateStack {
                name,
                account,
                region,
            } => {
                format!("create stack `{name}` in `{account}` {region}")
            }
            Change::UpdateStack {
                name,
                account,
                region,
            } => {
                format!("update stack `{name}` in `{account}` {region}")
            }
            Change::AwaitStack {
                name,
                account,
                region,
            } => {
                format!("wait for stack `{name}` in `{account}` {region} (in progress)")
            }
            Change::CreateStackSet { name } => format!("create StackSet `{name}`"),
            Change::UpdateStackSet { name } => format!("update StackSet `{name}`"),
            Change::AddStackInstances {
                name,
                accounts,
                regions,
            } => format!(
                "add {} instance(s) of StackSet `{name}`: {} in {}",
                accounts.len() * regions.len(),
                accounts.join(", "),
                regions.join(", ")
            ),
        }
    }

    /// The stack or StackSet the change is to.
    pub fn stack(&self) -> Option<&str> {
        match self {
            Change::CreateStack { name, .. }
            | Change::UpdateStack { name, .. }
            | Change::AwaitStack { name, .. }
            | Change::CreateStackSet { name }
            | Change::UpdateStackSet { name }
            | Change::AddStackInstances { name, .. } => Some(name),
            _ => None,
        }
    }

    /// Groups for display.
    pub fn section(&self) -> &'static str {
        match self {
            Change::CreateOrganization
            | Change::EnableTrustedAccess { .. }
            | Change::EnableScps => "organization",
            Change::CreateOu { .. } => "organizational units",
            Change::CreateAccount { .. }
            | Change::AwaitAccount { .. }
            | Change::MoveAccount { .. } => "accounts",
            Change::CreateScp { .. } | Change::UpdateScp { .. } | Change::AttachScp { .. } => {
                "service control policies"
            }
            _ => "stacks and StackSets",
        }
    }
}

/// Something the plan does not change but the user should know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub message: String,
}

/// A stack parameter read from a stack that is not deployed yet (or does
/// not have the resource or output yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pending {
    pub stack: String,
    pub parameter: String,
    /// The stack whose deploy makes the value known.
    pub after: String,
}

/// The changes a deploy would make.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub notes: Vec<Note>,
    /// Resources left out of the templates, per reason.
    pub left_out: BTreeMap<String, usize>,
    /// Parameters known only once another stack deploys.
    pub pending: Vec<Pending>,
    /// Parameters that cannot be resolved: deploying their stacks would fail.
    pub problems: Vec<Unresolved>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.changes.is_empty() {
            out.push_str("no changes: the live platform matches the spec\n");
        } else {
            let mut section = "";
            let mut detailed: Vec<&str> = Vec::new();
            for change in &self.changes {
                if change.section() != section {
                    section = change.section();
                    let _ = writeln!(out, "{section}:");
                }
                let _ = writeln!(out, "  + {}", change.describe());
                // The stack's pending parameters, under its first change.
                let Some(stack) = change.stack() else {
                    continue;
                };
                if detailed.contains(&stack) {
                    continue;
                }
                detailed.push(stack);
                for p in self.pending.iter().filter(|p| p.stack == stack) {
                    let _ = writeln!(
                        out,
                        "      parameter `{}`: known after `{}` deploys",
                        p.parameter, p.after
                    );
                }
            }
            let _ = writeln!(out, "{} change(s)", self.changes.len());
        }
        for (why, count) in &self.left_out {
            let _ = writeln!(out, "note: {count} resource(s) not deployed: {why}");
        }
        for note in &self.notes {
            let _ = writeln!(out, "note: {}", note.message);
        }
        for problem in &self.problems {
            let _ = writeln!(out, "error: {problem}");
        }
        out
    }
}

/// The organization part of the plan.
pub fn plan_organization(desired: &Desired, live: &OrgState, services: &[String], plan: &mut Plan) {
    if !live.exists {
        plan.changes.push(Change::CreateOrganization);
    }
    for service in services {
        if !live.trusted_services.contains(service) {
            plan.changes.push(Change::EnableTrustedAccess {
                service: service.clone(),
            });
        }
    }
    if !live.scps_enabled && !desired.scps.is_empty() {
        plan.changes.push(Change::EnableScps);
    }
    for ou in &desired.ous {
        if !live.ous.contains_key(&ou.path) {
            plan.changes.push(Change::CreateOu {
                path: ou.path.clone(),
            });
        }
    }
    for account in &desired.accounts {
        match live.account(&account.name) {
            None if live.creating.iter().any(|(_, n)| *n == account.name) => {
                plan.changes.push(Change::AwaitAccount {
                    name: account.name.clone(),
                });
            }
            None => plan.changes.push(Change::CreateAccount {
                name: account.name.clone(),
                email: account.email.clone(),
                ou: account.ou.clone(),
            }),
            Some(a) if a.parent != account.ou => plan.changes.push(Change::MoveAccount {
                name: account.name.clone(),
                from: a.parent.clone(),
                to: account.ou.clone(),
            }),
            Some(_) => {}
        }
    }
    for live_account in &live.accounts {
        if live_account.id != live.management_account_id
            && desired.account(&live_account.name).is_none()
        {
            plan.notes.push(Note {
                message: format!(
                    "account `{}` ({}) is not in the spec; it is left as it is",
                    live_account.name, live_account.id
                ),
            });
        }
    }
    for scp in &desired.scps {
        match live.scp(&scp.name) {
            None => plan.changes.push(Change::CreateScp {
                name: scp.name.clone(),
            }),
            Some(l) if !same_policy(&l.content, &scp.content) => {
                plan.changes.push(Change::UpdateScp {
                    name: scp.name.clone(),
                });
            }
            Some(_) => {}
        }
        for target in &scp.targets {
            let attached = live
                .scp(&scp.name)
                .zip(live.ous.get(target))
                .is_some_and(|(l, id)| l.targets.contains(id));
            if !attached {
                plan.changes.push(Change::AttachScp {
                    name: scp.name.clone(),
                    target: target.clone(),
                });
            }
        }
        if let Some(l) = live.scp(&scp.name) {
            for id in &l.targets {
                let path = live.path_of(id).map(str::to_owned).or_else(|| {
                    live.account_by_id(id)
                        .map(|a| format!("account {}", a.name))
                });
                let path = path.unwrap_or_else(|| id.clone());
                if !scp.targets.contains(&path) {
                    plan.notes.push(Note {
                        message: format!(
                            "SCP `{}` is also attached to `{path}`, which the spec does not ask for; left attached (nothing is removed)",
                            scp.name
                        ),
                    });
                }
            }
        }
    }
}

/// The accounts under an OU path: (name, id when the account exists).
pub type AccountsInOu<'a> = dyn Fn(&str) -> Vec<(String, Option<String>)> + 'a;

/// The stack part of the plan. `stacks` holds the live state of every
/// account-target stack by (name, account, region); `sets` every StackSet by name.
///
/// A stack with a parameter not known yet (or not resolvable) counts as
/// changed: its value will differ from whatever the live stack has.
pub fn plan_stacks(
    desired: &Desired,
    stacks: &BTreeMap<(String, String, String), Option<LiveStack>>,
    sets: &BTreeMap<String, Option<LiveStackSet>>,
    parameters: &PlannedParameters,
    accounts_in_ou: &AccountsInOu<'_>,
    plan: &mut Plan,
) {
    for stack in &desired.stacks {
        let mut values: Vec<(String, String)> = Vec::new();
        let mut known = true;
        match parameters.get(&stack.name) {
            None => {}
            Some(Ok(list)) => {
                for (name, value) in list {
                    match value {
                        Planned::Known(v) => values.push((name.clone(), v.clone())),
                        Planned::KnownAfter(after) => {
                            known = false;
                            plan.pending.push(Pending {
                                stack: stack.name.clone(),
                                parameter: name.clone(),
                                after: after.clone(),
                            });
                        }
                    }
                }
            }
            Some(Err(problems)) => {
                known = false;
                plan.problems.extend(problems.iter().cloned());
            }
        }
        let resolved = &values;
        match &stack.target {
            StackTarget::Account { account, region } => {
                let key = (stack.name.clone(), account.clone(), region.clone());
                let (name, account, region) = key.clone();
                match stacks.get(&key).cloned().flatten() {
                    None => plan.changes.push(Change::CreateStack { name, account, region }),
                    Some(live) => match live.status_kind() {
                        StackStatusKind::InProgress => {
                            plan.changes.push(Change::AwaitStack { name, account, region });
                        }
                        StackStatusKind::Failed => plan.notes.push(Note {
                            message: format!(
                                "stack `{name}` in `{account}` {region} is {}: it cannot be updated; look at its events, delete it and deploy again",
                                live.status
                            ),
                        }),
                        StackStatusKind::Complete => {
                            if !known || !live.matches(&stack.template, resolved) {
                                plan.changes.push(Change::UpdateStack { name, account, region });
                            }
                        }
                    },
                }
            }
            StackTarget::StackSet {
                ous,
                accounts,
                regions,
            } => {
                let live = sets.get(&stack.name).cloned().flatten();
                match &live {
                    None => plan.changes.push(Change::CreateStackSet {
                        name: stack.name.clone(),
                    }),
                    Some(l) if !known || !l.matches(&stack.template, resolved) => {
                        plan.changes.push(Change::UpdateStackSet {
                            name: stack.name.clone(),
                        });
                    }
                    Some(_) => {}
                }
                // (name, id when the account exists)
                let mut wanted: Vec<(String, Option<String>)> = ous
                    .iter()
                    .flat_map(|ou| accounts_in_ou(ou))
                    .filter(|(name, _)| accounts.is_empty() || accounts.contains(name))
                    .collect();
                wanted.sort();
                wanted.dedup();
                let mut missing_accounts = Vec::new();
                let mut missing_regions = Vec::new();
                for (account, id) in &wanted {
                    for region in regions {
                        let present = id.as_ref().is_some_and(|id| {
                            live.as_ref().is_some_and(|l| {
                                l.instances.contains(&(id.clone(), region.clone()))
                            })
                        });
                        if !present {
                            if !missing_accounts.contains(account) {
                                missing_accounts.push(account.clone());
                            }
                            if !missing_regions.contains(region) {
                                missing_regions.push(region.clone());
                            }
                        }
                    }
                }
                if !missing_accounts.is_empty() {
                    plan.changes.push(Change::AddStackInstances {
                        name: stack.name.clone(),
                        accounts: missing_accounts,
                        regions: missing_regions,
                    });
                }
            }
        }
    }
    for l in &desired.left_out {
        *plan.left_out.entry(l.why.clone()).or_default() += 1;
    }
    for adjustment in desired.compat.adjustments() {
        plan.notes.push(Note {
            message: (*adjustment).to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::DesiredStack;
    use crate::emulator::Compat;
    use landfall_graph::Layer;
    use serde_json::json;

    fn desired() -> Desired {
        let stack = |name: &str, wave: usize| DesiredStack {
            name: name.into(),
            layer: Layer::Workloads,
            target: StackTarget::Account {
                account: "payments-dev".into(),
                region: "eu-central-1".into(),
            },
            template: json!({ "Resources": { "Topic": { "Type": "AWS::SNS::Topic" } } }),
            parameters: Vec::new(),
            wave,
            resources: vec![("Topic".into(), "AWS::SNS::Topic".into())],
            depends_on: Vec::new(),
        };
        Desired {
            slug: "t".into(),
            home_region: "eu-central-1".into(),
            regions: vec!["eu-central-1".into()],
            management: "management".into(),
            ous: Vec::new(),
            accounts: Vec::new(),
            scps: Vec::new(),
            stacks: vec![stack("app", 1), stack("other", 1)],
            vpcs: Vec::new(),
            concurrent_account_creations: 1,
            left_out: Vec::new(),
            compat: Compat::Aws,
        }
    }

    fn live(desired: &Desired, name: &str, parameters: &[(&str, &str)]) -> Option<LiveStack> {
        let stack = desired.stacks.iter().find(|s| s.name == name)?;
        Some(LiveStack {
            status: "CREATE_COMPLETE".into(),
            template: Some(stack.template.clone()),
            parameters: parameters
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        })
    }

    fn plan(desired: &Desired, parameters: &PlannedParameters, live_vpc: &str) -> Plan {
        let key = |name: &str| {
            (
                name.to_owned(),
                "payments-dev".to_owned(),
                "eu-central-1".to_owned(),
            )
        };
        let stacks = BTreeMap::from([
            (key("app"), live(desired, "app", &[("VpcId", live_vpc)])),
            (key("other"), live(desired, "other", &[])),
        ]);
        let mut plan = Plan::default();
        plan_stacks(
            desired,
            &stacks,
            &BTreeMap::new(),
            parameters,
            &|_| Vec::new(),
            &mut plan,
        );
        plan
    }

    fn app_vpc(value: Planned) -> PlannedParameters {
        BTreeMap::from([
            ("app".to_owned(), Ok(vec![("VpcId".to_owned(), value)])),
            ("other".to_owned(), Ok(Vec::new())),
        ])
    }

    #[test]
    fn resolved_references_take_part_in_change_detection() {
        let d = desired();
        let same = plan(&d, &app_vpc(Planned::Known("vpc-1".into())), "vpc-1");
        assert!(same.is_empty(), "{}", same.render());
        let differs = plan(&d, &app_vpc(Planned::Known("vpc-2".into())), "vpc-1");
        assert_eq!(
            differs.changes,
            vec![Change::UpdateStack {
                name: "app".into(),
                account: "payments-dev".into(),
                region: "eu-central-1".into(),
            }]
        );
    }

    #[test]
    fn a_value_known_after_another_stack_deploys_is_a_change_and_is_shown() {
        let d = desired();
        let p = plan(&d, &app_vpc(Planned::KnownAfter("net".into())), "vpc-1");
        assert_eq!(p.changes.len(), 1, "{}", p.render());
        assert_eq!(
            p.render(),
            "stacks and StackSets:\n  + update stack `app` in `payments-dev` eu-central-1\n      parameter `VpcId`: known after `net` deploys\n1 change(s)\n"
        );
        assert!(p.problems.is_empty());
    }

    #[test]
    fn an_unresolvable_parameter_is_an_error_in_the_plan() {
        let d = desired();
        let problem = Unresolved {
            stack: "app".into(),
            parameter: "VpcId".into(),
            problem: "stack `net` has no resource `Vpc` in its template".into(),
        };
        let parameters = BTreeMap::from([
            ("app".to_owned(), Err(vec![problem.clone()])),
            ("other".to_owned(), Ok(Vec::new())),
        ]);
        let p = plan(&d, &parameters, "vpc-1");
        assert_eq!(p.problems, vec![problem]);
        assert!(p.render().ends_with(
            "error: parameter `VpcId` of stack `app`: stack `net` has no resource `Vpc` in its template\n"
        ));
    }
}
