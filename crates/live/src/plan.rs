//! What would change: the difference between the desired platform and the
//! live one, computed without changing anything.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::desired::{Desired, StackTarget};
use crate::org::{same_policy, OrgState};
use crate::params::{Planned, PlannedParameters, Unresolved};
use crate::retire::Retirement;
use crate::stacks::{manual_advice, recovery, LiveStack, LiveStackSet, Recovery, StackStatusKind};

/// One change, in the order it is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum Change {
    CreateOrganization,
    EnableTrustedAccess {
        service: String,
    },
    EnableScps,
    /// `ram:EnableSharingWithAwsOrganization`.
    EnableRamSharing,
    /// `organizations:RegisterDelegatedAdministrator`.
    RegisterDelegatedAdministrator {
        service: String,
        account: String,
    },
    /// `guardduty:EnableOrganizationAdminAccount`, in each region.
    EnableGuardDutyAdmin {
        account: String,
        regions: Vec<String>,
    },
    /// `guardduty:UpdateOrganizationConfiguration` from the administrator
    /// `account` in `region`: every member account, existing and new.
    AutoEnableGuardDuty {
        account: String,
        region: String,
        features: Vec<String>,
    },
    /// `securityhub:EnableOrganizationAdminAccount`, in each region.
    EnableSecurityHubAdmin {
        account: String,
        regions: Vec<String>,
    },
    /// `inspector2:EnableDelegatedAdminAccount`, in each region.
    EnableInspectorAdmin {
        account: String,
        regions: Vec<String>,
    },
    /// From the Amazon Inspector administrator `account` in `region`:
    /// `inspector2:UpdateOrganizationConfiguration` when `auto_enable`
    /// (accounts that join later), then `AssociateMember` and `Enable` of
    /// `resource_types` for the accounts named in `members`, which
    /// auto-enable does not reach.
    EnableInspector {
        account: String,
        region: String,
        resource_types: Vec<String>,
        auto_enable: bool,
        members: Vec<String>,
    },
    /// `ce:UpdateCostAllocationTagsStatus` of the keys AWS lists but has
    /// not activated.
    ActivateCostAllocationTags {
        tag_keys: Vec<String>,
    },
    /// `cloudformation:ActivateOrganizationsAccess`: service-managed
    /// StackSets cannot be created or updated without it.
    ActivateStackSetsAccess,
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
            Change::EnableRamSharing => {
                "enable RAM sharing with the organization (shares need no invitation)".into()
            }
            Change::RegisterDelegatedAdministrator { service, account } => {
                format!("register `{account}` as delegated administrator for `{service}`")
            }
            Change::EnableGuardDutyAdmin { account, regions } => format!(
                "make `{account}` the GuardDuty administrator of the organization in {}",
                regions.join(", ")
            ),
            Change::AutoEnableGuardDuty {
                account, region, ..
            } => format!("turn GuardDuty on for every member account from `{account}` in {region}"),
            Change::EnableSecurityHubAdmin { account, regions } => format!(
                "make `{account}` the Security Hub administrator of the organization in {}",
                regions.join(", ")
            ),
            Change::EnableInspectorAdmin { account, regions } => format!(
                "make `{account}` the Amazon Inspector administrator of the organization in {}",
                regions.join(", ")
            ),
            Change::EnableInspector {
                account,
                region,
                resource_types,
                auto_enable,
                members,
            } => {
                let mut parts = Vec::new();
                if *auto_enable {
                    parts.push("every account that joins".to_owned());
                }
                if !members.is_empty() {
                    parts.push(format!(
                        "{} existing account(s): {}",
                        members.len(),
                        members.join(", ")
                    ));
                }
                format!(
                    "turn Amazon Inspector ({}) on for {} from `{account}` in {region}",
                    resource_types.join(", "),
                    parts.join(" and ")
                )
            }
            Change::ActivateCostAllocationTags { tag_keys } => format!(
                "activate cost allocation tags {}",
                tag_keys
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Change::ActivateStackSetsAccess => {
                "activate organizations access for CloudFormation StackSets".into()
            }
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
            | Change::EnableScps
            | Change::EnableRamSharing
            | Change::RegisterDelegatedAdministrator { .. }
            | Change::EnableGuardDutyAdmin { .. }
            | Change::AutoEnableGuardDuty { .. }
            | Change::EnableSecurityHubAdmin { .. }
            | Change::EnableInspectorAdmin { .. }
            | Change::EnableInspector { .. }
            | Change::ActivateCostAllocationTags { .. }
            | Change::ActivateStackSetsAccess => "organization",
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
    /// Why the deploy must not start at all (a missing lockfile, planned
    /// addresses live ones hold): nothing is applied while there is one.
    pub blockers: Vec<String>,
    /// What is live but no longer in the spec, in deletion order; deleted
    /// only when the deploy is asked to.
    pub retirements: Vec<Retirement>,
    /// What the deploy does to `landfall.lock` before anything else.
    pub lockfile: Option<LockfileAction>,
    /// Stacks that cannot deploy yet (an image not pushed), with why: the
    /// deploy leaves them and what depends on them, and does the rest.
    pub held: BTreeMap<String, String>,
}

/// A write of `landfall.lock` the deploy makes before it applies anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockfileAction {
    pub path: String,
    /// Allocations written that the lockfile did not have (all of them
    /// when there was no lockfile).
    pub allocations: usize,
    /// Whether the file is new.
    pub create: bool,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Whether the deploy may start.
    pub fn blocked(&self) -> bool {
        !self.blockers.is_empty()
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Some(lock) = &self.lockfile {
            let _ = writeln!(
                out,
                "lockfile:\n  + {} `{}` ({} allocation(s) recorded before anything is created)",
                if lock.create { "write" } else { "update" },
                lock.path,
                lock.allocations
            );
        }
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
        if !self.retirements.is_empty() {
            let _ = writeln!(
                out,
                "retirements (live, no longer in the spec; deleted only with --delete-retired, in this order):"
            );
            for r in &self.retirements {
                match r.why_first() {
                    Some(why) => {
                        let _ = writeln!(out, "  - {} ({why})", r.describe());
                    }
                    None => {
                        let _ = writeln!(out, "  - {}", r.describe());
                    }
                }
            }
            let _ = writeln!(out, "{} retirement(s)", self.retirements.len());
        }
        for (why, count) in &self.left_out {
            let _ = writeln!(out, "note: {count} resource(s) not deployed: {why}");
        }
        for note in &self.notes {
            let _ = writeln!(out, "note: {}", note.message);
        }
        for (stack, why) in &self.held {
            let _ = writeln!(
                out,
                "error: stack `{stack}` cannot deploy yet (the deploy leaves it and what depends on it): {why}"
            );
        }
        for problem in &self.problems {
            let _ = writeln!(out, "error: {problem}");
        }
        for blocker in &self.blockers {
            let _ = writeln!(out, "error: {blocker}");
        }
        if self.blocked() {
            let _ = writeln!(
                out,
                "error: the deploy refuses to start: {} problem(s) above",
                self.blockers.len()
            );
        }
        out
    }
}

/// The Service Quotas code of the accounts-per-organization quota
/// (Organizations, requested in us-east-1).
/// <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html>
pub const ACCOUNTS_QUOTA_CODE: &str = "L-E619E033";

/// The organization's account count after the plan, against its quota:
/// above the spec's stated quota the deploy refuses (accounts would be
/// created until `CreateAccount` fails, leaving the platform half made);
/// above AWS's default it says which quota must have been raised.
fn plan_account_quota(desired: &Desired, live: &OrgState, plan: &mut Plan) {
    let creations = desired
        .accounts
        .iter()
        .filter(|a| live.account(&a.name).is_none())
        .filter(|a| !live.creating.iter().any(|(_, n)| *n == a.name))
        .count();
    if creations == 0 {
        return;
    }
    // The management account counts; an organization not created yet has it too.
    let existing = live.accounts.len().max(1) + live.creating.len();
    let total = existing + creations;
    let default =
        usize::try_from(landfall_model::limits::Limits::default().accounts_per_organization)
            .unwrap_or(usize::MAX);
    if total > desired.accounts_quota {
        plan.blockers.push(format!(
            "the organization would hold {total} accounts ({existing} now, {creations} to create), more than its quota of {}: request an increase of Service Quotas code `{ACCOUNTS_QUOTA_CODE}` (AWS Organizations, us-east-1), then set `limits: accounts_per_organization` in the spec to the granted quota",
            desired.accounts_quota
        ));
    } else if total > default {
        plan.notes.push(Note {
            message: format!(
                "the organization will hold {total} accounts, above AWS's default quota of {default}: the spec says its quota is {}; if Service Quotas code `{ACCOUNTS_QUOTA_CODE}` (AWS Organizations, us-east-1) was not raised to that, account creation fails partway",
                desired.accounts_quota
            ),
        });
    }
    if creations > desired.concurrent_account_creations {
        plan.notes.push(Note {
            message: format!(
                "{creations} accounts are created at most {} at a time (Organizations' limit on concurrent account creation)",
                desired.concurrent_account_creations
            ),
        });
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
    plan_account_quota(desired, live, plan);
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

/// What the organization actions find live.
#[derive(Debug, Clone, Default)]
pub struct LiveActions {
    /// (service principal, account id) of every delegated administrator.
    pub delegated: std::collections::BTreeSet<(String, String)>,
    /// Region → the GuardDuty organization administrator's account id.
    pub guardduty_admins: BTreeMap<String, String>,
    /// Regions where GuardDuty is on for every member account
    /// (`AutoEnableOrganizationMembers: ALL`).
    pub guardduty_auto_enabled: std::collections::BTreeSet<String>,
    /// Region → the Security Hub organization administrator's account id.
    pub securityhub_admins: BTreeMap<String, String>,
    /// Whether StackSets' organizations access is active; `None` when it
    /// could not be read.
    pub stacksets_access: Option<bool>,
    /// Region → the Amazon Inspector delegated administrator's account id.
    pub inspector_admins: BTreeMap<String, String>,
    /// Region → what Amazon Inspector's administrator there reports;
    /// absent where there is no administrator yet.
    pub inspector: BTreeMap<String, InspectorLive>,
    /// The platform's tag keys AWS lists as cost allocation tags, with
    /// whether each is active (a key not seen on a resource yet is
    /// absent); `None` when they could not be read.
    pub cost_tags: Option<BTreeMap<String, bool>>,
}

/// Amazon Inspector in one region, as its delegated administrator sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InspectorLive {
    /// Resource types (`EC2`, `ECR`, `LAMBDA`, …) that accounts joining
    /// the organization get.
    pub auto_enabled: BTreeSet<String>,
    /// Account ids associated with the administrator.
    pub members: BTreeSet<String>,
    /// Account id → the resource types scanned there (`ENABLED` or
    /// `ENABLING`).
    pub scanning: BTreeMap<String, BTreeSet<String>>,
}

/// The service principal RAM's organization sharing enables.
pub const RAM_SERVICE: &str = "ram.amazonaws.com";

/// The changes of the graph's organization actions (trusted access is
/// planned by [`plan_organization`]). Every action is matched by name so a
/// new kind of action cannot be left unplanned.
pub fn plan_actions(
    desired: &Desired,
    actions: &[landfall_graph::OrganizationAction],
    org: &OrgState,
    live: &LiveActions,
    plan: &mut Plan,
) {
    use landfall_graph::OrganizationAction as A;
    if desired.compat.needs_stacksets_activation() && live.stacksets_access != Some(true) {
        plan.changes.push(Change::ActivateStackSetsAccess);
    }
    let id_of = |account: &str| {
        if account == desired.management {
            Some(org.management_account_id.clone())
        } else {
            org.account_id(account).map(str::to_owned)
        }
    };
    for action in actions {
        match action {
            A::EnableTrustedAccess { .. } => {}
            A::EnableRamSharingWithOrganization => {
                if !org.trusted_services.contains(RAM_SERVICE) {
                    plan.changes.push(Change::EnableRamSharing);
                }
            }
            A::RegisterDelegatedAdministrator {
                service_principal,
                account,
            } => {
                let registered = id_of(account)
                    .is_some_and(|id| live.delegated.contains(&(service_principal.clone(), id)));
                if !desired.compat.supports_delegated_admin(service_principal) {
                    plan.notes.push(Note {
                        message: format!(
                            "`{account}` is not registered as delegated administrator for `{service_principal}`: the emulator does not know the service"
                        ),
                    });
                } else if !registered {
                    plan.changes.push(Change::RegisterDelegatedAdministrator {
                        service: service_principal.clone(),
                        account: account.clone(),
                    });
                }
            }
            A::EnableGuardDutyAdmin { account } => {
                let id = id_of(account);
                let regions: Vec<String> = desired
                    .regions
                    .iter()
                    .filter(|r| id.is_none() || live.guardduty_admins.get(*r) != id.as_ref())
                    .cloned()
                    .collect();
                if !regions.is_empty() {
                    plan.changes.push(Change::EnableGuardDutyAdmin {
                        account: account.clone(),
                        regions,
                    });
                }
            }
            A::EnableGuardDutyAdminInRegion { account, region } => {
                let id = id_of(account);
                if id.is_none() || live.guardduty_admins.get(region) != id.as_ref() {
                    add_region(plan, account, region, |account, regions| {
                        Change::EnableGuardDutyAdmin { account, regions }
                    });
                }
            }
            A::AutoEnableGuardDuty {
                account,
                region,
                features,
            } => {
                if !desired
                    .compat
                    .supports_guardduty_organization_configuration()
                {
                    plan.notes.push(Note {
                        message: format!(
                            "GuardDuty is not turned on for every member account from `{account}` in {region}: the emulator has no organization configuration"
                        ),
                    });
                } else if !live.guardduty_auto_enabled.contains(region) {
                    plan.changes.push(Change::AutoEnableGuardDuty {
                        account: account.clone(),
                        region: region.clone(),
                        features: features.clone(),
                    });
                }
            }
            A::EnableInspectorAdminInRegion { account, region } => {
                let id = id_of(account);
                if id.is_none() || live.inspector_admins.get(region) != id.as_ref() {
                    add_region(plan, account, region, |account, regions| {
                        Change::EnableInspectorAdmin { account, regions }
                    });
                }
            }
            A::AutoEnableInspector {
                account,
                region,
                resource_types,
            } => {
                let empty = InspectorLive::default();
                let state = live.inspector.get(region).unwrap_or(&empty);
                let admin = id_of(account);
                let covers = |types: Option<&BTreeSet<String>>| {
                    types.is_some_and(|t| resource_types.iter().all(|r| t.contains(r)))
                };
                let auto_enable = !covers(Some(&state.auto_enabled));
                // Every account of the organization, those this deploy
                // creates included: auto-enable reaches only accounts that
                // join after it is set, and the deploy may set it after
                // creating them.
                let members: Vec<String> = inspector_accounts(desired, org)
                    .into_iter()
                    .filter(|name| match id_of(name) {
                        None => true,
                        Some(id) => {
                            (Some(&id) != admin.as_ref() && !state.members.contains(&id))
                                || !covers(state.scanning.get(&id))
                        }
                    })
                    .collect();
                if auto_enable || !members.is_empty() {
                    plan.changes.push(Change::EnableInspector {
                        account: account.clone(),
                        region: region.clone(),
                        resource_types: resource_types.clone(),
                        auto_enable,
                        members,
                    });
                }
            }
            A::ActivateCostAllocationTags { tag_keys } => {
                if !desired.compat.supports_cost_allocation_tags() {
                    plan.notes.push(Note {
                        message: "cost allocation tags are not activated: the emulator has no Cost Explorer tags".into(),
                    });
                    continue;
                }
                // Unreadable: the read said why, and nothing is planned.
                let Some(listed) = &live.cost_tags else {
                    continue;
                };
                let inactive: Vec<String> = tag_keys
                    .iter()
                    .filter(|k| listed.get(*k) == Some(&false))
                    .cloned()
                    .collect();
                let unseen: Vec<&str> = tag_keys
                    .iter()
                    .filter(|k| !listed.contains_key(*k))
                    .map(String::as_str)
                    .collect();
                if !inactive.is_empty() {
                    plan.changes
                        .push(Change::ActivateCostAllocationTags { tag_keys: inactive });
                }
                if !unseen.is_empty() {
                    plan.notes.push(Note {
                        message: format!(
                            "cost allocation tag(s) {} cannot be activated yet: AWS lists a tag key only once it has seen it on a resource, up to 24 hours after the first is tagged; a later `landfall deploy` activates them",
                            unseen.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                        ),
                    });
                }
            }
            A::EnableSecurityHubAdminInRegion { account, region } => {
                let id = id_of(account);
                if !desired.compat.supports_securityhub_organization_admin() {
                    plan.notes.push(Note {
                        message: format!(
                            "`{account}` is not made the Security Hub administrator in {region}: the emulator cannot list Security Hub's administrators"
                        ),
                    });
                } else if id.is_none() || live.securityhub_admins.get(region) != id.as_ref() {
                    add_region(plan, account, region, |account, regions| {
                        Change::EnableSecurityHubAdmin { account, regions }
                    });
                }
            }
        }
    }
}

/// The accounts Amazon Inspector scans: the management account, every
/// account the spec declares and any other the organization holds, by name.
fn inspector_accounts(desired: &Desired, org: &OrgState) -> Vec<String> {
    let mut names = BTreeSet::new();
    names.insert(desired.management.clone());
    names.extend(desired.accounts.iter().map(|a| a.name.clone()));
    names.extend(
        org.accounts
            .iter()
            .filter(|a| a.active && a.id != org.management_account_id)
            .map(|a| a.name.clone()),
    );
    names.into_iter().collect()
}

/// Adds `region` to the per-region change of `account` made by `make`,
/// creating it the first time: one change per administrator, as the
/// organization-wide form has.
fn add_region(
    plan: &mut Plan,
    account: &str,
    region: &str,
    make: fn(String, Vec<String>) -> Change,
) {
    let probe = make(account.to_owned(), Vec::new());
    for change in &mut plan.changes {
        match (change, &probe) {
            (
                Change::EnableGuardDutyAdmin {
                    account: a,
                    regions,
                },
                Change::EnableGuardDutyAdmin { .. },
            )
            | (
                Change::EnableSecurityHubAdmin {
                    account: a,
                    regions,
                },
                Change::EnableSecurityHubAdmin { .. },
            )
            | (
                Change::EnableInspectorAdmin {
                    account: a,
                    regions,
                },
                Change::EnableInspectorAdmin { .. },
            ) if a == account => {
                if !regions.iter().any(|r| r == region) {
                    regions.push(region.to_owned());
                }
                return;
            }
            _ => {}
        }
    }
    plan.changes
        .push(make(account.to_owned(), vec![region.to_owned()]));
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
                        StackStatusKind::Failed => match recovery(&live.status) {
                            Some(Recovery::Recreate) => {
                                plan.notes.push(Note {
                                    message: format!(
                                        "stack `{name}` in `{account}` {region} is {}: it holds no resources; the deploy deletes it and creates it again",
                                        live.status
                                    ),
                                });
                                plan.changes.push(Change::CreateStack { name, account, region });
                            }
                            Some(Recovery::ContinueRollback) => {
                                plan.notes.push(Note {
                                    message: format!(
                                        "stack `{name}` in `{account}` {region} is {}: the deploy continues its rollback, then updates it",
                                        live.status
                                    ),
                                });
                                plan.changes.push(Change::UpdateStack { name, account, region });
                            }
                            Some(Recovery::Manual) | None => plan.notes.push(Note {
                                message: format!(
                                    "stack `{name}` in `{account}` {region} is {} and is left alone: {}",
                                    live.status,
                                    manual_advice(&live.status)
                                ),
                            }),
                        },
                        StackStatusKind::Complete => {
                            if !known
                                || !live.matches(&stack.template, resolved)
                                || !live.runs_as(stack.service_role.as_deref(), desired.compat)
                            {
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
            service_role: None,
            inputs: Vec::new(),
            capacity: Vec::new(),
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
            accounts_quota: 10,
            template_inline_max_bytes: 51_200,
            left_out: Vec::new(),
            compat: Compat::Aws,
            identity: Default::default(),
            workloads_in_full: false,
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
            role_arn: None,
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

    /// A stack created before it ran as the CloudFormation service role is
    /// updated so it does: CloudFormation then acts as the role, not as the
    /// deployer's session, which ends after an hour
    /// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html).
    #[test]
    fn a_stack_not_yet_running_as_its_service_role_is_updated() {
        let mut d = desired();
        for s in &mut d.stacks {
            if s.name == "app" {
                s.service_role = Some("landfall/landfall-cloudformation".into());
            }
        }
        let p = plan(&d, &app_vpc(Planned::Known("vpc-1".into())), "vpc-1");
        assert_eq!(
            p.changes,
            vec![Change::UpdateStack {
                name: "app".into(),
                account: "payments-dev".into(),
                region: "eu-central-1".into(),
            }],
            "{}",
            p.render()
        );
        let mut live = live(&d, "app", &[("VpcId", "vpc-1")]).unwrap();
        assert!(!live.runs_as(Some("landfall/landfall-cloudformation"), Compat::Aws));
        live.role_arn =
            Some("arn:aws:iam::111111111111:role/landfall/landfall-cloudformation".into());
        assert!(live.runs_as(Some("landfall/landfall-cloudformation"), Compat::Aws));
        assert!(live.runs_as(None, Compat::Aws));
    }

    #[test]
    fn held_stacks_are_errors_of_the_plan_that_say_why() {
        let d = desired();
        let mut p = plan(&d, &app_vpc(Planned::Known("vpc-2".into())), "vpc-1");
        p.held.insert(
            "app".into(),
            "image `trading/app:v1` is not in the registry of `shared` in eu-central-1: push it (the service's pipeline does), then deploy again".into(),
        );
        assert!(
            p.render().contains("error: stack `app` cannot deploy yet (the deploy leaves it and what depends on it): image `trading/app:v1` is not in the registry"),
            "{}",
            p.render()
        );
        // Not a blocker: the rest of the plan deploys.
        assert!(!p.blocked());
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

    fn with_status(status: &str) -> Plan {
        let d = desired();
        let key = |name: &str| {
            (
                name.to_owned(),
                "payments-dev".to_owned(),
                "eu-central-1".to_owned(),
            )
        };
        let mut app = live(&d, "app", &[]);
        if let Some(a) = app.as_mut() {
            a.status = status.into();
        }
        let stacks = BTreeMap::from([(key("app"), app), (key("other"), live(&d, "other", &[]))]);
        let parameters = BTreeMap::from([
            ("app".to_owned(), Ok(Vec::new())),
            ("other".to_owned(), Ok(Vec::new())),
        ]);
        let mut plan = Plan::default();
        plan_stacks(
            &d,
            &stacks,
            &BTreeMap::new(),
            &parameters,
            &|_| Vec::new(),
            &mut plan,
        );
        plan
    }

    // Stack states and what gets a stack out of each:
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html
    #[test]
    fn each_failed_state_gets_its_own_recovery() {
        let app = || {
            (
                "app".to_owned(),
                "payments-dev".to_owned(),
                "eu-central-1".to_owned(),
            )
        };
        let (name, account, region) = app();
        for status in ["ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS"] {
            let p = with_status(status);
            assert_eq!(
                p.changes,
                vec![Change::CreateStack {
                    name: name.clone(),
                    account: account.clone(),
                    region: region.clone()
                }],
                "{status}"
            );
            assert!(
                p.render().contains("deletes it and creates it again"),
                "{}",
                p.render()
            );
        }
        let p = with_status("UPDATE_ROLLBACK_FAILED");
        assert_eq!(
            p.changes,
            vec![Change::UpdateStack {
                name,
                account,
                region
            }]
        );
        assert!(p.render().contains("continues its rollback"));
        let p = with_status("DELETE_FAILED");
        assert!(p.changes.is_empty());
        assert!(p.render().contains("--retain-resources"), "{}", p.render());
        assert_eq!(
            crate::stacks::status_kind("REVIEW_IN_PROGRESS"),
            StackStatusKind::Failed,
            "a change set never executed is not waited on"
        );
    }

    fn org_with(accounts: usize) -> OrgState {
        OrgState {
            exists: true,
            management_account_id: "000000000000".into(),
            accounts: (0..accounts)
                .map(|i| crate::org::LiveAccount {
                    id: format!("{i:012}"),
                    name: format!("a{i}"),
                    email: format!("a{i}@x.example"),
                    active: true,
                    parent: "Root".into(),
                })
                .collect(),
            ..OrgState::default()
        }
    }

    fn with_accounts(d: &mut Desired, n: usize) {
        d.accounts = (0..n)
            .map(|i| crate::desired::DesiredAccount {
                name: format!("new{i}"),
                email: format!("new{i}@x.example"),
                ou: "Root".into(),
                environment: None,
            })
            .collect();
    }

    // Default quota of 10 accounts and 5 concurrent creations:
    // https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
    #[test]
    fn accounts_beyond_the_quota_block_the_plan_and_name_the_quota_code() {
        let mut d = desired();
        with_accounts(&mut d, 39);
        let mut p = Plan::default();
        plan_organization(&d, &org_with(1), &[], &mut p);
        assert_eq!(p.blockers.len(), 1, "{}", p.render());
        assert!(p.blockers[0].contains("40 accounts"), "{}", p.blockers[0]);
        assert!(p.blockers[0].contains("`L-E619E033`"));
        assert!(p.render().contains("at most 1 at a time"), "{}", p.render());

        d.accounts_quota = 50;
        let mut p = Plan::default();
        plan_organization(&d, &org_with(1), &[], &mut p);
        assert!(p.blockers.is_empty());
        assert!(
            p.render().contains("above AWS's default quota of 10"),
            "{}",
            p.render()
        );

        with_accounts(&mut d, 3);
        let mut p = Plan::default();
        plan_organization(&d, &org_with(1), &[], &mut p);
        assert!(p.blockers.is_empty() && p.notes.iter().all(|n| !n.message.contains("quota")));
    }

    #[test]
    fn every_organization_action_is_planned_until_it_is_live() {
        use landfall_graph::OrganizationAction as A;
        let mut d = desired();
        d.regions = vec!["eu-central-1".into(), "eu-west-1".into()];
        let mut org = org_with(2);
        let actions = vec![
            A::EnableTrustedAccess {
                service_principal: "config.amazonaws.com".into(),
            },
            A::EnableRamSharingWithOrganization,
            A::RegisterDelegatedAdministrator {
                service_principal: "config.amazonaws.com".into(),
                account: "a1".into(),
            },
            A::EnableGuardDutyAdmin {
                account: "a1".into(),
            },
        ];
        // Before the administrator's account exists, everything is planned.
        let mut p = Plan::default();
        plan_actions(
            &d,
            &actions,
            &OrgState::default(),
            &LiveActions::default(),
            &mut p,
        );
        assert_eq!(p.changes.len(), 4, "{}", p.render());
        let mut p = Plan::default();
        plan_actions(&d, &actions, &org, &LiveActions::default(), &mut p);
        assert_eq!(
            p.changes,
            vec![
                Change::ActivateStackSetsAccess,
                Change::EnableRamSharing,
                Change::RegisterDelegatedAdministrator {
                    service: "config.amazonaws.com".into(),
                    account: "a1".into()
                },
                Change::EnableGuardDutyAdmin {
                    account: "a1".into(),
                    regions: vec!["eu-central-1".into(), "eu-west-1".into()]
                },
            ]
        );
        org.trusted_services.insert(RAM_SERVICE.into());
        let live = LiveActions {
            delegated: [("config.amazonaws.com".to_owned(), "000000000001".to_owned())].into(),
            guardduty_admins: [("eu-central-1".to_owned(), "000000000001".to_owned())].into(),
            stacksets_access: Some(true),
            ..LiveActions::default()
        };
        let mut p = Plan::default();
        plan_actions(&d, &actions, &org, &live, &mut p);
        assert_eq!(
            p.changes,
            vec![Change::EnableGuardDutyAdmin {
                account: "a1".into(),
                regions: vec!["eu-west-1".into()]
            }]
        );
    }

    #[test]
    fn per_region_security_administrators_and_auto_enable_are_planned_until_live() {
        // GuardDuty's and Security Hub's administrators are per region
        // (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_organizations.html,
        // https://docs.aws.amazon.com/securityhub/latest/userguide/designate-orgs-admin-account.html),
        // and GuardDuty reaches every member only with the organization
        // configuration set from the administrator
        // (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_UpdateOrganizationConfiguration.html).
        use landfall_graph::OrganizationAction as A;
        let mut d = desired();
        d.regions = vec!["eu-central-1".into(), "eu-west-1".into()];
        let org = org_with(2);
        let mut actions = Vec::new();
        for region in ["eu-central-1", "eu-west-1"] {
            actions.push(A::EnableGuardDutyAdminInRegion {
                account: "a1".into(),
                region: region.into(),
            });
            actions.push(A::AutoEnableGuardDuty {
                account: "a1".into(),
                region: region.into(),
                features: vec!["S3_DATA_EVENTS".into()],
            });
        }
        actions.push(A::EnableSecurityHubAdminInRegion {
            account: "a1".into(),
            region: "eu-west-1".into(),
        });
        let live = LiveActions {
            stacksets_access: Some(true),
            ..LiveActions::default()
        };
        let mut p = Plan::default();
        plan_actions(&d, &actions, &org, &live, &mut p);
        let auto = |region: &str| Change::AutoEnableGuardDuty {
            account: "a1".into(),
            region: region.into(),
            features: vec!["S3_DATA_EVENTS".into()],
        };
        assert_eq!(
            p.changes,
            vec![
                Change::EnableGuardDutyAdmin {
                    account: "a1".into(),
                    regions: vec!["eu-central-1".into(), "eu-west-1".into()]
                },
                auto("eu-central-1"),
                auto("eu-west-1"),
                Change::EnableSecurityHubAdmin {
                    account: "a1".into(),
                    regions: vec!["eu-west-1".into()]
                },
            ]
        );
        // What is live is not planned again.
        let live = LiveActions {
            stacksets_access: Some(true),
            guardduty_admins: [
                ("eu-central-1".to_owned(), "000000000001".to_owned()),
                ("eu-west-1".to_owned(), "000000000001".to_owned()),
            ]
            .into(),
            guardduty_auto_enabled: ["eu-central-1".to_owned()].into(),
            securityhub_admins: [("eu-west-1".to_owned(), "000000000001".to_owned())].into(),
            ..LiveActions::default()
        };
        let mut p = Plan::default();
        plan_actions(&d, &actions, &org, &live, &mut p);
        assert_eq!(p.changes, vec![auto("eu-west-1")]);
    }

    #[test]
    fn inspector_is_planned_for_every_account_until_each_scans() {
        // Inspector's administrator is per region and has no CloudFormation
        // resource; auto-enable reaches only accounts that join later, so
        // the accounts that exist are associated and enabled one by one
        // (https://docs.aws.amazon.com/inspector/latest/user/designating-admin.html,
        // https://docs.aws.amazon.com/inspector/latest/user/managing-multiple-accounts.html).
        use landfall_graph::OrganizationAction as A;
        let mut d = desired();
        with_accounts(&mut d, 1);
        let org = org_with(3);
        let types: Vec<String> = ["EC2", "ECR", "LAMBDA"].map(String::from).to_vec();
        let actions = vec![
            A::EnableInspectorAdminInRegion {
                account: "a1".into(),
                region: "eu-central-1".into(),
            },
            A::AutoEnableInspector {
                account: "a1".into(),
                region: "eu-central-1".into(),
                resource_types: types.clone(),
            },
        ];
        let base = LiveActions {
            stacksets_access: Some(true),
            ..LiveActions::default()
        };
        let mut p = Plan::default();
        plan_actions(&d, &actions, &org, &base, &mut p);
        let enable = |auto_enable: bool, members: &[&str]| Change::EnableInspector {
            account: "a1".into(),
            region: "eu-central-1".into(),
            resource_types: types.clone(),
            auto_enable,
            members: members.iter().map(|m| m.to_string()).collect(),
        };
        assert_eq!(
            p.changes,
            vec![
                Change::EnableInspectorAdmin {
                    account: "a1".into(),
                    regions: vec!["eu-central-1".into()]
                },
                // `new0` does not exist yet: the deploy creates it first.
                enable(true, &["a1", "a2", "management", "new0"]),
            ]
        );
        assert!(
            p.render().contains("turn Amazon Inspector (EC2, ECR, LAMBDA) on for every account that joins and 4 existing account(s)"),
            "{}",
            p.render()
        );

        // Half live: the administrator, auto-enable, and `a2` associated
        // but not scanning Lambda; the management account scans but is
        // not associated.
        let all: BTreeSet<String> = types.iter().cloned().collect();
        let mut some = all.clone();
        some.remove("LAMBDA");
        let mut live = base.clone();
        live.inspector_admins
            .insert("eu-central-1".into(), "000000000001".into());
        live.inspector.insert(
            "eu-central-1".into(),
            InspectorLive {
                auto_enabled: all.clone(),
                members: ["000000000002".to_owned()].into(),
                scanning: [
                    ("000000000000".to_owned(), all.clone()),
                    ("000000000001".to_owned(), all.clone()),
                    ("000000000002".to_owned(), some),
                ]
                .into(),
            },
        );
        let mut p = Plan::default();
        plan_actions(&d, &actions, &org, &live, &mut p);
        assert_eq!(
            p.changes,
            vec![enable(false, &["a2", "management", "new0"])]
        );

        // All live, and no account to create: nothing to do. The
        // administrator need not be its own member; the management account
        // and `a2` must be.
        d.accounts.clear();
        let state = live.inspector.get_mut("eu-central-1").unwrap();
        state.scanning.insert("000000000002".into(), all.clone());
        let mut p = Plan::default();
        plan_actions(&d, &actions, &org, &live, &mut p);
        assert_eq!(p.changes, vec![enable(false, &["management"])]);
        let state = live.inspector.get_mut("eu-central-1").unwrap();
        state.members.insert("000000000000".into());
        let mut p = Plan::default();
        plan_actions(&d, &actions, &org, &live, &mut p);
        assert!(p.changes.is_empty(), "{}", p.render());
    }

    #[test]
    fn cost_allocation_tags_are_activated_once_aws_lists_them() {
        // A user-defined tag key can be activated only once AWS has seen it
        // on a resource, up to 24 hours after the first one is tagged
        // (https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/activating-tags.html).
        use landfall_graph::OrganizationAction as A;
        let mut d = desired();
        d.compat = crate::Compat::Aws;
        let keys: Vec<String> = [
            "landfall:domain",
            "landfall:environment",
            "landfall:service",
        ]
        .map(String::from)
        .to_vec();
        let actions = vec![A::ActivateCostAllocationTags {
            tag_keys: keys.clone(),
        }];
        let org = org_with(1);
        let live = |listed: Option<&[(&str, bool)]>| LiveActions {
            stacksets_access: Some(true),
            cost_tags: listed.map(|l| l.iter().map(|(k, a)| (k.to_string(), *a)).collect()),
            ..LiveActions::default()
        };
        let plan_for = |d: &Desired, l: &LiveActions| {
            let mut p = Plan::default();
            plan_actions(d, &actions, &org, l, &mut p);
            p
        };
        // One active, one seen but inactive, one not seen yet.
        let p = plan_for(
            &d,
            &live(Some(&[
                ("landfall:domain", true),
                ("landfall:environment", false),
            ])),
        );
        assert_eq!(
            p.changes,
            vec![Change::ActivateCostAllocationTags {
                tag_keys: vec!["landfall:environment".into()]
            }]
        );
        assert!(
            p.notes.iter().any(|n| n
                .message
                .contains("`landfall:service` cannot be activated yet")),
            "{}",
            p.render()
        );
        // All active: nothing to do, nothing to say.
        let all: Vec<(&str, bool)> = keys.iter().map(|k| (k.as_str(), true)).collect();
        let p = plan_for(&d, &live(Some(&all)));
        assert!(p.changes.is_empty() && p.notes.is_empty(), "{}", p.render());
        // Unreadable: nothing planned (the read reported why).
        let p = plan_for(&d, &live(None));
        assert!(p.changes.is_empty() && p.notes.is_empty(), "{}", p.render());
        // The emulator has no Cost Explorer tags: said, not planned.
        d.compat = crate::Compat::Moto;
        let p = plan_for(&d, &live(Some(&[])));
        assert!(p.changes.is_empty());
        assert!(
            p.render().contains("emulator has no Cost Explorer tags"),
            "{}",
            p.render()
        );
    }
}
