//! Identity Center's stacks in Terraform form: the permission set with its
//! managed policies and inline policy as resources of their own
//! (`aws_ssoadmin_permission_set`, `aws_ssoadmin_managed_policy_attachment`,
//! `aws_ssoadmin_permission_set_inline_policy`), and the assignments
//! (`aws_ssoadmin_account_assignment`), within the provider's schema.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#[path = "../../workloads/tests/common/mod.rs"]
mod common;

use serde_json::Value;

#[test]
fn identity_stacks_become_ssoadmin_resources_within_the_schema() {
    let p = common::reference();
    let stacks: Vec<_> = p
        .base
        .stacks
        .iter()
        .filter(|s| s.name.contains("-identity-"))
        .cloned()
        .collect();
    assert!(stacks.len() > 10, "{} identity stacks", stacks.len());
    let graph = p.graph(stacks.clone());
    let out = landfall_terraform::emit(&graph, &Default::default()).unwrap_or_else(|e| {
        panic!(
            "{}",
            e.iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    assert_eq!(out.modules, stacks.len());
    let schema: Value = serde_json::from_str(landfall_terraform::schema::AWS_SCHEMA).unwrap();
    let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
    for f in out
        .files
        .iter()
        .filter(|f| f.path.ends_with("main.tf.json"))
    {
        let module: Value = serde_json::from_str(&f.contents).unwrap();
        let errors = landfall_terraform::schema::check_with(&schema, &module);
        assert!(errors.is_empty(), "{}: {errors:?}", f.path);
        for (kind, resources) in module["resource"].as_object().unwrap() {
            *kinds.entry(kind.clone()).or_default() += resources.as_object().unwrap().len();
        }
        if f.path.contains("permission-sets") {
            let inline = &module["resource"]["aws_ssoadmin_permission_set_inline_policy"];
            let viewer = inline
                .as_object()
                .unwrap()
                .values()
                .next()
                .expect("ProductionViewer's inline policy");
            assert!(viewer["inline_policy"]
                .as_str()
                .unwrap()
                .contains("s3:GetObject*"));
        }
    }
    let sets = &p.model.identity.permission_sets;
    assert_eq!(kinds["aws_ssoadmin_permission_set"], sets.len());
    assert_eq!(
        kinds["aws_ssoadmin_managed_policy_attachment"],
        sets.iter().map(|s| s.managed_policies.len()).sum::<usize>()
    );
    assert_eq!(
        kinds["aws_ssoadmin_account_assignment"],
        landfall_synth::layers::identity::standing_assignments(&p.model).len()
    );
}
