//! The remediation actions `landfall heal` decides on, carried out in AWS.
//!
//! A decision names an action kind and a target as the rulebook writes it
//! (`service/<service>/<environment>/<region>`,
//! `host/<domain>/<environment>/<host>`, `store/...`, `certificate/...`).
//! The target is resolved against the model (which account runs it, which
//! cluster), the account is entered with the baseline's remediation role
//! only ([`REMEDIATION_ROLES`]: nothing stands in for it), and the one call
//! the action needs is made:
//!
//! | action | call |
//! |---|---|
//! | `ecs-force-new-deployment` | ECS `UpdateService` with `forceNewDeployment` |
//! | `ecs-scale-out` | ECS `UpdateService` with a `desiredCount` a step higher, never past the declared maximum |
//! | `ec2-reboot` | EC2 `RebootInstances` on the host's instance |
//! | `ec2-replace` | EC2 `DescribeInstances` (its tags must make it a metal host of the model), Auto Scaling `SetInstanceHealth` `Unhealthy`: its group replaces it, ECS drains it first |
//! | `ssm-runbook` | SSM `StartAutomationExecution` of the baseline's disk cleanup runbook ([`crate::automation`]) |
//! | `msk-expand-storage` | MSK `UpdateBrokerStorage` by a step, within MSK's limits ([`crate::msk`]) |
//! | `aurora-failover` | RDS `DescribeDBClusters`, `DescribeDBInstances`, `AddTagsToResource` and `FailoverDBCluster` to the best available reader |
//! | `ec2-quarantine` | ECS `UpdateContainerInstancesState` (`DRAINING`) and `StopTask` of its tasks, EC2 `CreateTags` and `ModifyNetworkInterfaceAttribute` into the VPC's quarantine group |
//! | `notify` | none: the owners were paged by the alert itself |
//!
//! A metal host is found by the name its agent reports (the instance's
//! private DNS name, short or full) among running instances tagged with its
//! domain, in the regions of its environment; none or several is an error,
//! never a guess.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Filter;
use landfall_model::monitoring::{GROUPS_BEFORE_TAG, QUARANTINED_BY_TAG, QUARANTINE_TAG};
use landfall_model::Model;

use crate::automation::{AutomationApi, SdkAutomation};
use crate::aws::{Clients, Session, REMEDIATION_ROLES};
use crate::error::LiveError;
use crate::msk::{MskApi, SdkMsk};

pub use landfall_model::monitoring::DISK_CLEANUP;

/// Where the model's targets run: account names and ECS clusters.
#[derive(Debug, Default, Clone)]
pub struct Targets {
    /// (service, environment) → (account, cluster).
    services: BTreeMap<(String, String), (String, String)>,
    /// (service, environment) → the most tasks the workload layer lets it
    /// scale to there (its auto scaling maximum).
    max_tasks: BTreeMap<(String, String), u32>,
    /// (domain, environment) → (account, the environment's regions).
    hosts: BTreeMap<(String, String), (String, Vec<String>)>,
    /// (MSK store, environment) → (account, cluster name).
    msk_clusters: BTreeMap<(String, String), (String, String)>,
    /// (Aurora store, environment) → account: the cluster is found there
    /// by its tags (`landfall:store`, `landfall:environment`), since
    /// CloudFormation names it.
    aurora_clusters: BTreeMap<(String, String), String>,
    /// MSK's limits on storage updates, from the model's limits.
    msk_max_gib: u64,
    msk_interval_hours: u64,
    /// Account name → its email: accounts are found by email, which is
    /// unique in AWS, never by a display name anyone can change.
    emails: BTreeMap<String, String>,
    /// Account name → its id, when given: the service then enters accounts
    /// without listing the organization.
    ids: BTreeMap<String, String>,
}

impl Targets {
    pub fn from_model(model: &Model) -> Targets {
        let mut targets = Targets {
            emails: model
                .accounts
                .iter()
                .map(|a| (a.name.clone(), a.email.clone()))
                .collect(),
            msk_max_gib: model.limits.msk_broker_storage_max_gib,
            msk_interval_hours: model.limits.msk_storage_update_interval_hours,
            ..Targets::default()
        };
        for store in &model.data_stores {
            if matches!(store.engine, landfall_spec::types::Engine::Aurora { .. }) {
                for env in &store.environments {
                    if let Some(account) = model.workload_account(store.domain, *env) {
                        targets.aurora_clusters.insert(
                            (store.name.clone(), model.environment(*env).name.clone()),
                            account.name.clone(),
                        );
                    }
                }
            }
            // Message buses are the stores that are no database: MSK.
            if store.is_database() {
                continue;
            }
            for env in &store.environments {
                if let Some(account) = model.workload_account(store.domain, *env) {
                    targets.msk_clusters.insert(
                        (store.name.clone(), model.environment(*env).name.clone()),
                        // The workload layer names the cluster after the store.
                        (account.name.clone(), store.name.clone()),
                    );
                }
            }
        }
        for service in &model.services {
            let domain = &model.domain(service.domain).name;
            for env in &service.environments {
                let Some(account) = model.workload_account(service.domain, *env) else {
                    continue;
                };
                let env_name = model.environment(*env).name.clone();
                targets.max_tasks.insert(
                    (service.name.clone(), env_name.clone()),
                    landfall_workloads::sizing::size(service, model.environment(*env)).max,
                );
                targets.services.insert(
                    (service.name.clone(), env_name.clone()),
                    // The workload layer's cluster of a domain in an
                    // environment.
                    (account.name.clone(), format!("{domain}-{env_name}")),
                );
            }
        }
        for domain in &model.domains {
            for env in &model.environments {
                if let Some(account) = model.workload_account(domain.id, env.id) {
                    let regions = env
                        .regions
                        .iter()
                        .map(|r| model.region(*r).name.clone())
                        .collect();
                    targets.hosts.insert(
                        (domain.name.clone(), env.name.clone()),
                        (account.name.clone(), regions),
                    );
                }
            }
        }
        targets
    }
}

impl Targets {
    /// The accounts' ids, for a service that runs outside the management
    /// account and so cannot list the organization (the remediation
    /// service on ECS gets them from its task definition,
    /// `LANDFALL_HEAL_ACCOUNTS`). An account not among them is still
    /// looked up in the organization.
    pub fn with_account_ids(mut self, ids: BTreeMap<String, String>) -> Targets {
        self.ids = ids;
        self
    }
}

/// A metal host found by its instance id.
struct MetalInstance {
    /// Its Auto Scaling group.
    group: String,
    /// EC2's state name (`running`, `shutting-down`, ...).
    state: String,
}

/// How an instance lookup that found nothing begins.
const NO_SUCH_INSTANCE: &str = "no instance";
/// What an instance AWS names is when the model does not own it.
const NOT_A_METAL_HOST: &str = "is not a metal host of the model";

/// How a host lookup that found no running instance begins.
const NO_RUNNING_INSTANCE: &str = "no running instance";

/// A deployment younger than this that ECS still rolls out is a deploy in
/// progress, which remediation leaves alone; an older one is stuck, which
/// is what replacing tasks is for.
pub const DEPLOYING_SECONDS: i64 = 1_800;

/// Why an action on an ECS service waits, read from the service as ECS
/// describes it at `now` (Unix seconds): a deployment in progress, or the
/// alert's condition gone (all desired tasks running, none pending).
pub fn service_hold(
    alert: &str,
    service: &aws_sdk_ecs::types::Service,
    now: i64,
) -> Option<String> {
    let name = service.service_name().unwrap_or("the service");
    if service.status().is_some_and(|s| s != "ACTIVE") {
        return Some(format!(
            "`{name}` is {}, not ACTIVE",
            service.status().unwrap_or_default()
        ));
    }
    let deploying = service.deployments().iter().find(|d| {
        d.rollout_state() == Some(&aws_sdk_ecs::types::DeploymentRolloutState::InProgress)
            && d.created_at()
                .is_some_and(|t| now.saturating_sub(t.secs()) < DEPLOYING_SECONDS)
    });
    if let Some(d) = deploying {
        let age = d.created_at().map_or(0, |t| now.saturating_sub(t.secs()));
        return Some(format!(
            "`{name}` is being deployed: deployment {} started {age} s ago and is in progress",
            d.id().unwrap_or("(no id)")
        ));
    }
    let (running, desired, pending) = (
        service.running_count(),
        service.desired_count(),
        service.pending_count(),
    );
    match alert {
        "EcsServiceBelowDesiredCount" if running >= desired => Some(format!(
            "recovered: `{name}` runs {running} of {desired} desired tasks"
        )),
        "EcsTaskStuckPending" if pending == 0 => {
            Some(format!("recovered: no task of `{name}` is pending"))
        }
        _ => None,
    }
}

/// A service's tasks grow by a quarter, at least one task.
pub const SCALE_OUT_STEP_PERCENT: u32 = 25;

/// The desired count a scale-out sets: a step above `current`, never above
/// `max` (the declared maximum); at the maximum, why not.
pub fn scale_out_count(current: u32, max: u32) -> Result<u32, String> {
    if current >= max {
        return Err(format!(
            "{current} tasks desired, the declared maximum is {max}: not scaling past it, a human must look"
        ));
    }
    let step = (u64::from(current) * u64::from(SCALE_OUT_STEP_PERCENT) / 100).max(1);
    Ok(u32::try_from((u64::from(current) + step).min(u64::from(max))).unwrap_or(max))
}

/// What AWS says became of an action whose result was not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadBack {
    Done(String),
    NotDone(String),
    /// Nothing in AWS tells (a reboot leaves no record).
    Unknown(String),
}

/// Carries out remediation actions through the AWS SDK (MSK's calls
/// through `M`, SSM Automation's through `A`).
pub struct Remediator<M: MskApi = SdkMsk, A: AutomationApi = SdkAutomation> {
    session: Session,
    targets: Targets,
    msk: M,
    automation: A,
}

impl Remediator {
    pub fn new(session: Session, targets: Targets) -> Remediator {
        Remediator::with_msk(session, targets, SdkMsk)
    }
}

impl<M: MskApi> Remediator<M> {
    /// A remediator whose MSK calls go to `msk`.
    pub fn with_msk(session: Session, targets: Targets, msk: M) -> Remediator<M> {
        Remediator {
            session,
            targets,
            msk,
            automation: SdkAutomation,
        }
    }
}

impl<M: MskApi, A: AutomationApi> Remediator<M, A> {
    /// The same remediator with its Automation calls going to `automation`.
    pub fn with_automation<B: AutomationApi>(self, automation: B) -> Remediator<M, B> {
        Remediator {
            session: self.session,
            targets: self.targets,
            msk: self.msk,
            automation,
        }
    }

    /// The remediator's MSK calls (a recording fake in tests).
    pub fn msk(&self) -> &M {
        &self.msk
    }

    /// The remediator's Automation calls (a recording fake in tests).
    pub fn automation(&self) -> &A {
        &self.automation
    }

    /// Runs `kind` on `target`; `Ok` says what was done, `Err` why not.
    pub async fn execute(
        &self,
        kind: &str,
        target: &str,
        action_id: &str,
    ) -> Result<String, String> {
        let parts: Vec<&str> = target.split('/').collect();
        match (kind, parts.as_slice()) {
            ("ecs-force-new-deployment", ["service", service, env, region]) => self
                .replace_tasks(service, env, region)
                .await
                .map_err(|e| e.to_string()),
            ("ec2-reboot", ["host", domain, env, host]) => {
                let (clients, instance) = self.host(domain, env, host).await?;
                clients
                    .ec2()
                    .reboot_instances()
                    .instance_ids(&instance)
                    .send()
                    .await
                    .map_err(|e| LiveError::api("ec2:RebootInstances", &e).to_string())?;
                Ok(format!(
                    "rebooted `{instance}` ({host}) in {} {}",
                    clients.account_id, clients.region
                ))
            }
            ("ec2-replace", ["instance", account, region, instance]) => {
                self.replace_host(account, region, instance).await
            }
            ("ssm-runbook", ["host", domain, env, host]) => {
                let (clients, instance) = self.host(domain, env, host).await?;
                let start = crate::automation::disk_cleanup(&instance, action_id);
                let execution = self.automation.start(&clients, &start).await?;
                Ok(format!(
                    "disk cleanup runbook `{}` started on `{instance}` ({host}) in {} {}: execution {execution}",
                    start.document, clients.account_id, clients.region
                ))
            }
            ("ecs-scale-out", ["service", service, env, region]) => {
                self.scale_out(service, env, region).await
            }
            ("msk-expand-storage", ["store", store, env, region]) => {
                self.expand_storage(store, env, region).await
            }
            ("ec2-quarantine", ["host", domain, env, host]) => {
                self.quarantine(domain, env, host, action_id).await
            }
            ("aurora-failover", ["store", store, env, region]) => {
                self.failover(store, env, region, action_id).await
            }
            ("notify", _) => Ok("no AWS call: the owners were paged by the alert".into()),
            _ => Err(format!("`{kind}` cannot act on `{target}`")),
        }
    }

    /// Just before acting: what AWS says of the target now. `Some(why)`
    /// holds the action back: a service being deployed or no longer in the
    /// alert's condition, an MSK cluster being changed, a host no longer
    /// running. A target that cannot be read is not held: the action
    /// itself then fails and says why.
    pub async fn hold(&self, alert: &str, kind: &str, target: &str) -> Option<String> {
        let parts: Vec<&str> = target.split('/').collect();
        match (kind, parts.as_slice()) {
            ("ecs-force-new-deployment" | "ecs-scale-out", ["service", service, env, region]) => {
                let out = self.describe_service(service, env, region).await.ok()?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                service_hold(alert, out.services().first()?, now)
            }
            ("msk-expand-storage", ["store", store, env, region]) => {
                let (_, cluster) = self.msk_cluster(store, env, region).await.ok()?;
                (cluster.state != "ACTIVE").then(|| {
                    format!(
                        "MSK cluster of `{store}` is {}, not ACTIVE: it is being changed",
                        cluster.state
                    )
                })
            }
            // Held when there is nothing of the model's to replace: the
            // instance is gone (replaced by its group at the retirement's
            // hour, or by an earlier action), not running, or not a metal
            // host of the model. A lookup that fails otherwise is left to
            // the action, which fails and pages.
            ("ec2-replace", ["instance", account, region, instance]) => {
                match self.metal_instance(account, region, instance).await {
                    Ok((_, found)) => (found.state != "running").then(|| {
                        format!(
                            "`{instance}` is {} already: nothing to replace",
                            found.state
                        )
                    }),
                    Err(why)
                        if why.contains("InvalidInstanceID.NotFound")
                            || why.starts_with(NO_SUCH_INSTANCE)
                            || why.contains(NOT_A_METAL_HOST) =>
                    {
                        Some(format!("nothing of the model's to replace: {why}"))
                    }
                    Err(_) => None,
                }
            }
            // Only a host that is not running any more is held; a host that
            // cannot be read (a role, a throttled call, several matches)
            // is left to the action, which fails and pages.
            ("ec2-reboot" | "ssm-runbook" | "ec2-quarantine", ["host", domain, env, host]) => self
                .host(domain, env, host)
                .await
                .err()
                .filter(|why| why.starts_with(NO_RUNNING_INSTANCE))
                .map(|why| format!("the host is not there to act on: {why}")),
            _ => None,
        }
    }

    /// Reads back whether an action started at `started_at` (Unix seconds)
    /// took effect: a deployment of the service created since then, or a
    /// command carrying the action's id.
    pub async fn read_back(
        &self,
        kind: &str,
        target: &str,
        action_id: &str,
        started_at: u64,
    ) -> ReadBack {
        let parts: Vec<&str> = target.split('/').collect();
        match (kind, parts.as_slice()) {
            ("ecs-scale-out", ["service", service, env, region]) => {
                let out = match self.describe_service(service, env, region).await {
                    Ok(o) => o,
                    Err(not_read) => return not_read,
                };
                // A new desired count changes the primary deployment (its
                // `updatedAt`). That time moves on with task starts too, so
                // "done" may also be a task replaced since: it errs on not
                // calling again. An unchanged deployment does not prove the
                // call was not made (nothing records who set a count), so
                // the target stays blocked for a human.
                let since = started_at as i64;
                let changed = out
                    .services()
                    .iter()
                    .flat_map(|s| s.deployments())
                    .filter(|d| d.status() == Some("PRIMARY"))
                    .find(|d| d.updated_at().is_some_and(|t| t.secs() >= since));
                match changed {
                    Some(d) => ReadBack::Done(format!(
                        "deployment {} of `{service}` ({} tasks desired) changed after the intent",
                        d.id().unwrap_or("(no id)"),
                        d.desired_count()
                    )),
                    None => ReadBack::Unknown(format!(
                        "the deployment of `{service}` has not changed since the intent; a desired count leaves no other record"
                    )),
                }
            }
            ("ecs-force-new-deployment", ["service", service, env, region]) => {
                let out = match self.describe_service(service, env, region).await {
                    Ok(o) => o,
                    Err(not_read) => return not_read,
                };
                let since = started_at as i64;
                let newer = out
                    .services()
                    .iter()
                    .flat_map(|s| s.deployments())
                    .find(|d| d.created_at().is_some_and(|t| t.secs() >= since));
                match newer {
                    Some(d) => ReadBack::Done(format!(
                        "deployment {} of `{service}` started after the intent",
                        d.id().unwrap_or("(no id)")
                    )),
                    None => ReadBack::NotDone(format!(
                        "no deployment of `{service}` started after the intent"
                    )),
                }
            }
            ("ssm-runbook", ["host", domain, env, host]) => {
                let (clients, instance) = match self.host(domain, env, host).await {
                    Ok(found) => found,
                    Err(e) => return ReadBack::Unknown(e),
                };
                use landfall_model::monitoring::{
                    DISK_CLEANUP_ACTION_PARAMETER, DISK_CLEANUP_DOCUMENT,
                };
                let executions = match self
                    .automation
                    .executions_since(&clients, DISK_CLEANUP_DOCUMENT, started_at)
                    .await
                {
                    Ok(found) => found,
                    Err(e) => return ReadBack::Unknown(e),
                };
                let ours = |values: Option<&Vec<String>>| {
                    values.is_some_and(|v| v.iter().any(|x| x == action_id))
                };
                match executions
                    .iter()
                    .find(|e| ours(e.parameters.get(DISK_CLEANUP_ACTION_PARAMETER)))
                {
                    Some(e) => ReadBack::Done(format!(
                        "runbook execution {} ({}) on `{instance}`",
                        e.id, e.status
                    )),
                    None => ReadBack::NotDone(format!(
                        "no runbook execution of this action on `{instance}`"
                    )),
                }
            }
            ("msk-expand-storage", ["store", store, env, region]) => {
                let (clients, cluster) = match self.msk_cluster(store, env, region).await {
                    Ok(found) => found,
                    Err(e) => return ReadBack::Unknown(e),
                };
                let operations = match self.msk.operations(&clients, &cluster.arn).await {
                    Ok(o) => o,
                    Err(e) => return ReadBack::Unknown(e),
                };
                let since = i64::try_from(started_at).unwrap_or(i64::MAX);
                match operations
                    .iter()
                    .find(|o| o.kind == crate::msk::STORAGE_OPERATION && o.started_at >= since)
                {
                    Some(o) => ReadBack::Done(format!(
                        "storage update {} of `{store}` ({}) started after the intent",
                        o.arn, o.state
                    )),
                    None => ReadBack::NotDone(format!(
                        "no storage update of `{store}` started after the intent"
                    )),
                }
            }
            ("ec2-quarantine", ["host", domain, env, host]) => {
                self.read_back_quarantine(domain, env, host, action_id)
                    .await
            }
            ("ec2-replace", ["instance", account, region, instance]) => {
                self.read_back_replace(account, region, instance).await
            }
            ("aurora-failover", ["store", store, env, region]) => {
                self.read_back_failover(store, env, region, action_id).await
            }
            ("notify", _) => ReadBack::Done("no AWS call".into()),
            _ => ReadBack::Unknown(format!("`{kind}` leaves no record in AWS to read back")),
        }
    }

    /// The model's service as ECS describes it, for a read-back: an
    /// undeclared service is not done, an account or call that fails is
    /// unknown.
    async fn describe_service(
        &self,
        service: &str,
        env: &str,
        region: &str,
    ) -> Result<aws_sdk_ecs::operation::describe_services::DescribeServicesOutput, ReadBack> {
        let Some((account, cluster)) = self
            .targets
            .services
            .get(&(service.to_owned(), env.to_owned()))
        else {
            return Err(ReadBack::NotDone(format!(
                "no service `{service}` in `{env}`"
            )));
        };
        let clients = self
            .enter(account, region)
            .await
            .map_err(ReadBack::Unknown)?;
        clients
            .ecs()
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .map_err(|e| ReadBack::Unknown(LiveError::api("ecs:DescribeServices", &e).to_string()))
    }

    /// Enters the account the model names, with the remediation role.
    async fn enter(&self, account: &str, region: &str) -> Result<Clients, String> {
        let mgmt = self.session.management().await.map_err(|e| e.to_string())?;
        if let Some(id) = self.targets.ids.get(account) {
            return self
                .session
                .member(&mgmt, id, region, &REMEDIATION_ROLES)
                .await
                .map_err(|e| e.to_string());
        }
        let email = self
            .targets
            .emails
            .get(account)
            .ok_or_else(|| format!("no account `{account}` in the model"))?;
        let find = |org: &crate::org::OrgState| {
            org.accounts
                .iter()
                .find(|a| a.email.eq_ignore_ascii_case(email))
                .map(|a| a.id.clone())
        };
        // The organization as the service last read it; read again once
        // when the account is not in it (created since).
        let mut id = find(
            &self
                .session
                .organization(&mgmt)
                .await
                .map_err(|e| e.to_string())?,
        );
        if id.is_none() {
            self.session.organization_changed().await;
            id = find(
                &self
                    .session
                    .organization(&mgmt)
                    .await
                    .map_err(|e| e.to_string())?,
            );
        }
        let id =
            id.ok_or_else(|| format!("account `{account}` <{email}> is not in the organization"))?;
        self.session
            .member(&mgmt, &id, region, &REMEDIATION_ROLES)
            .await
            .map_err(|e| e.to_string())
    }

    async fn replace_tasks(
        &self,
        service: &str,
        env: &str,
        region: &str,
    ) -> Result<String, String> {
        let (account, cluster) = self
            .targets
            .services
            .get(&(service.to_owned(), env.to_owned()))
            .ok_or_else(|| format!("no service `{service}` in `{env}` in the model"))?;
        require_region(service, env, region)?;
        let clients = self.enter(account, region).await?;
        let out = clients
            .ecs()
            .update_service()
            .cluster(cluster)
            .service(service)
            .force_new_deployment(true)
            .send()
            .await
            .map_err(|e| LiveError::api("ecs:UpdateService", &e).to_string())?;
        let deployment = out
            .service()
            .and_then(|s| s.deployments().first())
            .and_then(|d| d.id())
            .unwrap_or("(no id)");
        Ok(format!(
            "new deployment {deployment} of `{service}` in cluster `{cluster}` ({account}, {region})"
        ))
    }

    /// Raises a service's desired count by a step, never past the maximum
    /// the workload layer deploys it with; at that maximum nothing is
    /// called and the action fails with the reason.
    async fn scale_out(&self, service: &str, env: &str, region: &str) -> Result<String, String> {
        let key = (service.to_owned(), env.to_owned());
        let (account, cluster) = self
            .targets
            .services
            .get(&key)
            .ok_or_else(|| format!("no service `{service}` in `{env}` in the model"))?;
        let max = self.targets.max_tasks.get(&key).copied().unwrap_or(0);
        require_region(service, env, region)?;
        let clients = self.enter(account, region).await?;
        let out = clients
            .ecs()
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .map_err(|e| LiveError::api("ecs:DescribeServices", &e).to_string())?;
        let current = out
            .services()
            .iter()
            .find(|s| s.service_name() == Some(service))
            .map(|s| u32::try_from(s.desired_count()).unwrap_or(0))
            .ok_or_else(|| {
                format!("no service `{service}` in cluster `{cluster}` ({account}, {region})")
            })?;
        let desired = scale_out_count(current, max)
            .map_err(|why| format!("`{service}` not scaled out: {why}"))?;
        clients
            .ecs()
            .update_service()
            .cluster(cluster)
            .service(service)
            .desired_count(i32::try_from(desired).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| LiveError::api("ecs:UpdateService", &e).to_string())?;
        Ok(format!(
            "`{service}` from {current} to {desired} tasks (declared maximum {max}) in cluster `{cluster}` ({account}, {region})"
        ))
    }

    /// The MSK cluster of a store in an environment, in the region the
    /// alert names, entered with the remediation role.
    async fn msk_cluster(
        &self,
        store: &str,
        env: &str,
        region: &str,
    ) -> Result<(Clients, crate::msk::MskCluster), String> {
        let (account, name) = self
            .targets
            .msk_clusters
            .get(&(store.to_owned(), env.to_owned()))
            .ok_or_else(|| format!("no MSK store `{store}` in `{env}` in the model"))?;
        require_region(store, env, region)?;
        let clients = self.enter(account, region).await?;
        match self.msk.cluster(&clients, name).await? {
            Some(cluster) => Ok((clients, cluster)),
            None => Err(format!("no MSK cluster `{name}` in `{account}` ({region})")),
        }
    }

    /// Grows every broker's storage by a step, unless MSK's limits say no
    /// (a storage update within the interval, the maximum reached): then
    /// nothing is called and the action fails with the reason.
    async fn expand_storage(&self, store: &str, env: &str, region: &str) -> Result<String, String> {
        let (clients, cluster) = self.msk_cluster(store, env, region).await?;
        let operations = self.msk.operations(&clients, &cluster.arn).await?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let gib = crate::msk::next_size(
            &cluster,
            &operations,
            now,
            self.targets.msk_max_gib,
            self.targets.msk_interval_hours,
        )
        .map_err(|why| format!("`{store}` not expanded: {why}"))?;
        let operation = self.msk.update_storage(&clients, &cluster, gib).await?;
        Ok(format!(
            "storage of `{store}` from {} to {gib} GiB per broker in {} {}: operation {operation}",
            cluster.volume_gib, clients.account_id, clients.region
        ))
    }

    /// The Aurora cluster of a store in an environment, in the region the
    /// alert names: the one cluster there tagged with the store and the
    /// environment (none or several is an error).
    async fn aurora_cluster(
        &self,
        store: &str,
        env: &str,
        region: &str,
    ) -> Result<(Clients, aws_sdk_rds::types::DbCluster), String> {
        let account = self
            .targets
            .aurora_clusters
            .get(&(store.to_owned(), env.to_owned()))
            .ok_or_else(|| format!("no Aurora store `{store}` in `{env}` in the model"))?;
        require_region(store, env, region)?;
        let clients = self.enter(account, region).await?;
        let mut found = Vec::new();
        let mut marker = None;
        loop {
            let out = clients
                .rds()
                .describe_db_clusters()
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| LiveError::api("rds:DescribeDBClusters", &e).to_string())?;
            for cluster in out.db_clusters() {
                let has = |key: &str, value: &str| {
                    cluster
                        .tag_list()
                        .iter()
                        .any(|t| t.key() == Some(key) && t.value() == Some(value))
                };
                if has("landfall:store", store) && has("landfall:environment", env) {
                    found.push(cluster.clone());
                }
            }
            marker = out.marker().map(str::to_owned);
            if marker.is_none() {
                break;
            }
        }
        match found.len() {
            1 => Ok((clients, found.remove(0))),
            0 => Err(format!(
                "no Aurora cluster tagged `landfall:store={store}` in `{env}` in `{account}` ({region})"
            )),
            n => Err(format!(
                "{n} Aurora clusters are tagged `landfall:store={store}` in `{env}`: not choosing one"
            )),
        }
    }

    /// The cluster's members with their instances' status.
    async fn aurora_members(
        clients: &Clients,
        cluster: &aws_sdk_rds::types::DbCluster,
    ) -> Result<Vec<AuroraMember>, String> {
        let id = cluster.db_cluster_identifier().unwrap_or_default();
        let out = clients
            .rds()
            .describe_db_instances()
            .filters(
                aws_sdk_rds::types::Filter::builder()
                    .name("db-cluster-id")
                    .values(id)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| LiveError::api("rds:DescribeDBInstances", &e).to_string())?;
        Ok(cluster
            .db_cluster_members()
            .iter()
            .filter_map(|m| {
                let instance = m.db_instance_identifier()?.to_owned();
                let status = out
                    .db_instances()
                    .iter()
                    .find(|i| i.db_instance_identifier() == Some(instance.as_str()))
                    .and_then(|i| i.db_instance_status())
                    .unwrap_or("unknown")
                    .to_owned();
                Some(AuroraMember {
                    writer: m.is_cluster_writer().unwrap_or(false),
                    promotion_tier: m.promotion_tier().unwrap_or(15),
                    instance,
                    status,
                })
            })
            .collect())
    }

    /// Fails an Aurora cluster over to its best available reader
    /// (`FailoverDBCluster`,
    /// <https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverDBCluster.html>),
    /// after tagging the cluster with the action and the writer before it
    /// (the record a read-back needs). Refused without a call when the
    /// cluster is not `available` or no reader is.
    async fn failover(
        &self,
        store: &str,
        env: &str,
        region: &str,
        action_id: &str,
    ) -> Result<String, String> {
        let (clients, cluster) = self.aurora_cluster(store, env, region).await?;
        let id = cluster
            .db_cluster_identifier()
            .unwrap_or_default()
            .to_owned();
        let status = cluster.status().unwrap_or("unknown");
        if status != "available" {
            return Err(format!(
                "`{store}` not failed over: cluster `{id}` is {status}, not available"
            ));
        }
        let members = Self::aurora_members(&clients, &cluster).await?;
        let writer = members
            .iter()
            .find(|m| m.writer)
            .map_or("(none)".to_owned(), |m| m.instance.clone());
        let target = failover_target(&members)
            .map_err(|why| format!("`{store}` not failed over: {why}"))?
            .instance
            .clone();
        clients
            .rds()
            .add_tags_to_resource()
            .resource_name(cluster.db_cluster_arn().unwrap_or_default())
            .tags(
                aws_sdk_rds::types::Tag::builder()
                    .key(landfall_model::monitoring::FAILOVER_BY_TAG)
                    .value(format!("{action_id}/{writer}"))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| LiveError::api("rds:AddTagsToResource", &e).to_string())?;
        clients
            .rds()
            .failover_db_cluster()
            .db_cluster_identifier(&id)
            .target_db_instance_identifier(&target)
            .send()
            .await
            .map_err(|e| LiveError::api("rds:FailoverDBCluster", &e).to_string())?;
        Ok(format!(
            "`{store}` (cluster `{id}`) failed over from `{writer}` to `{target}` in {} {}",
            clients.account_id, clients.region
        ))
    }

    /// Whether `action_id` failed the cluster over: the cluster carries
    /// the action's tag and its writer is no longer the one the tag names
    /// (or Aurora is failing over). The tag without a new writer is not
    /// done: the failover call may not have been made.
    async fn read_back_failover(
        &self,
        store: &str,
        env: &str,
        region: &str,
        action_id: &str,
    ) -> ReadBack {
        let (clients, cluster) = match self.aurora_cluster(store, env, region).await {
            Ok(found) => found,
            Err(e) => return ReadBack::Unknown(e),
        };
        let prefix = format!("{action_id}/");
        let Some(before) = cluster
            .tag_list()
            .iter()
            .filter(|t| t.key() == Some(landfall_model::monitoring::FAILOVER_BY_TAG))
            .find_map(|t| t.value().and_then(|v| v.strip_prefix(&prefix)))
            .map(str::to_owned)
        else {
            return ReadBack::NotDone(format!("`{store}` carries no tag of this action"));
        };
        if cluster.status() == Some("failing-over") {
            return ReadBack::Done(format!("`{store}` is failing over from `{before}`"));
        }
        let members = match Self::aurora_members(&clients, &cluster).await {
            Ok(m) => m,
            Err(e) => return ReadBack::Unknown(e),
        };
        match members.iter().find(|m| m.writer) {
            Some(w) if w.instance != before => ReadBack::Done(format!(
                "the writer of `{store}` is `{}`, no longer `{before}`",
                w.instance
            )),
            _ => ReadBack::NotDone(format!("the writer of `{store}` is still `{before}`")),
        }
    }

    /// Cuts a metal host off: its container instance drained and its tasks
    /// stopped (ECS starts its services' tasks elsewhere), the instance
    /// tagged with the action, each of its own interfaces tagged with the
    /// groups it had and moved into the VPC's quarantine group (no rule in
    /// or out). Connections already tracked are not cut by a change of groups
    /// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html);
    /// new ones are refused. Every step can be repeated.
    async fn quarantine(
        &self,
        domain: &str,
        env: &str,
        host: &str,
        action_id: &str,
    ) -> Result<String, String> {
        let (clients, instance) = self.host(domain, env, host).await?;
        let interfaces = own_interfaces(&clients, &instance, domain).await?;
        let vpc = interfaces
            .iter()
            .find_map(|i| i.vpc_id())
            .ok_or_else(|| format!("`{instance}` has no interface of its own in a VPC"))?
            .to_owned();
        let group = quarantine_group(&clients, domain, &vpc).await?;
        let cluster = format!("{domain}-{env}");
        let drained = drain(&clients, &cluster, &instance, action_id).await?;
        clients
            .ec2()
            .create_tags()
            .resources(&instance)
            .tags(tag(QUARANTINED_BY_TAG, action_id))
            .send()
            .await
            .map_err(|e| LiveError::api("ec2:CreateTags", &e).to_string())?;
        let mut moved = Vec::new();
        for interface in &interfaces {
            let Some(id) = interface.network_interface_id() else {
                continue;
            };
            let before: Vec<&str> = interface
                .groups()
                .iter()
                .filter_map(|g| g.group_id())
                .collect();
            if before == [group.as_str()] {
                continue;
            }
            clients
                .ec2()
                .create_tags()
                .resources(id)
                .tags(tag(GROUPS_BEFORE_TAG, &before.join(" ")))
                .send()
                .await
                .map_err(|e| LiveError::api("ec2:CreateTags", &e).to_string())?;
            clients
                .ec2()
                .modify_network_interface_attribute()
                .network_interface_id(id)
                .groups(&group)
                .send()
                .await
                .map_err(|e| {
                    LiveError::api("ec2:ModifyNetworkInterfaceAttribute", &e).to_string()
                })?;
            moved.push(id.to_owned());
        }
        Ok(format!(
            "quarantined `{instance}` ({host}) in {} {}: {} into `{group}`; {drained}",
            clients.account_id,
            clients.region,
            if moved.is_empty() {
                "its interfaces were already".to_owned()
            } else {
                format!("interfaces {} moved", moved.join(", "))
            }
        ))
    }

    /// Whether `action_id` quarantined the host: the instance carries the
    /// action's tag and every interface of its own sits in the quarantine
    /// group alone. Anything less is not done (the action may run again:
    /// each of its steps can be repeated).
    async fn read_back_quarantine(
        &self,
        domain: &str,
        env: &str,
        host: &str,
        action_id: &str,
    ) -> ReadBack {
        let (clients, instance) = match self.host(domain, env, host).await {
            Ok(found) => found,
            Err(e) => return ReadBack::Unknown(e),
        };
        let tagged = match clients
            .ec2()
            .describe_tags()
            .filters(
                Filter::builder()
                    .name("resource-id")
                    .values(&instance)
                    .build(),
            )
            .filters(
                Filter::builder()
                    .name("key")
                    .values(QUARANTINED_BY_TAG)
                    .build(),
            )
            .send()
            .await
        {
            Ok(out) => out.tags().iter().any(|t| t.value() == Some(action_id)),
            Err(e) => return ReadBack::Unknown(LiveError::api("ec2:DescribeTags", &e).to_string()),
        };
        if !tagged {
            return ReadBack::NotDone(format!("`{instance}` carries no tag of this action"));
        }
        let interfaces = match own_interfaces(&clients, &instance, domain).await {
            Ok(i) => i,
            Err(e) => return ReadBack::Unknown(e),
        };
        let Some(vpc) = interfaces.iter().find_map(|i| i.vpc_id()) else {
            return ReadBack::Unknown(format!("`{instance}` has no interface in a VPC"));
        };
        let group = match quarantine_group(&clients, domain, vpc).await {
            Ok(g) => g,
            Err(e) => return ReadBack::Unknown(e),
        };
        let open: Vec<&str> = interfaces
            .iter()
            .filter(|i| {
                let groups: Vec<&str> = i.groups().iter().filter_map(|g| g.group_id()).collect();
                groups != [group.as_str()]
            })
            .filter_map(|i| i.network_interface_id())
            .collect();
        if open.is_empty() {
            ReadBack::Done(format!("`{instance}` is in `{group}` alone"))
        } else {
            ReadBack::NotDone(format!(
                "interfaces {} of `{instance}` are not in `{group}` yet",
                open.join(", ")
            ))
        }
    }

    /// The model's name of the account with this id: from the ids the
    /// service was given, else from the organization (by email, as
    /// [`Remediator::enter`] finds accounts).
    async fn account_named(&self, id: &str) -> Result<String, String> {
        if let Some((name, _)) = self.targets.ids.iter().find(|(_, v)| v.as_str() == id) {
            return Ok(name.clone());
        }
        let mgmt = self.session.management().await.map_err(|e| e.to_string())?;
        let org = self
            .session
            .organization(&mgmt)
            .await
            .map_err(|e| e.to_string())?;
        let email = org
            .accounts
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.email.clone())
            .ok_or_else(|| format!("account {id} is not in the organization"))?;
        self.targets
            .emails
            .iter()
            .find(|(_, e)| e.eq_ignore_ascii_case(&email))
            .map(|(name, _)| name.clone())
            .ok_or_else(|| format!("account {id} <{email}> is not one of the model's"))
    }

    /// An instance AWS names, entered in its account, if it is a metal
    /// host of the model: its tags name a domain and an environment whose
    /// workload account it is in, and an Auto Scaling group holds it.
    async fn metal_instance(
        &self,
        account_id: &str,
        region: &str,
        instance: &str,
    ) -> Result<(Clients, MetalInstance), String> {
        let account = self.account_named(account_id).await?;
        let clients = self.enter(&account, region).await?;
        let out = clients
            .ec2()
            .describe_instances()
            .instance_ids(instance)
            .send()
            .await
            .map_err(|e| LiveError::api("ec2:DescribeInstances", &e).to_string())?;
        let found = out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find(|i| i.instance_id() == Some(instance))
            .ok_or_else(|| format!("{NO_SUCH_INSTANCE} `{instance}` in {account} ({region})"))?;
        let tag = |key: &str| {
            found
                .tags()
                .iter()
                .find(|t| t.key() == Some(key))
                .and_then(|t| t.value())
                .unwrap_or_default()
                .to_owned()
        };
        let (domain, env) = (tag("landfall:domain"), tag("landfall:environment"));
        let ours = self
            .targets
            .hosts
            .get(&(domain.clone(), env.clone()))
            .is_some_and(|(a, _)| *a == account);
        if !ours {
            return Err(format!(
                "`{instance}` {NOT_A_METAL_HOST} (landfall:domain `{domain}`, landfall:environment `{env}`, in `{account}`)"
            ));
        }
        let group = tag("aws:autoscaling:groupName");
        if group.is_empty() {
            return Err(format!(
                "`{instance}` {NOT_A_METAL_HOST}: in no Auto Scaling group, nothing would replace it"
            ));
        }
        let state = found
            .state()
            .and_then(|s| s.name())
            .map_or_else(|| "unknown".to_owned(), |n| n.as_str().to_owned());
        Ok((clients, MetalInstance { group, state }))
    }

    /// Marks a retiring metal host unhealthy: its group terminates and
    /// replaces it, and ECS (managed draining, the workload layer's
    /// capacity providers) drains its tasks before it goes
    /// (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetInstanceHealth.html,
    /// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instance-draining.html).
    /// Scale-in protection, which the metal groups set for ECS, does not
    /// keep an unhealthy instance from being replaced
    /// (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-protection.html).
    async fn replace_host(
        &self,
        account_id: &str,
        region: &str,
        instance: &str,
    ) -> Result<String, String> {
        let (clients, found) = self.metal_instance(account_id, region, instance).await?;
        if found.state != "running" {
            return Err(format!(
                "`{instance}` is {}: nothing to replace",
                found.state
            ));
        }
        clients
            .autoscaling()
            .set_instance_health()
            .instance_id(instance)
            .health_status("Unhealthy")
            .should_respect_grace_period(false)
            .send()
            .await
            .map_err(|e| LiveError::api("autoscaling:SetInstanceHealth", &e).to_string())?;
        Ok(format!(
            "marked `{instance}` unhealthy in group `{}` ({account_id}, {region}): the group replaces it, ECS drains it first",
            found.group
        ))
    }

    /// A replacement took effect when the group no longer counts the
    /// instance healthy: it is unhealthy, terminating, or gone.
    async fn read_back_replace(&self, account_id: &str, region: &str, instance: &str) -> ReadBack {
        let account = match self.account_named(account_id).await {
            Ok(a) => a,
            Err(e) => return ReadBack::Unknown(e),
        };
        let clients = match self.enter(&account, region).await {
            Ok(c) => c,
            Err(e) => return ReadBack::Unknown(e),
        };
        let out = match clients
            .autoscaling()
            .describe_auto_scaling_instances()
            .instance_ids(instance)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) => {
                return ReadBack::Unknown(
                    LiveError::api("autoscaling:DescribeAutoScalingInstances", &e).to_string(),
                )
            }
        };
        let Some(i) = out.auto_scaling_instances().first() else {
            return ReadBack::Done(format!("`{instance}` is in no group any more"));
        };
        let (health, lifecycle) = (
            i.health_status().unwrap_or_default(),
            i.lifecycle_state().unwrap_or_default(),
        );
        if health.eq_ignore_ascii_case("unhealthy") || lifecycle.starts_with("Terminat") {
            ReadBack::Done(format!("`{instance}` is {health} and {lifecycle}"))
        } else {
            ReadBack::NotDone(format!("`{instance}` is still {health} and {lifecycle}"))
        }
    }

    /// The running instance of a domain's metal host, by the name its agent
    /// reports, in the regions of its environment.
    async fn host(&self, domain: &str, env: &str, host: &str) -> Result<(Clients, String), String> {
        let (account, regions) = self
            .targets
            .hosts
            .get(&(domain.to_owned(), env.to_owned()))
            .ok_or_else(|| format!("no domain `{domain}` in `{env}` in the model"))?;
        let mut found = Vec::new();
        for region in regions {
            let clients = self.enter(account, region).await?;
            let names = vec![host.to_owned(), format!("{host}.{region}.compute.internal")];
            let out = clients
                .ec2()
                .describe_instances()
                .filters(
                    Filter::builder()
                        .name("private-dns-name")
                        .set_values(Some(names))
                        .build(),
                )
                .filters(
                    Filter::builder()
                        .name("tag:landfall:domain")
                        .values(domain)
                        .build(),
                )
                .filters(
                    Filter::builder()
                        .name("instance-state-name")
                        .values("running")
                        .build(),
                )
                .send()
                .await
                .map_err(|e| LiveError::api("ec2:DescribeInstances", &e).to_string())?;
            for r in out.reservations() {
                for i in r.instances() {
                    if let Some(id) = i.instance_id() {
                        found.push((clients.clone(), id.to_owned()));
                    }
                }
            }
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(format!(
                "{NO_RUNNING_INSTANCE} of `{domain}` named `{host}` in `{account}` ({})",
                regions.join(", ")
            )),
            n => Err(format!(
                "{n} running instances of `{domain}` answer to `{host}`: not choosing one"
            )),
        }
    }
}

/// An Aurora cluster's member, as failover chooses among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuroraMember {
    pub instance: String,
    pub writer: bool,
    /// 0 is promoted first, 15 last (the analytics readers are 15).
    pub promotion_tier: i32,
    /// The DB instance's status: `available` when it can take over.
    pub status: String,
}

/// The reader a failover promotes: an `available` reader of the lowest
/// promotion tier (the order Aurora itself follows,
/// <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.AuroraHighAvailability.html#Aurora.Managing.FaultTolerance>),
/// the first by name among equals; none is a refusal, never a guess.
pub fn failover_target(members: &[AuroraMember]) -> Result<&AuroraMember, String> {
    members
        .iter()
        .filter(|m| !m.writer && m.status == "available")
        .min_by(|a, b| (a.promotion_tier, &a.instance).cmp(&(b.promotion_tier, &b.instance)))
        .ok_or_else(|| {
            let readers: Vec<String> = members
                .iter()
                .filter(|m| !m.writer)
                .map(|m| format!("{} ({})", m.instance, m.status))
                .collect();
            if readers.is_empty() {
                "the cluster has no reader to fail over to".to_owned()
            } else {
                format!(
                    "no reader is available to take over: {}",
                    readers.join(", ")
                )
            }
        })
}

/// An action acts in the region its alert names, never a guessed one.
fn require_region(target: &str, env: &str, region: &str) -> Result<(), String> {
    if region.is_empty() {
        return Err(format!(
            "the alert on `{target}` ({env}) names no region: not guessing which to act in"
        ));
    }
    Ok(())
}

fn tag(key: &str, value: &str) -> aws_sdk_ec2::types::Tag {
    aws_sdk_ec2::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
}

/// The host's own interfaces attached to `instance`: those the launch
/// template tagged with the domain. The tasks' interfaces (awsvpc) are
/// ECS's and go with the tasks, which the quarantine stops.
async fn own_interfaces(
    clients: &Clients,
    instance: &str,
    domain: &str,
) -> Result<Vec<aws_sdk_ec2::types::NetworkInterface>, String> {
    let out = clients
        .ec2()
        .describe_network_interfaces()
        .filters(
            Filter::builder()
                .name("attachment.instance-id")
                .values(instance)
                .build(),
        )
        .send()
        .await
        .map_err(|e| LiveError::api("ec2:DescribeNetworkInterfaces", &e).to_string())?;
    let own: Vec<_> = out
        .network_interfaces()
        .iter()
        .filter(|i| {
            i.tag_set()
                .iter()
                .any(|t| t.key() == Some("landfall:domain") && t.value() == Some(domain))
        })
        .cloned()
        .collect();
    if own.is_empty() {
        return Err(format!(
            "no interface of `{instance}` carries `landfall:domain={domain}` (the metal launch template tags them)"
        ));
    }
    Ok(own)
}

/// The quarantine group the workload layer made for `domain` in `vpc`:
/// exactly one, or an error (never a group chosen by guess).
async fn quarantine_group(clients: &Clients, domain: &str, vpc: &str) -> Result<String, String> {
    let out = clients
        .ec2()
        .describe_security_groups()
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .filters(
            Filter::builder()
                .name(format!("tag:{QUARANTINE_TAG}"))
                .values("true")
                .build(),
        )
        .filters(
            Filter::builder()
                .name("tag:landfall:domain")
                .values(domain)
                .build(),
        )
        .send()
        .await
        .map_err(|e| LiveError::api("ec2:DescribeSecurityGroups", &e).to_string())?;
    let ids: Vec<&str> = out
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
        .collect();
    match ids.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => Err(format!(
            "no quarantine group of `{domain}` in `{vpc}` (the workload layer's `QuarantineSecurityGroup`)"
        )),
        many => Err(format!(
            "{} quarantine groups of `{domain}` in `{vpc}`: not choosing one",
            many.len()
        )),
    }
}

/// Drains the container instance `instance` is in `cluster`, so ECS
/// starts its services' tasks elsewhere, and stops the tasks on it at once:
/// they run on a host an attacker may control, with interfaces of their
/// own (awsvpc) that the host's quarantine group does not cover. Says what
/// it did.
async fn drain(
    clients: &Clients,
    cluster: &str,
    instance: &str,
    action_id: &str,
) -> Result<String, String> {
    let ecs = clients.ecs();
    let listed = ecs
        .list_container_instances()
        .cluster(cluster)
        .send()
        .await
        .map_err(|e| LiveError::api("ecs:ListContainerInstances", &e).to_string())?;
    if listed.container_instance_arns().is_empty() {
        return Ok(format!("no container instance in `{cluster}` to drain"));
    }
    let described = ecs
        .describe_container_instances()
        .cluster(cluster)
        .set_container_instances(Some(listed.container_instance_arns().to_vec()))
        .send()
        .await
        .map_err(|e| LiveError::api("ecs:DescribeContainerInstances", &e).to_string())?;
    let Some(arn) = described
        .container_instances()
        .iter()
        .find(|c| c.ec2_instance_id() == Some(instance))
        .and_then(|c| c.container_instance_arn())
    else {
        return Ok(format!(
            "`{instance}` is no container instance of `{cluster}`"
        ));
    };
    ecs.update_container_instances_state()
        .cluster(cluster)
        .container_instances(arn)
        .status(aws_sdk_ecs::types::ContainerInstanceStatus::Draining)
        .send()
        .await
        .map_err(|e| LiveError::api("ecs:UpdateContainerInstancesState", &e).to_string())?;
    let tasks = ecs
        .list_tasks()
        .cluster(cluster)
        .container_instance(arn)
        .send()
        .await
        .map_err(|e| LiveError::api("ecs:ListTasks", &e).to_string())?;
    for task in tasks.task_arns() {
        ecs.stop_task()
            .cluster(cluster)
            .task(task)
            .reason(format!("landfall heal {action_id}: host quarantined"))
            .send()
            .await
            .map_err(|e| LiveError::api("ecs:StopTask", &e).to_string())?;
    }
    Ok(format!(
        "container instance drained in `{cluster}`, {} task(s) on it stopped",
        tasks.task_arns().len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A service as `DescribeServices` returns it
    /// (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html,
    /// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html):
    /// its counts and deployments (`rolloutState`, `createdAt`).
    fn ecs_service(
        running: i32,
        desired: i32,
        pending: i32,
        deployments: &[(&str, aws_sdk_ecs::types::DeploymentRolloutState, i64)],
    ) -> aws_sdk_ecs::types::Service {
        let mut service = aws_sdk_ecs::types::Service::builder()
            .service_name("order-gateway")
            .status("ACTIVE")
            .running_count(running)
            .desired_count(desired)
            .pending_count(pending);
        for (id, state, created) in deployments {
            service = service.deployments(
                aws_sdk_ecs::types::Deployment::builder()
                    .id(*id)
                    .rollout_state(state.clone())
                    .created_at(aws_smithy_types::DateTime::from_secs(*created))
                    .build(),
            );
        }
        service.build()
    }

    #[test]
    fn a_service_being_deployed_or_recovered_is_held_and_a_stuck_one_is_not() {
        use aws_sdk_ecs::types::DeploymentRolloutState as Rollout;
        let now = 1_800_000_000;
        let alert = "EcsServiceBelowDesiredCount";
        // A deployment ECS rolls out since two minutes: a deploy in progress.
        let deploying = ecs_service(
            2,
            6,
            0,
            &[
                ("ecs-svc/new", Rollout::InProgress, now - 120),
                ("ecs-svc/old", Rollout::Completed, now - 86_400),
            ],
        );
        let why = service_hold(alert, &deploying, now).unwrap();
        assert!(
            why.contains("being deployed") && why.contains("ecs-svc/new"),
            "{why}"
        );
        // In progress for an hour: stuck, which is what replacing tasks is for.
        let stuck = ecs_service(
            2,
            6,
            0,
            &[("ecs-svc/new", Rollout::InProgress, now - 3_600)],
        );
        assert_eq!(service_hold(alert, &stuck, now), None);
        // Every desired task runs again: the alert's condition is gone.
        let recovered = ecs_service(6, 6, 0, &[("ecs-svc/a", Rollout::Completed, now - 3_600)]);
        assert!(service_hold(alert, &recovered, now)
            .unwrap()
            .starts_with("recovered"));
        // Pending tasks: held only when none are pending any more.
        let pending = ecs_service(4, 6, 2, &[("ecs-svc/a", Rollout::Completed, now - 3_600)]);
        assert_eq!(service_hold("EcsTaskStuckPending", &pending, now), None);
        let placed = ecs_service(4, 6, 0, &[("ecs-svc/a", Rollout::Completed, now - 3_600)]);
        assert!(service_hold("EcsTaskStuckPending", &placed, now).is_some());
        // A latency burn re-checks the deployment only.
        assert_eq!(
            service_hold("ServiceLatencyBudgetFastBurn", &recovered, now),
            None
        );
        // A service being deleted is not acted on.
        let draining = aws_sdk_ecs::types::Service::builder()
            .service_name("order-gateway")
            .status("DRAINING")
            .build();
        assert!(service_hold(alert, &draining, now)
            .unwrap()
            .contains("DRAINING"));
    }

    fn member(instance: &str, writer: bool, tier: i32, status: &str) -> AuroraMember {
        AuroraMember {
            instance: instance.to_owned(),
            writer,
            promotion_tier: tier,
            status: status.to_owned(),
        }
    }

    #[test]
    fn failover_promotes_an_available_reader_of_the_lowest_tier_or_none() {
        let members = [
            member("instance1", true, 1, "available"),
            member("analytics1", false, 15, "available"),
            member("instance3", false, 1, "available"),
            member("instance2", false, 1, "rebooting"),
        ];
        assert_eq!(failover_target(&members).unwrap().instance, "instance3");
        // Only the analytics readers available: they are promoted last, but
        // promoted rather than none.
        let members = [
            member("instance1", true, 1, "available"),
            member("analytics1", false, 15, "available"),
            member("instance2", false, 1, "storage-full"),
        ];
        assert_eq!(failover_target(&members).unwrap().instance, "analytics1");
        let err = failover_target(&[
            member("instance1", true, 1, "available"),
            member("instance2", false, 1, "modifying"),
        ])
        .unwrap_err();
        assert!(err.contains("instance2 (modifying)"), "{err}");
        let err = failover_target(&[member("instance1", true, 1, "available")]).unwrap_err();
        assert!(err.contains("no reader"), "{err}");
    }

    #[test]
    fn scale_out_grows_by_a_quarter_at_least_one_task_never_past_the_maximum() {
        assert_eq!(scale_out_count(2, 10), Ok(3));
        assert_eq!(scale_out_count(8, 20), Ok(10));
        assert_eq!(scale_out_count(9, 10), Ok(10));
        assert_eq!(scale_out_count(0, 2), Ok(1));
        let err = scale_out_count(10, 10).unwrap_err();
        assert!(err.contains("the declared maximum is 10"), "{err}");
        assert!(scale_out_count(12, 10).is_err());
    }
}
