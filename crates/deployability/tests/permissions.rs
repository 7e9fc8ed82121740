//! Deploy-permission proofs over the small platform, under SCPs written
//! here so each fixture keeps reproducing its defect whatever the rules
//! crate compiles.
//!
//! Service-managed StackSets act through `stacksets-exec-*` in each account:
//! https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-activate-trusted-access.html
//! SCPs apply to every principal of a member account but service-linked roles:
//! https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod common;

use landfall_deployability::permissions;
use landfall_rules::scp::{Scp, ScpSet};
use serde_json::json;

const PLATFORM_ROLES: [&str; 2] = [
    "arn:aws:iam::*:role/OrganizationAccountAccessRole",
    "arn:aws:iam::*:role/landfall/*",
];

fn scp(platform: &common::Platform, ou_path: &str, statements: serde_json::Value) -> ScpSet {
    let ou = platform
        .model
        .organizational_units
        .iter()
        .find(|o| o.path == ou_path)
        .unwrap_or_else(|| panic!("no OU {ou_path}"));
    ScpSet {
        policies: vec![Scp {
            name: "fixture-1".into(),
            description: String::new(),
            content: json!({ "Version": "2012-10-17", "Statement": statements }).to_string(),
            targets: vec![ou.id],
            statements: Vec::new(),
        }],
    }
}

fn protect_config(exempt: &[&str]) -> serde_json::Value {
    json!([{
        "Sid": "ProtectConfig",
        "Effect": "Deny",
        "Action": ["config:PutConfigurationRecorder", "config:PutDeliveryChannel"],
        "Resource": "*",
        "Condition": { "ArnNotLike": { "aws:PrincipalArn": exempt } }
    }])
}

#[test]
fn config_protection_that_exempts_only_the_platform_roles_denies_the_stackset_execution_role() {
    let mut platform = common::small();
    platform.scps = scp(&platform, "Root", protect_config(&PLATFORM_ROLES));
    let findings = permissions::check(&platform.input());
    let recorder = findings
        .iter()
        .find(|f| f.resource.as_deref() == Some("ConfigRecorder"))
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(recorder.code, "deploy::permission");
    assert_eq!(recorder.stack, "smallco-baseline-regional");
    assert!(
        recorder
            .message
            .contains("`config:PutConfigurationRecorder` (create, update)")
            && recorder.message.contains("stacksets-exec-*")
            && recorder
                .message
                .contains("SCP `fixture-1` statement `ProtectConfig`")
            && recorder.message.contains("`log-archive`"),
        "{}",
        recorder.message
    );
    assert!(findings
        .iter()
        .any(|f| f.resource.as_deref() == Some("ConfigDeliveryChannel")
            && f.message.contains("`config:PutDeliveryChannel`")));
}

#[test]
fn config_protection_that_exempts_the_stackset_execution_role_denies_nothing() {
    let mut platform = common::small();
    let mut exempt = PLATFORM_ROLES.to_vec();
    exempt.push("arn:aws:iam::*:role/stacksets-exec-*");
    platform.scps = scp(&platform, "Root", protect_config(&exempt));
    let findings = permissions::check(&platform.input());
    assert!(
        !findings.iter().any(|f| f.message.contains("config:Put")),
        "{findings:#?}"
    );
}

#[test]
fn a_service_allowlist_without_config_and_access_analyzer_denies_the_baseline() {
    let mut platform = common::small();
    let allowlist = |exempt: &[&str]| {
        json!([{
            "Sid": "AllowedServicesDev",
            "Effect": "Deny",
            "NotAction": ["ecr:*", "ecs:*", "kms:*", "logs:*", "rds:*", "s3:*"],
            "Resource": "*",
            "Condition": { "ArnNotLike": { "aws:PrincipalArn": exempt } }
        }])
    };
    platform.scps = scp(&platform, "Root/Workloads", allowlist(&PLATFORM_ROLES));
    let findings = permissions::check(&platform.input());
    let analyzer = findings
        .iter()
        .find(|f| f.resource.as_deref() == Some("AccessAnalyzer"))
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(analyzer.stack, "smallco-baseline-regional");
    assert!(
        analyzer
            .message
            .contains("`access-analyzer:CreateAnalyzer` (create)")
            && analyzer.message.contains("statement `AllowedServicesDev`")
            && analyzer.message.contains("`payments-dev`")
            && !analyzer.message.contains("`log-archive`"),
        "{}",
        analyzer.message
    );
    // Config rules StackSets of the workload accounts fail the same way.
    assert!(findings
        .iter()
        .any(|f| f.stack.starts_with("smallco-config-rules-workload")
            && f.message.contains("`config:PutConfigRule`")));

    let mut exempt = PLATFORM_ROLES.to_vec();
    exempt.push("arn:aws:iam::*:role/stacksets-exec-*");
    platform.scps = scp(&platform, "Root/Workloads", allowlist(&exempt));
    let findings = permissions::check(&platform.input());
    assert!(
        !findings
            .iter()
            .any(|f| f.message.contains("stacksets-exec")),
        "{findings:#?}"
    );
}

#[test]
fn the_management_account_is_not_bound_by_scps() {
    let mut platform = common::small();
    platform.scps = scp(
        &platform,
        "Root",
        json!([{ "Sid": "DenyAll", "Effect": "Deny", "Action": "*", "Resource": "*" }]),
    );
    let findings = permissions::check(&platform.input());
    assert!(findings.iter().any(|f| f.message.contains("`DenyAll`")));
    let management = &platform
        .model
        .accounts
        .iter()
        .find(|a| a.class == landfall_spec::types::AccountClass::Management)
        .unwrap()
        .name;
    for f in &findings {
        let stack = platform.graph.stack(&f.stack).unwrap();
        assert!(
            !matches!(&stack.target, landfall_graph::Target::Account { account, .. } if account == management),
            "{f:#?}"
        );
    }
}

#[test]
fn the_cloudformation_role_identity_policy_must_allow_what_role_handlers_need() {
    let mut platform = common::small();
    platform.scps = ScpSet::default();
    // The role CloudFormation runs the stacks as may do what the IAM role
    // handlers call.
    let findings = permissions::check(&platform.input());
    assert!(
        !findings.iter().any(|f| f
            .message
            .contains("the CloudFormation service role `landfall/landfall-cloudformation`")),
        "{findings:#?}"
    );
    // The defect as it was: PowerUserAccess and an inline policy without
    // `iam:GetRolePolicy`, which the AWS::IAM::Role create handler needs.
    let deploy = platform.stack_mut("smallco-baseline-global");
    let role = deploy
        .resources
        .iter_mut()
        .find(|r| r.logical_id == "CloudFormationRole")
        .unwrap();
    let without = role.properties["Policies"]
        .to_string()
        .replace("\"iam:GetRolePolicy\",", "");
    role.properties
        .insert("Policies".into(), serde_json::from_str(&without).unwrap());
    let findings = permissions::check(&platform.input());
    let roles = findings
        .iter()
        .find(|f| {
            f.message
                .contains("the CloudFormation service role `landfall/landfall-cloudformation`")
                && f.message.contains("`AWS::IAM::Role`")
        })
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert!(
        roles.message.contains("`iam:GetRolePolicy` (create)")
            && roles
                .message
                .contains("no identity policy of the role allows it"),
        "{}",
        roles.message
    );
    // With administrator access the role may do it all.
    let deploy = platform.stack_mut("smallco-baseline-global");
    let role = deploy
        .resources
        .iter_mut()
        .find(|r| r.logical_id == "CloudFormationRole")
        .unwrap();
    role.properties.insert(
        "ManagedPolicyArns".into(),
        json!(["arn:aws:iam::aws:policy/AdministratorAccess"]),
    );
    let findings = permissions::check(&platform.input());
    assert!(
        !findings
            .iter()
            .any(|f| f.message.contains("landfall-cloudformation")),
        "{findings:#?}"
    );
}

/// Roles under the paths AWS reserves are created by AWS services only,
/// whatever the policies allow
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-friendly-names,
/// `/aws-reserved/`): the finding says AWS refuses it, not an empty list of
/// statements.
#[test]
fn a_role_under_a_reserved_path_is_refused_by_aws_itself() {
    let mut platform = common::small();
    platform.scps = ScpSet::default();
    let stack = platform.stack_mut("smallco-network-dev-eu-central-1-core");
    let mut role = landfall_graph::Resource::new("ReservedRole", "AWS::IAM::Role");
    role.properties.insert("RoleName".into(), json!("fixture"));
    role.properties
        .insert("Path".into(), json!("/aws-reserved/sso.amazonaws.com/"));
    role.properties.insert(
        "AssumeRolePolicyDocument".into(),
        json!({ "Version": "2012-10-17", "Statement": [] }),
    );
    stack.resources.push(role);
    let findings = permissions::check(&platform.input());
    let found = findings
        .iter()
        .find(|f| f.resource.as_deref() == Some("ReservedRole"))
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert!(
        found
            .message
            .contains("refused by AWS whatever the policies say: roles under /aws-service-role/ and /aws-reserved/"),
        "{}",
        found.message
    );
    assert!(!found.message.contains("denied by ;"), "{}", found.message);
}
