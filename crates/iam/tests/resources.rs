//! Requests whose resource is `*` and requests for a set of resources
//! (a wildcard ARN), against `Resource` and `NotResource` of every effect.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use landfall_iam::authorize::{DecisionKind::*, Layer, PolicySet};

fn statement(effect: &str, element: &str, resource: &str) -> String {
    format!(r#"{{"Effect": "{effect}", "Action": "*", "{element}": "{resource}"}}"#)
}

// IAM JSON policy elements: Resource — "Some AWS services do not allow you
// to specify actions for individual resources. In these cases, any actions
// that you list in the Action or NotAction element apply to all resources
// in that service. When this is the case, you use the wildcard character (*)
// in the Resource element."
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
// NotResource: a Deny with NotResource applies to every request whose
// resource is not listed, actions without resources included.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html

#[test]
fn actions_without_a_resource_match_only_resource_star() {
    let r = || req(ALICE, "ec2:DescribeInstances", "*");
    let scoped = identity_only(stmt(&statement(
        "Allow",
        "Resource",
        "arn:aws:ec2:*:*:instance/*",
    )));
    assert_decision(&decide(&scoped, r()), ImplicitDeny, &[Layer::Identity]);
    let star = identity_only(stmt(&statement("Allow", "Resource", "*")));
    assert_decision(&decide(&star, r()), Allowed, &[]);
    // A deny scoped to another service's resources does not reach it ...
    let mut deny_bucket = star.clone();
    deny_bucket
        .identity
        .push(stmt(&statement("Deny", "Resource", "arn:aws:s3:::b/*")));
    assert_decision(&decide(&deny_bucket, r()), Allowed, &[]);
    // ... a deny of everything but that bucket does.
    let mut deny_all_but_bucket = star;
    deny_all_but_bucket
        .identity
        .push(stmt(&statement("Deny", "NotResource", "arn:aws:s3:::b/*")));
    assert_decision(
        &decide(&deny_all_but_bucket, r()),
        ExplicitDeny,
        &[Layer::Identity],
    );
}

// A request for a set of resources — `arn:aws:s3:::logs-*/AWSLogs/*`, every
// log object under any logs bucket — asks whether the action may be allowed
// on one of them: an Allow applies when its pattern covers some of the set,
// a Deny only when it covers all of it. Matching is per ARN segment (IAM
// JSON policy elements: Resource, "Using wildcards in resource ARNs").
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html

const LOGS: &str = "arn:aws:s3:::logs-*/AWSLogs/*";

#[test]
fn a_wildcard_request_is_allowed_when_an_allow_covers_part_of_it() {
    let r = || req(ALICE, "s3:DeleteObject", LOGS);
    let prod = identity_only(stmt(&statement(
        "Allow",
        "Resource",
        "arn:aws:s3:::logs-prod/*",
    )));
    assert_decision(&decide(&prod, r()), Allowed, &[]);
    let data = identity_only(stmt(&statement(
        "Allow",
        "Resource",
        "arn:aws:s3:::data-*/*",
    )));
    assert_decision(&decide(&data, r()), ImplicitDeny, &[Layer::Identity]);
    // One log object of another bucket of the set is not allowed.
    assert_decision(
        &decide(
            &prod,
            req(ALICE, "s3:DeleteObject", "arn:aws:s3:::logs-dev/AWSLogs/x"),
        ),
        ImplicitDeny,
        &[Layer::Identity],
    );
}

#[test]
fn a_wildcard_request_is_denied_only_by_a_deny_covering_all_of_it() {
    let with_scp = |deny: String| PolicySet {
        identity: vec![allow_all()],
        scps: vec![vec![allow_all(), stmt(&deny)]],
        ..Default::default()
    };
    let r = || req(ALICE, "s3:DeleteObject", LOGS);
    // Denying one bucket leaves the others open: a guardrail that names
    // only `logs-prod` does not protect every log.
    assert_decision(
        &decide(
            &with_scp(statement("Deny", "Resource", "arn:aws:s3:::logs-prod/*")),
            r(),
        ),
        Allowed,
        &[],
    );
    assert_decision(
        &decide(
            &with_scp(statement("Deny", "Resource", "arn:aws:s3:::logs-*/*")),
            r(),
        ),
        ExplicitDeny,
        &[Layer::Scp],
    );
    // NotResource the other way round: "everything but logs-prod" leaves
    // logs-prod open; "everything but data buckets" covers all logs.
    assert_decision(
        &decide(
            &with_scp(statement("Deny", "NotResource", "arn:aws:s3:::logs-prod/*")),
            r(),
        ),
        Allowed,
        &[],
    );
    assert_decision(
        &decide(
            &with_scp(statement("Deny", "NotResource", "arn:aws:s3:::data-*/*")),
            r(),
        ),
        ExplicitDeny,
        &[Layer::Scp],
    );
    // An Allow with NotResource covers part of the set unless it excludes
    // all of it.
    let not_logs = identity_only(stmt(&statement(
        "Allow",
        "NotResource",
        "arn:aws:s3:::logs-*/*",
    )));
    assert_decision(&decide(&not_logs, r()), ImplicitDeny, &[Layer::Identity]);
    let not_prod = identity_only(stmt(&statement(
        "Allow",
        "NotResource",
        "arn:aws:s3:::logs-prod/*",
    )));
    assert_decision(&decide(&not_prod, r()), Allowed, &[]);
}
