//! SCP compilation over the reference platform: within AWS's limits, valid
//! for the IAM engine, deterministic, and a clear error when it cannot fit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use landfall_diagnostics::SourceSet;
use landfall_iam::validate::{check_policy_bytes, Limits, PolicyKind};
use landfall_model::{Model, OuKind};
use landfall_rules::{compile_scps, config_rules};
use landfall_spec::types::{AccountClass, ControlMode, GuardrailId};

fn reference() -> Model {
    landfall_model::reference()
        .model
        .expect("the reference platform resolves")
}

#[test]
fn reference_scps_fit_the_limits_and_are_valid_policies() {
    let model = reference();
    let set = compile_scps(&model).expect("the reference platform's SCPs fit");
    assert!(!set.policies.is_empty());
    let limits = Limits::default();
    for policy in &set.policies {
        assert!(
            policy.content.chars().count() <= model.limits.scp_max_chars as usize,
            "{}",
            policy.name
        );
        assert!(
            !policy.content.contains(char::is_whitespace) || policy.content.contains("\" "),
            "{} is minified",
            policy.name
        );
        let mut sources = SourceSet::default();
        let (parsed, diagnostics) = check_policy_bytes(
            &mut sources,
            &policy.name,
            policy.content.as_bytes(),
            PolicyKind::Scp,
            &limits,
        );
        assert!(parsed.is_some(), "{}: {diagnostics:?}", policy.name);
        let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", policy.name);
    }
    for ou in &model.organizational_units {
        let attached = set.attached_to(ou.id).count();
        assert!(
            attached < model.limits.scps_per_target as usize,
            "{}",
            ou.path
        );
    }
}

#[test]
fn statements_go_where_they_belong() {
    let model = reference();
    let set = compile_scps(&model).unwrap();
    let root = model
        .organizational_units
        .iter()
        .find(|o| o.kind == OuKind::Root)
        .unwrap();
    let workloads = model
        .organizational_units
        .iter()
        .find(|o| o.kind == OuKind::Workloads)
        .unwrap();
    let sids = |ou| -> Vec<String> {
        set.attached_to(ou)
            .flat_map(|p| p.statements.clone())
            .collect()
    };
    let root_sids = sids(root.id);
    for sid in [
        "LandfallDenyOtherRegions",
        "LandfallStayInOrganization",
        "LandfallDenyUnencryptedVolumes",
        "LandfallProtectBucketVersioning",
        "LandfallDenyBurstInstances",
        "LandfallDenyIamUsers",
        "LandfallDenyKeyPairs",
        "LandfallProtectCloudTrail",
    ] {
        assert!(
            root_sids.iter().any(|s| s == sid),
            "{sid} not at the root: {root_sids:?}"
        );
    }
    // The networking account (in Core) owns the gateways: egress is denied below Workloads only.
    assert!(!root_sids
        .iter()
        .any(|s| s == "LandfallDenyInternetGateways"));
    assert!(sids(workloads.id)
        .iter()
        .any(|s| s == "LandfallDenyInternetGateways"));
    // Data encryption is detective in the reference platform: no SCP.
    assert!(!root_sids
        .iter()
        .any(|s| s == "LandfallDenyUnencryptedDatabases"));
    // Each environment's service allowlist sits on that environment's OUs.
    for env in &model.environments {
        let name = format!("landfall-services-{}-1", env.name);
        let policy = set.policies.iter().find(|p| p.name == name).unwrap();
        assert!(!policy.targets.is_empty());
        for target in &policy.targets {
            assert_eq!(model.ou(*target).environment, Some(env.id));
        }
        assert!(policy.content.contains("\"NotAction\""));
        assert!(policy.content.contains("ArnNotLike"));
    }
    let root_content: String = set
        .attached_to(root.id)
        .map(|p| p.content.clone())
        .collect();
    assert!(root_content
        .contains(r#""StringNotEquals":{"aws:RequestedRegion":["eu-central-1","eu-west-1"]}"#));
    assert!(root_content
        .contains(r#""StringLike":{"ec2:InstanceType":["t1.*","t2.*","t3.*","t3a.*","t4g.*"]}"#));
}

#[test]
fn compilation_is_deterministic() {
    let a = compile_scps(&reference()).unwrap();
    let b = compile_scps(&reference()).unwrap();
    assert_eq!(a, b);
    insta::assert_snapshot!(
        "reference_scps",
        a.policies
            .iter()
            .map(|p| format!(
                "{} ({} chars) -> {:?}\n{}\n",
                p.name,
                p.content.len(),
                p.targets,
                p.content
            ))
            .collect::<String>()
    );
}

#[test]
fn too_small_limits_give_an_error_with_numbers() {
    let mut model = reference();
    model.limits.scp_max_chars = 1_500;
    model.limits.scps_per_target = 3;
    let errors = compile_scps(&model).unwrap_err();
    let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("OU `Root` needs") && m.contains("only 2 can be attached")),
        "{messages:#?}"
    );
    model.limits.scp_max_chars = 700;
    let errors = compile_scps(&model).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|d| d.message.contains("`LandfallAllowedServicesProd`")
                && d.message.contains("at most 700")),
        "{errors:#?}"
    );
}

#[test]
fn a_control_switched_to_detective_leaves_the_scps() {
    let mut model = reference();
    model
        .guardrails
        .controls
        .insert(GuardrailId::NoBurstInstances, ControlMode::Detective);
    let set = compile_scps(&model).unwrap();
    assert!(set
        .policies
        .iter()
        .all(|p| !p.content.contains("LandfallDenyBurst")));
}

#[test]
fn config_rules_cover_every_member_account_class() {
    let model = reference();
    let sets = config_rules(&model);
    let covered: usize = sets.iter().map(|s| s.accounts.len()).sum();
    assert_eq!(covered, model.member_accounts().count());
    let dev = sets
        .iter()
        .find(|s| {
            s.class == AccountClass::Workload
                && s.environment
                    .is_some_and(|e| model.environment(e).name == "dev")
        })
        .unwrap();
    let ids: Vec<&str> = dev.rules.iter().map(|r| r.identifier).collect();
    for id in [
        "ENCRYPTED_VOLUMES",
        "S3_BUCKET_VERSIONING_ENABLED",
        "INCOMING_SSH_DISABLED",
        "NO_UNRESTRICTED_ROUTE_TO_IGW",
        "VPC_FLOW_LOGS_ENABLED",
    ] {
        assert!(ids.contains(&id), "{id} missing from dev: {ids:?}");
    }
    let prod = sets
        .iter()
        .find(|s| {
            s.class == AccountClass::Workload
                && s.environment
                    .is_some_and(|e| model.environment(e).name == "prod")
        })
        .unwrap();
    assert!(prod
        .rules
        .iter()
        .all(|r| r.identifier != "NO_UNRESTRICTED_ROUTE_TO_IGW"));
    let networking = sets
        .iter()
        .find(|s| s.class == AccountClass::Networking)
        .unwrap();
    let scoped: Vec<_> = networking
        .rules
        .iter()
        .filter(|r| r.identifier == "NO_UNRESTRICTED_ROUTE_TO_IGW")
        .map(|r| r.scope_tag.clone().unwrap().1)
        .collect();
    assert_eq!(scoped, vec!["dev", "staging"]);
    let versioning = dev
        .rules
        .iter()
        .find(|r| r.identifier == "S3_BUCKET_VERSIONING_ENABLED")
        .unwrap();
    assert_eq!(
        versioning.remediation,
        Some("AWS-ConfigureS3BucketVersioning")
    );
    assert_eq!(versioning.mode, ControlMode::Preventive);
    assert_eq!(config_rules(&model), sets);
}

/// The baseline StackSets deploy AWS Config, Access Analyzer, keys, roles
/// and SSM associations into every workload account; an environment's
/// allowlist that leaves one of them out makes the baseline fail there
/// (StackSets run as `stacksets-exec-*`, which SCPs restrict:
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-custom-execution-role.html>).
/// The reference lists neither `config` nor `access-analyzer`.
#[test]
fn every_service_allowlist_keeps_the_platforms_services() {
    let model = reference();
    let set = compile_scps(&model).unwrap();
    for env in &model.environments {
        let name = format!("landfall-services-{}-1", env.name);
        let policy = set.policies.iter().find(|p| p.name == name).unwrap();
        let document: serde_json::Value = serde_json::from_str(&policy.content).unwrap();
        let allowed: Vec<&str> = document["Statement"][0]["NotAction"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a.as_str())
            .collect();
        for service in landfall_rules::scp::PLATFORM_SERVICES {
            assert!(
                allowed.contains(&format!("{service}:*").as_str()),
                "`{service}` missing from the {} allowlist: {allowed:?}",
                env.name
            );
        }
    }
}

/// The exempted role names are the platform's alone: changing a role that
/// matches one is denied to everyone else.
#[test]
fn the_exempted_role_names_are_protected() {
    let model = reference();
    let set = compile_scps(&model).unwrap();
    let root = model
        .organizational_units
        .iter()
        .find(|o| o.kind == OuKind::Root)
        .unwrap();
    let statement = set
        .attached_to(root.id)
        .flat_map(|p| {
            let document: serde_json::Value = serde_json::from_str(&p.content).unwrap();
            document["Statement"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .find(|s| s["Sid"] == landfall_rules::scp::PROTECT_EXEMPT_ROLES_SID)
        .expect("the statement is at the root");
    let resources: Vec<&str> = statement["Resource"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    assert_eq!(resources, landfall_rules::scp::PLATFORM_ROLE_PATTERNS);
    assert!(resources.contains(&"arn:aws:iam::*:role/stacksets-exec-*"));
}
