//! The platform repository's own roles, in the management account where
//! `landfall plan` and `landfall deploy` run, assumed by its pipeline
//! through GitHub's OIDC provider (`landfall_pipelines`):
//!
//! - `landfall-platform-plan` reads: what `landfall plan` reads in the
//!   management account ([`PLAN_READS`]), and member accounts only through
//!   the baseline's read-only `landfall-audit` role (`plan --read-only`).
//!   Trusted from the repository's pull requests and its default branch.
//!   A pull request's token carries no branch, so any branch of the
//!   repository with a pull request can use it: that is why it cannot
//!   write.
//! - `landfall-platform-deploy` applies: the services `landfall deploy`
//!   calls in the management account and the resource types of the stacks
//!   placed there ([`DEPLOY_ACTIONS`]), and member accounts through the
//!   baseline's `landfall-deploy` role (or `OrganizationAccountAccessRole`
//!   in an account the deploy has just created). Trusted only from a job of
//!   the repository's `platform` GitHub environment, whose protection rules
//!   (reviewers, the default branch) the pipeline's settings declare.
//!
//! Both live under `/landfall/` like the platform's other roles. The
//! management account is outside every SCP; what protects these roles is
//! their trust, proven against every kind of GitHub token by
//! `landfall_proofs::oidc`.
//!
//! One unit, only when `cicd.github.platform_repository` is set, with the
//! management account's own GitHub OIDC provider.

use landfall_graph::{intrinsic, Layer, Target};
use serde_json::{json, Value};

use crate::layers::baseline::{AUDIT_ROLE, DEPLOY_ROLE, ROLE_PATH};
use crate::unit::{resource, Unit};
use crate::Ctx;

const GITHUB_ISSUER: &str = "token.actions.githubusercontent.com";

/// The longest a platform deploy may run on one set of credentials: member
/// sessions are renewed from it, so it must outlast the deploy. GitHub's
/// hosted runners stop a job after 6 hours
/// (https://docs.github.com/en/actions/administering-github-actions/usage-limits-billing-and-administration#usage-limits);
/// IAM allows up to 12 for a role's first session
/// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html, MaxSessionDuration).
pub const DEPLOY_SESSION_SECONDS: u32 = 6 * 3600;

/// What `landfall plan` reads, in the management account and (through the
/// audit role) in member accounts, with what reads it. The plan role and
/// the audit role's `PlanReads` statement are made from this one list, so
/// a read added to the plan is added here.
pub const PLAN_READS: &[(&str, &str)] = &[
    (
        "organizations:Describe*",
        "the organization, its accounts, OUs, policies (org.rs)",
    ),
    (
        "organizations:List*",
        "the organization, its accounts, OUs, policies, trusted services, delegated administrators",
    ),
    (
        "cloudformation:Describe*",
        "stacks, StackSets and their operations (stacks.rs)",
    ),
    (
        "cloudformation:List*",
        "stacks, StackSets, instances, exports (stacks.rs, retire.rs, preflight.rs)",
    ),
    (
        "cloudformation:GetTemplate",
        "a live stack's template (stacks.rs)",
    ),
    (
        "guardduty:ListDetectors",
        "the GuardDuty administrator's detectors",
    ),
    (
        "guardduty:ListOrganizationAdminAccounts",
        "who administers GuardDuty",
    ),
    (
        "guardduty:DescribeOrganizationConfiguration",
        "GuardDuty's auto-enable",
    ),
    (
        "securityhub:ListOrganizationAdminAccounts",
        "who administers Security Hub",
    ),
    (
        "inspector2:ListDelegatedAdminAccounts",
        "who administers Inspector (inspector.rs)",
    ),
    (
        "inspector2:DescribeOrganizationConfiguration",
        "Inspector's auto-enable (inspector.rs)",
    ),
    (
        "inspector2:ListMembers",
        "the accounts Inspector scans (inspector.rs)",
    ),
    (
        "inspector2:BatchGetAccountStatus",
        "what each account's Inspector scans (inspector.rs)",
    ),
    (
        "ce:ListCostAllocationTags",
        "which tag keys are cost allocation tags (cost_tags.rs)",
    ),
    (
        "ec2:DescribeVpcs",
        "live VPC addresses against planned ones (addresses.rs, preflight.rs)",
    ),
    (
        "ec2:DescribeSubnets",
        "live subnet addresses against planned ones (addresses.rs)",
    ),
    ("ec2:DescribeAddresses", "Elastic IP quota (preflight.rs)"),
    ("ec2:DescribeImages", "AMIs a stack launches (preflight.rs)"),
    (
        "kafka:GetBootstrapBrokers",
        "the log cluster's SASL/SCRAM brokers, a parameter of the service stacks (params.rs)",
    ),
    (
        "ec2:DescribeInstanceTypeOfferings",
        "instance types offered per AZ (preflight.rs)",
    ),
    (
        "ec2:DescribeManagedPrefixLists",
        "prefix lists a stack reads (deploy.rs)",
    ),
    (
        "servicequotas:GetServiceQuota",
        "vCPU and VPC quotas (preflight.rs)",
    ),
    (
        "servicequotas:GetAWSDefaultServiceQuota",
        "quotas not yet raised (preflight.rs)",
    ),
    (
        "ecr:DescribeImages",
        "whether a service's image is pushed (preflight.rs)",
    ),
    (
        "ssm:GetParameter",
        "whether a stack's SSM input exists (preflight.rs)",
    ),
    (
        "route53:GetHostedZone",
        "whether a delegated public zone exists (preflight.rs)",
    ),
    ("s3:GetBucketVersioning", "the templates bucket (stacks.rs)"),
    (
        "s3:GetBucketPublicAccessBlock",
        "the templates bucket (stacks.rs)",
    ),
];

/// What `landfall deploy` does in the management account: the calls it
/// makes itself (organization, delegated administrators, cost allocation
/// tags, the templates bucket, StackSets) and what the handlers of the
/// resource types of the stacks CloudFormation runs there with its
/// credentials call (`crate::deployers`; a test checks each type's service
/// is here). It plans first, so [`PLAN_READS`] are granted too.
///
/// Not narrower than a whole service where the deploy manages that
/// service: a role that writes SCPs, moves accounts and assigns permission
/// sets administers the organization whatever else it lacks. What guards it
/// is who may assume it.
pub const DEPLOY_ACTIONS: &[(&str, &str)] = &[
    (
        "organizations:*",
        "OUs, accounts, SCPs, trusted access, delegated administrators",
    ),
    (
        "cloudformation:*",
        "the management account's stacks and every StackSet",
    ),
    (
        "iam:*",
        "service-linked roles of trusted services and the trail; Identity Center's roles",
    ),
    ("sso:*", "Identity Center permission sets and assignments"),
    (
        "guardduty:*",
        "the GuardDuty administrator and its auto-enable",
    ),
    ("securityhub:*", "the Security Hub administrator"),
    (
        "inspector2:*",
        "the Inspector administrator and its auto-enable",
    ),
    ("ram:*", "sharing with the organization"),
    (
        "s3:*",
        "the bucket templates too large to send inline go through",
    ),
    ("cloudtrail:*", "the organization trail"),
    ("budgets:*", "the domains' budgets"),
    (
        "billing:GetBillingViewData",
        "what a budget's handlers read",
    ),
    ("bcm-data-exports:*", "the cost and usage export"),
    ("cur:PutReportDefinition", "what the export's handlers call"),
    (
        "ce:UpdateCostAllocationTagsStatus",
        "the platform's tag keys as cost allocation tags",
    ),
];

pub(crate) fn build(ctx: &Ctx<'_>) -> Vec<Unit> {
    let Some(cicd) = ctx.model.cicd.as_ref() else {
        return Vec::new();
    };
    let github = &cicd.github;
    let (false, Some(name)) = (
        github.organization.is_empty(),
        github.platform_repository.as_deref(),
    ) else {
        return Vec::new();
    };
    let repository = format!("{}/{name}", github.organization);
    let mut unit = Unit::new(
        ctx.stack_name("platform-ci", ""),
        Layer::Organization,
        format!("The roles {repository}'s pipeline plans and deploys the platform with"),
        Target::Account {
            account: ctx.management.to_owned(),
            region: ctx.home.to_owned(),
        },
    );
    let org = ctx.organization_id_param(&mut unit);

    // IAM holds one provider per issuer and account; the services' CI/CD
    // roles and theirs are in the shared-services account, which the model
    // requires beside `cicd`, so the management account gets its own here.
    unit.add(resource(
        "GitHubOidcProvider",
        "AWS::IAM::OIDCProvider",
        json!({
            "Url": format!("https://{GITHUB_ISSUER}"),
            "ClientIdList": ["sts.amazonaws.com"],
        }),
    ));
    let provider = json!({ "Ref": "GitHubOidcProvider" });
    let trust = |subjects: Vec<String>| {
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "GitHubActions",
                "Effect": "Allow",
                "Principal": { "Federated": provider.clone() },
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        format!("{GITHUB_ISSUER}:aud"): "sts.amazonaws.com",
                        format!("{GITHUB_ISSUER}:sub"): subjects
                    }
                }
            }]
        })
    };
    let member_role = |role: &str| {
        intrinsic::sub(format!(
            "arn:${{AWS::Partition}}:iam::*:role{ROLE_PATH}{role}"
        ))
    };
    let in_organization = json!({ "StringEquals": { "aws:ResourceOrgID": { "Ref": org } } });

    let plan_subjects = plan_subjects(&repository, &github.production_branches);
    let reads: Vec<&str> = PLAN_READS.iter().map(|(action, _)| *action).collect();
    unit.add(resource(
        "PlatformPlanRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": landfall_graph::PLATFORM_PLAN_ROLE,
            "Path": ROLE_PATH,
            "Description": format!("Reads what landfall plan reads, for {repository}'s pull requests"),
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": trust(plan_subjects),
            "Policies": [{
                "PolicyName": "plan",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        { "Sid": "ReadWhatThePlanReads", "Effect": "Allow", "Action": reads, "Resource": "*" },
                        {
                            "Sid": "EnterMembersReadOnly",
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Resource": member_role(AUDIT_ROLE),
                            "Condition": in_organization.clone()
                        }
                    ]
                }
            }]
        }),
    ));

    let deploys: Vec<&str> = DEPLOY_ACTIONS.iter().map(|(action, _)| *action).collect();
    unit.add(resource(
        "PlatformDeployRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": landfall_graph::PLATFORM_DEPLOY_ROLE,
            "Path": ROLE_PATH,
            "Description": format!(
                "Runs landfall deploy, from {repository}'s `{}` environment only",
                landfall_graph::PLATFORM_DEPLOY_ENVIRONMENT
            ),
            "MaxSessionDuration": DEPLOY_SESSION_SECONDS,
            "AssumeRolePolicyDocument": trust(vec![deploy_subject(&repository)]),
            "Policies": [{
                "PolicyName": "deploy",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        { "Sid": "PlanFirst", "Effect": "Allow", "Action": reads, "Resource": "*" },
                        { "Sid": "DeployTheManagementAccount", "Effect": "Allow", "Action": deploys, "Resource": "*" },
                        {
                            // The baseline's deploy role, and the role
                            // Organizations creates in an account the
                            // deploy has just created (until the baseline
                            // reaches it).
                            "Sid": "EnterMembersToDeploy",
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Resource": [
                                member_role(DEPLOY_ROLE),
                                intrinsic::sub("arn:${AWS::Partition}:iam::*:role/OrganizationAccountAccessRole")
                            ],
                            "Condition": in_organization
                        }
                    ]
                }
            }]
        }),
    ));
    vec![unit]
}

/// The plan role's subjects: the repository's pull requests, and pushes to
/// its default branch (the first production branch).
pub fn plan_subjects(repository: &str, branches: &[String]) -> Vec<String> {
    let mut subjects = vec![format!("repo:{repository}:pull_request")];
    subjects.extend(
        branches
            .first()
            .map(|b| format!("repo:{repository}:ref:refs/heads/{b}")),
    );
    subjects
}

/// The deploy role's one subject: a job of the `platform` environment.
pub fn deploy_subject(repository: &str) -> String {
    format!(
        "repo:{repository}:environment:{}",
        landfall_graph::PLATFORM_DEPLOY_ENVIRONMENT
    )
}

/// The audit role's statement granting what the plan reads in a member
/// account, so `landfall plan --read-only` needs nothing the AWS managed
/// policies may or may not hold.
pub(crate) fn plan_reads_statement() -> Value {
    let reads: Vec<&str> = PLAN_READS.iter().map(|(action, _)| *action).collect();
    json!({ "Sid": "PlanReads", "Effect": "Allow", "Action": reads, "Resource": "*" })
}
