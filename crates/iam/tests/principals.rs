//! Who asks, and what AWS decides for them: anonymous requests, users,
//! roles and role sessions against resource policies, boundaries and
//! session policies; `NotPrincipal`; KMS key policies; role trust policies;
//! `sts:GetCallerIdentity`; what nobody may do. Each case cites the AWS page
//! it comes from and is checked in both directions: the documented
//! behaviour changes the decision, and without it the decision differs.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use landfall_iam::authorize::{DecisionKind::*, Exemption, Layer, PolicySet};
use landfall_iam::aws_rules::AwsRule;
use landfall_iam::compile::CompiledPolicy;

const ANON: &str = "anonymous";
const ACCOUNT_ROOT: &str = "arn:aws:iam::111122223333:root";
const OBJECT: &str = "arn:aws:s3:::b/k";
const KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const TARGET_ROLE: &str = "arn:aws:iam::111122223333:role/Target";

fn resource(principal: &str, action: &str) -> CompiledPolicy {
    stmt(&format!(
        r#"{{"Effect": "Allow", "Principal": {principal}, "Action": "{action}", "Resource": "*"}}"#
    ))
}

fn allow(action: &str) -> CompiledPolicy {
    stmt(&format!(
        r#"{{"Effect": "Allow", "Action": "{action}", "Resource": "*"}}"#
    ))
}

fn deny(action: &str) -> CompiledPolicy {
    stmt(&format!(
        r#"{{"Effect": "Deny", "Action": "{action}", "Resource": "*"}}"#
    ))
}

// 1. Anonymous requests.
// Policy evaluation logic: "This step is not necessary for a few services,
// such as Amazon S3, that allow some requests from anonymous users."
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// AWS JSON policy elements: Principal, "All principals": `"Principal": "*"`
// and `"Principal": {"AWS": "*"}` grant public (anonymous) access.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html

#[test]
fn anonymous_requests_need_a_resource_policy_that_allows_everyone() {
    for everyone in [r#""*""#, r#"{"AWS": "*"}"#] {
        let public = PolicySet {
            resource: Some(resource(everyone, "s3:GetObject")),
            ..Default::default()
        };
        assert_decision(
            &decide(&public, req(ANON, "s3:GetObject", OBJECT)),
            Allowed,
            &[],
        );
    }
    // Naming the account (or anyone in particular) does not admit an
    // anonymous caller, and identity policies are nobody's.
    let account_only = PolicySet {
        identity: vec![allow_all()],
        resource: Some(resource(
            &format!(r#"{{"AWS": "{ACCOUNT_ROOT}"}}"#),
            "s3:GetObject",
        )),
        ..Default::default()
    };
    assert_decision(
        &decide(&account_only, req(ANON, "s3:GetObject", OBJECT)),
        ImplicitDeny,
        &[Layer::Resource],
    );
    assert_decision(
        &decide(
            &identity_only(allow_all()),
            req(ANON, "s3:GetObject", OBJECT),
        ),
        ImplicitDeny,
        &[Layer::Resource],
    );
}

// SCPs limit the principals of member accounts; RCPs the resources
// ("RCPs apply to ... requests from anonymous principals"):
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html

#[test]
fn rcps_apply_to_anonymous_requests_and_scps_do_not() {
    let public = resource(r#""*""#, "s3:GetObject");
    let deny_everything_scp = PolicySet {
        resource: Some(public.clone()),
        scps: vec![vec![deny("*")]],
        ..Default::default()
    };
    let d = decide(
        &deny_everything_scp,
        req(ANON, "s3:GetObject", OBJECT).resource_account("111122223333"),
    );
    assert_decision(&d, Allowed, &[]);
    assert_eq!(d.exemptions, [(Layer::Scp, Exemption::AnonymousRequest)]);
    // The same SCP stops a user of the account.
    assert_decision(
        &decide(&deny_everything_scp, req(ALICE, "s3:GetObject", OBJECT)),
        ExplicitDeny,
        &[Layer::Scp],
    );
    let rcp = PolicySet {
        resource: Some(public),
        rcps: vec![vec![stmt(
            r#"{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                "Condition": {"Null": {"aws:PrincipalAccount": "true"}}}"#,
        )]],
        ..Default::default()
    };
    assert_decision(
        &decide(
            &rcp,
            req(ANON, "s3:GetObject", OBJECT).resource_account("111122223333"),
        ),
        ExplicitDeny,
        &[Layer::Rcp],
    );
    // Without the RCP level the public object is readable.
    let no_rcp = PolicySet {
        rcps: Vec::new(),
        ..rcp
    };
    assert_decision(
        &decide(
            &no_rcp,
            req(ANON, "s3:GetObject", OBJECT).resource_account("111122223333"),
        ),
        Allowed,
        &[],
    );
}

// 2. Same-account resource policies against boundaries and session
// policies, by the ARN the resource policy names. Policy evaluation logic,
// "Resource-based policies": "If a resource-based policy grants permission
// directly to the IAM user or the session principal that is making the
// request, then an implicit deny in an identity-based policy, a permissions
// boundary, or a session policy does not impact the final decision"; a
// policy naming the role is limited by them.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html

fn naming(arn: &str) -> CompiledPolicy {
    resource(&format!(r#"{{"AWS": "{arn}"}}"#), "s3:GetObject")
}

#[test]
fn a_resource_policy_naming_the_user_passes_the_boundary_but_not_its_deny() {
    let implicit = PolicySet {
        resource: Some(naming(ALICE)),
        boundaries: vec![allow("ec2:*")],
        ..Default::default()
    };
    assert_decision(
        &decide(&implicit, req(ALICE, "s3:GetObject", OBJECT)),
        Allowed,
        &[],
    );
    let explicit = PolicySet {
        boundaries: vec![allow("ec2:*"), deny("s3:GetObject")],
        ..implicit.clone()
    };
    assert_decision(
        &decide(&explicit, req(ALICE, "s3:GetObject", OBJECT)),
        ExplicitDeny,
        &[Layer::Boundary],
    );
    // Naming the account instead leaves the decision to the user's own
    // policies, which the boundary limits.
    let account = PolicySet {
        resource: Some(naming(ACCOUNT_ROOT)),
        identity: vec![allow("s3:GetObject")],
        ..implicit
    };
    assert_decision(
        &decide(&account, req(ALICE, "s3:GetObject", OBJECT)),
        ImplicitDeny,
        &[Layer::Boundary],
    );
}

/// When several statements (or several principals of one statement) name
/// the caller, the grant that asks least of the caller's other policies
/// decides: `"*"` grants a same-account caller by itself, while naming the
/// account only delegates to identity-based policies, so naming the account
/// as well must not take the grant of `"*"` away.
/// Policy evaluation logic, "Resource-based policies":
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
#[test]
fn naming_the_account_as_well_does_not_narrow_a_grant_to_everyone() {
    let everyone =
        stmt(r#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}"#);
    let both_statements = policy(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [
            {{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}},
            {{"Effect": "Allow", "Principal": {{"AWS": "{ACCOUNT_ROOT}"}}, "Action": "s3:GetObject", "Resource": "*"}}
        ]}}"#
    ));
    let both_principals = stmt(&format!(
        r#"{{"Effect": "Allow", "Principal": {{"AWS": ["{ACCOUNT_ROOT}", "*"]}}, "Action": "s3:GetObject", "Resource": "*"}}"#
    ));
    for resource in [everyone, both_statements, both_principals] {
        let set = PolicySet {
            resource: Some(resource),
            ..Default::default()
        };
        assert_decision(
            &decide(&set, req(ALICE, "s3:GetObject", OBJECT)),
            Allowed,
            &[],
        );
    }
    // Naming only the account leaves the decision to the user's policies,
    // and she has none.
    let account_only = PolicySet {
        resource: Some(naming(ACCOUNT_ROOT)),
        ..Default::default()
    };
    assert_decision(
        &decide(&account_only, req(ALICE, "s3:GetObject", OBJECT)),
        ImplicitDeny,
        &[Layer::Identity],
    );
}

#[test]
fn a_resource_policy_naming_the_role_is_limited_by_boundary_and_session_policy() {
    // The role itself as the caller.
    let role = PolicySet {
        resource: Some(naming(ROLE)),
        boundaries: vec![allow("ec2:*")],
        ..Default::default()
    };
    assert_decision(
        &decide(&role, req(ROLE, "s3:GetObject", OBJECT)),
        ImplicitDeny,
        &[Layer::Identity],
    );
    let no_boundary = PolicySet {
        boundaries: Vec::new(),
        ..role.clone()
    };
    assert_decision(
        &decide(&no_boundary, req(ROLE, "s3:GetObject", OBJECT)),
        Allowed,
        &[],
    );
    // A session of the role: the role's ARN is limited by the session
    // policy, the session's own ARN is not.
    let session_policy = PolicySet {
        resource: Some(naming(ROLE)),
        session: Some(allow("ec2:*")),
        ..Default::default()
    };
    assert_eq!(
        decide(&session_policy, req(SESSION, "s3:GetObject", OBJECT)).decision,
        ImplicitDeny
    );
    let session_named = PolicySet {
        resource: Some(naming(SESSION)),
        ..session_policy
    };
    assert_decision(
        &decide(&session_named, req(SESSION, "s3:GetObject", OBJECT)),
        Allowed,
        &[],
    );
    // The same holds for the boundary of a session's role.
    let boundary_session_named = PolicySet {
        resource: Some(naming(SESSION)),
        boundaries: vec![allow("ec2:*")],
        ..Default::default()
    };
    assert_decision(
        &decide(
            &boundary_session_named,
            req(SESSION, "s3:GetObject", OBJECT),
        ),
        Allowed,
        &[],
    );
    let boundary_role_named = PolicySet {
        resource: Some(naming(ROLE)),
        ..boundary_session_named
    };
    assert_eq!(
        decide(&boundary_role_named, req(SESSION, "s3:GetObject", OBJECT)).decision,
        ImplicitDeny
    );
}

// A session ARN carries its role's name, not its path; a role's name is
// unique in its account whatever its path ("IAM identifiers", friendly
// names and paths), so a policy naming the role with its path names the
// session's role.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html

#[test]
fn a_role_named_with_its_path_is_the_role_of_its_sessions() {
    let with_path = PolicySet {
        resource: Some(naming("arn:aws:iam::111122223333:role/team/Dev")),
        ..Default::default()
    };
    assert_decision(
        &decide(&with_path, req(SESSION, "s3:GetObject", OBJECT)),
        Allowed,
        &[],
    );
    let other_role = PolicySet {
        resource: Some(naming("arn:aws:iam::111122223333:role/team/Ops")),
        ..Default::default()
    };
    assert_eq!(
        decide(&other_role, req(SESSION, "s3:GetObject", OBJECT)).decision,
        ImplicitDeny
    );
    let other_account = PolicySet {
        resource: Some(naming("arn:aws:iam::444455556666:role/team/Dev")),
        ..Default::default()
    };
    assert_eq!(
        decide(&other_account, req(SESSION, "s3:GetObject", OBJECT)).decision,
        ImplicitDeny
    );
}

// 3. NotPrincipal. "Specific IAM role in the same or different account":
// to exclude a role session the element lists the session ARN, the role ARN
// and the account; for an IAM user, the user and the account.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html

fn deny_all_but(arns: &[&str]) -> PolicySet {
    let list = arns
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    PolicySet {
        identity: vec![allow_all()],
        resource: Some(policy(&format!(
            r#"{{"Version": "2012-10-17", "Statement": [
                {{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}},
                {{"Effect": "Deny", "NotPrincipal": {{"AWS": [{list}]}}, "Action": "s3:*", "Resource": "*"}}]}}"#
        ))),
        ..Default::default()
    }
}

#[test]
fn not_principal_excludes_a_caller_only_when_each_of_its_identities_is_listed() {
    let all_three = deny_all_but(&[SESSION, ROLE, ACCOUNT_ROOT]);
    assert_decision(
        &decide(&all_three, req(SESSION, "s3:GetObject", OBJECT)),
        Allowed,
        &[],
    );
    for missing in [
        deny_all_but(&[SESSION, ACCOUNT_ROOT]),
        deny_all_but(&[ROLE, ACCOUNT_ROOT]),
        deny_all_but(&[SESSION, ROLE]),
    ] {
        assert_decision(
            &decide(&missing, req(SESSION, "s3:GetObject", OBJECT)),
            ExplicitDeny,
            &[Layer::Resource],
        );
    }
    assert_decision(
        &decide(
            &deny_all_but(&[ALICE, ACCOUNT_ROOT]),
            req(ALICE, "s3:GetObject", OBJECT),
        ),
        Allowed,
        &[],
    );
    assert_decision(
        &decide(&deny_all_but(&[ALICE]), req(ALICE, "s3:GetObject", OBJECT)),
        ExplicitDeny,
        &[Layer::Resource],
    );
    // The account alone excludes its root user, not its users.
    let account = deny_all_but(&[ACCOUNT_ROOT]);
    assert_decision(
        &decide(&account, req(ACCOUNT_ROOT, "s3:GetObject", OBJECT)),
        Allowed,
        &[],
    );
    assert_decision(
        &decide(&account, req(ALICE, "s3:GetObject", OBJECT)),
        ExplicitDeny,
        &[Layer::Resource],
    );
    // Anonymous callers are never in the list.
    assert_decision(
        &decide(&all_three, req(ANON, "s3:GetObject", OBJECT)),
        ExplicitDeny,
        &[Layer::Resource],
    );
}

#[test]
fn not_principal_in_an_allow_grants_everyone_else() {
    let set = PolicySet {
        resource: Some(stmt(&format!(
            r#"{{"Effect": "Allow", "NotPrincipal": {{"AWS": ["{OTHER_ROLE}", "arn:aws:iam::444455556666:root"]}}, "Action": "s3:GetObject", "Resource": "*"}}"#
        ))),
        ..Default::default()
    };
    assert_decision(
        &decide(&set, req(ALICE, "s3:GetObject", OBJECT)),
        Allowed,
        &[],
    );
    let excluded = decide(
        &set,
        req(OTHER_ROLE, "s3:GetObject", OBJECT).resource_account("111122223333"),
    );
    assert_eq!(excluded.decision, ImplicitDeny);
    assert!(excluded.blocked_by.contains(&Layer::Resource));
}

// Permissions boundaries for IAM entities: "The NotPrincipal element with a
// Deny effect will always deny any IAM principal that has a permissions
// boundary policy attached, regardless of the values specified".
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html

#[test]
fn not_principal_deny_always_denies_a_principal_with_a_boundary() {
    let mut set = deny_all_but(&[ALICE, ACCOUNT_ROOT]);
    assert_decision(
        &decide(&set, req(ALICE, "s3:GetObject", OBJECT)),
        Allowed,
        &[],
    );
    set.boundaries = vec![allow_all()];
    assert_decision(
        &decide(&set, req(ALICE, "s3:GetObject", OBJECT)),
        ExplicitDeny,
        &[Layer::Resource],
    );
}

// A resource-based policy statement needs a `Principal` ("You must use the
// Principal element in resource-based policies"); AWS rejects one without,
// so it grants and denies nothing.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html

#[test]
fn resource_policy_statements_without_principal_never_match() {
    let without = PolicySet {
        resource: Some(allow("s3:GetObject")),
        ..Default::default()
    };
    let d = decide(&without, req(ALICE, "s3:GetObject", OBJECT));
    assert_decision(&d, ImplicitDeny, &[Layer::Identity, Layer::Resource]);
    assert!(d.matched.is_empty());
    assert_decision(
        &decide(
            &PolicySet {
                resource: Some(naming(ALICE)),
                ..Default::default()
            },
            req(ALICE, "s3:GetObject", OBJECT),
        ),
        Allowed,
        &[],
    );
    let deny_without = PolicySet {
        identity: vec![allow_all()],
        resource: Some(deny("s3:GetObject")),
        ..Default::default()
    };
    assert_decision(
        &decide(&deny_without, req(ALICE, "s3:GetObject", OBJECT)),
        Allowed,
        &[],
    );
}

// 4. KMS key policies. "Unless the key policy explicitly allows it, you
// cannot use IAM policies to allow access to a KMS key. Without permission
// from the key policy, IAM policies that allow permissions have no effect."
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
// The default key policy allows the account, which lets IAM policies decide:
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html

fn key_policy(principal: &str) -> CompiledPolicy {
    resource(&format!(r#"{{"AWS": "{principal}"}}"#), "kms:*")
}

#[test]
fn a_key_policy_must_allow_before_identity_policies_count() {
    let delegates = PolicySet {
        identity: vec![allow("kms:Decrypt")],
        resource: Some(key_policy(ACCOUNT_ROOT)),
        ..Default::default()
    };
    assert_decision(
        &decide(&delegates, req(ALICE, "kms:Decrypt", KEY)),
        Allowed,
        &[],
    );
    assert_decision(
        &decide(
            &PolicySet {
                identity: Vec::new(),
                ..delegates.clone()
            },
            req(ALICE, "kms:Decrypt", KEY),
        ),
        ImplicitDeny,
        &[Layer::Identity],
    );
    // A key policy that names only an administrator: the user's identity
    // policy has no effect on the key ...
    let admin_only = PolicySet {
        resource: Some(key_policy("arn:aws:iam::111122223333:role/KeyAdmin")),
        ..delegates.clone()
    };
    assert_decision(
        &decide(&admin_only, req(ALICE, "kms:Decrypt", KEY)),
        ImplicitDeny,
        &[Layer::Resource],
    );
    // ... while on any other resource the same policies allow.
    let bucket = PolicySet {
        identity: vec![allow("s3:GetObject")],
        resource: Some(naming("arn:aws:iam::111122223333:role/KeyAdmin")),
        ..Default::default()
    };
    assert_decision(
        &decide(&bucket, req(ALICE, "s3:GetObject", OBJECT)),
        Allowed,
        &[],
    );
    // Without a key policy in the request, the default one applies.
    let default = PolicySet {
        resource: None,
        ..delegates
    };
    assert_decision(
        &decide(&default, req(ALICE, "kms:Decrypt", KEY)),
        Allowed,
        &[],
    );
    // A key policy naming the user grants on its own.
    let direct = PolicySet {
        resource: Some(key_policy(ALICE)),
        ..Default::default()
    };
    assert_decision(
        &decide(&direct, req(ALICE, "kms:Decrypt", KEY)),
        Allowed,
        &[],
    );
    // A key policy can lock out even the account's root user.
    assert_decision(
        &decide(&admin_only, req(ACCOUNT_ROOT, "kms:Decrypt", KEY)),
        ImplicitDeny,
        &[Layer::Resource],
    );
}

// Allowing users in other accounts to use a KMS key: the key policy must
// allow the external account and the external account's IAM policies the
// user. https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html

#[test]
fn cross_account_keys_need_the_key_policy_and_the_callers_policy() {
    let external = PolicySet {
        identity: vec![allow("kms:Decrypt")],
        resource: Some(key_policy("arn:aws:iam::444455556666:root")),
        ..Default::default()
    };
    assert_decision(
        &decide(
            &external,
            req(OTHER_ROLE, "kms:Decrypt", KEY).resource_account("111122223333"),
        ),
        Allowed,
        &[],
    );
    let own_only = PolicySet {
        resource: Some(key_policy(ACCOUNT_ROOT)),
        ..external
    };
    assert_decision(
        &decide(
            &own_only,
            req(OTHER_ROLE, "kms:Decrypt", KEY).resource_account("111122223333"),
        ),
        ImplicitDeny,
        &[Layer::Resource],
    );
}

// 5. Role trust policies. "IAM role trust policies and KMS key policies are
// exceptions to this logic, because they must explicitly allow access for
// principals." A trust policy naming a user of the same account suffices on
// its own; one naming the account needs the caller's identity policy too;
// across accounts both always must.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_aws-accounts.html

fn trust(principal: &str) -> CompiledPolicy {
    resource(&format!(r#"{{"AWS": "{principal}"}}"#), "sts:AssumeRole")
}

#[test]
fn assuming_a_role_needs_its_trust_policy() {
    // The caller's identity policy allows; the role trusts someone else.
    let trusts_someone_else = PolicySet {
        identity: vec![allow("sts:AssumeRole")],
        resource: Some(trust("arn:aws:iam::111122223333:user/bob")),
        ..Default::default()
    };
    assert_decision(
        &decide(
            &trusts_someone_else,
            req(ALICE, "sts:AssumeRole", TARGET_ROLE),
        ),
        ImplicitDeny,
        &[Layer::Resource],
    );
    // Every role has a trust policy; a policy set without one reads it as
    // trusting the role's account, so the identity policy decides (request
    // files must give it: `iam::missing-trust-policy`).
    assert_decision(
        &decide(
            &PolicySet {
                resource: None,
                ..trusts_someone_else.clone()
            },
            req(ALICE, "sts:AssumeRole", TARGET_ROLE),
        ),
        Allowed,
        &[],
    );
    // The trust policy naming the user: no identity permission needed.
    let trusts_alice = PolicySet {
        resource: Some(trust(ALICE)),
        ..Default::default()
    };
    assert_decision(
        &decide(&trusts_alice, req(ALICE, "sts:AssumeRole", TARGET_ROLE)),
        Allowed,
        &[],
    );
    // Naming the account delegates to the caller's identity policies.
    let trusts_account = PolicySet {
        resource: Some(trust(ACCOUNT_ROOT)),
        ..Default::default()
    };
    assert_decision(
        &decide(&trusts_account, req(ALICE, "sts:AssumeRole", TARGET_ROLE)),
        ImplicitDeny,
        &[Layer::Identity],
    );
    assert_decision(
        &decide(
            &PolicySet {
                identity: vec![allow("sts:AssumeRole")],
                ..trusts_account
            },
            req(ALICE, "sts:AssumeRole", TARGET_ROLE),
        ),
        Allowed,
        &[],
    );
}

#[test]
fn assuming_a_role_across_accounts_needs_trust_and_identity() {
    let trusts_partner = PolicySet {
        identity: vec![allow("sts:AssumeRole")],
        resource: Some(trust("arn:aws:iam::444455556666:root")),
        ..Default::default()
    };
    let r = || req(OTHER_ROLE, "sts:AssumeRole", TARGET_ROLE).resource_account("111122223333");
    assert_decision(&decide(&trusts_partner, r()), Allowed, &[]);
    assert_decision(
        &decide(
            &PolicySet {
                identity: Vec::new(),
                ..trusts_partner.clone()
            },
            r(),
        ),
        ImplicitDeny,
        &[Layer::Identity],
    );
    assert_decision(
        &decide(
            &PolicySet {
                resource: None,
                ..trusts_partner
            },
            r(),
        ),
        ImplicitDeny,
        &[Layer::Resource],
    );
}

// 6. GetCallerIdentity: "No permissions are required to perform this
// operation. If an administrator attaches a policy to your identity that
// explicitly denies access to the sts:GetCallerIdentity action, you can
// still perform this operation."
// https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html

#[test]
fn get_caller_identity_is_always_allowed() {
    let everything_denied = PolicySet {
        identity: vec![deny("sts:*")],
        scps: vec![vec![deny("*")]],
        ..Default::default()
    };
    for caller in [ALICE, ROLE, SESSION, ACCOUNT_ROOT] {
        let d = decide(
            &everything_denied,
            req(caller, "sts:GetCallerIdentity", "*"),
        );
        assert_decision(&d, Allowed, &[]);
        assert_eq!(d.aws_rule, Some(AwsRule::CallerIdentity));
    }
    // Any other STS action is denied by the same policies.
    assert_decision(
        &decide(&everything_denied, req(ALICE, "sts:GetSessionToken", "*")),
        ExplicitDeny,
        &[Layer::Scp, Layer::Identity],
    );
    // It identifies a signed caller: an anonymous request has none.
    assert_eq!(
        decide(&everything_denied, req(ANON, "sts:GetCallerIdentity", "*")).decision,
        ImplicitDeny
    );
}

// 7. What nobody may do.
// AWS managed policies: "You cannot change the permissions defined in AWS
// managed policies."
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies
// KMS aliases: "The alias/aws/ prefix is reserved for AWS managed keys."
// https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html
// Service-linked roles: `UnmodifiableEntity` — "service-linked roles are
// protected AWS resources. Only the service that depends on the
// service-linked role can modify or delete the role on your behalf."
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRolePermissionsBoundary.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html

#[test]
fn nobody_modifies_what_aws_owns() {
    let admin = PolicySet {
        identity: vec![allow_all()],
        ..Default::default()
    };
    let cases = [
        (
            "iam:CreatePolicyVersion",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "arn:aws:iam::111122223333:policy/Mine",
            AwsRule::AwsManagedPolicy,
        ),
        (
            "iam:DeletePolicy",
            "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
            "arn:aws:iam::111122223333:policy/job-function/Mine",
            AwsRule::AwsManagedPolicy,
        ),
        (
            "kms:CreateAlias",
            "arn:aws:kms:eu-west-1:111122223333:alias/aws/s3",
            "arn:aws:kms:eu-west-1:111122223333:alias/app",
            AwsRule::AwsManagedKeyAlias,
        ),
        (
            "iam:PutRolePolicy",
            "arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
            "arn:aws:iam::111122223333:role/app/Config",
            AwsRule::ServiceLinkedRole,
        ),
        (
            "iam:DeleteRole",
            "arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
            "arn:aws:iam::111122223333:role/Config",
            AwsRule::ServiceLinkedRole,
        ),
        (
            "iam:AttachRolePolicy",
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef",
            "arn:aws:iam::111122223333:role/sso/Admin",
            AwsRule::ReservedPath,
        ),
        (
            "iam:CreateRole",
            "arn:aws:iam::111122223333:role/aws-reserved/mine/Fake",
            "arn:aws:iam::111122223333:role/mine/Fake",
            AwsRule::ReservedPath,
        ),
    ];
    for (action, owned, ours, rule) in cases {
        for caller in [ALICE, SESSION, ACCOUNT_ROOT] {
            let d = decide(&admin, req(caller, action, owned));
            assert_decision(&d, ExplicitDeny, &[Layer::Aws]);
            assert_eq!(d.aws_rule, Some(rule), "{action} {owned}");
            assert_decision(&decide(&admin, req(caller, action, ours)), Allowed, &[]);
        }
    }
    // The service itself, through its service-linked role, still changes
    // the roles it owns.
    let service_role =
        "arn:aws:iam::111122223333:role/aws-service-role/sso.amazonaws.com/AWSServiceRoleForSSO";
    assert_decision(
        &decide(
            &admin,
            req(
                service_role,
                "iam:AttachRolePolicy",
                "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef",
            ),
        ),
        Allowed,
        &[],
    );
}
