//! Property tests over every layer, every kind of caller and the resources
//! with their own rules (KMS keys, roles to assume, wildcard sets):
//! - adding a `Deny` statement never turns a decision into allowed;
//! - removing an `Allow` statement never does either;
//! - adding an SCP or RCP level that allows everything changes nothing.
//!
//! Policy sets are generated as statement texts so that statements can be
//! added and removed before compiling.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use landfall_iam::authorize::{DecisionKind, PolicySet};
use landfall_iam::compile::CompiledPolicy;
use proptest::prelude::*;

const ROOT: &str = "arn:aws:iam::111122223333:root";
const KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/k1";
const TARGET: &str = "arn:aws:iam::111122223333:role/Target";

const ACTIONS: [&str; 8] = [
    "s3:GetObject",
    "s3:*",
    "kms:Decrypt",
    "sts:AssumeRole",
    "iam:CreatePolicyVersion",
    "ec2:RunInstances",
    "s3:Get*",
    "*",
];
const RESOURCES: [&str; 6] = [
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/k",
    "arn:aws:kms:*:*:key/*",
    "arn:aws:iam::*:role/*",
    "arn:aws:s3:::logs-*/*",
];
const PRINCIPALS: [&str; 8] = [
    r#""Principal": "*""#,
    r#""Principal": {"AWS": "arn:aws:iam::111122223333:root"}"#,
    r#""Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}"#,
    r#""Principal": {"AWS": "arn:aws:iam::111122223333:role/Dev"}"#,
    r#""Principal": {"AWS": "arn:aws:sts::111122223333:assumed-role/Dev/alice"}"#,
    r#""Principal": {"AWS": "arn:aws:iam::444455556666:root"}"#,
    r#""Principal": {"Service": "ec2.amazonaws.com"}"#,
    r#""NotPrincipal": {"AWS": ["arn:aws:sts::111122223333:assumed-role/Dev/alice", "arn:aws:iam::111122223333:role/Dev", "arn:aws:iam::111122223333:root"]}"#,
];

/// One statement's text and whether it allows.
#[derive(Debug, Clone)]
struct Raw {
    allow: bool,
    text: String,
}

/// A policy set before compiling: each policy a list of statements.
#[derive(Debug, Clone, Default)]
struct RawSet {
    identity: Vec<Vec<Raw>>,
    resource: Option<Vec<Raw>>,
    boundaries: Vec<Vec<Raw>>,
    session: Option<Vec<Raw>>,
    scps: Vec<Vec<Vec<Raw>>>,
    rcps: Vec<Vec<Vec<Raw>>>,
}

/// A statement that applies to nothing: what a policy keeps when its last
/// statement is removed (a policy needs one, and dropping a boundary or a
/// session policy would widen access rather than narrow it).
fn inert() -> Raw {
    Raw {
        allow: false,
        text: r#"{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::inert-nothing-here/x"}"#.into(),
    }
}

fn compile(statements: &[Raw]) -> CompiledPolicy {
    let inert = inert();
    let mut list: Vec<&str> = statements.iter().map(|s| s.text.as_str()).collect();
    if list.is_empty() {
        list.push(inert.text.as_str());
    }
    policy(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        list.join(",")
    ))
}

impl RawSet {
    fn compile(&self) -> PolicySet {
        PolicySet {
            identity: self.identity.iter().map(|p| compile(p)).collect(),
            resource: self.resource.as_deref().map(compile),
            boundaries: self.boundaries.iter().map(|p| compile(p)).collect(),
            session: self.session.as_deref().map(compile),
            scps: self
                .scps
                .iter()
                .map(|l| l.iter().map(|p| compile(p)).collect())
                .collect(),
            rcps: self
                .rcps
                .iter()
                .map(|l| l.iter().map(|p| compile(p)).collect())
                .collect(),
        }
    }

    /// Every policy, mutable, with whether its statements need a principal.
    fn policies(&mut self) -> Vec<(&mut Vec<Raw>, bool)> {
        let mut out: Vec<(&mut Vec<Raw>, bool)> = Vec::new();
        out.extend(self.identity.iter_mut().map(|p| (p, false)));
        out.extend(self.resource.iter_mut().map(|p| (p, true)));
        out.extend(self.boundaries.iter_mut().map(|p| (p, false)));
        out.extend(self.session.iter_mut().map(|p| (p, false)));
        out.extend(self.scps.iter_mut().flatten().map(|p| (p, false)));
        out.extend(self.rcps.iter_mut().flatten().map(|p| (p, true)));
        out
    }
}

fn statement(allow: bool, with_principal: bool) -> impl Strategy<Value = Raw> {
    (
        prop::sample::subsequence(ACTIONS.to_vec(), 1..3),
        any::<bool>(),
        prop::sample::select(RESOURCES.to_vec()),
        any::<bool>(),
        prop::sample::select(PRINCIPALS.to_vec()),
        prop::option::of(prop::sample::select(vec![
            r#""StringEquals": {"aws:RequestedRegion": "eu-west-1"}"#,
            r#""StringNotEquals": {"aws:PrincipalAccount": "111122223333"}"#,
            r#""Null": {"aws:PrincipalArn": "true"}"#,
        ])),
    )
        .prop_map(
            move |(actions, not_action, resource, not_resource, principal, condition)| {
                let actions = actions
                    .iter()
                    .map(|a| format!("\"{a}\""))
                    .collect::<Vec<_>>()
                    .join(",");
                let action_key = if not_action { "NotAction" } else { "Action" };
                let resource_key = if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                };
                let principal = if with_principal {
                    format!(", {principal}")
                } else {
                    String::new()
                };
                let condition = condition
                    .map(|c| format!(r#", "Condition": {{{c}}}"#))
                    .unwrap_or_default();
                let effect = if allow { "Allow" } else { "Deny" };
                Raw {
                    allow,
                    text: format!(
                        r#"{{"Effect": "{effect}", "{action_key}": [{actions}], "{resource_key}": "{resource}"{principal}{condition}}}"#
                    ),
                }
            },
        )
}

fn raw_policy(with_principal: bool) -> impl Strategy<Value = Vec<Raw>> {
    prop::collection::vec(
        prop_oneof![
            3 => statement(true, with_principal),
            1 => statement(false, with_principal),
        ],
        1..4,
    )
}

/// An RCP level: AWS's own allow-all, and maybe denies.
fn rcp_level() -> impl Strategy<Value = Vec<Vec<Raw>>> {
    prop::collection::vec(statement(false, true), 0..2).prop_map(|denies| {
        let mut level = vec![vec![rcp_full_access()]];
        if !denies.is_empty() {
            level.push(denies);
        }
        level
    })
}

fn rcp_full_access() -> Raw {
    Raw {
        allow: true,
        text: r#"{"Sid": "RCPFullAWSAccess", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}"#.into(),
    }
}

fn scp_full_access() -> Raw {
    Raw {
        allow: true,
        text: r#"{"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}"#
            .into(),
    }
}

fn raw_set() -> impl Strategy<Value = RawSet> {
    (
        prop::collection::vec(raw_policy(false), 0..3),
        prop::option::of(raw_policy(true)),
        prop::collection::vec(raw_policy(false), 0..2),
        prop::option::of(raw_policy(false)),
        prop::collection::vec(prop::collection::vec(raw_policy(false), 1..3), 0..3),
        prop::collection::vec(rcp_level(), 0..2),
    )
        .prop_map(
            |(identity, resource, boundaries, session, scps, rcps)| RawSet {
                identity,
                resource,
                boundaries,
                session,
                scps,
                rcps,
            },
        )
}

fn request() -> impl Strategy<Value = Req> {
    (
        prop::sample::select(vec![
            ALICE,
            ROLE,
            SESSION,
            ROOT,
            OTHER_ROLE,
            "anonymous",
            "ec2.amazonaws.com",
        ]),
        prop::sample::select(vec![
            ("s3:GetObject", "arn:aws:s3:::b/k"),
            ("s3:PutObject", "arn:aws:s3:::b/*"),
            ("s3:DeleteObject", "arn:aws:s3:::logs-*/AWSLogs/*"),
            ("kms:Decrypt", KEY),
            ("sts:AssumeRole", TARGET),
            ("sts:GetCallerIdentity", "*"),
            (
                "iam:CreatePolicyVersion",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
            ),
            (
                "ec2:RunInstances",
                "arn:aws:ec2:eu-west-1:111122223333:instance/*",
            ),
            ("ec2:DescribeInstances", "*"),
        ]),
        prop::option::of(prop::sample::select(vec!["eu-west-1", "us-east-1"])),
    )
        .prop_map(|(principal, (action, resource), region)| {
            let r = req(principal, action, resource).resource_account("111122223333");
            match region {
                Some(region) => r.ctx("aws:RequestedRegion", region),
                None => r,
            }
        })
}

fn allowed(set: &RawSet, r: &Req) -> DecisionKind {
    decide(&set.compile(), Req(r.0.clone())).decision
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    /// Policy evaluation logic: "An explicit deny in any of these policies
    /// overrides the allow."
    /// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
    #[test]
    fn adding_a_deny_never_allows(
        set in raw_set(),
        r in request(),
        place in any::<prop::sample::Index>(),
        deny in statement(false, true),
        deny_without_principal in statement(false, false),
    ) {
        let before = allowed(&set, &r);
        let mut more = set.clone();
        let mut policies = more.policies();
        prop_assume!(!policies.is_empty());
        let at = place.index(policies.len());
        let (policy, needs_principal) = &mut policies[at];
        policy.push(if *needs_principal { deny } else { deny_without_principal });
        let after = allowed(&more, &r);
        if after == DecisionKind::Allowed {
            prop_assert_eq!(before, DecisionKind::Allowed);
        }
        if before == DecisionKind::ExplicitDeny {
            prop_assert_eq!(after, DecisionKind::ExplicitDeny);
        }
    }

    /// Removing an Allow statement never widens access: every grant comes
    /// from an Allow (same page: "By default, all requests are denied").
    #[test]
    fn removing_an_allow_never_allows(
        set in raw_set(),
        r in request(),
        pick in any::<prop::sample::Index>(),
    ) {
        let before = allowed(&set, &r);
        let mut fewer = set.clone();
        let mut allows: Vec<(usize, usize)> = Vec::new();
        for (p, (policy, _)) in fewer.policies().iter().enumerate() {
            allows.extend(policy.iter().enumerate().filter(|(_, s)| s.allow).map(|(i, _)| (p, i)));
        }
        prop_assume!(!allows.is_empty());
        let (p, i) = allows[pick.index(allows.len())];
        let mut policies = fewer.policies();
        policies[p].0.remove(i);
        let after = allowed(&fewer, &r);
        if after == DecisionKind::Allowed {
            prop_assert_eq!(before, DecisionKind::Allowed);
        }
    }

    /// A level whose only policy allows everything (AWS's `FullAWSAccess`
    /// SCP, `RCPFullAWSAccess` RCP) changes no decision, wherever it is
    /// inserted: AWS Organizations, SCP and RCP evaluation.
    /// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
    /// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_evaluation.html
    #[test]
    fn an_allow_all_organization_level_changes_nothing(
        set in raw_set(),
        r in request(),
        level in any::<prop::sample::Index>(),
        rcp in any::<bool>(),
    ) {
        let before = decide(&set.compile(), Req(r.0.clone()));
        let mut more = set.clone();
        if rcp {
            let at = level.index(more.rcps.len() + 1);
            more.rcps.insert(at, vec![vec![rcp_full_access()]]);
        } else {
            let at = level.index(more.scps.len() + 1);
            more.scps.insert(at, vec![vec![scp_full_access()]]);
        }
        let after = decide(&more.compile(), Req(r.0.clone()));
        prop_assert_eq!(before.decision, after.decision);
        prop_assert_eq!(before.blocked_by, after.blocked_by);
    }
}
