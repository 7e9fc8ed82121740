//! Identity Center as code and vulnerability management in the resource
//! graph: every standing assignment of the spec is one resource, in a stack
//! of its account's own, in the management account; stacks stay within
//! CloudFormation's limits however many accounts there are, and adding an
//! account moves no assignment. Inspector is administered by the security
//! tooling account and the registry scans with Inspector.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "test")]

mod common;

use std::collections::BTreeMap;

use landfall_graph::{Graph, OrganizationAction, ParameterValue, Stack, Target};
use landfall_synth::layers::identity::{group_parameter, standing_assignments, INSTANCE_PARAMETER};

fn of_kind<'g>(graph: &'g Graph, kind: &str) -> Vec<(&'g Stack, &'g landfall_graph::Resource)> {
    graph
        .stacks
        .iter()
        .flat_map(|s| s.resources.iter().map(move |r| (s, r)))
        .filter(|(_, r)| r.kind == kind)
        .collect()
}

fn parameter<'s>(stack: &'s Stack, name: &str) -> &'s ParameterValue {
    &stack
        .parameters
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no parameter `{name}` in `{}`", stack.name))
        .value
}

// Permission sets and assignments go to the management account: a delegated
// administrator of Identity Center cannot manage those provisioned there
// (https://docs.aws.amazon.com/singlesignon/latest/userguide/delegated-admin.html).
#[test]
fn every_standing_assignment_is_one_resource_in_its_accounts_stack() {
    let s = common::synthesize_files(common::reference_files(), None);
    let expected = standing_assignments(&s.model);
    let assignments = of_kind(&s.graph, "AWS::SSO::Assignment");
    assert_eq!(assignments.len(), expected.len());
    assert!(expected.len() > 100, "{} assignments", expected.len());
    let management = s
        .model
        .core_account(landfall_spec::types::AccountClass::Management)
        .unwrap();
    let home = &s.model.region(s.model.organization.home_region).name;
    for (stack, resource) in &assignments {
        assert_eq!(
            stack.target,
            Target::Account {
                account: management.name.clone(),
                region: home.clone()
            }
        );
        let target = resource.properties["TargetId"]["Ref"].as_str().unwrap();
        let ParameterValue::AccountId(account) = parameter(stack, target) else {
            panic!("{target} is not an account id");
        };
        assert_eq!(
            stack.name,
            format!(
                "{}-identity-{account}-assignments",
                s.model.organization.slug
            )
        );
        assert_eq!(resource.properties["PrincipalType"], "GROUP");
        assert_eq!(resource.properties["TargetType"], "AWS_ACCOUNT");
        // The instance and the group come from outside: read from SSM and
        // declared, so the plan checks they exist before the deploy.
        let group = resource.properties["PrincipalId"]["Ref"].as_str().unwrap();
        let ParameterValue::SsmParameter(group_name) = parameter(stack, group) else {
            panic!("{group} is not read from SSM");
        };
        assert!(group_name.starts_with(&group_parameter("")));
        assert_eq!(
            parameter(stack, "IdentityCenterInstanceArn"),
            &ParameterValue::SsmParameter(INSTANCE_PARAMETER.to_owned())
        );
        let inputs: Vec<&str> = stack.inputs.iter().map(|i| i.name.as_str()).collect();
        assert!(inputs.contains(&INSTANCE_PARAMETER) && inputs.contains(&group_name.as_str()));
        // The permission set is another stack's: imported, and deployed first.
        assert!(resource.properties["PermissionSetArn"]
            .get("Fn::ImportValue")
            .is_some());
        assert!(stack.depends_on.contains(&format!(
            "{}-identity-permission-sets",
            s.model.organization.slug
        )));
    }
    // The production viewers get no standing assignment outside production.
    let viewer_accounts: Vec<&str> = assignments
        .iter()
        .filter(|(_, r)| r.logical_id.contains("ProductionViewer"))
        .map(|(s, _)| s.name.as_str())
        .collect();
    assert!(!viewer_accounts.is_empty());
    assert!(viewer_accounts
        .iter()
        .all(|name| name.contains("-prod-") || name.ends_with("-prod-assignments")));
}

// SessionDuration is an ISO-8601 duration, ManagedPolicies are ARNs (job
// function policies under `job-function/`), InlinePolicy a JSON document
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sso-permissionset.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html).
#[test]
fn permission_sets_carry_their_policies_and_session_length() {
    let s = common::synthesize_files(common::reference_files(), None);
    let sets = of_kind(&s.graph, "AWS::SSO::PermissionSet");
    assert_eq!(sets.len(), s.model.identity.permission_sets.len());
    let (stack, viewer) = sets
        .iter()
        .find(|(_, r)| r.properties["Name"] == "ProductionViewer")
        .unwrap();
    assert!(stack.name.ends_with("-identity-permission-sets"));
    assert_eq!(viewer.properties["SessionDuration"], "PT8H");
    assert_eq!(
        viewer.properties["ManagedPolicies"][0]["Fn::Sub"],
        "arn:${AWS::Partition}:iam::aws:policy/job-function/ViewOnlyAccess"
    );
    let inline = &viewer.properties["InlinePolicy"];
    assert_eq!(inline["Statement"][0]["Effect"], "Deny");
    assert!(inline["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "s3:GetObject*"));
    let (_, admin) = sets
        .iter()
        .find(|(_, r)| r.properties["Name"] == "AdministratorAccess")
        .unwrap();
    assert_eq!(admin.properties["SessionDuration"], "PT1H");
    assert_eq!(
        admin.properties["ManagedPolicies"][0]["Fn::Sub"],
        "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"
    );
    assert!(admin.properties.get("InlinePolicy").is_none());
}

/// A synthetic organization whose auditors get `sets` permission sets in
/// every workload account: more assignments than one stack could hold.
fn many_assignments(domains: usize, sets: usize) -> Vec<(String, String)> {
    let mut files = landfall_testkit::synthetic_spec(landfall_testkit::Size {
        domains,
        services_per_domain: 1,
    });
    let rest = files
        .iter_mut()
        .find(|(name, _)| name == "rest.yaml")
        .unwrap();
    let mut extra_sets = String::new();
    let mut access = String::new();
    for i in 0..sets {
        extra_sets.push_str(&format!(
            "    - {{ name: Audit{i}, managed_policies: [SecurityAudit] }}\n"
        ));
        access.push_str(&format!(
            "        - {{ permission_set: Audit{i}, accounts: {{ classes: [workload] }} }}\n"
        ));
    }
    rest.1 = rest
        .1
        .replacen(
            "  groups:\n",
            &format!("  groups:\n    - name: auditors\n      access:\n{access}"),
            1,
        )
        .replacen(
            "  permission_sets:\n",
            &format!("  permission_sets:\n{extra_sets}"),
            1,
        );
    files
}

// At most 500 resources per stack
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
#[test]
fn five_hundred_assignments_stay_within_the_stack_limit_and_a_new_account_moves_nothing() {
    let before = common::synthesize_files(many_assignments(9, 19), None);
    let assignments = of_kind(&before.graph, "AWS::SSO::Assignment");
    assert!(
        assignments.len() > 500,
        "{} assignments: more than one stack holds",
        assignments.len()
    );
    let limit = before.model.limits.stack_max_resources as usize;
    let mut per_stack: BTreeMap<&str, usize> = BTreeMap::new();
    for (stack, _) in &assignments {
        *per_stack.entry(stack.name.as_str()).or_default() += 1;
    }
    for stack in before
        .graph
        .stacks
        .iter()
        .filter(|s| s.name.contains("-identity-"))
    {
        assert!(stack.resources.len() <= limit, "{}", stack.name);
        assert!(stack.parameters.len() <= before.model.limits.stack_max_parameters as usize);
    }
    // One more domain: its accounts get stacks of their own, and every
    // existing identity stack is unchanged, byte for byte.
    let after = common::synthesize_files(many_assignments(10, 19), None);
    let emitted_before = common::emit(&before);
    let emitted_after = common::emit(&after);
    let identity_files = |e: &landfall_synth::cloudformation::Emitted| -> BTreeMap<String, String> {
        e.files
            .iter()
            .filter(|f| f.path.contains("-identity-"))
            .map(|f| (f.path.clone(), f.contents.clone()))
            .collect()
    };
    let old = identity_files(&emitted_before);
    let new = identity_files(&emitted_after);
    assert!(new.len() > old.len());
    for (path, contents) in &old {
        assert_eq!(new.get(path), Some(contents), "{path} changed");
    }
    let added: Vec<&String> = new.keys().filter(|p| !old.contains_key(*p)).collect();
    assert!(added.iter().all(|p| p.contains("-d9-")), "{added:?}");
}

// Amazon Inspector has no resource type for its administrator or its
// organization configuration: they are API calls, per region
// (https://docs.aws.amazon.com/inspector/v2/APIReference/API_EnableDelegatedAdminAccount.html,
// https://docs.aws.amazon.com/inspector/v2/APIReference/API_UpdateOrganizationConfiguration.html);
// ECR enhanced scanning is a registry setting
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced.html).
#[test]
fn inspector_is_administered_by_security_tooling_and_the_registry_scans_with_it() {
    let s = common::synthesize_files(common::reference_files(), None);
    let security = s
        .model
        .core_account(landfall_spec::types::AccountClass::SecurityTooling)
        .unwrap();
    let actions = &s.graph.organization_actions;
    assert!(actions.contains(&OrganizationAction::EnableTrustedAccess {
        service_principal: "inspector2.amazonaws.com".into()
    }));
    let mut regions: Vec<&str> = Vec::new();
    for region in s
        .model
        .guardrails
        .allowed_regions
        .iter()
        .map(|r| s.model.region(*r).name.as_str())
    {
        regions.push(region);
        assert!(
            actions.contains(&OrganizationAction::EnableInspectorAdminInRegion {
                account: security.name.clone(),
                region: region.into()
            })
        );
        assert!(actions.contains(&OrganizationAction::AutoEnableInspector {
            account: security.name.clone(),
            region: region.into(),
            resource_types: vec!["EC2".into(), "ECR".into(), "LAMBDA".into()]
        }));
    }
    assert!(!regions.is_empty());
    // GuardDuty too, with auto-enable, in the same regions.
    for region in &regions {
        assert!(actions.iter().any(|a| matches!(a,
            OrganizationAction::AutoEnableGuardDuty { account, region: r, .. }
                if *account == security.name && r == region)));
    }
    let scanning = of_kind(&s.graph, "AWS::ECR::RegistryScanningConfiguration");
    assert_eq!(scanning.len(), 1);
    let (stack, resource) = scanning[0];
    let registry = of_kind(&s.graph, "AWS::ECR::Repository");
    assert!(registry.iter().all(|(s, _)| s.target == stack.target));
    assert_eq!(resource.properties["ScanType"], "ENHANCED");
    assert_eq!(
        resource.properties["Rules"][0]["ScanFrequency"],
        "CONTINUOUS_SCAN"
    );
}
