//! Plan and deploy: read the live platform, say what would change, apply it.
//!
//! Every step finds what exists by name before creating anything, so a
//! deploy that was interrupted converges when it is run again: accounts by
//! name (and creations still in progress), OUs by path, SCPs by name, stacks
//! and StackSets by name.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_organizations::types::{CreateAccountState, OrganizationFeatureSet, PolicyType};
use landfall_graph::ParameterValue;
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::addresses;
use crate::aws::{Clients, Roles, Session, AUDIT_ROLES, DEPLOY_ROLES};
use crate::desired::{Desired, DesiredStack, StackTarget};
use crate::error::{code_of, sdk_message, LiveError};
use crate::journal::Journal;
use crate::lockfile::{LockStatus, LockfileUse};
use crate::org::{self, OrgState};
use crate::params::{self, Facts, PlannedParameters, Read, StackFacts, Unresolved};
use crate::plan::{
    plan_actions, plan_organization, plan_stacks, Change, LiveActions, LockfileAction, Plan,
};
use crate::preflight;
use crate::progress::Progress;
use crate::retire::{self, LiveStacks, Retirement};
use crate::schedule::{self, Job};
use crate::stacks::{self, LiveStack, LiveStackSet, StackOutcome, TemplateStore, Waits};
use crate::Platform;

/// The service principal StackSets need trusted access for.
pub const STACKSETS_SERVICE: &str = "member.org.stacksets.cloudformation.amazonaws.com";

/// Stacks deployed at once, unless asked otherwise.
pub const STACK_CONCURRENCY: usize = 4;

/// Everything a plan or deploy needs.
#[derive(Clone)]
pub struct Engine {
    pub session: Session,
    pub desired: Arc<Desired>,
    pub waits: Waits,
    pub progress: Progress,
    /// Services given trusted access (the graph's organization actions).
    pub trusted_services: Vec<String>,
    /// The graph's organization actions.
    pub organization_actions: Vec<landfall_graph::OrganizationAction>,
    /// The lockfile beside the spec (see [`crate::lockfile`]); `None` for
    /// the built-in reference platform.
    pub lockfile: Option<Arc<LockfileUse>>,
    /// Whether the deploy deletes the plan's retirements.
    pub delete_retired: bool,
    /// Stacks deployed (and retired) at once.
    pub stack_concurrency: usize,
    /// Where the deploy records what it applies, as it happens.
    pub journal: Option<Arc<Journal>>,
    /// The role [`Engine::plan`] reads member accounts as: the deploy role,
    /// or the audit role for a read-only plan ([`Engine::read_only`]).
    pub read_roles: Roles,
}

/// The live state a plan was computed from.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub org: OrgState,
    pub stacks: BTreeMap<(String, String, String), Option<LiveStack>>,
    pub sets: BTreeMap<String, Option<LiveStackSet>>,
    /// Every stack's parameters as far as they were known.
    pub parameters: PlannedParameters,
    /// Accounts that could not be entered to read their stacks.
    pub unreachable: Vec<String>,
}

/// What a deploy did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeployReport {
    /// Changes applied (as described in the plan).
    pub applied: Vec<String>,
    pub stacks: Vec<StackOutcome>,
    pub failures: Vec<String>,
    /// Retirements left in place (no `--delete-retired`).
    pub kept: Vec<String>,
    pub seconds: f64,
    pub api_calls: u64,
    /// The plan's changes, so the summary counts in the plan's terms: (what
    /// it said, the stack or StackSet it is about).
    pub planned: Vec<(String, Option<String>)>,
    /// Where each change is recorded as it happens.
    #[serde(skip)]
    pub journal: Option<Arc<Journal>>,
}

impl DeployReport {
    fn apply(&mut self, change: String) {
        if let Some(j) = &self.journal {
            j.record("applied", serde_json::Value::String(change.clone()));
        }
        self.applied.push(change);
    }

    fn fail(&mut self, failure: String) {
        if let Some(j) = &self.journal {
            j.record("failed", serde_json::Value::String(failure.clone()));
        }
        self.failures.push(failure);
    }

    pub fn ok(&self) -> bool {
        self.failures.is_empty() && self.stacks.iter().all(|s| s.ok)
    }

    /// How many of the plan's changes were carried out: an organization
    /// change when it was applied as planned, a stack or StackSet change
    /// when its stack (every instance of it) was created or updated.
    pub fn planned_done(&self) -> usize {
        self.planned
            .iter()
            .filter(|(said, stack)| match stack {
                Some(name) => {
                    let mine: Vec<&StackOutcome> =
                        self.stacks.iter().filter(|o| &o.stack == name).collect();
                    !mine.is_empty() && mine.iter().all(|o| o.ok)
                }
                None => self.applied.contains(said),
            })
            .count()
    }

    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let failed: Vec<&StackOutcome> = self.stacks.iter().filter(|s| !s.ok).collect();
        for s in &failed {
            let _ = writeln!(
                out,
                "failed: stack `{}` in `{}` {}: {}",
                s.stack, s.account, s.region, s.status
            );
            for r in &s.reasons {
                let _ = writeln!(out, "    {r}");
            }
        }
        for f in &self.failures {
            let _ = writeln!(out, "failed: {f}");
        }
        let count = |action: &str| {
            self.stacks
                .iter()
                .filter(|s| s.ok && s.action == action)
                .count()
        };
        for k in &self.kept {
            let _ = writeln!(out, "kept: {k} (pass --delete-retired to delete it)");
        }
        // Counted in the plan's terms, so the two numbers can be compared;
        // the operations behind them (StackSet instances, the lockfile,
        // retirements) are the stack counts after it.
        let _ = writeln!(
            out,
            "deploy {}: {} of {} planned change(s) applied; stacks: {} created, {} updated, {} unchanged, {} failed; {:.1}s, {} API calls",
            if self.ok() { "finished" } else { "failed" },
            self.planned_done(),
            self.planned.len(),
            count("created"),
            count("updated") + count("instances added") + count("resumed"),
            count("unchanged"),
            failed.len(),
            self.seconds,
            self.api_calls
        );
        out
    }
}

/// Runs `f` over `items` with at most `limit` at once; results in input order.
pub async fn bounded<T, R, F, Fut>(limit: usize, items: Vec<T>, f: F) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = R> + Send + 'static,
{
    let semaphore = Arc::new(Semaphore::new(limit.max(1)));
    let mut set = JoinSet::new();
    for (i, item) in items.into_iter().enumerate() {
        let fut = f(item);
        let semaphore = semaphore.clone();
        set.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            (i, fut.await)
        });
    }
    let mut results: Vec<(usize, R)> = Vec::new();
    while let Some(joined) = set.join_next().await {
        if let Ok(r) = joined {
            results.push(r);
        }
    }
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

impl Engine {
    /// An engine for `platform` with the default settings: retirements
    /// kept, [`STACK_CONCURRENCY`] stacks at once.
    pub fn new(session: Session, platform: &Platform, waits: Waits, progress: Progress) -> Engine {
        Engine {
            session,
            desired: Arc::new(platform.desired.clone()),
            waits,
            progress,
            trusted_services: platform.trusted_services.clone(),
            organization_actions: platform.organization_actions.clone(),
            lockfile: platform.lockfile.clone().map(Arc::new),
            delete_retired: false,
            stack_concurrency: STACK_CONCURRENCY,
            journal: None,
            read_roles: DEPLOY_ROLES,
        }
    }

    /// The plan reads member accounts as the baseline's read-only audit
    /// role instead of the deploy role: what a plan may do where it must
    /// not be able to write (the platform repository's pull requests). An
    /// account the audit role cannot be entered (the baseline not there
    /// yet) is a note, as for any plan; such an engine refuses to deploy.
    pub fn read_only(mut self) -> Engine {
        self.read_roles = AUDIT_ROLES;
        self
    }

    /// Every stack in every live member account and allowed region, and
    /// every active StackSet with its instances; accounts that cannot be
    /// entered are returned as notes.
    async fn read_platform_stacks(
        &self,
        mgmt: &Clients,
        org: &OrgState,
    ) -> (LiveStacks, Vec<String>) {
        let mut live = LiveStacks::default();
        let mut unreadable = Vec::new();
        if !org.exists {
            return (live, unreadable);
        }
        let mut reads = Vec::new();
        for account in org.accounts.iter().filter(|a| a.active) {
            if account.id == org.management_account_id {
                continue;
            }
            for region in &self.desired.regions {
                reads.push((account.name.clone(), account.id.clone(), region.clone()));
            }
        }
        let task = self.progress.start(
            format!("listing stacks in {} account-region(s)", reads.len()),
            "IN_PROGRESS",
        );
        let roles = self.read_roles;
        let session = self.session.clone();
        let m = mgmt.clone();
        let results = bounded(8, reads, move |(name, id, region)| {
            let session = session.clone();
            let m = m.clone();
            async move {
                let r = match session.member(&m, &id, &region, &roles).await {
                    Ok(c) => retire::list_stacks(&c).await,
                    Err(e) => Err(e),
                };
                (name, id, region, r)
            }
        })
        .await;
        for (name, id, region, r) in results {
            match r {
                Ok(list) => {
                    live.stacks.insert((name, id, region), list);
                }
                Err(e) => unreadable.push(format!(
                    "cannot list the stacks in `{name}` {region} (retirements there are not known): {e}"
                )),
            }
        }
        match retire::list_stack_sets(mgmt).await {
            Ok(names) => {
                for name in names {
                    match stacks::stack_set_instances(mgmt, &name).await {
                        Ok(instances) => {
                            live.sets.insert(
                                name,
                                instances.into_iter().map(|(a, r, _, _)| (a, r)).collect(),
                            );
                        }
                        Err(e) => unreadable.push(format!(
                            "cannot list the instances of StackSet `{name}`: {e}"
                        )),
                    }
                }
            }
            Err(e) => unreadable.push(format!(
                "cannot list the StackSets (retired StackSets are not known): {e}"
            )),
        }
        task.finish("done");
        (live, unreadable)
    }

    /// The live side of the organization actions; what cannot be read is
    /// returned as notes (and planned as a change).
    async fn read_actions(&self, mgmt: &Clients, org: &OrgState) -> (LiveActions, Vec<String>) {
        use landfall_graph::OrganizationAction as A;
        let mut live = LiveActions::default();
        let mut notes = Vec::new();
        let organizations = mgmt.organizations();
        let mut services: Vec<&str> = Vec::new();
        let mut guardduty = false;
        let mut securityhub: Vec<&str> = Vec::new();
        let mut auto_enable: Vec<(&str, &str)> = Vec::new();
        let mut inspector: Vec<(&str, &str)> = Vec::new();
        let mut cost_tags: Vec<String> = Vec::new();
        for action in &self.organization_actions {
            match action {
                A::RegisterDelegatedAdministrator {
                    service_principal, ..
                } => {
                    if !services.contains(&service_principal.as_str()) {
                        services.push(service_principal);
                    }
                }
                A::EnableGuardDutyAdmin { .. } | A::EnableGuardDutyAdminInRegion { .. } => {
                    guardduty = true
                }
                A::AutoEnableGuardDuty {
                    account, region, ..
                } => auto_enable.push((account.as_str(), region.as_str())),
                A::EnableSecurityHubAdminInRegion { region, .. } => {
                    securityhub.push(region.as_str())
                }
                A::AutoEnableInspector {
                    account, region, ..
                } => inspector.push((account.as_str(), region.as_str())),
                A::ActivateCostAllocationTags { tag_keys } => {
                    cost_tags.extend(tag_keys.iter().cloned())
                }
                A::EnableTrustedAccess { .. }
                | A::EnableRamSharingWithOrganization
                | A::EnableInspectorAdminInRegion { .. } => {}
            }
        }
        if !self
            .desired
            .compat
            .supports_guardduty_organization_configuration()
        {
            auto_enable.clear();
        }
        if !self
            .desired
            .compat
            .supports_securityhub_organization_admin()
        {
            securityhub.clear();
        }
        for region in securityhub {
            match mgmt
                .in_region(region)
                .securityhub()
                .list_organization_admin_accounts()
                .into_paginator()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
            {
                Ok(pages) => {
                    let enabled = pages
                        .iter()
                        .flat_map(|p| p.admin_accounts())
                        .find(|a| a.status().is_some_and(|s| s.as_str() == "ENABLED"));
                    if let Some(id) = enabled.and_then(|a| a.account_id()) {
                        live.securityhub_admins
                            .insert(region.to_owned(), id.to_owned());
                    }
                }
                Err(e) => notes.push(format!(
                    "cannot read the Security Hub administrator in {region}: {}",
                    sdk_message(&e)
                )),
            }
        }
        for (account, region) in auto_enable {
            // Read from the administrator itself: only it sees its
            // organization configuration. Before it exists there is
            // nothing to read, and the change is planned.
            let Some(id) = self.account_id(org, account) else {
                continue;
            };
            let Ok(admin) = self
                .session
                .member(mgmt, &id, region, &self.read_roles)
                .await
            else {
                continue;
            };
            let guardduty = admin.guardduty();
            let detector = match guardduty.list_detectors().send().await {
                Ok(out) => out.detector_ids().first().cloned(),
                Err(e) => {
                    notes.push(format!(
                        "cannot read GuardDuty's detector of `{account}` in {region}: {}",
                        sdk_message(&e)
                    ));
                    None
                }
            };
            let Some(detector) = detector else { continue };
            match guardduty
                .describe_organization_configuration()
                .detector_id(&detector)
                .send()
                .await
            {
                Ok(out) => {
                    if out
                        .auto_enable_organization_members()
                        .is_some_and(|m| m.as_str() == "ALL")
                    {
                        live.guardduty_auto_enabled.insert(region.to_owned());
                    }
                }
                Err(e) => notes.push(format!(
                    "cannot read GuardDuty's organization configuration in {region}: {}",
                    sdk_message(&e)
                )),
            }
        }
        if !cost_tags.is_empty() && self.desired.compat.supports_cost_allocation_tags() {
            let ce = mgmt.in_region(crate::cost_tags::REGION).costexplorer();
            match crate::cost_tags::read(&ce, &cost_tags).await {
                Ok(listed) => live.cost_tags = Some(listed),
                Err(e) => notes.push(format!("cannot read the cost allocation tags: {e}")),
            }
        }
        for (account, region) in inspector {
            self.read_inspector(mgmt, org, account, region, &mut live, &mut notes)
                .await;
        }
        for service in services {
            if !self.desired.compat.supports_delegated_admin(service) {
                continue;
            }
            match organizations
                .list_delegated_administrators()
                .service_principal(service)
                .into_paginator()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
            {
                Ok(pages) => {
                    for a in pages.iter().flat_map(|p| p.delegated_administrators()) {
                        if let Some(id) = a.id() {
                            live.delegated.insert((service.to_owned(), id.to_owned()));
                        }
                    }
                }
                Err(e) => notes.push(format!(
                    "cannot read the delegated administrators of `{service}`: {}",
                    sdk_message(&e)
                )),
            }
        }
        if guardduty {
            for region in &self.desired.regions {
                match mgmt
                    .in_region(region)
                    .guardduty()
                    .list_organization_admin_accounts()
                    .into_paginator()
                    .send()
                    .collect::<Result<Vec<_>, _>>()
                    .await
                {
                    Ok(pages) => {
                        let enabled = pages
                            .iter()
                            .flat_map(|p| p.admin_accounts())
                            .find(|a| a.admin_status().is_some_and(|s| s.as_str() == "ENABLED"));
                        if let Some(id) = enabled.and_then(|a| a.admin_account_id()) {
                            live.guardduty_admins.insert(region.clone(), id.to_owned());
                        }
                    }
                    Err(e) => notes.push(format!(
                        "cannot read the GuardDuty administrator in {region}: {}",
                        sdk_message(&e)
                    )),
                }
            }
        }
        if !self.desired.compat.needs_stacksets_activation() {
            return (live, notes);
        }
        match mgmt
            .cloudformation()
            .describe_organizations_access()
            .send()
            .await
        {
            Ok(out) => {
                live.stacksets_access = Some(out.status().is_some_and(|s| s.as_str() == "ENABLED"));
            }
            Err(e) => notes.push(format!(
                "cannot read StackSets' organizations access (the deploy activates it): {}",
                sdk_message(&e)
            )),
        }
        (live, notes)
    }

    /// What the deploy does with `landfall.lock`; a blocker when the
    /// platform is live and the lockfile is missing.
    fn plan_lockfile(&self, live: &LiveStacks, plan: &mut Plan) {
        let Some(lock) = &self.lockfile else {
            return;
        };
        let path = lock.path.display().to_string();
        match lock.status() {
            LockStatus::Current => {}
            LockStatus::Missing if live.any_of(&self.desired.slug) => plan.blockers.push(format!(
                "`{path}` is missing, but the platform is deployed: a fresh address plan can give the addresses of live VPCs and subnets to others; restore the lockfile the platform was deployed with (from version control) and run again"
            )),
            LockStatus::Missing => {
                plan.lockfile = Some(LockfileAction {
                    path,
                    allocations: lock.planned.vpcs.len() + lock.planned.subnets.len(),
                    create: true,
                });
            }
            LockStatus::Adds(names) => {
                plan.lockfile = Some(LockfileAction {
                    path,
                    allocations: names.len(),
                    create: false,
                });
            }
        }
    }

    /// Compares every planned VPC and subnet with the live ones of its
    /// account and region; conflicts are blockers.
    async fn check_addresses(&self, mgmt: &Clients, org: &OrgState, plan: &mut Plan) {
        let mut places: BTreeMap<(String, String), Vec<&crate::desired::DesiredVpc>> =
            BTreeMap::new();
        for vpc in &self.desired.vpcs {
            places
                .entry((vpc.account.clone(), vpc.region.clone()))
                .or_default()
                .push(vpc);
        }
        for ((account, region), vpcs) in places {
            let Some(id) = self.account_id(org, &account) else {
                continue;
            };
            let live = match self
                .session
                .member(mgmt, &id, &region, &self.read_roles)
                .await
            {
                Ok(c) => addresses::read(&c).await,
                Err(e) => Err(e),
            };
            match live {
                Ok(live) => {
                    for c in addresses::conflicts(&vpcs, &live) {
                        plan.blockers
                            .push(format!("in `{}` {}: {}", c.account, c.region, c.message));
                    }
                }
                Err(e) => plan.notes.push(crate::plan::Note {
                    message: format!(
                        "cannot compare the planned addresses in `{account}` {region} with the live ones: {e}"
                    ),
                }),
            }
        }
    }

    /// The value of a parameter that reads no stack. Parameters that read
    /// deployed stacks are resolved by [`params`] from what
    /// [`Engine::read_referenced`] read, before this is asked.
    fn fixed_value(&self, org: &OrgState, value: &ParameterValue) -> String {
        match value {
            ParameterValue::Literal(v) => v.clone(),
            ParameterValue::AccountId(a) if *a == self.desired.management => {
                org.management_account_id.clone()
            }
            ParameterValue::AccountId(a) => org.account_id(a).unwrap_or("").to_owned(),
            ParameterValue::OrganizationId => org.organization_id.clone(),
            ParameterValue::OrganizationRootId => org.root_id.clone(),
            // CloudFormation reads the SSM parameter named.
            ParameterValue::SsmParameter(name) => name.clone(),
            ParameterValue::ResourceId { .. }
            | ParameterValue::StackOutput { .. }
            | ParameterValue::ManagedPrefixList(_)
            | ParameterValue::MskBootstrapBrokers { .. } => String::new(),
        }
    }

    /// Reads every stack of `names` not in `facts` yet, where the desired
    /// state puts it (stacks it does not place in one account are left to
    /// [`params::locate`] to report).
    async fn read_referenced(
        &self,
        mgmt: &Clients,
        org: &OrgState,
        names: BTreeSet<String>,
        facts: &mut Facts,
    ) {
        let mut reads = Vec::new();
        for name in names {
            if facts.contains_key(&name) {
                continue;
            }
            let target = self.desired.stacks.iter().find(|s| s.name == name);
            let Some(StackTarget::Account { account, region }) = target.map(|s| &s.target) else {
                continue;
            };
            match self.account_id(org, account) {
                Some(id) => reads.push((name, region.clone(), id)),
                // No account yet: no stack in it either.
                None => {
                    facts.insert(name, Read::Absent);
                }
            }
        }
        if reads.is_empty() {
            return;
        }
        let asked: Vec<String> = reads.iter().map(|(n, _, _)| n.clone()).collect();
        let roles = self.read_roles;
        let session = self.session.clone();
        let m = mgmt.clone();
        let results = bounded(8, reads, move |(name, region, id)| {
            let session = session.clone();
            let m = m.clone();
            async move {
                let r = match session.member(&m, &id, &region, &roles).await {
                    Ok(c) => stacks::read_facts(&c, &name).await,
                    Err(e) => Err(e),
                };
                (name, r)
            }
        })
        .await;
        for (name, r) in results {
            let read = match r {
                Ok(Some(f)) => Read::Deployed(f),
                Ok(None) => Read::Absent,
                Err(e) => Read::Unreadable(e.to_string()),
            };
            facts.insert(name, read);
        }
        for name in asked {
            facts
                .entry(name)
                .or_insert_with(|| Read::Unreadable("the read did not finish".into()));
        }
    }

    /// Looks up every AWS-managed prefix list of `names` not in `facts` yet,
    /// by name, in its region (its id is the same in every account there).
    async fn read_prefix_lists(&self, mgmt: &Clients, names: BTreeSet<String>, facts: &mut Facts) {
        for name in names {
            let key = params::prefix_list_fact(&name);
            if facts.contains_key(&key) {
                continue;
            }
            let Some(region) = params::prefix_list_region(&name) else {
                facts.insert(key, Read::Absent);
                continue;
            };
            let filter = aws_sdk_ec2::types::Filter::builder()
                .name("prefix-list-name")
                .values(name.clone())
                .build();
            let read = match mgmt
                .in_region(region)
                .ec2()
                .describe_managed_prefix_lists()
                .filters(filter)
                .send()
                .await
            {
                Ok(out) => match out.prefix_lists().iter().find_map(|p| p.prefix_list_id()) {
                    Some(id) => Read::Deployed(StackFacts {
                        resources: BTreeMap::new(),
                        outputs: [("Id".to_owned(), id.to_owned())].into(),
                    }),
                    None => Read::Absent,
                },
                Err(e) => Read::Unreadable(sdk_message(&e)),
            };
            facts.insert(key, read);
        }
    }

    /// Asks MSK for the SASL/SCRAM bootstrap brokers of every cluster of
    /// `clusters` (stack, output holding its ARN) whose stack has been read
    /// and whose brokers are not in `facts` yet, in the cluster's account
    /// and region. CloudFormation returns no attribute for them.
    async fn read_bootstrap_brokers(
        &self,
        mgmt: &Clients,
        org: &OrgState,
        clusters: BTreeSet<(String, String)>,
        facts: &mut Facts,
    ) {
        for (stack, output) in clusters {
            let Some(arn) = params::cluster_arn(facts, &stack, &output).map(str::to_owned) else {
                // Not deployed yet: the parameter says so when resolved.
                continue;
            };
            let key = params::brokers_fact(&arn);
            if facts.contains_key(&key) {
                continue;
            }
            let target = self.desired.stacks.iter().find(|s| s.name == stack);
            let Some(StackTarget::Account { account, region }) = target.map(|s| &s.target) else {
                continue;
            };
            let Some(id) = self.account_id(org, account) else {
                continue;
            };
            let read = match self
                .session
                .member(mgmt, &id, region, &self.read_roles)
                .await
            {
                Ok(c) => match c
                    .kafka()
                    .get_bootstrap_brokers()
                    .cluster_arn(&arn)
                    .send()
                    .await
                {
                    Ok(out) => Read::Deployed(StackFacts {
                        resources: BTreeMap::new(),
                        outputs: out
                            .bootstrap_broker_string_sasl_scram()
                            .map(|b| (params::SASL_SCRAM.to_owned(), b.to_owned()))
                            .into_iter()
                            .collect(),
                    }),
                    Err(e) => Read::Unreadable(sdk_message(&e)),
                },
                Err(e) => Read::Unreadable(e.to_string()),
            };
            facts.insert(key, read);
        }
    }

    /// Every stack's parameters as far as they are known now: stacks read
    /// by parameters are read once each.
    async fn plan_parameters(&self, mgmt: &Clients, org: &OrgState) -> PlannedParameters {
        let names: BTreeSet<String> = self
            .desired
            .stacks
            .iter()
            .flat_map(params::referenced_stacks)
            .map(str::to_owned)
            .collect();
        let mut facts = Facts::new();
        if !names.is_empty() {
            let task = self.progress.start(
                format!("reading {} stack(s) parameters refer to", names.len()),
                "IN_PROGRESS",
            );
            self.read_referenced(mgmt, org, names, &mut facts).await;
            task.finish("done");
        }
        let lists: BTreeSet<String> = self
            .desired
            .stacks
            .iter()
            .flat_map(params::managed_prefix_lists)
            .map(str::to_owned)
            .collect();
        self.read_prefix_lists(mgmt, lists, &mut facts).await;
        let clusters = self
            .desired
            .stacks
            .iter()
            .flat_map(params::msk_clusters)
            .map(|(s, o)| (s.to_owned(), o.to_owned()))
            .collect();
        self.read_bootstrap_brokers(mgmt, org, clusters, &mut facts)
            .await;
        let fixed = |v: &ParameterValue| self.fixed_value(org, v);
        self.desired
            .stacks
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    params::for_plan(&self.desired, s, &fixed, &facts),
                )
            })
            .collect()
    }

    /// Designates `account` a security service's organization
    /// administrator in each region through `enable`; every region is
    /// tried, and the failures are reported together.
    async fn admin_in_regions<F, Fut>(
        &self,
        org: &OrgState,
        account: &str,
        regions: &[String],
        enable: F,
    ) -> Result<(), String>
    where
        F: Fn(String, String) -> Fut,
        Fut: std::future::Future<Output = Result<(), String>>,
    {
        let id = self
            .account_id(org, account)
            .ok_or_else(|| format!("account `{account}` does not exist"))?;
        let mut failed = Vec::new();
        for region in regions {
            if let Err(e) = enable(region.clone(), id.clone()).await {
                failed.push(format!("{region}: {e}"));
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(failed.join("; "))
        }
    }

    /// Amazon Inspector in `region`: its administrator (from the management
    /// account), then, as that administrator when it is `account`, the
    /// organization configuration, the members and what each scans.
    async fn read_inspector(
        &self,
        mgmt: &Clients,
        org: &OrgState,
        account: &str,
        region: &str,
        live: &mut LiveActions,
        notes: &mut Vec<String>,
    ) {
        let listed = mgmt
            .in_region(region)
            .inspector2()
            .list_delegated_admin_accounts()
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await;
        match listed {
            Ok(pages) => {
                let enabled = pages
                    .iter()
                    .flat_map(|p| p.delegated_admin_accounts())
                    .find(|a| a.status().is_some_and(|s| s.as_str() == "ENABLED"));
                if let Some(id) = enabled.and_then(|a| a.account_id()) {
                    live.inspector_admins
                        .insert(region.to_owned(), id.to_owned());
                }
            }
            Err(e) => {
                notes.push(format!(
                    "cannot read the Amazon Inspector administrator in {region}: {}",
                    sdk_message(&e)
                ));
                return;
            }
        }
        // Only the administrator sees the organization configuration;
        // before it is designated there is nothing to read.
        let Some(id) = self.account_id(org, account) else {
            return;
        };
        if live.inspector_admins.get(region) != Some(&id) {
            return;
        }
        let admin = match self
            .session
            .member(mgmt, &id, region, &self.read_roles)
            .await
        {
            Ok(admin) => admin.inspector2(),
            Err(e) => {
                notes.push(format!(
                    "cannot read Amazon Inspector as `{account}` in {region}: {e}"
                ));
                return;
            }
        };
        match crate::inspector::read_state(&admin, org).await {
            Ok(state) => {
                live.inspector.insert(region.to_owned(), state);
            }
            Err(e) => notes.push(format!(
                "cannot read Amazon Inspector's organization in {region}: {e}"
            )),
        }
    }

    /// Amazon Inspector on from its administrator `account` in `region`,
    /// for the accounts named in `members` (resolved now: the deploy may
    /// have created them since the plan).
    #[allow(clippy::too_many_arguments)]
    async fn enable_inspector(
        &self,
        mgmt: &Clients,
        org: &OrgState,
        account: &str,
        region: &str,
        resource_types: &[String],
        auto_enable: bool,
        members: &[String],
    ) -> Result<(), String> {
        let admin_id = self
            .account_id(org, account)
            .ok_or_else(|| format!("account `{account}` does not exist"))?;
        let mut ids = Vec::new();
        let mut missing = Vec::new();
        for name in members {
            match self.account_id(org, name) {
                Some(id) => ids.push(id),
                None => missing.push(name.as_str()),
            }
        }
        let admin = self
            .session
            .member(mgmt, &admin_id, region, &DEPLOY_ROLES)
            .await
            .map_err(|e| e.to_string())?;
        crate::inspector::enable(
            &admin.inspector2(),
            &admin_id,
            resource_types,
            auto_enable,
            &ids,
        )
        .await?;
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "not turned on where the account does not exist: {}",
                missing.join(", ")
            ))
        }
    }

    /// GuardDuty on in every member account, existing and new, from its
    /// administrator's detector in `region`, with each protection plan.
    async fn auto_enable_guardduty(
        &self,
        mgmt: &Clients,
        org: &OrgState,
        account: &str,
        region: &str,
        features: &[String],
    ) -> Result<(), String> {
        use aws_sdk_guardduty::types::{
            AutoEnableMembers, OrgFeatureAdditionalConfiguration, OrgFeatureStatus,
            OrganizationAdditionalConfiguration, OrganizationFeatureConfiguration,
        };
        let id = self
            .account_id(org, account)
            .ok_or_else(|| format!("account `{account}` does not exist"))?;
        let admin = self
            .session
            .member(mgmt, &id, region, &DEPLOY_ROLES)
            .await
            .map_err(|e| e.to_string())?;
        let guardduty = admin.guardduty();
        let listed = guardduty
            .list_detectors()
            .send()
            .await
            .map_err(|e| sdk_message(&e))?
            .detector_ids()
            .first()
            .cloned();
        // Designating the administrator turns GuardDuty on there; where it
        // did not (yet), the administrator's own detector is created.
        let detector = match listed {
            Some(detector) => detector,
            None => guardduty
                .create_detector()
                .enable(true)
                .send()
                .await
                .map_err(|e| sdk_message(&e))?
                .detector_id()
                .map(str::to_owned)
                .ok_or_else(|| format!("GuardDuty gave `{account}` no detector in {region}"))?,
        };
        let mut request = guardduty
            .update_organization_configuration()
            .detector_id(detector)
            .auto_enable_organization_members(AutoEnableMembers::All);
        // `NAME` or `NAME/ADDITIONAL_CONFIGURATION` (see the graph's action).
        for feature in features {
            let (name, extra) = match feature.split_once('/') {
                Some((name, extra)) => (name, Some(extra)),
                None => (feature.as_str(), None),
            };
            let mut config = OrganizationFeatureConfiguration::builder()
                .name(name.into())
                .auto_enable(OrgFeatureStatus::All);
            if let Some(extra) = extra {
                config = config.additional_configuration(
                    OrganizationAdditionalConfiguration::builder()
                        .name(OrgFeatureAdditionalConfiguration::from(extra))
                        .auto_enable(OrgFeatureStatus::All)
                        .build(),
                );
            }
            request = request.features(config.build());
        }
        request
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_message(&e))
    }

    fn account_id(&self, org: &OrgState, name: &str) -> Option<String> {
        if name == self.desired.management {
            return Some(org.management_account_id.clone());
        }
        org.account_id(name).map(str::to_owned)
    }

    /// Reads the live platform and computes the plan; changes nothing.
    pub async fn plan(&self) -> Result<(Plan, Snapshot), LiveError> {
        let mgmt = self.session.management().await?;
        let task = self
            .progress
            .start("reading the organization", "IN_PROGRESS");
        let mut org = org::read(&mgmt).await?;
        let matched = org.match_accounts(&self.desired.accounts);
        task.finish(&format!(
            "{} OUs, {} accounts, {} SCPs",
            org.ous.len().saturating_sub(1),
            org.accounts.len(),
            org.scps.len()
        ));
        let mut plan = Plan::default();
        plan.notes.extend(
            matched
                .into_iter()
                .map(|message| crate::plan::Note { message }),
        );
        plan_organization(&self.desired, &org, &self.trusted_services, &mut plan);
        if org.exists {
            let (live_actions, notes) = self.read_actions(&mgmt, &org).await;
            plan.notes.extend(
                notes
                    .into_iter()
                    .map(|message| crate::plan::Note { message }),
            );
            plan_actions(
                &self.desired,
                &self.organization_actions,
                &org,
                &live_actions,
                &mut plan,
            );
        } else {
            plan_actions(
                &self.desired,
                &self.organization_actions,
                &org,
                &LiveActions::default(),
                &mut plan,
            );
        }
        let (live_stacks_all, unlisted) = self.read_platform_stacks(&mgmt, &org).await;
        self.plan_lockfile(&live_stacks_all, &mut plan);
        self.check_addresses(&mgmt, &org, &mut plan).await;
        plan.retirements = retire::plan_retirements(&self.desired, &org, &live_stacks_all);
        if !self.delete_retired {
            for r in &plan.retirements {
                let kept = r.reads_kept();
                if kept.is_empty() {
                    continue;
                }
                plan.notes.push(crate::plan::Note {
                    message: format!(
                        "{} is kept, and it reads outputs of {}: an update of those that takes away what it uses cannot delete that (pass --delete-retired to delete it first)",
                        r.describe(),
                        kept.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    ),
                });
            }
        }
        let parameters = self.plan_parameters(&mgmt, &org).await;

        // Stacks in existing accounts, read concurrently.
        let mut reads = Vec::new();
        for stack in &self.desired.stacks {
            if let StackTarget::Account { account, region } = &stack.target {
                if let Some(id) = self.account_id(&org, account) {
                    reads.push((stack.name.clone(), account.clone(), region.clone(), id));
                }
            }
        }
        let task = self
            .progress
            .start(format!("reading {} stacks", reads.len()), "IN_PROGRESS");
        let roles = self.read_roles;
        let session = self.session.clone();
        let m = mgmt.clone();
        let results = bounded(8, reads, move |(name, account, region, id)| {
            let session = session.clone();
            let m = m.clone();
            async move {
                let r = match session.member(&m, &id, &region, &roles).await {
                    Ok(c) => stacks::read_stack(&c, &name).await,
                    Err(e) => Err(e),
                };
                (name, account, region, r)
            }
        })
        .await;
        let mut live_stacks = BTreeMap::new();
        let mut unreachable = Vec::new();
        for (name, account, region, r) in results {
            match r {
                Ok(s) => {
                    live_stacks.insert((name, account, region), s);
                }
                Err(e) => {
                    unreachable.push(e.to_string());
                    live_stacks.insert((name, account, region), None);
                }
            }
        }
        task.finish("done");
        if org.exists {
            let task = self.progress.start("preflight", "IN_PROGRESS");
            let account_id = |name: &str| self.account_id(&org, name);
            let found = preflight::run_as(
                &self.session,
                &mgmt,
                &self.desired,
                &account_id,
                self.read_roles,
            )
            .await;
            task.finish(&format!(
                "{} blocker(s), {} stack(s) held",
                found.blockers.len(),
                found.held.len()
            ));
            plan.blockers.extend(found.blockers);
            plan.held = found.held;
            plan.notes.extend(
                found
                    .notes
                    .into_iter()
                    .map(|message| crate::plan::Note { message }),
            );
        }
        let mut sets = BTreeMap::new();
        if org.exists {
            for stack in &self.desired.stacks {
                if matches!(stack.target, StackTarget::StackSet { .. }) {
                    sets.insert(
                        stack.name.clone(),
                        stacks::read_stack_set(&mgmt, &stack.name).await?,
                    );
                }
            }
        }
        let accounts_in_ou = |ou: &str| -> Vec<(String, Option<String>)> {
            self.desired
                .accounts_under(ou)
                .map(|a| (a.name.clone(), org.account_id(&a.name).map(str::to_owned)))
                .collect()
        };
        plan_stacks(
            &self.desired,
            &live_stacks,
            &sets,
            &parameters,
            &accounts_in_ou,
            &mut plan,
        );
        unreachable.extend(unlisted);
        unreachable.sort();
        unreachable.dedup();
        for u in &unreachable {
            plan.notes.push(crate::plan::Note { message: u.clone() });
        }
        Ok((
            plan,
            Snapshot {
                org,
                stacks: live_stacks,
                sets,
                parameters,
                unreachable,
            },
        ))
    }

    /// Applies the plan's organization changes, then every stack wave.
    pub async fn deploy(&self, plan: &Plan) -> Result<DeployReport, LiveError> {
        if self.read_roles != DEPLOY_ROLES {
            return Err(LiveError::Plan(
                "a read-only plan cannot be deployed: plan again without --read-only".to_owned(),
            ));
        }
        let started = Instant::now();
        let calls_before = self.session.calls.get();
        let stop = self.progress.spawn_ticker();
        let mut report = DeployReport {
            journal: self.journal.clone(),
            planned: plan
                .changes
                .iter()
                .map(|c| (c.describe(), c.stack().map(str::to_owned)))
                .collect(),
            ..DeployReport::default()
        };
        let result = self.deploy_inner(plan, &mut report).await;
        drop(stop);
        report.seconds = started.elapsed().as_secs_f64();
        report.api_calls = self.session.calls.get() - calls_before;
        result.map(|()| report)
    }

    async fn deploy_inner(&self, plan: &Plan, report: &mut DeployReport) -> Result<(), LiveError> {
        if plan.blocked() {
            for blocker in &plan.blockers {
                report.fail(blocker.clone());
            }
            report
                .failures
                .push("nothing was deployed: the plan has errors".into());
            return Ok(());
        }
        if let (Some(action), Some(lock)) = (&plan.lockfile, &self.lockfile) {
            // Before anything uses the addresses.
            lock.write().map_err(|e| {
                LiveError::Plan(format!("cannot write `{}`: {e}", lock.path.display()))
            })?;
            let task = self
                .progress
                .start(format!("lockfile {}", action.path), "WRITING");
            task.finish("WRITTEN");
            report.apply(format!(
                "{} `{}` ({} allocation(s))",
                if action.create { "write" } else { "update" },
                action.path,
                action.allocations
            ));
        }
        let mgmt = self.session.management().await?;
        self.apply_organization(&mgmt, plan, report).await?;
        if !report.failures.is_empty() {
            return Ok(());
        }
        // Ids of everything just created.
        let mut org = org::read(&mgmt).await?;
        org.match_accounts(&self.desired.accounts);
        // Templates over the inline limit go through the template bucket
        // (a retired stack's live template too, when its deletion
        // protection is lifted).
        let limit = self.desired.template_inline_max_bytes;
        let store = if self
            .desired
            .stacks
            .iter()
            .any(|s| stacks::too_large_inline(&s.template.to_string(), limit))
            || (self.delete_retired
                && plan
                    .retirements
                    .iter()
                    .any(|r| matches!(r, Retirement::Stack { .. })))
        {
            Some(
                TemplateStore::ensure(&mgmt, &self.desired.slug, &org.organization_id, limit)
                    .await?,
            )
        } else {
            None
        };
        // Retired stacks that read what the updates may take away go first
        // (dependents before what they depend on); a failure there stops
        // the deploy before any update.
        let (first, last): (Vec<Retirement>, Vec<Retirement>) = plan
            .retirements
            .iter()
            .cloned()
            .partition(Retirement::before_updates);
        if self.delete_retired && !first.is_empty() {
            self.retire(&mgmt, &org, &first, store.as_ref(), report)
                .await;
            if !report.ok() {
                report.fail(
                    "nothing was updated: a retirement that goes before the updates failed".into(),
                );
                return Ok(());
            }
        }
        // Stacks' parameters read, each once, when a stack that reads them
        // is about to start (its dependencies are deployed by then).
        let facts = Arc::new(tokio::sync::Mutex::new(Facts::new()));
        let jobs: Vec<Job<DesiredStack>> = self
            .desired
            .stacks
            .iter()
            .map(|s| Job {
                name: s.name.clone(),
                depends_on: s.depends_on.clone(),
                item: s.clone(),
            })
            .collect();
        let this = self.clone();
        let shared_org = Arc::new(org.clone());
        let m = mgmt.clone();
        let journal = report.journal.clone();
        let held = Arc::new(plan.held.clone());
        let retire_store = store.clone();
        let results = schedule::in_dependency_order(
            jobs,
            self.stack_concurrency,
            |outcomes: &Vec<StackOutcome>| outcomes.iter().all(|o| o.ok),
            |_, finished| {
                if let (Some(j), schedule::Finished::Ran(outcomes)) = (&journal, finished) {
                    for o in outcomes {
                        for line in &o.before {
                            j.record("applied", serde_json::Value::String(line.clone()));
                        }
                        if let Some(line) = applied_line(o) {
                            j.record("applied", serde_json::Value::String(line));
                        }
                        j.record("stack", serde_json::to_value(o).unwrap_or_default());
                    }
                }
            },
            move |stack: DesiredStack| {
                let this = this.clone();
                let org = shared_org.clone();
                let mgmt = m.clone();
                let store = store.clone();
                let facts = facts.clone();
                let held = held.clone();
                async move {
                    if let Some(why) = held.get(&stack.name) {
                        return vec![this.held_back(&stack, why)];
                    }
                    let values = {
                        let mut facts = facts.lock().await;
                        let names = params::referenced_stacks(&stack)
                            .into_iter()
                            .map(str::to_owned)
                            .collect();
                        this.read_referenced(&mgmt, &org, names, &mut facts).await;
                        let lists = params::managed_prefix_lists(&stack)
                            .into_iter()
                            .map(str::to_owned)
                            .collect();
                        this.read_prefix_lists(&mgmt, lists, &mut facts).await;
                        let clusters = params::msk_clusters(&stack)
                            .into_iter()
                            .map(|(s, o)| (s.to_owned(), o.to_owned()))
                            .collect();
                        this.read_bootstrap_brokers(&mgmt, &org, clusters, &mut facts)
                            .await;
                        let fixed = |v: &ParameterValue| this.fixed_value(&org, v);
                        params::for_deploy(&this.desired, &stack, &fixed, &facts)
                    };
                    match values {
                        Ok(values) => {
                            this.deploy_stack(&mgmt, &org, &stack, &values, store.as_ref())
                                .await
                        }
                        Err(problems) => vec![this.unresolved(&stack, &problems)],
                    }
                }
            },
        )
        .await;
        // Reported in the plan's order, whatever order they finished in.
        let mut held_back = Vec::new();
        for (stack, result) in self.desired.stacks.iter().zip(results) {
            match result {
                schedule::Finished::Ran(outcomes) => {
                    for o in outcomes {
                        report.applied.extend(o.before.iter().cloned());
                        if let Some(line) = applied_line(&o) {
                            report.applied.push(line);
                        }
                        report.stacks.push(o);
                    }
                }
                schedule::Finished::Blocked { failed } => {
                    held_back.push(format!("`{}` (waits for `{failed}`)", stack.name));
                }
            }
        }
        if !held_back.is_empty() {
            report.fail(format!(
                "{} stack(s) not deployed because a stack they depend on failed: {}",
                held_back.len(),
                held_back.join(", ")
            ));
        }
        if !plan.retirements.is_empty() {
            if !self.delete_retired {
                report.kept = plan.retirements.iter().map(Retirement::describe).collect();
            } else if report.ok() {
                self.retire(&mgmt, &org, &last, retire_store.as_ref(), report)
                    .await;
            } else {
                report.fail(if first.is_empty() {
                    "retirements not deleted: the deploy failed before them".into()
                } else {
                    "the retirements that go after the updates were not deleted: the deploy failed before them".into()
                });
            }
        }
        Ok(())
    }

    /// Deletes the retirements in their order: account stacks of one wave
    /// at once, the next wave when they are gone; then StackSet instances
    /// and StackSets. The first failure stops what follows it.
    async fn retire(
        &self,
        mgmt: &Clients,
        org: &OrgState,
        retirements: &[Retirement],
        store: Option<&TemplateStore>,
        report: &mut DeployReport,
    ) {
        let store = Arc::new(store.cloned());
        let mut batches: Vec<Vec<Retirement>> = Vec::new();
        for r in retirements {
            let same_batch = match (batches.last().and_then(|b| b.last()), r) {
                (Some(Retirement::Stack { wave: a, .. }), Retirement::Stack { wave: b, .. }) => {
                    a == b
                }
                _ => false,
            };
            if same_batch {
                if let Some(b) = batches.last_mut() {
                    b.push(r.clone());
                }
            } else {
                batches.push(vec![r.clone()]);
            }
        }
        for batch in batches {
            let this = self.clone();
            let m = mgmt.clone();
            let o = Arc::new(org.clone());
            let store = store.clone();
            let results = bounded(self.stack_concurrency, batch, move |r| {
                let this = this.clone();
                let m = m.clone();
                let o = o.clone();
                let store = store.clone();
                async move {
                    let task = this.progress.start(r.describe(), "DELETING");
                    let result = match &r {
                        Retirement::Stack {
                            name,
                            account_id,
                            region,
                            ..
                        } => match this
                            .session
                            .member(&m, account_id, region, &DEPLOY_ROLES)
                            .await
                        {
                            Ok(c) => {
                                retire::delete_stack(
                                    &c,
                                    name,
                                    store.as_ref().as_ref(),
                                    this.waits,
                                    &task,
                                )
                                .await
                            }
                            Err(e) => Err(e),
                        },
                        Retirement::StackInstances {
                            name,
                            account_id,
                            regions,
                            ..
                        } => retire::delete_instances(
                            &m,
                            &o,
                            name,
                            std::slice::from_ref(account_id),
                            regions,
                            this.desired.compat,
                            this.waits,
                            &task,
                        )
                        .await
                        .map(|()| Vec::new()),
                        Retirement::StackSet { name } => retire::delete_stack_set(
                            &m,
                            &o,
                            name,
                            this.desired.compat,
                            this.waits,
                            &task,
                        )
                        .await
                        .map(|()| Vec::new()),
                    };
                    task.finish(if result.is_ok() { "DELETED" } else { "FAILED" });
                    (r, result)
                }
            })
            .await;
            let mut failed = false;
            for (r, result) in results {
                match result {
                    Ok(before) => {
                        for line in before {
                            report.apply(line);
                        }
                        report.apply(r.describe());
                    }
                    Err(e) => {
                        failed = true;
                        report.fail(format!("{}: {e}", r.describe()));
                    }
                }
            }
            if failed {
                report.fail("stopped retiring: what is left may depend on what failed".into());
                return;
            }
        }
    }

    /// The outcome of a stack the plan held back.
    fn held_back(&self, stack: &DesiredStack, why: &str) -> StackOutcome {
        self.not_started(stack, "NOT_STARTED", vec![why.to_owned()])
    }

    /// The outcome of a stack not deployed because a parameter has no value.
    fn unresolved(&self, stack: &DesiredStack, problems: &[Unresolved]) -> StackOutcome {
        let reasons = problems.iter().map(ToString::to_string).collect();
        self.not_started(stack, "FAILED", reasons)
    }

    /// A stack that was not started, shown as `shown` in the progress.
    fn not_started(&self, stack: &DesiredStack, shown: &str, reasons: Vec<String>) -> StackOutcome {
        let (account, region) = match &stack.target {
            StackTarget::Account { account, region } => (account.clone(), region.clone()),
            StackTarget::StackSet { regions, .. } => ("StackSet".to_owned(), regions.join(",")),
        };
        let task = self
            .progress
            .start(format!("{}  {account}  {region}", stack.name), "CHECKING");
        task.finish(shown);
        let mut outcome = failed_outcome(&stack.name, &account, &region, String::new());
        outcome.reasons = reasons;
        outcome
    }

    async fn deploy_stack(
        &self,
        mgmt: &Clients,
        org: &OrgState,
        stack: &DesiredStack,
        params: &[(String, String)],
        store: Option<&TemplateStore>,
    ) -> Vec<StackOutcome> {
        match &stack.target {
            StackTarget::Account { account, region } => {
                let label = format!("{}  {account}  {region}", stack.name);
                let task = self.progress.start(label, "CHECKING");
                let Some(id) = self.account_id(org, account) else {
                    task.finish("FAILED");
                    return vec![failed_outcome(
                        &stack.name,
                        account,
                        region,
                        format!("account `{account}` does not exist"),
                    )];
                };
                let clients = match self.session.member(mgmt, &id, region, &DEPLOY_ROLES).await {
                    Ok(c) => c,
                    Err(e) => {
                        task.finish("FAILED");
                        return vec![failed_outcome(&stack.name, account, region, e.to_string())];
                    }
                };
                let role_arn = stack
                    .service_role
                    .as_ref()
                    .map(|role| format!("arn:aws:iam::{id}:role/{role}"));
                vec![
                    stacks::apply_stack(
                        &clients,
                        account,
                        &stack.name,
                        &stack.template,
                        params,
                        stack.wave,
                        role_arn.as_deref(),
                        store,
                        self.waits,
                        self.desired.compat,
                        &task,
                    )
                    .await,
                ]
            }
            StackTarget::StackSet {
                ous,
                accounts,
                regions,
            } => {
                let label = format!("{}  StackSet  {}", stack.name, regions.join(","));
                let task = self.progress.start(label, "CHECKING");
                let started = Instant::now();
                // Instances expected: accounts under the OUs × regions.
                let expected: Vec<(String, String)> = self
                    .desired
                    .stack_set_accounts(ous, accounts)
                    .into_iter()
                    .filter_map(|a| {
                        org.account_id(&a.name)
                            .map(|id| (id.to_owned(), a.name.clone()))
                    })
                    .collect();
                // The OUs that hold the target accounts directly: AWS also
                // reaches nested OUs from a parent, emulators only the OUs
                // named; naming each holding OU once reaches the same accounts.
                let mut ou_ids: Vec<String> = Vec::new();
                for (id, _) in &expected {
                    let parent = org.account_by_id(id).and_then(|a| org.ous.get(&a.parent));
                    if let Some(p) = parent {
                        if !ou_ids.contains(p) {
                            ou_ids.push(p.clone());
                        }
                    }
                }
                let live = stacks::read_stack_set(mgmt, &stack.name)
                    .await
                    .ok()
                    .flatten();
                let need_instances = expected.iter().any(|(id, _)| {
                    regions.iter().any(|r| {
                        !live
                            .as_ref()
                            .is_some_and(|l| l.instances.contains(&(id.clone(), r.clone())))
                    })
                });
                let account_ids: Vec<String> = if accounts.is_empty() {
                    Vec::new()
                } else {
                    expected.iter().map(|(id, _)| id.clone()).collect()
                };
                let action = match stacks::apply_stack_set(
                    mgmt,
                    &stack.name,
                    &stack.template,
                    params,
                    &ou_ids,
                    &account_ids,
                    regions,
                    need_instances,
                    store,
                    self.waits,
                    &task,
                )
                .await
                {
                    Ok(a) => a,
                    Err(e) => {
                        task.finish("FAILED");
                        return vec![failed_outcome(
                            &stack.name,
                            "StackSet",
                            &regions.join(","),
                            e.to_string(),
                        )];
                    }
                };
                // Every instance is checked where it runs.
                let mut outcomes = Vec::new();
                let mut instances = stacks::stack_set_instances(mgmt, &stack.name)
                    .await
                    .unwrap_or_default();
                // Instances an earlier operation left OUTDATED run again.
                let outdated: Vec<String> = expected
                    .iter()
                    .filter(|(id, _)| {
                        instances
                            .iter()
                            .any(|(a, _, _, status)| a == id && status == "OUTDATED")
                    })
                    .map(|(id, _)| id.clone())
                    .collect();
                let mut action = action;
                if !outdated.is_empty() {
                    match stacks::rerun_outdated(
                        mgmt,
                        &stack.name,
                        &ou_ids,
                        &outdated,
                        regions,
                        self.waits,
                        &task,
                    )
                    .await
                    {
                        Ok(()) => {
                            if action == "unchanged" {
                                action = "resumed".into();
                            }
                        }
                        Err(e) => {
                            task.finish("FAILED");
                            return vec![failed_outcome(
                                &stack.name,
                                "StackSet",
                                &regions.join(","),
                                e.to_string(),
                            )];
                        }
                    }
                    instances = stacks::stack_set_instances(mgmt, &stack.name)
                        .await
                        .unwrap_or_default();
                }
                for (id, name) in &expected {
                    for region in regions {
                        let instance = instances.iter().find(|(a, r, _, _)| a == id && r == region);
                        let mut o = StackOutcome {
                            stack: stack.name.clone(),
                            account: name.clone(),
                            region: region.clone(),
                            status: String::new(),
                            ok: false,
                            action: if action == "unchanged" {
                                "unchanged".into()
                            } else {
                                action.clone()
                            },
                            reasons: Vec::new(),
                            before: Vec::new(),
                            seconds: started.elapsed().as_secs_f64(),
                        };
                        match instance {
                            None => {
                                o.status = "MISSING".into();
                                o.reasons.push("the StackSet has no instance here".into());
                            }
                            Some((_, _, stack_id, status)) => {
                                o.status = status.clone();
                                match self.session.member(mgmt, id, region, &DEPLOY_ROLES).await {
                                    Ok(c) => match stacks::instance_skipped_resources(
                                        &c,
                                        &stack.name,
                                        stack_id,
                                        &stack.template,
                                    )
                                    .await
                                    {
                                        Ok(Some(problems)) if problems.is_empty() => {
                                            o.ok = status == "CURRENT" || status.is_empty();
                                        }
                                        Ok(Some(problems)) => o.reasons.extend(problems),
                                        // The instance's stack is not visible: its status is all there is.
                                        Ok(None) => o.ok = status == "CURRENT" || status.is_empty(),
                                        Err(e) => o.reasons.push(e.to_string()),
                                    },
                                    Err(e) => o.reasons.push(e.to_string()),
                                }
                                if !o.ok && o.reasons.is_empty() {
                                    o.reasons.push(format!("instance status is {status}"));
                                }
                            }
                        }
                        outcomes.push(o);
                    }
                }
                let failed = outcomes.iter().filter(|o| !o.ok).count();
                task.finish(&if failed == 0 {
                    format!("{} instance(s) CURRENT ({action})", outcomes.len())
                } else {
                    format!("{failed} of {} instance(s) FAILED", outcomes.len())
                });
                outcomes
            }
        }
    }

    async fn apply_organization(
        &self,
        mgmt: &Clients,
        plan: &Plan,
        report: &mut DeployReport,
    ) -> Result<(), LiveError> {
        let org = mgmt.organizations();
        let mut live = org::read(mgmt).await?;
        live.match_accounts(&self.desired.accounts);
        for change in &plan.changes {
            match change {
                Change::CreateOrganization if !live.exists => {
                    let task = self.progress.start("organization", "CREATING");
                    match org
                        .create_organization()
                        .feature_set(OrganizationFeatureSet::All)
                        .send()
                        .await
                    {
                        Ok(_) => {}
                        Err(e) if code_of(&e) == "AlreadyInOrganizationException" => {}
                        Err(e) => {
                            return Err(LiveError::api("organizations:CreateOrganization", &e))
                        }
                    }
                    task.finish("CREATED");
                    report.apply(change.describe());
                    live = org::read(mgmt).await?;
                    live.match_accounts(&self.desired.accounts);
                }
                Change::EnableTrustedAccess { service } => {
                    match org
                        .enable_aws_service_access()
                        .service_principal(service)
                        .send()
                        .await
                    {
                        Ok(_) => report.apply(change.describe()),
                        Err(e) => {
                            report.fail(format!("{}: {}", change.describe(), sdk_message(&e)))
                        }
                    }
                }
                Change::EnableScps => {
                    match org
                        .enable_policy_type()
                        .root_id(&live.root_id)
                        .policy_type(PolicyType::ServiceControlPolicy)
                        .send()
                        .await
                    {
                        Ok(_) => report.apply(change.describe()),
                        Err(e) if code_of(&e) == "PolicyTypeAlreadyEnabledException" => {}
                        Err(e) => return Err(LiveError::api("organizations:EnablePolicyType", &e)),
                    }
                }
                _ => {}
            }
        }
        // OUs, parents first (the desired list is ordered by depth).
        for ou in &self.desired.ous {
            if live.ous.contains_key(&ou.path) {
                continue;
            }
            let Some(parent) = live.ous.get(&ou.parent).cloned() else {
                report.fail(format!(
                    "cannot create OU `{}`: its parent `{}` is missing",
                    ou.path, ou.parent
                ));
                continue;
            };
            let out = org
                .create_organizational_unit()
                .parent_id(parent)
                .name(&ou.name)
                .send()
                .await
                .map_err(|e| {
                    LiveError::api(
                        format!("organizations:CreateOrganizationalUnit `{}`", ou.path),
                        &e,
                    )
                })?;
            if let Some(id) = out.organizational_unit().and_then(|o| o.id()) {
                live.ous.insert(ou.path.clone(), id.to_owned());
            }
            report.apply(format!("create OU `{}`", ou.path));
        }
        // Accounts: creations in flight are awaited, missing ones created,
        // at most `concurrent_account_creations` at once.
        let mut jobs = Vec::new();
        for account in &self.desired.accounts {
            if live.account(&account.name).is_some() {
                continue;
            }
            let pending = live
                .creating
                .iter()
                .find(|(_, n)| *n == account.name)
                .map(|(id, _)| id.clone());
            jobs.push((account.clone(), pending));
        }
        if !jobs.is_empty() {
            let progress = self.progress.clone();
            let client = org.clone();
            let poll = self.waits.poll;
            let timeout = self.waits.stack_timeout;
            let results = bounded(
                self.desired.concurrent_account_creations,
                jobs,
                move |(account, pending)| {
                    let client = client.clone();
                    let progress = progress.clone();
                    async move {
                        let task = progress.start(format!("account {}", account.name), "CREATING");
                        let awaited = pending.is_some();
                        let r = create_account(
                            &client,
                            &account.name,
                            &account.email,
                            pending,
                            poll,
                            timeout,
                            &task,
                        )
                        .await;
                        task.finish(if r.is_ok() { "SUCCEEDED" } else { "FAILED" });
                        (account, awaited, r)
                    }
                },
            )
            .await;
            for (account, awaited, r) in results {
                // In the plan's words, so the summary counts it (the move
                // into its OU follows below).
                let change = if awaited {
                    Change::AwaitAccount {
                        name: account.name.clone(),
                    }
                } else {
                    Change::CreateAccount {
                        name: account.name.clone(),
                        email: account.email.clone(),
                        ou: account.ou.clone(),
                    }
                };
                match r {
                    Ok(_) => report.apply(change.describe()),
                    Err(e) => report.fail(format!("account `{}`: {e}", account.name)),
                }
            }
            live = org::read(mgmt).await?;
            live.match_accounts(&self.desired.accounts);
        }
        // Placement.
        for account in &self.desired.accounts {
            let Some(l) = live.account(&account.name).cloned() else {
                continue;
            };
            if l.parent == account.ou {
                continue;
            }
            let (Some(from), Some(to)) = (live.ous.get(&l.parent), live.ous.get(&account.ou))
            else {
                report.fail(format!(
                    "cannot move `{}`: OU `{}` is missing",
                    account.name, account.ou
                ));
                continue;
            };
            org.move_account()
                .account_id(&l.id)
                .source_parent_id(from)
                .destination_parent_id(to)
                .send()
                .await
                .map_err(|e| {
                    LiveError::api(format!("organizations:MoveAccount `{}`", account.name), &e)
                })?;
            report.apply(format!(
                "move account `{}` from `{}` to `{}`",
                account.name, l.parent, account.ou
            ));
        }
        // Service control policies.
        for scp in &self.desired.scps {
            let id = match live.scp(&scp.name) {
                Some(l) => {
                    if !org::same_policy(&l.content, &scp.content) {
                        org.update_policy()
                            .policy_id(&l.id)
                            .content(&scp.content)
                            .description(&scp.description)
                            .send()
                            .await
                            .map_err(|e| {
                                LiveError::api(
                                    format!("organizations:UpdatePolicy `{}`", scp.name),
                                    &e,
                                )
                            })?;
                        report.apply(format!("update SCP `{}`", scp.name));
                    }
                    l.id.clone()
                }
                None => {
                    let out = org
                        .create_policy()
                        .name(&scp.name)
                        .description(&scp.description)
                        .content(&scp.content)
                        .r#type(PolicyType::ServiceControlPolicy)
                        .send()
                        .await
                        .map_err(|e| {
                            LiveError::api(format!("organizations:CreatePolicy `{}`", scp.name), &e)
                        })?;
                    report.apply(format!("create SCP `{}`", scp.name));
                    out.policy()
                        .and_then(|p| p.policy_summary())
                        .and_then(|s| s.id())
                        .unwrap_or_default()
                        .to_owned()
                }
            };
            let attached: Vec<String> = live
                .scp(&scp.name)
                .map(|l| l.targets.clone())
                .unwrap_or_default();
            for target in &scp.targets {
                let Some(target_id) = live.ous.get(target) else {
                    report.fail(format!(
                        "cannot attach SCP `{}`: OU `{target}` is missing",
                        scp.name
                    ));
                    continue;
                };
                if attached.contains(target_id) {
                    continue;
                }
                // EnablePolicyType is asynchronous: an attachment right
                // after it can fail until the policy type is on.
                let attached = crate::retry::until_settled(
                    crate::retry::Settle::default(),
                    crate::retry::ORGANIZATION_NOT_YET,
                    || {
                        org.attach_policy()
                            .policy_id(&id)
                            .target_id(target_id)
                            .send()
                    },
                )
                .await;
                match attached {
                    Ok(_) => report
                        .applied
                        .push(format!("attach SCP `{}` to `{target}`", scp.name)),
                    Err(e) if code_of(&e) == "DuplicatePolicyAttachmentException" => {}
                    Err(e) => {
                        return Err(LiveError::api(
                            format!("organizations:AttachPolicy `{}`", scp.name),
                            &e,
                        ))
                    }
                }
            }
        }
        self.apply_actions(mgmt, &live, plan, report).await;
        Ok(())
    }

    /// The organization actions' changes, once the accounts exist. Each
    /// failure is reported and the rest still run.
    async fn apply_actions(
        &self,
        mgmt: &Clients,
        live: &OrgState,
        plan: &Plan,
        report: &mut DeployReport,
    ) {
        for change in &plan.changes {
            let result: Result<(), String> = match change {
                Change::EnableRamSharing => mgmt
                    .ram()
                    .enable_sharing_with_aws_organization()
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_message(&e)),
                Change::RegisterDelegatedAdministrator { service, account } => {
                    match self.account_id(live, account) {
                        None => Err(format!("account `{account}` does not exist")),
                        Some(id) => match mgmt
                            .organizations()
                            .register_delegated_administrator()
                            .account_id(&id)
                            .service_principal(service)
                            .send()
                            .await
                        {
                            Ok(_) => Ok(()),
                            Err(e) if code_of(&e) == "AccountAlreadyRegisteredException" => Ok(()),
                            Err(e) => Err(sdk_message(&e)),
                        },
                    }
                }
                Change::EnableGuardDutyAdmin { account, regions } => {
                    self.admin_in_regions(live, account, regions, |region, id| async move {
                        mgmt.in_region(&region)
                            .guardduty()
                            .enable_organization_admin_account()
                            .admin_account_id(id)
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| sdk_message(&e))
                    })
                    .await
                }
                Change::EnableSecurityHubAdmin { account, regions } => {
                    self.admin_in_regions(live, account, regions, |region, id| async move {
                        mgmt.in_region(&region)
                            .securityhub()
                            .enable_organization_admin_account()
                            .admin_account_id(id)
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| sdk_message(&e))
                    })
                    .await
                }
                Change::AutoEnableGuardDuty {
                    account,
                    region,
                    features,
                } => {
                    self.auto_enable_guardduty(mgmt, live, account, region, features)
                        .await
                }
                Change::EnableInspectorAdmin { account, regions } => {
                    self.admin_in_regions(live, account, regions, |region, id| async move {
                        match mgmt
                            .in_region(&region)
                            .inspector2()
                            .enable_delegated_admin_account()
                            .delegated_admin_account_id(id)
                            .send()
                            .await
                        {
                            Ok(_) => Ok(()),
                            // Already the administrator (a run interrupted
                            // after the call).
                            Err(e) if code_of(&e) == "ConflictException" => Ok(()),
                            Err(e) => Err(sdk_message(&e)),
                        }
                    })
                    .await
                }
                Change::EnableInspector {
                    account,
                    region,
                    resource_types,
                    auto_enable,
                    members,
                } => {
                    self.enable_inspector(
                        mgmt,
                        live,
                        account,
                        region,
                        resource_types,
                        *auto_enable,
                        members,
                    )
                    .await
                }
                Change::ActivateCostAllocationTags { tag_keys } => {
                    let ce = mgmt.in_region(crate::cost_tags::REGION).costexplorer();
                    crate::cost_tags::activate(&ce, tag_keys).await
                }
                Change::ActivateStackSetsAccess => mgmt
                    .cloudformation()
                    .activate_organizations_access()
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_message(&e)),
                _ => continue,
            };
            match result {
                Ok(()) => report.apply(change.describe()),
                Err(e) => report.fail(format!("{}: {e}", change.describe())),
            }
        }
    }
}

/// What the report says a successful stack operation applied; nothing for
/// an unchanged or failed stack.
fn applied_line(o: &StackOutcome) -> Option<String> {
    (o.action != "unchanged" && o.ok).then(|| {
        format!(
            "{} stack `{}` in `{}` {}",
            o.action, o.stack, o.account, o.region
        )
    })
}

fn failed_outcome(stack: &str, account: &str, region: &str, reason: String) -> StackOutcome {
    StackOutcome {
        stack: stack.to_owned(),
        account: account.to_owned(),
        region: region.to_owned(),
        status: "NOT_STARTED".into(),
        ok: false,
        action: "none".into(),
        reasons: vec![reason],
        before: Vec::new(),
        seconds: 0.0,
    }
}

/// Creates an account (or follows a creation already started) until it
/// succeeds or fails.
async fn create_account(
    org: &aws_sdk_organizations::Client,
    name: &str,
    email: &str,
    pending: Option<String>,
    poll: Duration,
    timeout: Duration,
    task: &crate::progress::TaskHandle,
) -> Result<String, LiveError> {
    let request = match pending {
        Some(id) => id,
        None => {
            let out = org
                .create_account()
                .account_name(name)
                .email(email)
                .role_name("OrganizationAccountAccessRole")
                .tags(
                    aws_sdk_organizations::types::Tag::builder()
                        .key("landfall:managed")
                        .value("true")
                        .build()
                        .map_err(|e| LiveError::Plan(e.to_string()))?,
                )
                .send()
                .await
                .map_err(|e| LiveError::api("organizations:CreateAccount", &e))?;
            out.create_account_status()
                .and_then(|s| s.id())
                .unwrap_or_default()
                .to_owned()
        }
    };
    let deadline = Instant::now() + timeout;
    loop {
        let out = org
            .describe_create_account_status()
            .create_account_request_id(&request)
            .send()
            .await
            .map_err(|e| LiveError::api("organizations:DescribeCreateAccountStatus", &e))?;
        let status = out.create_account_status();
        match status.and_then(|s| s.state()) {
            Some(CreateAccountState::Succeeded) => {
                return Ok(status
                    .and_then(|s| s.account_id())
                    .unwrap_or_default()
                    .to_owned());
            }
            Some(CreateAccountState::Failed) => {
                let reason = status
                    .and_then(|s| s.failure_reason())
                    .map_or("no reason given".to_owned(), |r| r.as_str().to_owned());
                return Err(LiveError::Api {
                    operation: "organizations:CreateAccount".into(),
                    message: reason,
                });
            }
            _ => task.status("IN_PROGRESS"),
        }
        if Instant::now() >= deadline {
            return Err(LiveError::Timeout(format!(
                "account `{name}` still being created"
            )));
        }
        tokio::time::sleep(poll).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(stack: &str, account: &str, ok: bool) -> StackOutcome {
        StackOutcome {
            stack: stack.into(),
            account: account.into(),
            region: "eu-central-1".into(),
            status: if ok {
                "CREATE_COMPLETE"
            } else {
                "CREATE_FAILED"
            }
            .into(),
            ok,
            action: "created".into(),
            reasons: Vec::new(),
            before: Vec::new(),
            seconds: 1.0,
        }
    }

    /// The summary counts in the plan's terms: a StackSet deployed to two
    /// accounts is one planned change, not two ("60 changes" planned used
    /// to end as "96 changes applied").
    #[test]
    fn the_summary_counts_the_plans_changes() {
        let mut report = DeployReport {
            planned: vec![
                ("create OU `Root/Workloads`".into(), None),
                ("create StackSet `baseline`".into(), Some("baseline".into())),
                ("create stack `net`".into(), Some("net".into())),
            ],
            ..DeployReport::default()
        };
        report.apply("write `landfall.lock` (3 allocation(s))".into());
        report.apply("create OU `Root/Workloads`".into());
        for account in ["a", "b"] {
            report.apply(format!(
                "created stack `baseline` in `{account}` eu-central-1"
            ));
            report.stacks.push(outcome("baseline", account, true));
        }
        report.stacks.push(outcome("net", "network", false));
        assert_eq!(report.planned_done(), 2);
        let text = report.render();
        assert!(
            text.contains("deploy failed: 2 of 3 planned change(s) applied"),
            "{text}"
        );
    }
}
