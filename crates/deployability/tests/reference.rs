//! Every family over the reference platform, workloads included.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod common;

use std::time::Instant;

#[test]
fn reference_platform_findings_are_printed() {
    let platform = common::reference();
    let started = Instant::now();
    let findings = landfall_deployability::check(&platform.input());
    let elapsed = started.elapsed();
    for f in &findings {
        println!("{} {} {:?}: {}", f.code, f.stack, f.resource, f.message);
    }
    // Findings in one account's stack point into the spec: at the
    // resource's origin, else the service, store, domain or account.
    for f in &findings {
        let stack = platform.graph.stack(&f.stack).unwrap();
        if !stack.is_stack_set() {
            assert!(f.at.is_some(), "{f:#?}");
        }
    }
    println!(
        "{} stacks, {} findings in {elapsed:?}: {:?}",
        platform.graph.stacks.len(),
        findings.len(),
        common::counts(&findings)
    );
}

/// The goal of issue 21: AWS would accept every stack of the reference
/// platform. Enable once the platform fixes (deploy roles, SCP exemptions,
/// inputs, images, engines) are in.
#[test]
fn reference_platform_has_no_deploy_time_findings() {
    let platform = common::reference();
    let findings = landfall_deployability::check(&platform.input());
    let certain: Vec<_> = findings.iter().filter(|f| f.is_certain()).collect();
    assert!(certain.is_empty(), "{:?}", common::counts(&findings));
    // What AWS's documentation leaves in doubt (issue: CloudFront VPC
    // origins on load balancers in subnets shared through RAM) is reported
    // as a warning: exactly the public services' distributions.
    let doubtful: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.code, f.stack.as_str()))
        .collect();
    assert_eq!(
        doubtful,
        [
            (
                "deploy::vpc-origin-account",
                "meridian-workloads-market-data-prod"
            ),
            (
                "deploy::vpc-origin-account",
                "meridian-workloads-market-data-prod-eu-west-1"
            ),
            ("deploy::vpc-origin-account", "meridian-workloads-web-prod"),
            (
                "deploy::vpc-origin-account",
                "meridian-workloads-web-prod-eu-west-1"
            ),
        ]
    );
}
