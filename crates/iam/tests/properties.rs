//! Property tests: invariants of the evaluation logic and of the matcher.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use landfall_iam::authorize::{DecisionKind, PolicySet};
use landfall_iam::compile::CompiledPolicy;
use landfall_iam::glob::Glob;
use proptest::prelude::*;

const ACTIONS: [&str; 6] = [
    "s3:GetObject",
    "s3:PutObject",
    "ec2:RunInstances",
    "iam:CreateUser",
    "s3:*",
    "*",
];
const RESOURCES: [&str; 4] = [
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/k",
    "arn:aws:ec2:*:*:instance/*",
];
const REGIONS: [&str; 3] = ["eu-west-1", "us-east-1", "ap-south-1"];

fn statement(effect: bool) -> impl Strategy<Value = String> {
    (
        prop::sample::subsequence(ACTIONS.to_vec(), 1..3),
        any::<bool>(),
        prop::sample::select(RESOURCES.to_vec()),
        prop::option::of((0..3usize, prop::sample::subsequence(REGIONS.to_vec(), 1..3))),
    )
        .prop_map(move |(actions, not_action, resource, condition)| {
            let actions = actions.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(",");
            let action_key = if not_action { "NotAction" } else { "Action" };
            let condition = condition
                .map(|(op, regions)| {
                    let op = ["StringEquals", "StringNotEquals", "StringLikeIfExists"][op];
                    let values = regions.iter().map(|r| format!("\"{r}\"")).collect::<Vec<_>>().join(",");
                    format!(r#", "Condition": {{"{op}": {{"aws:RequestedRegion": [{values}]}}}}"#)
                })
                .unwrap_or_default();
            let effect = if effect { "Allow" } else { "Deny" };
            format!(r#"{{"Effect": "{effect}", "{action_key}": [{actions}], "Resource": "{resource}"{condition}}}"#)
        })
}

fn policy_of(statements: Vec<String>) -> CompiledPolicy {
    policy(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        statements.join(",")
    ))
}

fn any_policy() -> impl Strategy<Value = CompiledPolicy> {
    prop::collection::vec(
        prop_oneof![3 => statement(true), 1 => statement(false)],
        1..4,
    )
    .prop_map(policy_of)
}

fn policy_set() -> impl Strategy<Value = PolicySet> {
    (
        prop::collection::vec(any_policy(), 0..3),
        prop::collection::vec(any_policy(), 0..2),
        prop::option::of(any_policy()),
        prop::collection::vec(prop::collection::vec(any_policy(), 1..3), 0..3),
    )
        .prop_map(|(identity, boundaries, session, scps)| PolicySet {
            identity,
            boundaries,
            session,
            scps,
            ..PolicySet::default()
        })
}

fn request() -> impl Strategy<Value = Req> {
    (
        prop::sample::select(vec![
            "s3:GetObject",
            "s3:PutObject",
            "ec2:RunInstances",
            "iam:CreateUser",
            "sqs:SendMessage",
        ]),
        prop::sample::select(vec![
            "arn:aws:s3:::b/k",
            "arn:aws:ec2:eu-west-1:111122223333:instance/i-1",
            "*",
        ]),
        prop::option::of(prop::sample::select(REGIONS.to_vec())),
    )
        .prop_map(|(action, resource, region)| {
            let r = req(SESSION, action, resource);
            match region {
                Some(region) => r.ctx("aws:RequestedRegion", region),
                None => r,
            }
        })
}

#[derive(Debug, Clone, Copy)]
enum Where {
    Identity,
    Boundary,
    Session,
    Scp,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Adding an explicit deny anywhere never turns a decision into allowed.
    #[test]
    fn adding_a_deny_never_allows(
        set in policy_set(),
        r in request(),
        deny in statement(false),
        place in prop::sample::select(vec![Where::Identity, Where::Boundary, Where::Session, Where::Scp]),
    ) {
        let before = decide(&set, Req(r.0.clone()));
        let mut more = set.clone();
        let deny = policy_of(vec![deny]);
        match place {
            Where::Identity => more.identity.push(deny),
            Where::Boundary if !more.boundaries.is_empty() => more.boundaries.push(deny),
            Where::Session => more.identity.push(deny),
            Where::Scp if !more.scps.is_empty() => more.scps[0].push(deny),
            _ => more.identity.push(deny),
        }
        let after = decide(&more, Req(r.0.clone()));
        if after.decision == DecisionKind::Allowed {
            prop_assert_eq!(before.decision, DecisionKind::Allowed);
        }
        if before.decision == DecisionKind::ExplicitDeny {
            prop_assert_eq!(after.decision, DecisionKind::ExplicitDeny);
        }
    }

    /// An SCP level whose policies only deny makes every request implicitly
    /// or explicitly denied.
    #[test]
    fn an_scp_level_without_an_allow_denies(
        set in policy_set(),
        r in request(),
        denies in prop::collection::vec(statement(false), 0..3),
        level in 0usize..3,
    ) {
        let mut set = set;
        let level = level.min(set.scps.len());
        let only_denies = if denies.is_empty() { Vec::new() } else { vec![policy_of(denies)] };
        set.scps.insert(level, only_denies);
        let d = decide(&set, r);
        prop_assert_ne!(d.decision, DecisionKind::Allowed);
        prop_assert!(d.blocked_by.contains(&landfall_iam::authorize::Layer::Scp) || d.decision == DecisionKind::ExplicitDeny);
    }

    /// The two-pointer matcher agrees with a plain recursive definition.
    #[test]
    fn glob_matches_reference(pattern in "[ab*?é]{0,8}", text in "[abé]{0,10}") {
        prop_assert_eq!(Glob::new(&pattern).matches(&text), reference(&pattern.chars().collect::<Vec<_>>(), &text.chars().collect::<Vec<_>>()));
    }

    /// Parsing arbitrary text never panics.
    #[test]
    fn parsing_never_panics(text in "\\PC{0,200}") {
        let mut sources = landfall_diagnostics::SourceSet::default();
        let _ = landfall_iam::policy::parse_policy_bytes(&mut sources, "p.json", text.as_bytes(), &landfall_iam::json::JsonLimits::default());
    }
}

/// Wildcard matching by its definition, on characters.
fn reference(p: &[char], t: &[char]) -> bool {
    match (p.first(), t.first()) {
        (None, None) => true,
        (None, Some(_)) => false,
        (Some('*'), _) => reference(&p[1..], t) || (!t.is_empty() && reference(p, &t[1..])),
        (Some('?'), Some(_)) => reference(&p[1..], &t[1..]),
        (Some(c), Some(d)) => c == d && reference(&p[1..], &t[1..]),
        (Some(_), None) => false,
    }
}
