//! Helpers shared by the integration tests: build policies and requests
//! from JSON text through the public API only.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use landfall_diagnostics::SourceSet;
use landfall_iam::authorize::{evaluate, Decision, DecisionKind, Layer, PolicySet};
use landfall_iam::compile::CompiledPolicy;
use landfall_iam::json::JsonLimits;
use landfall_iam::policy::parse_policy_bytes;
use landfall_iam::request::{ContextValue, Request, RequestInput};

pub fn policy(text: &str) -> CompiledPolicy {
    let mut sources = SourceSet::default();
    let parsed = parse_policy_bytes(
        &mut sources,
        "test.json",
        text.as_bytes(),
        &JsonLimits::default(),
    )
    .unwrap_or_else(|e| panic!("policy does not parse: {e:?}\n{text}"));
    CompiledPolicy::new(parsed)
}

/// A one-statement policy.
pub fn stmt(statement: &str) -> CompiledPolicy {
    policy(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [{statement}]}}"#
    ))
}

pub fn allow_all() -> CompiledPolicy {
    stmt(r#"{"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}"#)
}

#[derive(Debug, Clone)]
pub struct Req(pub RequestInput);

pub fn req(principal: &str, action: &str, resource: &str) -> Req {
    Req(RequestInput {
        principal: principal.into(),
        action: action.into(),
        resource: resource.into(),
        ..Default::default()
    })
}

impl Req {
    pub fn ctx(mut self, key: &str, value: &str) -> Self {
        self.0
            .context
            .insert(key.into(), ContextValue::One(value.into()));
        self
    }
    pub fn ctx_many(mut self, key: &str, values: &[&str]) -> Self {
        self.0.context.insert(
            key.into(),
            ContextValue::Many(values.iter().map(|s| s.to_string()).collect()),
        );
        self
    }
    pub fn resource_account(mut self, account: &str) -> Self {
        self.0.resource_account = Some(account.into());
        self
    }
    pub fn management(mut self, account: &str) -> Self {
        self.0.management_account = Some(account.into());
        self
    }
    pub fn build(self) -> Request {
        Request::new(self.0)
    }
}

pub fn decide(set: &PolicySet, r: Req) -> Decision {
    evaluate(set, &r.build())
}

pub fn identity_only(p: CompiledPolicy) -> PolicySet {
    PolicySet {
        identity: vec![p],
        ..Default::default()
    }
}

pub fn assert_decision(d: &Decision, kind: DecisionKind, blocked: &[Layer]) {
    assert_eq!(d.decision, kind, "{d:#?}");
    assert_eq!(d.blocked_by, blocked, "{d:#?}");
}

pub const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
pub const ROLE: &str = "arn:aws:iam::111122223333:role/Dev";
pub const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Dev/alice";
pub const OTHER_ROLE: &str = "arn:aws:iam::444455556666:role/Partner";
