//! The log search stacks have no Terraform form here: the translation
//! tables have no OpenSearch domain, service-linked role or CloudWatch Logs
//! resource policy (nor the provider schema subset they are checked
//! against), so they are listed as skipped, with the types that keep them
//! out, and deployed with CloudFormation like the other platform stacks
//! without a form.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#[path = "../../workloads/tests/common/mod.rs"]
mod common;

#[test]
fn the_log_search_stacks_are_skipped_with_the_types_that_have_no_form() {
    let p = common::reference();
    let stacks: Vec<_> = p
        .base
        .stacks
        .iter()
        .filter(|s| s.name.starts_with("meridian-log-search-"))
        .cloned()
        .collect();
    assert_eq!(stacks.len(), 5);
    let graph = p.graph(stacks);
    let out = landfall_terraform::emit(&graph, &Default::default())
        .unwrap_or_else(|e| panic!("{}", e.len()));
    assert!(out.files.iter().all(|f| !f.path.contains("log-search")));
    let reason = |stack: &str| {
        out.skipped
            .iter()
            .find(|(s, _)| s == stack)
            .map(|(_, why)| why.clone())
            .unwrap_or_else(|| panic!("{stack} not skipped: {:?}", out.skipped))
    };
    let domain = reason("meridian-log-search-prod-eu-central-1");
    assert!(
        domain.contains("`AWS::OpenSearchService::Domain` has no Terraform mapping")
            && domain.contains("`AWS::Logs::ResourcePolicy` has no Terraform mapping"),
        "{domain}"
    );
    let global = reason("meridian-log-search-global");
    assert!(
        global.contains("`AWS::IAM::ServiceLinkedRole` has no Terraform mapping"),
        "{global}"
    );
}
