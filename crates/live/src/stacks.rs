//! CloudFormation stacks and service-managed StackSets: reading their state,
//! creating and updating them, following them to completion, and telling
//! why they failed.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::types::{
    AutoDeployment, Capability, DeploymentTargets, Parameter, PermissionModels,
    StackSetOperationStatus,
};
use serde::Serialize;
use serde_json::Value;

use crate::aws::Clients;
use crate::emulator::{self, BucketSetting, Compat};
use crate::error::{code_of, sdk_message, LiveError};
use crate::params::StackFacts;
use crate::progress::TaskHandle;

const CAPABILITIES: [Capability; 3] = [
    Capability::CapabilityIam,
    Capability::CapabilityNamedIam,
    Capability::CapabilityAutoExpand,
];

#[derive(Debug, Clone, PartialEq)]
pub struct LiveStack {
    pub status: String,
    pub template: Option<Value>,
    pub parameters: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackStatusKind {
    Complete,
    InProgress,
    Failed,
}

pub fn status_kind(status: &str) -> StackStatusKind {
    if status.ends_with("_IN_PROGRESS") {
        StackStatusKind::InProgress
    } else if status.ends_with("FAILED")
        || status == "ROLLBACK_COMPLETE"
        || status == "UPDATE_ROLLBACK_COMPLETE"
        || status == "DELETE_COMPLETE"
    {
        // An update that rolled back left the previous template in place: it
        // can be updated again, but the last deploy failed.
        if status == "UPDATE_ROLLBACK_COMPLETE" {
            StackStatusKind::Complete
        } else {
            StackStatusKind::Failed
        }
    } else {
        StackStatusKind::Complete
    }
}

impl LiveStack {
    pub fn status_kind(&self) -> StackStatusKind {
        status_kind(&self.status)
    }

    pub fn matches(&self, template: &Value, parameters: &[(String, String)]) -> bool {
        self.template.as_ref() == Some(template) && same_parameters(&self.parameters, parameters)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LiveStackSet {
    pub template: Option<Value>,
    pub parameters: Vec<(String, String)>,
    /// (account id, region) of every instance.
    pub instances: BTreeSet<(String, String)>,
}

impl LiveStackSet {
    pub fn matches(&self, template: &Value, parameters: &[(String, String)]) -> bool {
        self.template.as_ref() == Some(template) && same_parameters(&self.parameters, parameters)
    }
}

fn same_parameters(a: &[(String, String)], b: &[(String, String)]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}

fn parse_template(body: &str) -> Option<Value> {
    serde_json::from_str(body).ok()
}

fn is_missing<E: aws_sdk_cloudformation::error::ProvideErrorMetadata>(e: &E) -> bool {
    e.message()
        .is_some_and(|m| m.contains("does not exist") || m.contains("not found"))
        || matches!(
            e.code(),
            Some("StackSetNotFoundException" | "StackSetNotFound")
        )
}

/// The stack of this name, or `None` when there is none (deleted stacks count as none).
pub async fn read_stack(clients: &Clients, name: &str) -> Result<Option<LiveStack>, LiveError> {
    let cfn = clients.cloudformation();
    let described = match cfn.describe_stacks().stack_name(name).send().await {
        Ok(out) => out,
        Err(e) if e.as_service_error().is_some_and(is_missing) => return Ok(None),
        Err(e) => return Err(LiveError::api("cloudformation:DescribeStacks", &e)),
    };
    let Some(stack) = described.stacks().first() else {
        return Ok(None);
    };
    let status = stack
        .stack_status()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    if status == "DELETE_COMPLETE" {
        return Ok(None);
    }
    let parameters = stack
        .parameters()
        .iter()
        .map(|p| {
            (
                p.parameter_key().unwrap_or_default().to_owned(),
                p.parameter_value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let template = match cfn.get_template().stack_name(name).send().await {
        Ok(out) => out.template_body().and_then(parse_template),
        Err(_) => None,
    };
    Ok(Some(LiveStack {
        status,
        template,
        parameters,
    }))
}

/// The physical ids of a stack's resources and its output values, what
/// other stacks' parameters read; `None` when there is no such stack.
pub async fn read_facts(clients: &Clients, name: &str) -> Result<Option<StackFacts>, LiveError> {
    let cfn = clients.cloudformation();
    let described = match cfn.describe_stacks().stack_name(name).send().await {
        Ok(out) => out,
        Err(e) if e.as_service_error().is_some_and(is_missing) => return Ok(None),
        Err(e) => {
            return Err(LiveError::api(
                format!("cloudformation:DescribeStacks `{name}`"),
                &e,
            ))
        }
    };
    let Some(stack) = described.stacks().first() else {
        return Ok(None);
    };
    if stack
        .stack_status()
        .is_some_and(|s| s.as_str() == "DELETE_COMPLETE")
    {
        return Ok(None);
    }
    let outputs = stack
        .outputs()
        .iter()
        .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
        .collect();
    let resources = stack_resources(clients, name)
        .await?
        .iter()
        .filter_map(|r| {
            Some((
                r.logical_resource_id()?.to_owned(),
                r.physical_resource_id()?.to_owned(),
            ))
        })
        .collect();
    Ok(Some(StackFacts { resources, outputs }))
}

/// The StackSet of this name with its instances, or `None`.
pub async fn read_stack_set(
    clients: &Clients,
    name: &str,
) -> Result<Option<LiveStackSet>, LiveError> {
    let cfn = clients.cloudformation();
    let described = match cfn.describe_stack_set().stack_set_name(name).send().await {
        Ok(out) => out,
        Err(e) if e.as_service_error().is_some_and(is_missing) => return Ok(None),
        Err(e) => return Err(LiveError::api("cloudformation:DescribeStackSet", &e)),
    };
    let Some(set) = described.stack_set() else {
        return Ok(None);
    };
    if set.status().is_some_and(|s| s.as_str() == "DELETED") {
        return Ok(None);
    }
    let instances = stack_set_instances(clients, name).await?;
    Ok(Some(LiveStackSet {
        template: set.template_body().and_then(parse_template),
        parameters: set
            .parameters()
            .iter()
            .map(|p| {
                (
                    p.parameter_key().unwrap_or_default().to_owned(),
                    p.parameter_value().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
        instances: instances
            .into_iter()
            .map(|(account, region, _, _)| (account, region))
            .collect(),
    }))
}

/// How one stack (or StackSet instance) ended.
#[derive(Debug, Clone, Serialize)]
pub struct StackOutcome {
    pub stack: String,
    pub account: String,
    pub region: String,
    pub status: String,
    pub ok: bool,
    /// What changed: `created`, `updated`, `unchanged`.
    pub action: String,
    /// Why it failed: CloudFormation events, skipped resources, errors.
    pub reasons: Vec<String>,
    pub seconds: f64,
}

/// Timing of waits.
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    pub poll: Duration,
    pub stack_timeout: Duration,
}

fn parameters_of(values: &[(String, String)]) -> Vec<Parameter> {
    values
        .iter()
        .map(|(k, v)| {
            Parameter::builder()
                .parameter_key(k)
                .parameter_value(v)
                .build()
        })
        .collect()
}

/// Creates the stack, or updates it when it differs, and follows it to the end.
#[allow(clippy::too_many_arguments)]
pub async fn apply_stack(
    clients: &Clients,
    account: &str,
    name: &str,
    template: &Value,
    parameters: &[(String, String)],
    waits: Waits,
    compat: Compat,
    task: &TaskHandle,
) -> StackOutcome {
    let started = Instant::now();
    let mut outcome = StackOutcome {
        stack: name.to_owned(),
        account: account.to_owned(),
        region: clients.region.clone(),
        status: String::new(),
        ok: false,
        action: "unchanged".into(),
        reasons: Vec::new(),
        seconds: 0.0,
    };
    let result = apply_stack_inner(
        clients,
        name,
        template,
        parameters,
        waits,
        compat,
        task,
        &mut outcome,
    )
    .await;
    if let Err(e) = result {
        outcome.ok = false;
        outcome.reasons.push(e.to_string());
        if outcome.status.is_empty() {
            outcome.status = "ERROR".into();
        }
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    task.finish(&if outcome.ok {
        format!("{} ({})", outcome.status, outcome.action)
    } else {
        format!("{} FAILED", outcome.status)
    });
    outcome
}

#[allow(clippy::too_many_arguments)]
async fn apply_stack_inner(
    clients: &Clients,
    name: &str,
    template: &Value,
    parameters: &[(String, String)],
    waits: Waits,
    compat: Compat,
    task: &TaskHandle,
    outcome: &mut StackOutcome,
) -> Result<(), LiveError> {
    let cfn = clients.cloudformation();
    let body = template.to_string();
    let live = read_stack(clients, name).await?;
    let mut since = None;
    match &live {
        None => {
            task.status("CREATE_IN_PROGRESS");
            match cfn
                .create_stack()
                .stack_name(name)
                .template_body(&body)
                .set_parameters(Some(parameters_of(parameters)))
                .set_capabilities(Some(CAPABILITIES.to_vec()))
                .tags(
                    aws_sdk_cloudformation::types::Tag::builder()
                        .key("landfall:managed")
                        .value("true")
                        .build(),
                )
                .send()
                .await
            {
                Ok(_) => outcome.action = "created".into(),
                // A retried call whose first attempt went through (or a
                // concurrent run): follow the stack that exists.
                Err(e) if code_of(&e) == "AlreadyExistsException" => {
                    outcome.action = "resumed".into()
                }
                Err(e) => return Err(LiveError::api("cloudformation:CreateStack", &e)),
            }
        }
        Some(l) => match l.status_kind() {
            StackStatusKind::InProgress => {
                outcome.action = "resumed".into();
            }
            StackStatusKind::Failed => {
                outcome.status = l.status.clone();
                outcome
                    .reasons
                    .extend(failure_events(clients, name, None).await);
                outcome.reasons.push(
                    "the stack cannot be updated in this state: delete it and deploy again".into(),
                );
                return Ok(());
            }
            StackStatusKind::Complete => {
                if l.matches(template, parameters) {
                    outcome.status = l.status.clone();
                } else {
                    task.status("UPDATE_IN_PROGRESS");
                    since = Some(aws_sdk_cloudformation::primitives::DateTime::from(
                        std::time::SystemTime::now(),
                    ));
                    match cfn
                        .update_stack()
                        .stack_name(name)
                        .template_body(&body)
                        .set_parameters(Some(parameters_of(parameters)))
                        .set_capabilities(Some(CAPABILITIES.to_vec()))
                        .send()
                        .await
                    {
                        Ok(_) => outcome.action = "updated".into(),
                        Err(e)
                            if e.as_service_error()
                                .and_then(|s| {
                                    aws_sdk_cloudformation::error::ProvideErrorMetadata::message(s)
                                })
                                .is_some_and(|m| m.contains("No updates are to be performed")) => {}
                        Err(e) => return Err(LiveError::api("cloudformation:UpdateStack", &e)),
                    }
                }
            }
        },
    }
    if outcome.status.is_empty() || outcome.action != "unchanged" {
        outcome.status = wait_stack(clients, name, waits, task).await?;
    }
    match status_kind(&outcome.status) {
        StackStatusKind::Complete if !outcome.status.contains("ROLLBACK") => {
            let skipped = skipped_resources(clients, name, template).await?;
            if skipped.is_empty() {
                let applied = apply_bucket_settings(clients, name, template, compat).await?;
                if !applied.is_empty() && outcome.action == "unchanged" {
                    outcome.action = "updated".into();
                }
                outcome.ok = true;
            } else {
                outcome.reasons.extend(skipped);
            }
        }
        StackStatusKind::InProgress => {
            outcome.reasons.push(format!(
                "still {} after {}s; the last events:",
                outcome.status,
                waits.stack_timeout.as_secs()
            ));
            outcome
                .reasons
                .extend(recent_events(clients, name, 5).await);
        }
        _ => outcome
            .reasons
            .extend(failure_events(clients, name, since).await),
    }
    Ok(())
}

/// Applies the bucket settings the engine's CloudFormation ignored (see
/// [`emulator::s3_settings`]; nothing against AWS) to the stack's buckets,
/// each only when it differs; returns what was changed.
pub async fn apply_bucket_settings(
    clients: &Clients,
    stack: &str,
    template: &Value,
    compat: Compat,
) -> Result<Vec<String>, LiveError> {
    use aws_sdk_s3::types::{
        BucketVersioningStatus, PublicAccessBlockConfiguration, VersioningConfiguration,
    };
    let wanted = emulator::s3_settings(compat, template);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let resources = stack_resources(clients, stack).await?;
    let s3 = clients.s3();
    let mut applied = Vec::new();
    for (logical_id, settings) in wanted {
        let Some(bucket) = resources
            .iter()
            .find(|r| r.logical_resource_id() == Some(logical_id.as_str()))
            .and_then(|r| r.physical_resource_id())
        else {
            continue;
        };
        for setting in settings {
            match setting {
                BucketSetting::Versioning(status) => {
                    let live = match s3.get_bucket_versioning().bucket(bucket).send().await {
                        Ok(v) => v.status().map(|s| s.as_str().to_owned()),
                        Err(e) => match emulator::moto_versioning_status(&e) {
                            Some(status) => status,
                            None => {
                                return Err(LiveError::api(
                                    format!("s3:GetBucketVersioning `{bucket}`"),
                                    &e,
                                ))
                            }
                        },
                    };
                    if live.as_deref() == Some(status.as_str()) {
                        continue;
                    }
                    s3.put_bucket_versioning()
                        .bucket(bucket)
                        .versioning_configuration(
                            VersioningConfiguration::builder()
                                .status(BucketVersioningStatus::from(status.as_str()))
                                .build(),
                        )
                        .send()
                        .await
                        .map_err(|e| {
                            LiveError::api(format!("s3:PutBucketVersioning `{bucket}`"), &e)
                        })?;
                    applied.push(format!("versioning {status} on bucket `{bucket}`"));
                }
                BucketSetting::PublicAccessBlock(flags) => {
                    let live = s3
                        .get_public_access_block()
                        .bucket(bucket)
                        .send()
                        .await
                        .ok()
                        .and_then(|o| o.public_access_block_configuration().cloned())
                        .map(|c| {
                            [
                                c.block_public_acls().unwrap_or(false),
                                c.block_public_policy().unwrap_or(false),
                                c.ignore_public_acls().unwrap_or(false),
                                c.restrict_public_buckets().unwrap_or(false),
                            ]
                        });
                    if live == Some(flags) {
                        continue;
                    }
                    s3.put_public_access_block()
                        .bucket(bucket)
                        .public_access_block_configuration(
                            PublicAccessBlockConfiguration::builder()
                                .block_public_acls(flags[0])
                                .block_public_policy(flags[1])
                                .ignore_public_acls(flags[2])
                                .restrict_public_buckets(flags[3])
                                .build(),
                        )
                        .send()
                        .await
                        .map_err(|e| {
                            LiveError::api(format!("s3:PutPublicAccessBlock `{bucket}`"), &e)
                        })?;
                    applied.push(format!("public access block on bucket `{bucket}`"));
                }
            }
        }
    }
    Ok(applied)
}

/// Polls until the stack leaves its `_IN_PROGRESS` state or time runs out.
pub async fn wait_stack(
    clients: &Clients,
    name: &str,
    waits: Waits,
    task: &TaskHandle,
) -> Result<String, LiveError> {
    let deadline = Instant::now() + waits.stack_timeout;
    loop {
        let status = read_stack(clients, name)
            .await?
            .map_or_else(|| "DELETE_COMPLETE".to_owned(), |s| s.status);
        task.status(&status);
        if status_kind(&status) != StackStatusKind::InProgress || Instant::now() >= deadline {
            return Ok(status);
        }
        tokio::time::sleep(waits.poll).await;
    }
}

/// Resources the engine did not create: entries without a logical id (how
/// moto reports a type it skipped) and template resources that never
/// appeared. An empty list means every resource exists.
pub async fn skipped_resources(
    clients: &Clients,
    stack: &str,
    template: &Value,
) -> Result<Vec<String>, LiveError> {
    let resources = stack_resources(clients, stack).await?;
    let mut problems = Vec::new();
    let present: BTreeSet<&str> = resources
        .iter()
        .filter_map(|r| r.logical_resource_id())
        .filter(|id| !id.is_empty())
        .collect();
    let unnamed = resources
        .iter()
        .filter(|r| r.logical_resource_id().is_none_or(str::is_empty))
        .count();
    if unnamed > 0 {
        problems.push(format!(
            "{unnamed} resource(s) were skipped by the engine (listed without a logical id): their types are not supported there"
        ));
    }
    if let Some(declared) = template.get("Resources").and_then(Value::as_object) {
        for (id, r) in declared {
            if r.get("Condition").is_none() && !present.contains(id.as_str()) {
                let kind = r.get("Type").and_then(Value::as_str).unwrap_or("?");
                problems.push(format!("resource `{id}` ({kind}) was not created"));
            }
        }
    }
    Ok(problems)
}

/// [`skipped_resources`] of a StackSet instance, found by stack id or, where
/// the id does not resolve, by its `StackSet-<name>` stack name; `None` when
/// the instance's stack is not visible in the account (moto keeps
/// service-managed instance stacks hidden).
pub async fn instance_skipped_resources(
    clients: &Clients,
    stack_set: &str,
    stack_id: &str,
    template: &Value,
) -> Result<Option<Vec<String>>, LiveError> {
    if !stack_id.is_empty() {
        if let Ok(problems) = skipped_resources(clients, stack_id, template).await {
            return Ok(Some(problems));
        }
    }
    let stacks = clients
        .cloudformation()
        .describe_stacks()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| LiveError::api("cloudformation:DescribeStacks", &e))?;
    let prefix = format!("StackSet-{stack_set}");
    let found = stacks.iter().find(|s| {
        s.stack_name().is_some_and(|n| {
            n == prefix
                || n.starts_with(&format!("{prefix}-"))
                || n.starts_with(&format!("{prefix}:"))
        }) && s
            .stack_status()
            .is_some_and(|st| st.as_str() != "DELETE_COMPLETE")
    });
    match found.and_then(|s| s.stack_id().or(s.stack_name())) {
        Some(id) => skipped_resources(clients, id, template).await.map(Some),
        None => Ok(None),
    }
}

/// The events that explain a failure: every `*_FAILED` event since `since`
/// (or of the stack's whole history), oldest first.
pub async fn failure_events(
    clients: &Clients,
    stack: &str,
    since: Option<aws_sdk_cloudformation::primitives::DateTime>,
) -> Vec<String> {
    let events = match clients
        .cloudformation()
        .describe_stack_events()
        .stack_name(stack)
        .send()
        .await
    {
        Ok(out) => out.stack_events().to_vec(),
        Err(e) => {
            return vec![format!(
                "cannot read the stack's events: {}",
                sdk_message(&e)
            )]
        }
    };
    let mut lines: Vec<String> = events
        .iter()
        .filter(|e| since.is_none_or(|s| e.timestamp().is_none_or(|t| t.secs() >= s.secs())))
        .filter(|e| {
            e.resource_status()
                .is_some_and(|s| s.as_str().ends_with("FAILED"))
        })
        .map(|e| {
            format!(
                "{} {} ({}): {}",
                e.logical_resource_id().unwrap_or("?"),
                e.resource_status().map_or("?", |s| s.as_str()),
                e.resource_type().unwrap_or("?"),
                e.resource_status_reason().unwrap_or("no reason given")
            )
        })
        .collect();
    lines.reverse();
    if lines.is_empty() {
        lines.push("CloudFormation recorded no failed resource".into());
    }
    lines
}

async fn recent_events(clients: &Clients, stack: &str, count: usize) -> Vec<String> {
    match clients
        .cloudformation()
        .describe_stack_events()
        .stack_name(stack)
        .send()
        .await
    {
        Ok(out) => out
            .stack_events()
            .iter()
            .take(count)
            .map(|e| {
                format!(
                    "{} {} {}",
                    e.logical_resource_id().unwrap_or("?"),
                    e.resource_status().map_or("?", |s| s.as_str()),
                    e.resource_status_reason().unwrap_or("")
                )
            })
            .collect(),
        Err(e) => vec![format!(
            "cannot read the stack's events: {}",
            sdk_message(&e)
        )],
    }
}

/// Creates or updates a service-managed StackSet and adds instances for
/// `ous` × `regions`; waits for each operation.
#[allow(clippy::too_many_arguments)]
pub async fn apply_stack_set(
    mgmt: &Clients,
    name: &str,
    template: &Value,
    parameters: &[(String, String)],
    ou_ids: &[String],
    account_ids: &[String],
    regions: &[String],
    need_instances: bool,
    waits: Waits,
    task: &TaskHandle,
) -> Result<String, LiveError> {
    let cfn = mgmt.cloudformation();
    let body = template.to_string();
    let live = read_stack_set(mgmt, name).await?;
    let mut action = "unchanged";
    match &live {
        None => {
            task.status("CREATING");
            cfn.create_stack_set()
                .stack_set_name(name)
                .template_body(&body)
                .set_parameters(Some(parameters_of(parameters)))
                .set_capabilities(Some(CAPABILITIES.to_vec()))
                .permission_model(PermissionModels::ServiceManaged)
                .auto_deployment(
                    AutoDeployment::builder()
                        .enabled(true)
                        .retain_stacks_on_account_removal(false)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| LiveError::api("cloudformation:CreateStackSet", &e))?;
            action = "created";
        }
        Some(l) if !l.matches(template, parameters) => {
            task.status("UPDATING");
            let out = cfn
                .update_stack_set()
                .stack_set_name(name)
                .template_body(&body)
                .set_parameters(Some(parameters_of(parameters)))
                .set_capabilities(Some(CAPABILITIES.to_vec()))
                .permission_model(PermissionModels::ServiceManaged)
                .deployment_targets(targets(ou_ids, account_ids))
                .set_regions(Some(regions.to_vec()))
                .send()
                .await
                .map_err(|e| LiveError::api("cloudformation:UpdateStackSet", &e))?;
            if let Some(op) = out.operation_id() {
                wait_operation(mgmt, name, op, waits, task).await?;
            }
            action = "updated";
        }
        Some(_) => {}
    }
    if need_instances && !ou_ids.is_empty() {
        // An operation a killed deploy started runs on: wait for it, as a
        // second one would be refused (OperationInProgressException).
        wait_running_operations(mgmt, name, waits, task).await?;
        task.status("ADDING_INSTANCES");
        let out = cfn
            .create_stack_instances()
            .stack_set_name(name)
            .deployment_targets(
                DeploymentTargets::builder()
                    .set_organizational_unit_ids(Some(ou_ids.to_vec()))
                    .build(),
            )
            .set_regions(Some(regions.to_vec()))
            .send()
            .await
            .map_err(|e| LiveError::api("cloudformation:CreateStackInstances", &e))?;
        if let Some(op) = out.operation_id() {
            wait_operation(mgmt, name, op, waits, task).await?;
        }
        if action == "unchanged" {
            action = "instances added";
        }
    }
    Ok(action.to_owned())
}

/// Waits for the StackSet's queued and running operations to end.
async fn wait_running_operations(
    mgmt: &Clients,
    name: &str,
    waits: Waits,
    task: &TaskHandle,
) -> Result<(), LiveError> {
    let cfn = mgmt.cloudformation();
    let ops = cfn
        .list_stack_set_operations()
        .stack_set_name(name)
        .send()
        .await
        .map_err(|e| LiveError::api("cloudformation:ListStackSetOperations", &e))?;
    for op in ops.summaries() {
        let running = op.status().is_some_and(|s| {
            matches!(
                s,
                StackSetOperationStatus::Running
                    | StackSetOperationStatus::Queued
                    | StackSetOperationStatus::Stopping
            )
        });
        if let (true, Some(id)) = (running, op.operation_id()) {
            task.status("WAITING_FOR_RUNNING_OPERATION");
            // Its outcome does not matter here: the instances are listed again after.
            let _ = wait_operation(mgmt, name, id, waits, task).await;
        }
    }
    Ok(())
}

/// OUs, narrowed to some of their accounts when `account_ids` is not empty.
fn targets(ou_ids: &[String], account_ids: &[String]) -> DeploymentTargets {
    let mut t = DeploymentTargets::builder().set_organizational_unit_ids(Some(ou_ids.to_vec()));
    if !account_ids.is_empty() {
        t = t
            .set_accounts(Some(account_ids.to_vec()))
            .account_filter_type(aws_sdk_cloudformation::types::AccountFilterType::Intersection);
    }
    t.build()
}

async fn wait_operation(
    mgmt: &Clients,
    name: &str,
    operation: &str,
    waits: Waits,
    task: &TaskHandle,
) -> Result<(), LiveError> {
    let cfn = mgmt.cloudformation();
    let deadline = Instant::now() + waits.stack_timeout;
    loop {
        let out = cfn
            .describe_stack_set_operation()
            .stack_set_name(name)
            .operation_id(operation)
            .send()
            .await
            .map_err(|e| LiveError::api("cloudformation:DescribeStackSetOperation", &e))?;
        let status = out.stack_set_operation().and_then(|o| o.status().cloned());
        let text = status.as_ref().map_or("UNKNOWN", |s| s.as_str()).to_owned();
        task.status(&format!("operation {text}"));
        match status {
            Some(StackSetOperationStatus::Succeeded) => return Ok(()),
            Some(StackSetOperationStatus::Failed | StackSetOperationStatus::Stopped) => {
                let reason = out
                    .stack_set_operation()
                    .and_then(|o| o.status_details())
                    .and_then(|d| d.failed_stack_instances_count())
                    .map(|n| format!("{n} instance(s) failed"))
                    .unwrap_or_default();
                return Err(LiveError::Api {
                    operation: format!("StackSet `{name}` operation"),
                    message: format!("{text} {reason}"),
                });
            }
            _ => {}
        }
        if Instant::now() >= deadline {
            return Err(LiveError::Timeout(format!(
                "StackSet `{name}` operation still {text} after {}s",
                waits.stack_timeout.as_secs()
            )));
        }
        tokio::time::sleep(waits.poll).await;
    }
}

/// Instance stacks of a StackSet: (account id, region, stack id, status).
pub async fn stack_set_instances(
    mgmt: &Clients,
    name: &str,
) -> Result<Vec<(String, String, String, String)>, LiveError> {
    let instances = mgmt
        .cloudformation()
        .list_stack_instances()
        .stack_set_name(name)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| LiveError::api("cloudformation:ListStackInstances", &e))?;
    Ok(instances
        .iter()
        .map(|i| {
            (
                i.account().unwrap_or_default().to_owned(),
                i.region().unwrap_or_default().to_owned(),
                i.stack_id().unwrap_or_default().to_owned(),
                i.status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            )
        })
        .collect())
}

/// Whether an SDK error says the caller is throttled.
pub fn throttled<E: aws_sdk_cloudformation::error::ProvideErrorMetadata>(e: &E) -> bool {
    matches!(
        code_of(e),
        "Throttling" | "ThrottlingException" | "TooManyRequestsException"
    )
}

/// Every resource of a stack, all pages.
async fn stack_resources(
    clients: &Clients,
    stack: &str,
) -> Result<Vec<aws_sdk_cloudformation::types::StackResourceSummary>, LiveError> {
    clients
        .cloudformation()
        .list_stack_resources()
        .stack_name(stack)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| LiveError::api("cloudformation:ListStackResources", &e))
}
