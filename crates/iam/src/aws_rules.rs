//! What AWS decides whatever the policies say, and the resources whose own
//! policy must allow a request before identity policies count at all.
//!
//! Each rule is data with the AWS page that documents it; the authorizer
//! looks a request up here once, when it is prepared ([`crate::request::Request::new`]).

use serde::Serialize;

use crate::request::{PrincipalInfo, PrincipalKind};

/// An outcome AWS fixes before any policy is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AwsRule {
    /// `sts:GetCallerIdentity` needs no permission and cannot be denied.
    CallerIdentity,
    /// AWS managed policies (`arn:aws:iam::aws:policy/...`) cannot be changed.
    AwsManagedPolicy,
    /// `alias/aws/...` is reserved for AWS managed KMS keys.
    AwsManagedKeyAlias,
    /// Only the service that depends on a service-linked role may change it.
    ServiceLinkedRole,
    /// Roles under the paths AWS reserves for its services.
    ReservedPath,
}

impl AwsRule {
    /// Whether the rule allows (`true`) or refuses the request.
    pub fn allows(self) -> bool {
        self == AwsRule::CallerIdentity
    }

    pub fn describe(self) -> &'static str {
        match self {
            AwsRule::CallerIdentity => {
                "sts:GetCallerIdentity needs no permission: AWS allows it whatever the policies say"
            }
            AwsRule::AwsManagedPolicy => "nobody can modify an AWS managed policy",
            AwsRule::AwsManagedKeyAlias => {
                "aliases beginning with alias/aws/ are reserved for AWS managed keys"
            }
            AwsRule::ServiceLinkedRole => {
                "only the service that depends on a service-linked role can modify or delete it"
            }
            AwsRule::ReservedPath => {
                "roles under /aws-service-role/ and /aws-reserved/ are created and changed by AWS services only"
            }
        }
    }

    /// The AWS page that documents the rule.
    pub fn page(self) -> &'static str {
        match self {
            AwsRule::CallerIdentity => {
                "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html"
            }
            AwsRule::AwsManagedPolicy => {
                "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies"
            }
            AwsRule::AwsManagedKeyAlias => {
                "https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html"
            }
            AwsRule::ServiceLinkedRole | AwsRule::ReservedPath => {
                "https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html"
            }
        }
    }
}

/// Actions that change a role: its policies, trust policy, boundary, or
/// the role itself (IAM API reference: `UnmodifiableEntity` — "service-linked
/// roles are protected AWS resources").
const ROLE_CHANGES: &[&str] = &[
    "iam:attachrolepolicy",
    "iam:deleterole",
    "iam:deleterolepermissionsboundary",
    "iam:deleterolepolicy",
    "iam:detachrolepolicy",
    "iam:putrolepermissionsboundary",
    "iam:putrolepolicy",
    "iam:updateassumerolepolicy",
];

/// Actions that change a managed policy's permissions or delete it.
const POLICY_CHANGES: &[&str] = &[
    "iam:createpolicyversion",
    "iam:deletepolicy",
    "iam:deletepolicyversion",
    "iam:setdefaultpolicyversion",
];

const ALIAS_CHANGES: &[&str] = &["kms:createalias", "kms:deletealias", "kms:updatealias"];

/// One refusal: the actions, the resource they are refused on (the part of
/// the ARN after `arn:PARTITION:SERVICE:REGION:ACCOUNT:`, with its account).
struct Protected {
    rule: AwsRule,
    actions: &'static [&'static str],
    applies: fn(account: &str, resource: &str) -> bool,
    /// The service itself, through its service-linked role, may still act.
    service_exempt: bool,
}

const PROTECTED: &[Protected] = &[
    Protected {
        rule: AwsRule::AwsManagedPolicy,
        actions: POLICY_CHANGES,
        applies: |account, resource| account == "aws" && resource.starts_with("policy/"),
        service_exempt: false,
    },
    Protected {
        rule: AwsRule::AwsManagedKeyAlias,
        actions: ALIAS_CHANGES,
        applies: |_, resource| resource.starts_with("alias/aws/"),
        service_exempt: false,
    },
    Protected {
        rule: AwsRule::ServiceLinkedRole,
        actions: ROLE_CHANGES,
        applies: |_, resource| resource.starts_with("role/aws-service-role/"),
        service_exempt: true,
    },
    Protected {
        rule: AwsRule::ReservedPath,
        actions: ROLE_CHANGES,
        applies: |_, resource| resource.starts_with("role/aws-reserved/"),
        service_exempt: true,
    },
    // Creating a role under a reserved path is refused to everyone but the
    // service: service-linked roles come from `CreateServiceLinkedRole`.
    Protected {
        rule: AwsRule::ReservedPath,
        actions: &["iam:createrole"],
        applies: |_, resource| {
            resource.starts_with("role/aws-service-role/")
                || resource.starts_with("role/aws-reserved/")
        },
        service_exempt: true,
    },
];

/// The account and resource parts of an ARN.
fn arn_tail(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (arn_, _, _, _, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (arn_ == "arn").then_some((account, resource))
}

/// The rule that fixes the outcome of a request, if any. `action` is lower case.
pub(crate) fn fixed_outcome(
    action: &str,
    resource: &str,
    principal: &PrincipalInfo,
) -> Option<AwsRule> {
    if action == "sts:getcalleridentity" && principal.kind != PrincipalKind::Anonymous {
        return Some(AwsRule::CallerIdentity);
    }
    let (account, tail) = arn_tail(resource)?;
    let by_service = principal.service_linked || principal.kind == PrincipalKind::Service;
    PROTECTED
        .iter()
        .find(|p| {
            p.actions.contains(&action)
                && (p.applies)(account, tail)
                && !(p.service_exempt && by_service)
        })
        .map(|p| p.rule)
}

/// Resources whose own policy must allow a request: an identity-based
/// policy alone does not grant access to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceGate {
    /// An ordinary resource: within one account an identity-based or a
    /// resource-based policy may allow.
    None,
    /// A KMS key: "Unless the key policy explicitly allows it, you cannot
    /// use IAM policies to allow access to a KMS key" (AWS KMS Developer
    /// Guide, Key policies:
    /// <https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html>).
    /// A key created without a policy gets the default key policy, which
    /// allows the account and so delegates to IAM policies; a request file
    /// without `resource_policy` means that one.
    KeyPolicy,
    /// A role assumed through STS: the role's trust policy must allow the
    /// caller ("IAM role trust policies and KMS key policies are exceptions
    /// to this logic, because they must explicitly allow access for
    /// principals": Policy evaluation logic,
    /// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html>).
    /// Every role has one; a policy set without it reads it as trusting the
    /// role's account (request files must give it).
    TrustPolicy,
}

/// STS actions a role's trust policy governs (AWS STS API reference,
/// `AssumeRole`: "the role's trust policy must also allow").
const TRUST_ACTIONS: &[&str] = &[
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:setsourceidentity",
    "sts:tagsession",
];

/// Which gate a request passes through. `action` is lower case.
pub(crate) fn resource_gate(action: &str, resource: &str) -> ResourceGate {
    let Some((_, tail)) = arn_tail(resource) else {
        return ResourceGate::None;
    };
    let service = resource.split(':').nth(2).unwrap_or_default();
    if service == "kms" && action.starts_with("kms:") && tail.starts_with("key/") {
        ResourceGate::KeyPolicy
    } else if service == "iam" && tail.starts_with("role/") && TRUST_ACTIONS.contains(&action) {
        ResourceGate::TrustPolicy
    } else {
        ResourceGate::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_and_rules_read_the_arn() {
        let role = PrincipalInfo::parse("arn:aws:iam::111122223333:role/Admin");
        assert_eq!(
            fixed_outcome(
                "iam:createpolicyversion",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
                &role
            ),
            Some(AwsRule::AwsManagedPolicy)
        );
        assert_eq!(
            fixed_outcome(
                "iam:createpolicyversion",
                "arn:aws:iam::111122223333:policy/Mine",
                &role
            ),
            None
        );
        assert_eq!(
            resource_gate("kms:decrypt", "arn:aws:kms:eu-west-1:111122223333:key/1234"),
            ResourceGate::KeyPolicy
        );
        assert_eq!(
            resource_gate(
                "kms:decrypt",
                "arn:aws:kms:eu-west-1:111122223333:alias/app"
            ),
            ResourceGate::None
        );
        assert_eq!(
            resource_gate("sts:assumerole", "arn:aws:iam::111122223333:role/x"),
            ResourceGate::TrustPolicy
        );
        assert_eq!(resource_gate("sts:assumerole", "*"), ResourceGate::None);
    }
}
