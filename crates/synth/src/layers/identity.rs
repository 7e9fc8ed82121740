//! IAM Identity Center as code: the spec's permission sets (managed and
//! inline policies, session length) and every group's standing access as
//! one assignment per group, permission set and account.
//!
//! Both live in the management account. A delegated administrator of
//! Identity Center cannot manage permission sets provisioned in the
//! management account nor assignments to it
//! (<https://docs.aws.amazon.com/singlesignon/latest/userguide/delegated-admin.html>),
//! and the spec assigns sets there (billing, audit, the platform admins).
//!
//! The Identity Center instance and the directory's groups come from
//! outside the platform (the instance is enabled once, the groups are
//! synchronized from the identity provider): their ARN and ids are read
//! from SSM parameters of the management account ([`INSTANCE_PARAMETER`],
//! [`group_parameter`]), which the stacks declare as inputs so the plan
//! checks them before a deploy.
//!
//! Stacks: one for the permission sets, and one per account for the
//! assignments into it, whatever the size (40 accounts × groups × sets
//! would outgrow CloudFormation's 500 resources in one stack). The account
//! is the natural key: adding an account adds a stack, and an assignment
//! never moves between stacks (a move would delete it in one stack after
//! creating it in the other, taking the access away).

use std::collections::BTreeSet;

use landfall_graph::{logical_id, Layer, ParameterValue, Target};
use landfall_model::aws::managed_policy_path;
use landfall_model::{AccountId, GroupId, PermissionSetId};
use serde_json::{json, Value};

use crate::unit::{resource, ResourceExt, Unit};
use crate::Ctx;

/// The SSM parameter (management account, home region) holding the ARN of
/// the organization's IAM Identity Center instance.
pub const INSTANCE_PARAMETER: &str = "/landfall/identity-center/instance-arn";

/// The SSM parameter holding the id of a directory group in the identity
/// store.
pub fn group_parameter(group: &str) -> String {
    format!("/landfall/identity-center/groups/{group}")
}

/// The first partition key of the permission sets' stack.
const PERMISSION_SETS: &str = "permission-sets";

/// The logical id of a permission set's resource.
pub fn permission_set_logical_id(name: &str) -> String {
    logical_id(&["PermissionSet", name])
}

pub(crate) fn build(ctx: &Ctx<'_>) -> Vec<Unit> {
    let identity = &ctx.model.identity;
    if identity.permission_sets.is_empty() {
        return Vec::new();
    }
    let mut unit = Unit::new(
        ctx.stack_name("identity", ""),
        // Deployed as stacks (the organization layer's are applied
        // through the Organizations API), after the accounts exist.
        Layer::Security,
        "IAM Identity Center permission sets and group assignments".into(),
        Target::Account {
            account: ctx.management.to_owned(),
            region: ctx.home.to_owned(),
        },
    );
    // Assignments name account ids: the accounts come first.
    unit.depends_on.push(ctx.stack_name("organization", ""));
    unit.fixed_depth = 1;
    let instance = unit.parameter(
        "IdentityCenterInstanceArn",
        "ARN of the organization's IAM Identity Center instance",
        ParameterValue::SsmParameter(INSTANCE_PARAMETER.to_owned()),
    );
    for set in &identity.permission_sets {
        let mut properties = json!({
            "Name": set.name,
            "InstanceArn": { "Ref": instance },
            "SessionDuration": format!("PT{}H", set.session_hours),
        });
        if let Some(description) = &set.description {
            properties["Description"] = json!(description);
        }
        if !set.managed_policies.is_empty() {
            properties["ManagedPolicies"] = Value::Array(
                set.managed_policies
                    .iter()
                    .map(|name| {
                        json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:iam::aws:policy/{}", managed_policy_path(name)) })
                    })
                    .collect(),
            );
        }
        if let Some(document) = &set.inline_policy {
            if let Ok(value) = serde_json::from_str::<Value>(document) {
                properties["InlinePolicy"] = value;
            }
        }
        unit.add(
            resource(
                permission_set_logical_id(&set.name),
                "AWS::SSO::PermissionSet",
                properties,
            )
            .at(&[PERMISSION_SETS])
            .origin(&set.origin),
        );
    }
    for (group, set, account) in standing_assignments(ctx.model) {
        let group = &identity.groups[group.index()];
        let set = &identity.permission_sets[set.index()];
        let account = ctx.model.account(account);
        let group_param = unit.parameter(
            &logical_id(&["Group", &group.name, "Id"]),
            &format!("Id of the directory group `{}`", group.name),
            ParameterValue::SsmParameter(group_parameter(&group.name)),
        );
        let account_param = unit.parameter(
            &logical_id(&["Account", &account.name, "Id"]),
            &format!("Id of the `{}` account", account.name),
            ParameterValue::AccountId(account.name.clone()),
        );
        unit.add(
            resource(
                logical_id(&["Assign", &group.name, &set.name, &account.name]),
                "AWS::SSO::Assignment",
                json!({
                    "InstanceArn": { "Ref": instance },
                    "PermissionSetArn": { "Fn::GetAtt": [permission_set_logical_id(&set.name), "PermissionSetArn"] },
                    "PrincipalType": "GROUP",
                    "PrincipalId": { "Ref": group_param },
                    "TargetType": "AWS_ACCOUNT",
                    "TargetId": { "Ref": account_param }
                }),
            )
            .at(&[&format!("{}-assignments", account.name)]),
        );
    }
    vec![unit]
}

/// Every standing assignment the model declares, once each, in a fixed
/// order (group, permission set, account): what the stacks create and the
/// audit compares the live assignments with.
pub fn standing_assignments(
    model: &landfall_model::Model,
) -> BTreeSet<(GroupId, PermissionSetId, AccountId)> {
    let mut out = BTreeSet::new();
    for group in &model.identity.groups {
        for (set, accounts) in &group.access {
            for account in accounts {
                out.insert((group.id, *set, *account));
            }
        }
    }
    out
}
