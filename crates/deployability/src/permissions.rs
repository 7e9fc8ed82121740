//! Deploy-permission proofs: may the principal that deploys each stack, in
//! each account and region it deploys to, perform every action the create,
//! update and delete handlers of its resource types need?
//!
//! Who deploys what:
//!
//! - stacks in the management account (the organization layer, the
//!   organization trail): the caller's own credentials there, to which
//!   SCPs do not apply
//!   (<https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html>),
//!   so there is nothing to prove;
//! - a service-managed StackSet: in each target account, the role AWS
//!   creates for it, `stacksets-exec-<hash>` at path `/` with
//!   `AdministratorAccess`
//!   (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-activate-trusted-access.html>);
//!   SCPs apply to it like to any role;
//! - any other stack in a member account: once the baseline that creates
//!   it is deployed there (the stack depends on it), CloudFormation runs it
//!   as the baseline's service role (`landfall/landfall-cloudformation`,
//!   [`landfall_synth::deployers`]); before, with the credentials of the
//!   role the deployer enters the account through,
//!   `OrganizationAccountAccessRole` (`AdministratorAccess`).
//!
//! Each action is evaluated by the IAM engine with the SCP levels of the
//! account ([`landfall_proofs::OrgPolicies`]), the principal's identity
//! policies and its boundary, on an example resource of the action's type
//! ([`landfall_proofs::default_resource`]; IAM roles and policies on their
//! own ARN). The identity policies of the deploy role are read from the
//! graph; they are taken at the action level (every resource and condition
//! of an `Allow` as satisfiable, only unconditional denies on everything
//! kept), so a finding there means no statement could allow the action.
//! Decisions are cached per account, region, principal and action.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use landfall_diagnostics::SourceSet;
use landfall_graph::{Graph, Resource, Stack, Target};
use landfall_iam::authorize::{evaluate, Decision, DecisionKind, Layer, PolicySet};
use landfall_iam::compile::CompiledPolicy;
use landfall_iam::json::JsonLimits;
use landfall_iam::policy::parse_policy_text;
use landfall_iam::request::{ContextValue, Request, RequestInput};
use landfall_iam::simulate::describe_statement;
use landfall_proofs::{default_resource, placeholder_id, OrgPolicies};
use serde_json::{json, Value};

use crate::handlers::{Handlers, Operation};
use crate::placement::{some_of, Layout, Place};
use crate::{Finding, Input};

pub const CODE: &str = "deploy::permission";

/// `AdministratorAccess`
/// (<https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html>).
const ADMINISTRATOR_ACCESS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// `PowerUserAccess`
/// (<https://docs.aws.amazon.com/aws-managed-policy/latest/reference/PowerUserAccess.html>).
const POWER_USER_ACCESS: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},
  {"Effect":"Allow","Action":["account:GetAccountInformation","account:GetPrimaryEmail","account:ListRegions","iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeOrganization"],"Resource":"*"}]}"#;

/// AWS managed policies the platform's deploying roles use, by name.
const MANAGED: [(&str, &str); 2] = [
    ("AdministratorAccess", ADMINISTRATOR_ACCESS),
    ("PowerUserAccess", POWER_USER_ACCESS),
];

/// The name of the role service-managed StackSets act through; AWS adds
/// a hash, which no SCP can know in advance.
const STACKSET_ROLE: &str = "stacksets-exec-00000000000000000000000000000000";

use landfall_synth::layers::baseline::CLOUDFORMATION_ROLE;

/// The role Organizations creates in every account it creates.
const ACCOUNT_ACCESS_ROLE: &str = "OrganizationAccountAccessRole";

/// Who deploys a stack in one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Deployer {
    StackSetExecution,
    ServiceRole,
    AccountAccessRole,
}

impl Deployer {
    fn role_path(self) -> String {
        match self {
            Deployer::StackSetExecution => STACKSET_ROLE.to_owned(),
            Deployer::ServiceRole => format!("landfall/{CLOUDFORMATION_ROLE}"),
            Deployer::AccountAccessRole => ACCOUNT_ACCESS_ROLE.to_owned(),
        }
    }

    fn describe(self) -> String {
        match self {
            Deployer::StackSetExecution => {
                "the StackSet execution role `stacksets-exec-*`".to_owned()
            }
            Deployer::ServiceRole => {
                format!("the CloudFormation service role `landfall/{CLOUDFORMATION_ROLE}`")
            }
            Deployer::AccountAccessRole => format!("`{ACCOUNT_ACCESS_ROLE}`"),
        }
    }
}

/// Why an action is refused, as a finding says it; the same reason in
/// several accounts makes one finding.
type Reason = String;

/// Account, region, principal, action and the IAM resource it acts on.
type DecisionKey<'a> = (&'a str, &'a str, Deployer, &'a str, Option<String>);

/// An action a handler needs, the handler, and why it is refused.
type Refusal = (&'static str, Operation, Reason);

/// The refusals of one reason for one resource type of one stack.
#[derive(Default)]
struct Group<'a> {
    actions: BTreeMap<&'a str, BTreeSet<Operation>>,
    resources: BTreeSet<&'a str>,
    accounts: BTreeSet<&'a str>,
    origin: Option<&'a landfall_spec::Pointer>,
}

pub fn check(input: &Input) -> Vec<Finding> {
    let layout = Layout::new(input.model, input.graph);
    let org = match OrgPolicies::of(input.model, input.scps) {
        Ok(org) => org,
        Err(_) => {
            return vec![Finding {
            code: CODE,
            stack: input.graph.organization.clone(),
            resource: None,
            message:
                "the service control policies do not parse, so no deploy permission can be proven"
                    .into(),
            help: "this is a bug in Landfall; `landfall iam prove` shows the policy errors".into(),
            at: None,
        }]
        }
    };
    let mut checker = Checker::new(&layout, &org);
    let mut groups: BTreeMap<(usize, &str, Deployer, Reason), Group> = BTreeMap::new();
    for (index, stack) in input.graph.stacks.iter().enumerate() {
        for &place in layout.places(index) {
            let Some(deployer) = checker.deployer(stack, place) else {
                continue;
            };
            for resource in &stack.resources {
                let refusals = checker.refusals(stack, place, deployer, resource);
                for (action, operation, reason) in refusals.iter() {
                    let group = groups
                        .entry((index, resource.kind.as_str(), deployer, reason.clone()))
                        .or_default();
                    group.actions.entry(action).or_default().insert(*operation);
                    group.resources.insert(&resource.logical_id);
                    group.accounts.insert(place.account);
                    group.origin = group.origin.or(resource.origin.as_ref());
                }
            }
        }
    }
    // The same refusal in many stacks (a role every service stack has) is
    // one finding, named after its first stack.
    type SameRefusal<'k> = (&'k str, Deployer, Reason, String);
    let mut merged: BTreeMap<SameRefusal, Vec<(usize, Group)>> = BTreeMap::new();
    for ((index, kind, deployer, reason), group) in groups {
        let actions: Vec<&str> = group.actions.keys().copied().collect();
        merged
            .entry((kind, deployer, reason, actions.join(",")))
            .or_default()
            .push((index, group));
    }
    merged
        .into_iter()
        .map(|((kind, deployer, reason, _), stacks)| {
            finding(input.graph, kind, deployer, &reason, &stacks)
        })
        .collect()
}

fn finding(
    graph: &Graph,
    kind: &str,
    deployer: Deployer,
    reason: &str,
    stacks: &[(usize, Group)],
) -> Finding {
    let (index, group) = &stacks[0];
    let stack = &graph.stacks[*index];
    let actions: Vec<String> = group
        .actions
        .iter()
        .map(|(action, ops)| {
            let ops: Vec<&str> = ops.iter().map(|o| o.verb()).collect();
            format!("`{action}` ({})", ops.join(", "))
        })
        .collect();
    let resources: Vec<&str> = group.resources.iter().copied().collect();
    let mut accounts: Vec<&str> = stacks
        .iter()
        .flat_map(|(_, g)| g.accounts.iter().copied())
        .collect();
    accounts.sort_unstable();
    accounts.dedup();
    let others: Vec<&str> = stacks[1..]
        .iter()
        .map(|(i, _)| graph.stacks[*i].name.as_str())
        .collect();
    let also = if others.is_empty() {
        String::new()
    } else {
        format!(
            "; the same in {} more stacks ({})",
            others.len(),
            some_of(&others)
        )
    };
    Finding {
        code: CODE,
        stack: stack.name.clone(),
        resource: resources.first().map(|r| (*r).to_owned()),
        message: format!(
            "{} cannot deploy `{kind}` ({}) in {} {}: {reason}; CloudFormation needs {}{also}",
            deployer.describe(),
            some_of(&resources),
            if accounts.len() == 1 { "account" } else { "accounts" },
            some_of(&accounts),
            actions.join(", "),
        ),
        help: format!(
            "allow these actions to `arn:aws:iam::*:role/{}` (exempt it from the statement that denies them, \
             or allow the service where it is refused); what each resource type needs is the `handlers` \
             section of its resource provider schema: \
             https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html",
            match deployer {
                Deployer::StackSetExecution => "stacksets-exec-*".to_owned(),
                other => other.role_path(),
            }
        ),
        at: group.origin.cloned(),
    }
}

/// The actions one handler of a resource needs: its schema's, and for a
/// custom resource the call to its provider (a Lambda function or an SNS
/// topic, by its service token).
fn required_actions(
    handlers: &'static Handlers,
    resource: &Resource,
    operation: Operation,
) -> Vec<&'static str> {
    if is_custom(resource) {
        let token = resource
            .properties
            .get("ServiceToken")
            .map(Value::to_string)
            .unwrap_or_default();
        return vec![if token.contains(":sns:") {
            "sns:Publish"
        } else {
            "lambda:InvokeFunction"
        }];
    }
    handlers
        .actions(&resource.kind, operation)
        .map(|a| {
            a.iter()
                .map(String::as_str)
                .filter(|action| !never_called(&resource.kind, action))
                .collect()
        })
        .unwrap_or_default()
}

/// Handler permissions the platform's resources never make the handler
/// call, with the reason; a deploy role is better without them.
const NEVER_CALLED: &[(&str, &str, &str)] = &[(
    "AWS::IAM::Role",
    "iam:DeleteRolePermissionsBoundary",
    "the update handler calls it only when PermissionsBoundary is removed; \
     every role the deploy role manages keeps its boundary, and the permission \
     would let the deploy role lift it",
)];

fn never_called(kind: &str, action: &str) -> bool {
    NEVER_CALLED
        .iter()
        .any(|(k, a, _)| *k == kind && *a == action)
}

/// An IAM ARN as the statements that protect roles and policies tell them
/// apart: by path (`role/landfall/*`), or by name at the root path
/// (`role/OrganizationAccountAccessRole`). One evaluation then serves every
/// role of a path, not one per role.
fn by_path(arn: String) -> String {
    let Some((head, rest)) = arn.split_once('/') else {
        return arn;
    };
    match rest.rsplit_once('/') {
        Some((path, _)) => format!("{head}/{path}/example"),
        None => arn,
    }
}

fn is_custom(resource: &Resource) -> bool {
    resource.kind.starts_with("Custom::") || resource.kind == "AWS::CloudFormation::CustomResource"
}

struct Checker<'a> {
    layout: &'a Layout<'a>,
    org: &'a OrgPolicies,
    /// Stacks CloudFormation runs as its service role.
    service_roles: BTreeMap<String, String>,
    /// The service role's resource in the graph, with its stack.
    service_role: Option<(&'a Stack, &'a Resource)>,
    policies: HashMap<(&'a str, Deployer), PolicySet>,
    decisions: HashMap<DecisionKey<'a>, Option<Reason>>,
    /// For each account, the first account under the same SCPs.
    representative: HashMap<&'a str, &'a str>,
    /// Refusals of every resource of a type without an ARN of its own.
    by_kind: HashMap<(&'a str, &'a str, Deployer, &'a str), Rc<Vec<Refusal>>>,
    management_id: Option<String>,
}

impl<'a> Checker<'a> {
    fn new(layout: &'a Layout<'a>, org: &'a OrgPolicies) -> Self {
        let graph = layout.graph;
        let service_role = graph.stacks.iter().find_map(|s| {
            s.resources
                .iter()
                .find(|r| {
                    r.kind == "AWS::IAM::Role"
                        && r.properties.get("RoleName").and_then(Value::as_str)
                            == Some(CLOUDFORMATION_ROLE)
                })
                .map(|r| (s, r))
        });
        Self {
            layout,
            org,
            service_roles: landfall_synth::deployers::service_roles(layout.model, graph),
            service_role,
            policies: HashMap::new(),
            decisions: HashMap::new(),
            by_kind: HashMap::new(),
            representative: representatives(layout, org),
            management_id: layout.management.map(|m| placeholder_id(m.id)),
        }
    }

    /// What the handlers of `resource` need and `deployer` may not do in
    /// `place`. Resources of one type fare alike unless they act on their
    /// own ARN (IAM roles and policies) or name their provider (custom
    /// resources), so the rest is worked out once per type.
    fn refusals(
        &mut self,
        stack: &Stack,
        place: Place<'a>,
        deployer: Deployer,
        resource: &'a Resource,
    ) -> Rc<Vec<Refusal>> {
        // Accounts under the same SCPs fare alike: evaluate as the first.
        let place = Place {
            account: self
                .representative
                .get(place.account)
                .copied()
                .unwrap_or(place.account),
            region: place.region,
        };
        let own_arn = self.own_arn(stack, place, resource).map(by_path);
        let alike = own_arn.is_none() && !is_custom(resource);
        let key = (
            place.account,
            place.region,
            deployer,
            resource.kind.as_str(),
        );
        if alike {
            if let Some(cached) = self.by_kind.get(&key) {
                return cached.clone();
            }
        }
        let mut out = Vec::new();
        for operation in Operation::ALL {
            for action in required_actions(Handlers::get(), resource, operation) {
                if let Some(reason) = self.refused(place, deployer, action, own_arn.as_deref()) {
                    out.push((action, operation, reason));
                }
            }
        }
        let out = Rc::new(out);
        if alike {
            self.by_kind.insert(key, out.clone());
        }
        out
    }

    /// Who deploys `stack` in `place`; `None` in the management account.
    fn deployer(&self, stack: &Stack, place: Place<'_>) -> Option<Deployer> {
        if self.layout.is_management(place.account) {
            return None;
        }
        Some(match stack.target {
            Target::StackSet(_) => Deployer::StackSetExecution,
            Target::Account { .. } if self.service_roles.contains_key(&stack.name) => {
                Deployer::ServiceRole
            }
            Target::Account { .. } => Deployer::AccountAccessRole,
        })
    }

    /// The ARN of an IAM role or managed policy the resource creates, which
    /// the IAM actions of its handlers act on.
    fn own_arn(&self, stack: &Stack, place: Place<'_>, resource: &Resource) -> Option<String> {
        if resource.kind == "AWS::IAM::ServiceLinkedRole" {
            // IAM names it; its path is the service's
            // (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html).
            let account = self.layout.account(place.account)?;
            let service =
                self.layout
                    .string(stack, place, resource.properties.get("AWSServiceName")?)?;
            return Some(format!(
                "arn:aws:iam::{}:role/aws-service-role/{service}/service-linked-role",
                placeholder_id(account.id)
            ));
        }
        let (kind, name_key) = match resource.kind.as_str() {
            "AWS::IAM::Role" => ("role", "RoleName"),
            "AWS::IAM::ManagedPolicy" => ("policy", "ManagedPolicyName"),
            _ => return None,
        };
        let account = self.layout.account(place.account)?;
        let name = self
            .layout
            .string(stack, place, resource.properties.get(name_key)?)?;
        let path = match resource.properties.get("Path") {
            Some(p) => self.layout.string(stack, place, p)?,
            None => "/".to_owned(),
        };
        Some(format!(
            "arn:aws:iam::{}:{kind}{path}{name}",
            placeholder_id(account.id)
        ))
    }

    /// Why `action` is refused to `deployer` in `place`, or `None` when it
    /// is allowed.
    fn refused(
        &mut self,
        place: Place<'a>,
        deployer: Deployer,
        action: &'a str,
        own_arn: Option<&str>,
    ) -> Option<Reason> {
        // Only IAM actions act on the role or policy itself.
        let own = own_arn.filter(|_| action.starts_with("iam:"));
        let key = (
            place.account,
            place.region,
            deployer,
            action,
            own.map(str::to_owned),
        );
        if let Some(cached) = self.decisions.get(&key) {
            return cached.clone();
        }
        let account = self.layout.account(place.account)?;
        let id = placeholder_id(account.id);
        let mut resource =
            default_resource(action, place.region, &id).unwrap_or_else(|| "*".into());
        if let Some(arn) = own {
            // Only actions on that kind of IAM resource act on it.
            let kind_prefix = arn.split_once('/').map(|(head, _)| head);
            if kind_prefix.is_some_and(|k| resource.starts_with(&format!("{k}/"))) {
                resource = arn.to_owned();
            }
        }
        let mut context = BTreeMap::new();
        context.insert(
            "aws:RequestedRegion".to_owned(),
            ContextValue::One(place.region.to_owned()),
        );
        context.insert(
            "aws:PrincipalOrgID".to_owned(),
            ContextValue::One("o-exampleorgid".to_owned()),
        );
        // CloudFormation calls the handlers' APIs on the caller's behalf.
        context.insert(
            "aws:CalledVia".to_owned(),
            ContextValue::Many(vec!["cloudformation.amazonaws.com".to_owned()]),
        );
        context.insert(
            "aws:CalledViaFirst".to_owned(),
            ContextValue::One("cloudformation.amazonaws.com".to_owned()),
        );
        context.insert(
            "aws:CalledViaLast".to_owned(),
            ContextValue::One("cloudformation.amazonaws.com".to_owned()),
        );
        let request = Request::new(RequestInput {
            principal: format!("arn:aws:iam::{id}:role/{}", deployer.role_path()),
            action: action.to_owned(),
            resource,
            resource_account: Some(id),
            context,
            management_account: self.management_id.clone(),
        });
        let policies = self.policy_set(place.account, account.id, deployer);
        let decision = evaluate(policies, &request);
        let reason =
            (!decision.is_allowed()).then(|| self.explain(place.account, deployer, &decision));
        self.decisions.insert(key, reason.clone());
        reason
    }

    fn explain(&self, account: &str, deployer: Deployer, decision: &Decision) -> Reason {
        let Some(policies) = self.policies.get(&(account, deployer)) else {
            return "refused".into();
        };
        // Decided by AWS before any policy: no statement to name.
        if let Some(rule) = decision.aws_rule.filter(|r| !r.allows()) {
            return format!(
                "refused by AWS whatever the policies say: {}",
                rule.describe()
            );
        }
        if decision.decision == DecisionKind::ExplicitDeny {
            let statements: Vec<String> = decision
                .deciding()
                .map(|s| {
                    let report = describe_statement(policies, s);
                    let what = match report.layer {
                        Layer::Scp => "SCP",
                        Layer::Boundary => "permissions boundary",
                        Layer::Identity => "identity policy",
                        _ => report.layer.as_str(),
                    };
                    match report.sid {
                        Some(sid) => format!("{what} `{}` statement `{sid}`", report.policy),
                        None => {
                            format!("{what} `{}` statement {}", report.policy, report.statement)
                        }
                    }
                })
                .collect();
            return format!("denied by {}", statements.join(" and "));
        }
        let mut why = Vec::new();
        for (layer, level) in &decision.missing_levels {
            if *layer == Layer::Scp {
                let names: Vec<&str> = policies
                    .scps
                    .get(*level)
                    .into_iter()
                    .flatten()
                    .map(CompiledPolicy::name)
                    .collect();
                why.push(format!(
                    "no SCP at level {level} ({}) allows it",
                    names.join(", ")
                ));
            }
        }
        for layer in &decision.blocked_by {
            match layer {
                Layer::Identity => why.push("no identity policy of the role allows it".into()),
                Layer::Boundary => why.push("its permissions boundary does not allow it".into()),
                Layer::Scp => {}
                other => why.push(format!("the {} policies do not allow it", other.as_str())),
            }
        }
        if why.is_empty() {
            "not allowed".into()
        } else {
            why.join("; ")
        }
    }

    fn policy_set(
        &mut self,
        account: &'a str,
        id: landfall_model::AccountId,
        deployer: Deployer,
    ) -> &PolicySet {
        if !self.policies.contains_key(&(account, deployer)) {
            let scps = self
                .org
                .account(id)
                .map(|p| p.scps.clone())
                .unwrap_or_default();
            let (identity, boundaries) = self.identity(account, deployer);
            self.policies.insert(
                (account, deployer),
                PolicySet {
                    identity,
                    boundaries,
                    scps,
                    ..PolicySet::default()
                },
            );
        }
        &self.policies[&(account, deployer)]
    }

    /// The identity policies and boundary of a deploying role in an account.
    fn identity(
        &self,
        account: &'a str,
        deployer: Deployer,
    ) -> (Vec<CompiledPolicy>, Vec<CompiledPolicy>) {
        let admin = || {
            compile("AdministratorAccess", ADMINISTRATOR_ACCESS)
                .into_iter()
                .collect()
        };
        let (Deployer::ServiceRole, Some((stack, role))) = (deployer, self.service_role) else {
            return (admin(), Vec::new());
        };
        let place = Place {
            account,
            region: match &stack.target {
                Target::Account { region, .. } => region,
                Target::StackSet(set) => set.regions.first().map_or("", String::as_str),
            },
        };
        let mut identity = Vec::new();
        for arn in role
            .properties
            .get("ManagedPolicyArns")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(document) = self.managed_policy(stack, place, arn) {
                identity.extend(compile(&document.0, &relaxed(&document.1)));
            }
        }
        for inline in role
            .properties
            .get("Policies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = inline
                .get("PolicyName")
                .and_then(Value::as_str)
                .unwrap_or("inline");
            if let Some(document) = inline.get("PolicyDocument") {
                let resolved = self.resolve(stack, place, document);
                identity.extend(compile(name, &relaxed(&resolved)));
            }
        }
        let boundaries = role
            .properties
            .get("PermissionsBoundary")
            .and_then(|arn| self.managed_policy(stack, place, arn))
            .and_then(|(name, document)| compile(&name, &relaxed(&document)))
            .into_iter()
            .collect();
        (identity, boundaries)
    }

    /// A managed policy by ARN: an AWS managed one the engine knows, or one
    /// of the role's own stack.
    fn managed_policy(
        &self,
        stack: &Stack,
        place: Place<'_>,
        arn: &Value,
    ) -> Option<(String, Value)> {
        if let Some(Value::String(logical_id)) = arn.get("Ref") {
            let policy = stack.resource(logical_id)?;
            let document = self.resolve(stack, place, policy.properties.get("PolicyDocument")?);
            return Some((logical_id.clone(), document));
        }
        let arn = self.layout.string(stack, place, arn)?;
        let name = arn.strip_prefix("arn:aws:iam::aws:policy/")?;
        let name = name.rsplit('/').next().unwrap_or(name);
        let (_, text) = MANAGED.iter().find(|(n, _)| *n == name)?;
        Some((name.to_owned(), serde_json::from_str(text).ok()?))
    }

    /// A policy document with the intrinsics that can be resolved offline
    /// resolved, and the others left as a value no ARN matches.
    fn resolve(&self, stack: &Stack, place: Place<'_>, value: &Value) -> Value {
        match value {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.resolve(stack, place, v))
                    .collect(),
            ),
            Value::Object(map)
                if map.len() == 1 && (map.contains_key("Ref") || map.contains_key("Fn::Sub")) =>
            {
                if let Some(s) = self.layout.string(stack, place, value) {
                    return Value::String(s);
                }
                if let Some(Value::String(target)) = map.get("Ref") {
                    if let Some(arn) = stack
                        .resource(target)
                        .and_then(|r| self.own_arn(stack, place, r))
                    {
                        return Value::String(arn);
                    }
                }
                Value::String("unresolved-at-deploy-time".into())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.resolve(stack, place, v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// A policy read at the action level: each `Allow` on every resource and
/// without conditions, and only the denies that hold for every request.
fn relaxed(document: &Value) -> String {
    let statements = match document.get("Statement") {
        Some(Value::Array(s)) => s.clone(),
        Some(one) => vec![one.clone()],
        None => Vec::new(),
    };
    let kept: Vec<Value> = statements
        .into_iter()
        .filter_map(|mut s| {
            let map = s.as_object_mut()?;
            if map.get("Effect").and_then(Value::as_str) == Some("Allow") {
                map.remove("Condition");
                map.remove("NotResource");
                map.insert("Resource".into(), json!("*"));
                return Some(s);
            }
            let everywhere = map.get("Resource") == Some(&json!("*"))
                && !map.contains_key("Condition")
                && !map.contains_key("NotResource");
            everywhere.then_some(s)
        })
        .collect();
    json!({ "Version": "2012-10-17", "Statement": kept }).to_string()
}

fn compile(name: &str, text: &str) -> Option<CompiledPolicy> {
    let mut sources = SourceSet::default();
    let file = sources.add(name, text);
    parse_policy_text(file, text, name, &JsonLimits::default())
        .ok()
        .map(CompiledPolicy::new)
}

/// For each member account, the first account whose SCP levels are the same
/// policies: the SCPs name no account, so their decisions are the same.
fn representatives<'a>(layout: &Layout<'a>, org: &OrgPolicies) -> HashMap<&'a str, &'a str> {
    let mut first: HashMap<Vec<Vec<String>>, &'a str> = HashMap::new();
    let mut out = HashMap::new();
    for account in layout.model.member_accounts() {
        let signature: Vec<Vec<String>> = org
            .account(account.id)
            .map(|p| {
                p.scps
                    .iter()
                    .map(|level| level.iter().map(|c| c.name().to_owned()).collect())
                    .collect()
            })
            .unwrap_or_default();
        let rep = *first.entry(signature).or_insert(account.name.as_str());
        out.insert(account.name.as_str(), rep);
    }
    out
}
