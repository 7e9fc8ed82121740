//! Who can do what on the platform's sensitive resources
//! (`landfall iam access-review`): for every role the platform creates and
//! every Identity Center permission set where it is assigned, each action
//! of a fixed list on each data store, key and log bucket is evaluated by
//! the IAM engine, with the role's policies, boundary and the account's
//! SCPs as compiled, and the resource's own policy; what is allowed is
//! reported grouped by the statements that allow it and those it passes
//! through.
//!
//! What a request carries: the role's ARN as principal (what a resource
//! policy naming the role matches), the resource's region as
//! `aws:RequestedRegion`, TLS, the organization (`aws:PrincipalOrgID`), the
//! role's tags and a key's aliases. No `kms:ViaService`: a key is reviewed
//! for direct use, so a grant "through DynamoDB only" is not listed as a
//! direct decrypt. An MSK request names some topic of the cluster, an
//! Aurora `rds-db:connect` some database user of the cluster.

mod managed;
pub mod platform;

use std::collections::{BTreeMap, BTreeSet};

use landfall_graph::Graph;
use landfall_iam::authorize::{evaluate, Layer, PolicySet};
use landfall_iam::compile::CompiledPolicy;
use landfall_iam::json::JsonLimits;
use landfall_iam::policy::Effect;
use landfall_iam::request::{ContextValue, Request, RequestInput};
use landfall_iam::simulate::{describe_statement, StatementReport};
use landfall_model::{AccountId, Model};
use landfall_spec::types::AccountClass;
use serde::Serialize;
use serde_json::Value;

use crate::{
    assigned_accounts, compile, placeholder_id, reserved_role, OrgPolicies, FULL_AWS_ACCESS,
};
use platform::{Kind, Place, Reader, Sensitive, ORGANIZATION_ID};

/// What an action does to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Open a session to the store (IAM database or cache authentication,
    /// an MSK connection): what its data protocol then allows.
    Connect,
    ReadData,
    WriteData,
    ReadConfiguration,
    /// Change its policy, delete it or schedule its deletion.
    Administer,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Connect => "connect",
            Level::ReadData => "read-data",
            Level::WriteData => "write-data",
            Level::ReadConfiguration => "read-configuration",
            Level::Administer => "administer",
        }
    }
}

/// Which ARN an action is asked on.
#[derive(Debug, Clone, Copy)]
enum On {
    /// The resource's ARN.
    Itself,
    /// Any object of a bucket (`<bucket ARN>/*`).
    Objects,
    /// Any database user of an Aurora cluster (`dbuser:<resource id>/*`).
    DbUsers,
    /// Any topic of an MSK cluster.
    Topics,
}

/// The actions reviewed on each kind of resource.
const CHECKS: &[(Kind, Level, &str, On)] = &[
    (
        Kind::AuroraCluster,
        Level::Connect,
        "rds-db:connect",
        On::DbUsers,
    ),
    (
        Kind::AuroraCluster,
        Level::ReadData,
        "rds-data:ExecuteStatement",
        On::Itself,
    ),
    (
        Kind::AuroraCluster,
        Level::ReadConfiguration,
        "rds:DescribeDBClusters",
        On::Itself,
    ),
    (
        Kind::AuroraCluster,
        Level::Administer,
        "rds:ModifyDBCluster",
        On::Itself,
    ),
    (
        Kind::AuroraCluster,
        Level::Administer,
        "rds:DeleteDBCluster",
        On::Itself,
    ),
    (
        Kind::DynamoDbTable,
        Level::ReadData,
        "dynamodb:GetItem",
        On::Itself,
    ),
    (
        Kind::DynamoDbTable,
        Level::ReadData,
        "dynamodb:Query",
        On::Itself,
    ),
    (
        Kind::DynamoDbTable,
        Level::ReadData,
        "dynamodb:Scan",
        On::Itself,
    ),
    (
        Kind::DynamoDbTable,
        Level::WriteData,
        "dynamodb:PutItem",
        On::Itself,
    ),
    (
        Kind::DynamoDbTable,
        Level::WriteData,
        "dynamodb:DeleteItem",
        On::Itself,
    ),
    (
        Kind::DynamoDbTable,
        Level::ReadConfiguration,
        "dynamodb:DescribeTable",
        On::Itself,
    ),
    (
        Kind::DynamoDbTable,
        Level::Administer,
        "dynamodb:DeleteTable",
        On::Itself,
    ),
    (Kind::S3Bucket, Level::ReadData, "s3:GetObject", On::Objects),
    (
        Kind::S3Bucket,
        Level::WriteData,
        "s3:PutObject",
        On::Objects,
    ),
    (
        Kind::S3Bucket,
        Level::WriteData,
        "s3:DeleteObject",
        On::Objects,
    ),
    (
        Kind::S3Bucket,
        Level::ReadConfiguration,
        "s3:ListBucket",
        On::Itself,
    ),
    (
        Kind::S3Bucket,
        Level::ReadConfiguration,
        "s3:GetBucketPolicy",
        On::Itself,
    ),
    (
        Kind::S3Bucket,
        Level::Administer,
        "s3:PutBucketPolicy",
        On::Itself,
    ),
    (
        Kind::S3Bucket,
        Level::Administer,
        "s3:DeleteBucket",
        On::Itself,
    ),
    (
        Kind::MskCluster,
        Level::Connect,
        "kafka-cluster:Connect",
        On::Itself,
    ),
    (
        Kind::MskCluster,
        Level::ReadData,
        "kafka-cluster:ReadData",
        On::Topics,
    ),
    (
        Kind::MskCluster,
        Level::WriteData,
        "kafka-cluster:WriteData",
        On::Topics,
    ),
    (
        Kind::MskCluster,
        Level::ReadConfiguration,
        "kafka:DescribeCluster",
        On::Itself,
    ),
    (
        Kind::MskCluster,
        Level::Administer,
        "kafka:DeleteCluster",
        On::Itself,
    ),
    (
        Kind::ValkeyReplicationGroup,
        Level::Connect,
        "elasticache:Connect",
        On::Itself,
    ),
    (
        Kind::ValkeyReplicationGroup,
        Level::ReadConfiguration,
        "elasticache:DescribeReplicationGroups",
        On::Itself,
    ),
    (
        Kind::ValkeyReplicationGroup,
        Level::Administer,
        "elasticache:ModifyReplicationGroup",
        On::Itself,
    ),
    (
        Kind::ValkeyReplicationGroup,
        Level::Administer,
        "elasticache:DeleteReplicationGroup",
        On::Itself,
    ),
    (Kind::KmsKey, Level::ReadData, "kms:Decrypt", On::Itself),
    (
        Kind::KmsKey,
        Level::WriteData,
        "kms:GenerateDataKey",
        On::Itself,
    ),
    (Kind::KmsKey, Level::WriteData, "kms:Encrypt", On::Itself),
    (
        Kind::KmsKey,
        Level::ReadConfiguration,
        "kms:DescribeKey",
        On::Itself,
    ),
    (
        Kind::KmsKey,
        Level::Administer,
        "kms:PutKeyPolicy",
        On::Itself,
    ),
    (
        Kind::KmsKey,
        Level::Administer,
        "kms:ScheduleKeyDeletion",
        On::Itself,
    ),
];

/// The review of a platform.
#[derive(Debug, Clone, Serialize)]
pub struct AccessReview {
    /// Principals reviewed (a role or permission set once per account).
    pub principals_reviewed: usize,
    pub resources_reviewed: usize,
    pub evaluations: usize,
    /// Principals with some access, each with what it can do.
    pub principals: Vec<PrincipalAccess>,
    /// What the review had to assume (policies it holds no copy of, values
    /// it could not read), once each.
    pub assumptions: Vec<String>,
}

/// One principal in one account and what it can do.
#[derive(Debug, Clone, Serialize)]
pub struct PrincipalAccess {
    pub principal: String,
    pub name: String,
    /// `role` or `permission-set`.
    pub kind: &'static str,
    pub account: String,
    /// The stack and logical id of a role, or the permission set's name.
    pub defined_in: String,
    pub reasons: Vec<Reason>,
}

/// Access that the same statements allow and the same limits pass.
#[derive(Debug, Clone, Serialize)]
pub struct Reason {
    /// The identity-based and resource-based statements that allow.
    pub allowed_by: Vec<StatementReport>,
    /// The permissions boundary statements the access passes through, and
    /// SCP statements other than `FullAWSAccess`.
    pub limited_by: Vec<StatementReport>,
    /// SCP levels the access passes (every one must allow); 0 where SCPs do
    /// not apply (the management account, service-linked roles).
    pub scp_levels: usize,
    pub access: Vec<Access>,
}

/// Actions of one level on one resource.
#[derive(Debug, Clone, Serialize)]
pub struct Access {
    pub resource: ResourceReport,
    pub level: Level,
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ResourceReport {
    pub kind: &'static str,
    pub name: String,
    pub account: String,
    pub region: String,
    pub arn: String,
}

/// A principal ready to evaluate.
struct Principal<'a> {
    arn: String,
    name: String,
    kind: &'static str,
    account: &'a landfall_model::Account,
    defined_in: String,
    policies: PolicySet,
    tags: Vec<(String, String)>,
}

/// Reviews every role of `graph` and every permission set of `model`
/// where it is assigned; with `account`, only what principals of that
/// account can do and what can be done to its resources.
pub fn access_review(
    model: &Model,
    org: &OrgPolicies,
    graph: &Graph,
    account: Option<AccountId>,
) -> AccessReview {
    let reader = Reader::new(model, graph);
    let mut assumptions = Vec::new();
    let resources: Vec<Sensitive<'_>> = reader
        .sensitive()
        .into_iter()
        .filter(|r| account.is_none_or(|a| a == r.place.account.id) || r.policy.is_some())
        .collect();
    let mut resource_policies: Vec<Option<CompiledPolicy>> = resources
        .iter()
        .map(|r| {
            let policy = r.policy.as_ref()?;
            let name = format!("{} policy of {}", r.kind.as_str(), r.name);
            compile_or_note(&name, policy, &mut assumptions)
        })
        .collect();
    // The accounts each resource policy may let in (`None`: anyone).
    let admitted: Vec<Option<BTreeSet<String>>> = resources
        .iter()
        .map(|r| {
            r.policy
                .as_ref()
                .map_or(Some(BTreeSet::new()), admitted_accounts)
        })
        .collect();
    let mut principals = roles(&reader, org, &mut assumptions);
    principals.extend(permission_sets(model, org, &mut assumptions));
    let management = model
        .core_account(AccountClass::Management)
        .map(|a| placeholder_id(a.id));

    let mut evaluations = 0;
    let mut principals_reviewed = 0;
    let mut reviewed = Vec::new();
    for principal in &mut principals {
        let before = evaluations;
        let principal_account = placeholder_id(principal.account.id);
        // Reason key (labels) → the reason.
        let mut reasons: BTreeMap<(Vec<String>, Vec<String>, usize), Reason> = BTreeMap::new();
        for (index, resource) in resources.iter().enumerate() {
            let same_account = resource.place.account.id == principal.account.id;
            // Across accounts the resource policy must allow too: one that
            // names neither the principal's account (or a principal in it)
            // nor everyone cannot. With `--account`, only pairs that touch
            // that account.
            if !same_account
                && admitted[index]
                    .as_ref()
                    .is_some_and(|accounts| !accounts.contains(&principal_account))
            {
                continue;
            }
            if account.is_some_and(|a| a != resource.place.account.id && a != principal.account.id)
            {
                continue;
            }
            // Lent to the principal's policy set for this resource's requests.
            let lent =
                LentResourcePolicy::new(&mut principal.policies, &mut resource_policies[index]);
            let policies = lent.policies();
            for (_, level, action, on) in CHECKS.iter().filter(|c| c.0 == resource.kind) {
                evaluations += 1;
                let request = Request::new(request(
                    &principal.arn,
                    &principal.tags,
                    resource,
                    action,
                    *on,
                    &management,
                ));
                let decision = evaluate(policies, &request);
                if !decision.is_allowed() {
                    continue;
                }
                let allows = |layers: &[Layer]| -> Vec<StatementReport> {
                    decision
                        .matched
                        .iter()
                        .filter(|s| s.effect == Effect::Allow && layers.contains(&s.layer))
                        .map(|s| describe_statement(policies, s))
                        .filter(|s| !(s.layer == Layer::Scp && s.policy == "FullAWSAccess"))
                        .collect()
                };
                let allowed_by = allows(&[Layer::Identity, Layer::Resource]);
                let limited_by = allows(&[Layer::Boundary, Layer::Session, Layer::Scp]);
                let scp_levels = if decision.exemptions.iter().any(|(l, _)| *l == Layer::Scp) {
                    0
                } else {
                    policies.scps.len()
                };
                let key = (
                    allowed_by.iter().map(StatementReport::label).collect(),
                    limited_by.iter().map(StatementReport::label).collect(),
                    scp_levels,
                );
                let reason = reasons.entry(key).or_insert_with(|| Reason {
                    allowed_by,
                    limited_by,
                    scp_levels,
                    access: Vec::new(),
                });
                let report = resource_report(resource);
                match reason
                    .access
                    .iter_mut()
                    .find(|a| a.resource == report && a.level == *level)
                {
                    Some(access) => access.actions.push((*action).to_owned()),
                    None => reason.access.push(Access {
                        resource: report,
                        level: *level,
                        actions: vec![(*action).to_owned()],
                    }),
                }
            }
        }
        if evaluations > before {
            principals_reviewed += 1;
        }
        if reasons.is_empty() {
            continue;
        }
        let mut reasons: Vec<Reason> = reasons.into_values().collect();
        for reason in &mut reasons {
            reason
                .access
                .sort_by(|a, b| (&a.resource, a.level).cmp(&(&b.resource, b.level)));
        }
        reviewed.push(PrincipalAccess {
            principal: principal.arn.clone(),
            name: principal.name.clone(),
            kind: principal.kind,
            account: principal.account.name.clone(),
            defined_in: principal.defined_in.clone(),
            reasons,
        });
    }
    reviewed.sort_by(|a, b| {
        (&a.account, a.kind, &a.principal).cmp(&(&b.account, b.kind, &b.principal))
    });
    assumptions.sort();
    assumptions.dedup();
    AccessReview {
        principals_reviewed,
        resources_reviewed: resources
            .iter()
            .filter(|r| account.is_none_or(|a| a == r.place.account.id))
            .count(),
        evaluations,
        principals: reviewed,
        assumptions,
    }
}

/// A resource policy moved into a principal's policy set for the
/// requests on one resource, and moved back when dropped: no policy is
/// copied per pair.
struct LentResourcePolicy<'p> {
    set: &'p mut PolicySet,
    home: &'p mut Option<CompiledPolicy>,
}

impl<'p> LentResourcePolicy<'p> {
    fn new(set: &'p mut PolicySet, home: &'p mut Option<CompiledPolicy>) -> Self {
        set.resource = home.take();
        Self { set, home }
    }

    fn policies(&self) -> &PolicySet {
        self.set
    }
}

impl Drop for LentResourcePolicy<'_> {
    fn drop(&mut self) {
        *self.home = self.set.resource.take();
    }
}

/// The accounts whose principals a resource policy's `Allow` statements
/// name (by account id, root or an ARN in the account); `None` when one
/// names everyone (`*`, or a `NotPrincipal`), so any account may get in.
fn admitted_accounts(policy: &Value) -> Option<BTreeSet<String>> {
    let statements = match policy.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    let mut accounts = BTreeSet::new();
    for statement in statements {
        if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        if statement.get("NotPrincipal").is_some() {
            return None;
        }
        let mut names = Vec::new();
        match statement.get("Principal") {
            Some(Value::String(s)) => names.push(s.as_str()),
            Some(Value::Object(map)) => {
                for value in map.get("AWS").into_iter() {
                    match value {
                        Value::String(s) => names.push(s.as_str()),
                        Value::Array(items) => names.extend(items.iter().filter_map(Value::as_str)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        for name in names {
            if name.contains(['*', '?']) {
                return None;
            }
            let account = if name.starts_with("arn:") {
                name.split(':').nth(4).unwrap_or_default()
            } else {
                name
            };
            accounts.insert(account.to_owned());
        }
    }
    Some(accounts)
}

fn resource_report(resource: &Sensitive<'_>) -> ResourceReport {
    ResourceReport {
        kind: resource.kind.as_str(),
        name: resource.name.clone(),
        account: resource.place.account.name.clone(),
        region: resource.place.region.to_owned(),
        arn: resource.arn.clone(),
    }
}

/// The request a principal makes for one action on one resource.
fn request(
    principal: &str,
    tags: &[(String, String)],
    resource: &Sensitive<'_>,
    action: &str,
    on: On,
    management: &Option<String>,
) -> RequestInput {
    let arn = &resource.arn;
    let target = match on {
        On::Itself => arn.clone(),
        On::Objects => format!("{arn}/*"),
        On::DbUsers => format!(
            "arn:aws:rds-db:{}:{}:dbuser:{}/*",
            resource.place.region,
            placeholder_id(resource.place.account.id),
            resource.resource_id.as_deref().unwrap_or("*")
        ),
        // `cluster/NAME/UUID` → `topic/NAME/UUID/*`.
        On::Topics => format!("{}/*", arn.replacen(":cluster/", ":topic/", 1)),
    };
    let one = |v: &str| ContextValue::One(v.to_owned());
    let mut context = BTreeMap::from([
        ("aws:RequestedRegion".to_owned(), one(resource.place.region)),
        ("aws:SecureTransport".to_owned(), one("true")),
        ("aws:PrincipalOrgID".to_owned(), one(ORGANIZATION_ID)),
    ]);
    for (key, value) in tags {
        context.insert(format!("aws:PrincipalTag/{key}"), one(value));
    }
    if !resource.aliases.is_empty() {
        context.insert(
            "kms:ResourceAliases".to_owned(),
            ContextValue::Many(resource.aliases.clone()),
        );
    }
    RequestInput {
        principal: principal.to_owned(),
        action: action.to_owned(),
        resource: target,
        resource_account: Some(placeholder_id(resource.place.account.id)),
        context,
        management_account: management.clone(),
    }
}

fn compile_or_note(
    name: &str,
    document: &Value,
    notes: &mut Vec<String>,
) -> Option<CompiledPolicy> {
    if document.is_string() {
        notes.push(format!(
            "`{name}` could not be read from the graph; left out"
        ));
        return None;
    }
    match compile(name, &document.to_string(), &JsonLimits::default()) {
        Ok(policy) => Some(policy),
        Err(diagnostics) => {
            let messages: Vec<String> = diagnostics.into_iter().map(|d| d.message).collect();
            notes.push(format!(
                "`{name}` does not parse ({}); left out",
                messages.join("; ")
            ));
            None
        }
    }
}

/// An AWS managed policy: its projection, or everything allowed.
fn aws_managed(arn_or_name: &str, notes: &mut Vec<String>) -> Option<CompiledPolicy> {
    match managed::lookup(arn_or_name) {
        Some(policy) => {
            notes.push(format!(
                "AWS managed policy `{}` read as its version {} ({}), its statements on {} only",
                policy.name,
                policy.version,
                policy.page,
                managed::projected_services().join(", ")
            ));
            compile(&policy.name, &policy.document(), &JsonLimits::default()).ok()
        }
        None => {
            let name = arn_or_name.rsplit('/').next().unwrap_or(arn_or_name);
            notes.push(format!(
                "AWS managed policy `{name}`: no copy held, taken as allowing everything on {}",
                managed::projected_services().join(", ")
            ));
            compile(name, FULL_AWS_ACCESS, &JsonLimits::default()).ok()
        }
    }
}

fn scps(org: &OrgPolicies, account: AccountId) -> Vec<Vec<CompiledPolicy>> {
    org.account(account)
        .map(|p| p.scps.clone())
        .unwrap_or_default()
}

fn roles<'a>(
    reader: &Reader<'a>,
    org: &OrgPolicies,
    notes: &mut Vec<String>,
) -> Vec<Principal<'a>> {
    reader
        .roles()
        .into_iter()
        .map(|role| {
            let mut identity: Vec<CompiledPolicy> = role
                .policies
                .iter()
                .filter_map(|(name, document)| compile_or_note(name, document, notes))
                .collect();
            identity.extend(
                role.aws_managed
                    .iter()
                    .filter_map(|arn| aws_managed(arn, notes)),
            );
            let boundaries = role
                .boundary
                .as_ref()
                .and_then(|(name, document)| compile_or_note(name, document, notes))
                .into_iter()
                .collect();
            let Place { account, .. } = role.place;
            Principal {
                arn: role.arn,
                name: role.name,
                kind: "role",
                account,
                defined_in: format!("{}:{}", role.stack, role.logical_id),
                policies: PolicySet {
                    identity,
                    boundaries,
                    scps: scps(org, account.id),
                    ..PolicySet::default()
                },
                tags: role.tags,
            }
        })
        .collect()
}

/// Each permission set in each account it is assigned to, as the role
/// Identity Center creates there.
fn permission_sets<'a>(
    model: &'a Model,
    org: &OrgPolicies,
    notes: &mut Vec<String>,
) -> Vec<Principal<'a>> {
    let mut out = Vec::new();
    for set in &model.identity.permission_sets {
        let mut identity: Vec<CompiledPolicy> = set
            .managed_policies
            .iter()
            .filter_map(|name| aws_managed(name, notes))
            .collect();
        if let Some(document) = &set.inline_policy {
            if let Ok(value) = serde_json::from_str::<Value>(document) {
                identity.extend(compile_or_note(
                    &format!("{}-inline", set.name),
                    &value,
                    notes,
                ));
            }
        }
        for id in assigned_accounts(model, set) {
            let account = model.account(id);
            out.push(Principal {
                arn: reserved_role(&placeholder_id(id), &set.name),
                name: set.name.clone(),
                kind: "permission-set",
                account,
                defined_in: format!("permission set `{}`", set.name),
                policies: PolicySet {
                    identity: identity.clone(),
                    scps: scps(org, id),
                    ..PolicySet::default()
                },
                tags: Vec::new(),
            });
        }
    }
    out
}

/// The review as text: one block per principal, one paragraph per reason.
pub fn render_text(review: &AccessReview) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for p in &review.principals {
        let _ = writeln!(
            out,
            "{} `{}` in `{}` ({}; {})",
            p.kind, p.name, p.account, p.principal, p.defined_in
        );
        for reason in &p.reasons {
            let allowed: Vec<String> = reason
                .allowed_by
                .iter()
                .map(StatementReport::label)
                .collect();
            let _ = writeln!(out, "  allowed by {}", allowed.join(" and "));
            let mut limits: Vec<String> = reason
                .limited_by
                .iter()
                .map(StatementReport::label)
                .collect();
            if reason.scp_levels > 0 {
                limits.push(format!("{} SCP levels", reason.scp_levels));
            }
            if !limits.is_empty() {
                let _ = writeln!(out, "  within {}", limits.join(", "));
            }
            for access in &reason.access {
                let r = &access.resource;
                let _ = writeln!(
                    out,
                    "    {:<18} {} `{}` ({}, {}): {}",
                    access.level.as_str(),
                    r.kind,
                    r.name,
                    r.account,
                    r.region,
                    access.actions.join(", ")
                );
            }
        }
    }
    for note in &review.assumptions {
        let _ = writeln!(out, "assumed: {note}");
    }
    let _ = writeln!(
        out,
        "{} of {} principals have access to {} sensitive resources ({} evaluations)",
        review.principals.len(),
        review.principals_reviewed,
        review.resources_reviewed,
        review.evaluations
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reviewed_action_is_in_the_service_authorization_reference() {
        let catalog = landfall_iam::catalog::Catalog::get();
        for (_, _, action, _) in CHECKS {
            let (prefix, name) = action.split_once(':').unwrap_or_default();
            assert!(
                catalog
                    .service(prefix)
                    .and_then(|s| s.action(name))
                    .is_some(),
                "{action}"
            );
            assert!(
                managed::projected_services().iter().any(|s| s == prefix),
                "{action}"
            );
        }
    }
}
