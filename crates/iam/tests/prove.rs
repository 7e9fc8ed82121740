//! Proving guardrails over hand-written SCP sets.
#![allow(clippy::unwrap_used)]

mod common;

use landfall_diagnostics::SourceSet;
use landfall_iam::compile::CompiledPolicy;
use landfall_iam::prove::{prove, Intent, OrgPolicies, ProveOptions, ProveOutcome};
use landfall_iam::request::ContextValue;
use landfall_iam::validate::{check_policy_bytes, Limits, PolicyKind};

const ACCOUNT: &str = "222233334444";

fn fixture(name: &str) -> CompiledPolicy {
    let path = format!(
        "{}/tests/fixtures/scps/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap();
    let mut sources = SourceSet::default();
    let (policy, diagnostics) = check_policy_bytes(
        &mut sources,
        &path,
        &bytes,
        PolicyKind::Scp,
        &Limits::default(),
    );
    assert!(diagnostics.is_empty(), "{name}: {diagnostics:#?}");
    CompiledPolicy::new(policy.unwrap())
}

/// Root → workloads OU → account, as a platform would attach them.
fn reference_org() -> OrgPolicies {
    OrgPolicies {
        scps: vec![
            vec![
                fixture("full-aws-access"),
                fixture("protect-security-services"),
                fixture("deny-iam-users"),
            ],
            vec![
                fixture("full-aws-access"),
                fixture("region-allowlist"),
                fixture("deny-unencrypted-ebs"),
                fixture("deny-burst-instances"),
            ],
            vec![fixture("full-aws-access")],
        ],
        rcps: Vec::new(),
    }
}

fn intent(actions: &[&str]) -> Intent {
    Intent {
        name: actions.join(","),
        actions: actions.iter().map(|s| s.to_string()).collect(),
        ..Intent::default()
    }
}

fn one(v: &str) -> ContextValue {
    ContextValue::One(v.into())
}

fn check(org: &OrgPolicies, intent: &Intent) -> ProveOutcome {
    prove(ACCOUNT, org, intent, ProveOptions::default())
}

#[test]
fn no_iam_users() {
    let outcome = check(
        &reference_org(),
        &intent(&[
            "iam:CreateUser",
            "iam:CreateAccessKey",
            "iam:CreateLoginProfile",
        ]),
    );
    assert!(outcome.holds(), "{outcome:#?}");
}

#[test]
fn no_leaving_the_organization_even_for_the_platform_role() {
    let mut i = intent(&["organizations:LeaveOrganization"]);
    i.principal = Some(format!("arn:aws:iam::{ACCOUNT}:role/PlatformAdmin"));
    assert!(check(&reference_org(), &i).holds());
}

#[test]
fn no_disabling_cloudtrail_or_config_except_the_platform_role() {
    let i = intent(&[
        "cloudtrail:StopLogging",
        "config:StopConfigurationRecorder",
        "guardduty:DeleteDetector",
    ]);
    // Every principal except the exempted platform role, whatever the context.
    let mut fixed = i.clone();
    fixed.fixed.insert(
        "aws:PrincipalArn".into(),
        one(&format!("arn:aws:iam::{ACCOUNT}:role/Developer")),
    );
    assert!(check(&reference_org(), &fixed).holds());
    // Letting the principal vary finds the documented exception.
    match check(&reference_org(), &i) {
        ProveOutcome::Counterexample { request, .. } => {
            let arn = &request.context["aws:principalarn"];
            assert!(
                matches!(arn, ContextValue::One(a) if a.ends_with(":role/PlatformAdmin")),
                "{arn:?}"
            );
        }
        other => panic!("expected a counterexample, got {other:#?}"),
    }
}

#[test]
fn no_region_outside_the_allowlist() {
    let mut i = intent(&[
        "ec2:RunInstances",
        "s3:CreateBucket",
        "lambda:CreateFunction",
    ]);
    i.values.insert(
        "aws:RequestedRegion".into(),
        vec!["us-east-1".into(), "ap-southeast-2".into()],
    );
    i.fixed.insert(
        "aws:PrincipalArn".into(),
        one(&format!("arn:aws:iam::{ACCOUNT}:role/Developer")),
    );
    assert!(check(&reference_org(), &i).holds());
    // Global services stay usable everywhere (NotAction).
    let mut global = intent(&["iam:CreateRole"]);
    global.values = i.values.clone();
    assert!(!check(&reference_org(), &global).holds());
}

#[test]
fn no_unencrypted_ebs() {
    let mut i = intent(&["ec2:CreateVolume"]);
    i.resource = Some(format!("arn:aws:ec2:eu-west-1:{ACCOUNT}:volume/vol-1"));
    i.fixed.insert("ec2:Encrypted".into(), one("false"));
    assert!(
        check(&reference_org(), &i).holds(),
        "{:#?}",
        check(&reference_org(), &i)
    );
    let mut disable = intent(&["ec2:DisableEbsEncryptionByDefault"]);
    disable.fixed.insert(
        "aws:PrincipalArn".into(),
        one(&format!("arn:aws:iam::{ACCOUNT}:role/PlatformAdmin")),
    );
    assert!(check(&reference_org(), &disable).holds());
}

#[test]
fn no_burst_instances_and_a_counterexample_when_the_scp_misses_one() {
    let mut i = intent(&["ec2:RunInstances"]);
    i.resource = Some(format!("arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/i-1"));
    i.values.insert(
        "ec2:InstanceType".into(),
        ["t2.micro", "t3.large", "t3a.nano", "t4g.small"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    );
    assert!(check(&reference_org(), &i).holds());

    // An SCP that lists only t2 and t3 misses t3a (`t3.*` does not match
    // `t3a.nano`) and t4g.
    let weak = common::stmt(
        r#"{"Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*", "Condition": {"StringLike": {"ec2:InstanceType": ["t2.*", "t3.*"]}}}"#,
    );
    let org = OrgPolicies {
        scps: vec![vec![common::allow_all(), weak]],
        rcps: Vec::new(),
    };
    match check(&org, &i) {
        ProveOutcome::Counterexample {
            request, decision, ..
        } => {
            assert_eq!(request.context["ec2:instancetype"], one("t3a.nano"));
            assert!(decision.is_allowed());
        }
        other => panic!("expected a counterexample, got {other:#?}"),
    }
}

#[test]
fn absence_of_a_key_is_tried() {
    // A deny that only fires when the key is present is not a guardrail: a
    // request without the key gets through.
    let org = OrgPolicies {
        scps: vec![vec![
            common::allow_all(),
            common::stmt(
                r#"{"Effect": "Deny", "Action": "ec2:CreateVolume", "Resource": "*", "Condition": {"Bool": {"ec2:Encrypted": "false"}}}"#,
            ),
        ]],
        rcps: Vec::new(),
    };
    match check(&org, &intent(&["ec2:CreateVolume"])) {
        ProveOutcome::Counterexample { request, .. } => {
            assert!(
                !request.context.contains_key("ec2:encrypted"),
                "{request:?}"
            );
        }
        other => panic!("expected a counterexample, got {other:#?}"),
    }
    let mut i = intent(&["ec2:CreateVolume"]);
    i.always_present.push("ec2:Encrypted".into());
    i.fixed.insert("ec2:Encrypted".into(), one("false"));
    assert!(check(&org, &i).holds());
}

#[test]
fn an_scp_level_without_an_allow_blocks_everything() {
    let org = OrgPolicies {
        scps: vec![vec![common::allow_all()], vec![]],
        rcps: Vec::new(),
    };
    assert!(check(&org, &intent(&["s3:GetObject", "iam:CreateRole"])).holds());
}

#[test]
fn numeric_and_ip_witnesses_fall_on_both_sides() {
    let org = OrgPolicies {
        scps: vec![vec![
            common::allow_all(),
            common::stmt(
                r#"{"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}"#,
            ),
            common::stmt(
                r#"{"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"NumericGreaterThan": {"aws:MultiFactorAuthAge": "3600"}}}"#,
            ),
        ]],
        rcps: Vec::new(),
    };
    match check(&org, &intent(&["s3:GetObject"])) {
        ProveOutcome::Counterexample { request, .. } => {
            let ip = &request.context["aws:sourceip"];
            assert!(
                matches!(ip, ContextValue::One(v) if v.starts_with("10.")),
                "{request:?}"
            );
        }
        other => panic!("expected a counterexample, got {other:#?}"),
    }
}

#[test]
fn enumeration_is_bounded() {
    let org = reference_org();
    let mut i = intent(&["ec2:RunInstances"]);
    i.keys = (0..40).map(|n| format!("aws:PrincipalTag/k{n}")).collect();
    let outcome = prove(ACCOUNT, &org, &i, ProveOptions { max_requests: 1000 });
    assert!(
        matches!(outcome, ProveOutcome::Inconclusive { .. }),
        "{outcome:#?}"
    );
}
