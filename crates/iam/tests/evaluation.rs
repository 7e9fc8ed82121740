//! Evaluation cases taken from the AWS documentation; each test names the
//! page its expectation comes from.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use landfall_iam::authorize::{DecisionKind::*, Layer, PolicySet};

// Policy evaluation logic — "How AWS enforcement code logic evaluates
// requests to allow or deny access"
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html

#[test]
fn requests_are_implicitly_denied_by_default() {
    let d = decide(
        &PolicySet::default(),
        req(ALICE, "s3:GetObject", "arn:aws:s3:::b/k"),
    );
    assert_decision(&d, ImplicitDeny, &[Layer::Identity]);
}

#[test]
fn an_explicit_deny_overrides_an_allow() {
    let set = PolicySet {
        identity: vec![
            allow_all(),
            stmt(
                r#"{"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}"#,
            ),
        ],
        ..Default::default()
    };
    let d = decide(&set, req(ALICE, "s3:DeleteObject", "arn:aws:s3:::b/k"));
    assert_decision(&d, ExplicitDeny, &[Layer::Identity]);
    let deciding: Vec<_> = d.deciding().collect();
    assert_eq!((deciding[0].policy, deciding[0].statement), (1, 0));
    let d = decide(&set, req(ALICE, "s3:GetObject", "arn:aws:s3:::b/k"));
    assert_decision(&d, Allowed, &[]);
}

// Service control policies — "SCP effects on permissions" and "SCP evaluation"
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
// "For a permission to be allowed for a specific account, there must be an
// explicit Allow statement at every level from the root through each OU in
// the direct path to the account."

#[test]
fn scps_must_allow_at_every_level() {
    let mut set = identity_only(allow_all());
    set.scps = vec![
        vec![allow_all()],
        vec![stmt(
            r#"{"Effect": "Allow", "Action": ["ec2:*", "s3:*"], "Resource": "*"}"#,
        )],
        vec![allow_all()],
    ];
    assert_decision(&decide(&set, req(ROLE, "s3:PutObject", "*")), Allowed, &[]);
    let d = decide(&set, req(ROLE, "iam:CreateUser", "*"));
    assert_decision(&d, ImplicitDeny, &[Layer::Scp]);
    assert_eq!(d.missing_levels, vec![(Layer::Scp, 1)]);
}

#[test]
fn an_scp_deny_at_any_level_wins() {
    let mut set = identity_only(allow_all());
    set.scps = vec![
        vec![allow_all()],
        vec![
            allow_all(),
            stmt(
                r#"{"Sid": "DenyLeave", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}"#,
            ),
        ],
    ];
    let d = decide(&set, req(ROLE, "organizations:LeaveOrganization", "*"));
    assert_decision(&d, ExplicitDeny, &[Layer::Scp]);
}

// "SCPs don't affect users or roles in the management account" and "SCPs
// don't affect service-linked roles" — Service control policies (SCPs)
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html

#[test]
fn scps_do_not_apply_to_the_management_account() {
    let mut set = identity_only(allow_all());
    set.scps = vec![vec![stmt(
        r#"{"Effect": "Deny", "Action": "*", "Resource": "*"}"#,
    )]];
    let d = decide(
        &set,
        req(ROLE, "s3:ListAllMyBuckets", "*").management("111122223333"),
    );
    assert_decision(&d, Allowed, &[]);
    let d = decide(
        &set,
        req(ROLE, "s3:ListAllMyBuckets", "*").management("999999999999"),
    );
    assert_decision(&d, ExplicitDeny, &[Layer::Scp]);
}

#[test]
fn scps_do_not_apply_to_service_linked_roles() {
    let mut set = identity_only(allow_all());
    set.scps = vec![vec![stmt(
        r#"{"Effect": "Deny", "Action": "*", "Resource": "*"}"#,
    )]];
    let slr = "arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig";
    assert_decision(
        &decide(&set, req(slr, "config:PutEvaluations", "*")),
        Allowed,
        &[],
    );
}

// Resource control policies (RCPs)
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
// "RCPs don't affect resources in the management account"; RCPs apply only
// to the services listed there.

#[test]
fn rcps_limit_access_to_member_account_resources() {
    let rcp_perimeter = stmt(
        r#"{"Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"},
                          "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}"#,
    );
    let mut set = PolicySet {
        resource: Some(stmt(
            r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:role/Partner"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
        )),
        identity: vec![allow_all()],
        ..Default::default()
    };
    set.rcps = vec![vec![allow_all(), rcp_perimeter]];
    let r = || req(OTHER_ROLE, "s3:GetObject", "arn:aws:s3:::b/k").resource_account("111122223333");
    assert_decision(&decide(&set, r()), ExplicitDeny, &[Layer::Rcp]);
    assert_decision(
        &decide(&set, r().ctx("aws:PrincipalOrgID", "o-abc")),
        Allowed,
        &[],
    );
    // Resources of the management account are not governed by RCPs.
    assert_decision(&decide(&set, r().management("111122223333")), Allowed, &[]);
    // An RCP level without an allow denies implicitly.
    set.rcps = vec![vec![allow_all()], vec![]];
    let d = decide(&set, r().ctx("aws:PrincipalOrgID", "o-abc"));
    assert_decision(&d, ImplicitDeny, &[Layer::Rcp]);
}

#[test]
fn rcps_do_not_apply_to_unsupported_services() {
    let mut set = identity_only(allow_all());
    set.rcps = vec![vec![stmt(
        r#"{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}"#,
    )]];
    assert_decision(
        &decide(&set, req(ROLE, "ec2:RunInstances", "*")),
        Allowed,
        &[],
    );
    assert_decision(
        &decide(&set, req(ROLE, "s3:GetObject", "*")),
        ExplicitDeny,
        &[Layer::Rcp],
    );
}

// Cross-account policy evaluation logic
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
// "the identity-based policy ... and the resource-based policy ... must both
// allow the request."

#[test]
fn cross_account_needs_both_sides() {
    let bucket_policy = stmt(
        r#"{"Sid": "PartnerRead", "Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
    );
    let r = || req(OTHER_ROLE, "s3:GetObject", "arn:aws:s3:::b/k").resource_account("111122223333");
    let only_resource = PolicySet {
        resource: Some(bucket_policy.clone()),
        ..Default::default()
    };
    assert_decision(
        &decide(&only_resource, r()),
        ImplicitDeny,
        &[Layer::Identity],
    );
    let only_identity = identity_only(allow_all());
    let d = decide(&only_identity, r());
    assert_decision(&d, ImplicitDeny, &[Layer::Resource]);
    assert!(d.cross_account);
    let both = PolicySet {
        identity: vec![allow_all()],
        resource: Some(bucket_policy),
        ..Default::default()
    };
    assert_decision(&decide(&both, r()), Allowed, &[]);
}

// Policy evaluation for requests within a single account — "Identity-based
// policies with resource-based policies": the union of both.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html

#[test]
fn within_one_account_either_side_may_allow() {
    let bucket_policy = stmt(
        r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
    );
    let set = PolicySet {
        resource: Some(bucket_policy),
        ..Default::default()
    };
    assert_decision(
        &decide(&set, req(ALICE, "s3:GetObject", "arn:aws:s3:::b/k")),
        Allowed,
        &[],
    );
    let d = decide(&set, req(ALICE, "s3:PutObject", "arn:aws:s3:::b/k"));
    assert_decision(&d, ImplicitDeny, &[Layer::Identity, Layer::Resource]);
}

// Permissions boundaries for IAM entities
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
// "An entity's permissions boundary allows it to perform only the actions
// that are allowed by both its identity-based policies and its permissions
// boundaries." Example: boundary allows s3, cloudwatch, ec2; the identity
// policy allows iam:CreateUser; the user cannot create users.

#[test]
fn boundaries_intersect_with_identity_policies() {
    let set = PolicySet {
        identity: vec![stmt(
            r#"{"Effect": "Allow", "Action": ["iam:CreateUser", "s3:ListBucket"], "Resource": "*"}"#,
        )],
        boundaries: vec![stmt(
            r#"{"Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"], "Resource": "*"}"#,
        )],
        ..Default::default()
    };
    let d = decide(&set, req(ALICE, "iam:CreateUser", "*"));
    assert_decision(&d, ImplicitDeny, &[Layer::Boundary]);
    assert_decision(
        &decide(&set, req(ALICE, "s3:ListBucket", "*")),
        Allowed,
        &[],
    );
    // A boundary does not grant: allowed by the boundary alone is still denied.
    let d = decide(&set, req(ALICE, "ec2:DescribeInstances", "*"));
    assert_decision(&d, ImplicitDeny, &[Layer::Identity]);
}

// Same page, "Evaluating effective permissions with boundaries": a
// resource-based policy that names the IAM user is not limited by the
// user's boundary; one that names the role (not the session) is.

#[test]
fn resource_policies_and_boundaries() {
    let boundary = stmt(r#"{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}"#);
    let for_user = PolicySet {
        resource: Some(stmt(&format!(
            r#"{{"Effect": "Allow", "Principal": {{"AWS": "{ALICE}"}}, "Action": "s3:GetObject", "Resource": "*"}}"#
        ))),
        boundaries: vec![boundary.clone()],
        ..Default::default()
    };
    assert_decision(
        &decide(&for_user, req(ALICE, "s3:GetObject", "arn:aws:s3:::b/k")),
        Allowed,
        &[],
    );
    let for_role = PolicySet {
        resource: Some(stmt(&format!(
            r#"{{"Effect": "Allow", "Principal": {{"AWS": "{ROLE}"}}, "Action": "s3:GetObject", "Resource": "*"}}"#
        ))),
        boundaries: vec![boundary],
        ..Default::default()
    };
    let d = decide(&for_role, req(SESSION, "s3:GetObject", "arn:aws:s3:::b/k"));
    assert_eq!(d.decision, ImplicitDeny);
}

// Session policies — Policies and permissions in AWS Identity and Access
// Management, "Session policies"
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
// "The resulting session's permissions are the intersection of the
// identity-based policies and the session policies"; a resource-based policy
// that names the session ARN is not limited by the session policy.

#[test]
fn session_policies_intersect() {
    let set = PolicySet {
        identity: vec![allow_all()],
        session: Some(stmt(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}"#,
        )),
        ..Default::default()
    };
    assert_decision(
        &decide(&set, req(SESSION, "s3:GetObject", "*")),
        Allowed,
        &[],
    );
    assert_decision(
        &decide(&set, req(SESSION, "s3:PutObject", "*")),
        ImplicitDeny,
        &[Layer::Session],
    );
    let direct = PolicySet {
        resource: Some(stmt(&format!(
            r#"{{"Effect": "Allow", "Principal": {{"AWS": "{SESSION}"}}, "Action": "s3:PutObject", "Resource": "*"}}"#
        ))),
        ..set
    };
    assert_decision(
        &decide(&direct, req(SESSION, "s3:PutObject", "*")),
        Allowed,
        &[],
    );
}

// IAM JSON policy elements: NotAction
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
// "Deny everything outside the approved Regions, except global services".

#[test]
fn region_allowlist_with_not_action() {
    let mut set = identity_only(allow_all());
    set.scps = vec![vec![
        allow_all(),
        stmt(
            r#"{"Sid": "DenyOutsideRegions", "Effect": "Deny",
                "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*", "cloudfront:*", "route53:*"],
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}}"#,
        ),
    ]];
    let ec2 = |region: &str| req(ROLE, "ec2:RunInstances", "*").ctx("aws:RequestedRegion", region);
    assert_decision(&decide(&set, ec2("eu-west-1")), Allowed, &[]);
    assert_decision(&decide(&set, ec2("us-east-1")), ExplicitDeny, &[Layer::Scp]);
    let iam = req(ROLE, "iam:CreateRole", "*").ctx("aws:RequestedRegion", "us-east-1");
    assert_decision(&decide(&set, iam), Allowed, &[]);
    // A missing key with a negated operator makes the condition true.
    assert_decision(
        &decide(&set, req(ROLE, "ec2:RunInstances", "*")),
        ExplicitDeny,
        &[Layer::Scp],
    );
}

// IAM JSON policy elements: NotResource
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html

#[test]
fn not_resource() {
    let set = PolicySet {
        identity: vec![
            allow_all(),
            stmt(
                r#"{"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::hr", "arn:aws:s3:::hr/*"]}"#,
            ),
        ],
        ..Default::default()
    };
    assert_decision(
        &decide(&set, req(ALICE, "s3:GetObject", "arn:aws:s3:::hr/x")),
        Allowed,
        &[],
    );
    assert_decision(
        &decide(&set, req(ALICE, "s3:GetObject", "arn:aws:s3:::other/x")),
        ExplicitDeny,
        &[Layer::Identity],
    );
}

// IAM JSON policy elements: NotPrincipal
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html

#[test]
fn not_principal_deny() {
    let set = PolicySet {
        identity: vec![allow_all()],
        resource: Some(policy(&format!(
            r#"{{"Version": "2012-10-17", "Statement": [
                {{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}},
                {{"Effect": "Deny", "NotPrincipal": {{"AWS": ["{ALICE}", "arn:aws:iam::111122223333:root"]}}, "Action": "s3:*", "Resource": "*"}}]}}"#
        ))),
        ..Default::default()
    };
    assert_decision(&decide(&set, req(ALICE, "s3:GetObject", "*")), Allowed, &[]);
    assert_decision(
        &decide(&set, req(ROLE, "s3:GetObject", "*")),
        ExplicitDeny,
        &[Layer::Resource],
    );
}

// IAM JSON policy elements: Action — "Action names are case-insensitive"
// and wildcards; Resource ARNs are case-sensitive.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html

#[test]
fn action_case_and_wildcards() {
    let set = identity_only(stmt(
        r#"{"Effect": "Allow", "Action": ["EC2:describe*", "s3:Get?bject"], "Resource": "arn:aws:s3:::Bucket/*"}"#,
    ));
    assert_decision(
        &decide(
            &set,
            req(ALICE, "ec2:DescribeInstances", "arn:aws:s3:::Bucket/x"),
        ),
        Allowed,
        &[],
    );
    assert_decision(
        &decide(&set, req(ALICE, "s3:GetObject", "arn:aws:s3:::Bucket/x")),
        Allowed,
        &[],
    );
    assert_eq!(
        decide(&set, req(ALICE, "s3:GetObject", "arn:aws:s3:::bucket/x")).decision,
        ImplicitDeny
    );
}

// Condition operators
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html

fn cond(condition: &str) -> PolicySet {
    identity_only(stmt(&format!(
        r#"{{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {condition}}}"#
    )))
}

fn allowed(set: &PolicySet, r: Req) -> bool {
    decide(set, r).is_allowed()
}

fn r() -> Req {
    req(ALICE, "s3:GetObject", "*")
}

#[test]
fn string_operators() {
    let set = cond(r#"{"StringEquals": {"aws:PrincipalTag/team": ["red", "blue"]}}"#);
    assert!(allowed(&set, r().ctx("aws:PrincipalTag/team", "blue")));
    assert!(!allowed(&set, r().ctx("aws:PrincipalTag/team", "Blue")));
    assert!(!allowed(&set, r()), "missing key: condition is false");
    let set = cond(r#"{"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "RED"}}"#);
    assert!(allowed(&set, r().ctx("aws:PrincipalTag/team", "red")));
    let set = cond(r#"{"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "RED"}}"#);
    assert!(!allowed(&set, r().ctx("aws:PrincipalTag/team", "Red")));
    let set = cond(r#"{"StringLike": {"s3:prefix": ["home/*", "shared/?"]}}"#);
    assert!(allowed(&set, r().ctx("s3:prefix", "home/alice/x")));
    assert!(allowed(&set, r().ctx("s3:prefix", "shared/a")));
    assert!(!allowed(&set, r().ctx("s3:prefix", "shared/ab")));
    let set = cond(r#"{"StringNotLike": {"s3:prefix": "private/*"}}"#);
    assert!(allowed(&set, r().ctx("s3:prefix", "home/")));
    assert!(!allowed(&set, r().ctx("s3:prefix", "private/x")));
    assert!(
        allowed(&set, r()),
        "missing key: negated operators are true"
    );
}

#[test]
fn numeric_date_bool_binary_operators() {
    let set = cond(r#"{"NumericLessThanEquals": {"s3:max-keys": "10"}}"#);
    assert!(allowed(&set, r().ctx("s3:max-keys", "10")));
    assert!(!allowed(&set, r().ctx("s3:max-keys", "11")));
    assert!(!allowed(&set, r().ctx("s3:max-keys", "ten")));
    let set = cond(r#"{"NumericNotEquals": {"s3:max-keys": 10}}"#);
    assert!(allowed(&set, r().ctx("s3:max-keys", "9.5")));
    let set = cond(r#"{"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}"#);
    assert!(allowed(
        &set,
        r().ctx("aws:CurrentTime", "2026-06-01T12:00:00Z")
    ));
    assert!(!allowed(
        &set,
        r().ctx("aws:CurrentTime", "2025-12-31T23:59:59Z")
    ));
    let set = cond(r#"{"DateLessThan": {"aws:EpochTime": "1767225600"}}"#);
    assert!(allowed(
        &set,
        r().ctx("aws:EpochTime", "2025-06-01T00:00:00Z")
    ));
    let set = cond(r#"{"Bool": {"aws:SecureTransport": "true"}}"#);
    assert!(allowed(&set, r().ctx("aws:SecureTransport", "true")));
    assert!(!allowed(&set, r().ctx("aws:SecureTransport", "false")));
    assert!(!allowed(&set, r()));
    let set = cond(r#"{"BinaryEquals": {"key": "QmluYXJ5VmFsdWU="}}"#);
    assert!(allowed(&set, r().ctx("key", "QmluYXJ5VmFsdWU=")));
}

#[test]
fn ip_and_arn_operators() {
    let set =
        cond(r#"{"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}"#);
    assert!(allowed(&set, r().ctx("aws:SourceIp", "203.0.113.42")));
    assert!(allowed(
        &set,
        r().ctx("aws:SourceIp", "2001:db8:1234:5678::1")
    ));
    assert!(!allowed(&set, r().ctx("aws:SourceIp", "198.51.100.1")));
    let set = cond(r#"{"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#);
    assert!(allowed(&set, r().ctx("aws:SourceIp", "198.51.100.1")));
    let set = cond(r#"{"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:topic-*"}}"#);
    assert!(allowed(
        &set,
        r().ctx(
            "aws:SourceArn",
            "arn:aws:sns:eu-west-1:123456789012:topic-a"
        )
    ));
    assert!(!allowed(
        &set,
        r().ctx(
            "aws:SourceArn",
            "arn:aws:sns:eu-west-1:999999999999:topic-a"
        )
    ));
    let set =
        cond(r#"{"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Admin"}}"#);
    assert!(
        allowed(&set, r()),
        "aws:PrincipalArn is derived from the principal"
    );
}

// "...IfExists condition operators" and "Condition operator to check existence
// of condition keys" (Null), same page.

#[test]
fn if_exists_and_null() {
    let set = cond(r#"{"StringEqualsIfExists": {"ec2:InstanceType": ["t3.micro"]}}"#);
    assert!(allowed(&set, r()));
    assert!(allowed(&set, r().ctx("ec2:InstanceType", "t3.micro")));
    assert!(!allowed(&set, r().ctx("ec2:InstanceType", "m5.large")));
    let set = cond(r#"{"Null": {"aws:TokenIssueTime": "true"}}"#);
    assert!(allowed(&set, r()));
    assert!(!allowed(
        &set,
        r().ctx("aws:TokenIssueTime", "2026-01-01T00:00:00Z")
    ));
    let set = cond(r#"{"Null": {"aws:TokenIssueTime": "false"}}"#);
    assert!(!allowed(&set, r()));
}

// Set operators for multivalued context keys
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
// "ForAllValues ... returns true if every context key value in the request
// matches at least one context key value in the policy. It also returns true
// if there are no context keys in the request." "ForAnyValue ... If the key
// is missing, returns false."

#[test]
fn set_operators() {
    let set =
        cond(r#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}"#);
    assert!(allowed(&set, r().ctx_many("aws:TagKeys", &["environment"])));
    assert!(!allowed(
        &set,
        r().ctx_many("aws:TagKeys", &["environment", "owner"])
    ));
    assert!(allowed(&set, r()), "ForAllValues is true for a missing key");
    let set =
        cond(r#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}"#);
    assert!(allowed(
        &set,
        r().ctx_many("aws:TagKeys", &["owner", "environment"])
    ));
    assert!(!allowed(&set, r().ctx_many("aws:TagKeys", &["owner"])));
    assert!(!allowed(&set, r()));
    let set = cond(r#"{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a"]}}"#);
    assert!(allowed(&set, r().ctx_many("aws:TagKeys", &["a", "b"])));
    assert!(!allowed(&set, r().ctx_many("aws:TagKeys", &["a"])));
    let set = cond(r#"{"ForAllValues:StringNotEquals": {"aws:TagKeys": ["a"]}}"#);
    assert!(allowed(&set, r().ctx_many("aws:TagKeys", &["b", "c"])));
    assert!(!allowed(&set, r().ctx_many("aws:TagKeys", &["a", "b"])));
}

// Condition element: "If your policy has multiple condition operators or
// multiple keys ... AND; multiple values for one key ... OR".
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html

#[test]
fn conditions_and_keys_are_anded_values_ored() {
    let set = cond(
        r#"{"StringEquals": {"aws:PrincipalTag/team": ["a", "b"], "aws:RequestedRegion": "eu-west-1"},
            "Bool": {"aws:MultiFactorAuthPresent": "true"}}"#,
    );
    let full = || {
        r().ctx("aws:PrincipalTag/team", "b")
            .ctx("aws:RequestedRegion", "eu-west-1")
            .ctx("aws:MultiFactorAuthPresent", "true")
    };
    assert!(allowed(&set, full()));
    assert!(!allowed(
        &set,
        full().ctx("aws:MultiFactorAuthPresent", "false")
    ));
    assert!(!allowed(
        &set,
        full().ctx("aws:RequestedRegion", "us-east-1")
    ));
}

// IAM policy elements: Variables and tags
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html

#[test]
fn policy_variables_in_resources_and_conditions() {
    let set = identity_only(stmt(
        r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"}"#,
    ));
    assert!(allowed(
        &set,
        req(ALICE, "s3:GetObject", "arn:aws:s3:::home/alice/notes")
    ));
    assert!(!allowed(
        &set,
        req(ALICE, "s3:GetObject", "arn:aws:s3:::home/bob/notes")
    ));
    // A role has no aws:username: the variable does not resolve, nothing matches.
    assert!(!allowed(
        &set,
        req(SESSION, "s3:GetObject", "arn:aws:s3:::home/alice/notes")
    ));

    let set = cond(r#"{"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}"#);
    assert!(allowed(
        &set,
        r().ctx("aws:ResourceTag/team", "red")
            .ctx("aws:PrincipalTag/team", "red")
    ));
    assert!(!allowed(
        &set,
        r().ctx("aws:ResourceTag/team", "red")
            .ctx("aws:PrincipalTag/team", "blue")
    ));

    // "Specifying default values": ${aws:PrincipalTag/team, 'company-wide'}
    let set = identity_only(stmt(
        r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'company-wide'}/*"}"#,
    ));
    assert!(allowed(
        &set,
        req(ALICE, "s3:GetObject", "arn:aws:s3:::bucket/company-wide/x")
    ));
    assert!(allowed(
        &set,
        req(ALICE, "s3:GetObject", "arn:aws:s3:::bucket/red/x").ctx("aws:PrincipalTag/team", "red")
    ));

    // "Special characters": ${*} is a literal asterisk.
    let set = identity_only(stmt(
        r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${*}"}"#,
    ));
    assert!(allowed(
        &set,
        req(ALICE, "s3:GetObject", "arn:aws:s3:::b/*")
    ));
    assert!(!allowed(
        &set,
        req(ALICE, "s3:GetObject", "arn:aws:s3:::b/anything")
    ));
}

#[test]
fn variables_are_literal_in_version_2008() {
    let set = identity_only(policy(
        r#"{"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}"}}"#,
    ));
    assert!(allowed(
        &set,
        req(ALICE, "s3:GetObject", "arn:aws:s3:::home/${aws:username}")
    ));
    assert!(!allowed(
        &set,
        req(ALICE, "s3:GetObject", "arn:aws:s3:::home/alice")
    ));
}

#[test]
fn service_principals_use_resource_policies() {
    let set = PolicySet {
        resource: Some(stmt(
            r#"{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::trail/*",
                "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}"#,
        )),
        scps: vec![vec![stmt(
            r#"{"Effect": "Deny", "Action": "*", "Resource": "*"}"#,
        )]],
        ..Default::default()
    };
    let r = || {
        req(
            "cloudtrail.amazonaws.com",
            "s3:PutObject",
            "arn:aws:s3:::trail/x",
        )
        .resource_account("111122223333")
    };
    assert!(allowed(&set, r().ctx("aws:SourceAccount", "111122223333")));
    assert!(!allowed(&set, r().ctx("aws:SourceAccount", "999999999999")));
}

#[test]
fn root_user_has_implicit_identity_permissions_but_not_past_scps() {
    let mut set = PolicySet::default();
    assert!(allowed(
        &set,
        req("arn:aws:iam::111122223333:root", "s3:CreateBucket", "*")
    ));
    set.scps = vec![vec![stmt(
        r#"{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}"#,
    )]];
    assert!(!allowed(
        &set,
        req("arn:aws:iam::111122223333:root", "s3:CreateBucket", "*")
    ));
}
