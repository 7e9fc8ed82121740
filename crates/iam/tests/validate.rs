//! Catalog validation and size limits.
#![allow(clippy::unwrap_used)]

use landfall_diagnostics::SourceSet;
use landfall_iam::validate::{check_policy_bytes, validate_inline_aggregate, Limits, PolicyKind};

/// Message, code, help and (line, column) of one diagnostic.
type Found = (String, &'static str, Option<String>, (usize, usize));

fn check(kind: PolicyKind, text: &str) -> Vec<Found> {
    let mut sources = SourceSet::default();
    let (_, diagnostics) = check_policy_bytes(
        &mut sources,
        "p.json",
        text.as_bytes(),
        kind,
        &Limits::default(),
    );
    diagnostics
        .iter()
        .map(|d| {
            let loc = d
                .primary_span()
                .map(|s| sources.location(s))
                .map(|l| (l.line, l.column))
                .unwrap_or_default();
            (d.message.clone(), d.code, d.help.clone(), loc)
        })
        .collect()
}

fn codes(kind: PolicyKind, text: &str) -> Vec<&'static str> {
    check(kind, text).into_iter().map(|d| d.1).collect()
}

fn doc(statement: &str) -> String {
    format!("{{\"Version\": \"2012-10-17\", \"Statement\": [{statement}]}}")
}

#[test]
fn a_clean_policy_has_no_diagnostics() {
    let text = doc(
        r#"{"Effect": "Deny", "Action": ["ec2:RunInstances"], "Resource": "arn:aws:ec2:*:*:instance/*",
            "Condition": {"StringLike": {"ec2:InstanceType": ["t*"]}, "StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}"#,
    );
    assert_eq!(check(PolicyKind::Scp, &text), vec![]);
}

#[test]
fn unknown_service_and_action_suggest() {
    let diags = check(
        PolicyKind::Managed,
        &doc(
            r#"{"Effect": "Allow", "Action": ["s3:GetObjekt", "ec3:RunInstances"], "Resource": "*"}"#,
        ),
    );
    assert_eq!(diags[0].1, "iam::unknown-action");
    assert_eq!(diags[0].2.as_deref(), Some("did you mean `GetObject`?"));
    assert_eq!(diags[0].3, (1, 72));
    assert_eq!(diags[1].1, "iam::unknown-service");
    assert!(diags[1].2.as_deref().unwrap().contains("ec2"), "{diags:?}");
}

#[test]
fn wildcards_that_match_nothing() {
    assert_eq!(
        codes(
            PolicyKind::Managed,
            &doc(r#"{"Effect": "Allow", "Action": "s3:Frobnicate*", "Resource": "*"}"#)
        ),
        ["iam::action-matches-nothing"]
    );
    assert!(codes(
        PolicyKind::Managed,
        &doc(r#"{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}"#)
    )
    .is_empty());
    assert!(codes(
        PolicyKind::Managed,
        &doc(r#"{"Effect": "Allow", "Action": "*:Describe*", "Resource": "*"}"#)
    )
    .is_empty());
}

#[test]
fn condition_keys_must_fit_the_actions() {
    let d = codes(
        PolicyKind::Managed,
        &doc(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"ec2:InstanceType": "t3.micro"}}}"#,
        ),
    );
    assert_eq!(d, ["iam::condition-key-not-for-action"]);
    let d = codes(
        PolicyKind::Managed,
        &doc(
            r#"{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*", "Condition": {"StringEquals": {"ec2:InstanceTyp": "t3.micro"}}}"#,
        ),
    );
    assert_eq!(d, ["iam::unknown-condition-key"]);
    // Global keys are valid with every action.
    let d = codes(
        PolicyKind::Managed,
        &doc(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x", "aws:RequestedRegion": "eu-west-1"}}}"#,
        ),
    );
    assert!(d.is_empty(), "{d:?}");
    let d = codes(
        PolicyKind::Managed,
        &doc(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegoin": "x"}}}"#,
        ),
    );
    assert_eq!(d, ["iam::unknown-condition-key"]);
}

#[test]
fn operators_must_fit_the_key_type() {
    let diags = check(
        PolicyKind::Managed,
        &doc(
            r#"{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*", "Condition": {"NumericLessThan": {"ec2:InstanceType": "5"}, "StringEquals": {"aws:SourceIp": "10.0.0.1"}, "Bool": {"ec2:Encrypted": "yes"}}}"#,
        ),
    );
    let codes: Vec<_> = diags.iter().map(|d| d.1).collect();
    assert_eq!(
        codes,
        [
            "iam::operator-type-mismatch",
            "iam::operator-type-mismatch",
            "iam::invalid-condition-value"
        ]
    );
    assert_eq!(
        diags[0].0,
        "`NumericLessThan` compares numeric values but `ec2:InstanceType` is of type String"
    );
}

#[test]
fn set_operators_on_single_valued_keys_warn() {
    let d = codes(
        PolicyKind::Managed,
        &doc(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"ForAllValues:StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}"#,
        ),
    );
    assert_eq!(d, ["iam::set-operator-on-single-valued-key"]);
}

#[test]
fn kinds_need_their_elements() {
    let allow = doc(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}"#);
    assert_eq!(
        codes(PolicyKind::Resource, &allow),
        ["iam::missing-element"]
    );
    assert_eq!(
        codes(PolicyKind::Rcp, &allow),
        ["iam::missing-element", "iam::rcp-allow"]
    );
    let with_principal =
        doc(r#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}"#);
    assert_eq!(
        codes(PolicyKind::Scp, &with_principal),
        ["iam::unexpected-element"]
    );
    let trust = doc(
        r#"{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}"#,
    );
    assert!(codes(PolicyKind::Trust, &trust).is_empty());
    let bad_arn = doc(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "bucket/x"}"#);
    assert_eq!(
        codes(PolicyKind::Managed, &bad_arn),
        ["iam::invalid-resource"]
    );
}

#[test]
fn size_limits_per_kind() {
    let actions: Vec<String> = (0..300)
        .map(|_| "\"ec2:DescribeInstances\"".to_owned())
        .collect();
    let big = doc(&format!(
        r#"{{"Effect": "Allow", "Action": [{}], "Resource": "*"}}"#,
        actions.join(",\n   ")
    ));
    assert!(codes(PolicyKind::Managed, &big).contains(&"iam::policy-too-large"));
    assert!(!codes(PolicyKind::Scp, &big).contains(&"iam::policy-too-large"));
    let limits = Limits {
        scp_chars: 1000,
        ..Limits::default()
    };
    let mut sources = SourceSet::default();
    let (_, d) = check_policy_bytes(
        &mut sources,
        "p.json",
        big.as_bytes(),
        PolicyKind::Scp,
        &limits,
    );
    assert!(d.iter().any(|d| d.code == "iam::policy-too-large"));
    // Whitespace does not count.
    let spaced = doc(&format!(
        "{}{{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}}",
        " ".repeat(7000)
    ));
    assert!(!codes(PolicyKind::Managed, &spaced).contains(&"iam::policy-too-large"));
}

#[test]
fn inline_aggregate() {
    let mut sources = SourceSet::default();
    let text = doc(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}"#);
    let (p, _) = check_policy_bytes(
        &mut sources,
        "a.json",
        text.as_bytes(),
        PolicyKind::Inline,
        &Limits::default(),
    );
    let p = p.unwrap();
    let limits = Limits {
        inline_aggregate_chars: 150,
        ..Limits::default()
    };
    assert!(validate_inline_aggregate(&[&p], &limits).is_empty());
    assert_eq!(validate_inline_aggregate(&[&p, &p], &limits).len(), 1);
}

#[test]
fn missing_version_warns() {
    assert_eq!(
        codes(
            PolicyKind::Managed,
            r#"{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}"#
        ),
        ["iam::missing-version"]
    );
}

// AWS rejects a policy whose condition value its operator cannot read
// (IAM JSON policy elements: Condition operators — numeric, date, Boolean
// and IP address operators take values of their type):
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// Each malformed value is a located error; the well-formed neighbour of each
// is not.
#[test]
fn malformed_condition_values_are_located_errors() {
    let cases = [
        (
            "IpAddress",
            "aws:SourceIp",
            "203.0.113.0/33",
            "203.0.113.0/24",
            "an IP address or CIDR block",
        ),
        (
            "NotIpAddress",
            "aws:SourceIp",
            "2001:db8::/129",
            "2001:db8::/32",
            "an IP address or CIDR block",
        ),
        (
            "DateLessThan",
            "aws:CurrentTime",
            "2026-02-30T00:00:00Z",
            "2026-02-28T00:00:00Z",
            "an ISO 8601 date or epoch seconds",
        ),
        (
            "DateGreaterThan",
            "aws:CurrentTime",
            "next tuesday",
            "1767225600",
            "an ISO 8601 date or epoch seconds",
        ),
        (
            "NumericLessThan",
            "aws:MultiFactorAuthAge",
            "ten",
            "3600",
            "a number",
        ),
        (
            "Bool",
            "aws:SecureTransport",
            "yes",
            "false",
            "`true` or `false`",
        ),
    ];
    for (operator, key, bad, good, expected) in cases {
        let statement = |value: &str| {
            doc(&format!(
                r#"{{"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {{"{operator}": {{"{key}": "{value}"}}}}}}"#
            ))
        };
        let text = statement(bad);
        let diags = check(PolicyKind::Managed, &text);
        assert_eq!(diags.len(), 1, "{operator} {bad}: {diags:?}");
        let (message, code, _, (line, column)) = &diags[0];
        assert_eq!(*code, "iam::invalid-condition-value");
        assert_eq!(
            message,
            &format!("`{bad}` is not a valid value for `{operator}`")
        );
        // The label points at the value itself.
        let offset = text.find(&format!("\"{bad}\"")).unwrap();
        assert_eq!((*line, *column), (1, offset + 1), "{operator}");
        let mut sources = SourceSet::default();
        let (_, d) = check_policy_bytes(
            &mut sources,
            "p.json",
            text.as_bytes(),
            PolicyKind::Managed,
            &Limits::default(),
        );
        assert!(
            landfall_diagnostics::render_human(&d, &sources, Default::default()).contains(expected),
            "{operator}"
        );
        assert_eq!(
            check(PolicyKind::Managed, &statement(good)),
            vec![],
            "{operator} {good}"
        );
    }
}
