//! Temporary elevated access (`landfall access`): where its grants are
//! kept and how they end.
//!
//! In the security-tooling account (management without one), home region:
//! the grants table, the schedule group holding one schedule per active
//! grant, the role those schedules run as, and the role `landfall access`
//! works as. A schedule calls IAM Identity Center's
//! `DeleteAccountAssignment` through EventBridge Scheduler's universal
//! target at the grant's end, so a grant ends whether or not Landfall runs
//! (<https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html>).
//! The schedule runs in the account that creates it, as a role of that
//! account that trusts `scheduler.amazonaws.com`
//! (<https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role>).
//!
//! Assignments are made from this account, so it is Identity Center's
//! delegated administrator (an organization action of this layer); a
//! delegated administrator cannot assign into the management account, which
//! the model refuses for on-call rules
//! (<https://docs.aws.amazon.com/singlesignon/latest/userguide/delegated-admin.html>).

use landfall_graph::{intrinsic, Layer, OrganizationAction, Target};
use landfall_spec::types::AccountClass;
use serde_json::json;

use super::baseline::ROLE_PATH;
use crate::unit::{resource, tags, Unit};
use crate::Ctx;

/// The DynamoDB table of grants (partition key `id`).
pub const GRANTS_TABLE: &str = "landfall-access-grants";
/// The schedule group of the grants' expiry schedules.
pub const SCHEDULE_GROUP: &str = "landfall-access";
/// The role each expiry schedule runs as.
pub const SCHEDULER_ROLE: &str = "landfall-access-scheduler";
/// The role `landfall access` works as.
pub const ACCESS_ROLE: &str = "landfall-access";
/// Identity Center's service principal, for its delegated administrator.
pub const IDENTITY_CENTER_PRINCIPAL: &str = "sso.amazonaws.com";

/// The ARN of a role of this layer in `account_id`.
pub fn role_arn(account_id: &str, role: &str) -> String {
    format!("arn:aws:iam::{account_id}:role{ROLE_PATH}{role}")
}

/// Whether the platform has on-call access.
pub(crate) fn enabled(ctx: &Ctx<'_>) -> bool {
    !ctx.model.identity.on_call.is_empty()
}

/// The account holding the access infrastructure.
pub fn account(model: &landfall_model::Model) -> Option<&landfall_model::Account> {
    model
        .core_account(AccountClass::SecurityTooling)
        .or_else(|| model.core_account(AccountClass::Management))
}

/// Identity Center administered from the access account (when it is not
/// the management account).
pub(crate) fn organization_actions(ctx: &Ctx<'_>) -> Vec<OrganizationAction> {
    match ctx.security {
        Some(security) if enabled(ctx) => vec![
            OrganizationAction::EnableTrustedAccess {
                service_principal: IDENTITY_CENTER_PRINCIPAL.to_owned(),
            },
            OrganizationAction::RegisterDelegatedAdministrator {
                service_principal: IDENTITY_CENTER_PRINCIPAL.to_owned(),
                account: security.name.clone(),
            },
        ],
        _ => Vec::new(),
    }
}

pub(crate) fn build(ctx: &Ctx<'_>) -> Vec<Unit> {
    if !enabled(ctx) {
        return Vec::new();
    }
    let account = ctx.security.map_or(ctx.management, |a| a.name.as_str());
    let mut unit = Unit::new(
        ctx.stack_name("access", ""),
        Layer::Security,
        "Temporary elevated access: the grants table, their expiry schedules and roles".into(),
        Target::Account {
            account: account.to_owned(),
            region: ctx.home.to_owned(),
        },
    );
    unit.depends_on.push(ctx.stack_name("baseline-global", ""));
    let management = unit.parameter(
        crate::params::MANAGEMENT,
        "Id of the management account",
        landfall_graph::ParameterValue::AccountId(ctx.management.to_owned()),
    );
    let purpose = tags(&[("landfall:purpose", "access")]);
    unit.add(resource(
        "GrantsTable",
        "AWS::DynamoDB::Table",
        json!({
            "TableName": GRANTS_TABLE,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{ "AttributeName": "id", "AttributeType": "S" }],
            "KeySchema": [{ "AttributeName": "id", "KeyType": "HASH" }],
            // The record of who had production access when: kept, and
            // restorable to any second of the last 35 days.
            "DeletionProtectionEnabled": true,
            "PointInTimeRecoverySpecification": { "PointInTimeRecoveryEnabled": true },
            "SSESpecification": { "SSEEnabled": true },
            "Tags": purpose
        }),
    ));
    unit.add(resource(
        "ScheduleGroup",
        "AWS::Scheduler::ScheduleGroup",
        json!({ "Name": SCHEDULE_GROUP, "Tags": purpose }),
    ));
    let group_arn = || {
        intrinsic::sub(format!(
            "arn:${{AWS::Partition}}:scheduler:${{AWS::Region}}:${{AWS::AccountId}}:schedule/{SCHEDULE_GROUP}/*"
        ))
    };
    // The ARNs `sso:DeleteAccountAssignment` is authorized on: the instance,
    // the permission set and the account
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsiamidentitycentersuccessortoawssinglesign-on.html).
    let assignment_resources = || {
        json!([
            intrinsic::sub("arn:${AWS::Partition}:sso:::instance/*"),
            intrinsic::sub("arn:${AWS::Partition}:sso:::permissionSet/*/*"),
            intrinsic::sub("arn:${AWS::Partition}:sso:::account/*")
        ])
    };
    unit.add(resource(
        "SchedulerRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": SCHEDULER_ROLE,
            "Path": ROLE_PATH,
            "Description": "Run by the expiry schedule of an on-call grant: deletes the grant's account assignment",
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "scheduler.amazonaws.com" },
                    "Action": "sts:AssumeRole",
                    // Only this account's schedules (confused deputy).
                    "Condition": { "StringEquals": { "aws:SourceAccount": intrinsic::sub("${AWS::AccountId}") } }
                }]
            },
            "Policies": [{
                "PolicyName": "DeleteAccountAssignment",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "EndTheGrant",
                        "Effect": "Allow",
                        "Action": "sso:DeleteAccountAssignment",
                        "Resource": assignment_resources()
                    }]
                }
            }],
            "Tags": purpose
        }),
    ));
    unit.add(resource(
        "AccessRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": ACCESS_ROLE,
            "Path": ROLE_PATH,
            "Description": "Assumed by landfall access: records grants, makes and removes their assignments and expiry schedules",
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                // Principals of this account and of the management account
                // (where `landfall` runs) that their own IAM policies allow.
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "AWS": [
                        intrinsic::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root"),
                        intrinsic::sub(format!("arn:${{AWS::Partition}}:iam::${{{management}}}:root"))
                    ] },
                    "Action": "sts:AssumeRole"
                }]
            },
            "Policies": [{
                "PolicyName": "Access",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "Grants",
                        "Effect": "Allow",
                        "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:UpdateItem"],
                        "Resource": { "Fn::GetAtt": ["GrantsTable", "Arn"] }
                    }, {
                        "Sid": "Assignments",
                        "Effect": "Allow",
                        "Action": ["sso:CreateAccountAssignment", "sso:DeleteAccountAssignment", "sso:ListAccountAssignments"],
                        "Resource": assignment_resources()
                    }, {
                        "Sid": "ReadIdentityCenter",
                        "Effect": "Allow",
                        "Action": [
                            "sso:DescribeAccountAssignmentCreationStatus", "sso:DescribeAccountAssignmentDeletionStatus",
                            "sso:DescribePermissionSet", "sso:ListInstances", "sso:ListPermissionSets",
                            "identitystore:DescribeGroup", "identitystore:GetUserId", "identitystore:ListGroupMemberships",
                            "identitystore:ListGroupMembershipsForMember", "organizations:ListAccounts"
                        ],
                        "Resource": "*"
                    }, {
                        "Sid": "ExpirySchedules",
                        "Effect": "Allow",
                        "Action": ["scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule"],
                        "Resource": group_arn()
                    }, {
                        "Sid": "SchedulesRunAsTheSchedulerRole",
                        "Effect": "Allow",
                        "Action": "iam:PassRole",
                        "Resource": { "Fn::GetAtt": ["SchedulerRole", "Arn"] },
                        "Condition": { "StringEquals": { "iam:PassedToService": "scheduler.amazonaws.com" } }
                    }]
                }
            }],
            "Tags": purpose
        }),
    ));
    vec![unit]
}
