//! Every guardrail intent holds in every member account of the reference
//! platform, and weakening a guardrail produces a counterexample.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::collections::BTreeMap;

use landfall_proofs::{
    can, can_as, find_account, placeholder_id, prove_all, workload_principal, OrgPolicies, Verdict,
};

fn reference() -> landfall_model::Model {
    landfall_model::reference()
        .model
        .expect("the reference platform is valid")
}

#[test]
fn every_intent_holds_on_the_reference_platform() {
    let model = reference();
    let scps = landfall_rules::scp::compile_scps(&model).expect("SCPs compile");
    let policies = OrgPolicies::of(&model, &scps).expect("SCPs parse");
    let reports = prove_all(&model, &policies);
    assert!(reports.len() >= 12, "{} intents", reports.len());
    let members = model.member_accounts().count();
    for report in &reports {
        assert!(
            report.skipped.is_none(),
            "{}: {:?}",
            report.intent,
            report.skipped
        );
        assert!(
            !report.accounts.is_empty(),
            "{} applies to no account",
            report.intent
        );
        assert!(report.accounts.len() <= members);
        for account in &report.accounts {
            assert!(
                matches!(account.verdict, Verdict::Holds { .. }),
                "{} fails in {}: {:?}",
                report.intent,
                account.account,
                account.verdict
            );
        }
    }
}

#[test]
fn an_spec_without_the_sso_control_yields_a_counterexample() {
    // The small fixture with the SSO-only control switched to detective: the
    // SCP no longer denies CreateUser, so the prover must find a request.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/specs/small");
    let mut files: Vec<(String, String)> = Vec::new();
    for entry in walk(&root) {
        let name = entry
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let mut text = std::fs::read_to_string(&entry).unwrap();
        if name == "guardrails.yaml" {
            text.push_str("    - { id: sso-only, mode: detective, reason: migration of a legacy batch user }\n");
        }
        files.push((name, text));
    }
    let (loaded, diagnostics) = landfall_spec::load_files(files);
    let model = landfall_model::resolve(loaded, diagnostics)
        .model
        .expect("valid");
    let scps = landfall_rules::scp::compile_scps(&model).unwrap();
    let policies = OrgPolicies::of(&model, &scps).unwrap();
    let report = prove_all(&model, &policies)
        .into_iter()
        .find(|r| r.intent == "no-iam-users")
        .unwrap();
    assert!(report.skipped.as_deref().unwrap().contains("detective"));

    // And `can` shows the request going through.
    let account = find_account(&model, "payments-prod").unwrap();
    let (_, decision) = can(
        &model,
        &policies,
        account,
        "iam:CreateUser",
        None,
        BTreeMap::new(),
    );
    assert!(decision.is_allowed());
}

#[test]
fn can_explains_a_denied_request_in_a_dev_account() {
    let model = reference();
    let scps = landfall_rules::scp::compile_scps(&model).unwrap();
    let policies = OrgPolicies::of(&model, &scps).unwrap();
    let account = find_account(&model, "trading-dev").unwrap();
    let mut context = BTreeMap::new();
    context.insert(
        "ec2:InstanceType".to_owned(),
        landfall_iam::request::ContextValue::One("t3.large".to_owned()),
    );
    context.insert(
        "aws:RequestedRegion".to_owned(),
        landfall_iam::request::ContextValue::One("eu-central-1".to_owned()),
    );
    let (_, decision) = can(
        &model,
        &policies,
        account,
        "ec2:RunInstances",
        Some("arn:aws:ec2:eu-central-1:100000000000:instance/*"),
        context.clone(),
    );
    assert!(!decision.is_allowed());
    context.insert(
        "ec2:InstanceType".to_owned(),
        landfall_iam::request::ContextValue::One("m7i.large".to_owned()),
    );
    let (_, decision) = can(
        &model,
        &policies,
        account,
        "ec2:RunInstances",
        Some("arn:aws:ec2:eu-central-1:100000000000:instance/*"),
        context,
    );
    assert!(decision.is_allowed(), "{decision:?}");
}

/// Service-managed StackSets create the baseline's resources as the
/// `stacksets-exec-*` role in each member account ("By default, StackSets
/// with service-managed permissions creates an execution role named
/// `stacksets-exec-*` in each target account",
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-custom-execution-role.html>),
/// and SCPs apply to it (only service-linked roles are exempt,
/// <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html>).
/// Every member account's SCPs must let it do what the baseline and
/// config-rules StackSets do, in every allowed region, while a role of the
/// account's own still cannot touch the recorder.
#[test]
fn the_stackset_execution_role_can_deploy_the_baseline_and_a_workload_role_cannot_stop_config() {
    let model = reference();
    let scps = landfall_rules::scp::compile_scps(&model).unwrap();
    let policies = OrgPolicies::of(&model, &scps).unwrap();
    let baseline_actions = [
        "config:PutConfigurationRecorder",
        "config:PutDeliveryChannel",
        "config:StartConfigurationRecorder",
        "config:PutConfigRule",
        "config:PutRemediationConfigurations",
        "access-analyzer:CreateAnalyzer",
        "kms:CreateKey",
        "kms:CreateAlias",
        "ssm:CreateAssociation",
        "ssm:CreateDocument",
        "iam:CreateRole",
        "iam:CreatePolicy",
        "iam:CreateServiceLinkedRole",
        "ec2:EnableEbsEncryptionByDefault",
    ];
    let regions: Vec<&str> = model
        .guardrails
        .allowed_regions
        .iter()
        .map(|r| model.region(*r).name.as_str())
        .collect();
    let mut checked = 0;
    for account in model.member_accounts() {
        let exec = format!(
            "arn:aws:iam::{}:role/stacksets-exec-0123456789abcdef",
            placeholder_id(account.id)
        );
        for region in &regions {
            let mut context = BTreeMap::new();
            context.insert(
                "aws:RequestedRegion".to_owned(),
                landfall_iam::request::ContextValue::One((*region).to_owned()),
            );
            for action in baseline_actions {
                let (_, decision) = can_as(
                    &model,
                    &policies,
                    account,
                    &exec,
                    action,
                    None,
                    context.clone(),
                );
                assert!(
                    decision.is_allowed(),
                    "{action} as the StackSet execution role in {} ({region}): {decision:?}",
                    account.name
                );
                checked += 1;
            }
            for action in [
                "config:PutConfigurationRecorder",
                "config:StopConfigurationRecorder",
            ] {
                let (_, decision) = can(&model, &policies, account, action, None, context.clone());
                assert!(
                    !decision.is_allowed(),
                    "{action} as {} in {} ({region}) must be denied",
                    workload_principal(account),
                    account.name
                );
            }
        }
    }
    assert!(checked > 0);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.path().is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out.sort();
    out
}

/// The reference platform with `edit` applied to the text of one of its
/// files.
fn reference_with(file: &str, edit: impl Fn(&str) -> String) -> landfall_model::Model {
    let dir = std::env::temp_dir().join(format!(
        "landfall-proofs-{}-{}",
        std::process::id(),
        file.replace('/', "-")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    landfall_spec::reference::write_reference(&dir).unwrap();
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(&text)).unwrap();
    let resolved = landfall_model::load_dir(&dir).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let problems = format!("{:?}", resolved.diagnostics);
    resolved.model.expect(&problems)
}

#[test]
fn production_viewer_cannot_read_data_in_any_production_account() {
    let model = reference();
    let scps = landfall_rules::scp::compile_scps(&model).unwrap();
    let policies = OrgPolicies::of(&model, &scps).unwrap();
    let report = prove_all(&model, &policies)
        .into_iter()
        .find(|r| r.intent == "no-data-reads-as-ProductionViewer")
        .expect("the set without data access is proven");
    let production: Vec<&str> = model
        .accounts
        .iter()
        .filter(|a| a.class == landfall_spec::types::AccountClass::Workload)
        .filter(|a| {
            a.environment
                .is_some_and(|e| model.environment(e).production)
        })
        .map(|a| a.name.as_str())
        .collect();
    let proven: Vec<&str> = report.accounts.iter().map(|a| a.account.as_str()).collect();
    assert_eq!(proven, production, "every production workload account");
    assert!(report.holds(), "{:?}", report.accounts);
    for account in &report.accounts {
        assert!(matches!(
            account.verdict,
            Verdict::Holds { requests_checked } if requests_checked == landfall_proofs::DATA_READ_ACTIONS.len()
        ));
    }
}

#[test]
fn without_its_deny_production_viewer_reads_objects() {
    // The managed policy (ViewOnlyAccess) is taken as allowing everything:
    // only the set's own deny keeps the promise, so removing it must fail.
    let model = reference_with("identity.yaml", |text| {
        text.replace("            - s3:GetObject*\n", "")
    });
    let scps = landfall_rules::scp::compile_scps(&model).unwrap();
    let policies = OrgPolicies::of(&model, &scps).unwrap();
    let report = landfall_proofs::prove_permission_sets(&model, &policies)
        .into_iter()
        .find(|r| r.intent == "no-data-reads-as-ProductionViewer")
        .unwrap();
    assert!(!report.holds());
    let Verdict::Fails { counterexample, .. } = &report.accounts[0].verdict else {
        panic!("{:?}", report.accounts[0].verdict);
    };
    assert_eq!(counterexample.action, "s3:GetObject");
    assert!(counterexample
        .principal
        .contains("/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ProductionViewer_"));
}
