//! CloudFormation stacks and service-managed StackSets: reading their state,
//! creating and updating them, following them to completion, and telling
//! why they failed.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::types::{
    AutoDeployment, Capability, ConcurrencyMode, DeploymentTargets, Parameter, PermissionModels,
    RegionConcurrencyType, StackSetOperationPreferences, StackSetOperationStatus,
};
use serde::Serialize;
use serde_json::Value;

use crate::aws::Clients;
use crate::emulator::{self, BucketSetting, Compat};
use crate::error::{code_of, sdk_message, LiveError};
use crate::params::StackFacts;
use crate::progress::TaskHandle;
use crate::protection;

const CAPABILITIES: [Capability; 3] = [
    Capability::CapabilityIam,
    Capability::CapabilityNamedIam,
    Capability::CapabilityAutoExpand,
];

/// How every StackSet operation rolls out. CloudFormation's defaults are
/// one account at a time, one region after another, and no failure
/// tolerated; these run every region at once and a quarter of the accounts
/// at a time, and let a tenth fail without stopping the rest (failed
/// instances are still reported, one by one). Soft failure tolerance lets
/// the concurrency exceed the tolerance.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html>
pub struct OperationPreferences {
    pub parallel_regions: bool,
    pub max_concurrent_percentage: i32,
    pub failure_tolerance_percentage: i32,
}

pub const OPERATION_PREFERENCES: OperationPreferences = OperationPreferences {
    parallel_regions: true,
    max_concurrent_percentage: 25,
    failure_tolerance_percentage: 10,
};

/// [`OPERATION_PREFERENCES`] as the API takes them.
pub fn operation_preferences() -> StackSetOperationPreferences {
    let p = &OPERATION_PREFERENCES;
    StackSetOperationPreferences::builder()
        .region_concurrency_type(if p.parallel_regions {
            RegionConcurrencyType::Parallel
        } else {
            RegionConcurrencyType::Sequential
        })
        .max_concurrent_percentage(p.max_concurrent_percentage)
        .failure_tolerance_percentage(p.failure_tolerance_percentage)
        .concurrency_mode(ConcurrencyMode::SoftFailureTolerance)
        .build()
}

#[derive(Debug, Clone, PartialEq)]
pub struct LiveStack {
    pub status: String,
    pub template: Option<Value>,
    pub parameters: Vec<(String, String)>,
    /// The service role CloudFormation runs the stack as, if any.
    pub role_arn: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackStatusKind {
    Complete,
    InProgress,
    Failed,
}

/// How the deploy gets a stack out of a state it cannot update from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// A creation that failed and rolled back (`ROLLBACK_COMPLETE`) or a
    /// change set never executed (`REVIEW_IN_PROGRESS`) holds no resources:
    /// the stack is deleted and created again.
    Recreate,
    /// `UPDATE_ROLLBACK_FAILED`: `ContinueUpdateRollback`, then the update.
    ContinueRollback,
    /// `DELETE_FAILED`, `ROLLBACK_FAILED`: resources are left that the
    /// deploy must not guess about; the user decides.
    Manual,
}

/// What the user does about a stack the deploy leaves alone.
pub fn manual_advice(status: &str) -> &'static str {
    match status {
        "DELETE_FAILED" => "the resources named above could not be deleted; remove what holds them (or delete the stack retaining them with `aws cloudformation delete-stack --retain-resources`), then deploy again",
        "ROLLBACK_FAILED" | "IMPORT_ROLLBACK_FAILED" => "its rollback left the resources named above; delete them (or delete the stack retaining them), then deploy again",
        _ => "look at its events above, then deploy again",
    }
}

/// The recovery a stack in `status` needs; `None` when it can be updated.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html>
pub fn recovery(status: &str) -> Option<Recovery> {
    match status {
        "ROLLBACK_COMPLETE" | "REVIEW_IN_PROGRESS" => Some(Recovery::Recreate),
        "UPDATE_ROLLBACK_FAILED" => Some(Recovery::ContinueRollback),
        "DELETE_FAILED" | "ROLLBACK_FAILED" | "IMPORT_ROLLBACK_FAILED" => Some(Recovery::Manual),
        _ => None,
    }
}

pub fn status_kind(status: &str) -> StackStatusKind {
    if status == "REVIEW_IN_PROGRESS" {
        // Nothing runs: a change set waits to be executed, for ever.
        StackStatusKind::Failed
    } else if status.ends_with("_IN_PROGRESS") {
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

    /// Whether the stack already runs as `role` (a path and name, as
    /// [`crate::desired::DesiredStack::service_role`]); no role wanted is
    /// always met (an update without `RoleARN` keeps the stack's role).
    /// moto does not report a stack's role, so there it is taken as met.
    pub fn runs_as(&self, role: Option<&str>, compat: Compat) -> bool {
        match role {
            None => true,
            Some(_) if compat == Compat::Moto => true,
            Some(role) => self
                .role_arn
                .as_deref()
                .is_some_and(|arn| arn.ends_with(&format!(":role/{role}"))),
        }
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
        role_arn: stack.role_arn().map(str::to_owned),
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
    /// What was done first for the change to go through (deletion
    /// protection turned off).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<String>,
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

/// Where templates too large to send inline go: a bucket of the management
/// account in the home region, readable by the organization's accounts
/// (CloudFormation in a member account fetches the template with the
/// caller's credentials).
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html>
#[derive(Clone)]
pub struct TemplateStore {
    pub clients: Clients,
    pub bucket: String,
    /// Largest template sent inline (`template_inline_max_bytes`).
    pub inline_max: usize,
}

/// A template as a request carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateSource {
    Body(String),
    Url(String),
}

/// Whether a template body must go through S3.
pub fn too_large_inline(body: &str, inline_max: usize) -> bool {
    body.len() > inline_max
}

impl TemplateStore {
    /// The platform's template bucket, created (with its organization read
    /// policy) when missing.
    pub async fn ensure(
        mgmt: &Clients,
        slug: &str,
        organization_id: &str,
        inline_max: usize,
    ) -> Result<TemplateStore, LiveError> {
        let bucket = format!("{slug}-templates-{}-{}", mgmt.account_id, mgmt.region);
        let s3 = mgmt.s3();
        if s3.head_bucket().bucket(&bucket).send().await.is_err() {
            let mut create = s3.create_bucket().bucket(&bucket);
            if mgmt.region != "us-east-1" {
                create = create.create_bucket_configuration(
                    aws_sdk_s3::types::CreateBucketConfiguration::builder()
                        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                            mgmt.region.as_str(),
                        ))
                        .build(),
                );
            }
            match create.send().await {
                Ok(_) => {}
                Err(e) if code_of(&e) == "BucketAlreadyOwnedByYou" => {}
                Err(e) => return Err(LiveError::api(format!("s3:CreateBucket `{bucket}`"), &e)),
            }
            let policy = serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "OrganizationReadsTemplates",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": format!("arn:aws:s3:::{bucket}/*"),
                    "Condition": { "StringEquals": { "aws:PrincipalOrgID": organization_id } }
                }]
            });
            s3.put_bucket_policy()
                .bucket(&bucket)
                .policy(policy.to_string())
                .send()
                .await
                .map_err(|e| LiveError::api(format!("s3:PutBucketPolicy `{bucket}`"), &e))?;
        }
        Ok(TemplateStore {
            clients: mgmt.clone(),
            bucket,
            inline_max,
        })
    }

    /// The body inline when it fits, otherwise uploaded under a key named
    /// by its content and passed by URL.
    pub async fn source(&self, stack: &str, body: &str) -> Result<TemplateSource, LiveError> {
        if !too_large_inline(body, self.inline_max) {
            return Ok(TemplateSource::Body(body.to_owned()));
        }
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        body.hash(&mut h);
        let key = format!("{stack}/{:016x}.json", h.finish());
        self.clients
            .s3()
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .body(aws_sdk_s3::primitives::ByteStream::from(
                body.as_bytes().to_vec(),
            ))
            .send()
            .await
            .map_err(|e| LiveError::api(format!("s3:PutObject `{}/{key}`", self.bucket), &e))?;
        Ok(TemplateSource::Url(template_url(
            &self.bucket,
            &self.clients.region,
            &key,
        )))
    }
}

/// The URL CloudFormation reads a template object from.
pub fn template_url(bucket: &str, region: &str, key: &str) -> String {
    format!("https://{bucket}.s3.{region}.amazonaws.com/{key}")
}

/// The template of a request: inline, or through the store when too large
/// (an error when it is too large and there is no store).
async fn template_source(
    store: Option<&TemplateStore>,
    stack: &str,
    body: &str,
) -> Result<TemplateSource, LiveError> {
    match store {
        Some(store) => store.source(stack, body).await,
        None => Ok(TemplateSource::Body(body.to_owned())),
    }
}

impl TemplateSource {
    fn body(&self) -> Option<String> {
        match self {
            TemplateSource::Body(b) => Some(b.clone()),
            TemplateSource::Url(_) => None,
        }
    }

    fn url(&self) -> Option<String> {
        match self {
            TemplateSource::Url(u) => Some(u.clone()),
            TemplateSource::Body(_) => None,
        }
    }
}

/// The tags of every stack: managed by Landfall, and the wave it deploys in
/// (retirements are deleted from the highest wave down).
fn stack_tags(wave: usize) -> Vec<aws_sdk_cloudformation::types::Tag> {
    [
        ("landfall:managed", "true".to_owned()),
        (crate::retire::WAVE_TAG, wave.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| {
        aws_sdk_cloudformation::types::Tag::builder()
            .key(k)
            .value(v)
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
    wave: usize,
    role_arn: Option<&str>,
    store: Option<&TemplateStore>,
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
        before: Vec::new(),
        seconds: 0.0,
    };
    let result = apply_stack_inner(
        clients,
        name,
        template,
        parameters,
        wave,
        role_arn,
        store,
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

/// The `ClientRequestToken` of one stack operation of this run: the same
/// for every retry of the call (the SDK resends the request as built), so a
/// retried `UpdateStack` whose first attempt went through is recognised by
/// CloudFormation instead of failing on a stack in `UPDATE_IN_PROGRESS`;
/// distinct per run, operation and stack.
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html
/// (`[a-zA-Z][-a-zA-Z0-9]*`, at most 128 characters).
pub fn request_token(operation: &str, stack: &str) -> String {
    static RUN: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let run = RUN.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        nanos ^ (u64::from(std::process::id()) << 32)
    });
    // FNV-1a of the stack name: names are up to 128 characters themselves.
    let hash = stack.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("landfall-{operation}-{run:016x}-{hash:016x}")
}

#[allow(clippy::too_many_arguments)]
async fn apply_stack_inner(
    clients: &Clients,
    name: &str,
    template: &Value,
    parameters: &[(String, String)],
    wave: usize,
    role_arn: Option<&str>,
    store: Option<&TemplateStore>,
    waits: Waits,
    compat: Compat,
    task: &TaskHandle,
    outcome: &mut StackOutcome,
) -> Result<(), LiveError> {
    let cfn = clients.cloudformation();
    let source = template_source(store, name, &template.to_string()).await?;
    let mut live = read_stack(clients, name).await?;
    match live.as_ref().and_then(|l| recovery(&l.status)) {
        Some(Recovery::Recreate) => {
            task.status("DELETING_FAILED_CREATION");
            cfn.delete_stack()
                .stack_name(name)
                .client_request_token(request_token("delete", name))
                .send()
                .await
                .map_err(|e| LiveError::api("cloudformation:DeleteStack", &e))?;
            let status = wait_stack(clients, name, waits, task).await?;
            if status != "DELETE_COMPLETE" {
                outcome.status = status;
                outcome
                    .reasons
                    .extend(failure_events(clients, name, None).await);
                outcome.reasons.push(
                    "the stack's failed creation could not be deleted to create it again".into(),
                );
                return Ok(());
            }
            live = None;
        }
        Some(Recovery::ContinueRollback) => {
            task.status("CONTINUE_UPDATE_ROLLBACK");
            cfn.continue_update_rollback()
                .stack_name(name)
                .client_request_token(request_token("rollback", name))
                .send()
                .await
                .map_err(|e| LiveError::api("cloudformation:ContinueUpdateRollback", &e))?;
            wait_stack(clients, name, waits, task).await?;
            live = read_stack(clients, name).await?;
        }
        Some(Recovery::Manual) | None => {}
    }
    let mut since = None;
    match &live {
        None => {
            task.status("CREATE_IN_PROGRESS");
            match cfn
                .create_stack()
                .stack_name(name)
                .client_request_token(request_token("create", name))
                .set_role_arn(role_arn.map(str::to_owned))
                .set_template_body(source.body())
                .set_template_url(source.url())
                .set_parameters(Some(parameters_of(parameters)))
                .set_capabilities(Some(CAPABILITIES.to_vec()))
                .set_tags(Some(stack_tags(wave)))
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
                outcome.reasons.push(format!(
                    "the stack cannot be updated from {}: {}",
                    l.status,
                    manual_advice(&l.status)
                ));
                return Ok(());
            }
            StackStatusKind::Complete => {
                let role = role_arn
                    .and_then(|arn| arn.split_once(":role/"))
                    .map(|(_, r)| r);
                if l.matches(template, parameters) && l.runs_as(role, compat) {
                    outcome.status = l.status.clone();
                } else {
                    let dropped = l
                        .template
                        .as_ref()
                        .map(|live| protection::dropped_protected(live, template))
                        .unwrap_or_default();
                    if !dropped.is_empty() {
                        outcome.before.extend(
                            lift_protection(clients, name, l, &dropped, store, waits, task).await?,
                        );
                    }
                    task.status("UPDATE_IN_PROGRESS");
                    since = Some(aws_sdk_cloudformation::primitives::DateTime::from(
                        std::time::SystemTime::now(),
                    ));
                    match cfn
                        .update_stack()
                        .stack_name(name)
                        .client_request_token(request_token("update", name))
                        .set_role_arn(role_arn.map(str::to_owned))
                        .set_template_body(source.body())
                        .set_template_url(source.url())
                        .set_parameters(Some(parameters_of(parameters)))
                        .set_capabilities(Some(CAPABILITIES.to_vec()))
                        .set_tags(Some(stack_tags(wave)))
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

/// Whether a stack in `status` accepts `UpdateStack`
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks.html>:
/// a stack is updated from a complete state).
pub fn updatable(status: &str) -> bool {
    matches!(
        status,
        "CREATE_COMPLETE"
            | "UPDATE_COMPLETE"
            | "UPDATE_ROLLBACK_COMPLETE"
            | "IMPORT_COMPLETE"
            | "IMPORT_ROLLBACK_COMPLETE"
    )
}

/// Turns off the deletion protection of load balancers `ids` of the live
/// stack `name`: an update with its own template and parameters and that
/// attribute alone changed ([`protection`]), followed to its end. Returns
/// what it did, a line per load balancer.
pub async fn lift_protection(
    clients: &Clients,
    name: &str,
    live: &LiveStack,
    ids: &[String],
    store: Option<&TemplateStore>,
    waits: Waits,
    task: &TaskHandle,
) -> Result<Vec<String>, LiveError> {
    let Some(template) = &live.template else {
        return Err(LiveError::Api {
            operation: format!("cloudformation:GetTemplate `{name}`"),
            message: "the live template could not be read, so the deletion protection of its load balancers cannot be turned off".into(),
        });
    };
    let body = protection::unprotected(template, ids).to_string();
    let source = template_source(store, name, &body).await?;
    // Every parameter as it is; the stack's role and tags are kept when
    // the request names none.
    let parameters = live
        .parameters
        .iter()
        .map(|(k, _)| {
            Parameter::builder()
                .parameter_key(k)
                .use_previous_value(true)
                .build()
        })
        .collect();
    task.status("LIFTING_DELETION_PROTECTION");
    clients
        .cloudformation()
        .update_stack()
        .stack_name(name)
        .client_request_token(request_token("unprotect", name))
        .set_template_body(source.body())
        .set_template_url(source.url())
        .set_parameters(Some(parameters))
        .set_capabilities(Some(CAPABILITIES.to_vec()))
        .send()
        .await
        .map_err(|e| LiveError::api(format!("cloudformation:UpdateStack `{name}`"), &e))?;
    let status = wait_stack(clients, name, waits, task).await?;
    if status != "UPDATE_COMPLETE" {
        let reasons = failure_events(clients, name, None).await;
        return Err(LiveError::Api {
            operation: format!("cloudformation:UpdateStack `{name}` (deletion protection off)"),
            message: format!("the stack is {status}: {}", reasons.join("; ")),
        });
    }
    Ok(ids
        .iter()
        .map(|id| {
            format!("deletion protection of load balancer `{id}` in stack `{name}` turned off")
        })
        .collect())
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

/// The stack's status alone (one `DescribeStacks`, no template read);
/// `None` when there is no such stack.
pub async fn stack_status(clients: &Clients, name: &str) -> Result<Option<String>, LiveError> {
    match clients
        .cloudformation()
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .stacks()
            .first()
            .and_then(|s| s.stack_status())
            .map(|s| s.as_str().to_owned())),
        Err(e) if e.as_service_error().is_some_and(is_missing) => Ok(None),
        Err(e) => Err(LiveError::api("cloudformation:DescribeStacks", &e)),
    }
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
        let status = stack_status(clients, name)
            .await?
            .unwrap_or_else(|| "DELETE_COMPLETE".to_owned());
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
    // The stack lister skips deleted stacks, so a name identifies one.
    let stacks = crate::retire::list_stacks(clients).await?;
    let prefix = format!("StackSet-{stack_set}");
    let found = stacks.iter().find(|s| {
        s.name == prefix
            || s.name.starts_with(&format!("{prefix}-"))
            || s.name.starts_with(&format!("{prefix}:"))
    });
    match found {
        Some(s) => skipped_resources(clients, &s.name, template)
            .await
            .map(Some),
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
    // Newest first: pages are read until one reaches back before `since`.
    let mut events = Vec::new();
    let mut pages = clients
        .cloudformation()
        .describe_stack_events()
        .stack_name(stack)
        .into_paginator()
        .send();
    let mut failure = None;
    while let Some(page) = pages.next().await {
        match page {
            Ok(out) => {
                let reached = out.stack_events().iter().any(|e| {
                    since.is_some_and(|s| e.timestamp().is_some_and(|t| t.secs() < s.secs()))
                });
                events.extend(out.stack_events().iter().cloned());
                if reached {
                    break;
                }
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let events = match failure {
        None => events,
        Some(e) => {
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
    store: Option<&TemplateStore>,
    waits: Waits,
    task: &TaskHandle,
) -> Result<String, LiveError> {
    let cfn = mgmt.cloudformation();
    let source = template_source(store, name, &template.to_string()).await?;
    let live = read_stack_set(mgmt, name).await?;
    let mut action = "unchanged";
    match &live {
        None => {
            task.status("CREATING");
            cfn.create_stack_set()
                .stack_set_name(name)
                .set_template_body(source.body())
                .set_template_url(source.url())
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
            // A second operation is refused while one runs
            // (OperationInProgressException).
            wait_running_operations(mgmt, name, waits, task).await?;
            task.status("UPDATING");
            let out = cfn
                .update_stack_set()
                .stack_set_name(name)
                .set_template_body(source.body())
                .set_template_url(source.url())
                .set_parameters(Some(parameters_of(parameters)))
                .set_capabilities(Some(CAPABILITIES.to_vec()))
                .permission_model(PermissionModels::ServiceManaged)
                .deployment_targets(targets(ou_ids, account_ids))
                .set_regions(Some(regions.to_vec()))
                .operation_preferences(operation_preferences())
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
        let out = create_stack_instances(&cfn, name, ou_ids, account_ids, regions)
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

/// The `CreateStackInstances` request: the OUs, narrowed to the target's
/// accounts when it lists some (without the filter every account of the
/// OUs gets an instance), rolled out with [`OPERATION_PREFERENCES`].
pub fn create_stack_instances(
    cfn: &aws_sdk_cloudformation::Client,
    name: &str,
    ou_ids: &[String],
    account_ids: &[String],
    regions: &[String],
) -> aws_sdk_cloudformation::operation::create_stack_instances::builders::CreateStackInstancesFluentBuilder
{
    cfn.create_stack_instances()
        .stack_set_name(name)
        .deployment_targets(targets(ou_ids, account_ids))
        .set_regions(Some(regions.to_vec()))
        .operation_preferences(operation_preferences())
}

/// Runs the StackSet's template again on instances left `OUTDATED` (an
/// earlier operation failed or stopped there).
pub async fn rerun_outdated(
    mgmt: &Clients,
    name: &str,
    ou_ids: &[String],
    account_ids: &[String],
    regions: &[String],
    waits: Waits,
    task: &TaskHandle,
) -> Result<(), LiveError> {
    wait_running_operations(mgmt, name, waits, task).await?;
    task.status("RERUNNING_OUTDATED");
    let out = mgmt
        .cloudformation()
        .update_stack_instances()
        .stack_set_name(name)
        .deployment_targets(targets(ou_ids, account_ids))
        .set_regions(Some(regions.to_vec()))
        .operation_preferences(operation_preferences())
        .send()
        .await
        .map_err(|e| LiveError::api("cloudformation:UpdateStackInstances", &e))?;
    if let Some(op) = out.operation_id() {
        wait_operation(mgmt, name, op, waits, task).await?;
    }
    Ok(())
}

/// Waits for the StackSet's queued and running operations to end.
pub(crate) async fn wait_running_operations(
    mgmt: &Clients,
    name: &str,
    waits: Waits,
    task: &TaskHandle,
) -> Result<(), LiveError> {
    let cfn = mgmt.cloudformation();
    let ops = cfn
        .list_stack_set_operations()
        .stack_set_name(name)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| LiveError::api("cloudformation:ListStackSetOperations", &e))?;
    for op in &ops {
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

pub(crate) async fn wait_operation(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> aws_sdk_cloudformation::Client {
        aws_sdk_cloudformation::Client::from_conf(
            aws_sdk_cloudformation::Config::builder()
                .behavior_version(aws_sdk_cloudformation::config::BehaviorVersion::latest())
                .region(aws_sdk_cloudformation::config::Region::new("eu-central-1"))
                .build(),
        )
    }

    // A target that lists accounts narrows its OUs with an INTERSECTION
    // filter; without one, every account of the OUs gets an instance:
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeploymentTargets.html
    #[test]
    fn instances_of_a_target_that_lists_accounts_are_created_only_there() {
        let request = create_stack_instances(
            &client(),
            "core-rules",
            &["ou-core".to_owned()],
            &["111111111111".to_owned()],
            &["eu-central-1".to_owned()],
        );
        let input = request.as_input();
        let targets = input.get_deployment_targets().as_ref().unwrap();
        assert_eq!(targets.organizational_unit_ids(), ["ou-core"]);
        assert_eq!(targets.accounts(), ["111111111111"]);
        assert_eq!(
            targets.account_filter_type(),
            Some(&aws_sdk_cloudformation::types::AccountFilterType::Intersection)
        );
        let all = create_stack_instances(&client(), "x", &["ou-core".to_owned()], &[], &[]);
        let targets = all.as_input().get_deployment_targets().as_ref().unwrap();
        assert!(targets.accounts().is_empty() && targets.account_filter_type().is_none());
    }

    // https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html
    #[test]
    fn stack_set_operations_run_regions_in_parallel_with_a_failure_tolerance() {
        let request = create_stack_instances(&client(), "x", &[], &[], &[]);
        let p = request
            .as_input()
            .get_operation_preferences()
            .clone()
            .unwrap();
        assert_eq!(
            p.region_concurrency_type(),
            Some(&RegionConcurrencyType::Parallel)
        );
        assert_eq!(p.max_concurrent_percentage(), Some(25));
        assert_eq!(p.failure_tolerance_percentage(), Some(10));
        assert_eq!(
            p.concurrency_mode(),
            Some(&ConcurrencyMode::SoftFailureTolerance)
        );
    }

    // Templates over 51,200 bytes must be passed by URL:
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
    #[test]
    fn only_templates_over_the_inline_limit_go_through_s3() {
        assert!(!too_large_inline(&"x".repeat(51_200), 51_200));
        assert!(too_large_inline(&"x".repeat(51_201), 51_200));
        assert_eq!(
            template_url(
                "emuco-templates-1-eu-central-1",
                "eu-central-1",
                "net/ab.json"
            ),
            "https://emuco-templates-1-eu-central-1.s3.eu-central-1.amazonaws.com/net/ab.json"
        );
    }

    #[test]
    fn failed_states_map_to_their_recovery() {
        assert_eq!(recovery("ROLLBACK_COMPLETE"), Some(Recovery::Recreate));
        assert_eq!(recovery("REVIEW_IN_PROGRESS"), Some(Recovery::Recreate));
        assert_eq!(
            recovery("UPDATE_ROLLBACK_FAILED"),
            Some(Recovery::ContinueRollback)
        );
        assert_eq!(recovery("DELETE_FAILED"), Some(Recovery::Manual));
        assert_eq!(recovery("UPDATE_COMPLETE"), None);
    }
}
