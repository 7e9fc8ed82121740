//! The account baseline: what every member account gets, as two
//! service-managed StackSets over the core, workload and sandbox OUs (new
//! accounts get them automatically; suspended accounts do not).
//!
//! - `baseline-global` (home region only, because IAM is global): the CI/CD
//!   deploy role (and the CloudFormation service role its stacks run as),
//!   the read-only audit role (both also trusted by the management account,
//!   where `landfall deploy` and `landfall audit` run), the break-glass role, the
//!   boundary every workload role must carry, the AWS Config service-linked
//!   role, and the S3 account-level public access block.
//! - `baseline-regional` (every allowed region): KMS keys for EBS, S3 and
//!   logs; EBS encryption by default; the Config recorder and its delivery
//!   channel to the log archive; Session Manager preferences (sessions logged
//!   to the log archive, encrypted with a key every principal of the account
//!   may use for that); IAM Access Analyzer; the disk cleanup runbook
//!   `landfall heal` starts on metal hosts. Instance roles attach
//!   `landfall-session-manager-instance` (from `baseline-global`) for the
//!   rest of what Session Manager needs.
//! - `config-rules-<class>[-<environment>]`: the AWS Config rules the
//!   guardrail registry (`landfall-rules`) assigns to that account class, with
//!   automatic remediation where it names a runbook, over the OUs that hold
//!   exactly those accounts (each core class has its own OU under `Core`,
//!   each workload environment its own OUs), so auto-deployment never puts
//!   one class's rules into another's account.
//!
//! Two account settings have no CloudFormation resource type: EBS
//! encryption by default (`ec2:EnableEbsEncryptionByDefault`) and the S3
//! account-level public access block (`s3:PutAccountPublicAccessBlock`; there
//! is no `AWS::S3::AccountPublicAccessBlock`). Both are set by an
//! `AWS::SSM::Association` that runs AWS's own remediation runbook once per
//! account: no function code of ours to maintain, and the matching Config
//! rule reports any later drift.

use super::key_policy;
use landfall_graph::{intrinsic, Layer, StackSetTarget, Target};
use landfall_model::{AccountId, Model, OuId, OuKind};
use serde_json::{json, Value};

use crate::unit::{resource, ResourceExt, Unit};
use crate::{params, Ctx, Problem};

/// The role `landfall audit` enters member accounts as (read-only).
pub const AUDIT_ROLE: &str = "landfall-audit";

/// Path of the platform's own roles; the SCPs exempt it.
pub const ROLE_PATH: &str = "/landfall/";
pub const DEPLOY_ROLE: &str = "landfall-deploy";
/// The service role CloudFormation runs the deploy's stacks as.
pub const CLOUDFORMATION_ROLE: &str = "landfall-cloudformation";
pub const AUTOMATION_ROLE: &str = "landfall-baseline-automation";
/// The role `landfall heal` acts through: the remediation actions, on the
/// platform's own resources, and nothing else.
pub const REMEDIATION_ROLE: &str = "landfall-remediation";
/// The managed policy (under [`ROLE_PATH`]) an instance role attaches so
/// Session Manager works with the platform's preferences.
pub const SESSION_INSTANCE_POLICY: &str = "landfall-session-manager-instance";
/// The alias of the key Session Manager encrypts sessions with.
pub const SESSIONS_KEY_ALIAS: &str = "alias/landfall/sessions";
/// The parameter holding the id of the account with the alert bus.
const ALERT_ACCOUNT: &str = "AlertAccountId";
/// Path of the roles CI/CD deploy roles in shared services assume from.
pub const DEPLOY_PRINCIPAL_PATH: &str = "/landfall/deploy/";

fn target(ctx: &Ctx<'_>, regions: Vec<String>) -> Target {
    let organizational_units = ctx
        .model
        .organizational_units
        .iter()
        .filter(|ou| matches!(ou.kind, OuKind::Core | OuKind::Workloads | OuKind::Sandbox))
        .map(|ou| ou.path.clone())
        .collect();
    Target::StackSet(StackSetTarget {
        administrator: ctx.management.to_owned(),
        organizational_units,
        accounts: Vec::new(),
        regions,
    })
}

pub(crate) fn build(ctx: &Ctx<'_>) -> Vec<Unit> {
    let mut units = vec![global(ctx), regional(ctx)];
    units.extend(config_rules(ctx));
    units
}

/// The parameter holding the id of the account with the alert bus.
fn alert_account_param(ctx: &Ctx<'_>, unit: &mut Unit) -> String {
    unit.parameter(
        ALERT_ACCOUNT,
        "Id of the account with the alert bus",
        landfall_graph::ParameterValue::AccountId(super::alerting::account(ctx).to_owned()),
    )
}

/// A role an AWS service assumes on this account's behalf only (the
/// confused-deputy guard).
fn trust_service(service: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } }
        }]
    })
}

fn trust_account(account_param: &str, extra: Option<Value>) -> Value {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": { "AWS": intrinsic::sub(format!("arn:${{AWS::Partition}}:iam::${{{account_param}}}:root")) },
        "Action": "sts:AssumeRole"
    });
    if let Some(condition) = extra {
        statement["Condition"] = condition;
    }
    json!({ "Version": "2012-10-17", "Statement": [statement] })
}

/// `policy` also trusting the management account, whose principals run
/// `landfall deploy` and `landfall audit` (as far as their own IAM policies
/// allow `sts:AssumeRole`): without it both commands could only enter
/// member accounts as `OrganizationAccountAccessRole`, an administrator.
fn and_management(mut policy: Value, management_param: &str) -> Value {
    let statement = trust_account(management_param, None)["Statement"][0].clone();
    if let Some(statements) = policy["Statement"].as_array_mut() {
        statements.push(statement);
    }
    policy
}

/// What the deploy role may do, and so the CloudFormation role it passes.
fn deploy_managed_policies() -> Value {
    json!([intrinsic::sub(
        "arn:${AWS::Partition}:iam::aws:policy/PowerUserAccess"
    )])
}

/// The deploy role's inline policies; `pass_cloudformation_role` adds
/// passing the CloudFormation service role to CloudFormation.
/// `shared`: the parameter holding the shared-services account's id.
fn deploy_policies(shared: &str, pass_cloudformation_role: bool) -> Value {
    let mut policies = json!([{
        "PolicyName": "workload-roles",
        "PolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "RolesUnderTheBoundary",
                    "Effect": "Allow",
                    "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy"],
                    "Resource": intrinsic::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/workload/*"),
                    "Condition": { "StringEquals": { "iam:PermissionsBoundary": { "Ref": "WorkloadBoundary" } } }
                },
                {
                    // What CloudFormation's AWS::IAM::Role handlers call
                    // besides creating (resource provider schema,
                    // handlers.*.permissions). Not DeleteRolePermissionsBoundary:
                    // it would lift the boundary, and no workload role is
                    // ever without one.
                    "Sid": "ManageWorkloadRoles",
                    "Effect": "Allow",
                    "Action": ["iam:DeleteRole", "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:PassRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy"],
                    "Resource": intrinsic::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/workload/*")
                },
                {
                    // Metal container instances' profiles.
                    "Sid": "WorkloadInstanceProfiles",
                    "Effect": "Allow",
                    "Action": ["iam:AddRoleToInstanceProfile", "iam:CreateInstanceProfile", "iam:DeleteInstanceProfile", "iam:GetInstanceProfile", "iam:RemoveRoleFromInstanceProfile"],
                    "Resource": intrinsic::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:instance-profile/workload/*")
                },
                {
                    // What CloudFormation's AWS::IAM::ServiceLinkedRole
                    // handlers call besides creating and deleting the role
                    // (PowerUserAccess allows those): reading it and its
                    // deletion status, on service-linked roles only.
                    "Sid": "ServiceLinkedRoles",
                    "Effect": "Allow",
                    "Action": ["iam:GetRole", "iam:GetServiceLinkedRoleDeletionStatus"],
                    "Resource": intrinsic::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/*")
                },
                {
                    // The shared-services account's CI roles and the OIDC
                    // providers they trust; nowhere else.
                    "Sid": "CiRolesInSharedServices",
                    "Effect": "Allow",
                    "Action": ["iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:PutRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription",
                               "iam:AddClientIDToOpenIDConnectProvider", "iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:GetOpenIDConnectProvider", "iam:ListOpenIDConnectProviderTags", "iam:RemoveClientIDFromOpenIDConnectProvider", "iam:TagOpenIDConnectProvider", "iam:UntagOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint"],
                    "Resource": [
                        intrinsic::sub(format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role{DEPLOY_PRINCIPAL_PATH}*")),
                        intrinsic::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/*")
                    ],
                    "Condition": { "StringEquals": { "aws:PrincipalAccount": intrinsic::sub(format!("${{{shared}}}")) } }
                }
            ]
        }
    }]);
    if pass_cloudformation_role {
        if let Some(statements) = policies[0]["PolicyDocument"]["Statement"].as_array_mut() {
            statements.push(json!({
                "Sid": "PassTheCloudFormationRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": intrinsic::sub(format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role{ROLE_PATH}{CLOUDFORMATION_ROLE}")),
                "Condition": { "StringEquals": { "iam:PassedToService": "cloudformation.amazonaws.com" } }
            }));
        }
    }
    policies
}

fn global(ctx: &Ctx<'_>) -> Unit {
    let mut unit = Unit::new(
        ctx.stack_name("baseline-global", ""),
        Layer::Baseline,
        "Account baseline: roles and account-wide settings".into(),
        target(ctx, vec![ctx.home.to_owned()]),
    );
    unit.depends_on.push(ctx.stack_name("organization", ""));
    let shared = ctx.core_account_param(&mut unit, params::SHARED, ctx.shared);
    let security = ctx.core_account_param(&mut unit, params::SECURITY, ctx.security);
    let log_archive = ctx.core_account_param(&mut unit, params::LOG_ARCHIVE, ctx.log_archive);
    let management = unit.parameter(
        params::MANAGEMENT,
        "Id of the management account",
        landfall_graph::ParameterValue::AccountId(ctx.management.to_owned()),
    );

    unit.add(resource(
        "WorkloadBoundary",
        "AWS::IAM::ManagedPolicy",
        json!({
            "ManagedPolicyName": "landfall-workload-boundary",
            "Path": ROLE_PATH,
            "Description": "Permissions boundary of every role CI/CD creates",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    { "Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*" },
                    {
                        "Sid": "NotThePlatformsRoles",
                        "Effect": "Deny",
                        "Action": ["iam:*"],
                        "Resource": intrinsic::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/landfall/*")
                    },
                    {
                        "Sid": "NoUsersOrOrganization",
                        "Effect": "Deny",
                        "Action": ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "organizations:*", "account:*"],
                        "Resource": "*"
                    }
                ]
            }
        }),
    ));
    unit.add(resource(
        "DeployRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": DEPLOY_ROLE,
            "Path": ROLE_PATH,
            "Description": "Assumed by CI/CD deploy roles of the shared-services account and by landfall deploy from the management account",
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": and_management(trust_account(&shared, Some(json!({
                "ArnLike": { "aws:PrincipalArn": intrinsic::sub(format!(
                    "arn:${{AWS::Partition}}:iam::${{{shared}}}:role{DEPLOY_PRINCIPAL_PATH}*"
                )) }
            }))), &management),
            "ManagedPolicyArns": deploy_managed_policies(),
            "Policies": deploy_policies(&shared, true)
        }),
    ));
    // CloudFormation runs the deploy's stacks as this role, not as the
    // deployer's role session: a stack that runs longer than that session
    // (an hour at most when chained) does not fail when the session ends.
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html
    unit.add(resource(
        "CloudFormationRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": CLOUDFORMATION_ROLE,
            "Path": ROLE_PATH,
            "Description": "Runs the stacks landfall deploy creates, with the deploy role's permissions",
            "AssumeRolePolicyDocument": trust_service("cloudformation.amazonaws.com"),
            "ManagedPolicyArns": deploy_managed_policies(),
            "Policies": deploy_policies(&shared, false)
        }),
    ));
    unit.add(resource(
        "AuditRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": AUDIT_ROLE,
            "Path": ROLE_PATH,
            "Description": "Read-only audit from the security tooling and management accounts",
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": and_management(trust_account(&security, None), &management),
            "ManagedPolicyArns": [
                intrinsic::sub("arn:${AWS::Partition}:iam::aws:policy/SecurityAudit"),
                intrinsic::sub("arn:${AWS::Partition}:iam::aws:policy/job-function/ViewOnlyAccess")
            ],
            // Neither managed policy reads table items: the audit reads the
            // on-call grants (security tooling's access stack) to tell an
            // on-call assignment with a grant from one without.
            "Policies": [{
                "PolicyName": "ReadOnCallGrants",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Action": ["dynamodb:GetItem", "dynamodb:Scan"],
                        "Resource": intrinsic::sub(format!("arn:${{AWS::Partition}}:dynamodb:*:${{AWS::AccountId}}:table/{}", super::access::GRANTS_TABLE))
                    }]
                }
            }, {
                // What `landfall plan --read-only` reads here, named
                // rather than left to the managed policies' contents.
                "PolicyName": "PlanReads",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [super::platform_ci::plan_reads_statement()]
                }
            }]
        }),
    ));
    // What `landfall heal` may do in the account (its action kinds), on what
    // the workload layer creates: replace a service's tasks, reboot or run
    // the cleanup command on a metal container instance (tagged with its
    // domain), grow an MSK cluster's broker storage, and read what those
    // need. Entered from the management
    // account (an operator's `heal serve`) and by the remediation service's
    // task role in the account with the alert path. That role is named
    // through `aws:PrincipalArn` under the account's root: a role named as
    // the principal must exist when the trust policy is written, and this
    // stack deploys before the service's
    // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles).
    let mut remediation_trust = trust_account(&management, None);
    if super::heal_service::runs(ctx) {
        let alert_account = alert_account_param(ctx, &mut unit);
        if let Some(statements) = remediation_trust["Statement"].as_array_mut() {
            statements.push(json!({
                "Sid": "TheRemediationService",
                "Effect": "Allow",
                "Principal": { "AWS": intrinsic::sub(format!("arn:${{AWS::Partition}}:iam::${{{alert_account}}}:root")) },
                "Action": "sts:AssumeRole",
                "Condition": { "ArnEquals": { "aws:PrincipalArn": super::heal_service::regions(ctx)
                    .iter()
                    .map(|region| intrinsic::sub(format!(
                        "arn:${{AWS::Partition}}:iam::${{{alert_account}}}:role{}{}",
                        super::heal_service::ROLE_PATH,
                        super::heal_service::task_role(region)
                    )))
                    .collect::<Vec<_>>() } }
            }));
        }
    }
    let mut remediation_grants = vec![
        json!({
            "Sid": "ReplaceServiceTasks",
            "Effect": "Allow",
            "Action": ["ecs:UpdateService", "ecs:DescribeServices"],
            "Resource": intrinsic::sub("arn:${AWS::Partition}:ecs:*:${AWS::AccountId}:service/*/*")
        }),
        json!({
            "Sid": "ActOnMetalHosts",
            "Effect": "Allow",
            "Action": ["ec2:RebootInstances", "ssm:SendCommand"],
            "Resource": intrinsic::sub("arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:instance/*"),
            "Condition": { "Null": { "aws:ResourceTag/landfall:domain": "false" } }
        }),
        json!({
            "Sid": "TheCleanupCommand",
            "Effect": "Allow",
            "Action": "ssm:SendCommand",
            "Resource": intrinsic::sub("arn:${AWS::Partition}:ssm:*::document/AWS-RunShellScript")
        }),
        // The cleanup runbook (`baseline-regional`), which runs as the
        // role that starts it: its step sends the command above.
        // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html
        json!({
            "Sid": "TheCleanupRunbook",
            "Effect": "Allow",
            "Action": "ssm:StartAutomationExecution",
            "Resource": intrinsic::sub(format!(
                "arn:${{AWS::Partition}}:ssm:*:${{AWS::AccountId}}:automation-definition/{}:*",
                landfall_model::monitoring::DISK_CLEANUP_DOCUMENT
            ))
        }),
        json!({
            "Sid": "ReadTheRunbooksExecutions",
            "Effect": "Allow",
            "Action": "ssm:GetAutomationExecution",
            "Resource": intrinsic::sub("arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:automation-execution/*")
        }),
        // Reads, taking no resource: the hosts, and the command the
        // runbook's `aws:runCommand` step sends and then follows, as the
        // role that started it.
        json!({
            "Sid": "FindHostsAndFollowCommands",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeInstances",
                "ssm:DescribeAutomationExecutions",
                "ssm:DescribeInstanceInformation",
                "ssm:GetCommandInvocation",
                "ssm:ListCommandInvocations",
                "ssm:ListCommands"
            ],
            "Resource": "*"
        }),
    ];
    // MSK storage expansion, on a platform with MSK stores: find the
    // store's cluster (listing takes no resource), read its version,
    // storage and operations, grow its storage; only on clusters the
    // workload layer tagged with a store.
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonmanagedstreamingforapachekafka.html
    if ctx.model.data_stores.iter().any(|s| !s.is_database()) {
        remediation_grants.push(json!({
            "Sid": "FindMskClusters",
            "Effect": "Allow",
            "Action": "kafka:ListClustersV2",
            "Resource": "*"
        }));
        remediation_grants.push(json!({
            "Sid": "ExpandMskStorage",
            "Effect": "Allow",
            "Action": ["kafka:DescribeClusterV2", "kafka:ListClusterOperationsV2", "kafka:UpdateBrokerStorage"],
            "Resource": intrinsic::sub("arn:${AWS::Partition}:kafka:*:${AWS::AccountId}:cluster/*/*"),
            "Condition": { "Null": { "aws:ResourceTag/landfall:store": "false" } }
        }));
    }
    // Quarantine of a metal host, when the spec lets remediation act on
    // GuardDuty's findings: drain its container instance and stop its
    // tasks, tag it and its interfaces, and move its interfaces into the
    // quarantine group, which is the only group the role may put on an
    // interface. The action authorizes the interface, and the instance, the
    // groups and the subnet when the request involves them
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html):
    // interfaces and instances only of metal hosts (the launch template
    // tags both with the domain), any subnet (the shared VPC's subnets are
    // the networking account's; a subnet grants nothing alone). The tags it
    // may write are its own two keys.
    let quarantines = ctx
        .model
        .remediates(landfall_model::monitoring::GUARDDUTY_INSTANCE_ALERT);
    if quarantines {
        remediation_grants.extend([
            json!({
                "Sid": "QuarantineIntoTheQuarantineGroupOnly",
                "Effect": "Allow",
                "Action": "ec2:ModifyNetworkInterfaceAttribute",
                "Resource": intrinsic::sub("arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group/*"),
                "Condition": { "StringEquals": { format!("aws:ResourceTag/{}", landfall_model::monitoring::QUARANTINE_TAG): "true" } }
            }),
            json!({
                "Sid": "QuarantineInterfacesOfMetalHosts",
                "Effect": "Allow",
                "Action": "ec2:ModifyNetworkInterfaceAttribute",
                "Resource": [
                    intrinsic::sub("arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:network-interface/*"),
                    intrinsic::sub("arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:instance/*")
                ],
                "Condition": { "Null": { "aws:ResourceTag/landfall:domain": "false" } }
            }),
            json!({
                "Sid": "InTheSharedSubnets",
                "Effect": "Allow",
                "Action": "ec2:ModifyNetworkInterfaceAttribute",
                "Resource": intrinsic::sub("arn:${AWS::Partition}:ec2:*:*:subnet/*")
            }),
            json!({
                "Sid": "MarkQuarantinedHosts",
                "Effect": "Allow",
                "Action": "ec2:CreateTags",
                "Resource": intrinsic::sub("arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:instance/*"),
                "Condition": {
                    "Null": { "aws:ResourceTag/landfall:domain": "false" },
                    "ForAllValues:StringEquals": { "aws:TagKeys": [landfall_model::monitoring::QUARANTINED_BY_TAG] }
                }
            }),
            json!({
                "Sid": "RecordTheGroupsInterfacesHad",
                "Effect": "Allow",
                "Action": "ec2:CreateTags",
                "Resource": intrinsic::sub("arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:network-interface/*"),
                "Condition": { "ForAllValues:StringEquals": { "aws:TagKeys": [landfall_model::monitoring::GROUPS_BEFORE_TAG] } }
            }),
            json!({
                "Sid": "FindInterfacesAndTheQuarantineGroup",
                "Effect": "Allow",
                "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeTags"],
                "Resource": "*"
            }),
            json!({
                "Sid": "DrainContainerInstances",
                "Effect": "Allow",
                "Action": ["ecs:ListContainerInstances", "ecs:DescribeContainerInstances", "ecs:UpdateContainerInstancesState", "ecs:ListTasks", "ecs:StopTask"],
                "Resource": [
                    intrinsic::sub("arn:${AWS::Partition}:ecs:*:${AWS::AccountId}:cluster/*"),
                    intrinsic::sub("arn:${AWS::Partition}:ecs:*:${AWS::AccountId}:container-instance/*/*"),
                    intrinsic::sub("arn:${AWS::Partition}:ecs:*:${AWS::AccountId}:task/*/*")
                ]
            }),
        ]);
    }
    // Replacing a metal host AWS retires: read the group holding it, mark
    // it unhealthy so the group replaces it; only groups of metal hosts
    // (the workload layer tags them with the domain). Auto Scaling
    // authorizes `SetInstanceHealth` on the group and its tags
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2autoscaling.html).
    let automatic = |alert: &str| ctx.model.remediates(alert);
    if automatic(landfall_model::monitoring::METAL_HOST_RETIRING) {
        remediation_grants.extend([
            json!({
                "Sid": "ReplaceRetiringMetalHosts",
                "Effect": "Allow",
                "Action": "autoscaling:SetInstanceHealth",
                "Resource": intrinsic::sub("arn:${AWS::Partition}:autoscaling:*:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/*"),
                "Condition": { "Null": { "aws:ResourceTag/landfall:domain": "false" } }
            }),
            json!({
                "Sid": "FindTheGroupsOfHosts",
                "Effect": "Allow",
                "Action": "autoscaling:DescribeAutoScalingInstances",
                "Resource": "*"
            }),
        ]);
    }
    // Aurora failover, when the spec lets remediation answer a writer that
    // stopped reporting and the platform has Aurora stores: find the
    // store's cluster and its instances (describing takes any cluster or
    // instance), tag it with the action's one key, fail it over; only
    // clusters the workload layer tagged with a store
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html,
    // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverDBCluster.html).
    let aurora = ctx
        .model
        .data_stores
        .iter()
        .any(|s| matches!(s.engine, landfall_spec::types::Engine::Aurora { .. }));
    if aurora && automatic(landfall_model::monitoring::AURORA_WRITER_UNAVAILABLE) {
        let clusters = intrinsic::sub("arn:${AWS::Partition}:rds:*:${AWS::AccountId}:cluster:*");
        remediation_grants.extend([
            json!({
                "Sid": "FindAuroraClusters",
                "Effect": "Allow",
                "Action": ["rds:DescribeDBClusters", "rds:DescribeDBInstances"],
                "Resource": "*"
            }),
            json!({
                "Sid": "FailOverAuroraClusters",
                "Effect": "Allow",
                "Action": "rds:FailoverDBCluster",
                "Resource": clusters.clone(),
                "Condition": { "Null": { "aws:ResourceTag/landfall:store": "false" } }
            }),
            json!({
                "Sid": "MarkFailedOverClusters",
                "Effect": "Allow",
                "Action": "rds:AddTagsToResource",
                "Resource": clusters,
                "Condition": {
                    "Null": { "aws:ResourceTag/landfall:store": "false" },
                    "ForAllValues:StringEquals": { "aws:TagKeys": [landfall_model::monitoring::FAILOVER_BY_TAG] }
                }
            }),
        ]);
    }
    unit.add(resource(
        "RemediationRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": REMEDIATION_ROLE,
            "Path": ROLE_PATH,
            "Description": "Remediation actions of landfall heal on the platform's services and metal hosts",
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": remediation_trust,
            "Policies": [{
                "PolicyName": "remediation",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": remediation_grants
                }
            }]
        }),
    ));
    unit.add(resource(
        "BreakGlassRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": "landfall-break-glass",
            "Path": ROLE_PATH,
            "Description": "Emergency administrator access from the management account, with MFA",
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": trust_account(&management, Some(json!({
                "Bool": { "aws:MultiFactorAuthPresent": "true" }
            }))),
            "ManagedPolicyArns": [intrinsic::sub("arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess")]
        }),
    ));
    unit.add(resource(
        "AutomationRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": AUTOMATION_ROLE,
            "Path": ROLE_PATH,
            "Description": "Runs the baseline runbooks and Config remediations",
            "AssumeRolePolicyDocument": trust_service("ssm.amazonaws.com"),
            "Policies": [{
                "PolicyName": "account-settings",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Action": [
                            "ec2:EnableEbsEncryptionByDefault", "ec2:GetEbsEncryptionByDefault",
                            "s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock",
                            "s3:GetBucketPublicAccessBlock", "s3:GetBucketVersioning",
                            "s3:PutBucketPublicAccessBlock", "s3:PutBucketVersioning",
                            "ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress"
                        ],
                        "Resource": "*"
                    }]
                }
            }]
        }),
    ));
    // What an instance needs beyond AmazonSSMManagedInstanceCore for the
    // platform's Session Manager preferences: decrypt with the sessions key,
    // check the log bucket's encryption and write the session log into the
    // log archive (cross-account, so its own policy must allow it too)
    // (https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-create-iam-instance-profile.html).
    let sessions_bucket = ctx.log_bucket("sessions", &log_archive);
    unit.add(resource(
        "SessionManagerInstancePolicy",
        "AWS::IAM::ManagedPolicy",
        json!({
            "ManagedPolicyName": SESSION_INSTANCE_POLICY,
            "Path": ROLE_PATH,
            "Description": "Attach to instance roles: Session Manager sessions encrypted and logged to the log archive",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DecryptSessions",
                        "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": intrinsic::sub("arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*"),
                        "Condition": { "ForAnyValue:StringEquals": { "kms:ResourceAliases": SESSIONS_KEY_ALIAS } }
                    },
                    {
                        "Sid": "CheckTheLogBucket",
                        "Effect": "Allow",
                        "Action": "s3:GetEncryptionConfiguration",
                        "Resource": intrinsic::sub(format!("arn:${{AWS::Partition}}:s3:::{sessions_bucket}"))
                    },
                    {
                        "Sid": "WriteSessionLogs",
                        "Effect": "Allow",
                        "Action": "s3:PutObject",
                        "Resource": intrinsic::sub(format!("arn:${{AWS::Partition}}:s3:::{sessions_bucket}/${{AWS::AccountId}}/*"))
                    },
                    {
                        "Sid": "EncryptSessionLogs",
                        "Effect": "Allow",
                        "Action": "kms:GenerateDataKey",
                        "Resource": intrinsic::sub(format!("arn:${{AWS::Partition}}:kms:{}:${{{log_archive}}}:key/*", ctx.home)),
                        "Condition": { "StringEquals": { "kms:ViaService": format!("s3.{}.amazonaws.com", ctx.home) } }
                    }
                ]
            }
        }),
    ));
    unit.add(resource(
        "ConfigServiceLinkedRole",
        "AWS::IAM::ServiceLinkedRole",
        json!({ "AWSServiceName": "config.amazonaws.com" }),
    ));
    // No resource type sets the account-level public access block (it is an
    // S3 Control setting); AWS's runbook does it in one API call.
    unit.add(resource(
        "S3AccountPublicAccessBlock",
        "AWS::SSM::Association",
        json!({
            "AssociationName": "landfall-s3-account-public-access-block",
            "Name": "AWSConfigRemediation-ConfigureS3PublicAccessBlock",
            "Parameters": {
                "AccountId": [{ "Ref": "AWS::AccountId" }],
                "BlockPublicAcls": ["true"],
                "BlockPublicPolicy": ["true"],
                "IgnorePublicAcls": ["true"],
                "RestrictPublicBuckets": ["true"],
                "AutomationAssumeRole": [{ "Fn::GetAtt": ["AutomationRole", "Arn"] }]
            }
        }),
    ));
    if super::alerting::enabled(ctx) {
        // Sends this account's AWS events to the organization's alert bus
        // (the regional baseline's rules use it).
        let alerts = alert_account_param(ctx, &mut unit);
        unit.add(resource(
            "AlertForwarderRole",
            "AWS::IAM::Role",
            json!({
                "RoleName": super::alerting::FORWARDER_ROLE,
                "Path": ROLE_PATH,
                "Description": "EventBridge forwards this account's AWS events to the alert bus as this role",
                "AssumeRolePolicyDocument": trust_service("events.amazonaws.com"),
                "Policies": [{
                    "PolicyName": "forward",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Sid": "ToTheAlertBus",
                            "Effect": "Allow",
                            "Action": "events:PutEvents",
                            "Resource": super::alerting::regions(ctx)
                                .iter()
                                .map(|region| super::alerting::bus_arn(&alerts, region))
                                .collect::<Vec<_>>()
                        }]
                    }
                }]
            }),
        ));
    }
    unit
}

fn via_service(service: &str) -> Value {
    json!({
        "Sid": "UseThroughTheService",
        "Effect": "Allow",
        "Principal": { "AWS": "*" },
        "Action": ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {
                "kms:CallerAccount": { "Ref": "AWS::AccountId" },
                "kms:ViaService": intrinsic::sub(format!("{service}.${{AWS::Region}}.amazonaws.com"))
            }
        }
    })
}

fn regional(ctx: &Ctx<'_>) -> Unit {
    let mut unit = Unit::new(
        ctx.stack_name("baseline-regional", ""),
        Layer::Baseline,
        "Account baseline: keys, encryption, Config, Session Manager and Access Analyzer in every region".into(),
        target(ctx, ctx.regions.iter().map(|r| (*r).to_owned()).collect()),
    );
    unit.depends_on.push(ctx.stack_name("baseline-global", ""));
    unit.depends_on.push(ctx.stack_name("log-archive", ""));
    let log_archive = ctx.core_account_param(&mut unit, params::LOG_ARCHIVE, ctx.log_archive);
    unit.conditions.insert(
        "IsHomeRegion".into(),
        intrinsic::equals(intrinsic::r#ref("AWS::Region"), json!(ctx.home)),
    );

    let keys = [
        (
            "EbsKey",
            "ebs",
            "EBS volumes and snapshots",
            via_service("ec2"),
        ),
        ("S3Key", "s3", "S3 buckets", via_service("s3")),
        (
            "SessionsKey",
            "sessions",
            "Session Manager sessions",
            // The instance decrypts and the user who starts the session asks
            // for a data key, as principals of this account
            // (https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-create-iam-instance-profile.html).
            json!({
                "Sid": "SessionParticipantsOfTheAccount",
                "Effect": "Allow",
                "Principal": { "AWS": "*" },
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": { "StringEquals": { "kms:CallerAccount": { "Ref": "AWS::AccountId" } } }
            }),
        ),
        (
            "LogsKey",
            "logs",
            "CloudWatch Logs",
            json!({
                "Sid": "CloudWatchLogs",
                "Effect": "Allow",
                "Principal": { "Service": intrinsic::sub("logs.${AWS::Region}.amazonaws.com") },
                "Action": ["kms:Decrypt", "kms:Describe*", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                "Resource": "*",
                "Condition": { "ArnLike": { "kms:EncryptionContext:aws:logs:arn": intrinsic::sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*") } }
            }),
        ),
    ];
    for (id, alias, what, statement) in keys {
        unit.add(
            resource(
                id,
                "AWS::KMS::Key",
                json!({
                    "Description": format!("Encrypts {what}"),
                    "EnableKeyRotation": true,
                    "KeyPolicy": key_policy(vec![statement]),
                }),
            )
            .retain(),
        );
        unit.add(resource(
            format!("{id}Alias"),
            "AWS::KMS::Alias",
            json!({ "AliasName": format!("alias/landfall/{alias}"), "TargetKeyId": { "Ref": id } }),
        ));
    }
    // No resource type turns on EBS encryption by default (a per-region
    // account setting); AWS's runbook does it in one API call.
    unit.add(resource(
        "EbsEncryptionByDefault",
        "AWS::SSM::Association",
        json!({
            "AssociationName": "landfall-ebs-encryption-by-default",
            "Name": "AWSConfigRemediation-EnableEbsEncryptionByDefault",
            "Parameters": {
                "AutomationAssumeRole": [intrinsic::sub(format!(
                    "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role{ROLE_PATH}{AUTOMATION_ROLE}"
                ))]
            }
        }),
    ));
    unit.add(resource(
        "ConfigRecorder",
        "AWS::Config::ConfigurationRecorder",
        json!({
            "Name": "default",
            "RoleARN": intrinsic::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"),
            "RecordingGroup": {
                "AllSupported": true,
                "IncludeGlobalResourceTypes": intrinsic::if_("IsHomeRegion", json!(true), json!(false))
            }
        }),
    ));
    unit.add(
        resource(
            "ConfigDeliveryChannel",
            "AWS::Config::DeliveryChannel",
            json!({
                "Name": "default",
                "S3BucketName": intrinsic::sub(ctx.log_bucket("config", &log_archive)),
                "ConfigSnapshotDeliveryProperties": { "DeliveryFrequency": "TwentyFour_Hours" }
            }),
        )
        .depends("ConfigRecorder"),
    );
    unit.add(resource(
        "SessionManagerPreferences",
        "AWS::SSM::Document",
        json!({
            "Name": "SSM-SessionManagerRunShell",
            "DocumentType": "Session",
            "DocumentFormat": "JSON",
            "Content": {
                "schemaVersion": "1.0",
                "description": "Session Manager preferences: sessions logged to the log archive, encrypted",
                "sessionType": "Standard_Stream",
                "inputs": {
                    "s3BucketName": intrinsic::sub(ctx.log_bucket("sessions", &log_archive)),
                    "s3KeyPrefix": intrinsic::sub("${AWS::AccountId}/${AWS::Region}"),
                    "s3EncryptionEnabled": true,
                    "cloudWatchLogGroupName": "",
                    "cloudWatchEncryptionEnabled": true,
                    "kmsKeyId": { "Ref": "SessionsKey" },
                    "runAsEnabled": false,
                    "idleSessionTimeout": "20"
                }
            }
        }),
    ));
    unit.add(resource(
        "AccessAnalyzer",
        "AWS::AccessAnalyzer::Analyzer",
        json!({ "AnalyzerName": "landfall-account", "Type": "ACCOUNT" }),
    ));
    // The runbook `landfall heal` starts on a metal host whose disk fills.
    // A new version on a change keeps the name the remediation role is
    // granted (a replacement would need a new name).
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ssm-document.html
    unit.add(resource(
        "DiskCleanupRunbook",
        "AWS::SSM::Document",
        json!({
            "Name": landfall_model::monitoring::DISK_CLEANUP_DOCUMENT,
            "DocumentType": "Automation",
            "DocumentFormat": "JSON",
            "UpdateMethod": "NewVersion",
            "Content": disk_cleanup_runbook()
        }),
    ));
    if super::alerting::enabled(ctx) {
        let alerts = alert_account_param(ctx, &mut unit);
        let bus = super::alerting::forwarding_bus_arn(ctx, &mut unit, &alerts);
        unit.add(resource(
            "ForwardAlerts",
            "AWS::Events::Rule",
            json!({
                "Name": "landfall-forward-alerts",
                "Description": "Forwards the events the remediation service acts on to the organization's alert bus",
                "EventPattern": super::alerting::event_pattern(),
                "State": "ENABLED",
                "Targets": [{
                    "Id": "alert-bus",
                    "Arn": bus,
                    "RoleArn": intrinsic::sub(format!(
                        "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role{ROLE_PATH}{}",
                        super::alerting::FORWARDER_ROLE
                    ))
                }]
            }),
        ));
    }
    unit
}

/// The disk cleanup as an Automation runbook: one `aws:runCommand` step
/// running [`landfall_model::monitoring::DISK_CLEANUP`] on the instance,
/// with the starting action's id in the command's comment. It names no
/// `AutomationAssumeRole`, so it runs as whoever starts it (the remediation
/// role, which may send that command to metal hosts only).
/// https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-action-runcommand.html
pub fn disk_cleanup_runbook() -> Value {
    use landfall_model::monitoring::{DISK_CLEANUP, DISK_CLEANUP_ACTION_PARAMETER};
    json!({
        "schemaVersion": "0.3",
        "description": "Cleans a metal container instance's disk: unused images, the journal, rotated ECS agent logs (started by landfall heal)",
        "parameters": {
            "InstanceId": {
                "type": "String",
                "description": "The metal container instance",
                "allowedPattern": "^i-[a-f0-9]{8,17}$"
            },
            DISK_CLEANUP_ACTION_PARAMETER: {
                "type": "String",
                "description": "The remediation action that started the runbook",
                "allowedPattern": "^[A-Za-z0-9._:-]{1,64}$"
            }
        },
        "mainSteps": [{
            "name": "CleanUpDisk",
            "action": "aws:runCommand",
            "timeoutSeconds": 900,
            "onFailure": "Abort",
            "inputs": {
                "DocumentName": "AWS-RunShellScript",
                "InstanceIds": ["{{ InstanceId }}"],
                "Comment": format!("landfall heal {{{{ {DISK_CLEANUP_ACTION_PARAMETER} }}}}: disk cleanup"),
                "Parameters": {
                    "commands": DISK_CLEANUP,
                    "executionTimeout": "600"
                }
            }
        }]
    })
}

/// The parameter of an SSM remediation runbook that takes the non-compliant
/// resource's id, and any fixed parameters, for the runbooks the guardrail
/// registry names. A runbook not listed here gets no remediation.
fn remediation_parameters(
    document: &str,
) -> Option<(&'static str, Vec<(&'static str, &'static str)>)> {
    match document {
        "AWS-ConfigureS3BucketVersioning" => {
            Some(("BucketName", vec![("VersioningState", "Enabled")]))
        }
        "AWS-ConfigureS3BucketPublicAccessBlock" => Some(("BucketName", vec![])),
        "AWS-DisablePublicAccessForSecurityGroup" => Some(("GroupId", vec![])),
        _ => None,
    }
}

/// The OUs a config-rules StackSet targets: those its accounts live in.
/// StackSets deploy to every account of a target OU and of the OUs below
/// it, and auto-deployment adds every account that joins them
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html>);
/// an account filter is not kept for auto-deployment, so two class's sets
/// sharing an OU would both land in every account of it (conflicting rule
/// names). The organization gives each class its own OU; the second value
/// lists any account outside the set that the OUs would still reach.
fn class_targets(model: &Model, accounts: &[AccountId]) -> (Vec<String>, Vec<AccountId>) {
    let mut ous: Vec<OuId> = accounts.iter().map(|a| model.account(*a).ou).collect();
    ous.sort();
    ous.dedup();
    let within = |mut ou: OuId, target: OuId| loop {
        if ou == target {
            return true;
        }
        match model.ou(ou).parent {
            Some(parent) => ou = parent,
            None => return false,
        }
    };
    let strays = model
        .member_accounts()
        .filter(|a| !accounts.contains(&a.id))
        .filter(|a| ous.iter().any(|target| within(a.ou, *target)))
        .map(|a| a.id)
        .collect();
    let paths = ous.iter().map(|ou| model.ou(*ou).path.clone()).collect();
    (paths, strays)
}

/// AWS Config rules, one StackSet per account class (and environment) as
/// the guardrail registry groups them, over the OUs of exactly those
/// accounts.
fn config_rules(ctx: &Ctx<'_>) -> Vec<Unit> {
    let model = ctx.model;
    let mut units = Vec::new();
    for set in landfall_rules::config_rules(model) {
        if set.rules.is_empty() || set.accounts.is_empty() {
            continue;
        }
        let class = crate::layers::organization::class_name(set.class);
        let suffix = match set.environment {
            Some(env) => format!("{class}-{}", model.environment(env).name),
            None => class.to_owned(),
        };
        let regions: Vec<String> = set
            .regions
            .iter()
            .map(|r| model.region(*r).name.clone())
            .collect();
        let Target::StackSet(mut target) = target(ctx, regions) else {
            continue;
        };
        let (organizational_units, strays) = class_targets(model, &set.accounts);
        target.organizational_units = organizational_units;
        let mut unit = Unit::new(
            ctx.stack_name("config-rules", &suffix),
            Layer::Baseline,
            format!("AWS Config rules of {suffix} accounts"),
            Target::StackSet(target),
        );
        for stray in strays {
            unit.problems.push(Problem {
                code: "synth::internal",
                message: format!(
                    "the OUs of the config-rules StackSet `{}` also hold account `{}`, which would get its rules",
                    unit.name,
                    model.account(stray).name
                ),
                help: "this is a bug in Landfall; please report it with the spec".into(),
                at: None,
            });
        }
        unit.depends_on
            .push(ctx.stack_name("baseline-regional", ""));
        unit.conditions.insert(
            "IsHomeRegion".into(),
            intrinsic::equals(intrinsic::r#ref("AWS::Region"), json!(ctx.home)),
        );
        for rule in &set.rules {
            let scope = rule
                .scope_tag
                .as_ref()
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            let identifier = rule.identifier.to_ascii_lowercase();
            let id = landfall_graph::logical_id(&["ConfigRule", &identifier, scope]);
            let mut name = format!(
                "landfall-{}",
                rule.identifier.to_ascii_lowercase().replace('_', "-")
            );
            if !scope.is_empty() {
                name.push('-');
                name.push_str(scope);
            }
            let mut props = json!({
                "ConfigRuleName": name,
                "Description": format!("Detects: {}", rule.rules.join(", ")),
                "Source": { "Owner": "AWS", "SourceIdentifier": rule.identifier }
            });
            if !rule.input_parameters.is_empty() {
                props["InputParameters"] = json!(rule.input_parameters);
            }
            if let Some((key, value)) = &rule.scope_tag {
                props["Scope"] = json!({ "TagKey": key, "TagValue": value });
            }
            let mut r = resource(&id, "AWS::Config::ConfigRule", props);
            if rule.home_region_only {
                r = r.when("IsHomeRegion");
            }
            unit.add(r);
            let Some((document, (resource_param, fixed))) = rule
                .remediation
                .and_then(|d| remediation_parameters(d).map(|p| (d, p)))
            else {
                continue;
            };
            let mut parameters = serde_json::Map::new();
            parameters.insert(
                "AutomationAssumeRole".into(),
                json!({ "StaticValue": { "Values": [intrinsic::sub(format!(
                    "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role{ROLE_PATH}{AUTOMATION_ROLE}"
                ))] } }),
            );
            parameters.insert(
                resource_param.into(),
                json!({ "ResourceValue": { "Value": "RESOURCE_ID" } }),
            );
            for (k, v) in fixed {
                parameters.insert(k.into(), json!({ "StaticValue": { "Values": [v] } }));
            }
            let mut remediation = resource(
                format!("{id}Remediation"),
                "AWS::Config::RemediationConfiguration",
                json!({
                    "ConfigRuleName": { "Ref": id },
                    "TargetId": document,
                    "TargetType": "SSM_DOCUMENT",
                    "Automatic": true,
                    "MaximumAutomaticAttempts": 3,
                    "RetryAttemptSeconds": 60,
                    "Parameters": parameters,
                }),
            );
            if rule.home_region_only {
                remediation = remediation.when("IsHomeRegion");
            }
            unit.add(remediation);
        }
        units.push(unit);
    }
    units
}
