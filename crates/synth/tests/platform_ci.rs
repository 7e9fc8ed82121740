//! The platform repository's roles in the management account: where they
//! are, who they may enter member accounts as, and that the deploy role
//! covers what CloudFormation does there with its credentials.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod common;

use landfall_graph::{Graph, Resource, Target};
use landfall_synth::layers::platform_ci::{DEPLOY_ACTIONS, PLAN_READS};
use serde_json::Value;

fn reference() -> common::Synthesized {
    common::synthesize_files(common::reference_files(), None)
}

/// A role of the graph by name, and the stack's target.
fn role<'g>(graph: &'g Graph, name: &str) -> (&'g Resource, &'g Target) {
    graph
        .stacks
        .iter()
        .flat_map(|s| s.resources.iter().map(move |r| (r, &s.target)))
        .find(|(r, _)| {
            r.kind == "AWS::IAM::Role"
                && r.properties.get("RoleName").and_then(Value::as_str) == Some(name)
        })
        .unwrap_or_else(|| panic!("no role `{name}`"))
}

fn statement<'r>(role: &'r Resource, sid: &str) -> &'r Value {
    role.properties["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap())
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no statement `{sid}`"))
}

#[test]
fn both_roles_are_in_the_management_account_under_the_platform_path() {
    let s = reference();
    let management = s
        .model
        .core_account(landfall_spec::types::AccountClass::Management)
        .unwrap();
    for name in [
        landfall_graph::PLATFORM_PLAN_ROLE,
        landfall_graph::PLATFORM_DEPLOY_ROLE,
    ] {
        let (role, target) = role(&s.graph, name);
        let Target::Account { account, .. } = target else {
            panic!("{name} is in a StackSet");
        };
        assert_eq!(account, &management.name, "{name}");
        // The path the SCPs exempt and the member accounts' roles trust
        // from the management account.
        assert_eq!(role.properties["Path"], "/landfall/", "{name}");
        assert_eq!(
            role.properties["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Federated"],
            serde_json::json!({ "Ref": "GitHubOidcProvider" }),
            "{name}"
        );
    }
    // The reference has a shared-services account: the management account
    // gets its own GitHub provider, in the roles' stack.
    let provider = s
        .graph
        .stacks
        .iter()
        .filter(|st| matches!(&st.target, Target::Account { account, .. } if account == &management.name))
        .flat_map(|st| &st.resources)
        .filter(|r| r.kind == "AWS::IAM::OIDCProvider")
        .count();
    assert_eq!(provider, 1);
}

#[test]
fn the_plan_role_enters_members_only_as_the_audit_role() {
    let s = reference();
    let (plan, _) = role(&s.graph, landfall_graph::PLATFORM_PLAN_ROLE);
    let enter = statement(plan, "EnterMembersReadOnly");
    assert_eq!(enter["Action"], "sts:AssumeRole");
    let resource = enter["Resource"].to_string();
    assert!(
        resource.ends_with(":role/landfall/landfall-audit\"}"),
        "{resource}"
    );
    let text = plan.properties["Policies"].to_string();
    assert!(!text.contains("landfall-deploy"));
    assert!(!text.contains(":*\""), "a wildcard service grant: {text}");
    // No action that writes: every read is a Describe, List, Get or
    // BatchGet.
    for (action, _) in PLAN_READS {
        let verb = action.split(':').nth(1).unwrap();
        assert!(
            ["Describe", "List", "Get", "BatchGet"]
                .iter()
                .any(|v| verb.starts_with(v)),
            "{action}"
        );
    }
}

#[test]
fn the_audit_role_reads_what_the_plan_reads_in_every_member_account() {
    let s = reference();
    let (audit, target) = role(&s.graph, "landfall-audit");
    assert!(matches!(target, Target::StackSet(_)));
    let reads = &statement(audit, "PlanReads")["Action"];
    let granted: Vec<&str> = reads
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let wanted: Vec<&str> = PLAN_READS.iter().map(|(a, _)| *a).collect();
    assert_eq!(granted, wanted);
}

#[test]
fn the_deploy_role_enters_members_as_their_deploy_role() {
    let s = reference();
    let (deploy, _) = role(&s.graph, landfall_graph::PLATFORM_DEPLOY_ROLE);
    let enter = statement(deploy, "EnterMembersToDeploy");
    let resources = enter["Resource"].to_string();
    assert!(
        resources.contains(":role/landfall/landfall-deploy\""),
        "{resources}"
    );
    assert!(
        resources.contains(":role/OrganizationAccountAccessRole\""),
        "{resources}"
    );
    assert!(enter["Condition"]["StringEquals"]
        .get("aws:ResourceOrgID")
        .is_some());
    // Long enough for a deploy of the whole organization.
    assert_eq!(deploy.properties["MaxSessionDuration"], 21600);
}

/// The IAM service prefix of a CloudFormation resource type
/// (`AWS::BCMDataExports::Export` → `bcm-data-exports`).
fn service_prefix(kind: &str) -> String {
    let service = kind.split("::").nth(1).unwrap_or(kind);
    match service {
        "BCMDataExports" => "bcm-data-exports".to_owned(),
        other => other.to_ascii_lowercase(),
    }
}

/// Stacks in the management account run with the deployer's credentials
/// (`landfall_synth::deployers`): the platform deploy role must reach every
/// service their resource types belong to.
#[test]
fn the_deploy_role_reaches_every_service_of_the_management_accounts_stacks() {
    let s = reference();
    let management = s
        .model
        .core_account(landfall_spec::types::AccountClass::Management)
        .unwrap();
    // Whole services only: a type's handlers call more than its own
    // service's create and delete.
    let granted: Vec<&str> = DEPLOY_ACTIONS
        .iter()
        .filter_map(|(action, _)| action.strip_suffix(":*"))
        .collect();
    let mut kinds: Vec<&str> = s
        .graph
        .stacks
        .iter()
        .filter(|st| matches!(&st.target, Target::Account { account, .. } if account == &management.name))
        .flat_map(|st| st.resources.iter().map(|r| r.kind.as_str()))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert!(kinds.len() > 3, "{kinds:?}");
    let missing: Vec<&str> = kinds
        .iter()
        .copied()
        .filter(|k| !granted.contains(&service_prefix(k).as_str()))
        .collect();
    assert!(missing.is_empty(), "not in DEPLOY_ACTIONS: {missing:?}");
}
