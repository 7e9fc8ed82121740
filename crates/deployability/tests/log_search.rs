//! The log search domains (OpenSearch, observability account) as AWS
//! decides at deploy time: deployable on the reference platform, and each
//! requirement failing when what meets it is taken away.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod common;

use landfall_deployability::{constraints, permissions};
use landfall_rules::scp::{Scp, ScpSet};
use serde_json::json;

const DOMAIN_STACK: &str = "meridian-log-search-prod-eu-central-1";

#[test]
fn the_reference_log_search_stacks_have_no_findings() {
    let platform = common::reference();
    let findings = landfall_deployability::check(&platform.input());
    let mine: Vec<_> = findings
        .iter()
        .filter(|f| f.stack.contains("log-search"))
        .collect();
    assert!(mine.is_empty(), "{mine:#?}");
    assert!(!platform.stack_names("meridian-log-search-").is_empty());
}

/// Without the stack that creates `AWSServiceRoleForAmazonOpenSearchService`
/// before it, CreateDomain refuses the VPC domain
/// (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/slr-aos.html).
#[test]
fn a_domain_that_does_not_wait_for_the_service_linked_role_is_refused() {
    let mut platform = common::reference();
    let global = "meridian-log-search-global";
    platform
        .stack_mut(DOMAIN_STACK)
        .depends_on
        .retain(|d| d != global);
    let findings = constraints::check(&platform.input());
    let found: Vec<_> = findings
        .iter()
        .filter(|f| f.code == "deploy::opensearch-service-linked-role")
        .collect();
    assert_eq!(found.len(), 1, "{findings:#?}");
    assert_eq!(found[0].stack, DOMAIN_STACK);
    assert!(found[0].help.contains("slr-aos.html"), "{}", found[0].help);
}

/// The domain's account is a core account: no service allowlist applies
/// to it, so the SCPs let its deployer (the baseline's CloudFormation
/// role) call `es:*`. An SCP denying OpenSearch there is found, at the
/// domain, with the action the create handler needs.
#[test]
fn an_scp_denying_opensearch_in_the_observability_account_is_found() {
    let mut platform = common::reference();
    let observability = platform
        .model
        .accounts
        .iter()
        .find(|a| a.name == "observability")
        .unwrap()
        .ou;
    platform.scps = ScpSet {
        policies: vec![Scp {
            name: "fixture-1".into(),
            description: String::new(),
            content: json!({ "Version": "2012-10-17", "Statement": [
                { "Sid": "NoSearch", "Effect": "Deny", "Action": "es:*", "Resource": "*" }
            ] })
            .to_string(),
            targets: vec![observability],
            statements: Vec::new(),
        }],
    };
    let findings = permissions::check(&platform.input());
    // One finding for the four domains: the same refusal in each stack.
    let domain = findings
        .iter()
        .find(|f| {
            f.stack.starts_with("meridian-log-search-") && f.resource.as_deref() == Some("Domain")
        })
        .unwrap_or_else(|| panic!("{findings:#?}"));
    let m = &domain.message;
    assert!(m.contains("`es:CreateDomain` (create)"), "{m}");
    assert!(
        m.contains("denied by SCP `fixture-1` statement `NoSearch`"),
        "{m}"
    );
    assert!(m.contains("landfall-cloudformation"), "{m}");
    assert!(
        m.contains(DOMAIN_STACK) || domain.stack == DOMAIN_STACK,
        "{m}"
    );
}
