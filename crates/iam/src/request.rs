//! Requests: who asks to do what on which resource, with which context keys.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws_rules::{fixed_outcome, resource_gate, AwsRule, ResourceGate};
use crate::glob::{head_word, ArnPattern, Key, PreparedArn};

/// A request as a user writes it (request files, `iam can`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestInput {
    /// ARN of the calling user, role or role session, an account id, a
    /// service principal such as `ec2.amazonaws.com`, or `anonymous` for an
    /// unauthenticated request.
    pub principal: String,
    /// `service:Action`.
    pub action: String,
    /// Resource ARN; `*` when the action has no resource.
    #[serde(default = "star")]
    pub resource: String,
    /// Account that owns the resource; the principal's when absent.
    #[serde(default)]
    pub resource_account: Option<String>,
    /// Context keys; each has one value or several (multivalued keys).
    #[serde(default)]
    pub context: BTreeMap<String, ContextValue>,
    /// The organization's management account: SCPs and RCPs do not apply to it.
    #[serde(default)]
    pub management_account: Option<String>,
}

fn star() -> String {
    "*".to_owned()
}

/// One context value or a list of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ContextValue {
    One(String),
    Many(Vec<String>),
}

impl ContextValue {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            ContextValue::One(v) => vec![v],
            ContextValue::Many(vs) => vs,
        }
    }
}

/// What kind of principal makes the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    User {
        name: String,
    },
    Role,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    RoleSession {
        role_arn: String,
    },
    /// The account's root user (`arn:aws:iam::ACCOUNT:root` or a bare account id).
    Root,
    /// An AWS service principal such as `cloudtrail.amazonaws.com`.
    Service,
    /// An unauthenticated request (`anonymous`): no account, no identity
    /// policies; only a resource-based policy that allows everyone grants it.
    Anonymous,
    Other,
}

/// How an unauthenticated caller is written in a request.
pub const ANONYMOUS: &str = "anonymous";

/// The principal, parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalInfo {
    pub arn: String,
    pub account: Option<String>,
    pub kind: PrincipalKind,
    /// A service-linked role (path `/aws-service-role/`): exempt from SCPs and RCPs.
    pub service_linked: bool,
}

impl PrincipalInfo {
    pub fn parse(principal: &str) -> PrincipalInfo {
        if principal == ANONYMOUS {
            return PrincipalInfo {
                arn: principal.to_owned(),
                account: None,
                kind: PrincipalKind::Anonymous,
                service_linked: false,
            };
        }
        let is_account_id = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
        if is_account_id(principal) {
            return PrincipalInfo {
                arn: format!("arn:aws:iam::{principal}:root"),
                account: Some(principal.to_owned()),
                kind: PrincipalKind::Root,
                service_linked: false,
            };
        }
        let mut split = principal.splitn(6, ':');
        let parts: [&str; 6] = std::array::from_fn(|_| split.next().unwrap_or_default());
        if parts[0] == "arn" && principal.matches(':').count() >= 5 {
            let partition = parts[1];
            let account = (!parts[4].is_empty()).then(|| parts[4].to_owned());
            let resource = parts[5];
            let (kind, service_linked) = match (parts[2], resource) {
                ("iam", "root") => (PrincipalKind::Root, false),
                ("iam", r) if r.starts_with("user/") => (
                    PrincipalKind::User {
                        name: r.rsplit('/').next().unwrap_or(r).to_owned(),
                    },
                    false,
                ),
                ("iam", r) if r.starts_with("role/") => {
                    (PrincipalKind::Role, r.starts_with("role/aws-service-role/"))
                }
                ("sts", r) if r.starts_with("assumed-role/") => {
                    let mut names = r["assumed-role/".len()..].split('/');
                    let role = names.next().unwrap_or_default();
                    let role_arn = format!(
                        "arn:{partition}:iam::{}:role/{role}",
                        account.as_deref().unwrap_or_default()
                    );
                    (
                        PrincipalKind::RoleSession { role_arn },
                        role.starts_with("AWSServiceRoleFor"),
                    )
                }
                _ => (PrincipalKind::Other, false),
            };
            return PrincipalInfo {
                arn: principal.to_owned(),
                account,
                kind,
                service_linked,
            };
        }
        let kind =
            if principal.ends_with(".amazonaws.com") || principal.ends_with(".amazonaws.com.cn") {
                PrincipalKind::Service
            } else {
                PrincipalKind::Other
            };
        PrincipalInfo {
            arn: principal.to_owned(),
            account: None,
            kind,
            service_linked: false,
        }
    }

    /// An IAM user, role or role session: what can carry a permissions
    /// boundary or a session policy.
    pub fn is_iam(&self) -> bool {
        matches!(
            self.kind,
            PrincipalKind::User { .. } | PrincipalKind::Role | PrincipalKind::RoleSession { .. }
        )
    }

    /// The ARN `aws:PrincipalArn` reports: the role's ARN for a role session.
    pub fn principal_arn(&self) -> &str {
        self.principal_arn_string()
    }

    fn principal_arn_string(&self) -> &String {
        match &self.kind {
            PrincipalKind::RoleSession { role_arn } => role_arn,
            _ => &self.arn,
        }
    }
}

/// A request prepared for evaluation: lower-cased action, parsed principal,
/// context keys lower-cased and sorted, derived global keys filled in.
#[derive(Debug, Clone)]
pub struct Request {
    pub input: RequestInput,
    /// `service:action` in lower case.
    pub(crate) action: String,
    pub(crate) service_len: usize,
    /// Head words of the service prefix, the action name and the whole
    /// action, for the compiled matchers ([`crate::glob::Key`]).
    action_heads: [u64; 3],
    /// The service's place in the catalog ([`crate::catalog::Catalog::service_index`]).
    pub(crate) service_id: Option<usize>,
    /// The resource split into its ARN segments once.
    pub(crate) resource_prepared: PreparedArn,
    /// The same for `aws:PrincipalArn`, which ARN conditions test most.
    principal_arn_prepared: PreparedArn,
    pub principal: PrincipalInfo,
    context: Vec<(String, Vec<String>)>,
    /// An outcome AWS fixes whatever the policies say.
    pub(crate) fixed: Option<AwsRule>,
    /// Whether the resource's own policy must allow.
    pub(crate) gate: ResourceGate,
    /// A resource written with wildcards (`arn:aws:s3:::logs-*/AWSLogs/*`):
    /// the set of resources it names.
    pub(crate) resource_set: Option<ArnPattern>,
}

impl Request {
    pub fn new(input: RequestInput) -> Request {
        let action = input.action.to_ascii_lowercase();
        let service_len = action.find(':').unwrap_or(action.len());
        let principal = PrincipalInfo::parse(&input.principal);
        let mut context: Vec<(String, Vec<String>)> = input
            .context
            .iter()
            .map(|(k, v)| {
                let values = match v {
                    ContextValue::One(v) => vec![v.clone()],
                    ContextValue::Many(vs) => vs.clone(),
                };
                (k.to_ascii_lowercase(), values)
            })
            .collect();
        context.sort_by(|a, b| a.0.cmp(&b.0));
        context.dedup_by(|a, b| a.0 == b.0);
        let fixed = fixed_outcome(&action, &input.resource, &principal);
        let gate = resource_gate(&action, &input.resource);
        // `*` alone is the resource of actions that have none, not a set.
        let resource_set = (input.resource != "*" && input.resource.contains(['*', '?']))
            .then(|| ArnPattern::new(&input.resource));
        let (service, name) = action.split_at(service_len);
        let name = name.strip_prefix(':').unwrap_or(name);
        let action_heads = [
            head_word(service.as_bytes()),
            head_word(name.as_bytes()),
            head_word(action.as_bytes()),
        ];
        let resource_prepared = PreparedArn::new(&input.resource);
        let service_id = crate::catalog::Catalog::get().service_index(service);
        let principal_arn_prepared = PreparedArn::new(principal.principal_arn());
        Request {
            service_id,
            principal_arn_prepared,
            input,
            action,
            service_len,
            action_heads,
            resource_prepared,
            principal,
            context,
            fixed,
            gate,
            resource_set,
        }
    }

    /// Values of a context key; `key` must be lower case.
    ///
    /// Global keys AWS always puts in the request context are derived from
    /// the request unless the request sets them: AWS global condition context
    /// keys (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>).
    pub fn get(&self, key: &str) -> Option<&[String]> {
        // Requests carry a handful of keys: comparing lengths first skips
        // most string comparisons; a long context is searched in order.
        let found = if self.context.len() <= 8 {
            self.context
                .iter()
                .find(|(k, _)| k.len() == key.len() && k == key)
        } else {
            self.context
                .binary_search_by(|(k, _)| k.as_str().cmp(key))
                .ok()
                .map(|i| &self.context[i])
        };
        match found {
            Some((_, values)) => Some(values.as_slice()),
            None => self.derived(key),
        }
    }

    fn derived(&self, key: &str) -> Option<&[String]> {
        static BOOLS: std::sync::OnceLock<[String; 2]> = std::sync::OnceLock::new();
        let p = &self.principal;
        let service = p.kind == PrincipalKind::Service;
        // An anonymous caller has no principal keys at all.
        let identified = !service && p.kind != PrincipalKind::Anonymous;
        match key {
            "aws:principalarn" if identified => {
                Some(std::slice::from_ref(p.principal_arn_string()))
            }
            "aws:principalaccount" if identified => p.account.as_ref().map(std::slice::from_ref),
            "aws:username" => match &p.kind {
                PrincipalKind::User { name } => Some(std::slice::from_ref(name)),
                _ => None,
            },
            // Present in every signed request; an anonymous one is not signed.
            "aws:principalisawsservice" if p.kind != PrincipalKind::Anonymous => {
                let bools = BOOLS.get_or_init(|| ["true".to_owned(), "false".to_owned()]);
                Some(std::slice::from_ref(&bools[usize::from(!service)]))
            }
            "aws:resourceaccount" => self
                .input
                .resource_account
                .as_ref()
                .or(p.account.as_ref())
                .map(std::slice::from_ref),
            _ => None,
        }
    }

    /// The resource's account: given, or the principal's.
    pub fn resource_account(&self) -> Option<&str> {
        self.input
            .resource_account
            .as_deref()
            .or(self.principal.account.as_deref())
    }

    /// The service prefix, the action name and the whole action (lower
    /// case), prepared for the compiled matchers.
    pub(crate) fn action_keys(&self) -> [Key<'_>; 3] {
        let (service, name) = self.action.split_at(self.service_len);
        let name = name.strip_prefix(':').unwrap_or(name);
        [
            Key {
                text: service,
                head: self.action_heads[0],
            },
            Key {
                text: name,
                head: self.action_heads[1],
            },
            Key {
                text: &self.action,
                head: self.action_heads[2],
            },
        ]
    }

    /// The prepared form of `value` when it is this request's own
    /// `aws:PrincipalArn` (the same string, not an equal one).
    pub(crate) fn prepared_principal_arn(&self, value: &str) -> Option<&PreparedArn> {
        std::ptr::eq(value, self.principal.principal_arn()).then_some(&self.principal_arn_prepared)
    }

    /// The outcome AWS fixes for this request whatever the policies say.
    pub fn aws_rule(&self) -> Option<AwsRule> {
        self.fixed
    }

    /// Whether the resource's own policy must allow the request.
    pub fn resource_gate(&self) -> ResourceGate {
        self.gate
    }

    /// The resource ARN.
    pub fn resource(&self) -> &str {
        &self.input.resource
    }

    /// Every context key with its values, derived ones included, sorted.
    pub fn context(&self) -> Vec<(&str, &[String])> {
        let mut out: Vec<(&str, &[String])> = self
            .context
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        for key in DERIVED_KEYS {
            if !out.iter().any(|(k, _)| *k == key) {
                if let Some(values) = self.derived(key) {
                    out.push((key, values));
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(b.0));
        out
    }
}

/// Keys AWS derives from the principal and the resource: a caller cannot
/// choose them, so the prover never varies them.
pub(crate) const DERIVED_KEYS: [&str; 5] = [
    "aws:principalarn",
    "aws:principalaccount",
    "aws:username",
    "aws:principalisawsservice",
    "aws:resourceaccount",
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn principals_parse() {
        let p = PrincipalInfo::parse("arn:aws:sts::111122223333:assumed-role/Admin/alice");
        assert_eq!(p.principal_arn(), "arn:aws:iam::111122223333:role/Admin");
        assert_eq!(p.account.as_deref(), Some("111122223333"));
        let p = PrincipalInfo::parse("arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig");
        assert!(p.service_linked);
        assert_eq!(
            PrincipalInfo::parse("111122223333").kind,
            PrincipalKind::Root
        );
        assert_eq!(
            PrincipalInfo::parse("cloudtrail.amazonaws.com").kind,
            PrincipalKind::Service
        );
    }

    #[test]
    fn context_is_case_insensitive_and_derived() {
        let mut input = RequestInput {
            principal: "arn:aws:iam::111122223333:user/team/bob".into(),
            action: "S3:GetObject".into(),
            resource: "*".into(),
            ..Default::default()
        };
        input.context.insert(
            "AWS:RequestedRegion".into(),
            ContextValue::One("eu-west-1".into()),
        );
        let r = Request::new(input);
        assert_eq!(r.get("aws:requestedregion").unwrap(), ["eu-west-1"]);
        assert_eq!(r.get("aws:username").unwrap(), ["bob"]);
        assert_eq!(r.get("aws:resourceaccount").unwrap(), ["111122223333"]);
        assert_eq!(r.action, "s3:getobject");
    }
}
